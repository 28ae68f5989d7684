/**
 * Runs replication scenario scripts (testdata/*.txt, described in testdata/README.md) on a
 * SimWorld: blocks of `#` comments and commands, then `---` and the transcript they produce
 * (the cores' log lines, the world's events, and `status` lines). `run` returns the script with
 * fresh transcripts; the golden test compares it with the file.
 * Exports: ScriptRunner.
 */
import type { LogFields, Logger } from '../logger.js';
import type { SyncLevel } from '../storage-port.js';
import { type SimOptions, SimWorld } from './sim-world.js';

const LEVELS: readonly SyncLevel[] = ['off', 'local', 'remote_write', 'on', 'remote_apply'];

function recordingLogger(lines: string[], bindings: LogFields = {}): Logger {
  const log = (fields: LogFields, msg: string) => {
    const all = { ...bindings, ...fields };
    const node = typeof all.node === 'string' ? `${all.node} ` : '';
    const rest = Object.entries(all)
      .filter(([key]) => key !== 'node')
      .map(([key, value]) => `${key}=${String(value)}`)
      .join(' ');
    lines.push(`${node}${msg}${rest === '' ? '' : ` ${rest}`}`);
  };
  return {
    debug: () => {},
    info: log,
    warn: log,
    error: log,
    child: (more) => recordingLogger(lines, { ...bindings, ...more }),
  };
}

export class ScriptRunner {
  private world: SimWorld | null = null;
  private readonly lines: string[] = [];
  readonly violations: string[] = [];

  run(text: string): string {
    const out: string[] = [];
    let pending: string[] = [];
    let skipping = false;
    for (const raw of text.split('\n')) {
      if (skipping) {
        if (raw.trim() === '') {
          skipping = false;
          out.push('');
        }
        continue;
      }
      if (raw.trim() === '---') {
        out.push('---', ...this.execute(pending));
        pending = [];
        skipping = true;
        continue;
      }
      out.push(raw);
      if (raw.trim() !== '' && !raw.startsWith('#')) pending.push(raw.trim());
    }
    while (out.length > 0 && out.at(-1) === '') out.pop();
    return `${out.join('\n')}\n`;
  }

  private execute(commands: string[]): string[] {
    for (const command of commands) this.command(command);
    const world = this.world;
    if (world !== null) {
      for (const v of world.violations.splice(0)) {
        this.violations.push(v);
        this.lines.push(`VIOLATION: ${v}`);
      }
    }
    const result = this.lines.splice(0);
    return result.length === 0 ? ['ok'] : result;
  }

  private command(line: string): void {
    const [name = '', ...rest] = line.split(/\s+/);
    const args = new Map<string, string>();
    const ids: string[] = [];
    for (const word of rest) {
      const eq = word.indexOf('=');
      if (eq > 0) args.set(word.slice(0, eq), word.slice(eq + 1));
      else ids.push(/^\d+$/.test(word) ? `n${word}` : word);
    }
    const num = (key: string, fallback: number) => Number(args.get(key) ?? fallback);
    const times = num('times', 1);
    if (name === 'cluster') {
      const options: SimOptions = {
        replicas: num('replicas', 2),
        syncReplicas: num('sync', 0),
        syncTimeoutTicks: num('timeout', 0),
        walKeepBytes: num('keep', 1_000_000),
        windowBytes: num('window', 1_000_000),
        chunkBytes: num('chunk', 1_000_000),
        replicaTimeoutTicks: num('replicatimeout', 30),
        keepaliveTicks: num('keepalive', 10),
      };
      this.world = new SimWorld(options, recordingLogger(this.lines));
      this.world.onEvent = (text) => this.lines.push(text);
      this.world.stabilize();
      return;
    }
    const world = this.world;
    if (world === null) throw new Error(`"${line}" before "cluster"`);
    for (let i = 0; i < times; i++) this.worldCommand(world, name, ids, args, line);
  }

  private worldCommand(
    world: SimWorld,
    name: string,
    ids: string[],
    args: Map<string, string>,
    line: string,
  ): void {
    switch (name) {
      case 'write': {
        const commit = args.get('commit');
        const level = LEVELS.find((l) => l === commit) ?? null;
        if (commit !== undefined && level === null) throw new Error(`bad commit level in "${line}"`);
        const record = world.write(Number(args.get('bytes') ?? 100), level);
        this.lines.push(
          `${world.primary} wrote ${record.id} at ${record.lsn}+${record.len}${level === null ? '' : ` commit=${level}`}`,
        );
        return;
      }
      case 'flush':
        world.flushPrimary();
        return;
      case 'begin-commit':
        this.lines.push(`${world.primary} transaction ${world.beginCommit()} asks to commit`);
        return;
      case 'tick':
        world.tick();
        return;
      case 'deliver':
        world.deliver();
        return;
      case 'stabilize':
        world.stabilize();
        return;
      case 'settle':
        world.tick();
        world.stabilize();
        return;
      case 'disconnect':
        for (const id of ids) world.disconnect(id, args.get('stale') === 'true');
        return;
      case 'partition':
        for (const id of ids) world.partition(id);
        return;
      case 'heal':
        world.heal();
        return;
      case 'crash':
        for (const id of ids) world.crash(id);
        return;
      case 'checkpoint':
        world.checkpoint();
        return;
      case 'promote':
        for (const id of ids) world.promote(id);
        return;
      case 'status':
        this.lines.push(...world.statusLines());
        return;
      default:
        throw new Error(`unknown command "${line}"`);
    }
  }
}
