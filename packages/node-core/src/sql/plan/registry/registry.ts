/**
 * The one door from the query processor to type and function knowledge: type info, casts,
 * operators, functions, aggregates, ordering, hashing and text I/O. Today it is backed by the
 * interim tables in this folder; when src/sql/types and src/sql/functions land, this file is
 * re-pointed at them and nothing else in plan/ or exec/ changes.
 * Exports: everything the binder, optimizer and executor use about types.
 */

export { type AggregateInfo, type AggregateState, isAggregateName, resolveAggregate } from './aggregates.js';
export { arrayItems, makeArray, makeRecord, recordItems } from './arrays.js';
export { applyTypmod, type CastContext, type CastFunction, canCoerceImplicitly, findCast } from './casts.js';
export { type CallInfo, type FunctionInfo, functionExists, resolveFunction } from './functions.js';
export { likeToRegExp, type OperatorInfo, resolveOperator } from './operators.js';
export { selectCommonType } from './overload.js';
export { textIn, textOut } from './text-io.js';
export { arrayTypeOf, elementTypeOf, TypeOid, typeDisplayName, typeInfo, typeOidByName } from './type-ids.js';
export { type Comparator, comparatorFor, compareValues, hashKeyOf, Numeric } from './values.js';
