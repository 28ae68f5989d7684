/**
 * Data exceptions with PostgreSQL's wording, so that clients matching on message text (and the
 * differential tests) see what PostgreSQL would say. One constructor per recurring message.
 * Exports: invalidSyntax, outOfRangeInput, outOfRange, divisionByZero, invalidParameter,
 * featureNotSupported, datetimeFieldOverflow, invalidDatetimeFormat, invalidBinary.
 */
import { KeelError, SqlState } from '@keel/errors';

/** 22P02: invalid input syntax for type integer: "abc" */
export function invalidSyntax(typeName: string, input: string, detail?: string): KeelError {
  return new KeelError(
    SqlState.InvalidTextRepresentation,
    `invalid input syntax for type ${typeName}: "${input}"`,
    detail === undefined ? {} : { detail },
  );
}

/** 22003: value "99999" is out of range for type smallint */
export function outOfRangeInput(typeName: string, input: string): KeelError {
  return new KeelError(
    SqlState.NumericValueOutOfRange,
    `value "${input}" is out of range for type ${typeName}`,
  );
}

/** 22003 with a free message, e.g. "integer out of range". */
export function outOfRange(message: string, detail?: string): KeelError {
  return new KeelError(SqlState.NumericValueOutOfRange, message, detail === undefined ? {} : { detail });
}

/** 22012 */
export function divisionByZero(): KeelError {
  return new KeelError(SqlState.DivisionByZero, 'division by zero');
}

/** 22023 */
export function invalidParameter(message: string, detail?: string): KeelError {
  return new KeelError(SqlState.InvalidParameterValue, message, detail === undefined ? {} : { detail });
}

/** 0A000 */
export function featureNotSupported(message: string): KeelError {
  return new KeelError(SqlState.FeatureNotSupported, message);
}

/** 22008: date/time field value out of range: "2024-13-01" */
export function datetimeFieldOverflow(input: string, hint?: string): KeelError {
  return new KeelError(
    SqlState.DatetimeFieldOverflow,
    `date/time field value out of range: "${input}"`,
    hint === undefined ? {} : { hint },
  );
}

/** 22007: invalid input syntax for type timestamp: "x" */
export function invalidDatetimeFormat(typeName: string, input: string): KeelError {
  return new KeelError(
    SqlState.InvalidDatetimeFormat,
    `invalid input syntax for type ${typeName}: "${input}"`,
  );
}

/** 22P03 */
export function invalidBinary(message: string): KeelError {
  return new KeelError(SqlState.InvalidBinaryRepresentation, message);
}
