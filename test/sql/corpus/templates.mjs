// Templates of the SQL differential corpus: each family crosses a few lists (predicates,
// expressions, join shapes, aggregates ...) over the tables of data.mjs. Every ORDER BY orders by
// a key or by every output column, so the expected order is total; queries without ORDER BY are
// compared as multisets. See generate.mjs.

import { likePatterns, sublinkPositions } from './templates-positions.mjs';

const cross = (as, bs, f) => as.flatMap((a) => bs.map((b) => f(a, b)));

// ---- 01: scans and filters ------------------------------------------------------------------

const empPredicates = [
  'salary > 50000',
  'salary BETWEEN 30000 AND 60000',
  'salary NOT BETWEEN 30000 AND 140000',
  'salary IS NULL',
  'salary IS NOT NULL AND salary < 25000',
  'bonus < 0',
  'bonus >= 1000.5',
  'bonus = 0',
  'bonus IS NULL OR bonus > 4000',
  'age = 30',
  'age IN (20, 30, 40)',
  'age NOT IN (20, 30, NULL)',
  'age NOT IN (20, 30)',
  'age > 60 AND active',
  'active',
  'NOT active',
  'active IS NOT TRUE',
  'active IS UNKNOWN',
  'active IS FALSE',
  "grade = 'A'",
  "grade = 'D'",
  "grade < 'C'",
  "grade IN ('C1', 'C2')",
  "name LIKE 'A%'",
  "name ILIKE 'a%'",
  "name LIKE '%.'",
  "name NOT LIKE '%e%'",
  "name LIKE '_n%'",
  "name ~ '^[A-D]'",
  "name ~* 'ann'",
  "name !~ '[.]'",
  "name SIMILAR TO '(Ann|Bob)%'",
  "name = 'O''Neil'",
  "name > 'Y'",
  "name BETWEEN 'B' AND 'D'",
  'manager_id IS NULL',
  'manager_id = id - 1',
  'manager_id > dept_id * 3',
  'dept_id = 3 AND age > 40',
  'dept_id = 3 OR age > 65',
  'NOT (dept_id = 3 OR age > 40)',
  'dept_id IS NULL',
  "hired < '2010-01-01'",
  "hired >= '2020-06-01 12:00'",
  "hired::date = '2015-03-01'",
  "hired BETWEEN '2012-01-01' AND '2012-12-31 23:59:59'",
  "hired > now() - interval '100 years'",
  'score > 50',
  'score = 12.5',
  'score < bonus',
  "tags @> '{db}'",
  "'ml' = ANY (tags)",
  "'ml' <> ALL (tags)",
  'cardinality(tags) = 0',
  'tags IS NULL',
  "tags && '{ui,qa}'",
  "info ->> 'note' = 'new'",
  "(info -> 'level')::int > 3",
  "info ? 'skills'",
  'info @> \'{"remote": true}\'',
  "info -> 'skills' @> '[\"db\"]'",
  'id % 7 = 0',
  'coalesce(bonus, 0) > 100',
  'nullif(age, 30) IS NULL',
  'greatest(age, 40) = 40',
  "upper(name) = 'ANN'",
  'length(name) > 6',
  'salary * 2 > 200000',
  'extract(year from hired) = 2019',
  "date_trunc('month', hired) = '2015-03-01'",
  'id = 17',
  'id < 10',
  'id > 290',
  'id BETWEEN 100 AND 110',
  'id IN (1, 5, 99, 1000)',
  '(dept_id, age) = (2, 33)',
  '(dept_id, age) < (2, 33)',
  'age IS DISTINCT FROM 30',
  'bonus IS NOT DISTINCT FROM NULL',
  'CASE WHEN age > 50 THEN active ELSE NOT active END',
];

const numsPredicates = [
  'a > 5',
  'a = b',
  'a < e',
  'c > 0',
  "c = 'NaN'",
  "c < 'Infinity'",
  "c > '-Infinity'",
  'c = 0',
  'd < 0',
  'd > 100.5',
  'e IN (1, 2)',
  'e NOT IN (1, 2)',
  "t LIKE 'a%'",
  "t LIKE 'a\\%b'",
  "t LIKE 'x\\_y'",
  "t = ''",
  't IS NULL',
  "t > 'b'",
  "t = 'alpha'",
  "t = 'alpha '",
  'a IS DISTINCT FROM e',
  'a IS NOT DISTINCT FROM e',
  'b BETWEEN -100 AND 100',
  'c BETWEEN SYMMETRIC 10 AND -10',
  'b > 1000000',
  'b = 9007199254740993',
  'a + e > 10',
  'a * 2 = b',
  'c * 8 = a',
  'd::int = a',
  'c = d',
  'a = c',
  'b = d',
  'NOT (a > 5 AND e < 0)',
  'a > 5 OR t IS NULL',
  'abs(a) < 2',
  'a IN (SELECT e FROM nums WHERE e IS NOT NULL)',
  'a NOT IN (SELECT e FROM nums)',
  'a NOT IN (SELECT e FROM nums WHERE e IS NOT NULL)',
  'coalesce(a, e, 0) = 0',
];

const projPredicates = [
  "starts > '2022-01-01'",
  "starts < '2020-01-01 00:00:00+05'",
  'starts IS NULL',
  "span > interval '1 month'",
  "span = interval '24 hours'",
  "span < '2 days'",
  'code IS NULL',
  "code > '80000000-0000-0000-0000-000000000000'",
  'blob IS NULL',
  "blob = '\\x'",
  'length(blob) > 2',
  'budget > 50000',
  'budget = 1000000',
  'budget < 100',
  "title LIKE 'Echo%'",
  'dept_id IS NULL',
  'dept_id = 12',
  'id > 300',
  "starts + span > '2024-01-01'",
  'extract(hour from starts) < 6',
];

const deptPredicates = [
  "region = 'north'",
  'region IS NULL',
  "region <> 'south'",
  'budget > 100000',
  'budget IS NULL',
  "opened < '2000-01-01'",
  "opened >= '2010-01-01' AND budget < 500000",
  "name IN ('Sales', 'HR', 'Nope')",
  'id > 6',
  'extract(year from opened) BETWEEN 2000 AND 2010',
];

function scans() {
  const out = [];
  for (const p of empPredicates) {
    out.push(`SELECT id, name FROM emp WHERE ${p} ORDER BY id`);
    out.push(`SELECT count(*), sum(salary), min(name) FROM emp WHERE ${p}`);
  }
  for (const p of numsPredicates) {
    out.push(`SELECT a, b, c, d, e, t FROM nums WHERE ${p}`);
    out.push(`SELECT count(*), count(t), sum(a) FROM nums WHERE ${p}`);
  }
  for (const p of projPredicates) {
    out.push(`SELECT id, title, starts, span FROM proj WHERE ${p} ORDER BY id`);
    out.push(`SELECT count(*) FROM proj WHERE ${p}`);
  }
  for (const p of deptPredicates) {
    out.push(`SELECT * FROM dept WHERE ${p} ORDER BY id`);
    out.push(`SELECT count(*), sum(budget) FROM dept WHERE ${p}`);
  }
  out.push('SELECT * FROM emp ORDER BY id');
  out.push('SELECT * FROM proj ORDER BY id');
  out.push('SELECT * FROM work');
  out.push('SELECT * FROM nums');
  out.push('SELECT * FROM dept');
  out.push('SELECT e.* FROM emp e WHERE e.id < 5 ORDER BY 1');
  out.push('SELECT ctid IS NOT NULL FROM dept WHERE id = 1');
  return out;
}

// ---- 02: expressions over columns -------------------------------------------------------------

const empExpressions = [
  'salary + 1',
  'salary * 1.5',
  'salary / 3',
  'salary::int',
  'salary::float8',
  'round(salary / 7, 3)',
  'trunc(salary, -3)',
  'salary % 1000',
  '-salary',
  'bonus * 2',
  'bonus / 3',
  'bonus::numeric',
  'bonus::int',
  'round(bonus)',
  'ceil(bonus)',
  'floor(bonus)',
  'abs(bonus)',
  'sign(bonus)',
  'sqrt(abs(bonus))',
  'bonus + age',
  'bonus - salary',
  'age + 1',
  'age * age',
  'age / 7',
  'age % 7',
  '-age',
  'age::text',
  'age::float4 / 3',
  'power(age, 2)',
  'mod(age, 5)',
  'div(salary, 1000)',
  'age & 6',
  'age << 2',
  'score * 2',
  'score::int',
  'score / 3',
  'score + bonus',
  'salary > 50000',
  'bonus IS NULL',
  'coalesce(bonus, -1)',
  'coalesce(salary, bonus, 0)',
  'nullif(age, 30)',
  'greatest(age, 30, id)',
  'least(bonus, 100)',
  "CASE WHEN age < 30 THEN 'young' WHEN age < 50 THEN 'mid' ELSE 'old' END",
  "CASE grade WHEN 'A' THEN 1 WHEN 'B' THEN 2 END",
  'CASE WHEN active THEN salary ELSE 0 END',
  'CASE WHEN bonus > 100 THEN bonus END',
  "id::text || '-' || name",
  'concat(name, age, active)',
  "concat_ws(',', name, grade, age)",
  "format('%s is %s', name, age)",
  "hired + interval '1 day'",
  "hired - interval '1 month'",
  "age('2025-01-01', hired)",
  "date_part('dow', hired)",
  'extract(epoch from hired)',
  'extract(quarter from hired)',
  "to_char(hired, 'YYYY-MM-DD HH24:MI')",
  'hired::date',
  'hired::time',
  "date_trunc('week', hired)",
  'hired::timestamptz',
  'tags[1]',
  'tags[2:3]',
  'array_length(tags, 1)',
  "array_to_string(tags, '|')",
  "tags || '{x}'::text[]",
  "array_append(tags, 'z')",
  "array_position(tags, 'db')",
  "info -> 'level'",
  "info ->> 'remote'",
  "info #> '{skills,0}'",
  "info #>> '{skills}'",
  'jsonb_typeof(info)',
  `info || '{"k": 1}'`,
  "info - 'note'",
  "jsonb_array_length(info -> 'skills')",
  "grade || '|'",
  'length(grade)',
  'grade::text',
  "grade = 'D'",
  'upper(name)',
  'lower(name)',
  'substr(name, 2, 3)',
  "position('a' in name)",
  "replace(name, 'a', '4')",
  'reverse(name)',
  "lpad(name, 12, '*')",
  'rpad(name, 3)',
  "split_part(name, ' ', 2)",
  'md5(name)',
  'left(name, 2)',
  'right(name, -2)',
  'initcap(name)',
  'name || NULL',
  'octet_length(name)',
  'char_length(name)',
  "translate(name, 'aeiou', 'AEIOU')",
  "regexp_replace(name, '[aeiou]', '_', 'g')",
  "regexp_match(name, '([A-Z])([a-z]+)')",
  "starts_with(name, 'A')",
  "trim(both '.' from name)",
  'ascii(name)',
  'active AND age > 40',
  'active OR age > 40',
  'NOT active',
  'active IS DISTINCT FROM true',
  'bonus::text',
  'salary::text',
  'score::text',
  "to_char(salary, 'FM999,999.00')",
  'salary::numeric(12,4)',
  'salary::numeric(6,0)',
  'salary::varchar(5)',
  'name::char(3)',
  'id::int2',
  'id * 1000000',
  'id * 100000000',
  'age::int2 * 1000',
  'pg_typeof(salary)::text',
  'pg_typeof(age + 1)::text',
  'pg_typeof(bonus + salary)::text',
];

