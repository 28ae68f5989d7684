/**
 * Bound expressions printed the way PostgreSQL's EXPLAIN (ruleutils.c) prints them: operators
 * parenthesized `(a > 10)`, `((a > 10) AND (b IS NULL))`, columns qualified by their relation's
 * alias when the plan reads more than one relation, constants with their type unless numeric
 * or boolean (`'north'::text`, `'2020-01-01'::date`), casts as `(x)::numeric`.
 * Exports: ExprNames, exprText.
 */

import { defaultTypeSettings } from '../../types/settings.js';
import type { Value as TypedValue } from '../../types/value.js';
import type { Expr } from '../ir/expr.js';
import { formatText, formatType, TypeOid } from '../registry/registry.js';

/** How columns are named: the binder's `alias.column` names, qualified or not. */
export interface ExprNames {
  column(id: number, fallback: string): string;
}

const settings = defaultTypeSettings();
const plainTypes = new Set<number>([
  TypeOid.int2,
  TypeOid.int4,
  TypeOid.int8,
  TypeOid.numeric,
  TypeOid.float8,
]);

function quote(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

function constText(value: unknown, type: number): string {
  if (value === null) return `NULL::${formatType(type)}`;
  if (type === TypeOid.bool) return value === true ? 'true' : 'false';
  const text = formatText(type, value as TypedValue, settings);
  if (plainTypes.has(type) && !text.startsWith('-') && /^[0-9.]+$/.test(text)) return text;
  return `${quote(text)}::${formatType(type)}`;
}

function list(items: Expr[], names: ExprNames): string {
  return items.map((e) => exprText(e, names)).join(', ');
}

export function exprText(e: Expr, names: ExprNames): string {
  const t = (x: Expr) => exprText(x, names);
  switch (e.kind) {
    case 'const':
      return constText(e.value, e.type);
    case 'param':
      return `$${e.index + 1}`;
    case 'column':
      return names.column(e.id, e.name);
    case 'call':
      if (e.operator === 'infix' && e.args.length === 2)
        return `(${t(e.args[0] as Expr)} ${e.name} ${t(e.args[1] as Expr)})`;
      if (e.operator === 'prefix') return `(${e.name} ${t(e.args[0] as Expr)})`;
      return `${e.name}(${list(e.args, names)})`;
    case 'context':
      return `${e.name}(${list(e.args, names)})`;
    case 'cast':
      return e.from === e.type ? t(e.arg) : `(${t(e.arg)})::${formatType(e.type, e.typmod)}`;
    case 'and':
    case 'or':
      return `(${e.args.map(t).join(e.kind === 'and' ? ' AND ' : ' OR ')})`;
    case 'not':
      return `(NOT ${t(e.arg)})`;
    case 'isNull':
      return `(${t(e.arg)} IS ${e.negated ? 'NOT ' : ''}NULL)`;
    case 'boolTest':
      return `(${t(e.arg)} IS ${e.negated ? 'NOT ' : ''}${e.test.toUpperCase()})`;
    case 'case':
      return `CASE ${e.whens.map((w) => `WHEN ${t(w.when)} THEN ${t(w.result)}`).join(' ')} ELSE ${t(e.otherwise)} END`;
    case 'coalesce':
      return `COALESCE(${list(e.args, names)})`;
    case 'greatest':
    case 'least':
      return `${e.kind.toUpperCase()}(${list(e.args, names)})`;
    case 'nullif':
      return `NULLIF(${t(e.left)}, ${t(e.right)})`;
    case 'distinct':
      return `(${t(e.left)} IS ${e.negated ? 'NOT ' : ''}DISTINCT FROM ${t(e.right)})`;
    case 'anyAll':
      return `(${t(e.left)} ${e.opName} ${e.all ? 'ALL' : 'ANY'} (${t(e.array)}))`;
    case 'inList':
      return `(${t(e.arg)} ${e.negated ? '<> ALL' : '= ANY'} (ARRAY[${list(e.list, names)}]))`;
    case 'array':
      return `ARRAY[${list(e.elements, names)}]`;
    case 'row':
      return `ROW(${list(e.args, names)})`;
    case 'subscript':
      return `${t(e.arg)}[${t(e.index)}${e.upper === null ? '' : `:${t(e.upper)}`}]`;
    case 'field':
      return `(${t(e.arg)}).f${e.field + 1}`;
    case 'subLink':
      return `(SubPlan)`;
    case 'grouping':
      return `GROUPING(${list(e.args, names)})`;
  }
}
