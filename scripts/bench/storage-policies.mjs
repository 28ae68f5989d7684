// Eviction policy benchmark: hit ratio of each replacement policy on a workload that mixes hot
// point reads (a small hot set) with large sequential scans of cold pages (scan resistance).
//
// Usage: npx tsc -b packages/node-core && node scripts/bench/storage-policies.mjs [--pool-pages 1024] [--rounds 40]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { evictionPolicyNames, StorageEngine } from '../../packages/node-core/dist/storage/index.js';

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const poolPages = Number(arg('--pool-pages', '1024'));
const rounds = Number(arg('--rounds', '40'));
const hotPages = Math.floor(poolPages * 0.4);
const scanPages = Math.floor(poolPages * 2.5);
const tablePages = hotPages + scanPages * 4;

console.log(
  `pool ${poolPages} pages; hot set ${hotPages} pages; each round ${hotPages * 5} hot reads then a ${scanPages}-page scan`,
);
console.log('| policy | hot-read hit ratio | overall hit ratio |');
console.log('|---|---|---|');
for (const policy of evictionPolicyNames) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-policy-'));
  try {
    const engine = await StorageEngine.open({
      dataDir: dir,
      bufferPoolBytes: poolPages * 8192,
      evictionPolicy: policy,
    });
    const rel = engine.createRelation('heap');
    const heap = engine.heap(rel);
    for (let p = 0; p < tablePages; p++) heap.insert(Buffer.alloc(7000, p & 0xff), { xmin: 1, cid: 0 });
    await engine.checkpoint();
    const pool = engine.bufferPool;
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const read = (pageNo) => pool.unpin(pool.pin(rel, pageNo));
    const start = pool.stats();
    let hotHits = 0;
    let hotReads = 0;
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < hotPages * 5; i++) {
        const before = pool.stats().hits;
        read(Math.floor(random() * hotPages));
        hotHits += pool.stats().hits - before;
        hotReads++;
      }
      const from = hotPages + ((round * scanPages) % (tablePages - hotPages - scanPages));
      for (let p = from; p < from + scanPages; p++) read(p);
    }
    const end = pool.stats();
    const overall = (end.hits - start.hits) / (end.hits + end.misses - start.hits - start.misses);
    console.log(`| ${policy} | ${(hotHits / hotReads).toFixed(3)} | ${overall.toFixed(3)} |`);
    await engine.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