const numsExpressions = [
  'a + b',
  'a * b',
  'b * b',
  'b * 1000',
  'c * 2',
  'c / 0',
  'a / e',
  'a % e',
  'd / e',
  'c::numeric',
  'd::float8',
  'round(d, 1)',
  'round(c)',
  'b::int4',
  'a::bool',
  'c::int',
  'c::int8',
  'abs(b)',
  'b % 7',
  'b / 3',
  '-b',
  'a << 2',
  'a & 3',
  't || a',
  'length(t)',
  'upper(t)',
  't::numeric',
  'coalesce(a, b)',
  'coalesce(c, d)',
  'greatest(a, c)',
  'least(a, b, e)',
  'a = c',
  'd = c',
  'b = d',
  'a IN (1, 2.5)',
  'sqrt(c)',
  'ln(c)',
  'exp(a)',
  'power(a, e)',
  'a::float8 / 3',
  'd * d',
  'd + c',
  'd - a',
  'trunc(d)',
  'ceil(d)',
  'floor(c)',
  'sign(d)',
  'b::numeric / 7',
  'c::text',
  'd::text',
  'e::text',
  'a::text || t',
  'CASE WHEN c > 0 THEN 1 WHEN c < 0 THEN -1 ELSE 0 END',
  "nullif(t, '')",
  'a IS NULL',
  "c = 'NaN'::float8",
  'c > 1e308',
  "to_char(d, 'S9999.999')",
  'width_bucket(c, -100, 100, 10)',
  'gcd(a, e)',
];

function expressions() {
  const out = [];
  for (const e of empExpressions) out.push(`SELECT id, ${e} FROM emp WHERE id <= 40 ORDER BY id`);
  for (const e of numsExpressions) out.push(`SELECT a, b, c, d, e, t, ${e} FROM nums`);
  const constants = [
    '1 + 1',
    '7 / 2',
    '7.0 / 2',
    '-7 / 2',
    '-7 % 3',
    '2 ^ 10',
    '2147483647 + 1',
    '9223372036854775807 + 1',
    '1 / 0',
    '1.0 / 0',
    "'1.5'::float8 / 0",
    '0.1 + 0.2',
    '0.1::float8 + 0.2::float8',
    "'abc' || 123",
    'sqrt(2)',
    "'2024-02-29'::date + 365",
    "'2024-01-31'::date + interval '1 month'",
    "'12:30'::time + interval '1 hour'",
    "interval '1 day' * 1.5",
    "'2024-03-01'::date - '2024-02-01'::date",
    'make_date(2024, 2, 30)',
    "'xyz'::int",
    "'  42 '::int",
    "'1e3'::int",
    "'true'::bool AND 'f'::bool",
    'array[1,2] || 3',
    'array[[1,2],[3,4]]',
    '(array[1,2,3])[2]',
    "'{1,2,3}'::int[] @> '{2}'",
    `'{"a":1}'::jsonb -> 'a'`,
    `'[1,2,3]'::jsonb -> 5`,
    'NULL::int + 1',
    'NULL = NULL',
    'NULL IS NULL',
    'coalesce(NULL, NULL, 3)',
    'greatest(1, NULL, 3)',
    "'a' < 'b'",
    "'B' < 'a'",
    "length('zoë')",
    "octet_length('zoë')",
    "upper('zoë')",
    "lower('ÀB')",
    "substring('hello' from 2 for 3)",
    "substring('hello world' from 'o w')",
    "overlay('hello' placing 'XY' from 2 for 3)",
    "trim('  x  ')",
    "position('lo' in 'hello')",
    '1::numeric(3,1)',
    '99.95::numeric(3,1)',
    '123.456::numeric(5,2)',
    "'abcdef'::varchar(3)",
    "'abc'::char(5) || '|'",
    'round(2.5)',
    'round(-2.5)',
    'round(2.5::float8)',
    'round(3.14159, 2)',
    '10::numeric / 3',
    '1::numeric / 7 * 7',
    'cast(1.23456789012345678 as float8)',
    '1e100::float8 * 1e300::float8',
    "'infinity'::float8 - 'infinity'::float8",
    "'NaN'::numeric > 1",
    '-0.0::float8',
    '(-0.0)::float8::text',
    '2147483647::int4 * 2',
    '(-2147483648)::int4 / -1',
    '(-32768)::int2 * -1',
    '5 BETWEEN 1 AND 10',
    '5 IN (1, NULL)',
    '5 NOT IN (1, NULL)',
    'true IS NOT FALSE',
  ];
  for (const c of constants) out.push(`SELECT ${c}`);
  return out;
}

// ---- 03: aggregates -------------------------------------------------------------------------

const empGroupKeys = [
  'dept_id',
  'grade',
  'active',
  'age / 10',
  'extract(year from hired)',
  'salary > 60000',
  'manager_id IS NULL',
  "coalesce(info ->> 'note', 'none')",
];

const empAggregates = [
  'count(*)',
  'count(bonus)',
  'count(DISTINCT grade)',
  'sum(salary)',
  'avg(salary)',
  'min(name)',
  'max(hired)',
  'sum(bonus)',
  'avg(bonus)',
  'avg(age)',
  'sum(age)',
  'max(score)',
  'min(bonus) FILTER (WHERE active)',
  'count(*) FILTER (WHERE age > 40)',
  "string_agg(name, ',' ORDER BY name, id)",
  'array_agg(id ORDER BY id)',
  'bool_and(active)',
  'bool_or(active)',
  'sum(DISTINCT age)',
  'stddev(salary)',
  'variance(age)',
  'stddev_pop(bonus ORDER BY id)',
  'jsonb_agg(id ORDER BY id)',
  'max(salary) - min(salary)',
  'sum(salary) / count(*)',
  'every(age > 20)',
  'bit_or(age)',
];

function aggregates() {
  const out = [];
  for (const g of empGroupKeys)
    for (const a of empAggregates) out.push(`SELECT ${g} AS g, ${a} FROM emp GROUP BY 1 ORDER BY 1`);
  for (const a of empAggregates) out.push(`SELECT ${a} FROM emp`);
  for (const a of empAggregates) out.push(`SELECT ${a} FROM emp WHERE id < 0`);
  const numsAggregates = [
    'count(*)',
    'count(a)',
    'sum(a)',
    'sum(b)',
    'sum(c)',
    'sum(d)',
    'avg(a)',
    'avg(b)',
    'avg(c)',
    'avg(d)',
    'min(c)',
    'max(c)',
    'min(t)',
    'max(t)',
    'sum(e)',
    'avg(e)',
    'count(DISTINCT a)',
    'count(DISTINCT t)',
    'stddev(a)',
    'var_pop(d)',
    'stddev_samp(c ORDER BY a, b, c, d, e, t)',
    "string_agg(DISTINCT t, ',' ORDER BY t)",
    'array_agg(DISTINCT e ORDER BY e)',
    'max(b) - min(b)',
    'bit_and(e)',
  ];
  for (const a of numsAggregates) {
    out.push(`SELECT ${a} FROM nums`);
    out.push(`SELECT e, ${a} FROM nums GROUP BY e ORDER BY e`);
  }
  const having = [
    'count(*) > 20',
    'sum(salary) > 1000000',
    'avg(age) < 45',
    "min(name) < 'C'",
    'count(*) FILTER (WHERE active) > 10',
    'max(bonus) IS NULL',
  ];
  for (const h of having) {
    out.push(`SELECT dept_id, count(*) FROM emp GROUP BY dept_id HAVING ${h} ORDER BY 1`);
    out.push(`SELECT grade, count(*) FROM emp GROUP BY grade HAVING ${h} ORDER BY 1`);
  }
  out.push('SELECT count(*) FROM emp HAVING count(*) > 1000');
  out.push('SELECT 1 FROM emp HAVING true');
  out.push('SELECT dept_id, name, count(*) FROM emp GROUP BY dept_id, name ORDER BY 1, 2');
  out.push(
    'SELECT d.id, d.name, count(e.id) FROM dept d LEFT JOIN emp e ON e.dept_id = d.id GROUP BY d.id ORDER BY 1',
  );
  out.push('SELECT t, count(*) FROM nums GROUP BY t ORDER BY t');
  out.push('SELECT a % 3 AS k, count(*), sum(b) FROM nums GROUP BY a % 3 ORDER BY 1');
  out.push('SELECT c, count(*) FROM nums GROUP BY c ORDER BY c');
  out.push('SELECT d > 0, count(*) FROM nums GROUP BY 1 ORDER BY 1');
  out.push('SELECT role, count(*), sum(hours), avg(hours) FROM work GROUP BY role ORDER BY role');
  out.push('SELECT tags, count(*) FROM emp GROUP BY tags ORDER BY tags');
  out.push('SELECT span, count(*) FROM proj GROUP BY span ORDER BY span');
  out.push("SELECT info -> 'level', count(*) FROM emp GROUP BY 1 ORDER BY 1");
  out.push('SELECT grade, count(*) FROM emp GROUP BY grade ORDER BY count(*) DESC, grade');
  out.push('SELECT count(*) FROM (SELECT DISTINCT dept_id, grade FROM emp) s');
  return out;
}

