/**
 * Supervision end to end (shared/spec/supervision.md section 10), row 19: the audit listing
 * GET /api/v2/supervision/audit holds every step (Armed, Joined, ModeChanged, MonitoredUserMuted,
 * MonitoredUserUnmuted, Skipped, Left with each reason, Cancelled) - supervisors see their own,
 * admins the whole contact center; filters by supervisor, agent, callUuid, from and to; pages
 * with offset and limit; and it survives a restart on the same database file. A server that stops
 * mid-call writes the Left and Cancelled (ServerStopped) of the monitoring it held. (Rows 1-18 each
 * also check their own steps in the listing.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testConfig } from '../../src/config/load.js';
import { demoContactCenter } from '../../src/config/demo.js';
import type { E2E } from '../helpers/e2e.js';
import {
  A, ADMIN, B, C, C2, C3, RP, S,
  arm, auditOf, expectAudit, expectCall, expectLeg, leg, ref, startWithConfig,
} from '../helpers/supervision-steps.js';

const T0 = Date.UTC(2026, 0, 1, 9, 0, 0); // the harness's virtual clock starts here

/** every step of a busy day with two supervisors, driven through REST; returns the call ids */
async function busyDay(e: E2E): Promise<string[]> {
  const s = await e.user('supervisor1', { session: true });
  const s2 = await e.user('supervisor2', { session: true });
  const a = await e.user('agent1', { ready: true });
  const b = await e.user('agent2', { ready: true });
  const calls: string[] = [];
  const sim = async (from: string, to: string) => {
    const id = await e.simCall(from, to);
    calls.push(id);
    return id;
  };

  // supervisor1: ListenIn on agent1, joins, barges in, mutes and unmutes the agent
  await arm(e, s, 'ListenIn', { phoneNumber: A });
  const c1 = await sim(C, RP);
  await a.callOp(c1, 'Answer');
  await expectLeg(s, leg('ListenIn', [C, A], A), 'joined #1');
  await s.callOp(c1, 'SwitchToBargeIn');
  await s.callOp(c1, 'MuteMonitoredUser');
  await s.callOp(c1, 'UnmuteMonitoredUser');
  // ... then replaces that configuration by agent2 in Agent scope: the leg on #1 is released
  await arm(e, s, 'ListenIn', { agent: b }, { scope: 'Agent' });
  await expectCall(s, c1, { state: 'Established', monitoring: true, mute: 'Off' }, 'BargeIn');
  await expectCall(s, c1, { notificationType: 'MonitoredUserMutedStateChange', state: 'Established', monitoredUserMuted: true });
  await expectCall(s, c1, { notificationType: 'MonitoredUserMutedStateChange', state: 'Established', monitoredUserMuted: false });
  await expectCall(s, c1, { state: 'Released', monitoring: true }, 'replaced');
  await e.simHangup(c1);

  // agent2 takes a call and single-step transfers it to agent1: Agent scope leaves with agent2
  const c2 = await sim(C2, B);
  await b.callOp(c2, 'Answer');
  await b.callOp(c2, 'SingleStepTransfer', { destination: { phoneNumber: A } });
  await a.callOp(c2, 'Answer');

  // a minute later supervisor2 intrudes on agent1's call, hangs up, cancels
  e.clock.advance(60_000);
  await arm(e, s2, 'ListenIn', { phoneNumber: A });
  await s2.callOp(c2, 'Hangup');
  await s2.do(`/api/v2/me/devices/${s2.deviceId}`, { operationName: 'CancelSupervisorMonitoring' });
  await e.simHangup(c2);

  // supervisor1 is on a call of its own when agent2 answers: skipped
  const c3 = await sim(C3, S);
  await s.callOp(c3, 'Answer');
  const c4 = await sim(C, B);
  await b.callOp(c4, 'Answer');
  await s.callOp(c3, 'Hangup');
  await e.simHangup(c4);

  // supervisor1 ends its session while monitoring agent2's next call
  const c5 = await sim(C2, B);
  await b.callOp(c5, 'Answer');
  await s.do('/api/v2/me', { operationName: 'EndContactCenterSession' });
  await e.simHangup(c5);

  // supervisor2: NextCall ends with the call; then AllCalls cancelled during a call
  await arm(e, s2, 'ListenIn', { agent: a }, { mode: 'NextCall' });
  const c6 = await sim(C3, A);
  await a.callOp(c6, 'Answer');
  await e.simHangup(c6);
  await arm(e, s2, 'ListenIn', { phoneNumber: A });
  const c7 = await sim(C, A);
  await a.callOp(c7, 'Answer');
  await s2.do(`/api/v2/me/devices/${s2.deviceId}`, { operationName: 'CancelSupervisorMonitoring' });
  return calls;
}

