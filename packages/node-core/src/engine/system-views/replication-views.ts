/**
 * pg_stat_replication (on a primary: one row per replica streaming from it, with its sent, write,
 * flush and replay positions and lags) and pg_stat_wal_receiver (on a replica: its stream from
 * the primary), in PostgreSQL's columns, from the replication layer's status (the server
 * installs it as engine.replication.views). LSNs print in PostgreSQL's X/Y form; lags are
 * intervals. Keel has no walsender processes: pid is NULL. Both are empty without replication.
 * Exports: replicationRowBuilders, formatLsn.
 */
import type { Value } from '../../access/table-access.js';
import type { EngineCatalogReader } from '../catalog-reader.js';

type RowObject = Record<string, Value>;

/** PostgreSQL's pg_lsn text form: high and low 32 bits in hex. */
export function formatLsn(lsn: unknown): string | null {
  if (typeof lsn !== 'number' || !Number.isSafeInteger(lsn) || lsn < 0) return null;
  const high = Math.floor(lsn / 2 ** 32);
  const low = lsn % 2 ** 32;
  return `${high.toString(16).toUpperCase()}/${low.toString(16).toUpperCase()}`;
}

function interval(ms: unknown): Value {
  if (typeof ms !== 'number') return null;
  return { months: 0, days: 0, micros: BigInt(Math.round(ms * 1000)) };
}

function timestampAgo(ms: unknown): Value {
  if (typeof ms !== 'number') return null;
  return BigInt(Date.now() - ms - Date.UTC(2000, 0, 1)) * 1000n;
}

function text(value: unknown): Value {
  return typeof value === 'string' ? value : value === null || value === undefined ? null : String(value);
}

function replicationRows(reader: EngineCatalogReader): RowObject[] {
  const source = reader.context.engine.replication.views;
  if (source === null) return [];
  return source.replicas().map((r) => ({
    pid: null,
    usesysid: 10,
    usename: 'keel',
    application_name: text(r.application_name),
    client_addr: text(r.client_addr),
    client_hostname: null,
    client_port: null,
    backend_start: null,
    backend_xmin: null,
    state: r.state === 'catchup' ? 'catchup' : 'streaming',
    sent_lsn: formatLsn(r.sent_lsn),
    write_lsn: formatLsn(r.write_lsn),
    flush_lsn: formatLsn(r.flush_lsn),
    replay_lsn: formatLsn(r.replay_lsn),
    write_lag: interval(r.flush_lag_ms),
    flush_lag: interval(r.flush_lag_ms),
    replay_lag: interval(r.replay_lag_ms),
    sync_priority: r.sync_state === 'quorum' ? 1 : 0,
    sync_state: text(r.sync_state),
    reply_time: timestampAgo(r.reply_ago_ms),
  }));
}

function receiverRows(reader: EngineCatalogReader): RowObject[] {
  const row = reader.context.engine.replication.views?.receiver() ?? null;
  if (row === null) return [];
  return [
    {
      pid: null,
      status: text(row.status),
      receive_start_lsn: null,
      receive_start_tli: null,
      written_lsn: formatLsn(row.received_lsn),
      flushed_lsn: formatLsn(row.flushed_lsn),
      received_tli: typeof row.received_tli === 'number' ? row.received_tli : null,
      last_msg_send_time: null,
      last_msg_receipt_time: timestampAgo(row.last_msg_ago_ms),
      latest_end_lsn: formatLsn(row.primary_flush_lsn),
      latest_end_time: null,
      slot_name: null,
      sender_host: text(row.sender_host),
      sender_port: typeof row.sender_port === 'number' ? row.sender_port : null,
      conninfo: text(row.primary_id === undefined ? null : `primary=${String(row.primary_id)}`),
    },
  ];
}

export const replicationRowBuilders: Record<string, (reader: EngineCatalogReader) => RowObject[]> = {
  pg_stat_replication: replicationRows,
  pg_stat_wal_receiver: receiverRows,
};
