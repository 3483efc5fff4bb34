/**
 * The database port of the SQL stores: what the provisioning, audit and session storage need from
 * SQLite or PostgreSQL, and nothing more. Statements are SQL text with `@name` parameters
 * (dialect.ts). Guarantees every implementation gives:
 *   - `transaction` runs its function on one connection between BEGIN and COMMIT, and rolls back
 *     when it throws; statements issued outside it by other callers never land inside it;
 *   - `run` resolves to the number of rows changed;
 *   - integers come back as JavaScript numbers (PostgreSQL's BIGINT included).
 */
import type { Dialect, Params } from './dialect.js';

export interface SqlExecutor {
  all<T>(sql: string, params?: Params): Promise<T[]>;
  get<T>(sql: string, params?: Params): Promise<T | undefined>;
  run(sql: string, params?: Params): Promise<number>;
}

export interface SqlDatabase extends SqlExecutor {
  readonly dialect: Dialect;
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
