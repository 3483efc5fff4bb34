/**
 * The in-memory OwnershipLease, for unit tests and a single process, on an injected clock: a lease
 * is held for ttlMs after its last acquire or renew; a renewal must show the current revision; an
 * expired lease can be taken by anyone. Observers hear every change of owner, expiry included (a
 * timer on the clock, as the KV bucket's TTL would remove the key).
 */
import type { Clock } from '../switch/port.js';
import type { LeaseGrant, OwnershipLease } from './contract.js';

interface Held {
  node: string;
  revision: number;
  expiresAt: number;
  cancelExpiry: () => void;
}

export class MemoryLease implements OwnershipLease {
  private revision = 0;
  private readonly held = new Map<string, Held>();
  private listeners: ((ccId: string, owner: string | undefined) => void)[] = [];

  constructor(
    readonly ttlMs: number,
    private readonly clock: Clock,
  ) {}

  async acquire(ccId: string, node: string): Promise<LeaseGrant | undefined> {
    const current = this.current(ccId);
    if (current && current.node !== node) return undefined;
    return this.grant(ccId, node);
  }

  async renew(grant: LeaseGrant): Promise<LeaseGrant | undefined> {
    const current = this.current(grant.ccId);
    if (!current || current.node !== grant.node || current.revision !== grant.revision) return undefined;
    return this.grant(grant.ccId, grant.node);
  }

  async release(grant: LeaseGrant): Promise<void> {
    const current = this.current(grant.ccId);
    if (current && current.revision === grant.revision) this.drop(grant.ccId, current);
  }

  async owner(ccId: string): Promise<string | undefined> {
    return this.current(ccId)?.node;
  }

  observe(listener: (ccId: string, owner: string | undefined) => void): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  async close(): Promise<void> {
    for (const held of this.held.values()) held.cancelExpiry();
    this.held.clear();
  }

  private current(ccId: string): Held | undefined {
    const held = this.held.get(ccId);
    return held && held.expiresAt > this.clock.now() ? held : undefined;
  }

  private grant(ccId: string, node: string): LeaseGrant {
    const before = this.held.get(ccId);
    before?.cancelExpiry();
    const held: Held = { node, revision: ++this.revision, expiresAt: this.clock.now() + this.ttlMs, cancelExpiry: () => undefined };
    held.cancelExpiry = this.clock.setTimer(this.ttlMs, () => {
      if (this.held.get(ccId) === held) this.drop(ccId, held);
    });
    this.held.set(ccId, held);
    if (before?.node !== node || before.expiresAt <= this.clock.now()) this.tell(ccId, node);
    return { ccId, node, revision: held.revision };
  }

  private drop(ccId: string, held: Held): void {
    held.cancelExpiry();
    this.held.delete(ccId);
    this.tell(ccId, undefined);
  }

  private tell(ccId: string, owner: string | undefined): void {
    for (const l of this.listeners) l(ccId, owner);
  }
}
