/**
 * Capability tables: which GWS operations are legal on a call leg or a device in each situation.
 * The same tables answer REST refusals (an operation absent here is refused with statusCode 2),
 * the `capabilities` arrays, and the operation x state golden matrix (test/golden/).
 *
 * A situation is reduced to a few facts about the leg; `callCapabilities` reads the base table for
 * the leg's state and then applies the rule rows in order. Arrays keep table order, so output is
 * deterministic. Every list given out is frozen and shared by the situations it answers (device
 * lists by situation index, call lists by the situation's key: FACT_VALUES); a rule that reads a
 * new fact needs that fact in LegSituation, and the compiler then asks for its values there.
 */
import { MonitorMode, PartyState, RecordingState } from './model.js';
import type { CallOperationName } from './port.js';

/** Names in these tables are CallOperationNames: a misspelt operation does not compile. */
type Ops = readonly CallOperationName[];

export const USER_DATA_OPS = ['AttachUserData', 'UpdateUserData', 'DeleteUserData', 'DeleteUserDataPair'] as const satisfies Ops;

/** Facts about one leg that decide its capabilities. */
export interface LegSituation {
  state: PartyState;
  /** set when the leg is a supervisor's monitoring leg */
  supervisorMode?: MonitorMode;
  monitoredUserMuted: boolean;
  /** a supervisor's leg: the monitored agent is on the call now */
  hasMonitoredAgent?: boolean;
  muted: boolean;
  recording?: RecordingState;
  /** three or more non-supervisor parties on the call */
  conference: boolean;
  /** this DN created the conference */
  conferenceOwner: boolean;
  /** this DN's leg on its other live call, if it has one */
  otherLeg?: PartyState;
  /** this call and the other one are an original/consult pair created by this DN */
  consultPair: boolean;
  /** far end of the consult call: its state (for CompleteTransfer / CompleteConference) */
  consultTarget?: PartyState;
  /** false: the leg's device rings but cannot be answered from GWS (a SIP phone without Allow-Events: talk) */
  answerable?: boolean;
}

const NORMAL_BASE: Readonly<Record<PartyState, Ops>> = {
  Dialing: ['Hangup', 'SendDtmf', ...USER_DATA_OPS],
  Ringing: ['Answer', 'Reject', 'Hangup', ...USER_DATA_OPS],
  Established: [
    'Hangup', 'Hold', 'InitiateTransfer', 'InitiateConference', 'SingleStepTransfer', 'SingleStepConference',
    'SendDtmf', ...USER_DATA_OPS,
  ],
  Held: [
    'Retrieve', 'Hangup', 'InitiateTransfer', 'InitiateConference', 'SingleStepTransfer', 'SingleStepConference',
    ...USER_DATA_OPS,
  ],
  Released: [],
};

const SUPERVISOR_BASE: Readonly<Record<PartyState, Ops>> = {
  Dialing: ['Hangup'],
  Ringing: ['Answer', 'Hangup'],
  Established: ['Hangup', 'SendDtmf', ...USER_DATA_OPS, 'RemoveParticipantFromConference'],
  Held: ['Hangup'],
  Released: [],
};

const RECORDING_OPS: Readonly<Record<RecordingState | 'None', Ops>> = {
  None: ['StartCallRecording'],
  Stopped: ['StartCallRecording'],
  Recording: ['PauseCallRecording', 'StopCallRecording'],
  Paused: ['ResumeCallRecording', 'StopCallRecording'],
};

/** Mode switches offered from each supervisor mode (SwitchToCoach is a Switchboard extension). */
export const MODE_SWITCHES: Readonly<Record<MonitorMode, Ops>> = {
  ListenIn: ['SwitchToBargeIn', 'SwitchToCoach'],
  Coach: ['SwitchToListenIn', 'SwitchToBargeIn'],
  BargeIn: ['SwitchToListenIn', 'SwitchToCoach'],
};

