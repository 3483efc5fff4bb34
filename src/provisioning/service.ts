/**
 * The provisioning service: everything applyContactCenter means above storage, the same over
 * SQLite and PostgreSQL. In order:
 *   1. validate the spec: its own rules (store/spec-check.ts) and, against what is stored, one login
 *      namespace and one dial plan across contact centers; every problem is reported at once
 *      (SpecError) and nothing is written;
 *   2. credentials: a configured password whose keyed fingerprint matches the stored one keeps its
 *      hash without any scrypt (fingerprint.ts); a stored hash without a usable fingerprint (none
 *      yet, or made under another key) is verified once with scrypt and kept if it matches; every
 *      other password is hashed anew. Hashing and verifying run at most `hashConcurrency` at once
 *      on libuv's threads (parallel.ts), off the main thread. A sipPassword becomes its HA1 hashes;
 *   3. hand storage the plan (hashes only, and a digest of it: storage skips a plan it last wrote),
 *      written in one transaction.
 * Storage (ProvisioningStorage) therefore never sees a plain-text password and checks nothing.
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { ha1 } from '../sip/digest.js';
import type { PasswordHasher } from '../store/password.js';
import type { ContactCenterRecord, ContactCenterSpec, PlannedCredentials, ProvisioningStorage, SipCredentials, StoredLogin, UserSpec } from '../store/port.js';
import { SpecError, contactCenterSpecProblems, specDns } from '../store/spec-check.js';
import type { FingerprintKey } from './fingerprint.js';
import { mapBounded } from './parallel.js';

export interface ProvisioningOptions {
  hasher: PasswordHasher;
  fingerprints: FingerprintKey;
  /** scrypt calls in flight at once while provisioning; default: the machine's cores */
  hashConcurrency?: number;
}

/** What one apply cost, for the start-up bench and the log. */
export interface ProvisioningStats {
  users: number;
  /** unchanged passwords known by their fingerprint (no scrypt) */
  fingerprintMatches: number;
  /** stored hashes checked with scrypt (no usable fingerprint) */
  verified: number;
  /** passwords hashed anew */
  hashed: number;
}

/**
 * The stored form of an extension's sipPassword: its HA1 per digest algorithm for realm = the contact
 * center's name (the registrar's realm, docs/telephony.md "Digest and realm"). The password is not kept.
 */
export function sipCredentials(dn: string, realm: string, password: string): SipCredentials {
  return { realm, ha1Md5: ha1('MD5', dn, realm, password), ha1Sha256: ha1('SHA-256', dn, realm, password) };
}

/** SHA-256 of what a plan writes: the spec without its plain passwords, and the credentials. */
export function planDigest(spec: ContactCenterSpec, credentials: readonly PlannedCredentials[]): string {
  const users = spec.users.map(({ password: _password, sipPassword: _sip, ...kept }) => kept);
  return createHash('sha256').update(JSON.stringify({ v: 1, spec: { ...spec, users }, credentials })).digest('hex');
}

export class ProvisioningService {
  private readonly concurrency: number;
  /** what the last apply cost */
  lastStats: ProvisioningStats = { users: 0, fingerprintMatches: 0, verified: 0, hashed: 0 };

  constructor(
    private readonly storage: ProvisioningStorage,
    private readonly options: ProvisioningOptions,
  ) {
    this.concurrency = options.hashConcurrency ?? Math.max(1, availableParallelism());
  }

  async apply(spec: ContactCenterSpec): Promise<ContactCenterRecord> {
    const existing = await this.storage.contactCenterByName(spec.name);
    const logins = new Map((await this.storage.storedLogins(spec.users.map((u) => u.userName))).map((l) => [l.userName, l]));
    await this.check(spec, existing?.id, logins);
    const stats: ProvisioningStats = { users: spec.users.length, fingerprintMatches: 0, verified: 0, hashed: 0 };
    const credentials = await mapBounded(spec.users, this.concurrency, async (u) => {
      const stored = logins.get(u.userName);
      const mine = stored && stored.contactCenterId === existing?.id ? stored : undefined;
      return this.credentialsOf(spec, u, mine, stats);
    });
    const written = await this.storage.writeContactCenter({ spec, credentials, digest: planDigest(spec, credentials) });
    this.lastStats = stats;
    return written;
  }

  private async check(spec: ContactCenterSpec, contactCenterId: string | undefined, logins: Map<string, StoredLogin>): Promise<void> {
    const problems = contactCenterSpecProblems(spec);
    for (const [i, u] of spec.users.entries()) {
      const other = logins.get(u.userName);
      if (other && other.contactCenterId !== contactCenterId) {
        problems.push(`users[${i}].userName: ${JSON.stringify(u.userName)} already belongs to contact center ${JSON.stringify(other.contactCenterName)}`);
      }
    }
    const dns = specDns(spec);
    const elsewhere = new Map((await this.storage.devicesElsewhere(dns.map((d) => d.dn), contactCenterId)).map((d) => [d.dn, d.contactCenterName]));
    for (const { dn, path } of dns) {
      const owner = elsewhere.get(dn);
      if (owner !== undefined) problems.push(`${path}: DN ${JSON.stringify(dn)} already belongs to contact center ${JSON.stringify(owner)}`);
    }
    if (problems.length) throw new SpecError(`cannot apply contact center ${JSON.stringify(spec.name)}`, problems);
  }

  private async credentialsOf(spec: ContactCenterSpec, u: UserSpec, stored: StoredLogin | undefined, stats: ProvisioningStats): Promise<PlannedCredentials> {
    const { hasher, fingerprints } = this.options;
    const sip = u.sipPassword !== undefined && u.dn !== undefined ? { sip: sipCredentials(u.dn, spec.name, u.sipPassword) } : {};
    if (stored) {
      const known = fingerprints.compare(stored.passwordFingerprint, stored.passwordHash, u.password);
      if (known === 'same') {
        stats.fingerprintMatches++;
        return { passwordHash: stored.passwordHash, passwordFingerprint: stored.passwordFingerprint, ...sip };
      }
      if (known === 'unknown') {
        stats.verified++;
        if (await hasher.verify(u.password, stored.passwordHash)) {
          return { passwordHash: stored.passwordHash, passwordFingerprint: fingerprints.of(stored.passwordHash, u.password), ...sip };
        }
      }
    }
    stats.hashed++;
    const passwordHash = await hasher.hash(u.password);
    return { passwordHash, passwordFingerprint: fingerprints.of(passwordHash, u.password), ...sip };
  }
}
