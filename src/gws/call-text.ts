/**
 * The JSON text of a CallStateChangeMessage, written from what the leg's last message kept, or so
 * that the participants of one emission are serialised once, not once per viewer.
 *
 * Two ways, tried in this order:
 *   - *Kept per leg* (`CallTexts`): a leg's messages mostly differ in the user data, the duration
 *     and the notificationType (an UpdateUserData watched by N supervisors sends N + 1 of them).
 *     The text of a leg's presented call is kept in two segments, the members before the user data
 *     and those after the duration; a message whose call has the same members, in the same order,
 *     with the same values, except those two, is written as the kept segments around the new user
 *     data and duration, with no serialisation of the rest.
 *   - *Spliced participants* (`callMessageText`): a supervisor on a call sees every other party
 *     (supervision.md 6), so a call watched by 100 supervisors sends 101 messages of about 100
 *     participants each: `JSON.stringify` of each whole message cost about 100 µs (15 KB), most of
 *     it the same participant objects spelt again. The message is `JSON.stringify`-ed with an empty
 *     participants list, into which the list is spliced as the participants' kept texts joined by
 *     commas. The kept segments of a long list are written this way too.
 *
 * Rules (a change must keep them):
 *   - The text is exactly `JSON.stringify(data)`: test/unit/notification-text.test.ts compares the
 *     two on random calls (quotes, control characters, U+2028, lone surrogates in every string),
 *     and on random sequences of a leg's messages for the kept segments.
 *   - A kept segment is reused only for a call whose members, other than userData and duration,
 *     are the kept call's members in the same order with JSON-equal values (`sameJson`,
 *     emission.ts: equal exactly when the JSON texts are; shared frozen lists and participants end
 *     at `===`). Equal keys and values give equal JSON texts, so a reused segment cannot be stale,
 *     whatever changed elsewhere (directory, URLs, capabilities). The
 *     user data, when present, must come right before the duration (presentCall's order), and the
 *     duration must be a string of digits.
 *   - A kept call is a published object: like every published object, it must not change.
 *   - Kept segments are per leg (an owner, then the call uuid: the presented device record for
 *     call messages, the agent's record for team rows), a few per owner (KEPT_PER_OWNER, the
 *     oldest forgotten first), forgotten when the leg is released or leaves the team row, and with
 *     the owner (a WeakMap).
 *   - The splice point is the first raw `"participants":[]` of the text written with
 *     `call.participants = []`. It can only be that member: a raw `"` in JSON text opens or closes a
 *     string (a quote inside a string is written `\"`), a string followed by `:` is a key, and every
 *     member written before `call.participants` (messageType, notificationType, phoneNumber, and the
 *     call's id, state, callUuid, connId, deviceUri: presentCall's order) is a string, so no earlier
 *     key named participants exists. A message whose shape is not that one (no call, participants not
 *     an array, a member other than those before it) gets no text: Bayeux serialises it as before.
 *   - A participant's text is kept by the participant object, only for a frozen object of strings
 *     (presentParticipant's shared objects are), in a WeakMap.
 *   - A text is one flat string (`flat` in notification-text.ts, or one `Array.prototype.join`),
 *     never a tree of the pieces (see `flat` for why a tree costs more than it saves).
 *   - Only a list of at least SPLICED_FROM participants is spliced: below that, the message's own
 *     `JSON.stringify` (by Bayeux) is cheaper than the splice (measured here, a 1 KB call message:
 *     6.2 against 6.7 µs with 1 participant, 7.8 / 8.1 with 4, 10.1 / 7.7 with 8, 48.8 / 16.3 with 100).
 */
import type { Json } from './present.js';
import { flat, quoted } from './notification-text.js';
import { sameJson } from '../switch/emission.js';

/** texts of frozen participant objects (presentParticipant's), by object */
const PARTICIPANT_TEXTS = new WeakMap<object, string>();

/** a participant's JSON text, kept for a frozen object of strings */
function participantText(p: Json): string {
  let text = PARTICIPANT_TEXTS.get(p);
  if (text === undefined) {
    text = JSON.stringify(p);
    if (Object.isFrozen(p) && Object.values(p).every((v) => typeof v === 'string')) PARTICIPANT_TEXTS.set(p, text);
  }
  return text;
}

