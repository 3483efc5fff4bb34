/**
 * The SQLite schema as numbered migrations (PostgreSQL's, with the same tables and columns, is
 * sql/postgres-schema.ts). `migrate` applies, each in its own transaction, every
 * migration above the version recorded in `schema_version`, so opening an older database upgrades
 * it and opening a current one changes nothing. Migrations are append-only: never edit one that
 * has shipped, add the next number.
 */
import type Database from 'better-sqlite3';
import { SIP_REGISTRATIONS_DDL } from './sql/registrations.js';

/** shared with the PostgreSQL schema (its version 4) */
export const PASSWORD_HASH_INDEX_DDL = 'CREATE INDEX users_password_hash ON users(password_hash);';

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'provisioning and supervision audit',
    sql: `
      CREATE TABLE contact_centers (
        id        TEXT PRIMARY KEY,
        name      TEXT NOT NULL UNIQUE,
        features  TEXT NOT NULL,          -- JSON array of feature ids
        settings  TEXT NOT NULL           -- JSON ContactCenterSettings
      );

      CREATE TABLE users (
        id                TEXT PRIMARY KEY,
        contact_center_id TEXT NOT NULL REFERENCES contact_centers(id) ON DELETE CASCADE,
        user_name         TEXT NOT NULL UNIQUE,
        password_hash     TEXT NOT NULL,
        first_name        TEXT NOT NULL DEFAULT '',
        last_name         TEXT NOT NULL DEFAULT '',
        email             TEXT NOT NULL DEFAULT '',
        roles             TEXT NOT NULL,  -- JSON array of roles
        enabled           INTEGER NOT NULL DEFAULT 1,
        wrap_up_time      INTEGER,        -- seconds; NULL = the contact center's
        position          INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX users_cc ON users(contact_center_id, position);

      CREATE TABLE devices (
        id                TEXT PRIMARY KEY,
        contact_center_id TEXT NOT NULL REFERENCES contact_centers(id) ON DELETE CASCADE,
        dn                TEXT NOT NULL,
        kind              TEXT NOT NULL CHECK (kind IN ('Extension', 'RoutingPoint')),
        user_id           TEXT REFERENCES users(id) ON DELETE SET NULL,
        position          INTEGER NOT NULL DEFAULT 0,
        UNIQUE (contact_center_id, dn)
      );

      CREATE TABLE places (
        id                TEXT PRIMARY KEY,
        contact_center_id TEXT NOT NULL REFERENCES contact_centers(id) ON DELETE CASCADE,
        name              TEXT NOT NULL,
        user_id           TEXT REFERENCES users(id) ON DELETE SET NULL,
        position          INTEGER NOT NULL DEFAULT 0,
        UNIQUE (contact_center_id, name)
      );

      CREATE TABLE place_devices (
        place_id  TEXT NOT NULL REFERENCES places(id) ON DELETE CASCADE,
        device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
        position  INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (place_id, device_id)
      );

      CREATE TABLE agent_groups (
        id                TEXT PRIMARY KEY,
        contact_center_id TEXT NOT NULL REFERENCES contact_centers(id) ON DELETE CASCADE,
        name              TEXT NOT NULL,
        position          INTEGER NOT NULL DEFAULT 0,
        UNIQUE (contact_center_id, name)
      );

      CREATE TABLE agent_group_members (
        group_id TEXT NOT NULL REFERENCES agent_groups(id) ON DELETE CASCADE,
        user_id  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role     TEXT NOT NULL CHECK (role IN ('agent', 'supervisor')),
        position INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (group_id, user_id, role)
      );
      CREATE INDEX agent_group_members_user ON agent_group_members(user_id);

      CREATE TABLE agent_group_routing_points (
        group_id TEXT NOT NULL REFERENCES agent_groups(id) ON DELETE CASCADE,
        dn       TEXT NOT NULL,
        PRIMARY KEY (group_id, dn)
      );

      CREATE TABLE agent_states (
        id                TEXT NOT NULL,  -- system states share their GWS ids across contact centers
        contact_center_id TEXT NOT NULL REFERENCES contact_centers(id) ON DELETE CASCADE,
        operation_name    TEXT NOT NULL,
        display_name      TEXT NOT NULL,
        state             TEXT NOT NULL CHECK (state IN ('Ready', 'NotReady')),
        work_mode         TEXT CHECK (work_mode IN ('AfterCallWork', 'AuxWork')),
        reason            TEXT,
        system            INTEGER NOT NULL DEFAULT 0,
        position          INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (contact_center_id, id),
        UNIQUE (contact_center_id, operation_name)
      );

      CREATE TABLE audit (
        id                 INTEGER PRIMARY KEY AUTOINCREMENT,
        at                 INTEGER NOT NULL, -- epoch ms
        contact_center_id  TEXT NOT NULL,    -- no foreign keys: history outlives provisioning
        event              TEXT NOT NULL,
        supervisor_user_id TEXT NOT NULL,
        supervisor_dn      TEXT NOT NULL,
        target_user_id     TEXT,
        target_dn          TEXT NOT NULL,
        agent_user_id      TEXT,
        agent_dn           TEXT,
        call_uuid          TEXT,
        mode               TEXT NOT NULL,
        scope              TEXT NOT NULL,
        span               TEXT NOT NULL,
        reason             TEXT
      );
      CREATE INDEX audit_cc_at ON audit(contact_center_id, at, id);
      CREATE INDEX audit_supervisor ON audit(contact_center_id, supervisor_user_id, at, id);
      CREATE INDEX audit_target ON audit(contact_center_id, target_user_id, at, id);
      CREATE INDEX audit_agent ON audit(contact_center_id, agent_user_id, at, id);
      CREATE INDEX audit_call ON audit(contact_center_id, call_uuid, at, id);
    `,
  },
  {
    version: 2,
    description: 'audit indexes for a supervisor and an agent together (every audit filter walks an index in time order)',
    sql: `
      CREATE INDEX audit_supervisor_target ON audit(contact_center_id, supervisor_user_id, target_user_id, at, id);
      CREATE INDEX audit_supervisor_agent ON audit(contact_center_id, supervisor_user_id, agent_user_id, at, id);
    `,
  },
  {
    version: 3,
    description: 'HTTP sessions kept across restarts (only a hash of each session id)',
    sql: `
      CREATE TABLE sessions (
        id_hash    TEXT PRIMARY KEY,     -- hex SHA-256 of the JSESSIONID; the id itself is never stored
        user_id    TEXT NOT NULL,        -- no foreign key: a session of a removed user is refused, not kept
        csrf_token TEXT NOT NULL,
        created_at INTEGER NOT NULL,     -- epoch ms
        last_seen  INTEGER NOT NULL      -- epoch ms, written at most every sessionWriteIntervalSec
      );
      CREATE INDEX sessions_last_seen ON sessions(last_seen);
    `,
  },
  {
    version: 4,
    description: 'SIP digest credentials of extensions (HA1 hashes per algorithm, never the password)',
    sql: `
      ALTER TABLE devices ADD COLUMN sip_realm TEXT;      -- the realm the hashes were computed for (the contact center's name)
      ALTER TABLE devices ADD COLUMN sip_ha1_md5 TEXT;    -- hex MD5(dn:realm:password); NULL = cannot register
      ALTER TABLE devices ADD COLUMN sip_ha1_sha256 TEXT; -- hex SHA-256(dn:realm:password)
    `,
  },
  {
    version: 5,
    description: 'keyed password fingerprints: a restart knows an unchanged password without scrypt (docs/security.md)',
    sql: `
      ALTER TABLE users ADD COLUMN password_fingerprint TEXT; -- HMAC of (password_hash, password) under a key kept outside the database; NULL = none yet
    `,
  },
  {
    version: 6,
    description: 'digest of the plan a contact center was last written from (re-applying the same one writes nothing)',
    sql: `
      ALTER TABLE contact_centers ADD COLUMN applied_digest TEXT; -- SHA-256 of the applied plan, no secrets in it; NULL = write
    `,
  },
  {
    version: 7,
    description: 'SIP registrations kept across restarts (src/store/sql/registrations.ts; owner: the SIP registrar)',
    sql: SIP_REGISTRATIONS_DDL,
  },
  {
    version: 8,
    description: 'index of password hashes: the hash backfill finds a pending credential without a scan of users',
    sql: PASSWORD_HASH_INDEX_DDL,
  },
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** Current version of an open database (0 = empty). */
export function schemaVersion(db: Database.Database): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number | null };
  return row.v ?? 0;
}

/** Bring the database up to SCHEMA_VERSION; refuses a database written by a newer Switchboard. */
export function migrate(db: Database.Database): void {
  const current = schemaVersion(db);
  if (current > SCHEMA_VERSION) {
    throw new Error(`database schema version ${current} is newer than this Switchboard understands (${SCHEMA_VERSION})`);
  }
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(m.version);
    })();
  }
}
