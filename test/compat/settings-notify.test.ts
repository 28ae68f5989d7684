/**
 * Session settings as clients use them: SET, SET LOCAL (undone at transaction end), RESET, SHOW,
 * current_setting()/set_config(), errors for unknown settings and bad values, ParameterStatus
 * messages for the settings PostgreSQL reports (TimeZone, DateStyle, application_name, ...).
 * LISTEN/NOTIFY/UNLISTEN and pg_notify(): notifications reach other sessions through
 * node-postgres' `notification` event when the sending transaction commits, in commit order,
 * never when it (or the savepoint around the NOTIFY) rolls back; LISTEN itself takes effect at
 * commit; a listener inside a transaction block hears them when the block ends.
 */
import { KeelProcess, waitFor } from '@keel/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let node: KeelProcess;

beforeAll(async () => {
  node = await KeelProcess.start();
});

afterAll(async () => {
  await node?.dispose();
});

async function connected(): Promise<pg.Client> {
  const client = new pg.Client(node.clientConfig());
  await client.connect();
  return client;
}

async function show(client: pg.Client, name: string): Promise<string> {
  const result = await client.query(`SHOW ${name}`);
  return String(Object.values(result.rows[0] ?? {})[0]);
}

/** ParameterStatus messages the server sends to `client`. */
function parameterStatuses(client: pg.Client): [string, string][] {
  const seen: [string, string][] = [];
  const connection = (client as unknown as { connection: NodeJS.EventEmitter }).connection;
  connection.on('parameterStatus', (message: { parameterName: string; parameterValue: string }) => {
    seen.push([message.parameterName, message.parameterValue]);
  });
  return seen;
}

describe('session settings', () => {
  it('SET, SHOW, RESET and SET LOCAL behave as in PostgreSQL', async () => {
    const client = await connected();
    await client.query('SET search_path TO public, pg_catalog');
    expect(await show(client, 'search_path')).toBe('public, pg_catalog');
    await client.query("SET statement_timeout = '5s'");
    expect(await show(client, 'statement_timeout')).toBe('5s');
    await client.query('RESET statement_timeout');
    expect(await show(client, 'statement_timeout')).toBe('0');
    await client.query('BEGIN');
    await client.query("SET LOCAL lock_timeout = '2s'");
    expect(await show(client, 'lock_timeout')).toBe('2s');
    await client.query('COMMIT');
    expect(await show(client, 'lock_timeout')).toBe('0');
    await client.query('BEGIN');
    await client.query("SET TimeZone = 'America/New_York'");
    await client.query('ROLLBACK');
    expect(await show(client, 'TimeZone')).toBe('UTC');
    for (const [name, value, shown] of [
      ['DateStyle', "'SQL, DMY'", 'SQL, DMY'],
      ['IntervalStyle', 'iso_8601', 'iso_8601'],
      ['client_min_messages', 'warning', 'warning'],
      ['extra_float_digits', '3', '3'],
      ['bytea_output', 'escape', 'escape'],
      ['default_transaction_isolation', "'repeatable read'", 'repeatable read'],
      ['standard_conforming_strings', 'on', 'on'],
      ['client_encoding', "'UTF8'", 'UTF8'],
    ]) {
      await client.query(`SET ${name} = ${value}`);
      expect(await show(client, name as string)).toBe(shown);
    }
    await client.end();
  });

  it('current_setting and set_config read and write settings; unknown names and bad values fail', async () => {
    const client = await connected();
    const set = await client.query("SELECT set_config('application_name', 'reporting', false) AS v");
    expect(set.rows[0]).toEqual({ v: 'reporting' });
    const read = await client.query(
      "SELECT current_setting('application_name') AS a, current_setting('no.such', true) AS b",
    );
    expect(read.rows[0]).toEqual({ a: 'reporting', b: null });
    await client.query('BEGIN');
    await client.query("SELECT set_config('search_path', 'nowhere', true)");
    expect(await show(client, 'search_path')).toBe('nowhere');
    await client.query('COMMIT');
    expect(await show(client, 'search_path')).toBe('"$user", public');
    await client.query("SET myapp.tenant = 'acme'");
    expect(await show(client, 'myapp.tenant')).toBe('acme');
    await expect(client.query('SET no_such_setting = 1')).rejects.toMatchObject({ code: '42704' });
    await expect(client.query("SET statement_timeout = 'soon'")).rejects.toMatchObject({ code: '22023' });
    await expect(client.query("SELECT current_setting('no_such_setting')")).rejects.toMatchObject({
      code: '42704',
    });
    await client.end();
  });

  it('reports settings with ParameterStatus at startup and when they change', async () => {
    const client = new pg.Client({ ...node.clientConfig(), application_name: 'first' });
    const statuses = parameterStatuses(client);
    await client.connect();
    const startup = new Map(statuses);
    expect(startup.get('server_version')).toMatch(/^16\./);
    expect(startup.get('application_name')).toBe('first');
    for (const name of [
      'TimeZone',
      'DateStyle',
      'client_encoding',
      'standard_conforming_strings',
      'integer_datetimes',
    ]) {
      expect(startup.has(name), name).toBe(true);
    }
    statuses.length = 0;
    await client.query("SET TimeZone = 'Asia/Tokyo'");
    await client.query("SET application_name = 'second'");
    await client.query('SET statement_timeout = 1000');
    expect(statuses).toEqual([
      ['TimeZone', 'Asia/Tokyo'],
      ['application_name', 'second'],
    ]);
    await client.end();
  });
});

