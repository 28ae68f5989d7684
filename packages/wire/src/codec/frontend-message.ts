/**
 * Frontend messages: what a PostgreSQL client sends, decoded. Startup-phase packets have no type
 * byte (StartupMessage, SSLRequest, GSSENCRequest, CancelRequest); every later message has one.
 * The union is the decoder's output and the frontend encoder's input, so the two are tested as a
 * round trip. A 'password' message is kept as raw bytes: whether it is a PasswordMessage, a
 * SASLInitialResponse or a SASLResponse depends on the authentication state, which only the
 * session knows (PostgreSQL uses the one type byte 'p' for all three).
 * Exports: FrontendMessage and its variants, ProtocolVersion, StartupParameters.
 */

/** Protocol 3.0 is 196608 on the wire: major in the high 16 bits, minor in the low 16. */
export interface ProtocolVersion {
  major: number;
  minor: number;
}

export type StartupParameters = ReadonlyMap<string, string>;

/** 'S' names a prepared statement, 'P' a portal (Describe and Close). */
export type DescribeTarget = 'statement' | 'portal';

export type StartupMessage = {
  kind: 'startup';
  version: ProtocolVersion;
  /** user, database, application_name, options, client_encoding, _pq_.* ... in arrival order. */
  parameters: StartupParameters;
};
export type SslRequest = { kind: 'sslRequest' };
export type GssEncRequest = { kind: 'gssEncRequest' };
export type CancelRequest = { kind: 'cancelRequest'; processId: number; secretKey: number };

export type QueryMessage = { kind: 'query'; sql: string };
export type ParseMessage = {
  kind: 'parse';
  statementName: string;
  sql: string;
  /** 0 leaves a parameter's type to the server. */
  paramTypeOids: number[];
};
export type BindMessage = {
  kind: 'bind';
  portalName: string;
  statementName: string;
  paramFormats: number[];
  params: (Uint8Array | null)[];
  resultFormats: number[];
};
export type DescribeMessage = { kind: 'describe'; target: DescribeTarget; name: string };
export type ExecuteMessage = { kind: 'execute'; portalName: string; maxRows: number };
export type CloseMessage = { kind: 'close'; target: DescribeTarget; name: string };
export type SyncMessage = { kind: 'sync' };
export type FlushMessage = { kind: 'flush' };
export type TerminateMessage = { kind: 'terminate' };
/** PasswordMessage, SASLInitialResponse or SASLResponse: see the header. */
export type PasswordMessage = { kind: 'password'; data: Uint8Array };
export type CopyDataMessage = { kind: 'copyData'; data: Uint8Array };
export type CopyDoneMessage = { kind: 'copyDone' };
export type CopyFailMessage = { kind: 'copyFail'; message: string };
/** The legacy fast-path interface; Keel answers it with an error, so the body is kept raw. */
export type FunctionCallMessage = { kind: 'functionCall'; data: Uint8Array };

export type StartupPacket = StartupMessage | SslRequest | GssEncRequest | CancelRequest;

export type TypedMessage =
  | QueryMessage
  | ParseMessage
  | BindMessage
  | DescribeMessage
  | ExecuteMessage
  | CloseMessage
  | SyncMessage
  | FlushMessage
  | TerminateMessage
  | PasswordMessage
  | CopyDataMessage
  | CopyDoneMessage
  | CopyFailMessage
  | FunctionCallMessage;

export type FrontendMessage = StartupPacket | TypedMessage;
