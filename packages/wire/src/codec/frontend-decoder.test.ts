import { InvariantError, KeelError } from '@keel/errors';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { FrontendDecoder } from './frontend-decoder.js';
import { encodeFrontendMessage } from './frontend-encoder.js';
import type { FrontendMessage, StartupMessage } from './frontend-message.js';

const startup: StartupMessage = {
  kind: 'startup',
  version: { major: 3, minor: 0 },
  parameters: new Map([
    ['user', 'alice'],
    ['database', 'shop'],
    ['application_name', 'décodeur ✓'],
  ]),
};

const startupPhaseSamples: FrontendMessage[] = [
  startup,
  {
    kind: 'startup',
    version: { major: 3, minor: 2 },
    parameters: new Map([
      ['user', 'u'],
      ['_pq_.x', '1'],
    ]),
  },
  { kind: 'startup', version: { major: 2, minor: 0 }, parameters: new Map() },
  { kind: 'sslRequest' },
  { kind: 'gssEncRequest' },
  { kind: 'cancelRequest', processId: 4242, secretKey: -123456789 },
];

const typedSamples: FrontendMessage[] = [
  { kind: 'query', sql: 'SELECT 1; SELECT $$ünïcode$$' },
  { kind: 'query', sql: '' },
  { kind: 'parse', statementName: 's1', sql: 'SELECT $1::int + $2', paramTypeOids: [23, 4294967295] },
  { kind: 'parse', statementName: '', sql: 'SELECT 1', paramTypeOids: [] },
  {
    kind: 'bind',
    portalName: 'p1',
    statementName: 's1',
    paramFormats: [0, 1],
    params: [Buffer.from('42'), null, Buffer.alloc(0), Buffer.from([0, 1, 2, 255])],
    resultFormats: [1],
  },
  { kind: 'bind', portalName: '', statementName: '', paramFormats: [], params: [], resultFormats: [] },
  { kind: 'describe', target: 'statement', name: 's1' },
  { kind: 'describe', target: 'portal', name: '' },
  { kind: 'execute', portalName: 'p1', maxRows: 10 },
  { kind: 'execute', portalName: '', maxRows: 0 },
  { kind: 'close', target: 'statement', name: 's1' },
  { kind: 'close', target: 'portal', name: 'p1' },
  { kind: 'sync' },
  { kind: 'flush' },
  { kind: 'terminate' },
  { kind: 'password', data: Buffer.from('md5abcdef\0') },
  { kind: 'password', data: Buffer.from('SCRAM-SHA-256\0\0\0\0\x20n,,n=,r=abc', 'latin1') },
  { kind: 'copyData', data: Buffer.from('1\tone\n2\ttwo\n') },
  { kind: 'copyData', data: Buffer.alloc(0) },
  { kind: 'copyDone' },
  { kind: 'copyFail', message: 'client gave up' },
  { kind: 'functionCall', data: Buffer.from([0, 0, 4, 210, 0, 0]) },
];

/** The bytes a client sends: startup-phase packets alone, typed ones after a StartupMessage. */
function framesOf(message: FrontendMessage): { bytes: Buffer; expected: FrontendMessage[] } {
  const typed = !startupPhaseSamples.includes(message);
  const prefix = typed ? [startup] : [];
  const expected = [...prefix, message];
  return { bytes: Buffer.concat(expected.map(encodeFrontendMessage)), expected };
}

function decodeInPieces(bytes: Buffer, cuts: number[]): FrontendMessage[] {
  const decoder = new FrontendDecoder();
  const messages: FrontendMessage[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    messages.push(...decoder.push(bytes.subarray(start, cut)));
    start = cut;
  }
  decoder.finish();
  return messages;
}

function expectProtocolError(work: () => unknown, code = '08P01'): KeelError {
  try {
    work();
  } catch (error) {
    if (!(error instanceof KeelError)) throw error;
    expect(error.sqlstate).toBe(code);
    expect(error.severity).toBe('FATAL');
    return error;
  }
  throw new Error('expected a protocol error');
}

/** A typed frame header with an arbitrary length field and no body. */
function header(type: string, length: number): Buffer {
  const bytes = Buffer.alloc(5);
  bytes.write(type, 0, 'latin1');
  bytes.writeUInt32BE(length >>> 0, 1);
  return bytes;
}

