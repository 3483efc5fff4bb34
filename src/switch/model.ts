/**
 * Telephony vocabulary of the switch: states, call types, monitoring modes, the views the switch
 * gives of a call or a device to one DN, and the facts (events) it emits. GWS names are used where
 * the wire uses them, so presenters map 1:1; everything here is transport-free.
 */

export const PartyState = {
  Dialing: 'Dialing',
  Ringing: 'Ringing',
  Established: 'Established',
  Held: 'Held',
  Released: 'Released',
} as const;
export type PartyState = (typeof PartyState)[keyof typeof PartyState];

export const CallType = {
  Internal: 'Internal',
  Inbound: 'Inbound',
  Outbound: 'Outbound',
  Consult: 'Consult',
} as const;
export type CallType = (typeof CallType)[keyof typeof CallType];

/** What a supervisor's leg does (GWS operation names). */
export const MonitorMode = { ListenIn: 'ListenIn', Coach: 'Coach', BargeIn: 'BargeIn' } as const;
export type MonitorMode = (typeof MonitorMode)[keyof typeof MonitorMode];

/** supervisorMonitoringScope */
export const MonitorScope = { Agent: 'Agent', Call: 'Call' } as const;
export type MonitorScope = (typeof MonitorScope)[keyof typeof MonitorScope];

/** supervisorMonitoringMode */
export const MonitorSpan = { NextCall: 'NextCall', AllCalls: 'AllCalls' } as const;
export type MonitorSpan = (typeof MonitorSpan)[keyof typeof MonitorSpan];

export const RecordingState = { Recording: 'Recording', Paused: 'Paused', Stopped: 'Stopped' } as const;
export type RecordingState = (typeof RecordingState)[keyof typeof RecordingState];

/** Agent (user) state as the switch keeps it for a logged-in DN. */
export const AgentStateName = { LoggedOut: 'LoggedOut', Ready: 'Ready', NotReady: 'NotReady' } as const;
export type AgentStateName = (typeof AgentStateName)[keyof typeof AgentStateName];

export const WorkMode = {
  ManualIn: 'ManualIn',
  AutoIn: 'AutoIn',
  AfterCallWork: 'AfterCallWork',
  AuxWork: 'AuxWork',
} as const;
export type WorkMode = (typeof WorkMode)[keyof typeof WorkMode];

export interface AgentState {
  state: AgentStateName;
  workMode?: WorkMode;
  /** custom NotReady reason (e.g. "Lunch") */
  reason?: string;
  /** id of the agent-state definition (system or custom) that produced this state, if any */
  stateId?: string;
}

export const NotificationType = {
  StatusChange: 'StatusChange',
  ParticipantsUpdated: 'ParticipantsUpdated',
  AttachedDataChanged: 'AttachedDataChanged',
  CallRecordingStateChange: 'CallRecordingStateChange',
  MonitoredUserMutedStateChange: 'MonitoredUserMutedStateChange',
  DtmfSent: 'DtmfSent',
  Error: 'Error',
} as const;
export type NotificationType = (typeof NotificationType)[keyof typeof NotificationType];

export type UserDataValue = string | number;
export type UserData = Record<string, UserDataValue>;

export const DnKind = { Extension: 'Extension', RoutingPoint: 'RoutingPoint' } as const;
export type DnKind = (typeof DnKind)[keyof typeof DnKind];

// ---------------------------------------------------------------------------------------------
// Topology: what the switch is told about each contact center at start-up (from provisioning).

export interface SupervisionSettings {
  /** join a call already in progress when arming (T-Server intrusion-enabled); default true */
  intrusion: boolean;
  /** supervisor's leg answered at once; false = it rings and the supervisor answers; default true */
  autoAnswer: boolean;
  /** how many supervisors may monitor one agent (any number listening, at most one Coach/BargeIn); default 1 */
  maxSupervisorsPerAgent: number;
  /** what the monitored agent sees: always | coachAndBarge | never; default always */
  notifyAgent: 'always' | 'coachAndBarge' | 'never';
}

export interface ContactCenterSettings {
  /** wrap-up seconds after a call ends; 0 = no after-call work */
  wrapUpTime: number;
  /** state after wrap-up ends */
  afterWrapUp: 'Ready' | 'NotReady';
  /** ms before an external number answers a call */
  externalAnswerDelayMs: number;
  /** ms an internal DN may ring before the call is treated as unanswered (0 = rings forever) */
  ringNoAnswerMs: number;
  supervision: SupervisionSettings;
  /** real telephony (spec/sip.md section 2); absent = the defaults (src/config/defaults.ts `defaultSipSettings`) */
  sip?: SipSettings;
}

/** How agent and supervisor phones are reached: one auto-answered leg per session, or an INVITE per call. */
export const AgentPhoneMode = { NailedUp: 'nailedUp', PerCall: 'perCall' } as const;
export type AgentPhoneMode = (typeof AgentPhoneMode)[keyof typeof AgentPhoneMode];

/** What a call to an extension without a live SIP registration does. */
export const UnregisteredDevices = { Simulate: 'simulate', Unavailable: 'unavailable' } as const;
export type UnregisteredDevices = (typeof UnregisteredDevices)[keyof typeof UnregisteredDevices];

/** A SIP trunk: customers' calls arrive from `host`; outbound calls go to `host:port` (trunks with a port only). */
export interface TrunkSettings {
  /** unique within the contact center */
  name: string;
  /** IP address the trunk's INVITEs come from and outbound INVITEs go to */
  host: string;
  /** SIP port for outbound calls; absent = inbound only */
  port?: number;
  /** digits put before the dialled number on outbound calls */
  outboundPrefix?: string;
}

