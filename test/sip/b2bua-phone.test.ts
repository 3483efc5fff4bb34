/**
 * B2BUA: what the phone does itself (sip.md 3, both modes), with fake SIP phones over loopback UDP:
 * dialling from the phone is digest-challenged as the DN and becomes a GWS Dial (answered with 200 when
 * the destination answers); re-INVITE sendonly/inactive is Hold and sendrecv again Retrieve; BYE is
 * Hangup; REFER is a blind transfer (202, then the destination rings); a wrong password gets 403 and
 * no call; a call to an unknown number from the phone is refused with the GWS error's SIP status; an
 * offer we cannot send RTP to is 488 and no call; an INVITE whose RTP leg cannot be opened is 503.
 * And what a hostile or broken peer must not do: a trunk's customer cannot REFER (403), a blocked
 * address can still hang up its calls, and an INVITE reusing a live Call-ID is 400.
 */
import dgram from 'node:dgram';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakePhone, Rig, sdpOf, waitFor, withTrunkCustomer } from './b2bua-rig.js';
import { withTimeout } from '../helpers/wait.js';
import { getHeader } from '../../src/sip/message.js';

test('phone dials 5002: challenged as 5001, a GWS Dial; hold, retrieve, hang up from the phone', async () => {
  const rig = await Rig.start();
  const agent = await rig.phone('5001');
  try {
    assert.equal(await agent.register(), 200);
    rig.h.loginReady('5001', '5002');
    rig.h.take();
    const calling = agent.call('5002');
    await waitFor('5002 rings in GWS', () => rig.h.sw.callsOf('5002').length === 1);
    const callUuid = rig.h.callOf('5002');
    assert.deepEqual(rig.h.take(), ['5001 call #1 StatusChange Dialing Internal [5002]', '5002 call #1 StatusChange Ringing Internal [5001]']);
    rig.h.op('5002', callUuid, { name: 'Answer' });
    const answered = await calling;
    assert.equal(answered.response.status, 200, 'the phone is answered when 5002 answers');
    const dialog = answered.dialog!;
    rig.h.take();

    assert.equal((await agent.hold(dialog, 'sendonly')).status, 200);
    await waitFor('Held', () => rig.h.take().includes('5001 call #1 StatusChange Held Internal [5002]'));
    const resumed = await agent.hold(dialog, 'sendrecv');
    assert.equal(resumed.status, 200);
    assert.match(resumed.body.toString(), /a=sendrecv/);
    await waitFor('Retrieved', () => rig.h.take().includes('5001 call #1 StatusChange Established Internal [5002]'));
    assert.equal((await agent.hold(dialog, 'inactive')).status, 200);
    await waitFor('Held again (inactive)', () => rig.h.take().includes('5001 call #1 StatusChange Held Internal [5002]'));
    await agent.hold(dialog, 'sendrecv');
    await waitFor('Retrieved again', () => rig.h.take().length > 0);

    assert.equal((await agent.hangUp(dialog)).status, 200);
    await waitFor('released', () => rig.h.sw.callsOf('5001').length === 0 && rig.h.sw.callsOf('5002').length === 0);
  } finally {
    await rig.close(agent);
  }
});

test('REFER from the phone is a blind transfer; a wrong password is 403 and no call; a refused Dial is answered with its SIP status', async () => {
  const rig = await Rig.start({ sip: { trunks: [{ name: 'loopback', host: '127.0.0.1' }] } });
  const agent = await rig.phone('5001');
  const customer = await rig.phone('cust', { user: '+15551234' });
  try {
    assert.equal(await agent.register(), 200);
    rig.h.loginReady('5001', '5002');
    const calling = customer.call('5001', { credentials: false });
    await waitFor('ringing', () => rig.h.sw.callsOf('5001').length === 1);
    const callUuid = rig.h.callOf('5001');
    rig.h.op('5001', callUuid, { name: 'Answer' });
    assert.equal((await calling).response.status, 200);
    await waitFor('the nailed leg joined the call', () => agent.count('INVITE') >= 2);
    const referred = await agent.refer(agent.dialogs[0]!, '<sip:5002@127.0.0.1>');
    assert.equal(referred.status, 202);
    await waitFor('5002 rings with the customer (blind transfer)', () => rig.h.sw.callsOf('5002').length === 1);
    await waitFor('5001 is out of the call', () => rig.h.sw.callsOf('5001').length === 0);
    await waitFor('the phone hears how the REFER went (NOTIFY sipfrag)', () => agent.log.includes('NOTIFY'));

    const badPhone = await rig.phone('5003');
    try {
      assert.equal(await badPhone.register('wrong'), 403);
      const refused = await agent.server.request({
        method: 'INVITE',
        uri: `sip:5002@127.0.0.1:${rig.server.port}`,
        from: '<sip:5001@127.0.0.1>',
        credentials: { username: '5001', password: 'wrong' },
      });
      assert.equal(refused.response.status, 403);
    } finally {
      await badPhone.close();
    }
    const own = await agent.call('5001');
    assert.equal(own.response.status, 484, 'dialling its own number is an invalid value (GWS 10)');
  } finally {
    await rig.close(agent, customer);
  }
});

