// The registrar on the virtual clock: challenge and digest as the DN, binding expiry rules (423, the
// 3600 s cap, Expires: 0, `*`), several contacts with the newest used, registered/unregistered facts,
// and the 5-failures lockout with its single log line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../src/switch/clock.js';
import { Registrar } from '../../src/sip/registrar.js';
import { DigestServer, ha1, answerChallenge, chooseChallenge } from '../../src/sip/digest.js';
import { getHeader, getHeaders, type SipRequest, type SipResponse } from '../../src/sip/message.js';
import type { Destination } from '../../src/sip/transaction.js';

const REALM = 'demo';
const PHONE: Destination = { transport: 'udp', address: '10.0.0.7', port: 5070 };

function setup() {
  const clock = new VirtualClock();
  const events: string[] = [];
  const logs: string[] = [];
  const credentials = (dn: string) => ({
    realm: REALM,
    ha1: { MD5: ha1('MD5', dn, REALM, 'demo'), 'SHA-256': ha1('SHA-256', dn, REALM, 'demo') },
  });
  const registrar = new Registrar({
    clock,
    lookup: { lookupExtension: (dn) => (dn === '5001' || dn === '5002' ? credentials(dn) : undefined) },
    digest: new DigestServer({ clock }),
    defaultRealm: REALM,
    events: { registered: (dn) => events.push(`registered ${dn}`), unregistered: (dn) => events.push(`unregistered ${dn}`) },
    log: (_level, message) => logs.push(message),
  });
  return { clock, registrar, events, logs };
}

let sequence = 0;
function registerRequest(dn: string, contacts: string[], expires?: string, authorization?: string, callId = 'reg-call'): SipRequest {
  sequence++;
  const headers = [
    { name: 'Via', value: `SIP/2.0/UDP 10.0.0.7:5070;branch=z9hG4bKreg${sequence}` },
    { name: 'From', value: `<sip:${dn}@127.0.0.1>;tag=f${sequence}` },
    { name: 'To', value: `<sip:${dn}@127.0.0.1>` },
    { name: 'Call-ID', value: callId },
    { name: 'CSeq', value: `${sequence} REGISTER` },
    ...contacts.map((value) => ({ name: 'Contact', value })),
  ];
  if (expires !== undefined) headers.push({ name: 'Expires', value: expires });
  if (authorization !== undefined) headers.push({ name: 'Authorization', value: authorization });
  return { kind: 'request', method: 'REGISTER', uri: 'sip:127.0.0.1', headers, body: Buffer.alloc(0) };
}

/** the 401 round trip a phone does */
function register(
  registrar: Registrar,
  dn: string,
  contacts: string[],
  options: { expires?: string; password?: string; username?: string; source?: Destination } = {},
): SipResponse {
  const source = options.source ?? PHONE;
  const first = registrar.handleRegister(registerRequest(dn, contacts, options.expires), source);
  assert.equal(first.status, 401);
  const challenge = chooseChallenge(getHeaders(first, 'WWW-Authenticate'))!;
  const authorization = answerChallenge(challenge, {
    username: options.username ?? dn,
    password: options.password ?? 'demo',
    method: 'REGISTER',
    uri: 'sip:127.0.0.1',
  });
  return registrar.handleRegister(registerRequest(dn, contacts, options.expires, authorization), source);
}

test('REGISTER: 401 with SHA-256 and MD5 challenges, then 200 listing the binding; registered fires once', () => {
  const { registrar, events } = setup();
  const first = registrar.handleRegister(registerRequest('5001', ['<sip:5001@10.0.0.7:5070>']), PHONE);
  assert.equal(first.status, 401);
  assert.equal(getHeaders(first, 'WWW-Authenticate').length, 2);
  assert.match(getHeader(first, 'To')!, /;tag=/);
  const ok = register(registrar, '5001', ['<sip:5001@10.0.0.7:5070>'], { expires: '120' });
  assert.equal(ok.status, 200);
  assert.deepEqual(getHeaders(ok, 'Contact'), ['<sip:5001@10.0.0.7:5070>;expires=120']);
  assert.deepEqual(events, ['registered 5001']);
  assert.equal(registrar.contactFor('5001')?.uri, 'sip:5001@10.0.0.7:5070');
  assert.equal(register(registrar, '5001', ['<sip:5001@10.0.0.7:5070>']).status, 200, 'refresh');
  assert.deepEqual(events, ['registered 5001'], 'a refresh is not a new registration');
});

test('wrong password, another DN as username and an unknown DN get 403 and no binding', () => {
  const { registrar, events } = setup();
  assert.equal(register(registrar, '5001', ['<sip:a@10.0.0.7>'], { password: 'wrong' }).status, 403);
  assert.equal(register(registrar, '5001', ['<sip:a@10.0.0.7>'], { username: '5002' }).status, 403);
  assert.equal(register(registrar, '7777', ['<sip:a@10.0.0.7>']).status, 403);
  assert.equal(registrar.isRegistered('5001'), false);
  assert.deepEqual(events, []);
});

