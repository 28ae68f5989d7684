/**
 * Golden session scripts (testdata/session/*.txt): a transcript of commands ("> query ...") and
 * the backend messages each produced. runSessionScript() replays the commands against a fresh
 * SessionHarness and returns the transcript they produce now; the test compares it with the
 * file, and UPDATE_GOLDEN=1 writes it back for review (STYLE.md section 6).
 *
 * Commands: session auth=md5|scram-sha-256 admission=admitted|tooManyConnections (first only);
 * login USER PASSWORD [key=value ...]; startup key=value ... [version=3.1]; sslRequest;
 * gssEncRequest; cancelRequest pid= secret=; password "text"; saslInitial mechanism= data=;
 * query "sql";
 * parse name= sql= types=[..]; bind portal= statement= params=[..] formats=[..] results=[..];
 * describe statement=|portal=; execute portal= max=; close statement=|portal=; sync; flush;
 * terminate; copyData "text"; copyDone; copyFail "text"; functionCall; eof;
 * violation "message" (the decoder failed); notify CHANNEL PAYLOAD (from another session);
 * shutdown (terminate with 57P01); state (the fake backend session's counters).
 * Exports: runSessionScript.
 */
import { encodeSaslInitialResponse } from '../codec/password-message.js';
import { protocolViolation } from '../codec/protocol-violation.js';
import { parseArguments, type ScriptArguments } from './script-arguments.js';
import { adminShutdown, type HarnessOptions, SessionHarness } from './session-harness.js';
import { describeBackendMessage } from './transcript.js';

export async function runSessionScript(text: string): Promise<string> {
  const out: string[] = [];
  let harness: SessionHarness | null = null;
  let closedReported = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith('> ')) {
      if (line.startsWith('#') || line.trim() === '') out.push(line);
      continue;
    }
    out.push(line);
    const [command = '', ...rest] = line.slice(2).split(' ');
    const args = parseArguments(rest.join(' '));
    if (command === 'session') {
      harness = new SessionHarness(harnessOptions(args));
      continue;
    }
    harness ??= new SessionHarness();
    out.push(...(await runCommand(harness, command, args)));
    if (harness.finished && !closedReported) {
      out.push('(connection closed)');
      closedReported = true;
    }
  }
  while (out.at(-1) === '') out.pop();
  return `${out.join('\n')}\n`;
}

function harnessOptions(args: ScriptArguments): HarnessOptions {
  return {
    authMethod: args.named.get('auth') === 'md5' ? 'md5' : 'scram-sha-256',
    admission: args.named.get('admission') === 'tooManyConnections' ? 'tooManyConnections' : 'admitted',
  };
}

async function runCommand(
  harness: SessionHarness,
  command: string,
  args: ScriptArguments,
): Promise<string[]> {
  const lines = (messages: Parameters<typeof describeBackendMessage>[0][]) =>
    messages.map(describeBackendMessage);
  switch (command) {
    case 'login': {
      const parameters = [...args.named]
        .filter(([k]) => k !== 'version')
        .map(([k, v]): [string, string] => [k, String(v)]);
      return lines(await harness.login(args.string(0), args.string(1), parameters, versionOf(args)));
    }
    case 'sslRequest':
    case 'gssEncRequest':
      return encryptionAnswer(harness, command);
    case 'eof':
      return lines(await harness.step({ kind: 'end' }));
    case 'violation':
      return lines(await harness.step({ kind: 'error', error: protocolViolation(args.string(0)) }));
    case 'notify':
      harness.backendSession.deliverNotification(args.string(0), args.string(1));
      return lines(await harness.settle());
    case 'shutdown':
      harness.session.terminate(adminShutdown());
      await harness.done;
      return lines(harness.output());
    case 'state':
      return [stateOf(harness)];
    default:
      return lines(await harness.send(frontendMessage(command, args)));
  }
}

async function encryptionAnswer(
  harness: SessionHarness,
  command: 'sslRequest' | 'gssEncRequest',
): Promise<string[]> {
  const idle = harness.connection.untilIdle();
  harness.connection.send({ kind: command });
  await Promise.race([idle, harness.done]);
  const raw = harness.takeRaw();
  const answer = raw.length > 0 && raw[0] === 0x4e ? ['(answer byte N)'] : [];
  return [...answer, ...harness.outputOf(raw.subarray(answer.length)).map(describeBackendMessage)];
}

function versionOf(args: ScriptArguments): { major: number; minor: number } {
  const [major = 3, minor = 0] = String(args.named.get('version') ?? '3.0')
    .split('.')
    .map(Number);
  return { major, minor };
}

function stateOf(harness: SessionHarness): string {
  const session = harness.backendSession;
  return `state database=${session.startup.database} status=${session.transactionStatus} closed=${session.closed} errorsBeforeSync=${session.errorsBeforeSync} syncs=${session.syncCount} cancels=${session.cancelCount}`;
}

function frontendMessage(command: string, args: ScriptArguments) {
  switch (command) {
    case 'startup': {
      const parameters = new Map(
        [...args.named].filter(([k]) => k !== 'version').map(([k, v]) => [k, String(v)]),
      );
      return { kind: 'startup', version: versionOf(args), parameters } as const;
    }
    case 'saslInitial':
      return {
        kind: 'password',
        data: encodeSaslInitialResponse(args.text('mechanism'), Buffer.from(args.text('data'))),
      } as const;
    case 'cancelRequest':
      return {
        kind: 'cancelRequest',
        processId: args.number('pid'),
        secretKey: args.number('secret'),
      } as const;
    case 'password':
      return { kind: 'password', data: Buffer.from(`${args.string(0)}\0`) } as const;
    case 'query':
      return { kind: 'query', sql: args.string(0) } as const;
    case 'parse':
      return {
        kind: 'parse',
        statementName: args.text('name'),
        sql: args.text('sql'),
        paramTypeOids: args.numbers('types'),
      } as const;
    case 'bind':
      return {
        kind: 'bind',
        portalName: args.text('portal'),
        statementName: args.text('statement'),
        paramFormats: args.numbers('formats'),
        params: args.values('params'),
        resultFormats: args.numbers('results'),
      } as const;
    case 'describe':
    case 'close': {
      const target = args.named.has('statement') ? 'statement' : 'portal';
      return { kind: command, target, name: args.text(target) } as const;
    }
    case 'execute':
      return {
        kind: 'execute',
        portalName: args.text('portal'),
        maxRows: args.named.has('max') ? args.number('max') : 0,
      } as const;
    case 'copyData':
      return { kind: 'copyData', data: Buffer.from(args.string(0)) } as const;
    case 'copyFail':
      return { kind: 'copyFail', message: args.string(0) } as const;
    case 'sync':
    case 'flush':
    case 'terminate':
    case 'copyDone':
      return { kind: command } as const;
    case 'functionCall':
      return { kind: 'functionCall', data: Buffer.alloc(0) } as const;
    default:
      throw new Error(`unknown script command "${command}"`);
  }
}
