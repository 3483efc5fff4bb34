/**
 * The HTTP face of Switchboard: one fastify instance with the GWS envelope everywhere. Per request:
 * a request id (echoed as X-Request-Id, in every log line), CORS for browser clients, then for
 * authenticated routes Basic-or-cookie authentication, the session cookie, the CSRF headers and
 * (config.csrf) the CSRF check on cookie-only POST/PUT/DELETE. JSON bodies only; unknown paths
 * are 404 and known paths with the wrong method 405, both statusCode 6. CometD POSTs under
 * /api/v2/notifications are handed to the Bayeux server untouched by GWS auth and CSRF.
 * The connection layer (docs/security.md sections 3 and 5): Node's timeouts and head limit, the
 * connection guard (cap; authenticated connections kept first), GWS answers for Node's parser
 * errors and `Expect`, a lingering close after every answer given before its request was read, 503
 * envelopes while closing or at the cap, CORS only for allowed origins, a Secure cookie on demand.
 *
 * Rule (a change must keep it): a route's headers are set with `reply.header`, never on the raw
 * response, except by a hijacked route (CometD), which copies fastify's header map onto its raw
 * response when it hijacks. One raw header sends every later header of the answer through Node's
 * slow writeHead path (docs/performance.md, third round of 3 December).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import Fastify from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { BayeuxServer } from '../bayeux/port.js';
import { ERROR_TABLE } from '../errors.js';
import { retryAfterOf, type Authenticated } from './auth.js';
import type { GwsDeps } from './context.js';
import { principalOf } from './context.js';
import { ConnectionGuard, connectionLimits, serverTimeoutOptions } from './connections.js';
import { clientErrorHandler, handleEarlyErrors, lingerAfterAnswer } from './early-errors.js';
import type { EarlyErrorLimits } from './early-errors.js';
import { OriginPolicy } from './origins.js';
import { gws, makeErrorHandler, sendOk, sendStatus } from './reply.js';
import { Router } from './router.js';
import { apiDocsRoutes, recordRoutes } from './api-docs/routes.js';
import { auditRoutes } from './routes/audit.js';
import { recordingRoutes } from './routes/recordings.js';
import { healthRoutes } from './routes/health.js';
import { installRequestLog, lazyRequestLoggers, loggerOptions, noteAnswer, quietRequestLogs, type RequestObserver } from './logging.js';
import { resourceRoutes } from './routes/resources.js';
import { deviceRoutes } from './routes/devices.js';
import { directoryRoutes } from './routes/directory.js';
import { meRoutes } from './routes/me.js';
import { sessionCookie } from './sessions.js';
import { simRoutes } from './sim.js';
import { supervisionAgentRoutes } from './routes/supervision-agents.js';
import { consoleRoutes } from './routes/console.js';

export const NOTIFICATIONS_PATH = '/api/v2/notifications';
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'DELETE', 'PATCH']);
export const CSRF_MESSAGE = 'Missing or invalid Csrf token: send the X-CSRF-TOKEN header you received from GET /api/v2/me';

function requestIds(): (req: IncomingMessage) => string {
  const prefix = randomBytes(3).toString('hex');
  let n = 0;
  return (req) => {
    const given = req.headers['x-request-id'];
    if (typeof given === 'string' && /^[\w.:-]{1,64}$/.test(given)) return given;
    n = (n + 1) % Number.MAX_SAFE_INTEGER;
    return `${prefix}-${n.toString(36)}`;
  };
}

/** What the connection layer is built from; app.ts builds it to share it with the upgrade handler. */
export interface HttpFront {
  connections: ConnectionGuard;
  origins: OriginPolicy;
}

export function httpFront(deps: Pick<GwsDeps, 'config' | 'urls'>, log: ConstructorParameters<typeof ConnectionGuard>[1]): HttpFront {
  return {
    connections: new ConnectionGuard(connectionLimits(deps.config), log),
    origins: new OriginPolicy(deps.config.allowedOrigins, () => deps.urls.base),
  };
}

