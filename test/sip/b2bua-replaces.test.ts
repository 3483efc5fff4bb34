/**
 * Attended transfer from a phone and INVITE with Replaces (RFC 3891, RFC 5589), with fake SIP phones
 * over loopback UDP: an agent phone holds its customer call, dials 5002 itself (a consultation of
 * the held call in GWS) and sends REFER with Refer-To ...?Replaces=<the consultation's dialog>; GWS
 * sees exactly what a GWS CompleteTransfer produces (the same event lines), and the phone gets the
 * outcome as a 200 sipfrag. An INVITE with Replaces from the dialog's own phone takes the dialog
 * over (old one BYEd, nothing in GWS), and so does the trunk side of a customer's dialog; an unknown
 * dialog is 481, another DN's phone 403.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Dialog } from '../../src/sip/dialog.js';
import { FakePhone, Rig, sdpOf, waitFor, PASSWORD } from './b2bua-rig.js';
import fc from 'fast-check';
import { parseReferTo, parseReplaces, replacesDialog } from '../../src/endpoints/sip/replaces.js';

const TRUNK = { sip: { trunks: [{ name: 'loopback', host: '127.0.0.1' }] } };

/** Customer on 7000 answered by 5001 (nailed-up), held from the phone, then 5001's phone dials 5002 and 5002 answers. */
async function consultation(rig: Rig, agent: FakePhone, customer: FakePhone) {
  assert.equal(await agent.register(), 200);
  rig.h.loginReady('5001', '5002');
  await waitFor('the nailed leg is up', () => agent.dialogs.length === 1);
  const calling = customer.call('7000', { credentials: false });
  await waitFor('the call rings 5001', () => rig.h.sw.callsOf('5001').length === 1);
  const original = rig.h.callOf('5001');
  rig.h.op('5001', original, { name: 'Answer' });
  assert.equal((await calling).response.status, 200);
  await waitFor('the nailed leg joined the call', () => agent.count('INVITE') >= 2);
  const nailed = agent.dialogs[0]!;
  assert.equal((await agent.hold(nailed)).status, 200);
  await waitFor('Held in GWS', () => rig.h.sw.callView(original, '5001')?.state === 'Held');
  const dialling = agent.call('5002');
  await waitFor('5002 rings', () => rig.h.sw.callsOf('5002').length === 1);
  const consult = rig.h.callOf('5002');
  assert.equal(rig.h.sw.callView(consult, '5001')?.callType, 'Consult', 'a phone dialling with one held call consults on it');
  rig.h.op('5002', consult, { name: 'Answer' });
  const consulted = await dialling;
  assert.equal(consulted.response.status, 200);
  assert.ok(rig.h.sw.callView(original, '5001')?.capabilities.includes('CompleteTransfer'));
  rig.h.take();
  return { original, consult, nailed, consultDialog: consulted.dialog! };
}

function replacesOf(dialog: Dialog): string {
  return `${dialog.callId};to-tag=${dialog.remoteTag};from-tag=${dialog.localTag}`;
}

test('attended transfer from the phone (REFER with Replaces) is seen in GWS exactly as CompleteTransfer', async () => {
  const lines: string[][] = [];
  for (const how of ['gws', 'phone'] as const) {
    const rig = await Rig.start(TRUNK);
    const agent = await rig.phone('5001');
    const customer = await rig.phone('cust', { user: '+15551234' });
    try {
      const { original, nailed, consultDialog } = await consultation(rig, agent, customer);
      if (how === 'gws') rig.h.op('5001', original, { name: 'CompleteTransfer' });
      else {
        const referTo = `<sip:5002@127.0.0.1?Replaces=${encodeURIComponent(replacesOf(consultDialog))}>`;
        assert.equal((await agent.refer(nailed, referTo)).status, 202);
        await waitFor('the phone hears the outcome (NOTIFY sipfrag)', () => agent.log.includes('NOTIFY'));
      }
      await waitFor('5001 is out of both calls', () => rig.h.sw.callsOf('5001').length === 0);
      assert.deepEqual(rig.h.sw.callsOf('5002'), [original], '5002 has the customer on the original call');
      assert.deepEqual(rig.h.sw.callView(original, '5002')?.participants, ['+15551234']);
      lines.push(rig.h.take());
    } finally {
      await rig.close(agent, customer);
    }
  }
  assert.ok(lines[0]!.length > 0);
  assert.deepEqual(lines[1], lines[0], 'the same GWS events either way');
});

