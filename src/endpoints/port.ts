/**
 * The endpoints port: the ends of the legs, under the call model (docs/architecture.md, "The
 * switch"). The call model is the only authority on call state; endpoints only carry it out and
 * report what the outside world did.
 *
 *   effects out (the call model calls them, inside a command): offer a leg, answer it, release it,
 *     move it to another call, set the media of a call, send DTMF, record;
 *   facts in (endpoints feed them through `EndpointHost.fact`, which enters the one command door):
 *     ringing, answered, busy, no answer, rejected, hung up, DTMF, and hold / retrieve / transfer
 *     requested by the phone.
 *
 * Guarantees the call model gives every implementation:
 *   - an effect is never called outside a command, and an effect that throws is logged and does not
 *     undo the change (the call model has already decided);
 *   - a fact may be fed at any time, also from inside an effect: it then runs right after the
 *     current command's own work, in the same command;
 *   - a fact about a leg that has moved on (released, already answered) is ignored, so endpoints
 *     need no bookkeeping of their own to stay consistent;
 *   - timers endpoints need (answer delays) go through `EndpointHost.timer`, so they enter the door
 *     and an exception in one never reaches the event loop.
 * Which implementation serves a leg is decided once per leg by the `EndpointSelector`.
 */
import type { Result } from '../errors.js';
import type { ContactCenterSettings, MediaParty, RecordingState, UserData } from '../switch/model.js';

/** What kind of party a leg is, for the selector and for endpoints. */
export type LegKind = 'Extension' | 'External';

/** One leg as endpoints see it: a DN (extension) or an external number, on one call. */
export interface LegRef {
  callUuid: string;
  /** the DN of an extension, or the external phone number */
  dn: string;
  kind: LegKind;
  contactCenterId: string;
}

/** What comes with an offer. */
export interface Offer {
  /** the number the leg is offered from (shown on a phone) */
  from: string;
  /**
   * the leg should pick up by itself: the caller's own leg of a Dial or consultation (third-party
   * call control), or a supervisor's leg with supervision.autoAnswer on
   */
  autoAnswer: boolean;
  /** a supervisor's monitoring leg */
  monitoring: boolean;
}

/** Answered: the leg is connected now. Pending: an Answered fact will follow (e.g. NOTIFY talk). */
export type AnswerOutcome = 'Answered' | 'Pending';

/** Effects: what the call model asks of the ends of its legs. */
export interface Endpoints {
  /** short name for logs ("simulated", "sip") */
  readonly name: string;
  /** a leg was added to a call: alert the device, start the outbound attempt, or connect it */
  offer(leg: LegRef, offer: Offer): void;
  /** GWS Answer on a ringing leg */
  answer(leg: LegRef): AnswerOutcome;
  /** the leg is released (hang up, cancel the attempt, BYE) */
  release(leg: LegRef): void;
  /** the same party now belongs to another call (transfer/conference completion): keep its dialog */
  moveLeg(from: LegRef, to: LegRef): void;
  /** who hears whom on a call changed; an empty matrix means the call has ended */
  setMedia(callUuid: string, matrix: readonly MediaParty[]): void;
  /** GWS SendDtmf on this leg: send the digits towards the other parties */
  sendDtmf(leg: LegRef, digits: string): void;
  /** the call's recording state changed */
  record(callUuid: string, state: RecordingState): void;
  /** the switch stops: cancel pending work (timers, attempts) */
  stop(): void;
}

/** The leg a fact is about. */
export interface LegKey {
  callUuid: string;
  dn: string;
}

/** Facts: what the outside world did. */
export type EndpointFact =
  /** `answerable: false`: the device rings but cannot be answered from GWS (a SIP phone without Allow-Events: talk) */
  | { kind: 'Ringing'; leg: LegKey; answerable?: boolean }
  | { kind: 'Answered'; leg: LegKey }
  | { kind: 'Busy'; leg: LegKey }
  | { kind: 'NoAnswer'; leg: LegKey }
  | { kind: 'Rejected'; leg: LegKey }
  /** the leg cannot be reached at all (an extension without a registered phone, sip.unregisteredDevices "unavailable") */
  | { kind: 'Unavailable'; leg: LegKey }
  | { kind: 'HungUp'; leg: LegKey }
  | { kind: 'Dtmf'; leg: LegKey; digits: string }
  | { kind: 'HoldRequested'; leg: LegKey }
  | { kind: 'RetrieveRequested'; leg: LegKey }
  | { kind: 'TransferRequested'; leg: LegKey; destination: string }
  /** the phone completed an attended transfer (REFER with Replaces): this call with the consultation */
  | { kind: 'CompleteTransferRequested'; leg: LegKey; consultCallUuid: string };

export type EndpointFactKind = EndpointFact['kind'];

/** A call arriving from outside (a trunk INVITE, POST /sim/v1/calls). */
export interface IncomingCall {
  /** external number calling (the ANI) */
  from: string;
  /** DN or routing point called */
  to: string;
  userData?: UserData;
}

/** What the call model offers its endpoints. */
export interface EndpointHost {
  /** feed a fact through the command door */
  fact(f: EndpointFact): void;
  /** a call from outside; the caller's leg is served by `by`. Refused like a command (must not be fed from an effect). */
  incoming(call: IncomingCall, by: Endpoints): Result<{ callUuid: string }>;
  /** a phone dialled a number itself: a GWS Dial from that DN. Refused like a command (not from an effect). */
  dial(dn: string, destination: string): Result<{ callUuid: string }>;
  /** run fn after ms, through the command door; returns a cancel function */
  timer(ms: number, name: string, fn: () => void): () => void;
  /** the settings of a contact center (answer delays and the like) */
  settings(contactCenterId: string): ContactCenterSettings | undefined;
  /** the live external legs of a call (undefined when the call does not exist) */
  externalLegs(callUuid: string): string[] | undefined;
  /** a number that is not a DN of this switch and looks like a phone number */
  isExternalNumber(number: string): boolean;
}

/** Decides, per leg, which endpoints serve it (simulated, or SIP when a registration exists). */
export interface EndpointSelector {
  select(leg: { dn: string; kind: LegKind; contactCenterId: string }): Endpoints;
  /** every implementation, for call-wide effects (media, recording) */
  all(): readonly Endpoints[];
}

/** One rule of a selector: these endpoints serve the legs they claim. */
export interface EndpointRule {
  endpoints: Endpoints;
  serves(leg: { dn: string; kind: LegKind; contactCenterId: string }): boolean;
}

/** The first rule that claims a leg serves it; otherwise the fallback (the simulated endpoints). */
export function selectorOf(fallback: Endpoints, rules: readonly EndpointRule[] = []): EndpointSelector {
  const all = [...new Set([...rules.map((r) => r.endpoints), fallback])];
  return {
    select: (leg) => rules.find((r) => r.serves(leg))?.endpoints ?? fallback,
    all: () => all,
  };
}
