/**
 * B2BUA, per-call mode (sip.md 3, agentPhoneMode perCall), with fake SIP phones over loopback UDP:
 * each call INVITEs the phone; 180 is Ringing; GWS Answer sends NOTIFY Event: talk to a phone that
 * advertised Allow-Events: talk and its 200 is Established; a phone picking up by itself is Established
 * too; 486 is a busy destination and 603 a rejection (both release the leg); GWS Hangup BYEs the phone,
 * and while it still rings, CANCELs the INVITE.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rig, waitFor } from './b2bua-rig.js';

const PER_CALL = { sip: { agentPhoneMode: 'perCall' as const } };

test('per-call: INVITE per call, NOTIFY talk on GWS Answer, Hangup BYEs the phone', async () => {
  const rig = await Rig.start(PER_CALL);
  const agent = await rig.phone('5001', { talk: true });
  try {
    assert.equal(await agent.register(), 200);
    rig.h.loginReady('5001');
    rig.h.take();
    const { callUuid } = rig.h.ok(rig.h.sw.simulateInbound('+15551234', '5001'));
    await waitFor('the phone is INVITEd', () => agent.ringing.length === 1);
    assert.equal(agent.lastInviteHeaders.some((header) => header.name === 'Call-Info'), false, 'no auto-answer for a customer call');
    rig.h.op('5001', callUuid, { name: 'Answer' });
    await waitFor('NOTIFY talk picks the phone up -> Established', () =>
      rig.h.take().includes('5001 call #1 StatusChange Established Inbound [+15551234]'),
    );
    assert.equal(agent.dialogs.length, 1);
    rig.h.op('5001', callUuid, { name: 'Hangup' });
    await waitFor('BYE to the phone', () => agent.count('BYE') === 1);
  } finally {
    await rig.close(agent);
  }
});

test('per-call: the phone picking up itself is Established; GWS Hangup while ringing CANCELs', async () => {
  const rig = await Rig.start(PER_CALL);
  const agent = await rig.phone('5001', { autoAnswer: false });
  try {
    assert.equal(await agent.register(), 200);
    rig.h.loginReady('5001');
    const first = rig.h.ok(rig.h.sw.simulateInbound('+15551234', '5001'));
    await waitFor('ringing', () => agent.ringing.length === 1);
    agent.pickUp(agent.ringing.shift()!);
    await waitFor('Established', () => rig.h.take().includes('5001 call #1 StatusChange Established Inbound [+15551234]'));
    rig.h.op('5001', first.callUuid, { name: 'Hangup' });
    await waitFor('BYE', () => agent.count('BYE') === 1);

    const second = rig.h.ok(rig.h.sw.simulateInbound('+15551234', '5001'));
    await waitFor('ringing again', () => agent.ringing.length === 1);
    rig.h.op('5001', second.callUuid, { name: 'Hangup' });
    await waitFor('CANCEL to the ringing phone', () => agent.log.includes('CANCEL') || agent.ringing[0]!.finished);
  } finally {
    await rig.close(agent);
  }
});

test('per-call: 486 is busy, 603 a rejection: the leg is released', async () => {
  for (const status of [486, 603]) {
    const rig = await Rig.start(PER_CALL);
    const agent = await rig.phone('5001', { refuseWith: status });
    try {
      assert.equal(await agent.register(), 200);
      rig.h.loginReady('5001', '5002');
      rig.h.take();
      const { callUuid } = rig.h.ok(rig.h.sw.dial('5002', { phoneNumber: '5001' }));
      await waitFor(`${status}: 5001's leg is released`, () => rig.h.sw.callsOf('5001').length === 0);
      const lines = rig.h.take();
      assert.ok(lines.some((line) => line.startsWith('5002 call #1')), `5002 was told: ${lines.join(' | ')}`);
      void callUuid;
    } finally {
      await rig.close(agent);
    }
  }
});