// ---- 04: joins ------------------------------------------------------------------------------

const joinKinds = ['JOIN', 'LEFT JOIN', 'RIGHT JOIN', 'FULL JOIN'];
const empDeptConditions = [
  'e.dept_id = d.id',
  'e.dept_id = d.id AND e.age > 40',
  "e.dept_id = d.id AND d.region = 'north'",
  'e.dept_id = d.id OR e.manager_id = d.id',
  'e.dept_id < d.id AND d.id < 3',
  'e.salary > d.budget / 10',
  'e.dept_id = d.id AND e.salary > d.budget / 20',
  'e.id = d.id',
];

function joins() {
  const out = [];
  for (const [k, c] of cross(joinKinds, empDeptConditions, (a, b) => [a, b])) {
    out.push(`SELECT e.id, d.id FROM emp e ${k} dept d ON ${c} ORDER BY 1, 2`);
    out.push(`SELECT count(*), count(e.id), count(d.id), sum(e.salary) FROM emp e ${k} dept d ON ${c}`);
  }
  for (const k of joinKinds) {
    out.push(
      `SELECT e.id, d.name FROM emp e ${k} dept d ON e.dept_id = d.id WHERE d.id IS NULL ORDER BY 1, 2`,
    );
    out.push(`SELECT e.id, d.name FROM emp e ${k} dept d ON e.dept_id = d.id WHERE e.age > 60 ORDER BY 1, 2`);
    out.push(
      `SELECT d.name, count(e.id) FROM dept d ${k} emp e ON e.dept_id = d.id GROUP BY d.name ORDER BY 1`,
    );
    out.push(
      `SELECT w.emp_id, w.proj_id, p.title FROM work w ${k} proj p ON p.id = w.proj_id WHERE w.hours > 35 OR p.id > 580 ORDER BY 1, 2, 3`,
    );
    out.push(
      `SELECT x.a, y.e FROM nums x ${k} (SELECT DISTINCT e FROM nums) y ON x.a = y.e WHERE x.b > 0 ORDER BY 1, 2`,
    );
    out.push(`SELECT count(*) FROM nums x ${k} nums y ON x.a = y.e`);
    out.push(`SELECT count(*), sum(x.c), sum(y.d) FROM nums x ${k} nums y ON x.b = y.b`);
    out.push(`SELECT count(*) FROM nums x ${k} nums y ON x.t = y.t`);
    out.push(`SELECT count(*) FROM nums x ${k} nums y ON x.c = y.d`);
    out.push(
      `SELECT d1.id, d2.id FROM dept d1 ${k} dept d2 ON d1.region = d2.region AND d1.id < d2.id ORDER BY 1, 2`,
    );
  }
  const multi = [
    'SELECT e.id, p.id, w.hours FROM emp e JOIN work w ON w.emp_id = e.id JOIN proj p ON p.id = w.proj_id WHERE e.id < 30 ORDER BY 1, 2',
    'SELECT d.name, count(*), sum(w.hours) FROM dept d JOIN emp e ON e.dept_id = d.id JOIN work w ON w.emp_id = e.id GROUP BY d.name ORDER BY 1',
    'SELECT p.title, count(w.emp_id) FROM proj p LEFT JOIN work w ON w.proj_id = p.id GROUP BY p.title ORDER BY 1',
    'SELECT d.name, p.title FROM dept d JOIN proj p ON p.dept_id = d.id LEFT JOIN work w ON w.proj_id = p.id WHERE w.proj_id IS NULL ORDER BY 1, 2',
    'SELECT e.name, m.name FROM emp e JOIN emp m ON e.manager_id = m.id WHERE e.id < 60 ORDER BY e.id',
    'SELECT e.id, m.id, mm.id FROM emp e LEFT JOIN emp m ON e.manager_id = m.id LEFT JOIN emp mm ON m.manager_id = mm.id WHERE e.id BETWEEN 40 AND 80 ORDER BY 1',
    'SELECT count(*) FROM emp e, dept d WHERE e.dept_id = d.id AND d.budget > 100000',
    'SELECT count(*) FROM emp e, dept d, proj p WHERE e.dept_id = d.id AND p.dept_id = d.id',
    'SELECT count(*) FROM emp e CROSS JOIN dept d',
    'SELECT e.id, d.id FROM emp e CROSS JOIN dept d WHERE e.id < 3 ORDER BY 1, 2',
    'SELECT * FROM work JOIN emp ON emp.id = work.emp_id WHERE emp.id < 20 ORDER BY emp_id, proj_id',
    'SELECT emp_id, proj_id, hours FROM work JOIN (SELECT id AS emp_id, age FROM emp) e USING (emp_id) WHERE age > 60 ORDER BY 1, 2',
    'SELECT id, name, title FROM emp NATURAL JOIN (SELECT dept_id, title FROM proj) p WHERE id < 30 ORDER BY id, title',
    'SELECT dept_id, count(*) FROM emp JOIN proj USING (dept_id) GROUP BY dept_id ORDER BY 1',
    'SELECT dept_id, e.id, p.id FROM emp e FULL JOIN proj p USING (dept_id) WHERE e.id IS NULL OR p.id IS NULL ORDER BY 1, 2, 3',
    'SELECT d.id, x.n FROM dept d, LATERAL (SELECT count(*) AS n FROM emp e WHERE e.dept_id = d.id) x ORDER BY 1',
    'SELECT d.id, x.id FROM dept d LEFT JOIN LATERAL (SELECT e.id FROM emp e WHERE e.dept_id = d.id ORDER BY e.salary DESC NULLS LAST, e.id LIMIT 2) x ON true ORDER BY 1, 2',
    'SELECT d.id, g FROM dept d, generate_series(1, d.id % 3) g ORDER BY 1, 2',
    'SELECT e.id, t FROM emp e, unnest(e.tags) t WHERE e.id < 40 ORDER BY 1, 2',
    'SELECT e.id, t, o FROM emp e, unnest(e.tags) WITH ORDINALITY AS u(t, o) WHERE e.id < 40 ORDER BY 1, 3',
    'SELECT a.id, b.id FROM emp a JOIN emp b ON a.name = b.name AND a.id < b.id ORDER BY 1, 2',
    'SELECT count(*) FROM emp a JOIN emp b ON a.salary = b.salary AND a.id <> b.id',
    'SELECT count(*) FROM emp a JOIN emp b ON a.hired::date = b.hired::date AND a.id < b.id',
    'SELECT count(*) FROM emp a JOIN emp b ON a.grade = b.grade',
    'SELECT count(*) FROM emp e JOIN work w ON w.emp_id = e.id AND w.hours > e.age',
    'SELECT e.id FROM emp e JOIN work w ON w.emp_id = e.id GROUP BY e.id HAVING count(*) > 4 ORDER BY 1',
    'SELECT p.id, sum(w.hours) FROM proj p JOIN work w ON w.proj_id = p.id JOIN emp e ON e.id = w.emp_id JOIN dept d ON d.id = e.dept_id WHERE d.region IS NOT NULL GROUP BY p.id ORDER BY 1',
    'SELECT count(*) FROM work w JOIN proj p ON p.id = w.proj_id JOIN dept d ON d.id = p.dept_id JOIN emp e ON e.id = w.emp_id AND e.dept_id = d.id',
    'SELECT x.a, count(*) FROM nums x JOIN nums y ON x.a = y.a JOIN nums z ON y.e = z.e WHERE x.a < 0 GROUP BY x.a ORDER BY 1',
    'SELECT count(*) FROM emp e JOIN dept d ON e.dept_id = d.id JOIN proj p ON p.dept_id = d.id JOIN work w ON w.proj_id = p.id AND w.emp_id = e.id',
  ];
  out.push(...multi);
  return out;
}

// ---- 05: subqueries -------------------------------------------------------------------------

