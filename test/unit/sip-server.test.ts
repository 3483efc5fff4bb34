// SipServer over real sockets on free ports (127.0.0.1): a second SipServer acts as the phone through the
// UAC API. REGISTER with digest over UDP and TCP, OPTIONS, 420 for Require: 100rel, INVITE -> 180 -> 200 ->
// ACK -> BYE with a dialog, CANCEL -> 487, rport/received, and malformed input answered 400 (505 for
// another SIP version) or dropped.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { systemClock } from '../../src/switch/clock.js';
import { SipServer, type SipRequestHandler } from '../../src/sip/server.js';
import { ha1 } from '../../src/sip/digest.js';
import { getHeader, getHeaders, parseMessage, type SipResponse } from '../../src/sip/message.js';
import { parseVia } from '../../src/sip/headers.js';
import type { ServerTransaction } from '../../src/sip/transaction.js';

const REALM = 'Demo';
const lookup = {
  lookupExtension: (dn: string) =>
    dn === '5001' ? { realm: REALM, ha1: { MD5: ha1('MD5', dn, REALM, 'demo'), 'SHA-256': ha1('SHA-256', dn, REALM, 'demo') } } : undefined,
};

/** resolves when `predicate` holds, or fails loudly after `ms` */
function waitFor<T>(what: string, produce: () => T | undefined, ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      const value = produce();
      if (value !== undefined) return resolve(value);
      if (Date.now() - started > ms) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(poll, 5);
    };
    poll();
  });
}

const events: string[] = [];
const ringing: ServerTransaction[] = [];
const handled: string[] = [];
const handler: SipRequestHandler = {
  request(transaction, server) {
    handled.push(transaction.request.method);
    if (transaction.request.method === 'INVITE') {
      const user = /^sip:([^@]+)@/.exec(transaction.request.uri)?.[1];
      transaction.reply(180);
      if (user === 'answer') server.acceptInvite(transaction);
      else if (user === 'explode') throw new Error('handler bug');
      else ringing.push(transaction);
      return;
    }
    transaction.reply(200);
  },
  ack: () => handled.push('ACK'),
  cancelled: () => handled.push('CANCELLED'),
};

let switchboard: SipServer;
let phone: SipServer;

before(async () => {
  switchboard = await SipServer.start({
    host: '127.0.0.1',
    port: 0,
    clock: systemClock,
    lookup,
    defaultRealm: REALM,
    handler,
    events: { registered: (dn) => events.push(`registered ${dn}`), unregistered: (dn) => events.push(`unregistered ${dn}`) },
  });
  phone = await SipServer.start({ host: '127.0.0.1', port: 0, clock: systemClock, lookup: { lookupExtension: () => undefined }, defaultRealm: 'phone' });
});

after(async () => {
  await phone.close();
  await switchboard.close();
});

function target(user: string, transport: 'udp' | 'tcp' = 'udp') {
  return {
    uri: `sip:${user}@127.0.0.1:${switchboard.port}${transport === 'tcp' ? ';transport=tcp' : ''}`,
    destination: { transport, address: '127.0.0.1', port: switchboard.port } as const,
  };
}

test('REGISTER over UDP with the right password: 401 then 200 and a binding; wrong password: 403', async () => {
  const { uri, destination } = target('5001');
  const ok = await phone.request({
    method: 'REGISTER',
    uri: `sip:127.0.0.1:${switchboard.port}`,
    to: '<sip:5001@127.0.0.1>',
    from: '<sip:5001@127.0.0.1>',
    headers: [{ name: 'Expires', value: '120' }],
    destination,
    credentials: { username: '5001', password: 'demo' },
  });
  assert.equal(ok.response.status, 200);
  assert.equal(getHeaders(ok.response, 'Contact').length, 1);
  assert.equal(switchboard.registrar.isRegistered('5001'), true);
  assert.deepEqual(events, ['registered 5001']);
  const bad = await phone.request({
    method: 'REGISTER',
    uri,
    to: '<sip:5001@127.0.0.1>',
    destination,
    credentials: { username: '5001', password: 'nope' },
  });
  assert.equal(bad.response.status, 403);
});

test('REGISTER over TCP (framed by Content-Length, connection reused)', async () => {
  const { destination } = target('5001', 'tcp');
  for (let round = 0; round < 2; round++) {
    const result = await phone.request({
      method: 'REGISTER',
      uri: `sip:127.0.0.1:${switchboard.port};transport=tcp`,
      to: '<sip:5001@127.0.0.1>',
      from: '<sip:5001@127.0.0.1>',
      headers: [{ name: 'Expires', value: '0' }],
      destination,
      credentials: { username: '5001', password: 'demo' },
    });
    assert.equal(result.response.status, 200);
  }
  assert.equal(switchboard.registrar.isRegistered('5001'), false, 'Expires: 0 removed the binding');
});

