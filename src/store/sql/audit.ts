/**
 * The supervision audit log's SQL, written once for SQLite and PostgreSQL: one insert, and one
 * (count, page) pair per combination of filters. Entries come back oldest first, by (at, id);
 * optional fields that were not recorded are absent, not null.
 *
 * Cost guarantee (issue 7): every statement walks one named index (on SQLite pinned with INDEXED BY,
 * chosen from the table below, so the plan never depends on the planner's statistics; PostgreSQL
 * has the same indexes and no hints) in (at, id) order and stops after at most AUDIT_WINDOW
 * entries: the page after offset + limit, the count after AUDIT_WINDOW. The agent filter (target
 * or agent user) is two such walks merged, never an OR that sorts every match.
 * `SqlAuditLog` runs them on any SqlDatabase; sqlite-audit.ts runs them synchronously on SQLite.
 */
import { AUDIT_WINDOW } from '../port.js';
import type { AuditEntry, AuditFilter, AuditPosition, AuditStore } from '../port.js';
import type { SqlDatabase } from './database.js';
import type { Dialect } from './dialect.js';

export interface AuditRow {
  id: number;
  at: number;
  contact_center_id: string;
  event: string;
  supervisor_user_id: string;
  supervisor_dn: string;
  target_user_id: string | null;
  target_dn: string;
  agent_user_id: string | null;
  agent_dn: string | null;
  call_uuid: string | null;
  mode: string;
  scope: string;
  span: string;
  reason: string | null;
}

/** Columns a branch of a query may pin, besides the contact center ('either': target or agent). */
type Pinned = 'supervisor' | 'target' | 'agent' | 'either' | 'call';

/** The index each combination of pinned columns walks (call is selective: it wins over the rest). */
const INDEX_FOR: Readonly<Record<string, string>> = {
  '': 'audit_cc_at',
  supervisor: 'audit_supervisor',
  target: 'audit_target',
  agent: 'audit_agent',
  'supervisor,target': 'audit_supervisor_target',
  'supervisor,agent': 'audit_supervisor_agent',
};
const CALL_INDEX = 'audit_call';

/** The SQL condition of each pinned column and of the time range. */
const CONDITION: Readonly<Record<Pinned | 'from' | 'to', string>> = {
  supervisor: 'supervisor_user_id = @supervisorUserId',
  target: 'target_user_id = @agentUserId',
  agent: 'agent_user_id = @agentUserId',
  either: '(target_user_id = @agentUserId OR agent_user_id = @agentUserId)',
  call: 'call_uuid = @callUuid',
  from: 'at >= @from',
  to: 'at <= @to',
};

/** One index walk: `FROM audit INDEXED BY … WHERE …` for the given pinned columns. */
function branch(d: Dialect, pinned: Pinned[], range: ('from' | 'to')[]): string {
  const index = pinned.includes('call') ? CALL_INDEX : INDEX_FOR[pinned.join(',')];
  // 'either' is only a filter over the few rows of one call
  if (!index) throw new Error(`no audit index for ${pinned.join(', ')}`);
  const where = ['contact_center_id = @contactCenterId', ...pinned.map((p) => CONDITION[p]), ...range.map((r) => CONDITION[r])];
  return `FROM audit ${d.indexHint(index)} WHERE ${where.join(' AND ')}`;
}

/** The (count, page) SQL for a filter shape: one index walk, or two merged for the agent filter. */
export function auditQuerySql(d: Dialect, f: AuditFilter): { count: string; page: string } {
  const common: Pinned[] = [];
  if (f.supervisorUserId !== undefined) common.push('supervisor');
  const range = (['from', 'to'] as const).filter((k) => f[k] !== undefined);
  if (f.agentUserId === undefined || f.callUuid !== undefined) {
    const pinned: Pinned[] = [...common, ...(f.agentUserId !== undefined ? (['either'] as const) : []), ...(f.callUuid !== undefined ? (['call'] as const) : [])];
    const from = branch(d, pinned, range);
    return {
      // ordered like the page, so it is a bounded walk of the index on PostgreSQL too (its planner
      // may otherwise prefer a table scan that stops at the window, which is unbounded for a small contact center)
      count: `SELECT COUNT(*) AS n FROM (SELECT 1 ${from} ORDER BY at, id LIMIT @window) AS w`,
      page: `SELECT * ${from} ORDER BY at, id LIMIT @limit OFFSET @offset`,
    };
  }
  // the agent is either the target or the agent on the call: walk both indexes, merge by id
  const walks = (['target', 'agent'] as const).map((who) => branch(d, [...common, who], range));
  const ids = (reach: string) =>
    walks.map((from, i) => `SELECT id FROM (SELECT id ${from} ORDER BY at, id LIMIT ${reach}) AS walk${i}`).join(' UNION ');
  return {
    count: `SELECT COUNT(*) AS n FROM (${ids('@window')}) AS w`,
    page: `SELECT * FROM audit WHERE id IN (${ids('@reach')}) ORDER BY at, id LIMIT @limit OFFSET @offset`,
  };
}

export function auditShapeOf(f: AuditFilter): string {
  return (['supervisorUserId', 'agentUserId', 'callUuid', 'from', 'to'] as const).filter((k) => f[k] !== undefined).join(',');
}

