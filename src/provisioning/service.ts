/**
 * The provisioning service: everything applyContactCenter means above storage, the same over
 * SQLite and PostgreSQL. In order:
 *   1. validate the spec: its own rules (store/spec-check.ts) and, against what is stored, one login
 *      namespace and one dial plan across contact centers; every problem is reported at once
 *      (SpecError) and nothing is written;
 *   2. credentials, per user, without scrypt where it can be known otherwise:
 *        - the keyed fingerprint matches the stored one: the stored hash is kept (fingerprint.ts);
 *        - a pending credential of this password is stored: kept, and queued again for hashing;
 *        - a stored hash without a usable fingerprint (none yet, another key): verified once with
 *          scrypt, kept if it matches;
 *        - else: hashed anew.
 *      When more than `deferHashingAbove` passwords would need scrypt (a first start of a large
 *      contact center) and hashing them would take longer than `deferHashingOverMs` (one hash timed
 *      then: a cheap test hasher never defers), they get pending credentials instead (pending.ts) and the backfill hashes
 *      them after the start; below it (or without a backfill) they are verified or hashed now, at
 *      most `hashConcurrency` at once, on libuv's threads (off the main thread). A sipPassword
 *      becomes its HA1 hashes;
 *   3. hand storage the plan (hashes only, and a digest of it: storage skips a plan it last wrote),
 *      written in one transaction; then queue the pending credentials for the backfill.
 * Storage (ProvisioningStorage) therefore never sees a plain-text password and checks nothing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { ha1 } from '../sip/digest.js';
import type { PasswordHasher } from '../store/password.js';
import type { AppliedContactCenter, ContactCenterSpec, PlannedCredentials, ProvisioningStorage, SipCredentials, StoredLogin } from '../store/port.js';
import { SpecError, contactCenterSpecProblems, specDns } from '../store/spec-check.js';
import type { HashBackfill, PendingHash } from './backfill.js';
import type { FingerprintKey } from './fingerprint.js';
import { mapBounded } from './parallel.js';
import { comparePending, isPending, pendingCredential } from './pending.js';

export interface ProvisioningOptions {
  hasher: PasswordHasher;
  fingerprints: FingerprintKey;
  /** scrypt calls in flight at once while provisioning; default: the machine's cores */
  hashConcurrency?: number;
  /** hashes pending credentials after the start; without one nothing is deferred */
  backfill?: HashBackfill;
  /** more passwords than this needing scrypt in one apply are deferred to the backfill; default: never */
  deferHashingAbove?: number;
  /**
   * and only when hashing them now would take longer than this, ms, estimated from one hash timed
   * at that moment (a cheap hasher never defers); default: the count alone decides
   */
  deferHashingOverMs?: number;
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
  /** passwords given a pending credential, hashed later by the backfill */
  deferred: number;
}

/** What to do for one user's password, decided without scrypt. */
type Decision =
  | { kind: 'keep'; credentials: PlannedCredentials }
  | { kind: 'still-pending'; credentials: PlannedCredentials }
  | { kind: 'verify'; stored: StoredLogin }
  | { kind: 'hash' };

/**
 * The stored form of an extension's sipPassword: its HA1 per digest algorithm for realm = the contact
 * center's name (the registrar's realm, docs/telephony.md "Digest and realm"). The password is not kept.
 */
export function sipCredentials(dn: string, realm: string, password: string): SipCredentials {
  return { realm, ha1Md5: ha1('MD5', dn, realm, password), ha1Sha256: ha1('SHA-256', dn, realm, password) };
}

/**
 * SHA-256 of what a plan writes besides the password credentials: the spec without its plain
 * passwords, and the SIP credentials (the password credentials change on their own while the hash
 * backfill runs, and are compared one by one: PlannedCredentials vs StoredLogin).
 */
export function planDigest(spec: ContactCenterSpec, credentials: readonly PlannedCredentials[]): string {
  const users = spec.users.map(({ password: _password, sipPassword: _sip, ...kept }) => kept);
  return createHash('sha256').update(JSON.stringify({ v: 2, spec: { ...spec, users }, sip: credentials.map((c) => c.sip ?? null) })).digest('hex');
}

export class ProvisioningService {
  private readonly concurrency: number;
  /** what the last apply cost */
  lastStats: ProvisioningStats = { users: 0, fingerprintMatches: 0, verified: 0, hashed: 0, deferred: 0 };

  constructor(
    private readonly storage: ProvisioningStorage,
    private readonly options: ProvisioningOptions,
  ) {
    this.concurrency = options.hashConcurrency ?? Math.max(1, availableParallelism());
  }

