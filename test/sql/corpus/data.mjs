// The shared schema and data of the SQL differential corpus: five tables with every common type,
// NULLs, duplicates, foreign keys and indexes, generated from a fixed seed so that the checked-in
// schema.sql never changes unless this file does. Floats are multiples of 1/8 with small
// magnitudes, so sums are exact whatever order rows are added in (PostgreSQL and Keel may join
// and aggregate in different orders).

/** mulberry32, as @keel/testkit's Prng (scripts cannot import TypeScript). */
export function prng(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (min, max) => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    pick: (items) => items[Math.floor(next() * items.length)],
    chance: (p) => next() < p,
  };
}

const ddl = `
CREATE TABLE dept (
  id int4 PRIMARY KEY,
  name text NOT NULL UNIQUE,
  region varchar(12),
  budget numeric(12,2),
  opened date
);
CREATE TABLE emp (
  id int4 PRIMARY KEY,
  dept_id int4 REFERENCES dept (id),
  name text NOT NULL,
  salary numeric(10,2),
  bonus float8,
  age int2,
  hired timestamp,
  active bool,
  grade char(2),
  manager_id int4,
  score float4,
  tags text[],
  info jsonb
);
CREATE TABLE proj (
  id int8 PRIMARY KEY,
  dept_id int4 REFERENCES dept (id),
  title varchar(30) NOT NULL,
  budget numeric,
  starts timestamptz,
  span interval,
  code uuid,
  blob bytea
);
CREATE TABLE work (
  emp_id int4 NOT NULL REFERENCES emp (id),
  proj_id int8 NOT NULL REFERENCES proj (id),
  hours int4,
  role text,
  PRIMARY KEY (emp_id, proj_id)
);
CREATE TABLE nums (
  a int4,
  b int8,
  c float8,
  d numeric(8,3),
  e int2,
  t text
);
CREATE TABLE parent (
  id int4 PRIMARY KEY,
  code text UNIQUE
);
CREATE TABLE child_cascade (
  id int4 PRIMARY KEY,
  parent_id int4 REFERENCES parent (id) ON DELETE CASCADE ON UPDATE CASCADE,
  parent_code text REFERENCES parent (code) ON UPDATE CASCADE
);
CREATE TABLE child_null (
  id int4 PRIMARY KEY,
  parent_id int4 REFERENCES parent (id) ON DELETE SET NULL ON UPDATE SET NULL
);
CREATE TABLE child_default (
  id int4 PRIMARY KEY,
  parent_id int4 DEFAULT 1 REFERENCES parent (id) ON DELETE SET DEFAULT
);
CREATE TABLE child_restrict (
  id int4 PRIMARY KEY,
  parent_id int4 NOT NULL REFERENCES parent (id) ON DELETE RESTRICT ON UPDATE RESTRICT
);
CREATE TABLE grandchild (
  id int4 PRIMARY KEY,
  child_id int4 REFERENCES child_cascade (id) ON DELETE CASCADE
);
CREATE INDEX emp_dept_idx ON emp (dept_id);
CREATE INDEX emp_salary_idx ON emp (salary);
CREATE INDEX emp_name_idx ON emp (name);
CREATE INDEX proj_starts_idx ON proj (starts);
CREATE INDEX work_proj_idx ON work (proj_id);
CREATE INDEX nums_ab_idx ON nums (a, b);
`;

function q(text) {
  return `'${String(text).replace(/'/g, "''")}'`;
}

function lit(v) {
  if (v === null) return 'NULL';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return q(v);
}

function pad(n, w = 2) {
  return String(n).padStart(w, '0');
}

function insert(table, rows) {
  const out = [];
  for (let i = 0; i < rows.length; i += 50) {
    const chunk = rows.slice(i, i + 50).map((r) => `(${r.map(lit).join(', ')})`);
    out.push(`INSERT INTO ${table} VALUES\n  ${chunk.join(',\n  ')};`);
  }
  return out.join('\n');
}

