/**
 * The handler tables of the call model: one handler per CallOperation (by GWS operationName) and
 * one per endpoint fact. Both tables are checked by the compiler against their unions, so a new
 * operation or fact without a handler does not compile; CALL_OPERATION_NAMES (the table's keys,
 * in table order) is what the GWS operation table, the capability tables and the tests derive from.
 *
 * Handlers run inside a command of the door (door.ts): they may change state and must not settle
 * or emit themselves (the door does, once). A call operation has passed the capability check of
 * the leg before its handler runs; a fact handler checks the leg itself (a fact about a leg that
 * has moved on is ignored).
 */
import { ErrorCode, fail, okVoid } from '../errors.js';
import type { Result } from '../errors.js';
import type { AnswerOutcome, EndpointFact, EndpointFactKind } from '../endpoints/port.js';
import type { CallControl } from './call-control.js';
import type { Call, Party, SwitchCore } from './core.js';
import type { CallLifecycle } from './lifecycle.js';
import { NotificationType, PartyState } from './model.js';
import type { UserData } from './model.js';
import type { CallOperation, CallOperationName } from './port.js';
import type { Supervision } from './supervision.js';
import { mergeUserData } from './user-data.js';
import type { UserDataLimits } from './user-data.js';
import { legCapabilities } from './views.js';

/** The parts of the call model a handler works with. */
export interface SwitchParts {
  core: SwitchCore;
  lifecycle: CallLifecycle;
  control: CallControl;
  supervision: Supervision;
  userDataLimits: UserDataLimits;
}

export type CallHandler<K extends CallOperationName> = (
  parts: SwitchParts,
  call: Call,
  actor: Party,
  op: Extract<CallOperation, { name: K }>,
) => Result;

export type CallHandlers = { readonly [K in CallOperationName]: CallHandler<K> };

function answer(parts: SwitchParts, call: Call, actor: Party): Result {
  const endpoint = actor.endpoint;
  let outcome = 'Answered' as AnswerOutcome;
  if (endpoint) parts.core.effect('answer', () => (outcome = endpoint.answer(parts.core.legRef(call, actor))));
  if (outcome === 'Pending') return okVoid; // the endpoint reports Answered when the device picks up
  return connectAnswered(parts, call, actor);
}

/** A ringing leg is connected (GWS Answer accepted by the endpoint, or the Answered fact). */
function connectAnswered(parts: SwitchParts, call: Call, actor: Party): Result {
  if (actor.sup) return parts.supervision.answer(call, actor);
  parts.lifecycle.answerParty(call, actor);
  return okVoid;
}

function hangup(parts: SwitchParts, call: Call, actor: Party): Result {
  if (actor.sup) return parts.supervision.hangup(call, actor);
  if (actor.state === PartyState.Ringing) {
    parts.lifecycle.ringFailed(call, actor, 'Rejected');
    return okVoid;
  }
  parts.lifecycle.releaseParty(call, actor);
  parts.lifecycle.endCallIfDone(call);
  parts.lifecycle.afterCall(actor);
  return okVoid;
}

function addUserData(parts: SwitchParts, call: Call, op: { userData: UserData }): Result {
  const merged = mergeUserData(call.userData, op.userData, parts.userDataLimits);
  if (!merged.ok) return merged;
  call.userData = merged.value;
  parts.core.touchUserData(call);
  return okVoid;
}

function recording(parts: SwitchParts, call: Call, op: { name: 'StartCallRecording' | 'PauseCallRecording' | 'ResumeCallRecording' | 'StopCallRecording' }): Result {
  parts.control.recording(call, op.name);
  return okVoid;
}

function mute(parts: SwitchParts, call: Call, actor: Party, on: boolean): Result {
  actor.muted = on;
  parts.core.touch(call);
  return okVoid;
}

