/**
 * Views: what one DN sees of a call or of its device, and who hears whom on a call. Pure reads of
 * the switch state; the capability tables and the media function do the deciding. Every view the
 * switch emits or answers comes from here, so notifications and GETs cannot disagree.
 */
import { callCapabilities, deviceCapabilities } from './capabilities.js';
import type { LegSituation } from './capabilities.js';
import type { Call, Party, SwitchCore } from './core.js';
import { mediaMatrix } from './media.js';
import type { MediaInput } from './media.js';
import { MonitorMode, PartyState } from './model.js';
import type { CallView, DeviceView, MediaParty, SupervisionSettings, UserData } from './model.js';
import { sameJson } from './emission.js';

/**
 * What every view of one call shares, computed once per call per flush (so a call with N viewers
 * costs N renders, not N renders of the whole call each): the parties in join order, the live ones
 * and their DNs, the members (non-supervisors) and one user-data snapshot that every view of this
 * render points at (`userData`: views share it and nobody mutates it).
 */
export interface CallParts {
  settings: SupervisionSettings;
  /** every party, released ones included, in join order (the call's own list when it is in that order: read only) */
  ordered: readonly Party[];
  /** parties not released, in join order, and their DNs */
  live: Party[];
  liveDns: string[];
  /** party -> its index in live */
  liveIndex: Map<Party, number>;
  /** the members (non-supervisors that are not released) */
  members: Party[];
  /** agent DNs a connected ListenIn supervisor monitors */
  listenedTo: Set<string>;
  userData: UserData;
}

/** The shared parts of a call's views; `userData` is `previous` when it has the same content (so views compare by reference). */
export function callParts(core: SwitchCore, call: Call, previous?: UserData): CallParts {
  const ordered = inJoinOrder(call.parties);
  const live: Party[] = [];
  const liveDns: string[] = [];
  const liveIndex = new Map<Party, number>();
  const members: Party[] = [];
  const listenedTo = new Set<string>();
  for (const p of ordered) {
    if (p.state === PartyState.Released) continue;
    liveIndex.set(p, live.length);
    live.push(p);
    liveDns.push(p.dn);
    if (!p.sup) {
      members.push(p);
    } else if (p.sup.mode === MonitorMode.ListenIn && p.sup.monitoredDn !== undefined && p.state === PartyState.Established) {
      listenedTo.add(p.sup.monitoredDn);
    }
  }
  return { settings: core.cc(call.ccId).settings.supervision, ordered, live, liveDns, liveIndex, members, listenedTo, userData: userDataSnapshot(call, previous) };
}

/** The user-data snapshot the call's views point at: `previous` while it has the same content, else a copy. */
export function userDataSnapshot(call: Call, previous: UserData | undefined): UserData {
  return previous !== undefined && sameJson(previous, call.userData) ? previous : { ...call.userData };
}

/** A call's duration as its views show it: whole seconds since it started. */
export function callDuration(core: SwitchCore, call: Call): number {
  return Math.max(0, Math.floor((core.clock.now() - call.startedAt) / 1000));
}

/** the parties by seq: the list itself when it is already in that order (parties are appended as they join), else a sorted copy */
export function inJoinOrder(parties: readonly Party[]): readonly Party[] {
  for (let i = 1; i < parties.length; i++) if (parties[i - 1].seq > parties[i].seq) return [...parties].sort((a, b) => a.seq - b.seq);
  return parties;
}

/** a released leg's capabilities (shared, like every capability list) */
const NO_CAPABILITIES: readonly string[] = Object.freeze([]);

/** What `viewer` sees of the call now (a GET, or an event outside the diff): a render of its own. */
export function callView(core: SwitchCore, call: Call, viewer: Party): CallView {
  return callViewFrom(core, call, viewer, callParts(core, call));
}

/** What `viewer` sees of the call, from the call's shared parts. */
export function callViewFrom(core: SwitchCore, call: Call, viewer: Party, parts: CallParts): CallView {
  const settings = parts.settings;
  let participants: string[];
  let listeningIn = false;
  if (viewer.state === PartyState.Released) {
    // a released leg still shows the parties that left in the same step (the call as it ended)
    const others = parts.ordered.filter((p) => p !== viewer);
    participants = (viewer.sup ? others : others.filter((p) => visibleToAgent(settings, p, viewer))).map((p) => p.dn);
  } else if (viewer.sup) {
    const i = parts.liveIndex.get(viewer)!;
    participants = parts.liveDns.slice(0, i).concat(parts.liveDns.slice(i + 1));
  } else {
    participants = [];
    for (const p of parts.live) if (p !== viewer && visibleToAgent(settings, p, viewer)) participants.push(p.dn);
  }
  if (!viewer.sup) {
    // only a connected agent is listened to (not while its leg rings)
    listeningIn =
      settings.notifyAgent === 'always' &&
      (viewer.state === PartyState.Established || viewer.state === PartyState.Held) &&
      parts.listenedTo.has(viewer.dn);
  }
  const released = viewer.state === PartyState.Released;
  const view: CallView = {
    callUuid: call.uuid,
    connId: call.connId,
    state: viewer.state,
    callType: call.type,
    dnis: viewer.sup ? (viewer.sup.monitoredDn ?? viewer.sup.config.targetDn) : call.dnis,
    participants,
    userData: parts.userData,
    duration: callDuration(core, call),
    muted: viewer.sup ? viewer.sup.mode === MonitorMode.ListenIn || viewer.muted : viewer.muted,
    supervisorListeningIn: listeningIn,
    monitoredUserMuted: viewer.sup?.monitoredUserMuted ?? false,
    monitoring: !!viewer.sup,
    capabilities: released ? NO_CAPABILITIES : callCapabilities(situation(core, call, viewer, parts.members)),
  };
  if (call.ani !== undefined) view.ani = call.ani;
  if (call.recording) view.recordingState = call.recording;
  if (call.parentUuid) view.parentCallUuid = call.parentUuid;
  return view;
}