function subqueries() {
  const out = [];
  const shapes = [
    'SELECT id FROM emp e WHERE EXISTS (SELECT 1 FROM work w WHERE w.emp_id = e.id AND w.hours > 30) ORDER BY id',
    'SELECT id FROM emp e WHERE NOT EXISTS (SELECT 1 FROM work w WHERE w.emp_id = e.id) ORDER BY id',
    "SELECT id FROM emp WHERE id IN (SELECT emp_id FROM work WHERE role = 'lead') ORDER BY id",
    'SELECT id FROM emp WHERE id NOT IN (SELECT emp_id FROM work) ORDER BY id',
    'SELECT id FROM emp WHERE dept_id NOT IN (SELECT dept_id FROM proj) ORDER BY id',
    'SELECT id FROM emp WHERE dept_id NOT IN (SELECT dept_id FROM proj WHERE dept_id IS NOT NULL) ORDER BY id',
    "SELECT id FROM emp WHERE dept_id IN (SELECT id FROM dept WHERE region = 'east') ORDER BY id",
    'SELECT id, (SELECT name FROM dept d WHERE d.id = e.dept_id) FROM emp e WHERE id < 50 ORDER BY id',
    'SELECT id, (SELECT count(*) FROM work w WHERE w.emp_id = e.id) FROM emp e WHERE id < 50 ORDER BY id',
    'SELECT id, (SELECT max(hours) FROM work w WHERE w.emp_id = e.id) FROM emp e WHERE id < 50 ORDER BY id',
    'SELECT id FROM emp e WHERE salary > (SELECT avg(salary) FROM emp x WHERE x.dept_id = e.dept_id) ORDER BY id',
    'SELECT id FROM emp WHERE salary > (SELECT avg(salary) FROM emp) ORDER BY id',
    'SELECT id FROM emp WHERE salary > ALL (SELECT salary FROM emp WHERE dept_id = 2) ORDER BY id',
    'SELECT id FROM emp WHERE salary > ANY (SELECT budget / 10 FROM dept) ORDER BY id',
    'SELECT id FROM emp WHERE age = ANY (SELECT e FROM nums) ORDER BY id',
    'SELECT id FROM emp WHERE age <> ALL (SELECT a FROM nums WHERE a IS NOT NULL) ORDER BY id',
    'SELECT id FROM emp WHERE (dept_id, grade) IN (SELECT dept_id, grade FROM emp WHERE age > 65) ORDER BY id',
    'SELECT (SELECT 1 FROM emp)',
    'SELECT (SELECT id FROM emp WHERE id = 3)',
    'SELECT (SELECT id FROM emp WHERE id = -3)',
    'SELECT ARRAY(SELECT id FROM emp WHERE id < 8 ORDER BY id DESC)',
    'SELECT d.id, ARRAY(SELECT e.id FROM emp e WHERE e.dept_id = d.id AND e.age > 60 ORDER BY e.id) FROM dept d ORDER BY 1',
    'SELECT EXISTS (SELECT 1 FROM emp WHERE age > 100)',
    'SELECT count(*) FROM emp WHERE EXISTS (SELECT 1 FROM dept)',
    'SELECT id FROM dept d WHERE (SELECT count(*) FROM emp e WHERE e.dept_id = d.id) > 25 ORDER BY id',
    'SELECT * FROM (SELECT dept_id, max(salary) AS m FROM emp GROUP BY dept_id) s WHERE m > 140000 ORDER BY 1',
    'SELECT s.g, s.n FROM (SELECT grade AS g, count(*) AS n FROM emp GROUP BY grade) s ORDER BY s.n DESC, s.g',
    'SELECT id FROM emp e WHERE EXISTS (SELECT 1 FROM emp m WHERE m.id = e.manager_id AND m.manager_id IS NULL) ORDER BY id',
    'SELECT id FROM emp e WHERE e.id IN (SELECT w.emp_id FROM work w WHERE w.proj_id IN (SELECT p.id FROM proj p WHERE p.budget > 50000)) ORDER BY id',
    'SELECT a, b FROM nums WHERE a IN (SELECT e FROM nums) AND b > 0',
    'SELECT a FROM nums WHERE a NOT IN (SELECT e FROM nums WHERE e > 0)',
    'SELECT t FROM nums WHERE t IN (SELECT t FROM nums WHERE a > 15)',
    "SELECT id, CASE WHEN EXISTS (SELECT 1 FROM work w WHERE w.emp_id = e.id) THEN 'busy' ELSE 'free' END FROM emp e WHERE id < 30 ORDER BY id",
    'SELECT id FROM emp e WHERE (SELECT count(*) FROM work w WHERE w.emp_id = e.id) = 0 ORDER BY id',
    "SELECT id, (SELECT string_agg(role, ',' ORDER BY role) FROM work w WHERE w.emp_id = e.id) FROM emp e WHERE id < 30 ORDER BY id",
    "SELECT count(*) FROM emp e WHERE e.salary < (SELECT min(budget) FROM dept WHERE region = 'north')",
    'SELECT id FROM proj p WHERE NOT EXISTS (SELECT 1 FROM work w WHERE w.proj_id = p.id AND w.hours IS NULL) ORDER BY id',
    'SELECT (SELECT max(id) FROM emp) - (SELECT min(id) FROM emp)',
    'SELECT id FROM emp WHERE id = (SELECT max(emp_id) FROM work)',
    'SELECT id FROM emp e WHERE 40 < (SELECT sum(hours) FROM work w WHERE w.emp_id = e.id) ORDER BY id',
  ];
  out.push(...shapes);
  const inners = [
    'hours > 20',
    'role IS NULL',
    "role = 'dev'",
    'proj_id > 300',
    'hours IS NULL',
    'true',
    'false',
  ];
  for (const i of inners) {
    out.push(`SELECT count(*) FROM emp e WHERE EXISTS (SELECT 1 FROM work w WHERE w.emp_id = e.id AND ${i})`);
    out.push(
      `SELECT count(*) FROM emp e WHERE NOT EXISTS (SELECT 1 FROM work w WHERE w.emp_id = e.id AND ${i})`,
    );
    out.push(`SELECT count(*) FROM emp e WHERE e.id IN (SELECT w.emp_id FROM work w WHERE ${i})`);
    out.push(`SELECT count(*) FROM emp e WHERE e.id NOT IN (SELECT w.emp_id FROM work w WHERE ${i})`);
    out.push(`SELECT count(*) FROM emp e WHERE e.age > ANY (SELECT w.hours FROM work w WHERE ${i})`);
    out.push(`SELECT count(*) FROM emp e WHERE e.age > ALL (SELECT w.hours FROM work w WHERE ${i})`);
  }
  return out;
}

// ---- 06: set operations ---------------------------------------------------------------------

function setOperations() {
  const sides = [
    'SELECT dept_id FROM emp',
    'SELECT id FROM dept',
    'SELECT dept_id FROM proj',
    'SELECT a FROM nums',
    'SELECT e FROM nums',
  ];
  const ops = ['UNION', 'UNION ALL', 'INTERSECT', 'INTERSECT ALL', 'EXCEPT', 'EXCEPT ALL'];
  const out = [];
  for (const op of ops) {
    for (let i = 0; i < sides.length; i++) {
      for (let j = 0; j < sides.length; j++) {
        if (i === j && op !== 'EXCEPT ALL' && op !== 'INTERSECT') continue;
        out.push(`${sides[i]} ${op} ${sides[j]}`);
      }
    }
  }
  out.push('SELECT grade FROM emp UNION SELECT region FROM dept ORDER BY 1');
  out.push('SELECT name FROM emp WHERE id < 5 UNION ALL SELECT name FROM dept ORDER BY 1');
  out.push('SELECT 1 UNION SELECT 2 UNION SELECT 1 ORDER BY 1');
  out.push("SELECT 1, 'a' UNION ALL SELECT 2, NULL ORDER BY 1");
  out.push('SELECT a FROM nums UNION SELECT b FROM nums ORDER BY 1 LIMIT 5');
  out.push('SELECT c FROM nums UNION SELECT d FROM nums ORDER BY 1 DESC LIMIT 5');
  out.push('SELECT t FROM nums INTERSECT SELECT name FROM emp');
  out.push('SELECT tags FROM emp EXCEPT SELECT tags FROM emp WHERE id > 10');
  out.push(
    '(SELECT id FROM emp ORDER BY id LIMIT 3) UNION ALL (SELECT id FROM dept ORDER BY id DESC LIMIT 2)',
  );
  out.push(
    'SELECT id, name FROM emp WHERE id < 4 UNION SELECT id, name FROM dept WHERE id < 4 ORDER BY 1, 2',
  );
  out.push("SELECT 1 UNION SELECT 'a'");
  out.push('SELECT 1, 2 UNION SELECT 1');
  out.push('SELECT count(*) FROM (SELECT dept_id FROM emp UNION SELECT dept_id FROM proj) s');
  out.push(
    'SELECT x FROM (SELECT age AS x FROM emp UNION ALL SELECT hours FROM work) s GROUP BY x HAVING count(*) > 30 ORDER BY x',
  );
  out.push('SELECT hired::date FROM emp WHERE id < 10 UNION SELECT opened FROM dept ORDER BY 1');
  out.push("SELECT span FROM proj UNION SELECT interval '24 hours' ORDER BY 1");
  return out;
}

// ---- 07: window functions -------------------------------------------------------------------

function windows() {
  const fns = [
    'row_number() OVER (ORDER BY id)',
    'row_number() OVER (PARTITION BY dept_id ORDER BY salary, id)',
    'rank() OVER (ORDER BY age)',
    'rank() OVER (PARTITION BY grade ORDER BY age DESC)',
    'dense_rank() OVER (ORDER BY grade)',
    'percent_rank() OVER (ORDER BY age)',
    'cume_dist() OVER (PARTITION BY dept_id ORDER BY age)',
    'ntile(4) OVER (ORDER BY id)',
    'lag(salary) OVER (ORDER BY id)',
    'lead(name, 2) OVER (ORDER BY id)',
    'lag(age, 1, -1) OVER (PARTITION BY dept_id ORDER BY id)',
    'first_value(name) OVER (PARTITION BY dept_id ORDER BY id)',
    'last_value(name) OVER (PARTITION BY dept_id ORDER BY id)',
    'last_value(name) OVER (PARTITION BY dept_id ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)',
    'nth_value(id, 2) OVER (PARTITION BY grade ORDER BY id)',
    'sum(salary) OVER (PARTITION BY dept_id)',
    'sum(salary) OVER (ORDER BY id)',
    'sum(age) OVER (ORDER BY age)',
    'avg(bonus) OVER (PARTITION BY grade ORDER BY id ROWS BETWEEN 2 PRECEDING AND 1 FOLLOWING)',
    'count(*) OVER (PARTITION BY active)',
    'count(bonus) OVER (ORDER BY id ROWS BETWEEN 5 PRECEDING AND CURRENT ROW)',
    'max(salary) OVER (ORDER BY age RANGE BETWEEN 2 PRECEDING AND 2 FOLLOWING)',
    'min(id) OVER (ORDER BY age GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING)',
    'sum(id) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING EXCLUDE CURRENT ROW)',
    'sum(age) OVER (ORDER BY age, id ROWS UNBOUNDED PRECEDING)',
    'count(*) OVER ()',
    'sum(salary) FILTER (WHERE active) OVER (PARTITION BY dept_id)',
    'array_agg(id) OVER (PARTITION BY dept_id ORDER BY id ROWS BETWEEN CURRENT ROW AND 2 FOLLOWING)',
    "string_agg(name, ',') OVER (ORDER BY id ROWS 2 PRECEDING)",
    'rank() OVER w',
  ];
  const out = [];
  for (const f of fns) {
    const w = f.endsWith(' w') ? ' WINDOW w AS (PARTITION BY dept_id ORDER BY age)' : '';
    out.push(`SELECT id, ${f} FROM emp WHERE id <= 120${w} ORDER BY id`);
  }
  const more = [
    'SELECT dept_id, sum(salary), rank() OVER (ORDER BY sum(salary) DESC NULLS LAST) FROM emp GROUP BY dept_id ORDER BY 1',
    'SELECT id, age, avg(age) OVER (PARTITION BY dept_id) - age FROM emp WHERE id < 50 ORDER BY id',
    'SELECT * FROM (SELECT id, dept_id, row_number() OVER (PARTITION BY dept_id ORDER BY salary DESC NULLS LAST, id) AS r FROM emp) s WHERE r <= 2 ORDER BY dept_id, r',
    'SELECT a, b, sum(c) OVER (PARTITION BY a ORDER BY b) FROM nums WHERE a > 15',
    'SELECT e, t, count(*) OVER (PARTITION BY e, t) FROM nums',
    'SELECT a, lag(a) OVER (ORDER BY a NULLS FIRST, b, c, d, e, t) FROM nums WHERE a < 0',
    "SELECT hired::date, sum(bonus) OVER (ORDER BY hired RANGE BETWEEN INTERVAL '30 days' PRECEDING AND CURRENT ROW) FROM emp WHERE id < 80 ORDER BY id",
    'SELECT id, ntile(3) OVER (ORDER BY id), ntile(7) OVER (ORDER BY id DESC) FROM emp WHERE id < 20 ORDER BY id',
    'SELECT id, row_number() OVER (ORDER BY id DESC) FROM emp ORDER BY id LIMIT 5',
    'SELECT grade, count(*) OVER (PARTITION BY grade) FROM emp WHERE id < 30 ORDER BY id',
    'SELECT id, sum(hours) OVER (PARTITION BY emp_id ORDER BY proj_id) FROM work JOIN emp ON emp.id = work.emp_id WHERE emp.id < 30 ORDER BY id, proj_id',
    'SELECT id, first_value(id) OVER (ORDER BY score DESC NULLS LAST, id) FROM emp WHERE id < 30 ORDER BY id',
    'SELECT id, dense_rank() OVER (ORDER BY tags) FROM emp WHERE id < 40 ORDER BY id',
  ];
  out.push(...more);
  return out;
}

