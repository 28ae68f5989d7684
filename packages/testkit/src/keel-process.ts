/**
 * Test harness for real `keel` processes: starts the built binary on free loopback ports with a
 * temporary data directory, waits for its `ready` log line, and gives tests its ports, its log
 * lines and ways to stop it (SIGTERM, or SIGKILL to simulate a crash) and start it again on the
 * same data directory.
 * Exports: KeelProcess, startKeel, KeelStartOptions, keelBinaryPath.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** packages/server/dist/main.js, built by `pnpm build`. */
export const keelBinaryPath = fileURLToPath(new URL('../../server/dist/main.js', import.meta.url));

export interface KeelStartOptions {
  /** Reuse a data directory (restart); a fresh temporary one otherwise. */
  dataDir?: string;
  adminPassword?: string;
  /** Extra `keel start` flags. */
  args?: string[];
  env?: Record<string, string>;
  /** How long to wait for the ready line. */
  readyTimeoutMs?: number;
}

interface ReadyLine {
  msg?: string;
  pgPort?: number;
  httpPort?: number;
}

export class KeelProcess {
  readonly logs: string[] = [];
  private exitPromise: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly child: ChildProcess,
    readonly dataDir: string,
    readonly adminPassword: string,
    private readonly ownsDataDir: boolean,
    public pgPort = 0,
    public httpPort = 0,
  ) {
    this.exitPromise = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
  }

  static async start(options: KeelStartOptions = {}): Promise<KeelProcess> {
    const ownsDataDir = options.dataDir === undefined;
    const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'keel-test-'));
    const adminPassword = options.adminPassword ?? 'keel-test-password';
    const child = spawn(
      process.execPath,
      [
        keelBinaryPath,
        'start',
        '--data-dir',
        dataDir,
        '--pg-port',
        '0',
        '--http-port',
        '0',
        ...(options.args ?? []),
      ],
      {
        env: { ...process.env, KEEL_ADMIN_PASSWORD: adminPassword, KEEL_LOG_LEVEL: 'info', ...options.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const node = new KeelProcess(child, dataDir, adminPassword, ownsDataDir);
    await node.waitForReady(options.readyTimeoutMs ?? 30_000);
    return node;
  }

  get connectionString(): string {
    return `postgres://keel:${encodeURIComponent(this.adminPassword)}@127.0.0.1:${this.pgPort}/keel`;
  }

  /** pg.Client configuration for this node. */
  clientConfig(overrides: { user?: string; password?: string; database?: string } = {}) {
    return {
      host: '127.0.0.1',
      port: this.pgPort,
      user: overrides.user ?? 'keel',
      password: overrides.password ?? this.adminPassword,
      database: overrides.database ?? 'keel',
    };
  }

  /** Log lines parsed as JSON (non-JSON lines skipped). */
  jsonLogs(): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const line of this.logs) {
      try {
        out.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // stderr banners (the generated password) are plain text
      }
    }
    return out;
  }

  /** SIGTERM (graceful) and wait for the exit. */
  async stop(
    signal: NodeJS.Signals = 'SIGTERM',
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exitPromise;
  }

  /** Crash: SIGKILL, no chance to flush anything. */
  async kill9(): Promise<void> {
    await this.stop('SIGKILL');
  }

  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.exitPromise;
  }

  /** Starts a new process on the same data directory (after stop or kill9). */
  restart(options: Omit<KeelStartOptions, 'dataDir'> = {}): Promise<KeelProcess> {
    return KeelProcess.start({ adminPassword: this.adminPassword, ...options, dataDir: this.dataDir });
  }

  /** Stops the process if it runs and removes a temporary data directory. */
  async dispose(): Promise<void> {
    await this.kill9();
    if (this.ownsDataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }

  private waitForReady(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (error?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      };
      const timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        finish(new Error(`keel did not log "ready" within ${timeoutMs} ms; log:\n${this.logs.join('\n')}`));
      }, timeoutMs);
      const onLine = (line: string) => {
        this.logs.push(line);
        try {
          const parsed = JSON.parse(line) as ReadyLine;
          if (
            parsed.msg === 'ready' &&
            typeof parsed.pgPort === 'number' &&
            typeof parsed.httpPort === 'number'
          ) {
            this.pgPort = parsed.pgPort;
            this.httpPort = parsed.httpPort;
            finish();
          }
        } catch {
          // not JSON: plain-text banner
        }
      };
      splitLines(this.child.stdout, onLine);
      splitLines(this.child.stderr, onLine);
      this.child.once('exit', (code, signal) =>
        finish(
          new Error(
            `keel exited (code ${code}, signal ${signal}) before ready; log:\n${this.logs.join('\n')}`,
          ),
        ),
      );
    });
  }
}

function splitLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (stream === null) return;
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      onLine(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf('\n');
    }
  });
}

export function startKeel(options: KeelStartOptions = {}): Promise<KeelProcess> {
  return KeelProcess.start(options);
}
