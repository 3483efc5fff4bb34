/**
 * Operation parameters as data (src/gws/params.ts, operations.ts): for every row of every table,
 * driven by its own ParamSpecs, a missing required parameter is statusCode 1 naming it, a value of
 * the wrong type or outside the allowed values is 10 naming it, and the first failing parameter in
 * list order is the one refused; unknown body members are refused with statusCode 1 naming them and
 * the accepted ones (a case slip gets a hint), before parameters and gates, or only logged with
 * api.unknownParameters "warn"; the case rule (operationName ignoring case, everything else exact).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createApp } from '../../src/app/app.js';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { DomainError, ERROR_TABLE } from '../../src/errors.js';
import { CALL_OPERATIONS } from '../../src/gws/call-ops.js';
import { DEVICE_OPERATIONS, DIAL_OPERATIONS } from '../../src/gws/device-ops.js';
import { ME_OPERATIONS } from '../../src/gws/me-ops.js';
import type { OperationRow } from '../../src/gws/operations.js';
import { parseOperation } from '../../src/gws/operations.js';
import type { ParamKind, ParamSpec } from '../../src/gws/params.js';
import { SIM_CALL_OPERATIONS } from '../../src/gws/sim.js';
import { SYSTEM_VOICE_OPERATIONS } from '../../src/gws/voice-ops.js';
import { VirtualClock, countingIds } from '../../src/switch/clock.js';
import { cheapHasher } from '../helpers/cheap-hasher.js';
import { Api, apiConfig, basic, expectError } from './harness.js';

const TABLES: Record<string, Record<string, OperationRow<never, unknown>>> = {
  me: ME_OPERATIONS,
  voice: SYSTEM_VOICE_OPERATIONS,
  device: DEVICE_OPERATIONS,
  dial: DIAL_OPERATIONS,
  call: CALL_OPERATIONS,
  sim: SIM_CALL_OPERATIONS,
};

/** a value each kind accepts */
function goodValue(spec: ParamSpec): unknown {
  const byKind: Record<ParamKind, () => unknown> = {
    text: () => 'x5002',
    destination: () => ({ phoneNumber: '5002' }),
    phoneNumber: () => '5002',
    userData: () => ({ key: 'value' }),
    digits: () => '12#',
    callUri: () => 'http://h/api/v2/me/calls/abc',
    deviceUri: () => 'http://h/api/v2/devices/abc',
    choice: () => spec.values![spec.values!.length - 1],
    seconds: () => 5,
    textList: () => (spec.mustInclude ? [spec.mustInclude.value] : ['a']),
    number: () => spec.range?.lowest ?? 1,
  };
  return byKind[spec.kind]();
}

/** a value of the wrong type (or outside the allowed values) for each kind */
function badValue(spec: ParamSpec): unknown {
  const byKind: Record<ParamKind, unknown> = {
    text: 42,
    destination: 'not an object',
    phoneNumber: 42,
    userData: 'not an object',
    digits: '12a',
    callUri: 42,
    deviceUri: 42,
    choice: 'NotOneOfThem',
    seconds: 'soon',
    textList: 'not a list',
    number: 'loud',
  };
  return byKind[spec.kind];
}

const codeOf = (e: unknown) => (e instanceof DomainError ? ERROR_TABLE[e.code].statusCode : `not a DomainError: ${String(e)}`);

function refusal(row: OperationRow<never, unknown>, name: string, body: Record<string, unknown>): { code: unknown; message: string } {
  try {
    parseOperation(row, name, { operationName: name, ...body });
  } catch (e) {
    return { code: codeOf(e), message: (e as Error).message };
  }
  return { code: 0, message: '' };
}

