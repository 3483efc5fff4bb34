/**
 * Authentication for REST and CometD (gws-voice-api.md 1.4, client-expectations.md 1): HTTP Basic
 * on any request, else the JSESSIONID cookie of a live session. An Authorization header wins over
 * the cookie. Failures are statusCode 20 (HTTP 401, no WWW-Authenticate). Guarantees
 * (docs/security.md section 4):
 *   - credentials are verified against the stored scrypt hash, then cached in memory for a sliding
 *     TTL, keyed by an HMAC (per-process random key) of the decoded, normalised (user name, password)
 *     pair, so `=` padding or case variants of one header share one entry; the cache is an LRU;
 *   - an unknown or disabled user costs one scrypt against an unmatchable hash, like a wrong
 *     password (no user enumeration by timing);
 *   - back-off per user name and per source address (auth-backoff.ts): while it lasts every
 *     attempt that needs a verification, even with the right password, is refused with statusCode
 *     20 and a Retry-After (RetryLaterError); credentials already verified (cached) and live
 *     session cookies keep working, so a flood against a user does not log that user out;
 *   - verifications go through a bounded, fair queue (verify-queue.ts): a flood from one source
 *     cannot starve other sources, and user names already verified from a source go first;
 *   - the same wrong credentials repeated within a few seconds are refused from a short negative
 *     cache, without another scrypt and without counting again;
 *   - decoded credentials that are not UTF-8 or hold a control character (RFC 7617 2) are refused
 *     before any lookup: otherwise "pw" and "pw\0" would both verify (scrypt's PBKDF2-HMAC pads
 *     its key with zeros), and two invalid byte strings would decode to one password.
 * The Bayeux hook is synchronous: `prepare` verifies before each CometD request and upgrade.
 *
 * Request path (cost rule): a request whose credentials are cached is authenticated synchronously
 * (`authenticateNow`: no Promise, no scrypt). A keep-alive connection remembers the last
 * Authorization header it presented and that header's credential key, so a client that sends the
 * same header on every request costs one comparison and one cache lookup instead of a base64
 * decode and an HMAC; the memo lives on the connection (a WeakMap keyed by the socket) and goes
 * with it, and the credential cache itself still holds only HMACs. The cache's TTL, LRU order and
 * the user's `enabled` flag are checked on every request, memo or not.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { isUtf8 } from 'node:buffer';
import { CONTROL_CHARACTER } from '../config/check.js';
import type { AuthConfig } from '../config/types.js';
import { DomainError, ErrorCode } from '../errors.js';
import { unmatchableHash } from '../store/password.js';
import type { UserRecord } from '../store/port.js';
import { Backoff, type BackoffPolicy } from './auth-backoff.js';
import type { Directory } from './directory.js';
import { LruMap } from './lru.js';
import { gws } from './reply.js';
import type { Session, Sessions } from './sessions.js';
import { SESSION_COOKIE, cookieValues } from './sessions.js';
import { Lane, VerificationQueue, VerificationQueueFull, type VerificationQueueOptions } from './verify-queue.js';

export type VerifyPassword = (plain: string, hash: string) => Promise<boolean>;

export interface Authenticated {
  user: UserRecord;
  session: Session;
  byAuthorization: boolean;
  /** the response must set the session cookie (the request did not carry this session's) */
  setCookie: boolean;
}

export interface AuthPolicy {
  /** back-off per user name */
  userBackoff: BackoffPolicy;
  /** back-off per source address (a higher threshold: an office behind NAT shares one address) */
  sourceBackoff: BackoffPolicy;
  queue: VerificationQueueOptions;
  /** verified credentials kept at most (least recently used forgotten first) */
  cacheSize: number;
  /** a verified credential unused for this long is verified again, ms */
  cacheTtlMs: number;
  /** the same wrong credentials are refused without a new verification for this long, ms */
  negativeTtlMs: number;
  /** (user name, source) pairs remembered as having logged in (the trusted lane) */
  knownGoodSize: number;
}

