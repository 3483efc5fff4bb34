/**
 * SqliteStore: the Store port (provisioning + supervision audit) on better-sqlite3, the embedded
 * default. A file database gets its parent folder created, an exclusive lock (one server per file:
 * a second one gets StoreLockedError), the WAL journal and a busy timeout; ':memory:' is private
 * to this store and needs no lock. Foreign keys are on. The schema is migrated on open
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
import type { PasswordHasher } from './password.js';
import { SqliteAuditLog } from './sqlite-audit.js';
import { SqliteProvisioning } from './sqlite-provisioning.js';
import { SqliteSessions } from './sqlite-sessions.js';

export const MEMORY = ':memory:';

/** Another process holds the database file: one Switchboard per database (see lockExclusively). */
export class StoreLockedError extends Error {
  readonly code = 'SWITCHBOARD_DATABASE_LOCKED';
  constructor(readonly database: string) {
    super(
      `the database ${resolve(database)} is in use by another process (another Switchboard?); ` +
        'stop it, or give this server its own database (SWITCHBOARD_DB or "database" in the configuration file)',
    );
    this.name = 'StoreLockedError';
  }
}

/**
 * One server per database file: SQLite's exclusive locking mode, taken at once (no waiting) with an
 * empty exclusive transaction and then held until the connection closes. The lock is the operating
 * system's file lock, so a server that dies (even kill -9) releases it with its process: there is
 * no stale lock to take over. While a server runs, other processes (the sqlite3 shell too) cannot
 * read the file; WAL then keeps its index in the server's memory instead of a -shm file.
 */
function lockExclusively(db: Database.Database, database: string): void {
  db.pragma('busy_timeout = 0');
  db.pragma('locking_mode = EXCLUSIVE');
  try {
    db.exec('BEGIN EXCLUSIVE; COMMIT');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') throw new StoreLockedError(database);
    throw err;
  }
}

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly provisioning: SqliteProvisioning;
  private readonly audit: SqliteAuditLog;
  private readonly sessions: SqliteSessions;

  /** `database`: a file path (its folder is created) or ':memory:'; `hasher` hashes provisioned passwords. */
  constructor(
    readonly database: string,
    hasher?: PasswordHasher,
  ) {
    if (typeof database !== 'string' || database === '') throw new Error('SqliteStore: database must be a file path or ":memory:"');
    const inMemory = database === MEMORY;
    if (!inMemory) mkdirSync(dirname(resolve(database)), { recursive: true });
    this.db = new Database(database);
    try {
      if (!inMemory) {
        lockExclusively(this.db, database);
        this.db.pragma('journal_mode = WAL');
        this.db.pragma('synchronous = NORMAL');
        this.db.pragma('busy_timeout = 5000');
      }
      this.db.pragma('foreign_keys = ON');
      migrate(this.db);
      this.provisioning = new SqliteProvisioning(this.db, hasher);
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
export function openStore(database: string, hasher?: PasswordHasher): Store {
  return new SqliteStore(database, hasher);
}
