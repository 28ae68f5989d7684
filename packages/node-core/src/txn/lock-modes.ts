/**
 * Lock modes and their conflict tables, as PostgreSQL defines them: eight table-level modes
 * (explicit locking, table 13.2 of its manual), four row-level modes (table 13.3), and the
 * transaction lock every transaction holds on its own xid so that others can wait for it to end.
 * Exports: TableLockMode, RowLockMode, LockMode, conflicts.
 */

export type TableLockMode =
  | 'AccessShareLock'
  | 'RowShareLock'
  | 'RowExclusiveLock'
  | 'ShareUpdateExclusiveLock'
  | 'ShareLock'
  | 'ShareRowExclusiveLock'
  | 'ExclusiveLock'
  | 'AccessExclusiveLock';

/** Row lock strengths, weakest first (SELECT ... FOR KEY SHARE | SHARE | NO KEY UPDATE | UPDATE). */
export type RowLockStrength = 'key share' | 'share' | 'no key update' | 'update';

/** A lock mode of any kind of lockable object. Transaction locks use ShareLock/ExclusiveLock. */
export type LockMode = TableLockMode | `row ${RowLockStrength}`;

const tableConflicts: Record<TableLockMode, readonly TableLockMode[]> = {
  AccessShareLock: ['AccessExclusiveLock'],
  RowShareLock: ['ExclusiveLock', 'AccessExclusiveLock'],
  RowExclusiveLock: ['ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'],
  ShareUpdateExclusiveLock: [
    'ShareUpdateExclusiveLock',
    'ShareLock',
    'ShareRowExclusiveLock',
    'ExclusiveLock',
    'AccessExclusiveLock',
  ],
  ShareLock: [
    'RowExclusiveLock',
    'ShareUpdateExclusiveLock',
    'ShareRowExclusiveLock',
    'ExclusiveLock',
    'AccessExclusiveLock',
  ],
  ShareRowExclusiveLock: [
    'RowExclusiveLock',
    'ShareUpdateExclusiveLock',
    'ShareLock',
    'ShareRowExclusiveLock',
    'ExclusiveLock',
    'AccessExclusiveLock',
  ],
  ExclusiveLock: [
    'RowShareLock',
    'RowExclusiveLock',
    'ShareUpdateExclusiveLock',
    'ShareLock',
    'ShareRowExclusiveLock',
    'ExclusiveLock',
    'AccessExclusiveLock',
  ],
  AccessExclusiveLock: [
    'AccessShareLock',
    'RowShareLock',
    'RowExclusiveLock',
    'ShareUpdateExclusiveLock',
    'ShareLock',
    'ShareRowExclusiveLock',
    'ExclusiveLock',
    'AccessExclusiveLock',
  ],
};

const rowConflicts: Record<RowLockStrength, readonly RowLockStrength[]> = {
  'key share': ['update'],
  share: ['no key update', 'update'],
  'no key update': ['share', 'no key update', 'update'],
  update: ['key share', 'share', 'no key update', 'update'],
};

function rowStrength(mode: LockMode): RowLockStrength | null {
  return mode.startsWith('row ') ? (mode.slice(4) as RowLockStrength) : null;
}

/** Whether two modes held by different transactions on the same object conflict. */
export function conflicts(held: LockMode, requested: LockMode): boolean {
  const heldRow = rowStrength(held);
  const requestedRow = rowStrength(requested);
  if (heldRow !== null && requestedRow !== null) return rowConflicts[heldRow].includes(requestedRow);
  if (heldRow === null && requestedRow === null) {
    return tableConflicts[held as TableLockMode].includes(requested as TableLockMode);
  }
  // Row and table modes never meet on the same object: the tags differ.
  return false;
}

/** A row lock strength's name as PostgreSQL prints it in lock waits ("FOR UPDATE"). */
export function rowLockLabel(strength: RowLockStrength): string {
  return `FOR ${strength.toUpperCase()}`;
}
