/**
 * The configuration loader (src/config/load.ts): defaults, the sample file end to end into a
 * store, `--config` forms, environment overrides, and every problem of a broken file at once.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, defaultConfig, loadConfig, testConfig } from '../../src/config/load.js';
import { DEFAULT_FEATURES, defaultContactCenterSettings } from '../../src/config/defaults.js';
import { openStore } from '../../src/store/sqlite.js';
import { provision } from '../../src/store/provision.js';
import { verifyPassword } from '../../src/store/password.js';

const SAMPLE = 'config/sample.json';
const dir = mkdtempSync(join(tmpdir(), 'switchboard-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(content: unknown): string {
  const f = join(dir, `c${++n}.json`);
  writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return f;
}

/** The problems loadConfig reports (fails when it accepts). */
function problemsOf(input: Parameters<typeof loadConfig>[0]): readonly string[] {
  try {
    loadConfig(input);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    for (const p of e.problems) assert.ok(e.message.includes(p), 'the message lists every problem');
    return e.problems;
  }
  assert.fail('configuration accepted');
}

describe('loadConfig', () => {
  it('with nothing set returns the documented defaults, deep-frozen', () => {
    const c = loadConfig({ argv: [], env: {} });
    assert.deepEqual(c, {
      host: '127.0.0.1',
      port: 8080,
      database: './data/switchboard.db',
      logLevel: 'info',
      logFormat: 'json',
      metricsEnabled: true,
      csrf: true,
      simApi: true,
      bodyLimitBytes: 65536,
      sessionTtlSec: 1800,
      sessionWriteIntervalSec: 60,
      auth: {
        failuresBeforeBackoff: 5,
        failuresBeforeSourceBackoff: 20,
        failureWindowSec: 300,
        backoffBaseMs: 1000,
        backoffMaxMs: 30000,
        verifyConcurrency: 2,
        verifyMaxPerSource: 8,
        verifyMaxQueued: 256,
        credentialCacheSize: 10000,
        credentialCacheTtlSec: 600,
      },
      cometd: { timeoutMs: 30000, intervalMs: 0, maxIntervalMs: 10000, maxQueue: 1000 },
      connections: {
        headersTimeoutMs: 10000,
        requestTimeoutMs: 30000,
        keepAliveTimeoutMs: 5000,
        idleTimeoutMs: 60000,
        maxConnections: 4096,
        unauthenticatedGraceMs: 5000,
        lingerMs: 2000,
        lingerBytes: 16777216,
        maxHeaderBytes: 16384,
      },
      allowedOrigins: [],
      sip: { port: 5060, rtpPorts: { first: 20000, last: 20999 }, digestAlgorithms: ['SHA-256', 'MD5'] },
      media: { workers: 1 },
      recordings: { dir: './data/recordings' },
      api: { unknownParameters: 'refuse' },
    });
    assert.deepEqual(c, defaultConfig());
    assert.equal(c.contactCenters, undefined, 'no contact centers: the demo is chosen at provisioning');
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.cometd));
    assert.throws(() => {
      (c as { port: number }).port = 1;
    }, TypeError);
    assert.deepEqual(loadConfig(), c, 'argv and env default to empty');
  });

  it('reads the sample file, and the sample provisions a store', async () => {
    const c = loadConfig({ argv: ['--config', SAMPLE], env: {} });
    assert.equal(c.configFile, resolve(SAMPLE));
    assert.equal(c.database, './data/acme.db');
    assert.deepEqual(c.cometd, { timeoutMs: 30000, intervalMs: 0, maxIntervalMs: 10000, maxQueue: 1000 });
    assert.equal(c.contactCenters?.length, 1);
    const acme = c.contactCenters![0];
    assert.equal(acme.name, 'Acme');
    assert.deepEqual(acme.settings, {
      ...defaultContactCenterSettings(),
      wrapUpTime: 10,
      afterWrapUp: 'NotReady',
      externalAnswerDelayMs: 2000,
      ringNoAnswerMs: 20000,
      supervision: { intrusion: true, autoAnswer: true, maxSupervisorsPerAgent: 2, notifyAgent: 'coachAndBarge' },
    });
    assert.ok(Object.isFrozen(acme.settings.supervision) && Object.isFrozen(acme.users[0].roles));

    const store = openStore(':memory:');
    const ccs = await provision(store, c);
    assert.deepEqual(ccs.map((x) => x.name), ['Acme'], 'a configuration replaces the demo');
    const snap = (await store.snapshot(ccs[0].id))!;
    assert.deepEqual(snap.users.map((u) => u.userName), ['ann', 'bob', 'cat', 'sue', 'acme-admin']);
    assert.deepEqual(snap.devices.map((d) => `${d.dn}:${d.kind}`), ['6001:Extension', '6002:Extension', '6003:Extension', '6101:Extension', '6000:RoutingPoint']);
    assert.deepEqual(snap.agentGroups.map((g) => [g.name, g.agentUserIds.length, g.supervisorUserIds.length, g.routingPoints]), [['Sales', 3, 1, ['6000']]]);
    assert.deepEqual(snap.agentStates.map((s) => s.operationName), ['Ready', 'NotReady', 'AfterCallWork', 'AuxWork', 'Break']);
    assert.equal(snap.users[1].wrapUpTime, 30);
    assert.equal(snap.contactCenter.settings.supervision.maxSupervisorsPerAgent, 2);
    assert.equal(await verifyPassword('sue-secret', (await store.userByName('sue'))!.passwordHash), true);
    // a second start with the same file changes nothing
    const again = await provision(store, loadConfig({ argv: [`--config=${SAMPLE}`] }));
    assert.deepEqual(again, ccs);
    assert.deepEqual(await store.snapshot(ccs[0].id), snap);
    await store.close();
  });

  it('takes the file from --config FILE, --config=FILE or SWITCHBOARD_CONFIG; the command line wins', () => {
    const a = file({ server: { port: 1111 } });
    const b = file({ server: { port: 2222 } });
    assert.equal(loadConfig({ argv: ['--config', a] }).port, 1111);
    assert.equal(loadConfig({ argv: [`--config=${a}`] }).port, 1111);
    assert.equal(loadConfig({ env: { SWITCHBOARD_CONFIG: b } }).port, 2222);
    assert.equal(loadConfig({ argv: ['--config', a], env: { SWITCHBOARD_CONFIG: b } }).port, 1111);
    assert.equal(loadConfig({ env: { SWITCHBOARD_CONFIG: b } }).configFile, resolve(b));
    assert.equal(loadConfig({ env: { SWITCHBOARD_CONFIG: '' } }).configFile, undefined, 'empty = unset');
  });

  it('lets the environment override the file', () => {
    const f = file({ server: { host: '0.0.0.0', port: 9000, database: 'file.db', logLevel: 'debug', csrf: true, simApi: true } });
    const c = loadConfig({
      argv: ['--config', f],
      env: {
        HOST: '::1',
        PORT: '0',
        SWITCHBOARD_DB: ':memory:',
        SWITCHBOARD_LOG_LEVEL: 'WARN',
        SWITCHBOARD_CSRF: 'false',
        SWITCHBOARD_SIM_API: '0',
        UNRELATED: 'ignored',
      },
    });
    assert.deepEqual(
      { host: c.host, port: c.port, database: c.database, logLevel: c.logLevel, csrf: c.csrf, simApi: c.simApi },
      { host: '::1', port: 0, database: ':memory:', logLevel: 'warn', csrf: false, simApi: false },
    );
    const d = loadConfig({ argv: ['--config', f], env: { PORT: '', SWITCHBOARD_CSRF: '' } });
    assert.equal(d.port, 9000, 'an empty variable is unset');
    assert.equal(loadConfig({ env: { SWITCHBOARD_SIM_API: 'TRUE', SWITCHBOARD_CSRF: '1' } }).simApi, true);
  });

  it('reports every bad environment value and argument at once', () => {
    assert.deepEqual(
      problemsOf({
        argv: ['--verbose', '--config'],
        env: { PORT: '80a', SWITCHBOARD_LOG_LEVEL: 'loud', SWITCHBOARD_CSRF: 'maybe', SWITCHBOARD_SIM_API: 'yes!' },
      }),
      [
        'argv: unknown argument "--verbose" (known: --config FILE, --log-format FORMAT)',
        'argv: --config needs a file name',
        'env PORT: must be an integer from 0 to 65535, got "80a"',
        'env SWITCHBOARD_LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
        'env SWITCHBOARD_CSRF: must be true or false, got "maybe"',
        'env SWITCHBOARD_SIM_API: must be true or false, got "yes!"',
      ],
    );
    assert.match(problemsOf({ env: { PORT: '70000' } })[0], /env PORT: must be an integer from 0 to 65535/);
  });

  it('reports an unreadable file and invalid JSON as problems', () => {
    const missing = join(dir, 'nope.json');
    assert.deepEqual(problemsOf({ argv: ['--config', missing] }), [`${missing}: cannot read the configuration file (ENOENT)`]);
    const bad = file('{ "server": { "port": 80, } }');
    const [p] = problemsOf({ argv: ['--config', bad], env: { PORT: 'x' } }).slice(0, 1);
    assert.match(p, new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: invalid JSON \\(`));
    assert.equal(problemsOf({ argv: ['--config', bad], env: { PORT: 'x' } }).length, 2, 'and the environment is still checked');
    assert.deepEqual(problemsOf({ argv: ['--config', file('[1, 2]')] }), ['(top level): must be an object, got an array']);
  });

  it('reports every problem of a broken file at once, each with its JSON path', () => {
    const broken = file({
      server: { port: 'eighty', hots: 'x', logLevel: 'loud', csrf: 'yes', publicBaseUrl: 'ftp://x', bodyLimitBytes: 10, cometd: { timeoutMs: -1, extra: 1 } },
      contactCenters: [
        {
          name: 'Acme',
          features: ['api-voice', 'api-teleport'],
          settings: { wrapUpTime: -5, afterWrapUp: 'Away', supervision: { maxSupervisorsPerAgent: 0, notifyAgent: 'sometimes', intrusion: 'no' } },
          agentStates: [{ operationName: 'Ready', state: 'Busy' }, { operationName: 'Lunch', state: 'Ready', workMode: 'AuxWork' }],
          users: [
            { userName: 'ann', password: 'x', roles: ['ROLE_AGENT'], dn: '6001' },
            { userName: 'bob', password: 'x', roles: ['ROLE_AGENT', 'ROLE_BOSS'], dn: '6001' },
            { userName: 'ann', password: 'x', roles: [], dn: 6003 },
            { userName: 'eve', password: 'x\u0000', roles: ['ROLE_AGENT'], dn: '50a1', wrapUpTime: 1.5, nickname: 'E' },
            { password: 'x', roles: ['ROLE_SUPERVISOR'] },
          ],
          routingPoints: [{ number: '6900', agentGroup: 'Ghosts' }, { number: '6001' }],
          agentGroups: [{ name: 'Sales', agents: ['ann', 'zed', 42], supervisors: ['bob'] }],
        },
        { name: 'Acme', users: [{ userName: 'bob', password: 'y', roles: ['ROLE_AGENT'], dn: '6002' }], colour: 'red' },
        'not an object',
      ],
      extra: true,
    });
    const problems = problemsOf({ argv: ['--config', broken] });
    const expected = [
      'extra: unknown key; known keys: $schema, server, contactCenters',
      'server.hots: unknown key (did you mean "host"?); known keys: host, port, publicBaseUrl, database, logLevel, logFormat, metricsEnabled, csrf, simApi, bodyLimitBytes, sessionTtlSec, cometd, sessionWriteIntervalSec, auth, connections, allowedOrigins, cookieSecure, sip, media, recordings, api',
      'server.port: must be an integer from 0 to 65535, got string "eighty"',
      'server.publicBaseUrl: "ftp://x" must be an http or https URL',
      'server.logLevel: must be one of fatal, error, warn, info, debug, trace, silent, got string "loud"',
      'server.csrf: must be true or false, got string "yes"',
      'server.bodyLimitBytes: must be an integer from 1024 to 104857600, got number 10',
      'server.cometd.extra: unknown key; known keys: timeoutMs, intervalMs, maxIntervalMs, maxQueue, maxSessionsPerUser, maxSessionsPerWebSocket, maxSubscriptionsPerSession, maxSessionsPerBrowser, multiSessionIntervalMs',
      'server.cometd.timeoutMs: must be an integer from 1 to 600000, got number -1',
      'contactCenters[0].settings.wrapUpTime: must be an integer from 0 to 86400, got number -5',
      'contactCenters[0].settings.afterWrapUp: must be one of Ready, NotReady, got string "Away"',
      'contactCenters[0].settings.supervision.intrusion: must be true or false, got string "no"',
      'contactCenters[0].settings.supervision.maxSupervisorsPerAgent: must be an integer from 1 to 100, got number 0',
      'contactCenters[0].settings.supervision.notifyAgent: must be one of always, coachAndBarge, never, got string "sometimes"',
      'contactCenters[0].agentStates[0].state: must be one of Ready, NotReady, got string "Busy"',
      'contactCenters[0].users[2].dn: must be a string, got number 6003',
      'contactCenters[0].users[3].nickname: unknown key; known keys: userName, password, roles, firstName, lastName, emailAddress, dn, wrapUpTime, sipPassword',
      'contactCenters[0].users[3].wrapUpTime: must be an integer from 0 to 86400, got number 1.5',
      'contactCenters[0].users[3].password: must not contain control characters (U+0000 to U+001F, U+007F): HTTP Basic cannot carry them (RFC 7617 2)',
      'contactCenters[0].users[4].userName: is required',
      'contactCenters[0].agentGroups[0].agents[2]: must be a string, got number 42',
      'contactCenters[0].features[1]: unknown feature "api-teleport" (known: api-voice, api-supervisor-monitoring, api-supervisor-agent-control, api-supervisor-recording, api-voice-recording, api-provisioning-read, api-provisioning-write)',
      'contactCenters[0].users[1].roles[1]: unknown role "ROLE_BOSS" (known: ROLE_AGENT, ROLE_SUPERVISOR, ROLE_ADMIN)',
      'contactCenters[0].users[2].userName: duplicate userName "ann" (also users[0].userName)',
      'contactCenters[0].users[2].roles: must hold at least one of ROLE_AGENT, ROLE_SUPERVISOR, ROLE_ADMIN',
      'contactCenters[0].users[1].dn: duplicate DN "6001" (also users[0].dn)',
      'contactCenters[0].users[3].dn: "50a1" is not a number of digits',
      'contactCenters[0].routingPoints[1].number: duplicate DN "6001" (also users[0].dn)',
      'contactCenters[0].agentGroups[0].agents[1]: unknown user "zed"',
      'contactCenters[0].agentGroups[0].supervisors[0]: user "bob" does not have ROLE_SUPERVISOR',
      'contactCenters[0].routingPoints[0].agentGroup: unknown agent group "Ghosts"',
      'contactCenters[0].agentStates[0].operationName: "Ready" is a system agent state',
      'contactCenters[0].agentStates[1].workMode: only a NotReady state has a workMode',
      'contactCenters[1].colour: unknown key; known keys: name, users, features, settings, agentStates, routingPoints, agentGroups',
      'contactCenters[2]: must be an object, got string "not an object"',
      'contactCenters[1].name: contact center name "Acme" is also used at contactCenters[0].name',
      'contactCenters[1].users[0].userName: userName "bob" is also used at contactCenters[0].users[1].userName',
    ];
    for (const e of expected) assert.ok(problems.includes(e), `missing problem: ${e}\ngot:\n${problems.join('\n')}`);
    for (const p of problems) assert.ok(expected.includes(p), `unexpected problem: ${p}`);
    assert.equal(problems.length, expected.length);
  });

  it('reports DNs shared by two contact centers (one dial plan)', () => {
    const f = file({
      contactCenters: [
        { name: 'A', users: [{ userName: 'a', password: 'x', roles: ['ROLE_AGENT'], dn: '100' }] },
        { name: 'B', users: [], routingPoints: [{ number: '100' }] },
      ],
    });
    assert.deepEqual(problemsOf({ argv: ['--config', f] }), ['contactCenters[1].routingPoints[0].number: DN "100" is also used at contactCenters[0].users[0].dn']);
  });

  it('fills a minimal contact center with the defaults', () => {
    const f = file({ contactCenters: [{ name: 'Min', users: [] }] });
    const [cc] = loadConfig({ argv: ['--config', f] }).contactCenters!;
    assert.deepEqual(cc, {
      name: 'Min',
      features: [...DEFAULT_FEATURES],
      settings: defaultContactCenterSettings(),
      agentStates: [],
      users: [],
      routingPoints: [],
      agentGroups: [],
    });
    const g = file({
      contactCenters: [
        {
          name: 'G',
          features: [],
          agentStates: [{ operationName: 'Meeting', state: 'NotReady' }],
          users: [{ userName: 's', password: 'p', roles: ['ROLE_SUPERVISOR'] }],
          agentGroups: [{ name: 'Nobody yet' }],
          settings: { supervision: { autoAnswer: false } },
        },
      ],
    });
    const [gc] = loadConfig({ argv: ['--config', g] }).contactCenters!;
    assert.deepEqual(gc.features, []);
    assert.deepEqual(gc.agentStates, [{ operationName: 'Meeting', displayName: 'Meeting', state: 'NotReady' }]);
    assert.deepEqual(gc.agentGroups, [{ name: 'Nobody yet', agents: [], supervisors: [] }]);
    assert.deepEqual(gc.settings.supervision, { ...defaultContactCenterSettings().supervision, autoAnswer: false });
  });

  it('accepts a publicBaseUrl and drops its trailing slash', () => {
    const f = file({ server: { publicBaseUrl: 'https://switchboard.example/gws/' } });
    assert.equal(loadConfig({ argv: ['--config', f] }).publicBaseUrl, 'https://switchboard.example/gws');
  });
});

describe('testConfig', () => {
  it('is an in-memory, ephemeral, silent configuration with short CometD timeouts', () => {
    const c = testConfig();
    assert.equal(c.database, ':memory:');
    assert.equal(c.port, 0);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.logLevel, 'silent');
    assert.equal(c.csrf, true);
    assert.equal(c.simApi, true);
    assert.deepEqual(c.cometd, { timeoutMs: 2000, intervalMs: 0, maxIntervalMs: 2000, maxQueue: 1000 });
    assert.ok(Object.isFrozen(c.cometd));
  });

  it('applies overrides without freezing the caller objects', () => {
    const cc = { name: 'T', features: [], settings: defaultContactCenterSettings(), agentStates: [], users: [], routingPoints: [], agentGroups: [] };
    const c = testConfig({ csrf: false, contactCenters: [cc], cometd: { timeoutMs: 100, intervalMs: 0, maxIntervalMs: 100, maxQueue: 5 } });
    assert.equal(c.csrf, false);
    assert.equal(c.cometd.maxQueue, 5);
    assert.deepEqual(c.contactCenters, [cc]);
    assert.ok(Object.isFrozen(c.contactCenters![0].settings));
    assert.ok(!Object.isFrozen(cc.settings));
  });
});
