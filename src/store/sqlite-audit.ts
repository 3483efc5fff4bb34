/**
 * The supervision audit log on SQLite: one prepared insert, and one prepared (count, page) pair per
 * combination of filters, built on first use and reused. Entries come back oldest first, by
 * (at, id); optional fields that were not recorded are absent, not null.
 */
import type Database from 'better-sqlite3';
import type { AuditEntry, AuditFilter } from './port.js';

interface AuditRow {
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

/** The optional filters, each with the SQL condition it adds. */
const CONDITIONS = {
  supervisorUserId: 'supervisor_user_id = @supervisorUserId',
  agentUserId: '(target_user_id = @agentUserId OR agent_user_id = @agentUserId)',
  callUuid: 'call_uuid = @callUuid',
  from: 'at >= @from',
  to: 'at <= @to',
} as const;
type FilterKey = keyof typeof CONDITIONS;
const FILTER_KEYS = Object.keys(CONDITIONS) as FilterKey[];

function toEntry(r: AuditRow): AuditEntry {
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

export class SqliteAuditLog {
  private readonly insert: Database.Statement;
  private readonly queries = new Map<string, { count: Database.Statement; page: Database.Statement }>();

  constructor(private readonly db: Database.Database) {
    this.insert = db.prepare(`
      INSERT INTO audit (at, contact_center_id, event, supervisor_user_id, supervisor_dn, target_user_id, target_dn,
                         agent_user_id, agent_dn, call_uuid, mode, scope, span, reason)
      VALUES (@at, @contactCenterId, @event, @supervisorUserId, @supervisorDn, @targetUserId, @targetDn,
              @agentUserId, @agentDn, @callUuid, @mode, @scope, @span, @reason)`);
  }

  append(e: AuditEntry): number {
    const r = this.insert.run({
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
    });
    return Number(r.lastInsertRowid);
  }

  query(f: AuditFilter): { total: number; entries: AuditEntry[] } {
    const used = FILTER_KEYS.filter((k) => f[k] !== undefined);
    const key = used.join(',');
    let q = this.queries.get(key);
    if (!q) {
      const where = ['contact_center_id = @contactCenterId', ...used.map((k) => CONDITIONS[k])].join(' AND ');
      q = {
        count: this.db.prepare(`SELECT COUNT(*) AS n FROM audit WHERE ${where}`),
        page: this.db.prepare(`SELECT * FROM audit WHERE ${where} ORDER BY at, id LIMIT @limit OFFSET @offset`),
      };
      this.queries.set(key, q);
    }
    const params: Record<string, unknown> = { contactCenterId: f.contactCenterId };
    for (const k of used) params[k] = f[k];
    const total = (q.count.get(params) as { n: number }).n;
    const limit = Math.max(0, Math.floor(f.limit));
    const offset = Math.max(0, Math.floor(f.offset));
    const rows = limit === 0 ? [] : (q.page.all({ ...params, limit, offset }) as AuditRow[]);
    return { total, entries: rows.map(toEntry) };
  }
}
