/**
 * Routing order, before and after the indexes (issue 12 point 7): random workloads (agents logging
 * in and out, Ready / NotReady / after-call work, DND, forwarding, calls arriving at three routing
 * points with different pools, answers, rejections, hang-ups by agents and customers, transfers to
 * a routing point, the virtual clock advancing through ring-no-answer and wrap-up timers) run on two
 * switches at once: the production one, and one whose routing is the algorithm as it was before the
 * indexes (`oracleDistribute` and `oraclePickAgent` below, copied from lifecycle.ts at 5018d7f, and
 * the scan of every call on Ready). After every step both switches must have emitted the same
 * events (so every call went to the same agent, in the same order), and the production switch's
 * index of Ready agents must equal a full evaluation of the rule. Seed fixed (FC_SEED, FC_RUNS).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CallModel } from '../../src/switch/call-model.js';
import { VirtualClock, countingIds } from '../../src/switch/clock.js';
import type { Call, DnState, SwitchCore } from '../../src/switch/core.js';
import type { CallLifecycle } from '../../src/switch/lifecycle.js';
import { AgentStateName, PartyState } from '../../src/switch/model.js';
import type { SwitchEvent } from '../../src/switch/model.js';
import { CallQueue } from '../../src/switch/routing-queue.js';
import { defaultSettings, eventLine } from '../helpers/switch-harness.js';

const SEED = Number(process.env.FC_SEED ?? 20261202);
const RUNS = Number(process.env.FC_RUNS ?? 150);

const AGENTS = ['5001', '5002', '5003', '5004', '5005', '5006'];
const ROUTING_POINTS = ['7000', '7001', '7002'];
const FORWARD_TARGETS = [...AGENTS, '+15550009999', '7000'];

// ------------------------------------------------------------------ the oracle: routing as it was

/** pickAgent before the indexes: every DN of the pool, filtered, sorted */
function oraclePickAgent(core: SwitchCore, rp: string, call: Call): string | undefined {
  const cfg = core.dns.get(rp)!.config;
  const candidates: DnState[] = [];
  const pool = cfg.targets && cfg.targets.length ? cfg.targets : [...core.dns.keys()];
  for (const dn of pool) {
    const d = core.dns.get(dn);
    if (!d || d.config.kind !== 'Extension' || d.config.contactCenterId !== call.ccId) continue;
    if (!d.loggedIn || !d.isAgent || d.agentState.state !== AgentStateName.Ready || d.dnd) continue;
    if (call.rejectedBy.has(dn) || !core.agentIdle(d)) continue;
    candidates.push(d);
  }
  candidates.sort((a, b) => a.idleSince - b.idleSince || a.config.number.localeCompare(b.config.number));
  return candidates[0]?.config.number;
}

/**
 * distribute before the indexes: every routing point, every queued call, on every settle. The queue
 * itself is the production CallQueue (its operations are checked against an array below); a call
 * the old code spliced out and back in at the same index simply stays where it is.
 */
function oracleDistribute(core: SwitchCore, lifecycle: CallLifecycle): void {
  for (const [rp, uuids] of core.routing.waiting()) {
    let i = 0;
    while (i < uuids.length) {
      const call = core.calls.get(uuids[i]);
      const rpParty = call && call.parties.find((p) => p.kind === 'RoutingPoint' && p.dn === rp && p.state !== PartyState.Released);
      if (!call || !rpParty) {
        core.routing.dequeue(rp, uuids[i]);
        uuids.splice(i, 1);
        continue;
      }
      const agent = oraclePickAgent(core, rp, call);
      if (!agent) {
        i++;
        continue;
      }
      core.move(call, rpParty, PartyState.Released, 'distribute');
      const target = lifecycle.resolve(call.ccId, agent);
      if (target.kind === 'Fail' || target.kind === 'RoutingPoint') {
        call.rejectedBy.add(agent);
        core.addParty(call, rp, 'RoutingPoint', PartyState.Ringing);
        continue;
      }
      uuids.splice(i, 1);
      core.routing.dequeue(rp, call.uuid);
      const p = lifecycle.connect(call, target);
      p.routedBy = rp;
    }
  }
}

// ------------------------------------------------------------------ two switches, one workload

interface Side {
  clock: VirtualClock;
  sw: CallModel;
  core: SwitchCore;
  events: string[];
  errors: string[];
}

