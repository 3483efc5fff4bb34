/**
 * The JSON text of a CallStateChangeMessage, written so that the participants of one emission are
 * serialised once, not once per viewer. A supervisor on a call sees every other party (supervision.md
 * 6), so a call watched by 100 supervisors sends 101 messages of about 100 participants each:
 * `JSON.stringify` of each whole message cost about 100 µs (15 KB), most of it the same participant
 * objects spelt again. Here each message is `JSON.stringify` of the message with an empty
 * participants list, into which the list is spliced as the participants' kept texts joined by commas.
 *
 * Rules (a change must keep them):
 *   - The text is exactly `JSON.stringify(data)`: test/unit/notification-text.test.ts compares the
 *     two on random calls (quotes, control characters, U+2028, lone surrogates in every string).
 *   - The splice point is the first raw `"participants":[]` of the text written with
 *     `call.participants = []`. It can only be that member: a raw `"` in JSON text opens or closes a
 *     string (a quote inside a string is written `\"`), a string followed by `:` is a key, and every
 *     member written before `call.participants` (messageType, notificationType, phoneNumber, and the
 *     call's id, state, callUuid, connId, deviceUri: presentCall's order) is a string, so no earlier
 *     key named participants exists. A message whose shape is not that one (no call, participants not
 *     an array, a member other than those before it) gets no text: Bayeux serialises it as before.
 *   - A participant's text is kept by the participant object, for the objects of one emission
 *     (the notifier shares one object per number within an emission and drops them after it);
 *     like every published object, a participant must not change once published.
 *   - The text is one flat string, written by one `Array.prototype.join`, not a tree of the pieces
 *     (see `flat` in notification-text.ts for why a tree costs more than it saves).
 *   - Only a list of at least SPLICED_FROM participants is spliced: below that, the message's own
 *     `JSON.stringify` (by Bayeux) is cheaper than the splice (measured here, a 1 KB call message:
 *     6.2 against 6.7 µs with 1 participant, 7.8 / 8.1 with 4, 10.1 / 7.7 with 8, 48.8 / 16.3 with 100).
 */
import type { Json } from './present.js';

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
 * serialisation is cheaper then). `participantText(p)` gives the kept JSON text of one participant.
 */
export function callMessageText(data: Json, participantText: (p: Json) => string): string | undefined {
  const call = data.call as Json | undefined;
  if (typeof call !== 'object' || call === null || !startsAs(data, BEFORE_PARTICIPANTS_MESSAGE) || !startsAs(call, BEFORE_PARTICIPANTS_CALL)) return undefined;
  const participants = call.participants;
  if (!Array.isArray(participants) || participants.length < SPLICED_FROM) return undefined;
  call.participants = NO_PARTICIPANTS;
  let outer: string;
  try {
    outer = JSON.stringify(data);
  } finally {
    call.participants = participants;
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
  // message around them): no tree of pieces, and no second copy to flatten it
  const last = texts.length - 1;
  texts[0] = outer.slice(0, splice) + texts[0];
  texts[last] = texts[last] + outer.slice(splice);
  return texts.join(',');
}
