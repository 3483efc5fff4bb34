/**
 * Per-call ringing (contact-center setting `sip.agentPhoneMode: "perCall"`, docs/telephony.md) with
 * real baresip phones: no leg is nailed up at login; an inbound trunk call (the customer's phone,
 * unregistered, dials routing point 7000 through the demo's loopback trunk) rings the registered
 * agent phone 5001 (INVITE, CALL_INCOMING on the phone, Ringing in GWS); the phone answers itself
 * (`accept` over its control port; nobody answers through GWS) and GWS shows Established; the two
 * phones hear each other's tone (Goertzel on both recordings: customer 440 Hz, agent 1000 Hz, as
 * GET /sim/v1/calls/{callUuid}/media says); the agent hangs up on the phone (BYE) and GWS shows
 * Released while the customer's phone gets its BYE.
 * Guarantees: free ports (AppDeps.sipEphemeralPorts, the phones' own port blocks), every wait has a
 * timeout that fails loudly, phones killed by PID and the app closed in `finally`; the only timer is
 * the audio window of the recording.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/app/app.js';
import { testConfig } from '../../src/config/load.js';
import { demoContactCenter } from '../../src/config/demo.js';
import { cheapHasher } from '../helpers/cheap-hasher.js';
import { E2E } from '../helpers/e2e.js';
import { ADMIN } from '../helpers/supervision-steps.js';
import { PhoneSet, haveBaresip } from '../helpers/baresip.js';
import { skippedTimeline } from '../helpers/baresip-hearing.js';
import { EVENT_TIMEOUT_MS, PHASE_MS, callNotice, inboundRinging } from './scenario.js';
import { assertHearing, letAudioFlow, listeningOf } from './harness.js';

const CUSTOMER = { user: '+15551234567', toneHz: 440 };
const AGENT = { user: '5001', toneHz: 1000 };
const TICK_MS = 20;

test('per-call ringing with a real phone: the trunk call rings 5001, the phone answers, both hear each other, the phone hangs up', { timeout: 90_000 }, async () => {
  assert.ok(haveBaresip(), 'baresip and sox are required: run scripts/install-test-tools.sh');
  const phones = new PhoneSet();
  const recordingsDir = mkdtempSync(join(tmpdir(), 'switchboard-recordings-'));
  const e = new E2E();
  try {
    const demo = demoContactCenter();
    const settings = { ...demo.settings, sip: { ...demo.settings.sip!, agentPhoneMode: 'perCall' as const } };
    // baresip 1.0 refuses SHA-256 digest challenges: MD5 only; the mixer in a worker thread, as in production
    const config = testConfig({ contactCenters: [{ ...demo, settings }], sip: { ...testConfig().sip, digestAlgorithms: ['MD5'] }, media: { workers: 1 }, recordings: { dir: recordingsDir } });
    e.app = await createApp(config, { passwordHasher: cheapHasher, sipEphemeralPorts: true });
    const { baseUrl, sipPort } = await e.app.listen();
    e.baseUrl = baseUrl;
    assert.ok(sipPort, 'the app serves SIP');
    const telephony = e.app.telephony;
    assert.ok(telephony, 'the app has telephony');
    // the mixer's own count of skipped ticks, so that a stall is taken out of the recordings' timelines
    const skipped: Array<{ at: number; skippedSec: number }> = [];
    const sampleSkipped = async (at = Date.now()): Promise<void> => {
      const stats = await telephony.media.stats();
      skipped.push({ at, skippedSec: (stats.reduce((sum, worker) => sum + worker.skippedTicks, 0) * TICK_MS) / 1000 });
    };
    await sampleSkipped();

    const [customerPhone, agentPhone] = await Promise.all([
      phones.start({ name: 'customer', user: CUSTOMER.user, toneHz: CUSTOMER.toneHz, codec: 'PCMU' }),
      phones.start({ name: 'agent1', user: AGENT.user, toneHz: AGENT.toneHz, codec: 'PCMU', registrar: { port: sipPort, password: 'demo' }, autoAnswer: false }),
    ]);
    await agentPhone.waitRegistered();
    const agent = await e.user('agent1', { ready: true });
    assert.equal(agentPhone.events.filter((event) => event.type === 'CALL_INCOMING').length, 0, 'per-call mode: logging in does not call the phone');

    await customerPhone.dial(`sip:7000@127.0.0.1:${sipPort}`);
    const { call, customerNumber } = await inboundRinging(agent);
    await agentPhone.waitEvent('CALL_INCOMING', EVENT_TIMEOUT_MS);
    const answered = callNotice(agent, call, (m) => m.call.state === 'Established', 'Established after the phone answered');
    const accepted = await agentPhone.command('accept');
    assert.ok(accepted.ok, `the phone accepts the call: ${accepted.data}`);
    await answered;
    await Promise.all([agentPhone.waitEvent('CALL_ESTABLISHED', EVENT_TIMEOUT_MS), customerPhone.waitEvent('CALL_ESTABLISHED', EVENT_TIMEOUT_MS)]);

    const media = await e.fetchJson('GET', `/sim/v1/calls/${call}/media`, ADMIN);
    assert.equal(media.json.statusCode, 0, JSON.stringify(media.json));
    const hears = Object.fromEntries(media.json.parties.map((p: { phoneNumber: string; hears: string[] }) => [p.phoneNumber, p.hears]));
    assert.deepEqual(hears, { [customerNumber]: [AGENT.user], [AGENT.user]: [customerNumber] });

    const startedAt = Date.now();
    await sampleSkipped(startedAt);
    await letAudioFlow(PHASE_MS);
    const endedAt = Date.now();
    await sampleSkipped(endedAt);

    const released = callNotice(agent, call, (m) => m.call.state === 'Released', 'Released after the phone hung up');
    await agentPhone.hangup();
    await released;
    const closedAt = {
      [AGENT.user]: (await agentPhone.waitEvent('CALL_CLOSED', EVENT_TIMEOUT_MS)).receivedAt,
      [customerNumber]: (await customerPhone.waitEvent('CALL_CLOSED', EVENT_TIMEOUT_MS)).receivedAt,
    };
    await sampleSkipped();
    await phones.stopAll();

    const skippedBy = skippedTimeline(skipped);
    const table = assertHearing(
      [listeningOf(customerPhone, customerNumber, skippedBy), listeningOf(agentPhone, AGENT.user, skippedBy)],
      [{ name: 'customer and agent', startedAt, endedAt, expected: { [customerNumber]: [AGENT.user], [AGENT.user]: [customerNumber] } }],
      [
        { name: customerNumber, toneHz: CUSTOMER.toneHz },
        { name: AGENT.user, toneHz: AGENT.toneHz },
      ],
      closedAt,
    );
    console.log(table);
  } finally {
    await phones.dispose();
    await e.close();
    rmSync(recordingsDir, { recursive: true, force: true });
  }
});