export function earlyErrorLimits(config: GwsDeps['config']): EarlyErrorLimits {
  const c = config.connections;
  return {
    bodyLimitBytes: config.bodyLimitBytes,
    maxHeaderBytes: c.maxHeaderBytes,
    headersTimeoutMs: c.headersTimeoutMs,
    requestTimeoutMs: c.requestTimeoutMs,
    lingerMs: c.lingerMs,
    lingerBytes: c.lingerBytes,
  };
}

/** Whether the session cookie is marked Secure: as configured, else when the public base URL is https. */
export function cookieIsSecure(config: GwsDeps['config']): boolean {
  return config.cookieSecure ?? config.publicBaseUrl?.startsWith('https:') ?? false;
}

/** A Set-Cookie value with the Secure attribute added (once). */
function withSecure(cookie: string): string {
  return /;\s*secure\s*(;|$)/i.test(cookie) ? cookie : `${cookie}; Secure`;
}

/** The Origin header when it is foreign (not allowed), else undefined (allowed, or no Origin). */
export function foreignOrigin(origins: OriginPolicy, headers: IncomingMessage['headers']): string | undefined {
  const origin = headers.origin;
  if (origin === undefined) return undefined;
  return origins.allows(origin, headers.host) ? undefined : origin;
}

export const FOREIGN_ORIGIN_MESSAGE = (origin: string) =>
  `Origin ${JSON.stringify(origin.slice(0, 200))} is not allowed: add it to server.allowedOrigins to serve a browser application from there`;

function cors(origins: OriginPolicy, req: FastifyRequest, reply: FastifyReply): void {
  const origin = req.headers.origin;
  if (!origin) return;
  reply.header('Vary', 'Origin');
  if (!origins.allows(origin, req.headers.host)) return;
  reply.header('Access-Control-Allow-Origin', origin);
  reply.header('Access-Control-Allow-Credentials', 'true');
  reply.header('Access-Control-Expose-Headers', 'X-CSRF-HEADER, X-CSRF-TOKEN, X-Request-Id');
}

function preflight(origins: OriginPolicy, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const foreign = foreignOrigin(origins, req.headers);
  if (foreign !== undefined) return sendStatus(reply, ERROR_TABLE.Forbidden.statusCode, FOREIGN_ORIGIN_MESSAGE(foreign), 403);
  reply.header('Access-Control-Allow-Methods', 'GET, POST, PUT, DELETE, OPTIONS');
  reply.header('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-CSRF-TOKEN, X-Requested-With, X-Request-Id');
  reply.header('Access-Control-Max-Age', '600');
  return sendOk(reply);
}

/**
 * Authenticate the request and set request.caller and the session/CSRF headers: synchronously
 * when the credentials are cached or a live cookie is sent (no Promise on the common path), else
 * a Promise of the verification.
 */
function authenticate(deps: GwsDeps, req: FastifyRequest, reply: FastifyReply, connections?: ConnectionGuard): void | Promise<void> {
  const now = deps.auth.authenticateNow(req.headers, req.raw.socket);
  if (now) return admit(deps, req, reply, now, connections);
  return deps.auth.authenticate(req.headers, req.ip, req.raw.socket).then(
    (a) => admit(deps, req, reply, a, connections),
    (err: unknown) => {
      const retryAfter = retryAfterOf(err);
      if (retryAfter !== undefined) reply.header('Retry-After', String(retryAfter));
      throw err;
    },
  );
}

function admit(deps: GwsDeps, req: FastifyRequest, reply: FastifyReply, a: Authenticated, connections?: ConnectionGuard): void {
  const cc = deps.directory.center(a.user.contactCenterId);
  if (!cc) throw gws.notAuthenticated(`User ${a.user.userName} has no contact center`);
  connections?.markAuthenticated(req.raw.socket);
  req.caller = { user: a.user, cc, who: principalOf(a.user, cc), session: a.session, byAuthorization: a.byAuthorization };
  if (a.setCookie) reply.header('Set-Cookie', sessionCookie(a.session.id));
  reply.header('X-CSRF-HEADER', 'X-CSRF-TOKEN');
  reply.header('X-CSRF-TOKEN', a.session.csrfToken);
  if (deps.config.csrf && !a.byAuthorization && UNSAFE_METHODS.has(req.method) && req.headers['x-csrf-token'] !== a.session.csrfToken) {
    throw gws.forbidden(CSRF_MESSAGE);
  }
}