export interface AuthOptions {
  policy?: Partial<AuthPolicy>;
  now?: () => number;
  /** the hash unknown users are checked against; default: unmatchable, at the cost of new hashes */
  dummyHash?: string;
}

/** What the defaults of config.auth give (docs/configuration.md). */
export const DEFAULT_AUTH_POLICY: AuthPolicy = Object.freeze({
  userBackoff: Object.freeze({ failuresBeforeBackoff: 5, windowMs: 300_000, baseDelayMs: 1_000, maxDelayMs: 30_000, maxTracked: 100_000 }),
  sourceBackoff: Object.freeze({ failuresBeforeBackoff: 20, windowMs: 300_000, baseDelayMs: 1_000, maxDelayMs: 30_000, maxTracked: 100_000 }),
  queue: Object.freeze({ concurrency: 2, maxPerSource: 8, maxQueued: 256 }),
  cacheSize: 10_000,
  cacheTtlMs: 600_000,
  negativeTtlMs: 5_000,
  knownGoodSize: 10_000,
});

/** The policy configured in config.auth. */
export function authPolicyOf(config: AuthConfig): AuthPolicy {
  const delays = { windowMs: config.failureWindowSec * 1000, baseDelayMs: config.backoffBaseMs, maxDelayMs: config.backoffMaxMs };
  return {
    ...DEFAULT_AUTH_POLICY,
    userBackoff: { ...DEFAULT_AUTH_POLICY.userBackoff, failuresBeforeBackoff: config.failuresBeforeBackoff, ...delays },
    sourceBackoff: { ...DEFAULT_AUTH_POLICY.sourceBackoff, failuresBeforeBackoff: config.failuresBeforeSourceBackoff, ...delays },
    queue: { concurrency: config.verifyConcurrency, maxPerSource: config.verifyMaxPerSource, maxQueued: config.verifyMaxQueued },
    cacheSize: config.credentialCacheSize,
    cacheTtlMs: config.credentialCacheTtlSec * 1000,
  };
}

/** A refusal that says when to come back: answered with statusCode 20 and a Retry-After header. */
export class RetryLaterError extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSec: number,
  ) {
    super(ErrorCode.NotAuthenticated, message);
  }
}

/** seconds for a Retry-After header, when `err` asks the client to come back later */
export function retryAfterOf(err: unknown): number | undefined {
  return err instanceof RetryLaterError ? err.retryAfterSec : undefined;
}

const BAD_CREDENTIALS = 'Invalid user name or password';
const NO_CREDENTIALS =
  'Not authenticated: send HTTP Basic credentials (Authorization: Basic ...) or the JSESSIONID cookie of a live session';
const BASIC_ONLY = 'Only HTTP Basic authentication is supported: Authorization: Basic base64(user:password)';
const MALFORMED = 'Malformed Basic credentials: expected base64 of "user:password"';
const NOT_UTF8 = 'Malformed Basic credentials: "user:password" must be UTF-8 before base64';
const CONTROL_IN_CREDENTIALS = 'Malformed Basic credentials: the user name and password must not contain control characters (RFC 7617 2)';
const UNKNOWN_SOURCE = 'unknown';

interface CredentialKey {
  userName: string;
  /** HMAC of the normalised pair: the cache key */
  key: string;
}

interface Credentials extends CredentialKey {
  password: string;
}

function sourceOf(address: string | undefined): string {
  return address && address.length <= 64 ? address : UNKNOWN_SOURCE;
}

export class Auth {
  private readonly policy: AuthPolicy;
  private readonly now: () => number;
  private readonly secret = randomBytes(32);
  private readonly dummyHash: string;
  /** credential key -> verified user, sliding expiry */
  private readonly cache: LruMap<string, { userId: string; expires: number }>;
  /** refused credentials (by key): until when, and whose (a password change forgets the user's) */
  private readonly rejected: LruMap<string, { until: number; user: string }>;
  /** HMAC of (user name, source) that logged in before */
  private readonly knownGood: LruMap<string, true>;
  /** per keep-alive connection: the last Authorization header seen on it, and its parsed credentials */
  private readonly perConnection = new WeakMap<object, { authorization: string; credentials: CredentialKey }>();
  /** verifications under way, by credential key */
  private readonly verifying = new Map<string, Promise<UserRecord>>();
  private readonly userBackoff: Backoff;
  private readonly sourceBackoff: Backoff;
  private readonly queue: VerificationQueue;

