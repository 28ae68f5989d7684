/**
 * @keel/errors: the SQLSTATE table and the error types shared by every Keel package.
 */

export {
  assert,
  assertNever,
  type ErrorFields,
  type ErrorSeverity,
  InvariantError,
  isKeelError,
  KeelError,
  toKeelError,
} from './keel-error.js';
export {
  conditionNameOf,
  isSqlStateCode,
  SqlState,
  type SqlStateCode,
  sqlStateClass,
} from './sqlstate.js';
