/**
 * Pending credentials: how a first start of a large contact center is not bounded by scrypt
 * (issue 12 point 4; docs/security.md "Password fingerprints" weighs it). A password that must be
 * hashed while a contact center is provisioned with more than `deferHashingAbove` such passwords is
 * (and whose hashing would take longer than `deferHashingOverMs`) is stored first as a pending credential, and hashed with scrypt after the start (backfill.ts), or at
 * once when its user logs in first (`verifyPending`).
 *
 *   pending = "pending$" salt "$" fingerprint(key, "pending$" salt, password)
 *
 * Guarantees:
 *   - a pending credential is a keyed HMAC (fingerprint.ts) with a random salt: without the key it
 *     says nothing of the password and two users with one password get unrelated ones; it never
 *     verifies as an scrypt hash (verifyPassword refuses it as malformed);
 *   - verifying against one costs what a verification against a real hash costs (one scrypt, either
 *     hashing the right password for storage or checking a wrong one against an unmatchable hash),
 *     so a login storm stays bounded by the scrypt cost and timing tells pending from hashed apart
 *     no better than before;
 *   - completing one is a compare-and-set on the pending string: a password changed meanwhile is
 *     never overwritten by the old one's hash.
 */
import { randomBytes } from 'node:crypto';
import type { PasswordHasher } from '../store/password.js';
import type { FingerprintKey } from './fingerprint.js';

const PREFIX = 'pending$';

export function isPending(stored: string): boolean {
  return stored.startsWith(PREFIX);
}

export function pendingCredential(key: FingerprintKey, password: string): string {
  const salt = randomBytes(12).toString('base64url');
  return `${PREFIX}${salt}$${key.of(`${PREFIX}${salt}`, password)}`;
}

/** 'same', 'changed' or 'unknown' (another key, or not a pending credential) */
export function comparePending(key: FingerprintKey, stored: string, password: string): 'same' | 'changed' | 'unknown' {
  if (!isPending(stored)) return 'unknown';
  const rest = stored.slice(PREFIX.length);
  const cut = rest.indexOf('$');
  if (cut < 1) return 'unknown';
  return key.compare(rest.slice(cut + 1), `${PREFIX}${rest.slice(0, cut)}`, password);
}

/** What completes a pending credential: store its real hash if it is still the stored one. */
export type CompletePending = (pending: string, passwordHash: string, passwordFingerprint: string) => Promise<void>;

/**
 * A verifier for Auth that also accepts pending credentials: a real hash is verified as usual; a
 * pending one whose fingerprint matches is hashed now (one scrypt), stored through `complete`
 * (its failure is reported to `onError`, the login still succeeds), and verifies; a wrong password
 * costs one scrypt against an unmatchable hash.
 */
export function pendingAwareVerify(
  hasher: PasswordHasher,
  key: FingerprintKey,
  complete: CompletePending,
  onError: (err: unknown) => void = () => {},
): (plain: string, stored: string) => Promise<boolean> {
  return async (plain, stored) => {
    if (!isPending(stored)) return hasher.verify(plain, stored);
    if (comparePending(key, stored, plain) !== 'same') {
      await hasher.verify(plain, hasher.unmatchable());
      return false;
    }
    const passwordHash = await hasher.hash(plain);
    await complete(stored, passwordHash, key.of(passwordHash, plain)).catch(onError);
    return true;
  };
}