  constructor(
    private readonly directory: Directory,
    private readonly sessions: Sessions,
    private readonly verify: VerifyPassword,
    options: AuthOptions = {},
  ) {
    const given = options.policy ?? {};
    this.policy = {
      ...DEFAULT_AUTH_POLICY,
      ...given,
      userBackoff: { ...DEFAULT_AUTH_POLICY.userBackoff, ...given.userBackoff },
      sourceBackoff: { ...DEFAULT_AUTH_POLICY.sourceBackoff, ...given.sourceBackoff },
      queue: { ...DEFAULT_AUTH_POLICY.queue, ...given.queue },
    };
    this.now = options.now ?? Date.now;
    this.dummyHash = options.dummyHash ?? unmatchableHash();
    this.cache = new LruMap(this.policy.cacheSize);
    this.rejected = new LruMap(Math.max(1, Math.min(this.policy.cacheSize, 10_000)));
    this.knownGood = new LruMap(this.policy.knownGoodSize);
    this.userBackoff = new Backoff(this.policy.userBackoff, this.now);
    this.sourceBackoff = new Backoff(this.policy.sourceBackoff, this.now);
    this.queue = new VerificationQueue(this.policy.queue);
  }

  /** REST: who is calling, or a statusCode 20 error (a RetryLaterError during a back-off). */
  async authenticate(headers: IncomingHttpHeaders, sourceAddress?: string, connection?: object): Promise<Authenticated> {
    const now = this.authenticateNow(headers, connection);
    if (now) return now;
    const user = await this.basicUser(headers.authorization!, sourceOf(sourceAddress));
    return this.withSession(user, headers);
  }

  /**
   * REST, synchronously: the caller when the request carries cached Basic credentials or only a
   * live session cookie; undefined when its Basic credentials need a verification (then
   * `authenticate`); throws the statusCode 20 error of a request with neither.
   */
  authenticateNow(headers: IncomingHttpHeaders, connection?: object): Authenticated | undefined {
    const authorization = headers.authorization;
    if (authorization) {
      const credentials = this.credentialsOf(authorization, connection);
      const userId = credentials && this.cached(credentials.key);
      const user = userId ? this.directory.user(userId) : undefined;
      return user?.enabled ? this.withSession(user, headers) : undefined;
    }
    for (const s of this.cookieSessions(headers)) {
      const user = this.directory.user(s.userId);
      if (user?.enabled) return { user, session: s, byAuthorization: false, setCookie: false };
    }
    throw gws.notAuthenticated(NO_CREDENTIALS);
  }

  /** a user authenticated by Basic: the session of the cookie sent along, else the user's latest */
  private withSession(user: UserRecord, headers: IncomingHttpHeaders): Authenticated {
    const own = this.cookieSessions(headers).find((s) => s.userId === user.id);
    if (own) return { user, session: own, byAuthorization: true, setCookie: false };
    return { user, session: this.sessions.forUser(user.id), byAuthorization: true, setCookie: true };
  }

  /** the credential key of a Basic header (remembered per connection), or undefined when malformed */
  private credentialsOf(authorization: string, connection: object | undefined): CredentialKey | undefined {
    const memo = connection && this.perConnection.get(connection);
    if (memo && memo.authorization === authorization) return memo.credentials;
    let credentials: Credentials;
    try {
      credentials = this.parse(authorization);
    } catch {
      return undefined;
    }
    const kept = { userName: credentials.userName, key: credentials.key };
    if (connection) this.perConnection.set(connection, { authorization, credentials: kept });
    return kept;
  }

