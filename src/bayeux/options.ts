/**
 * Option defaults, the logger wrapper and the failure guard of the Bayeux server.
 *
 * Guarantees: nothing is ever written to the console (with no `log` given, nothing is logged); a
 * log sink that throws is ignored, so logging can never break a request or a timer; `guarded` runs
 * a callback of a timer, socket or publisher so that an exception is logged and swallowed instead
 * of reaching the event loop and ending the process.
 */
import type { BayeuxMetricsHook, BayeuxOptions, RefusalRenderer } from './port.js';

export interface ResolvedOptions {
  timeoutMs: number;
  intervalMs: number;
  maxIntervalMs: number;
  maxQueue: number;
  maxWsBufferedBytes: number;
  maxSessionsPerUser: number;
  maxSessionsPerWebSocket: number;
  maxSubscriptionsPerSession: number;
  maxSessionsPerBrowser: number;
  multiSessionIntervalMs: number;
  authenticate: BayeuxOptions['authenticate'];
  renderRefusal: RefusalRenderer;
  metrics: BayeuxMetricsHook;
  presence: (userKey: string, present: boolean) => void;
  keepAlive: NonNullable<BayeuxOptions['keepAlive']>;
  handshakeExt: Readonly<Record<string, string>>;
}

export interface Log {
  debug(o: object, msg: string): void;
  info(o: object, msg: string): void;
  warn(o: object, msg: string): void;
}

export const DEFAULTS = {
  timeoutMs: 30000,
  intervalMs: 0,
  maxIntervalMs: 10000,
  maxQueue: 1000,
  maxWsBufferedBytes: 8 * 1024 * 1024,
  maxSessionsPerUser: 100,
  maxSessionsPerWebSocket: 10,
  maxSubscriptionsPerSession: 100,
  maxSessionsPerBrowser: 0,
  multiSessionIntervalMs: 2000,
} as const;

/** The default refusal of a websocket upgrade: a JSON statusCode envelope. */
export const defaultRenderRefusal: RefusalRenderer = (status, message) => ({
  contentType: 'application/json',
  body: JSON.stringify({ statusCode: status, statusMessage: message }),
});

function num(v: unknown, dflt: number, min: number): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= min ? v : dflt;
}

const int = (v: unknown, dflt: number, min: number): number => Math.floor(num(v, dflt, min));

export function resolveOptions(opts: BayeuxOptions): ResolvedOptions {
  if (typeof opts?.authenticate !== 'function') throw new TypeError('BayeuxOptions.authenticate is required');
  return {
    timeoutMs: num(opts.timeoutMs, DEFAULTS.timeoutMs, 0),
    intervalMs: num(opts.intervalMs, DEFAULTS.intervalMs, 0),
    maxIntervalMs: num(opts.maxIntervalMs, DEFAULTS.maxIntervalMs, 0),
    maxQueue: int(opts.maxQueue, DEFAULTS.maxQueue, 1),
    maxWsBufferedBytes: num(opts.maxWsBufferedBytes, DEFAULTS.maxWsBufferedBytes, 1),
    maxSessionsPerUser: int(opts.maxSessionsPerUser, DEFAULTS.maxSessionsPerUser, 1),
    maxSessionsPerWebSocket: int(opts.maxSessionsPerWebSocket, DEFAULTS.maxSessionsPerWebSocket, 1),
    maxSubscriptionsPerSession: int(opts.maxSubscriptionsPerSession, DEFAULTS.maxSubscriptionsPerSession, 1),
    maxSessionsPerBrowser: int(opts.maxSessionsPerBrowser, DEFAULTS.maxSessionsPerBrowser, 0),
    multiSessionIntervalMs: num(opts.multiSessionIntervalMs, DEFAULTS.multiSessionIntervalMs, 0),
    authenticate: opts.authenticate,
    renderRefusal: typeof opts.renderRefusal === 'function' ? opts.renderRefusal : defaultRenderRefusal,
    metrics: safeMetrics(opts.metrics),
    presence: safePresence(opts.presence),
    keepAlive: typeof opts.keepAlive === 'function' ? safeKeepAlive(opts.keepAlive) : noop,
    handshakeExt: handshakeExtOf(opts.handshakeExt),
  };
}

const noop = (): void => {};

/** the host's handshake ext members: string values only, `ack` left to the ack extension (port.ts) */
function handshakeExtOf(ext: BayeuxOptions['handshakeExt']): Readonly<Record<string, string>> {
  const members: Record<string, string> = {};
  for (const [name, value] of Object.entries(ext ?? {})) if (name !== 'ack' && typeof value === 'string') members[name] = value;
  return Object.freeze(members);
}

function safeKeepAlive(hook: NonNullable<BayeuxOptions['keepAlive']>): NonNullable<BayeuxOptions['keepAlive']> {
  return (headers) => {
    try {
      hook(headers);
    } catch {
      // a keep-alive hook that throws is ignored (port.ts)
    }
  };
}

/** The host's metrics hook with each callback guarded: a counter that throws never breaks delivery. */
function safeMetrics(hook: BayeuxMetricsHook | undefined): BayeuxMetricsHook {
  const queued = hook?.queued;
  const dropped = hook?.dropped;
  return {
    // called on every delivery: a try here rather than a closure through safely()
    queued: (count) => {
      if (!queued || count <= 0) return;
      try {
        queued.call(hook, count);
      } catch {
        /* a broken counter must not break delivery */
      }
    },
    dropped: (reason, count) => {
      if (dropped && count > 0) safely(() => dropped.call(hook, reason, count));
    },
  };
}

/** The host's presence hook, guarded like the metrics hook. */
function safePresence(hook: BayeuxOptions['presence']): (userKey: string, present: boolean) => void {
  if (typeof hook !== 'function') return noop;
  return (userKey, present) => safely(() => hook(userKey, present));
}

/** Call one sink method; a sink that throws is ignored (there is nowhere left to report it). */
function safely(call: () => void): void {
  try {
    call();
  } catch {
    /* a broken log sink must not break the server */
  }
}

export function makeLog(sink: BayeuxOptions['log']): Log {
  if (!sink) return { debug: noop, info: noop, warn: noop };
  return {
    debug: (o, msg) => safely(() => sink.debug?.(o, msg)),
    info: (o, msg) => safely(() => sink.info(o, msg)),
    warn: (o, msg) => safely(() => sink.warn(o, msg)),
  };
}

/** The log line of an entry point that threw (guarded, and the hot entry points that inline its try). */
export function entryPointFailed(log: Log, what: string, err: unknown): void {
  log.warn({ err, entryPoint: what }, `bayeux: ${what} failed`);
}

/**
 * Run `body` as an entry point from the event loop (timer, socket callback, publisher): an
 * exception is logged as `bayeux: <what> failed` and then `fallback` (if any) is tried the same way.
 * Returns whether `body` completed.
 */
export function guarded(log: Log, what: string, body: () => void, fallback?: () => void): boolean {
  try {
    body();
    return true;
  } catch (err) {
    entryPointFailed(log, what, err);
    if (fallback) {
      try {
        fallback();
      } catch (fallbackError) {
        log.warn({ err: fallbackError, entryPoint: what }, `bayeux: ${what} fallback failed`);
      }
    }
    return false;
  }
}
