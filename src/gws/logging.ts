/**
 * Request logging of the HTTP layer: the pino options fastify is built with, and one line per
 * answered request ("request completed") carrying the request id, method, route, HTTP status, the
 * GWS statusCode of the answer, the authenticated user, the operationName of the body and the
 * response time. Guarantees:
 * - a line never holds a password, an Authorization header, a cookie or a CSRF token: the request
 *   line is built from named fields only (no headers, no body, no query string) and pino redacts
 *   those names anywhere else a caller might log them;
 * - the same fields go to the request observer (the metrics), so the log and /metrics agree;
 * - a hijacked reply (a CometD POST) is not logged here: the Bayeux server logs its own sessions;
 * - cost rule: at a level where the line is not written (info off) nothing of it is built; the
 *   hooks are callback-style (no Promise per request); what the observer needs is built once;
 *   a request's child logger (request.log, bound to its request id) is only built when something
 *   is logged through it (`lazyRequestLoggers`): pino's child() costs about 2 µs, most requests
 *   log nothing, and the lines are those of the same child built on first use.
 */
import { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';

/** What one answered request was, for the request log line and the HTTP metrics. */
export interface RequestDone {
  method: string;
  /** the route pattern that answered (e.g. /api/v2/me/calls/:id), or "unmatched" */
  route: string;
  /** HTTP status */
  statusCode: number;
  /** statusCode of the GWS envelope, when the answer was one */
  gwsStatusCode?: number;
  /** userName of the authenticated caller, when authentication ran and succeeded */
  user?: string;
  /** operationName of a JSON body, when it had one */
  operationName?: string;
  responseTimeMs: number;
}

export type RequestObserver = (done: RequestDone) => void;

/** Where pino must never print a value, whatever object is logged (pino redact paths). */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'headers.authorization',
  'headers.cookie',
  'headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'password',
  '*.password',
  'csrfToken',
  '*.csrfToken',
  'authorization',
  'cookie',
];

/** The pino options of the fastify instance: the level, the stream, the redactions. */
export function loggerOptions(level: string, stream?: { write(line: string): unknown }): object {
  const base = { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  return stream ? { ...base, stream } : base;
}

/** fastify's own request lines off: installRequestLog writes the one line per request instead */
export function quietRequestLogs(): LogController {
  return new LogController({ disableRequestLogging: true });
}

type Bindings = Parameters<FastifyBaseLogger['child']>[0];
type ChildOptions = NonNullable<Parameters<FastifyBaseLogger['child']>[1]>;
type LogMethod = 'info' | 'error' | 'debug' | 'fatal' | 'warn' | 'trace' | 'silent';

/** request.log: the pino child of the request, built when first used (its level without building it). */
class RequestLogger {
  private built: FastifyBaseLogger | undefined;
  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildOptions,
  ) {}
  private get logger(): FastifyBaseLogger {
    return (this.built ??= this.parent.child(this.bindings, this.options));
  }
  /** a child has its options' level, else its parent's */
  get level(): string {
    return this.built?.level ?? this.options.level ?? this.parent.level;
  }
  set level(level: string) {
    this.logger.level = level;
  }
  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.logger.child(bindings, options);
  }
}
for (const method of ['info', 'error', 'debug', 'fatal', 'warn', 'trace', 'silent'] as const satisfies readonly LogMethod[]) {
  Object.defineProperty(RequestLogger.prototype, method, {
    value: function (this: { logger: FastifyBaseLogger }, ...args: unknown[]) {
      return (this.logger[method] as (...a: unknown[]) => void)(...args);
    },
  });
}

/** fastify's childLoggerFactory: request.log as a RequestLogger (see the cost rule above) */
export const lazyRequestLoggers: NonNullable<FastifyServerOptions['childLoggerFactory']> = (logger, bindings, options) =>
  new RequestLogger(logger, bindings, options) as unknown as FastifyBaseLogger;

