/**
 * A Store that fails on demand, for storage-fault tests: it wraps a real store and, while `full`
 * is set, refuses audit appends with an error shaped like better-sqlite3's SQLITE_FULL; while
 * `corrupt` is set, refuses audit queries with SQLITE_CORRUPT. It is a ChangeSource: waiters look
 * again after every append attempt (so tests wait for recovery without sleeping).
 */
import type { AuditEntry, AuditFilter, Store } from '../../src/store/port.js';
import type { ChangeSource } from './wait.js';

export function sqliteError(code: string, message: string): Error {
  return Object.assign(new Error(message), { name: 'SqliteError', code });
}

export class FaultyStore implements ChangeSource {
  full = false;
  corrupt = false;
  /** append attempts refused so far */
  refused = 0;
  /** appends that reached the wrapped store */
  written = 0;
  private readonly listeners = new Set<() => void>();

  constructor(readonly inner: Store) {}

  /** the wrapped store with the faults applied (the object to hand to createApp) */
  readonly store: Store = new Proxy({} as Store, {
    get: (_target, name: keyof Store) => {
      if (name === 'append') return (entry: AuditEntry) => this.append(entry);
      if (name === 'query') return (filter: AuditFilter) => this.query(filter);
      const member = this.inner[name];
      return typeof member === 'function' ? (member as (...a: unknown[]) => unknown).bind(this.inner) : member;
    },
  });

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async append(entry: AuditEntry): Promise<void> {
    try {
      if (this.full) {
        this.refused++;
        throw sqliteError('SQLITE_FULL', 'database or disk is full');
      }
      await this.inner.append(entry);
      this.written++;
    } finally {
      // after the writer has seen the outcome (its continuation runs in the microtasks before this)
      setImmediate(() => this.listeners.forEach((l) => l()));
    }
  }

  private async query(filter: AuditFilter): Promise<{ total: number; entries: AuditEntry[] }> {
    if (this.corrupt) throw sqliteError('SQLITE_CORRUPT', 'database disk image is malformed');
    return this.inner.query(filter);
  }
}
