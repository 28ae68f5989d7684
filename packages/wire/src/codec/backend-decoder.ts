/**
 * The client's side of the codec: decodes the backend messages a server sends. Keel's server never
 * uses it; session tests read their transcripts with it and raw-socket tests use it to check what
 * a listener answered. It frames exactly like FrontendDecoder (chunks kept until a frame is
 * whole, length checked first) and throws a KeelError on a malformed stream.
 * Exports: BackendDecoder, BackendMessage.
 */
import type { ColumnDescription, TransactionStatus } from '../backend.js';
import { AuthenticationCode, BackendType } from './backend-type.js';
import { ByteReader } from './byte-reader.js';
import { ChunkQueue } from './chunk-queue.js';
import { protocolViolation } from './protocol-violation.js';

export type BackendMessage =
  | { kind: 'authenticationOk' }
  | { kind: 'authenticationMd5Password'; salt: Buffer }
  | { kind: 'authenticationSasl'; mechanisms: string[] }
  | { kind: 'authenticationSaslContinue'; data: string }
  | { kind: 'authenticationSaslFinal'; data: string }
  | { kind: 'parameterStatus'; name: string; value: string }
  | { kind: 'backendKeyData'; processId: number; secretKey: number }
  | { kind: 'readyForQuery'; status: TransactionStatus }
  | { kind: 'rowDescription'; columns: ColumnDescription[] }
  | { kind: 'dataRow'; values: (Buffer | null)[] }
  | { kind: 'commandComplete'; tag: string }
  | { kind: 'emptyQueryResponse' }
  | { kind: 'errorResponse'; fields: ReadonlyMap<string, string> }
  | { kind: 'noticeResponse'; fields: ReadonlyMap<string, string> }
  | { kind: 'parseComplete' }
  | { kind: 'bindComplete' }
  | { kind: 'closeComplete' }
  | { kind: 'noData' }
  | { kind: 'portalSuspended' }
  | { kind: 'parameterDescription'; typeOids: number[] }
  | { kind: 'copyInResponse'; overallFormat: number; columnFormats: number[] }
  | { kind: 'copyOutResponse'; overallFormat: number; columnFormats: number[] }
  | { kind: 'copyData'; data: Buffer }
  | { kind: 'copyDone' }
  | { kind: 'notificationResponse'; processId: number; channel: string; payload: string }
  | { kind: 'negotiateProtocolVersion'; version: number; unrecognizedOptions: string[] };

const MAX_BACKEND_MESSAGE_BYTES = 2 ** 30;

export class BackendDecoder {
  private readonly queue = new ChunkQueue();

  get bufferedBytes(): number {
    return this.queue.length;
  }

  push(chunk: Uint8Array): BackendMessage[] {
    this.queue.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
    const messages: BackendMessage[] = [];
    while (this.queue.length >= 5) {
      const length = this.queue.int32At(1);
      if (length < 4 || length > MAX_BACKEND_MESSAGE_BYTES) throw protocolViolation('invalid message length');
      if (this.queue.length < 1 + length) break;
      const frame = this.queue.take(1 + length);
      const reader = new ByteReader(frame.subarray(5));
      messages.push(parseBackendBody(frame[0] ?? 0, reader));
      reader.end();
    }
    return messages;
  }
}

function parseBackendBody(type: number, reader: ByteReader): BackendMessage {
  switch (type) {
    case BackendType.authentication:
      return parseAuthentication(reader);
    case BackendType.parameterStatus:
      return { kind: 'parameterStatus', name: reader.cstring(), value: reader.cstring() };
    case BackendType.backendKeyData:
      return { kind: 'backendKeyData', processId: reader.int32(), secretKey: reader.int32() };
    case BackendType.readyForQuery:
      return { kind: 'readyForQuery', status: parseStatus(reader.int8()) };
    case BackendType.rowDescription:
      return { kind: 'rowDescription', columns: parseColumns(reader) };
    case BackendType.dataRow:
      return { kind: 'dataRow', values: parseValues(reader) };
    case BackendType.commandComplete:
      return { kind: 'commandComplete', tag: reader.cstring() };
    case BackendType.errorResponse:
      return { kind: 'errorResponse', fields: parseFields(reader) };
    case BackendType.noticeResponse:
      return { kind: 'noticeResponse', fields: parseFields(reader) };
    case BackendType.parameterDescription:
      return { kind: 'parameterDescription', typeOids: parseOids(reader) };
    case BackendType.copyInResponse:
      return { kind: 'copyInResponse', overallFormat: reader.int8(), columnFormats: reader.int16Array() };
    case BackendType.copyOutResponse:
      return { kind: 'copyOutResponse', overallFormat: reader.int8(), columnFormats: reader.int16Array() };
    case BackendType.copyData:
      return { kind: 'copyData', data: reader.rest() };
    case BackendType.notificationResponse:
      return parseNotification(reader);
    case BackendType.negotiateProtocolVersion:
      return parseNegotiate(reader);
    default:
      return parseBodiless(type);
  }
}

