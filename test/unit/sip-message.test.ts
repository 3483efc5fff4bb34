// The SIP codec: start lines, folding, compact forms, lists, Via/URI/name-addr parsing, Content-Length on
// datagrams and streams, single-value headers given twice, limits, and a seeded fuzz run (random and mutated messages) that checks no
// exception escapes and that serialize(parse(x)) is a fixed point.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseMessage,
  serializeMessage,
  getHeader,
  getHeaders,
  buildResponse,
  StreamFramer,
  type SipMessage,
} from '../../src/sip/message.js';
import { parseVia, formatVia, parseCSeq } from '../../src/sip/headers.js';
import { parseUri, formatUri, parseNameAddr, formatNameAddr, numberOf } from '../../src/sip/uri.js';
import { parseReferTo } from '../../src/endpoints/sip/replaces.js';

const INVITE = [
  'INVITE sip:5001@127.0.0.1:5060;transport=udp SIP/2.0',
  'Via: SIP/2.0/UDP 10.0.0.5:5070;branch=z9hG4bK776asdhds;rport',
  'v: SIP/2.0/TCP proxy.example.com;branch=z9hG4bKabc, SIP/2.0/UDP [2001:db8::1]:5062;branch=z9hG4bKdef;received=10.1.1.1',
  'Max-Forwards: 70',
  'To: <sip:5001@127.0.0.1>',
  'f: "Alice \\"A\\" Smith" <sip:+15551234@example.com;user=phone>;tag=1928301774',
  'i: a84b4c76e66710@pc33.example.com',
  'CSeq: 314159 INVITE',
  'm: <sip:alice@10.0.0.5:5070;ob>;expires=60, "Bob, Jr" <sip:bob@10.0.0.6>',
  'Subject: a long',
  '  folded',
  '\tsubject',
  'k: 100rel, timer',
  'c: application/sdp',
  'l: 12',
  '',
  'v=0\r\no=- 1 1',
].join('\r\n');

function parsed(text: string | Buffer, stream = false): SipMessage {
  const result = parseMessage(text, { stream });
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.message;
}

test('parses an INVITE with compact forms, folding, lists and a body', () => {
  const message = parsed(INVITE);
  assert.equal(message.kind, 'request');
  if (message.kind !== 'request') return;
  assert.equal(message.method, 'INVITE');
  assert.equal(message.uri, 'sip:5001@127.0.0.1:5060;transport=udp');
  assert.equal(getHeaders(message, 'Via').length, 3);
  assert.equal(getHeader(message, 'Call-ID'), 'a84b4c76e66710@pc33.example.com');
  assert.equal(getHeader(message, 'call-id'), 'a84b4c76e66710@pc33.example.com');
  assert.equal(getHeader(message, 'Subject'), 'a long folded subject');
  assert.deepEqual(getHeaders(message, 'Supported'), ['100rel', 'timer']);
  assert.equal(getHeaders(message, 'Contact').length, 2);
  assert.equal(getHeaders(message, 'Contact')[1], '"Bob, Jr" <sip:bob@10.0.0.6>');
  assert.equal(message.body.toString(), 'v=0\r\no=- 1 1');
  const from = parseNameAddr(getHeader(message, 'From')!);
  assert.equal(from?.displayName, 'Alice "A" Smith');
  assert.equal(from?.uri.user, '+15551234');
  assert.equal(from?.uri.params.get('user'), 'phone');
  assert.equal(from?.params.get('tag'), '1928301774');
});

test('Via: branch, rport without value, received, IPv6 sent-by', () => {
  const message = parsed(INVITE);
  const vias = getHeaders(message, 'Via').map((value) => parseVia(value)!);
  assert.equal(vias[0].transport, 'UDP');
  assert.equal(vias[0].host, '10.0.0.5');
  assert.equal(vias[0].port, 5070);
  assert.equal(vias[0].params.get('branch'), 'z9hG4bK776asdhds');
  assert.equal(vias[0].params.get('rport'), null);
  assert.equal(vias[2].host, '[2001:db8::1]');
  assert.equal(vias[2].params.get('received'), '10.1.1.1');
  assert.equal(formatVia(vias[2]), 'SIP/2.0/UDP [2001:db8::1]:5062;branch=z9hG4bKdef;received=10.1.1.1');
  assert.equal(parseVia('SIP/2.0/UDP'), undefined);
  assert.equal(parseVia('SIP/2.0/UDP host:99999'), undefined);
  assert.deepEqual(parseCSeq('12 REGISTER'), { sequence: 12, method: 'REGISTER' });
  assert.equal(parseCSeq('99999999999 INVITE'), undefined);
});

