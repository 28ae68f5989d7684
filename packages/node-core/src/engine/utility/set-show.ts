/**
 * SET, RESET, SHOW and SET TRANSACTION / SET SESSION CHARACTERISTICS, with PostgreSQL's forms:
 * `SET x TO v`, `SET x = v`, `SET LOCAL`, `SET x TO DEFAULT`, `SET TIME ZONE`, `SET NAMES`,
 * `RESET x | ALL`, `SHOW x | ALL`, `SHOW TRANSACTION ISOLATION LEVEL`.
 * Exports: runSet, showColumns, runShow.
 */
import { KeelError, SqlState } from '@keel/errors';
import type { Node, VariableSetStmt, VariableShowStmt } from '@pgsql/types';
import type { Row } from '../../access/table-access.js';
import { constantValue, unwrap } from '../../sql/parse/ast.js';
import type { Session } from '../session.js';
import { offsetZoneName } from '../setting-specs.js';
import type { ResultColumn } from '../statement-execution.js';
import { transactionOptionsOf } from '../transaction-statement.js';

const TEXT = 25;

/** SQL-level names that differ from the setting's name. */
function settingName(name: string): string {
  const lower = name.toLowerCase();
  if (lower === 'time zone' || lower === 'timezone') return 'TimeZone';
  if (lower === 'names') return 'client_encoding';
  if (lower === 'transaction isolation level') return 'transaction_isolation';
  if (lower === 'session authorization') return 'session_authorization';
  return lower;
}

export function runSet(stmt: VariableSetStmt, session: Session): string {
  const settings = session.settings;
  if (settingName(stmt.name ?? '') === 'session_authorization') return setSessionAuthorization(stmt, session);
  switch (stmt.kind) {
    case 'VAR_SET_VALUE': {
      const name = settingName(stmt.name ?? '');
      const value = settingValueText(name, stmt.args ?? []);
      if (
        name === 'transaction_isolation' ||
        name === 'transaction_read_only' ||
        name === 'transaction_deferrable'
      ) {
        return setTransactionSetting(session, name, value);
      }
      settings.set(name, value, stmt.is_local === true);
      return 'SET';
    }
    case 'VAR_SET_DEFAULT':
    case 'VAR_RESET':
      settings.reset(settingName(stmt.name ?? ''));
      return stmt.kind === 'VAR_RESET' ? 'RESET' : 'SET';
    case 'VAR_RESET_ALL':
      settings.resetAll();
      return 'RESET';
    case 'VAR_SET_MULTI': {
      const options = transactionOptionsOf(stmt.args ?? []);
      if (stmt.name === 'TRANSACTION') {
        session.block.setCharacteristics(options, (session.block.txn?.transactionSnapshot ?? null) !== null);
      } else {
        if (options.isolation !== undefined)
          settings.set('default_transaction_isolation', options.isolation, false);
        if (options.readOnly !== undefined)
          settings.set('default_transaction_read_only', options.readOnly ? 'on' : 'off', false);
        if (options.deferrable !== undefined)
          settings.set('default_transaction_deferrable', options.deferrable ? 'on' : 'off', false);
      }
      return 'SET';
    }
    default:
      throw new KeelError(SqlState.FeatureNotSupported, `SET ${stmt.kind ?? ''} is not supported`);
  }
}

/**
 * SET SESSION AUTHORIZATION: DEFAULT (what poolers and DISCARD-style resets send) or the
 * session's own user is accepted; switching to another role is not supported yet.
 */
function setSessionAuthorization(stmt: VariableSetStmt, session: Session): string {
  if (stmt.kind === 'VAR_RESET' || stmt.kind === 'VAR_SET_DEFAULT')
    return stmt.kind === 'VAR_RESET' ? 'RESET' : 'SET';
  const user = settingValueText('session_authorization', stmt.args ?? []);
  if (stmt.kind === 'VAR_SET_VALUE' && user === session.options.user) return 'SET';
  throw new KeelError(
    SqlState.FeatureNotSupported,
    'SET SESSION AUTHORIZATION to another role is not supported',
  );
}

