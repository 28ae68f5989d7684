import { KeelError, SqlState } from '@keel/errors';
import { describe, expect, test } from 'vitest';
import type { ColumnDescription } from '../backend.js';
import { BackendDecoder, type BackendMessage } from './backend-decoder.js';
import {
  encodeAuthenticationMd5Password,
  encodeAuthenticationOk,
  encodeAuthenticationSasl,
  encodeAuthenticationSaslContinue,
  encodeAuthenticationSaslFinal,
  encodeBackendKeyData,
  encodeBindComplete,
  encodeCloseComplete,
  encodeCommandComplete,
  encodeCopyData,
  encodeCopyDone,
  encodeCopyInResponse,
  encodeCopyOutResponse,
  encodeDataRows,
  encodeEmptyQueryResponse,
  encodeNegotiateProtocolVersion,
  encodeNoData,
  encodeNotificationResponse,
  encodeParameterDescription,
  encodeParameterStatus,
  encodeParseComplete,
  encodePortalSuspended,
  encodeReadyForQuery,
  encodeRowDescription,
} from './backend-encoder.js';
import { encodeErrorResponse, encodeNoticeResponse } from './error-response.js';

const columns: ColumnDescription[] = [
  { name: 'id', tableOid: 16384, columnAttr: 1, typeOid: 23, typeSize: 4, typeModifier: -1, format: 0 },
  {
    name: 'naïve',
    tableOid: 0,
    columnAttr: 0,
    typeOid: 4_000_000_000,
    typeSize: -1,
    typeModifier: 36,
    format: 1,
  },
];

const everyField = new KeelError(
  SqlState.UniqueViolation,
  'duplicate key value violates unique constraint "t_pkey"',
  {
    detail: 'Key (id)=(1) already exists.',
    hint: 'Pick another id.',
    position: 42,
    schema: 'public',
    table: 't',
    column: 'id',
    dataType: 'int4',
    constraint: 't_pkey',
  },
);

const cases: [string, Buffer, BackendMessage[]][] = [
  ['AuthenticationOk', encodeAuthenticationOk(), [{ kind: 'authenticationOk' }]],
  [
    'AuthenticationMD5Password',
    encodeAuthenticationMd5Password(Buffer.from([1, 2, 3, 4])),
    [{ kind: 'authenticationMd5Password', salt: Buffer.from([1, 2, 3, 4]) }],
  ],
  [
    'AuthenticationSASL',
    encodeAuthenticationSasl(['SCRAM-SHA-256']),
    [{ kind: 'authenticationSasl', mechanisms: ['SCRAM-SHA-256'] }],
  ],
  [
    'AuthenticationSASLContinue',
    encodeAuthenticationSaslContinue(Buffer.from('r=abc,s=c2FsdA==,i=4096')),
    [{ kind: 'authenticationSaslContinue', data: 'r=abc,s=c2FsdA==,i=4096' }],
  ],
  [
    'AuthenticationSASLFinal',
    encodeAuthenticationSaslFinal(Buffer.from('v=xyz')),
    [{ kind: 'authenticationSaslFinal', data: 'v=xyz' }],
  ],
  [
    'ParameterStatus',
    encodeParameterStatus('DateStyle', 'ISO, MDY'),
    [{ kind: 'parameterStatus', name: 'DateStyle', value: 'ISO, MDY' }],
  ],
  [
    'BackendKeyData',
    encodeBackendKeyData(4242, -7),
    [{ kind: 'backendKeyData', processId: 4242, secretKey: -7 }],
  ],
  ['ReadyForQuery', encodeReadyForQuery('E'), [{ kind: 'readyForQuery', status: 'E' }]],
  ['RowDescription', encodeRowDescription(columns), [{ kind: 'rowDescription', columns }]],
  [
    'DataRow batch',
    encodeDataRows([[Buffer.from('1'), null, Buffer.alloc(0)], [], [new Uint8Array([0xff, 0x00])]]),
    [
      { kind: 'dataRow', values: [Buffer.from('1'), null, Buffer.alloc(0)] },
      { kind: 'dataRow', values: [] },
      { kind: 'dataRow', values: [Buffer.from([0xff, 0x00])] },
    ],
  ],
  ['CommandComplete', encodeCommandComplete('INSERT 0 3'), [{ kind: 'commandComplete', tag: 'INSERT 0 3' }]],
  ['EmptyQueryResponse', encodeEmptyQueryResponse(), [{ kind: 'emptyQueryResponse' }]],
  ['ParseComplete', encodeParseComplete(), [{ kind: 'parseComplete' }]],
  ['BindComplete', encodeBindComplete(), [{ kind: 'bindComplete' }]],
  ['CloseComplete', encodeCloseComplete(), [{ kind: 'closeComplete' }]],
  ['NoData', encodeNoData(), [{ kind: 'noData' }]],
  ['PortalSuspended', encodePortalSuspended(), [{ kind: 'portalSuspended' }]],
  [
    'ParameterDescription',
    encodeParameterDescription([23, 25, 4_294_967_295]),
    [{ kind: 'parameterDescription', typeOids: [23, 25, 4_294_967_295] }],
  ],
  [
    'CopyInResponse',
    encodeCopyInResponse({ overallFormat: 1, columnFormats: [1, 1] }),
    [{ kind: 'copyInResponse', overallFormat: 1, columnFormats: [1, 1] }],
  ],
  [
    'CopyOutResponse',
    encodeCopyOutResponse({ overallFormat: 0, columnFormats: [0] }),
    [{ kind: 'copyOutResponse', overallFormat: 0, columnFormats: [0] }],
  ],
  ['CopyData', encodeCopyData(Buffer.from('a\tb\n')), [{ kind: 'copyData', data: Buffer.from('a\tb\n') }]],
  ['CopyDone', encodeCopyDone(), [{ kind: 'copyDone' }]],
  [
    'NotificationResponse',
    encodeNotificationResponse(12, 'orders', '{"id":1}'),
    [{ kind: 'notificationResponse', processId: 12, channel: 'orders', payload: '{"id":1}' }],
  ],
  [
    'NegotiateProtocolVersion',
    encodeNegotiateProtocolVersion({ major: 3, minor: 0 }, ['_pq_.a', '_pq_.b']),
    [{ kind: 'negotiateProtocolVersion', version: 196608, unrecognizedOptions: ['_pq_.a', '_pq_.b'] }],
  ],
];

