/**
 * Supervision in the call model (shared/spec/supervision.md), through the switch harness: the
 * numbered scenarios of the spec (arming, spans, scopes, mode switches, transfers, conferences,
 * hold, routing-point monitoring, intrusion, session end) and the limits on one call, each checked
 * against the events and the who-hears-whom media matrix.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, defaultSettings } from '../helpers/switch-harness.js';

const C = '+15551234';

function monitoredCall(h: Harness, mode: 'ListenIn' | 'Coach' | 'BargeIn', extra: Partial<{ scope: 'Agent' | 'Call'; span: 'NextCall' | 'AllCalls' }> = {}) {
  h.loginReady('5001', '5002');
  h.ok(h.sw.login('5101', { userId: 'u5101', isAgent: false }));
  h.ok(h.sw.monitor('5101', { mode, scope: extra.scope ?? 'Call', span: extra.span ?? 'AllCalls', targetDn: '5001' }));
  const { callUuid } = h.ok(h.sw.simulateInbound(C, '7000'));
  h.op('5001', callUuid, { name: 'Answer' });
  return callUuid;
}

test('scenario 1: ListenIn armed while idle joins on answer; customer hangs up; S stays armed', () => {
  const h = new Harness();
  h.loginReady('5001');
  h.ok(h.sw.login('5101', { userId: 'u5101', isAgent: false }));
  h.take();
  h.ok(h.sw.monitor('5101', { mode: 'ListenIn', scope: 'Call', span: 'AllCalls', targetDn: '5001' }));
  assert.deepEqual(h.take(), ['5101 audit Armed ListenIn/AllCalls/Call ->5001', '5101 device NotReady monitor=ListenIn/AllCalls/Call->5001']);
  const { callUuid } = h.ok(h.sw.simulateInbound(C, '7000'));
  assert.deepEqual(h.take(), ['5001 call #1 StatusChange Ringing Inbound [+15551234]'], 'S does not join while A rings');
  h.op('5001', callUuid, { name: 'Answer' });
  assert.deepEqual(h.take(), [
    '5101 audit Joined ListenIn/AllCalls/Call ->5001 agent=5001 #1',
    '5001 call #1 StatusChange Established Inbound [+15551234] listenedIn',
    '5101 call #1 StatusChange Established Inbound [+15551234,5001] mute monitoring',
  ]);
  assert.deepEqual(h.mediaOf(callUuid), { [C]: ['5001'], '5001': [C], '5101': [C, '5001'] });
  h.ok(h.sw.simulateExternalHangup(callUuid));
  assert.deepEqual(h.take(), [
    '5101 audit Left ListenIn/AllCalls/Call ->5001 agent=5001 #1 CallEnded',
    '5001 call #1 StatusChange Released Inbound [+15551234]', // a ListenIn supervisor is not among the agent's participants
    '5101 call #1 StatusChange Released Inbound [+15551234,5001] mute monitoring',
  ]);
  assert.equal(h.sw.device('5101')?.monitoring?.state, 'ListenIn', 'still armed');
});

test('scenario 2: NextCall ends after the first monitored call', () => {
  const h = new Harness();
  const first = monitoredCall(h, 'ListenIn', { span: 'NextCall' });
  h.ok(h.sw.simulateExternalHangup(first));
  assert.equal(h.sw.device('5101')?.monitoring, undefined);
  h.take();
  const second = h.ok(h.sw.simulateInbound('+15550002', '7000')).callUuid;
  const agent = h.sw.callsOf('5001').length ? '5001' : '5002';
  h.op(agent, second, { name: 'Answer' });
  assert.deepEqual(h.sw.callsOf('5101'), []);
});

test('scenarios 3, 4, 10: BargeIn at once, Coach, MuteMonitoredUser: the media matrix', () => {
  const h = new Harness();
  h.loginReady('5001');
  h.ok(h.sw.login('5101', { userId: 'u5101', isAgent: false }));
  const { callUuid } = h.ok(h.sw.simulateInbound(C, '7000'));
  h.op('5001', callUuid, { name: 'Answer' });
  h.ok(h.sw.monitor('5101', { mode: 'BargeIn', scope: 'Call', span: 'AllCalls', targetDn: '5001' }));
  assert.deepEqual(h.mediaOf(callUuid), { [C]: ['5001', '5101'], '5001': [C, '5101'], '5101': [C, '5001'] });
  assert.deepEqual(h.sw.callView(callUuid, '5001')?.participants, [C, '5101']);
  h.op('5101', callUuid, { name: 'MuteMonitoredUser' });
  assert.deepEqual(h.mediaOf(callUuid), { [C]: ['5101'], '5001': [C, '5101'], '5101': [C, '5001'] });
  h.op('5101', callUuid, { name: 'UnmuteMonitoredUser' });
  h.op('5101', callUuid, { name: 'SwitchToCoach' });
  assert.deepEqual(h.mediaOf(callUuid), { [C]: ['5001'], '5001': [C, '5101'], '5101': [C, '5001'] });
  assert.deepEqual(h.sw.device('5101')?.monitoring?.state, 'Coach');
});

test('scenario 5: ListenIn -> BargeIn -> Coach -> ListenIn, capabilities list only allowed switches', () => {
  const h = new Harness();
  const call = monitoredCall(h, 'ListenIn');
  const caps = () => h.sw.callView(call, '5101')!.capabilities.filter((c) => c.startsWith('SwitchTo'));
  assert.deepEqual(caps(), ['SwitchToBargeIn', 'SwitchToCoach']);
  h.op('5101', call, { name: 'SwitchToBargeIn' });
  assert.deepEqual(caps(), ['SwitchToListenIn', 'SwitchToCoach']);
  assert.equal(h.sw.callView(call, '5101')!.muted, false);
  h.op('5101', call, { name: 'SwitchToCoach' });
  assert.deepEqual(caps(), ['SwitchToListenIn', 'SwitchToBargeIn']);
  h.op('5101', call, { name: 'SwitchToListenIn' });
  assert.equal(h.sw.callView(call, '5101')!.muted, true);
  const r = h.sw.callOperation('5101', call, { name: 'SwitchToListenIn' });
  assert.equal(r.ok, false);
});

test('scenario 6: Agent scope, A single-step transfers to B: S released, still armed; next call monitored', () => {
  const h = new Harness();
  const call = monitoredCall(h, 'ListenIn', { scope: 'Agent' });
  h.take();
  h.op('5001', call, { name: 'SingleStepTransfer', destination: { phoneNumber: '5002' } });
  assert.deepEqual(h.sw.callsOf('5101'), []);
  assert.equal(h.sw.device('5101')?.monitoring?.scope, 'Agent');
  h.op('5002', call, { name: 'Answer' });
  assert.deepEqual(h.sw.callsOf('5101'), []);
  const next = h.ok(h.sw.simulateInbound('+15550009', '5001')).callUuid;
  h.op('5001', next, { name: 'Answer' });
  assert.deepEqual(h.sw.callsOf('5101'), [next]);
});

test('scenario 7: Call scope, A single-step transfers to B: S stays and hears B and C', () => {
  const h = new Harness();
  const call = monitoredCall(h, 'ListenIn');
  h.op('5001', call, { name: 'SingleStepTransfer', destination: { phoneNumber: '5002' } });
  h.take();
  h.op('5002', call, { name: 'Answer' });
  assert.deepEqual(h.sw.callsOf('5101'), [call]);
  assert.deepEqual(h.mediaOf(call), { [C]: ['5002'], '5101': [C, '5002'], '5002': [C] });
  assert.equal(h.sw.callView(call, '5101')!.dnis, '5002');
  assert.equal(h.sw.callView(call, '5002')!.supervisorListeningIn, true);
});

test('scenario 8: Call scope, consult transfer keeps S on the call', () => {
  const h = new Harness();
  const call = monitoredCall(h, 'ListenIn');
  h.op('5001', call, { name: 'InitiateTransfer', destination: { phoneNumber: '5002' } });
  const consult = h.sw.callsOf('5002')[0];
  h.op('5002', consult, { name: 'Answer' });
  h.take();
  h.op('5001', call, { name: 'CompleteTransfer' });
  const lines = h.take();
  assert.ok(lines.indexOf('5001 call #1 StatusChange Released Inbound [+15551234,5002]') >= 0, lines.join('\n'));
  assert.deepEqual(h.sw.callsOf('5101'), [call]);
  assert.deepEqual(h.sw.callsOf('5002'), [call]);
  assert.deepEqual(h.mediaOf(call), { [C]: ['5002'], '5101': [C, '5002'], '5002': [C] });
});

test('scenario 9: S barged in, A conferences B: four parties', () => {
  const h = new Harness();
  const call = monitoredCall(h, 'BargeIn');
  h.op('5001', call, { name: 'InitiateConference', destination: { phoneNumber: '5002' } });
  const consult = h.sw.callsOf('5002')[0];
  h.op('5002', consult, { name: 'Answer' });
  h.op('5001', consult, { name: 'CompleteConference' });
  assert.deepEqual(h.mediaOf(call), {
    [C]: ['5001', '5101', '5002'],
    '5001': [C, '5101', '5002'],
    '5101': [C, '5001', '5002'],
    '5002': [C, '5001', '5101'],
  });
});

test('scenario 12: second supervisor refused by default; allowed to listen with max 2, not to barge', () => {
  const h = new Harness();
  monitoredCall(h, 'BargeIn');
  h.ok(h.sw.login('5102', { userId: 'u5102', isAgent: false }));
  const r = h.sw.monitor('5102', { mode: 'ListenIn', scope: 'Call', span: 'AllCalls', targetDn: '5001' });
  assert.equal(!r.ok && r.error.code, 'InUse');
  const h2 = new Harness(defaultSettings({ supervision: { intrusion: true, autoAnswer: true, maxSupervisorsPerAgent: 2, notifyAgent: 'always' } }));
  const call = monitoredCall(h2, 'BargeIn');
  h2.ok(h2.sw.login('5102', { userId: 'u5102', isAgent: false }));
  h2.ok(h2.sw.monitor('5102', { mode: 'ListenIn', scope: 'Call', span: 'AllCalls', targetDn: '5001' }));
  assert.deepEqual(h2.sw.callsOf('5102'), [call]);
  const s = h2.sw.callOperation('5102', call, { name: 'SwitchToBargeIn' });
  assert.equal(!s.ok && s.error.code, 'InUse');
});

test('two supervisors: one listening hears the other coaching; the customer does not (supervision.md 5, rule 2)', () => {
  const h = new Harness(defaultSettings({ supervision: { intrusion: true, autoAnswer: true, maxSupervisorsPerAgent: 2, notifyAgent: 'always' } }));
  const call = monitoredCall(h, 'ListenIn');
  h.ok(h.sw.login('5102', { userId: 'u5102', isAgent: false }));
  h.ok(h.sw.monitor('5102', { mode: 'Coach', scope: 'Call', span: 'AllCalls', targetDn: '5001' }));
  assert.deepEqual(h.mediaOf(call), {
    [C]: ['5001'],
    '5001': [C, '5102'],
    '5101': [C, '5001', '5102'],
    '5102': [C, '5001'],
  });
  // the coach barges in: everyone hears them
  h.op('5102', call, { name: 'SwitchToBargeIn' });
  assert.deepEqual(h.mediaOf(call), {
    [C]: ['5001', '5102'],
    '5001': [C, '5102'],
    '5101': [C, '5001', '5102'],
    '5102': [C, '5001'],
  });
});

/** settings with the given supervision limits (intrusion and auto-answer on) */
const supervision = (maxSupervisorsPerAgent: number) => defaultSettings({ supervision: { intrusion: true, autoAnswer: true, maxSupervisorsPerAgent, notifyAgent: 'always' } });

