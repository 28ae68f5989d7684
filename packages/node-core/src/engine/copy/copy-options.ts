/**
 * COPY options, read from the statement's DefElem list the way PostgreSQL's ProcessCopyOptions
 * does: FORMAT (text, csv; binary is refused), HEADER (boolean or MATCH), DELIMITER, NULL,
 * QUOTE, ESCAPE, FORCE_QUOTE, FORCE_NOT_NULL, FORCE_NULL, ENCODING (UTF8 only) and FREEZE
 * (accepted, no effect). The old spellings (WITH CSV HEADER, DELIMITER AS ',') parse into the
 * same list. Validation errors carry PostgreSQL's messages and SQLSTATEs (42601 for repeated
 * options, 0A000 for options that do not fit the format or direction, 22023 for bad values).
 * Exports: CopyOptions, CopyFormat, parseCopyOptions.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Node } from '@pgsql/types';
import { constantValue, stringsOf, unwrap } from '../../sql/parse/ast.js';

export type CopyFormat = 'text' | 'csv';

export interface CopyOptions {
  format: CopyFormat;
  /** 'match' (COPY FROM only): the header's names must equal the column names. */
  header: boolean | 'match';
  delimiter: string;
  nullString: string;
  quote: string;
  escape: string;
  /** Column names whose non-null values are always quoted (CSV, COPY TO); '*' for all. */
  forceQuote: string[] | '*';
  forceNotNull: string[];
  forceNull: string[];
}

function redundant(name: string): KeelError {
  return new KeelError(SqlState.SyntaxError, 'conflicting or redundant options', {
    detail: `Option "${name}" specified more than once.`,
  });
}

function notSupported(message: string): KeelError {
  return new KeelError(SqlState.FeatureNotSupported, message);
}

function booleanOption(name: string, arg: Node | undefined): boolean | 'match' {
  const value = arg === undefined ? true : constantValue(arg);
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (value === 0 || value === 1) return value === 1;
  }
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    if (['true', 'on', 't', 'yes', 'y', '1'].includes(lower)) return true;
    if (['false', 'off', 'f', 'no', 'n', '0'].includes(lower)) return false;
    if (lower === 'match' && name === 'header') return 'match';
  }
  throw new KeelError(SqlState.InvalidParameterValue, `${name} requires a Boolean value`);
}

function stringOption(name: string, arg: Node | undefined): string {
  const value = arg === undefined ? undefined : constantValue(arg);
  if (typeof value !== 'string') throw new KeelError(SqlState.SyntaxError, `${name} requires a string value`);
  return value;
}

function columnListOption(name: string, arg: Node | undefined): string[] | '*' {
  if (arg !== undefined && unwrap(arg, 'A_Star') !== undefined) return '*';
  const list = unwrap(arg, 'List');
  if (list === undefined)
    throw new KeelError(SqlState.SyntaxError, `argument to option "${name}" must be a list of column names`);
  return stringsOf(list.items);
}

interface Seen {
  format?: string;
  header?: boolean | 'match';
  delimiter?: string;
  nullString?: string;
  quote?: string;
  escape?: string;
  forceQuote?: string[] | '*';
  forceNotNull?: string[];
  forceNull?: string[];
}

function collect(options: readonly Node[]): Seen {
  const seen: Seen = {};
  const once = <K extends keyof Seen>(key: K, name: string, value: Seen[K]): void => {
    if (seen[key] !== undefined) throw redundant(name);
    seen[key] = value;
  };
  for (const node of options) {
    const def = unwrap(node, 'DefElem');
    const name = def?.defname ?? '';
    const arg = def?.arg;
    switch (name) {
      case 'format':
        once('format', name, stringOption(name, arg).toLowerCase());
        break;
      case 'header':
        once('header', name, booleanOption(name, arg));
        break;
      case 'delimiter':
        once('delimiter', name, stringOption(name, arg));
        break;
      case 'null':
        once('nullString', name, stringOption(name, arg));
        break;
      case 'quote':
        once('quote', name, stringOption(name, arg));
        break;
      case 'escape':
        once('escape', name, stringOption(name, arg));
        break;
      case 'force_quote':
        once('forceQuote', name, columnListOption(name, arg));
        break;
      case 'force_not_null': {
        const list = columnListOption(name, arg);
        if (list === '*') throw new KeelError(SqlState.SyntaxError, 'FORCE_NOT_NULL needs column names');
        once('forceNotNull', name, list);
        break;
      }
      case 'force_null': {
        const list = columnListOption(name, arg);
        if (list === '*') throw new KeelError(SqlState.SyntaxError, 'FORCE_NULL needs column names');
        once('forceNull', name, list);
        break;
      }
      case 'encoding': {
        const encoding = stringOption(name, arg).toUpperCase().replace(/[-_]/g, '');
        if (encoding !== 'UTF8' && encoding !== 'UNICODE' && encoding !== 'SQLASCII') {
          throw notSupported(`COPY encoding "${stringOption(name, arg)}" is not supported; Keel uses UTF8`);
        }
        break;
      }
      case 'freeze':
      case 'oids':
        if (name === 'oids' && booleanOption(name, arg) === true)
          throw notSupported('COPY ... WITH OIDS is not supported');
        break;
      default:
        throw new KeelError(SqlState.SyntaxError, `option "${name}" not recognized`);
    }
  }
  return seen;
}

