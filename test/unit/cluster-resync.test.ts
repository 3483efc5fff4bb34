/**
 * The password half of a node's read after a NATS reconnect (src/app/cluster-resync.ts): a stored
 * credential that differs from the one the node holds is a password change (the user's sessions end)
 * unless the node holds a pending credential and the store has a real hash, which may be the same
 * password hashed at last (only the hash is taken: nobody is logged out). The session half is
 * test/cluster/bus/session-relay.test.ts, the whole path test/cluster/e2e/reconnect-resync.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resyncAfterReconnect } from '../../src/app/cluster-resync.js';
import { pendingCredential } from '../../src/provisioning/pending.js';
import { FingerprintKey } from '../../src/provisioning/fingerprint.js';
import type { UserRecord } from '../../src/store/port.js';

test('a differing credential: changed (sessions end) or completed (hash taken only), by the table', async () => {
  const key = FingerprintKey.ephemeral();
  const real = (n: number) => `scrypt$real-${n}`;
  const pending = (password: string) => pendingCredential(key, password);
  // held on this node -> now in the store
  const cases: Record<string, [string, string]> = {
    unchanged: [real(1), real(1)],
    realToReal: [real(1), real(2)],
    realToPending: [real(1), pending('new')],
    pendingToPending: [pending('old'), pending('new')],
    pendingToReal: [pending('same'), real(3)],
  };
  const held = new Map(Object.entries(cases).map(([id, [hash]]) => [id, { id, passwordHash: hash }]));
  const stored = Object.entries(cases).map(([id, [, hash]]) => ({ id, passwordHash: hash }) as UserRecord);
  stored.push({ id: 'notHere', passwordHash: real(9) } as UserRecord);
  const changed: string[] = [];
  const counts = await resyncAfterReconnect({
    store: { listContactCenters: async () => [{ id: 'cc' } as never], snapshot: async () => ({ users: stored }) as never },
    directory: {
      center: () => ({ users: [...held.values()] }) as never,
      user: (id: string) => held.get(id) as never,
      setPasswordHash: (id: string, hash: string) => void (held.get(id)!.passwordHash = hash),
    },
    auth: { passwordChanged: (user) => void changed.push(user.id) },
    sessions: { reconcile: async () => ({ adopted: 2, ended: 1 }) },
  });
  assert.deepEqual(changed.sort(), ['pendingToPending', 'realToPending', 'realToReal']);
  assert.equal(held.get('pendingToReal')!.passwordHash, real(3), 'the completed hash is taken');
  assert.equal(held.get('unchanged')!.passwordHash, real(1));
  assert.deepEqual(counts, { sessionsAdopted: 2, sessionsEnded: 1, passwordsChanged: 3, hashesCompleted: 1 });
});

test('a password message applied while the snapshot was read wins over the older snapshot', async () => {
  const held = new Map([['u1', { id: 'u1', passwordHash: 'scrypt$OLD' }]]);
  const changed: string[] = [];
  await resyncAfterReconnect({
    store: {
      listContactCenters: async () => [{ id: 'cc' } as never],
      snapshot: async () => {
        // the `passwords` message of the change arrives and is applied during the read
        held.get('u1')!.passwordHash = 'scrypt$NEW';
        return { users: [{ id: 'u1', passwordHash: 'scrypt$OLD' }] } as never;
      },
    },
    directory: {
      center: () => ({ users: [...held.values()] }) as never,
      user: (id: string) => held.get(id) as never,
      setPasswordHash: (id: string, hash: string) => void (held.get(id)!.passwordHash = hash),
    },
    auth: { passwordChanged: (user) => void (changed.push(user.id), (held.get(user.id)!.passwordHash = user.passwordHash)) },
    sessions: { reconcile: async () => ({ adopted: 0, ended: 0 }) },
  });
  assert.deepEqual(changed, [], 'the old hash of the snapshot is not put back');
  assert.equal(held.get('u1')!.passwordHash, 'scrypt$NEW');
});

test('passwords before sessions: the sessions read from the store come after the password changes', async () => {
  const order: string[] = [];
  await resyncAfterReconnect({
    store: { listContactCenters: async () => [{ id: 'cc' } as never], snapshot: async () => ({ users: [{ id: 'u1', passwordHash: 'scrypt$NEW' }] }) as never },
    directory: { center: () => ({ users: [{ id: 'u1', passwordHash: 'scrypt$OLD' }] }) as never, user: () => ({ id: 'u1', passwordHash: 'scrypt$OLD' }) as never, setPasswordHash: () => {} },
    auth: { passwordChanged: () => void order.push('password') },
    sessions: { reconcile: async () => (order.push('sessions'), { adopted: 0, ended: 0 }) },
  });
  assert.deepEqual(order, ['password', 'sessions']);
});
