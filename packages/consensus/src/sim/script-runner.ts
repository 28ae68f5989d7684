/**
 * Runs scenario scripts (packages/consensus/testdata/*.txt) against real RaftNode cores, with
 * manual control of time and of every message, and prints what happens as a transcript. A script
 * is a series of blocks, each optional `#` comments, commands, `---`, then the expected output;
 * the runner regenerates the whole file, and the test compares it with the original
 * (UPDATE_GOLDEN=1 writes it back instead). The format follows toydb's goldenscript and etcd's
 * datadriven interaction tests.
 *
 * Determinism: node nK's Env.random returns (K-1)/10, so its randomized election timeout is
 * electionTimeoutTicks + (K-1) * electionTimeoutTicks/10 (rounded down): n1 times out first, then
 * n2, and so on, with no split votes unless a script makes one. Disks are immediate; messages
 * move only on `deliver` or `stabilize`. The invariant checker runs as
 * in the simulation; a violation is printed in the transcript and fails the test.
 * Commands are listed in testdata/README.md.
 * Exports: ScriptRunner, parseScript, ScriptBlock.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { LogFields, Logger } from '../logger.js';
import { bootstrapConfig, emptyConfig } from '../raft/cluster-config.js';
import { compareTermLsn } from '../raft/data-position.js';
import type { Input, MembershipChange, Output } from '../raft/io.js';
import type { RaftOptions } from '../raft/raft-state.js';
import { type DataPosition, type Entry, LogIndex, type NodeId, Term } from '../raft/types.js';
import { formatEntry, formatMessage, formatStatus } from './format.js';
import { InvariantChecker } from './invariant-checker.js';
import { Prng } from './prng.js';
import type { Envelope } from './sim-network.js';
import { SimNode } from './sim-node.js';

export interface ScriptBlock {
  readonly comments: readonly string[];
  readonly commands: readonly string[];
}

export function parseScript(text: string): ScriptBlock[] {
  const lines = text.split('\n');
  const blocks: ScriptBlock[] = [];
  let i = 0;
  while (i < lines.length) {
    while (i < lines.length && (lines[i] ?? '').trim() === '') i++;
    if (i >= lines.length) break;
    const comments: string[] = [];
    const commands: string[] = [];
    while (i < lines.length && (lines[i] ?? '').startsWith('#')) comments.push(lines[i++] ?? '');
    while (i < lines.length && (lines[i] ?? '').trim() !== '---') {
      const line = (lines[i++] ?? '').trim();
      if (line !== '') commands.push(line);
    }
    i++; // the --- line
    while (i < lines.length && (lines[i] ?? '').trim() !== '') i++; // the old output
    blocks.push({ comments, commands });
  }
  return blocks;
}

interface Args {
  readonly positional: string[];
  readonly named: Map<string, string>;
}

function parseArgs(words: string[]): Args {
  const positional: string[] = [];
  const named = new Map<string, string>();
  for (const word of words) {
    const eq = word.indexOf('=');
    if (eq > 0) named.set(word.slice(0, eq), word.slice(eq + 1));
    else positional.push(word);
  }
  return { positional, named };
}

const nodeId = (ref: string): NodeId => (ref.startsWith('n') ? ref : `n${ref}`);

function fieldText(value: unknown): string {
  if (Array.isArray(value)) return value.map(String).join(',');
  if (value === null || value === undefined) return '-';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

class ScriptError extends KeelError {
  constructor(message: string) {
    super(SqlState.InvalidParameterValue, message);
  }
}

export class ScriptRunner {
  private readonly nodes = new Map<NodeId, SimNode>();
  private readonly checker = new InvariantChecker();
  private readonly positions = new Map<NodeId, DataPosition | null>();
  private readonly blocked = new Set<string>();
  private pending: Envelope[] = [];
  private out: string[] = [];
  private quiet = false;
  private requestId = 1;
  private reported = 0;

  /** Runs a whole script and returns its regenerated text. */
  run(text: string): string {
    const parts: string[] = [];
    for (const block of parseScript(text)) {
      this.out = [];
      for (const command of block.commands) this.exec(command);
      this.reportViolations();
      const output = this.out.length === 0 ? ['ok'] : this.out;
      parts.push([...block.comments, ...block.commands, '---', ...output].join('\n'));
    }
    return `${parts.join('\n\n')}\n`;
  }

  get violations(): readonly string[] {
    return this.checker.violations;
  }

  private print(line: string): void {
    if (!this.quiet) this.out.push(line);
  }

  private reportViolations(): void {
    const all = this.checker.violations;
    for (; this.reported < all.length; this.reported++) this.out.push(`VIOLATION: ${all[this.reported]}`);
  }

  private exec(line: string): void {
    const [command = '', ...rest] = line.split(/\s+/);
    const args = parseArgs(rest);
    const ids = args.positional.map(nodeId);
    const named = (key: string): string | undefined => args.named.get(key);
    const target = (): SimNode => this.node(ids[0]);
    switch (command) {
      case 'cluster':
        this.cluster(args);
        return;
      case 'campaign':
        this.input(ids, { kind: 'campaign' });
        return;
      case 'tick':
        this.tick(ids, Number(named('times') ?? '1'));
        return;
      case 'propose':
        this.input([target().id], {
          kind: 'propose',
          requestId: this.requestId++,
          command: new TextEncoder().encode(args.positional[1] ?? 'x'),
        });
        return;
      case 'deliver':
        this.deliverRound(named('from'), named('to'));
        return;
      case 'stabilize':
        this.stabilize();
        return;
      case 'drop':
        this.drop(named('from'), named('to'));
        return;
      case 'partition':
        this.partition(ids);
        return;
      case 'cut':
        this.blocked.add(`${nodeId(named('from') ?? '')}>${nodeId(named('to') ?? '')}`);
        return;
      case 'heal':
        this.blocked.clear();
        return;
      case 'crash':
        for (const id of ids) this.node(id).crash(new Prng(1));
        return;
      case 'restart':
        for (const id of ids) this.node(id).start();
        return;
      case 'status':
        for (const node of ids.length === 0 ? [...this.nodes.values()] : ids.map((id) => this.node(id))) {
          const core = node.raft();
          this.print(core === null ? `${node.id} down` : formatStatus(core.status()));
        }
        return;
      case 'log':
        this.printLog(ids);
        return;
      case 'set-log':
        this.setLog(target(), args);
        return;
      case 'transfer':
        this.input([target().id], {
          kind: 'transferLeadership',
          to: named('to') ? nodeId(named('to') ?? '') : null,
        });
        return;
      case 'add-learner':
      case 'add-voter':
      case 'remove':
        this.membership(target(), command, nodeId(named('node') ?? ''));
        return;
      case 'compact': {
        const node = target();
        const index = LogIndex(Number(named('index') ?? node.sm.index));
        this.input([node.id], { kind: 'compact', index, data: node.sm.encode() });
        return;
      }
      case 'data-position':
        this.positions.set(target().id, {
          term: Number(named('term') ?? '0'),
          lsn: BigInt(named('lsn') ?? '0'),
        });
        return;
      default:
        throw new ScriptError(`unknown script command "${command}"`);
    }
  }

  private node(id: NodeId | undefined): SimNode {
    const node = id === undefined ? undefined : this.nodes.get(id);
    if (node === undefined) throw new ScriptError(`no node ${id ?? '(missing)'}`);
    return node;
  }

  private cluster(args: Args): void {
    const flag = (key: string, dflt: boolean): boolean => (args.named.get(key) ?? String(dflt)) === 'true';
    const num = (key: string, dflt: number): number => Number(args.named.get(key) ?? dflt);
    const count = num('nodes', 3);
    const ids = Array.from({ length: count }, (_, k) => `n${k + 1}`);
    const voters = (args.named.get('voters')?.split(',') ?? ids).map(nodeId);
    const options: RaftOptions = {
      electionTimeoutTicks: num('election', 10),
      heartbeatTicks: num('heartbeat', 2),
      preVote: flag('prevote', true),
      checkQuorum: flag('checkquorum', true),
      maxEntriesPerAppend: num('maxentries', 64),
      maxInFlightAppends: num('inflight', 8),
      catchUpMarginEntries: num('margin', 0),
    };
    const compare = args.named.get('datapos') === 'termlsn' ? compareTermLsn : () => 0;
    for (const id of ids) {
      const node: SimNode = new SimNode(
        {
          id,
          options,
          bootstrapConfig: voters.includes(id)
            ? bootstrapConfig(voters.map((v) => ({ id: v, address: v })))
            : emptyConfig(),
          diskLatency: () => 0,
          send: (from, to, msg) => this.pending.push({ from, to, msg }),
          checker: this.checker,
          logger: this.loggerFor(id),
          dataPosition: () => this.positions.get(id) ?? null,
          compareDataPosition: compare,
          onOutput: (n, output) => this.onOutput(n, output),
        },
        () => {
          const stagger = ((Number(id.slice(1)) - 1) % 10) / 10;
          return () => stagger;
        },
      );
      node.start();
      this.nodes.set(id, node);
    }
    const leader = args.named.get('leader');
    if (leader !== undefined) {
      this.quiet = true;
      this.input([nodeId(leader)], { kind: 'campaign' });
      this.stabilize();
      this.quiet = false;
    }
    for (const node of this.nodes.values()) this.print(formatStatus(node.raft()?.status() ?? fail(node.id)));
  }

  private loggerFor(id: NodeId): Logger {
    const line = (fields: LogFields, msg: string): void => {
      const rendered = Object.entries(fields).map(([k, v]) => ` ${k}=${fieldText(v)}`);
      this.print(`${id} ${msg}${rendered.join('')}`);
    };
    const logger: Logger = { debug: line, info: line, warn: line, error: line, child: () => logger };
    return logger;
  }

  private onOutput(node: SimNode, output: Output): void {
    switch (output.kind) {
      case 'apply':
        for (const entry of output.entries) this.print(`${node.id} apply ${formatEntry(entry)}`);
        break;
      case 'accepted':
        this.print(`${node.id} accepted ${output.index}@${output.term}`);
        break;
      case 'dropped':
        this.print(`${node.id} dropped ${output.reason} leader=${output.leader ?? '-'}`);
        break;
      case 'restore':
        this.print(`${node.id} restore ${output.snapshot.meta.index}@${output.snapshot.meta.term}`);
        break;
      default:
        break;
    }
  }

  private input(ids: NodeId[], input: Input): void {
    for (const id of ids) {
      const node = this.node(id);
      node.enqueue(input);
      node.process(0);
    }
  }

  private tick(ids: NodeId[], times: number): void {
    const targets = ids.length === 0 || ids[0] === 'nall' ? [...this.nodes.keys()] : ids;
    for (let t = 0; t < times; t++)
      this.input(
        targets.filter((id) => this.node(id).up),
        { kind: 'tick' },
      );
  }

  /** Delivers the messages pending now (those they cause wait for the next round). */
  private deliverRound(from?: string, to?: string): number {
    const matches = (e: Envelope): boolean =>
      (from === undefined || e.from === nodeId(from)) && (to === undefined || e.to === nodeId(to));
    const now = this.pending.filter(matches);
    this.pending = this.pending.filter((e) => !matches(e));
    for (const e of now) {
      const node = this.node(e.to);
      if (!node.up || this.blocked.has(`${e.from}>${e.to}`)) continue;
      this.print(`${e.from}->${e.to} ${formatMessage(e.msg)}`);
      node.enqueue({ kind: 'message', from: e.from, msg: e.msg });
      node.process(0);
    }
    return now.length;
  }

  private stabilize(): void {
    for (let round = 0; this.pending.length > 0; round++) {
      if (round > 1000) throw new ScriptError('stabilize did not converge in 1000 rounds');
      this.deliverRound();
    }
  }

  private drop(from?: string, to?: string): void {
    const before = this.pending.length;
    this.pending = this.pending.filter(
      (e) => !((from === undefined || e.from === nodeId(from)) && (to === undefined || e.to === nodeId(to))),
    );
    this.print(`dropped ${before - this.pending.length} messages`);
  }

  private partition(ids: NodeId[]): void {
    for (const a of ids) {
      for (const b of this.nodes.keys()) {
        if (ids.includes(b)) continue;
        this.blocked.add(`${a}>${b}`);
        this.blocked.add(`${b}>${a}`);
      }
    }
  }

  private membership(node: SimNode, command: string, member: NodeId): void {
    const change: MembershipChange =
      command === 'add-learner'
        ? { type: 'addLearner', node: member, address: member }
        : command === 'add-voter'
          ? { type: 'addVoter', node: member }
          : { type: 'removeServer', node: member };
    this.input([node.id], { kind: 'changeMembership', requestId: this.requestId++, change });
  }

  private printLog(ids: NodeId[]): void {
    for (const id of ids) {
      const stored = this.node(id).storage.load();
      const snap =
        stored.snapshot === null
          ? ''
          : `snapshot=${stored.snapshot.meta.index}@${stored.snapshot.meta.term} `;
      const entries = stored.entries.map((e: Entry) => formatEntry(e)).join(', ');
      this.print(`${id} log: ${snap}[${entries}]`);
    }
  }

  /** Replaces a node's disk with the given log (terms by index) and restarts it from there. */
  private setLog(node: SimNode, args: Args): void {
    const terms = (args.named.get('terms') ?? '')
      .split(',')
      .filter((t) => t !== '')
      .map(Number);
    const entries: Entry[] = terms.map((term, k) => ({
      index: LogIndex(k + 1),
      term: Term(term),
      body: { type: 'command', command: new TextEncoder().encode(`v${k + 1}.${term}`) },
    }));
    const term = Number(args.named.get('term') ?? Math.max(0, ...terms));
    node.crash(new Prng(1));
    node.storage.apply({
      kind: 'persist',
      hardState: { term: Term(term), vote: null, commit: LogIndex(Number(args.named.get('commit') ?? '0')) },
      snapshot: null,
      entries,
    });
    node.start();
    this.print(`${node.id} log: [${entries.map(formatEntry).join(', ')}] term=${term}`);
  }
}

function fail(id: NodeId): never {
  throw new ScriptError(`node ${id} is down`);
}
