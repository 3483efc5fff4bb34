/**
 * B2BUA: an offer with more than our one audio stream (a video line first, as video phones send)
 * is answered with the same m-lines in the same order, the audio one ours and the others declined
 * with port 0 (RFC 3264 6), in the 200 and in the answer to a later re-INVITE; audio flows on the
 * audio line. Fake SIP phones over loopback UDP, as in the other B2BUA tests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sdpOf, waitFor, withTrunkCustomer } from './b2bua-rig.js';

/** The phone's SDP with a video line before its audio line. */
const withVideoFirst = (port: number, direction = 'sendrecv'): Buffer =>
  Buffer.from(sdpOf(port, { codecs: [0], direction }).toString().replace('m=audio', `m=video ${port + 2} RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\nm=audio`));

const mediaLines = (sdp: Buffer | string): string[] => String(sdp).split('\r\n').filter((line) => line.startsWith('m='));

test('a trunk offer with video before audio: the 200 and a re-INVITE answer decline the video line and answer the audio one', async () => {
  await withTrunkCustomer(async ({ rig, customer }) => {
    const answered = await rig.answeredCall(customer, '5001', { sdp: withVideoFirst(customer.rtpPort) });
    assert.equal(answered.response.status, 200);
    const lines = mediaLines(answered.response.body);
    assert.equal(lines.length, 2, 'two m-lines, as offered');
    assert.equal(lines[0], 'm=video 0 RTP/AVP 96', 'the video line declined');
    assert.match(lines[1], /^m=audio [1-9]\d* RTP\/AVP 0 101$/, 'the audio line answered');
    await waitFor('audio reaches the customer', () => customer.rtpPackets > 5);

    const reInvite = await customer.server.requestInDialog(answered.dialog!, 'INVITE', {
      headers: [{ name: 'Content-Type', value: 'application/sdp' }],
      body: withVideoFirst(customer.rtpPort, 'sendonly'),
    });
    assert.equal(reInvite.status, 200);
    const held = mediaLines(reInvite.body);
    assert.equal(held[0], 'm=video 0 RTP/AVP 96', 'the re-INVITE answer declines the video line again');
    assert.match(held[1], /^m=audio [1-9]\d* RTP\/AVP 0 101$/);
    assert.match(reInvite.body.toString(), /a=recvonly/, 'and answers hold on the audio line');
  }, [0]);
});
