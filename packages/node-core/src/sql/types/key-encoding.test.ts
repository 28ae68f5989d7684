/**
 * Property tests of the order-preserving key encoding against the dumb model (comparatorFor
 * column by column, with NULL placement and DESC): for random values of every type, including
 * NULLs, NaN, infinities, -0, empty strings and multi-dimensional arrays, sorting by encoded
 * bytes must equal sorting by the model; equal values must encode equally; a prefix of the key
 * columns must be a byte prefix of the key.
 */
import { describe, expect, test } from 'vitest';
import { seededRandom } from '../functions/eval-context.js';
import { arrayFromList } from './array-io.js';
import { comparatorFor } from './compare.js';
import { jsonbObject } from './json-io.js';
import { encodeKey, type KeyColumn, keyComparatorBytes } from './key-encoding.js';
import { Numeric } from './numeric.js';
import { Oids, type TypeOid } from './oids.js';
import { type Jsonb, JsonNull, type Value } from './value.js';

const seed = Number(process.env.KEEL_SEED ?? 20241125);
const random = seededRandom(seed);
const int = (lo: number, hi: number) => lo + Math.floor(random.next() * (hi - lo + 1));
const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)] as T;

const numericSamples = [
  '0',
  '1',
  '-1',
  '1.0',
  '1.00',
  '0.001',
  '-0.001',
  '123456789012345678901234567890',
  '-99.5',
  '99.5',
  '1e-30',
  '5',
  '50',
  '500',
  '0.5',
  '-500.25',
  'NaN',
  'Infinity',
  '-Infinity',
];
const stringSamples = [
  '',
  'a',
  'ab',
  'a\u0000b',
  'b',
  'A',
  'é',
  '\u{1F600}',
  '\uFFFD',
  'zzz',
  'a ',
  ' a',
  'abc',
];

function randomValue(type: TypeOid): Value {
  switch (type) {
    case Oids.bool:
      return random.next() < 0.5;
    case Oids.int2:
      return int(-32768, 32767);
    case Oids.int4:
      return pick([0, 1, -1, 2147483647, -2147483648, int(-1000, 1000), int(-2147483648, 2147483647)]);
    case Oids.int8:
      return pick([0n, -1n, 9223372036854775807n, -9223372036854775808n, BigInt(int(-1e9, 1e9)) * 1000003n]);
    case Oids.float8:
      return pick([
        0,
        -0,
        1.5,
        -1.5,
        Number.NaN,
        Infinity,
        -Infinity,
        1e-300,
        -1e300,
        random.next() * 1e6 - 5e5,
        5e-324,
      ]);
    case Oids.float4:
      return Math.fround(pick([0, 1.5, -2.25, Number.NaN, Infinity, -Infinity, random.next() * 100 - 50]));
    case Oids.numeric:
      return random.next() < 0.7
        ? Numeric.parse(pick(numericSamples))
        : Numeric.parse((random.next() * 2000 - 1000).toFixed(int(0, 5)));
    case Oids.text:
    case Oids.bpchar:
      return pick(stringSamples) + (random.next() < 0.3 ? pick(stringSamples) : '');
    case Oids.bytea:
      return new Uint8Array(Array.from({ length: int(0, 4) }, () => pick([0, 1, 255, int(0, 255)])));
    case Oids.date:
      return pick([
        0,
        -1,
        1,
        8000,
        -800000,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        int(-100000, 100000),
      ]);
    case Oids.timestamptz:
      return pick([
        0n,
        -1n,
        2n ** 63n - 1n,
        -(2n ** 63n),
        BigInt(int(-1e9, 1e9)) * 1_000_000n + BigInt(int(0, 999999)),
      ]);
    case Oids.time:
      return int(0, 86_400_000_000);
    case Oids.interval:
      return { months: int(-30, 30), days: int(-100, 100), micros: BigInt(int(-1e9, 1e9)) * 1000n };
    case Oids.uuid:
      return Array.from({ length: 5 }, (_, i) =>
        Array.from({ length: [8, 4, 4, 4, 12][i] ?? 4 }, () => pick([...'0123456789abcdef'])).join(''),
      ).join('-');
    case Oids.jsonb:
      return randomJsonb(2);
    case Oids.int4Array:
      return randomIntArray();
    default:
      return null;
  }
}

function randomJsonb(depth: number): Jsonb {
  const kind = int(0, depth > 0 ? 6 : 3);
  switch (kind) {
    case 0:
      return JsonNull;
    case 1:
      return pick(['', 'a', 'b', 'aa']);
    case 2:
      return Numeric.parse(pick(['0', '1', '1.5', '-2', '10']));
    case 3:
      return random.next() < 0.5;
    case 4:
    case 5:
      return Array.from({ length: int(0, 3) }, () => randomJsonb(depth - 1));
    default: {
      const keys = Array.from({ length: int(0, 3) }, () => pick(['a', 'b', 'aa', 'c']));
      return jsonbObject(
        keys,
        keys.map(() => randomJsonb(depth - 1)),
      );
    }
  }
}

