/**
 * HTTP sessions across nodes (src/cluster/bus/session-relay.ts): two nodes' Sessions over one
 * shared store and the in-process transport. A session created on one node authenticates on the
 * other, its use there keeps it alive, and a logout on either ends it on both; the store is written
 * once per change. Changed passwords are told to the other nodes (test/cluster/e2e/password-change.test.ts
 * has the whole path).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Sessions, sessionIdHash } from '../../../src/gws/sessions.js';
import type { SessionStore, StoredSession } from '../../../src/store/port.js';
import { InProcessTransport } from '../../../src/cluster/bus/transport.js';
import { PASSWORD_NAMES_PER_MESSAGE, SessionRelay } from '../../../src/cluster/bus/session-relay.js';

/** a shared store that counts its writes */
function memoryStore() {
  const rows = new Map<string, StoredSession>();
  const writes: string[] = [];
  const store: SessionStore = {
    saveSession: async (s) => void (rows.set(s.idHash, { ...s }), writes.push('save')),
    touchSession: async (h, t) => {
      const r = rows.get(h);
      if (r && t > r.lastSeen) r.lastSeen = t;
      writes.push('touch');
    },
    deleteSession: async (h) => void (rows.delete(h), writes.push('delete')),
    deleteSessionsSeenBefore: async () => 0,
    sessionsSeenSince: async (since) => [...rows.values()].filter((r) => r.lastSeen >= since),
  };
  return { store, rows, writes };
}

