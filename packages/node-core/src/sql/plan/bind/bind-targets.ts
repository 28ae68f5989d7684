/**
 * The SELECT list: `*` and `t.*` expansion, expressions, and output column names as
 * PostgreSQL's FigureColname picks them (column name, function name, type name of a cast,
 * "case", "?column?", ...).
 * Exports: Target, bindTargetList, figureColname.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { ColumnRef, Node, ResTarget } from '@pgsql/types';
import type { Expr } from '../ir/expr.js';
import { nodeTag, payload, positionOf, stringOf, strings, unwrap } from './ast.js';
import { bindExpr } from './bind-expr.js';
import type { ExprContext } from './binder.js';
import type { ScopeColumn } from './scope.js';

export interface Target {
  name: string;
  expr: Expr;
  tableOid: number;
  attnum: number;
  /** The AST the target came from (for ORDER BY matching by expression), null for `*` columns. */
  node: Node | null;
}

export function bindTargetList(list: Node[], ec: ExprContext): Target[] {
  const out: Target[] = [];
  for (const node of list) {
    const rt = unwrap<ResTarget>(node, 'ResTarget') ?? {};
    const val = rt.val ?? { A_Const: { isnull: true } };
    const star = starColumns(val, ec);
    if (star !== null) {
      out.push(
        ...star.map((c) => ({
          name: c.name,
          expr: columnExpr(c),
          tableOid: c.tableOid,
          attnum: c.attnum,
          node: null,
        })),
      );
      continue;
    }
    const expr = bindExpr(val, ec);
    const source = expr.kind === 'column' ? findColumn(ec, expr.id) : null;
    out.push({
      name: rt.name ?? figureColname(val),
      expr,
      tableOid: source?.tableOid ?? 0,
      attnum: source?.attnum ?? 0,
      node: val,
    });
  }
  return out;
}

function findColumn(ec: ExprContext, id: number): ScopeColumn | null {
  for (const item of ec.scope.items) {
    const c = item.columns.find((x) => x.id === id);
    if (c !== undefined) return c;
  }
  return null;
}

function columnExpr(c: ScopeColumn): Expr {
  return { kind: 'column', id: c.id, name: c.name, type: c.type, typmod: c.typmod };
}

/** `*` or `t.*`: the columns it expands to, or null when the target is not a star. */
function starColumns(val: Node, ec: ExprContext): ScopeColumn[] | null {
  const ref = unwrap<ColumnRef>(val, 'ColumnRef');
  if (ref === null) return null;
  const fields = ref.fields ?? [];
  const last = fields[fields.length - 1];
  if (last === undefined || nodeTag(last) !== 'A_Star') return null;
  const position = positionOf(val);
  if (fields.length === 1) {
    if (ec.scope.starColumns.length === 0 && ec.scope.items.length === 0) {
      throw new KeelError(SqlState.SyntaxError, 'SELECT * with no tables specified is not valid', {
        position,
      });
    }
    return ec.scope.starColumns;
  }
  const names = strings(fields.slice(0, -1));
  const qualifier = names[names.length - 1] ?? '';
  const schema = names.length > 1 ? (names[0] ?? null) : null;
  const item = ec.scope.findItem(schema, qualifier, position);
  if (item === null)
    throw new KeelError(SqlState.UndefinedTable, `missing FROM-clause entry for table "${qualifier}"`, {
      position,
    });
  for (const c of item.columns) ec.scope.resolve(qualifier, schema, c.name, position);
  return item.columns.filter((c) => !c.hidden);
}

const svfNames: Record<string, string> = {
  SVFOP_CURRENT_DATE: 'current_date',
  SVFOP_CURRENT_TIMESTAMP: 'current_timestamp',
  SVFOP_CURRENT_TIMESTAMP_N: 'current_timestamp',
  SVFOP_LOCALTIMESTAMP: 'localtimestamp',
  SVFOP_LOCALTIMESTAMP_N: 'localtimestamp',
  SVFOP_CURRENT_ROLE: 'current_role',
  SVFOP_CURRENT_USER: 'current_user',
  SVFOP_USER: 'current_user',
  SVFOP_SESSION_USER: 'session_user',
  SVFOP_CURRENT_CATALOG: 'current_catalog',
  SVFOP_CURRENT_SCHEMA: 'current_schema',
};

/** PostgreSQL's FigureColname. */
export function figureColname(node: Node): string {
  const tag = nodeTag(node);
  const p = payload(node);
  switch (tag) {
    case 'ColumnRef': {
      const fields = (p.fields as Node[] | undefined) ?? [];
      const last = fields[fields.length - 1];
      return last === undefined ? '?column?' : (stringOf(last) ?? '?column?');
    }
    case 'FuncCall': {
      const names = strings(p.funcname as Node[] | undefined);
      return names[names.length - 1] ?? '?column?';
    }
    case 'TypeCast': {
      const inner = figureColname((p.arg as Node | undefined) ?? { A_Const: {} });
      if (inner !== '?column?') return inner;
      const names = strings((p.typeName as { names?: Node[] } | undefined)?.names);
      return names[names.length - 1] ?? '?column?';
    }
    case 'A_Indirection': {
      const ind = (p.indirection as Node[] | undefined) ?? [];
      const last = ind[ind.length - 1];
      if (last !== undefined && nodeTag(last) === 'String') return stringOf(last) ?? '?column?';
      return figureColname((p.arg as Node | undefined) ?? { A_Const: {} });
    }
    case 'CaseExpr':
      return 'case';
    case 'A_ArrayExpr':
      return 'array';
    case 'CoalesceExpr':
      return 'coalesce';
    case 'MinMaxExpr':
      return p.op === 'IS_GREATEST' ? 'greatest' : 'least';
    case 'RowExpr':
      return 'row';
    case 'GroupingFunc':
      return 'grouping';
    case 'SQLValueFunction':
      return svfNames[String(p.op)] ?? '?column?';
    case 'A_Expr':
      return p.kind === 'AEXPR_NULLIF' ? 'nullif' : '?column?';
    case 'SubLink': {
      const type = p.subLinkType;
      if (type === 'EXISTS_SUBLINK') return 'exists';
      if (type === 'ARRAY_SUBLINK') return 'array';
      if (type === 'EXPR_SUBLINK') {
        const sel = unwrap<{ targetList?: Node[] }>(p.subselect as Node, 'SelectStmt');
        const first = unwrap<ResTarget>(sel?.targetList?.[0], 'ResTarget');
        if (first?.name !== undefined) return first.name;
        return first?.val === undefined ? '?column?' : figureColname(first.val);
      }
      return '?column?';
    }
    default:
      return '?column?';
  }
}
