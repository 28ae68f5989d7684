import { createRequire } from 'node:module';
import { KeelError } from '@keel/errors';
import { describe, expect, test } from 'vitest';
import { saslPrep } from './sasl-prep.js';
import {
  formatScramVerifier,
  makeScramVerifier,
  parseScramVerifier,
  type ScramSecret,
} from './scram-secret.js';
import { ScramServer } from './scram-server.js';

/** node-postgres's own SCRAM client (pg/lib/crypto/sasl.js), driven without a socket. */
interface PgScramSession {
  mechanism: string;
  response: string;
}
interface PgSasl {
  startSession(mechanisms: string[], stream?: unknown): PgScramSession;
  continueSession(
    session: PgScramSession,
    password: string,
    serverData: string,
    stream?: unknown,
  ): Promise<void>;
  finalizeSession(session: PgScramSession, serverData: string): void;
}
const pgSasl: PgSasl = createRequire(import.meta.url)('pg/lib/crypto/sasl.js');

// RFC 7677 section 3: user "user", password "pencil".
const rfc = {
  salt: Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'),
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverNonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal:
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};

function secretFor(password: string, salt = rfc.salt): ScramSecret {
  const secret = parseScramVerifier(makeScramVerifier(password, { iterations: 4096, salt }));
  if (secret === null) throw new Error('verifier did not parse');
  return secret;
}

function server(secret: ScramSecret | null, makeNonce?: () => string): ScramServer {
  return new ScramServer({ secret, mockSalt: Buffer.from('mock-salt-16byte'), makeNonce });
}

function expectKeelError(work: () => unknown, sqlstate: string): KeelError {
  try {
    work();
  } catch (error) {
    if (!(error instanceof KeelError)) throw error;
    expect(error.sqlstate).toBe(sqlstate);
    return error;
  }
  throw new Error('expected a KeelError');
}

describe('SCRAM-SHA-256 against RFC 7677', () => {
  test('the example exchange succeeds with the RFC server signature', () => {
    const scram = server(secretFor('pencil'), () => rfc.serverNonce);
    expect(scram.clientFirst(rfc.clientFirst)).toBe(rfc.serverFirst);
    expect(scram.clientFinal(rfc.clientFinal)).toEqual({ kind: 'success', serverFinal: rfc.serverFinal });
  });

  test('the same proof fails for another password', () => {
    const scram = server(secretFor('pencil2'), () => rfc.serverNonce);
    scram.clientFirst(rfc.clientFirst);
    expect(scram.clientFinal(rfc.clientFinal)).toEqual({
      kind: 'failure',
      reason: 'password does not match',
    });
  });

  test('a proof with one flipped bit fails', () => {
    const scram = server(secretFor('pencil'), () => rfc.serverNonce);
    scram.clientFirst(rfc.clientFirst);
    const tampered = rfc.clientFinal.replace('p=dHzb', 'p=dHzc');
    expect(scram.clientFinal(tampered).kind).toBe('failure');
  });

  test('a mock exchange (unknown role) looks normal and fails', () => {
    const scram = server(null, () => rfc.serverNonce);
    const serverFirst = scram.clientFirst(rfc.clientFirst);
    expect(serverFirst).toMatch(
      /^r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj\)hNlF\$k0,s=[A-Za-z0-9+/=]+,i=4096$/,
    );
    expect(scram.clientFinal(rfc.clientFinal)).toEqual({
      kind: 'failure',
      reason: 'no SCRAM secret for the role',
    });
  });
});