/** a switch with `agents` Ready and supervisors 5101 and 5102 logged in, at most `maxSupervisorsPerAgent` per agent */
function twoSupervisors(maxSupervisorsPerAgent: number, ...agents: string[]): Harness {
  const h = new Harness(supervision(maxSupervisorsPerAgent));
  h.loginReady(...agents);
  for (const dn of ['5101', '5102']) h.ok(h.sw.login(dn, { userId: `u${dn}`, isAgent: false }));
  return h;
}

test('one loud supervisor per call: arming BargeIn is refused while a supervisor who followed the call there is barged in', () => {
  const h = twoSupervisors(1, '5001', '5002');
  h.ok(h.sw.monitor('5101', { mode: 'BargeIn', scope: 'Call', span: 'AllCalls', targetDn: '5001' }));
  const { callUuid } = h.ok(h.sw.simulateInbound(C, '5001'));
  h.op('5001', callUuid, { name: 'Answer' });
  h.op('5001', callUuid, { name: 'SingleStepTransfer', destination: { phoneNumber: '5002' } });
  h.op('5002', callUuid, { name: 'Answer' });
  const r = h.sw.monitor('5102', { mode: 'BargeIn', scope: 'Call', span: 'AllCalls', targetDn: '5002' });
  assert.equal(!r.ok && r.error.code, 'InUse');
  assert.match(!r.ok ? r.error.message : '', /^Supervisor 5101 is already in BargeIn on call \S+; only one supervisor may coach or barge in/);
  assert.deepEqual(h.mediaOf(callUuid), { [C]: ['5101', '5002'], '5101': [C, '5002'], '5002': [C, '5101'] });
});

