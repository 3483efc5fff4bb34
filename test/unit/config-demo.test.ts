/**
 * The demo contact center (src/config/demo.ts) and the defaults it is built from: what the README
 * and the start-up banner promise is what the spec holds.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_LOGINS, demoContactCenter } from '../../src/config/demo.js';
import { DEFAULT_FEATURES, defaultContactCenterSettings } from '../../src/config/defaults.js';
import { ALL_FEATURES } from '../../src/store/port.js';
import { contactCenterSpecProblems } from '../../src/store/spec-check.js';

describe('defaults', () => {
  it('settings and features', () => {
    assert.deepEqual(defaultContactCenterSettings(), {
      wrapUpTime: 0,
      afterWrapUp: 'Ready',
      externalAnswerDelayMs: 1000,
      ringNoAnswerMs: 0,
      supervision: { intrusion: true, autoAnswer: true, maxSupervisorsPerAgent: 1, notifyAgent: 'always' },
      sip: { agentPhoneMode: 'nailedUp', unregisteredDevices: 'simulate', holdAudio: 'silence', trunks: [] },
    });
    assert.notEqual(defaultContactCenterSettings().supervision, defaultContactCenterSettings().supervision, 'a fresh object each time');
    assert.deepEqual(DEFAULT_FEATURES, [...ALL_FEATURES]);
    assert.ok(Object.isFrozen(DEFAULT_FEATURES));
  });
});

describe('demo contact center', () => {
  it('breaks no domain rule', () => {
    assert.deepEqual(contactCenterSpecProblems(demoContactCenter()), []);
  });

  it('holds the users, routing point, group, features and agent states the README lists', () => {
    const demo = demoContactCenter();
    assert.equal(demo.name, 'Demo');
    assert.deepEqual(demo.features, [...ALL_FEATURES]);
    assert.deepEqual(demo.settings, {
      ...defaultContactCenterSettings(),
      sip: { agentPhoneMode: 'nailedUp', unregisteredDevices: 'simulate', holdAudio: 'silence', trunks: [{ name: 'loopback', host: '127.0.0.1' }] },
    });
    const agents = Array.from({ length: 10 }, (_, i) => ({
      userName: `agent${i + 1}`,
      password: 'demo',
      firstName: 'Agent',
      lastName: String(i + 1),
      roles: ['ROLE_AGENT'],
      dn: String(5001 + i),
      sipPassword: 'demo',
    }));
    assert.deepEqual(demo.users.slice(0, 10), agents);
    assert.deepEqual(
      demo.users.slice(10).map((u) => [u.userName, u.password, u.roles, u.dn, u.sipPassword]),
      [
        ['supervisor1', 'demo', ['ROLE_AGENT', 'ROLE_SUPERVISOR'], '5101', 'demo'],
        ['supervisor2', 'demo', ['ROLE_AGENT', 'ROLE_SUPERVISOR'], '5102', 'demo'],
        ['admin', 'demo', ['ROLE_ADMIN'], undefined, undefined],
      ],
    );
    assert.deepEqual(demo.routingPoints, [{ number: '7000', agentGroup: 'All agents' }]);
    assert.deepEqual(demo.agentGroups, [{ name: 'All agents', agents: agents.map((a) => a.userName), supervisors: ['supervisor1', 'supervisor2'] }]);
    assert.deepEqual(demo.agentStates, [
      { operationName: 'Lunch', displayName: 'Out to Lunch', state: 'NotReady', workMode: 'AuxWork', reason: 'Lunch' },
      { operationName: 'Training', displayName: 'Training', state: 'NotReady', workMode: 'AuxWork', reason: 'Training' },
    ]);
    demo.users[0].password = 'changed';
    assert.equal(demoContactCenter().users[0].password, 'demo', 'each call returns a fresh spec');
  });

  it('DEMO_LOGINS lists every demo user, frozen', () => {
    assert.equal(DEMO_LOGINS.length, 13);
    assert.deepEqual(DEMO_LOGINS[0], { userName: 'agent1', password: 'demo', roles: ['ROLE_AGENT'], dn: '5001' });
    assert.deepEqual(DEMO_LOGINS[11], { userName: 'supervisor2', password: 'demo', roles: ['ROLE_AGENT', 'ROLE_SUPERVISOR'], dn: '5102' });
    assert.deepEqual(DEMO_LOGINS[12], { userName: 'admin', password: 'demo', roles: ['ROLE_ADMIN'] });
    assert.deepEqual(
      DEMO_LOGINS.map((l) => l.userName),
      demoContactCenter().users.map((u) => u.userName),
    );
    assert.ok(Object.isFrozen(DEMO_LOGINS) && Object.isFrozen(DEMO_LOGINS[0]) && Object.isFrozen(DEMO_LOGINS[0].roles));
  });
});
