/**
 * pg_class, pg_attribute, pg_attrdef, pg_index, pg_constraint, pg_namespace, pg_description,
 * pg_sequence and pg_sequences, computed from the statement's catalog view. They agree with
 * each other and with the catalog: pg_class.oid is the relation's oid, relnatts counts every
 * attnum ever used (dropped columns included, as attisdropped rows), indkey lists attnums (0 for
 * an expression), conkey/confkey are int2 arrays, pg_attrdef.adbin holds the DEFAULT's SQL text
 * (pg_get_expr returns it). The system relations themselves appear in pg_class and pg_attribute
 * too, in pg_catalog and information_schema, so clients can describe them.
 * Exports: relationRowBuilders.
 */
import type { Value } from '../../access/table-access.js';
import {
  type Constraint,
  type IndexRelation,
  type Relation,
  type TableRelation,
  WellKnownOid,
} from '../../catalog/objects.js';
import { findType } from '../../sql/types/type-registry.js';
import type { EngineCatalogReader } from '../catalog-reader.js';
import { int2Array, int2Vector, oidVector, textArray } from './column-types.js';
import { pgRelationShapes } from './pg-columns.js';
import { systemNamespaceList } from './system-namespaces.js';

type RowObject = Record<string, Value>;
export type RowBuilder = (reader: EngineCatalogReader) => RowObject[];

const DEFAULT_COLLATION = 100;
const C_COLLATION = 950;

/** pg_type.typcollation of a type: 100 for the collatable string types, 950 for name. */
export function typeCollation(typeOid: number): number {
  const info = findType(typeOid);
  const element = info !== undefined && info.elementOid !== 0 ? info.elementOid : typeOid;
  if (element === 19) return C_COLLATION;
  return element === 25 || element === 1043 || element === 1042 ? DEFAULT_COLLATION : 0;
}

function typeLength(typeOid: number): number {
  return findType(typeOid)?.length ?? -1;
}

function typeAlign(typeOid: number): string {
  const info = findType(typeOid);
  if (info === undefined) return 'i';
  if (info.elementOid !== 0) return typeAlign(info.elementOid) === 'd' ? 'd' : 'i';
  if (info.length === 1 || info.name === 'name' || info.name === 'uuid') return 'c';
  if (info.length === 2) return 's';
  if (info.length === 8 || info.length === 16 || info.name === 'record') return 'd';
  return 'i';
}

function typeStorage(typeOid: number): string {
  const length = typeLength(typeOid);
  if (typeOid === 1700) return 'm';
  return length === -1 ? 'x' : 'p';
}

function relkindOf(relation: Relation): string {
  switch (relation.kind) {
    case 'table':
      return 'r';
    case 'index':
      return 'i';
    case 'view':
      return 'v';
    case 'sequence':
      return 'S';
  }
}

function userClassRow(reader: EngineCatalogReader, relation: Relation): RowObject {
  const table = relation.kind === 'table' ? relation : null;
  const stats = table?.stats ?? null;
  const columns = relation.kind === 'table' || relation.kind === 'view' ? relation.columns : [];
  const indexes = table === null ? [] : reader.view.indexesOf(table.oid);
  return {
    oid: relation.oid,
    relname: relation.name,
    relnamespace: relation.namespaceOid,
    reltype: 0,
    reloftype: 0,
    relowner: relation.ownerOid,
    relam:
      relation.kind === 'table' ? WellKnownOid.heapAm : relation.kind === 'index' ? WellKnownOid.btreeAm : 0,
    relfilenode: relation.kind === 'table' || relation.kind === 'index' ? relation.relFile : 0,
    reltablespace: 0,
    relpages: stats?.pageCount ?? 0,
    reltuples: stats === null ? (relation.kind === 'table' ? -1 : 0) : stats.rowCount,
    relallvisible: 0,
    reltoastrelid: 0,
    relhasindex: indexes.length > 0,
    relisshared: false,
    relpersistence: 'p',
    relkind: relkindOf(relation),
    relnatts:
      relation.kind === 'index'
        ? relation.keys.length + relation.includeAttnums.length
        : relation.kind === 'sequence'
          ? 3
          : columns.length,
    relchecks: table === null ? 0 : table.constraints.filter((c) => c.kind === 'check').length,
    relhasrules: relation.kind === 'view',
    relhastriggers: table !== null && hasForeignKeyTriggers(reader, table),
    relhassubclass: false,
    relrowsecurity: table?.rowSecurity ?? false,
    relforcerowsecurity: false,
    relispopulated: true,
    relreplident: relation.kind === 'table' ? 'd' : 'n',
    relispartition: false,
    relrewrite: 0,
    relfrozenxid: '0',
    relminmxid: '1',
    relacl: relation.kind === 'index' || relation.acl === null ? null : textArray(relation.acl),
    reloptions: null,
    relpartbound: null,
  };
}

