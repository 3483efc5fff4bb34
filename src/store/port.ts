/**
 * Store ports: provisioning (contact centers, users, devices, places, agent groups, features,
 * agent-state definitions, settings), the supervision audit log and HTTP sessions. Async, so the
 * SQLite and PostgreSQL stores sit behind the same callers.
 *
 * Two layers (docs/architecture.md, "The store"):
 *   - `Store` is what the rest of the system uses. Its applyContactCenter validates the spec and
 *     hashes passwords: that is the provisioning service (src/provisioning/service.ts), the same
 *     code over every database;
 *   - `StoreStorage` is what a database adapter implements (src/store/sql/*: SQLite, PostgreSQL):
 *     storage only. It is handed a validated `ContactCenterPlan` whose credentials are already
 *     hashes, and never sees a plain-text password.
 * Every Store must pass test/unit/store-contract.test.ts (run on SQLite and on a real PostgreSQL).
 */
import type { ContactCenterSettings } from '../switch/model.js';
import type { BindingStore } from '../sip/bindings.js';

export const Role = {
  Agent: 'ROLE_AGENT',
  Supervisor: 'ROLE_SUPERVISOR',
  Admin: 'ROLE_ADMIN',
} as const;
export type Role = (typeof Role)[keyof typeof Role];

/** Feature ids known to Switchboard (GWS names). */
export const ALL_FEATURES = [
  'api-voice',
  'api-supervisor-monitoring',
  'api-supervisor-agent-control',
  'api-supervisor-recording',
  'api-voice-recording',
  'api-provisioning-read',
  'api-provisioning-write',
] as const;

// ---- input: what a configuration file (or the demo) describes ---------------------------------

export interface AgentStateSpec {
  /** the operationName a client posts to /api/v2/me/channels/voice, e.g. "Lunch" */
  operationName: string;
  displayName: string;
  state: 'Ready' | 'NotReady';
  workMode?: 'AfterCallWork' | 'AuxWork';
  reason?: string;
}

export interface UserSpec {
  userName: string;
  /** plain text in the spec; only its scrypt hash is stored */
  password: string;
  firstName?: string;
  lastName?: string;
  emailAddress?: string;
  roles: Role[];
  /** the user's extension; a device and a place `Place_<dn>` are created for it */
  dn?: string;
  /** per-agent wrap-up seconds (overrides the contact center's) */
  wrapUpTime?: number;
  /**
   * the digest password of the user's extension (needs `dn`); plain text in the spec, only its HA1
   * hashes are stored (SipCredentials). An extension without one cannot register a SIP phone.
   */
  sipPassword?: string;
}

export interface RoutingPointSpec {
  number: string;
  /** agent group whose agents receive its calls; omitted = every agent of the contact center */
  agentGroup?: string;
}

export interface AgentGroupSpec {
  name: string;
  /** userNames of the agents in the group */
  agents: string[];
  /** userNames of the supervisors of the group */
  supervisors: string[];
}

export interface ContactCenterSpec {
  /** unique; applying a spec with an existing name updates that contact center */
  name: string;
  features: string[];
  settings: ContactCenterSettings;
  agentStates: AgentStateSpec[];
  users: UserSpec[];
  routingPoints: RoutingPointSpec[];
  agentGroups: AgentGroupSpec[];
}

// ---- output: stored records ------------------------------------------------------------------

export interface ContactCenterRecord {
  id: string; // dashed UUID
  name: string;
  features: string[];
  settings: ContactCenterSettings;
}

export interface UserRecord {
  id: string; // 32 lower-case hex chars
  contactCenterId: string;
  userName: string;
  passwordHash: string; // scrypt, self-describing (see password.ts)
  firstName: string;
  lastName: string;
  emailAddress: string;
  roles: Role[];
  enabled: boolean;
  wrapUpTime?: number;
}

export interface DeviceRecord {
  id: string; // dashed UUID
  contactCenterId: string;
  dn: string;
  kind: 'Extension' | 'RoutingPoint';
  /** user the device is assigned to by default */
  userId?: string;
  /** digest credentials of an extension that may register a SIP phone (never the password itself) */
  sip?: SipCredentials;
}

/**
 * What the store keeps of an extension's sipPassword: HA1 = H(dn ":" realm ":" password) for each digest
 * algorithm (RFC 7616 3.4.2), with the realm they were computed for. The realm is the contact center's
 * name (what the registrar challenges with), so renaming a contact center needs the password again.
 */
export interface SipCredentials {
  realm: string;
  /** lower-case hex MD5 of dn:realm:password */
  ha1Md5: string;
  /** lower-case hex SHA-256 of dn:realm:password */
  ha1Sha256: string;
}

