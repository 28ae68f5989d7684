/**
 * The hot standby's saved visible horizon (hot-standby.ts, StandbyHorizonFile): the newest save
 * wins, a torn slot falls back to the previous save, another database's horizon is ignored, and
 * a horizon only holds on the part of the timeline its term still covers.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { horizonOnTimeline, StandbyHorizonFile } from './hot-standby.js';

const dirs: string[] = [];

function dataDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keel-horizon-'));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('StandbyHorizonFile', () => {
  it('starts empty and returns the newest save after a reopen', async () => {
    const dir = dataDir();
    const file = new StandbyHorizonFile(dir, 'sys-a');
    expect(file.load()).toBeNull();
    await file.save({ lsn: 100, term: 1 });
    await file.save({ lsn: 250, term: 1 });
    await file.save({ lsn: 900, term: 2 });
    expect(new StandbyHorizonFile(dir, 'sys-a').load()).toEqual({ lsn: 900, term: 2 });
  });

  it('saves in call order, one at a time, across instances of the same file', async () => {
    const dir = dataDir();
    const first = new StandbyHorizonFile(dir, 'sys-a');
    const second = new StandbyHorizonFile(dir, 'sys-a');
    second.load();
    await Promise.all([first.save({ lsn: 10, term: 1 }), second.save({ lsn: 20, term: 1 })]);
    expect(new StandbyHorizonFile(dir, 'sys-a').load()).toEqual({ lsn: 20, term: 1 });
  });

  it('falls back to the previous save when the newest slot is torn', async () => {
    const dir = dataDir();
    const file = new StandbyHorizonFile(dir, 'sys-a');
    await file.save({ lsn: 100, term: 1 }); // generation 1: slot 1
    await file.save({ lsn: 200, term: 1 }); // generation 2: slot 0
    const fd = openSync(path.join(dir, 'replication', 'visible-horizon'), 'r+');
    try {
      writeSync(fd, Buffer.from('garbage'), 0, 7, 3);
    } finally {
      closeSync(fd);
    }
    expect(new StandbyHorizonFile(dir, 'sys-a').load()).toEqual({ lsn: 100, term: 1 });
  });

  it("ignores another database's horizon", async () => {
    const dir = dataDir();
    await new StandbyHorizonFile(dir, 'sys-a').save({ lsn: 100, term: 1 });
    expect(new StandbyHorizonFile(dir, 'sys-b').load()).toBeNull();
  });
});

describe('horizonOnTimeline', () => {
  const history = [
    { term: 1, lsn: 0 },
    { term: 3, lsn: 5000 },
  ];

  it('holds in full in the newest term and up to where the next term began in an older one', () => {
    expect(horizonOnTimeline(history, { lsn: 7000, term: 3 })).toBe(7000);
    expect(horizonOnTimeline(history, { lsn: 4000, term: 1 })).toBe(4000);
    expect(horizonOnTimeline(history, { lsn: 6000, term: 1 })).toBe(5000);
  });

  it('holds nothing for a term this timeline never had', () => {
    expect(horizonOnTimeline(history, { lsn: 6000, term: 2 })).toBe(0);
  });
});