test('URIs and name-addr round-trip; bad ones are undefined', () => {
  for (const text of [
    'sip:5001@127.0.0.1',
    'sips:alice:secret@example.com:5061;transport=tcp;lr',
    'sip:[::1]:5070',
    'sip:bob@host?subject=hi&priority=urgent',
    'tel:+1-555-1234;phone-context=example.com',
  ]) {
    const uri = parseUri(text);
    assert.ok(uri, text);
    assert.equal(formatUri(uri), text);
  }
  for (const bad of ['http://x', 'sip:', 'sip:@host', 'sip:a b@host', 'sip:host:0', 'nothing']) {
    assert.equal(parseUri(bad), undefined, bad);
  }
  const addrSpec = parseNameAddr('sip:alice@example.com;tag=abc');
  assert.equal(addrSpec?.params.get('tag'), 'abc');
  assert.equal(addrSpec?.uri.params.size, 0);
  assert.equal(formatNameAddr(addrSpec!), '<sip:alice@example.com>;tag=abc');
  assert.equal(parseNameAddr('Bob <sip:bob@b>')?.displayName, 'Bob');
  assert.equal(parseNameAddr('"unterminated <sip:a@b>'), undefined);
  assert.equal(parseNameAddr('<sip:a@b'), undefined);
});

test('name-addr: LWS between an addr-spec and its parameters is allowed (RFC 4475 3.1.1.1), inside <> it is not (3.1.2.14)', () => {
  const to = parseNameAddr('sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n');
  assert.equal(to?.uri.host, 'chair-dnrc.example.com');
  assert.equal(to?.params.get('tag'), '1918181833n');
  assert.equal(parseNameAddr('sip:a@b \t;tag=1')?.params.get('tag'), '1');
  assert.equal(parseNameAddr('"Watson, Thomas" < sip:t.watson@example.org >'), undefined);
  assert.equal(parseNameAddr('sip:a @b;tag=1'), undefined);
});