export const CALL_HANDLERS = {
  Answer: (parts, call, actor) => answer(parts, call, actor),
  Reject: (parts, call, actor) => {
    parts.lifecycle.ringFailed(call, actor, 'Rejected');
    return okVoid;
  },
  Hangup: (parts, call, actor) => hangup(parts, call, actor),
  Hold: (parts, call, actor) => {
    parts.core.setState(call, actor, PartyState.Held);
    return okVoid;
  },
  Retrieve: (parts, call, actor) => {
    parts.core.setState(call, actor, PartyState.Established);
    return okVoid;
  },
  ClearCall: (parts, call) => {
    parts.lifecycle.endCall(call);
    return okVoid;
  },
  InitiateTransfer: (parts, call, actor, op) => parts.control.initiateConsult(call, actor, op.destination.phoneNumber, op.userData, 'Transfer'),
  CompleteTransfer: (parts, call, actor, op) => parts.control.completeTransfer(call, actor, op.consultCallUuid),
  SingleStepTransfer: (parts, call, actor, op) => parts.control.singleStepTransfer(call, actor, op.destination.phoneNumber, op.userData),
  InitiateConference: (parts, call, actor, op) => parts.control.initiateConsult(call, actor, op.destination.phoneNumber, op.userData, 'Conference'),
  CompleteConference: (parts, call, actor, op) => parts.control.completeConference(call, actor, op.consultCallUuid),
  SingleStepConference: (parts, call, actor, op) => parts.control.singleStepConference(call, actor, op.destination.phoneNumber, op.userData),
  RemoveParticipantFromConference: (parts, call, actor, op) => parts.control.removeParticipant(call, actor, op.participant),
  SwapCalls: (parts, call, actor, op) => parts.control.swapCalls(call, actor, op.otherCallUuid),
  SendDtmf: (parts, call, actor, op) => {
    const endpoint = actor.endpoint;
    if (endpoint) parts.core.effect('sendDtmf', () => endpoint.sendDtmf(parts.core.legRef(call, actor), op.digits));
    parts.core.emitCallEvent(call, actor.dn, NotificationType.DtmfSent, { digits: op.digits });
    return okVoid;
  },
  AttachUserData: (parts, call, _me, op) => addUserData(parts, call, op),
  UpdateUserData: (parts, call, _me, op) => addUserData(parts, call, op),
  DeleteUserDataPair: (parts, call, _me, op) => {
    if (!Object.hasOwn(call.userData, op.key)) return fail(ErrorCode.InvalidValue, `key '${op.key}' is not in the call's user data`);
    delete call.userData[op.key];
    parts.core.touchUserData(call);
    return okVoid;
  },
  DeleteUserData: (parts, call) => {
    call.userData = {};
    parts.core.touchUserData(call);
    return okVoid;
  },
  StartCallRecording: (parts, call, _me, op) => recording(parts, call, op),
  PauseCallRecording: (parts, call, _me, op) => recording(parts, call, op),
  ResumeCallRecording: (parts, call, _me, op) => recording(parts, call, op),
  StopCallRecording: (parts, call, _me, op) => recording(parts, call, op),
  MuteCall: (parts, call, actor) => mute(parts, call, actor, true),
  UnmuteCall: (parts, call, actor) => mute(parts, call, actor, false),
  SwitchToListenIn: (parts, call, actor, op) => parts.supervision.switchMode(call, actor, op.name),
  SwitchToBargeIn: (parts, call, actor, op) => parts.supervision.switchMode(call, actor, op.name),
  SwitchToCoach: (parts, call, actor, op) => parts.supervision.switchMode(call, actor, op.name),
  MuteMonitoredUser: (parts, call, actor) => parts.supervision.muteMonitored(call, actor, true),
  UnmuteMonitoredUser: (parts, call, actor) => parts.supervision.muteMonitored(call, actor, false),
} as const satisfies CallHandlers;

/** Every call operation, in table order (the order of the GWS operation table and the golden matrix). */
export const CALL_OPERATION_NAMES = Object.freeze(Object.keys(CALL_HANDLERS)) as readonly CallOperationName[];

