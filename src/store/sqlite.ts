/**
 * SqliteStore: the Store port (provisioning, supervision audit, HTTP sessions) on better-sqlite3,
 * the embedded default: SqlStore (the provisioning service over the SQL written once for both
 * databases) on one SQLite connection. A file database gets its parent folder created, an exclusive lock (one server per file:
 * a second one gets StoreLockedError), the WAL journal and a busy timeout; ':memory:' is private
 * to this store and needs no lock. Foreign keys are on. The schema is migrated on open
 * (schema.ts). Calls are synchronous underneath (sql/sqlite-database.ts).
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { FingerprintKey } from '../provisioning/fingerprint.js';
import type { Store } from './port.js';
import { migrate } from './schema.js';
import type { PasswordHasher } from './password.js';
import { SqlStore, type StoreOptions } from './sql-store.js';
import { SqliteDatabase } from './sql/sqlite-database.js';

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

/** Where a file database's fingerprint key lives by default: beside it, never inside it. */
export function defaultFingerprintKeyFile(database: string): string {
  return join(dirname(resolve(database)), 'password-fingerprint.key');
}

export class SqliteStore extends SqlStore {
  /**
   * `database`: a file path (its folder is created) or ':memory:'; `hasher` hashes provisioned
   * passwords. The fingerprint key defaults to password-fingerprint.key beside a file database
   * (created when missing) and to a per-process key for ':memory:'.
   */
  constructor(
    readonly database: string,
    hasher?: PasswordHasher,
    options: Omit<StoreOptions, 'hasher'> = {},
  ) {
    if (typeof database !== 'string' || database === '') throw new Error('SqliteStore: database must be a file path or ":memory:"');
    const inMemory = database === MEMORY;
    if (!inMemory) mkdirSync(dirname(resolve(database)), { recursive: true });
    const db = new Database(database);
    try {
      if (!inMemory) {
        lockExclusively(db, database);
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
        db.pragma('busy_timeout = 5000');
      }
      db.pragma('foreign_keys = ON');
      migrate(db);
      const fingerprintKey = options.fingerprintKey ?? (inMemory ? FingerprintKey.ephemeral() : FingerprintKey.fromFile(defaultFingerprintKeyFile(database)));
      super(new SqliteDatabase(db), Promise.resolve(), { ...options, hasher, fingerprintKey });
    } catch (err) {
      db.close();
      throw err;
    }
  }
}

/** Open (creating and migrating as needed) the store at `database`: a file path or ':memory:'. */
export function openStore(database: string, hasher?: PasswordHasher, options?: Omit<StoreOptions, 'hasher'>): Store {
  return new SqliteStore(database, hasher, options);
}
