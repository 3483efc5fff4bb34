/**
 * Authentication hardening (issue 7, point 5), on an injected clock and an injected hasher:
 * back-off per user name and per source address (a right password is refused during it, with a
 * Retry-After), equal cost for unknown users, the credential cache keyed on the decoded pair (padding
 * variants share one entry) and evicting least-recently-used entries, and the verification queue
 * admitting a real user ahead of a flood (asserted by order of admission, never by durations).
 * Then the same through HTTP: statusCode 20 + Retry-After on REST, and a refused CometD handshake.
 * Last, a password changed on another cluster node: cached credentials and sessions dropped, and a
 * verification under way at that moment not cached.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Auth, RetryLaterError, type AuthPolicy } from '../../src/gws/auth.js';
import { Directory } from '../../src/gws/directory.js';
import { Sessions } from '../../src/gws/sessions.js';
import type { ContactCenterSnapshot, UserRecord } from '../../src/store/port.js';
import { Api, basic, expectError } from './harness.js';

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

function user(id: string, userName: string, enabled = true): UserRecord {
  return { id, contactCenterId: 'cc', userName, passwordHash: `H-${userName}`, firstName: '', lastName: '', emailAddress: '', roles: [], enabled };
}

function directoryWith(...users: UserRecord[]): Directory {
  const d = new Directory();
  const snap: ContactCenterSnapshot = {
    contactCenter: { id: 'cc', name: 'cc', features: [], settings: {} as never },
    users,
    devices: [],
    places: [],
    agentGroups: [],
    agentStates: [],
  };
  d.load(snap);
  return d;
}

/** a hasher that accepts `pw-<userName>` for hash `H-<userName>`, records every call, and can be held */
function fakeHasher() {
  const calls: { plain: string; hash: string }[] = [];
  const held: (() => void)[] = [];
  let holding = false;
  const verify = async (plain: string, hash: string): Promise<boolean> => {
    calls.push({ plain, hash });
    if (holding) await new Promise<void>((r) => held.push(r));
    return hash.startsWith('H-') && plain === `pw-${hash.slice(2)}`;
  };
  return {
    calls,
    verify,
    hold: () => (holding = true),
    /** stop holding verifications (those held wait for releaseOne) */
    release: () => (holding = false),
    /** let the oldest held verification finish */
    releaseOne: () => held.shift()?.(),
    get heldCount() {
      return held.length;
    },
  };
}

const header = (name: string, password: string) => 'Basic ' + Buffer.from(`${name}:${password}`).toString('base64');

function setup(policy: Partial<AuthPolicy> = {}, ...users: UserRecord[]) {
  const c = clock();
  const hasher = fakeHasher();
  const sessions = new Sessions(60_000, c.now);
  const auth = new Auth(directoryWith(...(users.length ? users : [user('u1', 'ann'), user('u2', 'bob')])), sessions, hasher.verify, {
    policy,
    now: c.now,
    dummyHash: 'DUMMY',
  });
  return { c, hasher, sessions, auth };
}

async function refusal(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  assert.fail('expected a refusal');
}

/** a tick of the event loop, so admitted work reaches the hasher */
const settle = () => new Promise<void>((r) => setImmediate(r));

