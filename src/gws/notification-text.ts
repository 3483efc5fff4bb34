/**
 * Notification texts written from kept fragments: the JSON text of each CometD message the
 * notifier publishes (device, voice channel and call messages), attached to the message object with
 * `withJsonText` so that Bayeux puts it on the wire instead of `JSON.stringify`-ing the object
 * (which costs 3–5 µs for a 380-byte device message on this Node, and ~50 µs for a 15 KB call
 * message listing 101 parties). The message objects themselves are built by the presenters
 * (present.ts) exactly as before; this file only spells them.
 *
 * Rules (a change must keep them):
 *   - Every text written here is exactly `JSON.stringify` of the object it is attached to: same key
 *     order (the writers walk the presented object's own keys, except the device writer, whose fixed
 *     order is checked against the object's key count), same escaping (every string is written by
 *     `JSON.stringify` or taken from a cache of such texts), undefined members left out.
 *     test/unit/notification-text.test.ts compares the two on random views for every message kind;
 *     a presenter that changes a message's fields must keep that test passing.
 *   - No stale text can be sent. A fragment is reused only when it cannot differ from what it
 *     spells: either it is validated, at every use, against the very values it was written from
 *     (`===` on strings: the device fragments), or it is keyed by the identity of an object that
 *     nobody mutates after it is built (the participant objects of one emission, notifier.ts; the
 *     user-data snapshot a flush shares between views, switch/views.ts `CallParts`), so the key's
 *     life is the text's life (WeakMaps: nothing is kept after the object is gone).
 *   - A writer that meets a value it does not know how to spell returns undefined, and the message
 *     goes out without a text (Bayeux serialises it as before): a text is an optimisation, never a
 *     second source of truth.
 */
import type { DeviceRecord } from '../store/port.js';
import { jsonTextOf, withJsonText } from '../bayeux/json-text.js';
import type { Json } from './present.js';

/** JSON texts of short strings that recur in every message (states, capability names, DNs); bounded */
const QUOTED = new Map<string, string>();
const QUOTED_MAX = 4096;

/** `JSON.stringify(s)` of a string, from a bounded cache (for values drawn from a small set) */
export function quoted(s: string): string {
  let text = QUOTED.get(s);
  if (text === undefined) {
    if (QUOTED.size >= QUOTED_MAX) QUOTED.clear();
    QUOTED.set(s, (text = JSON.stringify(s)));
  }
  return text;
}

/** `"key":` texts, by key (object keys are a small fixed set) */
const KEYS = new Map<string, string>();

function keyText(key: string): string {
  let text = KEYS.get(key);
  if (text === undefined) KEYS.set(key, (text = JSON.stringify(key) + ':'));
  return text;
}

/** texts of objects of other layers that nobody mutates once built (see the rules above), by identity */
const IDENTITY_TEXTS = new WeakMap<object, string>();

/** `JSON.stringify(o)` of an immutable object of another layer (the switch's user-data snapshot), written once per object */
function identityText(o: object): string {
  let text = IDENTITY_TEXTS.get(o);
  if (text === undefined) IDENTITY_TEXTS.set(o, (text = JSON.stringify(o)));
  return text;
}

/**
 * `JSON.stringify(o)` of an immutable object this layer built and shares (a participant of one
 * emission), written once and kept on the object itself (json-text.ts: a symbol, invisible to JSON).
 */
function ownText(o: object): string {
  const kept = jsonTextOf(o);
  if (kept !== undefined) return kept;
  const text = JSON.stringify(o);
  withJsonText(o, text);
  return text;
}

/** a list of strings drawn from a small set (capabilities, channels), or undefined for anything else */
function tokenListText(list: unknown): string | undefined {
  if (!Array.isArray(list)) return undefined;
  let out = '[';
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    if (typeof item !== 'string') return undefined;
    out += i === 0 ? quoted(item) : ',' + quoted(item);
  }
  return out + ']';
}

/**
 * The text of a plain object, its own keys in order, undefined members left out; `special(key,
 * value)` may write a member's value (undefined: the generic spelling). Generic values: strings
 * through `JSON.stringify` (`quoted` for `tokens`), booleans, the rest through `JSON.stringify`.
 */
function objectText(o: Json, tokens: ReadonlySet<string>, special?: (key: string, value: unknown) => string | undefined): string {
  let out = '';
  for (const key of Object.keys(o)) {
    const value = o[key];
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol') continue;
    let text = special?.(key, value);
    if (text === undefined) {
      if (typeof value === 'string') text = tokens.has(key) ? quoted(value) : JSON.stringify(value);
      else if (typeof value === 'boolean') text = value ? 'true' : 'false';
      else text = JSON.stringify(value);
    }
    out += (out === '' ? '{' : ',') + keyText(key) + text;
  }
  return out === '' ? '{}' : out + '}';
}

/** members of a userState and of a voice channel whose values come from a small set */
const STATE_TOKENS: ReadonlySet<string> = new Set(['id', 'displayName', 'state', 'workMode', 'reason', 'channel', 'dndState']);

