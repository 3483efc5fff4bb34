/**
 * Supervision end to end (shared/spec/supervision.md section 10), rows 1-5 and 18: arming while the
 * agent is idle or on a call, NextCall, BargeIn by intrusion, Coach, the mode switches, and
 * intrusion off. Every step checks each party's notifications (REST + the official CometD client),
 * the media matrix of section 5, and the audit steps (row 19). Rows 1 and 5 also keep the
 * supervisor's and the agent's whole streams as golden files (the same file for both transports);
 * their bodies are in ../helpers/supervision-scenarios.ts, shared with the three-node test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertGolden } from '../helpers/golden.js';
import {
  A, C, C2, RP, S,
  arm, expectArmed, expectAudit, expectCall, expectDisarmed, expectLeg, expectMedia,
  getDevice, leg, nothingElse, ref, ringAndAnswer, withE2E,
} from '../helpers/supervision-steps.js';
import { GOLDEN_SUPERVISION_SCENARIOS, listenedInCall, type GoldenScenario } from '../helpers/supervision-scenarios.js';
import type { E2E } from '../helpers/e2e.js';

const TRANSPORTS = ['long-polling', 'websocket'] as const;
const { row1, row5 } = GOLDEN_SUPERVISION_SCENARIOS;

/** the scenario's streams, byte for byte as in test/golden/e2e/ */
function assertGoldenStreams(e: E2E, scenario: GoldenScenario): void {
  for (const [user, file] of Object.entries(scenario.golden)) assertGolden(`e2e/${file}`, e.streamOf(user));
}

for (const transport of TRANSPORTS) {
  test(`row 1 (${transport}): ListenIn armed while A is idle joins when A answers; C hangs up; S stays armed`, () =>
    withE2E({ transport }, async (e) => {
      await row1.run(e);
      assertGoldenStreams(e, row1);
    }));
}

test('row 2: NextCall: after the first monitored call the configuration is gone; the second call is not monitored', () =>
  withE2E({}, async (e) => {
    const s = await e.user('supervisor1', { session: true });
    const a = await e.user('agent1', { ready: true });
    await arm(e, s, 'ListenIn', { agent: a }, { mode: 'NextCall' });
    await expectArmed(e, s, { state: 'ListenIn', mode: 'NextCall', scope: 'Call', target: a });

    const first = await ringAndAnswer(e, a, C, RP);
    await expectCall(a, first, { state: 'Established', participants: [C], supervisorListeningIn: true });
    await expectLeg(s, leg('ListenIn', [C, A], A), 'joins the next call');
    await expectMedia(e, first, { [C]: [A], [A]: [C], [S]: [C, A] }, 'ListenIn');

    await e.simHangup(first);
    await expectCall(a, first, { state: 'Released', participants: [C] });
    await expectCall(s, first, { state: 'Released', participants: [C, A], monitoring: true });
    await expectDisarmed(s, 'NextCall finished');
    assert.ok(!('supervisorMonitoringState' in (await getDevice(e, s))), 'GET: no supervisorMonitoringState');

    const second = await ringAndAnswer(e, a, C2, RP);
    await expectCall(a, second, { state: 'Established', participants: [C2], supervisorListeningIn: false }, 'not monitored');
    await expectMedia(e, second, { [C2]: [A], [A]: [C2] }, 'no supervisor on the second call');
    await nothingElse(s, a); // S got nothing about the second call
    await expectAudit(e, s, [
      `Armed ListenIn/NextCall/Call 5101->5001`,
      `Joined ListenIn/NextCall/Call 5101->5001 agent=5001 ${ref(first)}`,
      `Left ListenIn/NextCall/Call 5101->5001 agent=5001 ${ref(first)} CallEnded`,
    ]);
  }));

