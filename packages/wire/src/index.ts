/**
 * @keel/wire: PostgreSQL's frontend/backend protocol v3 in front of a Backend (backend.ts).
 * The server needs PgListener and the Backend contract; role creation needs makeScramVerifier
 * and md5PasswordHash; tests that speak the protocol by hand use the codec (both directions).
 */

export { md5PasswordHash, md5SaltedResponse } from './auth/md5-password.js';
export {
  makeScramVerifier,
  parseScramVerifier,
  type ScramSecret,
  type ScramVerifierOptions,
} from './auth/scram-secret.js';
export type {
  Backend,
  BackendSession,
  ColumnDescription,
  CopyDescription,
  EncodedRow,
  ExecuteOutcome,
  Notice,
  ResultSink,
  RoleCredentials,
  SessionStartup,
  StatementDescription,
  TransactionStatus,
  TypeOid,
} from './backend.js';
export { BackendDecoder, type BackendMessage } from './codec/backend-decoder.js';
export {
  DEFAULT_MAX_MESSAGE_BYTES,
  FrontendDecoder,
  type FrontendDecoderOptions,
} from './codec/frontend-decoder.js';
export { encodeFrontendMessage } from './codec/frontend-encoder.js';
export type {
  FrontendMessage,
  ProtocolVersion,
  StartupMessage,
  TypedMessage,
} from './codec/frontend-message.js';
export { encodePasswordMessage, encodeSaslInitialResponse } from './codec/password-message.js';
export { type Logger, silentLogger } from './logger.js';
export { PgListener, type PgListenerCloseOptions, type PgListenerOptions } from './net/pg-listener.js';
export type { AuthMethod } from './session/authentication.js';
export { PgSession, type SessionEnd, type SessionEvents, type SessionOptions } from './session/pg-session.js';
export type { RouteTarget, SessionRoute, SessionRouter } from './session/session-router.js';
export type { MessageSource, ReadResult, SessionTransport } from './session/session-transport.js';
export type { StartupRequest } from './session/startup-negotiation.js';
