/**
 * The call operation table: every CallOperation of the switch port, by GWS operationName, with the
 * features and role it needs, a summary and its parameters as data (ParamSpec, read by params.ts
 * and shown by the API reference), and how they make the CallOperation (gws-voice-api.md 4.5). The same
 * gates filter the `capabilities` a call shows. Refusals: 1/10 (parameters), 3 (feature off),
 * 5 (role), 6 (not one of your calls), 2 (not in the call's capabilities now).
 */
import { Role } from '../store/port.js';
import type { CallOperation, CallOperationName } from '../switch/port.js';
import type { SwitchAccess } from '../switch/port-access.js';
import type { Gate, Principal } from './gates.js';
import { filterCapabilities } from './gates.js';
import type { OperationRow, OperationTable } from './operations.js';
import { NO_PARAMS, rowOf } from './operations.js';
import { DESTINATION_PARAM, LOCATION_PARAM, USER_DATA_OPTIONAL_PARAM } from './params.js';
import type { ParamSpec, ParamValues } from './params.js';
import { gws, unwrap } from './reply.js';

export interface CallCtx {
  sw: SwitchAccess;
  who: Principal;
  /** the caller's DN that has a leg on the call */
  dn: string;
  callUuid: string;
}

const VOICE: Gate = { features: ['api-voice'] };
const RECORDING: Gate = { features: ['api-voice', ['api-voice-recording', 'api-supervisor-recording']] };
const SUPERVISOR: Gate = { features: ['api-voice', 'api-supervisor-monitoring'], role: Role.Supervisor };

type OperationOf<K extends CallOperationName> = Extract<CallOperation, { name: K }>;

const callRowOf = rowOf<CallCtx>();

/** a call operation's row: its gate, summary, parameters and how they make the CallOperation */
function callRow<K extends CallOperationName, const L extends readonly ParamSpec[]>(
  gate: Gate,
  summary: string,
  params: L,
  build: (v: ParamValues<L>) => OperationOf<K>,
): OperationRow<CallCtx, OperationOf<K>> {
  return callRowOf({ gate, summary, params, build, run: runCallOperation });
}

/** an operation without parameters */
const plain = <K extends CallOperationName>(name: K, gate: Gate, summary: string) =>
  callRow(gate, summary, NO_PARAMS, () => ({ name }) as OperationOf<K>);

/** the parameters of the operations that call someone (transfers and conferences) */
const CALLING_PARAMS = [DESTINATION_PARAM, USER_DATA_OPTIONAL_PARAM, LOCATION_PARAM] as const;

const consultCallUri = (verb: string) =>
  ({
    name: 'consultCallUri',
    kind: 'callUri',
    description: `the consultation call to ${verb} with (…/api/v2/me/calls/{id}); found from the call when omitted`,
  }) as const satisfies ParamSpec;

const USER_DATA_PARAM = {
  name: 'userData',
  kind: 'userData',
  required: true,
  description: 'key/value pairs (string or number values)',
  example: { DispositionCode: 'Sale' },
} as const satisfies ParamSpec;

/**
 * One row per CallOperation of the switch port, checked by the compiler against the union (a
 * missing or extra row does not compile); the row order is the order of CALL_OPERATION_NAMES.
 */
