/**
 * Test helpers for the storage engine: temporary data directories, a seeded PRNG (printed
 * seeds make failures replayable), and an engine factory with timers off so tests are
 * deterministic. Test-only: nothing in the engine imports this file.
 * Exports: tempDataDir, removeDir, seededRandom, seedFromEnv, openTestEngine, waitFor.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Disk } from '../disk/disk.js';
import { StorageEngine, type StorageEngineOptions } from '../storage-engine.js';

export function tempDataDir(prefix = 'keel-storage-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** mulberry32. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** KEEL_SEED when set, else `fallback`. */
export function seedFromEnv(fallback: number): number {
  const env = process.env.KEEL_SEED;
  return env ? Number(env) : fallback;
}

export function openTestEngine(
  dataDir: string,
  extra: Partial<StorageEngineOptions> & { disk?: Disk } = {},
): Promise<StorageEngine> {
  return StorageEngine.open({
    dataDir,
    bufferPoolBytes: 4 * 1024 * 1024,
    walSegmentBytes: 1024 * 1024,
    checkpointIntervalMs: 0,
    checkpointWalBytes: 0,
    walWriterDelayMs: 0,
    bgwriterDelayMs: 0,
    ...extra,
  });
}

/** Polls `probe` on later turns of the event loop until it holds (no fixed sleeps in tests). */
export async function waitFor(
  probe: () => boolean,
  options: { what: string; timeoutMs?: number },
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${options.what}`);
    await new Promise<void>((resolve) => setTimeout(resolve, 5));
  }
}
