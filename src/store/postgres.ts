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
import type { SingleServerLockEvent } from './port.js';
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

/** the first wait before the lock is taken again after its connection dropped, doubled per failed try */
const LOCK_RETRY_FIRST_MS = 1000;
/** the longest wait between two tries */
const LOCK_RETRY_MAX_MS = 30_000;
/** how long a try to open the lock's connection may take (a database that does not answer is tried again later) */
const LOCK_CONNECT_TIMEOUT_MS = 10_000;
/** TCP keepalive on the lock's connection: an idle connection whose peer vanished is noticed, not held for hours */
const LOCK_KEEPALIVE_DELAY_MS = 10_000;

export class PostgresStore extends SqlStore {
  private lockConnection: pg.Client | undefined;
  /** the backend process of the connection that held the lock last (to tell our own old session from another server) */
  private lockBackend: number | undefined;
  /** close() was called: nothing takes the lock any more */
  private closed = false;
  /** the lock was taken once and this store is not closing: a lost connection is replaced */
  private keepLock = false;
  /** a try to take the lock again under way (close() waits for it) */
  private retaking: Promise<void> | undefined;
  private lockRetry: NodeJS.Timeout | undefined;
  private lockRetryMs = LOCK_RETRY_FIRST_MS;
  private lockState: 'held' | Exclude<SingleServerLockEvent, 'retaken'> = 'lost';
  private lockWatch: ((event: SingleServerLockEvent) => void) | undefined;

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
   * share the database by design, never take it. Once taken, a connection that drops loses the lock
   * with it: the lock is taken again on a new connection (after 1 s, then waits doubling to 30 s),
   * and `watch` is told each change (SingleServerLockEvent); singleServerLockFault says, meanwhile,
   * why this server is not alone on its database.
   */
  async holdSingleServerLock(watch?: (event: SingleServerLockEvent) => void): Promise<boolean> {
    if (this.lockConnection) return true;
    if (this.closed) return false;
    const connection = await this.tryLock();
    if (!connection) return false;
    if (this.closed) {
      // closed while the lock was being taken: let it go at once
      await connection.end().catch(() => {});
      return false;
    }
    this.lockWatch = watch;
    this.keepLock = true;
    this.adoptLock(connection);
    return true;
  }

  /** undefined while this server holds its single-server lock (or never took one); else why not (for readiness) */
  singleServerLockFault(): string | undefined {
    if (!this.keepLock || this.lockState === 'held') return undefined;
    return this.lockState === 'heldByAnother'
      ? 'another single Switchboard server holds this PostgreSQL database (it took the lock while this server had lost its connection); stop one of them'
      : "the PostgreSQL connection holding this server's single-server lock was lost; taking it again";
  }

  /** a new connection holding the lock, or undefined when another holds it (the connection is closed then) */
  private async tryLock(): Promise<pg.Client | undefined> {
    const connection = new pg.Client({
      connectionString: this.url,
      connectionTimeoutMillis: LOCK_CONNECT_TIMEOUT_MS,
      keepAlive: true,
      keepAliveInitialDelayMillis: LOCK_KEEPALIVE_DELAY_MS,
    });
    // a connection lost later loses the lock with it (adoptLock); the error must not crash the process
    connection.on('error', () => {});
    /** the lock taken on this connection (its backend remembered), or false when it is held */
    const take = async (): Promise<boolean> => {
      const { rows } = await connection.query<{ locked: boolean; backend: number }>('SELECT pg_try_advisory_lock($1::bigint) AS locked, pg_backend_pid() AS backend', [
        SINGLE_SERVER_LOCK_KEY,
      ]);
      if (rows[0]?.locked) this.lockBackend = rows[0].backend;
      return rows[0]?.locked === true;
    };
    try {
      await connection.connect();
      if (await take()) return connection;
      // held: by another server, or by our own old session that the database has not seen go yet
      // (our side of its connection dropped, theirs not): that one is ended, and the lock tried again
      const previous = this.lockBackend;
      if (previous !== undefined && (await this.heldBy(connection)) === previous) {
        await connection.query('SELECT pg_terminate_backend($1, 5000)', [previous]);
        if (await take()) return connection;
      }
    } catch (err) {
      await connection.end().catch(() => {});
      throw err;
    }
    await connection.end().catch(() => {});
    return undefined;
  }

  /** the backend process holding the single-server lock on this database, if any */
  private async heldBy(connection: pg.Client): Promise<number | undefined> {
    const { rows } = await connection.query<{ pid: number }>(
      `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
         AND classid::bigint = ($1::bigint >> 32) AND objid::bigint = ($1::bigint & 4294967295)
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [SINGLE_SERVER_LOCK_KEY],
    );
    return rows[0]?.pid;
  }

  private adoptLock(connection: pg.Client): void {
    this.lockConnection = connection;
    this.lockState = 'held';
    this.lockRetryMs = LOCK_RETRY_FIRST_MS;
    const dropped = (): void => {
      if (this.lockConnection !== connection) return;
      this.lockConnection = undefined;
      // whatever is left of it goes (a session still alive on the database's side would keep the lock)
      void connection.end().catch(() => {});
      if (!this.keepLock) return;
      this.lockState = 'lost';
      this.tell('lost');
      this.scheduleLockRetry();
    };
    connection.once('end', dropped);
    connection.on('error', dropped);
  }

  private scheduleLockRetry(): void {
    if (!this.keepLock || this.lockRetry) return;
    const wait = this.lockRetryMs;
    this.lockRetryMs = Math.min(this.lockRetryMs * 2, LOCK_RETRY_MAX_MS);
    this.lockRetry = setTimeout(() => {
      this.lockRetry = undefined;
      this.retaking = this.retakeLock().finally(() => (this.retaking = undefined));
    }, wait);
    this.lockRetry.unref();
  }

  private async retakeLock(): Promise<void> {
    let connection: pg.Client | undefined;
    try {
      connection = await this.tryLock();
    } catch {
      // the database is still away: try again later
      return this.scheduleLockRetry();
    }
    if (!this.keepLock) {
      await connection?.end().catch(() => {});
      return;
    }
    if (connection) {
      this.adoptLock(connection);
      this.tell('retaken');
      return;
    }
    if (this.lockState !== 'heldByAnother') {
      this.lockState = 'heldByAnother';
      this.tell('heldByAnother');
    }
    this.scheduleLockRetry();
  }

  private tell(event: SingleServerLockEvent): void {
    try {
      this.lockWatch?.(event);
    } catch {
      // a watcher's failure must not stop the lock being taken again
    }
  }

  override async close(): Promise<void> {
    this.closed = true;
    this.keepLock = false;
    clearTimeout(this.lockRetry);
    this.lockRetry = undefined;
    // a try under way ends its connection itself once it sees keepLock off
    await this.retaking;
    await super.close();
    const connection = this.lockConnection;
    this.lockConnection = undefined;
    await connection?.end().catch(() => {});
  }
}
