/**
 * Agent states in GWS terms: the `userState` object shown on devices and channels (the
 * contact center's agent-state definitions, gws-voice-api.md 3.2), the agent-states settings
 * list, and the mapping from a voice-channel operationName (Ready, NotReady, AfterCallWork,
 * AuxWork, or a custom state's own operationName) to a switch AgentStateRequest.
 * LoggedOut has no definition: it is shown as {state:"LoggedOut", displayName:"Logged Out"}.
 *
 * Rule: a userState object is shared and frozen (one per loaded center and distinct agent state,
 * from userStateOf's memo; LOGGED_OUT_USER_STATE). Whoever needs a changed one makes a copy; the
 * notification texts rely on it to write each one once (notification-text.ts).
 */
import type { AgentStateRecord } from '../store/port.js';
import type { AgentState } from '../switch/model.js';
import type { AgentStateRequest } from '../switch/port.js';
import type { CenterEntry } from './directory.js';

export interface UserStateJson {
  id?: string;
  displayName: string;
  state: string;
  workMode?: string;
  reason?: string;
}

export const LOGGED_OUT_USER_STATE: Readonly<UserStateJson> = Object.freeze({ state: 'LoggedOut', displayName: 'Logged Out' });

/** which system definition shows a state that carries no definition id, by `state/workMode` */
export const SYSTEM_MATCH: Readonly<Record<string, { state: string; workMode?: string }>> = {
  'Ready/': { state: 'Ready' },
  'Ready/ManualIn': { state: 'Ready' },
  'Ready/AutoIn': { state: 'Ready' },
  'NotReady/': { state: 'NotReady' },
  'NotReady/AfterCallWork': { state: 'NotReady', workMode: 'AfterCallWork' },
  'NotReady/AuxWork': { state: 'NotReady', workMode: 'AuxWork' },
};

function definitionFor(cc: CenterEntry, s: AgentState): AgentStateRecord | undefined {
  const index = indexOf(cc);
  if (s.stateId) {
    const byId = index.byId.get(s.stateId);
    if (byId) return byId;
  }
  if (s.reason) {
    const custom = index.byReason.get(reasonKey(s.state, s.reason, s.workMode));
    if (custom) return custom;
  }
  const m = SYSTEM_MATCH[`${s.state}/${s.workMode ?? ''}`];
  if (!m) return undefined;
  return index.system.get(systemKey(m.state, m.workMode));
}

/**
 * A loaded center's definitions by what definitionFor looks them up by, each key holding the first
 * record in the center's order (so a lookup answers what a walk of the list would, and does not
 * grow with the number of reason codes). A load makes a new CenterEntry, hence a new index.
 */
interface DefinitionIndex {
  byId: Map<string, AgentStateRecord>;
  byReason: Map<string, AgentStateRecord>;
  system: Map<string, AgentStateRecord>;
}

const DEFINITION_INDEXES = new WeakMap<CenterEntry, DefinitionIndex>();

/** an absent work mode is its own key part (never equal to any string one, the empty string included) */
const workModeKey = (workMode: string | undefined): string => (workMode === undefined ? '\u0001' : `\u0002${workMode}`);
const reasonKey = (state: string, reason: string, workMode: string | undefined): string => `${state}\u0000${reason}\u0000${workModeKey(workMode)}`;
const systemKey = (state: string, workMode: string | undefined): string => `${state}\u0000${workModeKey(workMode)}`;

function indexOf(cc: CenterEntry): DefinitionIndex {
  let index = DEFINITION_INDEXES.get(cc);
  if (index) return index;
  index = { byId: new Map(), byReason: new Map(), system: new Map() };
  const first = (map: Map<string, AgentStateRecord>, key: string, r: AgentStateRecord): void => {
    if (!map.has(key)) map.set(key, r);
  };
  for (const r of cc.agentStates) {
    first(index.byId, r.id, r);
    if (r.reason) first(index.byReason, reasonKey(r.state, r.reason, r.workMode ?? undefined), r);
    if (r.system) first(index.system, systemKey(r.state, r.workMode ?? undefined), r);
  }
  DEFINITION_INDEXES.set(cc, index);
  return index;
}

