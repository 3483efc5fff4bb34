/**
 * The SIP endpoints: the B2BUA under the call model (spec/sip.md sections 3-5; decisions where the
 * spec is silent are in docs/telephony.md, "B2BUA and GWS mapping").
 *
 * One `Dialogue` is one SIP dialog (or INVITE attempt) with one phone or trunk, and one RTP leg of the
 * media engine. A dialogue carries one or more GWS legs (callUuid + DN):
 *   - nailed   : an agent's or supervisor's auto-answered leg, INVITEd once per session; every call
 *                of the DN rides on it, its media follows the DN's newest live call (idle: silence);
 *   - perCall  : an INVITE to the phone for one call (agentPhoneMode perCall);
 *   - trunkIn  : a customer's INVITE from a trunk (answered when someone hears the customer);
 *   - trunkOut : our INVITE to a trunk for an external number;
 *   - phoneOut : a phone dialling by itself (authenticated as its DN, then a GWS Dial).
 * Media is always anchored: each dialogue's RTP leg lives in the mixer call of the GWS call it
 * serves, and moving a dialogue to another call opens a leg there and re-INVITEs the phone with it.
 *
 * Guarantees:
 *   - a phone or trunk gets one RTP stream per dialogue (one SSRC, sequence numbers that only go
 *     forward), whichever RTP legs carry it in turn: each leg a dialogue opens continues the
 *     dialogue's stream (media/rtp-stream.ts), so a move or a codec renewal never restarts it;
 *   - the call model stays the only authority: effects only start SIP/RTP work, and everything the
 *     outside world does comes back as facts through the host; a fact about a leg that moved on is
 *     ignored by the model, so races between a phone and GWS need no bookkeeping here;
 *   - SIP answers: an INVITE from neither a provisioned DN (digest as that DN) nor a trunk of the
 *     called DN's contact center gets 403 and never reaches a trunk; an unknown called number 404;
 *     INVITEs beyond `invitesPerSecondPerSource` from one address 503 with Retry-After; requests
 *     outside a known dialog 481; a REFER from a trunk's party 403 (only phones transfer); a new
 *     INVITE reusing a live call's Call-ID 400; an Accept that takes no SDP 406; a body that is
 *     not SDP 415; unusable SDP 488; an
 *     INVITE without SDP (a delayed offer) gets our offer in the 200, and its ACK's answer is taken
 *     as a 200's is (none usable: BYE); a received INVITE whose RTP leg cannot be opened (the port
 *     range used up) 503, its legs reported hung up; an INVITE of ours whose leg cannot be opened
 *     is not sent, its legs fail as on a 503; a received INVITE not answered yet gets its 180 again
 *     every minute (RINGING_REFRESH_MS), and a Request-URI tel:<number> is routed as sip:<number>@host;
 *   - a call from outside that goes back out through a trunk passes on its Max-Forwards less one
 *     (at most 69); with none left the trunk leg fails as on a 483 and nothing is sent, so a loop
 *     through two B2BUAs ends;
 *   - a trunk's caller is the number its From names (numberOf: a tel: number, a user=phone one without
 *     visual separators; none: `anonymous`); a phone is only the user part of a sip: From;
 *   - every confirmed dialog is told to `options.dialogs` (its identity, for a cluster's next owner:
 *     dialog-records.ts) and its end too, once;
 *   - a dialogue that ends (BYE, CANCEL, failed re-INVITE or keepalive, missing ACK) reports HungUp
 *     for its legs once, and its RTP leg is removed; nothing here throws into the SIP server or the
 *     media engine (every async step catches and logs).
 */
import type { MediaParty, RecordingState, SwitchEvent } from '../../switch/model.js';
import type { AnswerOutcome, EndpointFact, EndpointHost, Endpoints, LegKind, LegRef, Offer } from '../port.js';
import type { SipRequestHandler, SipServer } from '../../sip/server.js';
import type { RegistrarEvents } from '../../sip/registrar.js';
import type { ServerTransaction, Destination } from '../../sip/transaction.js';
import type { SipHeader, SipRequest, SipResponse } from '../../sip/message.js';
import { MAX_FORWARDS, getHeader, getHeaders } from '../../sip/message.js';
import { numberOf, parseNameAddr, parseUri, tagOf, withoutUriHeaders } from '../../sip/uri.js';
import { Dialog } from '../../sip/dialog.js';
import { DigitRate } from '../../media/dtmf.js';
import type { ReceivedDigit } from '../../media/dtmf.js';
import type { CodecName } from '../../media/g711.js';
import { newRtpStream, successorOf } from '../../media/rtp-stream.js';
import type { RtpStreamIdentity } from '../../media/rtp-stream.js';
import type { DomainError } from '../../errors.js';
import { DEFAULT_SIP_SETTINGS, type SipContactCenterSettings, type SipEndpointsOptions, type SipTrunk } from './index.js';
import { InviteRateLimiter } from './invite-rate.js';
import { parseReferTo, parseReplaces, replacesDialog, type ReplacesTarget } from './replaces.js';
import { Keepalive } from './keepalive.js';
import { SIP_ENDPOINT_DEFAULTS } from '../../config/defaults.js';
import { systemClock } from '../../switch/clock.js';
import type { Clock } from '../../switch/port.js';
import {
  NO_SDP_ACCEPTED_REASON,
  OUR_TELEPHONE_EVENT,
  UNUSABLE_SDP_REASON,
  acceptsSdp,
  answerDirection,
  isSdpContentType,
  readSdp,
  writeSdp,
  type Direction,
  type RemoteMedia,
} from './sdp.js';

type DialogueRole = 'nailed' | 'perCall' | 'trunkIn' | 'trunkOut' | 'phoneOut';

interface Dialogue {
  role: DialogueRole;
  /** the DN of the phone, or the customer's number: the phoneNumber of its media leg */
  party: string;
  contactCenterId: string;
  dialog?: Dialog;
  /** an INVITE we received and have not answered finally */
  invite?: ServerTransaction;
  /** the Call-ID of an INVITE we sent that has no final answer yet */
  pendingCallId?: string;
  remote?: RemoteMedia;
  codec: CodecName;
  telephoneEvent?: number;
  /** the mixer call and local port of the RTP leg */
  media?: { mixerCall: string; port: number };
  /**
   * the RTP stream the phone gets from us, for the whole dialogue: every RTP leg this dialogue opens
   * (a move to another call, a renewal in the phone's codec) continues it (media/rtp-stream.ts)
   */
  rtpStream: RtpStreamIdentity;
  /** o= of our SDP */
  sessionId: number;
  version: number;
  /** the GWS calls this dialogue carries, oldest first (its media follows the last) */
  calls: string[];
  /**
   * a dialogue an INVITE from outside opened (trunkIn, phoneOut): the Max-Forwards it came with
   * (70 when absent or above); a trunk INVITE of ours for the same call sends one less, and none at 0
   */
  hopsLeft?: number;
  /** the phone said Allow-Events: talk (remote answer with NOTIFY) */
  allowsTalk: boolean;
  /** GWS Answer came before the 180: send NOTIFY talk when it arrives */
  answerWanted?: boolean;
  /** the early dialog of a 180 (for NOTIFY talk) */
  earlyDialog?: Dialog;
  ringingReported: boolean;
  held: boolean;
  ended: boolean;
  /** media changes and re-INVITEs of this dialogue, one after the other */
  chain: Promise<void>;
  /**
   * cancel of the dialogue's INVITE timer: the no-answer timer of an INVITE we sent, or the 180
   * refresh of one we received and have not answered (RINGING_REFRESH_MS)
   */
  cancelTimer?: () => void;
  /**
   * the INVITE we received had no offer (RFC 3261 13.2.1, "delayed offer"): our 200 offers, and
   * the ACK must carry the answer
   */
  answerInAck?: boolean;
  /** the rate limit of the digits this dialogue's party sends in SIP INFO (made at the first) */
  infoDigits?: DigitRate;
}

/** the dialogues whose party may REFER (transfer): phones, never a trunk's customer or far end */
const REFERRING_ROLES: ReadonlySet<DialogueRole> = new Set<DialogueRole>(['nailed', 'perCall', 'phoneOut']);
/** the longest number a REFER may name (E.164 is 15 digits; room for prefixes and extensions) */
const MAX_NUMBER_LENGTH = 64;

/**
 * How often a received INVITE that is not answered yet (a customer waiting in a queue) gets its 180
 * again: RFC 3261 13.3.1.1 says a UAS MUST send a non-100 provisional every minute, or a proxy on
 * the way may cancel the transaction after three minutes without one (Timer C, 16.6 step 11).
 */
export const RINGING_REFRESH_MS = 60_000;

const legKey = (callUuid: string, dn: string) => `${callUuid}|${dn}`;
const IDLE_PREFIX = 'nailed:';
const idleCall = (dn: string) => `${IDLE_PREFIX}${dn}`;