function setTransactionSetting(session: Session, name: string, value: string): string {
  const options =
    name === 'transaction_isolation'
      ? { isolation: session.host.isolationFromSetting(value) }
      : name === 'transaction_read_only'
        ? { readOnly: /^(on|true|1|yes)$/i.test(value) }
        : { deferrable: /^(on|true|1|yes)$/i.test(value) };
  session.block.setCharacteristics(options, (session.block.txn?.transactionSnapshot ?? null) !== null);
  return 'SET';
}

/** The value of a SET as text: identifiers and literals joined with ", " (search_path lists). */
function settingValueText(name: string, args: Node[]): string {
  const parts = args.map((arg) => {
    const value = constantValue(arg);
    if (value === undefined) {
      const cast = unwrap(arg, 'TypeCast');
      const inner = constantValue(cast?.arg);
      if (name === 'TimeZone' && inner !== undefined && inner !== null) return intervalZone(String(inner));
      if (inner !== undefined && inner !== null) return String(inner);
      throw new KeelError(SqlState.SyntaxError, `invalid value for parameter "${name}"`);
    }
    if (value === null) return '';
    if (typeof value === 'boolean') return value ? 'on' : 'off';
    return String(value);
  });
  if (name === 'search_path') return parts.map(quoteSearchPathEntry).join(', ');
  return parts.join(', ');
}

/**
 * SET TIME ZONE INTERVAL '+02:00' HOUR TO MINUTE: an offset east of UTC, shown by its POSIX
 * name as PostgreSQL does ("<+02>-02").
 */
function intervalZone(text: string): string {
  const clock = /^\s*([+-]?)(\d{1,3}):(\d{2})(?::(\d{2}))?\s*$/.exec(text);
  const hours = /^\s*([+-]?\d+(?:\.\d+)?)\s*(?:h|hours?)?\s*$/i.exec(text);
  let secondsEast: number;
  if (clock !== null) {
    const seconds = Number(clock[2]) * 3600 + Number(clock[3]) * 60 + Number(clock[4] ?? 0);
    secondsEast = clock[1] === '-' ? -seconds : seconds;
  } else if (hours !== null) {
    secondsEast = Math.round(Number(hours[1]) * 3600);
  } else {
    throw new KeelError(SqlState.InvalidParameterValue, `invalid interval value for time zone: "${text}"`);
  }
  return offsetZoneName(-secondsEast);
}

function quoteSearchPathEntry(entry: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(entry) || entry.startsWith('"')
    ? entry
    : `"${entry.replace(/"/g, '""')}"`;
}

export function showColumns(stmt: VariableShowStmt, session: Session): ResultColumn[] {
  const name = settingName(stmt.name ?? '');
  if (name === 'all') {
    return ['name', 'setting', 'description'].map((n) => ({
      name: n,
      typeOid: TEXT,
      typmod: -1,
      tableOid: 0,
      attnum: 0,
    }));
  }
  return [{ name: session.settings.displayName(name), typeOid: TEXT, typmod: -1, tableOid: 0, attnum: 0 }];
}

export function runShow(stmt: VariableShowStmt, session: Session): Row[] {
  const name = settingName(stmt.name ?? '');
  if (name === 'all') {
    return session.settings
      .all()
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((s) => [s.name, s.value, '']);
  }
  return [[currentValue(name, session)]];
}

/** SHOW value, with the transaction settings taken from the running transaction. */
export function currentValue(name: string, session: Session): string {
  const txn = session.block.txn;
  if (name === 'transaction_isolation')
    return txn?.isolation ?? session.settings.value('default_transaction_isolation');
  if (name === 'transaction_read_only')
    return (txn?.options.readOnly ?? session.settings.value('default_transaction_read_only') === 'on')
      ? 'on'
      : 'off';
  if (name === 'transaction_deferrable') return (txn?.options.deferrable ?? false) ? 'on' : 'off';
  const value = session.settings.get(name);
  if (value === undefined)
    throw new KeelError(SqlState.UndefinedObject, `unrecognized configuration parameter "${name}"`);
  return value;
}