/** Operation that switches to a mode. */
export const SWITCH_TARGET: Readonly<Record<'SwitchToListenIn' | 'SwitchToBargeIn' | 'SwitchToCoach', MonitorMode>> = {
  SwitchToListenIn: MonitorMode.ListenIn,
  SwitchToBargeIn: MonitorMode.BargeIn,
  SwitchToCoach: MonitorMode.Coach,
};

interface Rule {
  when: (s: LegSituation) => boolean;
  add?: (s: LegSituation) => Ops;
  remove?: Ops;
}

/** Rule rows for ordinary (non-supervisor) legs, applied in order. */
/** a phone that cannot be answered remotely (SIP without Allow-Events: talk): its user picks up on the phone */
const NOT_ANSWERABLE: Rule = { when: (s) => s.state === 'Ringing' && s.answerable === false, remove: ['Answer'] };

const NORMAL_RULES: readonly Rule[] = [
  { when: (s) => s.state === 'Established', add: (s) => RECORDING_OPS[s.recording ?? 'None'] },
  { when: (s) => s.state === 'Established', add: (s) => [s.muted ? 'UnmuteCall' : 'MuteCall'] },
  { when: (s) => s.conference && (s.state === 'Established' || s.state === 'Held'), add: () => ['ClearCall'] },
  {
    when: (s) => s.conference && s.conferenceOwner && (s.state === 'Established' || s.state === 'Held'),
    add: () => ['RemoveParticipantFromConference'],
  },
  // one consultation at a time: a DN with two live calls initiates no third
  { when: (s) => s.otherLeg !== undefined, remove: ['InitiateTransfer', 'InitiateConference'] },
  NOT_ANSWERABLE,
  // one connected call per DN: no Retrieve while the other call talks, rings or dials
  { when: (s) => s.state === 'Held' && s.otherLeg !== undefined && s.otherLeg !== 'Held', remove: ['Retrieve'] },
  { when: (s) => s.state === 'Held' && s.otherLeg === 'Established', add: () => ['SwapCalls'] },
  { when: (s) => s.state === 'Established' && s.otherLeg === 'Held', add: () => ['SwapCalls'] },
  {
    when: (s) =>
      s.consultPair && (s.state === 'Established' || s.state === 'Held' || s.state === 'Dialing') &&
      (s.consultTarget === 'Ringing' || s.consultTarget === 'Dialing' || s.consultTarget === 'Established'),
    add: () => ['CompleteTransfer'],
  },
  {
    when: (s) => s.consultPair && (s.state === 'Established' || s.state === 'Held') && s.consultTarget === 'Established',
    add: () => ['CompleteConference'],
  },
];

const SUPERVISOR_RULES: readonly Rule[] = [
  NOT_ANSWERABLE,
  { when: (s) => s.state === 'Established', add: (s) => MODE_SWITCHES[s.supervisorMode!] },
  {
    when: (s) => s.state === 'Established' && s.hasMonitoredAgent === true,
    add: (s) => [s.monitoredUserMuted ? 'UnmuteMonitoredUser' : 'MuteMonitoredUser'],
  },
  {
    when: (s) => s.state === 'Established' && s.supervisorMode !== 'ListenIn',
    add: (s) => [s.muted ? 'UnmuteCall' : 'MuteCall'],
  },
];

/**
 * The values each fact of a situation takes. A situation's key is the position of each of its facts
 * in these lists (mixed radix), so every situation with the same facts gets one frozen list,
 * computed once and shared by every view (the presenters keep their filtered lists per frozen list,
 * and change detection compares shared lists by identity). The compiler checks that every fact of
 * LegSituation is listed; a situation with a value not listed is computed afresh, without the memo.
 */
const FACT_VALUES = {
  state: Object.values(PartyState),
  supervisorMode: [undefined, ...Object.values(MonitorMode)],
  monitoredUserMuted: [false, true],
  hasMonitoredAgent: [undefined, false, true],
  muted: [false, true],
  recording: [undefined, ...Object.values(RecordingState)],
  conference: [false, true],
  conferenceOwner: [false, true],
  otherLeg: [undefined, ...Object.values(PartyState)],
  consultPair: [false, true],
  consultTarget: [undefined, ...Object.values(PartyState)],
  answerable: [undefined, false, true],
} as const satisfies { readonly [K in keyof Required<LegSituation>]: readonly LegSituation[K][] };

