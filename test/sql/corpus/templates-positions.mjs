// Corpus families added after the first eighteen (kept apart so templates.mjs stays readable):
// sub-queries in every position a plan node holds an expression (each once crashed the node
// with "sub-links are planned into Apply nodes before execution"), and LIKE/ILIKE patterns
// with every regular-expression metacharacter and the ESCAPE clause (a '-' in a LIKE pattern
// used to be an invalid JS escape).

/** Sub-queries in join conditions, aggregates, windows, sorts, LIMIT, VALUES, function arguments. */
export function sublinkPositions() {
  const corr = '(SELECT count(*) FROM work w WHERE w.emp_id = e.id)';
  const out = [
    // ON clauses of outer joins: the sub-query reads the left side, the right side, or both.
    'SELECT e.id, d.name FROM emp e LEFT JOIN dept d ON d.id = e.dept_id AND d.budget > (SELECT avg(budget) FROM dept) WHERE e.id < 40 ORDER BY 1',
    'SELECT e.id, w.proj_id FROM emp e LEFT JOIN work w ON w.emp_id = e.id AND w.hours = (SELECT max(hours) FROM work x WHERE x.emp_id = e.id) WHERE e.id < 40 ORDER BY 1, 2',
    'SELECT e.id, w.proj_id FROM emp e LEFT JOIN work w ON w.emp_id = e.id AND EXISTS (SELECT 1 FROM proj p WHERE p.id = w.proj_id AND p.budget > 50000) WHERE e.id < 40 ORDER BY 1, 2',
    'SELECT e.id, w.proj_id FROM emp e LEFT JOIN work w ON w.emp_id = e.id AND w.hours > (SELECT avg(hours) FROM work x WHERE x.proj_id = w.proj_id AND x.emp_id <> e.id) WHERE e.id < 40 ORDER BY 1, 2',
    'SELECT d.id, e.id FROM emp e RIGHT JOIN dept d ON d.id = e.dept_id AND e.salary > (SELECT avg(salary) FROM emp x WHERE x.dept_id = d.id) AND e.age > 60 ORDER BY 1, 2',
    "SELECT d.id, count(e.id) FROM dept d FULL JOIN emp e ON e.dept_id = d.id AND e.id IN (SELECT emp_id FROM work WHERE role = 'lead') GROUP BY d.id ORDER BY 1",
    'SELECT e.id, d.name FROM emp e JOIN dept d ON d.id = e.dept_id AND d.id = (SELECT min(x.dept_id) FROM emp x WHERE x.manager_id = e.manager_id) ORDER BY 1',
    'SELECT e.id, d.name FROM emp e JOIN dept d ON d.id = e.dept_id AND EXISTS (SELECT 1 FROM work w WHERE w.emp_id = e.id) ORDER BY 1',
    // TypeORM's column introspection: LEFT JOIN ... ON x = (correlated sub-query of the left side).
    "SELECT c.column_name, a.attnum FROM information_schema.columns c LEFT JOIN pg_catalog.pg_attribute a ON a.attname = c.column_name AND a.attrelid = (SELECT cls.oid FROM pg_catalog.pg_class cls LEFT JOIN pg_catalog.pg_namespace ns ON ns.oid = cls.relnamespace WHERE cls.relname = c.table_name AND ns.nspname = c.table_schema) WHERE c.table_schema = 'public' AND c.table_name = 'emp' ORDER BY a.attnum",
    // Aggregates: arguments, FILTER, ORDER BY inside the call, GROUP BY keys, HAVING.
    `SELECT sum(${corr}) FROM emp e`,
    'SELECT count(*) FILTER (WHERE e.id IN (SELECT emp_id FROM work)) FROM emp e',
    `SELECT e.dept_id, max(${corr}) FROM emp e GROUP BY e.dept_id ORDER BY 1`,
    `SELECT ${corr} AS n, count(*) FROM emp e GROUP BY n ORDER BY 1`,
    `SELECT string_agg(e.id::text, ',' ORDER BY ${corr} DESC, e.id) FROM emp e WHERE e.id < 30`,
    'SELECT dept_id FROM emp e GROUP BY dept_id HAVING count(*) > (SELECT count(*) / 10 FROM emp) ORDER BY 1',
    `SELECT e.dept_id, count(*) FROM emp e GROUP BY e.dept_id ORDER BY (SELECT name FROM dept d WHERE d.id = e.dept_id) NULLS FIRST`,
    `SELECT e.id, CASE WHEN e.age > 50 THEN ${corr} ELSE -1 END FROM emp e WHERE e.id < 30 ORDER BY 1`,
    `SELECT e.grade, CASE WHEN count(*) > 5 THEN (SELECT count(*) FROM dept) END FROM emp e GROUP BY e.grade ORDER BY 1`,
    // Windows and sorts.
    `SELECT e.id, row_number() OVER (ORDER BY ${corr} DESC, e.id) FROM emp e WHERE e.id < 30 ORDER BY 1`,
    `SELECT e.id, sum(e.age) OVER (PARTITION BY ${corr} ORDER BY e.id) FROM emp e WHERE e.id < 30 ORDER BY 1`,
    `SELECT e.id FROM emp e WHERE e.id < 40 ORDER BY ${corr} DESC, e.id`,
    `SELECT DISTINCT ${corr} FROM emp e ORDER BY 1`,
    // Computed once per execution: LIMIT/OFFSET, VALUES, function arguments.
    'SELECT id FROM emp ORDER BY id LIMIT (SELECT count(*) FROM dept)',
    'SELECT id FROM emp ORDER BY id LIMIT 5 OFFSET (SELECT min(id) FROM dept)',
    'VALUES ((SELECT count(*) FROM emp)), ((SELECT max(id) FROM dept))',
    'SELECT * FROM (VALUES (1, (SELECT name FROM dept WHERE id = 1)), (2, (SELECT name FROM dept WHERE id = 2))) v(n, name) ORDER BY 1',
    'SELECT g FROM generate_series(1, (SELECT count(*)::int4 FROM dept)) g ORDER BY 1',
    'SELECT d.id, g FROM dept d, LATERAL generate_series(1, (SELECT count(*)::int4 FROM proj p WHERE p.dept_id = d.id)) g ORDER BY 1, 2',
    'SELECT d.id, v.x FROM dept d, LATERAL (VALUES ((SELECT max(e.id) FROM emp e WHERE e.dept_id = d.id))) v(x) ORDER BY 1',
    // Sub-queries as left operands of another.
    'SELECT (SELECT max(id) FROM dept) IN (SELECT dept_id FROM emp)',
    'SELECT e.id FROM emp e WHERE (SELECT max(w.proj_id) FROM work w WHERE w.emp_id = e.id) IN (SELECT id FROM proj WHERE budget > 50000) ORDER BY 1',
    // Writes (rolled back by the harness).
    "INSERT INTO dept VALUES ((SELECT max(id) + 1 FROM dept), 'new dept', 'east', (SELECT avg(budget) FROM dept), NULL) RETURNING id, budget",
    "UPDATE dept d SET budget = (SELECT sum(salary) FROM emp e WHERE e.dept_id = d.id) WHERE d.region = 'east' RETURNING id, budget",
    'DELETE FROM work w WHERE w.hours < (SELECT avg(hours) FROM work x WHERE x.proj_id = w.proj_id) RETURNING emp_id, proj_id',
  ];
  return out;
}

