/**
 * Crash-injection points for the torture test. The engine calls `faults.reached(point)` at a
 * few named moments; when the injector decides to fire, the engine does the partial work the
 * point describes (for 'page-write-midway': writes half the page) and calls `faults.crash`.
 * In production `faultPointsFromEnv` reads `KEEL_FAULT=point:probability:seed[,...]` and
 * crashes with SIGKILL; without the variable nothing ever fires. Tests use
 * `ScriptedFaultPoints`, which throws SimulatedCrash instead of killing the test runner.
 * Exports: FaultPoint, FaultPoints, noFaults, faultPointsFromEnv, ScriptedFaultPoints.
 */
import { KeelError, SqlState } from '@keel/errors';
import { SimulatedCrash } from './fault-disk.js';

export const faultPointNames = [
  'wal-after-write-before-fsync',
  'wal-after-fsync',
  'page-write-midway',
  'checkpoint-midway',
  'checkpoint-before-control-file',
  'relation-drop-before-unlink',
] as const;
export type FaultPoint = (typeof faultPointNames)[number];

export interface FaultPoints {
  /** Whether the point fires now. */
  reached(point: FaultPoint): boolean;
  /** Ends the process (or, in tests, the engine) at once. */
  crash(point: FaultPoint): never;
}

export const noFaults: FaultPoints = {
  reached: () => false,
  crash: (point) => {
    throw new SimulatedCrash(point);
  },
};

/** mulberry32: a tiny seeded PRNG, enough to make fault schedules replayable. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function isFaultPoint(name: string): name is FaultPoint {
  return (faultPointNames as readonly string[]).includes(name);
}

/** Parses KEEL_FAULT (e.g. `page-write-midway:0.01:42,checkpoint-midway:0.5:7`). */
export function faultPointsFromEnv(value: string | undefined): FaultPoints {
  if (!value) return noFaults;
  const rules = new Map<FaultPoint, { probability: number; random: () => number }>();
  for (const part of value.split(',')) {
    const [name = '', probability = '1', seed = '1'] = part.split(':');
    if (!isFaultPoint(name)) {
      throw new KeelError(SqlState.InvalidParameterValue, `unknown fault point "${name}" in KEEL_FAULT`);
    }
    rules.set(name, { probability: Number(probability), random: seededRandom(Number(seed)) });
  }
  return {
    reached: (point) => {
      const rule = rules.get(point);
      return rule !== undefined && rule.random() < rule.probability;
    },
    crash: () => {
      process.kill(process.pid, 'SIGKILL');
      throw new SimulatedCrash('SIGKILL sent');
    },
  };
}

/** Test injector: fires a point on its n-th arrival (1-based), then never again. */
export class ScriptedFaultPoints implements FaultPoints {
  readonly arrivals = new Map<FaultPoint, number>();
  private readonly plan = new Map<FaultPoint, number>();

  fireAt(point: FaultPoint, arrival: number): this {
    this.plan.set(point, arrival);
    return this;
  }

  reached(point: FaultPoint): boolean {
    const n = (this.arrivals.get(point) ?? 0) + 1;
    this.arrivals.set(point, n);
    return this.plan.get(point) === n;
  }

  crash(point: FaultPoint): never {
    throw new SimulatedCrash(point);
  }
}
