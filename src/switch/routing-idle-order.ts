/**
 * Agents ordered by how long they have been idle: a treap (a binary search tree kept balanced in
 * expectation by random priorities) on the key (idleSince, DN number), so insert and remove are
 * O(log n) and the longest-idle agent is found in O(log n); finding the longest-idle agent that a
 * call has not rejected walks on in order past the rejected ones only.
 *
 * Guarantees: the order is today's routing order exactly, idleSince ascending, ties broken by the
 * DN number with String.prototype.localeCompare (default collation); a DN is held at most once.
 * Priorities come from a seeded generator, so the tree's shape (and its speed) is deterministic.
 */
export interface IdleKey {
  dn: string;
  idleSince: number;
}

interface Node {
  key: IdleKey;
  priority: number;
  left?: Node;
  right?: Node;
}

const collator = new Intl.Collator();

/** a DN made of ASCII digits only (what extensions are) */
const DIGITS = /^[0-9]+$/;

/**
 * The routing order of two DNs: the default collation (localeCompare). For two strings of ASCII
 * digits the default collation is the code-unit order (the digits' weights rise from 0 to 9 and a
 * prefix sorts first), so such pairs are compared directly: Intl's compare costs 0.1–0.3 µs, and a
 * Ready's insert into a pool of agents made Ready in the same millisecond compares at every level
 * of the tree (test/unit/routing-idle-order.test.ts checks the two orders agree). Other pairs go
 * to the collator; two strings it calls equal fall back to code units.
 */
export function compareDns(a: string, b: string): number {
  if (a === b) return 0;
  if (DIGITS.test(a) && DIGITS.test(b)) return a < b ? -1 : 1;
  return collator.compare(a, b) || (a < b ? -1 : 1);
}

export function compareIdle(a: IdleKey, b: IdleKey): number {
  return a.idleSince - b.idleSince || compareDns(a.dn, b.dn);
}

export class IdleOrder {
  private root?: Node;
  /**
   * dn -> the key it is held under; a DN taken out keeps its entry (undefined) rather than being
   * deleted: an agent going NotReady and Ready again must not make a Map of one entry empty and
   * full again, which allocates a new table in old space each time (see marks.ts). Entries are
   * bounded by the pool's DNs.
   */
  private readonly keys = new Map<string, IdleKey | undefined>();
  private held = 0;
  private seed = 0x9e3779b9;

  get size(): number {
    return this.held;
  }

  has(dn: string): boolean {
    return this.keys.get(dn) !== undefined;
  }

  /** the key dn is held under, if it is held */
  keyOf(dn: string): IdleKey | undefined {
    return this.keys.get(dn);
  }

  insert(key: IdleKey): void {
    if (this.has(key.dn)) this.remove(key.dn);
    this.keys.set(key.dn, key);
    this.held++;
    this.root = this.insertInto(this.root, { key, priority: this.nextPriority() });
  }

  clear(): void {
    this.root = undefined;
    this.keys.clear();
    this.held = 0;
  }

  remove(dn: string): void {
    const key = this.keys.get(dn);
    if (!key) return;
    this.keys.set(dn, undefined);
    this.held--;
    this.root = this.removeFrom(this.root, key);
  }

  /** the longest-idle agent for which skip() is false (skip() runs only on the agents passed over) */
  first(skip: (dn: string) => boolean): string | undefined {
    const stack: Node[] = [];
    let node = this.root;
    while (node || stack.length) {
      while (node) {
        stack.push(node);
        node = node.left;
      }
      const n = stack.pop()!;
      if (!skip(n.key.dn)) return n.key.dn;
      node = n.right;
    }
    return undefined;
  }

  /** every held DN, longest idle first (for tests and diagnostics: O(n)) */
  inOrder(): string[] {
    const out: string[] = [];
    this.first((dn) => (out.push(dn), true));
    return out;
  }

  /**
   * `fresh` placed by its key under `node`, then rotated up while its priority is higher (a treap's
   * shape is a function of its keys and priorities alone, so this is the tree a split and two
   * merges would give, without their pairs); the keys are distinct (a DN is held once).
   */
  private insertInto(node: Node | undefined, fresh: Node): Node {
    if (!node) return fresh;
    if (compareIdle(fresh.key, node.key) < 0) {
      const left = this.insertInto(node.left, fresh);
      node.left = left;
      if (left.priority <= node.priority) return node;
      // rotate right: left comes up
      node.left = left.right;
      left.right = node;
      return left;
    }
    const right = this.insertInto(node.right, fresh);
    node.right = right;
    if (right.priority <= node.priority) return node;
    // rotate left: right comes up
    node.right = right.left;
    right.left = node;
    return right;
  }

  /** every key of a is below every key of b */
  private merge(a: Node | undefined, b: Node | undefined): Node | undefined {
    if (!a) return b;
    if (!b) return a;
    if (a.priority > b.priority) {
      a.right = this.merge(a.right, b);
      return a;
    }
    b.left = this.merge(a, b.left);
    return b;
  }

  private removeFrom(node: Node | undefined, key: IdleKey): Node | undefined {
    if (!node) return undefined;
    const c = compareIdle(key, node.key);
    if (c === 0) return this.merge(node.left, node.right);
    if (c < 0) node.left = this.removeFrom(node.left, key);
    else node.right = this.removeFrom(node.right, key);
    return node;
  }

  /** xorshift32: deterministic priorities */
  private nextPriority(): number {
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed;
  }
}
