-- tool_siblings.sql — ranking quality of image_vectors on the 10k db of
-- tests/bench/tool.sh: each source image there has 13 versions (the
-- original and 12 edits) with the same file name in 13 folders.  For 400
-- images (the smallest content hashes), the share of its 12 siblings among
-- its 12 nearest other images, and whether the nearest one is a sibling.
-- Run by tool.sh pca:  build/imgsearch DB < tests/bench/tool_siblings.sql
WITH q AS (SELECT id, replace(path, rtrim(path, replace(path, '/', '')), '') AS stem
             FROM images WHERE vector=1 ORDER BY hash LIMIT 400),
     sibs AS (SELECT replace(path, rtrim(path, replace(path, '/', '')), '') AS stem, count(*) - 1 AS n
                FROM images WHERE vector=1 GROUP BY 1),
     hits AS (SELECT q.id AS qid, q.stem AS qstem, n.distance AS d,
                     replace(i.path, rtrim(i.path, replace(i.path, '/', '')), '') AS rstem,
                     row_number() OVER (PARTITION BY q.id ORDER BY n.distance, n.rowid) AS rank
                FROM q, image_vectors AS n JOIN images AS i ON i.id=n.rowid
               WHERE n.vlad MATCH (SELECT vlad FROM image_vectors WHERE rowid=q.id) AND n.k=13
                 AND n.rowid<>q.id),
     per AS (SELECT qid, sum(rstem=qstem AND rank<=12) * 1.0 / (SELECT n FROM sibs WHERE sibs.stem=qstem) AS got,
                    max(rank=1 AND rstem=qstem) AS top1
               FROM hits GROUP BY qid)
SELECT count(*) AS queries, round(avg(got), 3) AS siblings_top12, round(avg(top1), 3) AS top1 FROM per;
