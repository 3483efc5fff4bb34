/**
 * HTTP sessions kept in the store (issue 7, point 7): a server restarted on the same database file
 * still knows an old JSESSIONID (with its CSRF token); only a hash of the id is stored; the sliding
 * expiry is written at most once per write interval, not on every request; the expiry of a user's
 * last session is reported (the app ends the user's CometD sessions with it).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { createApp } from '../../src/app/app.js';
import { testConfig } from '../../src/config/load.js';
import { demoContactCenter } from '../../src/config/demo.js';
import { Sessions, sessionIdHash } from '../../src/gws/sessions.js';
import type { SessionStore, StoredSession } from '../../src/store/port.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { cheapHasher } from '../helpers/cheap-hasher.js';
import { basic } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-sessions-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

/** a SessionStore over a SqliteStore that counts the writes it is asked for */
function countingStore(inner: SqliteStore) {
  const writes: string[] = [];
  const store: SessionStore = {
    saveSession: (s) => (writes.push('save'), inner.saveSession(s)),
    touchSession: (h, at) => (writes.push('touch'), inner.touchSession(h, at)),
    deleteSession: (h) => (writes.push('delete'), inner.deleteSession(h)),
    deleteSessionsSeenBefore: (c) => inner.deleteSessionsSeenBefore(c),
    sessionsSeenSince: (s) => inner.sessionsSeenSince(s),
  };
  return { store, writes };
}

test('a restarted server on the same database file still accepts the old JSESSIONID, with the same CSRF token', async () => {
  const database = join(dir, 'restart.db');
  const config = testConfig({ contactCenters: [demoContactCenter()], database });
  const first = await createApp(config);
  let cookie: string;
  let csrf: string;
  try {
    const r = await first.fastify.inject({ method: 'GET', url: '/api/v2/me', headers: { authorization: basic('agent1') } });
    assert.equal(r.statusCode, 200);
    cookie = /JSESSIONID=[^;]+/.exec(String(r.headers['set-cookie']))![0];
    csrf = String(r.headers['x-csrf-token']);
  } finally {
    await first.close();
  }
  // only the hash of the id is on disk
  const db = new Database(database, { readonly: true });
  const rows = db.prepare('SELECT * FROM sessions').all() as { id_hash: string }[];
  db.close();
  const id = cookie.slice('JSESSIONID='.length);
  assert.deepEqual(rows.map((x) => x.id_hash), [sessionIdHash(id)]);
  assert.ok(!JSON.stringify(rows).includes(id), 'the session id itself is not stored');

  const second = await createApp(config);
  try {
    const r = await second.fastify.inject({ method: 'GET', url: '/api/v2/me', headers: { cookie } });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(JSON.parse(r.body).user.userName, 'agent1');
    assert.equal(r.headers['x-csrf-token'], csrf);
    assert.equal(r.headers['set-cookie'], undefined, 'the same session: no new cookie');
    const unknown = await second.fastify.inject({ method: 'GET', url: '/api/v2/me', headers: { cookie: 'JSESSIONID=0123456789ABCDEF0123456789ABCDEF' } });
    assert.equal(unknown.statusCode, 401);
  } finally {
    await second.close();
  }
});

