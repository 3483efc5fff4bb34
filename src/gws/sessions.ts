/**
 * HTTP sessions (the JSESSIONID cookie of GWS, gws-voice-api.md 1.4): in memory, one CSRF token
 * each, expiring after config.sessionTtlSec without use. A user authenticating with Basic and no
 * live cookie reuses their latest session rather than getting a new one per request, so clients
 * that never keep cookies (load tests, SDKs) do not grow the table.
 */
import { randomBytes, randomUUID } from 'node:crypto';

export const SESSION_COOKIE = 'JSESSIONID';

export interface Session {
  readonly id: string;
  readonly userId: string;
  readonly csrfToken: string;
  lastSeen: number;
}

export class Sessions {
  private readonly byId = new Map<string, Session>();
  private readonly latestOfUser = new Map<string, string>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.max(1000, Math.min(ttlMs, 60_000)));
    this.sweeper.unref();
  }

  create(userId: string): Session {
    const s: Session = { id: randomBytes(16).toString('hex').toUpperCase(), userId, csrfToken: randomUUID(), lastSeen: this.now() };
    this.byId.set(s.id, s);
    this.latestOfUser.set(userId, s.id);
    return s;
  }

  /** a live session (touched), or undefined when unknown or idle for too long */
  get(id: string): Session | undefined {
    const s = this.byId.get(id);
    if (!s) return undefined;
    if (this.now() - s.lastSeen > this.ttlMs) {
      this.invalidate(id);
      return undefined;
    }
    s.lastSeen = this.now();
    return s;
  }

  /** the user's latest live session, or a new one */
  forUser(userId: string): Session {
    const id = this.latestOfUser.get(userId);
    return (id && this.get(id)) || this.create(userId);
  }

  invalidate(id: string): void {
    const s = this.byId.get(id);
    if (!s) return;
    this.byId.delete(id);
    if (this.latestOfUser.get(s.userId) === id) this.latestOfUser.delete(s.userId);
  }

  sweep(): void {
    const now = this.now();
    for (const s of this.byId.values()) if (now - s.lastSeen > this.ttlMs) this.invalidate(s.id);
  }

  size(): number {
    return this.byId.size;
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}

/** every value of one cookie name in a Cookie header (a shared jar may hold several) */
export function cookieValues(header: string | undefined, name: string): string[] {
  if (!header) return [];
  const out: string[] = [];
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    if (part.slice(0, i).trim() === name) out.push(part.slice(i + 1).trim().replace(/^"(.*)"$/, '$1'));
  }
  return out;
}

export function sessionCookie(id: string): string {
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Lax`;
}

export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax`;
}
