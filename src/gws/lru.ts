/**
 * A bounded map that forgets its least-recently-used entry when full (the credential cache, the
 * negative cache and the known-good history of authentication). `get` counts as a use; `set` of a
 * new key past `capacity` evicts exactly one entry, the one unused for longest, never the whole map.
 *
 * The use order is a doubly linked list through the entries (oldest at `oldest`), so a use moves
 * one entry by relinking it and leaves the Map alone: the Map's delete-and-set per use (the way a
 * Map keeps an order) fills its table with holes that a rehash empties, a new table allocated in
 * old space every few hundred uses (measured: 114-133 ns per get that way, 35-58 ns relinked).
 */
interface Entry<K, V> {
  readonly key: K;
  value: V;
  /** the entry used just before this one (toward the oldest) */
  older: Entry<K, V> | undefined;
  /** the entry used just after this one (toward the newest) */
  newer: Entry<K, V> | undefined;
}

export class LruMap<K, V> {
  private readonly entries = new Map<K, Entry<K, V>>();
  private oldest: Entry<K, V> | undefined;
  private newest: Entry<K, V> | undefined;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`LruMap capacity must be a positive integer, got ${capacity}`);
  }

  /** the value, marked as most recently used */
  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.markUsed(entry);
    return entry.value;
  }

  /** the value without marking it used */
  peek(key: K): V | undefined {
    return this.entries.get(key)?.value;
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  set(key: K, value: V): void {
    const entry = this.entries.get(key);
    if (entry !== undefined) {
      entry.value = value;
      this.markUsed(entry);
      return;
    }
    const fresh: Entry<K, V> = { key, value, older: undefined, newer: undefined };
    this.append(fresh);
    this.entries.set(key, fresh);
    if (this.entries.size > this.capacity) this.remove(this.oldest!);
  }

  delete(key: K): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    this.remove(entry);
    return true;
  }

  /** Remove every entry whose value matches (a walk of the whole map: for rare events, not requests). */
  deleteWhere(matches: (value: V) => boolean): void {
    for (let entry = this.oldest; entry !== undefined; ) {
      const next = entry.newer;
      if (matches(entry.value)) this.remove(entry);
      entry = next;
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** every key, least recently used first (tests) */
  keysByUse(): K[] {
    const keys: K[] = [];
    for (let entry = this.oldest; entry !== undefined; entry = entry.newer) keys.push(entry.key);
    return keys;
  }

  private markUsed(entry: Entry<K, V>): void {
    if (entry === this.newest) return;
    this.unlink(entry);
    this.append(entry);
  }

  /** put an unlinked entry last in the use order (the newest) */
  private append(entry: Entry<K, V>): void {
    entry.older = this.newest;
    entry.newer = undefined;
    if (this.newest) this.newest.newer = entry;
    else this.oldest = entry;
    this.newest = entry;
  }

  private remove(entry: Entry<K, V>): void {
    this.unlink(entry);
    this.entries.delete(entry.key);
  }

  /** take the entry out of the use order (its neighbours are joined) */
  private unlink(entry: Entry<K, V>): void {
    if (entry.older) entry.older.newer = entry.newer;
    else this.oldest = entry.newer;
    if (entry.newer) entry.newer.older = entry.older;
    else this.newest = entry.older;
  }
}