/** The fact a failed outgoing INVITE is, by final status (others: Rejected). */
const FAILURE_FACTS: Readonly<Record<number, 'Busy' | 'NoAnswer' | 'Rejected'>> = {
  486: 'Busy',
  600: 'Busy',
  603: 'Rejected',
  408: 'NoAnswer',
  480: 'NoAnswer',
  487: 'NoAnswer',
};

/** the hops an INVITE from outside has left: its Max-Forwards (valid: 0-255, message.ts), at most ours */
function hopsLeftOf(request: SipRequest): number {
  const value = getHeader(request, 'Max-Forwards');
  return value === undefined ? MAX_FORWARDS : Math.min(Number(value), MAX_FORWARDS);
}

/** The SIP answer to a phone's or trunk's INVITE the call model refused, by domain error. */
const REFUSAL_STATUS: Readonly<Record<string, number>> = {
  NotFound: 404,
  InvalidValue: 484,
  InvalidState: 486,
  InUse: 486,
  Forbidden: 403,
  NoPermission: 403,
};

/** Auto-answer headers (sip.md 3): both common forms, so most phones pick up by themselves. */
function autoAnswerHeaders(host: string): SipHeader[] {
  return [
    { name: 'Call-Info', value: `<sip:${host}>;answer-after=0` },
    { name: 'Alert-Info', value: `<sip:${host}>;info=alert-autoanswer` },
  ];
}

const SDP_TYPE: SipHeader = { name: 'Content-Type', value: 'application/sdp' };

export class SipEndpoints implements Endpoints {
  readonly name = 'sip';
  private host?: EndpointHost;
  private server?: SipServer;
  private closed = false;
  /** in-dialog requests find their dialogue by Call-ID */
  private readonly byCallId = new Map<string, Dialogue>();
  /** GWS leg -> the dialogue carrying it */
  private readonly legs = new Map<string, Dialogue>();
  /** DN -> its nailed-up dialogue */
  private readonly nailed = new Map<string, Dialogue>();
  private readonly loggedIn = new Set<string>();
  /** a phone's own INVITE waiting for the offer of its leg inside host.dial */
  private readonly dialling = new Map<string, Dialogue>();
  /** a trunk INVITE inside host.incoming */
  private arriving?: Dialogue;
  /** the newest matrix of each live call */
  private readonly matrices = new Map<string, readonly MediaParty[]>();
  /** mixer calls we created (legs added, matrix or recording) */
  private readonly mixerCalls = new Set<string>();
  private readonly recording = new Map<string, RecordingState>();
  /** mixer call|party -> the dialogue whose RTP leg is there */
  private readonly legOwners = new Map<string, Dialogue>();
  /** mixer call|party -> the last leg operation queued for it */
  private readonly legLocks = new Map<string, Promise<void>>();
  /** mixer calls with an addLeg under way (how many) */
  private readonly opening = new Map<string, number>();
  /** mixer calls to remove once their addLegs are done */
  private readonly dropWhenOpened = new Set<string>();
  private readonly inviteLimiter: InviteRateLimiter;
  private readonly keepalive: Keepalive;
  /** the clock of the flood limiters, the keepalive and recording times (options.clock, else the system's) */
  private readonly clock: Clock;

  readonly handler: SipRequestHandler = {
    request: (transaction) =>
      this.guard('request', () => this.onRequest(transaction), () => {
        if (!transaction.finished) transaction.reply(500);
      }),
    ack: (request) => this.guard('ACK', () => this.onAck(request)),
    cancelled: (invite) => this.guard('cancel', () => this.onCancelled(invite)),
    ackTimeout: (invite) => this.guard('ack timeout', () => this.onAckTimeout(invite)),
  };

  readonly registrarEvents: RegistrarEvents = {
    registered: (dn) => this.guard('registered', () => this.onRegistered(dn)),
    unregistered: () => undefined,
  };

  constructor(readonly options: SipEndpointsOptions) {
    const clock = (this.clock = options.clock ?? systemClock);
    this.inviteLimiter = new InviteRateLimiter(clock, options.invitesPerSecondPerSource ?? SIP_ENDPOINT_DEFAULTS.invitesPerSecondPerSource);
    this.keepalive = new Keepalive(clock, options.keepaliveMs ?? SIP_ENDPOINT_DEFAULTS.keepaliveMs, () => this.probeDialogs(), (error) =>
      this.log('warn', 'SIP endpoint keepalive failed', { error: String(error) }),
    );
  }

  attach(host: EndpointHost): void {
    this.host = host;
  }

  attachServer(server: SipServer): void {
    this.server = server;
  }

  /** for the metrics: SIP dialogs that are up, and RTP legs we opened */
  get activeDialogs(): number {
    return this.allDialogues().filter((d) => d.dialog && !d.ended).length;
  }

  get mediaLegs(): number {
    return this.legOwners.size;
  }

  // =========================================================================== selector rule

  claims(leg: { dn: string; kind: LegKind; contactCenterId: string }): boolean {
    if (!this.server || this.closed) return false;
    if (leg.kind === 'Extension') {
      if (this.server.registrar.isRegistered(leg.dn)) return true;
      return this.settings(leg.contactCenterId).unregisteredDevices === 'unavailable';
    }
    return this.outboundTrunk(leg.contactCenterId) !== undefined;
  }

  // =========================================================================== effects

  offer(leg: LegRef, offer: Offer): void {
    if (leg.kind === 'External') {
      const arriving = this.arriving;
      if (arriving && arriving.party === leg.dn) return this.bind(arriving, leg.callUuid, leg.dn);
      const trunk = this.outboundTrunk(leg.contactCenterId);
      if (!trunk) return this.fact({ kind: 'Rejected', leg });
      return this.inviteTrunk(leg, offer, trunk);
    }
    const server = this.server;
    if (!server || !server.registrar.isRegistered(leg.dn)) {
      // sip.unregisteredDevices "unavailable": the call to this extension fails as unreachable (GWS errorCode 1008)
      return this.fact({ kind: 'Unavailable', leg });
    }
    const dialling = this.dialling.get(leg.dn);
    if (dialling) {
      this.dialling.delete(leg.dn);
      return this.bind(dialling, leg.callUuid, leg.dn);
    }
    if (this.settings(leg.contactCenterId).agentPhoneMode === 'nailedUp') {
      const nailed = this.ensureNailed(leg.dn, leg.contactCenterId);
      this.bind(nailed, leg.callUuid, leg.dn);
      this.follow(nailed);
      return;
    }
    this.invitePhone(leg, offer);
  }

  answer(leg: LegRef): AnswerOutcome {
    const dialogue = this.legs.get(legKey(leg.callUuid, leg.dn));
    if (!dialogue || dialogue.role !== 'perCall' || dialogue.dialog) return 'Answered';
    dialogue.answerWanted = true;
    if (dialogue.earlyDialog) this.sendTalk(dialogue);
    // else: the 180 is not in yet; provisional() sends the NOTIFY when it comes
    return 'Pending';
  }

  /** Remote answer (NOTIFY Event: talk in the early dialog) where the phone allows it. */
  private sendTalk(dialogue: Dialogue): void {
    const early = dialogue.earlyDialog;
    const server = this.server;
    if (!dialogue.answerWanted || !early || !server) return;
    dialogue.answerWanted = false;
    if (!dialogue.allowsTalk) {
      this.log('info', 'GWS Answer on a phone without Allow-Events talk: the agent picks up on the phone', { dn: dialogue.party });
      return;
    }
    this.background('NOTIFY talk', async () => {
      const response = await server.requestInDialog(early, 'NOTIFY', {
        headers: [
          { name: 'Event', value: 'talk' },
          { name: 'Subscription-State', value: 'terminated;reason=noresource' },
        ],
      });
      if (response.status >= 300) this.log('warn', 'the phone refused NOTIFY talk', { dn: dialogue.party, status: response.status });
    });
  }

  release(leg: LegRef): void {
    const key = legKey(leg.callUuid, leg.dn);
    const dialogue = this.legs.get(key);
    if (!dialogue) {
      if (this.arriving && this.arriving.party === leg.dn) this.endDialogue(this.arriving, 480);
      return;
    }
    this.legs.delete(key);
    dialogue.calls = dialogue.calls.filter((c) => c !== leg.callUuid);
    if (dialogue.role === 'nailed') {
      this.follow(dialogue);
      return;
    }
    if (dialogue.calls.length === 0) this.endDialogue(dialogue, 480);
  }

  moveLeg(from: LegRef, to: LegRef): void {
    const dialogue = this.legs.get(legKey(from.callUuid, from.dn));
    if (!dialogue) return;
    this.legs.delete(legKey(from.callUuid, from.dn));
    dialogue.calls = dialogue.calls.filter((c) => c !== from.callUuid);
    this.bind(dialogue, to.callUuid, to.dn);
    this.follow(dialogue);
  }

