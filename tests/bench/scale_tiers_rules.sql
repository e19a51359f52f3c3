-- scale_tiers_rules.sql — which rule best tells an edited copy from
-- another photo of the same object, on the measures scale_tiers.sql
-- (geometry: e, r) and scale_tiers_photo (photo: agree) wrote to
-- tiers.db.  Three families of rule:
--   geometry            copy if e < p1 and r >= p2
--   pixels              copy if agree >= p1
--   geometry or pixels  copy if e < p1 or agree >= p2
-- For each family and each bound on the other photos called copies (5%,
-- 10%, 20% of the negative pairs of the tuning half), the parameters with
-- the highest recall averaged over the kinds of copy on the tuning half;
-- then the same rule read on the report half, overall and per kind.
--   sqlite3 build/bench/scale/tiers.db < tests/bench/scale_tiers_rules.sql
--   (run by scale.sh tiers)
.bail on
.mode list
.separator ' | '
CREATE TEMP TABLE m AS
  SELECT g.kind, g.copy, g.report, g.e, g.r, p.agree
    FROM geometry AS g JOIN photo AS p USING (pair_rowid);
CREATE TEMP TABLE rule AS
  SELECT 'geometry' AS family, a.value AS p1, b.value AS p2
    FROM json_each('[0.1,0.25,0.5,1,2,3]') AS a, json_each('[0,0.1,0.2,0.3,0.4,0.5,0.6]') AS b
  UNION ALL SELECT 'pixels', a.value, NULL
    FROM json_each('[0.6,0.7,0.75,0.8,0.85,0.9,0.95]') AS a
  UNION ALL SELECT 'geometry or pixels', a.value, b.value
    FROM json_each('[0.05,0.1,0.25,0.5]') AS a, json_each('[0.7,0.8,0.85,0.9,0.95]') AS b;
CREATE TEMP TABLE called AS
  SELECT family, p1, p2, report, kind, copy,
         avg(CASE family WHEN 'geometry' THEN e < p1 AND r >= p2
                         WHEN 'pixels' THEN agree >= p1
                         ELSE e < p1 OR agree >= p2 END) AS share,
         count(*) AS n
    FROM rule, m GROUP BY family, p1, p2, report, kind;
CREATE TEMP TABLE score AS
  SELECT family, p1, p2, report, avg(share) FILTER (WHERE copy) AS tp,
         sum(share*n) FILTER (WHERE NOT copy)/sum(n) FILTER (WHERE NOT copy) AS fp
    FROM called GROUP BY family, p1, p2, report;
CREATE TEMP TABLE chosen AS
  SELECT f.family, cap.value AS cap,
         (SELECT rowid FROM score WHERE report = 0 AND family = f.family AND fp <= cap.value
           ORDER BY tp DESC LIMIT 1) AS tuned
    FROM (SELECT DISTINCT family FROM rule) AS f, json_each('[0.05,0.1,0.2]') AS cap;
SELECT c.family, printf('others <= %.2f', cap),
       CASE c.family WHEN 'geometry' THEN printf('e < %g and r >= %g', t.p1, t.p2)
                     WHEN 'pixels' THEN printf('agree >= %g', t.p1)
                     ELSE printf('e < %g or agree >= %g', t.p1, t.p2) END,
       printf('tuning: copies %.3f, others %.3f', t.tp, t.fp),
       printf('report: copies %.3f, others %.3f', p.tp, p.fp),
       (SELECT group_concat(kind || ' ' || printf('%.2f', share), ', ') FROM called AS k
         WHERE k.report AND k.family = t.family AND k.p1 = t.p1 AND k.p2 IS t.p2)
  FROM chosen AS c JOIN score AS t ON t.rowid = c.tuned
  JOIN score AS p ON p.report = 1 AND p.family = t.family AND p.p1 = t.p1 AND p.p2 IS t.p2
 ORDER BY c.family, cap;
