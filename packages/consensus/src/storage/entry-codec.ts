/**
 * Byte encodings of log entries and cluster configurations for the durable store. An encoded
 * entry is `index u64 | term u64 | type u8 | body`, where the body is the command's bytes, empty
 * for a no-op, or the configuration as UTF-8 JSON. Decoding treats its input as untrusted: every
 * field is checked and a malformed record is reported, never half-read.
 * Exports: encodeEntry, decodeEntry, encodeConfig, decodeConfig, DecodeError.
 */
import { type ClusterConfig, type Entry, type EntryBody, LogIndex, Term } from '../raft/types.js';

const typeCommand = 1;
const typeNoop = 2;
const typeConfig = 3;
const headerBytes = 17;

/** A record that does not decode; the store treats it as the end of the valid log. */
export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeConfig(config: ClusterConfig): Uint8Array {
  return encoder.encode(JSON.stringify(config));
}

function stringArray(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new DecodeError(`config ${what} is not a list of strings`);
  }
  return value;
}

export function decodeConfig(bytes: Uint8Array): ClusterConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(bytes));
  } catch (cause) {
    throw new DecodeError(`config is not valid JSON: ${String(cause)}`);
  }
  if (typeof raw !== 'object' || raw === null) throw new DecodeError('config is not an object');
  const voters = stringArray(Reflect.get(raw, 'voters'), 'voters');
  const learners = stringArray(Reflect.get(raw, 'learners'), 'learners');
  const addressesRaw: unknown = Reflect.get(raw, 'addresses');
  if (typeof addressesRaw !== 'object' || addressesRaw === null)
    throw new DecodeError('config addresses missing');
  const addresses: Record<string, string> = {};
  for (const [id, address] of Object.entries(addressesRaw)) {
    if (typeof address !== 'string') throw new DecodeError(`config address of ${id} is not a string`);
    addresses[id] = address;
  }
  return { voters, learners, addresses };
}

function bodyBytes(body: EntryBody): [number, Uint8Array] {
  switch (body.type) {
    case 'command':
      return [typeCommand, body.command];
    case 'noop':
      return [typeNoop, new Uint8Array(0)];
    case 'config':
      return [typeConfig, encodeConfig(body.config)];
  }
}

export function encodeEntry(entry: Entry): Uint8Array {
  const [type, body] = bodyBytes(entry.body);
  const out = new Uint8Array(headerBytes + body.length);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(entry.index));
  view.setBigUint64(8, BigInt(entry.term));
  view.setUint8(16, type);
  out.set(body, headerBytes);
  return out;
}

function safeNumber(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new DecodeError(`${what} ${value} is out of range`);
  return Number(value);
}

export function decodeEntry(bytes: Uint8Array): Entry {
  if (bytes.length < headerBytes) throw new DecodeError(`entry record of ${bytes.length} bytes is too short`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const index = LogIndex(safeNumber(view.getBigUint64(0), 'index'));
  const term = Term(safeNumber(view.getBigUint64(8), 'term'));
  const type = view.getUint8(16);
  // A plain copy: the input may be a Buffer over a larger file image.
  const body = new Uint8Array(bytes.subarray(headerBytes));
  switch (type) {
    case typeCommand:
      return { index, term, body: { type: 'command', command: body } };
    case typeNoop:
      return { index, term, body: { type: 'noop' } };
    case typeConfig:
      return { index, term, body: { type: 'config', config: decodeConfig(body) } };
    default:
      throw new DecodeError(`unknown entry type ${type}`);
  }
}
