/**
 * Text input and output of the reg* types (regclass, regtype, regproc, regprocedure, regrole,
 * regnamespace) need the catalog: 'child'::regclass prints as child, or public.child when
 * search_path does not find it; 'now'::regproc is the oid of now(), printed back as now (or
 * pg_catalog.abs when the name is overloaded, as regprocout does); 'abs(integer)'::regprocedure
 * names one overload; 'keel'::regrole is a role. Unknown names fail with PostgreSQL's codes
 * (42P01 relation, 42883 function, 42725 ambiguous function, 42704 type and role, 3F000 schema).
 * The engine hands this resolver to the type I/O of result rows that have a reg* column, and
 * the SQL layer uses it (CatalogReader.regResolver) for casts and constant folding, and for the
 * rows of set-returning catalog functions (catalogRows: pg_listening_channels).
 * Exports: hasRegTypeColumn, catalogResolverFor.
 */
import { KeelError, SqlState } from '@keel/errors';
import { WellKnownOid } from '../../catalog/objects.js';
import { parseSql } from '../../sql/parse/parser.js';
import { resolveTypeName } from '../../sql/plan/bind/type-names.js';
import type { CatalogResolver } from '../../sql/types/settings.js';
import { findType, formatType, typeByName } from '../../sql/types/type-registry.js';
import type { Value as TypedValue } from '../../sql/types/value.js';
import type { EngineCatalogReader } from '../catalog-reader.js';
import { quoteIdentifier, withoutOwnDatabase } from '../catalog-reader.js';
import { catalogSetFunctionRows } from './catalog-functions.js';
import { type BuiltinProcedure, builtinProcedures } from './proc-catalog.js';

// regproc, regclass, regtype, regnamespace, regprocedure, regrole, and their array types.
const regTypes = new Set([24, 2205, 2206, 4089, 2202, 4096, 1008, 2210, 2211, 4090, 2207, 4097]);

export function hasRegTypeColumn(columns: readonly { typeOid: number }[]): boolean {
  return columns.some((c) => regTypes.has(c.typeOid));
}

let byName: Map<string, BuiltinProcedure[]> | null = null;
let byOid: Map<number, BuiltinProcedure> | null = null;

function proceduresNamed(name: string): readonly BuiltinProcedure[] {
  if (byName === null) {
    byName = new Map();
    for (const procedure of builtinProcedures()) {
      const list = byName.get(procedure.name);
      if (list === undefined) byName.set(procedure.name, [procedure]);
      else list.push(procedure);
    }
  }
  return byName.get(name) ?? [];
}

function procedureByOid(oid: number): BuiltinProcedure | undefined {
  byOid ??= new Map(builtinProcedures().map((p) => [p.oid, p]));
  return byOid.get(oid);
}

/**
 * PostgreSQL's stringToQualifiedNameList: dot-separated identifiers, each "quoted" (kept as
 * written) or bare (folded to lower case, ending at a dot or white space); anything else is
 * 42602 invalid name syntax.
 */
function parseNameList(text: string): string[] {
  const names: string[] = [];
  const invalid = () => new KeelError(SqlState.InvalidName, 'invalid name syntax');
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text.charAt(i))) i++;
  };
  skipSpace();
  for (;;) {
    if (text.charAt(i) === '"') {
      let name = '';
      i++;
      for (;;) {
        if (i >= text.length) throw invalid();
        if (text.charAt(i) === '"') {
          if (text.charAt(i + 1) !== '"') break;
          i++;
        }
        name += text.charAt(i++);
      }
      i++;
      if (name === '') throw invalid();
      names.push(name);
    } else {
      const start = i;
      while (i < text.length && text.charAt(i) !== '.' && !/\s/.test(text.charAt(i))) i++;
      if (i === start) throw invalid();
      names.push(text.slice(start, i).toLowerCase());
    }
    skipSpace();
    if (i >= text.length) return names;
    if (text.charAt(i) !== '.') throw invalid();
    i++;
    skipSpace();
  }
}

/**
 * The functions a (possibly schema-qualified) name finds: Keel's functions all live in
 * pg_catalog, which search_path always includes. A schema that does not exist is 3F000.
 */
function candidates(reader: EngineCatalogReader, text: string): readonly BuiltinProcedure[] {
  const parts = withoutOwnDatabase(parseNameList(text), reader.databaseName, 'name');
  if (parts.length === 2) {
    const schema = parts[0] ?? '';
    const namespace = reader.namespaceByName(schema);
    if (namespace === null)
      throw new KeelError(SqlState.InvalidSchemaName, `schema "${schema}" does not exist`);
    if (namespace.oid !== WellKnownOid.pgCatalogNamespace) return [];
  }
  return proceduresNamed(parts.at(-1) ?? '');
}

function regprocIn(reader: EngineCatalogReader, text: string): number {
  const found = candidates(reader, text);
  if (found.length === 0)
    throw new KeelError(SqlState.UndefinedFunction, `function "${text}" does not exist`);
  if (found.length > 1)
    throw new KeelError(SqlState.AmbiguousFunction, `more than one function named "${text}"`);
  return found[0]?.oid ?? 0;
}

/** Unqualified when the name alone finds this function (and only it), as regprocout. */
function procedureName(procedure: BuiltinProcedure): string {
  const unique = proceduresNamed(procedure.name).length === 1;
  return unique ? quoteIdentifier(procedure.name) : `pg_catalog.${quoteIdentifier(procedure.name)}`;
}

