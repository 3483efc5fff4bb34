/**
 * B2BUA: a received INVITE that waits (a customer queued at a routing point with no agent Ready)
 * gets its 180 again every minute, as RFC 3261 13.3.1.1 asks of a UAS, so that no proxy on the
 * way cancels it after three minutes without a provisional (Timer C). Once the INVITE is answered,
 * the refresh stops. The switch runs on a virtual clock, so a minute is one `advance`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rig, waitFor } from './b2bua-rig.js';
import { RINGING_REFRESH_MS } from '../../src/endpoints/sip/b2bua.js';

test('a queued trunk INVITE gets a 180 every minute until it is answered, and none after', async () => {
  const rig = await Rig.start({ sip: { trunks: [{ name: 'loopback', host: '127.0.0.1' }] } });
  const agent = await rig.phone('5001');
  const customer = await rig.phone('cust', { user: '+15551234' });
  try {
    assert.equal(await agent.register(), 200);
    const ringing = () => customer.log.filter((line) => line === 'provisional 180').length;
    const calling = customer.call('7000', { credentials: false });
    await waitFor('the first 180', () => ringing() === 1);
    assert.equal(RINGING_REFRESH_MS, 60_000, 'a minute, as RFC 3261 13.3.1.1 says');

    rig.h.clock.advance(RINGING_REFRESH_MS - 1);
    rig.h.clock.advance(1);
    await waitFor('a second 180 after a minute in the queue', () => ringing() === 2);
    rig.h.clock.advance(RINGING_REFRESH_MS);
    await waitFor('a third 180 after two minutes', () => ringing() === 3);

    rig.h.loginReady('5001');
    await waitFor('the call is routed to 5001', () => rig.h.sw.callsOf('5001').length === 1);
    rig.h.op('5001', rig.h.callOf('5001'), { name: 'Answer' });
    const answered = await calling;
    assert.equal(answered.response.status, 200);

    rig.h.clock.advance(3 * RINGING_REFRESH_MS);
    await customer.hangUp(answered.dialog!);
    await waitFor('the call is released', () => rig.h.sw.callsOf('5001').length === 0);
    // loginReady advanced the clock 1 s, which is below a minute: the three 180s are all there were
    assert.equal(ringing(), 3, 'no 180 once the INVITE is answered');
  } finally {
    await rig.close(agent, customer);
  }
});