/** PostgreSQL implements foreign keys with triggers on both tables; psql keys FK output off this. */
function hasForeignKeyTriggers(reader: EngineCatalogReader, table: TableRelation): boolean {
  if (table.constraints.some((c) => c.kind === 'foreign')) return true;
  return reader.view
    .relations()
    .some(
      (r) =>
        r.kind === 'table' && r.constraints.some((c) => c.kind === 'foreign' && c.refTableOid === table.oid),
    );
}

function systemClassRows(): RowObject[] {
  return pgRelationShapes.map((shape) => ({
    oid: shape.oid,
    relname: shape.name,
    relnamespace:
      shape.schema === 'pg_catalog'
        ? WellKnownOid.pgCatalogNamespace
        : WellKnownOid.informationSchemaNamespace,
    reltype: 0,
    reloftype: 0,
    relowner: WellKnownOid.bootstrapSuperuser,
    relam: shape.relkind === 'r' ? WellKnownOid.heapAm : 0,
    relfilenode: 0,
    reltablespace: 0,
    relpages: 0,
    reltuples: -1,
    relallvisible: 0,
    reltoastrelid: 0,
    relhasindex: false,
    relisshared: ['pg_database', 'pg_authid', 'pg_tablespace', 'pg_auth_members'].includes(shape.name),
    relpersistence: 'p',
    relkind: shape.relkind,
    relnatts: shape.columns.length,
    relchecks: 0,
    relhasrules: shape.relkind === 'v',
    relhastriggers: false,
    relhassubclass: false,
    relrowsecurity: false,
    relforcerowsecurity: false,
    relispopulated: true,
    relreplident: 'n',
    relispartition: false,
    relrewrite: 0,
    relfrozenxid: '0',
    relminmxid: '1',
    relacl: textArray(['=r/keel']),
  }));
}

function attributeRow(
  relid: number,
  attnum: number,
  name: string,
  typeOid: number,
  typmod: number,
  extra: RowObject,
): RowObject {
  return {
    attrelid: relid,
    attname: name,
    atttypid: typeOid,
    attstattarget: -1,
    attlen: typeLength(typeOid),
    attnum,
    attndims: findType(typeOid)?.elementOid ? 1 : 0,
    attcacheoff: -1,
    atttypmod: typmod,
    attbyval: findType(typeOid)?.byValue ?? false,
    attalign: typeAlign(typeOid),
    attstorage: typeStorage(typeOid),
    attcompression: '',
    attnotnull: false,
    atthasdef: false,
    atthasmissing: false,
    attidentity: '',
    attgenerated: '',
    attisdropped: false,
    attislocal: true,
    attinhcount: 0,
    attcollation: typeCollation(typeOid),
    attacl: null,
    attoptions: null,
    attfdwoptions: null,
    attmissingval: null,
    ...extra,
  };
}

