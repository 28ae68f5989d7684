/**
 * Differential test: the same interleavings run on PostgreSQL 15 (a throwaway reference server)
 * and on Keel, and the transcripts must agree step by step: which statements block, which
 * succeed, which fail with which SQLSTATE (and message), and what every read returns. The
 * scripts are the Hermitage catalogue plus the lock, savepoint and SSI cases of
 * extra-scripts.ts. PostgreSQL's transcript must also meet each step's written expectation, so
 * the expectations hermitage.test.ts checks on Keel are PostgreSQL's real behaviour.
 */
import { KeelProcess, type PostgresReference, startPostgresReference } from '@keel/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extraScripts } from './extra-scripts.js';
import { hermitageScripts } from './hermitage-scripts.js';
import {
  keelTarget,
  type Outcome,
  postgresTarget,
  runScript,
  type Transcript,
  unmetExpectations,
} from './support.js';

let node: KeelProcess;
let reference: PostgresReference;

beforeAll(async () => {
  [node, reference] = await Promise.all([KeelProcess.start(), startPostgresReference()]);
});

afterAll(async () => {
  await Promise.all([node?.dispose(), reference?.stop()]);
});

/** What is compared: success with its rows, or the SQLSTATE and message of the failure. */
function comparable(outcome: Outcome | 'blocked'): unknown {
  if (outcome === 'blocked') return 'blocked';
  if (outcome.ok) return { command: outcome.command, rowCount: outcome.rowCount, rows: outcome.rows };
  return { code: outcome.code, message: outcome.message };
}

/** One line per step, so a mismatch shows as a readable line diff. */
function view(transcript: Transcript): string[] {
  return transcript.map((entry) => `${entry.step} => ${JSON.stringify(comparable(entry.outcome))}`);
}

describe('Keel and PostgreSQL 15 agree on concurrent interleavings', () => {
  for (const script of [...hermitageScripts, ...extraScripts]) {
    it(script.name, async () => {
      const expected = await runScript(postgresTarget(reference), script);
      expect(unmetExpectations(expected), 'PostgreSQL itself must meet the written expectations').toEqual([]);
      const actual = await runScript(keelTarget(node), script);
      expect(view(actual)).toEqual(view(expected));
    });
  }
});
