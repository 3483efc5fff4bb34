/**
 * The OwnershipLease on a NATS KV bucket (nats-server 2.9): bucket `switchboard-owners`, key =
 * the contact center's subject token, value = the owner's node id, bucket TTL = the lease time.
 * Guarantees:
 *   - acquire creates the key (refused by the server when it exists: one winner), or, when this
 *     node already holds it, renews it; renew is an update that must show the revision of the
 *     grant (Nats-Expected-Last-Subject-Sequence), so a lease that expired and was taken, or was
 *     renewed by somebody else, cannot be renewed; every renewal rewrites the key, which restarts
 *     its age, and a key not rewritten within the TTL is removed by the server;
 *   - release deletes the key only while the grant's revision is still the last;
 *   - observe hears puts and deletes through a KV watch; an expiry leaves no marker in 2.9, so
 *     observers are also told when a key they saw is found gone (checked every ttl / 4).
 */
import { KvWatchInclude, type KV, type NatsConnection } from 'nats';
import type { LeaseGrant, OwnershipLease } from './contract.js';
import { subjects, subjectToken } from './contract.js';

const decoder = new TextDecoder();
const encoder = new TextEncoder();

export class KvLease implements OwnershipLease {
  private listeners: ((ccId: string, owner: string | undefined) => void)[] = [];
  private watching: Promise<void> | undefined;
  private stopWatch: (() => void) | undefined;
  /** token -> contact center id, for the keys this lease has been asked about */
  private readonly ccOfToken = new Map<string, string>();
  /** what observers were last told, by token */
  private readonly told = new Map<string, string | undefined>();
  private sweep: NodeJS.Timeout | undefined;

  private constructor(
    private readonly kv: KV,
    readonly ttlMs: number,
  ) {}

  static async open(nc: NatsConnection, ttlMs: number): Promise<KvLease> {
    const kv = await nc.jetstream().views.kv(subjects.leaseBucket, { ttl: ttlMs, history: 1 });
    return new KvLease(kv, ttlMs);
  }

  async acquire(ccId: string, node: string): Promise<LeaseGrant | undefined> {
    const key = this.keyOf(ccId);
    const current = await this.kv.get(key);
    const held = current && current.operation === 'PUT' ? decoder.decode(current.value) : undefined;
    if (held === node && current) return this.renew({ ccId, node, revision: current.revision });
    if (held !== undefined) return undefined;
    try {
      const revision = await this.kv.create(key, encoder.encode(node));
      return { ccId, node, revision };
    } catch {
      return undefined; // somebody created it first
    }
  }

  async renew(grant: LeaseGrant): Promise<LeaseGrant | undefined> {
    try {
      const revision = await this.kv.update(this.keyOf(grant.ccId), encoder.encode(grant.node), grant.revision);
      return { ...grant, revision };
    } catch {
      return undefined;
    }
  }

  async release(grant: LeaseGrant): Promise<void> {
    await this.kv.delete(this.keyOf(grant.ccId), { previousSeq: grant.revision }).catch(() => undefined);
  }

  async owner(ccId: string): Promise<string | undefined> {
    const e = await this.kv.get(this.keyOf(ccId));
    return e && e.operation === 'PUT' ? decoder.decode(e.value) : undefined;
  }

  observe(listener: (ccId: string, owner: string | undefined) => void): () => void {
    this.listeners.push(listener);
    this.startWatch();
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  async close(): Promise<void> {
    if (this.sweep) clearInterval(this.sweep);
    this.stopWatch?.();
    await this.watching?.catch(() => undefined);
  }

  private keyOf(ccId: string): string {
    const token = subjectToken(ccId);
    this.ccOfToken.set(token, ccId);
    return token;
  }

  private tell(token: string, owner: string | undefined): void {
    if (this.told.has(token) && this.told.get(token) === owner) return;
    this.told.set(token, owner);
    const ccId = this.ccOfToken.get(token) ?? Buffer.from(token, 'base64url').toString('utf8');
    for (const l of this.listeners) l(ccId, owner);
  }

  private startWatch(): void {
    if (this.watching) return;
    this.watching = (async () => {
      const iter = await this.kv.watch({ include: KvWatchInclude.UpdatesOnly });
      this.stopWatch = () => iter.stop();
      for await (const e of iter) this.tell(e.key, e.operation === 'PUT' ? decoder.decode(e.value) : undefined);
    })();
    this.watching.catch(() => undefined);
    this.sweep = setInterval(() => void this.sweepExpired(), Math.max(50, this.ttlMs / 4));
    this.sweep.unref();
  }

  /** keys whose owner observers were told about and that have expired since */
  private async sweepExpired(): Promise<void> {
    for (const [token, owner] of this.told) {
      if (owner === undefined) continue;
      const e = await this.kv.get(token).catch(() => undefined);
      if (!e || e.operation !== 'PUT') this.tell(token, undefined);
    }
  }
}
