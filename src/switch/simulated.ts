/**
 * SimulatedSwitch: the embedded telephony core. Owns every live call and party, as a T-Server
 * would: internal DN-to-DN calls, routing-point distribution (longest-idle Ready agent), external
 * numbers that answer after a delay, hold/retrieve, transfers, conferences, user data, recording,
 * DTMF, mute, after-call work, forwarding and DND. Supervision lives in supervision.ts, state and
 * emission in core.ts. Clock and ids are injected; no I/O happens here.
 */
import { ErrorCode, fail, ok, okVoid } from '../errors.js';
import type { Result } from '../errors.js';
import { FAILURES } from './causes.js';
import type { FailureCause } from './causes.js';
import { SwitchCore } from './core.js';
import type { Call, DnState, Party } from './core.js';
import { AgentStateName, CallType, NotificationType, PartyState, RecordingState, WorkMode } from './model.js';
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
import { Supervision } from './supervision.js';

/** Where a number leads, after forwarding. */
type Target =
  | { kind: 'Extension'; dn: string }
  | { kind: 'RoutingPoint'; dn: string }
  | { kind: 'External'; number: string }
  | { kind: 'Fail'; cause: FailureCause; number: string };

const MAX_FORWARD_HOPS = 5;

export class SimulatedSwitch implements SwitchPort {
  readonly core: SwitchCore;
  readonly sup: Supervision;

  constructor(deps: { clock: Clock; ids: IdSource }) {
    this.core = new SwitchCore(deps.clock, deps.ids);
    this.sup = new Supervision(this.core, {
      releaseParty: (call, p) => this.releaseParty(call, p),
      endCallIfDone: (call) => this.endCallIfDone(call),
    });
  }

  // =================================================================== topology

