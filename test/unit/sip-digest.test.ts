// Digest authentication: the RFC 7616 section 3.9.1 and RFC 2617 section 3.5 test vectors, then the server
// (challenges, stored-HA1 verification, stale and forged nonces, nonce-count replay, bounded nonce table)
// against the client side, all on the virtual clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../src/switch/clock.js';
import {
  ha1,
  digestResponse,
  DigestServer,
  answerChallenge,
  chooseChallenge,
  parseAuthParams,
  type StoredCredentials,
} from '../../src/sip/digest.js';

const RFC7616 = {
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  nc: '00000001',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  qop: 'auth',
  method: 'GET',
  uri: '/dir/index.html',
};

test('RFC 7616 3.9.1 vectors (MD5 and SHA-256) and the RFC 2617 3.5 vector', () => {
  const realm = 'http-auth@example.org';
  assert.equal(digestResponse('MD5', ha1('MD5', 'Mufasa', realm, 'Circle of Life'), RFC7616), '8ca523f5e9506fed4657c9700eebdbec');
  assert.equal(
    digestResponse('SHA-256', ha1('SHA-256', 'Mufasa', realm, 'Circle of Life'), RFC7616),
    '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
  );
  const rfc2617 = { nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', nc: '00000001', cnonce: '0a4f113b', qop: 'auth', method: 'GET', uri: '/dir/index.html' };
  assert.equal(digestResponse('MD5', ha1('MD5', 'Mufasa', 'testrealm@host.com', 'Circle Of Life'), rfc2617), '6629fae49393a05397450978507c4ef1');
});

function setup(lifetime = 60_000) {
  const clock = new VirtualClock();
  const server = new DigestServer({ clock, nonceLifetimeMs: lifetime, maxTrackedNonces: 50 });
  const realm = 'Demo Contact Center';
  const stored: StoredCredentials = {
    realm,
    ha1: { MD5: ha1('MD5', '5001', realm, 'demo'), 'SHA-256': ha1('SHA-256', '5001', realm, 'demo') },
  };
  const lookup = (username: string) => (username === '5001' ? stored : undefined);
  return { clock, server, realm, lookup };
}

test('the server offers SHA-256 then MD5 with qop=auth; the client answers either and is accepted', () => {
  const { server, realm, lookup } = setup();
  const values = server.challenges(realm);
  assert.equal(values.length, 2);
  assert.match(values[0], /algorithm=SHA-256/);
  assert.match(values[1], /algorithm=MD5/);
  assert.match(values[0], /qop="auth"/);
  const strongest = chooseChallenge(values)!;
  assert.equal(strongest.algorithm, 'SHA-256');
  const answer = answerChallenge(strongest, { username: '5001', password: 'demo', method: 'REGISTER', uri: 'sip:127.0.0.1' });
  assert.deepEqual(server.verify(answer, 'REGISTER', lookup), { ok: true, username: '5001', algorithm: 'SHA-256' });
  const md5 = chooseChallenge([values[1]])!;
  // both challenges share one nonce, so the second answer needs the next nonce count
  const md5Answer = answerChallenge(md5, { username: '5001', password: 'demo', method: 'REGISTER', uri: 'sip:127.0.0.1', nc: 2 });
  assert.equal(server.verify(md5Answer, 'REGISTER', lookup).ok, true);
});

test('wrong password, wrong method, unknown user, wrong realm and forged nonces are refused with a reason', () => {
  const { server, realm, lookup } = setup();
  const challenge = chooseChallenge(server.challenges(realm))!;
  const wrong = answerChallenge(challenge, { username: '5001', password: 'nope', method: 'REGISTER', uri: 'sip:h' });
  assert.deepEqual(server.verify(wrong, 'REGISTER', lookup), { ok: false, reason: 'mismatch', username: '5001' });
  const good = answerChallenge(challenge, { username: '5001', password: 'demo', method: 'REGISTER', uri: 'sip:h' });
  assert.equal(server.verify(good, 'INVITE', lookup).ok, false, 'the method is part of the digest');
  const stranger = answerChallenge(challenge, { username: '9999', password: 'demo', method: 'REGISTER', uri: 'sip:h' });
  assert.equal((server.verify(stranger, 'REGISTER', lookup) as { reason: string }).reason, 'unknown-user');
  const otherRealm = answerChallenge({ ...challenge, realm: 'elsewhere' }, { username: '5001', password: 'demo', method: 'REGISTER', uri: 'sip:h' });
  assert.equal((server.verify(otherRealm, 'REGISTER', lookup) as { reason: string }).reason, 'wrong-realm');
  // the signature's last character changed to another (a fixed 'AA' was the nonce itself once in 4096 runs)
  const forgedNonce = challenge.nonce.slice(0, -1) + (challenge.nonce.endsWith('A') ? 'B' : 'A');
  assert.notEqual(forgedNonce, challenge.nonce);
  const forged = answerChallenge({ ...challenge, nonce: forgedNonce }, { username: '5001', password: 'demo', method: 'REGISTER', uri: 'sip:h' });
  assert.equal((server.verify(forged, 'REGISTER', lookup) as { reason: string }).reason, 'bad-nonce');
  for (const junk of ['', 'Basic abc', 'Digest', 'Digest username="5001", realm="x', 'Digest username=5001, username=5002']) {
    assert.equal((server.verify(junk, 'REGISTER', lookup) as { reason: string }).reason, 'malformed', junk);
  }
  const noQop = answerChallenge({ ...challenge, qop: undefined }, { username: '5001', password: 'demo', method: 'REGISTER', uri: 'sip:h' });
  assert.equal((server.verify(noQop, 'REGISTER', lookup) as { reason: string }).reason, 'unsupported');
});

test('an expired genuine nonce is stale; a challenge with stale=true can be asked for', () => {
  const { clock, server, realm, lookup } = setup(60_000);
  const challenge = chooseChallenge(server.challenges(realm))!;
  clock.advance(60_001);
  const late = answerChallenge(challenge, { username: '5001', password: 'demo', method: 'REGISTER', uri: 'sip:h' });
  assert.equal((server.verify(late, 'REGISTER', lookup) as { reason: string }).reason, 'stale');
  const wrongAndLate = answerChallenge(challenge, { username: '5001', password: 'x', method: 'REGISTER', uri: 'sip:h' });
  assert.equal((server.verify(wrongAndLate, 'REGISTER', lookup) as { reason: string }).reason, 'mismatch', 'stale only for a right password');
  assert.match(server.challenges(realm, true)[0], /stale=true/);
});

test('nonce count: the same count is a replay, a higher count on the same nonce is fine; the table stays bounded', () => {
  const { clock, server, realm, lookup } = setup();
  const challenge = chooseChallenge(server.challenges(realm))!;
  const credentials = { username: '5001', password: 'demo', method: 'REGISTER', uri: 'sip:h', cnonce: 'abc' };
  const first = answerChallenge(challenge, { ...credentials, nc: 1 });
  assert.equal(server.verify(first, 'REGISTER', lookup).ok, true);
  assert.equal((server.verify(first, 'REGISTER', lookup) as { reason: string }).reason, 'replay');
  assert.equal(server.verify(answerChallenge(challenge, { ...credentials, nc: 2 }), 'REGISTER', lookup).ok, true);
  for (let index = 0; index < 200; index++) {
    const fresh = chooseChallenge(server.challenges(realm))!;
    assert.equal(server.verify(answerChallenge(fresh, credentials), 'REGISTER', lookup).ok, true);
    clock.advance(10);
  }
  assert.ok(server.trackedNonces <= 51, `tracked ${server.trackedNonces}`);
});

test('auth-param parsing keeps commas and escaped quotes inside quoted values', () => {
  const parsed = parseAuthParams('Digest realm="a, \\"b\\"", nonce=xyz, qop="auth,auth-int"');
  assert.equal(parsed?.params.get('realm'), 'a, "b"');
  assert.equal(parsed?.params.get('nonce'), 'xyz');
  assert.equal(parsed?.params.get('qop'), 'auth,auth-int');
});