export function toAuditEntry(r: AuditRow): AuditEntry {
  const e: AuditEntry = {
    id: r.id,
    at: r.at,
    contactCenterId: r.contact_center_id,
    event: r.event,
    supervisorUserId: r.supervisor_user_id,
    supervisorDn: r.supervisor_dn,
    targetDn: r.target_dn,
    mode: r.mode,
    scope: r.scope,
    span: r.span,
  };
  if (r.target_user_id !== null) e.targetUserId = r.target_user_id;
  if (r.agent_user_id !== null) e.agentUserId = r.agent_user_id;
  if (r.agent_dn !== null) e.agentDn = r.agent_dn;
  if (r.call_uuid !== null) e.callUuid = r.call_uuid;
  if (r.reason !== null) e.reason = r.reason;
  return e;
}

/**
 * One supervisor's entries newest first, below a position: a backward walk of audit_supervisor
 * (the row value compares (at, id) as one key, so each page starts where the last one stopped).
 */
export function auditRecentOfSupervisorSql(d: Dialect): string {
  return `SELECT * FROM audit ${d.indexHint('audit_supervisor')}
    WHERE contact_center_id = @contactCenterId AND supervisor_user_id = @supervisorUserId AND (at, id) < (@beforeAt, @beforeId)
    ORDER BY at DESC, id DESC LIMIT @limit`;
}

/** the named values of auditRecentOfSupervisorSql (no `before`: from the newest entry) */
export function auditRecentParams(contactCenterId: string, supervisorUserId: string, limit: number, before?: AuditPosition): Record<string, unknown> {
  return {
    contactCenterId,
    supervisorUserId,
    limit: Math.min(AUDIT_WINDOW, Math.max(0, Math.floor(limit))),
    beforeAt: before?.at ?? Number.MAX_SAFE_INTEGER,
    beforeId: before?.id ?? Number.MAX_SAFE_INTEGER,
  };
}

export const AUDIT_INSERT = `
  INSERT INTO audit (at, contact_center_id, event, supervisor_user_id, supervisor_dn, target_user_id, target_dn,
                     agent_user_id, agent_dn, call_uuid, mode, scope, span, reason)
  VALUES (@at, @contactCenterId, @event, @supervisorUserId, @supervisorDn, @targetUserId, @targetDn,
          @agentUserId, @agentDn, @callUuid, @mode, @scope, @span, @reason)`;

/** The named values of AUDIT_INSERT for an entry (absent optional fields as null). */
export function auditInsertParams(e: AuditEntry): Record<string, unknown> {
  return {
    at: e.at,
    contactCenterId: e.contactCenterId,
    event: e.event,
    supervisorUserId: e.supervisorUserId,
    supervisorDn: e.supervisorDn,
    targetUserId: e.targetUserId ?? null,
    targetDn: e.targetDn,
    agentUserId: e.agentUserId ?? null,
    agentDn: e.agentDn ?? null,
    callUuid: e.callUuid ?? null,
    mode: e.mode,
    scope: e.scope,
    span: e.span,
    reason: e.reason ?? null,
  };
}

/** offset and limit clamped to the window, and the named values of a filter's statements */
export function auditQueryParams(f: AuditFilter): { offset: number; limit: number; params: Record<string, unknown> } {
  const offset = Math.min(AUDIT_WINDOW, Math.max(0, Math.floor(f.offset)));
  const limit = Math.min(AUDIT_WINDOW - offset, Math.max(0, Math.floor(f.limit)));
  const params: Record<string, unknown> = { contactCenterId: f.contactCenterId, window: AUDIT_WINDOW, limit, offset, reach: offset + limit };
  for (const k of ['supervisorUserId', 'agentUserId', 'callUuid', 'from', 'to'] as const) if (f[k] !== undefined) params[k] = f[k];
  return { offset, limit, params };
}

export class SqlAuditLog implements AuditStore {
  private readonly queries = new Map<string, { count: string; page: string }>();
  private recent: string | undefined;

  constructor(private readonly db: SqlDatabase) {}

  async append(e: AuditEntry): Promise<void> {
    await this.db.run(AUDIT_INSERT, auditInsertParams(e));
  }

  async recentOfSupervisor(contactCenterId: string, supervisorUserId: string, limit: number, before?: AuditPosition): Promise<AuditEntry[]> {
    this.recent ??= auditRecentOfSupervisorSql(this.db.dialect);
    const rows = await this.db.all<AuditRow>(this.recent, auditRecentParams(contactCenterId, supervisorUserId, limit, before));
    return rows.map(toAuditEntry);
  }

  async query(f: AuditFilter): Promise<{ total: number; entries: AuditEntry[] }> {
    const shape = auditShapeOf(f);
    let sql = this.queries.get(shape);
    if (!sql) {
      sql = auditQuerySql(this.db.dialect, f);
      this.queries.set(shape, sql);
    }
    const { limit, params } = auditQueryParams(f);
    const counted = (await this.db.get<{ n: number }>(sql.count, params))!.n;
    const rows = limit === 0 ? [] : await this.db.all<AuditRow>(sql.page, params);
    return { total: Math.min(AUDIT_WINDOW, counted), entries: rows.map(toAuditEntry) };
  }
}
