/**
 * WAL shipping between real keel processes on loopback (issue 9, points 1-3 and 6), in the
 * fixed-role mode (replication-harness.ts): replicas converge on the primary's data and serve
 * read-only queries; a synchronous commit waits for a replica's flush and fails after
 * --sync-timeout when none streams; a replica killed with SIGKILL catches up; a replica that fell
 * further behind than --wal-keep-mb bootstraps again by itself; a former primary whose WAL
 * diverged is rewound and its extra transactions are quarantined.
 */
import { spawnSync } from 'node:child_process';
import { FaultProxy, keelBinaryPath, waitFor } from '@keel/testkit';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { query, queryRows, ReplicationGroup } from './replication-harness.js';

let group: ReplicationGroup | null = null;

afterEach(async () => {
  await group?.dispose();
  group = null;
});

function lsnValue(text: unknown): number {
  const [high = '0', low = '0'] = String(text).split('/');
  return Number.parseInt(high, 16) * 2 ** 32 + Number.parseInt(low, 16);
}

async function sqlState(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return error instanceof Error && 'code' in error ? String(error.code) : String(error);
  }
  return 'no error';
}

const contents = 'select id, v from t order by id';

describe('WAL shipping between keel processes', () => {
  it('replicas converge on the primary and serve read-only queries as hot standbys', async () => {
    group = new ReplicationGroup(['--sync-replicas', '1']);
    const p = (await group.startPrimary('p')).process;
    await group.startReplica('r1', 'p');
    await group.startReplica('r2', 'p');
    await query(p, 'create table t (id int primary key, v text)');
    await query(p, "insert into t select g, 'row ' || g from generate_series(1, 500) g");
    await query(p, "update t set v = 'updated' where id % 7 = 0");
    await query(p, 'delete from t where id % 11 = 0');
    await query(p, 'create index t_v on t (v)');
    const rows = await group.converged('p', 'r1', contents);
    expect(rows).toHaveLength(500 - 45);
    await group.converged('p', 'r2', contents);
    await group.converged('p', 'r2', "select count(*) from t where v = 'updated'");

    const r1 = group.node('r1').process;
    expect(await queryRows(r1, 'select pg_is_in_recovery() as r')).toEqual([{ r: true }]);
    expect(await queryRows(p, 'select pg_is_in_recovery() as r')).toEqual([{ r: false }]);
    expect(await queryRows(r1, 'show transaction_read_only')).toEqual([{ transaction_read_only: 'on' }]);
    expect(await queryRows(r1, 'show in_hot_standby')).toEqual([{ in_hot_standby: 'on' }]);
    expect(await sqlState(query(r1, "insert into t values (100000, 'x')"))).toBe('25006');
    expect(await sqlState(query(r1, 'create table u (a int)'))).toBe('25006');

    const replicas = await queryRows(
      p,
      'select application_name, state, sync_state from pg_stat_replication order by 1',
    );
    expect(replicas).toEqual([
      { application_name: 'r1', state: 'streaming', sync_state: 'quorum' },
      { application_name: 'r2', state: 'streaming', sync_state: 'quorum' },
    ]);
    const receiver = await queryRows(r1, 'select status, sender_port from pg_stat_wal_receiver');
    expect(receiver).toEqual([{ status: 'streaming', sender_port: group.node('p').replicationPort }]);

    // libpq picks the node by the ParameterStatus in_hot_standby / default_transaction_read_only.
    const hosts = `127.0.0.1:${r1.pgPort},127.0.0.1:${p.pgPort}`;
    const psql = (attrs: string) =>
      spawnSync(
        'psql',
        [
          `postgresql://keel@${hosts}/keel?target_session_attrs=${attrs}`,
          '-Atc',
          'select pg_is_in_recovery()',
        ],
        {
          encoding: 'utf8',
          env: { ...process.env, PGPASSWORD: p.adminPassword, PGCONNECT_TIMEOUT: '10' },
        },
      );
    const readWrite = psql('read-write');
    expect(readWrite.stderr).toBe('');
    expect(readWrite.stdout.trim()).toBe('f');
    expect(psql('standby').stdout.trim()).toBe('t');
  });

  it('acknowledges a synchronous commit only after a replica flushed it, and fails it after --sync-timeout with none streaming', async () => {
    group = new ReplicationGroup(['--sync-replicas', '1', '--sync-timeout', '2s']);
    const p = (await group.startPrimary('p')).process;
    const replica = await group.startReplica('r1', 'p');
    await query(p, 'create table t (id int primary key, v text)');
    await group.converged('p', 'r1', contents);

    // The only replica is frozen: the commit cannot complete, and waits visibly.
    const pid = replica.process.child.pid ?? 0;
    process.kill(pid, 'SIGSTOP');
    const writer = new pg.Client(p.clientConfig());
    await writer.connect();
    let acknowledged = false;
    const insert = writer.query("insert into t values (1, 'waits for r1')").then(() => {
      acknowledged = true;
    });
    await waitFor(
      async () => {
        const rows = await queryRows(
          p,
          "select wait_event from pg_stat_activity where query like 'insert into t%'",
        );
        return rows.some((row) => row.wait_event === 'SyncRep');
      },
      { what: 'the commit to wait for synchronous replication (pg_stat_activity)' },
    );
    expect(acknowledged).toBe(false);
    process.kill(pid, 'SIGCONT');
    await insert;
    await writer.end();
    // Acknowledged: the replica holds the commit durably.
    const flushed = await queryRows(p, 'select pg_current_wal_flush_lsn() as lsn');
    const received = await waitFor(async () => {
      const rows = await queryRows(replica.process, 'select pg_last_wal_receive_lsn() as lsn');
      return lsnValue(rows[0]?.lsn) >= lsnValue(flushed[0]?.lsn) ? rows : null;
    });
    expect(received).toHaveLength(1);
    await group.converged('p', 'r1', contents);

    // No replica at all: the commit fails with 40000 after the sync timeout and is rolled back.
    await replica.process.kill9();
    await waitFor(
      async () => (await queryRows(p, 'select count(*)::int as n from pg_stat_replication'))[0]?.n === 0,
      {
        what: 'the primary to notice the replica is gone',
      },
    );
    expect(await sqlState(query(p, "insert into t values (2, 'no quorum')"))).toBe('40000');
    expect(await queryRows(p, 'select id from t order by id')).toEqual([{ id: 1 }]);
    expect(group.logs('p', 'commit waits for the synchronous quorum').length).toBeGreaterThan(0);

    // Back again: commits go through.
    await group.startReplica('r1', 'p', [], replica.process.dataDir);
    await query(p, "insert into t values (3, 'quorum is back')");
    await group.converged('p', 'r1', contents);
  });

  it('shows DDL that was waiting for the quorum while the replica took its base backup', async () => {
    group = new ReplicationGroup(['--sync-replicas', '1']);
    const p = (await group.startPrimary('p')).process;
    // No replica yet: the CREATE TABLE writes its catalog pages, then waits before its commit
    // record; the base backup the replica takes meanwhile holds those pages, uncommitted.
    const ddl = query(p, 'create table t (id int primary key, v text)');
    await waitFor(
      async () =>
        (await queryRows(p, "select wait_event from pg_stat_activity where query like 'create table t%'"))[0]
          ?.wait_event === 'SyncRep',
      { what: 'the DDL to wait for the quorum' },
    );
    await group.startReplica('r1', 'p');
    await ddl;
    await query(p, "insert into t values (1, 'after the backup')");
    await group.converged('p', 'r1', contents);
  });

  it('gives read-your-writes on a replica: keel.read_after_lsn waits until it shows the commit', async () => {
    group = new ReplicationGroup([]);
    const p = (await group.startPrimary('p')).process;
    const proxy = new FaultProxy('127.0.0.1', group.node('p').replicationPort);
    await proxy.start();
    try {
      const r1 = (await group.startReplica('r1', 'p', [], undefined, proxy.port)).process;
      await query(p, 'create table t (id int primary key, v text)');
      await group.converged('p', 'r1', contents);
      proxy.partition();
      const writer = new pg.Client(p.clientConfig());
      await writer.connect();
      await writer.query("insert into t values (1, 'mine')");
      const lsn =
        (await writer.query<{ lsn: string }>('select pg_current_wal_lsn() as lsn')).rows[0]?.lsn ?? '';
      await writer.end();
      // Without the setting the replica answers at once, from what it has (not the new row).
      expect(await queryRows(r1, 'select id from t')).toEqual([]);
      let answered = false;
      const read = queryRows(r1, 'select id, v from t', [], [`set keel.read_after_lsn = '${lsn}'`]).then(
        (rows) => {
          answered = true;
          return rows;
        },
      );
      await waitFor(
        async () =>
          (
            await queryRows(
              r1,
              "select count(*)::int as n from pg_stat_activity where query like 'select id, v%'",
            )
          )[0]?.n === 1,
        { what: 'the read to wait on the replica' },
      );
      expect(answered).toBe(false);
      proxy.heal();
      expect(await read).toEqual([{ id: 1, v: 'mine' }]);
    } finally {
      await proxy.close();
    }
  });

  it('a replica killed with SIGKILL catches up after its restart, DDL included', async () => {
    group = new ReplicationGroup([]);
    const p = (await group.startPrimary('p')).process;
    const replica = await group.startReplica('r1', 'p');
    await query(p, 'create table t (id int primary key, v text)');
    await query(p, "insert into t select g, 'a' from generate_series(1, 200) g");
    await group.converged('p', 'r1', contents);
    await replica.process.kill9();
    await query(p, "insert into t select g, 'b' from generate_series(201, 400) g");
    await query(p, 'alter table t add column w int');
    await query(p, 'update t set w = id * 2 where id > 350');
    await query(p, 'create table t2 as select id from t where id < 10');
    await group.startReplica('r1', 'p', [], replica.process.dataDir);
    await group.converged('p', 'r1', 'select id, v, w from t order by id');
    await group.converged('p', 'r1', 'select id from t2 order by id');
  });

  it('a replica further behind than --wal-keep-mb bootstraps again from a base backup by itself', async () => {
    group = new ReplicationGroup(['--wal-keep-mb', '1', '--checkpoint-wal-mb', '16']);
    const p = (await group.startPrimary('p')).process;
    const replica = await group.startReplica('r1', 'p');
    await query(p, 'create table t (id int primary key, v text)');
    await query(p, "insert into t values (1, 'before')");
    await group.converged('p', 'r1', contents);
    await replica.process.kill9();
    // More than a 16 MiB WAL segment past the replica, then checkpoints retire what it needs.
    for (let batch = 0; batch < 8; batch++) {
      await query(
        p,
        `insert into t select g, repeat('x', 400) from generate_series(${batch * 10_000 + 2}, ${batch * 10_000 + 10_001}) g`,
      );
    }
    await query(p, 'checkpoint');
    await query(p, 'checkpoint');
    await group.startReplica('r1', 'p', [], replica.process.dataDir);
    await group.converged('p', 'r1', 'select count(*), sum(id), max(v) from t', 60_000);
    expect(group.logs('r1', 'bootstrapping from a base backup of the primary').length).toBeGreaterThan(0);
    expect(group.logs('r1', 'base backup installed').length).toBe(1);
    expect(group.logs('p', 'base backup progress').length).toBeGreaterThan(0);
  });

  it('rewinds a former primary whose WAL diverged and quarantines what it wrote past the divergence', async () => {
    group = new ReplicationGroup([]);
    const first = await group.startPrimary('p');
    const replica = await group.startReplica('r1', 'p');
    const p = first.process;
    await query(p, 'create table t (id int primary key, v text)');
    await query(p, "insert into t select g, 'common' from generate_series(1, 50) g");
    await group.converged('p', 'r1', contents);
    // r1 goes away; p keeps writing (asynchronous mode acknowledges), then crashes.
    await replica.process.kill9();
    await query(p, "insert into t values (1001, 'lost-on-failover-1'), (1002, 'lost-on-failover-2')");
    await query(p, "update t set v = 'changed-on-old-primary' where id = 7");
    await p.kill9();
    // r1 becomes primary in a new term and takes writes of its own.
    await group.startPrimary('r1', [], replica.process.dataDir);
    const r1 = group.node('r1').process;
    await query(r1, "insert into t values (2001, 'new-primary')");
    // The old primary comes back as r1's replica: it must rewind, not stream.
    await group.startReplica('p', 'r1', [], p.dataDir);
    const rows = await group.converged('r1', 'p', contents);
    expect(JSON.stringify(rows)).not.toContain('lost-on-failover');
    expect(JSON.stringify(rows)).toContain('new-primary');
    const quarantined = group.logs('p', 'transactions written past the divergence point were quarantined');
    expect(quarantined).toHaveLength(1);
    expect(quarantined[0]?.transactions).toBe(2);
    expect(group.logs('p', 'rewind installed')).toHaveLength(1);
    const show = spawnSync(
      process.execPath,
      [keelBinaryPath, 'quarantine', 'show', '--data-dir', p.dataDir],
      { encoding: 'utf8' },
    );
    expect(show.status).toBe(0);
    expect(show.stdout).toContain('2 transaction(s)');
    expect(show.stdout).toContain('lost-on-failover-1');
    expect(show.stdout).toContain('changed-on-old-primary');
  });
});
