-- scale_tiers_words.sql — the measures of scale_tiers.sql (inliers, r, e),
-- this time from the visual words `imgsearch dups` verifies with
-- (img_words_match_json: the copy's words, and its mirror image's, against
-- the kept image's; the better of the two, as dups takes it), for the same
-- pairs (tiers.db's table pair).  Writes tiers.db's table words_geometry,
-- laid out as geometry, for scale_tiers_calibrate.py words_geometry.
-- Needs a collection database with words (imgsearch index, which trains the
-- vocabulary) and the pairs; about 15 minutes of CPU.
--   sqlite3 COLLECTION_WITH_WORDS.db < tests/bench/scale_tiers_words.sql
.load build/imgsearch
.bail on
-- the 4 MB vocabulary is read once per pair: keep it in the page cache
PRAGMA cache_size = -400000;
ATTACH 'build/bench/scale/queries.db' AS q;
ATTACH 'build/bench/scale/tiers.db' AS t;
DROP TABLE IF EXISTS t.words_geometry;
CREATE TEMP TABLE side AS
  SELECT p.rowid AS pair_rowid, p.kind, p.copy, p.report, p.nf,
         coalesce((SELECT sift FROM main.features WHERE image_id = (SELECT id FROM main.images WHERE path = p.a_path)),
                  (SELECT sift FROM q.features WHERE image_id = (SELECT id FROM q.images WHERE path = p.a_path))) AS sa,
         (SELECT words FROM main.image_words WHERE rowid = (SELECT id FROM main.images WHERE path = p.b_path)) AS wb,
         coalesce((SELECT width FROM main.images WHERE path = p.a_path), (SELECT width FROM q.images WHERE path = p.a_path)) AS a_w,
         coalesce((SELECT height FROM main.images WHERE path = p.a_path), (SELECT height FROM q.images WHERE path = p.a_path)) AS a_h,
         (SELECT width FROM main.images WHERE path = p.b_path) AS b_w,
         (SELECT height FROM main.images WHERE path = p.b_path) AS b_h
    FROM t.pair AS p;
CREATE TABLE t.words_geometry AS
  SELECT pair_rowid, kind, copy, report,
         CASE WHEN j1->>'inliers' > j0->>'inliers' THEN j1->>'inliers' ELSE j0->>'inliers' END AS inliers,
         1.0*(CASE WHEN j1->>'inliers' > j0->>'inliers' THEN j1->>'inliers' ELSE j0->>'inliers' END)/nf AS r,
         CASE WHEN j1->>'inliers' > j0->>'inliers' THEN j1->>'error' ELSE j0->>'error' END AS e,
         j1->>'inliers' > j0->>'inliers' AS mirrored,
         CASE WHEN j1->>'inliers' > j0->>'inliers' THEN j1->>'homography' ELSE j0->>'homography' END AS h,
         a_w, a_h, b_w, b_h
    FROM (SELECT pair_rowid, kind, copy, report, nf, a_w, a_h, b_w, b_h,
                 img_words_match_json(img_words(sa, v), wb) AS j0,
                 img_words_match_json(img_words(sa, v, 1), wb) AS j1
            FROM side, (SELECT vocab AS v FROM main.vocabulary)
           WHERE sa IS NOT NULL AND wb IS NOT NULL)
   WHERE max(j0->>'inliers', j1->>'inliers') > 0;
SELECT kind, count(*), printf('mean inliers %.0f', avg(inliers)), printf('mean e %.3f', avg(e)),
       printf('e<0.5 %.2f', avg(e < 0.5))
  FROM t.words_geometry GROUP BY kind ORDER BY copy, kind;
SELECT 'pairs', (SELECT count(*) FROM t.pair), 'verified by words', (SELECT count(*) FROM t.words_geometry);
