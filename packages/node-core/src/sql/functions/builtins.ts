/**
 * Registers every built-in function, operator and aggregate family exactly once, on first use
 * of the resolver (module load order stays free of side effects).
 * Exports: ensureBuiltins.
 */
import { registerAggregates } from './aggregates.js';
import { registerArrayFunctions } from './array-functions.js';
import { registerCatalogSetFunctions } from './catalog-set-functions.js';
import { registerComparisonOperators } from './comparison-operators.js';
import { registerDatetimeOperators } from './datetime-arithmetic.js';
import { registerDatetimeFunctions } from './datetime-functions.js';
import { registerJsonBuildFunctions } from './json-build.js';
import { registerJsonFunctions } from './json-functions.js';
import { registerMathFunctions } from './math-functions.js';
import { registerMiscFunctions } from './misc-functions.js';
import { registerNumericOperators } from './numeric-operators.js';
import { registerRegexFunctions } from './regex-functions.js';
import { registerStringFunctions } from './string-functions.js';
import { registerTextFormatFunctions } from './text-format.js';
import { registerToCharFunctions } from './to-char.js';

let registered = false;

export function ensureBuiltins(): void {
  if (registered) return;
  registered = true;
  registerNumericOperators();
  registerComparisonOperators();
  registerStringFunctions();
  registerTextFormatFunctions();
  registerRegexFunctions();
  registerMathFunctions();
  registerDatetimeOperators();
  registerDatetimeFunctions();
  registerToCharFunctions();
  registerJsonBuildFunctions();
  registerJsonFunctions();
  registerArrayFunctions();
  registerMiscFunctions();
  registerAggregates();
  registerCatalogSetFunctions();
}
