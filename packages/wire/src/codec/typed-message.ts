/**
 * Typed frontend messages: the type byte, the size cap that applies to it, and the parser of its
 * body. The caps follow PostgreSQL's postgres.c: messages that carry SQL text or data (Query,
 * Parse, Bind, FunctionCall, CopyData) may be large; control messages are at most 10000 bytes;
 * authentication responses at most 65535. A type byte outside this table is a protocol violation
 * as soon as it arrives, before any length is read.
 * Exports: parseTypedMessage, bodyLimitOf, isFrontendType, typeByteOf, invalidType, FrontendType,
 * SMALL_MESSAGE_BODY_BYTES, AUTH_MESSAGE_BODY_BYTES.
 */
import type { KeelError } from '@keel/errors';
import { ByteReader } from './byte-reader.js';
import type { DescribeTarget, FrontendMessage, TypedMessage } from './frontend-message.js';
import { protocolViolation } from './protocol-violation.js';

/** The type byte of each typed frontend message. */
export const FrontendType = {
  query: 0x51, // Q
  parse: 0x50, // P
  bind: 0x42, // B
  describe: 0x44, // D
  execute: 0x45, // E
  close: 0x43, // C
  sync: 0x53, // S
  flush: 0x48, // H
  terminate: 0x58, // X
  password: 0x70, // p
  copyData: 0x64, // d
  copyDone: 0x63, // c
  copyFail: 0x66, // f
  functionCall: 0x46, // F
} as const satisfies Record<TypedMessage['kind'], number>;

/** PQ_SMALL_MESSAGE_LIMIT: control messages never need more. */
export const SMALL_MESSAGE_BODY_BYTES = 10_000;
/** PG_MAX_AUTH_TOKEN_LENGTH: password and SASL messages. */
export const AUTH_MESSAGE_BODY_BYTES = 65_535;

const largeTypes: ReadonlySet<number> = new Set([
  FrontendType.query,
  FrontendType.parse,
  FrontendType.bind,
  FrontendType.functionCall,
  FrontendType.copyData,
]);
const knownTypes: ReadonlySet<number> = new Set(Object.values(FrontendType));

export function isFrontendType(type: number): boolean {
  return knownTypes.has(type);
}

/** The type byte a message travels under; 0 for startup-phase packets, which have none. */
export function typeByteOf(message: FrontendMessage): number {
  switch (message.kind) {
    case 'startup':
    case 'sslRequest':
    case 'gssEncRequest':
    case 'cancelRequest':
      return 0;
    default:
      return FrontendType[message.kind];
  }
}

/** The largest body (bytes after the length field) accepted for `type`. */
export function bodyLimitOf(type: number, maxMessageBytes: number): number {
  if (largeTypes.has(type)) return maxMessageBytes;
  const limit = type === FrontendType.password ? AUTH_MESSAGE_BODY_BYTES : SMALL_MESSAGE_BODY_BYTES;
  return Math.min(limit, maxMessageBytes);
}

export function parseTypedMessage(type: number, body: Buffer): TypedMessage {
  const reader = new ByteReader(body);
  const message = parseBody(type, reader);
  reader.end();
  return message;
}

function parseBody(type: number, reader: ByteReader): TypedMessage {
  switch (type) {
    case FrontendType.query:
      return { kind: 'query', sql: reader.cstring() };
    case FrontendType.parse:
      return parseParse(reader);
    case FrontendType.bind:
      return parseBind(reader);
    case FrontendType.describe:
      return { kind: 'describe', target: readTarget(reader), name: reader.cstring() };
    case FrontendType.execute:
      return { kind: 'execute', portalName: reader.cstring(), maxRows: reader.int32() };
    case FrontendType.close:
      return { kind: 'close', target: readTarget(reader), name: reader.cstring() };
    case FrontendType.sync:
      return { kind: 'sync' };
    case FrontendType.flush:
      return { kind: 'flush' };
    case FrontendType.terminate:
      return { kind: 'terminate' };
    case FrontendType.password:
      return { kind: 'password', data: reader.rest() };
    case FrontendType.copyData:
      return { kind: 'copyData', data: reader.rest() };
    case FrontendType.copyDone:
      return { kind: 'copyDone' };
    case FrontendType.copyFail:
      return { kind: 'copyFail', message: reader.cstring() };
    case FrontendType.functionCall:
      return { kind: 'functionCall', data: reader.rest() };
    default:
      throw invalidType(type);
  }
}

export function invalidType(type: number): KeelError {
  return protocolViolation(`invalid frontend message type ${type}`);
}

function parseParse(reader: ByteReader): TypedMessage {
  const statementName = reader.cstring();
  const sql = reader.cstring();
  const count = reader.uint16();
  const paramTypeOids: number[] = [];
  for (let i = 0; i < count; i += 1) paramTypeOids.push(reader.uint32());
  return { kind: 'parse', statementName, sql, paramTypeOids };
}

function parseBind(reader: ByteReader): TypedMessage {
  const portalName = reader.cstring();
  const statementName = reader.cstring();
  const paramFormats = reader.int16Array();
  const count = reader.uint16();
  const params: (Uint8Array | null)[] = [];
  for (let i = 0; i < count; i += 1) {
    const length = reader.int32();
    params.push(length === -1 ? null : reader.bytes(length));
  }
  const resultFormats = reader.int16Array();
  return { kind: 'bind', portalName, statementName, paramFormats, params, resultFormats };
}

function readTarget(reader: ByteReader): DescribeTarget {
  const code = reader.int8();
  if (code === 0x53) return 'statement';
  if (code === 0x50) return 'portal';
  throw protocolViolation(`invalid DESCRIBE/CLOSE message subtype ${code}`);
}
