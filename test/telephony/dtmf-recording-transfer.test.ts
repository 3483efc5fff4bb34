/**
 * DTMF, recording and a transfer started from a real phone (issue 8 point 4, sip.md sections 3 and 5;
 * the runner and its hearing checks are scenario.ts): three baresip phones — customer 440 Hz,
 * agent1 5001 1000 Hz, agent2 5002 2400 Hz — on one customer call:
 *   - StartCallRecording through GWS, then at the end of the recorded stretch StopCallRecording and
 *     GET /api/v2/recordings/{callUuid}: Goertzel on the WAV finds both sides' tones (customer and
 *     agent) and no tone of a phone off the call;
 *   - agent1's phone sends an RFC 4733 digit (baresip `sndcode`): GWS shows DtmfSent with that digit
 *     on agent1's call, and the customer's phone receives the digit (relayed by the mixer);
 *   - GWS SendDtmf on agent1's call: the customer's phone receives the digits as RFC 4733 events;
 *   - agent1's phone transfers the customer to 5002 itself (baresip `transfer`: a blind REFER; baresip
 *     1.0 cannot send REFER with Replaces, so an attended transfer from the phone is not tried here):
 *     5002 rings in GWS exactly as after SingleStepTransfer, answers, and the customer hears agent2.
 * At every step each phone hears exactly GET /sim/v1/calls/{callUuid}/media.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN } from '../helpers/supervision-steps.js';
import { analyseWindow, describeAnalysis, heardTones } from '../helpers/goertzel.js';
import { TRIM_SEC } from '../helpers/baresip-hearing.js';
import { parseWav } from '../helpers/wav.js';
import { EVENT_TIMEOUT_MS, callNotice, runScenario } from './scenario.js';
import type { Matrix, Step, World } from './scenario.js';

const A_AND_C: Matrix = { C: ['A'], A: ['C'] };
const CUSTOMER_TONE_HZ = 440;
const AGENT_TONE_HZ = 1000;
const AGENT2_TONE_HZ = 2400;

/** The customer's phone receives `digit` as an RFC 4733 event (baresip's CALL_DTMF_START). */
async function customerReceives(world: World, digit: string): Promise<void> {
  await world.phone('C').waitEvent('CALL_DTMF_START', EVENT_TIMEOUT_MS, (event) => event.param === digit);
}

/** The recording of the call, fetched as a supervisor's tool would: both sides' tones, nobody else's. */
async function checkRecording(world: World): Promise<void> {
  const response = await fetch(`${world.e.baseUrl}/api/v2/recordings/${world.call}`, { headers: { Authorization: ADMIN } });
  assert.equal(response.status, 200, `GET /api/v2/recordings/${world.call}: ${response.status} ${await response.clone().text()}`);
  assert.equal(response.headers.get('content-type'), 'audio/wav');
  const audio = parseWav(Buffer.from(await response.arrayBuffer()), 'the call recording');
  const analysis = analyseWindow(audio.samples, audio.sampleRate, [CUSTOMER_TONE_HZ, AGENT_TONE_HZ, AGENT2_TONE_HZ], TRIM_SEC, audio.durationSec - TRIM_SEC);
  const { heard, unclear } = heardTones(analysis);
  const what = `recording of ${audio.durationSec.toFixed(2)} s: ${describeAnalysis(analysis)}`;
  assert.deepEqual(unclear, [], what);
  assert.deepEqual(heard.sort(), [CUSTOMER_TONE_HZ, AGENT_TONE_HZ].sort(), what);
  console.log(what);
}

const STEPS: Step[] = [
  { name: 'A and C', act: async () => undefined, matrix: A_AND_C },
  {
    name: 'A records the call',
    act: async ({ user, call }) => {
      await user('A').callOp(call, 'StartCallRecording');
      await callNotice(user('A'), call, (m) => m.notificationType === 'CallRecordingStateChange', 'recording started');
    },
    matrix: A_AND_C,
  },
  {
    name: "DTMF 5 from A's phone",
    act: async (world) => {
      const reply = await world.phone('A').command('sndcode', '5');
      assert.ok(reply.ok, `sndcode refused: ${reply.data}`);
      await callNotice(world.user('A'), world.call, (m) => m.notificationType === 'DtmfSent' && m.digits === '5', 'DtmfSent 5 from the phone');
      await customerReceives(world, '5');
    },
    matrix: A_AND_C,
  },
  {
    name: 'GWS SendDtmf 7#',
    act: async (world) => {
      await world.user('A').callOp(world.call, 'SendDtmf', { digits: '7#' });
      await customerReceives(world, '7');
      await customerReceives(world, '#');
    },
    matrix: A_AND_C,
  },
  {
    name: 'recording stopped and fetched',
    act: async (world) => {
      await world.user('A').callOp(world.call, 'StopCallRecording');
      await callNotice(world.user('A'), world.call, (m) => m.notificationType === 'CallRecordingStateChange', 'recording stopped');
      await checkRecording(world);
    },
    matrix: A_AND_C,
  },
  {
    name: "A's phone transfers C to B",
    act: async (world) => {
      const { user, call } = world;
      const reply = await world.phone('A').command('transfer', `sip:${world.number.B}@127.0.0.1:${world.sipPort}`);
      assert.ok(reply.ok, `transfer refused: ${reply.data}`);
      await callNotice(user('A'), call, (m) => m.call.state === 'Released', 'agent1 released by its own transfer');
      await callNotice(user('B'), call, (m) => m.call.state === 'Ringing', 'the transferred call rings at agent2');
      await user('B').callOp(call, 'Answer');
      await callNotice(user('B'), call, (m) => m.call.state === 'Established', 'agent2 established');
    },
    matrix: { C: ['B'], B: ['C'] },
  },
];

test('DTMF both ways, a recording of real audio, and a blind transfer from the phone: every phone hears what GET media says', { timeout: 120_000 }, () =>
  runScenario({ more: ['B'], steps: STEPS, holdAudio: 'silence', hangsUp: 'B' }));
