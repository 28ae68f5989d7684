/**
 * The end-of-recovery record (rmgr Xlog, info EndOfRecovery): a promoted standby's first record.
 * It starts the new term's WAL, so the term of a node's last durable record (the vote rule's data
 * position) moves at once, and standbys replaying it learn where the term began (their term
 * history). Storage redo ignores it. Payload: term and previous term.
 * Exports: encodeEndOfRecovery, decodeEndOfRecovery.
 */
import { readU53, writeU53 } from '../../storage/int53.js';

export function encodeEndOfRecovery(term: number, previousTerm: number): Buffer {
  const buf = Buffer.alloc(16);
  writeU53(buf, 0, term);
  writeU53(buf, 8, previousTerm);
  return buf;
}

export function decodeEndOfRecovery(payload: Buffer): { term: number; previousTerm: number } {
  return { term: readU53(payload, 0), previousTerm: readU53(payload, 8) };
}
