/**
 * What a cluster node missed while it was cut off from NATS (docs/scale-out.md "Changing
 * passwords" and "Sessions"): core NATS keeps no message for a node that is away, so after each
 * reconnect the node reads from the store what the other nodes' messages would have told it.
 *
 * Guarantees:
 * - Passwords first, then HTTP sessions (so that the sessions made elsewhere with a new password,
 *   adopted by the second step, are not ended by the first).
 * - HTTP sessions: `Sessions.reconcile` (sessions made elsewhere are adopted, sessions ended
 *   elsewhere end here, with the user's CometD sessions when none is left).
 * - Passwords: every user whose stored credential differs from the one this node holds is read
 *   again. By the CHANGE table: when the difference is a password change, `Auth.passwordChanged`
 *   takes the new credential, drops the cached ones and ends the user's sessions (as the
 *   `passwords` message would have); when it can be the same password hashed at last (this node
 *   holds a pending credential of a large provisioning and the store now has its real hash:
 *   src/provisioning/pending.ts), only the stored hash is taken, and nobody is logged out.
 * - A user whose credential a `passwords` message changed while the snapshot was read keeps it
 *   (the message is newer than the snapshot).
 * - One contact center's snapshot is read at a time; a store that fails is the caller's to retry.
 */
import type { Directory } from '../gws/directory.js';
import type { Auth } from '../gws/auth.js';
import type { Sessions } from '../gws/sessions.js';
import { isPending } from '../provisioning/pending.js';
import type { ProvisioningStore } from '../store/port.js';

export interface ResyncCounts {
  sessionsAdopted: number;
  sessionsEnded: number;
  passwordsChanged: number;
  hashesCompleted: number;
}

/** What a differing stored credential means, by whether each side is a pending credential. */
type Change = 'changed' | 'completed';
const CHANGE: Readonly<Record<`${'pending' | 'real'}->${'pending' | 'real'}`, Change>> = {
  // a pending credential is written only by a provisioning that changed the password
  'real->pending': 'changed',
  'pending->pending': 'changed',
  // a real hash changes only with the password (unchanged passwords are never hashed again)
  'real->real': 'changed',
  // the same password's first login or the backfill stored its hash, or (not told apart) a new
  // password whose pending credential was completed while this node was away
  'pending->real': 'completed',
};

const side = (hash: string) => (isPending(hash) ? 'pending' : 'real');

export async function resyncAfterReconnect(deps: {
  store: Pick<ProvisioningStore, 'listContactCenters' | 'snapshot'>;
  directory: Pick<Directory, 'center' | 'user' | 'setPasswordHash'>;
  auth: Pick<Auth, 'passwordChanged'>;
  sessions: Pick<Sessions, 'reconcile'>;
}): Promise<ResyncCounts> {
  const counts: ResyncCounts = { sessionsAdopted: 0, sessionsEnded: 0, passwordsChanged: 0, hashesCompleted: 0 };
  // passwords first: a change ends the user's sessions known here (made with the old password), and
  // the read of the sessions then adopts the ones made elsewhere with the new one
  for (const center of await deps.store.listContactCenters()) {
    const heldBefore = new Map((deps.directory.center(center.id)?.users ?? []).map((u) => [u.id, u.passwordHash]));
    const snapshot = await deps.store.snapshot(center.id);
    for (const stored of snapshot?.users ?? []) {
      const held = deps.directory.user(stored.id);
      if (!held || held.passwordHash === stored.passwordHash) continue;
      // a `passwords` message applied while the snapshot was read is newer than the snapshot
      if (heldBefore.get(stored.id) !== held.passwordHash) continue;
      if (CHANGE[`${side(held.passwordHash)}->${side(stored.passwordHash)}`] === 'changed') {
        deps.auth.passwordChanged(stored);
        counts.passwordsChanged++;
      } else {
        deps.directory.setPasswordHash(stored.id, stored.passwordHash);
        counts.hashesCompleted++;
      }
    }
  }
  const { adopted, ended } = await deps.sessions.reconcile();
  counts.sessionsAdopted = adopted;
  counts.sessionsEnded = ended;
  return counts;
}