  /**
   * Before a CometD request reaches the Bayeux server: verify Basic credentials that are not in
   * the cache yet, so the synchronous hook below finds them. Undefined when there is nothing to do
   * (no header, or already cached); never rejects (bad credentials are refused by the hook).
   */
  prepare(authorization: string | undefined, sourceAddress?: string): Promise<void> | undefined {
    if (!authorization || this.cachedHeader(authorization)) return undefined;
    return this.basicUser(authorization, sourceOf(sourceAddress)).then(
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
      const credentials = this.credentialsOf(authorization, req.socket ?? undefined);
      const hit = credentials && this.cached(credentials.key);
      if (hit) return hit;
      this.basicUser(authorization, sourceOf(req.socket?.remoteAddress)).catch(() => undefined);
      return null;
    }
    for (const s of this.cookieSessions(req.headers)) {
      if (this.directory.user(s.userId)?.enabled) return s.userId;
    }
    return null;
  }

  /**
   * A /meta/connect over a websocket (the Bayeux keepAlive hook, given the upgrade's headers): the
   * HTTP sessions the websocket was opened with count as used, as a long-poll's connect uses its
   * cookie's session (docs/security.md 6); with Basic, the user's latest session. Never refuses.
   */
  keepAlive(headers: IncomingHttpHeaders): void {
    if (this.cookieSessions(headers).length > 0) return;
    const user = headers.authorization ? this.cachedHeader(headers.authorization) : undefined;
    if (user) this.sessions.forUser(user);
  }

  /** seconds before a login as `userName` from `sourceAddress` may be verified; 0 when now */
  retryAfterSec(userName: string, sourceAddress?: string): number {
    const ms = Math.max(this.userBackoff.retryAfterMs(userKey(userName)), this.sourceBackoff.retryAfterMs(sourceOf(sourceAddress)));
    return Math.ceil(ms / 1000);
  }

  private cookieSessions(headers: IncomingHttpHeaders): Session[] {
    const out: Session[] = [];
    for (const id of cookieValues(headers.cookie, SESSION_COOKIE)) {
      const s = this.sessions.get(id);
      if (s) out.push(s);
    }
    return out;
  }

  /** the decoded credentials of a Basic header, or the statusCode 20 error saying what is wrong */
  private parse(authorization: string): Credentials {
    const m = /^\s*basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(authorization);
    if (!m) throw gws.notAuthenticated(BASIC_ONLY);
    const raw = Buffer.from(m[1], 'base64');
    // one credential, one meaning: invalid UTF-8 would decode to U+FFFD, and scrypt (PBKDF2-HMAC
    // inside) takes a password with trailing NULs for the same password
    if (!isUtf8(raw)) throw gws.notAuthenticated(NOT_UTF8);
    const decoded = raw.toString('utf8');
    if (CONTROL_CHARACTER.test(decoded)) throw gws.notAuthenticated(CONTROL_IN_CREDENTIALS);
    const colon = decoded.indexOf(':');
    if (colon < 0) throw gws.notAuthenticated(MALFORMED);
    const userName = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const key = createHmac('sha256', this.secret)
      .update(userName.toLowerCase().normalize('NFC'))
      .update('\0')
      .update(password.normalize('NFC'))
      .digest('base64');
    return { userName, password, key };
  }

  private cachedHeader(authorization: string): string | undefined {
    let credentials: Credentials;
    try {
      credentials = this.parse(authorization);
    } catch {
      return undefined;
    }
    return this.cached(credentials.key);
  }

  private cached(key: string): string | undefined {
    const hit = this.cache.get(key);
    if (!hit) return undefined;
    const now = this.now();
    if (hit.expires < now) {
      this.cache.delete(key);
      return undefined;
    }
    hit.expires = now + this.policy.cacheTtlMs;
    return hit.userId;
  }

