/**
 * Long statements yield to the event loop (utility/work-yield.ts), so a node's Raft heartbeats
 * keep flowing while it builds an index or loads a COPY: with a 0 ms slice every check yields,
 * and the test counts the yields of one CREATE INDEX over a table of fewer than 64 pages (the old
 * build yielded only every 64 pages, so never here) and of one COPY FROM STDIN of 10,000 rows (the
 * old COPY never yielded while its client's data was already buffered). A last case checks with
 * the real 10 ms slice that the loop turns while a CREATE INDEX runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ResultSink } from '@keel/wire';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Engine, type EngineLogger } from '../engine.js';
import type { Session } from '../session.js';
import { setWorkSliceMsForTests, WorkYield, workYieldsTaken } from './work-yield.js';

const quiet: EngineLogger = {
  info: () => {},
  warn: () => {},
  error: () => {},
  debug: () => {},
  child: () => quiet,
};

/** A sink that keeps errors and feeds COPY FROM STDIN from `copyData`. */
function sink(copyData: Uint8Array[] = []): ResultSink & { tags: string[] } {
  const tags: string[] = [];
  return {
    tags,
    rowDescription: () => {},
    dataRows: () => {},
    commandComplete: (tag) => tags.push(tag),
    emptyQuery: () => {},
    notice: () => {},
    copyIn: async function* () {
      for (const chunk of copyData) yield chunk;
    },
    copyOut: () => {},
    copyData: () => {},
    copyDone: () => {},
  };
}

let dir: string;
let engine: Engine;
let session: Session;

async function run(sql: string, copyData?: Uint8Array[]): Promise<string[]> {
  const s = sink(copyData);
  await session.simpleQuery(sql, s);
  return s.tags;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'keel-work-yield-'));
  engine = await Engine.open({
    dataDir: dir,
    logger: quiet,
    bootstrap: { superuser: 'keel', passwordVerifier: 'SCRAM-SHA-256$4096:c2FsdA==$a2V5:a2V5' },
  });
  session = engine.startSession({
    user: 'keel',
    database: 'keel',
    parameters: new Map(),
    processId: 1,
    remoteAddress: 'test',
  }).session as Session;
}, 30_000);

afterAll(async () => {
  await session?.close();
  await engine?.close();
  rmSync(dir, { recursive: true, force: true });
});

afterEach(() => setWorkSliceMsForTests(null));

describe('WorkYield', () => {
  it('is due once its slice passed, and a yield starts a new slice', async () => {
    setWorkSliceMsForTests(5);
    const slice = new WorkYield();
    expect(slice.due()).toBe(false);
    const until = performance.now() + 6;
    while (performance.now() < until) {
      // work
    }
    expect(slice.due()).toBe(true);
    await slice.yield();
    expect(slice.due()).toBe(false);
  });
});

describe('long statements yield to the event loop', () => {
  it('CREATE INDEX yields while it reads a table of fewer than 64 pages', async () => {
    await run('CREATE TABLE built (id int, pad text)');
    await run("INSERT INTO built SELECT g, repeat('x', 100) FROM generate_series(1, 3000) g");
    setWorkSliceMsForTests(0);
    const before = workYieldsTaken();
    expect(await run('CREATE UNIQUE INDEX built_id ON built (id)')).toEqual(['CREATE INDEX']);
    // One check every 16 tuples: about 190 for 3000 rows.
    expect(workYieldsTaken() - before).toBeGreaterThanOrEqual(100);
  });

  it('COPY FROM STDIN yields between batches', async () => {
    await run('CREATE TABLE loaded (id int, pad text)');
    const text = Array.from({ length: 10_000 }, (_, i) => `${i}\t${'y'.repeat(20)}\n`).join('');
    setWorkSliceMsForTests(0);
    const before = workYieldsTaken();
    expect(await run('COPY loaded FROM STDIN', [Buffer.from(text)])).toEqual(['COPY 10000']);
    // After each of the five 2000-row batches (and after the one CopyData chunk).
    expect(workYieldsTaken() - before).toBeGreaterThanOrEqual(5);
  });

  it('lets a timer fire while a CREATE INDEX runs (real slice)', async () => {
    await run('CREATE TABLE wide (id int, pad text)');
    await run('INSERT INTO wide SELECT g, md5(g::text) FROM generate_series(1, 20000) g');
    let fired = 0;
    const timer = setInterval(() => fired++, 1);
    const started = performance.now();
    await run('CREATE INDEX wide_pad ON wide (pad)');
    const tookMs = performance.now() - started;
    clearInterval(timer);
    // Every WORK_SLICE_MS of building lets the timer fire: far more often than every 100 ms.
    expect(fired).toBeGreaterThanOrEqual(Math.floor(tookMs / 100));
  });
});
