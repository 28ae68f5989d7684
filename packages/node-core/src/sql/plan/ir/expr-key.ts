/**
 * A structural key of a bound expression: equal keys mean the same computation. Used to match
 * target-list expressions to GROUP BY expressions, to share identical aggregates, and to find
 * an ORDER BY expression in the select list.
 * Exports: exprKey.
 */
import type { Expr } from './expr.js';

function valueKey(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'object')
    return `o${JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : typeof x === 'symbol' ? String(x.description) : x))}`;
  return JSON.stringify(v);
}

export function exprKey(e: Expr): string {
  switch (e.kind) {
    case 'const':
      return `c(${e.type}:${valueKey(e.value)})`;
    case 'param':
      return `p(${e.index}:${e.type})`;
    case 'column':
      return `v(${e.id})`;
    case 'call':
      return `f(${e.name}/${e.argTypes.join(',')}:${e.args.map(exprKey).join(',')})`;
    case 'context':
      return `x(${e.name}:${e.args.map(exprKey).join(',')})`;
    case 'cast':
      return `cast(${e.type}/${e.typmod}:${exprKey(e.arg)})`;
    case 'and':
    case 'or':
    case 'coalesce':
    case 'greatest':
    case 'least':
    case 'row':
      return `${e.kind}(${e.args.map(exprKey).join(',')})`;
    case 'not':
      return `not(${exprKey(e.arg)})`;
    case 'isNull':
      return `isnull${e.negated}(${exprKey(e.arg)})`;
    case 'boolTest':
      return `is${e.test}${e.negated}(${exprKey(e.arg)})`;
    case 'field':
      return `field${e.field}(${exprKey(e.arg)})`;
    case 'case':
      return `case(${e.whens.map((w) => `${exprKey(w.when)}=>${exprKey(w.result)}`).join(',')};${exprKey(e.otherwise)})`;
    case 'nullif':
      return `nullif(${exprKey(e.left)},${exprKey(e.right)})`;
    case 'distinct':
      return `distinct${e.negated}(${exprKey(e.left)},${exprKey(e.right)})`;
    case 'anyAll':
      return `${e.all ? 'all' : 'any'}${e.opName}(${exprKey(e.left)},${exprKey(e.array)})`;
    case 'inList':
      return `in${e.negated}(${exprKey(e.arg)};${e.list.map(exprKey).join(',')})`;
    case 'array':
      return `array${e.elementType}(${e.elements.map(exprKey).join(',')})`;
    case 'subscript':
      return `sub(${exprKey(e.arg)}[${exprKey(e.index)}:${e.upper === null ? '' : exprKey(e.upper)}])`;
    case 'subLink':
      return `sublink(${e.linkType}:${e.correlated.join(',')}:${subLinkSerial(e)})`;
    case 'grouping':
      return `grouping(${e.args.map(exprKey).join(',')})`;
  }
}

const serials = new WeakMap<object, number>();
let nextSerial = 1;
/** Sub-links are never equal to each other unless they are the same object. */
function subLinkSerial(e: object): number {
  let n = serials.get(e);
  if (n === undefined) {
    n = nextSerial++;
    serials.set(e, n);
  }
  return n;
}
