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
 * stores (processes) may use one database at once — unlike SQLite there is no exclusive lock,
 * and applyContactCenter of one contact center from two nodes at once ends in one of the two
 * specs, each written whole (one transaction). The default fingerprint key is
 * ./data/password-fingerprint.key: give every node the same key (docs/security.md).
 */
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

export class PostgresStore extends SqlStore {
  constructor(
    readonly url: string,
    options: PostgresStoreOptions = {},
  ) {
    const db = new PostgresDatabase(url, options.pool);
    super(db, migratePostgres(db), { ...options, fingerprintKey: options.fingerprintKey ?? FingerprintKey.fromFile(DEFAULT_FINGERPRINT_KEY_FILE) });
  }
}
