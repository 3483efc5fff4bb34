/**
 * Storage faults in words: which errors of the store mean "the disk or the file is in trouble"
 * (as opposed to a bug in the caller), and the reason to give an operator for each. One table,
 * read by the audit writer (retry and refuse supervision while the audit cannot be written) and by
 * the audit GET (answer statusCode 12 instead of an internal error). SQLite reports its primary
 * result code as `code` (extended codes such as SQLITE_IOERR_WRITE start with a primary one); a
 * PostgreSQL adapter would add its SQLSTATE classes here.
 */

/** primary result code → what it means to an operator */
const FAULT_REASONS: Readonly<Record<string, string>> = {
  SQLITE_FULL: 'the disk holding the database is full',
  SQLITE_IOERR: 'the disk reported an I/O error',
  SQLITE_CORRUPT: 'the database file is corrupt',
  SQLITE_NOTADB: 'the database file is not a SQLite database',
  SQLITE_READONLY: 'the database file is read-only',
  SQLITE_CANTOPEN: 'the database file cannot be opened',
  SQLITE_BUSY: 'the database is locked by another process',
  SQLITE_LOCKED: 'the database is locked',
  SQLITE_PROTOCOL: 'the database lock protocol failed',
  SQLITE_NOLFS: 'the database is larger than this file system allows',
  SQLITE_AUTH: 'access to the database was denied',
};

/** SQLSTATE prefix (class or condition) or socket errno → what it means to an operator */
const POSTGRES_FAULT_REASONS: Readonly<Record<string, string>> = {
  '08': 'the connection to the database server failed',
  '53': 'the database server is out of resources (disk full, memory or connections)',
  '57P': 'the database server is shutting down or restarting',
  '58': 'the database server reported an I/O error',
  XX: 'the database server reported corrupt data or an internal error',
  '25006': 'the database is read-only (a standby server?)',
  '28': 'the database server refused the credentials',
  '3D000': 'the database does not exist',
  ECONNREFUSED: 'the database server cannot be reached (connection refused)',
  ENOENT: 'the database server cannot be reached (no such socket)',
  ECONNRESET: 'the connection to the database server was reset',
  ETIMEDOUT: 'the database server did not answer in time',
  EHOSTUNREACH: 'the database server cannot be reached',
};

function postgresReason(code: string): string | undefined {
  for (let n = code.length; n >= 2; n--) {
    const reason = POSTGRES_FAULT_REASONS[code.slice(0, n)];
    if (reason) return reason;
  }
  return undefined;
}

export interface StoreFault {
  /** the store's own error code, e.g. SQLITE_FULL or SQLITE_IOERR_WRITE */
  code: string;
  /** a sentence for an operator, e.g. "the disk holding the database is full" */
  reason: string;
}

/** The storage fault this error reports, or undefined when it is not one (a bug, a bad value). */
export function storeFaultOf(err: unknown): StoreFault | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  const primary = code.match(/^SQLITE_[A-Z]+/)?.[0];
  const reason = primary ? FAULT_REASONS[primary] : /^([0-9A-Z]{5}|E[A-Z]+)$/.test(code) ? postgresReason(code) : undefined;
  return reason ? { code, reason } : undefined;
}
