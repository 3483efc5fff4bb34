/**
 * The life of a call on the simulated switch: where a number leads (forwarding, DND, busy,
 * routing points, external numbers), ringing and answering, routing-point distribution to the
 * longest-idle Ready agent, releasing parties and ending calls, failures reported as Error events,
 * and after-call work. Commands in call-model.ts and call-control.ts are built from these steps;
 * ringing legs are offered to their endpoints here (connect), answer delays are the endpoints'.
 *
 * Distribution reads the indexes of routing.ts (their invariants are written there): it visits only
 * the routing points marked dirty since the last settle, and for each waiting call asks the index
 * for the longest-idle eligible agent, so a settle costs O(log n) per call routed instead of a scan
 * of every waiting call against every agent. Whatever here changes an agent's standing (idleSince,
 * agent state) tells the index (agentChanged).
 */
import { FAILURES } from './causes.js';
import type { FailureCause } from './causes.js';
import type { Call, DnState, Party, SwitchCore } from './core.js';
import { AgentStateName, NotificationType, PartyState, WorkMode } from './model.js';
import type { Supervision } from './supervision.js';

/** Where a number leads, after forwarding. */
export type Target =
  | { kind: 'Extension'; dn: string }
  | { kind: 'RoutingPoint'; dn: string }
  | { kind: 'External'; number: string }
  | { kind: 'Fail'; cause: FailureCause; number: string };

const MAX_FORWARD_HOPS = 5;

export class CallLifecycle {
  sup!: Supervision;

  constructor(readonly core: SwitchCore) {}

  extension(dn: string): DnState | undefined {
    const d = this.core.dns.get(dn);
    return d && d.config.kind === 'Extension' ? d : undefined;
  }

  scheduleWrapUpEnd(d: DnState, seconds: number): void {
    const cc = this.core.cc(d.config.contactCenterId);
    d.cancelWrapUp = this.core.timer(seconds * 1000, 'wrap-up end', () => {
      d.cancelWrapUp = undefined;
      if (!d.loggedIn || d.agentState.workMode !== WorkMode.AfterCallWork) return;
      d.agentState = cc.settings.afterWrapUp === 'Ready' ? { state: AgentStateName.Ready } : { state: AgentStateName.NotReady };
      d.idleSince = this.core.clock.now();
      this.core.routing.agentChanged(d.config.number);
      this.core.touchDevice(d.config.number);
    });
  }

  /** After a call: after-call work if configured, else the agent is idle again (longest-idle order). */
  afterCall(p: Party): void {
    if (p.kind !== 'Extension' || p.sup || !p.everEstablished) return; // never connected: no wrap-up
    const dn = p.dn;
    const d = this.extension(dn);
    if (!d || !d.loggedIn || !d.isAgent) return;
    if (this.core.liveCallsOf(dn).length > 0) return;
    const cc = this.core.cc(d.config.contactCenterId);
    const wrap = d.config.wrapUpTime ?? cc.settings.wrapUpTime;
    const s = d.agentState;
    const eligible = s.state === AgentStateName.Ready || s.workMode === WorkMode.AfterCallWork;
    d.idleSince = this.core.clock.now();
    this.core.routing.agentChanged(dn);
    if (wrap > 0 && eligible) {
      d.cancelWrapUp?.();
      d.agentState = { state: AgentStateName.NotReady, workMode: WorkMode.AfterCallWork };
      this.scheduleWrapUpEnd(d, wrap);
      this.core.touchDevice(dn);
    }
  }

  // =================================================================== routing

  resolve(ccId: string, number: string, hops = 0): Target {
    const d = this.core.dns.get(number);
    if (d) {
      if (d.config.contactCenterId !== ccId) return { kind: 'Fail', cause: 'UnknownDestination', number };
      if (d.config.kind === 'RoutingPoint') return { kind: 'RoutingPoint', dn: number };
      if (d.forwardTo) {
        if (hops >= MAX_FORWARD_HOPS) return { kind: 'Fail', cause: 'ForwardLoop', number };
        return this.resolve(ccId, d.forwardTo, hops + 1);
      }
      if (d.dnd) return { kind: 'Fail', cause: 'DoNotDisturb', number };
      if (this.busy(number)) return { kind: 'Fail', cause: 'DestinationBusy', number };
      return { kind: 'Extension', dn: number };
    }
    if (this.core.isExternalNumber(number)) return { kind: 'External', number };
    return { kind: 'Fail', cause: 'UnknownDestination', number };
  }