for (const transport of TRANSPORTS) {
  test(`row 3 (${transport}): BargeIn while A is on a call joins at once; everyone hears everyone`, () =>
    withE2E({ transport }, async (e) => {
      const s = await e.user('supervisor1', { session: true });
      const a = await e.user('agent1', { ready: true });
      const call = await ringAndAnswer(e, a, C, RP);
      await expectCall(a, call, { state: 'Established', participants: [C], supervisorListeningIn: false });
      await expectMedia(e, call, { [C]: [A], [A]: [C] }, 'A and C, no supervisor');

      await arm(e, s, 'BargeIn', { phoneNumber: A });
      await expectLeg(s, { ...leg('BargeIn', [C, A], A), callType: 'Inbound' }, 'joins at once');
      await expectArmed(e, s, { state: 'BargeIn', mode: 'AllCalls', scope: 'Call', target: a });
      await expectCall(a, call, { notificationType: 'ParticipantsUpdated', state: 'Established', participants: [C, S], supervisorListeningIn: false }, 'S barged in');
      await expectMedia(e, call, { [C]: [A, S], [A]: [C, S], [S]: [C, A] }, 'BargeIn');

      await e.simHangup(call);
      await expectCall(a, call, { state: 'Released', participants: [C, S] });
      await expectCall(s, call, { state: 'Released', participants: [C, A], monitoring: true, mute: 'Off' });
      await nothingElse(s, a);
      await expectAudit(e, s, [
        `Armed BargeIn/AllCalls/Call 5101->5001`,
        `Joined BargeIn/AllCalls/Call 5101->5001 agent=5001 ${ref(call)}`,
        `Left BargeIn/AllCalls/Call 5101->5001 agent=5001 ${ref(call)} CallEnded`,
      ]);
    }));
}

test('row 4: Coach: A hears S, C does not', () =>
  withE2E({}, async (e) => {
    const s = await e.user('supervisor1', { session: true });
    const a = await e.user('agent1', { ready: true });
    await arm(e, s, 'Coach', { agent: a }, { scope: 'Call' });
    await expectArmed(e, s, { state: 'Coach', mode: 'AllCalls', scope: 'Call', target: a });

    const call = await ringAndAnswer(e, a, C, RP);
    await expectCall(a, call, { state: 'Established', participants: [C, S], supervisorListeningIn: false }, 'the coach is listed for A');
    await expectLeg(s, leg('Coach', [C, A], A), 'coaching');
    await expectMedia(e, call, { [C]: [A], [A]: [C, S], [S]: [C, A] }, 'Coach');

    // S mutes itself in Coach: A no longer hears S
    await s.callOp(call, 'MuteCall');
    await expectCall(s, call, leg('Coach', [C, A], A, { mute: 'On', has: ['UnmuteCall', 'SwitchToListenIn'], lacks: ['MuteCall'] }), 'S muted');
    await expectMedia(e, call, { [C]: [A], [A]: [C], [S]: [C, A] }, 'Coach, S muted');
    await s.callOp(call, 'UnmuteCall');
    await expectCall(s, call, leg('Coach', [C, A], A), 'S unmuted');
    await expectMedia(e, call, { [C]: [A], [A]: [C, S], [S]: [C, A] }, 'Coach again');

    await e.simHangup(call);
    await expectCall(a, call, { state: 'Released', participants: [C, S] });
    await expectCall(s, call, { state: 'Released', participants: [C, A], monitoring: true });
    await nothingElse(s, a);
    await expectAudit(e, s, [
      `Armed Coach/AllCalls/Call 5101->5001`,
      `Joined Coach/AllCalls/Call 5101->5001 agent=5001 ${ref(call)}`,
      `Left Coach/AllCalls/Call 5101->5001 agent=5001 ${ref(call)} CallEnded`,
    ]);
  }));

test(row5.title, () =>
  withE2E({}, async (e) => {
    await row5.run(e);
    assertGoldenStreams(e, row5);
  }));

