-- scale_shortlist.sql — the wordindex shortlist alone: 26 queries (every 500th
-- image of the collection, as is and mirrored), k = 50, timed with
-- SQLite's default 2 MB cache and with 64 MB.
--   sqlite3 build/bench/scale/collection.db < tests/bench/scale_shortlist.sql
.load build/imgsearch
CREATE TEMP TABLE q AS SELECT f.image_id AS id, img_words(f.sift, v.vocab) AS w, img_words(f.sift, v.vocab, 1) AS m FROM (SELECT * FROM features WHERE image_id % 500 = 7) f, vocabulary v;
SELECT count(*), (SELECT count(*) FROM image_words_segments), (SELECT group_concat(level) FROM image_words_segments) FROM q;
SELECT count(*) FROM q, image_words AS x WHERE x.words MATCH q.w AND x.mirror = q.m AND x.k = 50;
.timer on
SELECT count(*) FROM q, image_words AS x WHERE x.words MATCH q.w AND x.mirror = q.m AND x.k = 50;
SELECT count(*) FROM q, image_words AS x WHERE x.words MATCH q.w AND x.mirror = q.m AND x.k = 50;
PRAGMA cache_size=-65536;
SELECT count(*) FROM q, image_words AS x WHERE x.words MATCH q.w AND x.mirror = q.m AND x.k = 50;
SELECT count(*) FROM q, image_words AS x WHERE x.words MATCH q.w AND x.mirror = q.m AND x.k = 50;
