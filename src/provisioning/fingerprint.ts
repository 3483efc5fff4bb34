/**
 * Keyed password fingerprints: how a restart knows that a configured password is the one already
 * hashed, without scrypt (issue 12 point 4; the reasoning is in docs/security.md, "Password
 * fingerprints").
 *
 *   fingerprint = "v1$" keyId "$" base64url(HMAC-SHA256(key, label 0x00 passwordHash 0x00 NFC(password)))
 *
 * Guarantees:
 *   - without the key (kept outside the database), a fingerprint says nothing about the password:
 *     HMAC-SHA256 is a PRF, so a copy of the database gives an attacker no guess test cheaper than
 *     the scrypt hash beside it;
 *   - it is bound to the exact stored hash (salt included): two users with one password have
 *     unrelated fingerprints, and a fingerprint never vouches for a hash it was not made with;
 *   - `keyId` (a public HMAC of a constant under the key) tells whether a stored fingerprint was
 *     made with this key: a mismatch under the same key means "changed" (hash anew, no scrypt
 *     verify first); under another key it means "unknown" (scrypt verify once, then re-fingerprint);
 *   - comparison is in constant time.
 * The key: 32 random bytes, hex in a file (created 0600 on first use when missing), or random per
 * process (an in-memory database dies with its process anyway).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const LABEL = 'switchboard/password-fingerprint/v1';
const KEY_BYTES = 32;
const HEX_KEY = /^[0-9a-f]{64}$/i;

export class FingerprintKey {
  /** public: names the key in each fingerprint, reveals nothing of it */
  readonly id: string;

  private constructor(private readonly key: Buffer) {
    this.id = createHmac('sha256', key).update(`${LABEL}/key-id`).digest('hex').slice(0, 16);
  }

  /** a fresh random key, for a database that lives only as long as this process */
  static ephemeral(): FingerprintKey {
    return new FingerprintKey(randomBytes(KEY_BYTES));
  }

  /** the key from its 64 hex digits */
  static fromHex(hex: string): FingerprintKey {
    if (!HEX_KEY.test(hex.trim())) throw new Error('a password fingerprint key is 64 hex digits (32 bytes)');
    return new FingerprintKey(Buffer.from(hex.trim(), 'hex'));
  }

  /**
   * The key in `file`; a missing file is created (its folder too) with a new random key, readable
   * by this user only. Every node of a cluster must be given the same file's content.
   */
  static fromFile(file: string): FingerprintKey {
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text !== undefined) return FingerprintKey.fromHex(text);
    const hex = randomBytes(KEY_BYTES).toString('hex');
    mkdirSync(dirname(file), { recursive: true });
    try {
      writeFileSync(file, `${hex}\n`, { mode: 0o600, flag: 'wx' });
      chmodSync(file, 0o600);
    } catch (err) {
      // another process created it first: use theirs
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return FingerprintKey.fromHex(readFileSync(file, 'utf8'));
      throw err;
    }
    return FingerprintKey.fromHex(hex);
  }

  /** the fingerprint of `password` for the stored `passwordHash` */
  of(passwordHash: string, password: string): string {
    const mac = createHmac('sha256', this.key).update(LABEL).update('\0').update(passwordHash).update('\0').update(password.normalize('NFC')).digest('base64url');
    return `v1$${this.id}$${mac}`;
  }

  /**
   * What a stored fingerprint says of `password`: 'same' (the stored hash is this password's),
   * 'changed' (made with this key for another password) or 'unknown' (none, or another key's).
   */
  compare(stored: string | null, passwordHash: string, password: string): 'same' | 'changed' | 'unknown' {
    if (!stored) return 'unknown';
    const parts = stored.split('$');
    if (parts.length !== 3 || parts[0] !== 'v1' || parts[1] !== this.id) return 'unknown';
    const expected = Buffer.from(this.of(passwordHash, password));
    const actual = Buffer.from(stored);
    return expected.length === actual.length && timingSafeEqual(expected, actual) ? 'same' : 'changed';
  }
}