// ---- 08: WITH and WITH RECURSIVE ------------------------------------------------------------

function ctes() {
  return [
    'WITH d AS (SELECT * FROM dept WHERE region IS NOT NULL) SELECT e.id FROM emp e JOIN d ON d.id = e.dept_id WHERE e.id < 40 ORDER BY 1',
    'WITH s AS (SELECT dept_id, avg(salary) AS a FROM emp GROUP BY dept_id) SELECT e.id FROM emp e JOIN s USING (dept_id) WHERE e.salary > s.a * 1.5 ORDER BY 1',
    'WITH x AS (SELECT 1 AS n), y AS (SELECT n + 1 AS n FROM x) SELECT * FROM x, y',
    'WITH t AS MATERIALIZED (SELECT id FROM emp WHERE age > 60) SELECT count(*) FROM t a, t b WHERE a.id < b.id',
    'WITH t AS NOT MATERIALIZED (SELECT id FROM emp WHERE age > 60) SELECT count(*) FROM t',
    'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT n FROM r ORDER BY n',
    'WITH RECURSIVE r(n) AS (SELECT 1 UNION SELECT n % 5 + 1 FROM r) SELECT n FROM r ORDER BY n',
    'WITH RECURSIVE chain(id, manager_id, depth) AS (SELECT id, manager_id, 0 FROM emp WHERE id = 250 UNION ALL SELECT e.id, e.manager_id, c.depth + 1 FROM emp e JOIN chain c ON e.id = c.manager_id) SELECT * FROM chain ORDER BY depth',
    'WITH RECURSIVE sub(id, lvl) AS (SELECT id, 0 FROM emp WHERE manager_id IS NULL AND id <= 5 UNION ALL SELECT e.id, s.lvl + 1 FROM emp e JOIN sub s ON e.manager_id = s.id WHERE s.lvl < 3) SELECT lvl, count(*) FROM sub GROUP BY lvl ORDER BY lvl',
    'WITH RECURSIVE fib(a, b, i) AS (SELECT 0::numeric, 1::numeric, 0 UNION ALL SELECT b, a + b, i + 1 FROM fib WHERE i < 90) SELECT a FROM fib WHERE i IN (10, 50, 90) ORDER BY a',
    "WITH RECURSIVE s(x) AS (SELECT 'a'::text UNION ALL SELECT x || 'b' FROM s WHERE length(x) < 5) SELECT x FROM s ORDER BY x",
    'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT a.n, b.n FROM r a, r b ORDER BY 1, 2',
    'WITH a AS (SELECT dept_id FROM emp), b AS (SELECT dept_id FROM a GROUP BY dept_id) SELECT count(*) FROM b',
    'WITH w AS (SELECT emp_id, sum(hours) AS h FROM work GROUP BY emp_id) SELECT e.name, w.h FROM w JOIN emp e ON e.id = w.emp_id WHERE w.h > 90 ORDER BY e.id',
    "WITH x(a, b) AS (VALUES (1, 'x'), (2, 'y')) SELECT * FROM x ORDER BY a",
    'WITH x AS (SELECT 1) SELECT * FROM x x1 JOIN x x2 ON true',
    'WITH RECURSIVE t(n) AS (VALUES (1) UNION ALL SELECT n * 2 FROM t WHERE n < 1000) SELECT sum(n), count(*) FROM t',
    "WITH RECURSIVE g(d) AS (SELECT date '2024-01-01' UNION ALL SELECT (d + 7) FROM g WHERE d < date '2024-03-01') SELECT d FROM g ORDER BY d",
    'WITH q AS (SELECT * FROM nums WHERE a IS NULL) SELECT count(*), count(b) FROM q',
    'WITH RECURSIVE bad(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM bad) SELECT * FROM bad LIMIT 3',
  ];
}

// ---- 09: ORDER BY, LIMIT, DISTINCT ---------------------------------------------------------

function ordering() {
  const out = [];
  const orders = [
    'salary, id',
    'salary DESC, id',
    'salary NULLS FIRST, id',
    'salary DESC NULLS LAST, id',
    'bonus, id',
    'bonus DESC, id DESC',
    'name, id',
    'name DESC, id',
    'grade, age, id',
    'grade DESC NULLS LAST, id',
    'hired, id',
    'hired DESC, id',
    'active, id',
    'score DESC, id',
    'tags, id',
    'info, id',
    'dept_id, salary DESC, id',
    'age % 10, id',
    'length(name), name, id',
    'coalesce(bonus, 0) DESC, id',
  ];
  for (const o of orders) {
    out.push(`SELECT id FROM emp ORDER BY ${o}`);
    out.push(`SELECT id FROM emp ORDER BY ${o} LIMIT 7`);
    out.push(`SELECT id FROM emp ORDER BY ${o} LIMIT 5 OFFSET 100`);
  }
  const numOrders = [
    'a, b, c, d, e, t',
    'c, a, b, d, e, t',
    'c DESC, a, b, d, e, t',
    'd, a, b, c, e, t',
    't, a, b, c, d, e',
    't DESC NULLS LAST, a, b, c, d, e',
    'b DESC, a, c, d, e, t',
  ];
  for (const o of numOrders) {
    out.push(`SELECT * FROM nums ORDER BY ${o}`);
    out.push(`SELECT * FROM nums ORDER BY ${o} LIMIT 10`);
  }
  const rest = [
    'SELECT DISTINCT dept_id FROM emp',
    'SELECT DISTINCT grade, active FROM emp',
    'SELECT DISTINCT a FROM nums ORDER BY a',
    'SELECT DISTINCT c FROM nums',
    'SELECT DISTINCT t FROM nums',
    'SELECT DISTINCT d::int FROM nums',
    'SELECT DISTINCT tags FROM emp',
    'SELECT DISTINCT info FROM emp',
    'SELECT DISTINCT span FROM proj',
    'SELECT DISTINCT grade FROM emp ORDER BY grade',
    'SELECT DISTINCT ON (dept_id) dept_id, id, salary FROM emp ORDER BY dept_id, salary DESC NULLS LAST, id',
    'SELECT DISTINCT ON (grade) grade, name FROM emp ORDER BY grade, name, id',
    'SELECT DISTINCT ON (a) a, b FROM nums ORDER BY a, b DESC NULLS LAST',
    'SELECT count(DISTINCT (grade, active)) FROM emp',
    'SELECT id FROM emp ORDER BY id LIMIT 0',
    'SELECT id FROM emp ORDER BY id OFFSET 295',
    'SELECT id FROM emp ORDER BY id LIMIT ALL OFFSET 298',
    'SELECT id FROM emp ORDER BY id FETCH FIRST 3 ROWS ONLY',
    'SELECT * FROM (SELECT id, age FROM emp ORDER BY age FETCH FIRST 3 ROWS WITH TIES) s ORDER BY id',
    'SELECT id FROM emp ORDER BY id LIMIT -1',
    'SELECT id FROM emp ORDER BY id OFFSET -1',
    'SELECT id FROM emp ORDER BY id LIMIT NULL',
    'SELECT name AS n FROM emp ORDER BY n, id',
    'SELECT id, age * 2 AS x FROM emp ORDER BY x, id',
    'SELECT id FROM emp ORDER BY 1 DESC LIMIT 3',
    'SELECT id FROM emp ORDER BY 2',
    'SELECT dept_id, count(*) FROM emp GROUP BY dept_id ORDER BY count(*) DESC, dept_id LIMIT 3',
    'SELECT id FROM emp ORDER BY (SELECT 1), id LIMIT 2',
    'SELECT name FROM emp ORDER BY name USING <, id LIMIT 5',
    'SELECT code FROM proj ORDER BY code',
    'SELECT blob FROM proj ORDER BY blob, id',
    'SELECT span FROM proj ORDER BY span, id',
    'SELECT starts FROM proj ORDER BY starts DESC, id',
    'SELECT budget FROM proj ORDER BY budget, id',
  ];
  out.push(...rest);
  return out;
}

// ---- 10: JSON, arrays and set-returning functions --------------------------------------------

