/**
 * Start-up without scrypt for unchanged passwords (issue 12 point 4), on SQLite files and on a real
 * PostgreSQL: a restart with the same configuration hashes and verifies nothing; a changed password
 * is hashed once without a verification first; another key (or none stored) costs one scrypt
 * verification per user, once; a changed password (and one that no longer verifies) ends that
 * user's stored sessions, and nobody else's; the fingerprint is bound to its hash and to its key,
 * stored beside the hash, and reveals nothing of the password without the key.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FingerprintKey } from '../../src/provisioning/fingerprint.js';
import { verifyPassword, type PasswordHasher } from '../../src/store/password.js';
import { PostgresStore } from '../../src/store/postgres.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/port.js';
import { agentsSpec as spec, countingHasher } from './fixtures.js';
import { startPostgres, type PostgresServer } from '../helpers/postgres.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-fingerprints-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Backend {
  name: string;
  /** a new empty database; `open` opens a store on it (again and again: a restart) */
  database(): Promise<(hasher: PasswordHasher, key: FingerprintKey) => Store>;
}

let postgres: PostgresServer;
before(async () => {
  postgres = await startPostgres();
});
after(() => postgres?.stop());

let files = 0;
const BACKENDS: Backend[] = [
  {
    name: 'SQLite file',
    database: async () => {
      const file = join(dir, `db-${++files}.db`);
      return (hasher, fingerprintKey) => new SqliteStore(file, hasher, { fingerprintKey });
    },
  },
  {
    name: 'PostgreSQL',
    database: async () => {
      const url = await postgres.createDatabase();
      return (hasher, fingerprintKey) => new PostgresStore(url, { hasher, fingerprintKey });
    },
  },
];

/** one stored HTTP session for each of these users */
async function saveSessionsOf(store: Store, userNames: string[]): Promise<void> {
  for (const [i, name] of userNames.entries()) {
    const user = (await store.userByName(name))!;
    await store.saveSession({ idHash: String(i).repeat(64), userId: user.id, csrfToken: 'csrf', createdAt: 1, lastSeen: 2 });
  }
}

/** the user names of the stored sessions, sorted */
async function sessionUsers(store: Store): Promise<string[]> {
  const cc = (await store.listContactCenters())[0];
  const names = new Map((await store.snapshot(cc.id))!.users.map((u) => [u.id, u.userName]));
  return (await store.sessionsSeenSince(0)).map((s) => names.get(s.userId) ?? s.userId).sort();
}

for (const backend of BACKENDS) {
  describe(`password fingerprints on ${backend.name}`, () => {
    it('a restart with the same configuration costs no scrypt; a changed password one hash, no verification', async () => {
      const open = await backend.database();
      const key = FingerprintKey.ephemeral();
      const { hasher, calls, reset } = countingHasher();
      let store = open(hasher, key);
      assert.deepEqual((await store.applyContactCenter(spec(50))).usersWithNewPassword, [], 'new users have no new password: they had none');
      assert.deepEqual(calls, { hash: 50, verify: 0 }, 'first start: every password hashed');
      const hashes = new Map((await store.snapshot((await store.listContactCenters())[0].id))!.users.map((u) => [u.userName, u.passwordHash]));
      await store.close();

      reset();
      store = open(hasher, key);
      assert.deepEqual((await store.applyContactCenter(spec(50))).usersWithNewPassword, []);
      assert.deepEqual(calls, { hash: 0, verify: 0 }, 'restart: known by the fingerprints');
      const cc = (await store.listContactCenters())[0];
      for (const u of (await store.snapshot(cc.id))!.users) assert.equal(u.passwordHash, hashes.get(u.userName), 'hash kept');

      await saveSessionsOf(store, ['u7', 'u8']);
      reset();
      const changed = await store.applyContactCenter(spec(50, (i) => (i === 7 ? 'new-secret' : `pw-${i}`)));
      assert.deepEqual(changed.usersWithNewPassword, ['u7'], 'the one user with a new password is named (a cluster tells its running nodes)');
      assert.deepEqual(calls, { hash: 1, verify: 0 }, 'one changed password: hashed, not verified first');
      assert.deepEqual(await sessionUsers(store), ['u8'], "the changed password ended u7's session, not u8's");
      const u7 = (await store.userByName('u7'))!;
      assert.equal(await verifyPassword('new-secret', u7.passwordHash), true);
      assert.equal(await verifyPassword('pw-7', u7.passwordHash), false);
      await store.close();
    });

    it('another key: each stored hash verified once with scrypt, then known again by the new fingerprints', async () => {
      const open = await backend.database();
      const { hasher, calls, reset } = countingHasher();
      let store = open(hasher, FingerprintKey.ephemeral());
      await store.applyContactCenter(spec(20));
      await store.close();

      const second = FingerprintKey.ephemeral();
      reset();
      store = open(hasher, second);
      await saveSessionsOf(store, ['u3', 'u4']);
      assert.deepEqual((await store.applyContactCenter(spec(20, (i) => (i === 3 ? 'changed' : `pw-${i}`)))).usersWithNewPassword, ['u3']);
      assert.deepEqual(calls, { hash: 1, verify: 20 }, 'unknown fingerprints: verify, hash only the changed one');
      assert.deepEqual(await sessionUsers(store), ['u4'], "the password that did not verify ended u3's session, not u4's");
      await store.close();

      reset();
      store = open(hasher, second);
      await store.applyContactCenter(spec(20, (i) => (i === 3 ? 'changed' : `pw-${i}`)));
      assert.deepEqual(calls, { hash: 0, verify: 0 });
      await store.close();
    });
  });
}

describe('FingerprintKey', () => {
  it('is bound to the hash and the key; says nothing without the key; compares same / changed / unknown', () => {
    const key = FingerprintKey.ephemeral();
    const a = key.of('scrypt$hash-a', 'secret');
    const b = key.of('scrypt$hash-b', 'secret');
    assert.notEqual(a, b, 'one password, two hashes: unrelated fingerprints');
    assert.ok(!a.includes('secret'));
    assert.match(a, /^v1\$[0-9a-f]{16}\$[A-Za-z0-9_-]{43}$/);
    assert.equal(key.compare(a, 'scrypt$hash-a', 'secret'), 'same');
    assert.equal(key.compare(a, 'scrypt$hash-a', 'other'), 'changed');
    assert.equal(key.compare(a, 'scrypt$hash-b', 'secret'), 'changed', 'never vouches for another hash');
    assert.equal(key.compare(null, 'scrypt$hash-a', 'secret'), 'unknown');
    assert.equal(FingerprintKey.ephemeral().compare(a, 'scrypt$hash-a', 'secret'), 'unknown', 'another key cannot tell');
    assert.equal(key.compare('garbage', 'scrypt$hash-a', 'secret'), 'unknown');
  });

  it('a key file is created once, readable by its owner only, and read back', () => {
    const file = join(dir, 'keys/fp.key');
    const first = FingerprintKey.fromFile(file);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const again = FingerprintKey.fromFile(file);
    assert.equal(again.id, first.id);
    assert.equal(again.of('h', 'p'), first.of('h', 'p'));
    assert.throws(() => FingerprintKey.fromHex('xyz'), /64 hex digits/);
  });
});
