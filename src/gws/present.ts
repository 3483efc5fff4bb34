/**
 * Presenters: domain views → GWS JSON, with no logic beyond naming. Devices (gws-voice-api.md 3.1),
 * calls (3.4), the user (1.7), the voice channel state, features, agent-state settings and
 * contacts (1.8). The same functions serve GETs and CometD notifications, so both always agree.
 * Capabilities are filtered here by the viewer's role and contact-center features.
 */
import type { DeviceRecord, UserRecord } from '../store/port.js';
import type { CallView, DeviceView } from '../switch/model.js';
import type { UserStateJson } from './agent-states.js';
import { LOGGED_OUT_USER_STATE, userStateOf } from './agent-states.js';
import { callCapabilitiesFor } from './call-ops.js';
import { deviceCapabilitiesFor } from './device-ops.js';
import type { CenterEntry, Directory } from './directory.js';
import type { Principal } from './gates.js';
import type { Urls } from './urls.js';

export interface PresentDeps {
  urls: Urls;
  directory: Directory;
}

export type Json = Record<string, unknown>;

type CapabilityFilter = (caps: readonly string[], who: Principal) => string[];

/** What one principal keeps: each capability's answer, and the kept lists of shared (frozen) input lists. */
interface KeptCapabilities {
  byCapability: Map<string, boolean>;
  lists: WeakMap<readonly string[], readonly string[]>;
}

/** filter -> the center's feature set -> the user's role list -> what is kept */
const keptCapabilities = new WeakMap<CapabilityFilter, WeakMap<ReadonlySet<string>, WeakMap<readonly string[], KeptCapabilities>>>();

/**
 * `filter(caps, who)` (an operations table's *CapabilitiesFor), from a memo: such a filter keeps or
 * drops each capability on its own, so whether a capability is kept is decided once per principal
 * (its feature set and role list are the directory's own objects, never changed once built; a
 * principal built of fresh objects only misses the memo) instead of once per rendered view. A
 * frozen input list (the switch's device lists are: capabilities.ts) cannot change, so its kept
 * list is itself kept, frozen, and shared by every view of that principal.
 */
function capabilitiesFor(filter: CapabilityFilter, caps: readonly string[], who: Principal): readonly string[] {
  let byFeatures = keptCapabilities.get(filter);
  if (!byFeatures) keptCapabilities.set(filter, (byFeatures = new WeakMap()));
  let byRoles = byFeatures.get(who.features);
  if (!byRoles) byFeatures.set(who.features, (byRoles = new WeakMap()));
  let kept = byRoles.get(who.roles);
  if (!kept) byRoles.set(who.roles, (kept = { byCapability: new Map(), lists: new WeakMap() }));
  const list = kept.lists.get(caps);
  if (list !== undefined) return list;
  const out: string[] = [];
  for (const c of caps) {
    let keep = kept.byCapability.get(c);
    if (keep === undefined) kept.byCapability.set(c, (keep = filter([c], who).length === 1));
    if (keep) out.push(c);
  }
  if (!Object.isFrozen(caps)) return out;
  const shared = Object.freeze(out);
  kept.lists.set(caps, shared);
  return shared;
}

/** the channels of a device: voice only (shared and frozen, as its capabilities) */
const DEVICE_CHANNELS: readonly string[] = Object.freeze(['voice']);

export function presentDevice(deps: PresentDeps, cc: CenterEntry, device: DeviceRecord, view: DeviceView | undefined, who: Principal): Json {
  const out: Json = {
    id: device.id,
    deviceState: view?.loggedIn ? 'Active' : 'Inactive',
    userState: view ? userStateOf(cc, view.agentState) : LOGGED_OUT_USER_STATE,
    phoneNumber: device.dn,
    e164Number: device.dn,
    telephonyNetwork: 'Private',
    doNotDisturb: view?.dnd ? 'On' : 'Off',
  };
  if (view?.forwardTo) out.forwardTo = view.forwardTo;
  out.voiceEnvironmentUri = deps.urls.voiceEnvironment(cc.voiceEnvironmentId);
  out.capabilities = capabilitiesFor(deviceCapabilitiesFor, view?.capabilities ?? [], who);
  out.channels = DEVICE_CHANNELS;
  const m = view?.monitoring;
  if (m) {
    const state: Json = { state: m.state, mode: m.mode, scope: m.scope };
    const target = m.targetIsRoutingPoint ? undefined : deps.directory.deviceByDn(m.targetDn);
    if (target) state.targetDeviceUri = deps.urls.device(target.id);
    else state.targetPhoneNumber = m.targetDn;
    out.supervisorMonitoringState = state;
  }
  return out;
}

