/**
 * The one error catalogue. Domain code raises `DomainError`s carrying a code from `ErrorCode`;
 * this table maps each code to the GWS statusCode and the HTTP status that accompanies it (and,
 * for a refusal that passes, the Retry-After seconds).
 * Nothing else in the project decides an HTTP status for a failure.
 */

export const ErrorCode = {
  /** A required parameter is missing (GWS 1). */
  MissingParameter: 'MissingParameter',
  /** The operation is not valid for the current state (GWS 2). */
  InvalidState: 'InvalidState',
  /** Operation forbidden, e.g. a feature is off for the contact center (GWS 3). */
  Forbidden: 'Forbidden',
  /** Unexpected failure; logged with the request id (GWS 4). */
  Internal: 'Internal',
  /** The user's role does not allow the operation (GWS 5). */
  NoPermission: 'NoPermission',
  /** The resource does not exist, or belongs to another contact center (GWS 6). */
  NotFound: 'NotFound',
  /** A value is malformed or out of range; malformed JSON; oversized body (GWS 10). */
  InvalidValue: 'InvalidValue',
  /** The resource is already in use, e.g. an agent already monitored (GWS 19). */
  InUse: 'InUse',
  /** Resource already exists (GWS 18). */
  AlreadyExists: 'AlreadyExists',
  /** No or bad credentials (GWS 20). */
  NotAuthenticated: 'NotAuthenticated',
  /** The store cannot be read (corrupt pages, I/O error): "unable to retrieve resource" (GWS 12). */
  StoreUnreadable: 'StoreUnreadable',
  /** The supervision audit cannot be written, so nothing it must record may start (GWS 13). */
  AuditUnwritable: 'AuditUnwritable',
  /**
   * A backend cannot apply the request now and nothing was changed, e.g. a cluster node whose
   * contact center's owner is moving or whose NATS is unreachable (GWS 4, "a backend": HTTP 503
   * with a Retry-After header).
   */
  Unavailable: 'Unavailable',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface ErrorMapping {
  statusCode: number;
  httpStatus: number;
  /** sent as the Retry-After header (seconds): the client may try again after this */
  retryAfterSec?: number;
}

/** GWS statusCode and HTTP status for each domain error code. */
export const ERROR_TABLE: Readonly<Record<ErrorCode, ErrorMapping>> = Object.freeze({
  MissingParameter: { statusCode: 1, httpStatus: 400 },
  InvalidState: { statusCode: 2, httpStatus: 400 },
  Forbidden: { statusCode: 3, httpStatus: 403 },
  Internal: { statusCode: 4, httpStatus: 500 },
  NoPermission: { statusCode: 5, httpStatus: 403 },
  NotFound: { statusCode: 6, httpStatus: 404 },
  InvalidValue: { statusCode: 10, httpStatus: 400 },
  AlreadyExists: { statusCode: 18, httpStatus: 409 },
  InUse: { statusCode: 19, httpStatus: 409 },
  NotAuthenticated: { statusCode: 20, httpStatus: 401 },
  // storage faults: the server is sound, the store is not (yet) usable: 503, see docs/security.md 7
  StoreUnreadable: { statusCode: 12, httpStatus: 503 },
  AuditUnwritable: { statusCode: 13, httpStatus: 503 },
  // a cluster takeover takes the 3 s lease TTL plus a fraction of a second (docs/scale-out.md)
  Unavailable: { statusCode: 4, httpStatus: 503, retryAfterSec: 3 },
});

/** HTTP status for any GWS statusCode (also codes not raised today, for completeness). */
export const HTTP_STATUS_BY_STATUS_CODE: Readonly<Record<number, number>> = Object.freeze({
  0: 200, 1: 400, 2: 400, 3: 403, 4: 500, 5: 403, 6: 404, 7: 200, 8: 403, 9: 202, 10: 400, 11: 400,
  12: 500, 13: 500, 14: 500, 15: 500, 16: 500, 17: 500, 18: 409, 19: 409, 20: 401,
});

export class DomainError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
  }
}

/** Result of a command: either a value or a domain error (no throwing across the switch port). */
export type Result<T = void> = { ok: true; value: T } | { ok: false; error: DomainError };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const okVoid: Result<void> = Object.freeze({ ok: true, value: undefined }) as Result<void>;
export const fail = <T = never>(code: ErrorCode, message: string): Result<T> => ({
  ok: false,
  error: new DomainError(code, message),
});
