/**
 * ScramServer: the server side of one SCRAM-SHA-256 exchange as a pure state machine. It never
 * touches a socket; the session passes in each client message and sends what comes back.
 *
 *   initial --clientFirst()--> awaitingFinal --clientFinal()--> done
 *
 * clientFirst() answers the server-first-message (combined nonce, salt, iterations);
 * clientFinal() checks the channel binding echo and the nonce, then the proof: ClientKey =
 * proof XOR HMAC(StoredKey, AuthMessage) must hash to StoredKey, compared in constant time. On
 * success it returns the server-final-message ('v=' ServerSignature) that proves the server knew
 * the password too.
 *
 * An unknown role (or one without a SCRAM secret) runs the same exchange on a mock secret whose
 * salt is derived from the role name, and always fails at the end, so a client cannot tell a
 * missing role from a wrong password (PostgreSQL's "mock authentication").
 * Exports: ScramServer, ScramServerOptions, ScramOutcome, SCRAM_SHA_256.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { assert, KeelError, SqlState } from '@keel/errors';
import { type ClientFirstMessage, parseClientFinal, parseClientFirst } from './scram-messages.js';
import type { ScramSecret } from './scram-secret.js';

export const SCRAM_SHA_256 = 'SCRAM-SHA-256';

export interface ScramServerOptions {
  /** The role's secret, or null to run a mock exchange that fails. */
  secret: ScramSecret | null;
  /** Salt for the mock exchange; the same for the same role name, so probing reveals nothing. */
  mockSalt: Buffer;
  /** The server's nonce part; 18 random bytes in base64 unless a test fixes it. */
  makeNonce?: () => string;
}

export type ScramOutcome = { kind: 'success'; serverFinal: string } | { kind: 'failure'; reason: string };

type ScramState =
  | { name: 'initial' }
  | { name: 'awaitingFinal'; clientFirst: ClientFirstMessage; serverFirst: string; nonce: string }
  | { name: 'done' };

const MOCK_ITERATIONS = 4096;
const NONCE_BYTES = 18;

export class ScramServer {
  private state: ScramState = { name: 'initial' };
  private readonly secret: ScramSecret;
  private readonly doomed: boolean;

  constructor(private readonly options: ScramServerOptions) {
    this.doomed = options.secret === null;
    this.secret = options.secret ?? mockSecret(options.mockSalt);
  }

  /** client-first-message in, server-first-message out. Throws KeelError on a malformed message. */
  clientFirst(message: string): string {
    assert(this.state.name === 'initial', 'ScramServer.clientFirst called twice');
    const clientFirst = parseClientFirst(message);
    const makeNonce = this.options.makeNonce ?? (() => randomBytes(NONCE_BYTES).toString('base64'));
    const nonce = clientFirst.clientNonce + makeNonce();
    const salt = this.secret.salt.toString('base64');
    const serverFirst = `r=${nonce},s=${salt},i=${this.secret.iterations}`;
    this.state = { name: 'awaitingFinal', clientFirst, serverFirst, nonce };
    return serverFirst;
  }

  /** client-final-message in; success carries the server-final-message. */
  clientFinal(message: string): ScramOutcome {
    const state = this.state;
    assert(state.name === 'awaitingFinal', 'ScramServer.clientFinal before clientFirst');
    this.state = { name: 'done' };
    const final = parseClientFinal(message);
    if (!final.channelBinding.equals(Buffer.from(state.clientFirst.gs2Header, 'latin1'))) {
      throw new KeelError(SqlState.ProtocolViolation, 'SCRAM channel binding check failed', {
        severity: 'FATAL',
      });
    }
    if (final.nonce !== state.nonce) {
      throw new KeelError(SqlState.ProtocolViolation, 'malformed SCRAM message', {
        severity: 'FATAL',
        detail: 'Nonce does not match.',
      });
    }
    const authMessage = `${state.clientFirst.bare},${state.serverFirst},${final.withoutProof}`;
    const proofOk = this.verifyProof(final.proof, authMessage);
    if (this.doomed) return { kind: 'failure', reason: 'no SCRAM secret for the role' };
    if (!proofOk) return { kind: 'failure', reason: 'password does not match' };
    const serverSignature = hmac(this.secret.serverKey, authMessage);
    return { kind: 'success', serverFinal: `v=${serverSignature.toString('base64')}` };
  }

  private verifyProof(proof: Buffer, authMessage: string): boolean {
    const clientSignature = hmac(this.secret.storedKey, authMessage);
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i += 1) clientKey[i] = (proof[i] ?? 0) ^ (clientSignature[i] ?? 0);
    const computed = createHash('sha256').update(clientKey).digest();
    return (
      computed.length === this.secret.storedKey.length && timingSafeEqual(computed, this.secret.storedKey)
    );
  }
}

function hmac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text, 'utf8').digest();
}

function mockSecret(salt: Buffer): ScramSecret {
  const key = createHash('sha256').update(salt).digest();
  return { iterations: MOCK_ITERATIONS, salt, storedKey: key, serverKey: key };
}
