/**
 * SessionHarness: a PgSession over a MemoryConnection and a FakeBackend, stepped one input at a
 * time. step() delivers an input and waits until the session either waits for more input or has
 * ended, then returns the backend messages it wrote. login() performs a real SCRAM or MD5 login
 * with node-postgres's own client code, so session tests start from an authenticated session.
 * Randomness is fixed (randomBytes fills with a constant) so transcripts are stable.
 * Exports: SessionHarness, HarnessOptions, pgScramClient.
 */
import { createRequire } from 'node:module';
import { KeelError, SqlState } from '@keel/errors';
import { BackendDecoder, type BackendMessage } from '../codec/backend-decoder.js';
import type { FrontendMessage } from '../codec/frontend-message.js';
import { encodePasswordMessage, encodeSaslInitialResponse } from '../codec/password-message.js';
import { silentLogger } from '../logger.js';
import type { AuthMethod } from '../session/authentication.js';
import { PgSession } from '../session/pg-session.js';
import type { ReadResult } from '../session/session-transport.js';
import type { Admission } from '../session/startup-negotiation.js';
import { FakeBackend, type FakeBackendSession } from './fake-backend.js';
import { MemoryConnection } from './memory-connection.js';

interface PgScramSession {
  mechanism: string;
  response: string;
}
interface PgSasl {
  startSession(mechanisms: string[], stream?: unknown): PgScramSession;
  continueSession(
    session: PgScramSession,
    password: string,
    serverData: string,
    stream?: unknown,
  ): Promise<void>;
  finalizeSession(session: PgScramSession, serverData: string): void;
}
interface PgCryptoUtils {
  postgresMd5PasswordHash(user: string, password: string, salt: Buffer): Promise<string>;
}
const requireFromHere = createRequire(import.meta.url);
export const pgScramClient: PgSasl = requireFromHere('pg/lib/crypto/sasl.js');
const pgCrypto: PgCryptoUtils = requireFromHere('pg/lib/crypto/utils.js');

export interface HarnessOptions {
  authMethod?: AuthMethod;
  admission?: Admission;
  flushThresholdBytes?: number;
  backend?: FakeBackend;
}

export class SessionHarness {
  readonly connection = new MemoryConnection();
  readonly backend: FakeBackend;
  readonly session: PgSession;
  readonly done: Promise<void>;
  readonly cancelRequests: [number, number][] = [];
  readyEvents = 0;
  finished = false;
  private readonly decoder = new BackendDecoder();

  constructor(options: HarnessOptions = {}) {
    this.backend = options.backend ?? new FakeBackend();
    this.session = new PgSession({
      backend: this.backend,
      source: this.connection,
      transport: this.connection,
      logger: silentLogger,
      processId: 7,
      secretKey: 1234,
      remoteAddress: '127.0.0.1:50000',
      admission: options.admission ?? 'admitted',
      auth: {
        method: options.authMethod ?? 'scram-sha-256',
        randomBytes: (size) => Buffer.alloc(size, 0x5a),
        mockSecret: Buffer.from('mock'),
      },
      events: {
        cancelRequest: (processId, secretKey) => this.cancelRequests.push([processId, secretKey]),
        ready: () => {
          this.readyEvents += 1;
        },
      },
      flushThresholdBytes: options.flushThresholdBytes,
    });
    this.done = this.session.run().finally(() => {
      this.finished = true;
    });
  }

  /** The BackendSession the fake backend started (after login). */
  get backendSession(): FakeBackendSession {
    const session = this.backend.sessions[0];
    if (session === undefined) throw new Error('no backend session started');
    return session;
  }

  async step(input: ReadResult): Promise<BackendMessage[]> {
    const idle = this.connection.untilIdle();
    this.connection.deliver(input);
    await Promise.race([idle, this.done]);
    return this.output();
  }

  send(message: FrontendMessage): Promise<BackendMessage[]> {
    return this.step({ kind: 'message', message });
  }

  /** Waits until the session waits for input (or ended) without sending anything. */
  async settle(): Promise<BackendMessage[]> {
    if (!this.connection.waitingForInput) await Promise.race([this.connection.untilIdle(), this.done]);
    return this.output();
  }

  /** Decodes what the session wrote since the last call. */
  output(): BackendMessage[] {
    return this.decoder.push(this.connection.takeOutput());
  }

  /** Decodes bytes already taken from the connection. */
  outputOf(bytes: Buffer): BackendMessage[] {
    return this.decoder.push(bytes);
  }

  takeRaw(): Buffer {
    return this.connection.takeOutput();
  }

  /** StartupMessage plus whichever exchange the server asks for; returns every message received. */
  async login(
    user: string,
    password: string,
    parameters: [string, string][] = [],
    version = { major: 3, minor: 0 },
  ): Promise<BackendMessage[]> {
    const received = await this.send({
      kind: 'startup',
      version,
      parameters: new Map([['user', user], ...parameters]),
    });
    const request = received.at(-1);
    if (request?.kind === 'authenticationSasl') return [...received, ...(await this.scram(password))];
    if (request?.kind === 'authenticationMd5Password') {
      const response = await pgCrypto.postgresMd5PasswordHash(user, password, request.salt);
      return [...received, ...(await this.password(encodePasswordMessage(response)))];
    }
    return received;
  }

  private async scram(password: string): Promise<BackendMessage[]> {
    const client = pgScramClient.startSession(['SCRAM-SHA-256']);
    const first = await this.password(
      encodeSaslInitialResponse(client.mechanism, Buffer.from(client.response)),
    );
    const serverFirst = first.at(-1);
    if (serverFirst?.kind !== 'authenticationSaslContinue') return first;
    await pgScramClient.continueSession(client, password, serverFirst.data);
    const final = await this.password(Buffer.from(client.response));
    const serverFinal = final.find((message) => message.kind === 'authenticationSaslFinal');
    if (serverFinal?.kind === 'authenticationSaslFinal')
      pgScramClient.finalizeSession(client, serverFinal.data);
    return [...first, ...final];
  }

  private password(data: Buffer): Promise<BackendMessage[]> {
    return this.send({ kind: 'password', data });
  }
}

export const adminShutdown = () =>
  new KeelError(SqlState.AdminShutdown, 'terminating connection due to administrator command', {
    severity: 'FATAL',
  });
