#!/usr/bin/env node
import path from 'node:path';
import { isKeelError } from '@keel/errors';
import { parseCommandLine } from './cli.js';
import { runClusterCommand } from './cluster-command.js';
/**
 * The `keel` binary's entry point: parses the command line, then starts a node or runs a
 * cluster command. Exit codes: 0 success, 1 runtime failure, 2 bad usage or configuration.
 */
import { ConfigError, resolveConfig } from './config.js';
import { createRootLogger } from './logger.js';

const VERSION = '0.1.0';

async function main(argv: string[]): Promise<number> {
  const command = parseCommandLine(argv);
  switch (command.kind) {
    case 'help':
      process.stdout.write(`${command.text}\n`);
      return 0;
    case 'version':
      process.stdout.write(`keel ${VERSION}\n`);
      return 0;
    case 'cluster':
      return runClusterCommand(command, process.env);
    case 'quarantine': {
      const dataDir = path.resolve(command.dataDir ?? process.env.KEEL_DATA_DIR ?? './data');
      // Loaded here, not at the top: `keel cluster ...` (an operator command, the preStop hook, the
      // drill) then starts without loading the database engine, in a fraction of the time.
      const { formatQuarantine, readQuarantine } = await import('@keel/node-core');
      process.stdout.write(formatQuarantine(readQuarantine(dataDir)));
      return 0;
    }
    case 'start': {
      const config = resolveConfig(command.flags, process.env);
      const logger = createRootLogger(
        config.logLevel,
        config.nodeId === null ? {} : { nodeId: config.nodeId },
      );
      const { startNode } = await import('./keel-node.js');
      const node = await startNode(config, logger);
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        process.once(signal, () => {
          node.shutdown(signal).catch((error: unknown) => {
            logger.fatal({ err: error }, 'shutdown failed');
            process.exit(1);
          });
        });
      }
      await node.stopped;
      return 0;
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`keel: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    // A KeelError is an expected refusal (a locked or damaged data directory): say what and
    // what to do, without a stack trace. Anything else is a bug and keeps its stack.
    process.stderr.write(
      isKeelError(error)
        ? `keel: ${error.message} (SQLSTATE ${error.sqlstate})\n${error.hint === undefined ? '' : `hint: ${error.hint}\n`}`
        : `keel: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    // Exit now: a start that failed half-way (a port in use) may leave servers and timers of
    // the parts that did start, and a node that cannot serve must not linger as a process.
    process.exit(1);
  },
);