export interface SipSettings {
  /** nailedUp (default): one auto-answered leg per session; perCall: each call rings the phone */
  agentPhoneMode: AgentPhoneMode;
  /** simulate (default): unregistered extensions behave as simulated devices; unavailable: calls to them fail */
  unregisteredDevices: UnregisteredDevices;
  /** what a party that hears nobody (hold) gets: silence (default) or a tone */
  holdAudio: 'silence' | 'tone';
  trunks: TrunkSettings[];
}

export interface DnConfig {
  number: string;
  kind: DnKind;
  contactCenterId: string;
  /** routing points: DNs of agents that may receive its calls (empty = every agent DN of the center) */
  targets?: string[];
  /** per-DN wrap-up override (seconds) */
  wrapUpTime?: number;
}

export interface ContactCenterTopology {
  id: string;
  settings: ContactCenterSettings;
  dns: DnConfig[];
}

// ---------------------------------------------------------------------------------------------
// Views: what one DN sees. Presenters turn these into GWS JSON without further logic.

export interface CallView {
  callUuid: string;
  connId: string;
  /** this DN's leg */
  state: PartyState;
  callType: CallType;
  /** number the call came from, for calls that involve an external party */
  ani?: string;
  dnis: string;
  /** phone numbers of the other parties this DN sees, in join order */
  participants: readonly string[];
  userData: UserData;
  /** seconds since the call started */
  duration: number;
  /** this DN is muted (MuteCall, or a supervisor in ListenIn) */
  muted: boolean;
  /** absent until recording is first started */
  recordingState?: RecordingState;
  supervisorListeningIn: boolean;
  monitoredUserMuted: boolean;
  /** this leg is a supervisor's monitoring leg */
  monitoring: boolean;
  /** for consult calls: the call it was created from */
  parentCallUuid?: string;
  /** GWS operation names legal now on this DN's leg (a shared frozen list, capabilities.ts); [] once released */
  capabilities: readonly string[];
}

export interface MonitoringView {
  state: MonitorMode;
  mode: MonitorSpan;
  scope: MonitorScope;
  /** monitored DN (an agent's DN or a routing point) */
  targetDn: string;
  targetIsRoutingPoint: boolean;
}

export interface DeviceView {
  dn: string;
  contactCenterId: string;
  loggedIn: boolean;
  /** user id of the logged-in user, if any */
  userId?: string;
  agentState: AgentState;
  dnd: boolean;
  forwardTo?: string;
  /** present while this (supervisor's) DN has monitoring configured */
  monitoring?: MonitoringView;
  /** device capabilities (GWS names), a shared frozen list; the gws layer drops supervisor ones for non-supervisors */
  capabilities: readonly string[];
}

export interface MediaParty {
  phoneNumber: string;
  hears: string[];
}

// ---------------------------------------------------------------------------------------------
// Events (facts). Emitted synchronously at the moment the change is complete; each carries the
// view it describes, computed at that moment, so listeners never reconstruct past state.

export interface CallEvent {
  kind: 'call';
  /** DN whose view of the call changed (the notification goes to that DN's user) */
  dn: string;
  /** the user logged in at dn when the event was produced (absent when nobody is) */
  userId?: string;
  callUuid: string;
  notificationType: NotificationType;
  /** for notificationType Error */
  errorCode?: number;
  errorMessage?: string;
  /** T-Server-like extensions for the message (e.g. WrapUpTime) */
  extensions?: Record<string, string | number>;
  /** for DtmfSent */
  digits?: string;
  /** dn's view of the call at the moment of the event (Released legs included) */
  view: CallView;
}

export interface DeviceEvent {
  kind: 'device';
  dn: string;
  /** the user logged in at dn when the event was produced (absent when nobody is) */
  userId?: string;
  /** agent state changed as part of this event (so the voice channel state message is due) */
  agentStateChanged: boolean;
  /** the device as it is after the change */
  view: DeviceView;
}

export const MonitorAuditEvent = {
  Armed: 'Armed',
  Joined: 'Joined',
  ModeChanged: 'ModeChanged',
  MonitoredUserMuted: 'MonitoredUserMuted',
  MonitoredUserUnmuted: 'MonitoredUserUnmuted',
  Skipped: 'Skipped',
  Left: 'Left',
  Cancelled: 'Cancelled',
} as const;
export type MonitorAuditEvent = (typeof MonitorAuditEvent)[keyof typeof MonitorAuditEvent];

export interface MonitorEvent {
  kind: 'monitor';
  event: MonitorAuditEvent;
  contactCenterId: string;
  supervisorDn: string;
  targetDn: string;
  /** the agent DN actually on the call (differs from targetDn for routing-point monitoring) */
  agentDn?: string;
  callUuid?: string;
  mode: MonitorMode;
  scope: MonitorScope;
  span: MonitorSpan;
  /** Left: CallEnded | SupervisorHungUp | AgentLeft | Cancelled | SessionEnded | Replaced | ServerStopped (ServerStoppedUnexpectedly is written at the next start, not by the switch: src/app/audit-recovery.ts); Cancelled: what ended the configuration (Cancelled, SessionEnded, ServerStopped, or the Left reason of a NextCall configuration's call); Skipped: SupervisorBusy | AuditUnavailable | SupervisorLimit | AnotherSupervisorLoud */
  reason?: string;
  at: number;
}

/**
 * A call's media matrix changed (who hears whom): emitted after the call's views, whenever the
 * result of the media function differs from the last one emitted for the call; `parties` is
 * empty once the call has ended. The mixer consumes the same matrix through the endpoints port.
 */
export interface MediaEvent {
  kind: 'media';
  callUuid: string;
  contactCenterId: string;
  parties: MediaParty[];
}

export type SwitchEvent = CallEvent | DeviceEvent | MonitorEvent | MediaEvent;
