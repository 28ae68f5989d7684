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
  | { kind: 'cluster'; action: string; args: string[]; http: string | undefined; toNode: string | undefined };

export function mainHelp(): string {
  return [
    'keel: a Raft-replicated, PostgreSQL-compatible SQL database node',
    '',
    'Usage:',
    '  keel start [options]          start a node (single node unless --peers is given)',
    '  keel cluster status [--http HOST:PORT]',
    '                                show the cluster as a table',
    '  keel --help | keel start --help | keel cluster --help',
    '  keel --version',
    '',
    'Run `keel start --help` for every option of a node.',
  ].join('\n');
}

export function startHelp(): string {
  const rows = optionSpecs.map((option) => {
    const left = `  --${option.flag} ${option.valueName}`;
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
    '',
    'Options:',
    '  --http HOST:PORT       HTTP endpoint of any node (default 127.0.0.1:$KEEL_HTTP_PORT or 127.0.0.1:8080)',
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
  throw new ConfigError(`unknown command "${command}"; run keel --help`);
}

function parseStart(args: string[]): Command {
  const options: Record<string, { type: 'string' } | { type: 'boolean' }> = { help: { type: 'boolean' } };
  for (const option of optionSpecs) options[option.flag] = { type: 'string' };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: false, strict: true });
  } catch (error) {
    throw new ConfigError(error instanceof Error ? error.message : String(error));
  }
  if (parsed.values.help === true) return { kind: 'help', text: startHelp() };
  const flags: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(parsed.values))
    if (typeof value === 'string') flags[name] = value;
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
