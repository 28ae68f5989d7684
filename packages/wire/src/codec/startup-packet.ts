/**
 * Startup-phase packets: the ones without a type byte, told apart by the 32-bit code after the
 * length. 80877103 asks for TLS, 80877104 for GSSAPI encryption, 80877102 cancels a query on
 * another connection; anything else is a protocol version (3.0 = 196608) followed by
 * NUL-terminated name/value pairs and a final NUL.
 * Exports: parseStartupPacket, startup codes, MAX_STARTUP_PACKET_BODY_BYTES.
 */

import { ByteReader } from './byte-reader.js';
import type { StartupPacket } from './frontend-message.js';
import { protocolViolation } from './protocol-violation.js';

export const SSL_REQUEST_CODE = 80877103;
export const GSSENC_REQUEST_CODE = 80877104;
export const CANCEL_REQUEST_CODE = 80877102;

/** PostgreSQL's MAX_STARTUP_PACKET_LENGTH: startup packets are small, so the cap is tight. */
export const MAX_STARTUP_PACKET_BODY_BYTES = 10_000;

/** Parses the body of a startup packet (everything after the length field). */
export function parseStartupPacket(body: Buffer): StartupPacket {
  const reader = new ByteReader(body);
  const code = reader.int32();
  switch (code) {
    case SSL_REQUEST_CODE:
      reader.end();
      return { kind: 'sslRequest' };
    case GSSENC_REQUEST_CODE:
      reader.end();
      return { kind: 'gssEncRequest' };
    case CANCEL_REQUEST_CODE: {
      const processId = reader.int32();
      const secretKey = reader.int32();
      reader.end();
      return { kind: 'cancelRequest', processId, secretKey };
    }
    default:
      return parseStartupMessage(code, reader);
  }
}

function parseStartupMessage(code: number, reader: ByteReader): StartupPacket {
  const version = { major: code >>> 16, minor: code & 0xffff };
  const parameters = new Map<string, string>();
  // Only protocol 3 defines the parameter list; the session rejects other majors by version.
  if (version.major !== 3) return { kind: 'startup', version, parameters };
  for (;;) {
    if (reader.remaining === 0) {
      throw protocolViolation('invalid startup packet layout: expected terminator as last byte');
    }
    const name = reader.cstring();
    if (name === '') break;
    parameters.set(name, reader.cstring());
  }
  reader.end();
  return { kind: 'startup', version, parameters };
}
