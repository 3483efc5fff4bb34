/**
 * The SessionStore port on any SqlDatabase (table `sessions`): HTTP sessions kept across restarts
 * and shared by every node of a cluster on PostgreSQL, as a GWS node keeps them. Only the SHA-256
 * of a session id is stored, so a copy of the database does not hand out live cookies. `touch`
 * only ever moves lastSeen forward (a slower node cannot move it back).
 */
import type { SessionStore, StoredSession } from '../port.js';
import type { SqlDatabase } from './database.js';

interface Row {
  id_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: number;
  last_seen: number;
}

const fromRow = (r: Row): StoredSession => ({ idHash: r.id_hash, userId: r.user_id, csrfToken: r.csrf_token, createdAt: r.created_at, lastSeen: r.last_seen });

const SQL = {
  save: `
    INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen)
    VALUES (@idHash, @userId, @csrfToken, @createdAt, @lastSeen)
    ON CONFLICT (id_hash) DO UPDATE SET user_id = excluded.user_id, csrf_token = excluded.csrf_token,
      created_at = excluded.created_at, last_seen = excluded.last_seen`,
  touch: 'UPDATE sessions SET last_seen = @lastSeen WHERE id_hash = @idHash AND last_seen < @lastSeen',
  remove: 'DELETE FROM sessions WHERE id_hash = @idHash',
  removeSeenBefore: 'DELETE FROM sessions WHERE last_seen < @cutoff',
  seenSince: 'SELECT * FROM sessions WHERE last_seen >= @since ORDER BY last_seen, id_hash',
} as const;

export class SqlSessions implements SessionStore {
  constructor(private readonly db: SqlDatabase) {}

  async saveSession(s: StoredSession): Promise<void> {
    await this.db.run(SQL.save, { idHash: s.idHash, userId: s.userId, csrfToken: s.csrfToken, createdAt: s.createdAt, lastSeen: s.lastSeen });
  }

  async touchSession(idHash: string, lastSeen: number): Promise<void> {
    await this.db.run(SQL.touch, { idHash, lastSeen });
  }

  async deleteSession(idHash: string): Promise<void> {
    await this.db.run(SQL.remove, { idHash });
  }

  deleteSessionsSeenBefore(cutoff: number): Promise<number> {
    return this.db.run(SQL.removeSeenBefore, { cutoff });
  }

  async sessionsSeenSince(since: number): Promise<StoredSession[]> {
    return (await this.db.all<Row>(SQL.seenSince, { since })).map(fromRow);
  }
}
