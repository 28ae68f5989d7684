/**
 * The answer to SSLRequest and GSSENCRequest, kept in this one place because TLS arrives in a
 * later issue. Today both are refused with the single byte 'N' (not a framed message), after
 * which the client continues in plaintext or gives up, as with a PostgreSQL server built without
 * TLS. When TLS comes, the answer 'S' must be followed by the handshake on the raw socket, and
 * the decoder must hold no bytes received before it (CVE-2021-23214: plaintext injected ahead of
 * the handshake would be read as if it came over TLS).
 * Exports: EncryptionRequest, answerEncryptionRequest.
 */

export type EncryptionRequest = 'ssl' | 'gssenc';

const refused = Buffer.from('N', 'latin1');

export function answerEncryptionRequest(_request: EncryptionRequest): Buffer {
  return refused;
}