test('an offer our IPv4 RTP cannot reach is 488 and makes no call: an IPv6 address from a phone, port 99999 from a trunk; a body that is not SDP is 415', async () => {
  await withTrunkCustomer(async ({ rig, agent, customer }) => {
    const ipv6 = sdpOf(agent.rtpPort).toString().replace('c=IN IP4 127.0.0.1', 'c=IN IP6 ::1');
    assert.equal((await withTimeout(agent.call('5002', { sdp: Buffer.from(ipv6) }), 5000, 'the final answer to the IPv6 offer')).response.status, 488, 'phone: IPv6');
    const badPort = sdpOf(customer.rtpPort).toString().replace(/m=audio \d+/, 'm=audio 99999');
    const trunkCall = customer.call('5001', { credentials: false, sdp: Buffer.from(badPort) });
    assert.equal((await withTimeout(trunkCall, 5000, 'the final answer to the port-99999 offer')).response.status, 488, 'trunk: port 99999');
    const asText = await customer.server.request({
      method: 'INVITE',
      uri: `sip:5001@127.0.0.1:${rig.server.port}`,
      from: '<sip:+15551234@127.0.0.1>',
      headers: [{ name: 'Content-Type', value: 'text/plain' }],
      body: sdpOf(customer.rtpPort),
    });
    assert.equal(asText.response.status, 415, 'SDP sent as text/plain (RFC 3261 21.4.13)');
    assert.equal(getHeader(asText.response, 'Accept'), 'application/sdp');
    assert.deepEqual(rig.h.take(), [], 'the call model heard of no call');
    assert.equal(rig.h.sw.callsOf('5001').length + rig.h.sw.callsOf('5002').length, 0);
  });
});

test('a received INVITE whose RTP leg cannot be opened is answered 503 and its GWS call ends', async () => {
  await withTrunkCustomer(async ({ rig, customer }) => {
    rig.refuseLegsOf('+15551234');
    assert.equal((await rig.answeredCall(customer)).response.status, 503);
    await waitFor('the GWS call ended', () => rig.h.sw.callsOf('5001').length === 0);
  });
});

test("a REFER from a trunk's customer is 403 and dials nothing (only phones transfer); a phone's REFER to a 65-digit number is 400", async () => {
  const trunkSide = await FakePhone.start('carrier', 0);
  const rig = await Rig.start({ sip: { trunks: [{ name: 'carrier', host: '127.0.0.1', port: trunkSide.sipPort }] } });
  const agent = await rig.phone('5001');
  const customer = await rig.phone('cust', { user: '+15551234' });
  try {
    assert.equal(await agent.register(), 200);
    rig.h.loginReady('5001');
    const answered = await rig.answeredCall(customer);
    const callUuid = rig.h.callOf('5001');
    assert.equal((await customer.refer(answered.dialog!, '<sip:+19005550199@127.0.0.1>')).status, 403);
    assert.equal((await agent.refer(agent.dialogs[0]!, `<sip:${'1'.repeat(65)}@127.0.0.1>`)).status, 400);
    assert.equal(trunkSide.count('INVITE'), 0, 'nothing went out through the trunk');
    assert.deepEqual(rig.h.sw.callsOf('5001'), [callUuid], 'the call is as it was');
  } finally {
    await rig.close(agent, customer, trunkSide);
  }
});

test('an address blocked after failed logins can still hang up the calls it has: its BYE is answered 200 and the GWS call ends', async () => {
  await withTrunkCustomer(async ({ rig, agent, customer }) => {
    const answered = await rig.answeredCall(customer);
    const guesser = await rig.phone('5003');
    try {
      for (let attempt = 0; attempt < 5; attempt++) assert.equal(await guesser.register('wrong'), 403);
    } finally {
      await guesser.close();
    }
    assert.equal(await agent.register(), 403, '127.0.0.1 is blocked: a new REGISTER is refused');
    assert.equal((await customer.hangUp(answered.dialog!)).status, 200, 'the BYE of a live call passes');
    await waitFor('the GWS call ended', () => rig.h.sw.callsOf('5001').length === 0);
  });
});

test("a new INVITE that reuses a live call's Call-ID is 400, and the live call can still be hung up", async () => {
  const raw = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => raw.bind(0, '127.0.0.1', () => resolve()));
  await withTrunkCustomer(async ({ rig, customer }) => {
    const answered = await rig.answeredCall(customer);
    const port = raw.address().port;
    const reply = new Promise<string>((resolve) => raw.on('message', (data) => /^SIP\/2\.0 [2-6]/.test(data.toString()) && resolve(data.toString())));
    const invite = [
      `INVITE sip:5002@127.0.0.1:${rig.server.port} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bKreuse1`,
      'Max-Forwards: 70',
      'From: <sip:+15559999@127.0.0.1>;tag=other',
      'To: <sip:5002@127.0.0.1>',
      `Call-ID: ${answered.dialog!.callId}`,
      'CSeq: 1 INVITE',
      `Contact: <sip:+15559999@127.0.0.1:${port}>`,
      'Content-Type: application/sdp',
    ];
    const body = sdpOf(port).toString();
    raw.send(`${invite.join('\r\n')}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, rig.server.port, '127.0.0.1');
    assert.match(await withTimeout(reply, 5000, 'the answer to the reused Call-ID'), /^SIP\/2\.0 400 Bad Request \(Call-ID already in use/);
    assert.equal(rig.h.sw.callsOf('5002').length, 0, 'nothing rang');
    assert.equal((await customer.hangUp(answered.dialog!)).status, 200);
    await waitFor('the first call ended', () => rig.h.sw.callsOf('5001').length === 0);
  }).finally(() => raw.close());
});