function jsonAndArrays() {
  const out = [];
  const jsonExprs = [
    "info -> 'skills'",
    "info -> 'skills' -> 0",
    "info ->> 'level'",
    "(info ->> 'level')::int * 10",
    "info #>> '{skills,1}'",
    "info ? 'note'",
    "info ?| array['note', 'skills']",
    "info ?& array['level', 'remote']",
    'info @> \'{"level": 2}\'',
    '\'{"level": 2}\' <@ info',
    "jsonb_typeof(info -> 'remote')",
    "jsonb_build_object('id', id, 'name', name)",
    'jsonb_build_array(id, name, salary)',
    'to_jsonb(name)',
    'to_jsonb(salary)',
    'to_jsonb(hired)',
    'to_jsonb(tags)',
    "jsonb_set(info, '{level}', '0')",
    "jsonb_strip_nulls(jsonb_build_object('a', bonus))",
    'info::text',
    "info -> 'nope'",
    'jsonb_pretty(info)',
    'row_to_json(row(id, name))::text',
    "json_build_object('a', age)::text",
  ];
  for (const j of jsonExprs) out.push(`SELECT id, ${j} FROM emp WHERE id <= 30 ORDER BY id`);
  const srf = [
    'SELECT jsonb_object_keys(info) AS k, count(*) FROM emp GROUP BY k ORDER BY k',
    'SELECT id, k, v FROM emp, jsonb_each(info) AS x(k, v) WHERE id < 20 ORDER BY id, k',
    "SELECT id, v FROM emp, jsonb_array_elements_text(info -> 'skills') v WHERE id < 40 ORDER BY id, v",
    'SELECT jsonb_array_elements(\'[1, "a", null, {"b": 2}]\')',
    'SELECT * FROM jsonb_each_text(\'{"a": 1, "b": "x", "c": null}\')',
    'SELECT unnest(ARRAY[3, 1, 2])',
    'SELECT unnest(tags) AS t, count(*) FROM emp GROUP BY t ORDER BY t',
    'SELECT id, unnest(tags) FROM emp WHERE id < 20 ORDER BY 1, 2',
    'SELECT generate_series(1, 5)',
    'SELECT generate_series(10, 1, -3)',
    'SELECT * FROM generate_series(1, 3) AS g(n) JOIN generate_series(2, 4) AS h(m) ON n = m',
    "SELECT * FROM generate_series('2024-01-01'::timestamp, '2024-01-03', '12 hours')",
    'SELECT * FROM generate_series(1, 10) WITH ORDINALITY AS g(v, o) WHERE v % 3 = 0',
    'SELECT g, g * 2 FROM generate_series(1, 4) g ORDER BY 1',
    'SELECT count(*) FROM generate_series(1, 1000) g WHERE g % 7 = 3',
    'SELECT sum(g) FROM generate_series(1, 100) g',
    'SELECT generate_series(1, 3), generate_series(1, 2)',
    "SELECT regexp_split_to_table('a,b,,c', ',')",
    "SELECT string_to_array('a,b,c', ',')",
    'SELECT array_agg(x ORDER BY x DESC) FROM unnest(ARRAY[5, 3, 9]) x',
    'SELECT jsonb_agg(DISTINCT grade) FROM emp',
    'SELECT jsonb_object_agg(id, name) FROM emp WHERE id < 5',
    'SELECT json_agg(age ORDER BY id) FROM emp WHERE id < 10',
    'SELECT array_agg(tags ORDER BY id) FROM emp WHERE id < 6 AND tags IS NOT NULL AND cardinality(tags) = 2',
  ];
  out.push(...srf);
  const arrayExprs = [
    'tags',
    'tags[1]',
    'tags[0]',
    'tags[1:2]',
    'array_length(tags, 1)',
    'array_upper(tags, 1)',
    'array_ndims(tags)',
    'array_dims(tags)',
    "array_remove(tags, 'db')",
    "array_replace(tags, 'db', 'DB')",
    "array_prepend('p', tags)",
    'array_cat(tags, tags)',
    "tags = '{db}'",
    "tags < '{m}'",
    "tags <@ '{db,ml,ops}'",
    "array_positions(tags, 'ml')",
    'cardinality(tags)',
    'ARRAY[id, age]',
    'ARRAY[name, grade]',
    'ARRAY[salary] || bonus::numeric',
  ];
  for (const a of arrayExprs) out.push(`SELECT id, ${a} FROM emp WHERE id <= 30 ORDER BY id`);
  return out;
}

// ---- 11: errors -----------------------------------------------------------------------------

function errors() {
  return [
    'SELECT nope FROM emp',
    'SELECT * FROM nope',
    'SELECT e.nope FROM emp e',
    'SELECT x.id FROM emp e',
    'SELECT id FROM emp, work',
    'SELECT emp_id FROM work, work w2',
    'SELECT id FROM emp WHERE salary',
    'SELECT id FROM emp WHERE name > 5',
    'SELECT id + name FROM emp',
    "SELECT 'a' + 1",
    'SELECT nosuchfunc(1)',
    'SELECT lower(1)',
    'SELECT name, count(*) FROM emp',
    'SELECT id FROM emp GROUP BY dept_id',
    'SELECT count(count(*)) FROM emp',
    'SELECT sum(name) FROM emp',
    'SELECT id FROM emp WHERE count(*) > 1',
    'SELECT 1 / 0',
    'SELECT id / (age - age) FROM emp',
    "SELECT 'abc'::int",
    "SELECT '2024-13-01'::date",
    "SELECT 'x'::uuid",
    "SELECT '{'::int[]",
    "SELECT '{bad'::jsonb",
    'SELECT (SELECT id FROM emp)',
    'SELECT id FROM emp WHERE id = (SELECT id FROM emp)',
    'SELECT 2147483647 + 1',
    'SELECT 32767::int2 + 1::int2',
    'SELECT 1e400::float8',
    'SELECT sqrt(-1)',
    'SELECT ln(0)',
    "SELECT 'abcdef'::varchar(3)",
    'SELECT id FROM emp ORDER BY 5',
    'SELECT DISTINCT name FROM emp ORDER BY age',
    'SELECT 1 UNION SELECT 1, 2',
    'SELECT * FROM emp JOIN dept USING (nope)',
    "SELECT id FROM emp LIMIT 'a'",
    'SELECT row_number() FROM emp',
    'SELECT rank() OVER (ORDER BY id) FROM emp WHERE rank() OVER () > 1',
    'SELECT $1',
    'SELECT id FROM emp e JOIN emp e ON true',
    'SELECT unnest(1)',
    'SELECT generate_series(1, 3, 0)',
    'SELECT ntile(0) OVER (ORDER BY id) FROM emp',
    "SELECT array[1, 'a']",
    'SELECT (1, 2) = (1, 2, 3)',
    "SELECT info -> 1 -> 2 FROM emp WHERE id = 1 AND info::text = 'x'",
    "SELECT CASE WHEN true THEN 1 ELSE 'x' END",
    "SELECT CASE 1 WHEN 'a' THEN 1 END",
    "SELECT COALESCE(1, 'x')",
    'SELECT 5 % 0',
    'SELECT (-9223372036854775808)::int8 / -1',
    'SELECT abs(-2147483648::int4)',
    "SELECT repeat('x', -1)",
    "SELECT substring('abc' from 1 for -1)",
    "SELECT '2024-01-01'::timestamp + 'x'::interval",
    'SELECT make_date(2024, 13, 1)',
    "SELECT to_date('2024-99-01', 'YYYY-MM-DD')",
    "SELECT date_trunc('fortnight', now())",
    'SELECT extract(nope from now())',
    "SELECT 'a' LIKE 'a' ESCAPE 'xx'",
    "SELECT regexp_replace('a', '(', 'b')",
    'SELECT min(tags) FROM emp GROUP BY id ORDER BY info, id',
    'SELECT id FROM emp WHERE id IN (SELECT id, name FROM emp)',
    'SELECT * FROM generate_series(1, 2) g(a, b)',
    'SELECT grouping(id) FROM emp',
    'SELECT lag(id, -1) OVER () FROM emp WHERE id = 1',
    'SELECT nth_value(id, 0) OVER () FROM emp',
    'SELECT id FROM emp WHERE tags[1:2:3] IS NULL',
  ];
}

// ---- 12: data-modifying statements (run in a rolled-back transaction) ------------------------

