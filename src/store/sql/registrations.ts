/**
 * The SIP registrar's BindingStore (src/sip/bindings.ts) on any SqlDatabase (table
 * `sip_registrations`: SQLite migration 7, PostgreSQL migration 3): a phone's binding (DN, contact,
 * expiry, the REGISTER's Call-ID and CSeq, its source address) kept across restarts. One row per
 * (dn, contact); reading the live bindings first deletes the expired ones.
 */
import type { BindingStore, StoredBinding } from '../../sip/bindings.js';
import type { SqlDatabase } from './database.js';

/** The table, in SQL both databases take (a migration of each: never edit it once shipped, add the next). */
export const SIP_REGISTRATIONS_DDL = `
      CREATE TABLE sip_registrations (
        dn               TEXT NOT NULL,   -- no foreign key: a binding of a removed DN is simply never used
        contact          TEXT NOT NULL,   -- the contact URI as the phone wrote it
        expires_at       BIGINT NOT NULL, -- epoch ms
        call_id          TEXT NOT NULL,
        cseq             INTEGER NOT NULL,
        source_transport TEXT NOT NULL,   -- udp | tcp
        source_address   TEXT NOT NULL,
        source_port      INTEGER NOT NULL,
        PRIMARY KEY (dn, contact)
      );
      CREATE INDEX sip_registrations_expiry ON sip_registrations(expires_at);
`;

interface Row {
  dn: string;
  contact: string;
  expires_at: number;
  call_id: string;
  cseq: number;
  source_transport: string;
  source_address: string;
  source_port: number;
}

const SQL = {
  save: `
    INSERT INTO sip_registrations (dn, contact, expires_at, call_id, cseq, source_transport, source_address, source_port)
    VALUES (@dn, @contact, @expiresAt, @callId, @cseq, @transport, @address, @port)
    ON CONFLICT (dn, contact) DO UPDATE SET expires_at = excluded.expires_at, call_id = excluded.call_id, cseq = excluded.cseq,
      source_transport = excluded.source_transport, source_address = excluded.source_address, source_port = excluded.source_port`,
  remove: 'DELETE FROM sip_registrations WHERE dn = @dn AND contact = @contact',
  removeExpired: 'DELETE FROM sip_registrations WHERE expires_at <= @now',
  live: 'SELECT * FROM sip_registrations WHERE expires_at > @now ORDER BY expires_at, dn, contact',
} as const;

const fromRow = (r: Row): StoredBinding => ({
  dn: r.dn,
  uri: r.contact,
  expiresAt: r.expires_at,
  callId: r.call_id,
  cseq: r.cseq,
  source: { transport: r.source_transport === 'tcp' ? 'tcp' : 'udp', address: r.source_address, port: r.source_port },
});

export class SqlRegistrations implements BindingStore {
  constructor(
    private readonly db: SqlDatabase,
    /** settles when the database is migrated */
    private readonly ready: Promise<void> = Promise.resolve(),
  ) {}

  async saveBinding(b: StoredBinding): Promise<void> {
    await this.ready;
    await this.db.run(SQL.save, {
      dn: b.dn,
      contact: b.uri,
      expiresAt: b.expiresAt,
      callId: b.callId,
      cseq: b.cseq,
      transport: b.source.transport,
      address: b.source.address,
      port: b.source.port,
    });
  }

  async deleteBinding(dn: string, uri: string): Promise<void> {
    await this.ready;
    await this.db.run(SQL.remove, { dn, contact: uri });
  }

  async liveBindings(now: number): Promise<StoredBinding[]> {
    await this.ready;
    await this.db.run(SQL.removeExpired, { now });
    return (await this.db.all<Row>(SQL.live, { now })).map(fromRow);
  }
}