function userAttributeRows(relation: Relation, reader: EngineCatalogReader): RowObject[] {
  switch (relation.kind) {
    case 'table':
      return relation.columns.map((c) =>
        c.dropped
          ? attributeRow(relation.oid, c.attnum, `........pg.dropped.${c.attnum}........`, 0, -1, {
              attisdropped: true,
              attcollation: 0,
            })
          : attributeRow(relation.oid, c.attnum, c.name, c.typeOid, c.typmod, {
              attnotnull: c.notNull,
              atthasdef: c.defaultExpr !== null,
              atthasmissing: c.missingValue !== null,
              attidentity: c.identity ?? '',
            }),
      );
    case 'view':
      return relation.columns.map((c, i) =>
        attributeRow(relation.oid, i + 1, c.name, c.typeOid, c.typmod, {}),
      );
    case 'index':
      return indexAttributeRows(relation, reader);
    case 'sequence':
      return [
        attributeRow(relation.oid, 1, 'last_value', 20, -1, { attnotnull: true }),
        attributeRow(relation.oid, 2, 'log_cnt', 20, -1, { attnotnull: true }),
        attributeRow(relation.oid, 3, 'is_called', 16, -1, { attnotnull: true }),
      ];
  }
}

/** An index's attributes are named and typed after the table columns they index. */
function indexAttributeRows(index: IndexRelation, reader: EngineCatalogReader): RowObject[] {
  const table = reader.view.table(index.tableOid);
  const attnums = [...index.keys.map((k) => k.attnum), ...index.includeAttnums];
  let expressions = 0;
  return attnums.map((attnum, i) => {
    const column = attnum === 0 ? undefined : table?.columns.find((c) => c.attnum === attnum);
    if (column === undefined) {
      expressions++;
      return attributeRow(
        index.oid,
        i + 1,
        expressions === 1 ? 'expr' : `expr${expressions - 1}`,
        25,
        -1,
        {},
      );
    }
    return attributeRow(index.oid, i + 1, column.name, column.typeOid, column.typmod, {});
  });
}

function constraintRows(reader: EngineCatalogReader, table: TableRelation): RowObject[] {
  return table.constraints.map((c) => constraintRow(reader, table, c));
}

function constraintRow(reader: EngineCatalogReader, table: TableRelation, c: Constraint): RowObject {
  const base: RowObject = {
    oid: c.oid,
    conname: c.name,
    connamespace: table.namespaceOid,
    contype: c.kind === 'primary' ? 'p' : c.kind === 'unique' ? 'u' : c.kind === 'check' ? 'c' : 'f',
    condeferrable: false,
    condeferred: false,
    convalidated: true,
    conrelid: table.oid,
    contypid: 0,
    conindid: 0,
    conparentid: 0,
    confrelid: 0,
    confupdtype: ' ',
    confdeltype: ' ',
    confmatchtype: ' ',
    conislocal: true,
    coninhcount: 0,
    connoinherit: false,
    conkey: int2Array(c.columns),
    confkey: null,
    conpfeqop: null,
    conppeqop: null,
    conffeqop: null,
    confdelsetcols: null,
    conexclop: null,
    conbin: null,
  };
  switch (c.kind) {
    case 'primary':
    case 'unique':
      return { ...base, conindid: c.indexOid };
    case 'check':
      return { ...base, connoinherit: c.noInherit, conbin: c.expr };
    case 'foreign': {
      const index = reader.view
        .indexesOf(c.refTableOid)
        .find(
          (i) =>
            i.unique &&
            i.keys.length === c.refColumns.length &&
            i.keys.every((k) => c.refColumns.includes(k.attnum)),
        );
      return {
        ...base,
        condeferrable: c.deferrable,
        condeferred: c.initiallyDeferred,
        conindid: index?.oid ?? 0,
        confrelid: c.refTableOid,
        confupdtype: c.onUpdate,
        confdeltype: c.onDelete,
        confmatchtype: c.matchFull ? 'f' : 's',
        confkey: int2Array(c.refColumns),
      };
    }
  }
}

