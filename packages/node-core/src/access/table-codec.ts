/**
 * Per-table row and key codecs, derived once from the table's catalog entry: the column types
 * in attnum order (dropped columns keep their slot), the "missing" values that rows written
 * before ADD COLUMN read as, and each plain-column index's key layout. Cached per catalog
 * object, which is immutable, so a DDL change naturally makes a new codec.
 * Exports: TableCodec, tableCodec, indexKeyColumns.
 */
import type { IndexRelation, TableRelation } from '../catalog/objects.js';
import type { KeyColumn } from '../sql/types/key-encoding.js';
import { decodeRow, encodeRow } from '../sql/types/row-codec.js';
import type { TypeSettings } from '../sql/types/settings.js';
import { parseText } from '../sql/types/text-io.js';
import type { Value } from '../sql/types/value.js';
import type { Row } from './table-access.js';

export class TableCodec {
  readonly types: number[];
  readonly missing: Value[];

  constructor(table: TableRelation, settings: TypeSettings) {
    this.types = table.columns.map((c) => c.typeOid);
    this.missing = table.columns.map((c) =>
      c.missingValue === null || c.dropped
        ? null
        : parseText(c.typeOid, unquoteConstant(c.missingValue), settings, c.typmod),
    );
  }

  encode(row: Row): Uint8Array {
    return encodeRow(row as Value[], this.types);
  }

  /** Decodes a row; with `attnums`, only those columns (the rest read as NULL). */
  decode(bytes: Uint8Array, attnums?: readonly number[]): Row {
    return decodeRow(
      bytes,
      this.types,
      this.missing,
      attnums?.map((attnum) => attnum - 1),
    );
  }
}

const codecs = new WeakMap<TableRelation, TableCodec>();

export function tableCodec(table: TableRelation, settings: TypeSettings): TableCodec {
  let codec = codecs.get(table);
  if (codec === undefined) {
    codec = new TableCodec(table, settings);
    codecs.set(table, codec);
  }
  return codec;
}

/** Key layout of an index for the key encoder. Expression keys take the expression's type (text here). */
export function indexKeyColumns(index: IndexRelation, table: TableRelation): KeyColumn[] {
  return index.keys.map((key) => ({
    type: key.attnum === 0 ? 25 : (table.columns[key.attnum - 1]?.typeOid ?? 25),
    descending: key.descending,
    nullsFirst: key.nullsFirst,
  }));
}

/** A stored missing value is the DEFAULT's SQL text: a literal, maybe with a cast ('x'::text). */
function unquoteConstant(text: string): string {
  const withoutCast = text.replace(/::[a-z_ ]+(\(\d+(,\s*\d+)?\))?(\[\])?$/i, '').trim();
  const quoted = /^'((?:[^']|'')*)'$/.exec(withoutCast);
  return quoted === null ? withoutCast : (quoted[1] ?? '').replace(/''/g, "'");
}
