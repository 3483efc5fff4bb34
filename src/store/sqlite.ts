/**
 * SqliteStore: the Store port (provisioning + supervision audit) on better-sqlite3, the embedded
 * default. A file database gets its parent folder created, the WAL journal and a busy timeout;
 * ':memory:' is private to this store. Foreign keys are on. The schema is migrated on open
 * (schema.ts). Calls are synchronous underneath; the async methods only honour the port, so a
 * PostgreSQL adapter can sit beside this one.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type {
  AuditEntry,
  AuditFilter,
  ContactCenterRecord,
  ContactCenterSnapshot,
  ContactCenterSpec,
  Store,
  StoredSession,
  UserRecord,
} from './port.js';
import { migrate } from './schema.js';
import { SqliteAuditLog } from './sqlite-audit.js';
import { SqliteProvisioning } from './sqlite-provisioning.js';
import { SqliteSessions } from './sqlite-sessions.js';

export const MEMORY = ':memory:';

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly provisioning: SqliteProvisioning;
  private readonly audit: SqliteAuditLog;
  private readonly sessions: SqliteSessions;

  /** `database`: a file path (its folder is created) or ':memory:'. */
  constructor(readonly database: string) {
    if (typeof database !== 'string' || database === '') throw new Error('SqliteStore: database must be a file path or ":memory:"');
    const inMemory = database === MEMORY;
    if (!inMemory) mkdirSync(dirname(resolve(database)), { recursive: true });
    this.db = new Database(database);
    try {
      if (!inMemory) {
        this.db.pragma('journal_mode = WAL');
        this.db.pragma('synchronous = NORMAL');
        this.db.pragma('busy_timeout = 5000');
      }
      this.db.pragma('foreign_keys = ON');
      migrate(this.db);
      this.provisioning = new SqliteProvisioning(this.db);
      this.audit = new SqliteAuditLog(this.db);
      this.sessions = new SqliteSessions(this.db);
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  // ---- ProvisioningStore

  async isEmpty(): Promise<boolean> {
    return this.provisioning.isEmpty();
  }

  async applyContactCenter(spec: ContactCenterSpec): Promise<ContactCenterRecord> {
    return this.provisioning.apply(spec);
  }

  async listContactCenters(): Promise<ContactCenterRecord[]> {
    return this.provisioning.listContactCenters();
  }

  async snapshot(contactCenterId: string): Promise<ContactCenterSnapshot | undefined> {
    return this.provisioning.snapshot(contactCenterId);
  }

  async userByName(userName: string): Promise<UserRecord | undefined> {
    return this.provisioning.userByName(userName);
  }

  // ---- AuditStore

  async append(entry: AuditEntry): Promise<void> {
    this.audit.append(entry);
  }

  async query(filter: AuditFilter): Promise<{ total: number; entries: AuditEntry[] }> {
    return this.audit.query(filter);
  }

  // ---- SessionStore

  async saveSession(session: StoredSession): Promise<void> {
    this.sessions.saveSession(session);
  }

  async touchSession(idHash: string, lastSeen: number): Promise<void> {
    this.sessions.touchSession(idHash, lastSeen);
  }

  async deleteSession(idHash: string): Promise<void> {
    this.sessions.deleteSession(idHash);
  }

  async deleteSessionsSeenBefore(cutoff: number): Promise<number> {
    return this.sessions.deleteSessionsSeenBefore(cutoff);
  }

  async sessionsSeenSince(since: number): Promise<StoredSession[]> {
    return this.sessions.sessionsSeenSince(since);
  }

  // ----

  /** Closes the database; later calls reject. Closing twice is harmless. */
  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/** Open (creating and migrating as needed) the store at `database`: a file path or ':memory:'. */
export function openStore(database: string): Store {
  return new SqliteStore(database);
}
