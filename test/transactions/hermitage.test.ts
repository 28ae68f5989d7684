/**
 * The Hermitage anomaly catalogue against a real Keel node: every case at READ COMMITTED,
 * REPEATABLE READ and SERIALIZABLE, with concurrent node-postgres sessions, each step asserting
 * the outcome PostgreSQL shows (which statements block, which fail with which SQLSTATE, what
 * reads return). The same scripts run on PostgreSQL 15 in differential.test.ts.
 */
import { KeelProcess } from '@keel/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hermitageScripts } from './hermitage-scripts.js';
import { keelTarget, runScript, unmetExpectations } from './support.js';

let node: KeelProcess;

beforeAll(async () => {
  node = await KeelProcess.start();
});

afterAll(async () => {
  await node.dispose();
});

describe('Hermitage anomalies on Keel', () => {
  for (const script of hermitageScripts) {
    it(script.name, async () => {
      const transcript = await runScript(keelTarget(node), script);
      expect(unmetExpectations(transcript)).toEqual([]);
    });
  }
});
