/**
 * The switch port: everything the GWS layer, the simulation API and the app may ask of the
 * telephony core. `SimulatedSwitch` implements it today; a SIP switch will implement it later.
 * Commands return a Result synchronously: ok means "accepted" (as a T-Server request would be);
 * outcomes, including asynchronous failures, arrive as SwitchEvents.
 */
import type { Result } from '../errors.js';
import type {
  AgentState,
  CallView,
  ContactCenterTopology,
  DeviceView,
  MediaParty,
  MonitorMode,
  MonitorScope,
  MonitorSpan,
  SwitchEvent,
  UserData,
  WorkMode,
} from './model.js';

/** Injected clock: the switch never reads Date.now() or sets real timers itself. */
export interface Clock {
  now(): number;
  /** run fn after ms; returns a cancel function */
  setTimer(ms: number, fn: () => void): () => void;
}

/** Injected id source, so tests are deterministic. */
export interface IdSource {
  /** 32-char upper-case alphanumeric T-Server CallUUID */
  callUuid(): string;
  /** 16-hex-digit T-Server ConnID */
  connId(): string;
}

export type AgentStateRequest =
  | { state: 'Ready'; workMode?: Extract<WorkMode, 'ManualIn' | 'AutoIn'> }
  | { state: 'NotReady'; workMode?: Extract<WorkMode, 'AfterCallWork' | 'AuxWork'>; reason?: string; stateId?: string; wrapUpTime?: number };

export interface LoginRequest {
  userId: string;
  /** supervisors are logged in like agents but are not routing targets */
  isAgent: boolean;
  loginCode?: string;
  queue?: string;
}

export interface Destination {
  phoneNumber: string;
}

/** Every call operation with its parameters, by GWS operationName. */
export type CallOperation =
  | { name: 'Answer' }
  | { name: 'Reject' }
  | { name: 'Hangup' }
  | { name: 'Hold' }
  | { name: 'Retrieve' }
  | { name: 'ClearCall' }
  | { name: 'InitiateTransfer'; destination: Destination; userData?: UserData }
  | { name: 'CompleteTransfer'; consultCallUuid?: string }
  | { name: 'SingleStepTransfer'; destination: Destination; userData?: UserData }
  | { name: 'InitiateConference'; destination: Destination; userData?: UserData }
  | { name: 'CompleteConference'; consultCallUuid?: string }
  | { name: 'SingleStepConference'; destination: Destination; userData?: UserData }
  | { name: 'RemoveParticipantFromConference'; participant: string }
  | { name: 'SwapCalls'; otherCallUuid?: string }
  | { name: 'SendDtmf'; digits: string }
  | { name: 'AttachUserData'; userData: UserData }
  | { name: 'UpdateUserData'; userData: UserData }
  | { name: 'DeleteUserDataPair'; key: string }
  | { name: 'DeleteUserData' }
  | { name: 'StartCallRecording' }
  | { name: 'PauseCallRecording' }
  | { name: 'ResumeCallRecording' }
  | { name: 'StopCallRecording' }
  | { name: 'MuteCall' }
  | { name: 'UnmuteCall' }
  | { name: 'SwitchToListenIn' }
  | { name: 'SwitchToBargeIn' }
  | { name: 'SwitchToCoach' }
  | { name: 'MuteMonitoredUser' }
  | { name: 'UnmuteMonitoredUser' };

export type CallOperationName = CallOperation['name'];

export interface MonitorRequest {
  mode: MonitorMode;
  scope: MonitorScope;
  span: MonitorSpan;
  /** agent DN or routing-point DN */
  targetDn: string;
}

export interface SwitchPort {
  /** Load (or replace) the DNs and settings of one contact center. */
  configure(cc: ContactCenterTopology): void;

  // --- contact-center session and presence (device operations)
  login(dn: string, req: LoginRequest): Result;
  logout(dn: string): Result;
  setAgentState(dn: string, req: AgentStateRequest): Result;
  setDoNotDisturb(dn: string, on: boolean): Result;
  /** destination null = forwarding off */
  setForward(dn: string, destination: string | null): Result;

  // --- calls
  dial(dn: string, destination: Destination, userData?: UserData): Result<{ callUuid: string }>;
  callOperation(dn: string, callUuid: string, op: CallOperation): Result;

  // --- supervision
  monitor(supervisorDn: string, req: MonitorRequest): Result;
  cancelMonitoring(supervisorDn: string): Result;

  // --- simulation of the outside world
  /** a call from an external number (`from`) to a DN or routing point (`to`) */
  simulateInbound(from: string, to: string, userData?: UserData): Result<{ callUuid: string }>;
  /** the external party (or the only external party, if phoneNumber is omitted) hangs up */
  simulateExternalHangup(callUuid: string, phoneNumber?: string): Result;
  /** who hears whom on a call (from the one pure media function) */
  media(callUuid: string): MediaParty[] | undefined;

  // --- queries
  device(dn: string): DeviceView | undefined;
  /** uuids of the calls on which dn has a leg that is not Released, oldest first (a routing point's: the calls waiting there) */
  callsOf(dn: string): string[];
  /** dn's view of a call, or undefined if dn has no live leg on it */
  callView(callUuid: string, dn: string): CallView | undefined;
  /** the contact center a call belongs to (for scoping /sim/v1 requests) */
  callContactCenter(callUuid: string): string | undefined;

  /** subscribe to facts; returns an unsubscribe function */
  onEvent(listener: (e: SwitchEvent) => void): () => void;
  /** cancel timers (shutdown) */
  stop(): void;
}

export type { AgentState };