/** Splits 'a, numeric(10,2), b' at the commas outside parentheses. */
function splitArguments(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '(') depth++;
    else if (!quoted && ch === ')') depth--;
    if (ch === ',' && depth === 0 && !quoted) {
      out.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim() !== '' || out.length > 0) out.push(current.trim());
  return out;
}

function regprocedureIn(reader: EngineCatalogReader, text: string): number {
  const open = text.indexOf('(');
  const trimmed = text.trimEnd();
  if (open < 0 || !trimmed.endsWith(')')) {
    throw new KeelError(SqlState.InvalidTextRepresentation, 'expected a left parenthesis');
  }
  const argTypes = splitArguments(trimmed.slice(open + 1, -1)).map((name) => {
    const info = typeByName(name) ?? typeByName(name.toLowerCase());
    if (info === undefined) throw new KeelError(SqlState.UndefinedObject, `type "${name}" does not exist`);
    return info.oid;
  });
  const found = candidates(reader, text.slice(0, open)).find(
    (p) => p.args.length === argTypes.length && p.args.every((a, i) => a === argTypes[i]),
  );
  if (found === undefined)
    throw new KeelError(SqlState.UndefinedFunction, `function "${text}" does not exist`);
  return found.oid;
}

function regprocedureOut(oid: number): string {
  const procedure = procedureByOid(oid);
  if (procedure === undefined) return String(oid);
  return `${quoteIdentifier(procedure.name)}(${procedure.args.map((a) => formatType(a)).join(',')})`;
}

function regroleIn(reader: EngineCatalogReader, text: string): number {
  const parts = parseNameList(text);
  if (parts.length !== 1) throw new KeelError(SqlState.InvalidName, 'invalid name syntax');
  const role = reader.view.roleByName(parts[0] ?? '');
  if (role === null) throw new KeelError(SqlState.UndefinedObject, `role "${parts[0] ?? ''}" does not exist`);
  return role.oid;
}

export function catalogResolverFor(reader: EngineCatalogReader): CatalogResolver {
  return {
    regclassIn: (name) => {
      const oid = reader.regclassIn(name);
      if (oid === null) throw new KeelError(SqlState.UndefinedTable, `relation "${name}" does not exist`);
      return oid;
    },
    regclassOut: (oid) => (oid === 0 ? '-' : reader.regclassOut(oid)),
    regprocIn: (name) => regprocIn(reader, name),
    regprocOut: (oid) => {
      if (oid === 0) return '-';
      const procedure = procedureByOid(oid);
      return procedure === undefined ? String(oid) : procedureName(procedure);
    },
    regprocedureIn: (name) => regprocedureIn(reader, name),
    regprocedureOut: (oid) => (oid === 0 ? '-' : regprocedureOut(oid)),
    regroleIn: (name) => regroleIn(reader, name),
    regroleOut: (oid) => {
      if (oid === 0) return '-';
      const role = reader.view.role(oid);
      return role === null ? String(oid) : quoteIdentifier(role.name);
    },
    regnamespaceIn: (name) => {
      const namespace = reader.namespaceByName(name);
      if (namespace === null)
        throw new KeelError(SqlState.InvalidSchemaName, `schema "${name}" does not exist`);
      return namespace.oid;
    },
    regnamespaceOut: (oid) => {
      if (oid === 0) return '-';
      const namespace = reader.namespace(oid);
      return namespace === null ? String(oid) : quoteIdentifier(namespace.name);
    },
    regtypeIn: (name) => regtypeIn(name),
    regtypeOut: (oid) => (oid === 0 ? '-' : findType(oid) === undefined ? String(oid) : formatType(oid)),
    catalogRows: (name, args) => catalogSetFunctionRows(reader, name, args) as TypedValue[][],
  };
}

/**
 * regtypein: any type name the grammar accepts ("pg_catalog"."int4", character varying(20),
 * int4[], double precision), read by PostgreSQL's own parser as the type of a cast. The text is
 * only parsed, never run; anything but a single type name is 42601.
 */
function regtypeIn(text: string): number {
  const direct = typeByName(text);
  if (direct !== undefined) return direct.oid;
  const invalid = () => new KeelError(SqlState.SyntaxError, `invalid type name "${text}"`);
  let statements: ReturnType<typeof parseSql>;
  try {
    statements = parseSql(`SELECT NULL::${text}`);
  } catch (error) {
    // PostgreSQL reports the grammar's own message; the position would point into our wrapper.
    if (error instanceof KeelError) throw new KeelError(error.sqlstate, error.message);
    throw invalid();
  }
  // A type name cannot contain a statement separator: the grammar stops at it, as PostgreSQL's.
  if (statements.length > 1) throw new KeelError(SqlState.SyntaxError, 'syntax error at or near ";"');
  const [statement] = statements;
  const node = statements.length === 1 ? statement?.node : undefined;
  const select = node !== undefined && 'SelectStmt' in node ? node.SelectStmt : undefined;
  const target = select?.targetList?.length === 1 ? select.targetList[0] : undefined;
  const value = target !== undefined && 'ResTarget' in target ? target.ResTarget.val : undefined;
  const cast = value !== undefined && 'TypeCast' in value ? value.TypeCast : undefined;
  if (cast?.typeName === undefined || select?.fromClause !== undefined) throw invalid();
  return resolveTypeName(cast.typeName).type;
}