describe('setting values as PostgreSQL normalizes them', () => {
  it('time zones given as offsets, zone names, DateStyle halves, units and levels', async () => {
    const client = await connected();
    const statuses = parameterStatuses(client);
    await client.query('SET TIME ZONE -5');
    expect(await show(client, 'TimeZone')).toBe('<-05>+05');
    await client.query("SET TIME ZONE INTERVAL '+02:00' HOUR TO MINUTE");
    expect(await show(client, 'TimeZone')).toBe('<+02>-02');
    const east = await client.query("SELECT '2024-01-01 00:00:00+00'::timestamptz::text AS t");
    expect(east.rows[0]).toEqual({ t: '2024-01-01 02:00:00+02' });
    await client.query("SET TimeZone = '5.5'");
    expect(await show(client, 'TimeZone')).toBe('<+05:30>-05:30');
    await client.query("SET TimeZone = 'Asia/Kolkata'");
    expect(await show(client, 'TimeZone')).toBe('Asia/Kolkata');
    expect(statuses).toEqual([
      ['TimeZone', '<-05>+05'],
      ['TimeZone', '<+02>-02'],
      ['TimeZone', '<+05:30>-05:30'],
      ['TimeZone', 'Asia/Kolkata'],
    ]);

    await client.query("SET DateStyle = 'German'");
    expect(await show(client, 'DateStyle')).toBe('German, DMY');
    await client.query('SET DateStyle = ISO');
    expect(await show(client, 'DateStyle')).toBe('ISO, DMY');
    await client.query('SET DateStyle = ymd');
    expect(await show(client, 'DateStyle')).toBe('ISO, YMD');

    await client.query("SET lock_timeout = '1500us'");
    expect(await show(client, 'lock_timeout')).toBe('2ms');
    await expect(client.query('SET statement_timeout = -1')).rejects.toMatchObject({
      code: '22023',
      message: '-1 ms is outside the valid range for parameter "statement_timeout" (0 .. 2147483647)',
    });
    await client.query('SET client_min_messages = debug');
    expect(await show(client, 'client_min_messages')).toBe('debug2');
    await client.query("SET application_name = 'café'");
    expect(await show(client, 'application_name')).toBe('caf\\xc3\\xa9');
    await client.query('SET SESSION AUTHORIZATION DEFAULT');
    await client.query('RESET SESSION AUTHORIZATION');
    await client.end();
  });

  it('pg_settings gives vartype, unit, range and enum values, and the setting in its unit', async () => {
    const client = await connected();
    await client.query("SET statement_timeout = '5s'");
    const rows = await client.query(
      "SELECT name, setting, unit, vartype, min_val, max_val, enumvals FROM pg_settings WHERE name IN ('statement_timeout', 'bytea_output', 'extra_float_digits', 'jit', 'work_mem', 'search_path') ORDER BY name",
    );
    expect(rows.rows).toEqual([
      {
        name: 'bytea_output',
        setting: 'hex',
        unit: null,
        vartype: 'enum',
        min_val: null,
        max_val: null,
        enumvals: ['hex', 'escape'],
      },
      {
        name: 'extra_float_digits',
        setting: '1',
        unit: null,
        vartype: 'integer',
        min_val: '-15',
        max_val: '3',
        enumvals: null,
      },
      {
        name: 'jit',
        setting: 'off',
        unit: null,
        vartype: 'bool',
        min_val: null,
        max_val: null,
        enumvals: null,
      },
      {
        name: 'search_path',
        setting: '"$user", public',
        unit: null,
        vartype: 'string',
        min_val: null,
        max_val: null,
        enumvals: null,
      },
      {
        name: 'statement_timeout',
        setting: '5000',
        unit: 'ms',
        vartype: 'integer',
        min_val: '0',
        max_val: '2147483647',
        enumvals: null,
      },
      {
        name: 'work_mem',
        setting: '4096',
        unit: 'kB',
        vartype: 'integer',
        min_val: '64',
        max_val: '2147483647',
        enumvals: null,
      },
    ]);
    await client.end();
  });
});

