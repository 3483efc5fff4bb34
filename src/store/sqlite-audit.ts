/**
 * The supervision audit log on one better-sqlite3 connection, synchronously: the statements of
 * sql/audit.ts (written once for both databases, with their cost guarantee) prepared once per
 * filter shape, for bulk loads inside a better-sqlite3 transaction, and `explain`, which returns
 * the query plans so a test can hold the statements to the guarantee.
 */
import type Database from 'better-sqlite3';
import { AUDIT_WINDOW } from './port.js';
import type { AuditEntry, AuditFilter, AuditPosition } from './port.js';
import { SQLITE } from './sql/dialect.js';
import {
  AUDIT_INSERT, auditInsertParams, auditQueryParams, auditQuerySql, auditRecentOfSupervisorSql, auditRecentParams, auditShapeOf, toAuditEntry, type AuditRow,
} from './sql/audit.js';

interface Statements {
  count: Database.Statement;
  page: Database.Statement;
}

export class SqliteAuditLog {
  private readonly insert: Database.Statement;
  private readonly queries = new Map<string, Statements>();
  private recent: Database.Statement | undefined;

  constructor(private readonly db: Database.Database) {
    this.insert = db.prepare(AUDIT_INSERT);
  }

  append(e: AuditEntry): number {
    return Number(this.insert.run(auditInsertParams(e)).lastInsertRowid);
  }

  query(f: AuditFilter): { total: number; entries: AuditEntry[] } {
    const statements = this.statements(f);
    const { limit, params } = auditQueryParams(f);
    const counted = (statements.count.get(params) as { n: number }).n;
    const rows = limit === 0 ? [] : (statements.page.all(params) as AuditRow[]);
    return { total: Math.min(AUDIT_WINDOW, counted), entries: rows.map(toAuditEntry) };
  }

  recentOfSupervisor(contactCenterId: string, supervisorUserId: string, limit: number, before?: AuditPosition): AuditEntry[] {
    this.recent ??= this.db.prepare(auditRecentOfSupervisorSql(SQLITE));
    return (this.recent.all(auditRecentParams(contactCenterId, supervisorUserId, limit, before)) as AuditRow[]).map(toAuditEntry);
  }

  /** EXPLAIN QUERY PLAN of recentOfSupervisor's statement */
  explainRecent(): string[] {
    const params = auditRecentParams('cc', 'supervisor', 1);
    return (this.db.prepare(`EXPLAIN QUERY PLAN ${auditRecentOfSupervisorSql(SQLITE)}`).all(params) as { detail: string }[]).map((r) => r.detail);
  }

  /** EXPLAIN QUERY PLAN of the count and page statements of a filter (one line per plan step). */
  explain(f: AuditFilter): { count: string[]; page: string[] } {
    const sql = auditQuerySql(SQLITE, f);
    const { params } = auditQueryParams({ ...f, offset: 0, limit: 1 });
    const plan = (text: string) => (this.db.prepare(`EXPLAIN QUERY PLAN ${text}`).all(params) as { detail: string }[]).map((r) => r.detail);
    return { count: plan(sql.count), page: plan(sql.page) };
  }

  private statements(f: AuditFilter): Statements {
    const shape = auditShapeOf(f);
    let statements = this.queries.get(shape);
    if (!statements) {
      const sql = auditQuerySql(SQLITE, f);
      statements = { count: this.db.prepare(sql.count), page: this.db.prepare(sql.page) };
      this.queries.set(shape, statements);
    }
    return statements;
  }
}
