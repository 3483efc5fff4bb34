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
import type { CallView, DeviceView, MediaParty } from './model.js';

export function callView(core: SwitchCore, call: Call, me: Party): CallView {
  const settings = core.cc(call.ccId).settings.supervision;
  // a released leg still shows the parties that left in the same step (the call as it ended)
  const others = call.parties
    .filter((p) => p !== me && (me.state === PartyState.Released || p.state !== PartyState.Released))
    .sort((a, b) => a.seq - b.seq);
  let participants: Party[];
  let listeningIn = false;
  if (me.sup) {
    participants = others;
  } else {
    participants = others.filter((p) => {
      if (!p.sup) return true;
      if (settings.notifyAgent === 'never') return false;
      if (p.sup.mode === MonitorMode.BargeIn) return true;
      return p.sup.mode === MonitorMode.Coach && p.sup.monitoredDn === me.dn;
    });
    // only a connected agent is listened to (not while its leg rings)
    listeningIn =
      settings.notifyAgent === 'always' &&
      (me.state === PartyState.Established || me.state === PartyState.Held) &&
      others.some((p) => p.sup && p.sup.mode === MonitorMode.ListenIn && p.sup.monitoredDn === me.dn && p.state === PartyState.Established);
  }
  const released = me.state === PartyState.Released;
  const view: CallView = {
    callUuid: call.uuid,
    connId: call.connId,
    state: me.state,
    callType: call.type,
    dnis: me.sup ? (me.sup.monitoredDn ?? me.sup.config.targetDn) : call.dnis,
    participants: participants.map((p) => p.dn),
    userData: { ...call.userData },
    duration: Math.max(0, Math.floor((core.clock.now() - call.startedAt) / 1000)),
    muted: me.sup ? me.sup.mode === MonitorMode.ListenIn || me.muted : me.muted,
    supervisorListeningIn: listeningIn,
    monitoredUserMuted: me.sup?.monitoredUserMuted ?? false,
    monitoring: !!me.sup,
    capabilities: released ? [] : callCapabilities(situation(core, call, me)),
  };
  if (call.ani !== undefined) view.ani = call.ani;
  if (call.recording) view.recordingState = call.recording;
  if (call.parentUuid) view.parentCallUuid = call.parentUuid;
  return view;
}

function situation(core: SwitchCore, call: Call, me: Party): LegSituation {
  const members = core.members(call);
  const s: LegSituation = {
    state: me.state,
    supervisorMode: me.sup?.mode,
    monitoredUserMuted: me.sup?.monitoredUserMuted ?? false,
    muted: me.muted,
    recording: call.recording,
    conference: members.length >= 3,
    conferenceOwner: call.conferenceOwner === me.dn,
    consultPair: false,
  };
  if (me.sup) {
    const agent = me.sup.monitoredDn;
    s.hasMonitoredAgent = agent !== undefined && members.some((p) => p.dn === agent);
    return s;
  }
  const other = core.otherCall(call, me.dn);
  if (other) {
    s.otherLeg = core.partyOf(other, me.dn)?.state;
    const pair = core.consultPairOf(me.dn, call, other);
    if (pair) {
      s.consultPair = true;
      s.consultTarget = consultTargetState(core, pair.consult, me.dn);
    }
  }
  return s;
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

export function mediaOf(core: SwitchCore, call: Call): MediaParty[] {
  const live = call.parties.filter((p) => p.state !== PartyState.Released).sort((a, b) => a.seq - b.seq);
  const mutedAgents = new Set(
    live.filter((p) => p.sup?.monitoredUserMuted && p.sup.monitoredDn).map((p) => p.sup!.monitoredDn!),
  );
  const inputs: MediaInput[] = live.map((p) => ({
    phoneNumber: p.dn,
    present: p.state === PartyState.Established,
    muted: p.muted,
    supervisor: p.sup ? { mode: p.sup.mode, monitoredPhoneNumber: p.sup.monitoredDn } : undefined,
    mutedByMonitor: !p.sup && mutedAgents.has(p.dn),
  }));
  return mediaMatrix(inputs);
}
