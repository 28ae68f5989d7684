/**
 * ErrorResponse and NoticeResponse: a list of (field code, string) pairs ended by a NUL. Keel
 * sends every field PostgreSQL clients read: S and V (severity, the same text since Keel is not
 * localised), C (SQLSTATE), M, D, H, P (1-based cursor position), and s, t, c, d, n (schema,
 * table, column, data type, constraint) so drivers can name what failed. Absent fields are left
 * out, as PostgreSQL does.
 * Exports: ErrorReport, encodeErrorResponse, encodeNoticeResponse.
 */
import { BackendType } from './backend-type.js';
import { ByteWriter } from './byte-writer.js';

/** What an ErrorResponse or NoticeResponse carries; a KeelError is one. */
export interface ErrorReport {
  severity: string;
  sqlstate: string;
  message: string;
  detail?: string | undefined;
  hint?: string | undefined;
  position?: number | undefined;
  schema?: string | undefined;
  table?: string | undefined;
  column?: string | undefined;
  dataType?: string | undefined;
  constraint?: string | undefined;
}

export function encodeErrorResponse(report: ErrorReport): Buffer {
  return encodeReport(BackendType.errorResponse, report);
}

export function encodeNoticeResponse(report: ErrorReport): Buffer {
  return encodeReport(BackendType.noticeResponse, report);
}

function encodeReport(type: number, report: ErrorReport): Buffer {
  const writer = new ByteWriter(128 + report.message.length).beginMessage(type);
  const field = (code: string, value: string | undefined): void => {
    if (value === undefined) return;
    writer.uint8(code.charCodeAt(0)).cstring(value);
  };
  field('S', report.severity);
  field('V', report.severity);
  field('C', report.sqlstate);
  field('M', report.message);
  field('D', report.detail);
  field('H', report.hint);
  field('P', report.position === undefined ? undefined : String(report.position));
  field('s', report.schema);
  field('t', report.table);
  field('c', report.column);
  field('d', report.dataType);
  field('n', report.constraint);
  return writer.uint8(0).endMessage().finish();
}