const MAX_NAME = 64;
const GWS_STATUS = /^\{"statusCode":(\d{1,4})[,}]/;

/** A short, printable operationName from a parsed body (a client's typo is logged, not its payload). */
function operationNameOf(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const name = (body as { operationName?: unknown }).operationName;
  if (typeof name !== 'string') return undefined;
  return name.replace(/[^\w.-]/g, '?').slice(0, MAX_NAME);
}

/** The GWS statusCode an answer carries: the envelope's first field, as reply.ts writes it. */
function gwsStatusOf(payload: unknown): number | undefined {
  if (typeof payload !== 'string') return undefined;
  const match = GWS_STATUS.exec(payload);
  if (match) return Number(match[1]);
  // a body whose keys are in another order: parse it only when small
  if (payload.length > 4096 || !payload.startsWith('{')) return undefined;
  try {
    const code = (JSON.parse(payload) as { statusCode?: unknown }).statusCode;
    return typeof code === 'number' ? code : undefined;
  } catch {
    return undefined;
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** the GWS statusCode of the answer sent, for the request line: noted by reply.ts's senders, else read by noteAnswer */
    answeredGwsStatus: number | undefined;
  }
}

/**
 * Note the GWS statusCode of an answer's payload for its request line: called from the one onSend
 * hook of the HTTP layer (http.ts), which holds every onSend step so a request runs one hook. The
 * senders of reply.ts (sendOk, sendAnswerText, sendStatus) note the code they write themselves, so
 * only an answer written elsewhere (health, the API reference, ...) is read here.
 */
export function noteAnswer(req: FastifyRequest, payload: unknown): void {
  if (req.answeredGwsStatus !== undefined) return;
  const code = gwsStatusOf(payload);
  if (code !== undefined) req.answeredGwsStatus = code;
}

function describe(req: FastifyRequest, reply: FastifyReply): RequestDone {
  const caller = (req as FastifyRequest & { caller?: { user?: { userName?: string } } | null }).caller;
  const done: RequestDone = {
    method: req.method,
    route: req.routeOptions?.url ?? 'unmatched',
    statusCode: reply.statusCode,
    responseTimeMs: Math.round(reply.elapsedTime * 1000) / 1000,
  };
  const gwsStatusCode = req.answeredGwsStatus;
  if (gwsStatusCode !== undefined) done.gwsStatusCode = gwsStatusCode;
  if (caller?.user?.userName) done.user = caller.user.userName;
  const operationName = operationNameOf(req.body);
  if (operationName !== undefined) done.operationName = operationName;
  return done;
}

/**
 * The hook of the request line: onResponse writes the line (info; warn for HTTP 5xx) and hands the
 * same fields to `observe`; the GWS statusCode is the one the answer's sender or `noteAnswer` noted.
 */
/** pino's level numbers ('silent' above them all) */
const LEVEL_VALUES: Readonly<Record<string, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

/** would a logger at `current` write a line at `level`? (an unknown level writes, as a safe default) */
function levelEnabled(current: string, level: 'info' | 'warn'): boolean {
  return (LEVEL_VALUES[current] ?? 0) <= LEVEL_VALUES[level];
}

export function installRequestLog(app: FastifyInstance, observe?: RequestObserver): void {
  app.decorateRequest('answeredGwsStatus', undefined);
  app.addHook('onResponse', (req, reply, done) => {
    const serverError = reply.statusCode >= 500;
    const logged = levelEnabled(req.log.level, serverError ? 'warn' : 'info');
    if (logged || observe) {
      const described = describe(req, reply);
      if (logged) {
        const line = { ...described, path: req.url.split('?', 1)[0].slice(0, 256) };
        if (serverError) req.log.warn(line, 'request completed');
        else req.log.info(line, 'request completed');
      }
      if (observe) {
        try {
          observe(described);
        } catch (err) {
          req.log.warn({ err }, 'request observer failed');
        }
      }
    }
    done();
  });
}
