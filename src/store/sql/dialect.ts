/**
 * The thin dialect layer under both SQL stores (docs/architecture.md, "The store" says why it is ours and not a query
 * builder). Every statement of the stores is written once, as SQL text with named parameters
 * (`@name`), plus the few fragments that differ between SQLite and PostgreSQL, taken from the
 * `Dialect` table below. Guarantees:
 *   - `compile` turns `@name` into the driver's placeholders and binds exactly the named values, in
 *     order (a name missing from the values is an error, never a silent NULL);
 *   - a fragment exists here only when the two databases really differ (the rest of the SQL, upserts
 *     with RETURNING included, is common to SQLite >= 3.35 and PostgreSQL >= 9.5);
 *   - values are plain: text, numbers, null (JSON columns are stored as text by the callers).
 */

/** A JSON column type of `jsonRows`. */
export type JsonColumnType = 'text' | 'integer' | 'bigint';

export interface Dialect {
  readonly name: 'sqlite' | 'postgres';
  /** a sub-select of the strings in a JSON array parameter: `x IN (${jsonTextList('names')})` */
  jsonTextList(param: string): string;
  /** a sub-select of the objects of a JSON array parameter as rows with the given columns */
  jsonRows(param: string, columns: Readonly<Record<string, JsonColumnType>>): string;
  /** the column that orders rows of a table by insertion */
  readonly insertionOrder: string;
  /** a hint to walk a named index (SQLite's INDEXED BY; PostgreSQL's planner takes no hints) */
  indexHint(index: string): string;
  /** the null-safe "differs from" operator */
  readonly distinctFrom: string;
  /** the placeholder of the n-th (1-based) bound value */
  placeholder(n: number): string;
  /**
   * a statement that makes concurrent transactions naming the same text parameter wait for each
   * other until commit; undefined where a writing transaction already excludes every other (SQLite)
   */
  serializeOn?(param: string): string;
}

const PG_TYPE: Readonly<Record<JsonColumnType, string>> = { text: 'text', integer: 'integer', bigint: 'bigint' };

export const SQLITE: Dialect = Object.freeze({
  name: 'sqlite',
  jsonTextList: (param: string) => `SELECT value FROM json_each(@${param})`,
  jsonRows: (param: string, columns: Readonly<Record<string, JsonColumnType>>) =>
    `SELECT ${Object.keys(columns)
      .map((c) => `json_extract(value, '$.${c}') AS ${c}`)
      .join(', ')} FROM json_each(@${param})`,
  insertionOrder: 'rowid',
  indexHint: (index: string) => `INDEXED BY ${index}`,
  distinctFrom: 'IS NOT',
  placeholder: () => '?',
});

export const POSTGRES: Dialect = Object.freeze({
  name: 'postgres',
  jsonTextList: (param: string) => `SELECT jsonb_array_elements_text(CAST(@${param} AS jsonb))`,
  jsonRows: (param: string, columns: Readonly<Record<string, JsonColumnType>>) =>
    `SELECT * FROM jsonb_to_recordset(CAST(@${param} AS jsonb)) AS r(${Object.entries(columns)
      .map(([c, t]) => `${c} ${PG_TYPE[t]}`)
      .join(', ')})`,
  insertionOrder: 'seq',
  indexHint: () => '',
  distinctFrom: 'IS DISTINCT FROM',
  placeholder: (n: number) => `$${n}`,
  serializeOn: (param: string) => `SELECT pg_advisory_xact_lock(hashtext(@${param}))`,
});

export type Params = Readonly<Record<string, unknown>>;

export interface Compiled {
  text: string;
  /** the parameter names in placeholder order */
  names: readonly string[];
}

const NAMED = /@([A-Za-z_][A-Za-z0-9_]*)/g;

/** `@name` placeholders of `sql` in the dialect's form, with the names in binding order. */
export function compile(dialect: Dialect, sql: string): Compiled {
  const names: string[] = [];
  const text = sql.replace(NAMED, (_m, name: string) => {
    names.push(name);
    return dialect.placeholder(names.length);
  });
  return { text, names };
}

/** The values of a compiled statement, in order; undefined counts as null; a missing name throws. */
export function bind(compiled: Compiled, params: Params): unknown[] {
  return compiled.names.map((name) => {
    if (!(name in params)) throw new Error(`SQL parameter @${name} has no value`);
    const v = params[name];
    return v === undefined ? null : v;
  });
}