export interface PlaceRecord {
  id: string;
  contactCenterId: string;
  name: string;
  deviceIds: string[];
  /** default place of this user */
  userId?: string;
}

export interface AgentGroupRecord {
  id: string;
  contactCenterId: string;
  name: string;
  agentUserIds: string[];
  supervisorUserIds: string[];
  /** routing-point DNs that distribute to this group */
  routingPoints: string[];
}

export interface AgentStateRecord extends AgentStateSpec {
  id: string; // upper-case dashed UUID (system states use the GWS sample ids)
  contactCenterId: string;
  system: boolean;
}

/** Everything provisioned for one contact center, read in one go at start-up. */
export interface ContactCenterSnapshot {
  contactCenter: ContactCenterRecord;
  users: UserRecord[];
  devices: DeviceRecord[];
  places: PlaceRecord[];
  agentGroups: AgentGroupRecord[];
  agentStates: AgentStateRecord[];
}

/** What applying a contact center wrote: its record, and who has a new password. */
export interface AppliedContactCenter extends ContactCenterRecord {
  /** the existing users whose password changed (their stored HTTP sessions ended with it), by user name */
  usersWithNewPassword: readonly string[];
}

export interface ProvisioningStore {
  /** true when nothing has been provisioned yet */
  isEmpty(): Promise<boolean>;
  /** create or update (by name) a contact center and everything it holds; hashes passwords */
  applyContactCenter(spec: ContactCenterSpec): Promise<AppliedContactCenter>;
  listContactCenters(): Promise<ContactCenterRecord[]>;
  snapshot(contactCenterId: string): Promise<ContactCenterSnapshot | undefined>;
  userByName(userName: string): Promise<UserRecord | undefined>;
}

// ---- audit -----------------------------------------------------------------------------------

export interface AuditEntry {
  id?: number;
  /** epoch ms */
  at: number;
  contactCenterId: string;
  event: string; // Armed | Joined | ModeChanged | MonitoredUserMuted | MonitoredUserUnmuted | Skipped | Left | Cancelled
  supervisorUserId: string;
  supervisorDn: string;
  /** agent user id (absent for routing-point targets) */
  targetUserId?: string;
  targetDn: string;
  /** agent on the call, when it differs from the target (routing-point monitoring) */
  agentUserId?: string;
  agentDn?: string;
  callUuid?: string;
  mode: string; // ListenIn | Coach | BargeIn
  scope: string; // Agent | Call
  span: string; // NextCall | AllCalls
  reason?: string;
}

export interface AuditFilter {
  contactCenterId: string;
  supervisorUserId?: string;
  /** matches targetUserId or agentUserId */
  agentUserId?: string;
  callUuid?: string;
  /** inclusive epoch ms */
  from?: number;
  /** inclusive epoch ms */
  to?: number;
  offset: number;
  limit: number;
}

/**
 * How far one audit filter reaches: a listing shows only the first AUDIT_WINDOW matching entries
 * (offset + limit beyond it come back empty), and `total` counts at most AUDIT_WINDOW, so neither
 * costs more than that many index steps however large the log grows. Older or newer entries are
 * reached by narrowing the filter (from/to, callUuid, supervisor, agent).
 */
export const AUDIT_WINDOW = 10_000;

export interface AuditStore {
  append(entry: AuditEntry): Promise<void>;
  /** oldest first, by (at, id); total = matches, at most AUDIT_WINDOW */
  query(filter: AuditFilter): Promise<{ total: number; entries: AuditEntry[] }>;
  /**
   * One supervisor's entries newest first, by (at, id), at most `limit`; `before` (the last entry
   * of the previous page) continues the walk below it. One index walk (audit_supervisor), as
   * `query`'s statements are: what the start-up check of src/app/audit-recovery.ts reads.
   */
  recentOfSupervisor(contactCenterId: string, supervisorUserId: string, limit: number, before?: AuditPosition): Promise<AuditEntry[]>;
}

/** Where an entry sits in the audit's (at, id) order. */
export interface AuditPosition {
  at: number;
  id: number;
}

// ---- HTTP sessions ---------------------------------------------------------------------------

/** One HTTP session (JSESSIONID) as stored: never the id itself, only its SHA-256. */
export interface StoredSession {
  /** hex SHA-256 of the session id */
  idHash: string;
  userId: string;
  csrfToken: string;
  /** epoch ms */
  createdAt: number;
  /** epoch ms of the last use written (written at most every sessionWriteIntervalSec) */
  lastSeen: number;
}

