/**
 * The SessionStore port on SQLite (table `sessions`, migration 2 in schema.ts): HTTP sessions kept
 * across restarts, as a GWS node keeps them. Only the SHA-256 of a session id is stored, so a copy
 * of the database does not hand out live cookies. Every statement is prepared once; `touch` only
 * ever moves lastSeen forward.
 */
import type Database from 'better-sqlite3';
import type { StoredSession } from './port.js';

interface Row {
  id_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: number;
  last_seen: number;
}

const fromRow = (r: Row): StoredSession => ({ idHash: r.id_hash, userId: r.user_id, csrfToken: r.csrf_token, createdAt: r.created_at, lastSeen: r.last_seen });

export class SqliteSessions {
  private readonly save: Database.Statement;
  private readonly touch: Database.Statement;
  private readonly remove: Database.Statement;
  private readonly removeSeenBefore: Database.Statement;
  private readonly seenSince: Database.Statement;

  constructor(db: Database.Database) {
    this.save = db.prepare(
      `INSERT OR REPLACE INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen)
       VALUES (@idHash, @userId, @csrfToken, @createdAt, @lastSeen)`,
    );
    this.touch = db.prepare('UPDATE sessions SET last_seen = ? WHERE id_hash = ? AND last_seen < ?');
    this.remove = db.prepare('DELETE FROM sessions WHERE id_hash = ?');
    this.removeSeenBefore = db.prepare('DELETE FROM sessions WHERE last_seen < ?');
    this.seenSince = db.prepare('SELECT * FROM sessions WHERE last_seen >= ? ORDER BY last_seen, id_hash');
  }

  saveSession(s: StoredSession): void {
    this.save.run({ idHash: s.idHash, userId: s.userId, csrfToken: s.csrfToken, createdAt: s.createdAt, lastSeen: s.lastSeen });
  }

  touchSession(idHash: string, lastSeen: number): void {
    this.touch.run(lastSeen, idHash, lastSeen);
  }

  deleteSession(idHash: string): void {
    this.remove.run(idHash);
  }

  deleteSessionsSeenBefore(cutoff: number): number {
    return this.removeSeenBefore.run(cutoff).changes;
  }

  sessionsSeenSince(since: number): StoredSession[] {
    return (this.seenSince.all(since) as Row[]).map(fromRow);
  }
}
