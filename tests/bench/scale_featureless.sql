-- scale_featureless.sql — featureless images (under 100 SIFT features) in
-- the collection, compared by thumbnail as `imgsearch dups` does
-- (shell/thumbs.h): every pair of images in the thumbs table the tool
-- filled, scored by the better correlation of the two ways round.  True
-- pairs: a distractor photo and its mild edits (v1: 90% size, JPEG q80;
-- v2: mirrored, centre 92%, more saturation), the only copies the
-- collection holds of each other.  Tuning half: pairs whose first image's
-- file name ends in an even digit; report half: odd.  Prints: half |
-- threshold | true pairs linked / true pairs | false pairs linked | pairs.
--   sh tests/bench/scale.sh featureless   (DB=... picks the database)
.load build/imgsearch
CREATE TEMP TABLE fl AS
  SELECT t.image_id AS id, t.thumb, t.mirror,
         replace(replace(substr(i.path, length(rtrim(i.path, replace(i.path, '/', ''))) + 1),
                 '.JPEG', ''), '.jpg', '') AS stem,
         i.path LIKE '%distractors%' AS distractor
    FROM thumbs t JOIN images i ON i.id = t.image_id;
CREATE TEMP TABLE pairs AS
  SELECT x.stem AS stem, x.stem = y.stem AND x.distractor AND y.distractor AS same,
         1 - min(vec_distance_cosine(x.thumb, y.thumb), vec_distance_cosine(x.thumb, y.mirror)) AS c
    FROM fl x JOIN fl y ON x.id < y.id;
SELECT 'featureless images', count(*), 'pairs', (SELECT count(*) FROM pairs) FROM fl;
.mode list
.separator ' | '
SELECT CASE CAST(substr(stem, -1) AS INT) % 2 WHEN 0 THEN 'tune' ELSE 'report' END AS half,
       x AS threshold, sum(same AND c >= x) || '/' || sum(same) AS true_linked,
       sum(NOT same AND c >= x) AS false_linked, count(*) AS pairs
  FROM pairs, (SELECT value AS x FROM json_each('[0.8, 0.85, 0.88, 0.9, 0.92, 0.95]'))
 GROUP BY half, x ORDER BY half DESC, x;
