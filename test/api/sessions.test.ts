/**
 * Sessions and the credential cache on an injected clock: idle expiry, reuse of a user's latest
 * session, cookies from a shared jar, the sliding TTL of verified Basic credentials, and the
 * synchronous CometD hook.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { Auth } from '../../src/gws/auth.js';
import { Directory } from '../../src/gws/directory.js';
import { Sessions, cookieValues } from '../../src/gws/sessions.js';
import type { ContactCenterSnapshot, UserRecord } from '../../src/store/port.js';

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

test('a session expires after the idle TTL; each use extends it', () => {
  const c = clock();
  const s = new Sessions(60_000, c.now);
  try {
    const a = s.create('u1');
    c.advance(50_000);
    assert.ok(s.get(a.id));
    c.advance(50_000);
    assert.ok(s.get(a.id), 'used 50 s ago: still alive');
    c.advance(60_001);
    assert.equal(s.get(a.id), undefined);
    assert.equal(s.size(), 0);
  } finally {
    s.close();
  }
});

test("forUser reuses the user's latest live session, else makes one", () => {
  const c = clock();
  const s = new Sessions(1000, c.now);
  try {
    const a = s.forUser('u1');
    assert.equal(s.forUser('u1').id, a.id);
    assert.notEqual(s.forUser('u2').id, a.id);
    s.invalidate(a.id);
    assert.notEqual(s.forUser('u1').id, a.id);
    c.advance(2000);
    s.sweep();
    assert.equal(s.size(), 0);
  } finally {
    s.close();
  }
});

test('cookieValues: every value of a name, quotes removed, other cookies ignored', () => {
  assert.deepEqual(cookieValues('a=1; JSESSIONID=X; b=2; JSESSIONID="Y"', 'JSESSIONID'), ['X', 'Y']);
  assert.deepEqual(cookieValues(undefined, 'JSESSIONID'), []);
  assert.deepEqual(cookieValues('garbage;;=;', 'JSESSIONID'), []);
});

function directoryWith(user: UserRecord): Directory {
  const d = new Directory();
  const snap: ContactCenterSnapshot = {
    contactCenter: { id: 'cc', name: 'cc', features: [], settings: {} as never },
    users: [user],
    devices: [],
    places: [],
    agentGroups: [],
    agentStates: [],
  };
  d.load(snap);
  return d;
}

test('verified Basic credentials are cached with a sliding TTL; the CometD hook reads only the cache', async () => {
  const c = clock();
  const user: UserRecord = {
    id: 'u1', contactCenterId: 'cc', userName: 'ann', passwordHash: 'H', firstName: '', lastName: '', emailAddress: '', roles: [], enabled: true,
  };
  let verifications = 0;
  const sessions = new Sessions(60_000, c.now);
  const auth = new Auth(directoryWith(user), sessions, async (plain, hash) => {
    verifications++;
    return plain === 'pw' && hash === 'H';
  }, { policy: { cacheTtlMs: 10_000 }, now: c.now });
  try {
    const header = 'Basic ' + Buffer.from('ann:pw').toString('base64');
    const req = { headers: { authorization: header } } as unknown as IncomingMessage;
    assert.equal(auth.authenticateSync(req), null, 'not verified yet');
    await auth.prepare(header);
    assert.equal(auth.authenticateSync(req), 'u1');
    const n = verifications;
    for (let i = 0; i < 5; i++) {
      c.advance(9_000);
      assert.equal((await auth.authenticate({ authorization: header })).user.id, 'u1');
    }
    assert.equal(verifications, n, 'each use slides the TTL: no new verification');
    c.advance(10_001);
    assert.equal(auth.authenticateSync(req), null, 'expired after 10 s unused');
    assert.equal(auth.prepare('Basic ' + Buffer.from('ann:wrong').toString('base64')) instanceof Promise, true);
    const bad = { headers: { authorization: 'Basic ' + Buffer.from('ann:wrong').toString('base64') } } as unknown as IncomingMessage;
    await auth.prepare(bad.headers.authorization);
    assert.equal(auth.authenticateSync(bad), null, 'bad credentials are never cached');
  } finally {
    sessions.close();
  }
});

test('a burst of first requests with the same Basic credentials costs one verification', async () => {
  const c = clock();
  const user: UserRecord = {
    id: 'u1', contactCenterId: 'cc', userName: 'ann', passwordHash: 'H', firstName: '', lastName: '', emailAddress: '', roles: [], enabled: true,
  };
  let verifications = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const sessions = new Sessions(60_000, c.now);
  const auth = new Auth(directoryWith(user), sessions, async (plain, hash) => {
    verifications++;
    await gate;
    return plain === 'pw' && hash === 'H';
  }, { policy: { cacheTtlMs: 10_000 }, now: c.now });
  try {
    const header = 'Basic ' + Buffer.from('ann:pw').toString('base64');
    const all = Promise.all(Array.from({ length: 16 }, () => auth.authenticate({ authorization: header })));
    release();
    const results = await all;
    assert.ok(results.every((r) => r.user.id === 'u1'));
    assert.equal(verifications, 1);
    // bad credentials are shared while running, then refused from the negative cache for a few
    // seconds (no new scrypt), then forgotten: a later attempt verifies again
    const bad = 'Basic ' + Buffer.from('ann:no').toString('base64');
    const tries = await Promise.allSettled([auth.authenticate({ authorization: bad }), auth.authenticate({ authorization: bad })]);
    assert.ok(tries.every((t) => t.status === 'rejected'));
    assert.equal(verifications, 2);
    await assert.rejects(auth.authenticate({ authorization: bad }));
    assert.equal(verifications, 2, 'the same wrong credentials again at once: refused without a verification');
    c.advance(5_001);
    await assert.rejects(auth.authenticate({ authorization: bad }));
    assert.equal(verifications, 3);
  } finally {
    sessions.close();
  }
});

test("a websocket's /meta/connect (the keepAlive hook) keeps the HTTP sessions of its upgrade alive, never creating one for a cookie", async () => {
  const c = clock();
  const user: UserRecord = {
    id: 'u1', contactCenterId: 'cc', userName: 'ann', passwordHash: 'H', firstName: '', lastName: '', emailAddress: '', roles: [], enabled: true,
  };
  const sessions = new Sessions(60_000, c.now);
  const auth = new Auth(directoryWith(user), sessions, async (plain, hash) => plain === 'pw' && hash === 'H', { policy: { cacheTtlMs: 600_000 }, now: c.now });
  try {
    const session = sessions.create('u1');
    const cookieHeaders = { cookie: `JSESSIONID=${session.id}` };
    for (let i = 0; i < 5; i++) {
      c.advance(50_000);
      auth.keepAlive(cookieHeaders);
    }
    assert.ok(sessions.get(session.id), 'alive after 250 s of connects only (TTL 60 s)');
    c.advance(60_001);
    assert.equal(sessions.get(session.id), undefined, 'gone once the connects stop');
    auth.keepAlive(cookieHeaders);
    assert.equal(sessions.size(), 0, 'an expired cookie is not brought back');

    const header = 'Basic ' + Buffer.from('ann:pw').toString('base64');
    await auth.prepare(header);
    const latest = sessions.forUser('u1');
    for (let i = 0; i < 3; i++) {
      c.advance(50_000);
      auth.keepAlive({ authorization: header });
    }
    assert.equal(sessions.forUser('u1').id, latest.id, "with Basic, the user's latest session is kept");
  } finally {
    sessions.close();
  }
});