describe('back-off', () => {
  test('after 5 wrong passwords for a user, even the right one is refused with a Retry-After; the delay doubles, then ends', async () => {
    const { c, auth, sessions } = setup();
    try {
      for (let i = 0; i < 5; i++) await refusal(auth.authenticate({ authorization: header('ann', `wrong-${i}`) }, '10.0.0.1'));
      const refused = await refusal(auth.authenticate({ authorization: header('ann', 'pw-ann') }, '10.0.0.1'));
      assert.ok(refused instanceof RetryLaterError, `expected a back-off, got ${refused.message}`);
      assert.equal(refused.retryAfterSec, 1);
      // from another address too: the back-off is per user name
      assert.ok((await refusal(auth.authenticate({ authorization: header('ANN', 'pw-ann') }, '10.0.0.2'))) instanceof RetryLaterError);
      c.advance(1000);
      await refusal(auth.authenticate({ authorization: header('ann', 'wrong-5') }, '10.0.0.1'));
      assert.equal((await refusal(auth.authenticate({ authorization: header('ann', 'pw-ann') }, '10.0.0.1')) as RetryLaterError).retryAfterSec, 2);
      c.advance(2000);
      assert.equal((await auth.authenticate({ authorization: header('ann', 'pw-ann') }, '10.0.0.1')).user.id, 'u1');
      // a success clears the count: one new failure does not back off again
      await refusal(auth.authenticate({ authorization: header('ann', 'wrong-6') }, '10.0.0.1'));
      assert.equal(auth.retryAfterSec('ann', '10.0.0.1'), 0);
    } finally {
      sessions.close();
    }
  });

  test('refused attempts do not lengthen the back-off, and it is capped', async () => {
    const { c, auth, sessions, hasher } = setup({ userBackoff: { failuresBeforeBackoff: 2, windowMs: 60_000, baseDelayMs: 1000, maxDelayMs: 4000, maxTracked: 100 } });
    try {
      for (let i = 0; i < 2; i++) await refusal(auth.authenticate({ authorization: header('ann', `w${i}`) }, 's'));
      const verified = hasher.calls.length;
      for (let i = 0; i < 50; i++) await refusal(auth.authenticate({ authorization: header('ann', `flood${i}`) }, `s${i}`));
      assert.equal(hasher.calls.length, verified, 'attempts during a back-off cost no verification');
      assert.equal(auth.retryAfterSec('ann'), 1);
      for (let i = 0; i < 6; i++) {
        c.advance(5000);
        await refusal(auth.authenticate({ authorization: header('ann', `late${i}`) }, 's'));
      }
      assert.equal(auth.retryAfterSec('ann'), 4, 'capped at maxDelayMs');
    } finally {
      sessions.close();
    }
  });

  test('per source address: 20 failures over many user names refuse that address, not others', async () => {
    const { auth, sessions } = setup();
    try {
      for (let i = 0; i < 20; i++) await refusal(auth.authenticate({ authorization: header(`nobody${i}`, 'x') }, '10.9.9.9'));
      assert.ok((await refusal(auth.authenticate({ authorization: header('bob', 'pw-bob') }, '10.9.9.9'))) instanceof RetryLaterError);
      assert.equal((await auth.authenticate({ authorization: header('bob', 'pw-bob') }, '10.1.1.1')).user.id, 'u2');
    } finally {
      sessions.close();
    }
  });

  test('credentials already verified keep working during a back-off of their user (a flood does not log the user out)', async () => {
    const { auth, sessions } = setup();
    try {
      const good = header('ann', 'pw-ann');
      await auth.authenticate({ authorization: good }, 'desk');
      for (let i = 0; i < 5; i++) await refusal(auth.authenticate({ authorization: header('ann', `w${i}`) }, 'attacker'));
      assert.ok(auth.retryAfterSec('ann') > 0);
      assert.equal((await auth.authenticate({ authorization: good }, 'desk')).user.id, 'u1');
    } finally {
      sessions.close();
    }
  });
});

describe('equal cost and the credential cache', () => {
  test('an unknown or disabled user costs one verification, against the dummy hash', async () => {
    const { auth, sessions, hasher } = setup({}, user('u1', 'ann'), user('u3', 'off', false));
    try {
      await refusal(auth.authenticate({ authorization: header('nobody', 'pw-nobody') }, 's'));
      await refusal(auth.authenticate({ authorization: header('off', 'pw-off') }, 's'));
      await refusal(auth.authenticate({ authorization: header('ann', 'wrong') }, 's'));
      assert.deepEqual(hasher.calls.map((x) => x.hash), ['DUMMY', 'DUMMY', 'H-ann']);
    } finally {
      sessions.close();
    }
  });

  test('padding and user-name case variants of one credential share one cache entry', async () => {
    const { auth, sessions, hasher } = setup();
    try {
      const encoded = Buffer.from('ann:pw-ann').toString('base64'); // ends with "="
      assert.match(encoded, /=$/);
      const variants = [encoded, encoded.replace(/=+$/, ''), 'Basic ' + Buffer.from('ANN:pw-ann').toString('base64')];
      await auth.authenticate({ authorization: `Basic ${variants[0]}` }, 's');
      await auth.authenticate({ authorization: `Basic ${variants[1]}` }, 's');
      await auth.authenticate({ authorization: variants[2] }, 's');
      assert.equal(hasher.calls.length, 1);
    } finally {
      sessions.close();
    }
  });

  test('a full cache forgets the least recently used credential, not all of them', async () => {
    const { auth, sessions, hasher } = setup({ cacheSize: 2 }, user('u1', 'ann'), user('u2', 'bob'), user('u3', 'cat'));
    try {
      const [a, b, c] = [header('ann', 'pw-ann'), header('bob', 'pw-bob'), header('cat', 'pw-cat')];
      await auth.authenticate({ authorization: a }, 's');
      await auth.authenticate({ authorization: b }, 's');
      await auth.authenticate({ authorization: a }, 's'); // ann used last
      await auth.authenticate({ authorization: c }, 's'); // evicts bob only
      assert.equal(hasher.calls.length, 3);
      await auth.authenticate({ authorization: a }, 's');
      await auth.authenticate({ authorization: c }, 's');
      assert.equal(hasher.calls.length, 3, 'ann and cat still cached');
      await auth.authenticate({ authorization: b }, 's');
      assert.equal(hasher.calls.length, 4, 'bob verified again');
    } finally {
      sessions.close();
    }
  });
});