/** a userState object (agent-states.ts userStateOf: flat strings, key order depending on the definition) */
function userStateText(state: unknown): string | undefined {
  if (typeof state !== 'object' || state === null || Array.isArray(state)) return undefined;
  return objectText(state as Json, STATE_TOKENS, (_key, value) => (typeof value === 'string' ? undefined : JSON.stringify(value)));
}

/** The per-device fragments of a presented device: the members that do not change with its state. */
interface DeviceFragments {
  id: string;
  phoneNumber: string;
  e164Number: string;
  telephonyNetwork: string;
  voiceEnvironmentUri: string;
  /** `{"id":…,"deviceState":` */
  head: string;
  /** `,"phoneNumber":…,"e164Number":…,"telephonyNetwork":…,"doNotDisturb":` */
  numbers: string;
  /** `,"voiceEnvironmentUri":…,"capabilities":` */
  environment: string;
}

/** by device record; each use checks the fragments against the presented values (see the rules) */
const DEVICE_FRAGMENTS = new WeakMap<DeviceRecord, DeviceFragments>();

function deviceFragments(device: DeviceRecord, d: Json): DeviceFragments | undefined {
  const { id, phoneNumber, e164Number, telephonyNetwork, voiceEnvironmentUri } = d;
  const kept = DEVICE_FRAGMENTS.get(device);
  if (
    kept &&
    kept.id === id &&
    kept.phoneNumber === phoneNumber &&
    kept.e164Number === e164Number &&
    kept.telephonyNetwork === telephonyNetwork &&
    kept.voiceEnvironmentUri === voiceEnvironmentUri
  ) {
    return kept;
  }
  if (typeof id !== 'string' || typeof phoneNumber !== 'string' || typeof e164Number !== 'string') return undefined;
  if (typeof telephonyNetwork !== 'string' || typeof voiceEnvironmentUri !== 'string') return undefined;
  const written: DeviceFragments = {
    id,
    phoneNumber,
    e164Number,
    telephonyNetwork,
    voiceEnvironmentUri,
    head: `{"id":${JSON.stringify(id)},"deviceState":`,
    numbers: `,"phoneNumber":${JSON.stringify(phoneNumber)},"e164Number":${JSON.stringify(e164Number)},"telephonyNetwork":${JSON.stringify(telephonyNetwork)},"doNotDisturb":`,
    environment: `,"voiceEnvironmentUri":${JSON.stringify(voiceEnvironmentUri)},"capabilities":`,
  };
  DEVICE_FRAGMENTS.set(device, written);
  return written;
}

/** members presentDevice always writes, in its order; forwardTo and supervisorMonitoringState are optional */
const DEVICE_MEMBERS = 10;

/** The text of presentDevice(…, device, …)'s object `d`, or undefined when its shape is not the known one. */
export function deviceText(device: DeviceRecord, d: Json): string | undefined {
  const forwardTo = d.forwardTo;
  const monitoring = d.supervisorMonitoringState;
  const members = DEVICE_MEMBERS + (forwardTo === undefined ? 0 : 1) + (monitoring === undefined ? 0 : 1);
  if (Object.keys(d).length !== members) return undefined;
  if (typeof d.deviceState !== 'string' || typeof d.doNotDisturb !== 'string') return undefined;
  if (forwardTo !== undefined && typeof forwardTo !== 'string') return undefined;
  const fragments = deviceFragments(device, d);
  const userState = userStateText(d.userState);
  const capabilities = tokenListText(d.capabilities);
  const channels = tokenListText(d.channels);
  if (!fragments || userState === undefined || capabilities === undefined || channels === undefined) return undefined;
  return (
    fragments.head +
    quoted(d.deviceState) +
    ',"userState":' +
    userState +
    fragments.numbers +
    quoted(d.doNotDisturb) +
    (forwardTo === undefined ? '' : ',"forwardTo":' + JSON.stringify(forwardTo)) +
    fragments.environment +
    capabilities +
    ',"channels":' +
    channels +
    (monitoring === undefined ? '' : ',"supervisorMonitoringState":' + JSON.stringify(monitoring)) +
    '}'
  );
}

/** `{"messageType":"DeviceStateChangeMessage","devices":[d]}` with its text, for one presented device */
export function deviceMessage(device: DeviceRecord, d: Json): Json {
  const data: Json = { messageType: 'DeviceStateChangeMessage', devices: [d] };
  const text = deviceText(device, d);
  return text === undefined ? data : withJsonText(data, `{"messageType":"DeviceStateChangeMessage","devices":[${text}]}`);
}

/** `{"messageType":"ChannelStateChangeMessageV2","channels":[channel]}` with its text, for one presented voice channel */
export function channelMessage(channel: Json): Json {
  const data: Json = { messageType: 'ChannelStateChangeMessageV2', channels: [channel] };
  const text = objectText(channel, STATE_TOKENS, (key, value) => (key === 'userState' ? userStateText(value) : undefined));
  return withJsonText(data, `{"messageType":"ChannelStateChangeMessageV2","channels":[${text}]}`);
}

