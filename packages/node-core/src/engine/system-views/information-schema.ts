/**
 * information_schema views computed from the catalog, with the SQL standard's wording that
 * PostgreSQL uses: schemata, tables, columns, views, table_constraints (NOT NULL columns
 * included as CHECK constraints named like PostgreSQL's "2200_16390_1_not_null"),
 * key_column_usage, referential_constraints, constraint_column_usage, check_constraints and
 * sequences. ORMs (TypeORM, Knex, Drizzle) introspect through these.
 * Exports: informationSchemaRowBuilders.
 */
import type { Value } from '../../access/table-access.js';
import type { Column, Constraint, TableRelation } from '../../catalog/objects.js';
import { findType, formatType } from '../../sql/types/type-registry.js';
import type { EngineCatalogReader } from '../catalog-reader.js';

type RowObject = Record<string, Value>;

const yes = (flag: boolean) => (flag ? 'YES' : 'NO');

const ruleWords: Record<string, string> = {
  a: 'NO ACTION',
  r: 'RESTRICT',
  c: 'CASCADE',
  n: 'SET NULL',
  d: 'SET DEFAULT',
};

/** information_schema's data_type: the SQL name without modifiers, ARRAY for arrays. */
function dataType(typeOid: number): string {
  const info = findType(typeOid);
  if (info === undefined) return 'USER-DEFINED';
  if (info.elementOid !== 0) return 'ARRAY';
  return formatType(typeOid, -1);
}

function numericFacts(column: { typeOid: number; typmod: number }): RowObject {
  switch (column.typeOid) {
    case 21:
      return { numeric_precision: 16, numeric_precision_radix: 2, numeric_scale: 0 };
    case 23:
      return { numeric_precision: 32, numeric_precision_radix: 2, numeric_scale: 0 };
    case 20:
      return { numeric_precision: 64, numeric_precision_radix: 2, numeric_scale: 0 };
    case 700:
      return { numeric_precision: 24, numeric_precision_radix: 2 };
    case 701:
      return { numeric_precision: 53, numeric_precision_radix: 2 };
    case 1700:
      if (column.typmod < 0) return { numeric_precision_radix: 10 };
      return {
        numeric_precision: ((column.typmod - 4) >> 16) & 0xffff,
        numeric_precision_radix: 10,
        numeric_scale: (column.typmod - 4) & 0xffff,
      };
    default:
      return {};
  }
}

function characterFacts(column: { typeOid: number; typmod: number }): RowObject {
  if (column.typeOid !== 1043 && column.typeOid !== 1042 && column.typeOid !== 25) return {};
  const length = column.typmod > 4 ? column.typmod - 4 : null;
  return {
    character_maximum_length: length,
    character_octet_length: length === null ? 1_073_741_824 : length * 4,
  };
}

function datetimeFacts(typeOid: number, typmod: number): RowObject {
  if (typeOid === 1082) return { datetime_precision: 0 };
  if ([1083, 1114, 1184, 1266].includes(typeOid)) return { datetime_precision: typmod >= 0 ? typmod : 6 };
  if (typeOid === 1186) return { datetime_precision: typmod >= 0 ? typmod & 0xffff : 6 };
  return {};
}

function tables(reader: EngineCatalogReader): TableRelation[] {
  return reader.view.relations().filter((r): r is TableRelation => r.kind === 'table');
}

function columnRow(
  reader: EngineCatalogReader,
  schema: string,
  tableName: string,
  column: Column,
  position: number,
): RowObject {
  const info = findType(column.typeOid);
  return {
    table_catalog: reader.databaseName,
    table_schema: schema,
    table_name: tableName,
    column_name: column.name,
    ordinal_position: position,
    column_default: column.defaultExpr,
    is_nullable: yes(!column.notNull),
    data_type: dataType(column.typeOid),
    ...characterFacts(column),
    ...numericFacts(column),
    ...datetimeFacts(column.typeOid, column.typmod),
    udt_catalog: reader.databaseName,
    udt_schema: 'pg_catalog',
    udt_name: info?.name ?? String(column.typeOid),
    dtd_identifier: String(position),
    is_self_referencing: 'NO',
    is_identity: yes(column.identity !== null),
    identity_generation: column.identity === 'a' ? 'ALWAYS' : column.identity === 'd' ? 'BY DEFAULT' : null,
    identity_cycle: 'NO',
    is_generated: 'NEVER',
    is_updatable: 'YES',
  };
}