test('joining keeps the limits on the call: a routing point watcher and a supervisor armed on the agent, both in BargeIn', () => {
  const h = twoSupervisors(1, '5001');
  h.ok(h.sw.monitor('5101', { mode: 'BargeIn', scope: 'Call', span: 'AllCalls', targetDn: '7000' }));
  h.ok(h.sw.monitor('5102', { mode: 'BargeIn', scope: 'Call', span: 'AllCalls', targetDn: '5001' }));
  const { callUuid } = h.ok(h.sw.simulateInbound(C, '7000'));
  h.take();
  h.op('5001', callUuid, { name: 'Answer' });
  const audits = h.take().filter((line) => line.includes(' audit '));
  assert.deepEqual(audits, ['5102 audit Joined BargeIn/AllCalls/Call ->5001 agent=5001 #1', '5101 audit Skipped BargeIn/AllCalls/Call ->7000 agent=5001 #1 SupervisorLimit']);
  assert.deepEqual(h.mediaOf(callUuid), { [C]: ['5001', '5102'], '5001': [C, '5102'], '5102': [C, '5001'] });

  // with two supervisors allowed per agent, the second still may not join loud: one coaches or barges in at a time
  const h2 = twoSupervisors(2, '5001');
  h2.ok(h2.sw.monitor('5101', { mode: 'BargeIn', scope: 'Call', span: 'AllCalls', targetDn: '7000' }));
  h2.ok(h2.sw.monitor('5102', { mode: 'Coach', scope: 'Call', span: 'AllCalls', targetDn: '7000' }));
  const second = h2.ok(h2.sw.simulateInbound(C, '7000')).callUuid;
  h2.take();
  h2.op('5001', second, { name: 'Answer' });
  assert.deepEqual(
    h2.take().filter((line) => line.includes(' audit ')),
    ['5101 audit Joined BargeIn/AllCalls/Call ->7000 agent=5001 #1', '5102 audit Skipped Coach/AllCalls/Call ->7000 agent=5001 #1 AnotherSupervisorLoud'],
  );
});