describe('FrontendDecoder split buffers', () => {
  test.each([...startupPhaseSamples, ...typedSamples].map((m) => [m.kind, m] as const))(
    '%s decodes identically when split at every byte offset',
    (_kind, message) => {
      const { bytes, expected } = framesOf(message);
      expect(decodeInPieces(bytes, [])).toEqual(expected);
      for (let cut = 0; cut <= bytes.length; cut += 1) {
        expect(decodeInPieces(bytes, [cut]), `split at ${cut}`).toEqual(expected);
      }
    },
  );

  test('every message fed one byte at a time', () => {
    const all: FrontendMessage[] = [startup, ...typedSamples];
    const bytes = Buffer.concat(all.map(encodeFrontendMessage));
    const cuts = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
    expect(decodeInPieces(bytes, cuts)).toEqual(all);
  });

  test('many messages in one chunk come out in order', () => {
    const all: FrontendMessage[] = [{ kind: 'sslRequest' }, startup, ...typedSamples, ...typedSamples];
    const decoder = new FrontendDecoder();
    expect(decoder.push(Buffer.concat(all.map(encodeFrontendMessage)))).toEqual(all);
    expect(decoder.bufferedBytes).toBe(0);
  });

  test('a chunk ending mid-frame keeps the partial frame for the next push', () => {
    const decoder = new FrontendDecoder();
    const sync = encodeFrontendMessage({ kind: 'sync' });
    const query = encodeFrontendMessage({ kind: 'query', sql: 'SELECT 1' });
    expect(decoder.push(Buffer.concat([encodeFrontendMessage(startup), sync, query.subarray(0, 7)]))).toEqual(
      [startup, { kind: 'sync' }],
    );
    expect(decoder.bufferedBytes).toBe(7);
    expect(decoder.push(query.subarray(7))).toEqual([{ kind: 'query', sql: 'SELECT 1' }]);
  });

  test('a Bind with 40000 parameters (counts are unsigned 16-bit)', () => {
    const params = Array.from({ length: 40_000 }, (_, i) => (i % 3 === 0 ? null : Buffer.from(String(i))));
    const bind: FrontendMessage = {
      kind: 'bind',
      portalName: '',
      statementName: '',
      paramFormats: [],
      params,
      resultFormats: [],
    };
    const { bytes, expected } = framesOf(bind);
    expect(decodeInPieces(bytes, [1000, 70_000])).toEqual(expected);
  });
});