export interface SessionStore {
  /** insert, or replace the session with the same idHash */
  saveSession(session: StoredSession): Promise<void>;
  /** move lastSeen forward; nothing when the session is unknown or already seen later */
  touchSession(idHash: string, lastSeen: number): Promise<void>;
  deleteSession(idHash: string): Promise<void>;
  /** delete every session last seen before `cutoff` (epoch ms); how many went */
  deleteSessionsSeenBefore(cutoff: number): Promise<number>;
  /** the sessions last seen at or after `since` (epoch ms), oldest first */
  sessionsSeenSince(since: number): Promise<StoredSession[]>;
}

/**
 * What became of a single server's lock after holdSingleServerLock took it: `lost` (its
 * connection dropped: a database restart, a network cut, a terminated backend; it is being taken
 * again), `retaken`, or `heldByAnother` (another single server took it meanwhile: two now share
 * the database, and this one keeps trying).
 */
export type SingleServerLockEvent = 'lost' | 'retaken' | 'heldByAnother';

export interface Store extends ProvisioningStore, AuditStore, SessionStore {
  close(): Promise<void>;
  /**
   * the password verifier Auth must use with this store's hashes (it also accepts the pending
   * credentials of a large first provisioning: src/provisioning/pending.ts); absent = the hasher's
   */
  verifyPassword?(plain: string, stored: string): Promise<boolean>;
  /**
   * a store several processes can open (PostgreSQL): make this process the only single server on
   * it, held until close; false when another one holds it. A store without it (SQLite) is locked
   * by opening it. A lock lost with its connection is taken again; `watch` hears each change.
   */
  holdSingleServerLock?(watch?: (event: SingleServerLockEvent) => void): Promise<boolean>;
  /** with holdSingleServerLock: undefined while the lock is held, else why this server is not alone on its database */
  singleServerLockFault?(): string | undefined;
  /** SIP registrations kept across restarts (src/sip/bindings.ts); a store without it keeps none */
  registrations?(): BindingStore;
}

// ---- storage: what a database adapter implements under the provisioning service ----------------

/** A user's stored credential, as the provisioning service needs it to know what changed. */
export interface StoredLogin {
  userName: string;
  contactCenterId: string;
  contactCenterName: string;
  passwordHash: string;
  /** keyed fingerprint of (passwordHash, password) (src/provisioning/fingerprint.ts); null = none yet */
  passwordFingerprint: string | null;
}

/** What a user of a plan stores besides the spec: hashes only. */
export interface PlannedCredentials {
  passwordHash: string;
  passwordFingerprint: string | null;
  /** the extension's digest hashes; absent = cannot register */
  sip?: SipCredentials;
}

/** A validated spec with its credentials computed: what storage writes, in one transaction. */
export interface ContactCenterPlan {
  /** validated; its plain-text passwords are not stored (the adapter must not read them) */
  spec: ContactCenterSpec;
  /** per spec.users index */
  credentials: readonly PlannedCredentials[];
  /**
   * digest of everything the plan writes except the password credentials (the spec without its
   * plain passwords, the SIP credentials): a contact center last written from a plan with this
   * digest only gets the password credentials that changed (a restart writes nothing)
   */
  digest: string;
  /** per spec.users index: the password credentials differ from the stored ones (or none are stored) */
  credentialsChanged: readonly boolean[];
  /**
   * per spec.users index: the user existed and the configured password is another than the one
   * their stored credentials were made from (or it cannot be told without scrypt: a deferred
   * verification); their stored HTTP sessions end in the same transaction (docs/security.md 6)
   */
  passwordChanged: readonly boolean[];
}

export interface ProvisioningStorage {
  isEmpty(): Promise<boolean>;
  listContactCenters(): Promise<ContactCenterRecord[]>;
  snapshot(contactCenterId: string): Promise<ContactCenterSnapshot | undefined>;
  userByName(userName: string): Promise<UserRecord | undefined>;
  contactCenterByName(name: string): Promise<ContactCenterRecord | undefined>;
  /** the stored credentials of those of `userNames` that exist, in any contact center */
  storedLogins(userNames: readonly string[]): Promise<StoredLogin[]>;
  /** those of `dns` that belong to a contact center other than `contactCenterId` */
  devicesElsewhere(dns: readonly string[], contactCenterId: string | undefined): Promise<Array<{ dn: string; contactCenterName: string }>>;
  /** make the stored contact center (by name) match the plan, in one transaction */
  writeContactCenter(plan: ContactCenterPlan): Promise<ContactCenterRecord>;
  /** replace the user's pending credential `pending` by its hash; nothing when it is no longer stored */
  completePendingHash(pending: string, passwordHash: string, passwordFingerprint: string): Promise<void>;
}

export interface StoreStorage extends ProvisioningStorage, AuditStore, SessionStore {
  close(): Promise<void>;
}
