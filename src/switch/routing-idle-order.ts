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

/** (two numbers the collation calls equal, which digit strings never are, fall back to code units) */
export function compareIdle(a: IdleKey, b: IdleKey): number {
  return a.idleSince - b.idleSince || collator.compare(a.dn, b.dn) || (a.dn < b.dn ? -1 : a.dn > b.dn ? 1 : 0);
}

export class IdleOrder {
  private root?: Node;
  private readonly keys = new Map<string, IdleKey>();
  private seed = 0x9e3779b9;

  get size(): number {
    return this.keys.size;
  }

  has(dn: string): boolean {
    return this.keys.has(dn);
  }

  /** the key dn is held under, if it is held */
  keyOf(dn: string): IdleKey | undefined {
    return this.keys.get(dn);
  }

  insert(key: IdleKey): void {
    if (this.keys.has(key.dn)) this.remove(key.dn);
    this.keys.set(key.dn, key);
    const [left, right] = this.split(this.root, key);
    this.root = this.merge(this.merge(left, { key, priority: this.nextPriority() }), right);
  }

  clear(): void {
    this.root = undefined;
    this.keys.clear();
  }

  remove(dn: string): void {
    const key = this.keys.get(dn);
    if (!key) return;
    this.keys.delete(dn);
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

  /** [keys < key, keys >= key] */
  private split(node: Node | undefined, key: IdleKey): [Node | undefined, Node | undefined] {
    if (!node) return [undefined, undefined];
    if (compareIdle(node.key, key) < 0) {
      const [l, r] = this.split(node.right, key);
      node.right = l;
      return [node, r];
    }
    const [l, r] = this.split(node.left, key);
    node.left = r;
    return [l, node];
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