function indexRow(reader: EngineCatalogReader, index: IndexRelation): RowObject {
  const table = reader.view.table(index.tableOid);
  const keyAttnums = index.keys.map((k) => k.attnum);
  const options = index.keys.map((k) => (k.descending ? 1 : 0) | (k.nullsFirst !== k.descending ? 2 : 0));
  return {
    indexrelid: index.oid,
    indrelid: index.tableOid,
    indnatts: index.keys.length + index.includeAttnums.length,
    indnkeyatts: index.keys.length,
    indisunique: index.unique,
    indnullsnotdistinct: index.nullsNotDistinct,
    indisprimary: index.primary,
    indisexclusion: false,
    indimmediate: true,
    indisclustered: false,
    indisvalid: index.valid,
    indcheckxmin: false,
    indisready: index.valid,
    indislive: true,
    indisreplident: false,
    indkey: int2Vector([...keyAttnums, ...index.includeAttnums]),
    indcollation: oidVector(
      index.keys.map((k) => {
        const column = table?.columns.find((c) => c.attnum === k.attnum);
        return column === undefined ? 0 : typeCollation(column.typeOid);
      }),
    ),
    indclass: oidVector(index.keys.map(() => 0)),
    indoption: int2Vector(options),
    indexprs: index.keys.some((k) => k.attnum === 0)
      ? index.keys
          .filter((k) => k.attnum === 0)
          .map((k) => k.expr ?? '')
          .join(', ')
      : null,
    indpred: index.predicate,
  };
}

function namespaceRows(reader: EngineCatalogReader): RowObject[] {
  const all = [...reader.view.namespaces(), ...systemNamespaceList()];
  return all.map((n) => ({ oid: n.oid, nspname: n.name, nspowner: n.ownerOid, nspacl: null }));
}

function sequenceRows(reader: EngineCatalogReader): RowObject[] {
  return reader.view.relations().flatMap((r) =>
    r.kind !== 'sequence'
      ? []
      : [
          {
            seqrelid: r.oid,
            seqtypid: r.typeOid,
            seqstart: r.start,
            seqincrement: r.increment,
            seqmax: r.max,
            seqmin: r.min,
            seqcache: r.cache,
            seqcycle: r.cycle,
          },
        ],
  );
}

function sequencesViewRows(reader: EngineCatalogReader): RowObject[] {
  const { engine } = reader.context;
  return reader.view.relations().flatMap((r) => {
    if (r.kind !== 'sequence') return [];
    const state = engine.sequences.peek(r.oid);
    const last = state === null || !state.isCalled ? null : state.last;
    return [
      {
        schemaname: reader.namespace(r.namespaceOid)?.name ?? '',
        sequencename: r.name,
        sequenceowner: reader.view.role(r.ownerOid)?.name ?? '',
        data_type: r.typeOid,
        start_value: r.start,
        min_value: r.min,
        max_value: r.max,
        increment_by: r.increment,
        cycle: r.cycle,
        cache_size: r.cache,
        last_value: last,
      },
    ];
  });
}

export const relationRowBuilders: Record<string, RowBuilder> = {
  pg_class: (reader) => [
    ...reader.view.relations().map((r) => userClassRow(reader, r)),
    ...systemClassRows(),
  ],
  pg_attribute: (reader) => [
    ...reader.view.relations().flatMap((r) => userAttributeRows(r, reader)),
    ...pgRelationShapes.flatMap((shape) =>
      shape.columns.map(([name, typeOid], i) => attributeRow(shape.oid, i + 1, name, typeOid, -1, {})),
    ),
  ],
  pg_attrdef: (reader) =>
    reader.view.relations().flatMap((r) =>
      r.kind !== 'table'
        ? []
        : r.columns
            .filter((c) => !c.dropped && c.defaultExpr !== null)
            .map((c) => ({
              oid: r.oid * 1000 + c.attnum,
              adrelid: r.oid,
              adnum: c.attnum,
              adbin: c.defaultExpr,
            })),
    ),
  pg_index: (reader) =>
    reader.view.relations().flatMap((r) => (r.kind === 'index' ? [indexRow(reader, r)] : [])),
  pg_constraint: (reader) =>
    reader.view.relations().flatMap((r) => (r.kind === 'table' ? constraintRows(reader, r) : [])),
  pg_namespace: namespaceRows,
  pg_description: (reader) =>
    reader.view.comments().map((c) => ({
      objoid: c.objectOid,
      classoid: c.classOid,
      objsubid: c.subId,
      description: c.text,
    })),
  pg_sequence: sequenceRows,
  pg_sequences: sequencesViewRows,
};
