-- scale_search.sql — what `imgsearch search` (its default first stage:
-- visual words, then verification) finds for scale.sh's queries, from its
-- CSV output (build/bench/scale/search.csv: query,rank,path,score,inliers;
-- -k 10).  Copies: report half only (dvd covers 050-100, ukbench objects
-- 50-99), as scale_eval reports.  Prints the table rows of
-- docs/BENCHMARKS.md.
--   sqlite3 < tests/bench/scale_search.sql   (run by scale.sh search)
CREATE TABLE list(edit TEXT, source TEXT, path TEXT);
CREATE TABLE r(query TEXT, rank INT, path TEXT, score REAL, inliers INT);
.mode tabs
.import build/bench/scale/copies/list.txt list
.mode csv
.import --skip 1 build/bench/scale/search.csv r
.mode list
.separator ' | '
CREATE TABLE copies AS
  SELECT l.edit, l.source, r.rank, r.path, r.inliers,
         (r.path LIKE '%/' || l.source AND r.path NOT LIKE '%distractors%') AS hit
    FROM list l JOIN r ON r.query = l.path
   WHERE (l.source LIKE 'ukbench%' AND CAST(substr(l.source, 8, 5) AS INT)/4 >= 50)
      OR (l.source NOT LIKE 'ukbench%' AND CAST(l.source AS INT) >= 50);
SELECT 'copies, report half', count(DISTINCT edit || source),
       printf('R@1 %.3f', avg(hit) FILTER (WHERE rank = 1)),
       printf('in top 10 %.3f', (SELECT avg(h) FROM (SELECT max(hit) AS h FROM copies GROUP BY edit, source))),
       printf('wrong verified at rank 1: %d', count(*) FILTER (WHERE rank = 1 AND NOT hit AND inliers > 0)),
       printf('wrong verified in top 10: %d', count(*) FILTER (WHERE NOT hit AND inliers > 0
              AND NOT (source LIKE 'ukbench%' AND path LIKE '%/ukbench/ukbench%'
                       AND CAST(substr(path, instr(path, '/ukbench/ukbench') + 16, 5) AS INT)/4
                         = CAST(substr(source, 8, 5) AS INT)/4)))
  FROM copies;
SELECT edit, printf('%.2f', avg(hit)) FROM copies WHERE rank = 1 GROUP BY edit ORDER BY edit;
SELECT 'DVD phone photos', count(*),
       printf('R@1 %.3f', avg(path LIKE '%/reference/' || substr(query, -7)))
  FROM r WHERE rank = 1 AND (query LIKE '%/canon/%' OR query LIKE '%/droid/%');
SELECT 'UKBench', count(DISTINCT query),
       printf('N-S %.3f', 1.0*count(*) FILTER (WHERE path LIKE '%/ukbench/ukbench%'
         AND CAST(substr(path, instr(path, '/ukbench/ukbench') + 16, 5) AS INT)/4
           = CAST(substr(query, instr(query, '/ukbench/ukbench') + 16, 5) AS INT)/4) / count(DISTINCT query))
  FROM r WHERE rank <= 4 AND query LIKE '%/ukbench/ukbench%';
-- the same by half (tune: dvd covers 001-049, ukbench objects 0-49), as scale_eval prints them
SELECT 'DVD phone photos, ' || CASE WHEN CAST(substr(query, -7, 3) AS INT) < 50 THEN 'tune' ELSE 'report' END || ' half',
       count(*), printf('R@1 %.3f', avg(path LIKE '%/reference/' || substr(query, -7)))
  FROM r WHERE rank = 1 AND (query LIKE '%/canon/%' OR query LIKE '%/droid/%') GROUP BY 1;
SELECT 'UKBench, ' || half || ' half', count(DISTINCT query), printf('N-S %.3f', 1.0*sum(same) / count(DISTINCT query))
  FROM (SELECT query, CASE WHEN CAST(substr(query, instr(query, '/ukbench/ukbench') + 16, 5) AS INT)/4 < 50
                           THEN 'tune' ELSE 'report' END AS half,
               (path LIKE '%/ukbench/ukbench%'
                AND CAST(substr(path, instr(path, '/ukbench/ukbench') + 16, 5) AS INT)/4
                  = CAST(substr(query, instr(query, '/ukbench/ukbench') + 16, 5) AS INT)/4) AS same
          FROM r WHERE rank <= 4 AND query LIKE '%/ukbench/ukbench%')
 GROUP BY half;
