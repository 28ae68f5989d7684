/**
 * The three bodies behind the frontend type byte 'p'. Which one a client sent depends on what the
 * server asked for: PasswordMessage (a NUL-terminated string, here the MD5 response),
 * SASLInitialResponse (mechanism name, Int32 length or -1, initial data) or SASLResponse (raw
 * data). The session knows which it asked for and calls the matching parser; the encoders are the
 * client's side, for tests.
 * Exports: parsePasswordMessage, parseSaslInitialResponse, encodePasswordMessage,
 * encodeSaslInitialResponse.
 */
import { ByteReader } from './byte-reader.js';
import { ByteWriter } from './byte-writer.js';
import { protocolViolation } from './protocol-violation.js';

export interface SaslInitialResponse {
  mechanism: string;
  /** null when the client sent no initial response (length -1). */
  data: Buffer | null;
}

export function parsePasswordMessage(body: Uint8Array): string {
  const reader = new ByteReader(Buffer.from(body.buffer, body.byteOffset, body.length));
  const password = reader.cstring();
  reader.end();
  return password;
}

export function parseSaslInitialResponse(body: Uint8Array): SaslInitialResponse {
  const reader = new ByteReader(Buffer.from(body.buffer, body.byteOffset, body.length));
  const mechanism = reader.cstring();
  const length = reader.int32();
  if (length < -1) throw protocolViolation('invalid SASLInitialResponse', `data length ${length}`);
  const data = length === -1 ? null : reader.bytes(length);
  reader.end();
  return { mechanism, data };
}

export function encodePasswordMessage(password: string): Buffer {
  return new ByteWriter().cstring(password).finish();
}

export function encodeSaslInitialResponse(mechanism: string, data: Uint8Array | null): Buffer {
  const writer = new ByteWriter().cstring(mechanism);
  if (data === null) return writer.int32(-1).finish();
  return writer.int32(data.length).bytes(data).finish();
}
