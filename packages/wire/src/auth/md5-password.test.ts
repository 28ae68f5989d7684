import { createRequire } from 'node:module';
import { describe, expect, test } from 'vitest';
import { md5PasswordHash, md5SaltedResponse, verifyMd5Response } from './md5-password.js';

interface PgCryptoUtils {
  postgresMd5PasswordHash(user: string, password: string, salt: Buffer): Promise<string>;
}
const pgCrypto: PgCryptoUtils = createRequire(import.meta.url)('pg/lib/crypto/utils.js');

describe('MD5 password authentication', () => {
  test('the stored hash is md5(password + user), as PostgreSQL stores it', () => {
    expect(md5PasswordHash('postgres', 'postgres')).toBe('md53175bce1d3201d16594cebf9d7eb3f9d');
  });

  test('node-postgres computes the response the server expects', async () => {
    const salt = Buffer.from([0x01, 0xfe, 0x7f, 0x80]);
    const stored = md5PasswordHash('s3cret', 'bob');
    const response = await pgCrypto.postgresMd5PasswordHash('bob', 's3cret', salt);
    expect(response).toBe(md5SaltedResponse(stored, salt));
    expect(verifyMd5Response(stored, salt, response)).toBe(true);
  });

  test('a wrong password, another salt, a missing or malformed hash all fail', async () => {
    const salt = Buffer.from([1, 2, 3, 4]);
    const stored = md5PasswordHash('s3cret', 'bob');
    expect(verifyMd5Response(stored, salt, await pgCrypto.postgresMd5PasswordHash('bob', 'nope', salt))).toBe(
      false,
    );
    const otherSalt = await pgCrypto.postgresMd5PasswordHash('bob', 's3cret', Buffer.from([4, 3, 2, 1]));
    expect(verifyMd5Response(stored, salt, otherSalt)).toBe(false);
    expect(verifyMd5Response(null, salt, `md5${'0'.repeat(32)}`)).toBe(false);
    expect(verifyMd5Response('md5short', salt, 'x'.repeat(35))).toBe(false);
    expect(verifyMd5Response(stored, salt, '')).toBe(false);
  });
});
