/**
 * Routing-point distribution's indexes: what lets the door's settle route in O(log n) per event
 * instead of rescanning every waiting call against every agent (lifecycle.ts `distribute` walks
 * them; the rules of who may get a call are here, once).
 *
 * The rule (today's, unchanged): a call waiting at a routing point goes to the agent of the routing
 * point's pool (its `targets`, else every extension of its contact center) who is logged in as an
 * agent, Ready, not on Do Not Disturb, on no live call, and has not rejected that call; among them
 * the one idle longest (idleSince ascending, then DN number by localeCompare). Calls are served in
 * queue order; routing points in the order they were first configured.
 *
 * Invariants (a change must keep them):
 *   1. queue(rp) holds each call waiting at rp at most once, oldest first (routing-queue.ts).
 *   2. After refresh(), ready(rp) holds exactly the agents of rp's pool that pass the rule without
 *      its per-call part (rejections), each under its current idleSince. Whatever can change an
 *      agent's standing (presence, agent state, DND, a leg added or released, idleSince) calls
 *      agentChanged(dn); refresh() re-evaluates only those agents.
 *   3. A routing point outside the dirty set has no waiting call that an agent of ready(rp) may
 *      take: a new or re-queued call, a configuration change, and an agent found eligible by
 *      refresh() mark the routing points concerned dirty, and distribute visits only those.
 *   4. rejectionsOf(dn) is the reverse of Call.rejectedBy (every rejection goes through reject()),
 *      so an agent's Ready clears its rejections in O(its rejections), not O(calls).
 *   5. A call waits only at routing points of its own contact center (resolve() refuses the others),
 *      so a routing point's pool is built from its own contact center's extensions.
 */
import type { Call, DnState, SwitchCore } from './core.js';
import { AgentStateName } from './model.js';
import { MarkQueue, MarkSet } from './marks.js';
import { IdleOrder } from './routing-idle-order.js';
import { CallQueue } from './routing-queue.js';

/** the pools of an agent that is in none (one shared empty list, not a new one per refresh) */
const NO_POOLS: readonly string[] = Object.freeze([]);

/** may this agent take calls of a routing point of contact center ccId (rejections aside)? */
function eligible(core: SwitchCore, d: DnState | undefined, ccId: string): boolean {
  return (
    d !== undefined &&
    d.config.kind === 'Extension' &&
    d.config.contactCenterId === ccId &&
    d.loggedIn &&
    d.isAgent &&
    d.agentState.state === AgentStateName.Ready &&
    !d.dnd &&
    core.agentIdle(d)
  );
}

export class RoutingIndex {
  /** routing point -> its waiting calls; Map order = the order routing points were first configured */
  private readonly queues = new Map<string, CallQueue>();
  private readonly rank = new Map<string, number>();
  private readonly ready = new Map<string, IdleOrder>();
  /** agent DN -> the routing points whose pool holds it */
  private poolsOf = new Map<string, string[]>();
  // marks.ts, not Sets: an emptied long-lived Set leaves a table of old-space garbage per settle
  private readonly dirtyAgents = new MarkQueue<string>();
  private readonly dirtyPoints = new MarkSet<string>();
  private readonly rejections = new Map<string, Set<string>>();

  constructor(private readonly core: SwitchCore) {}

  /** the DNs changed (configure): rebuild the pools, re-evaluate every agent and routing point */
  configure(): void {
    const pools = new Map<string, string[]>();
    for (const [number, d] of this.core.dns) {
      if (d.config.kind !== 'RoutingPoint') continue;
      if (!this.queues.has(number)) {
        this.rank.set(number, this.queues.size);
        this.queues.set(number, new CallQueue());
        this.ready.set(number, new IdleOrder());
      }
      const ccId = d.config.contactCenterId;
      const targets = d.config.targets?.length ? d.config.targets : [...this.core.dns.keys()];
      for (const dn of new Set(targets)) {
        const agent = this.core.dns.get(dn);
        if (!agent || agent.config.kind !== 'Extension' || agent.config.contactCenterId !== ccId) continue;
        let list = pools.get(dn);
        if (!list) pools.set(dn, (list = []));
        list.push(number);
      }
      this.ready.get(number)!.clear();
      this.dirtyPoints.add(number);
    }
    this.poolsOf = pools;
    for (const [dn, d] of this.core.dns) if (d.config.kind === 'Extension') this.dirtyAgents.mark(dn);
  }

  // ------------------------------------------------------------------ queues

