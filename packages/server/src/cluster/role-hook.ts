/**
 * The `--on-role-change CMD` hook (Patroni's on_role_change callback, without its two classic
 * failures: hooks that never fire and hooks that fire twice). It is level-triggered from
 * committed Raft state: the composition calls `desire(role, term)` whenever the applied primary
 * announcement says what this node now is, and the runner converges on the latest desire:
 *   - one run at a time; a newer desire waits for the running hook, then replaces any older
 *     pending one (intermediate states are skipped, never run out of order);
 *   - a run that exits 0 is recorded in <data-dir>/role-hook.json as { role, term }; the same or
 *     an older (role, term) is never run again, also after a restart;
 *   - a failing or hanging hook (killed after `timeoutMs`) is logged and retried with backoff
 *     (1 s doubling to 30 s) until it succeeds or a newer desire replaces it;
 *   - nothing waits for it: the database never blocks on a hook.
 * The command runs through /bin/sh with the arguments `ROLE NODE_ID TERM CLUSTER` ($1..$4) and
 * the same values in KEEL_ROLE, KEEL_NODE_ID, KEEL_TERM, KEEL_CLUSTER. Because the term is
 * passed, a hook can itself ignore a term it has already acted on (running twice is harmless).
 * The same runner drives the Kubernetes role label (pod-labeler.ts) with an `action` instead of a
 * command and no state file (a recreated pod has lost its label, so each start patches again).
 * Exports: RoleHookRunner, HookRole, HookOutcome, RoleHookOptions.
 */
import { spawn } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Logger } from '../logger.js';

export type HookRole = 'primary' | 'replica';

export interface RoleHookOptions {
  /** The shell command, or a description of `action` for the log. */
  readonly command: string;
  readonly nodeId: string;
  readonly cluster: string;
  /** Where the last successful run is recorded; null: nowhere (the action runs again after a restart). */
  readonly stateFile: string | null;
  readonly logger: Logger;
  /** Runs instead of the shell command (the Kubernetes role label: pod-labeler.ts). */
  readonly action?: (role: HookRole, term: number) => Promise<HookOutcome>;
  /** The log component (default 'hook'). */
  readonly component?: string;
  /** The log messages' subject (default 'role-change hook'). */
  readonly name?: string;
  readonly timeoutMs?: number;
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
}

/** What one run of the hook did: ok, and a short detail (output or error) for the log. */
export interface HookOutcome {
  readonly ok: boolean;
  readonly detail: string;
}

interface Desire {
  readonly role: HookRole;
  readonly term: number;
}

function readDone(file: string | null): Desire | null {
  if (file === null) return null;
  try {
    const value: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (typeof value !== 'object' || value === null) return null;
    const role: unknown = Reflect.get(value, 'role');
    const term: unknown = Reflect.get(value, 'term');
    if ((role === 'primary' || role === 'replica') && typeof term === 'number') return { role, term };
    return null;
  } catch {
    // No record yet (first start) or an unreadable one: the next desire runs.
    return null;
  }
}

export class RoleHookRunner {
  private done: Desire | null;
  private pending: Desire | null = null;
  private running = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryDelayMs: number;
  private closed = false;
  private readonly log: Logger;

  constructor(private readonly options: RoleHookOptions) {
    this.done = readDone(options.stateFile);
    this.retryDelayMs = options.retryMinMs ?? 1000;
    this.log = options.logger.child({ component: options.component ?? 'hook' });
  }

  /** This node is now `role` as of the primary announcement of `term`. */
  desire(role: HookRole, term: number): void {
    if (this.closed) return;
    const current = this.pending ?? this.done;
    if (current !== null && (term < current.term || (term === current.term && role === current.role))) return;
    this.pending = { role, term };
    this.retryDelayMs = this.options.retryMinMs ?? 1000;
    if (this.retryTimer !== null) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    // Let a batch of applies (a restart replaying its log) settle before running.
    setImmediate(() => this.maybeRun());
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
  }

  private maybeRun(): void {
    if (this.running || this.closed || this.pending === null || this.retryTimer !== null) return;
    const desire = this.pending;
    this.running = true;
    this.run(desire)
      .then((outcome) => this.finished(desire, outcome))
      .catch((error: unknown) => this.finished(desire, { ok: false, detail: String(error), ms: 0 }));
  }

  private finished(desire: Desire, outcome: { ok: boolean; detail: string; ms: number }): void {
    this.running = false;
    const fields = {
      role: desire.role,
      term: desire.term,
      durationMs: outcome.ms,
      command: this.options.command,
    };
    if (outcome.ok) {
      this.log.info({ ...fields, output: outcome.detail }, `${this.options.name ?? 'role-change hook'} ran`);
      this.done = desire;
      this.record(desire);
      if (this.pending === desire) this.pending = null;
      this.retryDelayMs = this.options.retryMinMs ?? 1000;
      this.maybeRun();
      return;
    }
    if (this.pending !== desire) {
      this.maybeRun();
      return;
    }
    this.log.warn(
      { ...fields, error: outcome.detail, retryInMs: this.retryDelayMs },
      `${this.options.name ?? 'role-change hook'} failed; retrying`,
    );
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.maybeRun();
    }, this.retryDelayMs);
    this.retryTimer.unref();
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, this.options.retryMaxMs ?? 30_000);
  }

  private record(desire: Desire): void {
    if (this.options.stateFile === null) return;
    const temp = `${this.options.stateFile}.tmp`;
    try {
      writeFileSync(temp, `${JSON.stringify(desire)}\n`);
      renameSync(temp, this.options.stateFile);
    } catch (error) {
      // The hook ran; at worst it runs once more after a restart, which its term makes harmless.
      this.log.warn({ err: error, file: this.options.stateFile }, 'could not record the hook run');
    }
  }

  private run(desire: Desire): Promise<{ ok: boolean; detail: string; ms: number }> {
    const started = performance.now();
    const { action } = this.options;
    if (action !== undefined)
      return action(desire.role, desire.term).then((outcome) => ({
        ...outcome,
        ms: Math.round(performance.now() - started),
      }));
    const { command, nodeId, cluster } = this.options;
    const term = String(desire.term);
    return new Promise((resolve) => {
      const child = spawn('/bin/sh', ['-c', command, 'keel-role-hook', desire.role, nodeId, term, cluster], {
        env: {
          ...process.env,
          KEEL_ROLE: desire.role,
          KEEL_NODE_ID: nodeId,
          KEEL_TERM: term,
          KEEL_CLUSTER: cluster,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      const keep = (chunk: Buffer) => {
        output = (output + chunk.toString('utf8')).slice(-2000);
      };
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      const timeoutMs = this.options.timeoutMs ?? 30_000;
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const ms = () => Math.round(performance.now() - started);
      child.once('error', (error) => {
        clearTimeout(timer);
        resolve({ ok: false, detail: error.message, ms: ms() });
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        const tail = output.trim();
        if (code === 0) resolve({ ok: true, detail: tail, ms: ms() });
        else
          resolve({
            ok: false,
            detail: `${signal === null ? `exit code ${code}` : `killed by ${signal} after ${timeoutMs} ms`}${tail === '' ? '' : `: ${tail}`}`,
            ms: ms(),
          });
      });
    });
  }
}
