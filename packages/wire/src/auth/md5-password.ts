/**
 * MD5 password authentication as PostgreSQL does it. The stored hash is 'md5' + md5(password +
 * username); the server sends a random 4-byte salt and the client answers 'md5' +
 * md5(hex(stored hash) + salt), so the password never crosses the wire (but the stored hash is
 * password-equivalent, which is why SCRAM is the default). The response is compared in constant
 * time.
 * Exports: md5PasswordHash, md5SaltedResponse, verifyMd5Response.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

function md5Hex(data: Uint8Array | string): string {
  return createHash('md5').update(data).digest('hex');
}

/** PostgreSQL's stored form: 'md5' + md5(password + username). */
export function md5PasswordHash(password: string, user: string): string {
  return `md5${md5Hex(`${password}${user}`)}`;
}

/** What a client must send for a stored hash and a salt (the client's side of the exchange). */
export function md5SaltedResponse(storedHash: string, salt: Uint8Array): string {
  return `md5${md5Hex(Buffer.concat([Buffer.from(storedHash.slice(3), 'latin1'), salt]))}`;
}

const storedPattern = /^md5[0-9a-f]{32}$/;

/** Whether `response` answers `salt` for the stored hash; false for a missing or malformed hash. */
export function verifyMd5Response(storedHash: string | null, salt: Uint8Array, response: string): boolean {
  const expected = Buffer.from(
    storedHash !== null && storedPattern.test(storedHash)
      ? md5SaltedResponse(storedHash, salt)
      : 'x'.repeat(35),
  );
  const actual = Buffer.from(response);
  const equal = actual.length === expected.length && timingSafeEqual(actual, expected);
  return equal && storedHash !== null && storedPattern.test(storedHash);
}