  setMedia(callUuid: string, matrix: readonly MediaParty[]): void {
    if (matrix.length === 0) {
      this.matrices.delete(callUuid);
      this.recording.delete(callUuid);
      const nailedHere = [...this.dialoguesIn(callUuid)].filter((d) => d.role === 'nailed');
      this.dropMixerCall(callUuid);
      for (const dialogue of nailedHere) this.follow(dialogue);
      return;
    }
    this.matrices.set(callUuid, matrix);
    if (this.mixerCalls.has(callUuid)) this.mediaCommand({ type: 'setMatrix', callId: callUuid, matrix: [...matrix] });
    this.answerWhenHeard(callUuid);
  }

  sendDtmf(leg: LegRef, digits: string): void {
    const targets = [...this.dialoguesIn(leg.callUuid)]
      .filter((d) => d.party !== leg.dn && d.telephoneEvent !== undefined && d.media?.mixerCall === leg.callUuid)
      .map((d) => d.party);
    if (targets.length === 0) return;
    this.mediaCommand({ type: 'sendDtmf', callId: leg.callUuid, digits, toPhoneNumbers: targets });
  }

  record(callUuid: string, state: RecordingState): void {
    const before = this.recording.get(callUuid);
    this.recording.set(callUuid, state);
    if (state === 'Recording') {
      if (before === 'Paused') return this.mediaCommand({ type: 'resumeRecording', callId: callUuid });
      this.ensureMixerCall(callUuid);
      return this.mediaCommand({ type: 'startRecording', callId: callUuid, callUuid });
    }
    if (!this.mixerCalls.has(callUuid)) return;
    if (state === 'Paused') return this.mediaCommand({ type: 'pauseRecording', callId: callUuid });
    this.recording.delete(callUuid);
    this.mediaCommand({ type: 'stopRecording', callId: callUuid });
  }

  stop(): void {
    for (const dialogue of this.allDialogues()) {
      dialogue.cancelTimer?.();
      if (dialogue.pendingCallId) this.server?.cancel(dialogue.pendingCallId);
    }
  }

  // =========================================================================== logins (nailed-up legs)

  deviceLoggedIn(dn: string): void {
    this.loggedIn.add(dn);
    const place = this.options.lookup.dn(dn);
    if (!place || place.kind !== 'Extension') return;
    if (this.settings(place.contactCenterId).agentPhoneMode !== 'nailedUp') return;
    if (this.server?.registrar.isRegistered(dn)) this.follow(this.ensureNailed(dn, place.contactCenterId));
  }

  deviceLoggedOut(dn: string): void {
    this.loggedIn.delete(dn);
    const nailed = this.nailed.get(dn);
    if (nailed) this.endDialogue(nailed, 480, { reportHangUp: false });
  }

  onSwitchEvent(event: SwitchEvent): void {
    if (event.kind !== 'device') return;
    const was = this.loggedIn.has(event.dn);
    if (event.view.loggedIn && !was) this.guard('login', () => this.deviceLoggedIn(event.dn));
    else if (!event.view.loggedIn && was) this.guard('logout', () => this.deviceLoggedOut(event.dn));
  }

  private onRegistered(dn: string): void {
    if (this.loggedIn.has(dn)) this.deviceLoggedIn(dn);
  }

  onDigit(callId: string, phoneNumber: string, digit: ReceivedDigit): void {
    if (callId.startsWith(IDLE_PREFIX)) return;
    this.fact({ kind: 'Dtmf', leg: { callUuid: callId, dn: phoneNumber }, digits: digit.digit });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.keepalive.stop();
    const server = this.server;
    const byes: Promise<unknown>[] = [];
    for (const dialogue of this.allDialogues()) {
      dialogue.ended = true;
      dialogue.cancelTimer?.();
      if (dialogue.invite && !dialogue.invite.finished) dialogue.invite.reply(503);
      if (dialogue.pendingCallId) server?.cancel(dialogue.pendingCallId);
      if (dialogue.dialog && server) byes.push(withTimeout(server.requestInDialog(dialogue.dialog, 'BYE'), 1000));
      if (dialogue.dialog) this.options.dialogs?.ended(dialogue.contactCenterId, dialogue.dialog.callId);
    }
    await Promise.allSettled(byes);
    // steps under way (a socket being opened, a re-INVITE) finish, or are abandoned after 2 s
    await withTimeout(Promise.allSettled(this.allDialogues().map((d) => d.chain)), 2000);
    for (const callId of [...this.mixerCalls]) this.dropMixerCall(callId);
    this.byCallId.clear();
    this.legs.clear();
    this.nailed.clear();
  }

  // =========================================================================== SIP requests in

  private onRequest(transaction: ServerTransaction): void {
    const request = transaction.request;
    if (this.closed) {
      transaction.reply(503, { headers: [{ name: 'Retry-After', value: '5' }] });
      return;
    }
    const toTag = tagOf(getHeader(request, 'To'));
    if (request.method === 'INVITE' && !toTag) return this.newInvite(transaction);
    const dialogue = this.byCallId.get(getHeader(request, 'Call-ID') ?? '');
    if (!dialogue || !dialogue.dialog || dialogue.ended || !dialogue.dialog.matches(request)) {
      transaction.reply(481);
      return;
    }
    if (!dialogue.dialog.receiveRequest(request)) {
      transaction.reply(500, { reason: 'Server Internal Error (CSeq out of order)' });
      return;
    }
    const handlers: Record<string, (d: Dialogue, t: ServerTransaction) => void> = {
      INVITE: (d, t) => this.reInvite(d, t),
      BYE: (d, t) => {
        t.reply(200);
        this.endDialogue(d, 0, { sendBye: false });
      },
      REFER: (d, t) => this.refer(d, t),
      INFO: (d, t) => this.info(d, t),
      NOTIFY: (_d, t) => void t.reply(200),
    };
    const handle = handlers[request.method];
    if (handle) handle(dialogue, transaction);
    else transaction.reply(405);
  }

  private newInvite(transaction: ServerTransaction): void {
    const request = transaction.request;
    if (!this.inviteLimiter.admit(transaction.source.address)) {
      if (this.inviteLimiter.firstRefusal(transaction.source.address)) this.log('warn', 'SIP INVITE flood: 503 to this source for the rest of the second', { source: transaction.source.address });
      transaction.reply(503, { reason: 'Service Unavailable (too many INVITEs)', headers: [{ name: 'Retry-After', value: '5' }] });
      return;
    }
    // dialogues are found by Call-ID: a new INVITE reusing a live one's would take its place there,
    // and the live call could no longer be hung up (RFC 3261 8.1.1.4: a Call-ID is unique per call)
    const inUse = this.byCallId.get(getHeader(request, 'Call-ID') ?? '');
    if (inUse && !inUse.ended) {
      transaction.reply(400, { reason: 'Bad Request (Call-ID already in use by another call)' });
      return;
    }
    const replaces = getHeader(request, 'Replaces');
    if (replaces !== undefined) return this.replacingInvite(transaction, replaces);
    const requestUri = parseUri(request.uri);
    const called = requestUri ? numberOf(requestUri) : undefined;
    const fromUri = parseNameAddr(getHeader(request, 'From') ?? '')?.uri;
    // a phone is its DN as the user part of a sip: From (a tel: URI has none), written as
    // provisioned; a customer is the number its From names (numberOf: tel:, user=phone)
    const phoneUser = fromUri?.user;
    const phonePlace = phoneUser ? this.options.lookup.dn(phoneUser) : undefined;
    if (phoneUser && phonePlace?.kind === 'Extension') return this.phoneInvite(transaction, phoneUser, phonePlace.contactCenterId, called);
    const caller = fromUri ? numberOf(fromUri) : undefined;
    const calledPlace = called ? this.options.lookup.dn(called) : undefined;
    const trunkCenter = this.trunkCenterOf(transaction.source.address, calledPlace?.contactCenterId);
    if (!trunkCenter) {
      transaction.reply(403, { reason: 'Forbidden (neither a provisioned phone nor a configured trunk)' });
      return;
    }
    if (!called || !calledPlace || calledPlace.contactCenterId !== trunkCenter) {
      transaction.reply(404, { reason: 'Not Found (no such DN or routing point)' });
      return;
    }
    // a caller id that is one of our own DNs (spoofed, or looped back through a carrier) would be a
    // second party with that DN on the call: the call model keeps one per DN, so it is anonymous
    const callerIsOurs = caller !== undefined && this.options.lookup.dn(caller) !== undefined;
    this.trunkInvite(transaction, caller && !callerIsOurs ? caller : 'anonymous', called, trunkCenter);
  }