function side(settings: ReturnType<typeof defaultSettings>, oracle: boolean): Side {
  const clock = new VirtualClock();
  const errors: string[] = [];
  const sw = new CallModel({ clock, ids: countingIds(), log: { error: (o, msg) => errors.push(`${msg}: ${String((o as { err?: unknown }).err)}`) } });
  const core = sw.core;
  if (oracle) {
    const lifecycle = (sw as unknown as { lifecycle: CallLifecycle }).lifecycle;
    core.route = () => oracleDistribute(core, lifecycle);
    core.routing.forgetRejections = (dn: string) => {
      for (const call of core.calls.values()) call.rejectedBy.delete(dn);
    };
  }
  sw.configure({
    id: 'cc1',
    settings,
    dns: [
      ...AGENTS.map((number) => ({ number, kind: 'Extension' as const, contactCenterId: 'cc1' })),
      { number: '7000', kind: 'RoutingPoint' as const, contactCenterId: 'cc1', targets: AGENTS.slice(0, 4) },
      { number: '7001', kind: 'RoutingPoint' as const, contactCenterId: 'cc1' },
      { number: '7002', kind: 'RoutingPoint' as const, contactCenterId: 'cc1', targets: AGENTS.slice(2) },
    ],
  });
  const events: string[] = [];
  sw.onEvent((e: SwitchEvent) => events.push(eventLine(e)));
  return { clock, sw, core, events, errors };
}

/** the rule evaluated in full: the agents of rp's pool that may take a call, longest idle first */
function fullReadyOf(core: SwitchCore, rp: string): string[] {
  const cfg = core.dns.get(rp)!.config;
  const pool = cfg.targets?.length ? cfg.targets : [...core.dns.keys()];
  return [...new Set(pool)]
    .map((dn) => core.dns.get(dn))
    .filter((d): d is DnState => !!d && d.config.kind === 'Extension' && d.config.contactCenterId === cfg.contactCenterId)
    .filter((d) => d.loggedIn && d.isAgent && d.agentState.state === AgentStateName.Ready && !d.dnd && core.agentIdle(d))
    .sort((a, b) => a.idleSince - b.idleSince || a.config.number.localeCompare(b.config.number))
    .map((d) => d.config.number);
}

const step = fc.record({
  kind: fc.constantFrom(
    'login', 'logout', 'ready', 'ready', 'ready', 'notReady', 'afterCallWork', 'dnd', 'forward',
    'arrive', 'arrive', 'arrive', 'arrive', 'answer', 'answer', 'answer', 'reject', 'hangup', 'hangup',
    'customerHangup', 'transferToRoutingPoint', 'dial', 'tick', 'tick', 'tick',
  ),
  a: fc.nat(1000),
  b: fc.nat(1000),
});
type Step = { kind: string; a: number; b: number };

/** the live call of dn in a given state, if any */
function callIn(s: Side, dn: string, state: string): string | undefined {
  return s.sw.callsOf(dn).find((uuid) => s.sw.callView(uuid, dn)?.state === state);
}

/** apply one step to a side; returns a line saying what was done and how it went */
function apply(s: Side, st: Step, customers: { n: number }): string {
  const dn = AGENTS[st.a % AGENTS.length];
  const res = (r: { ok: boolean }) => (r.ok ? 'ok' : 'refused');
  switch (st.kind) {
    case 'login':
      return `login ${dn} ${res(s.sw.login(dn, { userId: 'u' + dn, isAgent: true }))}`;
    case 'logout':
      return `logout ${dn} ${res(s.sw.logout(dn))}`;
    case 'ready':
      return `ready ${dn} ${res(s.sw.setAgentState(dn, { state: 'Ready' }))}`;
    case 'notReady':
      return `notReady ${dn} ${res(s.sw.setAgentState(dn, { state: 'NotReady' }))}`;
    case 'afterCallWork':
      return `acw ${dn} ${res(s.sw.setAgentState(dn, { state: 'NotReady', workMode: 'AfterCallWork', wrapUpTime: 1 + (st.b % 3) }))}`;
    case 'dnd':
      return `dnd ${dn} ${res(s.sw.setDoNotDisturb(dn, st.b % 2 === 0))}`;
    case 'forward': {
      const to = st.b % 3 === 0 ? null : FORWARD_TARGETS[st.b % FORWARD_TARGETS.length];
      return `forward ${dn} ${to} ${res(s.sw.setForward(dn, to === dn ? null : to))}`;
    }
    case 'arrive': {
      const rp = ROUTING_POINTS[st.b % ROUTING_POINTS.length];
      const from = `+1555${String(customers.n++).padStart(7, '0')}`;
      return `arrive ${from} ${rp} ${res(s.sw.simulateInbound(from, rp))}`;
    }
    case 'answer':
    case 'reject': {
      const uuid = callIn(s, dn, 'Ringing');
      if (!uuid) return `${st.kind} ${dn} nothing ringing`;
      return `${st.kind} ${dn} ${res(s.sw.callOperation(dn, uuid, { name: st.kind === 'answer' ? 'Answer' : 'Reject' }))}`;
    }
    case 'hangup': {
      const uuid = callIn(s, dn, 'Established');
      if (!uuid) return `hangup ${dn} no call`;
      return `hangup ${dn} ${res(s.sw.callOperation(dn, uuid, { name: 'Hangup' }))}`;
    }
    case 'customerHangup': {
      const calls = [...s.core.calls.keys()];
      if (!calls.length) return 'customerHangup none';
      const uuid = calls[st.b % calls.length];
      return `customerHangup ${res(s.sw.simulateExternalHangup(uuid))}`;
    }
    case 'transferToRoutingPoint': {
      const uuid = callIn(s, dn, 'Established');
      if (!uuid) return `transfer ${dn} no call`;
      const rp = ROUTING_POINTS[st.b % ROUTING_POINTS.length];
      const name = st.b % 2 === 0 ? 'SingleStepTransfer' : 'InitiateTransfer';
      const r = s.sw.callOperation(dn, uuid, { name, destination: { phoneNumber: rp } });
      if (name === 'InitiateTransfer' && r.ok) {
        const consult = s.sw.callsOf(dn).find((u) => u !== uuid);
        if (consult) return `transfer ${dn} ${rp} ${res(s.sw.callOperation(dn, consult, { name: 'CompleteTransfer' }))}`;
      }
      return `transfer ${dn} ${rp} ${name} ${res(r)}`;
    }
    case 'dial': {
      const to = AGENTS[st.b % AGENTS.length];
      return `dial ${dn} ${to} ${res(s.sw.dial(dn, { phoneNumber: to }))}`;
    }
    default:
      s.clock.advance(250 + (st.b % 8) * 500);
      return 'tick';
  }
}