  /** busy: two calls already, or a leg that is not on hold (ringing, dialing, talking, or monitoring) */
  busy(dn: string): boolean {
    const live = this.core.liveCallsOf(dn);
    return live.length >= 2 || live.some((c) => this.core.partyOf(c, dn)!.state !== PartyState.Held);
  }

  /** Add the destination's party to a call (ringing, alerting, or queued at a routing point). */
  connect(call: Call, t: Exclude<Target, { kind: 'Fail' }>): Party {
    if (t.kind === 'RoutingPoint') {
      const p = this.core.addParty(call, t.dn, 'RoutingPoint', PartyState.Ringing);
      this.core.routing.enqueue(t.dn, call.uuid);
      this.sup.routingPointArrival(call, t.dn);
      return p;
    }
    const p = this.core.addParty(call, t.kind === 'Extension' ? t.dn : t.number, t.kind, PartyState.Ringing);
    this.core.offer(call, p, { from: this.callerOf(call, p), autoAnswer: false, monitoring: false });
    this.armRinging(call, p);
    return p;
  }

  /** the number a new leg is offered from: the caller's number, or the first other member */
  callerOf(call: Call, p: Party): string {
    return call.ani ?? this.core.members(call).find((m) => m !== p)?.dn ?? call.dnis;
  }

  /** The call model's timer of a ringing extension: the ring-no-answer rule (answer delays are the endpoints'). */
  armRinging(call: Call, p: Party): void {
    const settings = this.core.cc(call.ccId).settings;
    if (p.kind === 'Extension' && settings.ringNoAnswerMs > 0) {
      p.timers.push(this.core.timer(settings.ringNoAnswerMs, 'ring no answer', () => this.noAnswer(call, p)));
    }
  }

  /**
   * Offer waiting calls to idle Ready agents, longest idle first: the dirty routing points in
   * configuration order, each one's calls oldest first (a call every agent has rejected waits on
   * while the calls behind it are offered). An agent reached through forwarding that cannot take
   * the call counts as having rejected it, and the call keeps its place.
   */
  distribute(): void {
    const routing = this.core.routing;
    routing.refresh();
    for (let routingPoint = routing.nextDirty(); routingPoint !== undefined; routingPoint = routing.nextDirty(routingPoint)) {
      const queue = routing.queue(routingPoint);
      for (const uuid of queue) {
        if (!routing.hasReady(routingPoint)) break; // nobody to offer to: the rest waits, untouched
        const call = this.core.calls.get(uuid);
        if (!call || !this.waitingAt(call, routingPoint)) {
          queue.remove(uuid);
          continue;
        }
        this.offerToAgent(call, routingPoint);
        routing.refresh();
      }
    }
  }

  /** the call's live party at the routing point `routingPoint` (its DN), if it waits there */
  private waitingAt(call: Call, routingPoint: string): Party | undefined {
    return call.parties.find((p) => p.kind === 'RoutingPoint' && p.dn === routingPoint && p.state !== PartyState.Released);
  }

  /** Offer one waiting call to the longest-idle agent that may take it, if any. */
  private offerToAgent(call: Call, routingPoint: string): void {
    const routing = this.core.routing;
    for (let waitingParty = this.waitingAt(call, routingPoint)!; ; ) {
      const agent = routing.pick(routingPoint, call);
      if (!agent) return;
      this.core.move(call, waitingParty, PartyState.Released, 'distribute');
      const target = this.resolve(call.ccId, agent);
      if (target.kind === 'Fail' || target.kind === 'RoutingPoint') {
        routing.reject(call, agent);
        waitingParty = this.core.addParty(call, routingPoint, 'RoutingPoint', PartyState.Ringing);
        continue;
      }
      routing.dequeue(routingPoint, call.uuid);
      const p = this.connect(call, target);
      p.routedBy = routingPoint;
      return;
    }
  }