/** FACT_VALUES as two lists (the facts, and each one's values), read by index */
const FACTS = Object.keys(FACT_VALUES) as (keyof LegSituation)[];
const VALUES_OF_FACT: readonly (readonly unknown[])[] = FACTS.map((fact) => FACT_VALUES[fact]);

/** the situation's key (see FACT_VALUES), or -1 when a fact has a value not listed */
function situationKey(s: LegSituation): number {
  let key = 0;
  for (let f = 0; f < FACTS.length; f++) {
    const values = VALUES_OF_FACT[f];
    const at = values.indexOf(s[FACTS[f]]);
    if (at < 0) return -1;
    key = key * values.length + at;
  }
  return key;
}

/** the lists computed so far, by situation key (at most one per reachable situation) */
const CALL_CAPABILITY_LISTS = new Map<number, readonly CallOperationName[]>();

/** The leg's capabilities in table order: one frozen list per situation, shared (see FACT_VALUES). */
export function callCapabilities(s: LegSituation): readonly CallOperationName[] {
  const key = situationKey(s);
  let list = key < 0 ? undefined : CALL_CAPABILITY_LISTS.get(key);
  if (list === undefined) {
    list = Object.freeze(computeCallCapabilities(s));
    if (key >= 0) CALL_CAPABILITY_LISTS.set(key, list);
  }
  return list;
}

/** the base table and rule rows themselves, without the memo (exported for the test of the memo) */
export function computeCallCapabilities(s: LegSituation): CallOperationName[] {
  const sup = s.supervisorMode !== undefined;
  const out: CallOperationName[] = [...(sup ? SUPERVISOR_BASE : NORMAL_BASE)[s.state]];
  for (const rule of sup ? SUPERVISOR_RULES : NORMAL_RULES) {
    if (!rule.when(s)) continue;
    if (rule.remove) {
      for (const r of rule.remove) {
        const i = out.indexOf(r);
        if (i >= 0) out.splice(i, 1);
      }
    }
    if (rule.add) for (const a of rule.add(s)) if (!out.includes(a)) out.push(a);
  }
  return out;
}

export interface DeviceSituation {
  dnd: boolean;
  forwarding: boolean;
  /** monitoring configured on this (supervisor's) DN */
  monitoringArmed: boolean;
}

export const SUPERVISOR_DEVICE_OPS = ['ListenIn', 'Coach', 'BargeIn', 'CancelSupervisorMonitoring'] as const;

/** the device capabilities of a situation, in the order of the GWS sample */
function deviceCapabilityList(s: DeviceSituation): readonly string[] {
  const out = [s.forwarding ? 'ForwardCallsOff' : 'ForwardCallsOn', s.dnd ? 'DoNotDisturbOff' : 'DoNotDisturbOn'];
  out.push('ListenIn', 'Coach', 'BargeIn');
  if (s.monitoringArmed) out.push('CancelSupervisorMonitoring');
  return Object.freeze(out);
}

const situationIndex = (s: DeviceSituation): number => (s.forwarding ? 4 : 0) | (s.dnd ? 2 : 0) | (s.monitoringArmed ? 1 : 0);

/** the eight lists, by situationIndex */
const DEVICE_CAPABILITY_LISTS: readonly (readonly string[])[] = Array.from({ length: 8 }, (_, i) =>
  deviceCapabilityList({ forwarding: (i & 4) !== 0, dnd: (i & 2) !== 0, monitoringArmed: (i & 1) !== 0 }),
);

/**
 * Device capabilities, in the order of the GWS sample. Supervisor ones are filtered by role in gws/.
 * One frozen list per situation, shared by every view (the presenters' memos key on the list).
 */
export function deviceCapabilities(s: DeviceSituation): readonly string[] {
  return DEVICE_CAPABILITY_LISTS[situationIndex(s)];
}
