/**
 * Waiting in tests without sleeping or polling: an EventCollector records what arrived and wakes
 * whoever waits for a matching item; `waitFor` re-evaluates a getter whenever one of its sources
 * reports a change; `withTimeout` bounds any promise. Every timeout fails loudly, naming what was
 * awaited and what did arrive.
 */

/** Something that can tell a waiter "look again". */
export interface ChangeSource {
  onChange(listener: () => void): () => void;
}

const SHOW_LAST = 12;

function show(x: unknown): string {
  try {
    const s = JSON.stringify(x);
    return s === undefined ? String(x) : s.length > 300 ? s.slice(0, 300) + '…' : s;
  } catch {
    return String(x);
  }
}

interface Waiter<T> {
  filter: (item: T) => boolean;
  resolve: (item: T) => void;
}

/**
 * Collects items (messages, log records, meta replies) as they arrive. `next(filter)` resolves with
 * the first matching item not already taken by an earlier `next`, whether it arrived before the call
 * or arrives later; it rejects after `timeoutMs` with the list of what did arrive.
 */
export class EventCollector<T = unknown> implements ChangeSource {
  readonly items: T[] = [];
  private readonly taken = new Set<number>();
  private readonly waiters = new Set<Waiter<T>>();
  private readonly listeners = new Set<() => void>();

  constructor(readonly name = 'events') {}

  push = (item: T): void => {
    const index = this.items.length;
    this.items.push(item);
    for (const w of this.waiters) {
      if (!this.taken.has(index) && w.filter(item)) {
        this.taken.add(index);
        this.waiters.delete(w);
        w.resolve(item);
      }
    }
    for (const l of [...this.listeners]) l();
  };

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  next(filter: (item: T) => boolean = () => true, timeoutMs = 3000, what = 'a matching item'): Promise<T> {
    for (let i = 0; i < this.items.length; i++) {
      if (!this.taken.has(i) && filter(this.items[i])) {
        this.taken.add(i);
        return Promise.resolve(this.items[i]);
      }
    }
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        filter,
        resolve: (item) => {
          clearTimeout(timer);
          resolve(item);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`${this.name}: timed out after ${timeoutMs} ms waiting for ${what}; ${this.describe()}`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Mark everything that arrived so far as taken, so that `next` only sees what arrives from now on. */
  drain(): T[] {
    const untaken = this.items.filter((_, i) => !this.taken.has(i));
    for (let i = 0; i < this.items.length; i++) this.taken.add(i);
    return untaken;
  }

  /** Items matching `filter`, taken or not. */
  filter(filter: (item: T) => boolean): T[] {
    return this.items.filter(filter);
  }

  describe(): string {
    if (this.items.length === 0) return 'nothing arrived';
    const last = this.items.slice(-SHOW_LAST).map(show);
    return `${this.items.length} arrived${this.items.length > SHOW_LAST ? ` (last ${SHOW_LAST})` : ''}: ${last.join(' | ')}`;
  }
}

export interface WaitOptions {
  timeoutMs?: number;
  /** what is awaited, for the error message */
  what: string;
  /** re-evaluate whenever one of these reports a change */
  on: ChangeSource | ChangeSource[];
}

/**
 * Resolves with the getter's value once it is truthy (a predicate returning true resolves with
 * true). The getter runs now and after every change reported by `on`; no timers poll it.
 */
export function waitFor<T>(getter: () => T | null | undefined | false, opts: WaitOptions): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 3000;
  const sources = Array.isArray(opts.on) ? opts.on : [opts.on];
  return new Promise<T>((resolve, reject) => {
    const offs: Array<() => void> = [];
    let last: unknown;
    const finish = (err: Error | null, value?: T): void => {
      clearTimeout(timer);
      for (const off of offs) off();
      if (err) reject(err);
      else resolve(value as T);
    };
    const check = (): boolean => {
      try {
        const v = getter();
        last = v;
        if (v) {
          finish(null, v);
          return true;
        }
      } catch (err) {
        finish(err as Error);
        return true;
      }
      return false;
    };
    const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what}; last value: ${show(last)}`)), timeoutMs);
    if (check()) return;
    for (const s of sources) offs.push(s.onChange(() => void check()));
  });
}

/** Bound a promise: rejects after `timeoutMs` naming what was awaited. */
export function withTimeout<T>(p: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
