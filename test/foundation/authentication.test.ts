/**
 * No anonymous access: SCRAM-SHA-256 by default, MD5 when the node is configured for it, and a
 * wrong password refused with 28P01 and logged.
 */
import { createHash } from 'node:crypto';
import { KeelProcess, waitFor } from '@keel/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('authentication', () => {
  let node: KeelProcess;

  beforeAll(async () => {
    node = await KeelProcess.start();
  });

  afterAll(async () => {
    await node.dispose();
  });

  it('accepts the right password over SCRAM-SHA-256', async () => {
    const client = new pg.Client(node.clientConfig());
    await client.connect();
    expect((await client.query('SELECT current_user AS who')).rows).toEqual([{ who: 'keel' }]);
    await client.end();
  });

  it('refuses a wrong password with 28P01 and logs the failure', async () => {
    const client = new pg.Client(node.clientConfig({ password: 'wrong' }));
    await expect(client.connect()).rejects.toMatchObject({ code: '28P01' });
    await waitFor(
      () =>
        node
          .jsonLogs()
          .some((line) => /authentication failed/.test(String(line.msg)) && line.user === 'keel'),
      {
        what: 'a log line about the failed authentication',
      },
    );
  });

  it('refuses an unknown user with the same 28P01, revealing nothing', async () => {
    const client = new pg.Client(node.clientConfig({ user: 'mallory', password: 'x' }));
    await expect(client.connect()).rejects.toMatchObject({ code: '28P01' });
  });

  it('lets a role created with a password log in, and only with it', async () => {
    const admin = new pg.Client(node.clientConfig());
    await admin.connect();
    await admin.query("CREATE ROLE app LOGIN PASSWORD 'app-secret'");
    await admin.end();
    const app = new pg.Client(node.clientConfig({ user: 'app', password: 'app-secret', database: 'keel' }));
    await app.connect();
    await app.end();
    const wrong = new pg.Client(node.clientConfig({ user: 'app', password: 'nope', database: 'keel' }));
    await expect(wrong.connect()).rejects.toMatchObject({ code: '28P01' });
  });
});

describe('md5 authentication', () => {
  it('works when the node is started with --auth-method md5 and the role has an md5 password', async () => {
    const node = await KeelProcess.start({ args: ['--auth-method', 'md5'] });
    try {
      const admin = new pg.Client(node.clientConfig());
      await admin.connect();
      const hash = `md5${createHash('md5').update('legacy-secretlegacy').digest('hex')}`;
      await admin.query(`CREATE ROLE legacy LOGIN PASSWORD '${hash}'`);
      await admin.end();
      const good = new pg.Client(node.clientConfig({ user: 'legacy', password: 'legacy-secret' }));
      await good.connect();
      expect((await good.query('SELECT current_user AS who')).rows).toEqual([{ who: 'legacy' }]);
      await good.end();
      const bad = new pg.Client(node.clientConfig({ user: 'legacy', password: 'whatever' }));
      await expect(bad.connect()).rejects.toMatchObject({ code: '28P01' });
    } finally {
      await node.dispose();
    }
  });
});