  /** The live, confirmed dialogue whose dialog a Replaces names. */
  private dialogueReplacedBy(target: ReplacesTarget): Dialogue | undefined {
    return this.allDialogues().find((d) => !d.ended && d.dialog !== undefined && replacesDialog(d.dialog, target));
  }

  /**
   * INVITE with Replaces (RFC 3891): the party of a confirmed dialogue takes it over with a new dialog
   * (authenticated as that DN, or from its trunk); the media leg stays, the old dialog gets BYE, GWS
   * sees nothing. Another party's dialog, an early one or an unknown one: 403 / 481.
   */
  private replacingInvite(transaction: ServerTransaction, value: string): void {
    const target = parseReplaces(value);
    if (!target) return void transaction.reply(400, { reason: 'Bad Request (Replaces)' });
    const old = this.dialogueReplacedBy(target);
    const oldDialog = old?.dialog;
    if (!old || !oldDialog || target.earlyOnly) return void transaction.reply(481, { reason: 'Call/Transaction Does Not Exist (Replaces)' });
    const server = this.requireServer();
    if (this.options.lookup.dn(old.party)?.kind === 'Extension') {
      const outcome = server.authenticate(transaction, old.party);
      if (!outcome.ok) return void transaction.respond(outcome.response);
    } else if (this.trunkCenterOf(transaction.source.address, old.contactCenterId) !== old.contactCenterId) {
      return void transaction.reply(403, { reason: "Forbidden (Replaces from neither the dialog's party nor its trunk)" });
    }
    const remote = transaction.request.body.length > 0 ? readSdp(transaction.request.body) : old.remote;
    if (!remote) return void transaction.reply(488, { reason: UNUSABLE_SDP_REASON });
    const renew = remote.codec !== old.codec;
    old.codec = remote.codec;
    const dialog = server.acceptInvite(transaction, { body: this.localSdp(old, [old.codec], answerDirection(remote.direction), remote) });
    if (!dialog) return;
    this.byCallId.delete(oldDialog.callId);
    this.options.dialogs?.ended(old.contactCenterId, oldDialog.callId);
    old.remote = remote;
    this.confirm(old, dialog);
    this.log('info', 'SIP dialog replaced (INVITE with Replaces)', { party: old.party, role: old.role, callId: dialog.callId });
    this.background('BYE of the replaced dialog', () => server.requestInDialog(oldDialog, 'BYE'));
    if (!old.media) return;
    const media = old.media;
    if (renew) this.queue(old, () => this.moveMedia(old, media.mixerCall, true));
    else this.mediaCommand({ type: 'setLegRemote', callId: media.mixerCall, phoneNumber: old.party, remote: { address: remote.address, port: remote.port } });
  }

  /** A customer calls in over a trunk (sip.md 4). */
  private trunkInvite(transaction: ServerTransaction, caller: string, called: string, contactCenterId: string): void {
    const host = this.requireHost();
    const offer = this.offerOf(transaction);
    if (!offer) return;
    const dialogue = this.newDialogue('trunkIn', caller, contactCenterId, offer.remote);
    dialogue.hopsLeft = hopsLeftOf(transaction.request);
    dialogue.answerInAck = offer.delayed;
    dialogue.invite = transaction;
    this.byCallId.set(getHeader(transaction.request, 'Call-ID') ?? '', dialogue);
    this.arriving = dialogue;
    let result;
    try {
      result = host.incoming({ from: caller, to: called }, this);
    } finally {
      this.arriving = undefined;
    }
    if (!result.ok) {
      this.refuseInvite(dialogue, result.error);
      return;
    }
    const callUuid = result.value.callUuid;
    if (dialogue.ended) return;
    if (!dialogue.calls.includes(callUuid)) this.bind(dialogue, callUuid, caller);
    this.ringBack(dialogue, transaction);
    this.follow(dialogue);
    this.answerWhenHeard(callUuid);
  }

  /** A phone dials by itself: challenged as its DN, then a GWS Dial (sip.md 3). */
  private phoneInvite(transaction: ServerTransaction, dn: string, contactCenterId: string, called: string | undefined): void {
    const server = this.requireServer();
    const host = this.requireHost();
    const outcome = server.authenticate(transaction, dn);
    if (!outcome.ok) {
      transaction.respond(outcome.response);
      return;
    }
    if (!called) {
      transaction.reply(484);
      return;
    }
    const offer = this.offerOf(transaction);
    if (!offer) return;
    const dialogue = this.newDialogue('phoneOut', dn, contactCenterId, offer.remote);
    dialogue.hopsLeft = hopsLeftOf(transaction.request);
    dialogue.answerInAck = offer.delayed;
    dialogue.invite = transaction;
    this.byCallId.set(getHeader(transaction.request, 'Call-ID') ?? '', dialogue);
    this.dialling.set(dn, dialogue);
    let result;
    try {
      result = host.dial(dn, called);
    } finally {
      this.dialling.delete(dn);
    }
    if (!result.ok) {
      this.refuseInvite(dialogue, result.error);
      return;
    }
    const callUuid = result.value.callUuid;
    if (dialogue.ended) return;
    if (!dialogue.calls.includes(callUuid)) this.bind(dialogue, callUuid, dn);
    this.ringBack(dialogue, transaction);
    this.follow(dialogue);
    this.answerWhenHeard(callUuid);
  }

  /**
   * Tell the caller of a received INVITE that it rings (180), and again every RINGING_REFRESH_MS
   * until the INVITE is answered or the dialogue ends, so that no proxy cancels a long wait.
   */
  private ringBack(dialogue: Dialogue, transaction: ServerTransaction): void {
    const host = this.requireHost();
    const ring = (): void => {
      dialogue.cancelTimer = undefined;
      if (dialogue.ended || dialogue.invite !== transaction || transaction.finished) return;
      transaction.reply(180);
      dialogue.cancelTimer = host.timer(RINGING_REFRESH_MS, 'ringing refresh', ring);
    };
    ring();
  }

  /**
   * The offer of a new INVITE: its SDP, or none at all (a delayed offer: we offer in the 200 and the
   * ACK answers). Unusable SDP is answered 488 here (undefined).
   */
  private offerOf(transaction: ServerTransaction): { remote?: RemoteMedia; delayed: boolean } | undefined {
    // our 200 carries SDP either way (the answer, or our offer to a delayed one): an Accept that
    // takes none is refused before anything rings (RFC 3261 21.4.7; RFC 4475 3.3.15 sdp01)
    if (!acceptsSdp(getHeaders(transaction.request, 'Accept'))) {
      transaction.reply(406, {
        reason: NO_SDP_ACCEPTED_REASON,
        headers: [{ name: 'Accept', value: 'application/sdp' }, { name: 'Warning', value: '399 switchboard "a session needs an SDP answer; send Accept: application/sdp"' }],
      });
      return undefined;
    }
    if (transaction.request.body.length === 0) return { delayed: true };
    if (!this.sdpBody(transaction)) return undefined;
    const remote = readSdp(transaction.request.body);
    if (remote) return { remote, delayed: false };
    transaction.reply(488, { reason: UNUSABLE_SDP_REASON });
    return undefined;
  }

  /** Whether a request's body is SDP by its Content-Type; if not, it is answered 415 with Accept. */
  private sdpBody(transaction: ServerTransaction): boolean {
    if (isSdpContentType(getHeader(transaction.request, 'Content-Type'))) return true;
    transaction.reply(415, { headers: [{ name: 'Accept', value: 'application/sdp' }] });
    return false;
  }

  /** The ACK of our 200: for a delayed offer it carries the answer, taken as a 200's answer to our INVITE is. */
  private onAck(request: SipRequest): void {
    const dialogue = this.byCallId.get(getHeader(request, 'Call-ID') ?? '');
    if (!dialogue?.answerInAck || dialogue.ended || !dialogue.dialog) return;
    dialogue.answerInAck = false;
    const remote = request.body.length > 0 ? readSdp(request.body) : undefined;
    if (!remote) {
      this.log('warn', 'the ACK carried no usable answer to our offer: hanging up', { party: dialogue.party, role: dialogue.role });
      return this.endDialogue(dialogue, 0);
    }
    this.queue(dialogue, () => this.takeAnswer(dialogue, remote));
  }

  private refuseInvite(dialogue: Dialogue, error: DomainError): void {
    const status = REFUSAL_STATUS[error.code] ?? 480;
    dialogue.ended = true;
    if (dialogue.invite && !dialogue.invite.finished) dialogue.invite.reply(status, { reason: `${reasonOf(status)} (${oneLine(error.message)})` });
    this.forget(dialogue);
  }

