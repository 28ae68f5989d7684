/**
 * Global setup of the container suite: before any test, make sure a Docker engine, the compose
 * plugin and psql are there, and fail the whole run at once with what is missing and how to run
 * the suite, instead of skipping silently or hanging in a container start.
 * Exports: setup (vitest globalSetup).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { getContainerRuntimeClient } from 'testcontainers';

const run = promisify(execFile);
const probeTimeoutMs = 15_000;

const howToRun = [
  'To run it: start a Docker engine (or point DOCKER_HOST at one), check that `docker compose version`',
  'and `psql --version` work, then run `pnpm test:docker` from the repository root.',
  'CI machines have no Docker engine: `npm test` covers the same behaviour with real processes;',
  'this suite adds the image, docker-compose.yml and the container lifecycle (deploy/README.md).',
].join('\n');

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function withTimeout<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not answer within ${probeTimeoutMs / 1000} s`)),
      probeTimeoutMs,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function setup(): Promise<void> {
  try {
    await withTimeout('the Docker engine', getContainerRuntimeClient());
  } catch (error) {
    throw new Error(
      `No Docker engine is reachable, so the container suite (test/docker) cannot run.\n` +
        `testcontainers looked at DOCKER_HOST, the Docker socket and the other usual places: ${reason(error)}.\n${howToRun}`,
    );
  }
  try {
    await withTimeout('docker compose version', run('docker', ['compose', 'version']));
  } catch (error) {
    throw new Error(
      `A Docker engine is reachable, but \`docker compose\` (the v2 plugin) is not: ${reason(error)}.\n${howToRun}`,
    );
  }
  try {
    await withTimeout('psql --version', run('psql', ['--version']));
  } catch (error) {
    throw new Error(
      `psql is needed for the multi-host connection check and was not found: ${reason(error)}.\n${howToRun}`,
    );
  }
}
