/**
 * Command-line parsing for the `keel` binary: `keel start [options]`, `keel cluster ...`,
 * `keel --help`. Flags come from node:util's parseArgs; option names, environment variables,
 * defaults and help text all come from config.ts's optionSpecs.
 * Exports: parseCommandLine, Command, mainHelp, startHelp, clusterHelp.
 */
import { parseArgs } from 'node:util';
import { ConfigError, type FlagValues, optionSpecs } from './config.js';

export type Command =
  | { kind: 'help'; text: string }
  | { kind: 'version' }
  | { kind: 'start'; flags: FlagValues }
  | { kind: 'cluster'; action: string; args: string[]; http: string | undefined; toNode: string | undefined }
  | { kind: 'quarantine'; dataDir: string | undefined };

export function mainHelp(): string {
  return [
    'keel: a Raft-replicated, PostgreSQL-compatible SQL database node',
    '',
    'Usage:',
    '  keel start [options]          start a node (single node unless --peers is given)',
    '  keel cluster status [--http HOST:PORT]',
    '                                show the cluster as a table',
    '  keel cluster switchover [--to ID] | failover [--to ID]',
    '                                move the primary role (zero loss | forced)',
    '  keel cluster add ID=HOST:PORT | remove ID',
    '                                change membership (a new member starts with --join)',
    '  keel quarantine show [--data-dir DIR]',
    '                                print transactions a rewind quarantined (replication)',
    '  keel --help | keel start --help | keel cluster --help',
    '  keel --version',
    '',
    'Run `keel start --help` for every option of a node.',
  ].join('\n');
}

export function startHelp(): string {
  const rows = optionSpecs.map((option) => {
    const left = `  --${option.flag} ${option.valueName}`.trimEnd();
    const fallback = Array.isArray(option.defaultValue)
      ? 'none'
      : option.defaultValue === null
        ? 'none'
        : String(option.defaultValue);
    return `${left.padEnd(36)}${option.description}\n${''.padEnd(36)}env ${option.env}, default ${fallback}`;
  });
  return [
    'Usage: keel start [options]',
    '',
    'Starts a Keel node. Flags win over KEEL_* environment variables, which win over defaults.',
    'On the first start of an empty data directory the superuser "keel" is created with the',
    'password in KEEL_ADMIN_PASSWORD, or a generated one that is printed once and stored in',
    '<data-dir>/admin-password (mode 0600).',
    '',
    'Options:',
    ...rows,
    `  --help${''.padEnd(30)}show this help`,
  ].join('\n');
}

export function clusterHelp(): string {
  return [
    'Usage: keel cluster <command> [--http HOST:PORT]',
    '',
    'Commands:',
    '  status                 the cluster as this node sees it (GET /cluster), as a table',
    '  switchover [--to ID]   move the primary role with zero loss: fence writes, wait until the',
    '                         target (default: the most caught-up replica) flushed everything,',
    '                         then hand Raft leadership over; prints the new primary',
    '  failover [--to ID]     the forced variant: hand over without waiting for the target',
    '  add ID=HOST:PORT       add a member by its gRPC address: a learner until its log and WAL',
    '                         caught up, then a voter (start it with --join and --peers first)',
    '  remove ID              remove a member (not the leader itself: switch over first)',
    '',
    'Options:',
    '  --http HOST:PORT       HTTP endpoint of any node (default 127.0.0.1:$KEEL_HTTP_PORT or 127.0.0.1:8080);',
    '                         commands go to the leader, found through that node',
    '',
    'Changes are accepted from a loopback client, or with KEEL_ADMIN_PASSWORD set (sent as HTTP',
    'Basic credentials of the keel superuser).',
  ].join('\n');
}

export function parseCommandLine(argv: readonly string[]): Command {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    return { kind: 'help', text: mainHelp() };
  }
  if (command === '--version' || command === '-v') return { kind: 'version' };
  if (command === 'start') return parseStart(rest);
  if (command === 'cluster') return parseCluster(rest);
  if (command === 'quarantine') return parseQuarantine(rest);
  throw new ConfigError(`unknown command "${command}"; run keel --help`);
}

function parseStart(args: string[]): Command {
  const options: Record<string, { type: 'string' } | { type: 'boolean' }> = { help: { type: 'boolean' } };
  for (const option of optionSpecs)
    options[option.flag] =
      'boolean' in option && option.boolean === true ? { type: 'boolean' } : { type: 'string' };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: false, strict: true });
  } catch (error) {
    throw new ConfigError(error instanceof Error ? error.message : String(error));
  }
  if (parsed.values.help === true) return { kind: 'help', text: startHelp() };
  const flags: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(parsed.values)) {
    if (typeof value === 'string') flags[name] = value;
    else if (value === true && name !== 'help') flags[name] = 'true';
  }
  return { kind: 'start', flags };
}

function parseCluster(args: string[]): Command {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args,
      options: { help: { type: 'boolean' }, http: { type: 'string' }, to: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new ConfigError(error instanceof Error ? error.message : String(error));
  }
  const [action, ...positionals] = parsed.positionals;
  if (parsed.values.help === true || action === undefined) return { kind: 'help', text: clusterHelp() };
  const http = typeof parsed.values.http === 'string' ? parsed.values.http : undefined;
  const toNode = typeof parsed.values.to === 'string' ? parsed.values.to : undefined;
  return { kind: 'cluster', action, args: positionals, http, toNode };
}

/** `keel quarantine show [--data-dir DIR]` (the directory defaults to $KEEL_DATA_DIR, then ./data). */
function parseQuarantine(args: string[]): Command {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args,
      options: { 'data-dir': { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new ConfigError(error instanceof Error ? error.message : String(error));
  }
  const [action] = parsed.positionals;
  if (action !== 'show') throw new ConfigError('usage: keel quarantine show [--data-dir DIR]');
  const dataDir = parsed.values['data-dir'];
  return { kind: 'quarantine', dataDir: typeof dataDir === 'string' ? dataDir : undefined };
}
