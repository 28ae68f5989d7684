/**
 * The startup phase, before authentication: encryption requests are answered (see
 * encryption-negotiation.ts; each may come once), a CancelRequest ends the phase at once, and a
 * StartupMessage is checked the way PostgreSQL's ProcessStartupPacket checks it:
 * 1. Only protocol major 3 is spoken (FATAL 0A000 otherwise).
 * 2. A 3.x minor above 0, or any `_pq_.` protocol option, gets NegotiateProtocolVersion (3.0 and
 *    the options not understood), and the session continues in 3.0.
 * 3. `user` is required (FATAL 28000); `database` defaults to the user name.
 * 4. A connection over the limit is refused here with 53300, after the startup packet, so that
 *    clients read the error where they expect one and cancel requests still get through.
 * The NegotiateProtocolVersion frame of rule 2 is returned, not sent: a session routed to
 * another server (session-router.ts) must leave that answer to the server that serves it.
 * Exports: negotiateStartup, StartupOutcome, StartupRequest, Admission.
 */
import { KeelError, SqlState, type SqlStateCode } from '@keel/errors';
import { encodeNegotiateProtocolVersion } from '../codec/backend-encoder.js';
import type { StartupMessage } from '../codec/frontend-message.js';
import { protocolViolation } from '../codec/protocol-violation.js';
import { answerEncryptionRequest } from './encryption-negotiation.js';
import type { SessionIo } from './session-io.js';

/** Whether the listener had room for this connection when it was accepted. */
export type Admission = 'admitted' | 'tooManyConnections';

export interface StartupRequest {
  user: string;
  database: string;
  /** Every parameter of the StartupMessage except protocol options (`_pq_.*`). */
  parameters: ReadonlyMap<string, string>;
}

export type StartupOutcome =
  | {
      kind: 'startup';
      request: StartupRequest;
      /** The packet as received, to replay to another server if the session is routed there. */
      packet: StartupMessage;
      /** NegotiateProtocolVersion to send if this server serves the session; null if none is due. */
      negotiation: Buffer | null;
    }
  | { kind: 'cancelRequest'; processId: number; secretKey: number };

const SUPPORTED = { major: 3, minor: 0 };
const PROTOCOL_OPTION_PREFIX = '_pq_.';

function fatal(sqlstate: SqlStateCode, message: string): KeelError {
  return new KeelError(sqlstate, message, { severity: 'FATAL' });
}

function unsupportedProtocol(major: number, minor: number): KeelError {
  return fatal(
    SqlState.FeatureNotSupported,
    `unsupported frontend protocol ${major}.${minor}: server supports ${SUPPORTED.major}.0 to ${SUPPORTED.major}.${SUPPORTED.minor}`,
  );
}

export async function negotiateStartup(io: SessionIo, admission: Admission): Promise<StartupOutcome> {
  const answered = new Set<string>();
  for (;;) {
    const packet = await io.read();
    switch (packet.kind) {
      case 'sslRequest':
      case 'gssEncRequest': {
        // A second request of the same kind is what PostgreSQL reports as an unknown protocol code.
        if (answered.has(packet.kind))
          throw unsupportedProtocol(1234, packet.kind === 'sslRequest' ? 5679 : 5680);
        answered.add(packet.kind);
        io.send(answerEncryptionRequest(packet.kind === 'sslRequest' ? 'ssl' : 'gssenc'));
        io.flush();
        continue;
      }
      case 'cancelRequest':
        return { kind: 'cancelRequest', processId: packet.processId, secretKey: packet.secretKey };
      case 'startup':
        return { kind: 'startup', packet, ...checkStartup(io, packet, admission) };
      default:
        throw protocolViolation(`unexpected message "${packet.kind}" during startup`);
    }
  }
}

function checkStartup(
  io: SessionIo,
  packet: StartupMessage,
  admission: Admission,
): { request: StartupRequest; negotiation: Buffer | null } {
  const { major, minor } = packet.version;
  if (major !== SUPPORTED.major) throw unsupportedProtocol(major, minor);
  const parameters = new Map<string, string>();
  const unrecognized: string[] = [];
  for (const [name, value] of packet.parameters) {
    if (name.startsWith(PROTOCOL_OPTION_PREFIX)) unrecognized.push(name);
    else parameters.set(name, value);
  }
  const negotiation =
    minor > SUPPORTED.minor || unrecognized.length > 0
      ? encodeNegotiateProtocolVersion(SUPPORTED, unrecognized)
      : null;
  const user = parameters.get('user') ?? '';
  // A refused startup still hears the negotiation first, as from PostgreSQL.
  if ((user === '' || admission === 'tooManyConnections') && negotiation !== null) io.send(negotiation);
  if (user === '') {
    throw fatal(
      SqlState.InvalidAuthorizationSpecification,
      'no PostgreSQL user name specified in startup packet',
    );
  }
  if (admission === 'tooManyConnections')
    throw fatal(SqlState.TooManyConnections, 'sorry, too many clients already');
  const database = parameters.get('database') || user;
  return { request: { user, database, parameters }, negotiation };
}
