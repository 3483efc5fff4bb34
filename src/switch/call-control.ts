/**
 * Call control that involves more than one leg or call: two-step and single-step transfer and
 * conference, removing a participant, swapping calls, and call recording. Transfers and
 * conferences keep the original call: the consultation's far parties move into it.
 */
import { ErrorCode, fail, ok, okVoid } from '../errors.js';
import type { Result } from '../errors.js';
import type { Call, Party, SwitchCore } from './core.js';
import type { CallLifecycle, Target } from './lifecycle.js';
import { CallType, PartyState, RecordingState } from './model.js';
import type { UserData } from './model.js';
import type { Supervision } from './supervision.js';

export class CallControl {
  constructor(
    private readonly core: SwitchCore,
    private readonly lifecycle: CallLifecycle,
    private readonly sup: Supervision,
  ) {}

  recording(call: Call, name: 'StartCallRecording' | 'PauseCallRecording' | 'ResumeCallRecording' | 'StopCallRecording'): void {
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
    const state = call.recording;
    this.core.callEffect('record', (e) => e.record(call.uuid, state));
    this.core.touch(call);
  }

  initiateConsult(call: Call, actor: Party, to: string, userData: UserData | undefined, kind: 'Transfer' | 'Conference'): Result {
    if (to === actor.dn || this.core.partyOf(call, to)) return fail(ErrorCode.InvalidValue, `${to} is already on the call`);
    // the hold and the new consultation are reported together, original first, so the Held
    // notification already carries CompleteTransfer / CompleteConference (as in the GWS sample)
    this.core.touch(call);
    if (actor.state === PartyState.Established) this.core.setState(call, actor, PartyState.Held);
    const t = this.lifecycle.resolve(call.ccId, to);
    const consult = this.core.newCall(call.ccId, CallType.Consult, to);
    consult.parentUuid = call.uuid;
    this.core.linkConsultation(call.uuid, consult.uuid);
    consult.consultOwner = actor.dn;
    consult.consultKind = kind;
    consult.userData = { ...call.userData, ...(userData ?? {}) };
    const leg = this.core.addParty(consult, actor.dn, 'Extension', PartyState.Dialing);
    this.core.offer(consult, leg, { from: to, autoAnswer: true, monitoring: false });
    if (t.kind === 'Fail') this.lifecycle.failNewCall(consult, actor.dn, t);
    else this.lifecycle.connect(consult, t);
    return okVoid;
  }

  /** the original/consult pair for a Complete* operation issued on either call */
  pairFor(call: Call, actor: Party, consultCallUuid?: string): Result<{ original: Call; consult: Call }> {
    const other = consultCallUuid
      ? this.core.calls.get(consultCallUuid)
      : this.core.otherCall(call, actor.dn);
    const pair = other && other !== call ? this.core.consultPairOf(actor.dn, call, other) : undefined;
    if (!pair) {
      return fail(ErrorCode.InvalidValue, consultCallUuid
        ? `Call ${consultCallUuid} is not a consultation of call ${call.uuid} made by this device`
        : `Call ${call.uuid} has no consultation call to complete`);
    }
    return ok(pair);
  }

  /** Move a party from one call to another (its leg on the old call is shown as released). */
  moveParty(from: Call, p: Party, to: Call): Party | undefined {
    this.core.clearTimers(p);
    if (this.core.partyOf(to, p.dn)) {
      // already on the destination call (joined it meanwhile): one leg is enough
      this.core.move(from, p, PartyState.Released, 'moveParty');
      this.core.touch(from);
      return undefined;
    }
    const moved = this.core.addParty(to, p.dn, p.kind, p.state, { routedBy: p.routedBy, muted: p.muted, everEstablished: p.everEstablished });
    const endpoint = p.endpoint;
    p.endpoint = undefined; // the leg lives on in `moved`: no release effect for the old one
    this.core.move(from, p, PartyState.Released, 'moveParty');
    p.endpoint = endpoint;
    this.core.touch(from);
    if (p.kind === 'RoutingPoint') {
      this.core.routing.replace(p.dn, from.uuid, to.uuid);
      this.sup.routingPointArrival(to, p.dn); // the original call now waits at the routing point
    }
    this.core.moveLeg(from, p, to, moved);
    if (moved.state === PartyState.Ringing) this.lifecycle.armRinging(to, moved);
    return moved;
  }

