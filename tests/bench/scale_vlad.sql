-- scale_vlad.sql — the tool's current first stage on scale.sh's data, for
-- comparison: every copy query's img_vlad (the collection's codebook and
-- PCA) looked up in image_vectors, k = 20 (the list `search --verify`
-- verifies).  Report half only (dvd covers 050-100, ukbench objects 50-99),
-- as scale_eval reports.  Prints: edit | top-1 recall | top-20 recall | n.
--   sqlite3 build/bench/scale/collection.db < tests/bench/scale_vlad.sql
.load build/imgsearch
ATTACH 'build/bench/scale/queries.db' AS q;
CREATE TEMP TABLE list(edit TEXT, source TEXT, path TEXT);
.mode tabs
.import build/bench/scale/copies/list.txt list
CREATE TEMP TABLE qv AS
  SELECT l.edit, l.source,
         img_vlad(f.sift, (SELECT codebook FROM main.codebook), (SELECT pca FROM main.projection)) AS v
    FROM temp.list l JOIN q.images i ON i.path LIKE '%/' || l.path JOIN q.features f ON f.image_id = i.id
   WHERE (l.source LIKE 'ukbench%' AND CAST(substr(l.source, 8, 5) AS INT)/4 >= 50)
      OR (l.source NOT LIKE 'ukbench%' AND CAST(l.source AS INT) >= 50);
CREATE TEMP TABLE top AS
  SELECT edit, source,
    (SELECT group_concat(p, '|') FROM (SELECT im.path AS p FROM image_vectors iv JOIN images im ON im.id = iv.rowid
        WHERE iv.vlad MATCH qv.v AND k = 20)) AS hits
  FROM qv;
.mode list
SELECT edit, printf('%.3f', avg(substr(hits, 1, instr(hits || '|', '|') - 1) LIKE '%/' || source)),
       printf('%.3f', avg(('|' || hits || '|') LIKE '%/' || source || '|%')), count(*)
  FROM top GROUP BY edit
UNION ALL
SELECT 'all', printf('%.3f', avg(substr(hits, 1, instr(hits || '|', '|') - 1) LIKE '%/' || source)),
       printf('%.3f', avg(('|' || hits || '|') LIKE '%/' || source || '|%')), count(*)
  FROM top;
