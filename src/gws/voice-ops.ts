/**
 * Agent-state operations on the voice channel (POST /api/v2/me/channels/voice, gws-voice-api.md
 * 4.2): the system ones (Ready with workmode, NotReady with reason, AfterCallWork with wrapUpTime,
 * AuxWork) plus one row per custom agent state of the contact center, named by its operationName.
 * The table is built once per contact center.
 */
import type { AgentStateRequest, SwitchPort } from '../switch/port.js';
import { requestForDefinition } from './agent-states.js';
import type { CenterEntry } from './directory.js';
import type { Gate } from './gates.js';
import type { OperationRow, OperationTable } from './operations.js';
import { oneOf, optionalSeconds, optionalString } from './params.js';
import type { Body } from './params.js';
import { unwrap } from './reply.js';

export interface VoiceCtx {
  sw: SwitchPort;
  cc: CenterEntry;
  /** the caller's voice DN */
  dn: string;
}

const VOICE: Gate = { features: ['api-voice'] };

function stateRow(parse: (b: Body) => AgentStateRequest): OperationRow<VoiceCtx, AgentStateRequest> {
  return { gate: VOICE, parse, run: (ctx, req) => void unwrap(ctx.sw.setAgentState(ctx.dn, req)) };
}

export const SYSTEM_VOICE_OPERATIONS: OperationTable<VoiceCtx> = {
  Ready: stateRow((b) => {
    const workMode = oneOf(b, 'workmode', ['ManualIn', 'AutoIn'] as const) ?? oneOf(b, 'workMode', ['ManualIn', 'AutoIn'] as const);
    return workMode ? { state: 'Ready', workMode } : { state: 'Ready' };
  }),
  NotReady: {
    gate: VOICE,
    parse: (b) => optionalString(b, 'reason')?.trim() || undefined,
    run: (ctx, reason: string | undefined) => {
      // a reason that a custom NotReady state carries is that state
      const def = reason ? ctx.cc.agentStates.find((r) => !r.system && r.state === 'NotReady' && r.reason === reason) : undefined;
      const req: AgentStateRequest = def ? requestForDefinition(def) : reason ? { state: 'NotReady', reason } : { state: 'NotReady' };
      unwrap(ctx.sw.setAgentState(ctx.dn, req));
    },
  } satisfies OperationRow<VoiceCtx, string | undefined>,
  AfterCallWork: stateRow((b) => {
    const wrapUpTime = optionalSeconds(b, 'wrapUpTime');
    return wrapUpTime === undefined
      ? { state: 'NotReady', workMode: 'AfterCallWork' }
      : { state: 'NotReady', workMode: 'AfterCallWork', wrapUpTime };
  }),
  AuxWork: stateRow(() => ({ state: 'NotReady', workMode: 'AuxWork' })),
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
      custom[def.operationName] = stateRow(() => req);
    }
    t = Object.freeze({ ...SYSTEM_VOICE_OPERATIONS, ...custom });
    perCenter.set(cc, t);
  }
  return t;
}