test('row 18: intrusion off: ListenIn while A is on a call waits for the next call', () =>
  withE2E({ settings: { supervision: { intrusion: false } } }, async (e) => {
    const s = await e.user('supervisor1', { session: true });
    const a = await e.user('agent1', { ready: true });
    const first = await ringAndAnswer(e, a, C, RP);
    await expectCall(a, first, { state: 'Established', participants: [C], supervisorListeningIn: false });

    await arm(e, s, 'ListenIn', { phoneNumber: A });
    await expectArmed(e, s, { state: 'ListenIn', mode: 'AllCalls', scope: 'Call', target: a });
    await expectMedia(e, first, { [C]: [A], [A]: [C] }, 'not joined');
    await nothingElse(s, a); // no leg for S, no change for A

    await e.simHangup(first);
    await expectCall(a, first, { state: 'Released', participants: [C] });
    const second = await ringAndAnswer(e, a, C2, RP);
    await expectCall(a, second, { state: 'Established', participants: [C2], supervisorListeningIn: true });
    const joined = await expectLeg(s, leg('ListenIn', [C2, A], A), 'joins the next call');
    assert.equal(joined.call.id, second);
    await expectMedia(e, second, { [C2]: [A], [A]: [C2], [S]: [C2, A] }, 'ListenIn on the next call');
    await nothingElse(s, a);
    await expectAudit(e, s, [
      `Armed ListenIn/AllCalls/Call 5101->5001`,
      `Joined ListenIn/AllCalls/Call 5101->5001 agent=5001 ${ref(second)}`,
    ]);
  }));

test('section 1: re-arming the same target while on its call switches the mode on that call; NextCall then ends with it', () =>
  withE2E({}, async (e) => {
    const { s, a, call } = await listenedInCall(e);

    await arm(e, s, 'BargeIn', { agent: a });
    await expectCall(s, call, leg('BargeIn', [C, A], A), 'the same call, now barged in');
    await expectArmed(e, s, { state: 'BargeIn', mode: 'AllCalls', scope: 'Call', target: a });
    await expectCall(a, call, { notificationType: 'ParticipantsUpdated', state: 'Established', participants: [C, S], supervisorListeningIn: false });
    await expectMedia(e, call, { [C]: [A, S], [A]: [C, S], [S]: [C, A] }, 'BargeIn by re-arming');

    await arm(e, s, 'Coach', { phoneNumber: A }, { mode: 'NextCall' });
    await expectCall(s, call, leg('Coach', [C, A], A), 'the same call, now coaching');
    await expectArmed(e, s, { state: 'Coach', mode: 'NextCall', scope: 'Call', target: a });
    await expectMedia(e, call, { [C]: [A], [A]: [C, S], [S]: [C, A] }, 'Coach by re-arming');

    await e.simHangup(call);
    await expectCall(a, call, { state: 'Released', participants: [C, S] });
    await expectCall(s, call, { state: 'Released', monitoring: true });
    await expectDisarmed(s, 'NextCall: this call was the one');
    await nothingElse(s, a);
    await expectAudit(e, s, [
      `Armed ListenIn/AllCalls/Call 5101->5001`,
      `Joined ListenIn/AllCalls/Call 5101->5001 agent=5001 ${ref(call)}`,
      `ModeChanged BargeIn/AllCalls/Call 5101->5001 agent=5001 ${ref(call)}`,
      `Armed BargeIn/AllCalls/Call 5101->5001`,
      `ModeChanged Coach/AllCalls/Call 5101->5001 agent=5001 ${ref(call)}`,
      `Armed Coach/NextCall/Call 5101->5001`,
      `Left Coach/NextCall/Call 5101->5001 agent=5001 ${ref(call)} CallEnded`,
    ]);
  }));

