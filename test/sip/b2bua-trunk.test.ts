/**
 * B2BUA: outbound calls through a trunk (sip.md 4) and a phone that vanishes mid-call (issue 8 point 7),
 * with fake SIP phones over loopback UDP. A Dial to an external number goes to the first trunk with a
 * port as INVITE sip:<prefix><number>@host:port, its 180/200 are Ringing/Established and GWS Hangup BYEs
 * it; a busy trunk (486) fails the Dial, and so does a Dial whose RTP leg cannot be opened. A phone that stops answering the in-dialog OPTIONS keepalive is
 * treated as hung up: GWS sees a clean Released. An inbound INVITE to tel:<number> is routed as one to
 * sip:<number>@host, and one to sip:<number>@host;user=phone with the number's visual separators taken out.
 * The caller GWS shows is the number the From names (tel:, user=phone), `anonymous` without one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rig, waitFor, withTrunkCustomer } from './b2bua-rig.js';
import { FakePhone } from './b2bua-rig.js';

test('outbound: Dial to an external number INVITEs the trunk (prefix), 200 is Established, Hangup BYEs it; 486 fails the Dial', async () => {
  const trunkSide = await FakePhone.start('trunk', 0);
  const busyTrunk = await FakePhone.start('busy', 0, { refuseWith: 486 });
  const rig = await Rig.start({ sip: { trunks: [{ name: 'out', host: '127.0.0.1', port: trunkSide.sipPort, outboundPrefix: '9' }] } });
  const agent = await rig.phone('5001');
  try {
    assert.equal(await agent.register(), 200);
    rig.h.loginReady('5001');
    rig.h.take();
    const { callUuid } = rig.h.ok(rig.h.sw.dial('5001', { phoneNumber: '+442071234567' }));
    await waitFor('the trunk answers -> Established', () => rig.h.take().includes('5001 call #1 StatusChange Established Outbound [+442071234567]'));
    assert.equal(trunkSide.dialogs.length, 1);
    assert.equal(trunkSide.lastInviteUri, `sip:9+442071234567@127.0.0.1:${trunkSide.sipPort}`);
    rig.h.op('5001', callUuid, { name: 'Hangup' });
    await waitFor('BYE to the trunk', () => trunkSide.count('BYE') === 1);
  } finally {
    await rig.close(agent);
  }
  const busyRig = await Rig.start({ sip: { trunks: [{ name: 'out', host: '127.0.0.1', port: busyTrunk.sipPort }] } });
  const second = await busyRig.phone('5001');
  try {
    assert.equal(await second.register(), 200);
    busyRig.h.loginReady('5001');
    busyRig.h.take();
    busyRig.h.ok(busyRig.h.sw.dial('5001', { phoneNumber: '+442071234567' }));
    await waitFor('the Dial fails', () => busyRig.h.sw.callsOf('5001').length === 0);
    assert.ok(busyRig.h.take().some((line) => line.includes('Released')));
  } finally {
    await busyRig.close(second, trunkSide, busyTrunk);
  }
});

test('a phone that vanishes mid-call (no answer to the keepalive) is hung up: GWS sees Released', async () => {
  const rig = await Rig.start({ keepaliveMs: 200, sip: { trunks: [{ name: 'loopback', host: '127.0.0.1' }] } });
  const agent = await rig.phone('5001');
  const customer = await rig.phone('cust', { user: '+15551234' });
  try {
    assert.equal(await agent.register(), 200);
    rig.h.loginReady('5001');
    await waitFor('the nailed leg is up', () => agent.dialogs.length === 1);
    const calling = customer.call('5001', { credentials: false });
    await waitFor('ringing', () => rig.h.sw.callsOf('5001').length === 1);
    rig.h.op('5001', rig.h.callOf('5001'), { name: 'Answer' });
    assert.equal((await calling).response.status, 200);
    rig.h.take();
    await agent.close(); // gone without a BYE
    await waitFor('released after the keepalive fails', () => rig.h.sw.callsOf('5001').length === 0, 10000);
    assert.ok(rig.h.take().includes('5001 call #1 StatusChange Released Inbound [+15551234]'));
    await waitFor('the customer gets BYE', () => customer.count('BYE') === 1);
  } finally {
    await rig.close(customer);
  }
});

test('outbound: when no RTP leg can be opened for the trunk, the Dial fails at once and nothing is sent to the trunk', async () => {
  const trunkSide = await FakePhone.start('trunk', 0);
  const rig = await Rig.start({ sip: { trunks: [{ name: 'out', host: '127.0.0.1', port: trunkSide.sipPort }] } });
  const agent = await rig.phone('5001');
  rig.refuseLegsOf('+442071234567');
  try {
    assert.equal(await agent.register(), 200);
    rig.h.loginReady('5001');
    rig.h.take();
    rig.h.ok(rig.h.sw.dial('5001', { phoneNumber: '+442071234567' }));
    await waitFor('the Dial fails', () => rig.h.sw.callsOf('5001').length === 0);
    assert.ok(rig.h.take().some((line) => line.includes('Released')));
    assert.equal(trunkSide.count('INVITE'), 0, 'no INVITE without a media leg to offer');
  } finally {
    await rig.close(agent, trunkSide);
  }
});

test('inbound: an INVITE whose Request-URI is tel:<number> reaches that number as sip:<number>@host does', async () => {
  await withTrunkCustomer(async ({ rig, customer }) => {
    const answered = await rig.answeredCall(customer, '5001', { telUri: true });
    assert.equal(answered.response.status, 200);
    await waitFor('audio reaches the customer', () => customer.rtpPackets > 5);
  });
});

test('inbound: an INVITE to sip:5-001@host;user=phone reaches 5001 (the visual separators of a telephone-subscriber are taken out)', async () => {
  await withTrunkCustomer(async ({ rig, customer }) => {
    const requestUri = `sip:5-001@127.0.0.1:${rig.server.port};user=phone`;
    const answered = await rig.answeredCall(customer, '5001', { requestUri });
    assert.equal(answered.response.status, 200);
  });
});

test('inbound: the caller GWS shows is the number the From names (tel:, sip: with user=phone); a From without one is anonymous', async () => {
  for (const [from, caller] of [
    ['tel:+1-555-0100', '+15550100'],
    ['sip:+1-555-0100@127.0.0.1;user=phone', '+15550100'],
    ['sip:127.0.0.1', 'anonymous'],
    // one of our own DNs as a trunk's caller id: anonymous, so that the agent's leg stays its own
    ['tel:5001', 'anonymous'],
    ['sip:5-001@127.0.0.1;user=phone', 'anonymous'],
    ['tel:7000', 'anonymous'],
  ] as const) {
    await withTrunkCustomer(async ({ rig, customer }) => {
      const answered = await rig.answeredCall(customer, '5001', { from });
      assert.equal(answered.response.status, 200, from);
      assert.ok(rig.h.take().includes(`5001 call #1 StatusChange Ringing Inbound [${caller}]`), from);
    });
  }
});