test('OPTIONS is answered 200 with Allow and Accept; Require: 100rel gets 420 with Unsupported', async () => {
  const { uri, destination } = target('anyone');
  const options = await phone.request({ method: 'OPTIONS', uri, destination });
  assert.equal(options.response.status, 200);
  assert.match(getHeaders(options.response, 'Allow').join(','), /INVITE/);
  assert.equal(getHeader(options.response, 'Accept'), 'application/sdp');
  const invite = await phone.request({ method: 'INVITE', uri, destination, headers: [{ name: 'Require', value: '100rel' }] });
  assert.equal(invite.response.status, 420);
  assert.equal(getHeader(invite.response, 'Unsupported'), '100rel');
  const supportedOnly = await phone.request({ method: 'OPTIONS', uri, destination, headers: [{ name: 'Supported', value: '100rel' }] });
  assert.equal(supportedOnly.response.status, 200, 'Supported: 100rel is simply not used');
  const subscribe = await phone.request({ method: 'SUBSCRIBE', uri, destination });
  assert.equal(subscribe.response.status, 405);
});

test('a Request-URI of a scheme we do not read gets 416, an unreadable one 400; tel: is read', async () => {
  let branch = 0;
  const request = (method: string, uri: string) =>
    `${method} ${uri} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:PORT;branch=z9hG4bKscheme${++branch}\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:x@h>\r\n` +
    `Call-ID: scheme${branch}\r\nCSeq: 1 ${method}\r\nContent-Length: 0\r\n\r\n`;
  for (const method of ['OPTIONS', 'INVITE', 'REGISTER', 'BYE']) {
    const answer = (await rawExchange(request(method, 'mailto:someone@example.com'), true)).text!;
    assert.match(answer, /^SIP\/2\.0 416 Unsupported URI Scheme \(use sip:, sips: or tel:\)/, `${method} mailto:`);
  }
  assert.match((await rawExchange(request('OPTIONS', 'http://127.0.0.1/'), true)).text!, /^SIP\/2\.0 416 /, 'http:');
  assert.match((await rawExchange(request('OPTIONS', 'sip:x@bad"host'), true)).text!, /^SIP\/2\.0 400 Bad Request \(unreadable Request-URI\)/, 'a sip: URI with a quote');
  assert.match((await rawExchange(request('OPTIONS', 'tel:+1-555-123-4567'), true)).text!, /^SIP\/2\.0 200 /, 'tel: is a scheme we read');
});

test('an unknown method gets 405 with Allow before its Request-URI is looked at (RFC 3261 8.2.1 before 8.2.2)', async () => {
  let branch = 0;
  const request = (method: string, uri: string) =>
    `${method} ${uri} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:PORT;branch=z9hG4bKorder${++branch}\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:x@h>\r\n` +
    `Call-ID: order${branch}\r\nCSeq: 1 ${method}\r\nContent-Length: 0\r\n\r\n`;
  for (const uri of ['mailto:someone@example.com', 'sip:x@bad"host']) {
    const answer = (await rawExchange(request('SUBSCRIBE', uri), true)).text!;
    assert.match(answer, /^SIP\/2\.0 405 /, `SUBSCRIBE ${uri}`);
    assert.match(answer, /\r\nAllow: INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, REFER, NOTIFY, INFO\r\n/, `SUBSCRIBE ${uri}`);
  }
  const handledBefore = handled.length;
  assert.equal((await rawExchange(request('ACK', 'mailto:someone@example.com'), false)).text, undefined, 'an ACK is never answered');
  // the stray ACK reached the handler's ack(); forget it so the next test waits for its own ACK
  handled.splice(handledBefore);
});

test('INVITE -> 180 -> 200 -> ACK gives both sides a dialog; BYE in the dialog reaches the handler', async () => {
  const { uri, destination } = target('answer');
  const provisional: number[] = [];
  const result = await phone.request({ method: 'INVITE', uri, destination, provisional: (response) => provisional.push(response.status) });
  assert.equal(result.response.status, 200);
  assert.ok(provisional.includes(180));
  assert.ok(result.dialog);
  await waitFor('the ACK at the server', () => (handled.includes('ACK') ? true : undefined));
  const bye = await phone.requestInDialog(result.dialog!, 'BYE');
  assert.equal(bye.status, 200);
  assert.ok(handled.includes('BYE'));
});

test('CANCEL of a ringing INVITE: the INVITE ends with 487 and the handler hears of it', async () => {
  const { uri, destination } = target('ring');
  let pending: Promise<{ response: SipResponse }> | undefined;
  const rang = new Promise<void>((resolve) => {
    pending = phone.request({ method: 'INVITE', uri, destination, provisional: (response) => response.status === 180 && resolve() });
  });
  await rang;
  const callId = phone.pendingInviteCallIds.at(-1)!;
  assert.equal(phone.cancel(callId), true);
  const result = await pending!;
  assert.equal(result.response.status, 487);
  assert.ok(handled.includes('CANCELLED'));
});

test('a throwing handler gets 500, not a crash', async () => {
  const { uri, destination } = target('explode');
  const result = await phone.request({ method: 'INVITE', uri, destination });
  assert.equal(result.response.status, 500);
  assert.equal(switchboard.stats.handlerErrors, 1);
});