/** LIKE / ILIKE / NOT LIKE with each metacharacter of JS and POSIX regular expressions. */
export function likePatterns() {
  const metas = ['-', ']', '[', '^', '$', '.', '(', ')', '{', '}', '|', '*', '+', '?', '/', '#', '\\\\'];
  const out = [];
  for (const m of metas) {
    const lit = m === '\\\\' ? '\\' : m;
    const subject = `x${lit}y`;
    const q = (s) => `'${s}'`;
    out.push(
      `SELECT ${q(subject)} LIKE ${q(`%${m}%`)}, ${q(subject)} LIKE ${q(`x${m}y`)}, 'xy' LIKE ${q(`%${m}%`)}`,
    );
    out.push(
      `SELECT ${q(subject.toUpperCase())} ILIKE ${q(`X${m}_`)}, ${q(subject)} NOT LIKE ${q(`_${m}%`)}`,
    );
    out.push(
      `SELECT ${q(`a${lit}${lit}b`)} LIKE ${q(`a${m}${m}b`)}, ${q(`a${lit}b`)} LIKE ${q(`a${m}${m}b`)}`,
    );
  }
  out.push(
    // ESCAPE: the default backslash, another character, a metacharacter, and none at all.
    "SELECT '10%' LIKE '10\\%', '100' LIKE '10\\%', 'a_b' LIKE 'a\\_b', 'axb' LIKE 'a\\_b'",
    "SELECT '10%' LIKE '10#%' ESCAPE '#', '10x' LIKE '10#%' ESCAPE '#', 'a#b' LIKE 'a##b' ESCAPE '#'",
    "SELECT 'a%b' LIKE 'a^%b' ESCAPE '^', 'a^b' LIKE 'a^^b' ESCAPE '^', 'a-b' LIKE 'a--b' ESCAPE '-'",
    "SELECT 'a.b' LIKE 'a..b' ESCAPE '.', 'a_b' LIKE 'a$_b' ESCAPE '$', 'a]b' LIKE 'a]]b' ESCAPE ']'",
    "SELECT 'a\\b' LIKE 'a\\b' ESCAPE '', 'a%b' LIKE 'a%b' ESCAPE '', 'a_b' ILIKE 'A!_B' ESCAPE '!'",
    "SELECT 'a%b' LIKE 'a%%b' ESCAPE '%', 'axb' LIKE 'a%%b' ESCAPE '%', 'ab' LIKE 'a__b' ESCAPE '_'",
    "SELECT 'abc' LIKE 'abc!' ESCAPE '!'",
    "SELECT 'abc' LIKE 'a' ESCAPE 'xy'",
    "SELECT 'line1\nline2' LIKE 'line1_line2', 'line1\nline2' LIKE '%1%2'",
    // Over columns: names hold '.' and spaces, the patterns hold metacharacters.
    "SELECT count(*) FROM emp WHERE name LIKE '%.%'",
    "SELECT count(*) FROM emp WHERE name LIKE '% _.'",
    "SELECT count(*) FROM emp WHERE name ILIKE '%A.%' AND name NOT LIKE '%-%'",
    "SELECT id FROM emp WHERE replace(name, ' ', '-') LIKE '%-_.' ORDER BY id LIMIT 10",
    "SELECT id FROM emp WHERE '(' || name || ')' LIKE '(%)' ORDER BY id LIMIT 5",
    "SELECT id FROM emp WHERE name || '[x]' LIKE '%[x]' ORDER BY id LIMIT 5",
    "SELECT name ~~ '%a%', name !~~ '%a%', name ~~* '%A%', name !~~* '%A%' FROM emp ORDER BY id LIMIT 5",
  );
  return out;
}