  async apply(spec: ContactCenterSpec): Promise<AppliedContactCenter> {
    const existing = await this.storage.contactCenterByName(spec.name);
    const logins = new Map((await this.storage.storedLogins(spec.users.map((u) => u.userName))).map((l) => [l.userName, l]));
    await this.check(spec, existing?.id, logins);

    const { hasher, fingerprints, backfill } = this.options;
    // each user's stored credentials in this contact center (a user of another one was refused above)
    const storedHere = spec.users.map((u) => {
      const stored = logins.get(u.userName);
      return stored && stored.contactCenterId === existing?.id ? stored : undefined;
    });
    const decisions = spec.users.map((u, i) => this.decide(u.password, storedHere[i]));
    const costly = decisions.filter((d) => d.kind === 'verify' || d.kind === 'hash').length;
    const defer = await this.shouldDefer(costly);
    const stats: ProvisioningStats = { users: spec.users.length, fingerprintMatches: 0, verified: 0, hashed: 0, deferred: 0 };
    const queued: PendingHash[] = [];
    // an existing user whose configured password is not the stored one: their sessions end
    const passwordChanged = decisions.map((d, i) => d.kind === 'hash' && storedHere[i] !== undefined);

    const credentials = await mapBounded(spec.users, this.concurrency, async (u, i): Promise<PlannedCredentials> => {
      const d = decisions[i];
      const sip = u.sipPassword !== undefined && u.dn !== undefined ? { sip: sipCredentials(u.dn, spec.name, u.sipPassword) } : {};
      if (d.kind === 'keep') {
        stats.fingerprintMatches++;
        return { ...d.credentials, ...sip };
      }
      if (d.kind === 'still-pending') {
        stats.deferred++;
        queued.push({ pending: d.credentials.passwordHash, password: u.password });
        return { ...d.credentials, ...sip };
      }
      if (defer) {
        stats.deferred++;
        // a deferred verification cannot tell: the password is taken as changed
        if (d.kind === 'verify') passwordChanged[i] = true;
        const pending = pendingCredential(fingerprints, u.password);
        queued.push({ pending, password: u.password });
        return { passwordHash: pending, passwordFingerprint: null, ...sip };
      }
      if (d.kind === 'verify') {
        stats.verified++;
        if (await hasher.verify(u.password, d.stored.passwordHash)) {
          return { passwordHash: d.stored.passwordHash, passwordFingerprint: fingerprints.of(d.stored.passwordHash, u.password), ...sip };
        }
        passwordChanged[i] = true;
      }
      stats.hashed++;
      const passwordHash = await hasher.hash(u.password);
      return { passwordHash, passwordFingerprint: fingerprints.of(passwordHash, u.password), ...sip };
    });
    const credentialsChanged = spec.users.map((u, i) => {
      const stored = logins.get(u.userName);
      return !stored || stored.passwordHash !== credentials[i].passwordHash || stored.passwordFingerprint !== credentials[i].passwordFingerprint;
    });
    const written = await this.storage.writeContactCenter({ spec, credentials, digest: planDigest(spec, credentials), credentialsChanged, passwordChanged });
    if (queued.length) backfill?.add(queued);
    this.lastStats = stats;
    return { ...written, usersWithNewPassword: spec.users.filter((_, i) => passwordChanged[i]).map((u) => u.userName) };
  }

  /** defer `costly` scrypt calls: more than deferHashingAbove, and (when set) longer than deferHashingOverMs */
  private async shouldDefer(costly: number): Promise<boolean> {
    const { backfill, deferHashingAbove, deferHashingOverMs, hasher } = this.options;
    if (backfill === undefined || deferHashingAbove === undefined || costly <= deferHashingAbove) return false;
    if (deferHashingOverMs === undefined) return true;
    const t = performance.now();
    await hasher.hash(randomBytes(12).toString('base64'));
    return ((performance.now() - t) * costly) / this.concurrency > deferHashingOverMs;
  }

  private decide(password: string, stored: StoredLogin | undefined): Decision {
    if (!stored) return { kind: 'hash' };
    const { fingerprints } = this.options;
    const kept = { passwordHash: stored.passwordHash, passwordFingerprint: stored.passwordFingerprint };
    if (isPending(stored.passwordHash)) {
      return comparePending(fingerprints, stored.passwordHash, password) === 'same' ? { kind: 'still-pending', credentials: kept } : { kind: 'hash' };
    }
    const known = fingerprints.compare(stored.passwordFingerprint, stored.passwordHash, password);
    if (known === 'same') return { kind: 'keep', credentials: kept };
    return known === 'unknown' ? { kind: 'verify', stored } : { kind: 'hash' };
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
}
