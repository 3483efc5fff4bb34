/**
 * Change detection for emission: whether a view differs from the last one sent, and which
 * notificationType the difference is, decided by comparing fields, never by serialising views.
 *
 * Rules (a change must keep them):
 *   - Two views are the same notification exactly when their JSON texts would be equal (the
 *     definition the switch used when it compared JSON.stringify of views): `sameJson` compares
 *     values recursively, object keys in order, without building any string or array (an object's
 *     keys are read with for…in into arrays kept per depth: the values compared are plain data,
 *     whose prototypes have no enumerable members). The call view's `duration` is left out (it
 *     ticks on its own).
 *   - The notificationType is the first row of CALL_VIEW_CHANGES whose field differs, in the
 *     table's order (state, recording, monitoredUserMuted, participants, user data, then any other
 *     field as StatusChange). The table lists every CallView field except duration: the compiler
 *     checks it (`satisfies`), so a new field cannot be forgotten by change detection.
 *   - Views rendered in one flush share the parts that are the same for every viewer (the user-data
 *     snapshot of the call, see views.ts `CallParts`), so most comparisons end at `===`.
 */
import { NotificationType } from './model.js';
import type { CallView, DeviceView, MediaParty } from './model.js';

type JsonLike = unknown;

/** Equal JSON texts, without the texts: same types, same array items, same object keys in the same order. */
export function sameJson(a: JsonLike, b: JsonLike): boolean {
  return sameJsonAt(a, b, 0);
}

/**
 * The keys of the object compared at each depth, written into arrays kept for the process's life
 * (one per depth of nesting: a nested comparison uses the next one, so an outer list survives
 * it), so that comparing two objects allocates nothing.
 */
const KEYS_AT_DEPTH: string[][] = [];

function sameJsonAt(a: JsonLike, b: JsonLike, depth: number): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJsonAt(a[i], b[i], depth + 1)) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  // the keys JSON.stringify writes of y, in order, an undefined member left out (for…in: plain
  // data objects, whose prototypes have no enumerable members; see the rules)
  const keysOfY = (KEYS_AT_DEPTH[depth] ??= []);
  let count = 0;
  for (const key in y) if (y[key] !== undefined) keysOfY[count++] = key;
  let i = 0;
  for (const key in x) {
    const value = x[key];
    if (value === undefined) continue;
    if (i >= count || keysOfY[i] !== key) return false;
    i++;
    if (!sameJsonAt(value, y[key], depth + 1)) return false;
  }
  return i === count;
}

/** Which notification a change of each call-view field is; the order is the order of precedence. */
const CALL_VIEW_CHANGES = {
  state: NotificationType.StatusChange,
  recordingState: NotificationType.CallRecordingStateChange,
  monitoredUserMuted: NotificationType.MonitoredUserMutedStateChange,
  participants: NotificationType.ParticipantsUpdated,
  userData: NotificationType.AttachedDataChanged,
  callUuid: NotificationType.StatusChange,
  connId: NotificationType.StatusChange,
  callType: NotificationType.StatusChange,
  ani: NotificationType.StatusChange,
  dnis: NotificationType.StatusChange,
  muted: NotificationType.StatusChange,
  supervisorListeningIn: NotificationType.StatusChange,
  monitoring: NotificationType.StatusChange,
  parentCallUuid: NotificationType.StatusChange,
  capabilities: NotificationType.StatusChange,
} as const satisfies Record<Exclude<keyof CallView, 'duration'>, NotificationType>;

const CALL_VIEW_ROWS = Object.entries(CALL_VIEW_CHANGES) as [Exclude<keyof CallView, 'duration'>, NotificationType][];

/** The notification that `next` is after `prev` (StatusChange for a first view), or undefined when nothing but duration changed. */
export function callChange(prev: CallView | undefined, next: CallView): NotificationType | undefined {
  if (!prev) return NotificationType.StatusChange;
  for (const [field, type] of CALL_VIEW_ROWS) if (!sameJson(prev[field], next[field])) return type;
  return undefined;
}

export interface DeviceChange {
  /** the agent state or DND changed (the voice channel's state message is due too) */
  agentStateChanged: boolean;
}

/** What changed on a device since `prev` (a first view counts as an agent-state change), or undefined when nothing did. */
export function deviceChange(prev: DeviceView | undefined, next: DeviceView): Readonly<DeviceChange> | undefined {
  if (!prev) return AGENT_STATE_CHANGE;
  if (prev.dnd !== next.dnd || !sameJson(prev.agentState, next.agentState)) return AGENT_STATE_CHANGE;
  return sameJson(prev, next) ? undefined : OTHER_DEVICE_CHANGE;
}

/** the two answers of deviceChange, shared */
const AGENT_STATE_CHANGE: Readonly<DeviceChange> = Object.freeze({ agentStateChanged: true });
const OTHER_DEVICE_CHANGE: Readonly<DeviceChange> = Object.freeze({ agentStateChanged: false });

/** Same media matrix (who hears whom, in order). */
export function sameMedia(a: readonly MediaParty[] | undefined, b: readonly MediaParty[]): boolean {
  return a !== undefined && sameJson(a, b);
}
