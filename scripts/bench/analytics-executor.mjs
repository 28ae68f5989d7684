#!/usr/bin/env node
// Micro-benchmark of the executor's batch path (scan -> filter -> project -> aggregate) without
// storage: the query processor over an in-memory table (src/sql/testing/memory-database.ts), so
// what it measures is the operators and compiled expressions, not pages or the wire. Prints rows
// per second and the garbage collections each query caused (a proxy for allocation).
// Run after `pnpm build`: node scripts/bench/analytics-executor.mjs [rows]
import { PerformanceObserver } from 'node:perf_hooks';
import { prepareQuery } from '../../packages/node-core/dist/sql/index.js';
import { loadParser, parseSql } from '../../packages/node-core/dist/sql/parse/parser.js';
import { MemoryDatabase } from '../../packages/node-core/dist/sql/testing/memory-database.js';
import { Numeric } from '../../packages/node-core/dist/sql/types/numeric.js';

const rows = Number(process.argv[2] ?? 500_000);
await loadParser();
const db = new MemoryDatabase();
const t = db.createTable('t', [
  { name: 'a', type: 23 },
  { name: 'b', type: 20 },
  { name: 'c', type: 701 },
  { name: 'd', type: 1700 },
  { name: 's', type: 25 },
]);
const data = db.data.get(t.oid);
let seed = 42;
const rnd = () => {
  seed = (seed * 48_271) % 2_147_483_647;
  return seed / 2_147_483_647;
};
for (let i = 0; i < rows; i++) {
  data.push([
    Math.floor(rnd() * 1000),
    BigInt(Math.floor(rnd() * 1e9)),
    Math.floor(rnd() * 8000) / 8,
    Numeric.parse(`${Math.floor(rnd() * 100_000)}.${Math.floor(rnd() * 100)}`),
    `name-${Math.floor(rnd() * 5000)}`,
  ]);
}

let gcCount = 0;
let gcMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcCount++;
    gcMs += e.duration;
  }
}).observe({ entryTypes: ['gc'] });

const queries = [
  ['scan', 'SELECT count(*) FROM t'],
  ['scan+filter+agg', 'SELECT count(*), sum(b), avg(c) FROM t WHERE a > 10'],
  ['scan+filter+project', 'SELECT a + 1, c * 2, upper(s) FROM t WHERE a % 7 = 0'],
  ['grouped agg (1000 groups)', 'SELECT a, count(*), sum(c), max(s) FROM t GROUP BY a'],
  ['numeric agg', 'SELECT sum(d), avg(d) FROM t WHERE c < 500'],
  ['sort + limit', 'SELECT a, c FROM t ORDER BY c DESC, a LIMIT 10'],
];

const results = [];
for (const [name, sql] of queries) {
  const prepared = prepareQuery(parseSql(sql)[0], db.planning(), []);
  await prepared.execute(db.execution()).fetch(0);
  const gc0 = gcCount;
  const gcMs0 = gcMs;
  const started = performance.now();
  const repeat = 3;
  let out = 0;
  for (let i = 0; i < repeat; i++) out = (await prepared.execute(db.execution()).fetch(0)).length;
  await new Promise((resolve) => setImmediate(resolve));
  const ms = (performance.now() - started) / repeat;
  results.push({
    query: name,
    'ms/run': ms.toFixed(1),
    'rows/s (input)': Math.round((rows / ms) * 1000).toLocaleString('en-US'),
    'result rows': out,
    'GCs/run': ((gcCount - gc0) / repeat).toFixed(1),
    'GC ms/run': ((gcMs - gcMs0) / repeat).toFixed(1),
  });
}
console.log(`executor micro-benchmark over ${rows.toLocaleString('en-US')} in-memory rows`);
console.table(results);
