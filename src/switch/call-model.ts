/**
 * The call model: the switch behind the SwitchPort, and the only authority on call state. Owns
 * every live call and party, as a T-Server would: internal DN-to-DN calls, routing-point
 * distribution (longest-idle Ready agent), hold/retrieve, transfers, conferences, user data,
 * recording, DTMF, mute, after-call work, forwarding and DND; supervision lives in supervision.ts,
 * state and emission in core.ts, the call-operation and fact handlers in handlers.ts.
 *
 * Rules (a change must keep them):
 *   - Every port command, timer and endpoint fact enters through the one door (door.ts): run to
 *     completion, settle once, emit once at the end; queries read state and never change it.
 *   - The ends of the legs are endpoints (src/endpoints/port.ts), chosen per leg by the injected
 *     selector: the call model calls their effects and hears their facts, never the reverse.
 *   - Clock, ids and log are injected; no I/O happens here.
 */
import { ErrorCode, fail, ok, okVoid } from '../errors.js';
import type { Result } from '../errors.js';
import type { EndpointFact, EndpointHost, EndpointSelector, IncomingCall, Endpoints } from '../endpoints/port.js';
import { selectorOf } from '../endpoints/port.js';
import { SimulatedEndpoints } from '../endpoints/simulated.js';
import { DeviceTouch, SwitchCore } from './core.js';
import type { DnState } from './core.js';
import { silentLog } from './door.js';
import type { SwitchLog } from './door.js';
import { CALL_HANDLERS, FACT_HANDLERS, callHandler, factHandler, refusal } from './handlers.js';
import type { CallHandlers, FactHandlers, SwitchParts } from './handlers.js';
import { AgentStateName, CallType, PartyState, WorkMode } from './model.js';
import type { CallView, ContactCenterTopology, DeviceView, MediaParty, SwitchEvent, UserData } from './model.js';
import type {
  AgentStateRequest,
  CallOperation,
  Clock,
  Destination,
  IdSource,
  LoginRequest,
  MonitorRequest,
  SwitchPort,
} from './port.js';
import { CallControl } from './call-control.js';
import { CallLifecycle } from './lifecycle.js';
import { Supervision } from './supervision.js';
import { DEFAULT_USER_DATA_LIMITS, mergeUserData } from './user-data.js';
import type { UserDataLimits } from './user-data.js';
import { callView, deviceView, mediaOf } from './views.js';

export interface SwitchOptions {
  clock: Clock;
  ids: IdSource;
  /** where internal failures (a throwing handler, timer, listener or endpoint) are logged */
  log?: SwitchLog;
  /**
   * the endpoints under the call model: given the host (the door for facts), returns the
   * selector that picks, per leg, which endpoints serve it. Default: simulated endpoints only.
   */
  endpoints?: (host: EndpointHost, simulated: SimulatedEndpoints) => EndpointSelector;
  /** when given and it answers false, supervisors are not joined to calls (audited Skipped/AuditUnavailable) */
  auditAvailable?: () => boolean;
  /** user-data limits per call (default 100 keys, 64 KiB serialised) */
  userDataLimits?: UserDataLimits;
  /** replace rows of the call-operation table (extensions; tests inject a failing handler) */
  callHandlers?: Partial<CallHandlers>;
}

const notAnExtension = (dn: string) => fail(ErrorCode.NotFound, `DN ${dn} is not an extension of this switch`);

export class CallModel implements SwitchPort {
  readonly core: SwitchCore;
  readonly sup: Supervision;
  /** the simulated endpoints: the fallback for legs no other endpoints claim, and /sim/v1 */
  readonly simulation: SimulatedEndpoints;
  private readonly lifecycle: CallLifecycle;
  private readonly calls: CallControl;
  private readonly parts: SwitchParts;
  private readonly handlers: CallHandlers;
  private readonly facts: FactHandlers = FACT_HANDLERS;

  constructor(options: SwitchOptions) {
    this.core = new SwitchCore(options.clock, options.ids, options.log ?? silentLog);
    this.lifecycle = new CallLifecycle(this.core);
    this.sup = new Supervision(this.core, options.auditAvailable);
    this.lifecycle.sup = this.sup;
    this.calls = new CallControl(this.core, this.lifecycle, this.sup);
    this.core.route = () => this.lifecycle.distribute();
    this.parts = {
      core: this.core,
      lifecycle: this.lifecycle,
      control: this.calls,
      supervision: this.sup,
      userDataLimits: options.userDataLimits ?? DEFAULT_USER_DATA_LIMITS,
    };
    this.handlers = { ...CALL_HANDLERS, ...(options.callHandlers ?? {}) };
    this.simulation = new SimulatedEndpoints();
    const host = this.host();
    this.simulation.attach(host);
    this.core.endpoints = options.endpoints ? options.endpoints(host, this.simulation) : selectorOf(this.simulation);
  }

