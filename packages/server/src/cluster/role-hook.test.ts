import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../logger.js';
import { RoleHookRunner } from './role-hook.js';

const dirs: string[] = [];
const runners: RoleHookRunner[] = [];
afterEach(() => {
  for (const runner of runners.splice(0)) runner.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface Line {
  level: string;
  fields: Record<string, unknown>;
  msg: string;
}

function recorder(lines: Line[]): Logger {
  const at = (level: string) => (fields: object, msg?: string) =>
    lines.push({ level, fields: { ...fields }, msg: msg ?? '' });
  const logger = {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
    child: () => logger,
  };
  return logger as unknown as Logger;
}

function setup(command: (dir: string) => string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keel-hook-'));
  dirs.push(dir);
  const lines: Line[] = [];
  const make = () => {
    const runner = new RoleHookRunner({
      command: command(dir),
      nodeId: 'n2',
      cluster: 'prod',
      stateFile: path.join(dir, 'role-hook.json'),
      logger: recorder(lines),
      retryMinMs: 5,
      retryMaxMs: 20,
      timeoutMs: 5000,
    });
    runners.push(runner);
    return runner;
  };
  const runs = () =>
    existsSync(path.join(dir, 'runs')) ? readFileSync(path.join(dir, 'runs'), 'utf8').trim().split('\n') : [];
  return { dir, lines, make, runs };
}

describe('RoleHookRunner', () => {
  it('runs the hook with role, node, term and cluster once per (role, term), also across restarts', async () => {
    const t = setup((dir) => `echo "$1 $2 $3 $4 $KEEL_ROLE $KEEL_TERM" >> ${dir}/runs`);
    const runner = t.make();
    runner.desire('replica', 3);
    await expect.poll(() => t.runs(), { timeout: 10_000 }).toEqual(['replica n2 3 prod replica 3']);
    runner.desire('replica', 3);
    runner.desire('primary', 2);
    runner.desire('primary', 4);
    await expect
      .poll(() => t.runs(), { timeout: 10_000 })
      .toEqual(['replica n2 3 prod replica 3', 'primary n2 4 prod primary 4']);
    // The run is recorded once the runner saw the hook exit (the log line comes with the record),
    // which is after the hook's own output: close only then, or the restart repeats it.
    await expect
      .poll(() => t.lines.filter((l) => l.msg === 'role-change hook ran').length, { timeout: 10_000 })
      .toBe(2);
    runner.close();
    // A restarted node replays its log: the recorded run is not repeated.
    const again = t.make();
    again.desire('replica', 3);
    again.desire('primary', 4);
    again.desire('replica', 5);
    await expect.poll(() => t.runs().length, { timeout: 10_000 }).toBe(3);
    expect(t.runs()[2]).toBe('replica n2 5 prod replica 5');
    await expect
      .poll(() => t.lines.filter((l) => l.msg === 'role-change hook ran').map((l) => l.fields.term), {
        timeout: 10_000,
      })
      .toEqual([3, 4, 5]);
  });

  it('retries a failing hook until it succeeds, logging each failure, without blocking the caller', async () => {
    // Fails twice (counting its attempts in a file), then succeeds.
    const t = setup(
      (dir) =>
        `echo x >> ${dir}/attempts; if [ $(wc -l < ${dir}/attempts) -lt 3 ]; then echo boom >&2; exit 3; fi; echo "$1 $3" >> ${dir}/runs`,
    );
    const runner = t.make();
    runner.desire('primary', 7);
    await expect.poll(() => t.runs(), { timeout: 10_000 }).toEqual(['primary 7']);
    const failures = t.lines.filter((l) => l.msg === 'role-change hook failed; retrying');
    expect(failures).toHaveLength(2);
    expect(failures[0]?.fields.error).toBe('exit code 3: boom');
  });

  it('runs only the newest desire after a running hook, skipping intermediate ones', async () => {
    const t = setup(
      (dir) =>
        `touch ${dir}/started-$3; while [ ! -e ${dir}/go ]; do sleep 0.01; done; echo "$1 $3" >> ${dir}/runs`,
    );
    const runner = t.make();
    runner.desire('replica', 1);
    await expect.poll(() => existsSync(path.join(t.dir, 'started-1'))).toBe(true);
    runner.desire('primary', 2);
    runner.desire('replica', 3);
    writeFileSync(path.join(t.dir, 'go'), '');
    await expect.poll(() => t.runs()).toEqual(['replica 1', 'replica 3']);
    expect(existsSync(path.join(t.dir, 'started-2'))).toBe(false);
  });
});