const CALL_OPERATION_ROWS = {
  Answer: plain('Answer', VOICE, 'Answer a ringing call'),
  Reject: plain('Reject', VOICE, 'Refuse a ringing call (the caller hears busy)'),
  Hangup: plain('Hangup', VOICE, 'Leave the call (a two-party call ends)'),
  Hold: plain('Hold', VOICE, 'Put the call on hold'),
  Retrieve: plain('Retrieve', VOICE, 'Take the call off hold'),
  ClearCall: plain('ClearCall', VOICE, 'End the call for every party (a conference too)'),
  InitiateTransfer: callRow(VOICE, 'Hold the call and start a consultation call to the destination', CALLING_PARAMS, (v) => ({
    name: 'InitiateTransfer',
    destination: v.destination,
    userData: v.userData,
  })),
  CompleteTransfer: callRow(VOICE, 'Hand the held call over to the consulted party', [consultCallUri('transfer')], (v) => ({
    name: 'CompleteTransfer',
    consultCallUuid: v.consultCallUri,
  })),
  SingleStepTransfer: callRow(VOICE, 'Transfer the call to the destination at once (blind transfer)', CALLING_PARAMS, (v) => ({
    name: 'SingleStepTransfer',
    destination: v.destination,
    userData: v.userData,
  })),
  InitiateConference: callRow(VOICE, 'Hold the call and start a consultation call to the party to add', CALLING_PARAMS, (v) => ({
    name: 'InitiateConference',
    destination: v.destination,
    userData: v.userData,
  })),
  CompleteConference: callRow(VOICE, 'Merge the held call and the consultation call into one conference', [consultCallUri('merge')], (v) => ({
    name: 'CompleteConference',
    consultCallUuid: v.consultCallUri,
  })),
  SingleStepConference: callRow(VOICE, 'Add the destination to the call at once', CALLING_PARAMS, (v) => ({
    name: 'SingleStepConference',
    destination: v.destination,
    userData: v.userData,
  })),
  RemoveParticipantFromConference: callRow(
    VOICE,
    'Remove a party from the conference (its owner, or a monitoring supervisor)',
    [{ name: 'participant', kind: 'text', required: true, trim: true, expects: "a participant's phone number", description: 'the phone number of the party to remove', example: '5003' }],
    (v) => ({ name: 'RemoveParticipantFromConference', participant: v.participant }),
  ),
  SwapCalls: callRow(
    VOICE,
    'Alternate between the held call and this one',
    [{ name: 'otherCallUri', kind: 'callUri', description: 'the other call (…/api/v2/me/calls/{id}); found from the call when omitted' }],
    (v) => ({ name: 'SwapCalls', otherCallUuid: v.otherCallUri }),
  ),
  SendDtmf: callRow(
    VOICE,
    'Send DTMF digits on the call',
    [{ name: 'digits', kind: 'digits', required: true, description: 'one or more of the digits 0-9, * and #', example: '123#' }],
    (v) => ({ name: 'SendDtmf', digits: v.digits }),
  ),
  AttachUserData: callRow(VOICE, 'Add user data to the call', [USER_DATA_PARAM], (v) => ({ name: 'AttachUserData', userData: v.userData })),
  UpdateUserData: callRow(VOICE, 'Add or replace user data keys of the call', [USER_DATA_PARAM], (v) => ({ name: 'UpdateUserData', userData: v.userData })),
  DeleteUserDataPair: callRow(
    VOICE,
    'Remove one user data key from the call',
    [{ name: 'key', kind: 'text', required: true, expects: 'the user-data key to delete', description: 'the key to remove', example: 'CustomerId' }],
    (v) => ({ name: 'DeleteUserDataPair', key: v.key }),
  ),
  DeleteUserData: plain('DeleteUserData', VOICE, 'Remove all user data from the call'),
  StartCallRecording: plain('StartCallRecording', RECORDING, 'Start recording the call'),
  PauseCallRecording: plain('PauseCallRecording', RECORDING, 'Pause the recording'),
  ResumeCallRecording: plain('ResumeCallRecording', RECORDING, 'Resume a paused recording'),
  StopCallRecording: plain('StopCallRecording', RECORDING, 'Stop the recording'),
  MuteCall: plain('MuteCall', VOICE, 'Mute yourself on the call (you still hear the others)'),
  UnmuteCall: plain('UnmuteCall', VOICE, 'Unmute yourself'),
  SwitchToListenIn: plain('SwitchToListenIn', SUPERVISOR, 'Supervisor: listen silently'),
  SwitchToBargeIn: plain('SwitchToBargeIn', SUPERVISOR, 'Supervisor: be heard by every party'),
  SwitchToCoach: plain('SwitchToCoach', SUPERVISOR, 'Supervisor: be heard by the monitored agent only (Switchboard extension)'),
  MuteMonitoredUser: plain('MuteMonitoredUser', SUPERVISOR, 'Supervisor: mute the monitored agent to take over'),
  UnmuteMonitoredUser: plain('UnmuteMonitoredUser', SUPERVISOR, 'Supervisor: unmute the monitored agent'),
} satisfies { readonly [K in CallOperationName]: OperationRow<CallCtx, OperationOf<K>> };

export const CALL_OPERATIONS: OperationTable<CallCtx> = CALL_OPERATION_ROWS;

/** A call's capabilities as this principal may use them. */
export function callCapabilitiesFor(caps: readonly string[], who: Principal): string[] {
  return filterCapabilities(caps, CALL_OPERATIONS, who);
}

async function runCallOperation(ctx: CallCtx, op: CallOperation): Promise<void> {
  const view = await ctx.sw.callView(ctx.callUuid, ctx.dn);
  if (!view) throw gws.notFound(`Call ${ctx.callUuid} is not one of your calls`);
  const caps = callCapabilitiesFor(view.capabilities, ctx.who);
  if (!caps.includes(op.name)) {
    // the switch would refuse too; this answer lists only what this caller may do
    const mode = view.monitoring ? (await ctx.sw.device(ctx.dn))?.monitoring?.state : undefined;
    throw gws.invalidState(
      `${op.name} is not possible now: your leg of call ${ctx.callUuid} is ${view.state}` +
        (view.monitoring ? ` (monitoring${mode ? ` in ${mode}` : ''})` : '') +
        `; possible now: ${caps.join(', ') || 'nothing'}`,
    );
  }
  unwrap(await ctx.sw.callOperation(ctx.dn, ctx.callUuid, op));
}