describe('backend messages round-trip through the client decoder', () => {
  test.each(cases)('%s, split at every byte offset', (_name, bytes, expected) => {
    for (let cut = 0; cut <= bytes.length; cut += 1) {
      const decoder = new BackendDecoder();
      const messages = [...decoder.push(bytes.subarray(0, cut)), ...decoder.push(bytes.subarray(cut))];
      expect(messages, `split at ${cut}`).toEqual(expected);
      expect(decoder.bufferedBytes).toBe(0);
    }
  });

  test('all messages back to back in one chunk', () => {
    const bytes = Buffer.concat(cases.map(([, frame]) => frame));
    expect(new BackendDecoder().push(bytes)).toEqual(cases.flatMap(([, , expected]) => expected));
  });
});

describe('ErrorResponse and NoticeResponse', () => {
  test('every field PostgreSQL clients read, in order', () => {
    const [message] = new BackendDecoder().push(encodeErrorResponse(everyField));
    expect(message?.kind).toBe('errorResponse');
    if (message?.kind !== 'errorResponse') return;
    expect([...message.fields]).toEqual([
      ['S', 'ERROR'],
      ['V', 'ERROR'],
      ['C', '23505'],
      ['M', 'duplicate key value violates unique constraint "t_pkey"'],
      ['D', 'Key (id)=(1) already exists.'],
      ['H', 'Pick another id.'],
      ['P', '42'],
      ['s', 'public'],
      ['t', 't'],
      ['c', 'id'],
      ['d', 'int4'],
      ['n', 't_pkey'],
    ]);
  });

  test('absent fields are left out; notices use N', () => {
    const bytes = encodeNoticeResponse({ severity: 'WARNING', sqlstate: '01000', message: 'careful' });
    expect(bytes[0]).toBe(0x4e);
    const [message] = new BackendDecoder().push(bytes);
    expect(message?.kind === 'noticeResponse' ? [...message.fields.keys()] : []).toEqual([
      'S',
      'V',
      'C',
      'M',
    ]);
  });

  test('a NUL inside a string cannot end the field early', () => {
    const [message] = new BackendDecoder().push(
      encodeErrorResponse({ severity: 'ERROR', sqlstate: '22021', message: 'bad\0byte' }),
    );
    expect(message?.kind === 'errorResponse' ? message.fields.get('M') : '').toBe('bad\uFFFDbyte');
  });
});
