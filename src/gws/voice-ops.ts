/**
 * Agent-state operations on the voice channel (POST /api/v2/me/channels/voice, gws-voice-api.md
 * 4.2): the system ones (Ready with workmode, NotReady with reason, AfterCallWork with wrapUpTime,
 * AuxWork) plus one row per custom agent state of the contact center, named by its operationName.
 * The table is built once per contact center. A row answers in the same tick when the switch does
 * (awaitable.ts): no Promise on the local switch's path.
 */
import type { AgentStateRequest } from '../switch/port.js';
import type { SwitchAccess } from '../switch/port-access.js';
import { requestForDefinition } from './agent-states.js';
import type { CenterEntry } from './directory.js';
import type { Gate } from './gates.js';
import type { OperationRow, OperationTable } from './operations.js';
import { NO_PARAMS, rowOf } from './operations.js';
import type { ParamSpec, ParamValues } from './params.js';
import { unwrap } from './reply.js';
import { thenNow, type Awaitable } from './awaitable.js';

export interface VoiceCtx {
  sw: SwitchAccess;
  cc: CenterEntry;
  /** the caller's voice DN */
  dn: string;
}

const VOICE: Gate = { features: ['api-voice'] };

const voiceRow = rowOf<VoiceCtx>();

/** the switch's answer to an agent-state request: nothing, or its refusal thrown (now when the switch answers now) */
function setAgentState(ctx: VoiceCtx, req: AgentStateRequest): Awaitable<void> {
  return thenNow(ctx.sw.setAgentState(ctx.dn, req), unwrap);
}

/** an agent-state row whose parameters make the request */
function stateRow<const L extends readonly ParamSpec[]>(
  summary: string,
  params: L,
  build: (v: ParamValues<L>) => AgentStateRequest,
): OperationRow<VoiceCtx, AgentStateRequest> {
  return voiceRow({ gate: VOICE, summary, params, build, run: (ctx, req) => setAgentState(ctx, req) });
}

const WORK_MODE_PARAM = {
  name: 'workmode',
  kind: 'choice',
  values: ['ManualIn', 'AutoIn'],
  aliases: ['workMode'],
  description: 'ManualIn: after each call the agent is NotReady; AutoIn: Ready again at once (also accepted spelled workMode)',
} as const satisfies ParamSpec;

export const SYSTEM_VOICE_OPERATIONS: OperationTable<VoiceCtx> = {
  Ready: stateRow('Become Ready for calls', [WORK_MODE_PARAM], (v) => (v.workmode ? { state: 'Ready', workMode: v.workmode } : { state: 'Ready' })),
  NotReady: voiceRow({
    gate: VOICE,
    summary: 'Become NotReady (with a reason: the custom NotReady state that carries it, if any)',
    params: [{ name: 'reason', kind: 'text', trim: true, description: "why; a custom NotReady state's reason selects that state", example: 'Lunch' }],
    build: (v) => v.reason,
    run: (ctx, reason) => {
      // a reason that a custom NotReady state carries is that state
      const def = reason ? ctx.cc.agentStates.find((r) => !r.system && r.state === 'NotReady' && r.reason === reason) : undefined;
      const req: AgentStateRequest = def ? requestForDefinition(def) : reason ? { state: 'NotReady', reason } : { state: 'NotReady' };
      return setAgentState(ctx, req);
    },
  }),
  AfterCallWork: stateRow(
    'Enter after-call work (NotReady, workMode AfterCallWork)',
    [{ name: 'wrapUpTime', kind: 'seconds', description: 'seconds of wrap-up before the agent becomes Ready; "0" cancels the timer', example: '30' }],
    (v) =>
      v.wrapUpTime === undefined
        ? { state: 'NotReady', workMode: 'AfterCallWork' }
        : { state: 'NotReady', workMode: 'AfterCallWork', wrapUpTime: v.wrapUpTime },
  ),
  AuxWork: stateRow('Enter auxiliary work (NotReady, workMode AuxWork)', NO_PARAMS, () => ({ state: 'NotReady', workMode: 'AuxWork' })),
};

/** Ready and NotReady are accepted on /api/v2/me too (whole-agent state). */
export const ME_STATE_OPERATIONS: OperationTable<VoiceCtx> = {
  Ready: SYSTEM_VOICE_OPERATIONS.Ready,
  NotReady: SYSTEM_VOICE_OPERATIONS.NotReady,
};

const perCenter = new WeakMap<CenterEntry, OperationTable<VoiceCtx>>();

/** System operations plus the contact center's custom states (system names win on a clash). */
export function voiceOperations(cc: CenterEntry): OperationTable<VoiceCtx> {
  let t = perCenter.get(cc);
  if (!t) {
    const custom: Record<string, OperationRow<VoiceCtx, AgentStateRequest>> = {};
    for (const def of cc.agentStates) {
      if (def.system || Object.hasOwn(SYSTEM_VOICE_OPERATIONS, def.operationName)) continue;
      const req = requestForDefinition(def);
      custom[def.operationName] = stateRow(`Enter the contact center's state '${def.displayName}'`, NO_PARAMS, () => req);
    }
    t = Object.freeze({ ...SYSTEM_VOICE_OPERATIONS, ...custom });
    perCenter.set(cc, t);
  }
  return t;
}
