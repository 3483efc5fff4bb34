/**
 * The switch's state and its one way of telling the world: every live call with its parties,
 * every DN with its presence, and the monitoring configurations; and diff-based emission (the
 * views themselves are rendered by views.ts).
 *
 * Rules (a change must keep them):
 *   - State changes only inside a command of the door (door.ts): commands change state, mark what
 *     they touched, and the door's settle calls flush() once at the end; events reach listeners
 *     only when the command is complete.
 *   - Every party-state change goes through move() (and setState(), which is move() + touch), which
 *     checks the table of legal moves (moves.ts) and tells the leg's endpoint when it is released.
 *   - flush renders each touched (call, DN) view and emits a CallEvent only when it differs from the
 *     last one sent, so a notification always equals what a GET returns at that moment; after a
 *     call's views comes its MediaEvent, whenever its media matrix differs from the last one sent.
 *   - Change detection compares fields, never serialised views (emission.ts says how, and which
 *     notificationType a difference is). A touched call is rendered once per viewer from parts
 *     shared by all its views (views.ts `callParts`: one sort of the parties, one user-data
 *     snapshot, reused while its content is unchanged), so a change on a call with N viewers costs
 *     N renders; the media matrix is recomputed only when the media function's inputs changed.
 *   - A command that changes only a call's user data marks it with touchUserData, not touch: its
 *     flush gives each leg its last view with the new user-data snapshot and duration (no render, no
 *     diff: nothing else of a view depends on user data), unless anything else marked the call, a
 *     leg has no last view, or the supervision settings changed (flushUserData). So a change that
 *     alters anything but user data must touch() the call, as every change already must.
 *   - Call and device events carry the userId logged in at their DN at that moment.
 *   - A device is flushed like a call (an event only when its view changed), unless a command asks
 *     for a confirmation (DeviceTouch): an agent-state request and an accepted arm are confirmed
 *     with a device event even when nothing changed, and only the first counts as an agent-state
 *     change (which also sends the voice channel's message).
 *   - What a command marks for its flush lives in marks.ts structures (MarkQueue, MarkSet), not in
 *     long-lived Sets or Maps that empty at every flush: each emptying allocates a new table in old
 *     space (marks.ts says how much that cost).
 */
import { NotificationType, PartyState } from './model.js';
import type {
  AgentState,
  CallType,
  CallView,
  ContactCenterSettings,
  DeviceView,
  DnConfig,
  MediaParty,
  MonitorMode,
  MonitorScope,
  MonitorSpan,
  RecordingState,
  SupervisionSettings,
  SwitchEvent,
  UserData,
} from './model.js';
import type { Clock, IdSource } from './port.js';
import type { EndpointSelector, Endpoints, LegRef, Offer } from '../endpoints/port.js';
import { CommandDoor } from './door.js';
import type { SwitchLog } from './door.js';
import { assertLegalMove } from './moves.js';
import { MarkQueue, MarkSet } from './marks.js';
import { RoutingIndex } from './routing.js';
import { callChange, deviceChange, sameJson, sameMedia } from './emission.js';
import { mediaMatrix } from './media.js';
import type { MediaInput } from './media.js';
import { callDuration, callParts, callView, callViewFrom, deviceView, inJoinOrder, mediaInputsOf, userDataSnapshot } from './views.js';

/** the shortest participants list a leg's views share while it is unchanged (flushCall; measured: below it, comparing costs less than sharing) */
const SHARED_PARTICIPANTS_FROM = 6;

export type PartyKind = 'Extension' | 'External' | 'RoutingPoint';

export interface MonitorConfig {
  supervisorDn: string;
  contactCenterId: string;
  mode: MonitorMode;
  scope: MonitorScope;
  span: MonitorSpan;
  targetDn: string;
  targetIsRoutingPoint: boolean;
  /** call the supervisor is on for this configuration */
  callUuid?: string;
  /** routing point + NextCall: the one call chosen for monitoring */
  pendingCallUuid?: string;
  /** NextCall: set once a monitored call has been joined */
  consumed: boolean;
}