test("a routing point watcher's switch is refused only by supervisors of that agent or call, not by the routing point's other watchers", () => {
  const h = twoSupervisors(1, '5001');
  h.ok(h.sw.monitor('5101', { mode: 'ListenIn', scope: 'Call', span: 'AllCalls', targetDn: '7000' }));
  const { callUuid } = h.ok(h.sw.simulateInbound(C, '7000'));
  h.op('5001', callUuid, { name: 'Answer' });
  // another watcher, loud but not on this call (it joins the routing point's later calls)
  h.ok(h.sw.monitor('5102', { mode: 'BargeIn', scope: 'Call', span: 'AllCalls', targetDn: '7000' }));
  h.op('5101', callUuid, { name: 'SwitchToBargeIn' });
  assert.deepEqual(h.mediaOf(callUuid), { [C]: ['5001', '5101'], '5001': [C, '5101'], '5101': [C, '5001'] });
});

test('an arm that changes nothing is still confirmed with the supervisor device (supervision.md 1)', () => {
  const h = new Harness(supervision(1));
  h.loginReady('5001');
  h.ok(h.sw.login('5101', { userId: 'u5101', isAgent: false }));
  const arm = () => h.ok(h.sw.monitor('5101', { mode: 'ListenIn', scope: 'Call', span: 'AllCalls', targetDn: '5001' }));
  arm();
  h.take();
  arm();
  assert.deepEqual(h.take(), ['5101 audit Armed ListenIn/AllCalls/Call ->5001', '5101 device NotReady monitor=ListenIn/AllCalls/Call->5001']);
  // and on the monitored call, re-armed in the same mode
  const { callUuid } = h.ok(h.sw.simulateInbound(C, '7000'));
  h.op('5001', callUuid, { name: 'Answer' });
  h.take();
  arm();
  assert.ok(h.take().includes('5101 device NotReady monitor=ListenIn/AllCalls/Call->5001'));
});

