/**
 * Parsers of the two SCRAM messages a client sends (RFC 5802 section 7), with PostgreSQL's rules:
 * - client-first: GS2 flag 'n' (no channel binding) or 'y' (client could bind, thinks the server
 *   cannot); 'p' is refused because Keel offers no SCRAM-SHA-256-PLUS; an authorization identity
 *   and mandatory extensions ('m=') are not supported. The user name in 'n=' is ignored: the
 *   StartupMessage's user is the one authenticated, as in PostgreSQL.
 * - client-final: 'c=' (base64 of the GS2 header), 'r=' (the combined nonce), optional
 *   extensions, and 'p=' (the proof) last.
 * Every malformation is a protocol violation (FATAL 08P01); feature refusals are 0A000.
 * Exports: ClientFirstMessage, ClientFinalMessage, parseClientFirst, parseClientFinal.
 */
import { KeelError, SqlState } from '@keel/errors';

export interface ClientFirstMessage {
  /** "n,," or "y,,": the client-final 'c=' attribute must echo it. */
  gs2Header: string;
  /** client-first-message-bare, part of the AuthMessage both sides sign. */
  bare: string;
  clientNonce: string;
}

export interface ClientFinalMessage {
  channelBinding: Buffer;
  nonce: string;
  proof: Buffer;
  /** client-final-message-without-proof, part of the AuthMessage. */
  withoutProof: string;
}

const PROOF_BYTES = 32;
const printable = /^[\x21-\x2b\x2d-\x7e]+$/;
const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function malformed(detail: string): KeelError {
  return new KeelError(SqlState.ProtocolViolation, 'malformed SCRAM message', { severity: 'FATAL', detail });
}

function unsupported(message: string): KeelError {
  return new KeelError(SqlState.FeatureNotSupported, message, { severity: 'FATAL' });
}

/** The value of `name=value`, or a malformed-message error naming what was expected. */
function attribute(part: string | undefined, name: string): string {
  if (part === undefined || !part.startsWith(`${name}=`)) {
    throw malformed(`Expected attribute "${name}" but found "${part ?? 'end of message'}".`);
  }
  return part.slice(name.length + 1);
}

function decodeBase64(text: string, what: string): Buffer {
  if (!base64.test(text)) throw malformed(`Invalid base64 in ${what}.`);
  return Buffer.from(text, 'base64');
}

/** Optional extensions are skipped, but each must still be an attribute (`x=value`). */
function checkExtensions(parts: string[]): void {
  for (const part of parts) {
    if (!/^[A-Za-z]=/.test(part)) throw malformed(`Invalid SCRAM attribute "${part}".`);
  }
}

export function parseClientFirst(message: string): ClientFirstMessage {
  const flag = message.charAt(0);
  if (flag === 'p') {
    throw malformed(
      'The client selected SCRAM-SHA-256 without channel binding, but the SCRAM message includes channel binding data.',
    );
  }
  if ((flag !== 'n' && flag !== 'y') || message.charAt(1) !== ',') {
    throw malformed(`Unexpected channel-binding flag "${flag}".`);
  }
  if (message.startsWith('a=', 2))
    throw unsupported('client uses authorization identity, but it is not supported');
  if (message.charAt(2) !== ',') throw malformed('Comma expected after the channel-binding flag.');
  const gs2Header = message.slice(0, 3);
  const bare = message.slice(3);
  const parts = bare.split(',');
  if (parts[0]?.startsWith('m=')) throw unsupported('client requires an unsupported SCRAM extension');
  attribute(parts[0], 'n');
  const clientNonce = attribute(parts[1], 'r');
  if (!printable.test(clientNonce)) throw malformed('The client nonce contains invalid characters.');
  checkExtensions(parts.slice(2));
  return { gs2Header, bare, clientNonce };
}

export function parseClientFinal(message: string): ClientFinalMessage {
  const proofAt = message.lastIndexOf(',p=');
  if (proofAt < 0) throw malformed('Could not find proof in client-final-message.');
  const withoutProof = message.slice(0, proofAt);
  const parts = withoutProof.split(',');
  const channelBinding = decodeBase64(attribute(parts[0], 'c'), 'channel binding');
  const nonce = attribute(parts[1], 'r');
  checkExtensions(parts.slice(2));
  const proof = decodeBase64(message.slice(proofAt + 3), 'proof');
  if (proof.length !== PROOF_BYTES) throw malformed('Malformed proof in client-final-message.');
  return { channelBinding, nonce, proof, withoutProof };
}