/** Send one raw datagram from a fresh socket; its first final answer (or, when none is expected, none within 300 ms). */
async function rawExchange(payload: string, expectReply: boolean): Promise<{ text?: string; port: number }> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const port = socket.address().port;
  try {
    const reply = new Promise<string | undefined>((resolve, reject) => {
      const timer = setTimeout(() => (expectReply ? reject(new Error('no reply to the raw datagram')) : resolve(undefined)), expectReply ? 5000 : 300);
      // the first final answer (an INVITE's 100 Trying comes first)
      socket.on('message', (data) => {
        const text = data.toString();
        if (/^SIP\/2\.0 1\d\d /.test(text)) return;
        clearTimeout(timer);
        resolve(text);
      });
    });
    socket.send(payload.replaceAll('PORT', String(port)), switchboard.port, '127.0.0.1');
    return { text: await reply, port };
  } finally {
    socket.close();
  }
}

test('rport/received: the response goes to the real source port and says where the request came from', async () => {
  const request =
    'OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:1111;branch=z9hG4bKraw1;rport\r\nFrom: <sip:a@192.0.2.1>;tag=1\r\nTo: <sip:x@127.0.0.1>\r\nCall-ID: raw1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n';
  const { text, port } = await rawExchange(request, true);
  const parsed = parseMessage(text!);
  assert.ok(parsed.ok && parsed.message.kind === 'response' && parsed.message.status === 200);
  const via = parseVia(getHeader(parsed.message, 'Via')!)!;
  assert.equal(via.params.get('received'), '127.0.0.1');
  assert.equal(via.params.get('rport'), String(port));
});

test('malformed requests: 400 when the Via is routable, silence when not; the server keeps serving', async () => {
  const badCSeq =
    'INVITE sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:PORT;branch=z9hG4bKraw2\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:x@h>\r\nCall-ID: raw2\r\nCSeq: one INVITE\r\n\r\n';
  const answered = await rawExchange(badCSeq, true);
  assert.match(answered.text!, /^SIP\/2\.0 400 Bad Request \(missing or malformed CSeq\)/);
  const otherVersion =
    'OPTIONS sip:x@127.0.0.1 SIP/3.0\r\nVia: SIP/2.0/UDP 127.0.0.1:PORT;branch=z9hG4bKraw3\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:x@h>\r\nCall-ID: raw3\r\nCSeq: 1 OPTIONS\r\n\r\n';
  const manyHeaders =
    'OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:PORT;branch=z9hG4bKraw4\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:x@h>\r\nCall-ID: raw4\r\nCSeq: 1 OPTIONS\r\n' +
    'X-Filler: 1\r\n'.repeat(300) +
    '\r\n';
  assert.match((await rawExchange(manyHeaders, true)).text!, /^SIP\/2\.0 400 Bad Request \(too many headers\)/);
  assert.match((await rawExchange(otherVersion, true)).text!, /^SIP\/2\.0 505 Version Not Supported \(SIP\/3\.0 is not supported: use SIP\/2\.0\)/, 'RFC 3261 21.5.7');
  const garbage = await rawExchange('\u0000\u0001 not sip at all', false);
  assert.equal(garbage.text, undefined);
  assert.ok(switchboard.stats.malformedDropped >= 1);
  const { uri, destination } = target('anyone');
  assert.equal((await phone.request({ method: 'OPTIONS', uri, destination })).response.status, 200);
});

test('response routing by Via: received/rport for UDP; the connection, then the sent-by port, for TCP', async () => {
  const { responseDestination, stampReceived } = await import('../../src/sip/transport.js');
  const make = (via: string) => ({
    kind: 'request' as const,
    method: 'OPTIONS',
    uri: 'sip:x@h',
    headers: [{ name: 'Via', value: via }],
    body: Buffer.alloc(0),
  });
  const udp = make('SIP/2.0/UDP 192.168.1.5:5070;branch=z9hG4bKr;rport');
  stampReceived(udp, { transport: 'udp', address: '203.0.113.9', port: 40000 });
  assert.equal(getHeader(udp, 'Via'), 'SIP/2.0/UDP 192.168.1.5:5070;branch=z9hG4bKr;rport=40000;received=203.0.113.9');
  assert.deepEqual(responseDestination(udp, { transport: 'udp', address: '203.0.113.9', port: 40000 }), {
    transport: 'udp',
    address: '203.0.113.9',
    port: 40000,
  });
  const noRport = make('SIP/2.0/UDP 192.168.1.5;branch=z9hG4bKr');
  stampReceived(noRport, { transport: 'udp', address: '203.0.113.9', port: 40000 });
  assert.deepEqual(responseDestination(noRport, { transport: 'udp', address: '203.0.113.9', port: 40000 }), {
    transport: 'udp',
    address: '203.0.113.9',
    port: 5060,
  });
  const tcp = make('SIP/2.0/TCP 192.168.1.5:5072;branch=z9hG4bKr');
  const source = { transport: 'tcp' as const, address: '203.0.113.9', port: 41000, connectionId: 7 };
  stampReceived(tcp, source);
  assert.deepEqual(responseDestination(tcp, source), { transport: 'tcp', address: '203.0.113.9', port: 5072, connectionId: 7 });
});
