/**
 * CREATE SEQUENCE and ALTER SEQUENCE with PostgreSQL's options (AS type, INCREMENT BY,
 * MINVALUE/NO MINVALUE, MAXVALUE/NO MAXVALUE, START WITH, RESTART [WITH], CACHE, [NO] CYCLE,
 * OWNED BY table.column | NONE) and their defaults per data type.
 * Exports: createSequence, alterSequence, applySequenceOptions.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { AlterSeqStmt, CreateSeqStmt, Node } from '@pgsql/types';
import type { SequenceRelation } from '../../catalog/objects.js';
import { constantValue, stringsOf, unwrap } from '../../sql/parse/ast.js';
import { constantBigInt } from './create-table.js';
import { creationNamespace, type DdlContext } from './ddl-context.js';
import { lookupRelation, requireRelation } from './names.js';

const limits: Record<number, bigint> = { 21: 32_767n, 23: 2_147_483_647n, 20: 9_223_372_036_854_775_807n };

export function createSequence(stmt: CreateSeqStmt, context: DdlContext): string {
  const name = stmt.sequence?.relname ?? '';
  const namespace = creationNamespace(context, stmt.sequence?.schemaname);
  if (context.catalog().relationByName(namespace.oid, name) !== null) {
    if (stmt.if_not_exists) {
      context.notice(`relation "${name}" already exists, skipping`, SqlState.DuplicateTable);
      return 'CREATE SEQUENCE';
    }
    throw new KeelError(SqlState.DuplicateTable, `relation "${name}" already exists`);
  }
  const base: SequenceRelation = {
    kind: 'sequence',
    oid: context.manager.allocateOid(),
    name,
    namespaceOid: namespace.oid,
    ownerOid: context.currentUserOid,
    typeOid: 20,
    start: 1n,
    increment: 1n,
    min: 1n,
    max: limits[20] ?? 0n,
    cache: 1n,
    cycle: false,
    ownedBy: null,
    acl: null,
  };
  const { sequence } = applySequenceOptions(base, stmt.options ?? [], context, true);
  context.put(sequence);
  context.storage.createSequence(context.txn, sequence.oid, sequence.start);
  return 'CREATE SEQUENCE';
}

export function alterSequence(
  stmt: AlterSeqStmt,
  context: DdlContext,
  restart: (sequence: SequenceRelation, value: bigint) => void,
): string {
  const relation = stmt.missing_ok
    ? lookupRelation(context, stmt.sequence?.schemaname, stmt.sequence?.relname ?? '')
    : requireRelation(context, stmt.sequence);
  if (relation === null) {
    context.notice(
      `relation "${stmt.sequence?.relname ?? ''}" does not exist, skipping`,
      SqlState.SuccessfulCompletion,
    );
    return 'ALTER SEQUENCE';
  }
  if (relation.kind !== 'sequence')
    throw new KeelError(SqlState.WrongObjectType, `"${relation.name}" is not a sequence`);
  const { sequence, restartWith } = applySequenceOptions(relation, stmt.options ?? [], context, false);
  context.put(sequence);
  if (restartWith !== null) restart(sequence, restartWith);
  return 'ALTER SEQUENCE';
}

/** Applies option DefElems to a sequence definition and checks the result is consistent. */
export function applySequenceOptions(
  base: SequenceRelation,
  options: Node[],
  context: DdlContext,
  creating: boolean,
): { sequence: SequenceRelation; restartWith: bigint | null } {
  const sequence = { ...base };
  let restartWith: bigint | null = null;
  let minGiven = false;
  let maxGiven = false;
  let startGiven = false;
  for (const node of options) {
    const def = unwrap(node, 'DefElem');
    if (def === undefined) continue;
    switch (def.defname) {
      case 'as': {
        const typeName = unwrap(def.arg, 'TypeName');
        if (typeName === undefined) break;
        const type = context.resolveType(typeName);
        if (limits[type.typeOid] === undefined) {
          throw new KeelError(
            SqlState.InvalidParameterValue,
            'sequence type must be smallint, integer, or bigint',
          );
        }
        sequence.typeOid = type.typeOid;
        break;
      }
      case 'increment':
        sequence.increment = constantBigInt(def.arg, 'INCREMENT');
        if (sequence.increment === 0n)
          throw new KeelError(SqlState.InvalidParameterValue, 'INCREMENT must not be zero');
        break;
      case 'minvalue':
        minGiven = def.arg !== undefined;
        if (def.arg !== undefined) sequence.min = constantBigInt(def.arg, 'MINVALUE');
        break;
      case 'maxvalue':
        maxGiven = def.arg !== undefined;
        if (def.arg !== undefined) sequence.max = constantBigInt(def.arg, 'MAXVALUE');
        break;
      case 'start':
        startGiven = true;
        sequence.start = constantBigInt(def.arg, 'START');
        break;
      case 'restart':
        restartWith = def.arg === undefined ? sequence.start : constantBigInt(def.arg, 'RESTART');
        break;
      case 'cache':
        sequence.cache = constantBigInt(def.arg, 'CACHE');
        break;
      case 'cycle':
        sequence.cycle = constantValue(def.arg) !== false && constantValue(def.arg) !== 0;
        break;
      case 'owned_by':
        sequence.ownedBy = ownedBy(def.arg, context);
        break;
      default:
        throw new KeelError(SqlState.SyntaxError, `option "${def.defname ?? ''}" not recognized`);
    }
  }
  const typeMax = limits[sequence.typeOid] ?? limits[20] ?? 0n;
  const ascending = sequence.increment > 0n;
  if (creating || !minGiven) sequence.min = minGiven ? sequence.min : ascending ? 1n : -typeMax - 1n;
  if (creating || !maxGiven) sequence.max = maxGiven ? sequence.max : ascending ? typeMax : -1n;
  if (creating && !startGiven) sequence.start = ascending ? sequence.min : sequence.max;
  if (sequence.min >= sequence.max) {
    throw new KeelError(
      SqlState.InvalidParameterValue,
      `MINVALUE (${sequence.min}) must be less than MAXVALUE (${sequence.max})`,
    );
  }
  if (sequence.start < sequence.min) {
    throw new KeelError(
      SqlState.InvalidParameterValue,
      `START value (${sequence.start}) cannot be less than MINVALUE (${sequence.min})`,
    );
  }
  if (sequence.start > sequence.max) {
    throw new KeelError(
      SqlState.InvalidParameterValue,
      `START value (${sequence.start}) cannot be greater than MAXVALUE (${sequence.max})`,
    );
  }
  return { sequence, restartWith };
}

function ownedBy(arg: Node | undefined, context: DdlContext): SequenceRelation['ownedBy'] {
  const names = stringsOf(unwrap(arg, 'List')?.items);
  if (names.length === 1 && names[0] === 'none') return null;
  if (names.length < 2) throw new KeelError(SqlState.SyntaxError, 'invalid OWNED BY option');
  const columnName = names.at(-1) ?? '';
  const tableName = names.at(-2) ?? '';
  const schema = names.length > 2 ? names.at(-3) : undefined;
  const table = lookupRelation(context, schema, tableName);
  if (table === null || table.kind !== 'table') {
    throw new KeelError(SqlState.UndefinedTable, `relation "${tableName}" does not exist`);
  }
  const column = table.columns.find((c) => !c.dropped && c.name === columnName);
  if (column === undefined)
    throw new KeelError(
      SqlState.UndefinedColumn,
      `column "${columnName}" of relation "${tableName}" does not exist`,
    );
  return { tableOid: table.oid, attnum: column.attnum };
}