describe('the verification queue', () => {
  const queued = { concurrency: 1, maxPerSource: 8, maxQueued: 100 };

  test("a real user's first login is admitted after at most one verification of a flooding source", async () => {
    const { auth, sessions, hasher } = setup({ queue: queued, sourceBackoff: { failuresBeforeBackoff: 1000, windowMs: 60_000, baseDelayMs: 1000, maxDelayMs: 1000, maxTracked: 100 } });
    try {
      hasher.hold();
      const flood = Array.from({ length: 8 }, (_, i) => auth.authenticate({ authorization: header(`x${i}`, 'guess') }, 'flooder').catch((e: Error) => e));
      await settle();
      const real = auth.authenticate({ authorization: header('bob', 'pw-bob') }, 'office');
      for (let i = 0; i < 2; i++) {
        for (let turn = 0; turn < 100 && hasher.heldCount === 0; turn++) await settle();
      assert.equal(hasher.heldCount, 1, 'the verification is under way');
        hasher.releaseOne();
        await settle();
      }
      assert.deepEqual(hasher.calls.slice(0, 2).map((x) => x.plain), ['guess', 'pw-bob'], 'bob is the second verification, not the ninth');
      assert.equal((await real).user.id, 'u2');
      while (hasher.calls.length < 8 || hasher.heldCount > 0) {
        hasher.releaseOne();
        await settle();
      }
      await Promise.all(flood);
    } finally {
      sessions.close();
    }
  });

  test('a user name already verified from a source goes ahead of other sources (trusted lane)', async () => {
    const { c, auth, sessions, hasher } = setup({ queue: queued, cacheTtlMs: 1000 });
    try {
      await auth.authenticate({ authorization: header('ann', 'pw-ann') }, 'desk');
      c.advance(2000); // cache entry expired: ann must be verified again
      hasher.calls.length = 0;
      hasher.hold();
      const others = ['s1', 's2', 's3', 's4'].map((s) => auth.authenticate({ authorization: header(`n-${s}`, 'guess') }, s).catch((e: Error) => e));
      await settle();
      const ann = auth.authenticate({ authorization: header('ann', 'pw-ann') }, 'desk');
      await settle();
      while (hasher.calls.length < 5) {
        for (let turn = 0; turn < 100 && hasher.heldCount === 0; turn++) await settle();
      assert.equal(hasher.heldCount, 1, 'the verification is under way');
        hasher.releaseOne();
        await settle();
      }
      hasher.releaseOne();
      assert.deepEqual(hasher.calls.map((x) => x.plain.startsWith('pw-')), [false, true, false, false, false], 'ann second: after the running one, before s2..s4');
      assert.equal((await ann).user.id, 'u1');
      await Promise.all(others);
    } finally {
      sessions.close();
    }
  });

  test('a source over its share is refused at once (nothing hashed) with a Retry-After', async () => {
    const { auth, sessions, hasher } = setup({ queue: { concurrency: 1, maxPerSource: 2, maxQueued: 100 } });
    try {
      hasher.hold();
      const first = [0, 1].map((i) => auth.authenticate({ authorization: header(`x${i}`, 'g') }, 'busy').catch((e: Error) => e));
      const third = await refusal(auth.authenticate({ authorization: header('x2', 'g') }, 'busy'));
      assert.ok(third instanceof RetryLaterError);
      assert.match(third.message, /address/);
      await settle();
      while (hasher.heldCount > 0 || hasher.calls.length < 2) {
        hasher.releaseOne();
        await settle();
      }
      await Promise.all(first);
      assert.equal(hasher.calls.length, 2);
    } finally {
      sessions.close();
    }
  });
});