  /** A re-INVITE: new SDP (hold is sendonly/inactive, retrieve sendrecv again). */
  private reInvite(dialogue: Dialogue, transaction: ServerTransaction): void {
    const body = transaction.request.body;
    if (body.length > 0 && !this.sdpBody(transaction)) return;
    const remote = body.length > 0 ? readSdp(body) : dialogue.remote;
    if (!remote) {
      transaction.reply(488, { reason: UNUSABLE_SDP_REASON });
      return;
    }
    const wasHeld = dialogue.held;
    dialogue.remote = remote;
    dialogue.held = remote.held;
    if (remote.telephoneEvent !== undefined) dialogue.telephoneEvent ??= remote.telephoneEvent;
    if (dialogue.media && !remote.held) {
      this.mediaCommand({ type: 'setLegRemote', callId: dialogue.media.mixerCall, phoneNumber: dialogue.party, remote: { address: remote.address, port: remote.port } });
    }
    const server = this.requireServer();
    const response = transaction.reply(200, {
      headers: [{ name: 'Contact', value: server.contact(undefined, transaction.source.transport) }, SDP_TYPE],
      body: this.localSdp(dialogue, [dialogue.codec], answerDirection(remote.direction)),
    });
    void response;
    const current = dialogue.calls.at(-1);
    if (!current || wasHeld === remote.held) return;
    this.fact({ kind: remote.held ? 'HoldRequested' : 'RetrieveRequested', leg: { callUuid: current, dn: dialogue.party } });
  }

  /** REFER: blind transfer to Refer-To, or with Replaces the completion of an attended one. */
  private refer(dialogue: Dialogue, transaction: ServerTransaction): void {
    // only a phone transfers (sip.md 3): a customer on a trunk asking for one would have us dial out
    // through the trunk on its behalf, an unauthenticated call leaving through a trunk
    if (!REFERRING_ROLES.has(dialogue.role)) {
      transaction.reply(403, { reason: 'Forbidden (only a phone may transfer a call)' });
      return;
    }
    const referTo = getHeader(transaction.request, 'Refer-To');
    const target = referTo ? parseReferTo(referTo) : undefined;
    const current = dialogue.calls.at(-1);
    if (!target || !current || (target.user?.length ?? 0) > MAX_NUMBER_LENGTH) {
      transaction.reply(400, { reason: 'Bad Request (Refer-To)' });
      return;
    }
    transaction.reply(202);
    const leg = { callUuid: current, dn: dialogue.party };
    // the fact runs through the door at once: the transfer happened when the REFER's leg was released
    let outcome = 'SIP/2.0 603 Declined';
    if (target.replaces || target.malformedReplaces) {
      const other = target.replaces && this.dialogueReplacedBy(target.replaces);
      const consult = other && other !== dialogue ? other.calls.at(-1) : undefined;
      if (!consult) outcome = 'SIP/2.0 481 Call/Transaction Does Not Exist';
      else this.fact({ kind: 'CompleteTransferRequested', leg, consultCallUuid: consult });
    } else if (target.user) {
      this.fact({ kind: 'TransferRequested', leg, destination: target.user });
    }
    if (!this.legs.has(legKey(current, dialogue.party))) outcome = 'SIP/2.0 200 OK';
    this.log('info', 'SIP REFER', { party: dialogue.party, callUuid: current, attended: !!target.replaces, outcome });
    const dialog = dialogue.dialog;
    const server = this.server;
    if (dialog && server) {
      this.background('REFER NOTIFY', () =>
        server.requestInDialog(dialog, 'NOTIFY', {
          headers: [
            { name: 'Event', value: 'refer' },
            { name: 'Subscription-State', value: 'terminated;reason=noresource' },
            { name: 'Content-Type', value: 'message/sipfrag;version=2.0' },
          ],
          body: Buffer.from(`${outcome}\r\n`),
        }),
      );
    }
  }