test('expiry rules: below 60 s is 423 with Min-Expires, above 3600 s is capped, and a binding expires on the clock', () => {
  const { clock, registrar, events } = setup();
  const brief = register(registrar, '5001', ['<sip:5001@10.0.0.7>;expires=30']);
  assert.equal(brief.status, 423);
  assert.equal(getHeader(brief, 'Min-Expires'), '60');
  assert.equal(registrar.isRegistered('5001'), false);
  const long = register(registrar, '5001', ['<sip:5001@10.0.0.7>'], { expires: '7200' });
  assert.deepEqual(getHeaders(long, 'Contact'), ['<sip:5001@10.0.0.7>;expires=3600']);
  clock.advance(3_599_999);
  assert.equal(registrar.isRegistered('5001'), true);
  clock.advance(1);
  assert.equal(registrar.isRegistered('5001'), false);
  assert.deepEqual(events, ['registered 5001', 'unregistered 5001']);
  assert.equal(register(registrar, '5001', ['<sip:5001@10.0.0.7>'], { expires: 'soon' }).status, 400);
});

test('several contacts per DN, the newest used; Expires: 0 removes one; * with Expires: 0 removes all', () => {
  const { clock, registrar, events } = setup();
  register(registrar, '5001', ['<sip:desk@10.0.0.7:5070>'], { expires: '600' });
  clock.advance(1000);
  const second = register(registrar, '5001', ['<sip:soft@10.0.0.8:5080>'], { expires: '600' });
  assert.equal(getHeaders(second, 'Contact').length, 2);
  assert.equal(registrar.contactFor('5001')?.uri, 'sip:soft@10.0.0.8:5080');
  register(registrar, '5001', ['<sip:soft@10.0.0.8:5080>'], { expires: '0' });
  assert.equal(registrar.contactFor('5001')?.uri, 'sip:desk@10.0.0.7:5070');
  register(registrar, '5001', ['<sip:soft@10.0.0.8:5080>'], { expires: '600' });
  assert.equal(register(registrar, '5001', ['*'], { expires: '60' }).status, 400, '* needs Expires: 0');
  const removed = register(registrar, '5001', ['*'], { expires: '0' });
  assert.equal(removed.status, 200);
  assert.deepEqual(getHeaders(removed, 'Contact'), []);
  assert.equal(registrar.isRegistered('5001'), false);
  assert.deepEqual(events, ['registered 5001', 'unregistered 5001']);
});

test('at most 10 bindings per DN: a phone that registers a new contact at each restart drops its oldest', () => {
  const { clock, registrar, events } = setup();
  for (let restart = 1; restart <= 12; restart++) {
    register(registrar, '5001', [`<sip:5001@10.0.0.7:${6000 + restart}>`], { expires: '3600' });
    clock.advance(1000);
  }
  const uris = registrar.bindings('5001').map((binding) => binding.uri);
  assert.equal(uris.length, 10);
  assert.equal(uris[0], 'sip:5001@10.0.0.7:6012', 'the newest is used');
  assert.ok(!uris.includes('sip:5001@10.0.0.7:6001') && !uris.includes('sip:5001@10.0.0.7:6002'), 'the two oldest are gone');
  assert.deepEqual(events, ['registered 5001'], 'trimming is not an unregistration');
});

test('lockout: 5 failures in 60 s block the address for 60 s (even with the right password), logged once', () => {
  const { clock, registrar, logs } = setup();
  const attacker: Destination = { transport: 'udp', address: '10.9.9.9', port: 5099 };
  for (let attempt = 0; attempt < 5; attempt++) {
    assert.equal(register(registrar, '5001', ['<sip:x@10.9.9.9>'], { password: `guess${attempt}`, source: attacker }).status, 403);
  }
  assert.equal(logs.length, 1);
  const blocked = registrar.handleRegister(registerRequest('5001', ['<sip:x@10.9.9.9>']), attacker);
  assert.equal(blocked.status, 403, 'no challenge while blocked');
  assert.equal(register(registrar, '5001', ['<sip:x@10.0.0.7>']).status, 200, 'other addresses are not affected');
  clock.advance(60_000);
  assert.equal(register(registrar, '5001', ['<sip:x@10.9.9.9>'], { source: attacker }).status, 200);
  assert.equal(logs.length, 1);
});

test('failures spread over more than 60 s do not block', () => {
  const { clock, registrar } = setup();
  for (let attempt = 0; attempt < 8; attempt++) {
    register(registrar, '5001', ['<sip:x@10.0.0.7>'], { password: 'wrong' });
    clock.advance(15_000);
  }
  assert.equal(registrar.isBlocked(PHONE.address), false);
});

test('user agents known to fail on SHA-256 challenges (baresip 1.x) are challenged with MD5 only', () => {
  const { registrar } = setup();
  const request = registerRequest('5001', ['<sip:5001@10.0.0.7>']);
  request.headers.push({ name: 'User-Agent', value: 'baresip v1.0.0 (x86_64/linux)' });
  const challenges = getHeaders(registrar.handleRegister(request, PHONE), 'WWW-Authenticate');
  assert.equal(challenges.length, 1);
  assert.match(challenges[0], /algorithm=MD5/);
  const modern = registerRequest('5001', ['<sip:5001@10.0.0.7>']);
  modern.headers.push({ name: 'User-Agent', value: 'baresip v3.10.0' });
  assert.equal(getHeaders(registrar.handleRegister(modern, PHONE), 'WWW-Authenticate').length, 2);
});