test('Agent scope: A leaving by a consult transfer (CompleteTransfer) releases S with AgentLeft (supervision.md 3)', () => {
  const h = new Harness();
  const call = monitoredCall(h, 'ListenIn', { scope: 'Agent' });
  h.op('5001', call, { name: 'InitiateTransfer', destination: { phoneNumber: '5002' } });
  const consult = h.sw.callsOf('5002')[0];
  h.op('5002', consult, { name: 'Answer' });
  h.take();
  h.op('5001', consult, { name: 'CompleteTransfer' });
  assert.ok(h.take().includes('5101 audit Left ListenIn/AllCalls/Agent ->5001 agent=5001 #1 AgentLeft'));
  assert.deepEqual(h.sw.callsOf('5101'), []);
  assert.deepEqual(h.mediaOf(call), { [C]: ['5002'], '5002': [C] });
});

test("MuteCall by S in BargeIn takes S out of everyone's ear, UnmuteCall puts S back (supervision.md 4 and 5 rule 3)", () => {
  const h = new Harness();
  const call = monitoredCall(h, 'BargeIn');
  h.op('5101', call, { name: 'MuteCall' });
  assert.deepEqual(h.mediaOf(call), { [C]: ['5001'], '5001': [C], '5101': [C, '5001'] });
  h.op('5101', call, { name: 'UnmuteCall' });
  assert.deepEqual(h.mediaOf(call), { [C]: ['5001', '5101'], '5001': [C, '5101'], '5101': [C, '5001'] });
});

test("notifyAgent never hides the coach from the agent's participants, not from the agent's ear (supervision.md 8)", () => {
  const h = new Harness(defaultSettings({ supervision: { intrusion: true, autoAnswer: true, maxSupervisorsPerAgent: 1, notifyAgent: 'never' } }));
  const call = monitoredCall(h, 'Coach');
  assert.deepEqual(h.mediaOf(call), { [C]: ['5001'], '5001': [C, '5101'], '5101': [C, '5001'] });
  assert.ok(!(h.sw.callView(call, '5001')?.participants ?? []).includes('5101'), 'the agent is not told');
});