test("URIs: a user part may hold '?' (RFC 4475 3.1.1.2); the headers start at the first '?' after the '@'", () => {
  const unusual = parseUri("sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com");
  assert.equal(unusual?.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  assert.equal(unusual?.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
  assert.equal(unusual?.host, 'example.com');
  assert.equal(unusual?.headers, undefined);
  assert.equal(formatUri(unusual!), "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com");
  const withHeaders = parseUri('sip:a?b@example.com?subject=x&to=y%40z');
  assert.deepEqual([withHeaders?.user, withHeaders?.host, withHeaders?.headers], ['a?b', 'example.com', 'subject=x&to=y%40z']);
  assert.equal(parseUri('sip:example.com?subject=x')?.headers, 'subject=x');
  assert.equal(parseUri('sip:bob@example.com?Replaces=1%40h')?.user, 'bob');
  // a second '@' belongs to no part of a SIP URI: it was read as a user holding the first one
  assert.equal(parseUri('sip:5001@host;foo=a@b'), undefined);
  assert.equal(parseUri('sip:user@example.com@10.0.0.1'), undefined);
  assert.equal(parseUri('sip:a%40b@example.com')?.user, 'a%40b', 'an escaped one is part of the user');
});

test('Refer-To names its target as a Request-URI does: tel:, and user=phone without visual separators', () => {
  assert.equal(parseReferTo('<sip:+1-555-0100@h;user=phone>')?.user, '+15550100');
  assert.equal(parseReferTo('<tel:+1-555-0100>')?.user, '+15550100');
  assert.equal(parseReferTo('<sip:5002@h>')?.user, '5002');
  assert.equal(parseReferTo('<sip:5002@h?Replaces=abc%40h%3Bto-tag%3D1%3Bfrom-tag%3D2>')?.user, '5002');
});

test('numberOf: tel: and sip:;user=phone numbers lose their visual separators, another sip: user is kept as written', () => {
  const number = (text: string) => {
    const uri = parseUri(text);
    assert.ok(uri, text);
    return numberOf(uri);
  };
  assert.equal(number('tel:+1-555-0100'), '+15550100');
  assert.equal(number('tel:(555).0100;phone-context=example.com'), '5550100');
  // RFC 3261 19.1.6: with user=phone the user part is a telephone-subscriber (RFC 3966)
  assert.equal(number('sip:+1-555-0100@host;user=phone'), '+15550100');
  assert.equal(number('sip:(555).0100@host;USER=Phone'), '5550100');
  assert.equal(number('sip:+1-555-0100;phone-context=example.com@host;user=phone'), '+15550100', "the number before the user part's parameters");
  assert.equal(formatUri(parseUri('sip:+1-555-0100;phone-context=example.com@host;user=phone')!), 'sip:+1-555-0100;phone-context=example.com@host;user=phone');
  assert.equal(number('sip:+1-555-0100@host'), '+1-555-0100', 'without user=phone the user part is no telephone number');
  assert.equal(number('sip:john.smith@host'), 'john.smith');
  assert.equal(number('sip:john.smith@host;user=ip'), 'john.smith');
  assert.equal(number('sip:host;user=phone'), undefined, 'no user part, no number');
});

test('responses: status line, buildResponse copies the routing headers and adds the To tag', () => {
  const request = parsed(INVITE);
  assert.equal(request.kind, 'request');
  if (request.kind !== 'request') return;
  const response = buildResponse(request, 180, { toTag: 'xyz' });
  const reparsed = parsed(serializeMessage(response));
  assert.equal(reparsed.kind, 'response');
  if (reparsed.kind !== 'response') return;
  assert.equal(reparsed.status, 180);
  assert.equal(reparsed.reason, 'Ringing');
  assert.equal(getHeaders(reparsed, 'Via').length, 3);
  assert.equal(getHeader(reparsed, 'To'), '<sip:5001@127.0.0.1>;tag=xyz');
  assert.equal(getHeader(reparsed, 'Content-Length'), '0');
});

test('Content-Length: extra datagram bytes dropped, too long refused, malformed refused, absent means rest', () => {
  const base = 'OPTIONS sip:x@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:x@h>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\n';
  assert.equal(parsed(base + 'Content-Length: 3\r\n\r\nabcdef').body.toString(), 'abc');
  const tooLong = parseMessage(base + 'Content-Length: 30\r\n\r\nabc');
  assert.ok(!tooLong.ok && tooLong.status === 400 && tooLong.partial);
  const malformed = parseMessage(base + 'Content-Length: x\r\n\r\n');
  assert.ok(!malformed.ok && malformed.status === 400);
  assert.equal(parsed(base + '\r\nrest').body.toString(), 'rest');
  assert.equal(parsed(base + '\r\nrest', true).body.length, 0);
  const missingCallId = parseMessage(base.replace('Call-ID: c1\r\n', '') + '\r\n');
  assert.ok(!missingCallId.ok && missingCallId.error.includes('Call-ID') && missingCallId.partial);
  const wrongMethod = parseMessage(base.replace('1 OPTIONS', '1 INVITE') + '\r\n');
  assert.ok(!wrongMethod.ok && wrongMethod.error.includes('CSeq'));
});

test('a single-value header given twice in a request is refused (400, with the head to route it); list headers may repeat, and responses are taken as they are', () => {
  const base = 'OPTIONS sip:x@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:x@h>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\n';
  const repeated: Record<string, string> = {
    From: 'f: <sip:b@h>;tag=2',
    To: 'To: <sip:y@h>',
    'Call-ID': 'i: c2',
    CSeq: 'CSeq: 2 OPTIONS',
    'Max-Forwards': 'Max-Forwards: 70\r\nMax-Forwards: 69',
    'Content-Type': 'Content-Type: application/sdp\r\nc: text/plain',
    Expires: 'Expires: 60\r\nExpires: 3600',
  };
  for (const [name, lines] of Object.entries(repeated)) {
    const result = parseMessage(base + lines + '\r\n\r\n');
    assert.ok(!result.ok && result.status === 400 && result.partial, name);
    assert.equal(result.error, `repeated ${name} header`);
  }
  const lists = parsed(base + 'Via: SIP/2.0/UDP p;branch=z9hG4bK2\r\nSupported: timer\r\nSupported: replaces\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n');
  assert.deepEqual(getHeaders(lists, 'Supported'), ['timer', 'replaces'], 'a list header in two lines');
  assert.equal(getHeaders(lists, 'Via').length, 2);
  // a peer's response is taken as it is: a 200 with two Content-Type lines still ends its transaction
  const response = parsed('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:x@h>;tag=2\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\nContent-Type: application/sdp\r\nContent-Length: 0\r\n\r\n');
  assert.equal(response.kind, 'response');
});

test('header values lose only SP and HTAB at their edges (RFC 3261 25.1): a leading U+FEFF (RFC 4475 3.1.1.2) or U+00A0 stays', () => {
  const message = parsed(
    'OPTIONS sip:x@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:x@h>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\n' +
      'X-Bom:\uFEFF大停電\r\nX-Nbsp: \t\u00A0a\u00A0 \r\nX-Folded: a\r\n \t\u00A0b \r\n\r\n',
  );
  assert.equal(getHeader(message, 'X-Bom'), '\uFEFF大停電');
  assert.equal(getHeader(message, 'X-Nbsp'), '\u00A0a\u00A0');
  assert.equal(getHeader(message, 'X-Folded'), 'a \u00A0b');
});

test('a request line that names a method and a SIP version but is malformed is refused 400 with the headers read, so it can be answered (RFC 4475 3.1.2.7-3.1.2.10)', () => {
  const rest = '\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:x@h>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n\r\n';
  for (const line of ['INVITE <sip:x@h> SIP/2.0', 'INVITE sip:x@h; lr SIP/2.0', 'INVITE  sip:x@h  SIP/2.0', 'INVITE sip:x@h SIP/2.0  ', 'INVITE sip:x@h\tSIP/2.0']) {
    const result = parseMessage(line + rest);
    assert.ok(!result.ok && result.status === 400 && result.error === 'malformed request line', line);
    assert.equal(result.partial?.kind === 'request' && result.partial.method, 'INVITE', line);
    assert.equal(getHeader(result.partial!, 'Call-ID'), 'c1', line);
  }
  for (const line of ['not sip at all', 'SIP/2.0 4294967301 too big', 'INVITE sip:x@h', 'INVITE sip:x@h HTTP/1.1', '']) {
    const result = parseMessage(line + rest);
    assert.ok(!result.ok && result.error === 'malformed start line' && !result.partial, line);
  }
});

test('Max-Forwards may have leading zeros (RFC 4475 3.1.1.1: 0068); more than three significant digits or a non-number are refused', () => {
  const base = 'OPTIONS sip:x@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:x@h>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\n';
  for (const value of ['0068', '0', '00000255', '70']) assert.equal(getHeader(parsed(`${base}Max-Forwards: ${value}\r\n\r\n`), 'Max-Forwards'), value);
  for (const value of ['1000', '7O', '-1', '']) {
    const result = parseMessage(`${base}Max-Forwards: ${value}\r\n\r\n`);
    assert.ok(!result.ok && result.error === 'malformed Max-Forwards' && result.partial, value);
  }
});

test('limits and versions: oversized messages, header sections and header counts, and SIP versions other than 2.0, are refused as values', () => {
  const big = parseMessage(Buffer.alloc(70000, 65));
  assert.ok(!big.ok && big.status === 513 && !big.partial);
  const bigBody = parseMessage(
    'MESSAGE sip:x@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCall-ID: c\r\n\r\n' + 'b'.repeat(70000),
  );
  assert.ok(!bigBody.ok && bigBody.status === 513 && bigBody.partial, 'the head is kept so a 513 can be routed');
  const manyHeaders = 'OPTIONS sip:x@h SIP/2.0\r\n' + 'X-A: 1\r\n'.repeat(300) + '\r\n';
  const count = parseMessage(manyHeaders);
  assert.ok(!count.ok && count.error === 'too many headers' && count.partial, 'the headers read so far are kept so a 400 can be routed');
  const version = parseMessage('OPTIONS sip:x@h SIP/1.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCall-ID: c\r\n\r\n');
  assert.ok(!version.ok && version.status === 505 && version.partial, 'another version: 505, with the head to route it');
  const longHeader = 'OPTIONS sip:x@h SIP/2.0\r\nX-A: ' + 'a'.repeat(20000) + '\r\n\r\n';
  const head = parseMessage(longHeader);
  assert.ok(!head.ok && head.status === 513);
});

test('stream framing by Content-Length across chunk boundaries, keep-alives, bounded buffering', () => {
  const request = serializeMessage(parsed(INVITE));
  const two = Buffer.concat([Buffer.from('\r\n\r\n'), request, request]);
  const framer = new StreamFramer();
  const frames: Buffer[] = [];
  for (let offset = 0; offset < two.length; offset += 7) {
    for (const result of framer.push(two.subarray(offset, offset + 7))) {
      if (result.kind === 'message') frames.push(result.frame);
      assert.notEqual(result.kind, 'fatal');
    }
  }
  assert.equal(frames.length, 2);
  assert.deepEqual(frames[0], request);
  assert.equal(framer.bufferedBytes, 0);
  const flood = new StreamFramer();
  const results = flood.push(Buffer.alloc(20000, 65));
  assert.equal(results.at(-1)?.kind, 'fatal');
  const badLength = new StreamFramer().push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nl: -1\r\n\r\n'));
  assert.equal(badLength.at(-1)?.kind, 'fatal');
});

test('stream framing: two different Content-Length values close the stream (RFC 4475 3.3.9), the same one twice frames', () => {
  const head = 'OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 3\r\nX: y\r\n';
  const conflicting = new StreamFramer().push(Buffer.from(`${head}l: 5\r\n\r\nabcde`));
  assert.deepEqual(conflicting.map((result) => result.kind), ['fatal']);
  const repeated = new StreamFramer().push(Buffer.from(`${head}Content-Length:  3 \r\n\r\nabcOPTIONS`));
  assert.equal(repeated[0]?.kind, 'message');
  assert.equal(repeated[0]?.kind === 'message' && repeated[0].frame.toString().endsWith('\r\n\r\nabc'), true);
});

// ---- fuzz ------------------------------------------------------------------------------------------

/** mulberry32: a small seeded generator, so a failing case can be replayed from its seed */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = 'abcXYZ019 :;,=<>"\\@/\r\n\t.-_+*?&[]!%~';
const SAMPLES = [
  INVITE,
  'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1;received=1.2.3.4;rport=5\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:x@h>;tag=2\r\nCall-ID: c1\r\nCSeq: 1 REGISTER\r\nContact: <sip:a@1.2.3.4:5>;expires=60\r\nContent-Length: 0\r\n\r\n',
  'REGISTER sip:127.0.0.1 SIP/2.0\r\nv: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bKx\r\nf: sip:5001@127.0.0.1;tag=q\r\nt: sip:5001@127.0.0.1\r\ni: abc\r\nCSeq: 2 REGISTER\r\nAuthorization: Digest username="5001", realm="r", nonce="n,x", uri="sip:127.0.0.1", response="0", qop=auth, nc=00000001, cnonce="c"\r\nExpires: 60\r\n\r\n',
];

test('fuzz: 20000 random and mutated messages never throw, and serialize∘parse is a fixed point', () => {
  const random = seededRandom(20260101);
  const pick = (text: string) => Math.floor(random() * text.length);
  let accepted = 0;
  for (let iteration = 0; iteration < 20000; iteration++) {
    let input: string;
    if (iteration % 10 === 0) {
      input = '';
      const length = Math.floor(random() * 200);
      for (let index = 0; index < length; index++) input += ALPHABET[pick(ALPHABET)];
    } else {
      input = SAMPLES[iteration % SAMPLES.length];
      const mutations = 1 + Math.floor(random() * 4);
      for (let count = 0; count < mutations; count++) {
        const at = pick(input);
        const choice = random();
        if (choice < 0.4) input = input.slice(0, at) + ALPHABET[pick(ALPHABET)] + input.slice(at + 1);
        else if (choice < 0.7) input = input.slice(0, at) + input.slice(at + 1 + Math.floor(random() * 5));
        else input = input.slice(0, at) + input.slice(at, at + Math.floor(random() * 20)) + input.slice(at);
      }
    }
    let first;
    try {
      first = parseMessage(input);
    } catch (error) {
      assert.fail(`parse threw on iteration ${iteration}: ${String(error)}\n${JSON.stringify(input)}`);
    }
    if (!first.ok) continue;
    accepted++;
    const once = serializeMessage(first.message);
    const second = parseMessage(once);
    assert.ok(second.ok, `reparse failed on iteration ${iteration}: ${JSON.stringify(input)}`);
    const twice = serializeMessage(second.message);
    assert.equal(twice.toString('latin1'), once.toString('latin1'), `unstable round trip on iteration ${iteration}`);
    for (const value of getHeaders(first.message, 'Via')) parseVia(value);
    for (const value of getHeaders(first.message, 'Contact')) parseNameAddr(value);
    if (first.message.kind === 'request') parseUri(first.message.uri);
  }
  assert.ok(accepted > 1000, `only ${accepted} mutated messages were still valid; the fuzz is not exercising round trips`);
});
