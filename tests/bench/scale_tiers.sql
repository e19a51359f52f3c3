-- scale_tiers.sql — can the geometry a copy is verified with tell an
-- edited copy of a photo from a different photo of the same object?
-- (issue 20's tiers: "edited copy" against "similar").  For each pair,
-- img_match_json (SIFT descriptors, RANSAC homography H) gives the
-- inliers; two measures of them are read here:
--   e   the inliers' mean squared reprojection error under H, in pixels²
--       of the smaller image (an edit keeps every point where H puts it;
--       another view of a 3D object fits H only roughly)
--   r   inliers / the features of the image with fewer (an edit keeps
--       most of a photo's features)
-- Positive pairs: the 14 edits of scale.sh's 200 originals against their
-- original (2,800), and the labelled mild-edit pairs of the distractors
-- that `imgsearch dups` grouped.  Negative pairs: the other pairs `dups`
-- grouped among UKBench photos (four photos of one object) and among
-- distractor photos of different IDs (burst shots of one scene).  Halves:
-- a tuning half (dvd covers 001-049, ukbench objects 0-49; dups groups
-- with an even number) and a report half.  Writes the pairs and their
-- measures to build/bench/scale/tiers.db: tables pair and geometry (then
-- scale_tiers_photo adds photo, and scale_tiers_rules.sql chooses rules).
-- Needs scale.sh collect, index and dups; about 4 minutes of CPU.
--   sqlite3 build/bench/scale/collection.db < tests/bench/scale_tiers.sql
--   (run by scale.sh tiers)
.load build/imgsearch
.bail on
ATTACH 'build/bench/scale/queries.db' AS q;
ATTACH 'build/bench/scale/tiers.db' AS t;   -- the pairs, for scale_tiers_photo
DROP TABLE IF EXISTS t.pair;
CREATE TEMP TABLE list(edit TEXT, source TEXT, path TEXT);
CREATE TEMP TABLE d(grp INT, path TEXT, score REAL, match TEXT, keep INT, reason TEXT);
.mode tabs
.import build/bench/scale/copies/list.txt list
.mode csv
.import --skip 1 build/bench/scale/dups.csv d
.mode list
.separator ' | '

-- every pair: kind, half, the match and the two images' feature counts
CREATE TEMP TABLE m AS SELECT d.grp, i.id, i.features, i.path,
  CASE WHEN d.path LIKE '%/distractors%' THEN replace(replace(substr(d.path,
       length(rtrim(d.path, replace(d.path, '/', ''))) + 1), '.JPEG', ''), '.jpg', '') END AS stem,
  CASE WHEN d.path LIKE '%/distractors%' THEN 'distractor' WHEN d.path LIKE '%/ukbench/%'
       THEN 'ukbench' ELSE 'other' END AS src
  FROM d JOIN main.images AS i ON i.path = d.path;
CREATE TABLE t.pair AS
  SELECT CASE WHEN a.stem = b.stem THEN 'mild edit' ELSE a.src || ' photos' END AS kind,
         coalesce(a.stem = b.stem, 0) AS copy, a.grp % 2 AS report, min(a.features, b.features) AS nf,
         a.path AS a_path, b.path AS b_path,
         img_match_json((SELECT sift FROM main.features WHERE image_id = a.id),
                        (SELECT sift FROM main.features WHERE image_id = b.id)) AS j
    FROM m AS a JOIN m AS b ON a.grp = b.grp AND a.id < b.id AND a.src = b.src
   WHERE a.src <> 'other'
  UNION ALL
  SELECT l.edit, 1, (l.source LIKE 'ukbench%' AND CAST(substr(l.source, 8, 5) AS INT)/4 >= 50)
                    OR (l.source NOT LIKE 'ukbench%' AND CAST(l.source AS INT) >= 50),
         min(qi.features, ci.features), qi.path, ci.path,
         img_match_json((SELECT sift FROM q.features WHERE image_id = qi.id),
                        (SELECT sift FROM main.features WHERE image_id = ci.id))
    FROM list AS l JOIN q.images AS qi ON qi.path LIKE '%/' || l.path
    JOIN main.images AS ci ON ci.path LIKE '%/dvd_covers/reference/' || l.source
                           OR ci.path LIKE '%/ukbench/' || l.source;

DROP TABLE IF EXISTS t.geometry;
CREATE TABLE t.geometry AS
  SELECT rowid AS pair_rowid, kind, copy, report, inliers, 1.0*inliers/nf AS r,
         (SELECT avg(dx*dx + dy*dy) FROM (SELECT
            (h0*x + h1*y + h2)/(h6*x + h7*y + h8) - cx AS dx,
            (h3*x + h4*y + h5)/(h6*x + h7*y + h8) - cy AS dy
            FROM (SELECT value->>0 AS x, value->>1 AS y, value->>2 AS cx, value->>3 AS cy
                    FROM json_each(j, '$.inlier_pairs'))))/max(abs(h0*h4 - h1*h3), 1) AS e
    FROM (SELECT rowid, kind, copy, report, nf, j, j->>'inliers' AS inliers,
                 j->>'$.homography[0]' AS h0, j->>'$.homography[1]' AS h1, j->>'$.homography[2]' AS h2,
                 j->>'$.homography[3]' AS h3, j->>'$.homography[4]' AS h4, j->>'$.homography[5]' AS h5,
                 j->>'$.homography[6]' AS h6, j->>'$.homography[7]' AS h7, j->>'$.homography[8]' AS h8
            FROM t.pair)
   WHERE inliers > 0;

SELECT 'pairs verified', kind, count(*), printf('mean e %.2f', avg(e)),
       printf('e<0.5 %.2f', avg(e < 0.5)), printf('e<2 %.2f', avg(e < 2)),
       printf('r>=0.2 %.2f', avg(r >= 0.2))
  FROM t.geometry AS g GROUP BY kind ORDER BY copy, kind;
