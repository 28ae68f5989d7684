/**
 * The type byte of each backend message (PostgreSQL protocol v3, "Message Formats"). Shared by
 * the encoder the server uses and the decoder the tests use, so both agree by construction.
 * Exports: BackendType, AuthenticationCode.
 */

export const BackendType = {
  authentication: 0x52, // R
  parameterStatus: 0x53, // S
  backendKeyData: 0x4b, // K
  readyForQuery: 0x5a, // Z
  rowDescription: 0x54, // T
  dataRow: 0x44, // D
  commandComplete: 0x43, // C
  emptyQueryResponse: 0x49, // I
  errorResponse: 0x45, // E
  noticeResponse: 0x4e, // N
  parseComplete: 0x31, // 1
  bindComplete: 0x32, // 2
  closeComplete: 0x33, // 3
  parameterDescription: 0x74, // t
  noData: 0x6e, // n
  portalSuspended: 0x73, // s
  copyInResponse: 0x47, // G
  copyOutResponse: 0x48, // H
  copyData: 0x64, // d
  copyDone: 0x63, // c
  notificationResponse: 0x41, // A
  negotiateProtocolVersion: 0x76, // v
} as const;

/** The Int32 after 'R' that says which authentication step this is. */
export const AuthenticationCode = {
  ok: 0,
  md5Password: 5,
  sasl: 10,
  saslContinue: 11,
  saslFinal: 12,
} as const;
