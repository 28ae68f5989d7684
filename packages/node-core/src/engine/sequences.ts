/**
 * Sequence state and nextval/currval/setval, with PostgreSQL's semantics: nextval is not
 * transactional (a rolled-back transaction does not give its numbers back), values are unique
 * for the life of the sequence, and bounds raise 2200H unless the sequence cycles.
 * Durability as in PostgreSQL: a WAL record is written every 32 values ahead ("prefetch"), so
 * after a crash the sequence resumes past anything a committed transaction could have seen
 * (that transaction's commit flushed the record); a gap of up to 32 values is expected.
 * Exports: SequenceManager, SequenceWal, SessionSequenceState.
 */
import { assert, KeelError, SqlState } from '@keel/errors';
import type { Oid, SequenceRelation } from '../catalog/objects.js';

const PREFETCH = 32n;

export interface SequenceWal {
  appendSequence(payload: Uint8Array): number;
}

interface SequenceState {
  last: bigint;
  isCalled: boolean;
  /** The value the last WAL record promised to resume after. */
  logged: bigint;
}

/** Per-session memory for currval/lastval. */
export class SessionSequenceState {
  readonly current = new Map<Oid, bigint>();
  last: { oid: Oid; value: bigint } | null = null;
}

export class SequenceManager {
  private readonly states = new Map<Oid, SequenceState>();

  constructor(private readonly wal: SequenceWal) {}

  create(sequenceOid: Oid, start: bigint): void {
    this.states.set(sequenceOid, { last: start, isCalled: false, logged: start });
    this.log(sequenceOid, start, false);
  }

  drop(sequenceOid: Oid): void {
    this.states.delete(sequenceOid);
  }

  nextval(sequence: SequenceRelation, session: SessionSequenceState): bigint {
    const state = this.stateOf(sequence);
    let value = state.isCalled ? state.last + sequence.increment : state.last;
    if (value > sequence.max || value < sequence.min) {
      if (!sequence.cycle) {
        const bound =
          value > sequence.max
            ? `maximum value of sequence "${sequence.name}" (${sequence.max})`
            : `minimum value of sequence "${sequence.name}" (${sequence.min})`;
        throw new KeelError(SqlState.SequenceGeneratorLimitExceeded, `nextval: reached ${bound}`);
      }
      value = sequence.increment > 0n ? sequence.min : sequence.max;
    }
    state.last = value;
    state.isCalled = true;
    const beyondLogged = sequence.increment > 0n ? value >= state.logged : value <= state.logged;
    if (beyondLogged) {
      state.logged = value + sequence.increment * PREFETCH;
      this.log(sequence.oid, state.logged, true);
    }
    session.current.set(sequence.oid, value);
    session.last = { oid: sequence.oid, value };
    return value;
  }

  currval(sequence: SequenceRelation, session: SessionSequenceState): bigint {
    const value = session.current.get(sequence.oid);
    if (value === undefined) {
      throw new KeelError(
        SqlState.ObjectNotInPrerequisiteState,
        `currval of sequence "${sequence.name}" is not yet defined in this session`,
      );
    }
    return value;
  }

  setval(
    sequence: SequenceRelation,
    value: bigint,
    isCalled: boolean,
    session: SessionSequenceState,
  ): bigint {
    if (value < sequence.min || value > sequence.max) {
      throw new KeelError(
        SqlState.NumericValueOutOfRange,
        `setval: value ${value} is out of bounds for sequence "${sequence.name}" (${sequence.min}..${sequence.max})`,
      );
    }
    const state = this.stateOf(sequence);
    state.last = value;
    state.isCalled = isCalled;
    state.logged = value;
    this.log(sequence.oid, value, isCalled);
    if (isCalled) session.current.set(sequence.oid, value);
    return value;
  }

  /** ALTER SEQUENCE ... RESTART [WITH n]. */
  restart(sequence: SequenceRelation, value: bigint): void {
    const state = this.stateOf(sequence);
    state.last = value;
    state.isCalled = false;
    state.logged = value;
    this.log(sequence.oid, value, false);
  }

  /** What pg_sequences / SELECT * FROM seq show: last_value and is_called. */
  peek(sequenceOid: Oid): { last: bigint; isCalled: boolean } | null {
    const state = this.states.get(sequenceOid);
    return state === undefined ? null : { last: state.last, isCalled: state.isCalled };
  }

  /** Redo of a sequence record: after a crash the sequence resumes past the logged value. */
  redo(payload: Uint8Array): void {
    const { oid, value, isCalled } = decodeSequenceRecord(payload);
    this.states.set(oid, { last: value, isCalled, logged: value });
  }

  /** Checkpoint: the state to persist, as (oid, last, isCalled) rows. */
  snapshot(): { oid: Oid; last: string; isCalled: boolean }[] {
    return [...this.states].map(([oid, s]) => ({
      oid,
      last: s.logged.toString(),
      isCalled: s.isCalled || s.logged !== s.last,
    }));
  }

  load(rows: { oid: Oid; last: string; isCalled: boolean }[]): void {
    for (const row of rows) {
      const last = BigInt(row.last);
      this.states.set(row.oid, { last, isCalled: row.isCalled, logged: last });
    }
  }

  private stateOf(sequence: SequenceRelation): SequenceState {
    let state = this.states.get(sequence.oid);
    if (state === undefined) {
      // A sequence created before its state was persisted: start over from its START value.
      state = { last: sequence.start, isCalled: false, logged: sequence.start };
      this.states.set(sequence.oid, state);
    }
    return state;
  }

  private log(oid: Oid, value: bigint, isCalled: boolean): void {
    this.wal.appendSequence(encodeSequenceRecord(oid, value, isCalled));
  }
}

function encodeSequenceRecord(oid: Oid, value: bigint, isCalled: boolean): Uint8Array {
  const bytes = Buffer.alloc(17);
  bytes.writeUInt32BE(oid, 0);
  bytes.writeBigInt64BE(value, 4);
  bytes.writeUInt8(isCalled ? 1 : 0, 12);
  return bytes.subarray(0, 13);
}

function decodeSequenceRecord(payload: Uint8Array): { oid: Oid; value: bigint; isCalled: boolean } {
  assert(payload.byteLength >= 13, 'sequence record too short');
  const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  return { oid: bytes.readUInt32BE(0), value: bytes.readBigInt64BE(4), isCalled: bytes.readUInt8(12) === 1 };
}
