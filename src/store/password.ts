/**
 * Password hashes: node:crypto scrypt (async, off the event loop), a random 16-byte salt per hash,
 * and a self-describing string `scrypt$N$r$p$saltB64$hashB64` so the cost can be raised later
 * without invalidating stored hashes. Verification compares in constant time and never throws:
 * a malformed or foreign hash simply does not verify. `unmatchableHash` gives a well-formed hash
 * that no password verifies, at the cost of a real one: Auth checks unknown users against it so a
 * wrong user name costs what a wrong password costs (no user enumeration by timing).
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** Cost used for new hashes (about 50 ms on a laptop; the HTTP layer caches verified credentials). */
export const SCRYPT_PARAMS = Object.freeze({ N: 16384, r: 8, p: 1 });
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Refuse stored parameters that would need more memory than this (scrypt needs 128·N·r bytes). */
const MAX_MEMORY = 64 * 1024 * 1024;

function derive(plain: string, salt: Buffer, keyLen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(plain.normalize('NFC'), salt, keyLen, { ...opts, maxmem: MAX_MEMORY }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** scrypt work factor: N (CPU/memory cost, a power of two), r (block size), p (parallelism) */
export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

/** Hash a password for storage (`cost` defaults to SCRYPT_PARAMS, the production cost). */
export async function hashPassword(plain: string, cost: ScryptCost = SCRYPT_PARAMS): Promise<string> {
  if (typeof plain !== 'string') throw new TypeError('password must be a string');
  const { N, r, p } = cost;
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(plain, salt, KEY_BYTES, { N, r, p });
  return ['scrypt', N, r, p, salt.toString('base64'), key.toString('base64')].join('$');
}

/**
 * A hash in the stored format, with the given cost, that no password matches (its key is random,
 * not derived): verifying against it costs one full scrypt with those parameters.
 */
export function unmatchableHash(params: { N: number; r: number; p: number } = SCRYPT_PARAMS): string {
  return ['scrypt', params.N, params.r, params.p, randomBytes(SALT_BYTES).toString('base64'), randomBytes(KEY_BYTES).toString('base64')].join('$');
}

const POSITIVE_INT = /^[1-9]\d{0,9}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** True when `stored` (made by hashPassword) is the hash of `plain`. False for anything malformed. */
export async function verifyPassword(plain: string, stored: string): Promise<boolean> {
  if (typeof plain !== 'string' || typeof stored !== 'string') return false;
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, nS, rS, pS, saltS, hashS] = parts;
  if (!POSITIVE_INT.test(nS) || !POSITIVE_INT.test(rS) || !POSITIVE_INT.test(pS)) return false;
  if (!BASE64.test(saltS) || !BASE64.test(hashS)) return false;
  const N = Number(nS);
  const r = Number(rS);
  const p = Number(pS);
  if ((N & (N - 1)) !== 0 || N < 2 || 128 * N * r > MAX_MEMORY || p > 16) return false;
  const salt = Buffer.from(saltS, 'base64');
  const expected = Buffer.from(hashS, 'base64');
  if (salt.length === 0 || expected.length < 16) return false;
  try {
    const actual = await derive(plain, salt, expected.length, { N, r, p });
    return timingSafeEqual(actual, expected);
  } catch {
    return false;
  }
}

/**
 * The password hasher the store (hashing at provisioning) and Auth (verifying, the equal-cost dummy
 * hash) are given. Production uses `scryptHasher()` (SCRYPT_PARAMS); tests inject a cheap cost so
 * the suite does not spend its time hashing demo passwords. Hashes are self-describing, so any
 * hasher verifies any stored hash at the cost written in it.
 */
export interface PasswordHasher {
  hash(plain: string): Promise<string>;
  verify(plain: string, stored: string): Promise<boolean>;
  /** a well-formed hash at this hasher's cost that no password matches */
  unmatchable(): string;
}

export function scryptHasher(cost: ScryptCost = SCRYPT_PARAMS): PasswordHasher {
  const frozen = Object.freeze({ N: cost.N, r: cost.r, p: cost.p });
  return Object.freeze({
    hash: (plain: string) => hashPassword(plain, frozen),
    verify: verifyPassword,
    unmatchable: () => unmatchableHash(frozen),
  });
}
