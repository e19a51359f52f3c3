-- scale_dups.sql — `imgsearch dups` at collection scale, scored: the CSV
-- of `imgsearch dups DB --format csv` (its defaults) on scale.sh's
-- collection.  Labels: a distractor photo and its two mild edits (v1, v2)
-- are copies of each other (3 pairs each, 12,000 in all); every other
-- pair in a group is not a copy of the kind the labels know, and is
-- counted by where its two images come from (UKBench: four photos of one
-- object; Oxford: six images of one scene, some edits, some other
-- viewpoints; DVD covers; distractor photos of different IDs).
--   sh tests/bench/scale.sh dups   (DB=... picks the database)
CREATE TEMP TABLE d(grp INT, path TEXT, score REAL, match TEXT, keep INT, reason TEXT);
.mode csv
.import --skip 1 build/bench/scale/dups.csv d
.mode list
.separator ' | '
CREATE TEMP TABLE m AS SELECT grp, path, match,
  CASE WHEN path LIKE '%distractors%' THEN replace(replace(substr(path,
       length(rtrim(path, replace(path, '/', ''))) + 1), '.JPEG', ''), '.jpg', '') END AS stem,
  CASE WHEN path LIKE '%distractors%' THEN 'distractor' WHEN path LIKE '%ukbench%' THEN 'ukbench'
       WHEN path LIKE '%dvd_covers%' THEN 'dvd' WHEN path LIKE '%oxford%' THEN 'oxford'
       ELSE 'samples' END AS src
  FROM d;
CREATE TEMP TABLE p AS
  SELECT a.grp, min(a.src, b.src) AS sa, max(a.src, b.src) AS sb,
         coalesce(a.stem = b.stem, 0) AS copy
    FROM m a JOIN m b ON a.grp = b.grp AND a.path < b.path;
SELECT 'groups', count(DISTINCT grp), 'members', count(*), 'largest group',
       (SELECT max(n) FROM (SELECT count(*) AS n FROM m GROUP BY grp)) FROM m;
SELECT 'labelled copy pairs linked', sum(copy), 'of', 12000 FROM p;
SELECT 'other pairs in groups', count(*) FROM p WHERE NOT copy;
SELECT 'other pairs', sa, sb, count(*) FROM p WHERE NOT copy GROUP BY sa, sb ORDER BY 4 DESC;
