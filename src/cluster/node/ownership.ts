/**
 * Which contact centers this node runs, moment by moment: for each one it tries to take the lease;
 * the winner opens the logged switch (replaying the log: src/cluster/logged-switch.ts), configures
 * it with the provisioned topology, serves its command subject and renews the lease; every other
 * node serves the contact center through the forwarding port and keeps watching the lease, so one
 * of them takes over when the owner dies or gives it up.
 *
 * Rules (timings are the constants below; docs/scale-out.md "Failover" explains the arithmetic):
 * - the lease is renewed every LEASE_TTL_MS / 3; a renewal that fails, or a refused log append
 *   (another node wrote: fencing), makes this node stop owning at once: the command server stops,
 *   the switch is relinquished (it applies nothing more), and the contact center is served through
 *   the forwarding port again;
 * - a non-owner asks who owns each contact center every WATCH_EVERY_MS and also hears the lease's
 *   own change notifications; when nobody does, it tries to take the lease. With LEASE_TTL_MS =
 *   3000 a dead owner's contact center has a new owner after at most 3 s + WATCH_EVERY_MS + the
 *   replay;
 * - a lease that cannot be acquired or a switch that cannot be opened is logged and retried at the
 *   next watch tick; nothing here throws into the event loop;
 * - `stop` releases the leases this node holds, so another node takes over without waiting for
 *   the TTL (graceful shutdown), and stops the watch.
 */
import type { Clock } from '../../switch/port.js';
import type { SwitchAccess } from '../../switch/port-access.js';
import type { LeaseGrant, OwnershipLease } from '../contract.js';
import type { SwitchRouter } from './switch-router.js';

/** the KV bucket TTL of the leases (a dead owner's lease is gone after this) */
export const LEASE_TTL_MS = 3000;
/** how often a non-owner checks whether a contact center has lost its owner */
export const WATCH_EVERY_MS = 250;

/** The owned switch as the node needs it (LoggedSwitch fits). */
export interface OwnedSwitch extends SwitchAccess {
  relinquish(why: string): void;
}

export interface OwnershipDeps {
  node: string;
  lease: OwnershipLease;
  router: SwitchRouter;
  /** take the log of ccId: replay it into a fresh switch, live from then on; onLost when fenced out */
  openSwitch(ccId: string, onLost: (why: string) => void): Promise<OwnedSwitch>;
  /** answer the contact center's command subject from `port`; returns its stop function */
  serveCommands(ccId: string, port: SwitchAccess): () => Promise<void> | void;
  /** the forwarding port to whoever owns ccId */
  forwarder(ccId: string): SwitchAccess;
  log: { info(o: object, m: string): void; warn(o: object, m: string): void };
  /** renewal and watch timers (the real clock in production) */
  timers?: Pick<Clock, 'setTimer'>;
}

interface Owned {
  grant: LeaseGrant;
  sw: OwnedSwitch;
  stopServer: () => Promise<void> | void;
  stopRenewing: () => void;
}