function expectedDay(calls: string[]): { all: string[]; s1: number[]; s2: number[]; agent2: number[]; call2: number[]; later: number[] } {
  const [c1, c2, , c4, c5, c6, c7] = calls.map(ref);
  const all = [
    /* 0 */ `Armed ListenIn/AllCalls/Call 5101->5001`,
    /* 1 */ `Joined ListenIn/AllCalls/Call 5101->5001 agent=5001 ${c1}`,
    /* 2 */ `ModeChanged BargeIn/AllCalls/Call 5101->5001 agent=5001 ${c1}`,
    /* 3 */ `MonitoredUserMuted BargeIn/AllCalls/Call 5101->5001 agent=5001 ${c1}`,
    /* 4 */ `MonitoredUserUnmuted BargeIn/AllCalls/Call 5101->5001 agent=5001 ${c1}`,
    /* 5 */ `Left BargeIn/AllCalls/Call 5101->5001 agent=5001 ${c1} Replaced`,
    /* 6 */ `Armed ListenIn/AllCalls/Agent 5101->5002`,
    /* 7 */ `Joined ListenIn/AllCalls/Agent 5101->5002 agent=5002 ${c2}`,
    /* 8 */ `Left ListenIn/AllCalls/Agent 5101->5002 agent=5002 ${c2} AgentLeft`,
    /* 9 */ `Armed ListenIn/AllCalls/Call 5102->5001`,
    /* 10 */ `Joined ListenIn/AllCalls/Call 5102->5001 agent=5001 ${c2}`,
    /* 11 */ `Left ListenIn/AllCalls/Call 5102->5001 agent=5001 ${c2} SupervisorHungUp`,
    /* 12 */ `Cancelled ListenIn/AllCalls/Call 5102->5001 Cancelled`,
    /* 13 */ `Skipped ListenIn/AllCalls/Agent 5101->5002 agent=5002 ${c4} SupervisorBusy`,
    /* 14 */ `Joined ListenIn/AllCalls/Agent 5101->5002 agent=5002 ${c5}`,
    /* 15 */ `Left ListenIn/AllCalls/Agent 5101->5002 agent=5002 ${c5} SessionEnded`,
    /* 16 */ `Cancelled ListenIn/AllCalls/Agent 5101->5002 SessionEnded`,
    /* 17 */ `Armed ListenIn/NextCall/Call 5102->5001`,
    /* 18 */ `Joined ListenIn/NextCall/Call 5102->5001 agent=5001 ${c6}`,
    /* 19 */ `Left ListenIn/NextCall/Call 5102->5001 agent=5001 ${c6} CallEnded`,
    /* 20 */ `Armed ListenIn/AllCalls/Call 5102->5001`,
    /* 21 */ `Joined ListenIn/AllCalls/Call 5102->5001 agent=5001 ${c7}`,
    /* 22 */ `Left ListenIn/AllCalls/Call 5102->5001 agent=5001 ${c7} Cancelled`,
    /* 23 */ `Cancelled ListenIn/AllCalls/Call 5102->5001 Cancelled`,
  ];
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
  return {
    all,
    s1: [...range(0, 8), ...range(13, 16)],
    s2: [...range(9, 12), ...range(17, 23)],
    agent2: [6, 7, 8, 13, 14, 15, 16],
    call2: [7, 8, 10, 11],
    later: range(9, 23),
  };
}

const pick = (all: string[], idx: number[]) => idx.map((i) => all[i]);