  configure(cc: ContactCenterTopology): void {
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
      if (cfg.kind === 'RoutingPoint') this.core.queues.set(cfg.number, []);
    }
  }

  // =================================================================== presence

  private extension(dn: string): DnState | undefined {
    const d = this.core.dns.get(dn);
    return d && d.config.kind === 'Extension' ? d : undefined;
  }

  login(dn: string, req: LoginRequest): Result {
    const d = this.extension(dn);
    if (!d) return fail(ErrorCode.NotFound, `DN ${dn} is not an extension of this switch`);
    if (d.loggedIn && d.userId !== req.userId) {
      return fail(ErrorCode.InUse, `DN ${dn} is already logged in by another user; end that session first`);
    }
    if (!d.loggedIn) {
      d.loggedIn = true;
      d.userId = req.userId;
      d.isAgent = req.isAgent;
      d.agentState = { state: AgentStateName.NotReady };
      this.core.touchDevice(dn);
    }
    this.core.flush();
    return okVoid;
  }

  logout(dn: string): Result {
    const d = this.extension(dn);
    if (!d) return fail(ErrorCode.NotFound, `DN ${dn} is not an extension of this switch`);
    if (!d.loggedIn) return okVoid;
    this.sup.sessionEnded(dn);
    d.cancelWrapUp?.();
    d.cancelWrapUp = undefined;
    d.loggedIn = false;
    d.agentState = { state: AgentStateName.LoggedOut };
    this.core.touchDevice(dn);
    this.settle();
    d.userId = undefined;
    return okVoid;
  }

  setAgentState(dn: string, req: AgentStateRequest): Result {
    const d = this.extension(dn);
    if (!d) return fail(ErrorCode.NotFound, `DN ${dn} is not an extension of this switch`);
    if (!d.loggedIn) {
      return fail(ErrorCode.InvalidState, 'No contact-center session: POST StartContactCenterSession to /api/v2/me first');
    }
    d.cancelWrapUp?.();
    d.cancelWrapUp = undefined;
    if (req.state === 'Ready') {
      d.agentState = { state: AgentStateName.Ready, ...(req.workMode ? { workMode: req.workMode } : {}) };
      d.idleSince = this.core.clock.now();
    } else {
      d.agentState = { state: AgentStateName.NotReady };
      if (req.workMode) d.agentState.workMode = req.workMode;
      if (req.reason) d.agentState.reason = req.reason;
      if (req.stateId) d.agentState.stateId = req.stateId;
      if (req.workMode === WorkMode.AfterCallWork && req.wrapUpTime && req.wrapUpTime > 0) {
        this.scheduleWrapUpEnd(d, req.wrapUpTime);
      }
    }
    this.core.touchDevice(dn, true); // every agent-state request is confirmed, changed or not
    this.settle();
    return okVoid;
  }

  setDoNotDisturb(dn: string, on: boolean): Result {
    const d = this.extension(dn);
    if (!d) return fail(ErrorCode.NotFound, `DN ${dn} is not an extension of this switch`);
    d.dnd = on;
    this.core.touchDevice(dn);
    this.settle();
    return okVoid;
  }

  setForward(dn: string, destination: string | null): Result {
    const d = this.extension(dn);
    if (!d) return fail(ErrorCode.NotFound, `DN ${dn} is not an extension of this switch`);
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
    this.core.flush();
    return okVoid;
  }

  private scheduleWrapUpEnd(d: DnState, seconds: number): void {
    const cc = this.core.cc(d.config.contactCenterId);
    d.cancelWrapUp = this.core.clock.setTimer(seconds * 1000, () => {
      d.cancelWrapUp = undefined;
      if (!d.loggedIn || d.agentState.workMode !== WorkMode.AfterCallWork) return;
      d.agentState = cc.settings.afterWrapUp === 'Ready' ? { state: AgentStateName.Ready } : { state: AgentStateName.NotReady };
      d.idleSince = this.core.clock.now();
      this.core.touchDevice(d.config.number);
      this.settle();
    });
  }

  /** After a call: after-call work if configured, else the agent is idle again (longest-idle order). */
  private afterCall(dn: string): void {
    const d = this.extension(dn);
    if (!d || !d.loggedIn || !d.isAgent) return;
    if (this.core.liveCallsOf(dn).length > 0) return;
    const cc = this.core.cc(d.config.contactCenterId);
    const wrap = d.config.wrapUpTime ?? cc.settings.wrapUpTime;
    const s = d.agentState;
    const eligible = s.state === AgentStateName.Ready || s.workMode === WorkMode.AfterCallWork;
    d.idleSince = this.core.clock.now();
    if (wrap > 0 && eligible) {
      d.cancelWrapUp?.();
      d.agentState = { state: AgentStateName.NotReady, workMode: WorkMode.AfterCallWork };
      this.scheduleWrapUpEnd(d, wrap);
      this.core.touchDevice(dn);
    }
  }

  // =================================================================== routing

  private resolve(ccId: string, number: string, hops = 0): Target {
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
  private busy(dn: string): boolean {
    const live = this.core.liveCallsOf(dn);
    return live.length >= 2 || live.some((c) => this.core.partyOf(c, dn)!.state !== PartyState.Held);
  }

  /** Add the destination's party to a call (ringing, alerting, or queued at a routing point). */
  private connect(call: Call, t: Exclude<Target, { kind: 'Fail' }>): Party {
    if (t.kind === 'RoutingPoint') {
      const p = this.core.addParty(call, t.dn, 'RoutingPoint', PartyState.Ringing);
      this.core.queues.get(t.dn)!.push(call.uuid);
      this.sup.routingPointArrival(call, t.dn);
      return p;
    }
    const p = this.core.addParty(call, t.kind === 'Extension' ? t.dn : t.number, t.kind, PartyState.Ringing);
    this.armRinging(call, p);
    return p;
  }

  /** Timers of a ringing party: an external number answers after a delay; an extension may time out. */
  private armRinging(call: Call, p: Party): void {
    const settings = this.core.cc(call.ccId).settings;
    if (p.kind === 'External') {
      p.timers.push(this.core.clock.setTimer(settings.externalAnswerDelayMs, () => {
        if (p.state !== PartyState.Ringing || call.ended) return;
        this.answerParty(call, p);
        this.settle();
      }));
    } else if (p.kind === 'Extension' && settings.ringNoAnswerMs > 0) {
      p.timers.push(this.core.clock.setTimer(settings.ringNoAnswerMs, () => this.noAnswer(call, p)));
    }
  }

  /** Offer queued calls to idle Ready agents, longest idle first. */
  private distribute(): void {
    for (const [rp, queue] of this.core.queues) {
      let i = 0;
      while (i < queue.length) {
        const call = this.core.calls.get(queue[i]);
        const rpParty = call && call.parties.find((p) => p.kind === 'RoutingPoint' && p.dn === rp && p.state !== PartyState.Released);
        if (!call || !rpParty) {
          queue.splice(i, 1);
          continue;
        }
        const agent = this.pickAgent(rp, call);
        if (!agent) {
          i++;
          continue;
        }
        queue.splice(i, 1);
        rpParty.state = PartyState.Released;
        const target = this.resolve(call.ccId, agent);
        if (target.kind === 'Fail' || target.kind === 'RoutingPoint') {
          call.rejectedBy.add(agent);
          this.core.addParty(call, rp, 'RoutingPoint', PartyState.Ringing);
          queue.splice(i, 0, call.uuid);
          continue;
        }
        const p = this.connect(call, target);
        p.routedBy = rp;
      }
    }
  }

  private pickAgent(rp: string, call: Call): string | undefined {
    const cfg = this.core.dns.get(rp)!.config;
    const candidates: DnState[] = [];
    const pool = cfg.targets && cfg.targets.length ? cfg.targets : [...this.core.dns.keys()];
    for (const dn of pool) {
      const d = this.core.dns.get(dn);
      if (!d || d.config.kind !== 'Extension' || d.config.contactCenterId !== call.ccId) continue;
      if (!d.loggedIn || !d.isAgent || d.agentState.state !== AgentStateName.Ready || d.dnd) continue;
      if (call.rejectedBy.has(dn) || !this.core.agentIdle(d)) continue;
      candidates.push(d);
    }
    candidates.sort((a, b) => a.idleSince - b.idleSince || a.config.number.localeCompare(b.config.number));
    return candidates[0]?.config.number;
  }

  /** Route queued calls, then emit everything that changed. */
  private settle(): void {
    this.distribute();
    this.core.flush();
  }

  // =================================================================== call lifecycle

  private answerParty(call: Call, p: Party): void {
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
  private releaseParty(call: Call, p: Party): void {
    if (p.state === PartyState.Released) return;
    this.core.clearTimers(p);
    this.core.setState(call, p, PartyState.Released);
    if (p.kind === 'RoutingPoint') {
      const q = this.core.queues.get(p.dn);
      if (q) {
        const i = q.indexOf(call.uuid);
        if (i >= 0) q.splice(i, 1);
      }
    }
    if (!p.sup && p.kind === 'Extension') this.sup.partyLeft(call, p);
  }

  /** A member left: end the call when fewer than two members remain. */
  private endCallIfDone(call: Call): void {
    if (call.ended) return;
    if (this.core.members(call).length >= 2) return;
    this.endCall(call);
  }

  private endCall(call: Call): void {
    if (call.ended) return;
    call.ended = true;
    const extensions = call.parties.filter((p) => p.kind === 'Extension' && !p.sup && p.state !== PartyState.Released).map((p) => p.dn);
    this.sup.callEnding(call);
    for (const p of call.parties) if (p.state !== PartyState.Released && !p.sup) this.releaseParty(call, p);
    this.core.touch(call);
    this.core.flush();
    // a consultation whose original call just ended: tell its owner
    for (const other of this.core.calls.values()) {
      if (other.parentUuid === call.uuid && other.consultOwner && !other.ended) {
        const gone = call.parties.find((p) => p.kind !== 'Extension')?.dn ?? call.dnis;
        const f = FAILURES.PartyHungUp;
        this.core.emitCallEvent(other, other.consultOwner, NotificationType.Error, {
          errorCode: f.errorCode,
          errorMessage: `${f.message(gone)}; the original call ${call.uuid} has ended and the consultation call remains`,
        });
      }
    }
    for (const dn of extensions) this.afterCall(dn);
  }

  /** Report an accepted request that failed, to one DN on one call. */
  private failure(call: Call, dn: string, cause: FailureCause, number: string): void {
    const f = FAILURES[cause];
    this.core.emitCallEvent(call, dn, NotificationType.Error, { errorCode: f.errorCode, errorMessage: f.message(number) });
  }

  /** A new call whose destination failed: show it dialing, report the error, release it. */
  private failNewCall(call: Call, ownerDn: string, t: { cause: FailureCause; number: string }): void {
    const phantom = this.core.addParty(call, t.number, 'External', PartyState.Ringing);
    this.core.flush();
    this.failure(call, ownerDn, t.cause, t.number);
    phantom.state = PartyState.Released;
    this.endCall(call);
  }

  private noAnswer(call: Call, p: Party): void {
    if (p.state !== PartyState.Ringing || call.ended) return;
    p.timers = [];
    this.ringFailed(call, p, 'NoAnswer');
    this.settle();
  }

  /** A ringing party did not take the call: re-queue a routed call, else fail it for the caller. */
  private ringFailed(call: Call, p: Party, cause: FailureCause): void {
    if (p.routedBy) {
      this.releaseParty(call, p);
      call.rejectedBy.add(p.dn);
      // back to the routing point, unless the call is already queued there again
      if (!this.core.partyOf(call, p.routedBy)) {
        this.core.addParty(call, p.routedBy, 'RoutingPoint', PartyState.Ringing);
        this.core.queues.get(p.routedBy)!.unshift(call.uuid);
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

  // =================================================================== commands: calls

  dial(dn: string, destination: Destination, userData?: UserData): Result<{ callUuid: string }> {
    const d = this.extension(dn);
    if (!d) return fail(ErrorCode.NotFound, `DN ${dn} is not an extension of this switch`);
    const to = destination.phoneNumber;
    if (to === dn) return fail(ErrorCode.InvalidValue, 'A device cannot dial its own number');
    const live = this.core.liveCallsOf(dn);
    if (live.length >= 2 || live.some((c) => this.core.partyOf(c, dn)!.state !== PartyState.Held)) {
      return fail(ErrorCode.InvalidState, 'The device already has an active call: hold or release it before dialling');
    }
    const t = this.resolve(d.config.contactCenterId, to);
    const external = t.kind === 'External' || (t.kind === 'Fail' && this.core.isExternalNumber(to));
    const call = this.core.newCall(d.config.contactCenterId, external ? CallType.Outbound : CallType.Internal, to, external ? dn : undefined);
    if (userData) call.userData = { ...userData };
    this.core.addParty(call, dn, 'Extension', PartyState.Dialing);
    if (t.kind === 'Fail') this.failNewCall(call, dn, t);
    else this.connect(call, t);
    this.settle();
    return ok({ callUuid: call.uuid });
  }

  simulateInbound(from: string, to: string, userData?: UserData): Result<{ callUuid: string }> {
    if (!this.core.isExternalNumber(from)) {
      return fail(ErrorCode.InvalidValue, `'from' must be an external number (7 or more digits, or starting with '+'), got '${from}'`);
    }
    const d = this.core.dns.get(to);
    if (!d) return fail(ErrorCode.NotFound, `'to' must be a DN or routing point of the contact center; ${to} is unknown`);
    const call = this.core.newCall(d.config.contactCenterId, CallType.Inbound, to, from);
    if (userData) call.userData = { ...userData };
    this.core.addParty(call, from, 'External', PartyState.Dialing);
    const t = this.resolve(d.config.contactCenterId, to);
    if (t.kind === 'Fail') {
      this.endCall(call);
    } else {
      this.connect(call, t);
    }
    this.settle();
    return ok({ callUuid: call.uuid });
  }

  simulateExternalHangup(callUuid: string, phoneNumber?: string): Result {
    const call = this.core.calls.get(callUuid);
    if (!call || call.ended) return fail(ErrorCode.NotFound, `Call ${callUuid} does not exist or has ended`);
    const externals = call.parties.filter((p) => p.kind === 'External' && p.state !== PartyState.Released);
    const p = phoneNumber ? externals.find((x) => x.dn === phoneNumber) : externals.length === 1 ? externals[0] : undefined;
    if (!p) {
      return fail(
        phoneNumber ? ErrorCode.NotFound : ErrorCode.MissingParameter,
        phoneNumber
          ? `No external party ${phoneNumber} on call ${callUuid}`
          : `Call ${callUuid} has ${externals.length} external parties: give phoneNumber`,
      );
    }
    this.releaseParty(call, p);
    this.endCallIfDone(call);
    this.settle();
    return okVoid;
  }

  callOperation(dn: string, callUuid: string, op: CallOperation): Result {
    const call = this.core.calls.get(callUuid);
    const me = call && this.core.partyOf(call, dn);
    if (!call || !me) return fail(ErrorCode.NotFound, `Call ${callUuid} is not one of this device's calls`);
    const caps = this.core.callView(call, me).capabilities;
    if (!caps.includes(op.name)) {
      return fail(
        ErrorCode.InvalidState,
        `${op.name} is not possible now: your leg of call ${callUuid} is ${me.state}` +
          (me.sup ? ` (monitoring in ${me.sup.mode})` : '') +
          `; possible now: ${caps.join(', ') || 'nothing'}`,
      );
    }
    const r = this.run(call, me, op);
    this.settle();
    return r;
  }

  private run(call: Call, me: Party, op: CallOperation): Result {
    switch (op.name) {
      case 'Answer':
        if (me.sup) return this.sup.answer(call, me);
        this.answerParty(call, me);
        return okVoid;
      case 'Reject':
        this.ringFailed(call, me, 'Rejected');
        return okVoid;
      case 'Hangup':
        if (me.sup) return this.sup.hangup(call, me);
        if (me.state === PartyState.Ringing) {
          this.ringFailed(call, me, 'Rejected');
          return okVoid;
        }
        this.releaseParty(call, me);
        this.endCallIfDone(call);
        this.afterCall(me.dn);
        return okVoid;
      case 'Hold':
        this.core.setState(call, me, PartyState.Held);
        return okVoid;
      case 'Retrieve':
        this.core.setState(call, me, PartyState.Established);
        return okVoid;
      case 'ClearCall':
        this.endCall(call);
        return okVoid;
      case 'InitiateTransfer':
      case 'InitiateConference':
        return this.initiateConsult(call, me, op.destination.phoneNumber, op.userData, op.name === 'InitiateTransfer' ? 'Transfer' : 'Conference');
      case 'CompleteTransfer':
        return this.completeTransfer(call, me, op.consultCallUuid);
      case 'CompleteConference':
        return this.completeConference(call, me, op.consultCallUuid);
      case 'SingleStepTransfer':
        return this.singleStepTransfer(call, me, op.destination.phoneNumber, op.userData);
      case 'SingleStepConference':
        return this.singleStepConference(call, me, op.destination.phoneNumber, op.userData);
      case 'RemoveParticipantFromConference':
        return this.removeParticipant(call, me, op.participant);
      case 'SwapCalls':
        return this.swapCalls(call, me, op.otherCallUuid);
      case 'SendDtmf':
        this.core.emitCallEvent(call, me.dn, NotificationType.DtmfSent, { digits: op.digits });
        return okVoid;
      case 'AttachUserData':
      case 'UpdateUserData':
        call.userData = { ...call.userData, ...op.userData };
        this.core.touch(call);
        return okVoid;
      case 'DeleteUserDataPair':
        if (!(op.key in call.userData)) {
          return fail(ErrorCode.InvalidValue, `key '${op.key}' is not in the call's user data`);
        }
        delete call.userData[op.key];
        this.core.touch(call);
        return okVoid;
      case 'DeleteUserData':
        call.userData = {};
        this.core.touch(call);
        return okVoid;
      case 'StartCallRecording':
      case 'PauseCallRecording':
      case 'ResumeCallRecording':
      case 'StopCallRecording':
        this.recording(call, op.name);
        return okVoid;
      case 'MuteCall':
      case 'UnmuteCall':
        me.muted = op.name === 'MuteCall';
        this.core.touch(call);
        return okVoid;
      case 'SwitchToListenIn':
      case 'SwitchToBargeIn':
      case 'SwitchToCoach':
        return this.sup.switchMode(call, me, op.name);
      case 'MuteMonitoredUser':
      case 'UnmuteMonitoredUser':
        return this.sup.muteMonitored(call, me, op.name === 'MuteMonitoredUser');
    }
  }

  private recording(call: Call, name: 'StartCallRecording' | 'PauseCallRecording' | 'ResumeCallRecording' | 'StopCallRecording'): void {
    const now = this.core.clock.now();
    if (name === 'StartCallRecording') {
      call.recording = RecordingState.Recording;
      call.userData = {
        ...call.userData,
        GSIP_RECORD: 'ON',
        GSIP_REC_FN: `${call.uuid}_${now}`,
        IW_CaseUid: `${call.connId}-case`,
        IW_BundleUid: `${call.connId}-bundle`,
      };
    } else if (name === 'PauseCallRecording') {
      call.recording = RecordingState.Paused;
      call.userData = { ...call.userData, GSIP_RECORD: 'PAUSED' };
    } else if (name === 'ResumeCallRecording') {
      call.recording = RecordingState.Recording;
      call.userData = { ...call.userData, GSIP_RECORD: 'ON' };
    } else {
      call.recording = RecordingState.Stopped;
      call.userData = { ...call.userData, GSIP_RECORD: 'OFF' };
    }
    this.core.touch(call);
  }

  private initiateConsult(call: Call, me: Party, to: string, userData: UserData | undefined, kind: 'Transfer' | 'Conference'): Result {
    if (to === me.dn || this.core.partyOf(call, to)) return fail(ErrorCode.InvalidValue, `${to} is already on the call`);
    // the hold and the new consultation are reported together, original first, so the Held
    // notification already carries CompleteTransfer / CompleteConference (as in the GWS sample)
    this.core.touch(call);
    if (me.state === PartyState.Established) this.core.setState(call, me, PartyState.Held);
    const t = this.resolve(call.ccId, to);
    const consult = this.core.newCall(call.ccId, CallType.Consult, to);
    consult.parentUuid = call.uuid;
    consult.consultOwner = me.dn;
    consult.consultKind = kind;
    consult.userData = { ...call.userData, ...(userData ?? {}) };
    this.core.addParty(consult, me.dn, 'Extension', PartyState.Dialing);
    if (t.kind === 'Fail') this.failNewCall(consult, me.dn, t);
    else this.connect(consult, t);
    return okVoid;
  }

  /** the original/consult pair for a Complete* operation issued on either call */
  private pairFor(call: Call, me: Party, consultCallUuid?: string): Result<{ original: Call; consult: Call }> {
    const other = consultCallUuid
      ? this.core.calls.get(consultCallUuid)
      : this.core.otherCall(call, me.dn);
    const pair = other && other !== call ? this.core.consultPairOf(me.dn, call, other) : undefined;
    if (!pair) {
      return fail(ErrorCode.InvalidValue, consultCallUuid
        ? `Call ${consultCallUuid} is not a consultation of call ${call.uuid} made by this device`
        : `Call ${call.uuid} has no consultation call to complete`);
    }
    return ok(pair);
  }

  /** Move a party from one call to another (its leg on the old call is shown as released). */
  private moveParty(from: Call, p: Party, to: Call): Party | undefined {
    this.core.clearTimers(p);
    if (this.core.partyOf(to, p.dn)) {
      // already on the destination call (joined it meanwhile): one leg is enough
      p.state = PartyState.Released;
      this.core.touch(from);
      return undefined;
    }
    const moved = this.core.addParty(to, p.dn, p.kind, p.state, { routedBy: p.routedBy, muted: p.muted, everEstablished: p.everEstablished });
    p.state = PartyState.Released;
    this.core.touch(from);
    if (p.kind === 'RoutingPoint') {
      const q = this.core.queues.get(p.dn)!;
      const i = q.indexOf(from.uuid);
      if (i >= 0) q[i] = to.uuid;
    }
    if (moved.state === PartyState.Ringing) this.armRinging(to, moved);
    return moved;
  }

  private completeTransfer(call: Call, me: Party, consultCallUuid?: string): Result {
    const r = this.pairFor(call, me, consultCallUuid);
    if (!r.ok) return r;
    const { original, consult } = r.value;
    const aOrig = this.core.partyOf(original, me.dn)!;
    const aCons = this.core.partyOf(consult, me.dn)!;
    this.core.touch(original);
    const far = this.core.members(consult).filter((p) => p !== aCons);
    original.userData = { ...original.userData, ...consult.userData };
    if (consult.recording) original.recording = consult.recording;
    const moved = far.map((p) => this.moveParty(consult, p, original)).filter((m): m is Party => !!m);
    this.releaseParty(original, aOrig);
    this.releaseParty(consult, aCons);
    consult.ended = true;
    for (const m of moved) if (m.kind === 'Extension' && m.state === PartyState.Established) this.sup.connected(original, m);
    this.endCallIfDone(original);
    this.afterCall(me.dn);
    return okVoid;
  }

  private completeConference(call: Call, me: Party, consultCallUuid?: string): Result {
    const r = this.pairFor(call, me, consultCallUuid);
    if (!r.ok) return r;
    const { original, consult } = r.value;
    const aOrig = this.core.partyOf(original, me.dn)!;
    const aCons = this.core.partyOf(consult, me.dn)!;
    this.core.touch(consult); // consult's release is reported first, then the original's update
    const far = this.core.members(consult).filter((p) => p !== aCons);
    original.userData = { ...original.userData, ...consult.userData };
    this.core.clearTimers(aCons);
    aCons.state = PartyState.Released;
    const moved = far.map((p) => this.moveParty(consult, p, original)).filter((m): m is Party => !!m);
    consult.ended = true;
    this.core.setState(original, aOrig, PartyState.Established);
    original.conferenceOwner ??= me.dn;
    for (const m of moved) if (m.kind === 'Extension' && m.state === PartyState.Established) this.sup.connected(original, m);
    return okVoid;
  }

  private singleStepTransfer(call: Call, me: Party, to: string, userData?: UserData): Result {
    if (to === me.dn || this.core.partyOf(call, to)) return fail(ErrorCode.InvalidValue, `${to} is already on the call`);
    const t = this.resolve(call.ccId, to);
    if (t.kind === 'Fail') {
      this.failure(call, me.dn, t.cause, t.number);
      return okVoid;
    }
    if (userData) call.userData = { ...call.userData, ...userData };
    this.connect(call, t);
    this.releaseParty(call, me);
    this.endCallIfDone(call);
    this.afterCall(me.dn);
    return okVoid;
  }

  private singleStepConference(call: Call, me: Party, to: string, userData?: UserData): Result {
    if (to === me.dn || this.core.partyOf(call, to)) return fail(ErrorCode.InvalidValue, `${to} is already on the call`);
    const t = this.resolve(call.ccId, to);
    if (t.kind === 'Fail') {
      this.failure(call, me.dn, t.cause, t.number);
      return okVoid;
    }
    if (userData) call.userData = { ...call.userData, ...userData };
    call.conferenceOwner ??= me.dn;
    this.connect(call, t);
    return okVoid;
  }

  private removeParticipant(call: Call, me: Party, participant: string): Result {
    const p = call.parties.find((x) => x.dn === participant && x !== me && x.state !== PartyState.Released);
    if (!p) return fail(ErrorCode.InvalidValue, `'${participant}' is not a participant of call ${call.uuid}`);
    if (p.sup) return this.sup.hangup(call, p, 'Removed');
    this.releaseParty(call, p);
    this.endCallIfDone(call);
    if (p.kind === 'Extension') this.afterCall(p.dn);
    return okVoid;
  }

  private swapCalls(call: Call, me: Party, otherCallUuid?: string): Result {
    const other = otherCallUuid ? this.core.calls.get(otherCallUuid) : this.core.otherCall(call, me.dn);
    const otherMe = other && other !== call ? this.core.partyOf(other, me.dn) : undefined;
    if (!other || !otherMe) return fail(ErrorCode.InvalidValue, `No other call of this device to swap with${otherCallUuid ? ` (${otherCallUuid})` : ''}`);
    const [toHold, toRetrieve] = me.state === PartyState.Established ? [me, otherMe] : [otherMe, me];
    const [holdCall, retrieveCall] = me.state === PartyState.Established ? [call, other] : [other, call];
    if (toRetrieve.state !== PartyState.Held || toHold.state !== PartyState.Established) {
      return fail(ErrorCode.InvalidState, 'SwapCalls needs one established and one held call');
    }
    this.core.touch(retrieveCall); // the newly established call is reported first
    this.core.setState(holdCall, toHold, PartyState.Held);
    this.core.setState(retrieveCall, toRetrieve, PartyState.Established);
    return okVoid;
  }

  // =================================================================== supervision

  monitor(supervisorDn: string, req: MonitorRequest): Result {
    const r = this.sup.arm(supervisorDn, req);
    this.settle();
    return r;
  }

  cancelMonitoring(supervisorDn: string): Result {
    const r = this.sup.cancel(supervisorDn);
    this.settle();
    return r;
  }

  // =================================================================== queries

  media(callUuid: string): MediaParty[] | undefined {
    const call = this.core.calls.get(callUuid);
    return call ? this.core.media(call) : undefined;
  }

  device(dn: string): DeviceView | undefined {
    return this.core.deviceView(dn);
  }

  callsOf(dn: string): string[] {
    return this.core.liveCallsOf(dn).map((c) => c.uuid);
  }

  callView(callUuid: string, dn: string): CallView | undefined {
    const call = this.core.calls.get(callUuid);
    const p = call && this.core.partyOf(call, dn);
    return call && p ? this.core.callView(call, p) : undefined;
  }

  callContactCenter(callUuid: string): string | undefined {
    return this.core.calls.get(callUuid)?.ccId;
  }

  onEvent(listener: (e: SwitchEvent) => void): () => void {
    return this.core.onEvent(listener);
  }

  stop(): void {
    for (const call of this.core.calls.values()) for (const p of call.parties) this.core.clearTimers(p);
    for (const d of this.core.dns.values()) d.cancelWrapUp?.();
  }
}