  /** what endpoints get: the door for facts and a few reads */
  private host(): EndpointHost {
    const core = this.core;
    return {
      fact: (f) => core.door.submit(`fact ${f.kind}`, () => this.applyFact(f)),
      incoming: (call, by) => core.door.run('incoming call', () => this.incoming(call, by)),
      dial: (dn, destination) => this.phoneDial(dn, destination),
      timer: (ms, name, fn) => core.timer(ms, name, fn),
      settings: (id) => core.ccs.get(id)?.settings,
      externalLegs: (callUuid) => {
        const call = core.calls.get(callUuid);
        if (!call || call.ended) return undefined;
        return call.parties.filter((p) => p.kind === 'External' && p.state !== PartyState.Released).map((p) => p.dn);
      },
      isExternalNumber: (n) => core.isExternalNumber(n),
    };
  }

  private applyFact(f: EndpointFact): void {
    const call = this.core.calls.get(f.leg.callUuid);
    const leg = call && !call.ended ? this.core.partyOf(call, f.leg.dn) : undefined;
    if (!call || !leg) return; // the leg has moved on: nothing to do
    factHandler(this.facts, f)(this.parts, call, leg, f);
  }

  // =================================================================== topology

  configure(cc: ContactCenterTopology): void {
    this.core.door.run('configure', () => {
      this.core.ccs.set(cc.id, { id: cc.id, settings: cc.settings });
      for (const cfg of cc.dns) {
        const existing = this.core.dns.get(cfg.number);
        if (existing) {
          existing.config = cfg;
          continue;
        }
        this.core.dns.set(cfg.number, {
          config: cfg,
          loggedIn: false,
          isAgent: false,
          agentState: { state: AgentStateName.LoggedOut },
          dnd: false,
          idleSince: this.core.clock.now(),
        });
      }
      this.core.routing.configure();
      return okVoid;
    }, { route: false });
  }

  // =================================================================== presence

  private extension(dn: string): DnState | undefined {
    return this.lifecycle.extension(dn);
  }

  login(dn: string, req: LoginRequest): Result {
    return this.core.door.run('login', () => {
      const d = this.extension(dn);
      if (!d) return notAnExtension(dn);
      if (d.loggedIn && d.userId !== req.userId) {
        return fail(ErrorCode.InUse, `DN ${dn} is already logged in by another user; end that session first`);
      }
      if (!d.loggedIn) {
        d.loggedIn = true;
        d.userId = req.userId;
        d.isAgent = req.isAgent;
        d.agentState = { state: AgentStateName.NotReady };
        this.core.routing.agentChanged(dn);
        this.core.touchDevice(dn);
      }
      return okVoid;
    }, { route: false });
  }

  logout(dn: string): Result {
    const r = this.core.door.run('logout', () => {
      const d = this.extension(dn);
      if (!d) return notAnExtension(dn);
      if (!d.loggedIn) return okVoid;
      this.sup.sessionEnded(dn);
      d.cancelWrapUp?.();
      d.cancelWrapUp = undefined;
      d.loggedIn = false;
      d.agentState = { state: AgentStateName.LoggedOut };
      this.core.routing.agentChanged(dn);
      this.core.touchDevice(dn);
      return okVoid;
    });
    // the user id stays on the DN until its last events (those of the logout) are out
    const d = this.extension(dn);
    if (r.ok && d && !d.loggedIn) d.userId = undefined;
    return r;
  }