test('section 2: autoAnswer off: the supervisor\'s leg rings (Answer, Hangup) and joins on Answer', () =>
  withE2E({ settings: { supervision: { autoAnswer: false } } }, async (e) => {
    const s = await e.user('supervisor1', { session: true });
    const a = await e.user('agent1', { ready: true });
    await arm(e, s, 'ListenIn', { phoneNumber: A });
    await expectArmed(e, s, { state: 'ListenIn', mode: 'AllCalls', scope: 'Call', target: a });
    const call = await ringAndAnswer(e, a, C, RP);
    await expectCall(a, call, { state: 'Established', participants: [C], supervisorListeningIn: false }, 'S not there yet');
    const ringing = await expectLeg(s, { state: 'Ringing', callType: 'Inbound', participants: [C, A], dnis: A, monitoring: true }, 'the leg rings');
    assert.deepEqual(ringing.call.capabilities, ['Answer', 'Hangup']);
    await expectMedia(e, call, { [C]: [A], [A]: [C], [S]: [] }, 'S rings: hears nobody');
    await expectAudit(e, s, [`Armed ListenIn/AllCalls/Call 5101->5001`]);

    await s.callOp(call, 'Answer');
    await expectCall(s, call, leg('ListenIn', [C, A], A), 'S answered');
    await expectCall(a, call, { state: 'Established', participants: [C], supervisorListeningIn: true }, 'listened in');
    await expectMedia(e, call, { [C]: [A], [A]: [C], [S]: [C, A] }, 'ListenIn');
    await e.simHangup(call);
    await expectCall(a, call, { state: 'Released' });
    await expectCall(s, call, { state: 'Released', monitoring: true });
    await nothingElse(s, a);
    await expectAudit(e, s, [
      `Armed ListenIn/AllCalls/Call 5101->5001`,
      `Joined ListenIn/AllCalls/Call 5101->5001 agent=5001 ${ref(call)}`,
      `Left ListenIn/AllCalls/Call 5101->5001 agent=5001 ${ref(call)} CallEnded`,
    ]);
  }));

test('section 8: notifyAgent coachAndBarge hides ListenIn from the agent; never hides the supervisor entirely', async () => {
  await withE2E({ settings: { supervision: { notifyAgent: 'coachAndBarge' } } }, async (e) => {
    const s = await e.user('supervisor1', { session: true });
    const a = await e.user('agent1', { ready: true });
    await arm(e, s, 'ListenIn', { phoneNumber: A });
    await expectArmed(e, s, { state: 'ListenIn', mode: 'AllCalls', scope: 'Call', target: a });
    const call = await ringAndAnswer(e, a, C, RP);
    await expectCall(a, call, { state: 'Established', participants: [C], supervisorListeningIn: false }, 'ListenIn invisible');
    await expectLeg(s, leg('ListenIn', [C, A], A));
    await s.callOp(call, 'SwitchToCoach');
    await expectCall(s, call, leg('Coach', [C, A], A));
    await expectArmed(e, s, { state: 'Coach', mode: 'AllCalls', scope: 'Call', target: a });
    await expectCall(a, call, { notificationType: 'ParticipantsUpdated', state: 'Established', participants: [C, S], supervisorListeningIn: false }, 'the coach is shown');
    await nothingElse(s, a);
  });
  await withE2E({ settings: { supervision: { notifyAgent: 'never' } } }, async (e) => {
    const s = await e.user('supervisor1', { session: true });
    const a = await e.user('agent1', { ready: true });
    const call = await ringAndAnswer(e, a, C, RP);
    await expectCall(a, call, { state: 'Established', participants: [C], supervisorListeningIn: false });
    await arm(e, s, 'BargeIn', { phoneNumber: A });
    await expectLeg(s, leg('BargeIn', [C, A], A));
    await expectArmed(e, s, { state: 'BargeIn', mode: 'AllCalls', scope: 'Call', target: a });
    await expectMedia(e, call, { [C]: [A, S], [A]: [C, S], [S]: [C, A] }, 'BargeIn still reaches everyone');
    await s.callOp(call, 'SwitchToListenIn');
    await expectCall(s, call, leg('ListenIn', [C, A], A));
    await expectArmed(e, s, { state: 'ListenIn', mode: 'AllCalls', scope: 'Call', target: a });
    await nothingElse(s, a); // the agent never sees the supervisor come, switch or go
  });
});