function constraintTypeName(c: Constraint): string {
  return c.kind === 'primary'
    ? 'PRIMARY KEY'
    : c.kind === 'unique'
      ? 'UNIQUE'
      : c.kind === 'check'
        ? 'CHECK'
        : 'FOREIGN KEY';
}

/** The unique constraint a foreign key's referenced columns match. */
function referencedConstraint(
  reader: EngineCatalogReader,
  c: Extract<Constraint, { kind: 'foreign' }>,
): Constraint | null {
  const ref = reader.view.table(c.refTableOid);
  if (ref === null) return null;
  return (
    ref.constraints.find(
      (k) =>
        (k.kind === 'primary' || k.kind === 'unique') &&
        k.columns.length === c.refColumns.length &&
        k.columns.every((a) => c.refColumns.includes(a)),
    ) ?? null
  );
}

function columnNameOf(table: TableRelation | null, attnum: number): string {
  return table?.columns.find((col) => col.attnum === attnum)?.name ?? '';
}

export const informationSchemaRowBuilders: Record<string, (reader: EngineCatalogReader) => RowObject[]> = {
  schemata: (reader) =>
    [
      ...reader.view.namespaces().map((n) => ({ name: n.name, owner: n.ownerOid })),
      { name: 'pg_catalog', owner: 10 },
      { name: 'information_schema', owner: 10 },
    ].map((n) => ({
      catalog_name: reader.databaseName,
      schema_name: n.name,
      schema_owner: reader.view.role(n.owner)?.name ?? '',
    })),
  tables: (reader) =>
    reader.view.relations().flatMap((r) =>
      r.kind !== 'table' && r.kind !== 'view'
        ? []
        : [
            {
              table_catalog: reader.databaseName,
              table_schema: reader.namespace(r.namespaceOid)?.name ?? '',
              table_name: r.name,
              table_type: r.kind === 'table' ? 'BASE TABLE' : 'VIEW',
              is_insertable_into: yes(r.kind === 'table'),
              is_typed: 'NO',
            },
          ],
    ),
  columns: (reader) =>
    reader.view.relations().flatMap((r) => {
      const schema = reader.namespace(r.namespaceOid)?.name ?? '';
      if (r.kind === 'table') {
        return r.columns.filter((c) => !c.dropped).map((c) => columnRow(reader, schema, r.name, c, c.attnum));
      }
      if (r.kind === 'view') {
        // Keel refuses INSERT/UPDATE/DELETE on every view (no automatically updatable views
        // yet), so its columns are not updatable, as views.is_updatable says.
        return r.columns.map((c, i) => ({
          ...columnRow(
            reader,
            schema,
            r.name,
            {
              ...c,
              attnum: i + 1,
              notNull: false,
              defaultExpr: null,
              identity: null,
              identitySequenceOid: null,
              missingValue: null,
              dropped: false,
            },
            i + 1,
          ),
          is_updatable: 'NO',
        }));
      }
      return [];
    }),
  views: (reader) =>
    reader.view.relations().flatMap((r) =>
      r.kind !== 'view'
        ? []
        : [
            {
              table_catalog: reader.databaseName,
              table_schema: reader.namespace(r.namespaceOid)?.name ?? '',
              table_name: r.name,
              view_definition: ` ${r.query};`,
              check_option: 'NONE',
              is_updatable: 'NO',
              is_insertable_into: 'NO',
              is_trigger_updatable: 'NO',
              is_trigger_deletable: 'NO',
              is_trigger_insertable_into: 'NO',
            },
          ],
    ),
  table_constraints: (reader) =>
    tables(reader).flatMap((t) => {
      const schema = reader.namespace(t.namespaceOid)?.name ?? '';
      const base = {
        constraint_catalog: reader.databaseName,
        constraint_schema: schema,
        table_catalog: reader.databaseName,
        table_schema: schema,
        table_name: t.name,
        enforced: 'YES',
      };
      const declared = t.constraints.map((c) => ({
        ...base,
        constraint_name: c.name,
        constraint_type: constraintTypeName(c),
        is_deferrable: yes(c.kind === 'foreign' && c.deferrable),
        initially_deferred: yes(c.kind === 'foreign' && c.initiallyDeferred),
        nulls_distinct: c.kind === 'primary' || c.kind === 'unique' ? 'YES' : null,
      }));
      const notNull = t.columns
        .filter((c) => c.notNull && !c.dropped)
        .map((c) => ({
          ...base,
          constraint_name: `${t.namespaceOid}_${t.oid}_${c.attnum}_not_null`,
          constraint_type: 'CHECK',
          is_deferrable: 'NO',
          initially_deferred: 'NO',
          nulls_distinct: null,
        }));
      return [...declared, ...notNull];
    }),
  key_column_usage: (reader) =>
    tables(reader).flatMap((t) => {
      const schema = reader.namespace(t.namespaceOid)?.name ?? '';
      return t.constraints.flatMap((c) => {
        if (c.kind === 'check') return [];
        const unique = c.kind === 'foreign' ? referencedConstraint(reader, c) : null;
        return c.columns.map((attnum, i) => ({
          constraint_catalog: reader.databaseName,
          constraint_schema: schema,
          constraint_name: c.name,
          table_catalog: reader.databaseName,
          table_schema: schema,
          table_name: t.name,
          column_name: columnNameOf(t, attnum),
          ordinal_position: i + 1,
          position_in_unique_constraint:
            c.kind === 'foreign' && unique !== null ? unique.columns.indexOf(c.refColumns[i] ?? 0) + 1 : null,
        }));
      });
    }),
  referential_constraints: (reader) =>
    tables(reader).flatMap((t) => {
      const schema = reader.namespace(t.namespaceOid)?.name ?? '';
      return t.constraints.flatMap((c) => {
        if (c.kind !== 'foreign') return [];
        const unique = referencedConstraint(reader, c);
        const ref = reader.view.table(c.refTableOid);
        return [
          {
            constraint_catalog: reader.databaseName,
            constraint_schema: schema,
            constraint_name: c.name,
            unique_constraint_catalog: unique === null ? null : reader.databaseName,
            unique_constraint_schema:
              unique === null || ref === null ? null : (reader.namespace(ref.namespaceOid)?.name ?? ''),
            unique_constraint_name: unique?.name ?? null,
            match_option: c.matchFull ? 'FULL' : 'NONE',
            update_rule: ruleWords[c.onUpdate] ?? 'NO ACTION',
            delete_rule: ruleWords[c.onDelete] ?? 'NO ACTION',
          },
        ];
      });
    }),
  constraint_column_usage: (reader) =>
    tables(reader).flatMap((t) => {
      const schema = reader.namespace(t.namespaceOid)?.name ?? '';
      return t.constraints.flatMap((c) => {
        const target = c.kind === 'foreign' ? reader.view.table(c.refTableOid) : t;
        const attnums = c.kind === 'foreign' ? c.refColumns : c.columns;
        const targetSchema = target === null ? '' : (reader.namespace(target.namespaceOid)?.name ?? '');
        return attnums.map((attnum) => ({
          table_catalog: reader.databaseName,
          table_schema: targetSchema,
          table_name: target?.name ?? '',
          column_name: columnNameOf(target, attnum),
          constraint_catalog: reader.databaseName,
          constraint_schema: schema,
          constraint_name: c.name,
        }));
      });
    }),
  check_constraints: (reader) =>
    tables(reader).flatMap((t) => {
      const schema = reader.namespace(t.namespaceOid)?.name ?? '';
      return t.constraints.flatMap((c) =>
        c.kind !== 'check'
          ? []
          : [
              {
                constraint_catalog: reader.databaseName,
                constraint_schema: schema,
                constraint_name: c.name,
                check_clause: `((${c.expr}))`,
              },
            ],
      );
    }),
  sequences: (reader) =>
    reader.view.relations().flatMap((r) =>
      r.kind !== 'sequence'
        ? []
        : [
            {
              sequence_catalog: reader.databaseName,
              sequence_schema: reader.namespace(r.namespaceOid)?.name ?? '',
              sequence_name: r.name,
              data_type: formatType(r.typeOid, -1),
              ...numericFacts({ typeOid: r.typeOid, typmod: -1 }),
              start_value: r.start.toString(),
              minimum_value: r.min.toString(),
              maximum_value: r.max.toString(),
              increment: r.increment.toString(),
              cycle_option: yes(r.cycle),
            },
          ],
    ),
};