export interface SupervisorLeg {
  config: MonitorConfig;
  mode: MonitorMode;
  /** agent DN the supervisor monitors on this call (moves with the call in Call scope) */
  monitoredDn?: string;
  /** the last agent monitored on this call (for the audit once the agent has gone) */
  lastMonitoredDn?: string;
  monitoredUserMuted: boolean;
}

export interface Party {
  seq: number;
  dn: string;
  kind: PartyKind;
  state: PartyState;
  muted: boolean;
  sup?: SupervisorLeg;
  /** cancels pending timers of the call model (ring-no-answer) */
  timers: (() => void)[];
  /** the endpoints serving this leg (extensions and external numbers; none for routing points) */
  endpoint?: Endpoints;
  everEstablished: boolean;
  /** delivered by this routing point (re-queued there if rejected) */
  routedBy?: string;
  /** its device rings but cannot be answered from GWS (Ringing fact with answerable: false): no Answer capability */
  notAnswerable?: boolean;
  /** the number this party originally dialled (for Error messages) */
}

export interface Call {
  uuid: string;
  connId: string;
  ccId: string;
  type: CallType;
  ani?: string;
  dnis: string;
  startedAt: number;
  parties: Party[];
  userData: UserData;
  recording?: RecordingState;
  /** consult call: the original call and the DN that created the consultation */
  parentUuid?: string;
  consultOwner?: string;
  consultKind?: 'Transfer' | 'Conference';
  /** DN that created the conference */
  conferenceOwner?: string;
  /** routing-point monitors waiting for this call to reach an agent */
  rpWatchers: MonitorConfig[];
  /** agents that rejected it (not offered again by routing) */
  rejectedBy: Set<string>;
  ended: boolean;
}

export interface DnState {
  config: DnConfig;
  loggedIn: boolean;
  userId?: string;
  isAgent: boolean;
  agentState: AgentState;
  dnd: boolean;
  forwardTo?: string;
  /** when the agent last became idle (longest-idle routing) */
  idleSince: number;
  cancelWrapUp?: () => void;
  /** monitoring configured on this DN (it is a supervisor's) */
  monitor?: MonitorConfig;
}

export interface CcState {
  id: string;
  settings: ContactCenterSettings;
}

/**
 * How a touched device is flushed; the strongest touch of one command wins (the values are ordered).
 */
export const DeviceTouch = {
  /** a device message only if its view changed */
  IfChanged: 0,
  /** always a device message (an accepted arm is confirmed, changed or not); the voice channel only if the agent state changed */
  Confirm: 1,
  /** always a device message and the voice channel message: every agent-state request is confirmed, changed or not */
  AgentStateRequest: 2,
} as const;
export type DeviceTouch = (typeof DeviceTouch)[keyof typeof DeviceTouch];

export class SwitchCore {
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly ccs = new Map<string, CcState>();
  readonly dns = new Map<string, DnState>();
  readonly calls = new Map<string, Call>();
  /** dn -> uuids of calls where it has a leg (not yet flushed as Released) */
  readonly legs = new Map<string, Set<string>>();
  /**
   * routing point DN -> uuids of calls with a party there (not yet flushed as Released), apart from
   * `legs`, which holds extensions only (routing, busy and idle checks read it); a call leaves it
   * when its party there is flushed as Released, as it leaves `legs` (an ending call releases every
   * party first: lifecycle.ts endCall)
   */
  readonly routingPointLegs = new Map<string, Set<string>>();
  /** target DN (agent or routing point) -> monitoring configurations on it */
  readonly monitorsOf = new Map<string, MonitorConfig[]>();
  /** routing points' waiting calls and Ready agents, indexed (routing.ts) */
  readonly routing: RoutingIndex = new RoutingIndex(this);
  /** original call uuid -> its consultation calls' uuids, oldest first (set when a consultation starts) */
  readonly consultations = new Map<string, Set<string>>();

  readonly door: CommandDoor;
  readonly log: SwitchLog;
  /** set by the switch: which endpoints serve a leg */
  endpoints!: EndpointSelector;
  /** set by the switch: route queued calls (part of settle) */
  route: () => void = () => undefined;

