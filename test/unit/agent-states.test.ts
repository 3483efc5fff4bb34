/**
 * The userState of an agent state (src/gws/agent-states.ts userStateOf) looks its definition up in
 * an index per loaded contact center. Property: on random definition lists (duplicate ids, reasons
 * and work modes, system and custom records, in the order Directory.load keeps: system first) and
 * random switch agent states, the answer equals that of the walk over the list the index replaced
 * (written out below as the reference), so the first matching record still wins.
 * Seed fixed (FC_SEED, FC_RUNS).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { SYSTEM_MATCH, userStateOf } from '../../src/gws/agent-states.js';
import type { CenterEntry } from '../../src/gws/directory.js';
import type { AgentStateRecord } from '../../src/store/port.js';
import type { AgentState } from '../../src/switch/model.js';

const SEED = Number(process.env.FC_SEED ?? 20261203);
const RUNS = Number(process.env.FC_RUNS ?? 300);

/** the definition lookup as it was before the index: a walk over the center's list (the system table is the module's own) */
function referenceDefinition(list: readonly AgentStateRecord[], s: AgentState): AgentStateRecord | undefined {
  if (s.stateId) {
    const byId = list.find((r) => r.id === s.stateId);
    if (byId) return byId;
  }
  if (s.reason) {
    const custom = list.find((r) => r.state === s.state && r.reason === s.reason && (r.workMode ?? undefined) === s.workMode);
    if (custom) return custom;
  }
  const m = SYSTEM_MATCH[`${s.state}/${s.workMode ?? ''}`];
  if (!m) return undefined;
  return list.find((r) => r.system && r.state === m.state && (r.workMode ?? undefined) === m.workMode);
}

function referenceUserState(list: readonly AgentStateRecord[], s: AgentState): Record<string, string> {
  if (s.state === 'LoggedOut') return { state: 'LoggedOut', displayName: 'Logged Out' };
  const def = referenceDefinition(list, s);
  if (!def) {
    const out: Record<string, string> = { displayName: s.reason ?? (s.workMode ?? s.state), state: s.state };
    if (s.workMode && s.state === 'NotReady') out.workMode = s.workMode;
    if (s.reason) out.reason = s.reason;
    return out;
  }
  const out: Record<string, string> = { id: def.id, displayName: def.displayName, state: def.state };
  if (def.workMode) out.workMode = def.workMode;
  const reason = def.reason ?? s.reason;
  if (reason) out.reason = reason;
  return out;
}

const ids = fc.constantFrom('A', 'B', 'C', 'D');
// null too: the type says absent, but a record read from a database column could carry a null
const reasons = fc.constantFrom(undefined, null, '', 'Lunch', 'Break', 'Training');
const workModes = fc.constantFrom(undefined, null, 'AfterCallWork', 'AuxWork');

const definition: fc.Arbitrary<AgentStateRecord> = fc.record({
  id: ids,
  operationName: fc.constantFrom('Ready', 'NotReady', 'Lunch', 'X'),
  displayName: fc.string({ maxLength: 6 }),
  state: fc.constantFrom('Ready' as const, 'NotReady' as const),
  workMode: workModes,
  reason: reasons,
  contactCenterId: fc.constant('cc'),
  system: fc.boolean(),
}).map((r) => {
  // an undefined member is left out, as the store reads it; a null one is kept
  const out: Record<string, unknown> = { ...r };
  for (const k of ['workMode', 'reason'] as const) if (out[k] === undefined) delete out[k];
  return out as unknown as AgentStateRecord;
});

const agentState: fc.Arbitrary<AgentState> = fc.record(
  {
    state: fc.constantFrom('Ready', 'NotReady', 'LoggedOut') as fc.Arbitrary<AgentState['state']>,
    workMode: fc.constantFrom('AfterCallWork', 'AuxWork', 'ManualIn', 'AutoIn') as fc.Arbitrary<NonNullable<AgentState['workMode']>>,
    reason: fc.constantFrom('', 'Lunch', 'Break', 'Other'),
    stateId: fc.constantFrom('', 'A', 'B', 'Z'),
  },
  { requiredKeys: ['state'] },
);

test('userStateOf answers through the per-center index exactly as the walk over the definitions did', () => {
  fc.assert(
    fc.property(fc.array(definition, { maxLength: 12 }), fc.array(agentState, { minLength: 1, maxLength: 20 }), (records, states) => {
      // Directory.load keeps system definitions first
      const list = [...records].sort((a, b) => Number(b.system) - Number(a.system));
      const cc = { agentStates: list } as unknown as CenterEntry;
      for (const s of states) assert.deepEqual(userStateOf(cc, s), referenceUserState(list, s), JSON.stringify({ list, s }));
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

test('a center loaded again (a new CenterEntry) is looked up in its own definitions, not in a stale index', () => {
  const lunch = (displayName: string): AgentStateRecord =>
    ({ id: 'L', operationName: 'Lunch', displayName, state: 'NotReady', reason: 'Lunch', contactCenterId: 'cc', system: false }) as AgentStateRecord;
  const first = { agentStates: [lunch('Lunch break')] } as unknown as CenterEntry;
  const second = { agentStates: [lunch('Out to lunch')] } as unknown as CenterEntry;
  assert.equal(userStateOf(first, { state: 'NotReady', reason: 'Lunch' }).displayName, 'Lunch break');
  assert.equal(userStateOf(second, { state: 'NotReady', reason: 'Lunch' }).displayName, 'Out to lunch');
});

test('userStateOf shares one frozen answer per center and agent state, and stays right past its bound', () => {
  const lunch = { id: 'L', operationName: 'Lunch', displayName: 'Lunch', state: 'NotReady', reason: 'Lunch', contactCenterId: 'cc', system: false } as AgentStateRecord;
  const cc = { agentStates: [lunch] } as unknown as CenterEntry;
  const first = userStateOf(cc, { state: 'NotReady', reason: 'Lunch' });
  assert.ok(Object.isFrozen(first));
  // an equal state in a fresh object (the switch copies its agent state into every view) gets the same answer
  assert.equal(userStateOf(cc, { state: 'NotReady', reason: 'Lunch' }), first);
  assert.throws(() => {
    (first as { displayName: string }).displayName = 'changed';
  }, TypeError);
  // '' and an absent reason are different answers (displayName '' against the state's name)
  assert.notEqual(userStateOf(cc, { state: 'NotReady', reason: '' }), userStateOf(cc, { state: 'NotReady' }));
  assert.equal(userStateOf(cc, { state: 'NotReady', reason: '' }).displayName, '');
  // free-text reasons beyond the memo's bound: every answer still equals a fresh computation
  for (let i = 0; i < 5000; i++) {
    const s: AgentState = { state: 'NotReady', reason: `reason ${i}` };
    assert.deepEqual(userStateOf(cc, s), referenceUserState([lunch], s));
  }
  assert.deepEqual(userStateOf(cc, { state: 'NotReady', reason: 'Lunch' }), first);
});