/** members presentCall always writes (deviceUri and dnis may be undefined, and are then left out of the text) */
const CALL_MEMBERS = 16;
/** members presentCall writes only when they have a value */
const OPTIONAL_CALL_MEMBERS = ['ani', 'userData', 'recordingState', 'parentCallUri', 'parentCallPath'] as const;

/** `,"key":value` for a scalar member (strings through `spell`), '' when the value is undefined */
function scalarMember(prefix: string, value: unknown, spell: (s: string) => string = JSON.stringify): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return prefix + spell(value);
  if (typeof value === 'boolean') return prefix + (value ? 'true' : 'false');
  return prefix + JSON.stringify(value);
}

/** The participants of a presented call: the shared objects of one emission, each spelt once. */
function participantsText(list: unknown): string | undefined {
  if (!Array.isArray(list)) return undefined;
  let out = '[';
  for (let i = 0; i < list.length; i++) {
    const party: unknown = list[i];
    if (typeof party !== 'object' || party === null) return undefined;
    out += (i === 0 ? '' : ',') + ownText(party);
  }
  return out + ']';
}

/**
 * The text of presentCall's object `c` (its participants the shared objects of one emission, its
 * userData a copy of `userData`, the snapshot the flush shared between its views), or undefined when
 * its shape is not the known one.
 */
function callText(c: Json, userData: object | undefined): string | undefined {
  let members = CALL_MEMBERS;
  for (const key of OPTIONAL_CALL_MEMBERS) if (c[key] !== undefined) members++;
  if (typeof c.id !== 'string' || Object.keys(c).length !== members) return undefined;
  const participants = participantsText(c.participants);
  const capabilities = tokenListText(c.capabilities);
  if (participants === undefined || capabilities === undefined) return undefined;
  const presentedUserData = c.userData;
  const userDataText =
    presentedUserData === undefined ? '' : ',"userData":' + (userData === undefined ? JSON.stringify(presentedUserData) : identityText(userData));
  return (
    '{"id":' +
    quoted(c.id) +
    scalarMember(',"state":', c.state, quoted) +
    scalarMember(',"callUuid":', c.callUuid, quoted) +
    scalarMember(',"connId":', c.connId, quoted) +
    scalarMember(',"deviceUri":', c.deviceUri) +
    ',"participants":' +
    participants +
    scalarMember(',"ani":', c.ani, quoted) +
    scalarMember(',"dnis":', c.dnis, quoted) +
    scalarMember(',"callType":', c.callType, quoted) +
    ',"capabilities":' +
    capabilities +
    userDataText +
    scalarMember(',"duration":', c.duration, quoted) +
    scalarMember(',"mute":', c.mute, quoted) +
    scalarMember(',"recordingState":', c.recordingState, quoted) +
    scalarMember(',"supervisorListeningIn":', c.supervisorListeningIn) +
    scalarMember(',"monitoredUserMuted":', c.monitoredUserMuted) +
    scalarMember(',"monitoring":', c.monitoring) +
    scalarMember(',"parentCallUri":', c.parentCallUri) +
    scalarMember(',"parentCallPath":', c.parentCallPath) +
    scalarMember(',"uri":', c.uri) +
    scalarMember(',"path":', c.path) +
    '}'
  );
}

/** What a CallStateChangeMessage carries besides the call and its phone number (a switch CallEvent has these). */
export interface CallMessageParts {
  notificationType: string;
  extensions?: Record<string, string | number>;
  errorCode?: number;
  errorMessage?: string;
  digits?: string;
}

/**
 * `{"messageType":"CallStateChangeMessage","notificationType":…,"phoneNumber":…,"call":call,…}`
 * (extensions when there are any, errorCode and errorMessage for an Error, digits for DtmfSent),
 * with its text; `userData` is the view's user-data snapshot that `call.userData` copies.
 */
export function callMessage(parts: CallMessageParts, phoneNumber: string, call: Json, userData: object | undefined): Json {
  const data: Json = { messageType: 'CallStateChangeMessage', notificationType: parts.notificationType, phoneNumber, call };
  let tail = '';
  if (parts.extensions && Object.keys(parts.extensions).length) {
    data.extensions = parts.extensions;
    tail += ',"extensions":' + JSON.stringify(parts.extensions);
  }
  if (parts.notificationType === 'Error') {
    if (parts.errorCode !== undefined) {
      data.errorCode = parts.errorCode;
      tail += ',"errorCode":' + JSON.stringify(parts.errorCode);
    }
    if (parts.errorMessage !== undefined) {
      data.errorMessage = parts.errorMessage;
      tail += ',"errorMessage":' + JSON.stringify(parts.errorMessage);
    }
  }
  if (parts.notificationType === 'DtmfSent' && parts.digits !== undefined) {
    data.digits = parts.digits;
    tail += ',"digits":' + JSON.stringify(parts.digits);
  }
  const callJson = callText(call, userData);
  if (callJson === undefined) return data;
  const head = `{"messageType":"CallStateChangeMessage","notificationType":${quoted(parts.notificationType)},"phoneNumber":${quoted(phoneNumber)},"call":`;
  return withJsonText(data, head + callJson + tail + '}');
}
