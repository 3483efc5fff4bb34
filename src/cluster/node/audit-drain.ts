/**
 * The supervision audit read on any node includes what the owner has done: the owner writes audit
 * entries to the shared store asynchronously (src/app/audit-writer.ts), so before a node lists the
 * audit (GET /api/v2/supervision/audit awaits `auditWritten`) it asks the owner of each contact
 * center to finish the writes already asked for, on `switchboard.audit.<token>` (request/reply).
 *
 * Guarantees: a listing made after a notification was delivered contains that notification's audit
 * entry (the owner queued the entry before it published the notification); an owner that does not
 * answer within DRAIN_TIMEOUT_MS (dying, or no owner yet) delays the listing by at most that, never
 * fails it.
 */
import type { NatsConnection } from 'nats';
import { subjectToken } from '../contract.js';

export const DRAIN_TIMEOUT_MS = 1000;

const auditSubject = (ccId: string) => `switchboard.audit.${subjectToken(ccId)}`;

/** answer drain requests for ccId with `drain` (the owner, while it owns ccId); returns stop */
export function serveAuditDrain(nc: NatsConnection, ccId: string, drain: () => Promise<void>): () => void {
  const sub = nc.subscribe(auditSubject(ccId), {
    callback: (_err, msg) => {
      drain().then(
        () => msg.respond(),
        () => msg.respond(),
      );
    },
  });
  return () => sub.unsubscribe();
}

/** wait until the owners of these contact centers have written the audit entries they queued */
export async function auditDrained(nc: NatsConnection, ccIds: readonly string[]): Promise<void> {
  await Promise.all(ccIds.map((ccId) => nc.request(auditSubject(ccId), undefined, { timeout: DRAIN_TIMEOUT_MS }).catch(() => undefined)));
}