describe('every row, driven by its own parameter data', () => {
  for (const [tableName, table] of Object.entries(TABLES)) {
    for (const [name, row] of Object.entries(table)) {
      test(`${tableName} ${name}`, () => {
        const valid = Object.fromEntries(row.params.map((s) => [s.name, goodValue(s)]));
        assert.equal(refusal(row, name, valid).code, 0, `${name} accepts its documented parameters: ${refusal(row, name, valid).message}`);
        for (const spec of row.params) {
          if (spec.required) {
            const { [spec.name]: _gone, ...without } = valid;
            const r = refusal(row, name, without);
            assert.equal(r.code, 1, `${name} without ${spec.name}: ${r.message}`);
            assert.match(r.message, new RegExp(`'${spec.name}`), r.message);
          }
          const r = refusal(row, name, { ...valid, [spec.name]: badValue(spec) });
          assert.equal(r.code, 10, `${name} with a bad ${spec.name}: ${r.message}`);
          assert.match(r.message, new RegExp(`'${spec.name}`), r.message);
          if (spec.values) assert.ok(r.message.includes(spec.values.join(', ')), `the refusal lists the values: ${r.message}`);
        }
        if (row.params.length > 1) {
          const allBad = Object.fromEntries(row.params.map((s) => [s.name, badValue(s)]));
          assert.match(refusal(row, name, allBad).message, new RegExp(`'${row.params[0].name}`), 'the first parameter in list order is checked first');
        }
        const unknown = refusal(row, name, { ...valid, surplus: 1 });
        assert.equal(unknown.code, 1);
        const accepted = ['operationName', ...row.params.flatMap((s) => [s.name, ...(s.aliases ?? [])])].join(', ');
        assert.equal(unknown.message, `Unknown parameter 'surplus' for ${name}; accepted parameters are ${accepted}`);
      });
    }
  }

  test('an alias reads the same parameter; a case slip is refused with a hint', () => {
    const ready = SYSTEM_VOICE_OPERATIONS.Ready;
    assert.deepEqual(parseOperation(ready, 'Ready', { operationName: 'Ready', workMode: 'AutoIn' }), { state: 'Ready', workMode: 'AutoIn' });
    assert.deepEqual(parseOperation(ready, 'Ready', { operationName: 'Ready', workmode: 'ManualIn' }), { state: 'Ready', workMode: 'ManualIn' });
    const r = refusal(ready, 'Ready', { WorkMode: 'AutoIn' });
    assert.equal(r.code, 1);
    assert.match(r.message, /Unknown parameter 'WorkMode' for Ready \(parameter names are case-sensitive: did you mean 'workmode'\?\)/);
  });

  test('values are case-sensitive: nextcall is not NextCall', () => {
    const r = refusal(DEVICE_OPERATIONS.ListenIn, 'ListenIn', { phoneNumber: '5001', supervisorMonitoringMode: 'nextcall' });
    assert.equal(r.code, 10);
    assert.match(r.message, /must be one of NextCall, AllCalls/);
  });
});

describe('over HTTP', () => {
  let api: Api;
  before(async () => {
    api = await Api.start();
  });
  after(() => api.close());

  test("the issue's typo: a misspelt supervisorMonitoringMode is refused and nothing is armed", async () => {
    await api.startSession('supervisor1');
    const sup = await api.deviceOf('supervisor1');
    const r = await api.post(`/api/v2/me/devices/${sup.id}`, { operationName: 'ListenIn', phoneNumber: '5001', supervisorMonitoringmode: 'NextCall' }, basic('supervisor1'));
    expectError(r, 1, 400, /Unknown parameter 'supervisorMonitoringmode' for ListenIn \(parameter names are case-sensitive: did you mean 'supervisorMonitoringMode'\?\); accepted parameters are operationName, targetDeviceUri, phoneNumber, supervisorMonitoringScope, supervisorMonitoringMode$/);
    const device = (await api.get(`/api/v2/me/devices/${sup.id}`, basic('supervisor1'))).json.device;
    assert.equal(device.supervisorMonitoringState, undefined, 'not armed');
  });

  test('order: operationName first, then unknown parameters, then parameters, then the gates', async () => {
    const dev = await api.deviceOf('agent1');
    expectError(await api.post(`/api/v2/me/devices/${dev.id}/calls`, { operationName: 'MakeCall', bogus: 1 }, basic('agent1')), 10, 400, /Unknown operationName 'MakeCall'/);
    expectError(await api.post(`/api/v2/me/devices/${dev.id}/calls`, { operationName: 'Dial', destnation: { phoneNumber: '5002' } }, basic('agent1')), 1, 400, /Unknown parameter 'destnation' for Dial; accepted parameters are operationName, destination, userData, location$/);
    // an agent is not a supervisor (5), but the unknown parameter is said first
    expectError(await api.post(`/api/v2/me/devices/${dev.id}`, { operationName: 'ListenIn', phoneNumber: '5002', mode: 'x' }, basic('agent1')), 1, 400, /Unknown parameter 'mode' for ListenIn/);
    expectError(await api.post(`/api/v2/me/devices/${dev.id}`, { operationName: 'ListenIn', phoneNumber: '5002' }, basic('agent1')), 5, 403);
    // operationName ignoring case; the parameters stay exact
    expectError(await api.post(`/api/v2/me/devices/${dev.id}/calls`, { operationName: 'dIAL', Destination: { phoneNumber: '5002' } }, basic('agent1')), 1, 400, /did you mean 'destination'/);
  });

  test('a non-operation body (POST /sim/v1/calls) follows the same rule', async () => {
    expectError(await api.post('/sim/v1/calls', { from: '+15550001', to: '5001', callerId: 'x' }, basic('admin')), 1, 400, /^Unknown parameter 'callerId' for POST \/sim\/v1\/calls; accepted parameters are from, to, userData, tone$/);
    expectError(await api.post('/sim/v1/calls', { from: '+15550001', to: '5001', tone: 9000 }, basic('admin')), 10, 400, /'tone' must be a number of Hz from 200 to 3400, got 9000/);
  });
});