/**
 * A participant as GWS shows it: e164Number is "" for internal DNs, the number for external ones.
 * It is a function of the number and of whether the directory has a device for it, so each such
 * pair has one object, frozen and shared by every view that lists it (a call with N viewers lists
 * N participant objects, not N², and a leg's next message lists the very objects of its last one:
 * call-text.ts compares them by identity). Kept in two bounded maps, emptied when full.
 */
export function presentParticipant(directory: Directory, n: string): Json {
  const internal = directory.deviceByDn(n) !== undefined;
  const kept = internal ? INTERNAL_PARTICIPANTS : EXTERNAL_PARTICIPANTS;
  let participant = kept.get(n);
  if (participant === undefined) {
    if (kept.size >= PARTICIPANTS_KEPT) kept.clear();
    participant = Object.freeze({ phoneNumber: n, digits: n, formattedPhoneNumber: n, e164Number: internal ? '' : n });
    kept.set(n, participant);
  }
  return participant;
}

/** presentParticipant's shared objects, by number: of the directory's DNs, and of other numbers */
const INTERNAL_PARTICIPANTS = new Map<string, Readonly<Json>>();
const EXTERNAL_PARTICIPANTS = new Map<string, Readonly<Json>>();
const PARTICIPANTS_KEPT = 8192;

/** A call as `dn` sees it (its participants are presentParticipant's shared objects). */
export function presentCall(deps: PresentDeps, dn: string, view: CallView, who: Principal): Json {
  const device = deps.directory.deviceByDn(dn);
  const id = view.callUuid;
  const out: Json = {
    id,
    state: view.state,
    callUuid: view.callUuid,
    connId: view.connId,
    deviceUri: device ? deps.urls.device(device.id) : undefined,
    participants: presentParticipants(deps.directory, view.participants),
  };
  if (view.ani !== undefined) out.ani = view.ani;
  out.dnis = view.dnis;
  out.callType = view.callType;
  out.capabilities = capabilitiesFor(callCapabilitiesFor, view.capabilities, who);
  const userData = presentUserData(view);
  if (userData !== undefined) out.userData = userData;
  out.duration = String(view.duration);
  out.mute = view.muted ? 'On' : 'Off';
  if (view.recordingState) out.recordingState = view.recordingState;
  out.supervisorListeningIn = view.supervisorListeningIn;
  out.monitoredUserMuted = view.monitoredUserMuted;
  out.monitoring = view.monitoring;
  if (view.parentCallUuid) {
    out.parentCallUri = deps.urls.call(view.parentCallUuid);
    out.parentCallPath = `/calls/${view.parentCallUuid}`;
  }
  out.uri = deps.urls.call(id);
  out.path = `/calls/${id}`;
  return out;
}

/** a call's user data as a message shows it: a copy, or nothing when the call has none */
export function presentUserData(view: CallView): Json | undefined {
  // one key is enough to know it is not empty (no array of keys per message, as Object.keys makes)
  for (const _key in view.userData) return { ...view.userData };
  return undefined;
}

/**
 * Do two views of one leg differ only in their user data and duration? Every other member is
 * compared by identity, so only a view made from the other (the switch's user-data flush copies the
 * last view: core.ts flushUserData) passes; a fresh render fails, which is always safe. (Not
 * call-text.ts sameBesideUserData, which compares presented calls by JSON value to reuse a text:
 * this one decides whether a presentation may be skipped, so it accepts only what it can prove.)
 */
export function viewsDifferOnlyInUserData(before: CallView, after: CallView): boolean {
  for (const key in after) {
    if (key === 'userData' || key === 'duration') continue;
    if ((before as unknown as Json)[key] !== (after as unknown as Json)[key]) return false;
  }
  for (const key in before) if (!(key in after)) return false;
  return true;
}

/**
 * A presented call (presentCall's, or a part of it in its order) again for a view that differs from
 * the one it was presented from only in its user data and duration (viewsDifferOnlyInUserData):
 * the same members in the same order, the new user data (when the call has any) right before the
 * duration, as presentCall writes them. What a presentCall of the new view gives, without its work.
 */
export function withUserDataOf(presented: Json, view: CallView): Json {
  const userData = presentUserData(view);
  // both with user data: a copy keeps every member's place (the fast clone of the object's shape)
  if (userData !== undefined && presented.userData !== undefined) return { ...presented, userData, duration: String(view.duration) };
  const out: Json = {};
  for (const key in presented) {
    if (key === 'userData') continue;
    if (key === 'duration') {
      if (userData !== undefined) out.userData = userData;
      out.duration = String(view.duration);
    } else out[key] = presented[key];
  }
  return out;
}

/** a frozen numbers list's presented participants, with the directory and generation they were read at */
interface PresentedList {
  directory: Directory;
  generation: number;
  list: readonly Json[];
}

/** by the switch's frozen participants lists (a leg's unchanged list is shared by its views: core.ts flushCall) */
const PRESENTED_LISTS = new WeakMap<readonly string[], PresentedList>();

