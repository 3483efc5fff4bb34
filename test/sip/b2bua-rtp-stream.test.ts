/**
 * One RTP stream per dialogue (regression test of the PCMA supervisor that heard nothing; cause and
 * fix in docs/telephony.md, "One RTP stream per dialogue"): a phone that answers its nailed-up leg in PCMA gets the leg renewed in
 * A-law on a new port (re-INVITE). When the first leg had already sent it a packet, the renewed leg
 * used to start a new stream (another SSRC, a random sequence number), and baresip 1.0 then dropped
 * every packet as late whenever that number was behind the first stream's. Here a fake phone (real SIP
 * and RTP over loopback) plays RTP towards the first leg until that leg has answered with a packet,
 * only then picks up in PCMA, and checks that everything it receives, from both legs, is one stream:
 * one SSRC and sequence numbers that only go forward. Before the fix the SSRC changed every time.
 * A second check does the same across a move: the nailed leg joining a call (another mixer call,
 * another port, a re-INVITE) still continues the stream.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rig, waitFor } from './b2bua-rig.js';
import type { FakePhone } from './b2bua-rig.js';
import { parseRtp, sequenceDistance, serializeRtp } from '../../src/media/rtp.js';

const TRUNK = { sip: { trunks: [{ name: 'loopback', host: '127.0.0.1' }] } };
const PCMA = 8;

interface Received {
  ssrc: number;
  sequenceNumber: number;
  sourcePort: number;
}

/** Everything RTP the phone receives, in arrival order. */
function recordRtp(phone: FakePhone): Received[] {
  const received: Received[] = [];
  phone.rtp.on('message', (message, source) => {
    const parsed = parseRtp(message);
    if (parsed.ok) received.push({ ssrc: parsed.packet.ssrc, sequenceNumber: parsed.packet.sequenceNumber, sourcePort: source.port });
  });
  return received;
}

/** The phone's own microphone: a PCMA packet every 20 ms to the newest media port Switchboard gave it. */
function speak(phone: FakePhone): () => void {
  let sequenceNumber = 1;
  const timer = setInterval(() => {
    const to = phone.switchboardMedia;
    if (!to) return;
    const packet = serializeRtp({ marker: false, payloadType: PCMA, sequenceNumber, timestamp: sequenceNumber * 160, ssrc: 0x5101 }, new Uint8Array(160).fill(0xd5));
    sequenceNumber++;
    phone.rtp.send(packet, to.port, to.address);
  }, 20);
  return () => clearInterval(timer);
}

/** One SSRC, and every packet further along than the one before (a gap is fine: it reads as loss). */
function assertOneStream(received: readonly Received[], what: string): void {
  const describe = () => received.map((r) => `${r.sourcePort}:${r.ssrc.toString(16)}#${r.sequenceNumber}`).join(' ');
  assert.deepEqual([...new Set(received.map((r) => r.ssrc))].length, 1, `${what}: one SSRC expected: ${describe()}`);
  const backwards = received.slice(1).filter((r, index) => sequenceDistance(received[index].sequenceNumber, r.sequenceNumber) <= 0);
  assert.deepEqual(backwards, [], `${what}: sequence numbers must only go forward: ${describe()}`);
}

test('a PCMA phone whose first leg already sent it RTP gets one stream across the renewal in A-law and a move into a call', async () => {
  const rig = await Rig.start(TRUNK);
  const agent = await rig.phone('5001', { codecs: [PCMA], autoAnswer: false });
  const customer = await rig.phone('cust', { user: '+15551234' });
  const received = recordRtp(agent);
  const silence = speak(agent);
  try {
    assert.equal(await agent.register(), 200);
    rig.h.loginReady('5001');
    await waitFor('the nailed INVITE rings the phone', () => agent.ringing.length === 1);
    const firstPort = agent.switchboardMedia?.port;
    await waitFor('the first leg sent the phone a packet (it latched to the phone)', () => received.some((r) => r.sourcePort === firstPort));
    agent.pickUp(agent.ringing.shift()!);
    await waitFor('re-INVITEd with the A-law leg', () => agent.count('INVITE') >= 2 && agent.switchboardMedia?.port !== firstPort);
    const renewedPort = agent.switchboardMedia!.port;
    await waitFor('RTP from the renewed leg', () => received.filter((r) => r.sourcePort === renewedPort).length >= 10);
    assertOneStream(received, 'across the renewal');

    // a move: a customer call answered by 5001 takes its nailed leg into the call's mixer call
    const calling = customer.call('7000', { credentials: false });
    await waitFor('the call rings 5001 in GWS', () => rig.h.sw.callsOf('5001').length === 1);
    rig.h.op('5001', rig.h.callOf('5001'), { name: 'Answer' });
    assert.equal((await calling).response.status, 200);
    await waitFor('re-INVITEd into the call', () => agent.count('INVITE') >= 3 && agent.switchboardMedia?.port !== renewedPort);
    const callPort = agent.switchboardMedia!.port;
    await waitFor('RTP from the leg in the call', () => received.filter((r) => r.sourcePort === callPort).length >= 10);
    // while the move is under way both legs send for a moment: the old one's last packets may arrive
    // after the new one's first; only the new leg's packets must continue the stream past the old ones
    const before = received.filter((r) => r.sourcePort !== callPort);
    const after = received.filter((r) => r.sourcePort === callPort);
    assertOneStream([...before, ...after], 'across the move');
  } finally {
    silence();
    await rig.close(agent, customer);
  }
});
