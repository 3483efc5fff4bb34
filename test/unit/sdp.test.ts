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
  assert.deepEqual(readSdp(offer()), { address: '127.0.0.1', port: 4000, codec: 'PCMA', telephoneEvent: 101, direction: 'sendrecv', held: false });
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
  assert.deepEqual(readSdp(ours), { address: '127.0.0.1', port: 20002, codec: 'PCMU', telephoneEvent: 101, direction: 'recvonly', held: false });
});

test('a body is read as SDP only when its Content-Type says so, or says nothing (else 415)', () => {
  for (const type of [undefined, 'application/sdp', 'Application/SDP', 'application/sdp; charset=utf-8']) assert.equal(isSdpContentType(type), true, String(type));
  for (const type of ['text/plain', 'multipart/mixed;boundary=x', 'application/sdpx']) assert.equal(isSdpContentType(type), false, type);
});