const realTimers: Pick<Clock, 'setTimer'> = {
  setTimer: (ms, fn) => {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

export class Ownership {
  private readonly owned = new Map<string, Owned>();
  /** contact centers with a take-over under way (one at a time each) */
  private readonly taking = new Set<string>();
  private readonly timers: Pick<Clock, 'setTimer'>;
  private stopWatch: (() => void) | undefined;
  private stopObserve: (() => void) | undefined;
  private stopped = false;

  constructor(private readonly deps: OwnershipDeps) {
    this.timers = deps.timers ?? realTimers;
  }

  /** serve every contact center the router has a topology for, taking those nobody owns */
  async start(): Promise<void> {
    for (const ccId of this.deps.router.contactCenters()) {
      this.deps.router.serve(ccId, this.deps.forwarder(ccId), false);
    }
    this.stopObserve = this.deps.lease.observe((ccId, owner) => {
      if (owner === undefined && !this.stopped) void this.tryTake(ccId);
    });
    await Promise.all(this.deps.router.contactCenters().map((ccId) => this.tryTake(ccId)));
    this.watch();
  }

  owns(ccId: string): boolean {
    return this.owned.has(ccId);
  }

  ownedContactCenters(): string[] {
    return [...this.owned.keys()];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopWatch?.();
    this.stopObserve?.();
    await Promise.all([...this.owned.keys()].map((ccId) => this.giveUp(ccId, 'this node is shutting down', true)));
  }

  private watch(): void {
    const tick = async () => {
      if (this.stopped) return;
      for (const ccId of this.deps.router.contactCenters()) {
        if (this.owned.has(ccId) || this.taking.has(ccId)) continue;
        try {
          if ((await this.deps.lease.owner(ccId)) === undefined) await this.tryTake(ccId);
        } catch (err) {
          this.deps.log.warn({ err, ccId }, 'cluster: cannot read the lease');
        }
      }
      if (!this.stopped) this.stopWatch = this.timers.setTimer(WATCH_EVERY_MS, () => void tick());
    };
    this.stopWatch = this.timers.setTimer(WATCH_EVERY_MS, () => void tick());
  }

  private async tryTake(ccId: string): Promise<void> {
    if (this.owned.has(ccId) || this.taking.has(ccId) || this.stopped) return;
    this.taking.add(ccId);
    try {
      const grant = await this.deps.lease.acquire(ccId, this.deps.node);
      if (!grant) return;
      const started = Date.now();
      let sw: OwnedSwitch | undefined;
      // back to forwarding when the switch cannot be kept (open or configure failed, shutting down)
      const abandon = async (why: string) => {
        sw?.relinquish(why);
        if (!this.stopped) this.deps.router.serve(ccId, this.deps.forwarder(ccId), false);
        else this.deps.router.withdraw(ccId);
        await this.deps.lease.release(grant).catch(() => undefined);
      };
      try {
        sw = await this.deps.openSwitch(ccId, (why) => void this.giveUp(ccId, why, false));
        // the router's listeners hear the switch from the moment it is live: its first events may be
        // the takeover's hang-ups of the old owner's SIP legs (logged-switch.ts goLive)
        this.deps.router.serve(ccId, sw, true);
        const topology = this.deps.router.topology(ccId);
        if (topology) await sw.configure(topology);
      } catch (err) {
        this.deps.log.warn({ err, ccId }, 'cluster: took the lease but could not open the switch; giving the lease back');
        await abandon('the switch could not be opened');
        return;
      }
      if (this.stopped) {
        await abandon('this node is shutting down');
        return;
      }
      const owned: Owned = { grant, sw, stopServer: () => undefined, stopRenewing: () => undefined };
      this.owned.set(ccId, owned);
      owned.stopServer = this.deps.serveCommands(ccId, sw);
      owned.stopRenewing = this.renew(ccId);
      this.deps.log.info({ ccId, node: this.deps.node, tookMs: Date.now() - started }, 'cluster: this node owns the contact center');
    } catch (err) {
      this.deps.log.warn({ err, ccId }, 'cluster: could not take the contact center');
    } finally {
      this.taking.delete(ccId);
    }
  }

  private renew(ccId: string): () => void {
    let cancel = () => {};
    const tick = async () => {
      const owned = this.owned.get(ccId);
      if (!owned) return;
      let next: LeaseGrant | undefined;
      try {
        next = await this.deps.lease.renew(owned.grant);
      } catch (err) {
        this.deps.log.warn({ err, ccId }, 'cluster: lease renewal failed');
      }
      if (this.owned.get(ccId) !== owned) return;
      if (!next) return void this.giveUp(ccId, 'the lease could not be renewed', false);
      owned.grant = next;
      cancel = this.timers.setTimer(this.deps.lease.ttlMs / 3, () => void tick());
    };
    cancel = this.timers.setTimer(this.deps.lease.ttlMs / 3, () => void tick());
    return () => cancel();
  }

  /** stop owning ccId: the switch applies nothing more and the contact center is forwarded */
  private async giveUp(ccId: string, why: string, release: boolean): Promise<void> {
    const owned = this.owned.get(ccId);
    if (!owned) return;
    this.owned.delete(ccId);
    owned.stopRenewing();
    owned.sw.relinquish(why);
    this.deps.router.withdraw(ccId);
    if (!this.stopped) this.deps.router.serve(ccId, this.deps.forwarder(ccId), false);
    this.deps.log.warn({ ccId, node: this.deps.node, why }, 'cluster: this node no longer owns the contact center');
    try {
      await owned.stopServer();
    } catch (err) {
      this.deps.log.warn({ err, ccId }, 'cluster: stopping the command server failed');
    }
    if (release) await this.deps.lease.release(owned.grant).catch(() => undefined);
    owned.sw.stop();
  }
}
