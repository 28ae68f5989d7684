/**
 * Authentication of a StartupMessage's user, between the startup phase and the session:
 * 1. The method is SCRAM-SHA-256 unless the listener is configured for MD5 and the role has an
 *    MD5 hash, or the role has only an MD5 hash. A role with only a SCRAM verifier uses SCRAM
 *    even under MD5, as in PostgreSQL (an MD5 exchange cannot be checked against a verifier).
 * 2. An unknown role runs the same exchange on a mock secret and fails at the end with the same
 *    error as a wrong password, FATAL 28P01 `password authentication failed for user "x"`: the
 *    client cannot probe which roles exist. The real reason goes only to the log (warn).
 * 3. After AuthenticationOk, a role that may not log in gets FATAL 28000, as in PostgreSQL.
 * 4. A client that disconnects mid-exchange is not a failure (psql does that to prompt for a
 *    password); anything but a password message is a protocol violation.
 * Exports: authenticate, AuthMethod, AuthSettings.
 */
import { createHmac } from 'node:crypto';
import { assert, KeelError, SqlState } from '@keel/errors';
import { verifyMd5Response } from '../auth/md5-password.js';
import { parseScramVerifier } from '../auth/scram-secret.js';
import { SCRAM_SHA_256, ScramServer } from '../auth/scram-server.js';
import type { Backend, RoleCredentials } from '../backend.js';
import {
  encodeAuthenticationMd5Password,
  encodeAuthenticationOk,
  encodeAuthenticationSasl,
  encodeAuthenticationSaslContinue,
  encodeAuthenticationSaslFinal,
} from '../codec/backend-encoder.js';
import { decodeUtf8 } from '../codec/byte-reader.js';
import type { PasswordMessage } from '../codec/frontend-message.js';
import { parsePasswordMessage, parseSaslInitialResponse } from '../codec/password-message.js';
import { protocolViolation } from '../codec/protocol-violation.js';
import { typeByteOf } from '../codec/typed-message.js';
import type { Logger } from '../logger.js';
import { callBackend } from './error-reporting.js';
import { ConnectionClosed, type SessionIo } from './session-io.js';
import type { StartupRequest } from './startup-negotiation.js';

export type AuthMethod = 'scram-sha-256' | 'md5';

export interface AuthSettings {
  method: AuthMethod;
  randomBytes: (size: number) => Buffer;
  /** Key that derives each unknown role's mock SCRAM salt; random per listener. */
  mockSecret: Buffer;
}

interface AuthContext {
  io: SessionIo;
  backend: Backend;
  settings: AuthSettings;
  logger: Logger;
}

type Verdict = { ok: true } | { ok: false; reason: string };

const MD5_SALT_BYTES = 4;
const MOCK_SALT_BYTES = 16;

export async function authenticate(context: AuthContext, request: StartupRequest): Promise<void> {
  const role = callBackend(() => context.backend.lookupRole(request.user), context.logger);
  const method = chooseMethod(context.settings.method, role);
  const verdict =
    method === 'md5' ? await md5Exchange(context, role) : await scramExchange(context, request.user, role);
  if (!verdict.ok) {
    const reason = role === null ? 'role does not exist' : verdict.reason;
    // The logger is the session's child: user, database and remote address are bound to it.
    context.logger.warn({ method, reason }, 'password authentication failed');
    throw new KeelError(
      SqlState.InvalidPassword,
      `password authentication failed for user "${request.user}"`,
      {
        severity: 'FATAL',
      },
    );
  }
  assert(role !== null, 'authentication succeeded for a role that does not exist');
  context.io.send(encodeAuthenticationOk());
  if (!role.canLogin) {
    throw new KeelError(
      SqlState.InvalidAuthorizationSpecification,
      `role "${request.user}" is not permitted to log in`,
      {
        severity: 'FATAL',
      },
    );
  }
}

function chooseMethod(configured: AuthMethod, role: RoleCredentials | null): AuthMethod {
  if (role === null) return configured;
  const hasScram = role.scramVerifier !== null && parseScramVerifier(role.scramVerifier) !== null;
  const hasMd5 = role.md5Hash !== null;
  if (hasMd5 && (configured === 'md5' || !hasScram)) return 'md5';
  return 'scram-sha-256';
}

async function scramExchange(
  context: AuthContext,
  user: string,
  role: RoleCredentials | null,
): Promise<Verdict> {
  const { io, settings } = context;
  const secret = role?.scramVerifier ? parseScramVerifier(role.scramVerifier) : null;
  const mockSalt = createHmac('sha256', settings.mockSecret)
    .update(user)
    .digest()
    .subarray(0, MOCK_SALT_BYTES);
  const scram = new ScramServer({
    secret,
    mockSalt,
    makeNonce: () => settings.randomBytes(18).toString('base64'),
  });
  io.send(encodeAuthenticationSasl([SCRAM_SHA_256]));
  io.flush();
  const initial = parseSaslInitialResponse((await readPasswordMessage(io, 'SASL')).data);
  if (initial.mechanism !== SCRAM_SHA_256) {
    throw protocolViolation('client selected an invalid SASL authentication mechanism');
  }
  if (initial.data === null) throw protocolViolation('malformed SCRAM message', 'The message is empty.');
  const serverFirst = scram.clientFirst(decodeUtf8(initial.data));
  io.send(encodeAuthenticationSaslContinue(Buffer.from(serverFirst, 'utf8')));
  io.flush();
  const final = await readPasswordMessage(io, 'SASL');
  const outcome = scram.clientFinal(decodeUtf8(Buffer.from(final.data)));
  if (outcome.kind === 'failure') return { ok: false, reason: outcome.reason };
  io.send(encodeAuthenticationSaslFinal(Buffer.from(outcome.serverFinal, 'utf8')));
  return { ok: true };
}

async function md5Exchange(context: AuthContext, role: RoleCredentials | null): Promise<Verdict> {
  const { io, settings } = context;
  const salt = settings.randomBytes(MD5_SALT_BYTES);
  io.send(encodeAuthenticationMd5Password(salt));
  io.flush();
  const response = parsePasswordMessage((await readPasswordMessage(io, 'password')).data);
  if (response === '') return { ok: false, reason: 'empty password returned by client' };
  return verifyMd5Response(role?.md5Hash ?? null, salt, response)
    ? { ok: true }
    : { ok: false, reason: 'password does not match' };
}

async function readPasswordMessage(io: SessionIo, what: 'SASL' | 'password'): Promise<PasswordMessage> {
  const message = await io.read();
  if (message.kind === 'password') return message;
  if (message.kind === 'terminate') throw new ConnectionClosed();
  throw protocolViolation(`expected ${what} response, got message type ${typeByteOf(message)}`);
}
