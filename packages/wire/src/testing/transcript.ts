/**
 * One line of text per backend message, for session transcripts (testdata/session/*.txt). Values
 * that vary between runs (SCRAM nonces and proofs, salts, secret keys) are left out so a
 * transcript is stable; everything a client relies on is printed.
 * Exports: describeBackendMessage.
 */
import { isUtf8 } from 'node:buffer';
import type { BackendMessage } from '../codec/backend-decoder.js';

function value(bytes: Buffer | null): string {
  if (bytes === null) return 'NULL';
  return isUtf8(bytes) ? JSON.stringify(bytes.toString('utf8')) : `\\x${bytes.toString('hex')}`;
}

function fields(map: ReadonlyMap<string, string>): string {
  const head = `${map.get('S') ?? '?'} ${map.get('C') ?? '?'} ${JSON.stringify(map.get('M') ?? '')}`;
  const rest = [...map]
    .filter(([code]) => !['S', 'V', 'C', 'M'].includes(code))
    .map(([code, text]) => `${code}=${JSON.stringify(text)}`);
  const severityMismatch = map.get('V') === map.get('S') ? [] : ['V differs from S'];
  return [head, ...rest, ...severityMismatch].join(' ');
}

export function describeBackendMessage(message: BackendMessage): string {
  switch (message.kind) {
    case 'authenticationSasl':
      return `AuthenticationSASL ${message.mechanisms.join(' ')}`;
    case 'authenticationSaslContinue':
      return 'AuthenticationSASLContinue';
    case 'authenticationSaslFinal':
      return 'AuthenticationSASLFinal';
    case 'authenticationMd5Password':
      return 'AuthenticationMD5Password';
    case 'authenticationOk':
      return 'AuthenticationOk';
    case 'parameterStatus':
      return `ParameterStatus ${message.name}=${JSON.stringify(message.value)}`;
    case 'backendKeyData':
      return `BackendKeyData pid=${message.processId}`;
    case 'readyForQuery':
      return `ReadyForQuery ${message.status}`;
    case 'rowDescription':
      return `RowDescription ${message.columns.map((c) => `${c.name}:${c.typeOid}:${c.format}`).join(' ')}`;
    case 'dataRow':
      return `DataRow ${message.values.map(value).join(' ')}`;
    case 'commandComplete':
      return `CommandComplete ${message.tag}`;
    case 'errorResponse':
      return `ErrorResponse ${fields(message.fields)}`;
    case 'noticeResponse':
      return `NoticeResponse ${fields(message.fields)}`;
    case 'parameterDescription':
      return `ParameterDescription ${message.typeOids.join(' ')}`.trimEnd();
    case 'copyInResponse':
    case 'copyOutResponse': {
      const name = message.kind === 'copyInResponse' ? 'CopyInResponse' : 'CopyOutResponse';
      return `${name} format=${message.overallFormat} columns=${message.columnFormats.join(',')}`;
    }
    case 'copyData':
      return `CopyData ${value(message.data)}`;
    case 'notificationResponse':
      return `NotificationResponse pid=${message.processId} ${message.channel} ${JSON.stringify(message.payload)}`;
    case 'negotiateProtocolVersion':
      return `NegotiateProtocolVersion ${message.version >>> 16}.${message.version & 0xffff} ${message.unrecognizedOptions.join(',')}`.trimEnd();
    default:
      return names[message.kind];
  }
}

const names = {
  emptyQueryResponse: 'EmptyQueryResponse',
  parseComplete: 'ParseComplete',
  bindComplete: 'BindComplete',
  closeComplete: 'CloseComplete',
  noData: 'NoData',
  portalSuspended: 'PortalSuspended',
  copyDone: 'CopyDone',
} as const;