describe('SCRAM malformed messages', () => {
  test.each([
    ['p=tls-server-end-point,,n=,r=abc', '08P01'],
    ['x,,n=,r=abc', '08P01'],
    ['n,a=admin,n=,r=abc', '0A000'],
    ['n,,m=ext,n=,r=abc', '0A000'],
    ['n,,r=abc', '08P01'],
    ['n,,n=,r=', '08P01'],
    ['n,,n=,r=a,b', '08P01'],
  ])('client-first %s is refused with %s', (message, sqlstate) => {
    expectKeelError(() => server(secretFor('pencil')).clientFirst(message), sqlstate);
  });

  test.each([
    ['wrong nonce', 'c=biws,r=rOprNGfwEbeRWgbNEkqOXXX,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='],
    ['wrong channel binding', rfc.clientFinal.replace('c=biws', 'c=eSws')],
    ['missing proof', 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0'],
    ['short proof', 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=AAAA'],
    ['bad base64', 'c=b!ws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=AAAA'],
  ])('client-final with %s is a protocol violation', (_what, message) => {
    const scram = server(secretFor('pencil'), () => rfc.serverNonce);
    scram.clientFirst(rfc.clientFirst);
    expectKeelError(() => scram.clientFinal(message), '08P01');
  });

  test('the GS2 flag y is accepted and must be echoed', () => {
    const scram = server(secretFor('pencil'), () => 'srv');
    scram.clientFirst('y,,n=,r=abc');
    expectKeelError(
      () => scram.clientFinal(`c=biws,r=abcsrv,p=${Buffer.alloc(32).toString('base64')}`),
      '08P01',
    );
    const again = server(secretFor('pencil'), () => 'srv');
    again.clientFirst('y,,n=,r=abc');
    expect(again.clientFinal(`c=eSws,r=abcsrv,p=${Buffer.alloc(32).toString('base64')}`).kind).toBe(
      'failure',
    );
  });
});

describe('SCRAM against the node-postgres client', () => {
  async function exchange(storedPassword: string, clientPassword: string, stream?: unknown) {
    const scram = server(secretFor(storedPassword, Buffer.from('0123456789abcdef')));
    const session = pgSasl.startSession(['SCRAM-SHA-256'], stream);
    expect(session.mechanism).toBe('SCRAM-SHA-256');
    const serverFirst = scram.clientFirst(session.response);
    await pgSasl.continueSession(session, clientPassword, serverFirst, stream);
    const outcome = scram.clientFinal(session.response);
    if (outcome.kind === 'success') pgSasl.finalizeSession(session, outcome.serverFinal);
    return outcome.kind;
  }

  test('the right password authenticates both ways (the client checks the server signature)', async () => {
    expect(await exchange('correct horse', 'correct horse')).toBe('success');
  });

  test('a wrong password fails', async () => {
    expect(await exchange('correct horse', 'battery staple')).toBe('failure');
  });

  test('a client that sends the y flag authenticates', async () => {
    expect(await exchange('s3cret', 's3cret', {})).toBe('success');
  });

  test('SASLprep: a non-ASCII password normalised the same way on both sides', async () => {
    expect(await exchange('pa\u00A0ss\u00ADword\u2168', 'pa ssword\u2168')).toBe('success');
  });
});

describe('verifiers', () => {
  test('makeScramVerifier has PostgreSQL format and parses back', () => {
    const verifier = makeScramVerifier('pencil', { salt: rfc.salt });
    expect(verifier).toMatch(
      /^SCRAM-SHA-256\$4096:W22ZaJ0SNY7soEsUEjb6gQ==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/,
    );
    const secret = parseScramVerifier(verifier);
    expect(secret).not.toBeNull();
    if (secret !== null) expect(formatScramVerifier(secret)).toBe(verifier);
  });

  test('a random salt differs between calls', () => {
    expect(makeScramVerifier('x')).not.toBe(makeScramVerifier('x'));
  });

  test.each(['md5abc', 'SCRAM-SHA-256$0:AAAA$AAAA:AAAA', 'SCRAM-SHA-256$4096:W22Z$short:short', ''])(
    'rejects %s',
    (text) => {
      expect(parseScramVerifier(text)).toBeNull();
    },
  );

  test('saslPrep keeps ASCII, maps spaces, drops soft hyphens, applies NFKC, keeps prohibited input raw', () => {
    expect(saslPrep('I\u00ADX')).toBe('IX');
    expect(saslPrep('a\u00A0b')).toBe('a b');
    expect(saslPrep('\u2168')).toBe('IX');
    expect(saslPrep('\u00AA')).toBe('a');
    expect(saslPrep('tab\there')).toBe('tab\there');
    expect(saslPrep('é\u0007')).toBe('é\u0007');
  });
});