/** A call operation's handler, looked up in a table (the default one, or one with rows replaced). */
export function callHandler(table: CallHandlers, op: CallOperation): (parts: SwitchParts, call: Call, actor: Party, op: CallOperation) => Result {
  return table[op.name] as (parts: SwitchParts, call: Call, actor: Party, op: CallOperation) => Result;
}

/** Why an operation is refused on a leg now (the capability check), or undefined if it is allowed. */
export function refusal(parts: SwitchParts, call: Call, actor: Party, name: CallOperationName): Result | undefined {
  const caps = legCapabilities(parts.core, call, actor);
  if (caps.includes(name)) return undefined;
  return fail(
    ErrorCode.InvalidState,
    `${name} is not possible now: your leg of call ${call.uuid} is ${actor.state}` +
      (actor.sup ? ` (monitoring in ${actor.sup.mode})` : '') +
      `; possible now: ${caps.join(', ') || 'nothing'}`,
  );
}

// ------------------------------------------------------------------------------ facts

export type FactHandler<K extends EndpointFactKind> = (parts: SwitchParts, call: Call, leg: Party, fact: Extract<EndpointFact, { kind: K }>) => void;
export type FactHandlers = { readonly [K in EndpointFactKind]: FactHandler<K> };

/** A request made on the phone runs as the GWS operation would, if that operation is legal now. */
function asOperation(parts: SwitchParts, call: Call, leg: Party, op: CallOperation): void {
  if (refusal(parts, call, leg, op.name)) return;
  callHandler(CALL_HANDLERS, op)(parts, call, leg, op);
}

function ringFailedFact(cause: 'DestinationBusy' | 'NoAnswer' | 'Rejected' | 'Unavailable'): (parts: SwitchParts, call: Call, leg: Party) => void {
  return (parts, call, leg) => {
    if (leg.state === PartyState.Ringing) parts.lifecycle.ringFailed(call, leg, cause);
  };
}

export const FACT_HANDLERS = {
  // the model shows an offered leg Ringing at once; the device's confirmation changes nothing, unless
  // it says GWS cannot answer it (then Answer leaves the leg's capabilities)
  Ringing: (parts, call, leg, fact) => {
    if (fact.answerable !== false || leg.state !== PartyState.Ringing || leg.notAnswerable) return;
    leg.notAnswerable = true;
    parts.core.touch(call);
  },
  Answered: (parts, call, leg) => {
    if (leg.state === PartyState.Ringing) connectAnswered(parts, call, leg);
  },
  Busy: ringFailedFact('DestinationBusy'),
  NoAnswer: ringFailedFact('NoAnswer'),
  Rejected: ringFailedFact('Rejected'),
  Unavailable: ringFailedFact('Unavailable'),
  HungUp: (parts, call, leg) => {
    if (leg.kind === 'External') {
      parts.lifecycle.releaseParty(call, leg);
      parts.lifecycle.endCallIfDone(call);
      return;
    }
    hangup(parts, call, leg);
  },
  Dtmf: (parts, call, leg, fact) => {
    if (leg.kind === 'Extension') parts.core.emitCallEvent(call, leg.dn, NotificationType.DtmfSent, { digits: fact.digits });
  },
  HoldRequested: (parts, call, leg) => asOperation(parts, call, leg, { name: 'Hold' }),
  RetrieveRequested: (parts, call, leg) => asOperation(parts, call, leg, { name: 'Retrieve' }),
  TransferRequested: (parts, call, leg, fact) =>
    asOperation(parts, call, leg, { name: 'SingleStepTransfer', destination: { phoneNumber: fact.destination } }),
  CompleteTransferRequested: (parts, call, leg, fact) =>
    asOperation(parts, call, leg, { name: 'CompleteTransfer', consultCallUuid: fact.consultCallUuid }),
} as const satisfies FactHandlers;

export function factHandler(table: FactHandlers, fact: EndpointFact): (parts: SwitchParts, call: Call, leg: Party, fact: EndpointFact) => void {
  return table[fact.kind] as (parts: SwitchParts, call: Call, leg: Party, fact: EndpointFact) => void;
}
