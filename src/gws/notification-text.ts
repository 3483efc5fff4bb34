/**
 * Notification texts written from kept fragments: the JSON text of the device and voice channel
 * messages the notifier publishes on every agent-state change, attached to the message object with
 * `withJsonText` so that Bayeux puts it on the wire instead of `JSON.stringify`-ing the object
 * (3–5 µs for a 380-byte device message on this Node). The message objects themselves are built by
 * the presenters (present.ts) exactly as before; this file only spells them. Call messages are
 * written in call-text.ts (from segments kept per leg, their long participant lists spliced in from
 * each participant's kept text); team rows member by member here (MemberTexts).
 *
 * Rules (a change must keep them):
 *   - Every text written here is exactly `JSON.stringify` of the object it is attached to: same key
 *     order (the device writer's fixed order is checked against the object's key count; the other
 *     writers walk the object's own keys), same escaping (every string is written by
 *     `JSON.stringify` or taken from a cache of such texts), undefined members left out.
 *     test/unit/notification-text.test.ts compares the two on random views for every message kind;
 *     a presenter that changes a message's fields must keep that test passing.
 *   - No stale text can be sent: a device's fragments are reused only after checking, at every use,
 *     that the presented values they spell (id, numbers, network, voice environment URI) are the
 *     very strings they were written from (`===`); they are kept per device record in a WeakMap, so
 *     nothing outlives the record.
 *   - A writer that meets a value it does not know how to spell returns undefined, and the message
 *     goes out without a text (Bayeux serialises it as before): a text is an optimisation, never a
 *     second source of truth.
 *   - A text is one flat string (`flat`), never a tree of concatenated pieces.
 *   - A team row's members (MemberTexts) are reused one by one: a member's kept text only for the
 *     same key at the same position with a value JSON-equal to the one it was written from
 *     (`sameJson`, emission.ts: equal exactly when the JSON texts are), compared at every use.
 *   - A kept text is reused only for a value that cannot have changed since it was written: the
 *     device fragments are checked at each use (above); a userState's text is kept only for a
 *     frozen object of strings (userStateText), a list's only for a frozen list of strings
 *     (tokenListText), a voice channel message's only for a frozen userState of strings and a
 *     string DND state (channelMessageText), a whole device message's (the last two per device
 *     record) only for the same checked fragments, the same state strings and the very same
 *     userState, capability and channel objects whose own texts are kept (deviceMessageText).
 */
import type { DeviceRecord } from '../store/port.js';
import { withJsonText } from '../bayeux/json-text.js';
import { sameJson } from '../switch/emission.js';
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

/**
 * The text as one flat string. A text built by concatenation is a tree of its pieces in V8 (a
 * "cons string"), and a message waits in session queues until its recipients connect: thousands of
 * small tree nodes per operation that survive young-generation collections cost the garbage
 * collector more than the serialisation they replace (42 % of a 100-supervisor UpdateUserData in
 * GC, against 9 % with JSON.stringify's flat texts). Converting the text to a number flattens it in
 * place (V8's StringToNumber flattens its argument; the '{' stops the parse at once), so the pieces
 * die young.
 */
export function flat(text: string): string {
  void Number(text);
  return text;
}

/** `"key":` texts, by key (object keys are a small fixed set) */
const KEYS = new Map<string, string>();

function keyText(key: string): string {
  let text = KEYS.get(key);
  if (text === undefined) KEYS.set(key, (text = JSON.stringify(key) + ':'));
  return text;
}

/**
 * Texts of frozen lists of strings, by list: the presented device's capability and channel lists
 * are shared and frozen (present.ts), so each is written once. A frozen array of strings cannot
 * change.
 */
const TOKEN_LIST_TEXTS = new WeakMap<readonly unknown[], string>();

/** a list of strings drawn from a small set (capabilities, channels), or undefined for anything else */
function tokenListText(list: unknown): string | undefined {
  if (!Array.isArray(list)) return undefined;
  const kept = TOKEN_LIST_TEXTS.get(list);
  if (kept !== undefined) return kept;
  let out = '[';
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    if (typeof item !== 'string') return undefined;
    out += i === 0 ? quoted(item) : ',' + quoted(item);
  }
  out += ']';
  if (Object.isFrozen(list)) TOKEN_LIST_TEXTS.set(list, flat(out));
  return out;
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

/** a userState member that is not a string (none are today) through JSON.stringify; see channelMemberText */
function userStateMemberText(_key: string, value: unknown): string | undefined {
  return typeof value === 'string' ? undefined : JSON.stringify(value);
}

