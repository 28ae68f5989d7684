// Large-table benchmark: loads a heap (with a B-tree on it) larger than the buffer pool, then
// scans it sequentially (read-ahead) and does random point lookups through the index, out of
// the pool, and hot point lookups in the pool. Defaults: a 2 GiB heap through a 64 MiB pool.
//
// Usage: npx tsc -b packages/node-core && node scripts/bench/storage-large-table.mjs [--gib 2] [--pool-mb 64] [--policy 2q] [--dir PATH]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { StorageEngine } from '../../packages/node-core/dist/storage/index.js';

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const gib = Number(arg('--gib', '2'));
const poolMb = Number(arg('--pool-mb', '64'));
const policy = arg('--policy', '2q');
const dir = fs.mkdtempSync(path.join(arg('--dir', os.tmpdir()), 'keel-large-'));
const ROW = 960;

let seed = 12345;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};

try {
  const engine = await StorageEngine.open({
    dataDir: dir,
    bufferPoolBytes: poolMb * 1024 * 1024,
    evictionPolicy: policy,
  });
  const heap = engine.heap(engine.createRelation('heap'));
  const index = engine.btree(engine.createRelation('btree'));
  const rows = Math.floor((gib * 1024 ** 3) / (ROW + 36));
  const row = Buffer.alloc(ROW, 3);
  const key = Buffer.alloc(8);
  let t = performance.now();
  for (let i = 0; i < rows; i++) {
    row.writeUInt32LE(i, 0);
    const tid = heap.insert(row, { xmin: 1, cid: 0 });
    key.writeUInt32BE(i, 4);
    index.insert(key, tid);
    if (i % 20000 === 0) await engine.wal.flush();
  }
  await engine.checkpoint();
  const loadS = (performance.now() - t) / 1000;
  const heapBytes = heap.pageCount() * 8192;

  t = performance.now();
  let seen = 0;
  for (let p = 0; p < heap.pageCount(); p++) seen += heap.scanPage(p).length;
  const scanS = (performance.now() - t) / 1000;
  if (seen !== rows) throw new Error(`scan saw ${seen} rows, expected ${rows}`);

  const lookups = 20000;
  const pointLookup = (i) => {
    key.writeUInt32BE(i, 4);
    const [tid] = index.lookup(key);
    const tuple = heap.fetch(tid);
    if (tuple?.data.readUInt32LE(0) !== i) throw new Error(`lookup ${i} returned the wrong row`);
  };
  const before = engine.stats().bufferPool;
  t = performance.now();
  for (let n = 0; n < lookups; n++) pointLookup(Math.floor(random() * rows));
  const coldUs = ((performance.now() - t) * 1000) / lookups;
  const mid = engine.stats().bufferPool;
  t = performance.now();
  for (let n = 0; n < lookups; n++) pointLookup(Math.floor(random() * 1000));
  const hotUs = ((performance.now() - t) * 1000) / lookups;
  const after = engine.stats().bufferPool;
  const ratio = (a, b) => ((b.hits - a.hits) / (b.hits + b.misses - a.hits - a.misses)).toFixed(3);
  console.log(
    `heap ${(heapBytes / 1024 ** 3).toFixed(2)} GiB (${rows} rows) + index, pool ${poolMb} MiB, policy ${policy}`,
  );
  console.log(
    `load (durable every 20000 rows, final checkpoint): ${loadS.toFixed(1)} s, ${(rows / loadS).toFixed(0)} rows/s`,
  );
  console.log(
    `sequential scan with read-ahead: ${scanS.toFixed(1)} s, ${(heapBytes / 1024 ** 2 / scanS).toFixed(0)} MiB/s`,
  );
  console.log(
    `random point lookups (index + heap, mostly out of pool): ${coldUs.toFixed(1)} us each, hit ratio ${ratio(before, mid)}`,
  );
  console.log(
    `hot point lookups (1000 keys, in pool): ${hotUs.toFixed(1)} us each, hit ratio ${ratio(mid, after)}`,
  );
  console.log(`buffer pool: ${JSON.stringify(engine.stats().bufferPool)}`);
  await engine.close();
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