  queue(rp: string): CallQueue {
    const q = this.queues.get(rp);
    if (!q) throw new Error(`${rp} is not a routing point`);
    return q;
  }

  /** a call arrives at rp: it waits behind everyone */
  enqueue(rp: string, uuid: string): void {
    this.queue(rp).pushBack(uuid);
    this.dirtyPoints.add(rp);
  }

  /** a routed call that was not taken goes back to the head of rp's queue */
  requeueFirst(rp: string, uuid: string): void {
    this.queue(rp).pushFront(uuid);
    this.dirtyPoints.add(rp);
  }

  /** the call left rp (answered elsewhere, released, ended) */
  dequeue(rp: string, uuid: string): void {
    this.queues.get(rp)?.remove(uuid);
  }

  /** a consultation waiting at rp completed into call `to`: it waits in the consultation's place */
  replace(rp: string, from: string, to: string): void {
    this.queue(rp).replace(from, to);
    this.dirtyPoints.add(rp);
  }

  // ------------------------------------------------------------------ agents

  /** something that decides whether dn may get calls changed (evaluated at the next refresh) */
  agentChanged(dn: string): void {
    this.dirtyAgents.mark(dn);
  }

  /** the agent did not take the call: it is not offered to it again until the agent's next Ready */
  reject(call: Call, dn: string): void {
    call.rejectedBy.add(dn);
    let set = this.rejections.get(dn);
    if (!set) this.rejections.set(dn, (set = new Set()));
    set.add(call.uuid);
  }

  /** the agent is Ready again: calls it rejected may be offered to it again */
  forgetRejections(dn: string): void {
    const set = this.rejections.get(dn);
    if (!set) return;
    this.rejections.delete(dn);
    for (const uuid of set) this.core.calls.get(uuid)?.rejectedBy.delete(dn);
    this.dirtyAgents.mark(dn);
  }

  /** the call has ended: its rejections are forgotten (no agent's Ready needs to clear them) */
  callEnded(call: Call): void {
    for (const dn of call.rejectedBy) {
      const set = this.rejections.get(dn);
      set?.delete(call.uuid);
      if (set?.size === 0) this.rejections.delete(dn);
    }
  }

  /** re-evaluate the agents marked since the last refresh (invariant 2) */
  refresh(): void {
    if (this.dirtyAgents.size === 0) return;
    for (let dn = this.dirtyAgents.takeNext(); dn !== undefined; dn = this.dirtyAgents.takeNext()) {
      const d = this.core.dns.get(dn);
      for (const rp of this.poolsOf.get(dn) ?? NO_POOLS) {
        const order = this.ready.get(rp)!;
        if (!eligible(this.core, d, this.core.dns.get(rp)!.config.contactCenterId)) {
          order.remove(dn);
          continue;
        }
        if (order.keyOf(dn)?.idleSince !== d!.idleSince) order.insert({ dn, idleSince: d!.idleSince });
        this.dirtyPoints.add(rp);
      }
    }
  }

  /** has rp any agent that may take a call (rejections aside)? */
  hasReady(rp: string): boolean {
    return (this.ready.get(rp)?.size ?? 0) > 0;
  }

  /** the longest-idle agent of ready(rp) that has not rejected the call */
  pick(rp: string, call: Call): string | undefined {
    const rejected = call.rejectedBy;
    return this.ready.get(rp)!.first((dn) => rejected.has(dn));
  }

  /**
   * The next dirty routing point after `after` in configuration order, taken out of the dirty set;
   * routing points before it stay dirty for the next settle (one pass per settle, as before).
   */
  nextDirty(after?: string): string | undefined {
    const from = after === undefined ? -1 : this.rank.get(after)!;
    let best: string | undefined;
    let bestRank = Infinity;
    for (let i = 0; i < this.dirtyPoints.size; i++) {
      const rp = this.dirtyPoints.at(i);
      const r = this.rank.get(rp)!;
      if (r > from && r < bestRank) {
        best = rp;
        bestRank = r;
      }
    }
    if (best !== undefined) this.dirtyPoints.delete(best);
    return best;
  }

  /** the waiting calls of every routing point (tests, diagnostics) */
  waiting(): Map<string, string[]> {
    return new Map([...this.queues].map(([rp, q]) => [rp, [...q]]));
  }

  /** ready(rp), longest idle first (tests check invariant 2 against a full evaluation) */
  readyOf(rp: string): string[] {
    return this.ready.get(rp)?.inOrder() ?? [];
  }
}
