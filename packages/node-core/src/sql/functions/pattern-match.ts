/**
 * Pattern matching: LIKE/ILIKE (with ESCAPE), SIMILAR TO and PostgreSQL's POSIX regular
 * expressions (ARE), compiled to JS RegExp. Translation covers where the dialects differ: `.`
 * matches newlines in PostgreSQL (JS flag s), `[[:alpha:]]`-style classes, `\m` `\M` `\y` `\Y`
 * word boundaries, `\A` `\Z`, leading `(?i)`-style embedded options, and the `x` (expanded)
 * flag. Compiled patterns are cached. Invalid patterns are 2201B with PostgreSQL's wording
 * where it is known; a LIKE pattern ending in its escape is 22025.
 * Exports: likeRegExp, likeTest, similarRegExp, similarToJs, quoteMarker, compileRegex, regexFlags, RegexFlags.
 */
import { KeelError, SqlState } from '@keel/errors';

/** Stands for an escaped double quote (substring's SIMILAR markers) inside a translated pattern. */
export const quoteMarker = String.fromCharCode(1);

const cache = new Map<string, RegExp>();
const cacheMax = 512;

function cached(key: string, build: () => RegExp): RegExp {
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const made = build();
  if (cache.size >= cacheMax) cache.clear();
  cache.set(key, made);
  return made;
}

/**
 * A literal character outside a bracket expression. Only RegExp syntax characters are escaped:
 * with the `u` flag every other escape (`\-`, `\#`, ...) is a SyntaxError, which is how a LIKE
 * pattern containing '-' used to fail.
 */
function escapeRegExp(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}

/** A RegExp from a translated pattern; a translation JS still refuses is the user's 2201B. */
function makeRegExp(source: string, flags: string): RegExp {
  try {
    return new RegExp(source, flags);
  } catch (error) {
    throw regexError(error);
  }
}

function escapeArgument(escapeChar: string | null): string | null {
  if (escapeChar === null) return '\\';
  if (escapeChar === '') return null;
  if ([...escapeChar].length !== 1) {
    throw new KeelError(SqlState.InvalidEscapeSequence, 'invalid escape string', {
      hint: 'Escape string must be empty or one character.',
    });
  }
  return escapeChar;
}

/** LIKE (or ILIKE with `caseInsensitive`) as an anchored RegExp; `escapeChar` null means the default backslash. */
export function likeRegExp(
  pattern: string,
  caseInsensitive: boolean,
  escapeChar: string | null = null,
): RegExp {
  const { regex, dangling } = likeCompiled(pattern, caseInsensitive, escapeChar);
  if (dangling) throw danglingEscape();
  return regex;
}

/**
 * LIKE as PostgreSQL's MatchText evaluates it. A pattern ending in a lone escape character is
 * refused (22025) only when matching reaches that escape with text left over; before that the
 * answer is just false (`'abc' LIKE 'abc!' ESCAPE '!'` is false, `'abcd' LIKE ...` an error).
 */
export function likeTest(
  text: string,
  pattern: string,
  caseInsensitive: boolean,
  escapeChar: string | null = null,
): boolean {
  const { regex, dangling } = likeCompiled(pattern, caseInsensitive, escapeChar);
  if (!dangling) return regex.test(text);
  // `regex` is the pattern before the escape followed by at least one character.
  if (regex.test(text)) throw danglingEscape();
  return false;
}

function danglingEscape(): KeelError {
  return new KeelError(SqlState.InvalidEscapeSequence, 'LIKE pattern must not end with escape character');
}

const likeCache = new Map<string, { regex: RegExp; dangling: boolean }>();

function likeCompiled(
  pattern: string,
  caseInsensitive: boolean,
  escapeChar: string | null,
): { regex: RegExp; dangling: boolean } {
  const key = `${caseInsensitive ? 'i' : ''}${escapeChar ?? '\u0000'}:${pattern}`;
  const hit = likeCache.get(key);
  if (hit !== undefined) return hit;
  const esc = escapeArgument(escapeChar);
  let out = '^';
  let dangling = false;
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] ?? '';
    if (esc !== null && c === esc) {
      const next = chars[i + 1];
      if (next === undefined) {
        dangling = true;
        out += '[\\s\\S]';
        break;
      }
      out += escapeRegExp(next);
      i++;
    } else if (c === '%') out += '[\\s\\S]*';
    else if (c === '_') out += '[\\s\\S]';
    else out += escapeRegExp(c);
  }
  const made = {
    regex: makeRegExp(`${out}${dangling ? '[\\s\\S]*' : ''}$`, caseInsensitive ? 'iu' : 'u'),
    dangling,
  };
  if (likeCache.size >= cacheMax) likeCache.clear();
  likeCache.set(key, made);
  return made;
}

