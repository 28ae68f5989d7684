/**
 * The client's side of the codec: encodes any FrontendMessage to its wire bytes. The server never
 * sends these; tests use it to feed the decoder exact frames (the split-buffer round trip) and
 * raw-socket tests use it to speak to a listener without a driver.
 * Exports: encodeFrontendMessage.
 */
import { assertNever } from '@keel/errors';
import { ByteWriter } from './byte-writer.js';
import type { DescribeTarget, FrontendMessage, StartupMessage, TypedMessage } from './frontend-message.js';
import { CANCEL_REQUEST_CODE, GSSENC_REQUEST_CODE, SSL_REQUEST_CODE } from './startup-packet.js';
import { FrontendType } from './typed-message.js';

export function encodeFrontendMessage(message: FrontendMessage): Buffer {
  const writer = new ByteWriter();
  switch (message.kind) {
    case 'startup':
      return encodeStartup(writer, message);
    case 'sslRequest':
      return writer.beginMessage(null).int32(SSL_REQUEST_CODE).endMessage().finish();
    case 'gssEncRequest':
      return writer.beginMessage(null).int32(GSSENC_REQUEST_CODE).endMessage().finish();
    case 'cancelRequest':
      return writer
        .beginMessage(null)
        .int32(CANCEL_REQUEST_CODE)
        .int32(message.processId)
        .int32(message.secretKey)
        .endMessage()
        .finish();
    default:
      writer.beginMessage(FrontendType[message.kind]);
      writeTypedBody(writer, message);
      return writer.endMessage().finish();
  }
}

function encodeStartup(writer: ByteWriter, message: StartupMessage): Buffer {
  writer.beginMessage(null).int32(message.version.major * 65536 + message.version.minor);
  for (const [name, value] of message.parameters) writer.cstring(name).cstring(value);
  return writer.uint8(0).endMessage().finish();
}

function targetCode(target: DescribeTarget): number {
  return target === 'statement' ? 0x53 : 0x50;
}

function writeTypedBody(writer: ByteWriter, message: TypedMessage): void {
  switch (message.kind) {
    case 'query':
      writer.cstring(message.sql);
      return;
    case 'parse':
      writer.cstring(message.statementName).cstring(message.sql).uint16(message.paramTypeOids.length);
      for (const oid of message.paramTypeOids) writer.uint32(oid);
      return;
    case 'bind':
      writeBind(writer, message);
      return;
    case 'describe':
    case 'close':
      writer.uint8(targetCode(message.target)).cstring(message.name);
      return;
    case 'execute':
      writer.cstring(message.portalName).int32(message.maxRows);
      return;
    case 'password':
    case 'copyData':
    case 'functionCall':
      writer.bytes(message.data);
      return;
    case 'copyFail':
      writer.cstring(message.message);
      return;
    case 'sync':
    case 'flush':
    case 'terminate':
    case 'copyDone':
      return;
    default:
      assertNever(message, 'frontend message');
  }
}

function writeBind(writer: ByteWriter, message: Extract<TypedMessage, { kind: 'bind' }>): void {
  writer.cstring(message.portalName).cstring(message.statementName);
  writer.uint16(message.paramFormats.length);
  for (const format of message.paramFormats) writer.int16(format);
  writer.uint16(message.params.length);
  for (const param of message.params) {
    if (param === null) writer.int32(-1);
    else writer.int32(param.length).bytes(param);
  }
  writer.uint16(message.resultFormats.length);
  for (const format of message.resultFormats) writer.int16(format);
}
