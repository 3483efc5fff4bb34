/**
 * Operator probes, all public (no credentials: they tell nothing a caller could use against the
 * server beyond the fault itself) and cheap. Not GWS resources, so not the GWS envelope.
 * - GET /healthz: the process is up and answering: always 200 {"status":"up"}.
 * - GET /readyz: whether this server can do all it promises right now, for a load balancer or an
 *   orchestrator: 200 {"status":"ready"}, or 503 {"status":"not ready","reason":"…"}, the reasons
 *   of every failing check joined by "; ". The checks are a list (`ReadinessChecks`) the
 *   composition root fills: the supervision audit, the store (a trivial write, cached for a
 *   second), CometD serving, and whatever else registers itself (the SIP server, its sockets bound).
 *   A check that throws or rejects counts as failing, with its message as the reason.
 * - GET /metrics: the Prometheus text exposition (src/app/metrics.ts), when the app has metrics
 *   and `metricsEnabled` is on; 404 otherwise.
 */
import type { GwsDeps } from '../context.js';
import type { Router } from '../router.js';
import { JSON_CONTENT_TYPE } from '../reply.js';

export const READINESS_PATH = '/readyz';
export const LIVENESS_PATH = '/healthz';
export const METRICS_PATH = '/metrics';

/** what GET /metrics serves (src/app/metrics.ts Metrics) */
export interface MetricsExposition {
  readonly contentType: string;
  text(): Promise<string>;
}

/** undefined = fine; a string = why not ready */
export type ReadinessCheck = () => string | undefined | Promise<string | undefined>;

/** The named readiness checks, in the order they were added (names are unique). */
export class ReadinessChecks {
  private readonly checks = new Map<string, ReadinessCheck>();

  /** add (or replace) the check called `name`; returns a function that removes it */
  add(name: string, check: ReadinessCheck): () => void {
    this.checks.set(name, check);
    return () => {
      if (this.checks.get(name) === check) this.checks.delete(name);
    };
  }

  names(): string[] {
    return [...this.checks.keys()];
  }

  /** every reason this server is not ready now (empty = ready) */
  async reasons(): Promise<string[]> {
    const results = await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        try {
          return await check();
        } catch (err) {
          return `${name}: ${err instanceof Error ? err.message : String(err)}`;
        }
      }),
    );
    return results.filter((reason): reason is string => typeof reason === 'string');
  }
}

/**
 * A check whose answer is kept for `maxAgeMs` (one run at a time): a probe that touches the store
 * then costs one store call per second however often the orchestrator asks.
 */
export function cachedCheck(check: ReadinessCheck, maxAgeMs: number, now: () => number = Date.now): ReadinessCheck {
  let last: { at: number; reason: string | undefined } | undefined;
  let running: Promise<string | undefined> | undefined;
  return () => {
    if (last && now() - last.at < maxAgeMs) return last.reason;
    running ??= (async () => {
      try {
        const reason = await check();
        last = { at: now(), reason };
        return reason;
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        last = { at: now(), reason };
        return reason;
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
}

/** The readiness list when the composition root gave none: the audit fault alone. */
function defaultChecks(deps: GwsDeps): ReadinessChecks {
  const checks = new ReadinessChecks();
  checks.add('audit', () => deps.auditFault?.());
  return checks;
}

/** every reason this server is not ready now (empty = ready) */
export function notReadyReasons(deps: GwsDeps): Promise<string[]> {
  return (deps.readiness ?? defaultChecks(deps)).reasons();
}

export function healthRoutes(r: Router, deps: GwsDeps): void {
  const fallback = deps.readiness ? undefined : defaultChecks(deps);
  r.raw('GET', LIVENESS_PATH, (_req, reply) => {
    reply.header('Cache-Control', 'no-store').type(JSON_CONTENT_TYPE);
    return reply.code(200).send({ status: 'up' });
  });
  r.raw('GET', READINESS_PATH, async (_req, reply) => {
    const reasons = await (deps.readiness ?? fallback)!.reasons();
    reply.header('Cache-Control', 'no-store').type(JSON_CONTENT_TYPE);
    if (reasons.length === 0) return reply.code(200).send({ status: 'ready' });
    return reply.code(503).send({ status: 'not ready', reason: reasons.join('; ') });
  });
  const metrics = deps.metrics;
  if (metrics && deps.config.metricsEnabled !== false) {
    r.raw('GET', METRICS_PATH, async (_req, reply) => {
      const text = await metrics.text();
      reply.header('Cache-Control', 'no-store').type(metrics.contentType);
      return reply.code(200).send(text);
    });
  }
}
