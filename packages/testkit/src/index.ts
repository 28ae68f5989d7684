/**
 * @keel/testkit: helpers for Keel's tests.
 */

export { FaultProxy } from './fault-proxy.js';
export { freePort } from './free-port.js';
export { KeelProcess, type KeelStartOptions, keelBinaryPath, startKeel } from './keel-process.js';
export {
  type PostgresReference,
  type PostgresReferenceOptions,
  type ReferenceClient,
  type ReferenceResult,
  startPostgresReference,
} from './postgres-reference.js';
export { Prng, seedFromEnv } from './prng.js';
export { waitFor } from './wait-for.js';
