/**
 * psql, PostgreSQL's own client, against a Keel node: connect with a password, run statements,
 * see results and errors in psql's usual format.
 */
import { spawnSync } from 'node:child_process';
import { KeelProcess } from '@keel/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let node: KeelProcess;

beforeAll(async () => {
  node = await KeelProcess.start();
});

afterAll(async () => {
  await node.dispose();
});

function psql(sql: string) {
  return spawnSync(
    'psql',
    [
      '-X',
      '-h',
      '127.0.0.1',
      '-p',
      String(node.pgPort),
      '-U',
      'keel',
      '-d',
      'keel',
      '-v',
      'ON_ERROR_STOP=1',
      '-c',
      sql,
    ],
    {
      encoding: 'utf8',
      env: { ...process.env, PGPASSWORD: node.adminPassword, PGCONNECT_TIMEOUT: '10' },
    },
  );
}

describe('psql', () => {
  it('connects, creates, inserts and selects', () => {
    expect(psql('CREATE TABLE t (id int PRIMARY KEY, name text)').stdout).toContain('CREATE TABLE');
    expect(psql("INSERT INTO t VALUES (1, 'one'), (2, 'two')").stdout).toContain('INSERT 0 2');
    const select = psql('SELECT id, name FROM t ORDER BY id');
    expect(select.status).toBe(0);
    expect(select.stdout).toBe(' id | name \n----+------\n  1 | one\n  2 | two\n(2 rows)\n\n');
  });

  it('shows errors with their message and exits non-zero with ON_ERROR_STOP', () => {
    const result = psql('SELECT * FROM nowhere');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('ERROR:  relation "nowhere" does not exist');
  });

  it('fails to connect with a wrong password', () => {
    const result = spawnSync(
      'psql',
      ['-X', '-h', '127.0.0.1', '-p', String(node.pgPort), '-U', 'keel', '-d', 'keel', '-c', 'SELECT 1'],
      {
        encoding: 'utf8',
        env: { ...process.env, PGPASSWORD: 'wrong', PGCONNECT_TIMEOUT: '10' },
      },
    );
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('password authentication failed for user "keel"');
  });
});