/** the members written before `call.participants`, in order (see the rules) */
const BEFORE_PARTICIPANTS_MESSAGE = ['messageType', 'notificationType', 'phoneNumber', 'call'];
const BEFORE_PARTICIPANTS_CALL = ['id', 'state', 'callUuid', 'connId', 'deviceUri', 'participants'];
const EMPTY_PARTICIPANTS = '"participants":[]';
const NO_PARTICIPANTS: readonly unknown[] = Object.freeze([]);
/** the shortest participants list worth splicing (see the rules) */
export const SPLICED_FROM = 6;

/** `keys` starts with `expected` (in order), each of those members a string or undefined but the last */
function startsAs(o: Json, expected: readonly string[]): boolean {
  let i = 0;
  for (const key in o) {
    if (i === expected.length) return true;
    if (key !== expected[i]) return false;
    if (i < expected.length - 1 && o[key] !== undefined && typeof o[key] !== 'string') return false;
    i++;
  }
  return i === expected.length;
}

/**
 * The text of `data` (a CallStateChangeMessage built by the notifier), or undefined when its shape
 * is not the known one, or when it lists fewer than SPLICED_FROM participants (Bayeux's own
 * serialisation is cheaper then).
 */
export function callMessageText(data: Json): string | undefined {
  const call = data.call as Json | undefined;
  if (typeof call !== 'object' || call === null || !startsAs(data, BEFORE_PARTICIPANTS_MESSAGE)) return undefined;
  return splicedText(data, call);
}

/**
 * `JSON.stringify(root)` with the participants of `holder` (root itself, or its call) spliced in
 * from their kept texts, or undefined when the holder's members before the participants are not
 * the known ones or it lists fewer than SPLICED_FROM participants (see the rules).
 */
function splicedText(root: Json, holder: Json): string | undefined {
  if (!startsAs(holder, BEFORE_PARTICIPANTS_CALL)) return undefined;
  const participants = holder.participants;
  if (!Array.isArray(participants) || participants.length < SPLICED_FROM) return undefined;
  holder.participants = NO_PARTICIPANTS;
  let outer: string;
  try {
    outer = JSON.stringify(root);
  } finally {
    holder.participants = participants;
  }
  const at = outer.indexOf(EMPTY_PARTICIPANTS);
  if (at < 0) return undefined;
  const texts = new Array<string>(participants.length);
  for (let i = 0; i < participants.length; i++) {
    const p = participants[i];
    if (typeof p !== 'object' || p === null || Array.isArray(p)) return undefined;
    texts[i] = participantText(p as Json);
  }
  const splice = at + EMPTY_PARTICIPANTS.length - 1;
  // one join writes the whole text as one flat string (the first and last participants carry the
  // text around them): no tree of pieces, and no second copy to flatten it
  const last = texts.length - 1;
  texts[0] = outer.slice(0, splice) + texts[0];
  texts[last] = texts[last] + outer.slice(splice);
  return texts.join(',');
}

/** What a leg's last message kept: the call it was written from, and the text around its user data and duration. */
interface KeptCall {
  /** the presented call (published: never changed) */
  call: Json;
  /** its member names in order, userData and duration left out */
  keys: string[];
  /** `{"id":…` through the last member before userData / duration, without a closing brace */
  head: string;
  /** the members after the duration (each with its leading comma) and the closing brace */
  tail: string;
}

/** legs kept per owner (a device, or an agent, is on a few calls at most: a consult, a held call) */
const KEPT_PER_OWNER = 4;

const MESSAGE_HEAD = '{"messageType":"CallStateChangeMessage","notificationType":';
/** the members a message written from kept segments has, in order (anything else: no kept text) */
const MESSAGE_MEMBERS = ['messageType', 'notificationType', 'phoneNumber', 'call'];
const DIGITS = /^[0-9]+$/;

/** The kept call texts of every leg, by owner then call uuid (see the rules). */
export class CallTexts {
  private readonly byOwner = new WeakMap<object, Map<string, KeptCall>>();

  /**
   * The text of `data` (a CallStateChangeMessage of the leg of `device`, its owner, on its call), from the
   * leg's kept segments when the call's other members are unchanged, else written afresh (and its
   * segments kept); undefined when its shape is not the known one and it is not long enough to
   * splice.
   */
  text(device: object, data: Json): string | undefined {
    const call = data.call as Json | undefined;
    const callText = isMessageOfKeptShape(data) && typeof call === 'object' && call !== null ? this.callText(device, call) : undefined;
    if (callText === undefined) return callMessageText(data);
    return flat(MESSAGE_HEAD + quoted(data.notificationType as string) + ',"phoneNumber":' + quoted(data.phoneNumber as string) + ',"call":' + callText + '}');
  }