/** Validated options of one COPY statement; `from` is the direction (FROM true, TO false). */
export function parseCopyOptions(options: readonly Node[] | undefined, from: boolean): CopyOptions {
  const seen = collect(options ?? []);
  const formatName = seen.format ?? 'text';
  if (formatName === 'binary') throw notSupported('COPY BINARY is not supported; use text or CSV format');
  if (formatName !== 'text' && formatName !== 'csv')
    throw new KeelError(SqlState.InvalidParameterValue, `COPY format "${formatName}" not recognized`);
  const csv = formatName === 'csv';
  const delimiter = seen.delimiter ?? (csv ? ',' : '\t');
  const nullString = seen.nullString ?? (csv ? '' : '\\N');
  if (Buffer.byteLength(delimiter) !== 1)
    throw notSupported('COPY delimiter must be a single one-byte character');
  if (delimiter === '\r' || delimiter === '\n')
    throw new KeelError(
      SqlState.InvalidParameterValue,
      'COPY delimiter cannot be newline or carriage return',
    );
  if (nullString.includes('\r') || nullString.includes('\n'))
    throw new KeelError(
      SqlState.InvalidParameterValue,
      'COPY null representation cannot use newline or carriage return',
    );
  if (!csv && '\\.abcdefghijklmnopqrstuvwxyz0123456789'.includes(delimiter))
    throw notSupported(`COPY delimiter cannot be "${delimiter}"`);
  if (!csv && seen.quote !== undefined) throw notSupported('COPY quote available only in CSV mode');
  if (!csv && seen.escape !== undefined) throw notSupported('COPY escape available only in CSV mode');
  if (!csv && seen.forceQuote !== undefined)
    throw notSupported('COPY force quote available only in CSV mode');
  if (!csv && seen.forceNotNull !== undefined)
    throw notSupported('COPY force not null available only in CSV mode');
  if (!csv && seen.forceNull !== undefined) throw notSupported('COPY force null available only in CSV mode');
  if (from && seen.forceQuote !== undefined)
    throw notSupported('COPY force quote only available using COPY TO');
  if (!from && seen.forceNotNull !== undefined)
    throw notSupported('COPY force not null only available using COPY FROM');
  if (!from && seen.forceNull !== undefined)
    throw notSupported('COPY force null only available using COPY FROM');
  if (!from && seen.header === 'match') throw notSupported('cannot use "match" with HEADER in COPY TO');
  const quote = seen.quote ?? '"';
  const escapeChar = seen.escape ?? quote;
  if (csv && Buffer.byteLength(quote) !== 1)
    throw notSupported('COPY quote must be a single one-byte character');
  if (csv && Buffer.byteLength(escapeChar) !== 1)
    throw notSupported('COPY escape must be a single one-byte character');
  if (csv && delimiter === quote)
    throw new KeelError(SqlState.InvalidParameterValue, 'COPY delimiter and quote must be different');
  if (nullString.includes(delimiter))
    throw new KeelError(
      SqlState.InvalidParameterValue,
      'COPY delimiter must not appear in the NULL specification',
    );
  if (csv && nullString.includes(quote))
    throw new KeelError(
      SqlState.InvalidParameterValue,
      'CSV quote character must not appear in the NULL specification',
    );
  return {
    format: csv ? 'csv' : 'text',
    header: seen.header ?? false,
    delimiter,
    nullString,
    quote,
    escape: escapeChar,
    forceQuote: seen.forceQuote ?? [],
    forceNotNull: seen.forceNotNull ?? [],
    forceNull: seen.forceNull ?? [],
  };
}