function parseBodiless(type: number): BackendMessage {
  switch (type) {
    case BackendType.emptyQueryResponse:
      return { kind: 'emptyQueryResponse' };
    case BackendType.parseComplete:
      return { kind: 'parseComplete' };
    case BackendType.bindComplete:
      return { kind: 'bindComplete' };
    case BackendType.closeComplete:
      return { kind: 'closeComplete' };
    case BackendType.noData:
      return { kind: 'noData' };
    case BackendType.portalSuspended:
      return { kind: 'portalSuspended' };
    case BackendType.copyDone:
      return { kind: 'copyDone' };
    default:
      throw protocolViolation(`unknown backend message type ${type}`);
  }
}

function parseAuthentication(reader: ByteReader): BackendMessage {
  const code = reader.int32();
  switch (code) {
    case AuthenticationCode.ok:
      return { kind: 'authenticationOk' };
    case AuthenticationCode.md5Password:
      return { kind: 'authenticationMd5Password', salt: Buffer.from(reader.bytes(4)) };
    case AuthenticationCode.sasl: {
      const mechanisms: string[] = [];
      for (let name = reader.cstring(); name !== ''; name = reader.cstring()) mechanisms.push(name);
      return { kind: 'authenticationSasl', mechanisms };
    }
    case AuthenticationCode.saslContinue:
      return { kind: 'authenticationSaslContinue', data: reader.rest().toString('utf8') };
    case AuthenticationCode.saslFinal:
      return { kind: 'authenticationSaslFinal', data: reader.rest().toString('utf8') };
    default:
      throw protocolViolation(`unsupported authentication request ${code}`);
  }
}

function parseStatus(code: number): TransactionStatus {
  const status = String.fromCharCode(code);
  if (status === 'I' || status === 'T' || status === 'E') return status;
  throw protocolViolation(`invalid transaction status ${code}`);
}

function parseColumns(reader: ByteReader): ColumnDescription[] {
  const count = reader.uint16();
  const columns: ColumnDescription[] = [];
  for (let i = 0; i < count; i += 1) {
    const name = reader.cstring();
    const tableOid = reader.uint32();
    const columnAttr = reader.int16();
    const typeOid = reader.uint32();
    const typeSize = reader.int16();
    const typeModifier = reader.int32();
    const format = reader.int16() === 1 ? 1 : 0;
    columns.push({ name, tableOid, columnAttr, typeOid, typeSize, typeModifier, format });
  }
  return columns;
}

function parseValues(reader: ByteReader): (Buffer | null)[] {
  const count = reader.uint16();
  const values: (Buffer | null)[] = [];
  for (let i = 0; i < count; i += 1) {
    const length = reader.int32();
    values.push(length === -1 ? null : reader.bytes(length));
  }
  return values;
}

function parseFields(reader: ByteReader): ReadonlyMap<string, string> {
  const fields = new Map<string, string>();
  for (let code = reader.int8(); code !== 0; code = reader.int8()) {
    fields.set(String.fromCharCode(code), reader.cstring());
  }
  return fields;
}

function parseOids(reader: ByteReader): number[] {
  const count = reader.uint16();
  const oids: number[] = [];
  for (let i = 0; i < count; i += 1) oids.push(reader.uint32());
  return oids;
}

function parseNotification(reader: ByteReader): BackendMessage {
  return {
    kind: 'notificationResponse',
    processId: reader.int32(),
    channel: reader.cstring(),
    payload: reader.cstring(),
  };
}

function parseNegotiate(reader: ByteReader): BackendMessage {
  const version = reader.int32();
  const count = reader.int32();
  const unrecognizedOptions: string[] = [];
  for (let i = 0; i < count; i += 1) unrecognizedOptions.push(reader.cstring());
  return { kind: 'negotiateProtocolVersion', version, unrecognizedOptions };
}
