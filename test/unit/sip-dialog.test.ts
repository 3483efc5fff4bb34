// Dialogs without sockets: UAS and UAC creation from INVITE/2xx, route sets (loose and strict routing),
// CSeq numbering and ordering, target refresh by re-INVITE, matching, and the ACK's sequence number.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dialog, destinationOfUri } from '../../src/sip/dialog.js';
import { buildResponse, getHeader, getHeaders, type SipRequest } from '../../src/sip/message.js';

function invite(extra: [string, string][] = []): SipRequest {
  return {
    kind: 'request',
    method: 'INVITE',
    uri: 'sip:5001@127.0.0.1',
    headers: [
      { name: 'Via', value: 'SIP/2.0/UDP 10.0.0.5:5070;branch=z9hG4bKd1' },
      { name: 'From', value: '"Caller" <sip:+15551234@10.0.0.5>;tag=caller' },
      { name: 'To', value: '<sip:5001@127.0.0.1>' },
      { name: 'Call-ID', value: 'dialog-call' },
      { name: 'CSeq', value: '10 INVITE' },
      { name: 'Contact', value: '<sip:caller@10.0.0.5:5070>' },
      ...extra.map(([name, value]) => ({ name, value })),
    ],
    body: Buffer.alloc(0),
  };
}

test('UAS dialog: tags, remote target, route set as received, in-dialog BYE with loose routing', () => {
  const request = invite([
    ['Record-Route', '<sip:proxy1.example.com;lr>'],
    ['Record-Route', '<sip:proxy2.example.com;lr>'],
  ]);
  const ok = buildResponse(request, 200, { toTag: 'callee' });
  const dialog = Dialog.asUas(request, ok)!;
  assert.equal(dialog.id, 'dialog-call;callee;caller');
  assert.equal(dialog.remoteTarget, 'sip:caller@10.0.0.5:5070');
  assert.equal(dialog.remoteSequence, 10);
  const bye = dialog.createRequest('BYE');
  assert.equal(bye.uri, 'sip:caller@10.0.0.5:5070', 'loose routing keeps the remote target');
  assert.deepEqual(getHeaders(bye, 'Route'), ['<sip:proxy1.example.com;lr>', '<sip:proxy2.example.com;lr>']);
  assert.equal(getHeader(bye, 'From'), '<sip:5001@127.0.0.1>;tag=callee');
  assert.equal(getHeader(bye, 'To'), '"Caller" <sip:+15551234@10.0.0.5>;tag=caller');
  assert.equal(getHeader(bye, 'Via'), undefined, 'the sender adds its own Via');
  assert.deepEqual(dialog.nextHop(), { transport: 'udp', address: 'proxy1.example.com', port: 5060 });
});

test('UAC dialog: route set reversed from Record-Route, strict routing puts the first route in the Request-URI', () => {
  const request = invite();
  const ok = buildResponse(request, 200, { toTag: 'callee' });
  ok.headers.push({ name: 'Record-Route', value: '<sip:10.0.0.2:5090>' }, { name: 'Record-Route', value: '<sip:10.0.0.1>' });
  ok.headers.push({ name: 'Contact', value: '<sip:5001@10.0.0.9:5062;transport=tcp>' });
  const dialog = Dialog.asUac(request, ok)!;
  assert.deepEqual(dialog.routeSet, ['<sip:10.0.0.1>', '<sip:10.0.0.2:5090>']);
  const bye = dialog.createRequest('BYE');
  assert.equal(bye.uri, 'sip:10.0.0.1', 'strict routing: the first route becomes the Request-URI');
  assert.deepEqual(getHeaders(bye, 'Route'), ['<sip:10.0.0.2:5090>', '<sip:5001@10.0.0.9:5062;transport=tcp>']);
  assert.equal(getHeader(bye, 'CSeq'), '11 BYE');
  const ack = dialog.createRequest('ACK', { ackSequence: 10 });
  assert.equal(getHeader(ack, 'CSeq'), '10 ACK');
  assert.equal(getHeader(dialog.createRequest('INFO'), 'CSeq'), '12 INFO', 'the ACK did not use a number');
});

test('remote requests: CSeq must grow (else out of order), a re-INVITE refreshes the remote target', () => {
  const request = invite();
  const dialog = Dialog.asUas(request, buildResponse(request, 200, { toTag: 'callee' }))!;
  const reinvite = invite();
  reinvite.headers = reinvite.headers.map((header) =>
    header.name === 'CSeq' ? { name: 'CSeq', value: '11 INVITE' } :
    header.name === 'Contact' ? { name: 'Contact', value: '<sip:caller@10.0.0.6:5080>' } :
    header.name === 'To' ? { name: 'To', value: '<sip:5001@127.0.0.1>;tag=callee' } : header,
  );
  assert.equal(dialog.matches(reinvite), true);
  assert.equal(dialog.receiveRequest(reinvite), true);
  assert.equal(dialog.remoteTarget, 'sip:caller@10.0.0.6:5080');
  assert.equal(dialog.receiveRequest(reinvite), false, 'the same CSeq again is out of order');
  const stranger = invite();
  assert.equal(dialog.matches(stranger), false, 'no To tag: not in this dialog');
});

test('destinationOfUri: host, port, transport and maddr; tel: and unknown transports give none', () => {
  assert.deepEqual(destinationOfUri('sip:a@127.0.0.1:5070;transport=TCP'), { transport: 'tcp', address: '127.0.0.1', port: 5070 });
  assert.deepEqual(destinationOfUri('sip:a@h;maddr=10.1.1.1'), { transport: 'udp', address: '10.1.1.1', port: 5060 });
  assert.deepEqual(destinationOfUri('sip:[::1]:5062'), { transport: 'udp', address: '::1', port: 5062 });
  assert.equal(destinationOfUri('tel:+15551234'), undefined);
  assert.equal(destinationOfUri('sip:a@h;transport=sctp'), undefined);
});
