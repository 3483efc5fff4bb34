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

/**
 * A provisioning with more passwords than DEFER_HASHING_ABOVE to hash, which would take longer than
 * DEFER_HASHING_OVER_MS to hash at once, defers them to the background backfill (the server starts
 * without waiting for scrypt; docs/security.md section 9). The demo, small contact centers and a
 * cheap hasher (tests, benches) hash before the start, as before.
 */
export const DEFER_HASHING_ABOVE = 64;
export const DEFER_HASHING_OVER_MS = 2000;

export function openConfiguredStore(config: StoreConfig, hasher: PasswordHasher, onBackgroundError?: (err: unknown) => void): Store {
  const fingerprintKey = config.passwordKeyFile !== undefined ? FingerprintKey.fromFile(config.passwordKeyFile) : undefined;
  const common = { fingerprintKey, deferHashingAbove: DEFER_HASHING_ABOVE, deferHashingOverMs: DEFER_HASHING_OVER_MS, onBackgroundError };
  if (isPostgresUrl(config.database)) return new PostgresStore(config.database, { hasher, ...common, pool: { max: config.databasePoolSize ?? 10 } });
  return new SqliteStore(config.database, hasher, common);
}

/** The database for a log line or banner: a connection string's password replaced by "***". */
export function describeDatabase(database: string): string {
  if (!isPostgresUrl(database)) return database;
  // user:password@ of the authority (a socket URL such as postgres://me@/db?host=/run has no host to parse)
  return database.replace(/^(postgres(?:ql)?:\/\/[^:@/]*:)[^@/]*@/i, '$1***@').replace(/([?&]password=)[^&]*/i, '$1***');
}