test('api.unknownParameters "warn": accepted, and logged with the parameter and the operation', async () => {
  const lines: string[] = [];
  const app = await createApp(apiConfig({ api: { unknownParameters: 'warn' }, logLevel: 'warn' }), {
    clock: new VirtualClock(),
    ids: countingIds(),
    passwordHasher: cheapHasher,
    logStream: { write: (line: string) => lines.push(line) },
  });
  try {
    const auth = { authorization: basic('agent1'), 'content-type': 'application/json' };
    const post = async (url: string, body: unknown) => JSON.parse((await app.fastify.inject({ method: 'POST', url, headers: auth, payload: JSON.stringify(body) })).body);
    assert.equal((await post('/api/v2/me', { operationName: 'StartContactCenterSession', channels: ['voice'], legacyFlag: true })).statusCode, 0);
    const warned = lines.map((l) => JSON.parse(l)).find((l) => l.unknownParameters);
    assert.ok(warned, `a warning was logged: ${lines.join('')}`);
    assert.deepEqual(warned.unknownParameters, ['legacyFlag']);
    assert.equal(warned.operationName, 'StartContactCenterSession');
    assert.match(warned.msg, /Unknown parameter 'legacyFlag'.*ignored/);
    // a known parameter is still checked
    assert.equal((await post('/api/v2/me/channels/voice', { operationName: 'Ready', workmode: 'Sometimes', other: 1 })).statusCode, 10);
  } finally {
    await app.close();
  }
});

test('configuration: server.api.unknownParameters and SWITCHBOARD_UNKNOWN_PARAMETERS', () => {
  assert.equal(loadConfig({ env: {} }).api.unknownParameters, 'refuse');
  assert.equal(loadConfig({ env: { SWITCHBOARD_UNKNOWN_PARAMETERS: 'Warn' } }).api.unknownParameters, 'warn');
  assert.throws(() => loadConfig({ env: { SWITCHBOARD_UNKNOWN_PARAMETERS: 'ignore' } }), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.problems.join('\n'), /env SWITCHBOARD_UNKNOWN_PARAMETERS: must be one of refuse, warn/);
    return true;
  });
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-params-'));
  try {
    const file = (server: unknown) => {
      const f = join(dir, `c${Math.random().toString(36).slice(2)}.json`);
      writeFileSync(f, JSON.stringify({ server }));
      return f;
    };
    assert.equal(loadConfig({ argv: ['--config', file({ api: { unknownParameters: 'warn' } })] }).api.unknownParameters, 'warn');
    assert.throws(() => loadConfig({ argv: ['--config', file({ api: { unknownParameters: 'loud', extra: 1 } })] }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.problems.join('\n'), /server\.api\.extra: unknown key/);
      assert.match(e.problems.join('\n'), /server\.api\.unknownParameters: must be one of refuse, warn, got string "loud"/);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
