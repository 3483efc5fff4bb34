/**
 * GET /readyz: whether this server can do all it promises right now, for a load balancer or an
 * orchestrator. 200 {"status":"ready"}, or 503 {"status":"not ready","reason":"…"}, the reasons
 * joined by "; " (today there is one: the supervision audit cannot be written). Public (no credentials,
 * and it tells nothing a caller could use against the server beyond the fault itself) and cheap:
 * it reads in-memory state only, never the store. Not a GWS resource, so not the GWS envelope.
 */
import type { GwsDeps } from '../context.js';
import type { Router } from '../router.js';

export const READINESS_PATH = '/readyz';

/** every reason this server is not ready now (empty = ready) */
export function notReadyReasons(deps: GwsDeps): string[] {
  const checks: (() => string | undefined)[] = [() => deps.auditFault?.()];
  return checks.map((check) => check()).filter((reason): reason is string => reason !== undefined);
}

export function healthRoutes(r: Router, deps: GwsDeps): void {
  r.raw('GET', READINESS_PATH, (_req, reply) => {
    const reasons = notReadyReasons(deps);
    reply.header('Cache-Control', 'no-store').type('application/json; charset=utf-8');
    if (reasons.length === 0) return reply.code(200).send({ status: 'ready' });
    return reply.code(503).send({ status: 'not ready', reason: reasons.join('; ') });
  });
}