function dml() {
  return [
    "INSERT INTO dept VALUES (100, 'New', 'north', 1.5, '2024-01-01') RETURNING *",
    "INSERT INTO dept (id, name) VALUES (101, 'A'), (102, 'B') RETURNING id, name, region",
    "INSERT INTO dept (id, name, budget) VALUES (103, 'C', 12345.678) RETURNING budget",
    "INSERT INTO dept (id, name, budget) VALUES (104, 'D', 1e12) RETURNING budget",
    "INSERT INTO dept (id, name, region) VALUES (105, 'E', 'a very long region name') RETURNING region",
    "INSERT INTO dept (id, name) VALUES (1, 'dup') RETURNING id",
    "INSERT INTO dept (id, name) VALUES (106, 'Sales')",
    'INSERT INTO dept (id) VALUES (107)',
    "INSERT INTO emp (id, dept_id, name) VALUES (1000, 99, 'x')",
    "INSERT INTO emp (id, dept_id, name) VALUES (1000, NULL, 'x') RETURNING id, dept_id, salary",
    "INSERT INTO emp (id, name, age) VALUES (1001, 'y', 40000)",
    "INSERT INTO emp (id, name, grade) VALUES (1002, 'z', 'ABC')",
    "INSERT INTO emp (id, name, grade) VALUES (1003, 'z', 'A   ') RETURNING grade, length(grade)",
    "INSERT INTO emp (id, name, tags, info) VALUES (1004, 'w', '{a,b}', '{\"x\": [1, 2]}') RETURNING tags, info",
    "INSERT INTO dept SELECT id + 200, name || '2', region, budget, opened FROM dept RETURNING id, name",
    "INSERT INTO dept (id, name) VALUES (1, 'x') ON CONFLICT DO NOTHING RETURNING id",
    "INSERT INTO dept (id, name) VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET name = excluded.name || '!' RETURNING id, name",
    "INSERT INTO dept (id, name) VALUES (2, 'y') ON CONFLICT (id) DO UPDATE SET budget = dept.budget + 1 WHERE dept.region = 'north' RETURNING id, budget",
    "INSERT INTO dept (id, name) VALUES (300, 'HR') ON CONFLICT (name) DO NOTHING RETURNING id",
    "INSERT INTO nums VALUES (1, 2, 3, 4, 5, 'six'), (NULL, NULL, NULL, NULL, NULL, NULL) RETURNING *",
    'INSERT INTO nums (a) VALUES (2147483648)',
    'INSERT INTO nums (d) VALUES (123456.7) RETURNING d',
    'INSERT INTO nums (d) VALUES (12345.6789) RETURNING d',
    "INSERT INTO nums (e) VALUES ('12') RETURNING e",
    "INSERT INTO nums (c) VALUES ('abc')",
    "INSERT INTO work VALUES (1, 10, 5, 'dev') RETURNING *",
    'UPDATE emp SET salary = salary * 1.1 WHERE dept_id = 3 RETURNING id, salary',
    'UPDATE emp SET age = age + 1, active = NOT active WHERE id < 10 RETURNING id, age, active',
    'UPDATE emp SET name = NULL WHERE id = 1',
    'UPDATE emp SET dept_id = 99 WHERE id = 1',
    "UPDATE emp SET grade = 'toolong' WHERE id = 1",
    'UPDATE emp SET salary = 1e9 WHERE id = 1',
    "UPDATE emp e SET bonus = d.budget FROM dept d WHERE d.id = e.dept_id AND d.region = 'south' RETURNING e.id, e.bonus",
    'UPDATE dept SET id = id + 1000 WHERE id = 12 RETURNING id',
    'UPDATE dept SET id = 1 WHERE id = 2',
    'UPDATE nums SET t = upper(t) WHERE t IS NOT NULL RETURNING t',
    'UPDATE nums SET a = a / e WHERE a IS NOT NULL',
    "UPDATE work SET hours = NULL WHERE role = 'lead' RETURNING emp_id, proj_id",
    "UPDATE emp SET tags = array_append(tags, 'new') WHERE id IN (1, 2, 3) RETURNING id, tags",
    'UPDATE emp SET info = info || \'{"x": 1}\' WHERE info IS NOT NULL AND id < 5 RETURNING id, info',
    'DELETE FROM work WHERE hours > 35 RETURNING emp_id, proj_id',
    'DELETE FROM nums WHERE a IS NULL RETURNING *',
    "DELETE FROM nums WHERE c = 'NaN' RETURNING c",
    'DELETE FROM work w USING emp e WHERE e.id = w.emp_id AND e.age > 65 RETURNING w.emp_id, w.proj_id',
    'DELETE FROM dept WHERE id = 12 RETURNING name',
    'DELETE FROM nums RETURNING count(*)',
    'UPDATE emp SET id = 1 WHERE id = 2',
    "INSERT INTO emp (id, name) SELECT 2000 + g, 'gen' || g FROM generate_series(1, 5) g RETURNING id, name",
    'UPDATE emp SET salary = DEFAULT WHERE id = 3 RETURNING salary',
    "INSERT INTO dept VALUES (400, 'Z', DEFAULT, DEFAULT, DEFAULT) RETURNING *",
    'UPDATE emp SET (age, active) = (age + 1, NOT active) WHERE id < 5 RETURNING id, age, active',
    'UPDATE emp SET (salary, bonus) = (SELECT budget, 1.5 FROM dept WHERE dept.id = emp.dept_id) WHERE id < 8 RETURNING id, salary, bonus',
    "UPDATE emp SET (age, grade) = (DEFAULT, 'B') WHERE id = 9 RETURNING age, grade",
    'UPDATE emp SET (age, active) = (1, true, 3) WHERE id = 1',
    'WITH d AS (DELETE FROM work WHERE hours > 38 RETURNING emp_id, proj_id) SELECT count(*) FROM d',
    'WITH d AS (DELETE FROM work WHERE hours > 38 RETURNING *) SELECT count(*) FROM work',
    "WITH i AS (INSERT INTO dept (id, name) VALUES (500, 'W') RETURNING id, name) SELECT * FROM i",
    "WITH u AS (UPDATE dept SET budget = budget * 2 WHERE region = 'east' RETURNING id, budget) SELECT id, budget FROM u ORDER BY id",
    'WITH x AS (DELETE FROM nums WHERE a = 1) SELECT count(*) FROM nums',
    "WITH i AS (INSERT INTO parent VALUES (9, 'p9') RETURNING id) INSERT INTO child_null SELECT 100 + id, id FROM i RETURNING *",
    'WITH x AS (DELETE FROM nums WHERE a = 1) SELECT * FROM x',
    'DELETE FROM parent WHERE id = 1; SELECT * FROM child_cascade ORDER BY id',
    'DELETE FROM parent WHERE id = 1; SELECT * FROM grandchild ORDER BY id',
    'DELETE FROM parent WHERE id = 2; SELECT * FROM child_null ORDER BY id',
    'DELETE FROM parent WHERE id = 2; SELECT * FROM child_default ORDER BY id',
    'DELETE FROM parent WHERE id = 1; SELECT * FROM child_default ORDER BY id',
    'DELETE FROM parent WHERE id = 4',
    'DELETE FROM parent WHERE id = 5 RETURNING *',
    'UPDATE parent SET id = id * 10 WHERE id IN (1, 2); SELECT * FROM child_cascade ORDER BY id',
    'UPDATE parent SET id = id * 10 WHERE id = 3; SELECT * FROM child_null ORDER BY id',
    "UPDATE parent SET code = 'q' || id WHERE id <= 3; SELECT * FROM child_cascade ORDER BY id",
    'UPDATE parent SET id = 40 WHERE id = 4',
    "UPDATE parent SET code = 'x' WHERE id = 5 RETURNING *",
    'DELETE FROM parent; SELECT count(*) FROM child_cascade',
    'DELETE FROM child_cascade WHERE id <= 3; SELECT * FROM grandchild ORDER BY id',
    'DELETE FROM parent WHERE id IN (1, 2, 3, 5); SELECT (SELECT count(*) FROM child_cascade), (SELECT count(*) FROM child_null WHERE parent_id IS NULL), (SELECT count(*) FROM grandchild)',
  ];
}

// ---- 13: GROUPING SETS, ROLLUP, CUBE ---------------------------------------------------------

function groupingSets() {
  return [
    'SELECT dept_id, grade, count(*) FROM emp GROUP BY ROLLUP (dept_id, grade) ORDER BY 1, 2, 3',
    'SELECT grade, active, count(*), sum(salary) FROM emp GROUP BY CUBE (grade, active) ORDER BY 1, 2, 3',
    'SELECT grade, active, count(*) FROM emp GROUP BY GROUPING SETS ((grade), (active), ()) ORDER BY 1, 2, 3',
    'SELECT grade, active, grouping(grade, active), count(*) FROM emp GROUP BY CUBE (grade, active) ORDER BY 3, 1, 2',
    'SELECT dept_id, count(*) FROM emp GROUP BY GROUPING SETS ((dept_id), ()) ORDER BY 1, 2',
    'SELECT e, t, count(*) FROM nums GROUP BY ROLLUP (e, t) ORDER BY 1, 2, 3',
    'SELECT e, count(*) FROM nums GROUP BY e, ROLLUP (t) HAVING count(*) > 3 ORDER BY 1, count(*)',
    'SELECT role, count(*), sum(hours) FROM work GROUP BY ROLLUP (role) ORDER BY 1, 2',
    'SELECT grade, grouping(grade) FROM emp GROUP BY ROLLUP (grade) ORDER BY 1, 2',
    'SELECT a % 2, e % 2, count(*) FROM nums GROUP BY CUBE (a % 2, e % 2) ORDER BY 1, 2, 3',
  ];
}

// ---- 14: casts and types over columns -------------------------------------------------------

function casts() {
  const out = [];
  const cases = [
    [
      'emp',
      'salary',
      ['int2', 'int4', 'int8', 'float4', 'float8', 'text', 'varchar(6)', 'numeric(8,1)', 'bool'],
    ],
    ['emp', 'bonus', ['int2', 'int4', 'int8', 'float4', 'numeric', 'numeric(6,2)', 'text']],
    ['emp', 'age', ['int8', 'float8', 'numeric', 'text', 'bool', 'char(1)', 'oid']],
    ['emp', 'hired', ['date', 'time', 'timestamptz', 'text', 'varchar(10)']],
    ['emp', 'name', ['char(4)', 'varchar(4)', 'bytea', 'name', 'int4']],
    ['emp', 'score', ['float8', 'int4', 'numeric', 'text']],
    ['emp', 'active', ['int4', 'text', 'char(1)']],
    ['emp', 'grade', ['text', 'varchar', 'char(1)', 'char(4)']],
    ['emp', 'tags', ['text', 'varchar[]', 'char(2)[]']],
    ['emp', 'info', ['text', 'json']],
    ['proj', 'starts', ['date', 'timestamp', 'time', 'text']],
    ['proj', 'span', ['text', 'time']],
    ['proj', 'code', ['text', 'bytea']],
    ['proj', 'blob', ['text']],
    ['proj', 'budget', ['int8', 'float8', 'numeric(10,1)', 'text']],
    ['nums', 'b', ['int4', 'int2', 'float4', 'numeric', 'text']],
    ['nums', 'c', ['int4', 'int8', 'numeric', 'float4', 'text']],
    ['nums', 'd', ['int4', 'float4', 'numeric(4,0)', 'text']],
    ['nums', 't', ['int4', 'bool', 'bytea', 'char(3)']],
  ];
  for (const [table, column, types] of cases) {
    const key = table === 'nums' ? '' : ' ORDER BY id';
    const where = table === 'emp' ? ' WHERE id <= 40' : '';
    const idCol = table === 'nums' ? `${column}, ` : 'id, ';
    for (const t of types) out.push(`SELECT ${idCol}${column}::${t} FROM ${table}${where}${key}`);
  }
  return out;
}

// ---- 15: strings ---------------------------------------------------------------------------

