-- GROUPING SETS, ROLLUP and CUBE.
SELECT dept_id, grade, count(*) FROM emp GROUP BY ROLLUP (dept_id, grade) ORDER BY 1, 2, 3;
SELECT grade, active, count(*), sum(salary) FROM emp GROUP BY CUBE (grade, active) ORDER BY 1, 2, 3;
SELECT grade, active, count(*) FROM emp GROUP BY GROUPING SETS ((grade), (active), ()) ORDER BY 1, 2, 3;
SELECT grade, active, grouping(grade, active), count(*) FROM emp GROUP BY CUBE (grade, active) ORDER BY 3, 1, 2;
SELECT dept_id, count(*) FROM emp GROUP BY GROUPING SETS ((dept_id), ()) ORDER BY 1, 2;
SELECT e, t, count(*) FROM nums GROUP BY ROLLUP (e, t) ORDER BY 1, 2, 3;
SELECT e, count(*) FROM nums GROUP BY e, ROLLUP (t) HAVING count(*) > 3 ORDER BY 1, count(*);
SELECT role, count(*), sum(hours) FROM work GROUP BY ROLLUP (role) ORDER BY 1, 2;
SELECT grade, grouping(grade) FROM emp GROUP BY ROLLUP (grade) ORDER BY 1, 2;
SELECT a % 2, e % 2, count(*) FROM nums GROUP BY CUBE (a % 2, e % 2) ORDER BY 1, 2, 3;