  completeTransfer(call: Call, actor: Party, consultCallUuid?: string): Result {
    const r = this.pairFor(call, actor, consultCallUuid);
    if (!r.ok) return r;
    const { original, consult } = r.value;
    const originalLeg = this.core.partyOf(original, actor.dn)!;
    const consultLeg = this.core.partyOf(consult, actor.dn)!;
    this.core.touch(original);
    const far = this.core.members(consult).filter((p) => p !== consultLeg);
    original.userData = { ...original.userData, ...consult.userData };
    if (consult.recording) original.recording = consult.recording;
    const moved = far.map((p) => this.moveParty(consult, p, original)).filter((m): m is Party => !!m);
    this.lifecycle.releaseParty(original, originalLeg);
    this.lifecycle.releaseParty(consult, consultLeg);
    this.sup.callEnding(consult);
    consult.ended = true;
    for (const m of moved) if (m.kind === 'Extension' && m.state === PartyState.Established) this.sup.connected(original, m);
    this.lifecycle.endCallIfDone(original);
    this.lifecycle.afterCall(actor);
    return okVoid;
  }

  completeConference(call: Call, actor: Party, consultCallUuid?: string): Result {
    const r = this.pairFor(call, actor, consultCallUuid);
    if (!r.ok) return r;
    const { original, consult } = r.value;
    const originalLeg = this.core.partyOf(original, actor.dn)!;
    const consultLeg = this.core.partyOf(consult, actor.dn)!;
    this.core.touch(consult); // consult's release is reported first, then the original's update
    const far = this.core.members(consult).filter((p) => p !== consultLeg);
    original.userData = { ...original.userData, ...consult.userData };
    this.core.move(consult, consultLeg, PartyState.Released, 'completeConference');
    const moved = far.map((p) => this.moveParty(consult, p, original)).filter((m): m is Party => !!m);
    this.sup.callEnding(consult);
    consult.ended = true;
    this.core.setState(original, originalLeg, PartyState.Established);
    original.conferenceOwner ??= actor.dn;
    for (const m of moved) if (m.kind === 'Extension' && m.state === PartyState.Established) this.sup.connected(original, m);
    return okVoid;
  }

  /**
   * The destination of a single-step operation: refused if already on the call; a destination that
   * fails (busy, DND, unknown) is reported to the caller as an Error event and the call is unchanged.
   */
  private singleStepTarget(call: Call, actor: Party, to: string, userData?: UserData): Result<Exclude<Target, { kind: 'Fail' }> | undefined> {
    if (to === actor.dn || this.core.partyOf(call, to)) return fail(ErrorCode.InvalidValue, `${to} is already on the call`);
    const t = this.lifecycle.resolve(call.ccId, to);
    if (t.kind === 'Fail') {
      this.lifecycle.failure(call, actor.dn, t.cause, t.number);
      return ok(undefined);
    }
    if (userData) call.userData = { ...call.userData, ...userData };
    return ok(t);
  }

  singleStepTransfer(call: Call, actor: Party, to: string, userData?: UserData): Result {
    const t = this.singleStepTarget(call, actor, to, userData);
    if (!t.ok || !t.value) return t.ok ? okVoid : t;
    this.lifecycle.connect(call, t.value);
    this.lifecycle.releaseParty(call, actor);
    this.lifecycle.endCallIfDone(call);
    this.lifecycle.afterCall(actor);
    return okVoid;
  }

  singleStepConference(call: Call, actor: Party, to: string, userData?: UserData): Result {
    const t = this.singleStepTarget(call, actor, to, userData);
    if (!t.ok || !t.value) return t.ok ? okVoid : t;
    call.conferenceOwner ??= actor.dn;
    this.lifecycle.connect(call, t.value);
    return okVoid;
  }

  removeParticipant(call: Call, actor: Party, participant: string): Result {
    const p = call.parties.find((x) => x.dn === participant && x !== actor && x.state !== PartyState.Released);
    if (!p) return fail(ErrorCode.InvalidValue, `'${participant}' is not a participant of call ${call.uuid}`);
    if (p.sup) return this.sup.hangup(call, p, 'Removed');
    this.lifecycle.releaseParty(call, p);
    this.lifecycle.endCallIfDone(call);
    this.lifecycle.afterCall(p);
    return okVoid;
  }

  swapCalls(call: Call, actor: Party, otherCallUuid?: string): Result {
    const other = otherCallUuid ? this.core.calls.get(otherCallUuid) : this.core.otherCall(call, actor.dn);
    const otherMe = other && other !== call ? this.core.partyOf(other, actor.dn) : undefined;
    if (!other || !otherMe) return fail(ErrorCode.InvalidValue, `No other call of this device to swap with${otherCallUuid ? ` (${otherCallUuid})` : ''}`);
    const [toHold, toRetrieve] = actor.state === PartyState.Established ? [actor, otherMe] : [otherMe, actor];
    const [holdCall, retrieveCall] = actor.state === PartyState.Established ? [call, other] : [other, call];
    if (toRetrieve.state !== PartyState.Held || toHold.state !== PartyState.Established) {
      return fail(ErrorCode.InvalidState, 'SwapCalls needs one established and one held call');
    }
    this.core.touch(retrieveCall); // the newly established call is reported first
    this.core.setState(holdCall, toHold, PartyState.Held);
    this.core.setState(retrieveCall, toRetrieve, PartyState.Established);
    return okVoid;
  }
}
