/**
 * Pattern operators and regular-expression functions: LIKE/ILIKE (~~ ~~* !~~ !~~*) on text,
 * name, bpchar and bytea, like_escape and similar_to_escape (how the binder rewrites
 * LIKE ... ESCAPE and SIMILAR TO), POSIX regex operators (~ ~* !~ !~*), regexp_replace,
 * regexp_match, regexp_matches and regexp_split_to_table (set-returning), regexp_split_to_array,
 * regexp_count/regexp_like (PostgreSQL 15), and substring's regex and SIMILAR forms.
 * ILIKE and case-insensitive regexes fold ASCII only, as PostgreSQL under the C locale.
 * Exports: registerRegexFunctions, likeMatch.
 */
import { KeelError, SqlState } from '@keel/errors';
import { arrayFromList } from '../types/array-io.js';
import { Oids } from '../types/oids.js';
import type { Value } from '../types/value.js';
import { defineFunction, defineOperator, defineSetFunction } from './function-registry.js';
import {
  compileRegex,
  likeTest,
  quoteMarker,
  type RegexFlags,
  regexFlags,
  similarToJs,
} from './pattern-match.js';
import { asciiLower } from './string-functions.js';
import { bytes, str } from './value-access.js';

export function likeMatch(s: string, pattern: string, caseInsensitive: boolean): boolean {
  if (caseInsensitive) return likeTest(asciiLower(s), asciiLower(pattern), false);
  return likeTest(s, pattern, false);
}

function byteaLike(b: Uint8Array, pattern: Uint8Array): boolean {
  return likeTest(Buffer.from(b).toString('latin1'), Buffer.from(pattern).toString('latin1'), false);
}

/** like_escape(pattern, escapeChar): rewrites a pattern with a custom escapeChar to backslash escapes. */
function likeEscape(pattern: string, escapeChar: string): string {
  if (escapeChar === '\\') return pattern;
  const chars = [...pattern];
  if ([...escapeChar].length > 1) {
    throw new KeelError(SqlState.InvalidEscapeSequence, 'invalid escape string', {
      hint: 'Escape string must be empty or one character.',
    });
  }
  let out = '';
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] ?? '';
    if (escapeChar !== '' && c === escapeChar) {
      // A trailing escape stays a trailing backslash, as in PostgreSQL's do_like_escape: the
      // match itself decides whether it is an error (likeTest).
      const next = chars[i + 1];
      out += next === undefined ? '\\' : `\\${next}`;
      i++;
    } else if (c === '\\') out += '\\\\';
    else out += c;
  }
  return out;
}

/** similar_to_escape(pattern[, escapeChar]): the POSIX regex PostgreSQL matches SIMILAR TO with. */
function similarToEscape(pattern: string, escapeChar: string | null): string {
  const body = similarToJs(pattern, escapeChar)
    .replace(/\[\\s\\S\]\*/g, '.*')
    .replace(/\[\\s\\S\]/g, '.');
  return `^(?:${body.split(quoteMarker).join('')})$`;
}

function insensitive(flags: RegexFlags): RegexFlags {
  return { ...flags, caseInsensitive: true };
}

const noFlags: RegexFlags = {
  global: false,
  caseInsensitive: false,
  expanded: false,
  newlineSensitive: false,
};

function regexTest(s: string, pattern: string, flags: RegexFlags): boolean {
  const re = compileRegex(pattern, flags);
  re.lastIndex = 0;
  return re.test(s);
}

