/**
 * Agent states in GWS terms: the `userState` object shown on devices and channels (the
 * contact center's agent-state definitions, gws-voice-api.md 3.2), the agent-states settings
 * list, and the mapping from a voice-channel operationName (Ready, NotReady, AfterCallWork,
 * AuxWork, or a custom state's own operationName) to a switch AgentStateRequest.
 * LoggedOut has no definition: it is shown as {state:"LoggedOut", displayName:"Logged Out"}.
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
const SYSTEM_MATCH: Readonly<Record<string, { state: string; workMode?: string }>> = {
  'Ready/': { state: 'Ready' },
  'Ready/ManualIn': { state: 'Ready' },
  'Ready/AutoIn': { state: 'Ready' },
  'NotReady/': { state: 'NotReady' },
  'NotReady/AfterCallWork': { state: 'NotReady', workMode: 'AfterCallWork' },
  'NotReady/AuxWork': { state: 'NotReady', workMode: 'AuxWork' },
};

function definitionFor(cc: CenterEntry, s: AgentState): AgentStateRecord | undefined {
  if (s.stateId) {
    const byId = cc.agentStates.find((r) => r.id === s.stateId);
    if (byId) return byId;
  }
  if (s.reason) {
    const custom = cc.agentStates.find((r) => r.state === s.state && r.reason === s.reason && (r.workMode ?? undefined) === s.workMode);
    if (custom) return custom;
  }
  const m = SYSTEM_MATCH[`${s.state}/${s.workMode ?? ''}`];
  if (!m) return undefined;
  return cc.agentStates.find((r) => r.system && r.state === m.state && (r.workMode ?? undefined) === m.workMode);
}

/** The userState object for an agent state of the switch. */
export function userStateOf(cc: CenterEntry, s: AgentState): UserStateJson {
  if (s.state === 'LoggedOut') return { ...LOGGED_OUT_USER_STATE };
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
