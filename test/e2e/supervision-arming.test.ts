/**
 * Supervision end to end (shared/spec/supervision.md section 10), rows 1-5 and 18: arming while the
 * agent is idle or on a call, NextCall, BargeIn by intrusion, Coach, the mode switches, and
 * intrusion off. Every step checks each party's notifications (REST + the official CometD client),
 * the media matrix of section 5, and the audit steps (row 19). Rows 1 and 5 also keep the
 * supervisor's and the agent's whole streams as golden files (the same file for both transports).
 * The bodies of the scenarios on the default settings (rows 1-5, section 1) are in
 * ../helpers/supervision-scenarios.ts, shared with the three-node test (test/cluster/e2e/).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertGolden } from '../helpers/golden.js';
import {
  A, C, C2, RP, S,
  arm, expectArmed, expectAudit, expectCall, expectLeg, expectMedia,
  leg, nothingElse, ref, ringAndAnswer, withE2E,
} from '../helpers/supervision-steps.js';
import { ARMING_SCENARIOS, GOLDEN_SUPERVISION_SCENARIOS, type GoldenScenario } from '../helpers/supervision-scenarios.js';
import type { E2E } from '../helpers/e2e.js';

const TRANSPORTS = ['long-polling', 'websocket'] as const;
const { row1, row5 } = GOLDEN_SUPERVISION_SCENARIOS;
const { row2, row3, row4, row18, section1 } = ARMING_SCENARIOS;

/** `row N (transport): ...` */
const withTransport = (title: string, transport: string): string => title.replace(':', ` (${transport}):`);

/** the scenario's streams, byte for byte as in test/golden/e2e/ */
function assertGoldenStreams(e: E2E, scenario: GoldenScenario): void {
  for (const [user, file] of Object.entries(scenario.golden)) assertGolden(`e2e/${file}`, e.streamOf(user));
}

for (const transport of TRANSPORTS) {
  test(withTransport(row1.title, transport), () =>
    withE2E({ transport }, async (e) => {
      await row1.run(e);
      assertGoldenStreams(e, row1);
    }));
}

test(row2.title, () => withE2E({}, (e) => row2.run(e)));

for (const transport of TRANSPORTS) test(withTransport(row3.title, transport), () => withE2E({ transport }, (e) => row3.run(e)));

test(row4.title, () => withE2E({}, (e) => row4.run(e)));

test(row5.title, () =>
  withE2E({}, async (e) => {
    await row5.run(e);
    assertGoldenStreams(e, row5);
  }));

test(row18.title, () => withE2E(row18.start ?? {}, (e) => row18.run(e)));

test(section1.title, () => withE2E({}, (e) => section1.run(e)));

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
