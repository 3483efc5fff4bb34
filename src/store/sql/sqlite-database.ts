/**
 * SqlDatabase on one better-sqlite3 connection. Each distinct SQL text is compiled and prepared
 * once (a statement cache). better-sqlite3 runs statements synchronously, so a statement issued
 * while no transaction is open runs at once; while a transaction is open (between its awaits),
 * every other statement and transaction waits until it ends, so nothing foreign lands inside it.
 */
import type Database from 'better-sqlite3';
import type { SqlDatabase, SqlExecutor } from './database.js';
import { SQLITE, bind, compile, type Compiled, type Params } from './dialect.js';

interface Prepared {
  compiled: Compiled;
  statement: Database.Statement;
}

export class SqliteDatabase implements SqlDatabase {
  readonly dialect = SQLITE;
  private readonly prepared = new Map<string, Prepared>();
  /** settled when the open transaction ends; undefined when none is open */
  private open: Promise<void> | undefined;
  private readonly direct: SqlExecutor;

  constructor(readonly db: Database.Database) {
    this.direct = {
      all: async <T>(sql: string, params: Params = {}) => this.statement(sql, params, (s, v) => s.all(...v) as T[]),
      get: async <T>(sql: string, params: Params = {}) => this.statement(sql, params, (s, v) => s.get(...v) as T | undefined),
      run: async (sql: string, params: Params = {}) => this.statement(sql, params, (s, v) => s.run(...v).changes),
    };
  }

  async all<T>(sql: string, params: Params = {}): Promise<T[]> {
    while (this.open) await this.open;
    return this.direct.all<T>(sql, params);
  }

  async get<T>(sql: string, params: Params = {}): Promise<T | undefined> {
    while (this.open) await this.open;
    return this.direct.get<T>(sql, params);
  }

  async run(sql: string, params: Params = {}): Promise<number> {
    while (this.open) await this.open;
    return this.direct.run(sql, params);
  }

  /** `fn` synchronously, with no transaction of this database in the middle of it */
  async exclusive<T>(fn: () => T): Promise<T> {
    while (this.open) await this.open;
    return fn();
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    while (this.open) await this.open;
    let end!: () => void;
    this.open = new Promise<void>((resolve) => (end = resolve));
    try {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.direct);
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    } finally {
      this.open = undefined;
      end();
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private statement<R>(sql: string, params: Params, use: (s: Database.Statement, values: unknown[]) => R): R {
    let p = this.prepared.get(sql);
    if (!p) {
      const compiled = compile(SQLITE, sql);
      p = { compiled, statement: this.db.prepare(compiled.text) };
      this.prepared.set(sql, p);
    }
    return use(p.statement, bind(p.compiled, params));
  }
}