test("a restart with a user's password changed ends that user's stored sessions, and only theirs", async () => {
  const database = join(dir, 'password-changed.db');
  const centerWith = (agent1Password: string) => {
    const center = demoContactCenter();
    return { ...center, users: center.users.map((u) => (u.userName === 'agent1' ? { ...u, password: agent1Password } : u)) };
  };
  const cookieOf = async (app: Awaited<ReturnType<typeof createApp>>, user: string, password = 'demo') => {
    const r = await app.fastify.inject({ method: 'GET', url: '/api/v2/me', headers: { authorization: basic(user, password) } });
    assert.equal(r.statusCode, 200, r.body);
    return /JSESSIONID=[^;]+/.exec(String(r.headers['set-cookie']))![0];
  };
  const me = (app: Awaited<ReturnType<typeof createApp>>, headers: Record<string, string>) => app.fastify.inject({ method: 'GET', url: '/api/v2/me', headers });

  const first = await createApp(testConfig({ contactCenters: [centerWith('demo')], database }), { passwordHasher: cheapHasher });
  let agent1: string;
  let agent2: string;
  try {
    agent1 = await cookieOf(first, 'agent1');
    agent2 = await cookieOf(first, 'agent2');
  } finally {
    await first.close();
  }
  // the same password again: both sessions survive the restart
  const same = await createApp(testConfig({ contactCenters: [centerWith('demo')], database }), { passwordHasher: cheapHasher });
  try {
    assert.equal((await me(same, { cookie: agent1 })).statusCode, 200);
    assert.equal((await me(same, { cookie: agent2 })).statusCode, 200);
  } finally {
    await same.close();
  }
  // agent1's password changed: the cookie got with the old one is refused, agent2's still works
  const changed = await createApp(testConfig({ contactCenters: [centerWith('new secret')], database }), { passwordHasher: cheapHasher });
  try {
    const old = await me(changed, { cookie: agent1 });
    assert.equal(old.statusCode, 401, old.body);
    assert.equal(JSON.parse(old.body).statusCode, 20);
    assert.equal((await me(changed, { authorization: basic('agent1', 'demo') })).statusCode, 401, 'the old password is refused');
    assert.equal((await me(changed, { authorization: basic('agent1', 'new secret') })).statusCode, 200, 'the new one works');
    const other = await me(changed, { cookie: agent2 });
    assert.equal(other.statusCode, 200, other.body);
    assert.equal(JSON.parse(other.body).user.userName, 'agent2');
  } finally {
    await changed.close();
  }
});

test('the sliding expiry is written at most once per write interval, not on every request', async () => {
  const c = clock();
  const inner = new SqliteStore(':memory:');
  const { store, writes } = countingStore(inner);
  const sessions = new Sessions(600_000, c.now, { store, writeIntervalMs: 60_000 });
  try {
    const s = sessions.create('u1');
    for (let i = 0; i < 100; i++) {
      c.advance(1000); // 100 requests, one a second
      assert.ok(sessions.get(s.id));
    }
    await sessions.close();
    assert.deepEqual(writes, ['save', 'touch'], 'one save, then one touch after 60 s (not 100 writes)');
    const [row] = await inner.sessionsSeenSince(0);
    assert.equal(row.lastSeen, 1_000_000 + 60_000);
  } finally {
    await sessions.close();
    await inner.close();
  }
});

test('restore: live sessions come back (found by their id), expired ones are dropped from the store', async () => {
  const c = clock();
  const inner = new SqliteStore(':memory:');
  try {
    const before = new Sessions(60_000, c.now, { store: inner, writeIntervalMs: 10_000 });
    const live = before.create('u1');
    const stale = before.create('u2');
    c.advance(30_000);
    before.get(live.id);
    await before.close();
    c.advance(40_000); // stale: 70 s unused; live: 40 s
    const after = new Sessions(60_000, c.now, { store: inner, writeIntervalMs: 10_000 });
    assert.equal(await after.restore(), 1);
    assert.equal(after.get(stale.id), undefined);
    const back = after.get(live.id);
    assert.equal(back?.userId, 'u1');
    assert.equal(back?.csrfToken, live.csrfToken);
    assert.deepEqual((await inner.sessionsSeenSince(0)).map((s: StoredSession) => s.userId), ['u1']);
    await after.close();
  } finally {
    await inner.close();
  }
});

test("the expiry of a user's last session is reported once (a logout ends the streams itself)", async () => {
  const c = clock();
  const ended: string[] = [];
  const sessions = new Sessions(1000, c.now, { onUserSessionsEnded: (userId) => ended.push(userId) });
  try {
    const a = sessions.create('u1');
    const b = sessions.create('u1');
    sessions.create('u2');
    sessions.invalidate(a.id);
    assert.deepEqual(ended, [], 'u1 still has a session');
    c.advance(500);
    sessions.get(b.id);
    c.advance(700);
    sessions.sweep();
    assert.deepEqual(ended, ['u2']);
    c.advance(1500);
    sessions.sweep();
    assert.deepEqual(ended, ['u2', 'u1']);
    const d = sessions.create('u3');
    sessions.invalidate(d.id);
    assert.deepEqual(ended, ['u2', 'u1'], 'an invalidation is not reported');
  } finally {
    await sessions.close();
  }
});
