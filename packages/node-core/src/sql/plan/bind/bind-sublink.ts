/**
 * Subqueries in expressions (SubLink): EXISTS, IN / op ANY / op ALL (with a row on the left
 * for multi-column forms), scalar subqueries and ARRAY(subquery). The subquery is bound at a
 * child scope level; the outer columns it reads become its `correlated` list. The planner later
 * turns each SubLink into a semi/anti join or an Apply node.
 * Exports: bindSubLink.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Node, RowExpr, SubLink } from '@pgsql/types';
import type { Expr, SubLinkExpr } from '../ir/expr.js';
import { outputColumns, type PlanNode } from '../ir/logical.js';
import { arrayTypeOf, operatorFunction, resolveOperator, TypeOid } from '../registry/registry.js';
import { positionOf, strings, unwrap } from './ast.js';
import { bindExpr, withPosition } from './bind-expr.js';
import { bindQuery } from './bind-query.js';
import type { ExprContext } from './binder.js';
import { coerceTo } from './coerce.js';
import { Scope } from './scope.js';

export function bindSubLink(node: Node, ec: ExprContext): Expr {
  const s = unwrap<SubLink>(node, 'SubLink') ?? {};
  const position = positionOf(node);
  const child = new Scope(ec.scope);
  const query = bindQuery(s.subselect ?? { SelectStmt: {} }, ec.binder, child);
  const correlated = [...child.outerRefs].filter((id) => !ec.scope.owns(id) || true);
  const base = {
    plan: query.plan,
    correlated,
    left: [] as Expr[],
    compare: [] as SubLinkExpr['compare'],
    rightTypes: [] as number[],
    opName: '',
  };
  switch (s.subLinkType ?? 'EXPR_SUBLINK') {
    case 'EXISTS_SUBLINK':
      return { kind: 'subLink', linkType: 'exists', ...base, type: TypeOid.bool, typmod: -1 };
    case 'EXPR_SUBLINK':
    case 'ARRAY_SUBLINK': {
      const col = single(query.columns, position);
      const isArray = s.subLinkType === 'ARRAY_SUBLINK';
      const type = isArray ? arrayTypeOf(col.type) || TypeOid.textArray : col.type;
      return {
        kind: 'subLink',
        linkType: isArray ? 'array' : 'expr',
        ...base,
        type,
        typmod: isArray ? -1 : col.typmod,
      };
    }
    case 'ANY_SUBLINK':
    case 'ALL_SUBLINK':
      return bindQuantified(s, query, base.correlated, ec, position);
    default:
      throw new KeelError(SqlState.FeatureNotSupported, `subquery type ${s.subLinkType} is not supported`, {
        position,
      });
  }
}

interface Bound {
  plan: PlanNode;
  columns: { id: number; type: number; typmod: number; name: string }[];
}

function single(columns: Bound['columns'], position: number | undefined): Bound['columns'][number] {
  const col = columns[0];
  if (col === undefined || columns.length !== 1) {
    throw new KeelError(SqlState.SyntaxError, 'subquery must return only one column', { position });
  }
  return col;
}

function bindQuantified(
  s: SubLink,
  query: Bound,
  correlated: number[],
  ec: ExprContext,
  position: number | undefined,
): Expr {
  const names = strings(s.operName);
  const opName = names[names.length - 1] ?? '=';
  const row = unwrap<RowExpr>(s.testexpr, 'RowExpr');
  const leftNodes = row === null ? [s.testexpr ?? { A_Const: { isnull: true } }] : (row.args ?? []);
  if (leftNodes.length !== query.columns.length) {
    throw new KeelError(
      SqlState.SyntaxError,
      leftNodes.length < query.columns.length
        ? 'subquery has too many columns'
        : 'subquery has too few columns',
      { position },
    );
  }
  const left: Expr[] = [];
  const compare: SubLinkExpr['compare'] = [];
  const rightExprs: Expr[] = [];
  leftNodes.forEach((n, i) => {
    const col = query.columns[i] ?? { id: 0, type: TypeOid.unknown, typmod: -1, name: '?' };
    const l = bindExpr(n, ec);
    const r: Expr = { kind: 'column', id: col.id, name: col.name, type: col.type, typmod: col.typmod };
    const resolved = withPosition(() => resolveOperator(opName, l.type, r.type), position);
    const args = resolved.argTypes;
    if (resolved.resultType !== TypeOid.bool)
      throw new KeelError(SqlState.DatatypeMismatch, `operator ${opName} must return type boolean`, {
        position,
      });
    left.push(coerceTo(ec.binder, l, args[0] ?? l.type, -1, { context: 'implicit', position }));
    rightExprs.push(coerceTo(ec.binder, r, args[1] ?? r.type, -1, { context: 'implicit', position }));
    compare.push(operatorFunction(opName, resolved));
  });
  const plan = coerceOutputs(query.plan, rightExprs, ec);
  return {
    kind: 'subLink',
    linkType: s.subLinkType === 'ALL_SUBLINK' ? 'all' : 'any',
    plan,
    correlated,
    left,
    compare,
    rightTypes: rightExprs.map((e) => e.type),
    opName,
    type: TypeOid.bool,
    typmod: -1,
  };
}

/** Adds a projection when the subquery's columns must be cast to the operator's input types. */
function coerceOutputs(plan: PlanNode, exprs: Expr[], ec: ExprContext): PlanNode {
  const ids = outputColumns(plan);
  if (exprs.every((e, i) => e.kind === 'column' && e.id === ids[i])) return plan;
  return {
    kind: 'project',
    input: plan,
    outputs: exprs.map((expr) => ({ id: ec.binder.newColumn('?column?'), expr })),
  };
}
