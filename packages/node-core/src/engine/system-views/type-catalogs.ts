/**
 * pg_type (every built-in type of the type registry, plus the catalog-only types such as
 * int2vector and oidvector that clients find in pg_attribute), pg_am, pg_collation,
 * pg_tablespace and pg_language. Oids and names are PostgreSQL 15's.
 * Exports: typeRowBuilders.
 */
import type { Value } from '../../access/table-access.js';
import { WellKnownOid } from '../../catalog/objects.js';
import { allTypes, type TypeInfo } from '../../sql/types/type-registry.js';
import { typeCollation } from './relation-catalogs.js';

type RowObject = Record<string, Value>;

/** Types that exist in PostgreSQL's catalogs but not (yet) in Keel's type registry. */
const catalogOnlyTypes: [oid: number, name: string, length: number, category: string, array: number][] = [
  [22, 'int2vector', -1, 'A', 1006],
  [27, 'tid', 6, 'U', 1010],
  [28, 'xid', 4, 'U', 1011],
  [29, 'cid', 4, 'U', 1012],
  [30, 'oidvector', -1, 'A', 1013],
  [194, 'pg_node_tree', -1, 'Z', 0],
  [869, 'inet', -1, 'I', 1041],
  [1033, 'aclitem', 12, 'U', 1034],
  [3220, 'pg_lsn', 8, 'U', 3221],
];

/** PostgreSQL's input/output function oids for the types clients inspect. */
const ioFunctions: Record<string, [number, number]> = {
  array: [750, 751],
  record: [2290, 2291],
};

function typeRow(info: TypeInfo): RowObject {
  const isArray = info.elementOid !== 0;
  const pseudo = info.category === 'P';
  const io = isArray ? ioFunctions.array : info.name === 'record' ? ioFunctions.record : undefined;
  return {
    oid: info.oid,
    typname: info.name,
    typnamespace: WellKnownOid.pgCatalogNamespace,
    typowner: WellKnownOid.bootstrapSuperuser,
    typlen: info.length,
    typbyval: info.byValue,
    typtype: pseudo ? 'p' : 'b',
    typcategory: info.category,
    typispreferred: info.preferred,
    typisdefined: true,
    typdelim: ',',
    typrelid: 0,
    typsubscript: isArray ? 6179 : 0,
    // name is a fixed-length array of "char" in PostgreSQL (name[0] works).
    typelem: info.name === 'name' ? 18 : info.elementOid,
    typarray: info.arrayOid,
    typinput: io?.[0] ?? 0,
    typoutput: io?.[1] ?? 0,
    typreceive: 0,
    typsend: 0,
    typmodin: 0,
    typmodout: 0,
    typanalyze: 0,
    typalign: info.length === 8 ? 'd' : info.length === 2 ? 's' : info.length === 1 ? 'c' : 'i',
    typstorage: info.length === -1 ? 'x' : 'p',
    typnotnull: false,
    typbasetype: 0,
    typtypmod: -1,
    typndims: 0,
    typcollation: typeCollation(info.oid),
    typdefaultbin: null,
    typdefault: null,
    typacl: null,
  };
}

function catalogOnlyRows(known: Set<number>): RowObject[] {
  return catalogOnlyTypes
    .filter(([oid]) => !known.has(oid))
    .flatMap(([oid, name, length, category, array]) => {
      const base = typeRow({
        oid,
        name,
        sqlName: name,
        length,
        byValue: length > 0 && length <= 8,
        category: category === 'A' ? 'A' : 'U',
        preferred: false,
        arrayOid: array,
        elementOid: 0,
      });
      const rows: RowObject[] = [
        {
          ...base,
          typcategory: category,
          typelem: name.endsWith('vector') ? (name === 'oidvector' ? 26 : 21) : 0,
        },
      ];
      if (array !== 0 && !known.has(array)) {
        rows.push(
          typeRow({
            oid: array,
            name: `_${name}`,
            sqlName: `${name}[]`,
            length: -1,
            byValue: false,
            category: 'A',
            preferred: false,
            arrayOid: 0,
            elementOid: oid,
          }),
        );
      }
      return rows;
    });
}

export const typeRowBuilders: Record<string, () => RowObject[]> = {
  pg_type: () => {
    const types = allTypes();
    const known = new Set(types.map((t) => t.oid));
    return [...types.map(typeRow), ...catalogOnlyRows(known)];
  },
  pg_am: () => [
    { oid: WellKnownOid.heapAm, amname: 'heap', amhandler: 3, amtype: 't' },
    { oid: WellKnownOid.btreeAm, amname: 'btree', amhandler: 330, amtype: 'i' },
  ],
  pg_collation: () => [
    collationRow(100, 'default', 'd', null),
    collationRow(950, 'C', 'c', 'C'),
    collationRow(951, 'POSIX', 'c', 'POSIX'),
  ],
  pg_tablespace: () => [
    {
      oid: 1663,
      spcname: 'pg_default',
      spcowner: WellKnownOid.bootstrapSuperuser,
      spcacl: null,
      spcoptions: null,
    },
    {
      oid: 1664,
      spcname: 'pg_global',
      spcowner: WellKnownOid.bootstrapSuperuser,
      spcacl: null,
      spcoptions: null,
    },
  ],
  pg_language: () => [
    languageRow(12, 'internal', false),
    languageRow(13, 'c', false),
    languageRow(14, 'sql', true),
  ],
};

function collationRow(oid: number, name: string, provider: string, locale: string | null): RowObject {
  return {
    oid,
    collname: name,
    collnamespace: WellKnownOid.pgCatalogNamespace,
    collowner: WellKnownOid.bootstrapSuperuser,
    collprovider: provider,
    collisdeterministic: true,
    collencoding: oid === 100 ? -1 : -1,
    collcollate: locale,
    collctype: locale,
    colliculocale: null,
    collversion: null,
  };
}

function languageRow(oid: number, name: string, trusted: boolean): RowObject {
  return {
    oid,
    lanname: name,
    lanowner: WellKnownOid.bootstrapSuperuser,
    lanispl: false,
    lanpltrusted: trusted,
    lanplcallfoid: 0,
    laninline: 0,
    lanvalidator: 0,
    lanacl: null,
  };
}
