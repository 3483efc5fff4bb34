/**
 * The calls waiting at one routing point, oldest first: a linked list indexed by call uuid, so that
 * every operation routing needs is O(1) whatever the queue's length (arrival at the back, a call
 * sent back after a failed ring at the front, leaving from anywhere, a consultation's place taken
 * by the call it completes into).
 *
 * Guarantees: a call is in the queue at most once; when an operation would have put it in twice,
 * it keeps the earlier of the two places (the place at which it would have been served first).
 */
interface Node {
  uuid: string;
  prev?: Node;
  next?: Node;
}

export class CallQueue {
  private head?: Node;
  private tail?: Node;
  private readonly nodes = new Map<string, Node>();

  get length(): number {
    return this.nodes.size;
  }

  has(uuid: string): boolean {
    return this.nodes.has(uuid);
  }

  /** a new arrival waits behind everyone (a call already waiting keeps its place) */
  pushBack(uuid: string): void {
    if (this.nodes.has(uuid)) return;
    const node: Node = { uuid, prev: this.tail };
    if (this.tail) this.tail.next = node;
    else this.head = node;
    this.tail = node;
    this.nodes.set(uuid, node);
  }

  /** a call sent back to the routing point is served first */
  pushFront(uuid: string): void {
    this.remove(uuid);
    const node: Node = { uuid, next: this.head };
    if (this.head) this.head.prev = node;
    else this.tail = node;
    this.head = node;
    this.nodes.set(uuid, node);
  }

  remove(uuid: string): void {
    const node = this.nodes.get(uuid);
    if (!node) return;
    this.nodes.delete(uuid);
    if (node.prev) node.prev.next = node.next;
    else this.head = node.next;
    if (node.next) node.next.prev = node.prev;
    else this.tail = node.prev;
    node.prev = node.next = undefined;
  }

  /** `to` takes `from`'s place (unless `to` already waits ahead of it; finding out is O(n), a rare case) */
  replace(from: string, to: string): void {
    const node = this.nodes.get(from);
    if (!node || from === to) return;
    const existing = this.nodes.get(to);
    if (existing) {
      if (this.before(existing, node)) return this.remove(from);
      this.remove(to);
    }
    this.nodes.delete(from);
    node.uuid = to;
    this.nodes.set(to, node);
  }

  /** the waiting calls, oldest first; the consumer may remove the call just yielded, nothing else */
  *[Symbol.iterator](): IterableIterator<string> {
    let node = this.head;
    while (node) {
      const next = node.next;
      yield node.uuid;
      node = this.nodes.get(node.uuid) === node ? node.next : next;
    }
  }

  private before(a: Node, b: Node): boolean {
    for (let n = a.next; n; n = n.next) if (n === b) return true;
    return false;
  }
}
