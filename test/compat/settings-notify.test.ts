/**
 * Session settings as clients use them: SET, SET LOCAL (undone at transaction end), RESET, SHOW,
 * current_setting()/set_config(), errors for unknown settings and bad values, ParameterStatus
 * messages for the settings PostgreSQL reports (TimeZone, DateStyle, application_name, ...).
 * LISTEN/NOTIFY/UNLISTEN: notifications reach other sessions through node-postgres'
 * `notification` event when the sending transaction commits, and never when it rolls back.
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
});