  private seq = 0;
  /** call uuid -> the media inputs and matrix last sent */
  private lastMedia = new Map<string, { inputs: MediaInput[]; parties: MediaParty[] }>();
  /**
   * a leg's seq -> the view last sent to that leg (a seq names one party of one call: parties are
   * made only by addParty, each with the next seq, and never move to another call)
   */
  private lastCall = new Map<number, CallView>();
  /** call uuid -> the user-data snapshot its views last pointed at (shared by them) */
  private lastUserData = new Map<string, UserData>();
  /** call uuid -> the supervision settings its views were last rendered with (in full: flushCall) */
  private lastSettings = new Map<string, SupervisionSettings>();
  private lastDevice = new Map<string, DeviceView>();
  // what a command marked for its flush: marks.ts, not Sets (an emptied long-lived Set leaves a
  // table of old-space garbage per command); a call's UUID is forgotten when the call is gone
  private dirtyCalls = new MarkQueue<string>();
  /** the dirty calls whose only change since the last flush is their user data (touchUserData; touch takes a call out) */
  private userDataOnly = new MarkSet<string>();
  /** the devices to flush, each marked with how (DeviceTouch: the strongest touch since the last flush wins) */
  private dirtyDevices = new MarkQueue<string>();

  constructor(clock: Clock, ids: IdSource, log: SwitchLog) {
    this.clock = clock;
    this.ids = ids;
    this.log = log;
    this.door = new CommandDoor((route) => {
      if (route) this.route();
      this.flush();
    }, log);
  }

  onEvent(l: (e: SwitchEvent) => void): () => void {
    return this.door.onEvent(l);
  }

  emit(e: SwitchEvent): void {
    this.door.emit(e);
  }

  /** run fn after ms as a command of its own (through the door); returns a cancel function */
  timer(ms: number, name: string, fn: () => void): () => void {
    return this.clock.setTimer(ms, () => this.door.submit(name, fn));
  }

  /** a call event, with the userId logged in at the DN when there is one (no spread of a partial object per event) */
  private callEvent(dn: string, callUuid: string, notificationType: NotificationType, view: CallView): SwitchEvent {
    const userId = this.dns.get(dn)?.userId;
    return userId === undefined ? { kind: 'call', dn, callUuid, notificationType, view } : { kind: 'call', dn, userId, callUuid, notificationType, view };
  }

  /** a device event, with the userId logged in at the DN when there is one */
  private deviceEvent(dn: string, agentStateChanged: boolean, view: DeviceView): SwitchEvent {
    const userId = this.dns.get(dn)?.userId;
    return userId === undefined ? { kind: 'device', dn, agentStateChanged, view } : { kind: 'device', dn, userId, agentStateChanged, view };
  }

  // ------------------------------------------------------------------ endpoints (effects out)

  legRef(call: Call, p: Party): LegRef {
    return { callUuid: call.uuid, dn: p.dn, kind: p.kind === 'External' ? 'External' : 'Extension', contactCenterId: call.ccId };
  }

