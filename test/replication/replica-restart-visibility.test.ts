/**
 * A hot standby's reads never go back in time across its own restart (issue 9, points 3 and 9).
 * A replica shows a commit only once the primary reported its quorum holds it; after kill -9 it
 * must not fall back to what its last restart point covered while no primary is there to report
 * the horizon again: a table it showed before the crash must still be there, with its rows.
 */
import { waitFor } from '@keel/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { query, queryRows, ReplicationGroup } from './replication-harness.js';

let group: ReplicationGroup | null = null;

afterEach(async () => {
  await group?.dispose();
  group = null;
});

const contents = 'select id, v from t order by id';

describe('hot standby reads across a replica restart', () => {
  for (const mode of [
    { name: 'asynchronous', args: [] },
    { name: 'synchronous (--sync-replicas 1)', args: ['--sync-replicas', '1'] },
  ]) {
    it(`a replica killed with SIGKILL and restarted without its primary still shows what it showed (${mode.name})`, async () => {
      const g = new ReplicationGroup(mode.args);
      group = g;
      const p = (await g.startPrimary('p')).process;
      const replica = await g.startReplica('r1', 'p');
      await query(p, 'create table t (id int primary key, v text)');
      await query(p, "insert into t select g, 'row ' || g from generate_series(1, 300) g");
      await query(p, "update t set v = 'updated' where id % 10 = 0");
      await query(p, 'alter table t add column w int');
      await query(p, 'create table t2 (a int)');
      await query(p, 'insert into t2 values (1), (2), (3)');
      const shown = await g.converged('p', 'r1', contents);
      expect(shown).toHaveLength(300);
      await g.converged('p', 'r1', 'select a from t2 order by a');
      const columns = await queryRows(replica.process, 'select * from t where id = 10');
      expect(columns).toEqual([{ id: 10, v: 'updated', w: null }]);

      // The replica crashes, and the primary is gone too: nothing can tell the restarted replica
      // the primary's visible horizon again.
      await replica.process.kill9();
      await p.kill9();
      const restartReplica = async () => {
        // Nobody connects to a replica's replication port: a fresh one each time, so that no
        // connection that took the old one as its ephemeral port meanwhile stops the restart.
        g.nodes.delete('r1');
        return (await g.startReplica('r1', 'p', [], replica.process.dataDir)).process;
      };
      const restarted = await restartReplica();
      expect(await queryRows(restarted, 'select pg_is_in_recovery() as r')).toEqual([{ r: true }]);
      expect(await queryRows(restarted, contents)).toEqual(shown);
      expect(await queryRows(restarted, 'select * from t where id = 10')).toEqual(columns);
      expect(await queryRows(restarted, 'select a from t2 order by a')).toEqual([
        { a: 1 },
        { a: 2 },
        { a: 3 },
      ]);

      // Again, with no primary in between: what it showed at its previous start still holds.
      await restarted.kill9();
      const again = await restartReplica();
      expect(await queryRows(again, contents)).toEqual(shown);
      expect(await queryRows(again, 'select a from t2 order by a')).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);

      // The primary comes back: the replica follows it as before. (In synchronous mode the
      // restarted primary shows its replayed commits once the quorum holds them again.)
      const back = (await g.startPrimary('p', [], p.dataDir)).process;
      await waitFor(
        async () =>
          (await queryRows(back, "select count(*)::int as n from pg_class where relname = 't'"))[0]?.n === 1,
        {
          what: 'the restarted primary to show t',
        },
      );
      await query(back, "insert into t values (1000, 'after the restarts', 7)");
      await g.converged('p', 'r1', 'select id, v, w from t order by id');
    });
  }
});
