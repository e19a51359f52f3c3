-- scale_replicate.sql — a replicated collection, to measure what a query
-- costs at ~100k images (issue 17: "measure on a replicated set"): every
-- image of the collection seven more times, as rows of images (path
-- '/replicaK' || path, id + K * 1,000,000), image_words (the same words
-- blob) and image_vectors (the same VLAD vector), then 'optimize'.  The
-- inverted file's postings and segments, the b-trees and the annoy forest
-- grow as at 8x the images; the copies are exact, so this measures cost,
-- not recall (a replica ties with its original).  Run on a copy of a
-- collection indexed with visual words (scale.sh replicate does).
.load build/imgsearch
.bail on
.timer on
CREATE TEMP TABLE k(k INTEGER PRIMARY KEY);
INSERT INTO k VALUES (1), (2), (3), (4), (5), (6), (7);
BEGIN;
INSERT INTO images(id, path, size, mtime, hash, width, height, features, status, vector)
  SELECT id + k*1000000, '/replica' || k || path, size, mtime, hash, width, height,
         features, status, vector
    FROM k, images WHERE status = 'ok' AND id < 1000000;
INSERT INTO image_vectors(rowid, vlad)
  SELECT v.rowid + r.k*1000000, v.vlad FROM k AS r, image_vectors AS v WHERE v.rowid < 1000000;
COMMIT;
-- one transaction for each replica: a segment each, as `index` writes them
INSERT INTO image_words(rowid, words) SELECT rowid + 1000000, words FROM image_words WHERE rowid < 1000000;
INSERT INTO image_words(rowid, words) SELECT rowid + 2000000, words FROM image_words WHERE rowid < 1000000;
INSERT INTO image_words(rowid, words) SELECT rowid + 3000000, words FROM image_words WHERE rowid < 1000000;
INSERT INTO image_words(rowid, words) SELECT rowid + 4000000, words FROM image_words WHERE rowid < 1000000;
INSERT INTO image_words(rowid, words) SELECT rowid + 5000000, words FROM image_words WHERE rowid < 1000000;
INSERT INTO image_words(rowid, words) SELECT rowid + 6000000, words FROM image_words WHERE rowid < 1000000;
INSERT INTO image_words(rowid, words) SELECT rowid + 7000000, words FROM image_words WHERE rowid < 1000000;
INSERT INTO image_words(image_words) VALUES ('optimize');
SELECT 'images', count(*) FROM images WHERE status = 'ok';
SELECT 'image_words', count(*) FROM image_words;