describe('LISTEN / NOTIFY', () => {
  it('delivers committed notifications (once per transaction), not rolled-back ones, and stops after UNLISTEN', async () => {
    const listener = await connected();
    const sender = await connected();
    const received: { channel: string; payload: string | undefined; processId: number }[] = [];
    listener.on('notification', (n) =>
      received.push({ channel: n.channel, payload: n.payload, processId: n.processId }),
    );
    await listener.query('LISTEN jobs');
    await listener.query('LISTEN other');

    await sender.query('BEGIN');
    await sender.query("NOTIFY jobs, 'rolled back'");
    await sender.query('ROLLBACK');
    await sender.query("NOTIFY jobs, 'first'");
    await sender.query('BEGIN');
    await sender.query("NOTIFY jobs, 'second'");
    await sender.query("NOTIFY jobs, 'second'");
    await sender.query('COMMIT');
    await waitFor(() => received.length >= 2, { what: 'two notifications' });
    const senderPid = (sender as unknown as { processID: number }).processID;
    expect(received).toEqual([
      { channel: 'jobs', payload: 'first', processId: senderPid },
      { channel: 'jobs', payload: 'second', processId: senderPid },
    ]);

    await listener.query('UNLISTEN jobs');
    await sender.query("NOTIFY jobs, 'after unlisten'");
    await sender.query("NOTIFY other, 'marker'");
    await waitFor(() => received.length >= 3, { what: 'the marker notification' });
    expect(received[2]).toMatchObject({ channel: 'other', payload: 'marker' });
    expect(received.some((n) => n.payload === 'rolled back' || n.payload === 'after unlisten')).toBe(false);
    await listener.end();
    await sender.end();
  });

  it('delivers in commit order, drops NOTIFYs of rolled-back savepoints, and makes LISTEN transactional', async () => {
    const listener = await connected();
    const first = await connected();
    const second = await connected();
    const received: string[] = [];
    listener.on('notification', (n) => received.push(`${n.channel}:${n.payload}`));

    await listener.query('BEGIN');
    await listener.query('LISTEN rolled_back_listen');
    await listener.query('ROLLBACK');
    await listener.query('LISTEN ordered');

    await first.query('BEGIN');
    await first.query("NOTIFY ordered, 'first NOTIFY, second COMMIT'");
    await second.query('BEGIN');
    await second.query("NOTIFY ordered, 'second NOTIFY, first COMMIT'");
    await second.query('COMMIT');
    await first.query('COMMIT');

    await first.query('BEGIN');
    await first.query('SAVEPOINT s');
    await first.query("NOTIFY ordered, 'undone by ROLLBACK TO'");
    await first.query('ROLLBACK TO SAVEPOINT s');
    await first.query('SAVEPOINT t');
    await first.query("NOTIFY ordered, 'kept by RELEASE'");
    await first.query('RELEASE SAVEPOINT t');
    await first.query("NOTIFY rolled_back_listen, 'nobody listens'");
    await first.query('COMMIT');
    await second.query("NOTIFY ordered, 'marker'");

    await waitFor(() => received.includes('ordered:marker'), { what: 'the marker notification' });
    expect(received).toEqual([
      'ordered:second NOTIFY, first COMMIT',
      'ordered:first NOTIFY, second COMMIT',
      'ordered:kept by RELEASE',
      'ordered:marker',
    ]);
    for (const client of [listener, first, second]) await client.end();
  });

  it('holds notifications while the listener is inside a transaction block', async () => {
    const listener = await connected();
    const sender = await connected();
    const received: string[] = [];
    listener.on('notification', (n) => received.push(String(n.payload)));
    await listener.query('LISTEN held');
    await listener.query('BEGIN');
    await sender.query("NOTIFY held, 'while in a block'");
    // ReadyForQuery of this SELECT (status T) must not carry the notification.
    await listener.query('SELECT 1');
    expect(received).toEqual([]);
    await listener.query('COMMIT');
    expect(received).toEqual(['while in a block']);
    await listener.end();
    await sender.end();
  });

  it('pg_notify(channel, payload) notifies like NOTIFY; bad channels and payloads fail with 22023', async () => {
    const listener = await connected();
    const sender = await connected();
    const received: { channel: string; payload: string | undefined }[] = [];
    listener.on('notification', (n) => received.push({ channel: n.channel, payload: n.payload }));
    await listener.query('LISTEN "Mixed Case"');
    await sender.query('BEGIN');
    await sender.query("SELECT pg_notify('Mixed Case', 'rolled back')");
    await sender.query('ROLLBACK');
    const result = await sender.query('SELECT pg_notify($1, $2) AS v', ['Mixed Case', 'from pg_notify']);
    expect(result.rows).toEqual([{ v: '' }]);
    await sender.query("SELECT pg_notify('Mixed Case', NULL)");
    await waitFor(() => received.length >= 2, { what: 'two notifications' });
    expect(received).toEqual([
      { channel: 'Mixed Case', payload: 'from pg_notify' },
      { channel: 'Mixed Case', payload: '' },
    ]);
    await expect(sender.query("SELECT pg_notify('', 'x')")).rejects.toMatchObject({
      code: '22023',
      message: 'channel name cannot be empty',
    });
    await expect(sender.query(`SELECT pg_notify('${'c'.repeat(64)}', 'x')`)).rejects.toMatchObject({
      code: '22023',
      message: 'channel name too long',
    });
    await expect(sender.query(`NOTIFY big, '${'p'.repeat(8000)}'`)).rejects.toMatchObject({
      code: '22023',
      message: 'payload string too long',
    });
    await listener.end();
    await sender.end();
  });
});