test('REFER naming a dialog that is not ours: 202, then NOTIFY 481, and nothing changes in GWS', async () => {
  const rig = await Rig.start(TRUNK);
  const agent = await rig.phone('5001');
  const customer = await rig.phone('cust', { user: '+15551234' });
  let sipfrag = '';
  const phoneHandler = (agent.server as unknown as { options: { handler: { request: (t: any) => void } } }).options.handler;
  const original = phoneHandler.request;
  phoneHandler.request = (transaction) => {
    if (transaction.request.method === 'NOTIFY') sipfrag = transaction.request.body.toString();
    original(transaction);
  };
  try {
    const { nailed } = await consultation(rig, agent, customer);
    const referTo = `<sip:5002@127.0.0.1?Replaces=${encodeURIComponent('nobody@127.0.0.1;to-tag=a;from-tag=b')}>`;
    assert.equal((await agent.refer(nailed, referTo)).status, 202);
    await waitFor('NOTIFY', () => sipfrag !== '');
    assert.match(sipfrag, /^SIP\/2\.0 481/);
    assert.equal(rig.h.sw.callsOf('5001').length, 2);
    assert.deepEqual(rig.h.take(), []);
  } finally {
    await rig.close(agent, customer);
  }
});

test('INVITE with Replaces: the own phone takes its dialog over (old one BYEd, GWS unchanged, the new dialog carries the call); unknown 481; another DN 403', async () => {
  const rig = await Rig.start(TRUNK);
  const agent = await rig.phone('5001');
  const other = await rig.phone('5003');
  try {
    assert.equal(await agent.register(), 200);
    assert.equal(await other.register(), 200);
    rig.h.loginReady('5001', '5002');
    await waitFor('the nailed leg is up', () => agent.dialogs.length === 1);
    const dialling = agent.call('5002');
    await waitFor('5002 rings', () => rig.h.sw.callsOf('5002').length === 1);
    const callUuid = rig.h.callOf('5002');
    rig.h.op('5002', callUuid, { name: 'Answer' });
    const first = (await dialling).dialog!;
    rig.h.take();

    const invite = (phone: FakePhone, replaces: string, username = phone.dn) =>
      phone.server.request({
        method: 'INVITE',
        uri: `sip:5002@127.0.0.1:${rig.server.port}`,
        from: `<sip:${phone.dn}@127.0.0.1>`,
        headers: [
          { name: 'Content-Type', value: 'application/sdp' },
          { name: 'Replaces', value: replaces },
          { name: 'Require', value: 'replaces' },
        ],
        body: sdpOf(phone.rtpPort),
        credentials: { username, password: PASSWORD },
      });
    assert.equal((await invite(agent, 'unknown@127.0.0.1;to-tag=x;from-tag=y')).response.status, 481);
    assert.equal((await invite(other, replacesOf(first))).response.status, 403, "5003 cannot take 5001's dialog");
    const byesBefore = agent.count('BYE');
    const replaced = await invite(agent, replacesOf(first));
    assert.equal(replaced.response.status, 200);
    assert.match(replaced.response.body.toString(), /m=audio \d+ RTP\/AVP/);
    await waitFor('the replaced dialog gets BYE', () => agent.count('BYE') === byesBefore + 1);
    assert.deepEqual(rig.h.take(), [], 'GWS sees nothing');
    assert.equal(rig.h.sw.callView(callUuid, '5001')?.state, 'Established');
    assert.equal((await agent.hangUp(replaced.dialog!)).status, 200);
    await waitFor('BYE on the new dialog hangs the call up', () => rig.h.sw.callsOf('5001').length === 0);
  } finally {
    await rig.close(agent, other);
  }
});