  /** INFO with application/dtmf-relay (phones that do not send RFC 4733). */
  private info(dialogue: Dialogue, transaction: ServerTransaction): void {
    transaction.reply(200);
    const type = getHeader(transaction.request, 'Content-Type') ?? '';
    if (!/dtmf-relay/i.test(type)) return;
    const signal = /Signal\s*=\s*([0-9*#A-D])/i.exec(transaction.request.body.toString('utf8'));
    const current = dialogue.calls.at(-1);
    // the same limit as RFC 4733 digits (media/dtmf.ts): a flood of INFOs is not a flood of notifications
    dialogue.infoDigits ??= new DigitRate(() => this.clock.now());
    if (signal && current && dialogue.infoDigits.admit()) this.fact({ kind: 'Dtmf', leg: { callUuid: current, dn: dialogue.party }, digits: signal[1]!.toUpperCase() });
  }

  private onCancelled(invite: ServerTransaction): void {
    const dialogue = this.byCallId.get(getHeader(invite.request, 'Call-ID') ?? '');
    if (!dialogue || dialogue.invite !== invite) return;
    dialogue.invite = undefined; // the transaction layer answers 487
    this.endDialogue(dialogue, 0, { sendBye: false });
  }

  private onAckTimeout(invite: ServerTransaction): void {
    const dialogue = this.byCallId.get(getHeader(invite.request, 'Call-ID') ?? '');
    if (dialogue) this.endDialogue(dialogue, 0);
  }

  // =========================================================================== outgoing INVITEs

  /** The nailed-up leg of a DN: the live one, or a new INVITE with auto-answer. */
  private ensureNailed(dn: string, contactCenterId: string): Dialogue {
    const existing = this.nailed.get(dn);
    if (existing && !existing.ended) return existing;
    const dialogue = this.newDialogue('nailed', dn, contactCenterId);
    this.nailed.set(dn, dialogue);
    this.queue(dialogue, () => this.invite(dialogue, idleCall(dn), this.phoneTarget(dn), true));
    return dialogue;
  }

  /** Per-call mode: INVITE the phone for this call. */
  private invitePhone(leg: LegRef, offer: Offer): void {
    const dialogue = this.newDialogue('perCall', leg.dn, leg.contactCenterId);
    this.bind(dialogue, leg.callUuid, leg.dn);
    const target = this.phoneTarget(leg.dn, offer.from);
    this.queue(dialogue, () => this.invite(dialogue, leg.callUuid, target, offer.autoAnswer));
    const ringMs = this.options.inviteTimeoutMs ?? SIP_ENDPOINT_DEFAULTS.inviteTimeoutMs;
    if (ringMs > 0) dialogue.cancelTimer = this.requireHost().timer(ringMs, 'phone rings too long', () => this.cancelInvite(dialogue));
  }

  /** An external number through the first trunk with a port (sip.md 4). */
  private inviteTrunk(leg: LegRef, offer: Offer, trunk: SipTrunk & { port: number }): void {
    const dialogue = this.newDialogue('trunkOut', leg.dn, leg.contactCenterId);
    this.bind(dialogue, leg.callUuid, leg.dn);
    const number = `${trunk.outboundPrefix ?? ''}${leg.dn}`;
    const callerUser = /^[+0-9*#]+$/.test(offer.from) ? offer.from : 'switchboard';
    const target = {
      uri: `sip:${number}@${trunk.host}:${trunk.port}`,
      from: `<sip:${callerUser}@${this.options.advertisedHost}>`,
      destination: { transport: 'udp' as const, address: trunk.host, port: trunk.port },
    };
    // a call that came in from outside passes on its hop count, less one: a loop through two
    // B2BUAs (a carrier sending the call back, two PBXs forwarding to each other) ends, as a
    // proxy's would (RFC 3261 16.3 and 16.6): at none left the leg fails as on a 483
    const maxForwards = this.hopsLeftFor(leg.callUuid) - 1;
    this.queue(dialogue, () => this.invite(dialogue, leg.callUuid, target, false, maxForwards));
    const ringMs = this.options.inviteTimeoutMs ?? SIP_ENDPOINT_DEFAULTS.inviteTimeoutMs;
    if (ringMs > 0) dialogue.cancelTimer = this.requireHost().timer(ringMs, 'trunk rings too long', () => this.cancelInvite(dialogue));
  }

  /**
   * The fewest hops left among the dialogues from outside that carry the call (MAX_FORWARDS without
   * any). A call being created by an INVITE from outside (a trunk's, or a phone's dial) is not bound
   * to its dialogue yet while the call model routes it (`arriving`, `dialling`: set only during that
   * synchronous call): a call no such dialogue carries yet takes that dialogue's count.
   */
  private hopsLeftFor(callUuid: string): number {
    let bound: number | undefined;
    for (const d of this.allDialogues()) {
      if (d.hopsLeft !== undefined && !d.ended && d.calls.includes(callUuid)) bound = Math.min(bound ?? MAX_FORWARDS, d.hopsLeft);
    }
    if (bound !== undefined) return bound;
    let hops = this.arriving?.hopsLeft ?? MAX_FORWARDS;
    for (const d of this.dialling.values()) hops = Math.min(hops, d.hopsLeft ?? MAX_FORWARDS);
    return hops;
  }

  private phoneTarget(dn: string, from?: string): { uri: string; from?: string; destination?: Destination } | undefined {
    const binding = this.server?.registrar.contactFor(dn);
    if (!binding) return undefined;
    return {
      // a registered Contact's URI headers are not ours to send (uri.ts withoutUriHeaders)
      uri: withoutUriHeaders(binding.uri),
      ...(from && /^[+0-9*#A-Za-z.-]+$/.test(from) ? { from: `<sip:${from}@${this.options.advertisedHost}>` } : {}),
      destination: binding.source,
    };
  }

  /** Our INVITE with an SDP offer (both G.711 laws, telephone-event), and what its answer means. */
  private async invite(
    dialogue: Dialogue,
    mixerCall: string,
    target: { uri: string; from?: string; destination?: Destination } | undefined,
    autoAnswer: boolean,
    maxForwards = MAX_FORWARDS,
  ): Promise<void> {
    const server = this.requireServer();
    if (!target) return this.endDialogue(dialogue, 0);
    if (maxForwards < 0) {
      this.log('warn', 'a call looped back out with no hops left (Max-Forwards 0): the leg fails, nothing is sent', { dn: dialogue.party, uri: target.uri });
      return this.failOutgoing(dialogue, 483);
    }
    const wanted = dialogue.role === 'nailed' ? this.nailedTarget(dialogue) : mixerCall;
    try {
      await this.openMedia(dialogue, wanted, 'PCMU', OUR_TELEPHONE_EVENT);
    } catch (error) {
      // no RTP leg to offer (the port range is used up): the leg fails now, as if refused with 503
      this.log('warn', 'no RTP leg for an outgoing INVITE: the leg fails', { party: dialogue.party, role: dialogue.role, error: String(error) });
      return this.failOutgoing(dialogue, 503);
    }
    if (dialogue.ended || !dialogue.media) return;
    const offeredPort = dialogue.media.port;
    const headers: SipHeader[] = [
      SDP_TYPE,
      { name: 'Allow', value: 'INVITE, ACK, CANCEL, BYE, OPTIONS, REFER, NOTIFY, INFO' },
      ...(autoAnswer ? autoAnswerHeaders(this.options.advertisedHost) : []),
    ];
    const before = new Set(server.pendingInviteCallIds);
    const pending = server.request({
      method: 'INVITE',
      uri: target.uri,
      to: `<${target.uri.split(';')[0]}>`,
      ...(target.from ? { from: target.from } : {}),
      ...(target.destination ? { destination: target.destination } : {}),
      headers,
      maxForwards,
      body: this.localSdp(dialogue, ['PCMU', 'PCMA'], 'sendrecv'),
      provisional: (response) => this.guard('provisional', () => this.provisional(dialogue, response)),
    });
    dialogue.pendingCallId = server.pendingInviteCallIds.find((id) => !before.has(id));
    this.log('info', 'SIP INVITE out', { callId: dialogue.pendingCallId, dn: dialogue.party, role: dialogue.role, uri: target.uri });
    if (dialogue.pendingCallId) this.byCallId.set(dialogue.pendingCallId, dialogue);
    const { response, dialog } = await pending;
    dialogue.pendingCallId = undefined;
    dialogue.cancelTimer?.();
    dialogue.cancelTimer = undefined;
    if (response.status >= 200 && response.status < 300 && dialog) {
      this.confirm(dialogue, dialog);
      const remote = readSdp(response.body);
      if (dialogue.ended || !remote) {
        if (!remote) this.log('warn', 'answer without usable SDP: hanging up', { party: dialogue.party });
        dialogue.ended = false;
        return this.endDialogue(dialogue, 0);
      }
      await this.takeAnswer(dialogue, remote, offeredPort);
      if (dialogue.role !== 'nailed') {
        for (const callUuid of dialogue.calls) this.fact({ kind: 'Answered', leg: { callUuid, dn: dialogue.party } });
      }
      return this.follow(dialogue);
    }
    if (dialogue.ended) return;
    this.failOutgoing(dialogue, response.status);
  }

  /**
   * The answer to an offer of ours (a 200 to our INVITE, or the ACK after a delayed offer): the leg
   * sends there, and is renewed (with a re-INVITE) when the answer chose the other law or the leg's
   * port changed since the offer.
   */
  private async takeAnswer(dialogue: Dialogue, remote: RemoteMedia, offeredPort = dialogue.media?.port): Promise<void> {
    dialogue.remote = remote;
    dialogue.held = remote.held;
    dialogue.telephoneEvent = remote.telephoneEvent;
    if (!dialogue.media || dialogue.ended) return;
    if (remote.codec !== dialogue.codec || dialogue.media.port !== offeredPort) {
      dialogue.codec = remote.codec;
      await this.moveMedia(dialogue, dialogue.media.mixerCall, true);
    } else if (!remote.held) {
      this.mediaCommand({ type: 'setLegRemote', callId: dialogue.media.mixerCall, phoneNumber: dialogue.party, remote: { address: remote.address, port: remote.port } });
    }
  }

  /** An INVITE of ours did not get through (its final answer, or 503 when we could not send it): the legs fail with the status's fact. */
  private failOutgoing(dialogue: Dialogue, status: number): void {
    const fact = FAILURE_FACTS[status] ?? 'Rejected';
    const calls = [...dialogue.calls];
    this.endDialogue(dialogue, 0, { reportHangUp: false });
    if (dialogue.role === 'nailed') {
      this.log('warn', 'the phone refused its nailed-up leg', { dn: dialogue.party, status });
      return;
    }
    for (const callUuid of calls) this.fact({ kind: fact, leg: { callUuid, dn: dialogue.party } });
  }

  private provisional(dialogue: Dialogue, response: SipResponse): void {
    if (response.status < 180) return;
    const allowEvents = getHeader(response, 'Allow-Events') ?? '';
    if (/(^|[\s,])talk([\s,;]|$)/i.test(allowEvents)) dialogue.allowsTalk = true;
    dialogue.earlyDialog ??= earlyDialogOf(response);
    this.sendTalk(dialogue);
    if (dialogue.ringingReported || dialogue.role === 'nailed') return;
    dialogue.ringingReported = true;
    // a per-call phone without Allow-Events: talk cannot be answered from GWS (no Answer capability)
    const answerable = dialogue.role !== 'perCall' || dialogue.allowsTalk;
    for (const callUuid of dialogue.calls) this.fact({ kind: 'Ringing', leg: { callUuid, dn: dialogue.party }, ...(answerable ? {} : { answerable: false }) });
  }

  private cancelInvite(dialogue: Dialogue): void {
    dialogue.cancelTimer = undefined;
    if (dialogue.pendingCallId) this.server?.cancel(dialogue.pendingCallId);
  }

  // =========================================================================== media

  /** The mixer call a nailed leg belongs in: the DN's newest call, or its idle call. */
  private nailedTarget(dialogue: Dialogue): string {
    return dialogue.calls.at(-1) ?? idleCall(dialogue.party);
  }

  /** Make a dialogue's RTP leg live in the mixer call of the call it serves now. */
  private follow(dialogue: Dialogue): void {
    this.queue(dialogue, async () => {
      if (dialogue.ended) return;
      const wanted = dialogue.role === 'nailed' ? this.nailedTarget(dialogue) : dialogue.calls.at(-1);
      if (!wanted || dialogue.media?.mixerCall === wanted) return;
      if (!dialogue.dialog) {
        // our INVITE is pending (its answer follows again), or an INVITE we received: its answer carries the leg
        if (!dialogue.invite || !dialogue.remote) return;
        if (dialogue.media) this.removeLeg(dialogue.media.mixerCall, dialogue.party);
        await this.openMedia(dialogue, wanted, dialogue.codec, dialogue.telephoneEvent);
        return;
      }
      await this.moveMedia(dialogue, wanted, false);
    });
  }

  /**
   * Open the dialogue's RTP leg in `mixerCall`. The mixer holds one leg per party and call and checks
   * that before it opens the socket, so two addLegs of one party racing (an ended nailed leg and its
   * successor) would leave one socket behind: legs of one party in one call are opened one at a time,
   * and a leg left there by an earlier dialogue is removed first.
   */
  private openMedia(dialogue: Dialogue, mixerCall: string, codec: CodecName, telephoneEvent: number | undefined): Promise<void> {
    const key = legKey(mixerCall, dialogue.party);
    const previous = this.legLocks.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.openMediaNow(dialogue, mixerCall, codec, telephoneEvent));
    const settled = next.catch(() => undefined);
    this.legLocks.set(key, settled);
    void settled.then(() => {
      if (this.legLocks.get(key) === settled) this.legLocks.delete(key);
    });
    return next;
  }

  private async openMediaNow(dialogue: Dialogue, mixerCall: string, codec: CodecName, telephoneEvent: number | undefined): Promise<void> {
    const key = legKey(mixerCall, dialogue.party);
    const remote = dialogue.remote;
    this.opening.set(mixerCall, (this.opening.get(mixerCall) ?? 0) + 1);
    let port: number;
    try {
      const owner = this.legOwners.get(key);
      if (owner) {
        this.legOwners.delete(key);
        if (owner.media?.mixerCall === mixerCall) owner.media = undefined;
        await this.options.media.execute({ type: 'removeLeg', callId: mixerCall, phoneNumber: dialogue.party }).catch(() => undefined);
      }
      const stream = dialogue.rtpStream;
      dialogue.rtpStream = successorOf(stream);
      ({ port } = await this.options.media.execute({
        type: 'addLeg',
        callId: mixerCall,
        phoneNumber: dialogue.party,
        request: {
          codec,
          ...(telephoneEvent !== undefined ? { telephoneEventPayloadType: telephoneEvent } : {}),
          ...(remote && !remote.held ? { remote: { address: remote.address, port: remote.port } } : {}),
          stream,
        },
      }));
      this.legOwners.set(key, dialogue);
    } finally {
      this.openingDone(mixerCall);
    }
    if (dialogue.ended || this.closed || !this.mixerCallLive(mixerCall)) {
      // the dialogue, the call or the endpoints ended while the socket was opening: give it back
      if (this.closed || !this.mixerCallLive(mixerCall)) this.dropMixerCall(mixerCall, true);
      else this.removeLeg(mixerCall, dialogue.party);
      return;
    }
    this.adoptMixerCall(mixerCall);
    dialogue.codec = codec;
    dialogue.media = { mixerCall, port };
  }

  /**
   * An addLeg for `mixerCall` finished. A removeCall issued while a leg is being added would leave
   * that leg's socket behind in the mixer, so a drop waits for the call's openings (see dropMixerCall).
   */
  private openingDone(mixerCall: string): void {
    const left = (this.opening.get(mixerCall) ?? 1) - 1;
    if (left > 0) {
      this.opening.set(mixerCall, left);
      return;
    }
    this.opening.delete(mixerCall);
    if (this.dropWhenOpened.delete(mixerCall)) this.mediaCommand({ type: 'removeCall', callId: mixerCall });
  }

  /**
   * Move the dialogue's RTP leg to `mixerCall` (or renew it there after a codec change): a new leg
   * in the new mixer call, a re-INVITE telling the phone its port, then the old leg goes.
   */
  private async moveMedia(dialogue: Dialogue, mixerCall: string, renew: boolean): Promise<void> {
    const old = dialogue.media;
    void renew; // a leg renewed in the same call replaces the old one there (openMedia removes it first)
    await this.openMedia(dialogue, mixerCall, dialogue.codec, dialogue.telephoneEvent ?? OUR_TELEPHONE_EVENT);
    if (old && old.mixerCall !== mixerCall) this.removeLeg(old.mixerCall, dialogue.party);
    const dialog = dialogue.dialog;
    if (!dialog || dialogue.ended) return;
    const response = await this.requireServer().requestInDialog(dialog, 'INVITE', {
      headers: [SDP_TYPE],
      body: this.localSdp(dialogue, [dialogue.codec], 'sendrecv'),
    });
    if (response.status === 408 || response.status === 481) {
      this.log('warn', 'the phone did not take the re-INVITE: treating it as gone', { party: dialogue.party, status: response.status });
      return this.endDialogue(dialogue, 0, { sendBye: response.status !== 481 });
    }
    const remote = response.status < 300 ? readSdp(response.body) : undefined;
    if (remote && dialogue.media) {
      dialogue.remote = remote;
      this.mediaCommand({ type: 'setLegRemote', callId: dialogue.media.mixerCall, phoneNumber: dialogue.party, remote: { address: remote.address, port: remote.port } });
    }
  }

  /** Answer a received INVITE (trunk customer, phone dialling) once someone hears its party. */
  private answerWhenHeard(callUuid: string): void {
    const matrix = this.matrices.get(callUuid);
    if (!matrix) return;
    for (const row of matrix) {
      const dialogue = this.legs.get(legKey(callUuid, row.phoneNumber));
      if (!dialogue || !dialogue.invite || dialogue.invite.finished || dialogue.ended) continue;
      const heard = row.hears.length > 0 || matrix.some((other) => other.hears.includes(row.phoneNumber));
      if (!heard) continue;
      this.queue(dialogue, async () => {
        const invite = dialogue.invite;
        if (!invite || invite.finished || dialogue.ended) return;
        if (!dialogue.media) {
          try {
            await this.openMedia(dialogue, callUuid, dialogue.codec, dialogue.answerInAck ? OUR_TELEPHONE_EVENT : dialogue.telephoneEvent);
          } catch (error) {
            // no RTP leg (the port range is used up, the mixer refused it): the caller is told, and
            // the call model hears the leg hang up, rather than GWS showing a call the caller never got
            this.log('warn', 'no RTP leg for a received INVITE: answered 503', { party: dialogue.party, role: dialogue.role, callUuid, error: String(error) });
            return this.endDialogue(dialogue, 503);
          }
        }
        if (dialogue.ended || invite.finished) return;
        // a delayed offer is answered with our offer (both laws, as our INVITEs offer); else our answer
        const body = dialogue.answerInAck
          ? this.localSdp(dialogue, ['PCMU', 'PCMA'], 'sendrecv')
          : this.localSdp(dialogue, [dialogue.codec], answerDirection(dialogue.remote?.direction ?? 'sendrecv'));
        const dialog = this.requireServer().acceptInvite(invite, { body });
        dialogue.invite = undefined;
        dialogue.cancelTimer?.();
        dialogue.cancelTimer = undefined;
        if (!dialog) return this.endDialogue(dialogue, 0, { sendBye: false });
        this.confirm(dialogue, dialog);
      });
    }
  }

  /** Our SDP in this dialogue: its m-lines are those of the remote's last SDP (`remote`, default the dialogue's), ours the audio one. */
  private localSdp(dialogue: Dialogue, codecs: readonly CodecName[], direction: Direction, remote = dialogue.remote): Buffer {
    dialogue.version++;
    return writeSdp({
      address: this.options.advertisedHost,
      port: dialogue.media?.port ?? 0,
      codecs,
      telephoneEvent: dialogue.telephoneEvent ?? OUR_TELEPHONE_EVENT,
      direction,
      sessionId: dialogue.sessionId,
      version: dialogue.version,
      ...(remote ? { layout: remote.layout } : {}),
    });
  }

  private ensureMixerCall(callUuid: string): void {
    if (this.mixerCalls.has(callUuid)) return;
    this.adoptMixerCall(callUuid);
  }

  /** A mixer call we use: give it the current matrix and the contact center's hold audio. */
  private adoptMixerCall(callId: string): void {
    if (this.mixerCalls.has(callId)) return;
    this.mixerCalls.add(callId);
    const matrix = this.matrices.get(callId);
    if (matrix) this.mediaCommand({ type: 'setMatrix', callId, matrix: [...matrix] });
    const owner = this.ownerOf(callId);
    if (owner && this.settings(owner).holdAudio === 'tone') this.mediaCommand({ type: 'setHoldAudio', callId, holdAudio: 'tone' });
  }

  private mixerCallLive(callId: string): boolean {
    if (callId.startsWith(IDLE_PREFIX)) {
      const nailed = this.nailed.get(callId.slice(IDLE_PREFIX.length));
      return !!nailed && !nailed.ended;
    }
    return this.matrices.has(callId) || [...this.legs.values()].some((d) => d.calls.includes(callId));
  }

  /** Remove a mixer call (after the legs being added to it are in: see openingDone). */
  private dropMixerCall(callId: string, force = false): void {
    if (!this.mixerCalls.delete(callId) && !force) return;
    for (const dialogue of this.allDialogues()) if (dialogue.media?.mixerCall === callId) dialogue.media = undefined;
    for (const key of [...this.legOwners.keys()]) if (key.startsWith(`${callId}|`)) this.legOwners.delete(key);
    if (this.opening.has(callId)) this.dropWhenOpened.add(callId);
    else this.mediaCommand({ type: 'removeCall', callId });
  }

  private removeLeg(callId: string, phoneNumber: string): void {
    const key = legKey(callId, phoneNumber);
    if (!this.legOwners.delete(key)) return;
    this.mediaCommand({ type: 'removeLeg', callId, phoneNumber });
  }

  /** A media command whose failure is logged (a call or leg that is already gone). */
  private mediaCommand(command: Parameters<SipEndpointsOptions['media']['execute']>[0]): void {
    this.options.media.execute(command).catch((error: unknown) => {
      this.log('info', 'media command not carried out', { type: command.type, error: String(error) });
    });
  }

  // =========================================================================== dialogue bookkeeping

  private newDialogue(role: DialogueRole, party: string, contactCenterId: string, remote?: RemoteMedia): Dialogue {
    return {
      role,
      party,
      contactCenterId,
      codec: remote?.codec ?? 'PCMU',
      ...(remote ? { remote, held: remote.held } : { held: false }),
      ...(remote?.telephoneEvent !== undefined ? { telephoneEvent: remote.telephoneEvent } : {}),
      sessionId: Math.floor(Math.random() * 1e9),
      version: 0,
      rtpStream: newRtpStream(),
      calls: [],
      allowsTalk: false,
      ringingReported: false,
      ended: false,
      chain: Promise.resolve(),
    };
  }

  private bind(dialogue: Dialogue, callUuid: string, dn: string): void {
    this.legs.set(legKey(callUuid, dn), dialogue);
    if (!dialogue.calls.includes(callUuid)) dialogue.calls.push(callUuid);
  }

  /**
   * End a dialogue: answer a pending INVITE with `status` (when not 0), cancel our pending INVITE,
   * BYE an established dialog (unless the phone ended it), drop its RTP leg, and report HungUp for
   * the legs it carried (a nailed leg: only its current call; the others move to a new nailed leg).
   */
  private endDialogue(dialogue: Dialogue, status: number, how: { sendBye?: boolean; reportHangUp?: boolean } = {}): void {
    if (dialogue.ended) return;
    dialogue.ended = true;
    dialogue.cancelTimer?.();
    const server = this.server;
    if (dialogue.invite && !dialogue.invite.finished) dialogue.invite.reply(status || 480);
    dialogue.invite = undefined;
    if (dialogue.pendingCallId) server?.cancel(dialogue.pendingCallId);
    const dialog = dialogue.dialog;
    if (dialog && server && how.sendBye !== false) this.background('BYE', () => server.requestInDialog(dialog, 'BYE'));
    if (dialogue.media) this.removeLeg(dialogue.media.mixerCall, dialogue.party);
    if (dialogue.media?.mixerCall.startsWith(IDLE_PREFIX)) this.dropMixerCall(dialogue.media.mixerCall);
    dialogue.media = undefined;
    this.forget(dialogue);
    const calls = [...dialogue.calls];
    for (const callUuid of calls) this.legs.delete(legKey(callUuid, dialogue.party));
    if (how.reportHangUp === false) return;
    if (dialogue.role === 'nailed') {
      const current = calls.pop();
      if (current) this.fact({ kind: 'HungUp', leg: { callUuid: current, dn: dialogue.party } });
      if (calls.length > 0 && this.server?.registrar.isRegistered(dialogue.party)) {
        const next = this.ensureNailed(dialogue.party, dialogue.contactCenterId);
        for (const callUuid of calls) this.bind(next, callUuid, dialogue.party);
        this.follow(next);
      }
      return;
    }
    for (const callUuid of calls) this.fact({ kind: 'HungUp', leg: { callUuid, dn: dialogue.party } });
  }

  /** A dialog of `dialogue` is confirmed: it is found by Call-ID from now on, and recorded (dialog-records.ts). */
  private confirm(dialogue: Dialogue, dialog: Dialog): void {
    dialogue.dialog = dialog;
    this.byCallId.set(dialog.callId, dialogue);
    this.options.dialogs?.confirmed({
      contactCenterId: dialogue.contactCenterId,
      party: dialogue.party,
      role: dialogue.role,
      legs: dialogue.calls.map((callUuid) => ({ callUuid, dn: dialogue.party })),
      dialog: { ...dialog },
      recordedAt: this.clock.now(),
    });
  }

  private forget(dialogue: Dialogue): void {
    if (dialogue.dialog) this.options.dialogs?.ended(dialogue.contactCenterId, dialogue.dialog.callId);
    for (const [callId, d] of this.byCallId) if (d === dialogue) this.byCallId.delete(callId);
    if (this.nailed.get(dialogue.party) === dialogue) this.nailed.delete(dialogue.party);
  }

  private *dialoguesIn(callUuid: string): Iterable<Dialogue> {
    const seen = new Set<Dialogue>();
    for (const dialogue of this.allDialogues()) {
      if (seen.has(dialogue)) continue;
      seen.add(dialogue);
      if (dialogue.calls.includes(callUuid) || dialogue.media?.mixerCall === callUuid) yield dialogue;
    }
  }

  private allDialogues(): Dialogue[] {
    return [...new Set([...this.legs.values(), ...this.nailed.values(), ...this.byCallId.values()])];
  }

  /** Run a dialogue's media/SIP steps one after the other; a failing step is logged. */
  private queue(dialogue: Dialogue, step: () => Promise<void> | void): void {
    dialogue.chain = dialogue.chain.then(step).catch((error: unknown) => {
      this.log('warn', 'SIP endpoint step failed', { party: dialogue.party, role: dialogue.role, error: String(error) });
    });
  }

  // =========================================================================== helpers

  private settings(contactCenterId: string): SipContactCenterSettings {
    return this.options.lookup.settings(contactCenterId) ?? DEFAULT_SIP_SETTINGS;
  }

  private outboundTrunk(contactCenterId: string): (SipTrunk & { port: number }) | undefined {
    return this.settings(contactCenterId).trunks.find((t): t is SipTrunk & { port: number } => typeof t.port === 'number' && t.port > 0);
  }

  /** The contact center whose trunk `address` is (the called DN's own first). */
  private trunkCenterOf(address: string, preferred: string | undefined): string | undefined {
    const centers = [...(preferred ? [preferred] : []), ...(this.options.lookup.contactCenterIds?.() ?? [])];
    return centers.find((id) => this.settings(id).trunks.some((t) => t.host === address));
  }

  private ownerOf(callId: string): string | undefined {
    for (const dialogue of this.allDialogues()) if (dialogue.calls.includes(callId)) return dialogue.contactCenterId;
    return undefined;
  }

  /** OPTIONS in each established dialog (a Keepalive round); a phone that does not answer (408) or forgot it (481) is gone. */
  private probeDialogs(): void {
    for (const dialogue of this.allDialogues()) {
      const dialog = dialogue.dialog;
      const server = this.server;
      if (!dialog || dialogue.ended || !server) continue;
      this.background('keepalive', async () => {
        const response = await server.requestInDialog(dialog, 'OPTIONS');
        if (response.status === 408 || response.status === 481) {
          this.log('warn', 'phone or trunk vanished (keepalive)', { party: dialogue.party, status: response.status });
          this.endDialogue(dialogue, 0, { sendBye: false });
        }
      });
    }
  }

  private fact(fact: EndpointFact): void {
    this.host?.fact(fact);
  }

  private requireHost(): EndpointHost {
    if (!this.host) throw new Error('SIP endpoints used before install()');
    return this.host;
  }

  private requireServer(): SipServer {
    if (!this.server) throw new Error('SIP endpoints used before attachServer()');
    return this.server;
  }

  private background(name: string, work: () => Promise<unknown>): void {
    work().catch((error: unknown) => this.log('warn', `SIP endpoint ${name} failed`, { error: String(error) }));
  }

  /** Run work from the SIP server or the switch; an exception is logged (and `recover` run), never thrown back. */
  private guard(name: string, work: () => void, recover?: () => void): void {
    try {
      work();
    } catch (error) {
      this.log('warn', `SIP endpoint ${name} failed`, { error: String(error) });
      try {
        recover?.();
      } catch {
        // the transaction is gone already
      }
    }
  }

  private log(level: 'info' | 'warn', message: string, fields?: Record<string, unknown>): void {
    this.options.log?.(level, message, fields);
  }
}

// =========================================================================== pure helpers

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    timer.unref();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        resolve(undefined);
      },
    );
  });
}

/** The early dialog of a provisional response with a To tag (for NOTIFY talk before the 200). */
function earlyDialogOf(response: SipResponse): Dialog | undefined {
  const header = (name: string) => getHeader(response, name);
  const from = header('From');
  const callId = header('Call-ID');
  const cseq = header('CSeq');
  if (!from || !callId || !cseq) return undefined;
  const invite: SipRequest = {
    kind: 'request',
    method: 'INVITE',
    uri: 'sip:invalid',
    headers: [
      { name: 'From', value: from },
      { name: 'Call-ID', value: callId },
      { name: 'CSeq', value: cseq },
    ],
    body: Buffer.alloc(0),
  };
  return Dialog.asUac(invite, response);
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').slice(0, 120);
}

const REASONS: Readonly<Record<number, string>> = {
  403: 'Forbidden',
  404: 'Not Found',
  480: 'Temporarily Unavailable',
  484: 'Address Incomplete',
  486: 'Busy Here',
};

function reasonOf(status: number): string {
  return REASONS[status] ?? 'Refused';
}