function registerPatternOperators(): void {
  for (const left of ['text', 'name', 'bpchar']) {
    defineOperator('~~', [left, 'text'], 'bool', ([s, p]) => likeMatch(str(s), str(p), false));
    defineOperator('!~~', [left, 'text'], 'bool', ([s, p]) => !likeMatch(str(s), str(p), false));
    defineOperator('~~*', [left, 'text'], 'bool', ([s, p]) => likeMatch(str(s), str(p), true));
    defineOperator('!~~*', [left, 'text'], 'bool', ([s, p]) => !likeMatch(str(s), str(p), true));
    defineOperator('~', [left, 'text'], 'bool', ([s, p]) => regexTest(str(s), str(p), noFlags));
    defineOperator('!~', [left, 'text'], 'bool', ([s, p]) => !regexTest(str(s), str(p), noFlags));
    defineOperator('~*', [left, 'text'], 'bool', ([s, p]) => regexTest(str(s), str(p), insensitive(noFlags)));
    defineOperator(
      '!~*',
      [left, 'text'],
      'bool',
      ([s, p]) => !regexTest(str(s), str(p), insensitive(noFlags)),
    );
  }
  defineOperator('~~', ['bytea', 'bytea'], 'bool', ([s, p]) => byteaLike(bytes(s), bytes(p)));
  defineOperator('!~~', ['bytea', 'bytea'], 'bool', ([s, p]) => !byteaLike(bytes(s), bytes(p)));
  defineFunction('like', ['text', 'text'], 'bool', ([s, p]) => likeMatch(str(s), str(p), false));
  defineFunction('ilike', ['text', 'text'], 'bool', ([s, p]) => likeMatch(str(s), str(p), true));
  defineFunction('like_escape', ['text', 'text'], 'text', ([p, e]) => likeEscape(str(p), str(e)));
  defineFunction('similar_to_escape', ['text', 'text'], 'text', ([p, e]) => similarToEscape(str(p), str(e)));
  defineFunction('similar_to_escape', ['text'], 'text', ([p]) => similarToEscape(str(p), null));
}

/** PostgreSQL replacement text: \1..\9 captures, \& the whole match, \\ a backslash. */
function expandReplacement(replacement: string, match: RegExpExecArray): string {
  if (!replacement.includes('\\')) return replacement;
  return replacement.replace(/\\([0-9&\\])/g, (_m, c: string) => {
    if (c === '\\') return '\\';
    if (c === '&' || c === '0') return match[0];
    return match[Number(c)] ?? '';
  });
}

function regexpReplace(s: string, pattern: string, replacement: string, flagText: string): string {
  const flags = regexFlags(flagText, 'regexp_replace');
  const re = compileRegex(pattern, { ...flags, global: true });
  let out = '';
  let last = 0;
  re.lastIndex = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    out += s.slice(last, m.index) + expandReplacement(replacement, m);
    last = m.index + m[0].length;
    if (m[0].length === 0) re.lastIndex++;
    if (!flags.global) break;
  }
  return out + s.slice(last);
}

function matchArray(m: RegExpExecArray): Value {
  const groups = m.length > 1 ? m.slice(1).map((g) => g ?? null) : [m[0]];
  return arrayFromList(Oids.text, groups);
}

function regexpMatch(s: string, pattern: string, flagText: string): Value {
  const re = compileRegex(pattern, regexFlags(flagText, 'regexp_match', false));
  re.lastIndex = 0;
  const m = re.exec(s);
  return m === null ? null : matchArray(m);
}

function regexpMatches(s: string, pattern: string, flagText: string): Value[][] {
  const flags = regexFlags(flagText, 'regexp_matches');
  const re = compileRegex(pattern, { ...flags, global: true });
  re.lastIndex = 0;
  const rows: Value[][] = [];
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    rows.push([matchArray(m)]);
    if (m[0].length === 0) re.lastIndex++;
    if (!flags.global) break;
  }
  return rows;
}

/**
 * PostgreSQL's split: a zero-length match is ignored at the very start or end of the string and
 * right where the previous match ended; the pieces are the text between kept matches.
 */
function regexpSplit(s: string, pattern: string, flagText: string): string[] {
  const flags = regexFlags(flagText, 'regexp_split_to_table', false);
  const re = compileRegex(pattern, { ...flags, global: true });
  const parts: string[] = [];
  let previousEnd = 0;
  let searchFrom = 0;
  while (searchFrom <= s.length) {
    re.lastIndex = searchFrom;
    const m = re.exec(s);
    if (m === null) break;
    const start = m.index;
    const end = start + m[0].length;
    if (start < s.length && end > previousEnd) {
      parts.push(s.slice(previousEnd, start));
      previousEnd = end;
    }
    searchFrom = end === start ? end + 1 : end;
  }
  parts.push(s.slice(previousEnd));
  return parts;
}

function regexCount(s: string, pattern: string, flagText: string): number {
  const re = compileRegex(pattern, { ...regexFlags(flagText, 'regexp_count', false), global: true });
  re.lastIndex = 0;
  let n = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    n++;
    if (m[0].length === 0) re.lastIndex++;
  }
  return n;
}

