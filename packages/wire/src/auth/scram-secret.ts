/**
 * SCRAM-SHA-256 secrets in PostgreSQL's stored format,
 * `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (base64 fields), which is what
 * pg_authid.rolpassword holds. The server keeps only StoredKey = H(ClientKey) and ServerKey, so a
 * leaked verifier does not let anyone log in (RFC 5802 section 3). makeScramVerifier() is what
 * CREATE ROLE ... PASSWORD and the first-start superuser use.
 * Exports: ScramSecret, makeScramVerifier, parseScramVerifier, formatScramVerifier, deriveScramKeys.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { saslPrep } from './sasl-prep.js';

export interface ScramSecret {
  iterations: number;
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

export interface ScramVerifierOptions {
  /** PBKDF2 rounds; PostgreSQL's default scram_iterations is 4096. */
  iterations?: number;
  /** Random 16 bytes when absent (PostgreSQL's SCRAM_DEFAULT_SALT_LEN). */
  salt?: Uint8Array;
}

const KEY_BYTES = 32;
const DEFAULT_ITERATIONS = 4096;
const DEFAULT_SALT_BYTES = 16;

export function deriveScramKeys(
  password: string,
  salt: Uint8Array,
  iterations: number,
): { storedKey: Buffer; serverKey: Buffer } {
  const saltedPassword = pbkdf2Sync(saslPrep(password), salt, iterations, KEY_BYTES, 'sha256');
  const clientKey = createHmac('sha256', saltedPassword).update('Client Key').digest();
  return {
    storedKey: createHash('sha256').update(clientKey).digest(),
    serverKey: createHmac('sha256', saltedPassword).update('Server Key').digest(),
  };
}

export function makeScramVerifier(password: string, options: ScramVerifierOptions = {}): string {
  const iterations = options.iterations ?? DEFAULT_ITERATIONS;
  const salt = Buffer.from(options.salt ?? randomBytes(DEFAULT_SALT_BYTES));
  const { storedKey, serverKey } = deriveScramKeys(password, salt, iterations);
  return formatScramVerifier({ iterations, salt, storedKey, serverKey });
}

export function formatScramVerifier(secret: ScramSecret): string {
  const b64 = (bytes: Buffer) => bytes.toString('base64');
  return `SCRAM-SHA-256$${secret.iterations}:${b64(secret.salt)}$${b64(secret.storedKey)}:${b64(secret.serverKey)}`;
}

const verifierPattern =
  /^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2}):([A-Za-z0-9+/]+={0,2})$/;

/** The secret in a stored verifier, or null when the text is not a valid SCRAM-SHA-256 verifier. */
export function parseScramVerifier(text: string): ScramSecret | null {
  const match = verifierPattern.exec(text);
  if (match === null) return null;
  const [, iterationsText = '', saltText = '', storedText = '', serverText = ''] = match;
  const iterations = Number(iterationsText);
  const storedKey = Buffer.from(storedText, 'base64');
  const serverKey = Buffer.from(serverText, 'base64');
  if (!Number.isSafeInteger(iterations) || iterations < 1) return null;
  if (storedKey.length !== KEY_BYTES || serverKey.length !== KEY_BYTES) return null;
  return { iterations, salt: Buffer.from(saltText, 'base64'), storedKey, serverKey };
}
