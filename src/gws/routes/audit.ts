/**
 * GET /api/v2/supervision/audit (supervision.md section 9): supervisors read their own entries,
 * admins the whole contact center, anyone else gets statusCode 5. Filters: supervisor and agent
 * (userName or id), callUuid, from and to (epoch ms or ISO 8601), offset (default 0, at most
 * AUDIT_WINDOW), limit (default 100, at most 1000); a bad value is statusCode 10. A listing reaches
 * the first AUDIT_WINDOW matches and totalCount counts at most that many (store/port.ts): narrow
 * with from/to to reach further. A store that cannot be read (corrupt pages, I/O error) is
 * statusCode 12 with HTTP 503 and one log line per failed request, never an internal error.
 */
import { DomainError, ErrorCode } from '../../errors.js';
import { storeFaultOf } from '../../store/faults.js';
import type { AuditEntry, AuditFilter } from '../../store/port.js';
import { AUDIT_WINDOW, Role } from '../../store/port.js';
import type { Caller, GwsDeps } from '../context.js';
import type { Json } from '../present.js';
import { gws } from '../reply.js';
import type { Router } from '../router.js';
import { queryString } from './common.js';

const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

function instant(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const t = /^\d+$/.test(raw) ? Number(raw) : ISO_8601.test(raw) ? Date.parse(raw) : NaN;
  if (!Number.isFinite(t)) throw gws.invalid(`Query parameter '${name}' must be epoch milliseconds or an ISO 8601 time, got '${raw}'`);
  return t;
}

function count(raw: string | undefined, name: string, dflt: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return dflt;
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw gws.invalid(`Query parameter '${name}' must be a whole number from ${min} to ${max}, got '${raw}'`);
  return n;
}

function userFilter(deps: GwsDeps, caller: Caller, raw: string | undefined, name: string): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  const u = deps.directory.userInCenter(caller.cc.id, raw);
  if (!u) throw gws.invalid(`Query parameter '${name}': no user '${raw}' (userName or id) in your contact center`);
  return u.id;
}

function party(deps: GwsDeps, userId: string | undefined, dn: string): Json {
  const u = userId ? deps.directory.user(userId) : undefined;
  const out: Json = u ? { id: u.id, userName: u.userName, phoneNumber: dn } : { phoneNumber: dn };
  return out;
}

function entryJson(deps: GwsDeps, e: AuditEntry): Json {
  const targetIsRoutingPoint = deps.directory.deviceByDn(e.targetDn)?.kind === 'RoutingPoint';
  const out: Json = {
    time: new Date(e.at).toISOString(),
    event: e.event,
    supervisor: party(deps, e.supervisorUserId, e.supervisorDn),
    target: { ...party(deps, e.targetUserId, e.targetDn), type: targetIsRoutingPoint ? 'RoutingPoint' : 'Agent' },
  };
  if (e.agentDn) out.agent = party(deps, e.agentUserId, e.agentDn);
  if (e.callUuid) out.callUuid = e.callUuid;
  out.mode = e.mode;
  out.scope = e.scope;
  out.supervisorMonitoringMode = e.span;
  if (e.reason) out.reason = e.reason;
  return out;
}

export function auditRoutes(r: Router, deps: GwsDeps): void {
  r.get('/api/v2/supervision/audit', async (req, _reply, caller) => {
    const isAdmin = caller.user.roles.includes(Role.Admin);
    if (!isAdmin && !caller.user.roles.includes(Role.Supervisor)) {
      throw gws.noPermission('The supervision audit is for supervisors (their own entries) and admins');
    }
    const q = (n: string) => queryString(req, n);
    const supervisor = userFilter(deps, caller, q('supervisor'), 'supervisor');
    const filter: AuditFilter = {
      contactCenterId: caller.cc.id,
      agentUserId: userFilter(deps, caller, q('agent'), 'agent'),
      callUuid: q('callUuid') || undefined,
      from: instant(q('from'), 'from'),
      to: instant(q('to'), 'to'),
      offset: count(q('offset'), 'offset', 0, 0, AUDIT_WINDOW),
      limit: count(q('limit'), 'limit', 100, 1, 1000),
    };
    if (filter.from !== undefined && filter.to !== undefined && filter.from > filter.to) {
      throw gws.invalid(`Query parameter 'from' must not be after 'to'`);
    }
    const empty = { totalCount: 0, offset: filter.offset, limit: filter.limit, entries: [] };
    if (isAdmin) {
      filter.supervisorUserId = supervisor;
    } else {
      // a supervisor sees only their own entries; naming someone else finds nothing
      if (supervisor && supervisor !== caller.user.id) return empty;
      filter.supervisorUserId = caller.user.id;
    }
    await deps.auditWritten?.();
    const { total, entries } = await deps.store.query(filter).catch((err: unknown) => {
      const fault = storeFaultOf(err);
      if (!fault) throw err;
      req.log.error({ err, code: fault.code }, `audit read failed: ${fault.reason}`);
      throw new DomainError(ErrorCode.StoreUnreadable, `The supervision audit cannot be read now: ${fault.reason} (${fault.code}); the server log has the details`);
    });
    return { totalCount: total, offset: filter.offset, limit: filter.limit, entries: entries.map((e) => entryJson(deps, e)) };
  });
}