/** lets the transport's microtask deliveries and the store writes run */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('session relay', () => {
  it('makes a session of one node valid on the other, alive while used there, and ended by a logout anywhere', async () => {
    let now = 1_000_000;
    const clock = () => now;
    const shared = memoryStore();
    const transport = new InProcessTransport();
    const make = (node: string) => {
      const relay = new SessionRelay(node, transport, (err) => assert.fail(String(err)));
      const sessions = new Sessions(60_000, clock, { store: relay.wrap(shared.store), writeIntervalMs: 10_000 });
      const passwords: string[][] = [];
      relay.listen({
        adopt: (stored) => sessions.adopt(stored),
        touched: (idHash, lastSeen) => sessions.touched(idHash, lastSeen),
        forget: (idHash) => sessions.forget(idHash),
        passwordsChanged: (userNames) => passwords.push([...userNames]),
      });
      return { relay, sessions, passwords };
    };
    const a = make('a');
    const b = make('b');
    try {
      const s = a.sessions.create('user1');
      await settle();
      assert.equal(b.sessions.get(s.id)?.userId, 'user1', 'node b knows the session node a created');
      assert.equal(b.sessions.get(s.id)?.csrfToken, s.csrfToken);
      assert.deepEqual(shared.writes, ['save'], 'one store write for the creation');

      // used on b only: b's touch reaches a, so a does not expire it
      now += 50_000;
      b.sessions.get(s.id);
      await settle();
      now += 50_000;
      assert.ok(a.sessions.get(s.id), 'still alive on a after 100 s, used on b 50 s ago');

      a.sessions.invalidate(s.id);
      await settle();
      assert.equal(b.sessions.get(s.id), undefined, 'the logout on a ended it on b');
      assert.equal(shared.rows.has(sessionIdHash(s.id)), false);
      assert.equal(shared.writes.filter((w) => w === 'delete').length, 1);

      // a node that started with changed passwords tells the others, not itself
      a.relay.passwordsChanged(['agent1', 'agent2']);
      a.relay.passwordsChanged([]);
      await settle();
      assert.deepEqual(b.passwords, [['agent1', 'agent2']], 'node b hears of the changed passwords once');
      assert.deepEqual(a.passwords, [], 'node a does not hear its own message');
      // many names go in several messages, each well below NATS's largest payload
      const many = Array.from({ length: 2 * PASSWORD_NAMES_PER_MESSAGE + 5 }, (_, i) => `user${i}`);
      a.relay.passwordsChanged(many);
      await settle();
      assert.deepEqual(b.passwords.slice(1).map((names) => names.length), [PASSWORD_NAMES_PER_MESSAGE, PASSWORD_NAMES_PER_MESSAGE, 5]);
      assert.deepEqual(b.passwords.slice(1).flat(), many, 'every name, in order');

      // a user's sessions forgotten because their password changed elsewhere are deleted from the store once more
      const late = b.sessions.create('user9');
      await settle();
      const ended: string[] = [];
      const withListener = new Sessions(60_000, clock, { store: shared.store, onUserSessionsEnded: (userId) => ended.push(userId) });
      await withListener.restore();
      withListener.forgetUser('user9');
      withListener.forgetUser('nobody-here');
      await withListener.close();
      assert.equal(shared.rows.has(sessionIdHash(late.id)), false, 'the late session is gone from the store');
      assert.deepEqual(ended, ['user9', 'nobody-here'], 'the CometD sessions end even for a user with no HTTP session here');
    } finally {
      a.relay.close();
      b.relay.close();
      await a.sessions.close();
      await b.sessions.close();
    }
  });

  it('reconcile after a reconnect: adopts what was made elsewhere, ends what ended elsewhere, keeps what is being made here', async () => {
    let now = 1_000_000;
    const shared = memoryStore();
    const ended: string[] = [];
    // a node cut off from the others: no relay, only the shared store
    const sessions = new Sessions(60_000, () => now, { store: shared.store, writeIntervalMs: 10_000, onUserSessionsEnded: (userId) => ended.push(userId) });
    const kept = sessions.create('user1');
    const gone = sessions.create('user2');
    const alsoGone = sessions.create('user3');
    const user3Stays = sessions.create('user3');
    await settle();
    // meanwhile, elsewhere: user2's and one of user3's sessions ended, user4 logged in
    shared.rows.delete(sessionIdHash(gone.id));
    shared.rows.delete(sessionIdHash(alsoGone.id));
    const made: StoredSession = { idHash: sessionIdHash('ELSEWHERE'), userId: 'user4', csrfToken: 't', createdAt: now, lastSeen: now };
    shared.rows.set(made.idHash, made);
    now += 1000;
    // a session made here while the store is read is not ended by that read
    const reading = sessions.reconcile();
    const during = sessions.create('user5');
    assert.deepEqual(await reading, { adopted: 1, ended: 2 });
    assert.equal(sessions.get(kept.id)?.userId, 'user1');
    assert.equal(sessions.get(gone.id), undefined, 'ended elsewhere: ended here');
    assert.equal(sessions.get(alsoGone.id), undefined);
    assert.equal(sessions.get(user3Stays.id)?.userId, 'user3');
    assert.equal(sessions.get('ELSEWHERE')?.userId, 'user4', 'made elsewhere: known here');
    assert.equal(sessions.get(during.id)?.userId, 'user5');
    assert.deepEqual(ended, ['user2'], 'only a user left with no session loses their CometD sessions');
    await sessions.close();
  });

  it('reconcile does not bring back a session that ended while the store was read', async () => {
    const shared = memoryStore();
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const slow: SessionStore = { ...shared.store, sessionsSeenSince: async (since) => (await held, shared.store.sessionsSeenSince(since)) };
    const sessions = new Sessions(60_000, () => 1_000_000, { store: slow, writeIntervalMs: 10_000 });
    const loggedOut = sessions.create('user1');
    const forgotten = sessions.create('user2');
    await settle();
    const reading = sessions.reconcile();
    await settle();
    // while the read is under way: a logout here, and another node's logout told by the relay
    sessions.invalidate(loggedOut.id);
    sessions.forget(sessionIdHash(forgotten.id));
    // the read answers with the rows as they were before (its snapshot of the table)
    const rowsBefore = [...shared.rows.values()].map((r) => ({ ...r }));
    shared.rows.clear();
    for (const r of rowsBefore) shared.rows.set(r.idHash, r);
    shared.rows.set(sessionIdHash(loggedOut.id), { idHash: sessionIdHash(loggedOut.id), userId: 'user1', csrfToken: loggedOut.csrfToken, createdAt: 1_000_000, lastSeen: 1_000_000 });
    shared.rows.set(sessionIdHash(forgotten.id), { idHash: sessionIdHash(forgotten.id), userId: 'user2', csrfToken: forgotten.csrfToken, createdAt: 1_000_000, lastSeen: 1_000_000 });
    release();
    await reading;
    assert.equal(sessions.get(loggedOut.id), undefined, 'the logged-out session stays ended');
    assert.equal(sessions.get(forgotten.id), undefined, 'the session ended elsewhere stays ended');
    await sessions.close();
  });
});