/** SIMILAR TO: SQL regular expression, anchored; `.` `^` `$` are literals. */
export function similarRegExp(pattern: string, escapeChar: string | null = null): RegExp {
  return cached(`S${escapeChar ?? '\u0000'}:${pattern}`, () =>
    makeRegExp(`^(?:${similarToJs(pattern, escapeChar)})$`, 'su'),
  );
}

/** Translates a SIMILAR TO pattern body (shared with substring(... similar ...)). */
export function similarToJs(pattern: string, escapeChar: string | null): string {
  const esc = escapeArgument(escapeChar);
  let out = '';
  let inBracket = false;
  let inBraces = false;
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] ?? '';
    if (esc !== null && c === esc) {
      const next = chars[i + 1];
      if (next === undefined) {
        throw new KeelError(
          SqlState.InvalidEscapeSequence,
          'SIMILAR TO pattern must not end with escape character',
        );
      }
      // Inside brackets an escaped '-' is a literal dash, not a range.
      out += next === '"' ? quoteMarker : inBracket && next === '-' ? '\\-' : escapeRegExp(next);
      i++;
      continue;
    }
    if (inBracket) {
      if (c === ']') inBracket = false;
      out += c === '\\' ? '\\\\' : c;
    } else if (c === '[') {
      inBracket = true;
      out += c;
    } else if (c === '%') out += '[\\s\\S]*';
    else if (c === '_') out += '[\\s\\S]';
    else if (c === '.' || c === '^' || c === '$' || c === '\\' || c === '/') out += `\\${c}`;
    else if (c === '(') out += '(?:';
    else if (c === '{') {
      inBraces = true;
      out += c;
    } else if (c === '}' && inBraces) {
      inBraces = false;
      out += c;
    } else if (c === ']' || c === '}')
      out += `\\${c}`; // literal when nothing is open, as in PostgreSQL
    else out += c;
  }
  return out;
}

export interface RegexFlags {
  global: boolean;
  caseInsensitive: boolean;
  expanded: boolean;
  /** 'n'/'p'/'w': newline-sensitive forms; only `.` and bracket negation are affected. */
  newlineSensitive: boolean;
}

/** Parses regexp_* flag strings; 22023 for unknown letters. `allowGlobal` is false for regexp_match. */
export function regexFlags(flags: string, fn: string, allowGlobal = true): RegexFlags {
  const out: RegexFlags = { global: false, caseInsensitive: false, expanded: false, newlineSensitive: false };
  for (const f of flags) {
    switch (f) {
      case 'g':
        if (!allowGlobal) {
          throw new KeelError(
            SqlState.InvalidParameterValue,
            `${fn}() does not support the "global" option`,
            {
              hint: 'Use the regexp_matches function instead.',
            },
          );
        }
        out.global = true;
        break;
      case 'i':
        out.caseInsensitive = true;
        break;
      case 'c':
        out.caseInsensitive = false;
        break;
      case 'x':
        out.expanded = true;
        break;
      case 'n':
      case 'p':
      case 'w':
        out.newlineSensitive = true;
        break;
      case 't':
      case 's':
      case 'q':
      case 'b':
      case 'e':
        break;
      default:
        throw new KeelError(SqlState.InvalidParameterValue, `invalid regular expression option: "${f}"`);
    }
  }
  return out;
}

const posixClasses: Record<string, string> = {
  alpha: 'a-zA-Z\\u00C0-\\u024F',
  digit: '0-9',
  alnum: '0-9a-zA-Z\\u00C0-\\u024F',
  upper: 'A-Z',
  lower: 'a-z',
  space: '\\s',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  xdigit: '0-9A-Fa-f',
  word: '\\w',
  cntrl: '\\x00-\\x1f\\x7f',
  print: '\\x20-\\x7e',
  graph: '\\x21-\\x7e',
};