/**
 * The userState object for an agent state of the switch: one frozen object per loaded center and
 * distinct agent state, shared by every message and view that shows it (see USER_STATES).
 */
export function userStateOf(cc: CenterEntry, s: AgentState): Readonly<UserStateJson> {
  if (s.state === 'LoggedOut') return LOGGED_OUT_USER_STATE;
  let memo = USER_STATES.get(cc);
  if (!memo) USER_STATES.set(cc, (memo = { size: 0, byState: new Map() }));
  let answer = answersByReason(memo, s).get(s.reason);
  if (answer === undefined) {
    if (memo.size >= USER_STATES_MAX) {
      memo.byState.clear();
      memo.size = 0;
    }
    answer = Object.freeze(computeUserState(cc, s));
    answersByReason(memo, s).set(s.reason, answer);
    memo.size++;
  }
  return answer;
}

/**
 * userStateOf's answers per loaded center, by the agent state's four fields in turn (state, work
 * mode, definition id, reason: no key string is built per lookup). Sound because an answer depends
 * only on the center's definitions, which a CenterEntry never changes (a load makes a new entry),
 * and on those four fields (`undefined` and `''` being different keys, as they are different
 * answers). The answers are frozen: a caller that needs to change one copies it. Bounded: free-text
 * reasons could otherwise grow a center's memo without end, so it starts over past USER_STATES_MAX.
 */
interface UserStateMemo {
  size: number;
  byState: Map<string, Map<string | undefined, Map<string | undefined, Map<string | undefined, Readonly<UserStateJson>>>>>;
}

const USER_STATES = new WeakMap<CenterEntry, UserStateMemo>();
const USER_STATES_MAX = 4096;

/** the memo's answers for s's state, work mode and definition id, by reason (made on the way) */
function answersByReason(memo: UserStateMemo, s: AgentState): Map<string | undefined, Readonly<UserStateJson>> {
  let byWorkMode = memo.byState.get(s.state);
  if (!byWorkMode) memo.byState.set(s.state, (byWorkMode = new Map()));
  let byStateId = byWorkMode.get(s.workMode);
  if (!byStateId) byWorkMode.set(s.workMode, (byStateId = new Map()));
  let byReason = byStateId.get(s.stateId);
  if (!byReason) byStateId.set(s.stateId, (byReason = new Map()));
  return byReason;
}

function computeUserState(cc: CenterEntry, s: AgentState): UserStateJson {
  const def = definitionFor(cc, s);
  if (!def) {
    const out: UserStateJson = { displayName: s.reason ?? (s.workMode ?? s.state), state: s.state };
    if (s.workMode && s.state === 'NotReady') out.workMode = s.workMode;
    if (s.reason) out.reason = s.reason;
    return out;
  }
  const out: UserStateJson = { id: def.id, displayName: def.displayName, state: def.state };
  if (def.workMode) out.workMode = def.workMode;
  const reason = def.reason ?? s.reason;
  if (reason) out.reason = reason;
  return out;
}

/** One entry of GET /api/v2/settings/agent-states. */
export function agentStateSetting(r: AgentStateRecord): Record<string, unknown> {
  const out: Record<string, unknown> = { id: r.id, displayName: r.displayName, state: r.state, operationName: r.operationName };
  if (r.workMode) out.workMode = r.workMode;
  if (r.reason) out.reason = r.reason;
  return out;
}

/** A custom agent state's request to the switch. */
export function requestForDefinition(r: AgentStateRecord): AgentStateRequest {
  if (r.state === 'Ready') return { state: 'Ready' };
  const req: AgentStateRequest = { state: 'NotReady', stateId: r.id };
  if (r.workMode) req.workMode = r.workMode;
  if (r.reason) req.reason = r.reason;
  return req;
}