describe('FrontendDecoder rejects bad framing', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  function typedDecoder(options = {}): FrontendDecoder {
    const decoder = new FrontendDecoder(options);
    expect(decoder.push(encodeFrontendMessage(startup))).toEqual([startup]);
    return decoder;
  }

  test('a 2 GiB length field fails after five bytes, allocating nothing', () => {
    const sizes: number[] = [];
    const record = (size: unknown) => {
      if (typeof size === 'number') sizes.push(size);
    };
    const alloc = Buffer.alloc;
    const allocUnsafe = Buffer.allocUnsafe;
    const allocUnsafeSlow = Buffer.allocUnsafeSlow;
    vi.spyOn(Buffer, 'alloc').mockImplementation((size, ...rest) => {
      record(size);
      return alloc(size, ...rest);
    });
    vi.spyOn(Buffer, 'allocUnsafe').mockImplementation((size) => {
      record(size);
      return allocUnsafe(size);
    });
    vi.spyOn(Buffer, 'allocUnsafeSlow').mockImplementation((size) => {
      record(size);
      return allocUnsafeSlow(size);
    });
    for (const length of [0x8000_0000, 0x7fff_ffff, 0x4000_0004, 0xffff_ffff]) {
      const decoder = typedDecoder();
      const error = expectProtocolError(() => decoder.push(header('Q', length)));
      expect(error.message).toBe('invalid message length');
    }
    expect(sizes.filter((size) => size > 1024 * 1024)).toEqual([]);
  });

  test('a length below 4 or negative is rejected', () => {
    for (const length of [0, 1, 3, -1, -4]) {
      const decoder = typedDecoder();
      expectProtocolError(() => decoder.push(header('S', length)));
    }
  });

  test('control messages are capped at 10000 bytes, auth messages at 65535, data at the option', () => {
    expectProtocolError(() => typedDecoder().push(header('S', 10_005)));
    expect(typedDecoder().push(header('S', 10_004))).toEqual([]);
    expectProtocolError(() => typedDecoder().push(header('p', 65_540)));
    expect(typedDecoder().push(header('p', 65_539))).toEqual([]);
    const small = { maxMessageBytes: 100 };
    expectProtocolError(() => typedDecoder(small).push(header('Q', 105)));
    const query = encodeFrontendMessage({ kind: 'query', sql: 'x'.repeat(98) });
    expect(typedDecoder(small).push(query)).toEqual([{ kind: 'query', sql: 'x'.repeat(98) }]);
  });

  test('an unknown type byte fails before any length arrives', () => {
    const error = expectProtocolError(() => typedDecoder().push(Buffer.from('G')));
    expect(error.message).toBe('invalid frontend message type 71');
  });

  test('garbage instead of a startup packet fails', () => {
    expectProtocolError(() => new FrontendDecoder().push(Buffer.from('GET / HTTP/1.1\r\n\r\n')));
  });

  test('startup packets are capped at 10000 bytes and must hold a version', () => {
    const big = Buffer.alloc(4);
    big.writeInt32BE(10_005);
    expectProtocolError(() => new FrontendDecoder().push(big));
    const tiny = Buffer.alloc(4);
    tiny.writeInt32BE(7);
    expectProtocolError(() => new FrontendDecoder().push(tiny));
  });

  test('a startup packet without its final terminator fails', () => {
    const bytes = encodeFrontendMessage(startup);
    const broken = Buffer.from(bytes.subarray(0, bytes.length - 1));
    broken.writeInt32BE(broken.length);
    const error = expectProtocolError(() => new FrontendDecoder().push(broken));
    expect(error.message).toContain('expected terminator');
  });

  test('negotiation packets must have their exact length', () => {
    const ssl = encodeFrontendMessage({ kind: 'sslRequest' });
    const longer = Buffer.concat([ssl, Buffer.alloc(4)]);
    longer.writeInt32BE(12);
    expectProtocolError(() => new FrontendDecoder().push(longer));
  });

  test('malformed bodies fail: bad subtype, short body, trailing bytes, no string terminator', () => {
    const describe = Buffer.concat([header('D', 7), Buffer.from('X\0\0')]);
    expect(expectProtocolError(() => typedDecoder().push(describe)).message).toContain('subtype');
    const execute = Buffer.concat([header('E', 6), Buffer.from('\0\0')]);
    expectProtocolError(() => typedDecoder().push(execute));
    const sync = Buffer.concat([header('S', 5), Buffer.from('x')]);
    expectProtocolError(() => typedDecoder().push(sync));
    const query = Buffer.concat([header('Q', 7), Buffer.from('abc')]);
    expect(expectProtocolError(() => typedDecoder().push(query)).message).toBe('invalid string in message');
    const bind = Buffer.concat([header('B', 14), Buffer.from([0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe])]);
    expectProtocolError(() => typedDecoder().push(bind));
  });

  test('invalid UTF-8 in a string is rejected with 22021', () => {
    const query = Buffer.concat([header('Q', 8), Buffer.from([0x61, 0xff, 0x62, 0])]);
    expectProtocolError(() => typedDecoder().push(query), '22021');
  });

  test('end of stream inside a frame is a truncated message', () => {
    const decoder = typedDecoder();
    expect(decoder.push(encodeFrontendMessage({ kind: 'query', sql: 'SELECT 1' }).subarray(0, 6))).toEqual(
      [],
    );
    expect(expectProtocolError(() => decoder.finish()).message).toBe('unexpected EOF within message');
  });

  test('end of stream between frames is clean', () => {
    const decoder = typedDecoder();
    decoder.push(encodeFrontendMessage({ kind: 'sync' }));
    expect(() => decoder.finish()).not.toThrow();
  });

  test('pushEach hands over the messages before a violation in the same chunk, then throws', () => {
    const decoder = new FrontendDecoder();
    const seen: FrontendMessage[] = [];
    const chunk = Buffer.concat([
      encodeFrontendMessage(startup),
      encodeFrontendMessage({ kind: 'sync' }),
      header('p', 0x7fff_ffff),
    ]);
    expectProtocolError(() => decoder.pushEach(chunk, (message) => seen.push(message)));
    expect(seen).toEqual([startup, { kind: 'sync' }]);
  });

  test('a decoder that threw is never fed again', () => {
    const decoder = typedDecoder();
    expectProtocolError(() => decoder.push(header('Q', -1)));
    expect(() => decoder.push(encodeFrontendMessage({ kind: 'sync' }))).toThrow(InvariantError);
    expect(() => decoder.finish()).toThrow(InvariantError);
  });
});
