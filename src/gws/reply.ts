/**
 * The GWS response envelope: every body is JSON `{statusCode, ...}`; an error carries only
 * statusCode and statusMessage. Domain errors map through ERROR_TABLE (src/errors.ts, the one
 * table, with the Retry-After header of the codes that name one); the few framework failures (oversized or unparsable bodies, wrong content type) map
 * through FRAMEWORK_ERRORS below onto the same codes; anything else is statusCode 4, logged
 * with the request id, never a stack trace in the body.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, ERROR_TABLE, ErrorCode, HTTP_STATUS_BY_STATUS_CODE } from '../errors.js';
import type { Result } from '../errors.js';

export interface ErrorBody {
  statusCode: number;
  statusMessage: string;
}

export function errorBody(statusCode: number, statusMessage: string): ErrorBody {
  return { statusCode, statusMessage };
}

/** throw-able helpers, one per catalogue code the GWS layer raises itself */
export const gws = {
  missing: (name: string, what = '') =>
    new DomainError(ErrorCode.MissingParameter, `Parameter '${name}' is required${what ? `: ${what}` : ''}`),
  invalid: (message: string) => new DomainError(ErrorCode.InvalidValue, message),
  invalidState: (message: string) => new DomainError(ErrorCode.InvalidState, message),
  forbidden: (message: string) => new DomainError(ErrorCode.Forbidden, message),
  noPermission: (message: string) => new DomainError(ErrorCode.NoPermission, message),
  notFound: (message: string) => new DomainError(ErrorCode.NotFound, message),
  inUse: (message: string) => new DomainError(ErrorCode.InUse, message),
  notAuthenticated: (message: string) => new DomainError(ErrorCode.NotAuthenticated, message),
};

/** The value of a switch Result, or its DomainError thrown (answered through ERROR_TABLE). */
export function unwrap<T>(r: Result<T>): T {
  if (!r.ok) throw r.error;
  return r.value;
}

/** the Content-Type of every GWS answer (a JSON envelope) */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** the answer of an operation that returns nothing, written once (the same text JSON.stringify gives) */
const OK_TEXT = JSON.stringify({ statusCode: 0 });

/** a successful answer's reply: HTTP 200, JSON, and statusCode 0 noted for the request line */
function okReply(reply: FastifyReply): FastifyReply {
  reply.request.answeredGwsStatus = 0;
  return reply.code(200).type(JSON_CONTENT_TYPE);
}

export function sendOk(reply: FastifyReply, body: Record<string, unknown> = {}): FastifyReply {
  return okReply(reply).send(hasMembers(body) ? { statusCode: 0, ...body } : OK_TEXT);
}

/**
 * A successful answer already written as JSON text, `{"statusCode":0,...}` exactly as sendOk would
 * write it (a handler that keeps the text of an answer that does not change returns one of these,
 * and the router sends the text as it is).
 */
export class AnswerText {
  constructor(readonly text: string) {}

  /** the text of `{statusCode: 0, ...members}`, as sendOk writes it */
  static of(members: Record<string, unknown>): AnswerText {
    return new AnswerText(JSON.stringify({ statusCode: 0, ...members }));
  }
}

export function sendAnswerText(reply: FastifyReply, answer: AnswerText): FastifyReply {
  return okReply(reply).send(answer.text);
}

/** whether an object has an enumerable member (without building the list of its keys) */
function hasMembers(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

export function sendStatus(reply: FastifyReply, statusCode: number, message: string, httpStatus?: number): FastifyReply {
  reply.request.answeredGwsStatus = statusCode;
  return reply
    .code(httpStatus ?? HTTP_STATUS_BY_STATUS_CODE[statusCode] ?? 500)
    .type(JSON_CONTENT_TYPE)
    .send(errorBody(statusCode, message));
}

export function sendDomainError(reply: FastifyReply, e: DomainError): FastifyReply {
  const m = ERROR_TABLE[e.code] ?? ERROR_TABLE.Internal;
  if (m.retryAfterSec !== undefined) reply.header('Retry-After', String(m.retryAfterSec));
  return sendStatus(reply, m.statusCode, e.message, m.httpStatus);
}

interface FrameworkMapping {
  code: ErrorCode;
  httpStatus: number;
  message: (err: FastifyError, req: FastifyRequest, bodyLimit: number) => string;
}

/** Fastify's own request failures, by error code. */
export const FRAMEWORK_ERRORS: Readonly<Record<string, FrameworkMapping>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    code: ErrorCode.InvalidValue,
    httpStatus: 413,
    message: (_e, _r, limit) => `Request body is larger than the limit of ${limit} bytes`,
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: ErrorCode.InvalidValue,
    httpStatus: 415,
    message: (_e, r) =>
      r.headers['content-type']
        ? `Content-Type '${r.headers['content-type']}' is not supported: send the body as application/json`
        : 'A request body needs Content-Type: application/json',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: ErrorCode.InvalidValue,
    httpStatus: 400,
    message: () => 'Content-Length does not match the length of the request body',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    code: ErrorCode.InvalidValue,
    httpStatus: 400,
    message: () => 'Request body is empty: send a JSON object',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: {
    code: ErrorCode.InvalidValue,
    httpStatus: 400,
    message: (e) => `Request body is not valid JSON: ${e.message}`,
  },
  FST_ERR_BAD_URL: {
    code: ErrorCode.InvalidValue,
    httpStatus: 400,
    message: (_e, r) => `Malformed URL (bad percent-encoding): ${r.url}`,
  },
  FST_ERR_MAX_PARAM_LENGTH: {
    code: ErrorCode.InvalidValue,
    httpStatus: 414,
    message: () => 'An id in the URL is longer than 100 characters',
  },
};

/** The error handler for every route: DomainError, framework error, or internal error (logged). */
export function makeErrorHandler(bodyLimit: number) {
  return function errorHandler(err: FastifyError | DomainError | Error, req: FastifyRequest, reply: FastifyReply): void {
    if (err instanceof DomainError) {
      if (err.code === ErrorCode.Internal) req.log.error({ err }, 'internal error');
      sendDomainError(reply, err);
      return;
    }
    const fe = err as FastifyError;
    const known = fe.code ? FRAMEWORK_ERRORS[fe.code] : undefined;
    if (known) {
      const m = ERROR_TABLE[known.code];
      sendStatus(reply, m.statusCode, known.message(fe, req, bodyLimit), known.httpStatus);
      return;
    }
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      // another client error raised by the framework: an invalid request, said as such
      sendStatus(reply, ERROR_TABLE.InvalidValue.statusCode, `Invalid request: ${fe.message}`, fe.statusCode);
      return;
    }
    req.log.error({ err }, 'unexpected error');
    sendStatus(reply, ERROR_TABLE.Internal.statusCode, `Internal error; request id ${req.id}`, 500);
  };
}
