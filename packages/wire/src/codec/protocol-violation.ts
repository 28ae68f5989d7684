/**
 * Protocol violations found while decoding. Every one of them ends the connection (FATAL, 08P01):
 * once framing is in doubt, nothing later on the stream can be trusted, and a decoder that threw
 * is never fed again.
 * Exports: protocolViolation, invalidEncoding.
 */
import { KeelError, SqlState } from '@keel/errors';

export function protocolViolation(message: string, detail?: string): KeelError {
  return new KeelError(SqlState.ProtocolViolation, message, { severity: 'FATAL', detail });
}

/** A string on the wire that is not valid UTF-8 (Keel's only server and client encoding). */
export function invalidEncoding(): KeelError {
  return new KeelError(SqlState.CharacterNotInRepertoire, 'invalid byte sequence for encoding "UTF8"', {
    severity: 'FATAL',
  });
}