const regions = ['north', 'south', 'east', 'west', null];
const deptNames = [
  'Sales',
  'Research',
  'Support',
  'Finance',
  'Legal',
  'Ops',
  'Design',
  'QA',
  'Marketing',
  'HR',
  'IT',
  'Logistics',
];
const firstNames = [
  'Ann',
  'Bob',
  'Carl',
  'Dana',
  'Eve',
  'Finn',
  'Gus',
  'Hana',
  'Ivo',
  'Jana',
  'Kai',
  'Lea',
  'Max',
  'Nia',
  'Otto',
  "O'Neil",
  'Pia',
  'Quin',
  'Rosa',
  'Sam',
  'Tia',
  'Uma',
  'Vic',
  'Wes',
  'Xia',
  'Yan',
  'Zoë',
  'ann',
  'BOB',
  'de la Cruz',
];
const tagWords = ['db', 'ml', 'ops', 'ui', 'api', 'qa'];
const roles = ['lead', 'dev', 'test', 'review', null];
const words = ['alpha', 'beta', 'gamma', 'delta', '', 'Beta', 'alpha ', 'a%b', 'x_y', null];

function makeDept(r) {
  const rows = [];
  for (let id = 1; id <= deptNames.length; id++) {
    const budget = r.chance(0.15) ? null : `${r.int(1, 900) * 1000}.${pad(r.pick([0, 25, 50, 75]))}`;
    const opened = r.chance(0.1) ? null : `${r.int(1995, 2020)}-${pad(r.int(1, 12))}-${pad(r.int(1, 28))}`;
    rows.push([id, deptNames[id - 1], r.pick(regions), budget, opened]);
  }
  return rows;
}

function makeEmp(r) {
  const rows = [];
  for (let id = 1; id <= 300; id++) {
    const dept = r.chance(0.05) ? null : r.int(1, 11); // department 12 has nobody
    const name = `${r.pick(firstNames)}${r.chance(0.7) ? ` ${String.fromCharCode(65 + r.int(0, 25))}.` : ''}`;
    const salary = r.chance(0.06)
      ? null
      : `${r.int(20, 150) * 1000 + r.int(0, 39) * 25}.${pad(r.pick([0, 10, 25, 50, 99]))}`;
    const bonus = r.chance(0.1) ? null : r.int(-400, 20000) / 4;
    const age = r.chance(0.05) ? null : r.int(18, 70);
    const hired = r.chance(0.05)
      ? null
      : `${r.int(2005, 2024)}-${pad(r.int(1, 12))}-${pad(r.int(1, 28))} ${pad(r.int(0, 23))}:${pad(r.int(0, 59))}:${pad(r.int(0, 59))}${r.chance(0.2) ? '.5' : ''}`;
    const active = r.chance(0.1) ? null : r.chance(0.7);
    const grade = r.chance(0.08) ? null : r.pick(['A', 'B', 'C1', 'C2', 'D ']);
    const manager = id <= 5 || r.chance(0.1) ? null : r.int(1, Math.min(id - 1, 40));
    const score = r.chance(0.1) ? null : r.int(0, 200) / 2;
    const tags = r.chance(0.15)
      ? null
      : `{${Array.from({ length: r.int(0, 3) }, () => r.pick(tagWords)).join(',')}}`;
    const info = r.chance(0.2)
      ? null
      : JSON.stringify({
          level: r.int(1, 5),
          remote: r.chance(0.5),
          ...(r.chance(0.5) ? { skills: Array.from({ length: r.int(0, 3) }, () => r.pick(tagWords)) } : {}),
          ...(r.chance(0.3) ? { note: r.pick(['new', 'part-time', 'on leave']) } : {}),
        });
    rows.push([id, dept, name, salary, bonus, age, hired, active, grade, manager, score, tags, info]);
  }
  return rows;
}