/** substring(s from pattern): the first parenthesized group, else the whole match. */
function substringRegex(s: string, pattern: string): Value {
  const re = compileRegex(pattern, noFlags);
  re.lastIndex = 0;
  const m = re.exec(s);
  if (m === null) return null;
  return m.length > 1 ? (m[1] ?? null) : m[0];
}

/** substring(s similar pattern escapeChar e): the part between the escapeChar-quote markers. */
function substringSimilar(s: string, pattern: string, escapeChar: string): Value {
  const marker = `${escapeChar}"`;
  const parts = pattern.split(marker);
  if (parts.length !== 1 && parts.length !== 3) {
    throw new KeelError(
      SqlState.InvalidEscapeSequence,
      'SQL regular expression may not contain more than two escape-double-quote separators',
    );
  }
  const [a = '', b = '', c = ''] = parts;
  const body =
    parts.length === 1
      ? `(${similarToJs(a, escapeChar)})`
      : `${similarToJs(a, escapeChar)}(${similarToJs(b, escapeChar)})${similarToJs(c, escapeChar)}`;
  const re = new RegExp(`^(?:${body.split(quoteMarker).join('')})$`, 's');
  const m = re.exec(s);
  return m === null ? null : (m[1] ?? null);
}

function registerRegexpFunctions(): void {
  defineFunction('regexp_replace', ['text', 'text', 'text'], 'text', ([s, p, r]) =>
    regexpReplace(str(s), str(p), str(r), ''),
  );
  defineFunction('regexp_replace', ['text', 'text', 'text', 'text'], 'text', ([s, p, r, f]) =>
    regexpReplace(str(s), str(p), str(r), str(f)),
  );
  defineFunction('regexp_match', ['text', 'text'], '_text', ([s, p]) => regexpMatch(str(s), str(p), ''));
  defineFunction('regexp_match', ['text', 'text', 'text'], '_text', ([s, p, f]) =>
    regexpMatch(str(s), str(p), str(f)),
  );
  defineSetFunction('regexp_matches', ['text', 'text'], [['regexp_matches', '_text']], ([s, p]) =>
    regexpMatches(str(s), str(p), ''),
  );
  defineSetFunction('regexp_matches', ['text', 'text', 'text'], [['regexp_matches', '_text']], ([s, p, f]) =>
    regexpMatches(str(s), str(p), str(f)),
  );
  defineFunction('regexp_split_to_array', ['text', 'text'], '_text', ([s, p]) =>
    arrayFromList(Oids.text, regexpSplit(str(s), str(p), '')),
  );
  defineFunction('regexp_split_to_array', ['text', 'text', 'text'], '_text', ([s, p, f]) =>
    arrayFromList(Oids.text, regexpSplit(str(s), str(p), str(f))),
  );
  defineSetFunction(
    'regexp_split_to_table',
    ['text', 'text'],
    [['regexp_split_to_table', 'text']],
    ([s, p]) => regexpSplit(str(s), str(p), '').map((x) => [x]),
  );
  defineSetFunction(
    'regexp_split_to_table',
    ['text', 'text', 'text'],
    [['regexp_split_to_table', 'text']],
    ([s, p, f]) => regexpSplit(str(s), str(p), str(f)).map((x) => [x]),
  );
  defineFunction('regexp_count', ['text', 'text'], 'int4', ([s, p]) => regexCount(str(s), str(p), ''));
  defineFunction('regexp_like', ['text', 'text'], 'bool', ([s, p]) => regexTest(str(s), str(p), noFlags));
  defineFunction('regexp_like', ['text', 'text', 'text'], 'bool', ([s, p, f]) =>
    regexTest(str(s), str(p), regexFlags(str(f), 'regexp_like', false)),
  );
  defineFunction('substring', ['text', 'text'], 'text', ([s, p]) => substringRegex(str(s), str(p)));
  defineFunction('substring', ['text', 'text', 'text'], 'text', ([s, p, e]) =>
    substringSimilar(str(s), str(p), str(e)),
  );
}

export function registerRegexFunctions(): void {
  registerPatternOperators();
  registerRegexpFunctions();
}
