/**
 * Per-call ringing and the GWS Answer capability (sip.md 3, docs/telephony.md): a phone whose 180
 * carries Allow-Events: talk can be answered from GWS (Answer stays in the ringing leg's
 * capabilities and sends NOTIFY talk); a phone whose 180 does not cannot be, so Answer leaves the
 * capabilities (a notification says so) and a GWS Answer is refused like any operation not in them;
 * the agent picks up on the phone, which is Established as usual.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rig, waitFor } from './b2bua-rig.js';
import { callCapabilities } from '../../src/switch/capabilities.js';

const PER_CALL = { sip: { agentPhoneMode: 'perCall' as const } };

test('per-call: Answer is offered only while the ringing phone allows talk', async () => {
  for (const talk of [true, false]) {
    const rig = await Rig.start(PER_CALL);
    const agent = await rig.phone('5001', talk ? { talk: true } : { autoAnswer: false });
    try {
      assert.equal(await agent.register(), 200);
      rig.h.loginReady('5001');
      rig.h.take();
      const { callUuid } = rig.h.ok(rig.h.sw.simulateInbound('+15551234', '5001'));
      await waitFor('the phone rings (180)', () => agent.ringing.length === 1);
      const capabilities = () => rig.h.sw.callView(callUuid, '5001')?.capabilities ?? [];
      if (talk) {
        // a 180 with Allow-Events: talk keeps Answer, and Answer works (NOTIFY talk)
        assert.ok(capabilities().includes('Answer'), capabilities().join(','));
        rig.h.op('5001', callUuid, { name: 'Answer' });
        await waitFor('Established through NOTIFY talk', () => rig.h.sw.callView(callUuid, '5001')?.state === 'Established');
      } else {
        await waitFor('Answer leaves the capabilities', () => !capabilities().includes('Answer'));
        assert.ok(capabilities().includes('Reject') && capabilities().includes('Hangup'), capabilities().join(','));
        const events = rig.h.take();
        assert.ok(events.some((line) => line.startsWith('5001 call #1')), `a notification carries the new capabilities: ${events.join(' | ')}`);
        const refused = rig.h.sw.callOperation('5001', callUuid, { name: 'Answer' });
        assert.equal(refused.ok, false, 'GWS Answer is refused');
        agent.pickUp(agent.ringing.shift()!);
        await waitFor('the agent picks up on the phone: Established', () => rig.h.sw.callView(callUuid, '5001')?.state === 'Established');
      }
    } finally {
      await rig.close(agent);
    }
  }
});

test('the capability rule: a ringing leg that is not answerable has no Answer, an agent leg and a supervisor leg alike', () => {
  const base = { state: 'Ringing' as const, monitoredUserMuted: false, muted: false, conference: false, conferenceOwner: false, consultPair: false };
  assert.ok(callCapabilities(base).includes('Answer'));
  assert.deepEqual(callCapabilities({ ...base, answerable: false }), callCapabilities(base).filter((op) => op !== 'Answer'));
  const supervisor = { ...base, supervisorMode: 'ListenIn' as const };
  assert.ok(callCapabilities(supervisor).includes('Answer'));
  assert.deepEqual(callCapabilities({ ...supervisor, answerable: false }), callCapabilities(supervisor).filter((op) => op !== 'Answer'));
  assert.deepEqual(callCapabilities({ ...base, state: 'Established', answerable: false }), callCapabilities({ ...base, state: 'Established' }), 'only while ringing');
});
