/**
 * The store a configuration names: `database` a postgres:// or postgresql:// URL → PostgresStore
 * (pool of `databasePoolSize`), anything else → SqliteStore (a file, or ':memory:'), so `npm start`
 * with no configuration is SQLite as before. The password fingerprint key comes from
 * `passwordKeyFile` when set, else each store's default (docs/security.md "Password fingerprints").
 */
import type { Config } from '../config/types.js';
import { FingerprintKey } from '../provisioning/fingerprint.js';
import type { PasswordHasher } from './password.js';
import type { Store } from './port.js';
import { PostgresStore, isPostgresUrl } from './postgres.js';
import { SqliteStore } from './sqlite.js';

export type StoreConfig = Pick<Config, 'database' | 'databasePoolSize' | 'passwordKeyFile'>;

export function openConfiguredStore(config: StoreConfig, hasher: PasswordHasher): Store {
  const fingerprintKey = config.passwordKeyFile !== undefined ? FingerprintKey.fromFile(config.passwordKeyFile) : undefined;
  if (isPostgresUrl(config.database)) return new PostgresStore(config.database, { hasher, fingerprintKey, pool: { max: config.databasePoolSize ?? 10 } });
  return new SqliteStore(config.database, hasher, { fingerprintKey });
}

/** The database for a log line or banner: a connection string's password replaced by "***". */
export function describeDatabase(database: string): string {
  if (!isPostgresUrl(database)) return database;
  try {
    const url = new URL(database);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}
