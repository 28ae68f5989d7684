/**
 * The driver over real gRPC on loopback, with in-memory storage (sim/memory-storage.ts): roles,
 * streaming, the synchronous commit gate and its timeout, catch-up waits, status, fencing,
 * refusal of a wrong primary, and a bootstrap of a node from another database.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ReplicationControl } from '../control.js';
import { silentLogger } from '../logger.js';
import { MemoryStorage } from '../sim/memory-storage.js';
import { startReplication } from './replication-node.js';

const nodes: ReplicationControl[] = [];

/** Polls until `condition` holds (no fixed sleeps); fails naming `what` after 10 s. */
async function waitFor(condition: () => boolean, options: { what: string }): Promise<void> {
  await vi.waitFor(
    () => {
      if (!condition()) throw new Error(`still waiting for ${options.what}`);
    },
    { timeout: 10_000, interval: 10 },
  );
}

afterEach(async () => {
  await Promise.all(nodes.splice(0).map((node) => node.close()));
});

async function node(id: string, storage: MemoryStorage, options: { sync?: number; timeoutMs?: number } = {}) {
  const control = await startReplication({
    nodeId: id,
    listenHost: '127.0.0.1',
    port: 0,
    storage,
    syncReplicas: options.sync ?? 0,
    syncTimeoutMs: options.timeoutMs ?? 0,
    walKeepBytes: 1 << 20,
    logger: silentLogger,
    replicaTimeoutMs: 1000,
  });
  nodes.push(control);
  return control;
}

const address = (id: string, control: ReplicationControl) => ({ id, host: '127.0.0.1', port: control.port });

describe('replication driver over gRPC', () => {
  it('streams WAL to a replica, reports positions, and shows commits there once replayed', async () => {
    const ps = new MemoryStorage('sys');
    const rs = new MemoryStorage('sys');
    const p = await node('p', ps);
    const r = await node('r', rs);
    expect(p.status().role).toBe('stopped');
    await p.startAsPrimary({ term: 1 });
    await r.startAsReplica({ primary: address('p', p) });
    for (let i = 0; i < 20; i++) ps.write(i);
    const lsn = await ps.commit('on');
    await p.waitForReplicaCatchUp('r', lsn, { timeoutMs: 10_000 });
    await waitFor(() => rs.visible >= lsn, { what: 'the replica to show the commit' });
    expect(rs.wal.equals(ps.wal.subarray(0, rs.wal.length))).toBe(true);
    const status = p.status();
    expect(status).toMatchObject({ role: 'primary', writable: true, writableReason: 'primary', term: 1 });
    expect(status.replicas.map((x) => [x.nodeId, x.state, x.syncState])).toEqual([
      ['r', 'streaming', 'async'],
    ]);
    expect(r.status().upstream).toMatchObject({ state: 'streaming', primary: { id: 'p' } });
    expect(r.dataPosition()).toEqual({ term: 1, lsn: BigInt(rs.flushed) });
  });

  it('holds a synchronous commit until a replica flushed it, and fails a waiting commit after the sync timeout', async () => {
    const ps = new MemoryStorage('sys');
    const rs = new MemoryStorage('sys');
    const p = await node('p', ps, { sync: 1, timeoutMs: 300 });
    const r = await node('r', rs);
    await p.startAsPrimary({ term: 1 });
    // No replica yet: not writable, and a commit times out with 40000 before its record.
    expect(p.status()).toMatchObject({
      writable: false,
      writableReason: 'waiting for 1 synchronous replica(s), 0 streaming',
    });
    const end = ps.wal.length;
    await expect(ps.commit('on')).rejects.toMatchObject({ sqlstate: '40000' });
    expect(ps.wal.length).toBe(end);
    await r.startAsReplica({ primary: address('p', p) });
    await waitFor(() => p.status().writable, { what: 'the quorum' });
    const lsn = await ps.commit('on');
    expect(rs.flushed).toBeGreaterThanOrEqual(lsn);
    // A replica that stops following: commits wait again (none blocked yet, so none failed).
    await r.stop();
    await waitFor(() => !p.status().writable, { what: 'the primary to notice the replica left' });
    const blocked = ps.commit('on');
    await waitFor(() => p.status().sync.commitsBlocked === 1, { what: 'the commit to wait' });
    await r.startAsReplica({ primary: address('p', p) });
    await blocked;
  });

  it('a remote_apply commit waits for the replica to replay it; off and local wait like on in sync mode', async () => {
    const ps = new MemoryStorage('sys');
    const rs = new MemoryStorage('sys');
    const p = await node('p', ps, { sync: 1 });
    const r = await node('r', rs);
    await p.startAsPrimary({ term: 1 });
    await r.startAsReplica({ primary: address('p', p) });
    await waitFor(() => p.status().writable, { what: 'the quorum' });
    for (const level of ['remote_apply', 'off', 'local', 'remote_write'] as const) {
      const lsn = await ps.commit(level);
      expect(rs.flushed, level).toBeGreaterThanOrEqual(lsn);
      if (level === 'remote_apply') expect(rs.replayed).toBeGreaterThanOrEqual(lsn);
    }
  });

  it('switches roles: the replica is promoted in a new term and the old primary follows it', async () => {
    const ps = new MemoryStorage('sys');
    const rs = new MemoryStorage('sys');
    const p = await node('p', ps);
    const r = await node('r', rs);
    await p.startAsPrimary({ term: 1 });
    await r.startAsReplica({ primary: address('p', p) });
    const lsn = await ps.commit('on');
    await p.waitForReplicaCatchUp('r', lsn);
    await p.stop();
    expect(p.status()).toMatchObject({ role: 'stopped', writable: false });
    await r.startAsPrimary({ term: 2 });
    await p.startAsReplica({ primary: address('r', r) });
    expect(ps.calls).toContain('demote following r');
    const next = await rs.commit('on');
    await r.waitForReplicaCatchUp('p', next);
    expect(ps.wal.equals(rs.wal.subarray(0, ps.wal.length))).toBe(true);
    expect(p.dataPosition().term).toBe(2);
    await expect(p.waitForReplicaCatchUp('r')).rejects.toMatchObject({ sqlstate: '55000' });
  });

  it('refuses a replica that expects another node, and bootstraps one from another database', async () => {
    const ps = new MemoryStorage('sys');
    const p = await node('p', ps);
    await p.startAsPrimary({ term: 1 });
    await ps.commit('on');
    const wrong = await node('w', new MemoryStorage('sys'));
    await wrong.startAsReplica({ primary: address('someone-else', p) });
    await waitFor(() => wrong.status().upstream?.detail?.includes('not someone-else') === true, {
      what: 'the refusal',
    });
    const os = new MemoryStorage('other');
    const other = await node('o', os);
    await other.startAsReplica({ primary: address('p', p) });
    await waitFor(() => os.systemId === 'sys' && other.status().upstream?.state === 'streaming', {
      what: 'the bootstrap',
    });
    expect(os.calls).toEqual(['install']);
    expect(ps.calls).toContain('backup');
    expect(other.status().upstream?.bootstraps).toBe(1);
  });
});