function strings() {
  const fns = [
    'upper(t)',
    'lower(t)',
    'length(t)',
    'octet_length(t)',
    "t || '!'",
    "concat(t, '-', a)",
    "concat_ws('/', t, a, e)",
    'initcap(t)',
    'reverse(t)',
    "replace(t, 'a', 'A')",
    "translate(t, 'ab', 'xy')",
    'substr(t, 2)',
    'substr(t, 0, 3)',
    'substring(t, 2, 2)',
    "substring(t from 'l.*')",
    "position('a' in t)",
    "strpos(t, 'ta')",
    'left(t, 3)',
    'right(t, 3)',
    'left(t, -1)',
    "lpad(t, 8, '.')",
    "rpad(t, 8, '.')",
    'lpad(t, 2)',
    "btrim(t, 'a')",
    'ltrim(t)',
    'rtrim(t)',
    "trim(trailing 'a' from t)",
    "split_part(t, 'a', 1)",
    "split_part(t, 'a', -1)",
    'repeat(t, 2)',
    'ascii(t)',
    'md5(t)',
    "t LIKE '%a%'",
    "t ILIKE 'B%'",
    "t ~ 'a$'",
    "t ~* '^B'",
    "t SIMILAR TO '%(ph|et)%'",
    "regexp_replace(t, 'a', '-', 'g')",
    "regexp_match(t, '(a)(l|e)')",
    "regexp_count(t, 'a')",
    "regexp_split_to_array(t, 'a')",
    "string_to_array(t, 'a')",
    'quote_ident(t)',
    'quote_literal(t)',
    'quote_nullable(t)',
    "format('%s|%L|%I', t, t, t)",
    "t < 'beta'",
    "t = 'alpha '",
    't::char(6)',
    't::varchar(3)',
    "coalesce(t, 'none')",
    "nullif(t, 'alpha')",
    "starts_with(t, 'al')",
    'to_hex(a)',
    "encode(t::bytea, 'hex')",
    "encode(t::bytea, 'base64')",
    'chr(65 + abs(a))',
    't || NULL',
    'upper(t) = t',
    "length(t) > 4 AND t LIKE '%a'",
  ];
  const out = [];
  for (const f of fns) out.push(`SELECT t, ${f} FROM nums WHERE a BETWEEN 0 AND 4`);
  for (const f of fns.slice(0, 30))
    out.push(
      `SELECT id, ${f.replace(/\bt\b/g, 'name').replace(/\ba\b/g, 'age').replace(/\be\b/g, 'id')} FROM emp WHERE id <= 25 ORDER BY id`,
    );
  return out;
}

// ---- 16: dates, times and intervals ----------------------------------------------------------

function datetimes() {
  const ts = [
    'hired',
    'hired::date',
    "hired + interval '1 year 2 months'",
    "hired - interval '36 hours'",
    "hired + interval '1 day' * 3",
    'hired::date + 30',
    "hired::date - '2010-01-01'::date",
    "hired - '2010-01-01 00:00'::timestamp",
    "age(hired, '2000-02-29')",
    "date_trunc('year', hired)",
    "date_trunc('quarter', hired)",
    "date_trunc('day', hired)",
    "date_trunc('hour', hired)",
    'extract(year from hired)',
    'extract(month from hired)',
    'extract(day from hired)',
    'extract(dow from hired)',
    'extract(doy from hired)',
    'extract(week from hired)',
    'extract(isodow from hired)',
    'extract(second from hired)',
    'extract(epoch from hired)',
    "date_part('hour', hired)",
    "to_char(hired, 'Day DD Mon YYYY')",
    "to_char(hired, 'HH12:MI:SS AM')",
    'to_char(hired, \'YYYY-"W"IW\')',
    'hired::timestamptz',
    "hired AT TIME ZONE 'UTC'",
    "hired AT TIME ZONE 'America/New_York'",
    "(hired AT TIME ZONE 'Europe/Berlin')::text",
    'hired::time',
    "hired::time + interval '30 minutes'",
    "hired > '2015-06-01'",
    "hired::date BETWEEN '2010-01-01' AND '2015-12-31'",
    'isfinite(hired)',
    'make_timestamp(2020, 1, 2, 3, 4, 5.5) < hired',
    "justify_days(interval '45 days') + hired",
    "date_bin('15 minutes', hired, '2000-01-01')",
  ];
  const out = [];
  for (const e of ts) out.push(`SELECT id, ${e} FROM emp WHERE id <= 30 ORDER BY id`);
  const tz = [
    'starts',
    'starts::date',
    'starts::timestamp',
    'starts + span',
    'starts - span',
    "date_trunc('month', starts)",
    'extract(timezone from starts)',
    'extract(epoch from starts)',
    "to_char(starts, 'YYYY-MM-DD HH24:MI TZ')",
    "starts AT TIME ZONE 'Asia/Tokyo'",
    'span',
    'span * 2',
    'span / 3',
    "span + interval '1 hour'",
    '-span',
    'justify_hours(span)',
    'justify_interval(span)',
    'extract(epoch from span)',
    'extract(day from span)',
    "date_part('month', span)",
    'span::text',
    "span > interval '30 days'",
  ];
  for (const e of tz) out.push(`SELECT id, ${e} FROM proj ORDER BY id`);
  const dates = [
    'opened',
    'opened + 1',
    'opened - 365',
    "opened + interval '6 months'",
    'extract(year from opened)',
    "to_char(opened, 'DD/MM/YYYY')",
    'opened::timestamp',
    "opened - '2000-01-01'",
    "date_trunc('month', opened)",
    'opened < current_date',
  ];
  for (const e of dates) out.push(`SELECT id, ${e} FROM dept ORDER BY id`);
  return out;
}

// ---- 17: NULL and three-valued logic ---------------------------------------------------------

function threeValued() {
  const xs = ['active', 'NOT active', 'age > 40', 'bonus > 100', "grade = 'A'", 'NULL::bool'];
  const out = [];
  for (const x of xs) {
    for (const y of xs) {
      out.push(
        `SELECT count(*) FILTER (WHERE (${x}) AND (${y})), count(*) FILTER (WHERE (${x}) OR (${y})), count(*) FILTER (WHERE ((${x}) AND (${y})) IS NULL) FROM emp`,
      );
    }
  }
  return out;
}

// ---- 18: joins crossed with filters ----------------------------------------------------------

function joinFilters() {
  const shapes = [
    'emp e JOIN dept d ON d.id = e.dept_id',
    'emp e LEFT JOIN dept d ON d.id = e.dept_id',
    'dept d LEFT JOIN emp e ON d.id = e.dept_id',
    'emp e FULL JOIN dept d ON d.id = e.dept_id',
    'emp e JOIN work w ON w.emp_id = e.id JOIN proj p ON p.id = w.proj_id JOIN dept d ON d.id = p.dept_id',
    'emp e JOIN dept d ON d.id = e.dept_id JOIN proj p ON p.dept_id = d.id',
    'emp e LEFT JOIN emp m ON m.id = e.manager_id LEFT JOIN dept d ON d.id = m.dept_id',
    'dept d CROSS JOIN emp e',
    'emp e JOIN dept d ON d.id = e.dept_id AND d.budget > e.salary',
    'emp e JOIN (SELECT dept_id AS did, count(*) AS n FROM proj GROUP BY dept_id) d ON d.did = e.dept_id',
  ];
  const filters = [
    'true',
    'e.age > 50',
    "d.region = 'north'",
    'd.id IS NULL',
    'e.id IS NULL',
    'e.salary > 100000 OR e.bonus < 0',
    'NOT (e.active AND e.age < 30)',
    "e.name LIKE '%a%'",
    'e.dept_id IN (1, 2, 3)',
    'coalesce(e.bonus, 0) > 2000',
    "e.hired >= '2018-01-01'",
    'e.id % 5 = 1',
  ];
  const out = [];
  for (const shape of shapes) {
    for (const f of filters) {
      if (f.includes('d.') && shape.includes(') d ON') && !f.startsWith('d.id')) continue;
      const region = f.includes('d.region') && shape.includes(') d ON') ? 'true' : f;
      out.push(`SELECT count(*), count(e.id), sum(e.salary), min(e.name) FROM ${shape} WHERE ${region}`);
    }
  }
  return out;
}

export function corpusFiles() {
  return [
    { file: '01-scan-filter.sql', title: 'Scans and WHERE predicates over every table.', queries: scans() },
    { file: '02-expressions.sql', title: 'Expressions over columns and constants.', queries: expressions() },
    { file: '03-aggregates.sql', title: 'Aggregates, GROUP BY and HAVING.', queries: aggregates() },
    {
      file: '04-joins.sql',
      title: 'Inner, outer, cross, self, lateral and multi-way joins.',
      queries: joins(),
    },
    { file: '05-subqueries.sql', title: 'EXISTS, IN, ANY/ALL and scalar subqueries.', queries: subqueries() },
    { file: '06-set-operations.sql', title: 'UNION, INTERSECT and EXCEPT [ALL].', queries: setOperations() },
    { file: '07-windows.sql', title: 'Window functions and frames.', queries: windows() },
    { file: '08-cte.sql', title: 'WITH and WITH RECURSIVE.', queries: ctes() },
    {
      file: '09-order-limit-distinct.sql',
      title: 'ORDER BY, LIMIT/OFFSET/FETCH, DISTINCT [ON].',
      queries: ordering(),
    },
    {
      file: '10-json-arrays.sql',
      title: 'jsonb, arrays and set-returning functions.',
      queries: jsonAndArrays(),
    },
    {
      file: '11-errors.sql',
      title: 'Errors: both sides must fail with the same SQLSTATE class.',
      queries: errors(),
    },
    { file: '12-dml.sql', title: 'INSERT/UPDATE/DELETE with RETURNING (each rolled back).', queries: dml() },
    { file: '13-grouping-sets.sql', title: 'GROUPING SETS, ROLLUP and CUBE.', queries: groupingSets() },
    { file: '14-casts.sql', title: 'Casts of column values.', queries: casts() },
    { file: '15-strings.sql', title: 'String functions and operators over columns.', queries: strings() },
    {
      file: '16-datetime.sql',
      title: 'Dates, timestamps, time zones and intervals over columns.',
      queries: datetimes(),
    },
    { file: '17-three-valued.sql', title: 'NULL and three-valued logic.', queries: threeValued() },
    { file: '18-join-filters.sql', title: 'Join shapes crossed with WHERE filters.', queries: joinFilters() },
    {
      file: '19-sublink-positions.sql',
      title:
        'Sub-queries in join conditions, aggregates, windows, sorts, LIMIT, VALUES and function arguments.',
      queries: sublinkPositions(),
    },
    {
      file: '20-like-patterns.sql',
      title: 'LIKE and ILIKE with regular-expression metacharacters and ESCAPE.',
      queries: likePatterns(),
    },
  ];
}
