/**
 * The failover drill end to end (issue 10, point 3; issue 9, point 9): `scripts/drill --local`
 * with replication in synchronous mode runs each scenario once on a three-node cluster of real
 * processes under a write load with a checker: kill -9 of the primary (the old one restarts and
 * rejoins), `keel cluster switchover`, and a partition of the primary through the fault proxies
 * (it heals). No acknowledged commit may be lost, the cut-off primary must acknowledge nothing
 * after its lease, and after healing its rows must be the new primary's.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const drill = fileURLToPath(new URL('../../scripts/drill.mjs', import.meta.url));

interface Round {
  scenario: string;
  lost: number;
  acknowledged: number;
  rejoined: boolean;
  rtoMs: number | null;
  minorityAcksAfterLease?: number;
  diverged?: string;
}

describe('scripts/drill --local', () => {
  it('loses no acknowledged commit in sync mode through kill -9, switchover and a partition', async () => {
    const { stdout, stderr, code } = await new Promise<{
      stdout: string;
      stderr: string;
      code: number | null;
    }>((resolve) => {
      execFile(
        process.execPath,
        [
          drill,
          '--local',
          '--scenario',
          'all',
          '--rounds',
          '1',
          '--json',
          '--replication',
          '--sync-replicas',
          '1',
        ],
        { encoding: 'utf8', timeout: 420_000, maxBuffer: 64 * 1024 * 1024 },
        (error, out, err) =>
          resolve({
            stdout: out,
            stderr: err,
            code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1,
          }),
      );
    });
    expect(code, stderr.slice(-4000)).toBe(0);
    const report = JSON.parse(stdout) as { rounds: Round[] };
    expect(report.rounds.map((r) => r.scenario)).toEqual(['kill', 'switchover', 'partition']);
    for (const round of report.rounds) {
      expect(round.acknowledged).toBeGreaterThan(0);
      expect(round.lost, `${round.scenario}: acknowledged commits lost`).toBe(0);
      expect(round.rejoined).toBe(true);
      expect(round.rtoMs).not.toBeNull();
    }
    const partition = report.rounds[2];
    expect(partition?.minorityAcksAfterLease).toBe(0);
    expect(partition?.diverged).toBe('no');
  }, 480_000);
});
