/**
 * Text I/O per type: input text -> value -> output text against PostgreSQL's known outputs,
 * output -> input round trips, and input errors with their SQLSTATEs and messages.
 */
import { KeelError } from '@keel/errors';
import { describe, expect, test } from 'vitest';
import { Oids, type TypeOid } from './oids.js';
import { defaultTypeSettings, parseDateStyle, parseTimeZoneSetting } from './settings.js';
import { formatText, parseText } from './text-io.js';

const settings = defaultTypeSettings();

const cases: [TypeOid, string, string][] = [
  [Oids.bool, ' YES ', 't'],
  [Oids.bool, 'of', 'f'],
  [Oids.int2, '-32768', '-32768'],
  [Oids.int4, '  +42 ', '42'],
  [Oids.int8, '-9223372036854775808', '-9223372036854775808'],
  [Oids.float8, '0.1', '0.1'],
  [Oids.float8, '1e15', '1e+15'],
  [Oids.float8, '123456789012345', '123456789012345'],
  [Oids.float8, '-0', '-0'],
  [Oids.float8, '1e-5', '1e-05'],
  [Oids.float8, 'infinity', 'Infinity'],
  [Oids.float4, '0.1', '0.1'],
  [Oids.float4, '1e6', '1e+06'],
  [Oids.numeric, '1.50', '1.50'],
  [Oids.numeric, '1.5e-3', '0.0015'],
  [Oids.numeric, '-0.000', '0.000'],
  [Oids.numeric, ' NaN ', 'NaN'],
  [Oids.numeric, '-inf', '-Infinity'],
  [Oids.bytea, '\\x0aFF', '\\x0aff'],
  [Oids.bytea, 'a\\\\b\\001', '\\x615c6201'],
  [Oids.uuid, '{A0EEBC999C0B4EF8BB6D6BB9BD380A11}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
  [Oids.date, '1999-01-08', '1999-01-08'],
  [Oids.date, 'January 8, 99 BC', '0099-01-08 BC'],
  [Oids.date, 'infinity', 'infinity'],
  [Oids.time, '04:05:06.789', '04:05:06.789'],
  [Oids.time, '11:59 pm', '23:59:00'],
  [Oids.timestamp, '2024-02-29T23:59:59.999999', '2024-02-29 23:59:59.999999'],
  [Oids.timestamptz, '2024-01-02 03:04:05-08', '2024-01-02 11:04:05+00'],
  [Oids.interval, '1 year 2 months 3 days 4 hours 5 minutes 6 seconds', '1 year 2 mons 3 days 04:05:06'],
  [Oids.interval, 'P1DT2H', '1 day 02:00:00'],
  [Oids.interval, '-1 days +2 hours', '-1 days +02:00:00'],
  [Oids.jsonb, '{"b": 1, "a": [true, null, 1.50], "a": "dup"}', '{"a": "dup", "b": 1}'],
  [Oids.json, '{"b":1,  "a":2}', '{"b":1,  "a":2}'],
  [Oids.int4Array, '{1, 2 ,NULL}', '{1,2,NULL}'],
  [Oids.textArray, '{"a b","",null,"NULL","x\\"y"}', '{"a b","",NULL,"NULL","x\\"y"}'],
  [Oids.int4Array, '[0:1][1:2]={{1,2},{3,4}}', '[0:1][1:2]={{1,2},{3,4}}'],
  [Oids.regtype, 'integer', 'integer'],
  [Oids.oid, '-1', '4294967295'],
  [Oids.char, 'abc', 'a'],
];

const errors: [TypeOid, string, string, string][] = [
  [Oids.int4, 'abc', '22P02', 'invalid input syntax for type integer: "abc"'],
  [Oids.int2, '40000', '22003', 'value "40000" is out of range for type smallint'],
  [Oids.int8, '1.5', '22P02', 'invalid input syntax for type bigint: "1.5"'],
  [Oids.float8, '1e999', '22003', '"1e999" is out of range for type double precision'],
  [Oids.float4, '1e-50', '22003', '"1e-50" is out of range for type real'],
  [Oids.numeric, '1.2.3', '22P02', 'invalid input syntax for type numeric: "1.2.3"'],
  [Oids.bool, 'o', '22P02', 'invalid input syntax for type boolean: "o"'],
  [Oids.bytea, '\\x0g', '22023', 'invalid hexadecimal digit: "g"'],
  [Oids.uuid, '123', '22P02', 'invalid input syntax for type uuid: "123"'],
  [Oids.date, '2024-02-30', '22008', 'date/time field value out of range: "2024-02-30"'],
  [Oids.date, 'nonsense', '22007', 'invalid input syntax for type date: "nonsense"'],
  [Oids.timestamp, '294277-01-01', '22008', 'timestamp out of range: "294277-01-01"'],
  [Oids.time, '24:00:01', '22008', 'date/time field value out of range: "24:00:01"'],
  [Oids.interval, '1 fortnight', '22007', 'invalid input syntax for type interval: "1 fortnight"'],
  [Oids.jsonb, '{"a":}', '22P02', 'invalid input syntax for type json'],
  [Oids.int4Array, '{1,{2}}', '22P02', 'malformed array literal: "{1,{2}}"'],
  [Oids.int4Array, '{{1},{2,3}}', '22P02', 'malformed array literal: "{{1},{2,3}}"'],
];

describe('text input and output', () => {
  test.each(cases)('%i: %s -> %s', (type, input, output) => {
    const value = parseText(type, input, settings);
    const text = formatText(type, value, settings);
    expect(text).toBe(output);
    expect(formatText(type, parseText(type, text, settings), settings)).toBe(output);
  });

  test.each(errors)('%i: %s fails with %s', (type, input, code, message) => {
    let caught: unknown;
    try {
      parseText(type, input, settings);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(KeelError);
    expect((caught as KeelError).sqlstate).toBe(code);
    expect((caught as KeelError).message).toBe(message);
  });

  // '+05:30' is not a number, so PostgreSQL reads it as a POSIX zone (west of UTC).
  test('DateStyle and TimeZone change timestamptz output', () => {
    const ts = parseText(Oids.timestamptz, '2024-07-02 03:04:05.5+00', settings);
    const ny = { ...settings, timeZone: parseTimeZoneSetting('America/New_York') };
    expect(formatText(Oids.timestamptz, ts, ny)).toBe('2024-07-01 23:04:05.5-04');
    expect(formatText(Oids.timestamptz, ts, { ...ny, dateStyle: parseDateStyle('SQL', ny.dateStyle) })).toBe(
      '07/01/2024 23:04:05.5 EDT',
    );
    expect(
      formatText(Oids.timestamptz, ts, { ...ny, dateStyle: parseDateStyle('Postgres, DMY', ny.dateStyle) }),
    ).toBe('Mon 01 Jul 23:04:05.5 2024 EDT');
    expect(formatText(Oids.timestamptz, ts, { ...settings, timeZone: parseTimeZoneSetting('+05:30') })).toBe(
      '2024-07-01 21:34:05.5-05:30',
    );
  });

  test('extra_float_digits <= 0 prints %.15g-style', () => {
    expect(formatText(Oids.float8, 0.1 + 0.2, { ...settings, extraFloatDigits: 0 })).toBe('0.3');
    expect(formatText(Oids.float8, 0.1 + 0.2, settings)).toBe('0.30000000000000004');
    expect(formatText(Oids.float4, Math.fround(0.1), { ...settings, extraFloatDigits: 3 })).toBe('0.1');
  });

  test('bytea escape output', () => {
    expect(
      formatText(Oids.bytea, new Uint8Array([0, 97, 92, 255]), { ...settings, byteaOutput: 'escape' }),
    ).toBe('\\000a\\\\\\377');
  });
});