function makeProj(r) {
  const rows = [];
  const spans = [
    '3 months',
    '1 year 2 mons',
    '40 days',
    '36 hours',
    '2 weeks 3 days',
    '90 minutes',
    '1 day 12:00:00',
    null,
  ];
  for (let id = 1; id <= 60; id++) {
    const dept = r.chance(0.1) ? null : r.int(1, 12);
    const title = `${r.pick(['Apollo', 'Borealis', 'Cobalt', 'Dynamo', 'Echo', 'Fjord'])} ${id}`;
    const budget = r.chance(0.1)
      ? null
      : r.pick([`${r.int(1, 99)}000`, `${r.int(1, 9999)}.5`, `${r.int(1, 99)}.125`, '1e6']);
    const starts = r.chance(0.1)
      ? null
      : `${r.int(2018, 2025)}-${pad(r.int(1, 12))}-${pad(r.int(1, 28))} ${pad(r.int(0, 23))}:${pad(r.int(0, 59))}:00+${pad(r.pick([0, 2, 5]))}`;
    const hex = Array.from({ length: 32 }, () => '0123456789abcdef'[r.int(0, 15)]).join('');
    const code = r.chance(0.1)
      ? null
      : `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    const blob = r.chance(0.2) ? null : `\\x${hex.slice(0, r.int(0, 8) * 2)}`;
    rows.push([id * 10, dept, title, budget, starts, r.pick(spans), code, blob]);
  }
  return rows;
}

function makeWork(r) {
  const rows = [];
  const seen = new Set();
  while (rows.length < 600) {
    const e = r.int(1, 300);
    const p = r.int(1, 60) * 10;
    if (seen.has(`${e}:${p}`)) continue;
    seen.add(`${e}:${p}`);
    rows.push([e, p, r.chance(0.1) ? null : r.int(1, 40), r.pick(roles)]);
  }
  return rows;
}

function makeNums(r) {
  const rows = [];
  const specials = ['NaN', 'Infinity', '-Infinity', 0, -0.5];
  for (let i = 0; i < 400; i++) {
    const a = r.chance(0.1) ? null : r.int(-5, 20);
    const b = r.chance(0.1)
      ? null
      : r.pick([r.int(-1000, 1000), r.int(-1000, 1000) * 1_000_000_007, 9_007_199_254_740_993n, 0]);
    const c = r.chance(0.1) ? null : r.chance(0.02) ? r.pick(specials) : r.int(-800, 800) / 8;
    const d = r.chance(0.1) ? null : `${r.int(-9999, 9999)}.${pad(r.int(0, 999), 3)}`;
    const e = r.chance(0.1) ? null : r.int(-3, 3);
    const t = r.pick(words);
    rows.push([a, b, c, d, e, t]);
  }
  return rows;
}

/** The whole schema.sql: DDL, data, and ANALYZE so both optimizers have statistics. */
export function schemaSql() {
  const r = prng(20_240_601);
  const parts = [
    '-- Shared schema and data of the SQL differential corpus (generated by test/sql/corpus/generate.mjs).',
    ddl.trim(),
    insert('dept', makeDept(r)),
    insert('emp', makeEmp(r)),
    insert('proj', makeProj(r)),
    insert('work', makeWork(r)),
    insert('nums', makeNums(r)),
    insert(
      'parent',
      [1, 2, 3, 4, 5].map((i) => [i, `p${i}`]),
    ),
    insert(
      'child_cascade',
      Array.from({ length: 10 }, (_, i) => [i + 1, (i % 5) + 1, i % 3 === 0 ? null : `p${(i % 4) + 1}`]),
    ),
    insert(
      'child_null',
      Array.from({ length: 8 }, (_, i) => [i + 1, i % 4 === 3 ? null : (i % 3) + 2]),
    ),
    insert(
      'child_default',
      Array.from({ length: 6 }, (_, i) => [i + 1, (i % 3) + 1]),
    ),
    insert('child_restrict', [
      [1, 4],
      [2, 4],
    ]),
    insert(
      'grandchild',
      Array.from({ length: 12 }, (_, i) => [i + 1, (i % 10) + 1]),
    ),
    'ANALYZE dept;\nANALYZE emp;\nANALYZE proj;\nANALYZE work;\nANALYZE nums;',
  ];
  return `${parts.join('\n\n')}\n`;
}
