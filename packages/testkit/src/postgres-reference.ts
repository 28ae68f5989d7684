/**
 * PostgreSQL reference server: a throwaway PostgreSQL 15 for differential tests. It runs initdb
 * into a fresh temp directory (locale C, UTF8, trust auth on loopback only), starts `postgres`
 * on a free loopback port, waits until it accepts connections and hands back its address.
 * `stop()` shuts the server down (fast shutdown) and removes the directory.
 *
 * PostgreSQL refuses to run as root, so when this process is root the directory is chowned to
 * the unprivileged `postgres` OS user and the binaries run under its uid through `setpriv`.
 * Exports: startPostgresReference, PostgresReference, PostgresReferenceOptions, ReferenceClient,
 * ReferenceResult.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.js';

export interface PostgresReference {
  port: number;
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  connectionString: string;
  /** A connected client that returns every value as PostgreSQL's text output (no parsing). */
  connect(): Promise<ReferenceClient>;
  /** Stops the server and removes its data directory. Safe to call twice. */
  stop(): Promise<void>;
}

/** One query's outcome: rows of raw text values, or the server's error. */
export type ReferenceResult =
  | { ok: true; fields: { name: string; typeOid: number }[]; rows: (string | null)[][] }
  | { ok: false; code: string; message: string; detail?: string; hint?: string };

export interface ReferenceClient {
  query(sql: string): Promise<ReferenceResult>;
  close(): Promise<void>;
}

export interface PostgresReferenceOptions {
  /** Directory with initdb and postgres; PostgreSQL 15's Debian location by default. */
  binDir?: string;
  /** OS user to run as when this process is root; `postgres` by default. */
  osUser?: string;
  /** How long to wait for the server to accept connections; 30 s by default. */
  startTimeoutMs?: number;
}

const defaultBinDir = '/usr/lib/postgresql/15/bin';

/** Starts a throwaway PostgreSQL server; call `stop()` in afterAll. */
export async function startPostgresReference(
  options: PostgresReferenceOptions = {},
): Promise<PostgresReference> {
  const binDir = options.binDir ?? defaultBinDir;
  if (!existsSync(join(binDir, 'postgres'))) throw new Error(`PostgreSQL binaries not found in ${binDir}`);
  const root = mkdtempSync(join(tmpdir(), 'keel-pgref-'));
  const dataDir = join(root, 'data');
  const runAs = process.getuid?.() === 0 ? lookupUser(options.osUser ?? 'postgres') : null;
  if (runAs !== null) {
    chownSync(root, runAs.uid, runAs.gid);
    chmodSync(root, 0o700);
  }
  try {
    runInitdb(binDir, dataDir, runAs);
    const port = await freePort();
    const { child, stderr } = spawnPostgres(binDir, dataDir, root, port, runAs);
    const connectionString = `postgres://postgres@127.0.0.1:${port}/postgres`;
    await waitUntilReady(connectionString, child, stderr, options.startTimeoutMs ?? 30_000);
    return {
      port,
      connectionString,
      connect: () => connectClient(connectionString),
      stop: stopper(child, root),
    };
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
}

interface OsUser {
  name: string;
  uid: number;
  gid: number;
}

function lookupUser(name: string): OsUser {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error(
      `running as root needs the unprivileged OS user "${name}" (e.g. apt-get install postgresql)`,
    );
  }
  return { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function command(binary: string, args: string[], runAs: OsUser | null): [string, string[]] {
  if (runAs === null) return [binary, args];
  // setpriv execs the binary in place (no wrapper process), so signals reach postgres directly.
  const drop = [`--reuid=${runAs.uid}`, `--regid=${runAs.gid}`, '--clear-groups', '--'];
  return ['setpriv', [...drop, binary, ...args]];
}

function runInitdb(binDir: string, dataDir: string, runAs: OsUser | null): void {
  const args = [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '--locale=C',
    '--encoding=UTF8',
    '--auth=trust',
    '--no-sync',
    '--no-instructions',
  ];
  const [file, argv] = command(join(binDir, 'initdb'), args, runAs);
  const result = spawnSync(file, argv, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`initdb failed: ${result.stderr || result.stdout}`);
}

function spawnPostgres(binDir: string, dataDir: string, root: string, port: number, runAs: OsUser | null) {
  const args = [
    '-D',
    dataDir,
    '-p',
    String(port),
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    `unix_socket_directories=${root}`,
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
    '-c',
    'TimeZone=UTC',
  ];
  const [file, argv] = command(join(binDir, 'postgres'), args, runAs);
  const child = spawn(file, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 64 * 1024) stderr += chunk.toString('utf8');
  });
  return { child, stderr: () => stderr };
}

const rawText = { getTypeParser: () => (value: string) => value };

/** A server error as node-postgres reports it (DatabaseError); anything else is rethrown. */
function serverError(error: unknown): ReferenceResult | null {
  if (typeof error !== 'object' || error === null || !('code' in error) || typeof error.code !== 'string')
    return null;
  const text = (key: string): string | undefined => {
    const value: unknown = Reflect.get(error, key);
    return typeof value === 'string' ? value : undefined;
  };
  const result: ReferenceResult = { ok: false, code: error.code, message: text('message') ?? '' };
  const detail = text('detail');
  const hint = text('hint');
  if (detail !== undefined) result.detail = detail;
  if (hint !== undefined) result.hint = hint;
  return result;
}

async function connectClient(connectionString: string): Promise<ReferenceClient> {
  const client = new pg.Client({ connectionString, types: rawText });
  await client.connect();
  return {
    async query(sql: string): Promise<ReferenceResult> {
      try {
        const r = await client.query<(string | null)[]>({ text: sql, rowMode: 'array' });
        return {
          ok: true,
          fields: r.fields.map((f) => ({ name: f.name, typeOid: f.dataTypeID })),
          rows: r.rows,
        };
      } catch (error) {
        const failure = serverError(error);
        if (failure === null) throw error;
        return failure;
      }
    },
    close: () => client.end(),
  };
}

async function waitUntilReady(
  connectionString: string,
  child: ChildProcess,
  stderr: () => string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`postgres exited (${child.exitCode}) while starting: ${stderr()}`);
    const client = new pg.Client({ connectionString });
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) {
        child.kill('SIGQUIT');
        throw new Error(`postgres did not accept connections in time: ${stderr()}`, { cause: error });
      }
      await new Promise<void>((resolve) => {
        // Waiting for the server to come up: poll the connection, not a fixed sleep in a test.
        setTimeout(resolve, 50);
      });
    }
  }
}

function stopper(child: ChildProcess, root: string): () => Promise<void> {
  let stopped: Promise<void> | null = null;
  // If the test process exits without stop() (a crashed or killed worker), do not leak the server.
  const onExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGQUIT');
    rmSync(root, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  return () => {
    process.removeListener('exit', onExit);
    stopped ??= new Promise<void>((resolve) => {
      const finish = () => {
        rmSync(root, { recursive: true, force: true });
        resolve();
      };
      if (child.exitCode !== null || child.signalCode !== null) {
        finish();
        return;
      }
      child.once('exit', finish);
      // SIGINT is PostgreSQL's "fast shutdown": roll back sessions and exit cleanly.
      child.kill('SIGINT');
    });
    return stopped;
  };
}