/** an agent sees a supervisor only in BargeIn, or in Coach of this agent, unless notifyAgent is never */
function visibleToAgent(settings: SupervisionSettings, p: Party, viewer: Party): boolean {
  if (!p.sup) return true;
  if (settings.notifyAgent === 'never') return false;
  if (p.sup.mode === MonitorMode.BargeIn) return true;
  return p.sup.mode === MonitorMode.Coach && p.sup.monitoredDn === viewer.dn;
}

/**
 * What `viewer` may do on the call now: its view's capabilities, without rendering the view (the
 * operations' refusal check).
 */
export function legCapabilities(core: SwitchCore, call: Call, viewer: Party): readonly string[] {
  return viewer.state === PartyState.Released ? NO_CAPABILITIES : callCapabilities(situation(core, call, viewer, core.members(call)));
}

/** the facts that decide a leg's capabilities; `members`: the call's members (non-supervisors not released) */
function situation(core: SwitchCore, call: Call, viewer: Party, members: readonly Party[]): LegSituation {
  const s: LegSituation = {
    state: viewer.state,
    supervisorMode: viewer.sup?.mode,
    monitoredUserMuted: viewer.sup?.monitoredUserMuted ?? false,
    muted: viewer.muted,
    recording: call.recording,
    conference: members.length >= 3,
    conferenceOwner: call.conferenceOwner === viewer.dn,
    consultPair: false,
    ...(viewer.notAnswerable ? { answerable: false } : {}),
  };
  if (viewer.sup) {
    const agent = viewer.sup.monitoredDn;
    s.hasMonitoredAgent = agent !== undefined && isMember(members, agent);
    return s;
  }
  const other = core.otherCall(call, viewer.dn);
  if (other) {
    s.otherLeg = core.partyOf(other, viewer.dn)?.state;
    const pair = core.consultPairOf(viewer.dn, call, other);
    if (pair) {
      s.consultPair = true;
      s.consultTarget = consultTargetState(core, pair.consult, viewer.dn);
    }
  }
  return s;
}

/** is dn among the members (a loop: no closure per supervisor's view) */
function isMember(members: readonly Party[], dn: string): boolean {
  for (const p of members) if (p.dn === dn) return true;
  return false;
}

/** state of the far end of a consult call (the best state among the other members) */
function consultTargetState(core: SwitchCore, consult: Call, ownerDn: string): PartyState | undefined {
  const far = core.members(consult).filter((p) => p.dn !== ownerDn);
  if (far.some((p) => p.state === PartyState.Established)) return PartyState.Established;
  return far[0]?.state;
}

export function deviceView(core: SwitchCore, dn: string): DeviceView | undefined {
  const d = core.dns.get(dn);
  if (!d || d.config.kind !== 'Extension') return undefined;
  const v: DeviceView = {
    dn,
    contactCenterId: d.config.contactCenterId,
    loggedIn: d.loggedIn,
    agentState: { ...d.agentState },
    dnd: d.dnd,
    capabilities: deviceCapabilities({ dnd: d.dnd, forwarding: !!d.forwardTo, monitoringArmed: !!d.monitor }),
  };
  if (d.userId) v.userId = d.userId;
  if (d.forwardTo) v.forwardTo = d.forwardTo;
  if (d.monitor) {
    v.monitoring = {
      state: d.monitor.mode,
      mode: d.monitor.span,
      scope: d.monitor.scope,
      targetDn: d.monitor.targetDn,
      targetIsRoutingPoint: d.monitor.targetIsRoutingPoint,
    };
  }
  return v;
}

/** What the media function needs of each live party, in join order (equal inputs give an equal matrix). */
export function mediaInputsOf(call: Call): MediaInput[] {
  const live = inJoinOrder(call.parties).filter((p) => p.state !== PartyState.Released);
  const mutedAgents = new Set(
    live.filter((p) => p.sup?.monitoredUserMuted && p.sup.monitoredDn).map((p) => p.sup!.monitoredDn!),
  );
  return live.map((p) => ({
    phoneNumber: p.dn,
    present: p.state === PartyState.Established,
    muted: p.muted,
    supervisor: p.sup ? { mode: p.sup.mode, monitoredPhoneNumber: p.sup.monitoredDn } : undefined,
    mutedByMonitor: !p.sup && mutedAgents.has(p.dn),
  }));
}

export function mediaOf(_core: SwitchCore, call: Call): MediaParty[] {
  return mediaMatrix(mediaInputsOf(call));
}
