/**
 * SimulatedSwitch: the embedded telephony core. Owns every live call and party, as a T-Server
 * would: internal DN-to-DN calls, routing-point distribution (longest-idle Ready agent), external
 * numbers that answer after a delay, hold/retrieve, transfers, conferences, user data, recording,
 * DTMF, mute, after-call work, forwarding and DND. Supervision lives in supervision.ts, state and
 * emission in core.ts. Clock and ids are injected; no I/O happens here.
 */
import { ErrorCode, fail, ok, okVoid } from '../errors.js';
import type { Result } from '../errors.js';
import { SwitchCore } from './core.js';
import type { Call, DnState, Party } from './core.js';
import { AgentStateName, CallType, NotificationType, PartyState, WorkMode } from './model.js';
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
import { callView, deviceView, mediaOf } from './views.js';


export class SimulatedSwitch implements SwitchPort {
  readonly core: SwitchCore;
  readonly sup: Supervision;
  private readonly lc: CallLifecycle;
  private readonly calls: CallControl;

  constructor(deps: { clock: Clock; ids: IdSource }) {
    this.core = new SwitchCore(deps.clock, deps.ids);
    this.lc = new CallLifecycle(this.core);
    this.sup = new Supervision(this.core);
    this.lc.sup = this.sup;
    this.calls = new CallControl(this.core, this.lc, this.sup);
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
    return this.lc.extension(dn);
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
    this.lc.settle();
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
      // Ready again: calls this agent rejected earlier may be offered to it again, oldest first
      for (const call of this.core.calls.values()) call.rejectedBy.delete(dn);
    } else {
      d.agentState = { state: AgentStateName.NotReady };
      if (req.workMode) d.agentState.workMode = req.workMode;
      if (req.reason) d.agentState.reason = req.reason;
      if (req.stateId) d.agentState.stateId = req.stateId;
      if (req.workMode === WorkMode.AfterCallWork && req.wrapUpTime && req.wrapUpTime > 0) {
        this.lc.scheduleWrapUpEnd(d, req.wrapUpTime);
      }
    }
    this.core.touchDevice(dn, true); // every agent-state request is confirmed, changed or not
    this.lc.settle();
    return okVoid;
  }

  setDoNotDisturb(dn: string, on: boolean): Result {
    const d = this.extension(dn);
    if (!d) return fail(ErrorCode.NotFound, `DN ${dn} is not an extension of this switch`);
    d.dnd = on;
    this.core.touchDevice(dn);
    this.lc.settle();
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
    const t = this.lc.resolve(d.config.contactCenterId, to);
    const external = t.kind === 'External' || (t.kind === 'Fail' && this.core.isExternalNumber(to));
    const call = this.core.newCall(d.config.contactCenterId, external ? CallType.Outbound : CallType.Internal, to, external ? dn : undefined);
    if (userData) call.userData = { ...userData };
    this.core.addParty(call, dn, 'Extension', PartyState.Dialing);
    if (t.kind === 'Fail') this.lc.failNewCall(call, dn, t);
    else this.lc.connect(call, t);
    this.lc.settle();
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
    const t = this.lc.resolve(d.config.contactCenterId, to);
    if (t.kind === 'Fail') {
      this.lc.endCall(call);
    } else {
      this.lc.connect(call, t);
    }
    this.lc.settle();
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
    this.lc.releaseParty(call, p);
    this.lc.endCallIfDone(call);
    this.lc.settle();
    return okVoid;
  }

  callOperation(dn: string, callUuid: string, op: CallOperation): Result {
    const call = this.core.calls.get(callUuid);
    const me = call && this.core.partyOf(call, dn);
    if (!call || !me) return fail(ErrorCode.NotFound, `Call ${callUuid} is not one of this device's calls`);
    const caps = callView(this.core, call, me).capabilities;
    if (!caps.includes(op.name)) {
      return fail(
        ErrorCode.InvalidState,
        `${op.name} is not possible now: your leg of call ${callUuid} is ${me.state}` +
          (me.sup ? ` (monitoring in ${me.sup.mode})` : '') +
          `; possible now: ${caps.join(', ') || 'nothing'}`,
      );
    }
    const r = this.run(call, me, op);
    this.lc.settle();
    return r;
  }

  private run(call: Call, me: Party, op: CallOperation): Result {
    switch (op.name) {
      case 'Answer':
        if (me.sup) return this.sup.answer(call, me);
        this.lc.answerParty(call, me);
        return okVoid;
      case 'Reject':
        this.lc.ringFailed(call, me, 'Rejected');
        return okVoid;
      case 'Hangup':
        if (me.sup) return this.sup.hangup(call, me);
        if (me.state === PartyState.Ringing) {
          this.lc.ringFailed(call, me, 'Rejected');
          return okVoid;
        }
        this.lc.releaseParty(call, me);
        this.lc.endCallIfDone(call);
        this.lc.afterCall(me);
        return okVoid;
      case 'Hold':
        this.core.setState(call, me, PartyState.Held);
        return okVoid;
      case 'Retrieve':
        this.core.setState(call, me, PartyState.Established);
        return okVoid;
      case 'ClearCall':
        this.lc.endCall(call);
        return okVoid;
      case 'InitiateTransfer':
      case 'InitiateConference':
        return this.calls.initiateConsult(call, me, op.destination.phoneNumber, op.userData, op.name === 'InitiateTransfer' ? 'Transfer' : 'Conference');
      case 'CompleteTransfer':
        return this.calls.completeTransfer(call, me, op.consultCallUuid);
      case 'CompleteConference':
        return this.calls.completeConference(call, me, op.consultCallUuid);
      case 'SingleStepTransfer':
        return this.calls.singleStepTransfer(call, me, op.destination.phoneNumber, op.userData);
      case 'SingleStepConference':
        return this.calls.singleStepConference(call, me, op.destination.phoneNumber, op.userData);
      case 'RemoveParticipantFromConference':
        return this.calls.removeParticipant(call, me, op.participant);
      case 'SwapCalls':
        return this.calls.swapCalls(call, me, op.otherCallUuid);
      case 'SendDtmf':
        this.core.emitCallEvent(call, me.dn, NotificationType.DtmfSent, { digits: op.digits });
        return okVoid;
      case 'AttachUserData':
      case 'UpdateUserData':
        call.userData = { ...call.userData, ...op.userData };
        this.core.touch(call);
        return okVoid;
      case 'DeleteUserDataPair':
        if (!Object.hasOwn(call.userData, op.key)) {
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
        this.calls.recording(call, op.name);
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

  // =================================================================== supervision

  monitor(supervisorDn: string, req: MonitorRequest): Result {
    const r = this.sup.arm(supervisorDn, req);
    this.lc.settle();
    return r;
  }

  cancelMonitoring(supervisorDn: string): Result {
    const r = this.sup.cancel(supervisorDn);
    this.lc.settle();
    return r;
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
    return this.core.liveCallsOf(dn).map((c) => c.uuid);
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

  stop(): void {
    for (const call of this.core.calls.values()) for (const p of call.parties) this.core.clearTimers(p);
    for (const d of this.core.dns.values()) d.cancelWrapUp?.();
  }
}