test('scenario 16: hold with S in ListenIn and in BargeIn', () => {
  const h = new Harness();
  const call = monitoredCall(h, 'ListenIn');
  h.op('5001', call, { name: 'Hold' });
  assert.deepEqual(h.mediaOf(call), { [C]: [], '5001': [], '5101': [C] });
  h.op('5101', call, { name: 'SwitchToBargeIn' });
  assert.deepEqual(h.mediaOf(call), { [C]: ['5101'], '5001': [], '5101': [C] });
});

test('scenario 17: routing point monitoring follows two successive calls to their agents', () => {
  const h = new Harness();
  h.loginReady('5001', '5002');
  h.ok(h.sw.login('5101', { userId: 'u5101', isAgent: false }));
  h.ok(h.sw.monitor('5101', { mode: 'ListenIn', scope: 'Call', span: 'AllCalls', targetDn: '7000' }));
  for (const caller of ['+15550001', '+15550002']) {
    const { callUuid } = h.ok(h.sw.simulateInbound(caller, '7000'));
    const agent = h.sw.callsOf('5001').includes(callUuid) ? '5001' : '5002';
    h.op(agent, callUuid, { name: 'Answer' });
    assert.deepEqual(h.sw.callsOf('5101'), [callUuid]);
    assert.equal(h.sw.callView(callUuid, '5101')!.dnis, agent);
    h.ok(h.sw.simulateExternalHangup(callUuid));
    assert.deepEqual(h.sw.callsOf('5101'), []);
  }
});

test('scenario 18: intrusion off waits for the next call', () => {
  const h = new Harness(defaultSettings({ supervision: { intrusion: false, autoAnswer: true, maxSupervisorsPerAgent: 1, notifyAgent: 'always' } }));
  h.loginReady('5001');
  h.ok(h.sw.login('5101', { userId: 'u5101', isAgent: false }));
  const { callUuid } = h.ok(h.sw.simulateInbound(C, '7000'));
  h.op('5001', callUuid, { name: 'Answer' });
  h.ok(h.sw.monitor('5101', { mode: 'ListenIn', scope: 'Call', span: 'AllCalls', targetDn: '5001' }));
  assert.deepEqual(h.sw.callsOf('5101'), []);
});

test('scenario 14, 11, 15: session end, cancel, supervisor hang-up', () => {
  const h = new Harness();
  let call = monitoredCall(h, 'BargeIn');
  h.op('5101', call, { name: 'Hangup' });
  assert.deepEqual(h.mediaOf(call), { [C]: ['5001'], '5001': [C] });
  h.ok(h.sw.simulateExternalHangup(call));
  call = h.ok(h.sw.simulateInbound(C, '5001')).callUuid;
  h.op('5001', call, { name: 'Answer' });
  assert.deepEqual(h.sw.callsOf('5101'), [call]);
  h.ok(h.sw.cancelMonitoring('5101'));
  assert.deepEqual(h.sw.callsOf('5101'), []);
  assert.equal(h.sw.device('5101')?.monitoring, undefined);
  h.ok(h.sw.monitor('5101', { mode: 'ListenIn', scope: 'Call', span: 'AllCalls', targetDn: '5001' }));
  assert.deepEqual(h.sw.callsOf('5101'), [call]);
  h.ok(h.sw.logout('5001'));
  assert.deepEqual(h.sw.callsOf('5101'), []);
  assert.equal(h.sw.device('5101')?.monitoring, undefined);
});

test('Call scope: the Left audit entry names the agent even when the agent ended the call; a ringing agent is not listened in', () => {
  const h = new Harness();
  const call = monitoredCall(h, 'ListenIn');
  h.op('5001', call, { name: 'SingleStepTransfer', destination: { phoneNumber: '5002' } });
  assert.equal(h.sw.callView(call, '5002')!.supervisorListeningIn, false, 'ringing');
  h.op('5002', call, { name: 'Answer' });
  assert.equal(h.sw.callView(call, '5002')!.supervisorListeningIn, true, 'connected');
  h.take();
  h.op('5002', call, { name: 'Hangup' });
  assert.ok(h.take().includes('5101 audit Left ListenIn/AllCalls/Call ->5001 agent=5002 #1 CallEnded'));
});
