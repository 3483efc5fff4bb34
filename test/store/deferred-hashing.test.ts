/**
 * A large first provisioning does not wait for scrypt (issue 12 point 4): above deferHashingAbove
 * passwords to hash (and, in production, more than DEFER_HASHING_OVER_MS of hashing), applyContactCenter stores pending credentials and returns; they verify at once
 * (the right password is hashed then, one scrypt; a wrong one costs one scrypt against an
 * unmatchable hash); the backfill replaces every pending credential by its scrypt hash, never the
 * one of a password changed meanwhile; a restart before the backfill ended re-queues them without
 * scrypt; a deferred start under another fingerprint key takes every password as changed (the
 * users' stored sessions end). Through the app: a user of a deferred first start logs in at once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createApp } from '../../src/app/app.js';
import { testConfig } from '../../src/config/load.js';
import { FingerprintKey } from '../../src/provisioning/fingerprint.js';
import { verifyPassword, type PasswordHasher } from '../../src/store/password.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { cheapHasher } from '../helpers/cheap-hasher.js';
import { agentsSpec as spec, countingHasher } from './fixtures.js';

describe('deferred hashing', () => {
  it('pending credentials at apply, verified at once, replaced by scrypt hashes in the background', async () => {
    const { hasher, calls, hold, passOne, release } = countingHasher();
    const store = new SqliteStore(':memory:', hasher, { deferHashingAbove: 5, fingerprintKey: FingerprintKey.ephemeral() });
    hold(); // the backfill's first hashes wait, so the pending credentials are still there below
    await store.applyContactCenter(spec(20));
    assert.equal(store.lastProvisioningStats.deferred, 20);
    assert.equal(store.lastProvisioningStats.hashed, 0);
    const pending = (await store.userByName('u3'))!.passwordHash;
    assert.match(pending, /^pending\$/);
    assert.ok(!pending.includes('pw-3'));
    assert.equal(await verifyPassword('pw-3', pending), false, 'never an scrypt hash');
    const before = calls.verify;
    assert.equal(await store.verifyPassword('wrong', pending), false);
    assert.equal(calls.verify, before + 1, 'a wrong password costs one scrypt (unmatchable)');
    passOne();
    assert.equal(await store.verifyPassword('pw-3', pending), true, 'the right one is hashed now, and verifies');
    assert.match((await store.userByName('u3'))!.passwordHash, /^scrypt\$/, 'and its hash is stored at once');
    release();
    await store.hashBackfill!.idle();
    const snapshot = (await store.snapshot((await store.listContactCenters())[0].id))!;
    for (const [i, u] of snapshot.users.entries()) {
      assert.match(u.passwordHash, /^scrypt\$/, `${u.userName} hashed`);
      assert.equal(await verifyPassword(`pw-${i}`, u.passwordHash), true);
    }
    // a restart now: every fingerprint matches, nothing hashed or verified
    const counted = { ...calls };
    await store.applyContactCenter(spec(20));
    assert.deepEqual(calls, counted);
    assert.equal(store.lastProvisioningStats.fingerprintMatches, 20);
    await store.close();
  });

  it('a cheap hasher does not defer when a time budget is set (hashing now is faster than deferring)', async () => {
    const store = new SqliteStore(':memory:', cheapHasher, { deferHashingAbove: 5, deferHashingOverMs: 2000 });
    await store.applyContactCenter(spec(100));
    assert.deepEqual({ ...store.lastProvisioningStats }, { users: 100, fingerprintMatches: 0, verified: 0, hashed: 100, deferred: 0 });
    await store.close();
  });

  it('a pending credential replaced meanwhile is not overwritten; a restart re-queues pending ones without scrypt', async () => {
    const { hasher, calls } = countingHasher();
    const key = FingerprintKey.ephemeral();
    const store = new SqliteStore(':memory:', hasher, { deferHashingAbove: 5, fingerprintKey: key });
    await store.hashBackfill!.close(); // no background hashing in this test: the queue is checked by hand
    await store.applyContactCenter(spec(10));
    const old = (await store.userByName('u1'))!.passwordHash;
    const counted = { ...calls };
    await store.applyContactCenter(spec(10));
    assert.deepEqual(calls, counted, 'still pending: known by the pending fingerprint, no scrypt');
    assert.equal((await store.userByName('u1'))!.passwordHash, old);
    assert.equal(store.lastProvisioningStats.deferred, 10);

    await store.applyContactCenter(spec(10, (i) => (i === 1 ? 'changed' : `pw-${i}`)));
    const changed = (await store.userByName('u1'))!.passwordHash;
    assert.notEqual(changed, old);
    // the old password's hash arriving late must not replace the new credential
    const lateHash = await hasher.hash('pw-1');
    const provisioning = (store as unknown as { provisioning: { completePendingHash(p: string, h: string, f: string): Promise<void> } }).provisioning;
    await provisioning.completePendingHash(old, lateHash, key.of(lateHash, 'pw-1'));
    assert.equal((await store.userByName('u1'))!.passwordHash, changed);
    assert.equal(await store.verifyPassword('changed', changed), true);
    assert.equal(await store.verifyPassword('pw-1', changed), false);
    await store.close();
  });

  it('another key and a deferred start cannot tell an unchanged password: every session ends, the passwords still verify', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-deferred-'));
    try {
      const file = join(dir, 'db.sqlite');
      const first = new SqliteStore(file, cheapHasher, { fingerprintKey: FingerprintKey.ephemeral() });
      await first.applyContactCenter(spec(10));
      for (const [i, name] of ['u1', 'u2'].entries()) {
        await first.saveSession({ idHash: String(i).repeat(64), userId: (await first.userByName(name))!.id, csrfToken: 'c', createdAt: 1, lastSeen: 2 });
      }
      await first.close();
      const second = new SqliteStore(file, cheapHasher, { deferHashingAbove: 5, fingerprintKey: FingerprintKey.ephemeral() });
      await second.hashBackfill!.close();
      await second.applyContactCenter(spec(10));
      assert.equal(second.lastProvisioningStats.deferred, 10);
      assert.deepEqual(await second.sessionsSeenSince(0), [], 'taken as changed: the sessions ended');
      assert.equal(await second.verifyPassword('pw-1', (await second.userByName('u1'))!.passwordHash), true);
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('through the app: a user of a deferred first start logs in at once', async () => {
    const config = testConfig({ contactCenters: [{ ...spec(100), features: ['api-voice'] }] });
    // the app's own store would not defer with the cheap hasher (hashing 100 of its hashes takes no time): ask for it
    const store = new SqliteStore(':memory:', cheapHasher, { deferHashingAbove: 5 });
    const app = await createApp(config, { passwordHasher: cheapHasher, store });
    try {
      const r = await app.fastify.inject({ method: 'GET', url: '/api/v2/me', headers: { authorization: `Basic ${Buffer.from('u42:pw-42').toString('base64')}` } });
      assert.equal(r.statusCode, 200, r.body);
      const wrong = await app.fastify.inject({ method: 'GET', url: '/api/v2/me', headers: { authorization: `Basic ${Buffer.from('u43:nope').toString('base64')}` } });
      assert.equal(wrong.statusCode, 401);
      assert.equal(store.lastProvisioningStats.deferred, 100, 'the start did defer');
    } finally {
      await app.close();
    }
  });
});
