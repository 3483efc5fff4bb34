/**
 * B2BUA, nailed-up mode (sip.md 3) and trunk calls (sip.md 4), with fake SIP phones over loopback UDP:
 * login INVITEs the registered phone with auto-answer; a customer's INVITE from the trunk rings the agent
 * in GWS (100, 180), GWS Answer answers the customer (200 with our SDP) and moves the agent's nailed leg
 * into the call (re-INVITE, RTP flows to the phone); the customer's BYE releases the call; phone DTMF is
 * a DtmfSent event; logout BYEs the nailed leg; the phone's BYE of the nailed leg hangs up the current call.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakePhone, Rig, waitFor } from './b2bua-rig.js';

const TRUNK = { sip: { trunks: [{ name: 'loopback', host: '127.0.0.1' }] } };

test('nailed-up agent: login INVITE with auto-answer, trunk call answered through GWS, customer BYE releases, logout BYEs', async () => {
  const rig = await Rig.start(TRUNK);
  const agent = await rig.phone('5001');
  const customer = await rig.phone('cust', { user: '+15551234' });
  try {
    assert.equal(await agent.register(), 200);
    rig.h.loginReady('5001');
    await waitFor('the nailed leg is up', () => agent.dialogs.length === 1);
    const headers = Object.fromEntries(agent.lastInviteHeaders.map((header) => [header.name, header.value]));
    assert.match(headers['Call-Info'] ?? '', /answer-after=0/);
    assert.match(headers['Alert-Info'] ?? '', /info=alert-autoanswer/);
    rig.h.take();

    const calling = customer.call('7000', { credentials: false });
    await waitFor('the call rings the agent in GWS', () => rig.h.sw.callsOf('5001').length === 1);
    await waitFor('180 to the customer', () => customer.log.includes('provisional 180'));
    const callUuid = rig.h.callOf('5001');
    assert.deepEqual(rig.h.take(), ['5001 call #1 StatusChange Ringing Inbound [+15551234]']);

    rig.h.op('5001', callUuid, { name: 'Answer' });
    const answered = await calling;
    assert.equal(answered.response.status, 200, 'the customer is answered when the agent answers');
    assert.match(answered.response.body.toString(), /m=audio \d+ RTP\/AVP 0 101/);
    await waitFor('the nailed leg re-INVITEd into the call', () => agent.count('INVITE') >= 2);
    const packetsBefore = agent.rtpPackets;
    await waitFor('RTP reaches the agent phone', () => agent.rtpPackets > packetsBefore + 5);

    // DTMF from the agent's phone -> DtmfSent on the agent's call
    agent.sendDigit(5, agent.switchboardMedia!);
    await waitFor('DtmfSent', () => rig.h.events.some((e) => e.kind === 'call' && e.notificationType === 'DtmfSent'));
    const dtmf = rig.h.events.find((e) => e.kind === 'call' && e.notificationType === 'DtmfSent');
    assert.equal(dtmf?.kind === 'call' ? dtmf.digits : undefined, '5');

    assert.ok(answered.dialog);
    await customer.hangUp(answered.dialog!);
    await waitFor('the call is released', () => rig.h.sw.callsOf('5001').length === 0);
    assert.ok(rig.h.take().includes('5001 call #1 StatusChange Released Inbound [+15551234]'));
    await waitFor('the nailed leg goes back to idle (re-INVITE)', () => agent.count('INVITE') >= 3);
    assert.equal(agent.dialogs.length, 1, 'the nailed leg stays up between calls');

    rig.h.ok(rig.h.sw.logout('5001'));
    await waitFor('logout BYEs the nailed leg', () => agent.count('BYE') === 1 && agent.dialogs.length === 0);
  } finally {
    await rig.close(agent, customer);
  }
});

test('nailed-up agent: GWS Hangup BYEs the customer; the phone hanging up its nailed leg ends the current call, the next call re-INVITEs', async () => {
  const rig = await Rig.start(TRUNK);
  const agent = await rig.phone('5001');
  const customer = await rig.phone('cust', { user: '+15551234' });
  try {
    assert.equal(await agent.register(), 200);
    rig.h.loginReady('5001');
    await waitFor('the nailed leg is up', () => agent.dialogs.length === 1);

    const first = customer.call('5001', { credentials: false });
    await waitFor('ringing', () => rig.h.sw.callsOf('5001').length === 1);
    const callUuid = rig.h.callOf('5001');
    rig.h.op('5001', callUuid, { name: 'Answer' });
    assert.equal((await first).response.status, 200);
    rig.h.op('5001', callUuid, { name: 'Hangup' });
    await waitFor('the customer gets BYE', () => customer.count('BYE') === 1);

    const second = customer.call('5001', { credentials: false });
    await waitFor('ringing again', () => rig.h.sw.callsOf('5001').length === 1);
    const secondUuid = rig.h.callOf('5001');
    rig.h.op('5001', secondUuid, { name: 'Answer' });
    assert.equal((await second).response.status, 200);
    await waitFor('nailed leg in the second call', () => agent.count('INVITE') >= 4);
    rig.h.take();
    await agent.hangUp(agent.dialogs.pop()!);
    await waitFor('the agent hanging up the nailed leg releases the call', () => rig.h.sw.callsOf('5001').length === 0);
    await waitFor('the customer gets BYE', () => customer.count('BYE') === 2);

    const third = customer.call('5001', { credentials: false });
    await waitFor('a third call rings', () => rig.h.sw.callsOf('5001').length === 1);
    await waitFor('and re-INVITEs the phone (a new nailed leg)', () => agent.dialogs.length === 1);
    const thirdUuid = rig.h.callOf('5001');
    rig.h.op('5001', thirdUuid, { name: 'Answer' });
    assert.equal((await third).response.status, 200);
  } finally {
    await rig.close(agent, customer);
  }
});

test('trunk: CANCEL before answer abandons the call (487); an INVITE from a non-trunk, non-DN source is 403; an unknown number from the trunk 404', async () => {
  const rig = await Rig.start(TRUNK);
  const agent = await rig.phone('5001');
  const customer = await rig.phone('cust', { user: '+15551234' });
  try {
    assert.equal(await agent.register(), 200);
    rig.h.loginReady('5001');
    const calling = customer.call('7000', { credentials: false });
    await waitFor('ringing', () => rig.h.sw.callsOf('5001').length === 1);
    await waitFor('180', () => customer.log.includes('provisional 180'));
    const pending = customer.server.pendingInviteCallIds;
    assert.equal(pending.length, 1);
    customer.server.cancel(pending[0]!);
    assert.equal((await calling).response.status, 487);
    await waitFor('abandoned: released in GWS', () => rig.h.sw.callsOf('5001').length === 0);
    assert.ok(rig.h.take().some((line) => line.includes('Released')));

    const unknown = await customer.call('4242', { credentials: false });
    assert.equal(unknown.response.status, 404);
  } finally {
    await rig.close(agent, customer);
  }
  const closedRig = await Rig.start(); // no trunk configured
  const stranger = await closedRig.phone('cust', { user: '+15551234' });
  try {
    const refused = await stranger.call('7000', { credentials: false });
    assert.equal(refused.response.status, 403);
    assert.equal(closedRig.h.sw.callsOf('5001').length, 0);
  } finally {
    await closedRig.close(stranger);
  }
});

test('INVITE flood: beyond the per-source rate 503 with Retry-After', async () => {
  const rig = await Rig.start({ ...TRUNK, invitesPerSecondPerSource: 3 });
  const customer = await rig.phone('cust', { user: '+15551234' });
  try {
    const statuses = await Promise.all([1, 2, 3, 4, 5, 6].map(() => customer.call('4242', { credentials: false }).then((r) => r.response.status)));
    assert.equal(statuses.filter((s) => s === 503).length, 3, `statuses ${statuses.join(',')}`);
    assert.equal(statuses.filter((s) => s === 404).length, 3);
  } finally {
    await rig.close(customer);
  }
});

test('nailed-up phone that only has PCMA: the leg is reopened in A-law (re-INVITE) and RTP reaches the phone, idle and in a call', async () => {
  const rig = await Rig.start(TRUNK);
  const supervisor = await rig.phone('5101', { codecs: [8] });
  try {
    assert.equal(await supervisor.register(), 200);
    rig.h.ok(rig.h.sw.login('5101', { userId: 'u5101', isAgent: false }));
    await waitFor('the nailed leg is up', () => supervisor.dialogs.length === 1);
    await waitFor('re-INVITEd with PCMA only', () => supervisor.count('INVITE') >= 2);
    await waitFor('RTP reaches the PCMA phone while idle', () => supervisor.rtpPackets > 10);
  } finally {
    await rig.close(supervisor);
  }
});
