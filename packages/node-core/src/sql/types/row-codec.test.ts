/**
 * Row encoding: random rows of every storable type survive encode/decode; rows written before
 * ADD COLUMN decode with the missing columns' defaults; column subsets decode only what is asked.
 */
import { describe, expect, test } from 'vitest';
import { seededRandom } from '../functions/eval-context.js';
import { arrayFromList } from './array-io.js';
import { parseJsonb } from './json-io.js';
import { Numeric } from './numeric.js';
import { Oids, type TypeOid } from './oids.js';
import { decodeRow, encodeRow, RowCodec } from './row-codec.js';
import { defaultTypeSettings } from './settings.js';
import { formatText } from './text-io.js';
import type { Value } from './value.js';

const random = seededRandom(7);
const settings = defaultTypeSettings();

const samples: [TypeOid, Value[]][] = [
  [Oids.bool, [true, false]],
  [Oids.int2, [0, -32768, 32767]],
  [Oids.int4, [0, -2147483648, 2147483647, 42]],
  [Oids.int8, [0n, -(2n ** 63n), 2n ** 63n - 1n]],
  [Oids.float4, [Math.fround(1.5), Number.NaN, -Infinity]],
  [Oids.float8, [0.1, -0, Number.NaN, Infinity, 5e-324]],
  [
    Oids.numeric,
    [
      Numeric.parse('1.50'),
      Numeric.parse('-123456789012345678901234567890.000001'),
      Numeric.NaN,
      Numeric.Infinity,
    ],
  ],
  [Oids.text, ['', 'héllo', 'a'.repeat(300), '\u{1F600}x']],
  [Oids.varchar, ['abc']],
  [Oids.bpchar, ['ab  ']],
  [Oids.name, ['pg_class']],
  [Oids.char, ['a']],
  [Oids.bytea, [new Uint8Array([0, 1, 255]), new Uint8Array(0)]],
  [Oids.uuid, ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11']],
  [Oids.date, [0, -730000, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]],
  [Oids.time, [0, 86_400_000_000, 45_296_123_456]],
  [Oids.timestamp, [0n, 2n ** 63n - 1n, -1234567890123456n]],
  [Oids.timestamptz, [-(2n ** 63n), 757_382_400_000_000n]],
  [Oids.interval, [{ months: -14, days: 3, micros: -1_500_000n }]],
  [Oids.json, ['{"a" : 1}']],
  [Oids.jsonb, [parseJsonb('{"b":[1,2.50,null],"a":"x"}')]],
  [Oids.oid, [4294967295, 0]],
  [Oids.int4Array, [arrayFromList(Oids.int4, [1, null, 3]), arrayFromList(Oids.int4, [])]],
  [
    Oids.textArray,
    [
      {
        elementType: Oids.text,
        dims: [
          { length: 2, lowerBound: 0 },
          { length: 1, lowerBound: 1 },
        ],
        values: ['a', 'b,c'],
      },
    ],
  ],
];

function text(type: TypeOid, v: Value): string | null {
  return v === null ? null : formatText(type, v, settings);
}

function randomRow(): { types: TypeOid[]; values: Value[] } {
  const n = 1 + Math.floor(random.next() * 20);
  const types: TypeOid[] = [];
  const values: Value[] = [];
  for (let i = 0; i < n; i++) {
    const [type, vals] = samples[Math.floor(random.next() * samples.length)] ?? [Oids.int4, [0]];
    types.push(type);
    values.push(random.next() < 0.2 ? null : (vals[Math.floor(random.next() * vals.length)] ?? null));
  }
  return { types, values };
}

describe('row codec', () => {
  test('random rows round-trip', () => {
    for (let i = 0; i < 500; i++) {
      const { types, values } = randomRow();
      const decoded = decodeRow(encodeRow(values, types), types);
      expect(decoded.map((v, c) => text(types[c] ?? Oids.text, v))).toEqual(
        values.map((v, c) => text(types[c] ?? Oids.text, v)),
      );
    }
  });

  test('integers and floats decode to the same JS values', () => {
    const types = [Oids.int4, Oids.int8, Oids.float8, Oids.bool, Oids.text];
    const values = [-7, 12345678901234n, -0.25, true, 'x'];
    expect(decodeRow(encodeRow(values, types), types)).toEqual(values);
  });

  test('rows stored before ADD COLUMN read the missing columns as their defaults or NULL', () => {
    const old = encodeRow([1, 'a'], [Oids.int4, Oids.text]);
    const codec = new RowCodec([Oids.int4, Oids.text, Oids.int4, Oids.bool], [null, null, 42]);
    expect(codec.decode(old)).toEqual([1, 'a', 42, null]);
  });

  test('decoding a column subset skips the others', () => {
    const types = [Oids.text, Oids.numeric, Oids.int8, Oids.int4Array, Oids.uuid, Oids.int4];
    const values = [
      'skip me',
      Numeric.parse('1.5'),
      7n,
      arrayFromList(Oids.int4, [1]),
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      9,
    ];
    const out = decodeRow(encodeRow(values, types), types, undefined, [2, 5]);
    expect(out).toEqual([null, null, 7n, null, null, 9]);
  });

  test('numerics keep value, scale and arithmetic through the compact digit format', () => {
    const texts = [
      '0',
      '0.000',
      '-0.5',
      '1e-30',
      '123456789012345678901234567890.123456789',
      '-9999999',
      '10000000',
      '1.50',
      '7e20',
    ];
    for (let i = 0; i < 200; i++)
      texts.push(
        (random.next() * 10 ** Math.floor(random.next() * 30) * (random.next() < 0.5 ? -1 : 1)).toFixed(
          Math.floor(random.next() * 12),
        ),
      );
    const types = [Oids.numeric];
    for (const text of texts) {
      const value = Numeric.parse(text);
      const [back] = decodeRow(encodeRow([value], types), types);
      expect(back instanceof Numeric && back.toString()).toBe(value.toString());
      if (back instanceof Numeric) {
        expect(back.add(Numeric.parse('1.1')).toString()).toBe(value.add(Numeric.parse('1.1')).toString());
        expect(back.compare(value)).toBe(0);
      }
    }
  });

  test('more than eight columns use a multi-byte null bitmap', () => {
    const types = Array.from({ length: 19 }, () => Oids.int4);
    const values = types.map((_, i) => (i % 3 === 0 ? null : i));
    expect(decodeRow(encodeRow(values, types), types)).toEqual(values);
  });
});
