/**
 * The B2BUA's SDP reading (src/endpoints/sip/sdp.ts): which offers and answers are usable (an audio
 * stream of PCMU or PCMA that our IPv4 RTP sockets can send to), which codec and telephone-event
 * are taken, and what counts as hold. Everything unusable is undefined (the B2BUA answers 488).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSdpContentType, readSdp, writeSdp } from '../../src/endpoints/sip/sdp.js';

function offer(options: { connection?: string; port?: string; payloads?: string; extra?: string[] } = {}): string {
  return [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=-',
    `c=${options.connection ?? 'IN IP4 127.0.0.1'}`,
    't=0 0',
    `m=audio ${options.port ?? '4000'} RTP/AVP ${options.payloads ?? '8 0 101'}`,
    'a=rtpmap:101 telephone-event/8000',
    ...(options.extra ?? []),
    '',
  ].join('\r\n');
}

test('a usable offer: the first of its codecs we support, its telephone-event, its direction', () => {
  assert.deepEqual(readSdp(offer()), {
    address: '127.0.0.1',
    port: 4000,
    codec: 'PCMA',
    telephoneEvent: 101,
    direction: 'sendrecv',
    held: false,
    layout: { lines: [{ type: 'audio', protocol: 'RTP/AVP', formats: '8 0 101' }], audioIndex: 0 },
  });
  assert.equal(readSdp(offer({ payloads: '18 0' }))?.codec, 'PCMU', 'G.729 first: PCMU is the first we support');
  assert.equal(readSdp(offer({ extra: ['a=sendonly'] }))?.held, true, 'sendonly is hold');
  assert.equal(readSdp(offer({ connection: 'IN IP4 0.0.0.0' }))?.held, true, 'c=0.0.0.0 is hold (RFC 2543 style)');
  assert.equal(readSdp(offer({ port: '0' }))?.held, true, 'port 0 is hold');
});

test('unusable SDP is undefined: no body, garbage, no audio, no common codec, and what our IPv4 RTP cannot reach', () => {
  const unusable: Record<string, string> = {
    'empty body': '',
    garbage: 'hello\r\nworld\r\n',
    'no m= line': 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n',
    'only opus': offer({ payloads: '96', extra: ['a=rtpmap:96 opus/48000/2'] }),
    'an IPv6 address': offer({ connection: 'IN IP6 ::1' }),
    'a host name': offer({ connection: 'IN IP4 phone.example.com' }),
    'an address that is not one': offer({ connection: 'IN IP4 999.1.1.1' }),
    'port 99999': offer({ port: '99999' }),
    'port 65536': offer({ port: '65536' }),
    'SRTP (RTP/SAVP with a=crypto)': offer().replace('RTP/AVP', 'RTP/SAVP').replace('a=rtpmap:101', 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj\r\na=rtpmap:101'),
  };
  for (const [what, body] of Object.entries(unusable)) assert.equal(readSdp(body), undefined, what);
  assert.equal(readSdp(offer({ port: '65535' }))?.port, 65535, 'the largest port is usable');
});

test('what we write reads back as what we meant', () => {
  const ours = writeSdp({ address: '127.0.0.1', port: 20002, codecs: ['PCMU', 'PCMA'], telephoneEvent: 101, direction: 'recvonly', sessionId: 7, version: 2 });
  assert.deepEqual(readSdp(ours), {
    address: '127.0.0.1',
    port: 20002,
    codec: 'PCMU',
    telephoneEvent: 101,
    direction: 'recvonly',
    held: false,
    layout: { lines: [{ type: 'audio', protocol: 'RTP/AVP', formats: '0 8 101' }], audioIndex: 0 },
  });
});

/** The m= lines of an SDP text. */
const mediaLines = (sdp: Buffer | string): string[] => String(sdp).split('\r\n').filter((line) => line.startsWith('m='));

test('an answer keeps the offer\'s m-lines in their order: our audio stream answered, the others declined with port 0 (RFC 3264 6)', () => {
  const video = offer().replace('m=audio', 'm=video 5000 RTP/AVP 96 97\r\na=rtpmap:96 H264/90000\r\nm=audio');
  const srtpFirst = offer().replace('m=audio', 'm=audio 4100 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj\r\nm=audio');
  const twoAudio = offer() + 'm=audio 4200 RTP/AVP 0\r\n';
  const cases: [string, string, string[]][] = [
    ['video before audio', video, ['m=video 0 RTP/AVP 96', 'm=audio 20002 RTP/AVP 8 101']],
    ['an SRTP audio stream before a plain one', srtpFirst, ['m=audio 0 RTP/SAVP 0', 'm=audio 20002 RTP/AVP 8 101']],
    ['a second plain audio stream after the first', twoAudio, ['m=audio 20002 RTP/AVP 8 101', 'm=audio 0 RTP/AVP 0']],
  ];
  for (const [what, body, expected] of cases) {
    const remote = readSdp(body);
    assert.ok(remote, what);
    assert.equal(remote.port, 4000, `${what}: the first plain RTP/AVP audio stream is the one used`);
    const answer = writeSdp({ address: '127.0.0.1', port: 20002, codecs: [remote.codec], telephoneEvent: 101, direction: 'sendrecv', sessionId: 7, version: 2, layout: remote.layout });
    assert.deepEqual(mediaLines(answer), expected, what);
    assert.equal(readSdp(answer)?.port, 20002, `${what}: our answer reads back as our audio stream`);
  }
  const alone = writeSdp({ address: '127.0.0.1', port: 20002, codecs: ['PCMU', 'PCMA'], telephoneEvent: 101, direction: 'sendrecv', sessionId: 7, version: 1 });
  assert.deepEqual(mediaLines(alone), ['m=audio 20002 RTP/AVP 0 8 101'], 'with no remote SDP yet, one audio line');
});

test('a body is read as SDP only when its Content-Type says so, or says nothing (else 415)', () => {
  for (const type of [undefined, 'application/sdp', 'Application/SDP', 'application/sdp; charset=utf-8']) assert.equal(isSdpContentType(type), true, String(type));
  for (const type of ['text/plain', 'multipart/mixed;boundary=x', 'application/sdpx']) assert.equal(isSdpContentType(type), false, type);
});