  setAgentState(dn: string, req: AgentStateRequest): Result {
    return this.core.door.run('setAgentState', () => {
      const d = this.extension(dn);
      if (!d) return notAnExtension(dn);
      if (!d.loggedIn) {
        return fail(ErrorCode.InvalidState, 'No contact-center session: POST StartContactCenterSession to /api/v2/me first');
      }
      d.cancelWrapUp?.();
      d.cancelWrapUp = undefined;
      if (req.state === 'Ready') {
        d.agentState = { state: AgentStateName.Ready, ...(req.workMode ? { workMode: req.workMode } : {}) };
        d.idleSince = this.core.clock.now();
        // Ready again: calls this agent rejected earlier may be offered to it again, oldest first
        this.core.routing.forgetRejections(dn);
      } else {
        d.agentState = { state: AgentStateName.NotReady };
        if (req.workMode) d.agentState.workMode = req.workMode;
        if (req.reason) d.agentState.reason = req.reason;
        if (req.stateId) d.agentState.stateId = req.stateId;
        if (req.workMode === WorkMode.AfterCallWork && req.wrapUpTime && req.wrapUpTime > 0) {
          this.lifecycle.scheduleWrapUpEnd(d, req.wrapUpTime);
        }
      }
      this.core.routing.agentChanged(dn);
      this.core.touchDevice(dn, DeviceTouch.AgentStateRequest);
      return okVoid;
    });
  }

  setDoNotDisturb(dn: string, on: boolean): Result {
    return this.core.door.run('setDoNotDisturb', () => {
      const d = this.extension(dn);
      if (!d) return notAnExtension(dn);
      d.dnd = on;
      this.core.routing.agentChanged(dn);
      this.core.touchDevice(dn);
      return okVoid;
    });
  }

  setForward(dn: string, destination: string | null): Result {
    return this.core.door.run('setForward', () => {
      const d = this.extension(dn);
      if (!d) return notAnExtension(dn);
      if (destination !== null) {
        if (destination === dn) return fail(ErrorCode.InvalidValue, 'A device cannot forward calls to itself');
        const t = this.core.dns.get(destination);
        const sameCc = t && t.config.contactCenterId === d.config.contactCenterId;
        if (!sameCc && !this.core.isExternalNumber(destination)) {
          return fail(
            ErrorCode.InvalidValue,
            `destination '${destination}' is neither a number of this contact center nor an external number (7 or more digits, or starting with '+')`,
          );
        }
      }
      if (destination === null) delete d.forwardTo;
      else d.forwardTo = destination;
      this.core.touchDevice(dn);
      return okVoid;
    }, { route: false });
  }

  // =================================================================== commands: calls

  dial(dn: string, destination: Destination, userData?: UserData): Result<{ callUuid: string }> {
    return this.core.door.run('dial', () => {
      const d = this.extension(dn);
      if (!d) return notAnExtension(dn);
      const to = destination.phoneNumber;
      if (to === dn) return fail(ErrorCode.InvalidValue, 'A device cannot dial its own number');
      const live = this.core.liveCallsOf(dn);
      if (live.length >= 2 || live.some((c) => this.core.partyOf(c, dn)!.state !== PartyState.Held)) {
        return fail(ErrorCode.InvalidState, 'The device already has an active call: hold or release it before dialling');
      }
      const data = mergeUserData({}, userData, this.parts.userDataLimits);
      if (!data.ok) return data;
      const t = this.lifecycle.resolve(d.config.contactCenterId, to);
      const external = t.kind === 'External' || (t.kind === 'Fail' && this.core.isExternalNumber(to));
      const call = this.core.newCall(d.config.contactCenterId, external ? CallType.Outbound : CallType.Internal, to, external ? dn : undefined);
      if (userData) call.userData = data.value;
      const caller = this.core.addParty(call, dn, 'Extension', PartyState.Dialing);
      this.core.offer(call, caller, { from: to, autoAnswer: true, monitoring: false });
      if (t.kind === 'Fail') this.lifecycle.failNewCall(call, dn, t);
      else this.lifecycle.connect(call, t);
      return ok({ callUuid: call.uuid });
    });
  }

  /**
   * A phone dialled by itself (host.dial). With exactly one call, held, that is a consultation of it
   * (InitiateTransfer), so the phone's own attended transfer (REFER with Replaces) completes it as a
   * GWS CompleteTransfer; otherwise a Dial. Returns the new call.
   */
  private phoneDial(dn: string, to: string): Result<{ callUuid: string }> {
    const live = this.core.liveCallsOf(dn);
    const held = live.length === 1 && this.core.partyOf(live[0]!, dn)?.state === PartyState.Held ? live[0]! : undefined;
    if (!held) return this.dial(dn, { phoneNumber: to });
    const consulted = this.callOperation(dn, held.uuid, { name: 'InitiateTransfer', destination: { phoneNumber: to } });
    if (!consulted.ok) return consulted;
    const consult = this.core.liveCallsOf(dn).find((call) => call !== held);
    return consult ? ok({ callUuid: consult.uuid }) : fail(ErrorCode.NotFound, `${to} cannot be reached`);
  }