function randomIntArray(): Value {
  if (random.next() < 0.2)
    return {
      elementType: Oids.int4,
      dims: [
        { length: 2, lowerBound: 1 },
        { length: 2, lowerBound: 1 },
      ],
      values: [1, 2, int(0, 3), null],
    };
  return arrayFromList(
    Oids.int4,
    Array.from({ length: int(0, 3) }, () => (random.next() < 0.15 ? null : int(-3, 3))),
  );
}

const types = [
  Oids.bool,
  Oids.int2,
  Oids.int4,
  Oids.int8,
  Oids.float4,
  Oids.float8,
  Oids.numeric,
  Oids.text,
  Oids.bpchar,
  Oids.bytea,
  Oids.date,
  Oids.time,
  Oids.timestamptz,
  Oids.interval,
  Oids.uuid,
  Oids.jsonb,
  Oids.int4Array,
];

/** The model: column-by-column comparison with NULL placement and direction. */
function modelCompare(a: Value[], b: Value[], columns: KeyColumn[]): number {
  for (let i = 0; i < columns.length; i++) {
    const col = columns[i] as KeyColumn;
    const desc = col.descending === true;
    const nullsFirst = col.nullsFirst ?? desc;
    const x = a[i] ?? null;
    const y = b[i] ?? null;
    let c: number;
    if (x === null || y === null) c = x === y ? 0 : (x === null) === nullsFirst ? -1 : 1;
    else {
      c = Math.sign(comparatorFor(col.type)(x, y));
      if (desc) c = -c;
    }
    if (c !== 0) return c;
  }
  return 0;
}

function randomRow(columns: KeyColumn[]): Value[] {
  return columns.map((c) => (random.next() < 0.1 ? null : randomValue(c.type)));
}

describe(`key encoding (seed ${seed}; replay with KEEL_SEED=${seed})`, () => {
  test.each(types.map((t) => [t]))(
    'single column of type %i sorts like the comparator, both directions',
    (type) => {
      for (const columns of [
        [{ type }],
        [{ type, descending: true }],
        [{ type, nullsFirst: true }],
        [{ type, descending: true, nullsFirst: false }],
      ]) {
        const rows = Array.from({ length: 150 }, () => randomRow(columns));
        checkOrder(rows, columns);
      }
    },
  );

  test('composite keys sort like the model and prefixes are byte prefixes', () => {
    for (let round = 0; round < 40; round++) {
      const columns: KeyColumn[] = Array.from({ length: int(2, 4) }, () => ({
        type: pick(types),
        descending: random.next() < 0.3,
      }));
      const rows = Array.from({ length: 60 }, () => randomRow(columns));
      checkOrder(rows, columns);
      for (const row of rows) {
        const full = encodeKey(row, columns);
        const prefix = encodeKey(row.slice(0, 1), columns.slice(0, 1));
        expect(Buffer.from(full.subarray(0, prefix.length)).equals(Buffer.from(prefix))).toBe(true);
      }
    }
  });

  test('equal values of different spellings encode equally', () => {
    const col = [{ type: Oids.numeric }];
    expect(encodeKey([Numeric.parse('1.0')], col)).toEqual(encodeKey([Numeric.parse('1.000')], col));
    expect(encodeKey([-0], [{ type: Oids.float8 }])).toEqual(encodeKey([0], [{ type: Oids.float8 }]));
    expect(encodeKey(['ab  '], [{ type: Oids.bpchar }])).toEqual(encodeKey(['ab'], [{ type: Oids.bpchar }]));
    expect(encodeKey([{ months: 1, days: 0, micros: 0n }], [{ type: Oids.interval }])).toEqual(
      encodeKey([{ months: 0, days: 30, micros: 0n }], [{ type: Oids.interval }]),
    );
  });
});

function checkOrder(rows: Value[][], columns: KeyColumn[]): void {
  const encoded = rows.map((row) => ({ row, key: encodeKey(row, columns) }));
  for (let i = 0; i < encoded.length; i++) {
    for (let j = i + 1; j < encoded.length; j++) {
      const a = encoded[i];
      const b = encoded[j];
      if (a === undefined || b === undefined) continue;
      const model = modelCompare(a.row, b.row, columns);
      const bytes = Math.sign(keyComparatorBytes(a.key, b.key));
      if (model !== bytes) {
        throw new Error(
          `order mismatch for ${JSON.stringify(columns)}: model ${model}, bytes ${bytes}, rows ${String(a.row)} | ${String(b.row)}`,
        );
      }
    }
  }
}