test('row 19: the audit listing holds every step, filters, pages, and survives a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-audit-'));
  const config = testConfig({ database: join(dir, 'switchboard.db'), contactCenters: [demoContactCenter()] });
  let e: E2E | undefined;
  try {
    e = await startWithConfig(config);
    const calls = await busyDay(e);
    const want = expectedDay(calls);
    const s1 = e.users.get('supervisor1')!;
    const s2 = e.users.get('supervisor2')!;
    const a = e.users.get('agent1')!;

    // admin: the whole contact center, in order; supervisors: their own entries
    const all = await auditOf(e, ADMIN);
    assert.deepEqual(all.lines, want.all);
    assert.equal(all.totalCount, 24);
    assert.equal(all.offset, 0);
    await expectAudit(e, s1, pick(want.all, want.s1));
    await expectAudit(e, s2, pick(want.all, want.s2));

    // one entry in full
    const s1Id: string = (await s1.get('/api/v2/me')).user.id;
    const agent2Id: string = (await e.users.get('agent2')!.get('/api/v2/me')).user.id;
    const joined = all.entries[7];
    assert.deepEqual(joined, {
      time: new Date(T0).toISOString(),
      event: 'Joined',
      supervisor: { id: s1Id, userName: 'supervisor1', phoneNumber: S },
      target: { id: agent2Id, userName: 'agent2', phoneNumber: B, type: 'Agent' },
      agent: { id: agent2Id, userName: 'agent2', phoneNumber: B },
      callUuid: calls[1],
      mode: 'ListenIn',
      scope: 'Agent',
      supervisorMonitoringMode: 'AllCalls',
    });
    assert.equal(all.entries[9].time, new Date(T0 + 60_000).toISOString());

    // filters: agent (userName or id), callUuid, supervisor, from/to
    assert.deepEqual((await auditOf(e, ADMIN, 'agent=agent2')).lines, pick(want.all, want.agent2));
    assert.deepEqual((await auditOf(e, ADMIN, `agent=${agent2Id}`)).lines, pick(want.all, want.agent2));
    assert.deepEqual((await auditOf(e, s1.auth, 'agent=agent2')).lines, pick(want.all, want.agent2.filter((i) => want.s1.includes(i))));
    assert.deepEqual((await auditOf(e, ADMIN, `callUuid=${calls[1]}`)).lines, pick(want.all, want.call2));
    assert.deepEqual((await auditOf(e, s2.auth, `callUuid=${calls[1]}`)).lines, pick(want.all, [10, 11]));
    assert.deepEqual((await auditOf(e, ADMIN, 'supervisor=supervisor2')).lines, pick(want.all, want.s2));
    const foreign = await auditOf(e, s1.auth, 'supervisor=supervisor2');
    assert.deepEqual([foreign.totalCount, foreign.lines], [0, []], 'a supervisor never sees another one\'s entries');
    assert.deepEqual((await auditOf(e, ADMIN, `from=${T0 + 60_000}`)).lines, pick(want.all, want.later));
    assert.deepEqual((await auditOf(e, ADMIN, `to=${encodeURIComponent(new Date(T0).toISOString())}`)).lines, want.all.slice(0, 9));
    assert.deepEqual((await auditOf(e, ADMIN, `supervisor=supervisor1&agent=agent1&from=${T0}&to=${T0 + 1000}`)).lines, want.all.slice(0, 6));

    // paging
    const page = await auditOf(e, ADMIN, 'offset=5&limit=4');
    assert.deepEqual([page.totalCount, page.offset, page.limit, page.lines], [24, 5, 4, want.all.slice(5, 9)]);
    const last = await auditOf(e, ADMIN, 'offset=20&limit=10');
    assert.deepEqual([last.totalCount, last.lines], [24, want.all.slice(20)]);
    const beyond = await auditOf(e, ADMIN, 'offset=100');
    assert.deepEqual([beyond.totalCount, beyond.lines], [24, []]);
    const pages: string[] = [];
    for (let offset = 0; offset < 24; offset += 7) pages.push(...(await auditOf(e, s1.auth, `offset=${offset}&limit=7`)).lines);
    assert.deepEqual(pages, pick(want.all, want.s1));

    // bad filters are statusCode 10; agents may not read the audit (5)
    for (const q of ['agent=nobody', 'limit=0', 'offset=-1', 'from=yesterday', `from=${T0 + 1}&to=${T0}`]) {
      const r = await e.fetchJson('GET', `/api/v2/supervision/audit?${q}`, ADMIN);
      assert.equal(r.json.statusCode, 10, `${q}: ${JSON.stringify(r.json)}`);
      assert.equal(r.status, 400, q);
    }
    const denied = await e.fetchJson('GET', '/api/v2/supervision/audit', a.auth);
    assert.deepEqual([denied.status, denied.json.statusCode], [403, 5]);

    // restart on the same database file: everything is still there, and new steps append
    await e.close();
    e = undefined;
    e = await startWithConfig(config, '02SWITCHBOARD', T0 + 3_600_000);
    const again = await auditOf(e, ADMIN);
    assert.deepEqual(again.lines, want.all, 'the audit survives a restart');
    assert.deepEqual(again.entries, all.entries, 'entries are identical after the restart');
    const s1b = await e.user('supervisor1', { session: true });
    const a2 = await e.user('agent1', { ready: true });
    await expectAudit(e, s1b, pick(want.all, want.s1));
    assert.deepEqual((await auditOf(e, ADMIN, 'agent=agent2')).lines, pick(want.all, want.agent2));

    await arm(e, s1b, 'ListenIn', { agent: a2 });
    const c = await e.simCall(C, RP);
    await a2.callOp(c, 'Answer');
    await expectLeg(s1b, leg('ListenIn', [C, A], A), 'monitoring after the restart');
    const after = await auditOf(e, ADMIN);
    assert.deepEqual(after.lines, [
      ...want.all,
      `Armed ListenIn/AllCalls/Call 5101->5001`,
      `Joined ListenIn/AllCalls/Call 5101->5001 agent=5001 ${ref(c)}`,
    ]);
    assert.ok(c.startsWith('02SWITCHBOARD'));
    assert.equal(after.entries[24].time, new Date(T0 + 3_600_000).toISOString());
    assert.deepEqual((await auditOf(e, ADMIN, `from=${T0 + 3_600_000}`)).lines, after.lines.slice(24));

    // stopping the server mid-call ends the monitoring it held: the Joined gets its Left and the
    // configuration its Cancelled, both ServerStopped, written before the store closes
    await e.close();
    e = undefined;
    e = await startWithConfig(config, '03SWITCHBOARD', T0 + 7_200_000);
    const stopped = await auditOf(e, ADMIN);
    assert.deepEqual(stopped.lines, [
      ...after.lines,
      `Left ListenIn/AllCalls/Call 5101->5001 agent=5001 ${ref(c)} ServerStopped`,
      `Cancelled ListenIn/AllCalls/Call 5101->5001 ServerStopped`,
    ]);
    assert.equal(stopped.entries[26].time, new Date(T0 + 3_600_000).toISOString(), 'written at the moment the server stopped');
  } finally {
    await e?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
