/**
 * Marks that a command makes and its settle takes out again (the calls and devices to flush, the
 * agents and routing points to re-evaluate), kept so that marking and taking allocate nothing once
 * the structures have reached their largest size.
 *
 * Why not a Set or a Map: a long-lived Set or Map that becomes empty (by delete() or clear()) gets a
 * new hash table, and since the collection lives in old space, so does the table: every command
 * left one table of garbage that only a full collection reclaims (measured: about 100 ns per
 * add/delete pair on an old Set against about 5 ns for an array and a flag, and a mark-compact
 * every few hundred milliseconds under load). Here each key ever marked keeps an entry in one Map
 * whose value changes in place; an entry goes only with forget(), which a caller whose keys are
 * not bounded (call UUIDs) must call when the key's object is gone.
 *
 * Guarantees:
 *   - MarkQueue hands its marked keys over in marking order, each taken out before it is handed
 *     over; a key marked again meanwhile is handed over again after the others (as a Set iterated
 *     while its entries are deleted does); marking a marked key keeps its place and its strongest
 *     level.
 *   - MarkSet holds each key at most once, in no order, with add, delete and has in O(1).
 */

export class MarkQueue<K> {
  /** every key marked since its last forget(): 0 when it is not marked now, else its slot in `order` + 1 */
  private readonly state = new Map<K, number>();
  /** the keys in marking order; [cursor, length) is still to be handed over; a slot whose key's state names another slot is stale (skipped) */
  private readonly order: (K | undefined)[] = [];
  /** the strongest level each slot's key was marked with */
  private readonly levels: number[] = [];
  private length = 0;
  private cursor = 0;
  private marked = 0;
  /** the level the key last handed over by takeNext() was marked with */
  takenLevel = 0;

  /** mark `key` (at `level`, a small non-negative integer; the strongest of its marks is kept) */
  mark(key: K, level = 0): void {
    const slot = (this.state.get(key) ?? 0) - 1;
    if (slot >= 0) {
      if (level > this.levels[slot]) this.levels[slot] = level;
      return;
    }
    this.order[this.length] = key;
    this.levels[this.length] = level;
    this.state.set(key, ++this.length);
    this.marked++;
  }

  has(key: K): boolean {
    return (this.state.get(key) ?? 0) > 0;
  }

  get size(): number {
    return this.marked;
  }

  /** the oldest marked key, taken out (its level in takenLevel), or undefined when none is left */
  takeNext(): K | undefined {
    while (this.cursor < this.length) {
      const at = this.cursor++;
      const key = this.order[at] as K;
      this.order[at] = undefined;
      if (this.state.get(key) !== at + 1) continue;
      this.state.set(key, 0);
      this.marked--;
      this.takenLevel = this.levels[at];
      return key;
    }
    // every slot is handed over: no key is marked, the slots start again at 0
    this.cursor = this.length = 0;
    return undefined;
  }

  /** `key` is gone for good: it is no longer marked and its entry is dropped (marked again later, it comes after the others) */
  forget(key: K): void {
    if ((this.state.get(key) ?? 0) > 0) this.marked--;
    this.state.delete(key);
  }
}

export class MarkSet<K> {
  /** every key added since its last forget(): 0 when it is not held now, else its index in `keys` + 1 */
  private readonly index = new Map<K, number>();
  /** the held keys, [0, size) */
  private readonly keys: (K | undefined)[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  has(key: K): boolean {
    return (this.index.get(key) ?? 0) > 0;
  }

  add(key: K): void {
    if ((this.index.get(key) ?? 0) > 0) return;
    this.keys[this.count++] = key;
    this.index.set(key, this.count);
  }

  /** take `key` out; whether it was held */
  delete(key: K): boolean {
    const at = (this.index.get(key) ?? 0) - 1;
    if (at < 0) return false;
    const last = this.keys[--this.count] as K;
    this.keys[at] = last;
    this.index.set(last, at + 1);
    this.keys[this.count] = undefined;
    this.index.set(key, 0);
    return true;
  }

  /** the key held at position i, 0 ≤ i < size (positions change when a key is deleted) */
  at(i: number): K {
    return this.keys[i] as K;
  }

  /** `key` is gone for good: it is no longer held and its entry is dropped */
  forget(key: K): void {
    this.delete(key);
    this.index.delete(key);
  }
}
