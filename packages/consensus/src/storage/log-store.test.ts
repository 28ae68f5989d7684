import { appendFile, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isKeelError, SqlState } from '@keel/errors';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { LogFields, Logger } from '../logger.js';
import type { Output } from '../raft/io.js';
import { type ClusterConfig, type Entry, LogIndex, type Snapshot, Term } from '../raft/types.js';
import { MemoryStorage } from '../sim/memory-storage.js';
import { Prng } from '../sim/prng.js';
import { LogStore } from './log-store.js';
import { writeSnapshotFile } from './snapshot-file.js';

type Persist = Extract<Output, { kind: 'persist' }>;

const config: ClusterConfig = { voters: ['n1', 'n2', 'n3'], learners: [], addresses: { n1: 'a:1' } };

function entry(index: number, term: number, text = `e${index}t${term}`): Entry {
  return {
    index: LogIndex(index),
    term: Term(term),
    body: { type: 'command', command: new TextEncoder().encode(text) },
  };
}

function persist(parts: Partial<Persist>): Persist {
  return { kind: 'persist', hardState: null, snapshot: null, entries: [], ...parts };
}

function hs(term: number, vote: string | null, commit: number) {
  return { term: Term(term), vote, commit: LogIndex(commit) };
}

function snapshot(index: number, term: number, data = 'state'): Snapshot {
  return { meta: { index: LogIndex(index), term: Term(term), config }, data: new TextEncoder().encode(data) };
}

class RecordingLogger implements Logger {
  readonly lines: string[] = [];
  debug(_f: LogFields, msg: string): void {
    this.lines.push(msg);
  }
  info(_f: LogFields, msg: string): void {
    this.lines.push(msg);
  }
  warn(_f: LogFields, msg: string): void {
    this.lines.push(msg);
  }
  error(_f: LogFields, msg: string): void {
    this.lines.push(msg);
  }
  child(): Logger {
    return this;
  }
}

let dir = '';
let logger = new RecordingLogger();

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'keel-log-store-'));
  logger = new RecordingLogger();
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function reopen(store: LogStore): Promise<LogStore> {
  await store.close();
  return LogStore.open(dir, logger);
}

const texts = (entries: readonly Entry[]) => entries.map((e) => `${e.index}@${e.term}`);

