/**
 * Checks of extended-protocol messages that need no database: Bind's format codes. PostgreSQL
 * reports these as ERROR 08P01 (the message was framed correctly, so the session survives and
 * skips to Sync), which is why they are not decoder errors.
 * Exports: ExtendedMessage, checkBindFormats.
 */
import { KeelError, SqlState } from '@keel/errors';
import type {
  BindMessage,
  CloseMessage,
  DescribeMessage,
  ExecuteMessage,
  ParseMessage,
} from '../codec/frontend-message.js';

export type ExtendedMessage = ParseMessage | BindMessage | DescribeMessage | ExecuteMessage | CloseMessage;

export function checkBindFormats(message: BindMessage): void {
  const formats = message.paramFormats.length;
  const params = message.params.length;
  if (formats > 1 && formats !== params) {
    throw new KeelError(
      SqlState.ProtocolViolation,
      `bind message has ${formats} parameter formats but ${params} parameters`,
    );
  }
  for (const format of [...message.paramFormats, ...message.resultFormats]) {
    if (format !== 0 && format !== 1) {
      throw new KeelError(SqlState.InvalidParameterValue, `unsupported format code: ${format}`);
    }
  }
}
