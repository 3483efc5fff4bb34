/**
 * Option defaults and the logger wrapper of the Bayeux server. Never writes to the console: with
 * no `log` given, nothing is logged.
 */
import type { BayeuxOptions } from './port.js';

export interface ResolvedOptions {
  timeoutMs: number;
  intervalMs: number;
  maxIntervalMs: number;
  maxQueue: number;
  maxWsBufferedBytes: number;
  authenticate: BayeuxOptions['authenticate'];
}

export interface Log {
  debug(o: object, msg: string): void;
  info(o: object, msg: string): void;
  warn(o: object, msg: string): void;
}

export const DEFAULTS = { timeoutMs: 30000, intervalMs: 0, maxIntervalMs: 10000, maxQueue: 1000, maxWsBufferedBytes: 8 * 1024 * 1024 } as const;

function num(v: unknown, dflt: number, min: number): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= min ? v : dflt;
}

export function resolveOptions(opts: BayeuxOptions): ResolvedOptions {
  if (typeof opts?.authenticate !== 'function') throw new TypeError('BayeuxOptions.authenticate is required');
  return {
    timeoutMs: num(opts.timeoutMs, DEFAULTS.timeoutMs, 0),
    intervalMs: num(opts.intervalMs, DEFAULTS.intervalMs, 0),
    maxIntervalMs: num(opts.maxIntervalMs, DEFAULTS.maxIntervalMs, 0),
    maxQueue: Math.floor(num(opts.maxQueue, DEFAULTS.maxQueue, 1)),
    maxWsBufferedBytes: num(opts.maxWsBufferedBytes, DEFAULTS.maxWsBufferedBytes, 1),
    authenticate: opts.authenticate,
  };
}

const noop = (): void => {};

export function makeLog(sink: BayeuxOptions['log']): Log {
  if (!sink) return { debug: noop, info: noop, warn: noop };
  return {
    debug: (o, msg) => sink.debug?.(o, msg),
    info: (o, msg) => sink.info(o, msg),
    warn: (o, msg) => sink.warn(o, msg),
  };
}
