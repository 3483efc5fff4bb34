/**
 * PostgresStore: the Store port on PostgreSQL, for several Switchboard nodes sharing provisioning,
 * the audit and HTTP sessions. It is SqlStore (the same provisioning service and the same SQL as
 * SQLite) over a node-postgres pool.
 *
 * Use (H8's cluster nodes, tests):
 *     const store = new PostgresStore('postgres://user@/db?host=/tmp/sock', { fingerprintKey, pool: { max: 10 } });
 *     await store.ready;   // optional: every call awaits it; rejects if the server is unreachable
 *     ...
 *     await store.close();
 * Guarantees: the constructor never throws for an unreachable server (the first call reports it);
 * the schema is migrated once however many nodes start together (postgres-schema.ts); several
 * stores (processes) may use one database at once — unlike SQLite there is no exclusive lock
 * (a single server takes `holdSingleServerLock` so that it is the database's only one),
 * and applyContactCenter of one contact center from two nodes at once ends in one of the two
 * specs, each written whole (one transaction). The default fingerprint key is
 * ./data/password-fingerprint.key: give every node the same key (docs/security.md).
 */
import pg from 'pg';
import { FingerprintKey } from '../provisioning/fingerprint.js';
import { SqlStore, type StoreOptions } from './sql-store.js';
import { PostgresDatabase, type PostgresPoolOptions } from './sql/postgres-database.js';
import { migratePostgres } from './sql/postgres-schema.js';

export interface PostgresStoreOptions extends StoreOptions {
  pool?: PostgresPoolOptions;
}

export const DEFAULT_FINGERPRINT_KEY_FILE = './data/password-fingerprint.key';

/** true for a postgres:// or postgresql:// connection string */
export function isPostgresUrl(database: string): boolean {
  return /^postgres(ql)?:\/\//i.test(database);
}

/** Another single server holds the PostgreSQL database (holdSingleServerLock). */
export class DatabaseInUseError extends Error {
  readonly code = 'SWITCHBOARD_DATABASE_LOCKED';
  constructor(readonly database: string) {
    super(
      `the PostgreSQL database ${database} is in use by another single Switchboard server; stop it, give this server ` +
        'its own database, or run both as cluster nodes (SWITCHBOARD_NATS_URL, docs/scale-out.md)',
    );
    this.name = 'DatabaseInUseError';
  }
}

/** The advisory lock key a single server holds on its database (any fixed bigint; "SWBOARD1" in ASCII). */
export const SINGLE_SERVER_LOCK_KEY = '6004521470469456945';

export class PostgresStore extends SqlStore {
  private lockConnection: pg.Client | undefined;

  constructor(
    readonly url: string,
    options: PostgresStoreOptions = {},
  ) {
    const db = new PostgresDatabase(url, options.pool);
    super(db, migratePostgres(db), { ...options, fingerprintKey: options.fingerprintKey ?? FingerprintKey.fromFile(DEFAULT_FINGERPRINT_KEY_FILE) });
  }

  /**
   * Makes this process the database's only single server, as SQLite's file lock does: a
   * session-level advisory lock on a connection of its own, held until `close` (a process that dies
   * loses it with its connection). False when another single server holds it. Cluster nodes, which
   * share the database by design, never take it.
   */
  async holdSingleServerLock(): Promise<boolean> {
    if (this.lockConnection) return true;
    const connection = new pg.Client({ connectionString: this.url });
    // a connection lost later loses the lock with it; the error must not crash the process
    connection.on('error', () => {});
    await connection.connect();
    const { rows } = await connection.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [SINGLE_SERVER_LOCK_KEY]);
    if (!rows[0]?.locked) {
      await connection.end().catch(() => {});
      return false;
    }
    this.lockConnection = connection;
    return true;
  }

  override async close(): Promise<void> {
    await super.close();
    await this.lockConnection?.end().catch(() => {});
    this.lockConnection = undefined;
  }
}
