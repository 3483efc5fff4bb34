/**
 * Change detection without serialising views (src/switch/emission.ts) and emission from shared
 * per-call parts (src/switch/views.ts callParts, src/switch/core.ts flush):
 *   - sameJson says "equal" exactly when JSON.stringify says so (fast-check, fixed seed);
 *   - each CallView field maps to its notificationType, in the table's precedence, duration ignored;
 *   - device changes: agent state and DND are agent-state changes, other fields are not;
 *   - a change on a call with many viewers: one event per viewer, all views pointing at one
 *     user-data snapshot, each equal to what a GET returns; an update that changes nothing emits
 *     nothing; a user-data change emits no media fact;
 *   - a user-data change (touchUserData) gives each leg its last view with the new user data and
 *     duration, equal to a GET; after a configure that changed the settings, a full render.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CallModel } from '../../src/switch/call-model.js';
import { VirtualClock, countingIds } from '../../src/switch/clock.js';
import { callChange, deviceChange, sameJson } from '../../src/switch/emission.js';
import type { CallEvent, CallView, DeviceView, SwitchEvent } from '../../src/switch/model.js';
import { defaultSettings } from '../helpers/switch-harness.js';

const SEED = Number(process.env.FC_SEED ?? 20261202);

test('sameJson agrees with comparing JSON.stringify texts', () => {
  // values as views hold them: strings, numbers, booleans, null, arrays, objects (keys in any order, undefined members)
  const value = fc.letrec((tie) => ({
    leaf: fc.oneof(fc.string({ maxLength: 3 }), fc.integer({ min: -3, max: 3 }), fc.boolean(), fc.constant(null)),
    node: fc.oneof(
      { depthSize: 'small' },
      tie('leaf'),
      fc.array(tie('node'), { maxLength: 3 }),
      fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.oneof(tie('node'), fc.constant(undefined)), { maxKeys: 3 }),
    ),
  })).node;
  // pairs that are often equal or nearly so: a value and a reordered or slightly changed copy of it
  const reorder = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(reorder);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reorder(x)]));
    return v;
  };
  fc.assert(
    fc.property(value, value, fc.constantFrom('same', 'copy', 'reordered', 'other'), (a, b, how) => {
      const other = how === 'same' ? a : how === 'copy' ? structuredClone(a) : how === 'reordered' ? reorder(a) : b;
      assert.equal(sameJson(a, other), JSON.stringify(a) === JSON.stringify(other), `${JSON.stringify(a)} vs ${JSON.stringify(other)}`);
    }),
    { seed: SEED, numRuns: 2000 },
  );
});

function view(over: Partial<CallView> = {}): CallView {
  return {
    callUuid: 'C1', connId: '01', state: 'Established', callType: 'Inbound', dnis: '7000', participants: ['+1555', '5101'],
    userData: { a: 1 }, duration: 3, muted: false, supervisorListeningIn: false, monitoredUserMuted: false, monitoring: false,
    capabilities: ['Hangup', 'Hold'], ...over,
  };
}

test('callChange: each field is its notification, in order of precedence; duration alone is no change', () => {
  const base = view();
  assert.equal(callChange(undefined, base), 'StatusChange', 'a first view');
  assert.equal(callChange(base, view({ duration: 99 })), undefined);
  assert.equal(callChange(base, view({ userData: { a: 1 } })), undefined, 'equal content, another object');
  const rows: [Partial<CallView>, string][] = [
    [{ state: 'Held' }, 'StatusChange'],
    [{ recordingState: 'Recording' }, 'CallRecordingStateChange'],
    [{ monitoredUserMuted: true }, 'MonitoredUserMutedStateChange'],
    [{ participants: ['+1555'] }, 'ParticipantsUpdated'],
    [{ userData: { a: 2 } }, 'AttachedDataChanged'],
    [{ userData: { b: 1, a: 1 } }, 'AttachedDataChanged'],
    [{ muted: true }, 'StatusChange'],
    [{ capabilities: ['Hangup'] }, 'StatusChange'],
    [{ parentCallUuid: 'C0' }, 'StatusChange'],
    [{ ani: '+1555' }, 'StatusChange'],
    [{ dnis: '5001' }, 'StatusChange'],
    [{ supervisorListeningIn: true }, 'StatusChange'],
  ];
  for (const [over, type] of rows) assert.equal(callChange(base, view(over)), type, JSON.stringify(over));
  assert.equal(callChange(base, view({ state: 'Held', userData: {} })), 'StatusChange', 'state wins over user data');
  assert.equal(callChange(base, view({ participants: [], userData: {} })), 'ParticipantsUpdated', 'participants win over user data');
});

test('deviceChange: agent state and DND are agent-state changes; other fields change the device only', () => {
  const device: DeviceView = { dn: '5001', contactCenterId: 'cc1', loggedIn: true, userId: 'u', agentState: { state: 'Ready' }, dnd: false, capabilities: ['DoNotDisturbOn'] };
  assert.deepEqual(deviceChange(undefined, device), { agentStateChanged: true });
  assert.equal(deviceChange(device, structuredClone(device)), undefined);
  assert.deepEqual(deviceChange(device, { ...device, agentState: { state: 'NotReady' } }), { agentStateChanged: true });
  assert.deepEqual(deviceChange(device, { ...device, dnd: true }), { agentStateChanged: true });
  assert.deepEqual(deviceChange(device, { ...device, forwardTo: '5002' }), { agentStateChanged: false });
});

const SUPERVISORS = Array.from({ length: 30 }, (_, i) => String(5101 + i));

function switchWithSupervisors(clock = new VirtualClock()): { sw: CallModel; events: SwitchEvent[]; callUuid: string } {
  const settings = defaultSettings({ supervision: { intrusion: true, autoAnswer: true, maxSupervisorsPerAgent: SUPERVISORS.length, notifyAgent: 'always' } });
  const sw = new CallModel({ clock, ids: countingIds(), log: { error: (o) => assert.fail(`switch failure: ${JSON.stringify(o)}`) } });
  sw.configure({
    id: 'cc1',
    settings,
    dns: ['5001', ...SUPERVISORS].map((number) => ({ number, kind: 'Extension' as const, contactCenterId: 'cc1' })),
  });
  const events: SwitchEvent[] = [];
  sw.onEvent((e) => events.push(e));
  assert.ok(sw.login('5001', { userId: 'u5001', isAgent: true }).ok);
  for (const dn of SUPERVISORS) {
    assert.ok(sw.login(dn, { userId: 'u' + dn, isAgent: false }).ok);
    assert.ok(sw.monitor(dn, { mode: 'ListenIn', scope: 'Call', span: 'AllCalls', targetDn: '5001' }).ok);
  }
  const inbound = sw.simulateInbound('+15551234', '5001');
  assert.ok(inbound.ok);
  assert.ok(sw.callOperation('5001', inbound.value.callUuid, { name: 'Answer' }).ok);
  assert.equal(sw.callsOf(SUPERVISORS.at(-1)!).length, 1, 'every supervisor joined');
  return { sw, events, callUuid: inbound.value.callUuid };
}

test('a user-data change on a call with 30 supervisors: one event per viewer, one shared snapshot, each equal to a GET', () => {
  const { sw, events, callUuid } = switchWithSupervisors();
  events.length = 0;
  assert.ok(sw.callOperation('5001', callUuid, { name: 'UpdateUserData', userData: { Segment: 'gold' } }).ok);
  const calls = events.filter((e): e is CallEvent => e.kind === 'call');
  assert.deepEqual(calls.map((e) => e.dn), ['5001', ...SUPERVISORS], 'every viewer once, in join order');
  assert.ok(calls.every((e) => e.notificationType === 'AttachedDataChanged'));
  assert.equal(new Set(calls.map((e) => e.view.userData)).size, 1, 'every view points at one user-data snapshot');
  assert.equal(events.filter((e) => e.kind === 'media').length, 0, 'who hears whom did not change');
  for (const e of calls) assert.deepEqual(e.view, sw.callView(callUuid, e.dn), `${e.dn}: the notification equals the GET`);
  assert.deepEqual(calls[1].view.participants, ['+15551234', '5001', ...SUPERVISORS.slice(1)], 'a supervisor sees every other party');

  events.length = 0;
  assert.ok(sw.callOperation('5001', callUuid, { name: 'UpdateUserData', userData: { Segment: 'gold' } }).ok);
  assert.deepEqual(events.filter((e) => e.kind === 'call' || e.kind === 'media'), [], 'an update that changes nothing is not notified');
});

test('the snapshot is not shared with the next change: an earlier notification keeps the user data it had', () => {
  const { sw, events, callUuid } = switchWithSupervisors();
  events.length = 0;
  assert.ok(sw.callOperation('5001', callUuid, { name: 'UpdateUserData', userData: { Step: 1 } }).ok);
  const first = events.find((e): e is CallEvent => e.kind === 'call')!;
  assert.ok(sw.callOperation('5001', callUuid, { name: 'DeleteUserDataPair', key: 'Step' }).ok);
  assert.ok(sw.callOperation('5001', callUuid, { name: 'UpdateUserData', userData: { Step: 2 } }).ok);
  assert.deepEqual(first.view.userData, { Step: 1 });
  assert.deepEqual(sw.callView(callUuid, '5001')?.userData, { Step: 2 });
});

test("a leg's unchanged long participants list (6 or more) is shared, frozen, by its next views; a changed one is new", () => {
  const { sw, events, callUuid } = switchWithSupervisors();
  events.length = 0;
  assert.ok(sw.callOperation('5001', callUuid, { name: 'UpdateUserData', userData: { Step: 1 } }).ok);
  const first = new Map(events.filter((e): e is CallEvent => e.kind === 'call').map((e) => [e.dn, e.view.participants]));
  events.length = 0;
  assert.ok(sw.callOperation('5001', callUuid, { name: 'UpdateUserData', userData: { Step: 2 } }).ok);
  const second = events.filter((e): e is CallEvent => e.kind === 'call');
  assert.equal(second.length, first.size);
  // the supervisors see 30 parties; the agent, who sees only the customer, gets a new short list
  for (const e of second.filter((x) => x.view.participants.length >= 6)) {
    assert.equal(e.view.participants, first.get(e.dn), `${e.dn}: the same list as its last view`);
    assert.ok(Object.isFrozen(e.view.participants));
  }
  assert.equal(second.filter((x) => x.view.participants.length >= 6).length, SUPERVISORS.length);
  // a supervisor leaves: every remaining leg's list changes, and is a new list
  events.length = 0;
  assert.ok(sw.callOperation(SUPERVISORS[0], callUuid, { name: 'Hangup' }).ok);
  for (const e of events.filter((x): x is CallEvent => x.kind === 'call' && x.dn !== SUPERVISORS[0])) {
    assert.notEqual(e.view.participants, first.get(e.dn), `${e.dn}: a changed list is a new list`);
    assert.ok(!e.view.participants.includes(SUPERVISORS[0]));
    assert.deepEqual(e.view, sw.callView(callUuid, e.dn), `${e.dn}: the notification equals the GET`);
  }
});

test('a user-data change gives each leg its last view with the new user data and duration, as a render would', () => {
  const clock = new VirtualClock();
  const { sw, events, callUuid } = switchWithSupervisors(clock);
  clock.advance(65_000);
  events.length = 0;
  assert.ok(sw.callOperation('5001', callUuid, { name: 'AttachUserData', userData: { Step: 1 } }).ok);
  const calls = events.filter((e): e is CallEvent => e.kind === 'call');
  assert.equal(calls.length, 1 + SUPERVISORS.length);
  for (const e of calls) {
    assert.equal(e.view.duration, 65, `${e.dn}: the duration is the call's now`);
    assert.deepEqual(e.view, sw.callView(callUuid, e.dn), `${e.dn}: the notification equals the GET`);
  }
  // the deletes take the same path
  events.length = 0;
  assert.ok(sw.callOperation('5001', callUuid, { name: 'DeleteUserDataPair', key: 'Step' }).ok);
  assert.ok(sw.callOperation('5001', callUuid, { name: 'AttachUserData', userData: { Step: 2 } }).ok);
  assert.ok(sw.callOperation('5001', callUuid, { name: 'DeleteUserData' }).ok);
  const types = events.filter((e): e is CallEvent => e.kind === 'call' && e.dn === '5001').map((e) => [e.notificationType, e.view.userData]);
  assert.deepEqual(types, [['AttachedDataChanged', {}], ['AttachedDataChanged', { Step: 2 }], ['AttachedDataChanged', {}]]);
});

test('a user-data change after a configure that changed the supervision settings renders the views again', () => {
  const { sw, events, callUuid } = switchWithSupervisors();
  // the agent is told it is listened to; then the center stops telling agents (a configure touches no call)
  assert.equal(sw.callView(callUuid, '5001')?.supervisorListeningIn, true);
  const settings = defaultSettings({ supervision: { intrusion: true, autoAnswer: true, maxSupervisorsPerAgent: SUPERVISORS.length, notifyAgent: 'never' } });
  sw.configure({ id: 'cc1', settings, dns: ['5001', ...SUPERVISORS].map((number) => ({ number, kind: 'Extension' as const, contactCenterId: 'cc1' })) });
  events.length = 0;
  assert.ok(sw.callOperation('5001', callUuid, { name: 'UpdateUserData', userData: { Step: 1 } }).ok);
  const agent = events.find((e): e is CallEvent => e.kind === 'call' && e.dn === '5001')!;
  assert.equal(agent.view.supervisorListeningIn, false, 'the new settings are in the view');
  assert.deepEqual(agent.view, sw.callView(callUuid, '5001'), 'the notification equals the GET');
});