  /** Run one effect; an endpoint that throws is logged and does not undo the call model's decision. */
  effect(name: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ err, effect: name }, 'endpoint effect failed');
    }
  }

  /** Choose the endpoints of a new leg and offer it to them. */
  offer(call: Call, p: Party, offer: Offer): void {
    if (p.kind === 'RoutingPoint') return;
    const endpoint = this.endpoints.select({ dn: p.dn, kind: p.kind, contactCenterId: call.ccId });
    p.endpoint = endpoint;
    this.effect('offer', () => endpoint.offer(this.legRef(call, p), offer));
  }

  /** The party is now on another call (its old leg is released without a release effect). */
  moveLeg(from: Call, p: Party, to: Call, moved: Party): void {
    const endpoint = p.endpoint;
    p.endpoint = undefined;
    if (!endpoint) return;
    moved.endpoint = endpoint;
    this.effect('moveLeg', () => endpoint.moveLeg(this.legRef(from, p), this.legRef(to, moved)));
  }

  /** effects that concern the whole call (recording) go to every endpoints implementation */
  callEffect(name: string, fn: (e: Endpoints) => void): void {
    for (const endpoint of this.endpoints.all()) this.effect(name, () => fn(endpoint));
  }

  // ------------------------------------------------------------------ lookups

  cc(id: string): CcState {
    const c = this.ccs.get(id);
    if (!c) throw new Error(`unknown contact center ${id}`);
    return c;
  }


  isExternalNumber(n: string): boolean {
    return /^\+?\d+$/.test(n) && (n.startsWith('+') || n.length >= 7) && !this.dns.has(n);
  }

  partyOf(call: Call, dn: string): Party | undefined {
    return call.parties.find((p) => p.dn === dn && p.state !== PartyState.Released);
  }

  /** live legs of dn, oldest call first: O(calls of dn), from the legs index */
  liveCallsOf(dn: string): Call[] {
    return this.liveCallsIn(this.legs.get(dn), dn);
  }

  /** the calls waiting at a routing point (a party there not Released), oldest first: O(calls there) */
  liveCallsAtRoutingPoint(dn: string): Call[] {
    return this.liveCallsIn(this.routingPointLegs.get(dn), dn);
  }

  private liveCallsIn(set: Set<string> | undefined, dn: string): Call[] {
    if (!set) return [];
    const out: Call[] = [];
    for (const uuid of set) {
      const c = this.calls.get(uuid);
      if (c && this.partyOf(c, dn)) out.push(c);
    }
    return out;
  }

  /** non-supervisor parties that are not released */
  members(call: Call): Party[] {
    return call.parties.filter((p) => !p.sup && p.state !== PartyState.Released);
  }

  supervisors(call: Call): Party[] {
    return call.parties.filter((p) => p.sup && p.state !== PartyState.Released);
  }

  // ------------------------------------------------------------------ party bookkeeping

  addParty(call: Call, dn: string, kind: PartyKind, state: PartyState, extra: Partial<Party> = {}): Party {
    const p: Party = { seq: ++this.seq, dn, kind, state, muted: false, timers: [], everEstablished: state === 'Established', ...extra };
    call.parties.push(p);
    if (kind === 'Extension') {
      let s = this.legs.get(dn);
      if (!s) this.legs.set(dn, (s = new Set()));
      s.add(call.uuid);
      this.routing.agentChanged(dn);
    } else if (kind === 'RoutingPoint') {
      let s = this.routingPointLegs.get(dn);
      if (!s) this.routingPointLegs.set(dn, (s = new Set()));
      s.add(call.uuid);
    }
    this.touch(call);
    return p;
  }

  /**
   * The one place a party changes state (without marking the call: see setState). Checks the move
   * table; a released leg is released at its endpoint too.
   */
  move(call: Call, p: Party, state: PartyState, where: string): void {
    assertLegalMove(p.state, state, where);
    p.state = state;
    if (p.kind === 'Extension') this.routing.agentChanged(p.dn);
    if (state === PartyState.Established) p.everEstablished = true;
    if (state === PartyState.Released) {
      this.clearTimers(p);
      const endpoint = p.endpoint;
      p.endpoint = undefined;
      if (endpoint) this.effect('release', () => endpoint.release(this.legRef(call, p)));
    }
  }

  setState(call: Call, p: Party, state: PartyState): void {
    this.move(call, p, state, 'setState');
    if (state !== PartyState.Ringing && state !== PartyState.Dialing) this.clearTimers(p);
    this.touch(call);
  }

  clearTimers(p: Party): void {
    for (const t of p.timers) t();
    p.timers = [];
  }

  newCall(ccId: string, type: CallType, dnis: string, ani?: string): Call {
    const call: Call = {
      uuid: this.ids.callUuid(),
      connId: this.ids.connId(),
      ccId,
      type,
      ani,
      dnis,
      startedAt: this.clock.now(),
      parties: [],
      userData: {},
      rpWatchers: [],
      rejectedBy: new Set(),
      ended: false,
    };
    this.calls.set(call.uuid, call);
    return call;
  }

  /** index a consultation under its original call (so the original's end finds it without a scan) */
  linkConsultation(originalUuid: string, consultUuid: string): void {
    let set = this.consultations.get(originalUuid);
    if (!set) this.consultations.set(originalUuid, (set = new Set()));
    set.add(consultUuid);
  }

  // ------------------------------------------------------------------ emission

  /** Mark a call (and every other call of its DNs, whose capabilities may depend on it) for flush. */
  touch(call: Call): void {
    this.dirtyCalls.mark(call.uuid);
    if (this.userDataOnly.size > 0) this.userDataOnly.delete(call.uuid);
    for (const p of call.parties) {
      if (p.kind !== 'Extension') continue;
      const set = this.legs.get(p.dn);
      if (!set) continue;
      for (const u of set) {
        this.dirtyCalls.mark(u);
        if (this.userDataOnly.size > 0) this.userDataOnly.delete(u);
      }
    }
  }

  /**
   * Mark a call whose user data is all that changed (AttachUserData, UpdateUserData, the deletes):
   * its flush may give each leg its last view with the new user data (flushUserData). Nothing else
   * of any view depends on user data, so the call's other calls are not marked. A touch of the call
   * in the same command (before or after) takes it back to a full render.
   */
  touchUserData(call: Call): void {
    if (this.dirtyCalls.has(call.uuid)) return;
    this.dirtyCalls.mark(call.uuid);
    this.userDataOnly.add(call.uuid);
  }

  touchDevice(dn: string, touch: DeviceTouch = DeviceTouch.IfChanged): void {
    this.dirtyDevices.mark(dn, touch);
  }

  /** Emit what changed since the last flush, touched calls first (in touch order), then devices. */
  flush(): void {
    // each mark is taken out before it is flushed, and one made again meanwhile is flushed again
    // after the others (marks.ts): the same order as flushing a copy and then what was marked
    // meanwhile, without the copy
    for (let uuid = this.dirtyCalls.takeNext(); uuid !== undefined; uuid = this.dirtyCalls.takeNext()) this.flushCall(uuid);
    for (let dn = this.dirtyDevices.takeNext(); dn !== undefined; dn = this.dirtyDevices.takeNext()) this.flushDevice(dn, this.dirtyDevices.takenLevel as DeviceTouch);
  }

  private flushCall(uuid: string): void {
    const call = this.calls.get(uuid);
    if (!call) return this.forgetCall(uuid);
    if (this.userDataOnly.size > 0 && this.userDataOnly.delete(uuid) && this.flushUserData(call)) return;
    // every view of this call is rendered from one set of shared parts (one sort, one user-data snapshot)
    const parts = callParts(this, call, this.lastUserData.get(uuid));
    this.lastUserData.set(uuid, parts.userData);
    if (this.lastSettings.get(uuid) !== parts.settings) this.lastSettings.set(uuid, parts.settings);
    for (const p of parts.ordered) {
      if (p.kind !== 'Extension') {
        if (p.kind === 'RoutingPoint' && p.state === PartyState.Released && !this.partyOf(call, p.dn)) this.routingPointLegs.get(p.dn)?.delete(uuid);
        continue;
      }
      const view = callViewFrom(this, call, p, parts);
      const last = this.lastCall.get(p.seq);
      // an unchanged long participants list is the last view's (frozen): later comparisons of it,
      // here and by the presenters and text writers, end at === (a short one is cheaper to compare)
      if (last !== undefined && view.participants.length >= SHARED_PARTICIPANTS_FROM && last.participants !== view.participants && sameJson(last.participants, view.participants)) {
        view.participants = Object.freeze(last.participants);
      }
      const type = callChange(last, view);
      if (type !== undefined) {
        this.lastCall.set(p.seq, view);
        this.emit(this.callEvent(p.dn, uuid, type, view));
      }
      if (p.state === PartyState.Released) {
        this.lastCall.delete(p.seq);
        // the DN may have rejoined the same call in this step (e.g. routed back to it)
        if (!this.partyOf(call, p.dn)) this.legs.get(p.dn)?.delete(uuid);
      }
    }
    call.parties = call.parties.filter((p) => p.state !== PartyState.Released);
    const ending = call.ended || call.parties.length === 0;
    this.flushMedia(call, ending ? [] : mediaInputsOf(call));
    if (ending) {
      call.ended = true;
      for (const p of call.parties) this.clearTimers(p);
      this.calls.delete(uuid);
      this.lastMedia.delete(uuid);
      this.lastUserData.delete(uuid);
      this.lastSettings.delete(uuid);
      this.forgetCall(uuid);
    }
  }

  /** the call is gone: its UUID leaves the marks (a call touched after it ended is forgotten at its flush) */
  private forgetCall(uuid: string): void {
    this.dirtyCalls.forget(uuid);
    this.userDataOnly.forget(uuid);
  }

  /**
   * The flush of a call whose user data is all that changed since its last flush (touchUserData):
   * each leg's view is its last one with the new user-data snapshot and duration, which is what a
   * render would give, since no other input of a view changed (every other change touches the
   * call). A leg with no last view, a released leg, an ended call or changed supervision settings
   * (a configure does not touch calls) falls back to the full render (false). No media fact: user
   * data is not an input of the media function.
   */
  private flushUserData(call: Call): boolean {
    const settings = this.cc(call.ccId).settings.supervision;
    if (call.ended || call.parties.length === 0 || this.lastSettings.get(call.uuid) !== settings) return false;
    for (const p of call.parties) {
      if (p.kind === 'Extension' && (p.state === PartyState.Released || !this.lastCall.has(p.seq))) return false;
    }
    const previous = this.lastUserData.get(call.uuid);
    const userData = userDataSnapshot(call, previous);
    // the same content: nothing but the durations changed, which is no notification
    if (userData === previous) return true;
    this.lastUserData.set(call.uuid, userData);
    const duration = callDuration(this, call);
    for (const p of inJoinOrder(call.parties)) {
      if (p.kind !== 'Extension') continue;
      const last = this.lastCall.get(p.seq)!;
      // the participants list is now shared by two views: frozen, as flushCall shares a long one
      if (!Object.isFrozen(last.participants)) Object.freeze(last.participants);
      const view: CallView = { ...last, userData, duration };
      this.lastCall.set(p.seq, view);
      this.emit(this.callEvent(p.dn, call.uuid, NotificationType.AttachedDataChanged, view));
    }
    return true;
  }

  /** the media-changed fact: to the endpoints (the mixer) and to listeners; the matrix is recomputed only when its inputs changed */
  private flushMedia(call: Call, inputs: MediaInput[]): void {
    const last = this.lastMedia.get(call.uuid);
    if (last && sameJson(last.inputs, inputs)) return;
    const parties = mediaMatrix(inputs);
    this.lastMedia.set(call.uuid, { inputs, parties });
    if (sameMedia(last?.parties, parties)) return;
    for (const endpoint of this.endpoints.all()) this.effect('setMedia', () => endpoint.setMedia(call.uuid, parties));
    this.emit({ kind: 'media', callUuid: call.uuid, contactCenterId: call.ccId, parties });
  }

  private flushDevice(dn: string, touch: DeviceTouch): void {
    const view = deviceView(this, dn);
    if (!view) return;
    const last = this.lastDevice.get(dn);
    const change = deviceChange(last, view);
    if (!change && touch === DeviceTouch.IfChanged) return;
    // an agent-state request is always confirmed, and counts as an agent-state change
    const agentStateChanged = touch === DeviceTouch.AgentStateRequest || (change?.agentStateChanged ?? false);
    this.lastDevice.set(dn, view);
    this.emit(this.deviceEvent(dn, agentStateChanged, view));
  }

  /** An event outside the diff (DtmfSent, Error): flushes first so order is kept. */
  emitCallEvent(call: Call, dn: string, type: NotificationType, extra: { errorCode?: number; errorMessage?: string; digits?: string } = {}): void {
    this.flush();
    const p = call.parties.find((x) => x.dn === dn);
    if (!p) return;
    const view = callView(this, call, p);
    this.emit({ ...this.callEvent(dn, call.uuid, type, view), ...extra });
  }

  // ------------------------------------------------------------------ call pairs

  /** dn's other live call (a DN has at most two: original and consult, or held and active) */
  otherCall(call: Call, dn: string): Call | undefined {
    return this.liveCallsOf(dn).find((c) => c !== call);
  }

  /** if a and b are an original/consult pair created by dn, say which is which */
  consultPairOf(dn: string, a: Call, b: Call): { original: Call; consult: Call } | undefined {
    if (a.parentUuid === b.uuid && a.consultOwner === dn) return { original: b, consult: a };
    if (b.parentUuid === a.uuid && b.consultOwner === dn) return { original: a, consult: b };
    return undefined;
  }

  agentIdle(d: DnState): boolean {
    return this.liveCallsOf(d.config.number).length === 0;
  }

}