function invalidRegex(reason: string): KeelError {
  return new KeelError(SqlState.InvalidRegularExpression, `invalid regular expression: ${reason}`);
}

function stripExpanded(pattern: string): string {
  let out = '';
  let inBracket = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    if (c === '\\') {
      out += c + pattern.charAt(i + 1);
      i++;
    } else if (inBracket) {
      if (c === ']') inBracket = false;
      out += c;
    } else if (c === '[') {
      inBracket = true;
      out += c;
    } else if (c === '#') {
      while (i < pattern.length && pattern.charAt(i) !== '\n') i++;
    } else if (!/\s/.test(c)) out += c;
  }
  return out;
}

/** Translates an ARE to JS syntax; returns the body and flags found in a leading (?...) option group. */
function translateAre(pattern: string): { body: string; embedded: string } {
  let embedded = '';
  let p = pattern;
  const lead = /^\(\?([bceimnpqstwx]+)\)/.exec(p);
  if (lead !== null) {
    embedded = lead[1] ?? '';
    p = p.slice(lead[0].length);
  }
  if (p.startsWith('***=')) return { body: p.slice(4).replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&'), embedded };
  let out = '';
  let inBracket = false;
  for (let i = 0; i < p.length; i++) {
    const c = p.charAt(i);
    if (inBracket) {
      const cls = /^\[:([a-z]+):\]/.exec(p.slice(i));
      if (cls !== null) {
        const body = posixClasses[cls[1] ?? ''];
        if (body === undefined) throw invalidRegex('invalid character class');
        out += body;
        i += cls[0].length - 1;
        continue;
      }
      if (c === ']' && !/\[\^?$/.test(out)) inBracket = false;
      out += c === '\\' && p.charAt(i + 1) !== ']' && !/[dswDSW\\-]/.test(p.charAt(i + 1)) ? '\\\\' : c;
      continue;
    }
    if (c === '[') {
      inBracket = true;
      out += c;
      if (p.charAt(i + 1) === '^') {
        out += '^';
        i++;
      }
      if (p.charAt(i + 1) === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '\\') {
      const n = p.charAt(i + 1);
      i++;
      out += translateEscape(n);
      continue;
    }
    out += c;
  }
  if (inBracket) throw invalidRegex('brackets [] not balanced');
  return { body: out, embedded };
}

function translateEscape(n: string): string {
  switch (n) {
    case 'm':
      return '\\b(?=\\w)';
    case 'M':
      return '\\b(?<=\\w)';
    case 'y':
      return '\\b';
    case 'Y':
      return '\\B';
    case 'A':
      return '^';
    case 'Z':
      return '$';
    case '':
      throw invalidRegex('invalid escape \\ sequence');
    default:
      return `\\${n}`;
  }
}

/** Compiles a PostgreSQL regular expression with the given flags. */
export function compileRegex(pattern: string, flags: RegexFlags): RegExp {
  const key = `R${flags.caseInsensitive ? 'i' : ''}${flags.expanded ? 'x' : ''}${flags.global ? 'g' : ''}${flags.newlineSensitive ? 'n' : ''}:${pattern}`;
  return cached(key, () => {
    const source = flags.expanded ? stripExpanded(pattern) : pattern;
    const { body, embedded } = translateAre(source);
    const insensitive = flags.caseInsensitive || embedded.includes('i');
    const jsFlags = `${flags.global ? 'g' : ''}${insensitive ? 'i' : ''}${flags.newlineSensitive || embedded.includes('n') ? 'm' : 's'}`;
    try {
      return new RegExp(embedded.includes('x') ? stripExpanded(body) : body, jsFlags);
    } catch (error) {
      throw regexError(error);
    }
  });
}

function regexError(error: unknown): KeelError {
  const message = error instanceof Error ? error.message : String(error);
  if (/Unterminated group|Unmatched '\)'/.test(message)) return invalidRegex('parentheses () not balanced');
  if (/Unterminated character class/.test(message)) return invalidRegex('brackets [] not balanced');
  if (/Nothing to repeat/.test(message)) return invalidRegex('quantifier operand invalid');
  if (/numbers out of order/.test(message)) return invalidRegex('invalid repetition count(s)');
  if (/Invalid escape/.test(message)) return invalidRegex('invalid escape \\ sequence');
  return invalidRegex(message.replace(/^Invalid regular expression: /, ''));
}
