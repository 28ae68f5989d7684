/**
 * src/sql/functions: the built-in operators, functions, set-returning functions and aggregates
 * with PostgreSQL's signatures and overload resolution. See README.md for the list.
 * Exports: resolution (resolveFunction, resolveOperator, resolveAggregate), the evaluation
 * context, the registry for introspection (pg_proc/pg_operator views) and evaluation helpers.
 */
export {
  type AggregateImpl,
  type AggregateSpec,
  isAggregateName,
  type ResolvedAggregate,
  resolveAggregate,
} from './aggregates.js';
export { evalAnyAll } from './array-functions.js';
export { ensureBuiltins } from './builtins.js';
export { zoneForAtTimeZone } from './datetime-functions.js';
export { type EvalContext, makeEvalContext, type RandomSource, seededRandom } from './eval-context.js';
export {
  allFunctions,
  allOperators,
  type FunctionDef,
  functionsNamed,
  type Implementation,
  operatorsNamed,
  type RowsImplementation,
  type Volatility,
} from './function-registry.js';
export { coalesceOf, greatestOf, leastOf, nullIf } from './misc-functions.js';
export { likeRegExp } from './pattern-match.js';
export { selectCommonType } from './polymorphic.js';
export {
  describeSignature,
  type ResolvedCall,
  type ResolveOptions,
  resolveFunction,
  resolveOperator,
} from './resolve.js';
export { quoteIdent, quoteLiteral } from './text-format.js';
