/**
 * SqlDatabase on a node-postgres (`pg`) connection pool. BIGINT (int8) and COUNT results are parsed
 * as JavaScript numbers (every integer the stores keep, epoch ms included, is below 2^53). A
 * transaction holds one pooled client from BEGIN to COMMIT/ROLLBACK; other statements use any
 * free client. Compiled SQL texts are cached per text.
 */
import pg from 'pg';
import type { SqlDatabase, SqlExecutor } from './database.js';
import { POSTGRES, bind, compile, type Compiled, type Params } from './dialect.js';

const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export interface PostgresPoolOptions {
  /** connections kept at most; default 10 */
  max?: number;
  /** ms an idle connection is kept; default 30 000 */
  idleTimeoutMillis?: number;
}

type Queryable = Pick<pg.PoolClient, 'query'>;

export class PostgresDatabase implements SqlDatabase {
  readonly dialect = POSTGRES;
  readonly pool: pg.Pool;
  private readonly compiled = new Map<string, Compiled>();
  private readonly direct: SqlExecutor;

  constructor(connectionString: string, options: PostgresPoolOptions = {}) {
    this.pool = new pg.Pool({ connectionString, max: options.max ?? 10, idleTimeoutMillis: options.idleTimeoutMillis ?? 30_000, types });
    // an idle client's error (the server went away) must not crash the process: the next query reports it
    this.pool.on('error', () => {});
    this.direct = this.executor(this.pool);
  }

  all<T>(sql: string, params?: Params): Promise<T[]> {
    return this.direct.all<T>(sql, params);
  }

  get<T>(sql: string, params?: Params): Promise<T | undefined> {
    return this.direct.get<T>(sql, params);
  }

  run(sql: string, params?: Params): Promise<number> {
    return this.direct.run(sql, params);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      try {
        const result = await fn(this.executor(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      }
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }

  private executor(target: Queryable): SqlExecutor {
    const query = async (sql: string, params: Params = {}) => {
      let c = this.compiled.get(sql);
      if (!c) {
        c = compile(POSTGRES, sql);
        this.compiled.set(sql, c);
      }
      // no values: the simple protocol, which also runs a migration's several statements
      return c.names.length === 0 ? target.query(c.text) : target.query(c.text, bind(c, params));
    };
    return {
      all: async <T>(sql: string, params?: Params) => (await query(sql, params)).rows as T[],
      get: async <T>(sql: string, params?: Params) => (await query(sql, params)).rows[0] as T | undefined,
      run: async (sql: string, params?: Params) => (await query(sql, params)).rowCount ?? 0,
    };
  }
}
