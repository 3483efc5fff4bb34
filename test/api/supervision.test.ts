/**
 * The HTTP side of supervision (supervision.md sections 1, 8, 9): every refusal of arming in its
 * order, arming by device URI, by agent DN and by routing point, the supervisor's device and call
 * as presented, mode switches, cancel, and the audit listing with its permissions and filters.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { demoContactCenter } from '../../src/config/demo.js';
import { Api, basic, expectError, otherCenter } from './harness.js';

const S1 = basic('supervisor1');
const S2 = basic('supervisor2');

describe('arming in the demo center', () => {
  let api: Api;
  let s1: string;
  let s2: string;
  before(async () => {
    api = await Api.start({ contactCenters: [demoContactCenter(), otherCenter()] });
    s1 = (await api.deviceOf('supervisor1')).id;
    s2 = (await api.deviceOf('supervisor2')).id;
  });
  after(() => api.close());

  const arm = (dev: string, auth: string, body: object) => api.post(`/api/v2/me/devices/${dev}`, { operationName: 'ListenIn', ...body }, auth);

  test('without a contact-center session: statusCode 2', async () => {
    expectError(await arm(s1, S1, { phoneNumber: '5001' }), 2, 400, /StartContactCenterSession/);
  });

  test('refusals: missing target 1, unknown or other-center target 6, own device 2, another supervisor\'s device 6', async () => {
    await api.startSession('supervisor1');
    await api.startSession('supervisor2');
    expectError(await arm(s1, S1, {}), 1, 400, /targetDeviceUri/);
    expectError(await arm(s1, S1, { phoneNumber: '9999' }), 6, 404);
    expectError(await arm(s1, S1, { phoneNumber: '6001' }), 6, 404);
    const other = await api.deviceOf('other1');
    expectError(await arm(s1, S1, { targetDeviceUri: `http://x/api/v2/devices/${other.id}` }), 6, 404);
    expectError(await arm(s1, S1, { phoneNumber: '5101' }), 2, 400, /own device/);
    expectError(await arm(s2, S1, { phoneNumber: '5001' }), 6, 404);
    expectError(await arm(s1, S1, { phoneNumber: '7000', supervisorMonitoringScope: 'Agent' }), 10, 400, /Call only/);
  });

  test('ListenIn by targetDeviceUri: the supervisor\'s device shows supervisorMonitoringState and CancelSupervisorMonitoring', async () => {
    const agent1 = await api.deviceOf('agent1');
    const uri = `http://127.0.0.1:0/api/v2/devices/${agent1.id}`;
    assert.equal((await arm(s1, S1, { targetDeviceUri: uri, supervisorMonitoringMode: 'NextCall' })).json.statusCode, 0);
    const d = (await api.get(`/api/v2/me/devices/${s1}`, S1)).json.device;
    assert.deepEqual(d.supervisorMonitoringState, { state: 'ListenIn', mode: 'NextCall', scope: 'Call', targetDeviceUri: uri });
    assert.deepEqual(d.capabilities, ['ForwardCallsOn', 'DoNotDisturbOn', 'ListenIn', 'Coach', 'BargeIn', 'CancelSupervisorMonitoring']);
  });

  test('a second supervisor on the same agent: statusCode 19', async () => {
    expectError(await arm(s2, S2, { phoneNumber: '5001' }), 19, 409, /already monitored/);
  });

  test('a routing point by phoneNumber: targetPhoneNumber instead of targetDeviceUri', async () => {
    assert.equal((await api.post(`/api/v2/me/devices/${s2}`, { operationName: 'BargeIn', phoneNumber: '7000' }, S2)).json.statusCode, 0);
    const d = (await api.get(`/api/v2/me/devices/${s2}`, S2)).json.device;
    assert.deepEqual(d.supervisorMonitoringState, { state: 'BargeIn', mode: 'AllCalls', scope: 'Call', targetPhoneNumber: '7000' });
  });

  test('CancelSupervisorMonitoring removes the state; cancelling again is statusCode 2', async () => {
    await api.ok(`/api/v2/me/devices/${s2}`, { operationName: 'CancelSupervisorMonitoring' }, S2);
    const d = (await api.get(`/api/v2/me/devices/${s2}`, S2)).json.device;
    assert.equal(d.supervisorMonitoringState, undefined);
    assert.ok(!d.capabilities.includes('CancelSupervisorMonitoring'));
    expectError(await api.post(`/api/v2/me/devices/${s2}`, { operationName: 'CancelSupervisorMonitoring' }, S2), 2, 400, /no supervisor monitoring/);
  });

  test('a monitored call: the supervisor\'s leg, mode switches, MuteMonitoredUser, and the media matrix', async () => {
    await api.ok(`/api/v2/me/devices/${s1}`, { operationName: 'ListenIn', phoneNumber: '5001' }, S1);
    await api.startSession('agent1', true);
    const sim = await api.ok('/sim/v1/calls', { from: '+15551234567', to: '5001' }, basic('admin'));
    await api.ok(`/api/v2/me/calls/${sim.callUuid}`, { operationName: 'Answer' }, basic('agent1'));
    const [leg] = (await api.get('/api/v2/me/calls?fields=*', S1)).json.calls;
    assert.equal(leg.id, sim.callUuid);
    assert.equal(leg.state, 'Established');
    assert.equal(leg.monitoring, true);
    assert.equal(leg.mute, 'On');
    assert.equal(leg.dnis, '5001');
    assert.deepEqual(leg.participants.map((p: any) => p.phoneNumber), ['+15551234567', '5001']);
    assert.ok(leg.capabilities.includes('SwitchToBargeIn') && leg.capabilities.includes('SwitchToCoach'));
    const [agentLeg] = (await api.get('/api/v2/me/calls?fields=*', basic('agent1'))).json.calls;
    assert.equal(agentLeg.supervisorListeningIn, true);
    const media = (await api.get(`/sim/v1/calls/${sim.callUuid}/media`, basic('admin'))).json.parties;
    const hears = Object.fromEntries(media.map((p: any) => [p.phoneNumber, p.hears]));
    assert.deepEqual(hears['5101'].sort(), ['+15551234567', '5001']);
    assert.ok(!hears['5001'].includes('5101'));
    // switching
    expectError(await api.post(`/api/v2/me/calls/${sim.callUuid}`, { operationName: 'SwitchToListenIn' }, S1), 2, 400, /\(monitoring in ListenIn\); possible now: .*SwitchToBargeIn/);
    await api.ok(`/api/v2/me/calls/${sim.callUuid}`, { operationName: 'SwitchToBargeIn' }, S1);
    assert.equal((await api.get(`/api/v2/me/devices/${s1}`, S1)).json.device.supervisorMonitoringState.state, 'BargeIn');
    await api.ok(`/api/v2/me/calls/${sim.callUuid}`, { operationName: 'MuteMonitoredUser' }, S1);
    assert.equal((await api.get(`/api/v2/me/calls/${sim.callUuid}`, S1)).json.call.monitoredUserMuted, true);
    // an agent cannot use supervisor operations on their own leg
    expectError(await api.post(`/api/v2/me/calls/${sim.callUuid}`, { operationName: 'SwitchToListenIn' }, basic('agent1')), 5, 403);
    await api.ok(`/sim/v1/calls/${sim.callUuid}`, { operationName: 'Hangup' }, basic('admin'));
    assert.deepEqual((await api.get('/api/v2/me/calls', S1)).json.uris, []);
  });

  test('audit: supervisors see their own entries, admins the center, agents nothing', async () => {
    const own = (await api.get('/api/v2/supervision/audit', S1)).json;
    assert.equal(own.statusCode, 0);
    assert.ok(own.totalCount >= 4, JSON.stringify(own));
    assert.equal(own.offset, 0);
    assert.equal(own.limit, 100);
    assert.ok(own.entries.every((e: any) => e.supervisor.userName === 'supervisor1'));
    const events = own.entries.map((e: any) => e.event);
    for (const ev of ['Armed', 'Joined', 'ModeChanged', 'MonitoredUserMuted', 'Left']) assert.ok(events.includes(ev), `${ev} in ${events}`);
    const joined = own.entries.find((e: any) => e.event === 'Joined');
    assert.match(joined.time, /^\d{4}-\d\d-\d\dT/);
    assert.equal(joined.supervisor.phoneNumber, '5101');
    assert.equal(joined.target.userName, 'agent1');
    assert.equal(joined.target.type, 'Agent');
    assert.match(joined.callUuid, /^\w+$/);
    assert.equal(joined.mode, 'ListenIn');
    assert.equal(joined.scope, 'Call');
    assert.equal(joined.supervisorMonitoringMode, 'AllCalls');
    const all = (await api.get('/api/v2/supervision/audit', basic('admin'))).json;
    assert.ok(all.entries.some((e: any) => e.supervisor.userName === 'supervisor2' && e.target.type === 'RoutingPoint' && e.target.phoneNumber === '7000'));
    assert.ok(all.totalCount > own.totalCount);
    // filters and paging
    const byCall = (await api.get(`/api/v2/supervision/audit?callUuid=${joined.callUuid}`, basic('admin'))).json;
    assert.ok(byCall.entries.length > 0 && byCall.entries.every((e: any) => e.callUuid === joined.callUuid));
    const bySup = (await api.get('/api/v2/supervision/audit?supervisor=supervisor2', basic('admin'))).json;
    assert.ok(bySup.entries.length > 0 && bySup.entries.every((e: any) => e.supervisor.userName === 'supervisor2'));
    const byAgent = (await api.get('/api/v2/supervision/audit?agent=agent1&limit=1&offset=1', basic('admin'))).json;
    assert.equal(byAgent.entries.length, 1);
    assert.equal(byAgent.limit, 1);
    assert.equal(byAgent.offset, 1);
    const theirs = (await api.get('/api/v2/supervision/audit?supervisor=supervisor2', S1)).json;
    assert.equal(theirs.totalCount, 0, 'a supervisor never sees another supervisor\'s entries');
    const future = (await api.get(`/api/v2/supervision/audit?from=${encodeURIComponent('2100-01-01T00:00:00Z')}`, basic('admin'))).json;
    assert.equal(future.totalCount, 0);
    const epoch = (await api.get('/api/v2/supervision/audit?from=0&to=4102444800000', basic('admin'))).json;
    assert.equal(epoch.totalCount, all.totalCount);
    expectError(await api.get('/api/v2/supervision/audit', basic('agent1')), 5, 403);
    assert.equal((await api.get('/api/v2/supervision/audit', basic('otheradmin'))).json.totalCount, 0, "another center's admin sees none of these");
  });

  test('audit: bad query values are statusCode 10', async () => {
    for (const q of ['limit=0', 'limit=1001', 'limit=x', 'offset=-1', 'from=yesterday', 'to=2026-13-45T99', 'supervisor=nobody', 'agent=other1', 'from=10&to=5']) {
      expectError(await api.get(`/api/v2/supervision/audit?${q}`, basic('admin')), 10, 400);
    }
  });
});

describe('a center without api-supervisor-monitoring', () => {
  let api: Api;
  before(async () => {
    api = await Api.start({ contactCenters: [{ ...demoContactCenter(), features: ['api-voice', 'api-voice-recording'] }] });
    await api.startSession('supervisor1');
  });
  after(() => api.close());

  test('ListenIn is refused with statusCode 3 (before the role check) and not offered', async () => {
    const dev = (await api.deviceOf('supervisor1')) as any;
    assert.deepEqual(dev.capabilities, ['ForwardCallsOn', 'DoNotDisturbOn']);
    expectError(await api.post(`/api/v2/me/devices/${dev.id}`, { operationName: 'ListenIn', phoneNumber: '5001' }, S1), 3, 403, /api-supervisor-monitoring/);
    const agent = await api.deviceOf('agent1');
    expectError(await api.post(`/api/v2/me/devices/${agent.id}`, { operationName: 'ListenIn', phoneNumber: '5002' }, basic('agent1')), 3, 403);
  });
});

describe('agent groups', () => {
  let api: Api;
  before(async () => {
    const demo = demoContactCenter();
    api = await Api.start({
      contactCenters: [{
        ...demo,
        routingPoints: [{ number: '7000', agentGroup: 'G1' }, { number: '7001', agentGroup: 'G2' }],
        agentGroups: [
          { name: 'G1', agents: ['agent1'], supervisors: ['supervisor1'] },
          { name: 'G2', agents: ['agent2'], supervisors: ['supervisor2'] },
        ],
      }],
    });
    await api.startSession('supervisor1');
  });
  after(() => api.close());

  test('a target outside the supervisor\'s groups is statusCode 5; inside is fine', async () => {
    const dev = (await api.deviceOf('supervisor1')).id;
    const arm = (phoneNumber: string) => api.post(`/api/v2/me/devices/${dev}`, { operationName: 'Coach', phoneNumber }, S1);
    expectError(await arm('5002'), 5, 403, /agent2.*not in an agent group you supervise/);
    expectError(await arm('7001'), 5, 403, /Routing point 7001/);
    assert.equal((await arm('7000')).json.statusCode, 0);
    assert.equal((await arm('5001')).json.statusCode, 0);
  });
});