describe('LogStore', () => {
  test('a fresh store is empty', async () => {
    const store = await LogStore.open(dir, logger);
    expect(store.initialState()).toEqual({ hardState: null, snapshot: null, entries: [] });
    await store.close();
  });

  test('hard state and entries survive a reopen', async () => {
    let store = await LogStore.open(dir, logger);
    await store.persist(persist({ hardState: hs(2, 'n1', 0), entries: [entry(1, 1), entry(2, 2)] }));
    store = await reopen(store);
    const state = store.initialState();
    expect(state.hardState).toEqual(hs(2, 'n1', 0));
    expect(state.entries).toEqual([entry(1, 1), entry(2, 2)]);
    await store.close();
  });

  test('appending at an existing index truncates the suffix first', async () => {
    let store = await LogStore.open(dir, logger);
    await store.persist(
      persist({ hardState: hs(3, null, 0), entries: [entry(1, 1), entry(2, 1), entry(3, 1)] }),
    );
    await store.persist(persist({ entries: [entry(2, 3), entry(3, 3), entry(4, 3)] }));
    store = await reopen(store);
    expect(texts(store.initialState().entries)).toEqual(['1@1', '2@3', '3@3', '4@3']);
    await store.close();
  });

  test('a commit-only change is kept without an fsync slot of its own', async () => {
    let store = await LogStore.open(dir, logger);
    await store.persist(persist({ hardState: hs(1, 'n1', 0), entries: [entry(1, 1), entry(2, 1)] }));
    await store.persist(persist({ hardState: hs(1, 'n1', 2), entries: [entry(3, 1)] }));
    store = await reopen(store);
    expect(store.initialState().hardState).toEqual(hs(1, 'n1', 2));
    await store.close();
  });

  test('a torn tail record is detected by its checksum and cut off', async () => {
    let store = await LogStore.open(dir, logger);
    await store.persist(
      persist({ hardState: hs(1, null, 0), entries: [entry(1, 1), entry(2, 1), entry(3, 1)] }),
    );
    await store.close();
    const logPath = path.join(dir, 'log');
    const full = (await stat(logPath)).size;
    // A crash in the middle of writing record 3: its last 5 bytes never reached the disk.
    await truncate(logPath, full - 5);
    store = await LogStore.open(dir, logger);
    expect(texts(store.initialState().entries)).toEqual(['1@1', '2@1']);
    expect(logger.lines).toContain('truncating torn log tail');
    expect((await stat(logPath)).size).toBeLessThan(full - 5);
    // The store keeps working after the repair.
    await store.persist(persist({ entries: [entry(3, 1)] }));
    store = await reopen(store);
    expect(texts(store.initialState().entries)).toEqual(['1@1', '2@1', '3@1']);
    await store.close();
  });

  test('a record with a flipped byte ends the log there', async () => {
    let store = await LogStore.open(dir, logger);
    await store.persist(
      persist({ hardState: hs(1, null, 0), entries: [entry(1, 1), entry(2, 1), entry(3, 1)] }),
    );
    await store.close();
    const logPath = path.join(dir, 'log');
    const bytes = await readFile(logPath);
    const last = bytes.length - 2;
    bytes[last] = (bytes[last] ?? 0) ^ 0xff;
    await writeFile(logPath, bytes);
    store = await LogStore.open(dir, logger);
    expect(texts(store.initialState().entries)).toEqual(['1@1', '2@1']);
    await store.close();
  });

  test('garbage after the last record (a half-written header) is cut off', async () => {
    let store = await LogStore.open(dir, logger);
    await store.persist(persist({ hardState: hs(1, null, 0), entries: [entry(1, 1)] }));
    await store.close();
    await appendFile(path.join(dir, 'log'), Buffer.from([0, 0, 0]));
    store = await LogStore.open(dir, logger);
    expect(texts(store.initialState().entries)).toEqual(['1@1']);
    await store.close();
  });

  test('a stale record behind an unsynced truncation is not taken for part of the log', async () => {
    let store = await LogStore.open(dir, logger);
    await store.persist(persist({ hardState: hs(1, null, 0), entries: [entry(1, 1), entry(2, 1)] }));
    await store.close();
    const logPath = path.join(dir, 'log');
    const bytes = await readFile(logPath);
    // Append a valid copy of record 1 after record 2: its checksum is fine, its index is not.
    const firstRecordBytes = 8 + bytes.readUInt32BE(0);
    await appendFile(logPath, bytes.subarray(0, firstRecordBytes));
    store = await LogStore.open(dir, logger);
    expect(texts(store.initialState().entries)).toEqual(['1@1', '2@1']);
    await store.close();
  });

  test('a damaged newest hard state slot falls back to the previous one', async () => {
    let store = await LogStore.open(dir, logger);
    await store.persist(persist({ hardState: hs(1, 'n1', 0) }));
    await store.persist(persist({ hardState: hs(2, 'n2', 0) }));
    await store.close();
    const hsPath = path.join(dir, 'hardstate');
    const bytes = await readFile(hsPath);
    // Term 2 went to slot 0 (sequence 2); tear it.
    bytes[20] = (bytes[20] ?? 0) ^ 0x01;
    await writeFile(hsPath, bytes);
    store = await LogStore.open(dir, logger);
    expect(store.initialState().hardState).toEqual(hs(1, 'n1', 0));
    await store.close();
  });

  test('a compaction snapshot keeps the entries after it', async () => {
    let store = await LogStore.open(dir, logger);
    await store.persist(
      persist({ hardState: hs(2, null, 4), entries: [1, 2, 3, 4, 5].map((i) => entry(i, 2)) }),
    );
    await store.persist(persist({ snapshot: snapshot(3, 2) }));
    store = await reopen(store);
    const state = store.initialState();
    expect(state.snapshot?.meta.index).toBe(3);
    expect(new TextDecoder().decode(state.snapshot?.data)).toBe('state');
    expect(texts(state.entries)).toEqual(['4@2', '5@2']);
    await store.persist(persist({ entries: [entry(6, 2)] }));
    store = await reopen(store);
    expect(texts(store.initialState().entries)).toEqual(['4@2', '5@2', '6@2']);
    await store.close();
  });

  test('an installed snapshot that disagrees with the log drops the whole log', async () => {
    let store = await LogStore.open(dir, logger);
    await store.persist(
      persist({ hardState: hs(2, null, 1), entries: [entry(1, 1), entry(2, 2), entry(3, 2)] }),
    );
    await store.persist(persist({ hardState: hs(3, null, 5), snapshot: snapshot(5, 3) }));
    store = await reopen(store);
    expect(store.initialState().entries).toEqual([]);
    expect(store.initialState().snapshot?.meta.index).toBe(5);
    await store.close();
  });

  test('a crash between saving a snapshot and rewriting the log is repaired on load', async () => {
    let store = await LogStore.open(dir, logger);
    await store.persist(
      persist({ hardState: hs(2, null, 3), entries: [1, 2, 3, 4].map((i) => entry(i, 2)) }),
    );
    await store.close();
    await writeSnapshotFile(dir, path.join(dir, 'snapshot'), snapshot(2, 2));
    store = await LogStore.open(dir, logger);
    expect(texts(store.initialState().entries)).toEqual(['3@2', '4@2']);
    store = await reopen(store);
    expect(texts(store.initialState().entries)).toEqual(['3@2', '4@2']);
    await store.close();
  });

  test('a damaged snapshot is reported as data corruption', async () => {
    const store = await LogStore.open(dir, logger);
    await store.persist(persist({ hardState: hs(2, null, 3), snapshot: snapshot(3, 2) }));
    await store.close();
    const snapPath = path.join(dir, 'snapshot');
    const bytes = await readFile(snapPath);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
    await writeFile(snapPath, bytes);
    const error = await LogStore.open(dir, logger).catch((e: unknown) => e);
    expect(isKeelError(error) && error.sqlstate).toBe(SqlState.DataCorrupted);
  });

  test('a log whose term is ahead of the hard state is reported as corruption', async () => {
    const store = await LogStore.open(dir, logger);
    await store.persist(persist({ hardState: hs(1, null, 0), entries: [entry(1, 1)] }));
    await store.persist(persist({ entries: [entry(2, 5)] }));
    await store.close();
    const error = await LogStore.open(dir, logger).catch((e: unknown) => e);
    expect(isKeelError(error) && error.sqlstate).toBe(SqlState.DataCorrupted);
  });

  test('random persists leave the same state as the in-memory model the simulation uses', async () => {
    const rng = new Prng(7);
    let store = await LogStore.open(dir, logger);
    const model = new MemoryStorage();
    let term = 1;
    let last = 0;
    let snapIndex = 0;
    let commit = 0;
    for (let round = 0; round < 60; round++) {
      const roll = rng.int(10);
      let p: Persist;
      if (roll < 6 || last === snapIndex) {
        if (rng.chance(0.2)) term++;
        const from = Math.max(snapIndex + 1, last + 1 - rng.int(3));
        const count = rng.between(1, 4);
        const entries = Array.from({ length: count }, (_, k) => entry(from + k, term, `r${round}`));
        last = from + count - 1;
        commit = Math.min(Math.max(commit, from - 1), last);
        p = persist({ hardState: hs(term, rng.chance(0.5) ? 'n2' : null, commit), entries });
      } else if (roll < 8) {
        const at = rng.between(snapIndex + 1, Math.max(snapIndex + 1, commit));
        if (at > last || at > commit) continue;
        const stored = model.load().entries.find((e) => e.index === at);
        if (stored === undefined) continue;
        p = persist({ snapshot: snapshot(at, stored.term, `s${round}`) });
        snapIndex = at;
      } else {
        term++;
        const at = last + rng.between(1, 5);
        p = persist({ hardState: hs(term, null, at), snapshot: snapshot(at, term, `i${round}`) });
        snapIndex = at;
        last = at;
        commit = at;
      }
      await store.persist(p);
      model.apply(p);
      if (round % 7 === 0) store = await reopen(store);
    }
    store = await reopen(store);
    const got = store.initialState();
    const want = model.load();
    expect(texts(got.entries)).toEqual(texts(want.entries));
    expect(got.snapshot?.meta).toEqual(want.snapshot?.meta);
    expect(got.hardState).toEqual(want.hardState);
    await store.close();
  });
});