/**
 * Texts of frozen userState objects, by object: userStateOf's answers are shared and frozen
 * (agent-states.ts), so each is written once, not once per message that shows it. A frozen object
 * whose members are strings cannot change; one with another member is written every time.
 */
const USER_STATE_TEXTS = new WeakMap<object, string>();

/** a userState object (agent-states.ts userStateOf: flat strings, key order depending on the definition) */
function userStateText(state: unknown): string | undefined {
  if (typeof state !== 'object' || state === null || Array.isArray(state)) return undefined;
  const kept = USER_STATE_TEXTS.get(state);
  if (kept !== undefined) return kept;
  const text = objectText(state as Json, STATE_TOKENS, userStateMemberText);
  if (Object.isFrozen(state) && Object.values(state).every((v) => typeof v === 'string')) USER_STATE_TEXTS.set(state, text);
  return text;
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

/**
 * A device message text as it was last written for a device record, with what it was written
 * from: the checked fragments, the state strings, and the very userState object and capability and
 * channel lists, each one whose own text is kept (a frozen object or list of strings: see
 * userStateText and tokenListText), so that the same object stands for the same text. A message
 * with a supervisorMonitoringState (a new object each time) is written every time.
 */
interface KeptDeviceMessage {
  fragments: DeviceFragments;
  deviceState: string;
  userState: object;
  doNotDisturb: string;
  forwardTo: unknown;
  capabilities: readonly unknown[];
  channels: readonly unknown[];
  text: string;
}

/**
 * The last device message texts of each device record (WeakMap: nothing outlives the record), at
 * most DEVICE_MESSAGES_KEPT of them, newest first: an agent going back and forth between two
 * states (Ready, NotReady) finds both. Bounded so that 10,000 agents keep at most two texts each.
 */
const DEVICE_MESSAGES = new WeakMap<DeviceRecord, KeptDeviceMessage[]>();
const DEVICE_MESSAGES_KEPT = 2;

/**
 * The text of `{"messageType":"DeviceStateChangeMessage","devices":[d]}` for presentDevice(…, device,
 * …)'s object `d`, or undefined when its shape is not the known one. The shape and the fragments
 * are checked at every use; a kept text is reused only for the same fragments, the same state
 * strings and the same kept userState, capability and channel objects.
 */
function deviceMessageText(device: DeviceRecord, d: Json): string | undefined {
  const forwardTo = d.forwardTo;
  const monitoring = d.supervisorMonitoringState;
  const members = DEVICE_MEMBERS + (forwardTo === undefined ? 0 : 1) + (monitoring === undefined ? 0 : 1);
  if (Object.keys(d).length !== members) return undefined;
  if (typeof d.deviceState !== 'string' || typeof d.doNotDisturb !== 'string') return undefined;
  if (forwardTo !== undefined && typeof forwardTo !== 'string') return undefined;
  const fragments = deviceFragments(device, d);
  if (!fragments) return undefined;
  let kept = DEVICE_MESSAGES.get(device);
  if (kept && monitoring === undefined) {
    for (const k of kept) {
      if (
        k.fragments === fragments &&
        k.deviceState === d.deviceState &&
        k.userState === d.userState &&
        k.doNotDisturb === d.doNotDisturb &&
        k.forwardTo === forwardTo &&
        k.capabilities === d.capabilities &&
        k.channels === d.channels
      ) {
        return k.text;
      }
    }
  }
  const userState = userStateText(d.userState);
  const capabilities = tokenListText(d.capabilities);
  const channels = tokenListText(d.channels);
  if (userState === undefined || capabilities === undefined || channels === undefined) return undefined;
  const text = flat(
    '{"messageType":"DeviceStateChangeMessage","devices":[' +
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
      '}]}',
  );
  // kept only when each object's own text is kept, i.e. it is frozen and cannot change (see above)
  const keepable =
    monitoring === undefined && USER_STATE_TEXTS.has(d.userState as object) && TOKEN_LIST_TEXTS.has(d.capabilities as unknown[]) && TOKEN_LIST_TEXTS.has(d.channels as unknown[]);
  if (keepable) {
    if (!kept) DEVICE_MESSAGES.set(device, (kept = []));
    kept.unshift({
      fragments,
      deviceState: d.deviceState,
      userState: d.userState as object,
      doNotDisturb: d.doNotDisturb,
      forwardTo,
      capabilities: d.capabilities as unknown[],
      channels: d.channels as unknown[],
      text,
    });
    if (kept.length > DEVICE_MESSAGES_KEPT) kept.pop();
  }
  return text;
}

/** `{"messageType":"DeviceStateChangeMessage","devices":[d]}` with its text, for one presented device */
export function deviceMessage(device: DeviceRecord, d: Json): Json {
  const data: Json = { messageType: 'DeviceStateChangeMessage', devices: [d] };
  const text = deviceMessageText(device, d);
  return text === undefined ? data : withJsonText(data, text);
}

/**
 * a voice channel's userState through userStateText (a function of its own, not a closure per
 * message: under tsx every closure created costs a defineProperty for its name)
 */
function channelMemberText(key: string, value: unknown): string | undefined {
  return key === 'userState' ? userStateText(value) : undefined;
}

/** `{"messageType":"ChannelStateChangeMessageV2","channels":[channel]}` with its text, for one presented voice channel */
export function channelMessage(channel: Json): Json {
  const data: Json = { messageType: 'ChannelStateChangeMessageV2', channels: [channel] };
  return withJsonText(data, channelMessageText(channel));
}

/**
 * Whole voice channel message texts, by frozen userState, then DND state: a voice channel as
 * presentVoiceChannel writes it ({channel: "voice", userState, dndState}, in that order) is a
 * function of those two alone, so an agent's few states give a few texts.
 */
const CHANNEL_MESSAGE_TEXTS = new WeakMap<object, Map<string, string>>();

/** is `channel` exactly {channel: "voice", userState, dndState}, in that order, with a string DND state? */
function isVoiceChannel(channel: Json): boolean {
  if (channel.channel !== 'voice' || typeof channel.dndState !== 'string') return false;
  const keys = Object.keys(channel);
  return keys.length === 3 && keys[0] === 'channel' && keys[1] === 'userState' && keys[2] === 'dndState';
}

function channelMessageText(channel: Json): string {
  const { userState, dndState } = channel;
  // a userState whose own text is kept is a frozen object of strings (userStateText)
  const keepable = typeof userState === 'object' && userState !== null && Object.isFrozen(userState) && isVoiceChannel(channel);
  const byDnd = keepable ? CHANNEL_MESSAGE_TEXTS.get(userState) : undefined;
  const kept = byDnd?.get(dndState as string);
  if (kept !== undefined) return kept;
  const text = flat(`{"messageType":"ChannelStateChangeMessageV2","channels":[${objectText(channel, STATE_TOKENS, channelMemberText)}]}`);
  if (keepable && USER_STATE_TEXTS.has(userState)) {
    if (byDnd) byDnd.set(dndState as string, text);
    else CHANNEL_MESSAGE_TEXTS.set(userState, new Map([[dndState as string, text]]));
  }
  return text;
}

/** What one owner's object was last written from: its member names in order, their values and their texts. */
interface KeptMembers {
  keys: string[];
  values: unknown[];
  texts: string[];
}

/**
 * Texts of objects that are written again and again with most members unchanged (a supervised
 * agent's team row: its device, monitoring list and names stay while its call's user data
 * changes), by owner (the agent's record, in a WeakMap): each member's text is kept and reused
 * while the member keeps its key, its position and a JSON-equal value; the others are written by
 * `JSON.stringify`. The kept members are the owner's last object's, replaced member by member.
 */
export class MemberTexts {
  private readonly byOwner = new WeakMap<object, KeptMembers>();

  /**
   * `JSON.stringify(o)` of a plain object, or undefined when a member is not a JSON value
   * (undefined, a function). `special(key, value, owner)` may write a member itself: exactly
   * `JSON.stringify(value)`, from what it keeps (undefined: kept or written as any other member).
   */
  text<Owner extends object>(owner: Owner, o: Json, special?: (key: string, value: unknown, owner: Owner) => string | undefined): string | undefined {
    let kept = this.byOwner.get(owner);
    if (!kept) this.byOwner.set(owner, (kept = { keys: [], values: [], texts: [] }));
    let out = '';
    let i = 0;
    for (const key in o) {
      const value = o[key];
      if (value === undefined || typeof value === 'function' || typeof value === 'symbol') {
        this.byOwner.delete(owner);
        return undefined;
      }
      let text = special?.(key, value, owner);
      if (text === undefined && kept.keys[i] === key && sameJson(kept.values[i], value)) text = kept.texts[i];
      else {
        text ??= JSON.stringify(value);
        kept.keys[i] = key;
        kept.texts[i] = text;
      }
      kept.values[i] = value;
      out += (i === 0 ? '{' : ',') + keyText(key) + text;
      i++;
    }
    // the length setter is a runtime call even when nothing changes: set only when members went
    if (kept.keys.length !== i) kept.keys.length = kept.values.length = kept.texts.length = i;
    return i === 0 ? '{}' : out + '}';
  }
}