test("INVITE with Replaces from the trunk: the customer's side takes its dialog over (GWS unchanged); an unknown dialog is 481 even where no trunk is configured", async () => {
  const rig = await Rig.start(TRUNK);
  const agent = await rig.phone('5001');
  const customer = await rig.phone('cust', { user: '+15551234' });
  try {
    assert.equal(await agent.register(), 200);
    rig.h.loginReady('5001');
    await waitFor('the nailed leg is up', () => agent.dialogs.length === 1);
    const calling = customer.call('7000', { credentials: false });
    await waitFor('the call rings 5001', () => rig.h.sw.callsOf('5001').length === 1);
    const callUuid = rig.h.callOf('5001');
    rig.h.op('5001', callUuid, { name: 'Answer' });
    const first = (await calling).dialog!;
    rig.h.take();
    const replacing = await customer.server.request({
      method: 'INVITE',
      uri: `sip:7000@127.0.0.1:${rig.server.port}`,
      from: '<sip:+15551234@127.0.0.1>',
      headers: [
        { name: 'Content-Type', value: 'application/sdp' },
        { name: 'Replaces', value: replacesOf(first) },
      ],
      body: sdpOf(customer.rtpPort),
    });
    assert.equal(replacing.response.status, 200);
    await waitFor('the replaced dialog gets BYE', () => customer.count('BYE') === 1);
    assert.deepEqual(rig.h.take(), [], 'GWS sees nothing');
    assert.equal((await customer.hangUp(replacing.dialog!)).status, 200);
    await waitFor('BYE on the new dialog releases the call', () => rig.h.sw.callsOf('5001').length === 0);
  } finally {
    await rig.close(agent, customer);
  }
  const closed = await Rig.start(); // no trunk: the same request from 127.0.0.1 is not from the party's trunk
  const stranger = await closed.phone('cust', { user: '+15551234' });
  try {
    const refused = await stranger.server.request({
      method: 'INVITE',
      uri: `sip:7000@127.0.0.1:${closed.server.port}`,
      from: '<sip:+15551234@127.0.0.1>',
      headers: [{ name: 'Replaces', value: 'x@127.0.0.1;to-tag=a;from-tag=b' }],
      body: sdpOf(stranger.rtpPort),
    });
    assert.equal(refused.response.status, 481, 'an unknown dialog is 481 before anything else is said about it');
  } finally {
    await closed.close(stranger);
  }
});

test('Replaces values: parsing, both tag orders, Refer-To parameter', () => {
  assert.deepEqual(parseReplaces('abc@h;to-tag=1;from-tag=2'), { callId: 'abc@h', toTag: '1', fromTag: '2', earlyOnly: false });
  assert.deepEqual(parseReplaces('abc@h; From-Tag=2 ;TO-TAG=1;early-only'), { callId: 'abc@h', toTag: '1', fromTag: '2', earlyOnly: true });
  assert.equal(parseReplaces('abc@h;to-tag=1'), undefined, 'both tags are mandatory');
  assert.equal(parseReplaces(';to-tag=1;from-tag=2'), undefined);
  const dialog = { callId: 'abc@h', localTag: 'ours', remoteTag: 'theirs' };
  assert.equal(replacesDialog(dialog, parseReplaces('abc@h;to-tag=ours;from-tag=theirs')!), true);
  assert.equal(replacesDialog(dialog, parseReplaces('abc@h;to-tag=theirs;from-tag=ours')!), true);
  assert.equal(replacesDialog(dialog, parseReplaces('abc@h;to-tag=ours;from-tag=ours')!), false);
  assert.equal(replacesDialog(dialog, parseReplaces('other@h;to-tag=ours;from-tag=theirs')!), false);
  assert.deepEqual(parseReferTo('<sip:5002@127.0.0.1?Replaces=abc%40h%3Bto-tag%3D1%3Bfrom-tag%3D2>'), {
    user: '5002',
    replaces: { callId: 'abc@h', toTag: '1', fromTag: '2', earlyOnly: false },
  });
  assert.deepEqual(parseReferTo('<sip:5002@127.0.0.1?Replaces=abc>'), { user: '5002', malformedReplaces: true });
  assert.equal(parseReferTo('<sip:5002@127.0.0.1?Replaces=%E0%A4%A>'), undefined);
  assert.deepEqual(parseReferTo('sip:5003@127.0.0.1'), { user: '5003' });
});

test('Replaces and Refer-To parsing never throw, and a parsed Replaces always has a Call-ID and both tags (fast-check, fixed seed)', () => {
  const pieces = fc.constantFrom('abc@h', ';', '=', 'to-tag', 'from-tag', 'early-only', '%', '%3B', '%3D', '?', '&', 'Replaces', '<', '>', 'sip:', '5002@127.0.0.1', ' ', '');
  const text = fc.oneof(fc.string(), fc.array(pieces, { maxLength: 16 }).map((parts) => parts.join('')));
  fc.assert(
    fc.property(text, (value) => {
      const replaces = parseReplaces(value);
      if (replaces) assert.ok(replaces.callId && replaces.toTag && replaces.fromTag);
      const referTo = parseReferTo(value);
      if (referTo?.replaces) assert.ok(referTo.replaces.callId && referTo.replaces.toTag && referTo.replaces.fromTag);
    }),
    { seed: Number(process.env.FC_SEED ?? 20261202), numRuns: Number(process.env.FC_RUNS ?? 2000) },
  );
});
