/**
 * The call operation table: every CallOperation of the switch port, by GWS operationName, with the
 * features and role it needs and the parser of its parameters (gws-voice-api.md 4.5). The same
 * gates filter the `capabilities` a call shows. Refusals: 1/10 (parameters), 3 (feature off),
 * 5 (role), 6 (not one of your calls), 2 (not in the call's capabilities now).
 */
import { Role } from '../store/port.js';
import type { CallOperation, CallOperationName } from '../switch/port.js';
import type { SwitchPort } from '../switch/port.js';
import type { Gate, Principal } from './gates.js';
import { filterCapabilities } from './gates.js';
import type { OperationRow, OperationTable } from './operations.js';
import { destination, digits, optionalCallId, optionalUserData, requiredString, userData } from './params.js';
import type { Body } from './params.js';
import { gws, unwrap } from './reply.js';

export interface CallCtx {
  sw: SwitchPort;
  who: Principal;
  /** the caller's DN that has a leg on the call */
  dn: string;
  callUuid: string;
}

const VOICE: Gate = { features: ['api-voice'] };
const RECORDING: Gate = { features: ['api-voice', ['api-voice-recording', 'api-supervisor-recording']] };
const SUPERVISOR: Gate = { features: ['api-voice', 'api-supervisor-monitoring'], role: Role.Supervisor };

type OperationOf<K extends CallOperationName> = Extract<CallOperation, { name: K }>;

function callRow<K extends CallOperationName>(gate: Gate, parse: (b: Body) => OperationOf<K>): OperationRow<CallCtx, OperationOf<K>> {
  return { gate, parse, run: runCallOperation };
}

/** an operation without parameters */
const plain = <K extends CallOperationName>(name: K) => () => ({ name }) as OperationOf<K>;

/**
 * One row per CallOperation of the switch port, checked by the compiler against the union (a
 * missing or extra row does not compile); the row order is the order of CALL_OPERATION_NAMES.
 */
const CALL_OPERATION_ROWS = {
  Answer: callRow(VOICE, plain('Answer')),
  Reject: callRow(VOICE, plain('Reject')),
  Hangup: callRow(VOICE, plain('Hangup')),
  Hold: callRow(VOICE, plain('Hold')),
  Retrieve: callRow(VOICE, plain('Retrieve')),
  ClearCall: callRow(VOICE, plain('ClearCall')),
  InitiateTransfer: callRow(VOICE, (b) => ({ name: 'InitiateTransfer', destination: destination(b), userData: optionalUserData(b) })),
  CompleteTransfer: callRow(VOICE, (b) => ({ name: 'CompleteTransfer', consultCallUuid: optionalCallId(b, 'consultCallUri') })),
  SingleStepTransfer: callRow(VOICE, (b) => ({ name: 'SingleStepTransfer', destination: destination(b), userData: optionalUserData(b) })),
  InitiateConference: callRow(VOICE, (b) => ({ name: 'InitiateConference', destination: destination(b), userData: optionalUserData(b) })),
  CompleteConference: callRow(VOICE, (b) => ({ name: 'CompleteConference', consultCallUuid: optionalCallId(b, 'consultCallUri') })),
  SingleStepConference: callRow(VOICE, (b) => ({ name: 'SingleStepConference', destination: destination(b), userData: optionalUserData(b) })),
  RemoveParticipantFromConference: callRow(VOICE, (b) => ({
    name: 'RemoveParticipantFromConference',
    participant: requiredString(b, 'participant', "a participant's phone number").trim(),
  })),
  SwapCalls: callRow(VOICE, (b) => ({ name: 'SwapCalls', otherCallUuid: optionalCallId(b, 'otherCallUri') })),
  SendDtmf: callRow(VOICE, (b) => ({ name: 'SendDtmf', digits: digits(b) })),
  AttachUserData: callRow(VOICE, (b) => ({ name: 'AttachUserData', userData: userData(b) })),
  UpdateUserData: callRow(VOICE, (b) => ({ name: 'UpdateUserData', userData: userData(b) })),
  DeleteUserDataPair: callRow(VOICE, (b) => ({ name: 'DeleteUserDataPair', key: requiredString(b, 'key', 'the user-data key to delete') })),
  DeleteUserData: callRow(VOICE, plain('DeleteUserData')),
  StartCallRecording: callRow(RECORDING, plain('StartCallRecording')),
  PauseCallRecording: callRow(RECORDING, plain('PauseCallRecording')),
  ResumeCallRecording: callRow(RECORDING, plain('ResumeCallRecording')),
  StopCallRecording: callRow(RECORDING, plain('StopCallRecording')),
  MuteCall: callRow(VOICE, plain('MuteCall')),
  UnmuteCall: callRow(VOICE, plain('UnmuteCall')),
  SwitchToListenIn: callRow(SUPERVISOR, plain('SwitchToListenIn')),
  SwitchToBargeIn: callRow(SUPERVISOR, plain('SwitchToBargeIn')),
  SwitchToCoach: callRow(SUPERVISOR, plain('SwitchToCoach')),
  MuteMonitoredUser: callRow(SUPERVISOR, plain('MuteMonitoredUser')),
  UnmuteMonitoredUser: callRow(SUPERVISOR, plain('UnmuteMonitoredUser')),
} satisfies { readonly [K in CallOperationName]: OperationRow<CallCtx, OperationOf<K>> };

export const CALL_OPERATIONS: OperationTable<CallCtx> = CALL_OPERATION_ROWS;

/** A call's capabilities as this principal may use them. */
export function callCapabilitiesFor(caps: readonly string[], who: Principal): string[] {
  return filterCapabilities(caps, CALL_OPERATIONS, who);
}

function runCallOperation(ctx: CallCtx, op: CallOperation): void {
  const view = ctx.sw.callView(ctx.callUuid, ctx.dn);
  if (!view) throw gws.notFound(`Call ${ctx.callUuid} is not one of your calls`);
  const caps = callCapabilitiesFor(view.capabilities, ctx.who);
  if (!caps.includes(op.name)) {
    // the switch would refuse too; this answer lists only what this caller may do
    const mode = view.monitoring ? ctx.sw.device(ctx.dn)?.monitoring?.state : undefined;
    throw gws.invalidState(
      `${op.name} is not possible now: your leg of call ${ctx.callUuid} is ${view.state}` +
        (view.monitoring ? ` (monitoring${mode ? ` in ${mode}` : ''})` : '') +
        `; possible now: ${caps.join(', ') || 'nothing'}`,
    );
  }
  unwrap(ctx.sw.callOperation(ctx.dn, ctx.callUuid, op));
}
