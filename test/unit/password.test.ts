/**
 * Password hashes (src/store/password.ts): format, salting, verification, and refusal of anything
 * malformed without throwing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SCRYPT_PARAMS, hashPassword, verifyPassword } from '../../src/store/password.js';

describe('password hashes', () => {
  it('are self-describing scrypt strings with a 16-byte salt', async () => {
    const h = await hashPassword('demo');
    const parts = h.split('$');
    assert.equal(parts.length, 6);
    assert.deepEqual(parts.slice(0, 4), ['scrypt', String(SCRYPT_PARAMS.N), String(SCRYPT_PARAMS.r), String(SCRYPT_PARAMS.p)]);
    assert.deepEqual(SCRYPT_PARAMS, { N: 16384, r: 8, p: 1 });
    assert.equal(Buffer.from(parts[4], 'base64').length, 16);
    assert.equal(Buffer.from(parts[5], 'base64').length, 32);
    assert.ok(!h.includes('demo'));
  });

  it('verify the right password and only that one', async () => {
    const h = await hashPassword('s3cret Ünïcode');
    assert.equal(await verifyPassword('s3cret Ünïcode', h), true);
    assert.equal(await verifyPassword('s3cret ünïcode', h), false);
    assert.equal(await verifyPassword('', h), false);
    assert.equal(await verifyPassword('s3cret Ünïcode ', h), false);
  });

  it('salt every hash: the same password hashes differently each time, and both verify', async () => {
    const [a, b] = await Promise.all([hashPassword('demo'), hashPassword('demo')]);
    assert.notEqual(a, b);
    assert.equal(await verifyPassword('demo', a), true);
    assert.equal(await verifyPassword('demo', b), true);
  });

  it('hash the empty password like any other', async () => {
    const h = await hashPassword('');
    assert.equal(await verifyPassword('', h), true);
    assert.equal(await verifyPassword('x', h), false);
  });

  it('refuse malformed, foreign or abusive stored values without throwing', async () => {
    const good = await hashPassword('demo');
    const [, N, r, p, salt, hash] = good.split('$');
    const bad = [
      '',
      'demo',
      'bcrypt$10$abc',
      `scrypt$${N}$${r}$${p}$${salt}`,
      `argon2$${N}$${r}$${p}$${salt}$${hash}`,
      `scrypt$abc$${r}$${p}$${salt}$${hash}`,
      `scrypt$1000$${r}$${p}$${salt}$${hash}`, // N not a power of two
      `scrypt$1073741824$${r}$${p}$${salt}$${hash}`, // would need gigabytes
      `scrypt$${N}$${r}$${p}$$${hash}`,
      `scrypt$${N}$${r}$${p}$${salt}$!!!`,
      `scrypt$${N}$${r}$${p}$${salt}$${hash.slice(0, 8)}`,
      `scrypt$${N}$${r}$2$${salt}$${hash}`, // other parameters: another key
    ];
    for (const stored of bad) assert.equal(await verifyPassword('demo', stored), false, stored);
    assert.equal(await verifyPassword('demo', undefined as unknown as string), false);
    assert.equal(await verifyPassword(undefined as unknown as string, good), false);
  });

  it('verify hashes made with other parameters (the format carries them)', async () => {
    const { scryptSync, randomBytes } = await import('node:crypto');
    const salt = randomBytes(16);
    const key = scryptSync('demo', salt, 32, { N: 1024, r: 8, p: 2 });
    const stored = `scrypt$1024$8$2$${salt.toString('base64')}$${key.toString('base64')}`;
    assert.equal(await verifyPassword('demo', stored), true);
    assert.equal(await verifyPassword('Demo', stored), false);
  });
});