describe('through HTTP', () => {
  test('REST: statusCode 20 with Retry-After during a back-off, even for the right password; CometD handshakes refused likewise', async () => {
    const api = await Api.start();
    try {
      const from = { remoteAddress: '192.0.2.7' };
      const inject = (authorization: string, url = '/api/v2/me', payload?: string) =>
        api.app.fastify.inject({ method: payload ? 'POST' : 'GET', url, headers: { authorization, ...(payload ? { 'content-type': 'application/json' } : {}) }, payload, ...from });
      for (let i = 0; i < 5; i++) assert.equal((await inject(basic('agent1', `wrong-${i}`))).statusCode, 401);
      const r = await inject(basic('agent1'));
      assert.equal(r.statusCode, 401);
      assert.equal(JSON.parse(r.body).statusCode, 20);
      assert.match(JSON.parse(r.body).statusMessage, /try again in 1 s/);
      assert.equal(r.headers['retry-after'], '1');
      const handshake = JSON.stringify([{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] }]);
      const h = await inject(basic('agent1'), '/api/v2/notifications/handshake', handshake);
      assert.equal(h.headers['retry-after'], '1');
      assert.equal(JSON.parse(h.body)[0].successful, false);
      // another user is not affected
      const other = await api.get('/api/v2/me', basic('agent2'));
      assert.equal(other.json.statusCode, 0);
      expectError(await api.get('/api/v2/me', basic('agent1', 'nope-again')), 20, 401);
    } finally {
      await api.close();
    }
  });
});

describe('a password changed on another cluster node (Auth.passwordChanged)', () => {
  test('the old password and its cached credentials and sessions stop working here; the new one works', async () => {
    const { auth, sessions } = setup();
    try {
      const before = await auth.authenticate({ authorization: header('ann', 'pw-ann') }, 'desk');
      assert.ok(auth.authenticateNow({ authorization: header('ann', 'pw-ann') }), 'cached: answered without a verification');
      const bob = await auth.authenticate({ authorization: header('bob', 'pw-bob') }, 'desk');
      auth.passwordChanged({ id: 'u1', passwordHash: 'H-ann2' });
      assert.equal(auth.authenticateNow({ authorization: header('ann', 'pw-ann') }), undefined, 'the cached credentials are gone');
      assert.equal(sessions.get(before.session.id), undefined, "ann's session ended");
      assert.ok(sessions.get(bob.session.id), "bob's session is untouched");
      await refusal(auth.authenticate({ authorization: header('ann', 'pw-ann') }, 'desk'));
      assert.equal((await auth.authenticate({ authorization: header('ann', 'pw-ann2') }, 'desk')).user.id, 'u1', 'the new password works');
    } finally {
      sessions.close();
    }
  });

  test('the new password tried here before the change arrived works as soon as it arrives (its refusal is not remembered)', async () => {
    const { auth, sessions } = setup();
    try {
      await refusal(auth.authenticate({ authorization: header('ann', 'pw-ann2') }, 'desk'));
      await refusal(auth.authenticate({ authorization: header('ann', 'pw-ann2') }, 'desk'));
      auth.passwordChanged({ id: 'u1', passwordHash: 'H-ann2' });
      assert.equal((await auth.authenticate({ authorization: header('ann', 'pw-ann2') }, 'desk')).user.id, 'u1', 'accepted at once, not after the negative cache');
    } finally {
      sessions.close();
    }
  });

  test('the new password checked against the old hash while the change arrives: refused once, then accepted (not remembered)', async () => {
    const { auth, sessions, hasher } = setup();
    try {
      hasher.hold();
      const pending = refusal(auth.authenticate({ authorization: header('ann', 'pw-ann2') }, 'desk'));
      for (let turn = 0; turn < 100 && hasher.heldCount === 0; turn++) await settle();
      assert.equal(hasher.heldCount, 1, 'the verification against the old hash is under way');
      auth.passwordChanged({ id: 'u1', passwordHash: 'H-ann2' });
      hasher.releaseOne();
      await pending;
      hasher.release();
      assert.equal((await auth.authenticate({ authorization: header('ann', 'pw-ann2') }, 'desk')).user.id, 'u1', 'the next attempt checks the new hash');
    } finally {
      sessions.close();
    }
  });

  test('a verification under way when the password changes is not cached: the password it checked is no longer the user\'s', async () => {
    const { auth, sessions, hasher } = setup();
    try {
      hasher.hold();
      const pending = refusal(auth.authenticate({ authorization: header('ann', 'pw-ann') }, 'desk'));
      for (let turn = 0; turn < 100 && hasher.heldCount === 0; turn++) await settle();
      assert.equal(hasher.heldCount, 1, 'the verification is under way');
      auth.passwordChanged({ id: 'u1', passwordHash: 'H-ann2' });
      hasher.releaseOne();
      await pending;
      assert.equal(auth.authenticateNow({ authorization: header('ann', 'pw-ann') }), undefined, 'not cached');
      assert.equal(sessions.size(), 0, 'no session was made for it');
    } finally {
      sessions.close();
    }
  });
});