export interface HttpOptions {
  /** where log lines go; default standard output */
  logStream?: { write(line: string): unknown };
  /** told of every answered request (the HTTP metrics), with the fields of its log line */
  onRequestDone?: RequestObserver;
}

export function buildHttp(deps: GwsDeps, bayeux?: BayeuxServer, given?: HttpFront, options: HttpOptions = {}): FastifyInstance {
  const { config } = deps;
  const errorHandler = makeErrorHandler(config.bodyLimitBytes);
  const limits = earlyErrorLimits(config);
  const secureCookie = cookieIsSecure(config);
  // the clientError handler exists before fastify's logger: it logs through this late-bound one
  let log: FastifyInstance['log'] | undefined;
  const lateLog = { debug: (o: object, m: string) => log?.debug(o, m), warn: (o: object, m: string) => log?.warn(o, m) };
  const front = given ?? httpFront(deps, lateLog);
  const { connections, origins } = front;
  let closing = false;
  const app = Fastify({
    ...serverTimeoutOptions(config),
    clientErrorHandler: clientErrorHandler(limits, lateLog),
    // URL errors found before routing (bad percent-encoding, over-long ids): same envelope
    frameworkErrors: (err, req, reply) => {
      reply.header('X-Request-Id', req.id);
      errorHandler(err, req, reply);
    },
    logger: loggerOptions(config.logLevel, options.logStream),
    // one line per request, with the user, operationName and GWS statusCode (logging.ts)
    logController: quietRequestLogs(),
    // request.log is built when something is logged through it (logging.ts, cost rule)
    childLoggerFactory: lazyRequestLoggers,
    genReqId: requestIds(),
    bodyLimit: config.bodyLimitBytes,
    routerOptions: { ignoreTrailingSlash: true },
    // our own 503 while closing (below), in the GWS envelope
    return503OnClosing: false,
    forceCloseConnections: 'idle',
  });
  log = app.log;
  if (!given) connections.attach(app.server);
  handleEarlyErrors(app.server, limits, lateLog);
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.decorateRequest('caller', null);
  installRequestLog(app, options.onRequestDone);

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (e) {
      done(gws.invalid(`Request body is not valid JSON: ${(e as Error).message}`), undefined);
    }
  });

  // callback-style hooks: no Promise per request unless authentication has to wait for a verification
  app.addHook('onRequest', (req, reply, done) => {
    // headers go through fastify's header map, not the raw response: one header set on the raw
    // response makes Node's writeHead merge and validate every later header one by one (about
    // 0.7 µs per request); the hijacked CometD route copies the map onto its raw response
    reply.header('X-Request-Id', req.id);
    if (req.raw.httpVersion === '1.1' && req.headers.host === undefined) {
      // RFC 9112 section 3.2: an HTTP/1.1 request without Host is answered 400
      sendStatus(reply, ERROR_TABLE.InvalidValue.statusCode, 'An HTTP/1.1 request needs a Host header', 400);
      return;
    }
    if (closing || connections.refused(req.raw.socket)) {
      reply.header('Connection', 'close');
      const why = closing ? 'Server is shutting down; try again shortly' : 'Server is at its connection limit; try again shortly';
      sendStatus(reply, ERROR_TABLE.Internal.statusCode, why, 503);
      return;
    }
    if (req.headers.origin !== undefined) {
      cors(origins, req, reply);
      if (req.url.startsWith(NOTIFICATIONS_PATH)) {
        // CometD is exempt from CSRF (cometd.md): a foreign browser origin is refused instead
        const foreign = foreignOrigin(origins, req.headers);
        if (foreign !== undefined) {
          sendStatus(reply, ERROR_TABLE.Forbidden.statusCode, FOREIGN_ORIGIN_MESSAGE(foreign), 403);
          return;
        }
      }
    }
    if (!req.routeOptions.config?.auth) return done();
    let waiting: void | Promise<void>;
    try {
      waiting = authenticate(deps, req, reply, connections);
    } catch (err) {
      return done(err as Error);
    }
    if (waiting) waiting.then(() => done(), (err: Error) => done(err));
    else done();
  });

  // the one onSend hook: the request line's GWS statusCode, the Secure cookie, the lingering close
  app.addHook('onSend', (req, reply, payload, done) => {
    noteAnswer(req, payload);
    if (secureCookie) {
      const cookies = reply.getHeader('set-cookie');
      if (cookies !== undefined) {
        // fastify appends to set-cookie: remove, then set the rewritten values
        reply.removeHeader('set-cookie');
        reply.header('set-cookie', (Array.isArray(cookies) ? cookies : [String(cookies)]).map(withSecure));
      }
    }
    if (!req.raw.complete && req.raw.socket instanceof Socket) {
      // answered before the request was read to its end: a lingering close, not an RST
      reply.removeHeader('connection');
      lingerAfterAnswer(req.raw, reply.raw, limits);
    }
    done(null, payload);
  });

  app.setErrorHandler(errorHandler);

  // the route table as it is built, for the API reference and its coverage test
  const routeTable = recordRoutes(app);
  const router = new Router(app);
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?', 1)[0];
    const allowed = router.allowedMethods(path);
    if (allowed.length) {
      reply.header('Allow', allowed.join(', '));
      return sendStatus(reply, ERROR_TABLE.NotFound.statusCode, `Method ${req.method} is not allowed on ${path}; use ${allowed.join(' or ')}`, 405);
    }
    return sendStatus(reply, ERROR_TABLE.NotFound.statusCode, `Resource not found: ${req.method} ${path}`, 404);
  });
  app.options('*', { config: { auth: false } }, (req, reply) => preflight(origins, req, reply));

  meRoutes(router, deps);
  deviceRoutes(router, deps);
  directoryRoutes(router, deps);
  auditRoutes(router, deps);
  recordingRoutes(router, deps);
  supervisionAgentRoutes(router, deps);
  consoleRoutes(router);
  healthRoutes(router, deps);
  resourceRoutes(router, deps);
  apiDocsRoutes(router, deps, routeTable);
  if (config.simApi) simRoutes(router, deps);

  if (bayeux) {
    const cometd = async (req: FastifyRequest, reply: FastifyReply) => {
      reply.hijack();
      // fastify does not write its headers for a hijacked reply: the request id and CORS headers
      // the onRequest hook set go onto the raw response the Bayeux server answers on
      for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) reply.raw.setHeader(name, value);
      // Authenticate as REST does: this verifies Basic credentials not seen yet (a client that
      // handshakes before any REST call, as the C# SDK does) so the Bayeux server's synchronous
      // hook finds them, and, like any first authenticated request, hands out the session cookie
      // (and the CSRF headers) so later CometD requests may carry the cookie alone.
      const a = await deps.auth.authenticate(req.headers, req.ip, req.raw.socket).catch((err: unknown) => {
        // a back-off refuses the handshake too (the Bayeux hook finds no credentials): say when to retry
        const retryAfter = retryAfterOf(err);
        if (retryAfter !== undefined) reply.raw.setHeader('Retry-After', String(retryAfter));
        return undefined;
      });
      if (a) {
        connections.markAuthenticated(req.raw.socket);
        if (a.setCookie) reply.raw.setHeader('Set-Cookie', secureCookie ? withSecure(sessionCookie(a.session.id)) : sessionCookie(a.session.id));
        reply.raw.setHeader('X-CSRF-HEADER', 'X-CSRF-TOKEN');
        reply.raw.setHeader('X-CSRF-TOKEN', a.session.csrfToken);
      }
      bayeux.handlePost(req.raw, reply.raw as ServerResponse, req.body);
    };
    router.raw('POST', NOTIFICATIONS_PATH, cometd);
    router.raw('POST', `${NOTIFICATIONS_PATH}/*`, cometd);
  }
  return app;
}