  /**
   * The user of Basic credentials: from the cache, else verified; credentials already being
   * verified share that verification (a burst of first requests costs one scrypt, not one each).
   */
  private basicUser(authorization: string, source: string): Promise<UserRecord> {
    let credentials: Credentials;
    try {
      credentials = this.parse(authorization);
    } catch (err) {
      return Promise.reject(err);
    }
    const hitId = this.cached(credentials.key);
    if (hitId) {
      const u = this.directory.user(hitId);
      if (u?.enabled) return Promise.resolve(u);
    }
    const running = this.verifying.get(credentials.key);
    if (running) return running;
    const refused = this.rejected.peek(credentials.key);
    if (refused !== undefined && refused.until > this.now()) return Promise.reject(gws.notAuthenticated(BAD_CREDENTIALS));
    const p = this.admit(credentials, source).finally(() => this.verifying.delete(credentials.key));
    this.verifying.set(credentials.key, p);
    return p;
  }

  private refusalIfBackedOff(credentials: Credentials, source: string): RetryLaterError | undefined {
    const seconds = this.retryAfterSec(credentials.userName, source);
    if (seconds <= 0) return undefined;
    return new RetryLaterError(`Too many failed logins for this user or from this address: try again in ${seconds} s`, seconds);
  }

  private async admit(credentials: Credentials, source: string): Promise<UserRecord> {
    const early = this.refusalIfBackedOff(credentials, source);
    if (early) throw early;
    const lane = this.knownGood.has(this.pairKey(credentials.userName, source)) ? Lane.Trusted : Lane.Normal;
    try {
      return await this.queue.run(source, lane, () => this.verifyNow(credentials, source));
    } catch (err) {
      if (err instanceof VerificationQueueFull) throw new RetryLaterError(`Too many logins in progress (${err.message}): try again in 1 s`, 1);
      throw err;
    }
  }

  /** one verification, once admitted: the back-off is checked again (it may have started meanwhile) */
  private async verifyNow(credentials: Credentials, source: string): Promise<UserRecord> {
    const late = this.refusalIfBackedOff(credentials, source);
    if (late) throw late;
    const user = this.directory.userByName(credentials.userName);
    const usable = user !== undefined && user.enabled;
    const hash = usable ? user.passwordHash : this.dummyHash;
    let ok = false;
    try {
      ok = await this.verify(credentials.password, hash);
    } catch {
      ok = false;
    }
    // the password changed while scrypt ran (passwordChanged): what was checked is not the user's
    // password any more, so the answer is refused but neither cached nor remembered nor counted as
    // a failure (the same credentials may be the new password: the next attempt checks them again)
    if (usable && user.passwordHash !== hash) throw gws.notAuthenticated(BAD_CREDENTIALS);
    if (!ok || !usable) {
      this.userBackoff.recordFailure(userKey(credentials.userName));
      this.sourceBackoff.recordFailure(source);
      this.rejected.set(credentials.key, { until: this.now() + this.policy.negativeTtlMs, user: userKey(credentials.userName) });
      throw gws.notAuthenticated(BAD_CREDENTIALS);
    }
    this.userBackoff.recordSuccess(userKey(credentials.userName));
    this.knownGood.set(this.pairKey(credentials.userName, source), true);
    this.rejected.delete(credentials.key);
    this.cache.set(credentials.key, { userId: user.id, expires: this.now() + this.policy.cacheTtlMs });
    return user;
  }

  /**
   * Another cluster node stored a new password for this user and ended their stored sessions: the
   * copy of the user's credentials here takes the stored hash, the credentials cached for the user
   * are dropped (the old password is verified again, and fails), so are the refusals remembered for
   * the user (the new password may have been tried before the change arrived), and the user's
   * sessions here end.
   */
  passwordChanged(user: Pick<UserRecord, 'id' | 'passwordHash'>): void {
    this.directory.setPasswordHash(user.id, user.passwordHash);
    this.cache.deleteWhere((entry) => entry.userId === user.id);
    // the new password may have been tried (and refused) here before the change arrived
    const name = this.directory.user(user.id)?.userName;
    if (name !== undefined) {
      const key = userKey(name);
      this.rejected.deleteWhere((refusal) => refusal.user === key);
    }
    this.sessions.forgetUser(user.id);
  }

  private pairKey(userName: string, source: string): string {
    return createHmac('sha256', this.secret).update(userName.toLowerCase()).update('\0').update(source).digest('base64');
  }
}

const userKey = (userName: string): string => userName.toLowerCase().normalize('NFC');
