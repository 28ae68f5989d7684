/**
 * Little-endian encoding of 53-bit safe integers (LSNs, xids, tids) in 8 bytes: two 32-bit
 * halves, because Buffer's own integer writers stop at 48 bits and BigInt would allocate.
 * Exports: readU53, writeU53.
 */

const TWO_32 = 2 ** 32;

export function writeU53(buf: Buffer, offset: number, value: number): void {
  buf.writeUInt32LE(value % TWO_32, offset);
  buf.writeUInt32LE(Math.floor(value / TWO_32), offset + 4);
}

export function readU53(buf: Buffer, offset: number): number {
  return buf.readUInt32LE(offset) + buf.readUInt32LE(offset + 4) * TWO_32;
}
