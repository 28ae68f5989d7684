/**
 * LIKE / ILIKE translation to RegExp: every regular-expression metacharacter in a pattern is a
 * literal (a '-' used to be escaped as `\-`, which the `u` flag refuses), and the ESCAPE
 * clause (through like_escape, as the binder rewrites it) follows PostgreSQL, including a
 * trailing escape that is an error only when matching reaches it. The same cases run against
 * PostgreSQL 15 in the differential corpus (testdata/sql-corpus/20-like-patterns.sql).
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { MemoryDatabase } from '../testing/memory-database.js';
import { runSql } from '../testing/run-sql.js';
import { likeTest, similarRegExp } from './pattern-match.js';

const metas = [
  '-',
  ']',
  '[',
  '^',
  '$',
  '.',
  '(',
  ')',
  '{',
  '}',
  '|',
  '*',
  '+',
  '?',
  '/',
  '\\',
  '#',
  '&',
  '~',
  '=',
  ':',
];

describe('LIKE with regular-expression metacharacters', () => {
  test.each(metas)('%s is a literal in LIKE and ILIKE', (m) => {
    const lit = m === '\\' ? '\\\\' : m; // a backslash is LIKE's default escape: double it
    expect(likeTest(`x${m}y`, `%${lit}%`, false)).toBe(true);
    expect(likeTest(`x${m}y`, `x${lit}y`, false)).toBe(true);
    expect(likeTest('xy', `%${lit}%`, false)).toBe(false);
    expect(likeTest(`xzy`, `x${lit}y`, false)).toBe(false);
    expect(likeTest(`X${m}Y`, `x${lit}_`, true)).toBe(true);
    expect(likeTest(`a${m}${m}b`, `a${lit}${lit}b`, false)).toBe(true);
    expect(likeTest(`a${m}b`, `a${lit}${lit}b`, false)).toBe(false);
  });

  test('% and _ match newlines, and a range-looking pattern is literal', () => {
    expect(likeTest('a\nb', 'a_b', false)).toBe(true);
    expect(likeTest('a\n\nb', 'a%b', false)).toBe(true);
    expect(likeTest('b', '[a-c]', false)).toBe(false);
    expect(likeTest('[a-c]', '[a-c]', false)).toBe(true);
  });
});

describe('LIKE ... ESCAPE', () => {
  let db: MemoryDatabase;
  beforeAll(() => {
    db = new MemoryDatabase();
  });
  const one = async (sql: string) => (await runSql(db, `SELECT ${sql}`)).rows[0];

  test('the default backslash, another character, a metacharacter, or none', async () => {
    expect(
      await one("'10%' LIKE '10\\%', '100' LIKE '10\\%', 'a_b' LIKE 'a\\_b', 'axb' LIKE 'a\\_b'"),
    ).toEqual([true, false, true, false]);
    expect(
      await one("'10%' LIKE '10#%' ESCAPE '#', '10x' LIKE '10#%' ESCAPE '#', 'a#b' LIKE 'a##b' ESCAPE '#'"),
    ).toEqual([true, false, true]);
    for (const esc of ['^', '-', '.', '$', ']', '(', '|', '*']) {
      expect(
        await one(`'a%b' LIKE 'a${esc}%b' ESCAPE '${esc}', 'axb' LIKE 'a${esc}%b' ESCAPE '${esc}'`),
      ).toEqual([true, false]);
      expect(await one(`'a${esc}b' LIKE 'a${esc}${esc}b' ESCAPE '${esc}'`)).toEqual([true]);
    }
    expect(
      await one("'a\\b' LIKE 'a\\b' ESCAPE '', 'a%b' LIKE 'a%b' ESCAPE '', 'a_b' ILIKE 'A!_B' ESCAPE '!'"),
    ).toEqual([true, true, true]);
    expect(await one("'a%b' LIKE 'a%%b' ESCAPE '%', 'axb' LIKE 'a%%b' ESCAPE '%'")).toEqual([true, false]);
  });

  test('a trailing escape is an error only when matching reaches it (22025)', async () => {
    expect(await one("'abc' LIKE 'abc!' ESCAPE '!', 'xbc' LIKE 'abc!' ESCAPE '!'")).toEqual([false, false]);
    await expect(one("'abcd' LIKE 'abc!' ESCAPE '!'")).rejects.toMatchObject({ sqlstate: '22025' });
    await expect(one("'abcd' LIKE 'abc\\'")).rejects.toMatchObject({ sqlstate: '22025' });
    await expect(one("'abc' LIKE 'a' ESCAPE 'xy'")).rejects.toMatchObject({ sqlstate: '22025' });
  });
});

describe('SIMILAR TO', () => {
  test('a lone ] or } is a literal, as in PostgreSQL; an unbalanced ( is 2201B', () => {
    expect(similarRegExp('a]b').test('a]b')).toBe(true);
    expect(similarRegExp('a}b').test('a}b')).toBe(true);
    expect(similarRegExp('a{2}').test('aa')).toBe(true);
    expect(similarRegExp('[a\\-c]').test('-')).toBe(true);
    expect(similarRegExp('[a\\-c]').test('b')).toBe(false);
    expect(() => similarRegExp('a(b')).toThrow(expect.objectContaining({ sqlstate: '2201B' }));
  });
});
