/**
 * The system relations Keel computes: every shape of pg-columns.ts (PostgreSQL's names, column
 * names, types and oids) joined with its row builder. A shape without a builder is an empty
 * relation (pg_trigger, pg_policy, pg_inherits, ...), which is what PostgreSQL shows for a
 * database that does not use the feature. Rows come from the statement's catalog view, so they
 * are consistent with what the statement itself sees.
 * Exports: SystemViewDefinition, systemViewDefinitions, findSystemView, findSystemViewByOid.
 */
import type { Row, Value } from '../../access/table-access.js';
import type { EngineCatalogReader } from '../catalog-reader.js';
import { clusterRowBuilders } from './cluster-catalogs.js';
import { rowsOf, shapeColumns } from './column-types.js';
import { informationSchemaRowBuilders } from './information-schema.js';
import { type PgRelationShape, pgRelationShapes } from './pg-columns.js';
import { procRowBuilders } from './proc-catalog.js';
import { relationRowBuilders } from './relation-catalogs.js';
import { replicationRowBuilders } from './replication-views.js';
import { typeRowBuilders } from './type-catalogs.js';

export interface SystemViewDefinition {
  schema: 'pg_catalog' | 'information_schema';
  name: string;
  oid: number;
  columns: { name: string; typeOid: number; typmod: number }[];
  rows(reader: EngineCatalogReader): Row[];
}

type Builder = (reader: EngineCatalogReader) => Record<string, Value>[];

const pgCatalogBuilders: Record<string, Builder> = {
  ...relationRowBuilders,
  ...typeRowBuilders,
  ...clusterRowBuilders,
  ...replicationRowBuilders,
  ...procRowBuilders,
};

function definitionOf(shape: PgRelationShape): SystemViewDefinition {
  const builders: Record<string, Builder> =
    shape.schema === 'pg_catalog' ? pgCatalogBuilders : informationSchemaRowBuilders;
  const builder = builders[shape.name];
  return {
    schema: shape.schema,
    name: shape.name,
    oid: shape.oid,
    columns: shapeColumns(shape),
    rows: (reader) => (builder === undefined ? [] : rowsOf(shape, builder(reader))),
  };
}

const definitions: SystemViewDefinition[] = pgRelationShapes.map(definitionOf);
const byName = new Map(definitions.map((d) => [`${d.schema}.${d.name}`, d]));
const byOid = new Map(definitions.map((d) => [d.oid, d]));

export function systemViewDefinitions(): readonly SystemViewDefinition[] {
  return definitions;
}

export function findSystemView(schema: string, name: string): SystemViewDefinition | undefined {
  return byName.get(`${schema}.${name}`);
}

/** The system relation with this oid (pg_class is 1259), for regclass output. */
export function findSystemViewByOid(oid: number): SystemViewDefinition | undefined {
  return byOid.get(oid);
}