/**
 * The participants of a call view (a loop, not a closure per call for map). A frozen numbers list
 * cannot change (the switch shares and freezes long ones only), so its presented list is kept,
 * frozen, and given again while the directory has not been loaded since (its generation): a leg's next
 * message lists the very same list.
 */
function presentParticipants(directory: Directory, numbers: readonly string[]): readonly Json[] {
  const keepable = Object.isFrozen(numbers);
  const kept = keepable ? PRESENTED_LISTS.get(numbers) : undefined;
  if (kept !== undefined && kept.directory === directory && kept.generation === directory.generation) return kept.list;
  const out = new Array<Json>(numbers.length);
  for (let i = 0; i < numbers.length; i++) out[i] = presentParticipant(directory, numbers[i]);
  if (!keepable) return out;
  const list = Object.freeze(out);
  PRESENTED_LISTS.set(numbers, { directory, generation: directory.generation, list });
  return list;
}

/** a copy of user settings (objects of flat values), cheaper than structuredClone on every GET /api/v2/me */
function copySettings(settings: CenterEntry['userSettings']): CenterEntry['userSettings'] {
  const out: CenterEntry['userSettings'] = {};
  for (const [section, values] of Object.entries(settings)) out[section] = { ...values };
  return out;
}

export function presentUser(urls: Urls, user: UserRecord, cc: CenterEntry): Json {
  return {
    id: user.id,
    userName: user.userName,
    firstName: user.firstName,
    lastName: user.lastName,
    emailAddress: user.emailAddress,
    roles: [...user.roles],
    enabled: user.enabled,
    changePasswordOnFirstLogin: false,
    contactCenterId: cc.id,
    settings: copySettings(cc.userSettings),
    uri: urls.user(user.id),
    path: `/users/${user.id}`,
  };
}

/** the voice channel's state (ChannelStateChangeMessageV2 entries and user.channels) */
export function presentVoiceChannel(cc: CenterEntry, view: DeviceView | undefined): Json {
  const userState: Readonly<UserStateJson> = view ? userStateOf(cc, view.agentState) : LOGGED_OUT_USER_STATE;
  return { channel: 'voice', userState, dndState: view?.dnd ? 'On' : 'Off' };
}

/** What each feature is, for GET /api/v2/features. */
export const FEATURE_INFO: Readonly<Record<string, { displayName: string; description: string }>> = {
  'api-voice': { displayName: 'Voice API', description: 'Voice channel: agent state, devices and calls' },
  'api-supervisor-monitoring': { displayName: 'Supervisor monitoring', description: 'Supervisors listen in, coach and barge in on agents' },
  'api-supervisor-agent-control': { displayName: 'Supervisor agent control', description: "Supervisors change agents' states" },
  'api-supervisor-recording': { displayName: 'Supervisor recording', description: 'Call recording API for supervisors' },
  'api-voice-recording': { displayName: 'Voice recording', description: 'Start, pause, resume and stop call recording' },
  'api-provisioning-read': { displayName: 'Provisioning (read)', description: 'Read provisioning resources' },
  'api-provisioning-write': { displayName: 'Provisioning (write)', description: 'Change provisioning resources' },
};

export function presentFeature(urls: Urls, id: string): Json {
  const info = FEATURE_INFO[id];
  const out: Json = { id, displayName: info?.displayName ?? id };
  if (info?.description) out.description = info.description;
  out.uri = urls.feature(id);
  out.path = `/features/${id}`;
  return out;
}

export interface ContactAvailability {
  view: DeviceView | undefined;
  onCall: boolean;
}

export function presentContact(urls: Urls, cc: CenterEntry, user: UserRecord, devices: DeviceRecord[], avail: ContactAvailability): Json {
  const first = devices[0];
  const view = avail.view;
  const ready = !!view?.loggedIn && view.agentState.state === 'Ready' && !view.dnd;
  const channels = first
    ? [{
        channel: 'voice',
        available: ready && !avail.onCall,
        phoneNumber: first.dn,
        userActivity: avail.onCall ? 'Busy' : 'Idle',
        userState: view ? userStateOf(cc, view.agentState) : LOGGED_OUT_USER_STATE,
      }]
    : [];
  const name = `${user.firstName} ${user.lastName}`.trim() || user.userName;
  return {
    id: user.id,
    name,
    type: 'User',
    userName: user.userName,
    firstName: user.firstName,
    lastName: user.lastName,
    emailAddress: user.emailAddress,
    phoneNumbers: devices.map((d) => ({ phoneNumber: d.dn, description: 'Extension', switchName: 'Switchboard' })),
    availability: { channels },
    businessUnits: [],
    roles: [...user.roles],
    uri: urls.contact(user.id),
    path: `/contacts/${user.id}`,
  };
}