  /**
   * The text of a presented call (presentCall's object, or a part of it in the same order, as a
   * team row lists) as the leg of `owner` shows it, from the leg's kept segments when the call's
   * other members are unchanged (else written afresh, and its segments kept), or undefined when it
   * is not of that shape. Not flattened: the caller writes it into a longer text and flattens that.
   */
  callText(owner: object, call: Json): string | undefined {
    const uuid = call.callUuid;
    if (typeof uuid !== 'string' || typeof call.duration !== 'string' || !DIGITS.test(call.duration)) return undefined;
    let legs = this.byOwner.get(owner);
    let kept = legs?.get(uuid);
    if (kept === undefined || !sameBesideUserData(kept, call)) {
      const written = segments(call);
      if (written === undefined) return undefined;
      kept = { call, keys: Object.keys(call).filter(isKept), head: written.head, tail: written.tail };
      if (!legs) this.byOwner.set(owner, (legs = new Map()));
      legs.delete(uuid);
      if (legs.size >= KEPT_PER_OWNER) legs.delete(legs.keys().next().value as string);
      legs.set(uuid, kept);
    } else {
      kept.call = call;
    }
    if (call.state === 'Released') legs!.delete(uuid);
    const userData = call.userData;
    return kept.head + (userData === undefined ? '' : ',"userData":' + JSON.stringify(userData)) + ',"duration":"' + call.duration + '"' + kept.tail;
  }

  /** forget the owner's kept calls that are not among `calls` (a team row's calls: its ended ones go) */
  keepOnly(owner: object, calls: readonly Json[]): void {
    const legs = this.byOwner.get(owner);
    if (legs === undefined) return;
    for (const uuid of legs.keys()) if (!listsCall(calls, uuid)) legs.delete(uuid);
  }
}

/** is the call `uuid` among `calls` (a loop: no closure per kept leg) */
function listsCall(calls: readonly Json[], uuid: string): boolean {
  for (const call of calls) if (call.callUuid === uuid) return true;
  return false;
}

/** exactly {messageType: "CallStateChangeMessage", notificationType, phoneNumber, call}, in that order, the first three strings */
function isMessageOfKeptShape(data: Json): boolean {
  if (data.messageType !== 'CallStateChangeMessage' || typeof data.notificationType !== 'string' || typeof data.phoneNumber !== 'string') return false;
  let i = 0;
  for (const key in data) {
    if (key !== MESSAGE_MEMBERS[i]) return false;
    i++;
  }
  return i === MESSAGE_MEMBERS.length;
}

/**
 * The two kept segments of a call's text: the members before userData / duration, and those
 * after the duration; undefined when the call is not in presentCall's order there (user data, if
 * any, right before the duration, an object) or has no member before them.
 */
function segments(call: Json): { head: string; tail: string } | undefined {
  const before: Json = {};
  const after: Json = {};
  let at: 'before' | 'userData' | 'after' = 'before';
  for (const key in call) {
    if (key === 'userData') {
      if (at !== 'before') return undefined;
      const userData = call.userData;
      if (userData !== undefined && (typeof userData !== 'object' || userData === null)) return undefined;
      at = 'userData';
    } else if (key === 'duration') {
      if (at === 'after') return undefined;
      at = 'after';
    } else if (at === 'userData') {
      return undefined;
    } else if (at === 'before') before[key] = call[key];
    else after[key] = call[key];
  }
  if (at !== 'after') return undefined;
  // the leading members hold the participants: spliced when the list is long
  const head = splicedText(before, before) ?? JSON.stringify(before);
  if (head.length <= 2) return undefined;
  const tailText = JSON.stringify(after);
  return { head: head.slice(0, -1), tail: tailText.length <= 2 ? '}' : ',' + tailText.slice(1) };
}

/** a member the kept segments hold (all but the two written every time) */
const isKept = (key: string): boolean => key !== 'userData' && key !== 'duration';

/** the kept call's members in the same order with equal values (see the rules), userData and duration aside */
function sameBesideUserData(kept: KeptCall, call: Json): boolean {
  const keys = kept.keys;
  const before = kept.call;
  let i = 0;
  for (const key in call) {
    if (key === 'userData' || key === 'duration') continue;
    if (keys[i] !== key || !sameJson(before[key], call[key])) return false;
    i++;
  }
  return i === keys.length;
}