  /** a call from outside (trunk, simulation): the caller's leg is served by `by` */
  private incoming(req: IncomingCall, by: Endpoints): Result<{ callUuid: string }> {
    const d = this.core.dns.get(req.to);
    if (!d) return fail(ErrorCode.NotFound, `'to' must be a DN or routing point of the contact center; ${req.to} is unknown`);
    const data = mergeUserData({}, req.userData, this.parts.userDataLimits);
    if (!data.ok) return data;
    const call = this.core.newCall(d.config.contactCenterId, CallType.Inbound, req.to, req.from);
    if (req.userData) call.userData = data.value;
    const caller = this.core.addParty(call, req.from, 'External', PartyState.Dialing);
    caller.endpoint = by;
    const t = this.lifecycle.resolve(d.config.contactCenterId, req.to);
    if (t.kind === 'Fail') this.lifecycle.endCall(call);
    else this.lifecycle.connect(call, t);
    return ok({ callUuid: call.uuid });
  }

  simulateInbound(from: string, to: string, userData?: UserData): Result<{ callUuid: string }> {
    return this.simulation.inbound(from, to, userData);
  }

  simulateExternalHangup(callUuid: string, phoneNumber?: string): Result {
    if (this.core.door.busy) return fail(ErrorCode.InvalidState, 'simulateExternalHangup cannot start while another switch command is running; retry');
    return this.simulation.hangUp(callUuid, phoneNumber);
  }

  callOperation(dn: string, callUuid: string, op: CallOperation): Result {
    return this.core.door.run(op.name, () => {
      const call = this.core.calls.get(callUuid);
      const party = call && this.core.partyOf(call, dn);
      if (!call || !party) return fail(ErrorCode.NotFound, `Call ${callUuid} is not one of this device's calls`);
      return refusal(this.parts, call, party, op.name) ?? callHandler(this.handlers, op)(this.parts, call, party, op);
    });
  }

  // =================================================================== supervision

  monitor(supervisorDn: string, req: MonitorRequest): Result {
    return this.core.door.run('monitor', () => this.sup.arm(supervisorDn, req));
  }

  cancelMonitoring(supervisorDn: string): Result {
    return this.core.door.run('cancelMonitoring', () => this.sup.cancel(supervisorDn));
  }

  // =================================================================== queries

  media(callUuid: string): MediaParty[] | undefined {
    const call = this.core.calls.get(callUuid);
    return call ? mediaOf(this.core, call) : undefined;
  }

  device(dn: string): DeviceView | undefined {
    return deviceView(this.core, dn);
  }

  callsOf(dn: string): string[] {
    // a DN is an extension or a routing point: the calls waiting at a routing point are its legs
    const calls = this.core.routingPointLegs.has(dn) ? this.core.liveCallsAtRoutingPoint(dn) : this.core.liveCallsOf(dn);
    return calls.map((c) => c.uuid);
  }

  callView(callUuid: string, dn: string): CallView | undefined {
    const call = this.core.calls.get(callUuid);
    const p = call && this.core.partyOf(call, dn);
    return call && p ? callView(this.core, call, p) : undefined;
  }

  callContactCenter(callUuid: string): string | undefined {
    return this.core.calls.get(callUuid)?.ccId;
  }

  onEvent(listener: (e: SwitchEvent) => void): () => void {
    return this.core.onEvent(listener);
  }

  /**
   * The server stops, and with it every call of this switch (a single server keeps its calls in
   * memory only): supervisors leave their calls and every monitoring configuration ends
   * (ServerStopped in the audit), then every live call ends as if hung up, so that clients see
   * Released and the endpoints hang up their legs (BYEs) while they still run. A cluster node never
   * calls this: its calls go on at the next owner.
   */
  serverStopping(): void {
    this.core.door.run('server stopping', () => {
      this.sup.serverStopping();
      for (const call of [...this.core.calls.values()]) this.lifecycle.endCall(call);
      return okVoid;
    });
  }

  stop(): void {
    for (const call of this.core.calls.values()) for (const p of call.parties) this.core.clearTimers(p);
    for (const d of this.core.dns.values()) d.cancelWrapUp?.();
    for (const endpoint of this.core.endpoints.all()) this.core.effect('stop', () => endpoint.stop());
  }
}
