import { describe, expect, test } from 'vitest';
import { decideStart, termAt } from './history.js';
import type { Identity } from './messages.js';

const id = (history: [number, number][], flushLsn: number, systemId = 's'): Identity => ({
  systemId,
  history: history.map(([term, lsn]) => ({ term, lsn })),
  flushLsn,
});

describe('decideStart', () => {
  test('a replica behind in the same term streams from its end', () => {
    expect(decideStart(id([[1, 0]], 500), id([[1, 0]], 900))).toEqual({ kind: 'stream', fromLsn: 500 });
  });

  test('a replica exactly at the end streams (nothing to send yet)', () => {
    expect(decideStart(id([[1, 0]], 900), id([[1, 0]], 900))).toEqual({ kind: 'stream', fromLsn: 900 });
  });

  test('a replica of an older term streams across the primary term switch', () => {
    expect(
      decideStart(
        id([[1, 0]], 400),
        id(
          [
            [1, 0],
            [2, 400],
          ],
          900,
        ),
      ),
    ).toEqual({ kind: 'stream', fromLsn: 400 });
    expect(
      decideStart(
        id([[1, 0]], 300),
        id(
          [
            [1, 0],
            [2, 400],
          ],
          900,
        ),
      ),
    ).toEqual({ kind: 'stream', fromLsn: 300 });
  });

  test('an old primary with WAL past the new term start rewinds to it', () => {
    // n1 wrote term 1 up to 700; the new primary was promoted at 400 in term 2.
    expect(
      decideStart(
        id([[1, 0]], 700),
        id(
          [
            [1, 0],
            [2, 400],
          ],
          900,
        ),
      ),
    ).toEqual({ kind: 'rewind', divergeLsn: 400 });
  });

  test('a node that wrote a term the primary never had rewinds to where it started that term', () => {
    // Local: term 2 from 300 (it was primary briefly); primary: term 3 from 350.
    expect(
      decideStart(
        id(
          [
            [1, 0],
            [2, 300],
          ],
          500,
        ),
        id(
          [
            [1, 0],
            [3, 350],
          ],
          900,
        ),
      ),
    ).toEqual({
      kind: 'rewind',
      divergeLsn: 300,
    });
  });

  test('history entries past the local end are ignored (adopted ahead of the WAL)', () => {
    expect(
      decideStart(
        id(
          [
            [1, 0],
            [2, 400],
          ],
          300,
        ),
        id(
          [
            [1, 0],
            [2, 400],
          ],
          900,
        ),
      ),
    ).toEqual({ kind: 'stream', fromLsn: 300 });
  });

  test('another system id bootstraps; so does a history with nothing in common', () => {
    expect(decideStart(id([[1, 0]], 10, 'a'), id([[1, 0]], 900, 'b')).kind).toBe('bootstrap');
    expect(decideStart(id([[5, 0]], 10), id([[1, 0]], 900)).kind).toBe('bootstrap');
  });

  test('termAt names the term of the last record before an LSN', () => {
    const history = [
      { term: 1, lsn: 0 },
      { term: 3, lsn: 400 },
    ];
    expect(termAt(history, 400)).toBe(1);
    expect(termAt(history, 401)).toBe(3);
    expect(termAt(history, 0)).toBe(1);
  });
});