test('routing order: same agent for every call, in the same order, as the algorithm before the indexes', () => {
  fc.assert(
    fc.property(
      fc.array(step, { minLength: 30, maxLength: 150, size: 'max' }),
      fc.constantFrom(0, 0, 2),
      fc.constantFrom('Ready' as const, 'NotReady' as const),
      fc.constantFrom(0, 3000),
      (steps, wrapUpTime, afterWrapUp, ringNoAnswerMs) => {
        const settings = defaultSettings({ wrapUpTime, afterWrapUp, ringNoAnswerMs, externalAnswerDelayMs: 500 });
        const prod = side(settings, false);
        const oracle = side(settings, true);
        const customers = { prod: { n: 0 }, oracle: { n: 0 } };
        // everyone logs in Ready at distinct times, so idle order is not decided by DN number alone
        for (const dn of AGENTS.slice(0, 4)) {
          for (const s of [prod, oracle]) {
            s.sw.login(dn, { userId: 'u' + dn, isAgent: true });
            s.sw.setAgentState(dn, { state: 'Ready' });
            s.clock.advance(1000);
          }
        }
        steps.forEach((st, i) => {
          const did = apply(prod, st, customers.prod);
          const expected = apply(oracle, st, customers.oracle);
          assert.equal(did, expected, `step ${i}: the two switches answered differently`);
          assert.deepEqual(prod.events, oracle.events, `step ${i} (${did}): events differ from the algorithm before the indexes`);
          assert.deepEqual(prod.errors, []);
          assert.deepEqual(oracle.errors, []);
          prod.core.routing.refresh();
          for (const rp of ROUTING_POINTS) assert.deepEqual(prod.core.routing.readyOf(rp), fullReadyOf(prod.core, rp), `step ${i}: Ready index of ${rp}`);
          assert.deepEqual([...prod.core.routing.waiting()], [...oracle.core.routing.waiting()], `step ${i}: waiting calls`);
        });
      },
    ),
    { seed: SEED, numRuns: RUNS },
  );
});

test('routing queue: the array operations of the old code, with a call that would be in twice kept at its first place only', () => {
  const op = fc.record({ kind: fc.constantFrom('pushBack', 'pushFront', 'remove', 'replace'), a: fc.nat(6), b: fc.nat(6) });
  fc.assert(
    fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
      const q = new CallQueue();
      let model: string[] = [];
      for (const { kind, a, b } of ops) {
        const x = `c${a}`;
        const y = `c${b}`;
        if (kind === 'pushBack') {
          q.pushBack(x);
          model.push(x);
        } else if (kind === 'pushFront') {
          q.pushFront(x);
          model.unshift(x);
        } else if (kind === 'remove') {
          q.remove(x);
          model = model.filter((u) => u !== x);
        } else {
          q.replace(x, y);
          const i = model.indexOf(x);
          if (i >= 0) model[i] = y;
        }
        // the old arrays could hold a call twice; only its first place ever mattered
        model = model.filter((u, i) => model.indexOf(u) === i);
        assert.deepEqual([...q], model);
        assert.equal(q.length, model.length);
      }
    }),
    { seed: SEED, numRuns: 300 },
  );
});
