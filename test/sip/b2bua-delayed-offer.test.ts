/**
 * B2BUA: INVITEs without an offer (RFC 3261 13.2.1, the "delayed offer" some trunks and PBXs send),
 * with fake SIP phones over loopback UDP. The 200 then carries our offer (PCMU, PCMA and
 * telephone-event, as our own INVITEs offer) and the ACK the answer: audio flows to the address of
 * the answer; an answer in PCMA renews the leg in A-law with a re-INVITE; an ACK with no usable
 * answer hangs the call up (BYE, and GWS sees the leg go).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor, withTrunkCustomer } from './b2bua-rig.js';

test('a trunk INVITE without SDP: our 200 offers both laws and telephone-event, the ACK answers, audio flows there', async () => {
  await withTrunkCustomer(async ({ rig, customer }) => {
    const answered = await rig.answeredCall(customer, '5001', { delayedOffer: true });
    assert.equal(answered.response.status, 200);
    assert.match(customer.offerInOk, /m=audio [1-9]\d* RTP\/AVP 0 8 101\r\n/, 'our offer');
    assert.match(customer.offerInOk, /a=sendrecv/);
    await waitFor('audio reaches the address of the answer in the ACK', () => customer.rtpPackets > 5);
    assert.equal(rig.h.sw.callsOf('5001').length, 1, 'the call goes on');
  }, [0]);
});

test('a delayed offer answered in PCMA renews the leg in A-law (a re-INVITE with PCMA only)', async () => {
  await withTrunkCustomer(async ({ rig, customer }) => {
    assert.equal((await rig.answeredCall(customer, '5001', { delayedOffer: true })).response.status, 200);
    await waitFor('the re-INVITE in PCMA', () => customer.requests.some((r) => r.method === 'INVITE' && /RTP\/AVP 8 101\r\n/.test(r.body.toString())));
    await waitFor('audio reaches the customer', () => customer.rtpPackets > 5);
  }, [8]);
});

test('an ACK without an answer to our offer hangs the call up: BYE to the caller, the GWS call ends', async () => {
  await withTrunkCustomer(async ({ rig, customer }) => {
    assert.equal((await rig.answeredCall(customer, '5001', { delayedOffer: true, ackAnswer: Buffer.alloc(0) })).response.status, 200);
    await waitFor('BYE to the caller', () => customer.requests.some((r) => r.method === 'BYE'));
    await waitFor('the GWS call ended', () => rig.h.sw.callsOf('5001').length === 0);
  });
});