  // =================================================================== call lifecycle

  answerParty(call: Call, p: Party): void {
    this.core.setState(call, p, PartyState.Established);
    const connected: Party[] = [p];
    for (const m of this.core.members(call)) {
      if (m !== p && m.state === PartyState.Dialing) {
        this.core.setState(call, m, PartyState.Established);
        connected.push(m);
      }
    }
    for (const c of connected) if (c.kind === 'Extension') this.sup.connected(call, c);
  }

  /** Release one party (not a supervisor's leg: supervision.ts does those). */
  releaseParty(call: Call, p: Party): void {
    if (p.state === PartyState.Released) return;
    this.core.clearTimers(p);
    this.core.setState(call, p, PartyState.Released);
    if (p.kind === 'RoutingPoint') this.core.routing.dequeue(p.dn, call.uuid);
    if (!p.sup && p.kind === 'Extension') this.sup.partyLeft(call, p);
  }

  /** A member left: end the call when fewer than two members remain. */
  endCallIfDone(call: Call): void {
    if (call.ended) return;
    if (this.core.members(call).length >= 2) return;
    this.endCall(call);
  }

  endCall(call: Call): void {
    if (call.ended) return;
    call.ended = true;
    const leaving = call.parties.filter((p) => p.state !== PartyState.Released && !p.sup);
    this.sup.callEnding(call);
    for (const p of call.parties) if (p.state !== PartyState.Released && !p.sup) this.releaseParty(call, p);
    this.core.routing.callEnded(call);
    this.core.touch(call);
    this.core.flush();
    // a consultation whose original call just ended: tell its owner
    const consultations = this.core.consultations.get(call.uuid) ?? [];
    this.core.consultations.delete(call.uuid);
    for (const uuid of consultations) {
      const other = this.core.calls.get(uuid);
      if (other && other.parentUuid === call.uuid && other.consultOwner && !other.ended) {
        const gone = call.parties.find((p) => p.kind !== 'Extension')?.dn ?? call.dnis;
        const f = FAILURES.PartyHungUp;
        this.core.emitCallEvent(other, other.consultOwner, NotificationType.Error, {
          errorCode: f.errorCode,
          errorMessage: `${f.message(gone)}; the original call ${call.uuid} has ended and the consultation call remains`,
        });
      }
    }
    for (const p of leaving) this.afterCall(p);
  }

  /** Report an accepted request that failed, to one DN on one call. */
  failure(call: Call, dn: string, cause: FailureCause, number: string): void {
    const f = FAILURES[cause];
    this.core.emitCallEvent(call, dn, NotificationType.Error, { errorCode: f.errorCode, errorMessage: f.message(number) });
  }

  /** A new call whose destination failed: show it dialing, report the error, release it. */
  failNewCall(call: Call, ownerDn: string, t: { cause: FailureCause; number: string }): void {
    const phantom = this.core.addParty(call, t.number, 'External', PartyState.Ringing);
    this.core.flush();
    this.failure(call, ownerDn, t.cause, t.number);
    this.core.move(call, phantom, PartyState.Released, 'failNewCall');
    this.endCall(call);
  }

  noAnswer(call: Call, p: Party): void {
    if (p.state !== PartyState.Ringing || call.ended) return;
    p.timers = [];
    this.ringFailed(call, p, 'NoAnswer');
  }

  /** A ringing party did not take the call: re-queue a routed call, else fail it for the caller. */
  ringFailed(call: Call, p: Party, cause: FailureCause): void {
    if (p.routedBy) {
      this.releaseParty(call, p);
      this.core.routing.reject(call, p.dn);
      // back to the routing point, unless the call is already queued there again
      if (!this.core.partyOf(call, p.routedBy)) {
        this.core.addParty(call, p.routedBy, 'RoutingPoint', PartyState.Ringing);
        this.core.routing.requeueFirst(p.routedBy, call.uuid);
      }
      this.endCallIfDone(call);
      return;
    }
    for (const m of this.core.members(call)) {
      if (m.kind === 'Extension' && m.state === PartyState.Dialing) this.failure(call, m.dn, cause, p.dn);
    }
    this.releaseParty(call, p);
    this.endCallIfDone(call);
  }
}
