/**
 * Transaction ids. An xid is a JS integer below 2^53 that only ever grows: at a million
 * transactions per second it would take 285 years to run out, so Keel, unlike PostgreSQL's
 * 32-bit xids, needs no wraparound freezing to stay correct (VACUUM still removes dead rows).
 * Exports: Xid, InvalidXid, FrozenXid, FirstNormalXid, isNormalXid.
 */
export type Xid = number & { readonly __brand: 'Xid' };

/** "No transaction": an xmax of 0 means the row version was never deleted. */
export const InvalidXid = 0 as Xid;
/** Rows written by bootstrap (initdb) carry this xmin: committed and visible to everyone. */
export const FrozenXid = 2 as Xid;
export const FirstNormalXid = 3 as Xid;

export function isNormalXid(xid: number): xid is Xid {
  return xid >= FirstNormalXid;
}
