/**
 * Authentication for REST and CometD (gws-voice-api.md 1.4, client-expectations.md 1): HTTP Basic
 * on any request, verified against the stored scrypt hash and then cached in memory (keyed by a
 * SHA-256 of the Authorization header, sliding TTL) so repeated Basic is cheap and the Bayeux hook
 * can answer synchronously; otherwise the JSESSIONID cookie of a live session. An Authorization
 * header wins over the cookie. Failures are statusCode 20 (HTTP 401, no WWW-Authenticate).
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { UserRecord } from '../store/port.js';
import type { Directory } from './directory.js';
import { gws } from './reply.js';
import type { Session, Sessions } from './sessions.js';
import { SESSION_COOKIE, cookieValues } from './sessions.js';

export type VerifyPassword = (plain: string, hash: string) => Promise<boolean>;

export interface Authenticated {
  user: UserRecord;
  session: Session;
  byAuthorization: boolean;
  /** the response must set the session cookie (the request did not carry this session's) */
  setCookie: boolean;
}

const BAD_CREDENTIALS = 'Invalid user name or password';
const NO_CREDENTIALS =
  'Not authenticated: send HTTP Basic credentials (Authorization: Basic ...) or the JSESSIONID cookie of a live session';
const MAX_CACHE = 10_000;

export class Auth {
  private readonly cache = new Map<string, { userId: string; expires: number }>();
  /** verifications under way, by header hash */
  private readonly verifying = new Map<string, Promise<UserRecord>>();

  constructor(
    private readonly directory: Directory,
    private readonly sessions: Sessions,
    private readonly verify: VerifyPassword,
    private readonly cacheTtlMs = 10 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** REST: who is calling, or a statusCode 20 error. */
  async authenticate(headers: IncomingHttpHeaders): Promise<Authenticated> {
    const authorization = headers.authorization;
    if (authorization) {
      const user = await this.basicUser(authorization);
      const own = this.cookieSessions(headers).find((s) => s.userId === user.id);
      if (own) return { user, session: own, byAuthorization: true, setCookie: false };
      return { user, session: this.sessions.forUser(user.id), byAuthorization: true, setCookie: true };
    }
    for (const s of this.cookieSessions(headers)) {
      const user = this.directory.user(s.userId);
      if (user?.enabled) return { user, session: s, byAuthorization: false, setCookie: false };
    }
    throw gws.notAuthenticated(NO_CREDENTIALS);
  }

  /**
   * Before a CometD request reaches the Bayeux server: verify Basic credentials that are not in
   * the cache yet, so the synchronous hook below finds them. Undefined when there is nothing to do
   * (no header, or already cached); never rejects (bad credentials are refused by the hook).
   */
  prepare(authorization: string | undefined): Promise<void> | undefined {
    if (!authorization || this.cached(authorization)) return undefined;
    return this.basicUser(authorization).then(
      () => undefined,
      () => undefined,
    );
  }

  /**
   * CometD: the user id of a request, synchronously. Basic credentials must be in the cache
   * (`prepare` puts them there before every CometD request and upgrade); should one still be
   * missing, a verification starts in the background so a retried handshake succeeds.
   */
  authenticateSync(req: IncomingMessage): string | null {
    const authorization = req.headers.authorization;
    if (authorization) {
      const hit = this.cached(authorization);
      if (hit) return hit;
      this.warm(authorization);
      return null;
    }
    for (const s of this.cookieSessions(req.headers)) {
      if (this.directory.user(s.userId)?.enabled) return s.userId;
    }
    return null;
  }

  private cookieSessions(headers: IncomingHttpHeaders): Session[] {
    const out: Session[] = [];
    for (const id of cookieValues(headers.cookie, SESSION_COOKIE)) {
      const s = this.sessions.get(id);
      if (s) out.push(s);
    }
    return out;
  }

  private key(authorization: string): string {
    return createHash('sha256').update(authorization).digest('base64');
  }

  private cached(authorization: string): string | undefined {
    const k = this.key(authorization);
    const hit = this.cache.get(k);
    if (!hit) return undefined;
    const now = this.now();
    if (hit.expires < now) {
      this.cache.delete(k);
      return undefined;
    }
    hit.expires = now + this.cacheTtlMs;
    return hit.userId;
  }

  private warm(authorization: string): void {
    this.basicUser(authorization).catch(() => undefined);
  }

  /**
   * The user of Basic credentials: from the cache, else verified, and a header already being
   * verified shares that verification (a burst of first requests costs one scrypt, not one each).
   */
  private basicUser(authorization: string): Promise<UserRecord> {
    const hitId = this.cached(authorization);
    if (hitId) {
      const u = this.directory.user(hitId);
      if (u?.enabled) return Promise.resolve(u);
    }
    const k = this.key(authorization);
    const running = this.verifying.get(k);
    if (running) return running;
    const p = this.verifyBasic(authorization).finally(() => this.verifying.delete(k));
    this.verifying.set(k, p);
    return p;
  }

  private async verifyBasic(authorization: string): Promise<UserRecord> {
    const m = /^\s*basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(authorization);
    if (!m) throw gws.notAuthenticated('Only HTTP Basic authentication is supported: Authorization: Basic base64(user:password)');
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw gws.notAuthenticated('Malformed Basic credentials: expected base64 of "user:password"');
    const user = this.directory.userByName(decoded.slice(0, colon));
    if (!user || !user.enabled) throw gws.notAuthenticated(BAD_CREDENTIALS);
    let ok = false;
    try {
      ok = await this.verify(decoded.slice(colon + 1), user.passwordHash);
    } catch {
      ok = false;
    }
    if (!ok) throw gws.notAuthenticated(BAD_CREDENTIALS);
    if (this.cache.size >= MAX_CACHE) this.prune();
    this.cache.set(this.key(authorization), { userId: user.id, expires: this.now() + this.cacheTtlMs });
    return user;
  }

  private prune(): void {
    const now = this.now();
    for (const [k, v] of this.cache) if (v.expires < now) this.cache.delete(k);
    if (this.cache.size >= MAX_CACHE) this.cache.clear();
  }
}
