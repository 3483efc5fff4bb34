/**
 * B2BUA: a call that comes in from outside and goes back out through a trunk passes on its
 * Max-Forwards less one, so a loop through two B2BUAs (a carrier sending the call back, two PBXs
 * forwarding to each other) ends; with none left the outgoing leg fails as on a 483 and nothing is
 * sent to the trunk. Real SIP over loopback UDP: a customer behind the trunk calls 5001, which
 * forwards to an external number on the same trunk (fake SIP peers, b2bua-rig.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getHeader } from '../../src/sip/message.js';
import { FakePhone, Rig, waitFor } from './b2bua-rig.js';

const EXTERNAL = '+442071234567';

test('a forwarded call out of the trunk carries the Max-Forwards it came with, less one; at 0 the leg fails and nothing goes out', async () => {
  const carrier = await FakePhone.start('carrier', 0);
  const rig = await Rig.start({ sip: { trunks: [{ name: 'carrier', host: '127.0.0.1', port: carrier.sipPort }] } });
  const customer = await rig.phone('cust', { user: '+15551234' });
  try {
    rig.h.ok(rig.h.sw.setForward('5001', EXTERNAL));
    const first = await customer.call('5001', { credentials: false, maxForwards: 5 });
    assert.equal(first.response.status, 200, 'the carrier answered the forwarded leg');
    assert.equal(carrier.count('INVITE'), 1);
    assert.equal(carrier.lastInviteUri, `sip:${EXTERNAL}@127.0.0.1:${carrier.sipPort}`);
    assert.equal(getHeader({ kind: 'request', method: 'INVITE', uri: '', headers: carrier.lastInviteHeaders, body: Buffer.alloc(0) }, 'Max-Forwards'), '4');
    await customer.hangUp(first.dialog!);
    await waitFor('the first call ended', () => rig.h.sw.callsOf(EXTERNAL).length === 0 && carrier.count('BYE') === 1);

    const looped = await customer.call('5001', { credentials: false, maxForwards: 0 });
    assert.ok(looped.response.status >= 400, `the looped call is refused (${looped.response.status})`);
    assert.equal(carrier.count('INVITE'), 1, 'nothing more was sent to the trunk');
    await waitFor('no call is left', () => rig.h.sw.callsOf(EXTERNAL).length === 0 && rig.h.sw.callsOf('5001').length === 0);
    assert.ok(rig.logs.some((line) => line.includes('Max-Forwards 0')), 'the loop is logged');
  } finally {
    await rig.close(customer, carrier);
  }
});
