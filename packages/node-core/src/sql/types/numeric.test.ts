/**
 * Numeric: exactness, PostgreSQL's display scales, typmod rounding and overflow, special values.
 */
import { KeelError } from '@keel/errors';
import { describe, expect, test } from 'vitest';
import { makeNumericTypmod, Numeric } from './numeric.js';
import { numericExp, numericLn, numericPower, numericSqrt } from './numeric-math.js';

const n = (s: string) => Numeric.parse(s);

describe('Numeric', () => {
  test('add, subtract and multiply are exact and keep PostgreSQL scales', () => {
    expect(n('0.1').add(n('0.2')).toString()).toBe('0.3');
    expect(n('1.50').add(n('2')).toString()).toBe('3.50');
    expect(n('1.5').mul(n('2.25')).toString()).toBe('3.375');
    expect(n('99999999999999999999999999999.99').add(n('0.01')).toString()).toBe(
      '100000000000000000000000000000.00',
    );
    expect(n('1.10').sub(n('1.1')).toString()).toBe('0.00');
  });

  test('division uses select_div_scale and rounds half away from zero', () => {
    expect(n('10').div(n('3')).toString()).toBe('3.3333333333333333');
    expect(n('2').div(n('3')).toString()).toBe('0.66666666666666666667');
    expect(n('1').div(n('7e10')).toString()).toBe('0.0000000000142857142857142857');
    expect(n('-1').div(n('3')).toString()).toBe('-0.33333333333333333333');
  });

  test('typmod rounds and checks the integer digits', () => {
    expect(n('123.455').applyTypmod(makeNumericTypmod(5, 2)).toString()).toBe('123.46');
    expect(n('-0.005').applyTypmod(makeNumericTypmod(3, 2)).toString()).toBe('-0.01');
    expect(n('12345').applyTypmod(makeNumericTypmod(5, -2)).toString()).toBe('12300');
    const overflow = () => n('1000').applyTypmod(makeNumericTypmod(5, 2));
    expect(overflow).toThrow(KeelError);
    expect(overflow).toThrow('numeric field overflow');
  });

  test('special values order NaN last and propagate', () => {
    const values = ['NaN', 'Infinity', '-Infinity', '0', '-1e100'].map(n).sort((a, b) => a.compare(b));
    expect(values.map((v) => v.toString())).toEqual([
      '-Infinity',
      '-10000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000',
      '0',
      'Infinity',
      'NaN',
    ]);
    expect(n('Infinity').add(n('-Infinity')).isNaN()).toBe(true);
    expect(n('NaN').equals(n('NaN'))).toBe(true);
  });

  test('integer conversion rounds half away from zero and range-checks', () => {
    expect(n('2.5').toInt('integer')).toBe(3);
    expect(n('-2.5').toInt('integer')).toBe(-3);
    expect(() => n('2147483647.5').toInt('integer')).toThrow('integer out of range');
    expect(() => n('NaN').toBigInt()).toThrow('cannot convert NaN to bigint');
  });

  test('transcendental functions use PostgreSQL result scales', () => {
    expect(numericSqrt(n('2')).toString()).toBe('1.414213562373095');
    expect(numericExp(n('1')).toString()).toBe('2.7182818284590452');
    expect(numericLn(n('2')).toString()).toBe('0.6931471805599453');
    expect(numericPower(n('2'), n('10')).toString()).toBe('1024.0000000000000000');
    expect(numericPower(n('2'), n('0.5')).toString()).toBe('1.4142135623730950');
  });
});
