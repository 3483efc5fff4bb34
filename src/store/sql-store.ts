/**
 * SqlStore: the Store port over any SqlDatabase, composed of the provisioning service (validation,
 * fingerprints, hashing: src/provisioning/service.ts) and the three storage parts written once in
 * sql/ (provisioning, audit, sessions). SqliteStore and PostgresStore are this class with their
 * database (and the hash backfill of pending credentials, when deferring is on); every call first awaits `ready` (PostgreSQL connects and migrates asynchronously; a
 * failure to do so rejects every call with that error).
 */
import { HashBackfill } from '../provisioning/backfill.js';
import { FingerprintKey } from '../provisioning/fingerprint.js';
import { pendingAwareVerify } from '../provisioning/pending.js';
import { ProvisioningService, type ProvisioningStats } from '../provisioning/service.js';
import { scryptHasher, type PasswordHasher } from './password.js';
import type {
  AppliedContactCenter,
  AuditEntry,
  AuditFilter,
  AuditPosition,
  ContactCenterRecord,
  ContactCenterSnapshot,
  ContactCenterSpec,
  Store,
  StoredSession,
  UserRecord,
} from './port.js';
import { SqlAuditLog } from './sql/audit.js';
import type { SqlDatabase } from './sql/database.js';
import { SqlProvisioning } from './sql/provisioning.js';
import { SqlSessions } from './sql/sessions.js';
import { SqlRegistrations } from './sql/registrations.js';
import type { BindingStore } from '../sip/bindings.js';

/** What every store is built with besides its database. */
export interface StoreOptions {
  /** hashes provisioned passwords; default scrypt at SCRYPT_PARAMS */
  hasher?: PasswordHasher;
  /** the key of the password fingerprints, kept outside the database; default per store (see each store) */
  fingerprintKey?: FingerprintKey;
  /** scrypt calls at once while provisioning; default the machine's cores */
  hashConcurrency?: number;
  /**
   * an apply with more passwords than this to hash stores pending credentials and hashes them in
   * the background after it (src/provisioning/pending.ts); default: never (every hash before apply returns)
   */
  deferHashingAbove?: number;
  /** and only when hashing them at once would take longer than this, ms (estimated from one hash); default: the count decides */
  deferHashingOverMs?: number;
  /** failures of background work (the hash backfill); default: ignored */
  onBackgroundError?: (err: unknown) => void;
}

export class SqlStore implements Store {
  protected readonly provisioning: SqlProvisioning;
  private readonly service: ProvisioningService;
  private readonly audit: SqlAuditLog;
  private readonly sessions: SqlSessions;
  /** hashes the pending credentials of large applies; undefined when nothing is ever deferred */
  readonly hashBackfill: HashBackfill | undefined;
  /** the verifier Auth must use: scrypt hashes, and pending credentials (hashed at their first login) */
  readonly verifyPassword: (plain: string, stored: string) => Promise<boolean>;

  constructor(
    protected readonly db: SqlDatabase,
    /** settles when the database is open and migrated (at once for SQLite) */
    readonly ready: Promise<void>,
    options: StoreOptions,
  ) {
    // a rejection is reported by every call; do not let it go unhandled in between
    ready.catch(() => {});
    this.provisioning = new SqlProvisioning(db);
    const hasher = options.hasher ?? scryptHasher();
    const fingerprints = options.fingerprintKey ?? FingerprintKey.ephemeral();
    const complete = (pending: string, hash: string, fingerprint: string) => this.provisioning.completePendingHash(pending, hash, fingerprint);
    this.hashBackfill = options.deferHashingAbove === undefined ? undefined : new HashBackfill(hasher, fingerprints, complete, options.onBackgroundError);
    this.service = new ProvisioningService(this.provisioning, {
      hasher,
      fingerprints,
      hashConcurrency: options.hashConcurrency,
      backfill: this.hashBackfill,
      deferHashingAbove: options.deferHashingAbove,
      deferHashingOverMs: options.deferHashingOverMs,
    });
    this.verifyPassword = pendingAwareVerify(hasher, fingerprints, complete, options.onBackgroundError);
    this.audit = new SqlAuditLog(db);
    this.sessions = new SqlSessions(db);
  }

  /** what the last applyContactCenter cost (fingerprint matches, scrypt verifications, new hashes) */
  get lastProvisioningStats(): ProvisioningStats {
    return this.service.lastStats;
  }

  /** the SIP registrar's bindings in this database (src/sip/bindings.ts; table sip_registrations) */
  registrations(): BindingStore {
    return new SqlRegistrations(this.db, this.ready);
  }

  // ---- ProvisioningStore

  async isEmpty(): Promise<boolean> {
    await this.ready;
    return this.provisioning.isEmpty();
  }

  async applyContactCenter(spec: ContactCenterSpec): Promise<AppliedContactCenter> {
    await this.ready;
    return this.service.apply(spec);
  }

  async listContactCenters(): Promise<ContactCenterRecord[]> {
    await this.ready;
    return this.provisioning.listContactCenters();
  }

  async snapshot(contactCenterId: string): Promise<ContactCenterSnapshot | undefined> {
    await this.ready;
    return this.provisioning.snapshot(contactCenterId);
  }

  async userByName(userName: string): Promise<UserRecord | undefined> {
    await this.ready;
    return this.provisioning.userByName(userName);
  }

  // ---- AuditStore

  async append(entry: AuditEntry): Promise<void> {
    await this.ready;
    return this.audit.append(entry);
  }

  async query(filter: AuditFilter): Promise<{ total: number; entries: AuditEntry[] }> {
    await this.ready;
    return this.audit.query(filter);
  }

  async recentOfSupervisor(contactCenterId: string, supervisorUserId: string, limit: number, before?: AuditPosition): Promise<AuditEntry[]> {
    await this.ready;
    return this.audit.recentOfSupervisor(contactCenterId, supervisorUserId, limit, before);
  }

  // ---- SessionStore

  async saveSession(session: StoredSession): Promise<void> {
    await this.ready;
    return this.sessions.saveSession(session);
  }

  async touchSession(idHash: string, lastSeen: number): Promise<void> {
    await this.ready;
    return this.sessions.touchSession(idHash, lastSeen);
  }

  async deleteSession(idHash: string): Promise<void> {
    await this.ready;
    return this.sessions.deleteSession(idHash);
  }

  async deleteSessionsSeenBefore(cutoff: number): Promise<number> {
    await this.ready;
    return this.sessions.deleteSessionsSeenBefore(cutoff);
  }

  async sessionsSeenSince(since: number): Promise<StoredSession[]> {
    await this.ready;
    return this.sessions.sessionsSeenSince(since);
  }

  // ----

  /** Closes the database; later calls reject. Closing twice is harmless. */
  async close(): Promise<void> {
    await this.hashBackfill?.close();
    await this.ready.catch(() => {});
    await this.db.close();
  }
}
