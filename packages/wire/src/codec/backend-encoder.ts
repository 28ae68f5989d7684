/**
 * Encoders for every backend message Keel sends, each returning the complete frame (type byte,
 * length, body). DataRow is the hot path: encodeDataRows() sizes a whole batch first and writes
 * it into one allocation, so a batch of rows costs one Buffer and one socket write, not one per
 * row. Bodiless messages are shared constant frames. ErrorResponse and NoticeResponse live in
 * error-response.ts.
 * Exports: encode* functions, one per backend message.
 */
import type { ColumnDescription, CopyDescription, EncodedRow, TransactionStatus } from '../backend.js';
import { AuthenticationCode, BackendType } from './backend-type.js';
import { ByteWriter } from './byte-writer.js';

function emptyMessage(type: number): Buffer {
  return new ByteWriter(5).beginMessage(type).endMessage().finish();
}

const parseCompleteFrame = emptyMessage(BackendType.parseComplete);
const bindCompleteFrame = emptyMessage(BackendType.bindComplete);
const closeCompleteFrame = emptyMessage(BackendType.closeComplete);
const noDataFrame = emptyMessage(BackendType.noData);
const portalSuspendedFrame = emptyMessage(BackendType.portalSuspended);
const emptyQueryFrame = emptyMessage(BackendType.emptyQueryResponse);
const copyDoneFrame = emptyMessage(BackendType.copyDone);

function authentication(code: number, data?: Uint8Array): Buffer {
  const writer = new ByteWriter(9 + (data?.length ?? 0)).beginMessage(BackendType.authentication).int32(code);
  if (data !== undefined) writer.bytes(data);
  return writer.endMessage().finish();
}

export function encodeAuthenticationOk(): Buffer {
  return authentication(AuthenticationCode.ok);
}

export function encodeAuthenticationMd5Password(salt: Uint8Array): Buffer {
  return authentication(AuthenticationCode.md5Password, salt);
}

/** AuthenticationSASL: the mechanisms offered, each NUL-terminated, then an empty name. */
export function encodeAuthenticationSasl(mechanisms: readonly string[]): Buffer {
  const writer = new ByteWriter().beginMessage(BackendType.authentication).int32(AuthenticationCode.sasl);
  for (const mechanism of mechanisms) writer.cstring(mechanism);
  return writer.uint8(0).endMessage().finish();
}

export function encodeAuthenticationSaslContinue(data: Uint8Array): Buffer {
  return authentication(AuthenticationCode.saslContinue, data);
}

export function encodeAuthenticationSaslFinal(data: Uint8Array): Buffer {
  return authentication(AuthenticationCode.saslFinal, data);
}

export function encodeParameterStatus(name: string, value: string): Buffer {
  return new ByteWriter()
    .beginMessage(BackendType.parameterStatus)
    .cstring(name)
    .cstring(value)
    .endMessage()
    .finish();
}

export function encodeBackendKeyData(processId: number, secretKey: number): Buffer {
  return new ByteWriter(13)
    .beginMessage(BackendType.backendKeyData)
    .int32(processId)
    .int32(secretKey)
    .endMessage()
    .finish();
}

export function encodeReadyForQuery(status: TransactionStatus): Buffer {
  return new ByteWriter(6)
    .beginMessage(BackendType.readyForQuery)
    .uint8(status.charCodeAt(0))
    .endMessage()
    .finish();
}

export function encodeRowDescription(columns: readonly ColumnDescription[]): Buffer {
  const writer = new ByteWriter(7 + columns.length * 32).beginMessage(BackendType.rowDescription);
  writer.int16(columns.length);
  for (const column of columns) {
    writer
      .cstring(column.name)
      .uint32(column.tableOid)
      .int16(column.columnAttr)
      .uint32(column.typeOid)
      .int16(column.typeSize)
      .int32(column.typeModifier)
      .int16(column.format);
  }
  return writer.endMessage().finish();
}

/** Several DataRow messages in one Buffer: sized exactly, written once. */
export function encodeDataRows(rows: readonly EncodedRow[]): Buffer {
  let total = 0;
  for (const row of rows) {
    total += 7;
    for (const value of row) total += 4 + (value === null ? 0 : value.length);
  }
  const buffer = Buffer.allocUnsafe(total);
  let offset = 0;
  for (const row of rows) {
    const start = offset;
    buffer[offset] = BackendType.dataRow;
    offset += 5;
    offset = buffer.writeInt16BE(row.length, offset);
    for (const value of row) {
      if (value === null) {
        offset = buffer.writeInt32BE(-1, offset);
        continue;
      }
      offset = buffer.writeInt32BE(value.length, offset);
      buffer.set(value, offset);
      offset += value.length;
    }
    buffer.writeInt32BE(offset - start - 1, start + 1);
  }
  return buffer;
}

export function encodeCommandComplete(tag: string): Buffer {
  return new ByteWriter(6 + tag.length)
    .beginMessage(BackendType.commandComplete)
    .cstring(tag)
    .endMessage()
    .finish();
}

export function encodeEmptyQueryResponse(): Buffer {
  return emptyQueryFrame;
}

export function encodeParseComplete(): Buffer {
  return parseCompleteFrame;
}

export function encodeBindComplete(): Buffer {
  return bindCompleteFrame;
}

export function encodeCloseComplete(): Buffer {
  return closeCompleteFrame;
}

export function encodeNoData(): Buffer {
  return noDataFrame;
}

export function encodePortalSuspended(): Buffer {
  return portalSuspendedFrame;
}

export function encodeParameterDescription(typeOids: readonly number[]): Buffer {
  const writer = new ByteWriter(7 + typeOids.length * 4).beginMessage(BackendType.parameterDescription);
  writer.int16(typeOids.length);
  for (const oid of typeOids) writer.uint32(oid);
  return writer.endMessage().finish();
}

function copyResponse(type: number, description: CopyDescription): Buffer {
  const writer = new ByteWriter(8 + description.columnFormats.length * 2).beginMessage(type);
  writer.uint8(description.overallFormat).int16(description.columnFormats.length);
  for (const format of description.columnFormats) writer.int16(format);
  return writer.endMessage().finish();
}

export function encodeCopyInResponse(description: CopyDescription): Buffer {
  return copyResponse(BackendType.copyInResponse, description);
}

export function encodeCopyOutResponse(description: CopyDescription): Buffer {
  return copyResponse(BackendType.copyOutResponse, description);
}

export function encodeCopyData(chunk: Uint8Array): Buffer {
  return new ByteWriter(5 + chunk.length)
    .beginMessage(BackendType.copyData)
    .bytes(chunk)
    .endMessage()
    .finish();
}

export function encodeCopyDone(): Buffer {
  return copyDoneFrame;
}

export function encodeNotificationResponse(processId: number, channel: string, payload: string): Buffer {
  return new ByteWriter()
    .beginMessage(BackendType.notificationResponse)
    .int32(processId)
    .cstring(channel)
    .cstring(payload)
    .endMessage()
    .finish();
}

/**
 * NegotiateProtocolVersion: the newest version the server speaks for the requested major
 * (sent as major << 16 | minor, as PostgreSQL does) and the `_pq_.` options it did not recognise.
 */
export function encodeNegotiateProtocolVersion(
  version: { major: number; minor: number },
  unrecognizedOptions: readonly string[],
): Buffer {
  const writer = new ByteWriter().beginMessage(BackendType.negotiateProtocolVersion);
  writer.int32(version.major * 65536 + version.minor).int32(unrecognizedOptions.length);
  for (const option of unrecognizedOptions) writer.cstring(option);
  return writer.endMessage().finish();
}
