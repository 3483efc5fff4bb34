/**
 * HTTP sessions (the JSESSIONID cookie of GWS, gws-voice-api.md 1.4), one CSRF token each,
 * expiring after config.sessionTtlSec without use. A user authenticating with Basic and no live
 * cookie reuses their latest session rather than getting a new one per request, so clients that
 * never keep cookies (load tests, SDKs) do not grow the table. Guarantees (docs/security.md 6):
 *   - with a SessionStore, sessions survive a restart: `restore` loads the live ones; only the
 *     SHA-256 of an id is stored, and a restored session is found by hashing the cookie presented;
 *   - the sliding expiry is written at most once per `writeIntervalMs` per session (not on every
 *     request), so after a restart a session may expire up to that much earlier, never later;
 *   - store writes run one after another in call order; a failing write is reported to `onError`
 *     and never fails the request (the in-memory session stays authoritative while running);
 *   - `onUserSessionsEnded(userId)` is called when a user's last live session expires, so the
 *     composition root can end that user's CometD sessions with it (an explicit logout ends them
 *     itself, after a grace: me-ops.ts).
 * Lookups are synchronous (the CometD hook is): every live session is in memory. On a cluster node
 * the sessions other nodes create, use and end arrive through `adopt`, `touched`, `forget` and
 * `forgetUser` (src/cluster/bus/session-relay.ts), which change memory only (the other node wrote
 * the store); after a NATS reconnect `reconcile` reads what was missed from the store.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { SessionStore, StoredSession } from '../store/port.js';

export const SESSION_COOKIE = 'JSESSIONID';

export interface Session {
  readonly id: string;
  readonly userId: string;
  readonly csrfToken: string;
  lastSeen: number;
}

export interface SessionsOptions {
  store?: SessionStore;
  /** lastSeen is written to the store at most this often per session, ms; default 60000 */
  writeIntervalMs?: number;
  onError?: (err: unknown, what: string) => void;
  onUserSessionsEnded?: (userId: string) => void;
}

interface Entry {
  /** undefined while restored from the store and not yet presented by its client */
  session?: Session;
  readonly userId: string;
  readonly csrfToken: string;
  readonly createdAt: number;
  lastSeen: number;
  /** lastSeen as last written to the store */
  written: number;
}

/** how a session id is known to the store */
export function sessionIdHash(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

export class Sessions {
  private readonly byHash = new Map<string, Entry>();
  /** user id -> hashes of the user's live sessions, latest created last */
  private readonly ofUser = new Map<string, Set<string>>();
  /** id -> hash of the live sessions presented here (request path memo; dropped when the session ends) */
  private readonly hashOfId = new Map<string, string>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly store?: SessionStore;
  private readonly writeIntervalMs: number;
  private writes: Promise<void> = Promise.resolve();
  /** per reconcile under way, the sessions that ended meanwhile (its read must not bring them back) */
  private readonly endedDuringReads = new Set<Set<string>>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly options: SessionsOptions = {},
  ) {
    this.store = options.store;
    this.writeIntervalMs = Math.min(options.writeIntervalMs ?? 60_000, ttlMs);
    this.sweeper = setInterval(() => this.sweep(), Math.max(1000, Math.min(ttlMs, 60_000)));
    this.sweeper.unref();
  }

  /** Load the live sessions kept by the store (and drop the expired ones there); how many. */
  async restore(): Promise<number> {
    if (!this.store) return 0;
    const cutoff = this.now() - this.ttlMs;
    await this.store.deleteSessionsSeenBefore(cutoff);
    const stored = await this.store.sessionsSeenSince(cutoff);
    for (const s of stored) {
      if (this.byHash.has(s.idHash)) continue;
      this.add(s.idHash, { userId: s.userId, csrfToken: s.csrfToken, createdAt: s.createdAt, lastSeen: s.lastSeen, written: s.lastSeen });
    }
    return stored.length;
  }

  create(userId: string): Session {
    const now = this.now();
    const session: Session = { id: randomBytes(16).toString('hex').toUpperCase(), userId, csrfToken: randomUUID(), lastSeen: now };
    const hash = sessionIdHash(session.id);
    this.add(hash, { session, userId, csrfToken: session.csrfToken, createdAt: now, lastSeen: now, written: now });
    const record: StoredSession = { idHash: hash, userId, csrfToken: session.csrfToken, createdAt: now, lastSeen: now };
    this.write('save', (store) => store.saveSession(record));
    return session;
  }

  /** a live session (touched), or undefined when unknown or idle for too long */
  get(id: string): Session | undefined {
    if (typeof id !== 'string' || id.length === 0 || id.length > 128) return undefined;
    // the hash of an id already presented is remembered (no SHA-256 per request); only live ids are
    const hash = this.hashOfId.get(id) ?? sessionIdHash(id);
    const entry = this.byHash.get(hash);
    if (!entry) {
      this.hashOfId.delete(id);
      return undefined;
    }
    this.hashOfId.set(id, hash);
    const now = this.now();
    if (now - entry.lastSeen > this.ttlMs) {
      this.end(hash, true);
      return undefined;
    }
    entry.lastSeen = now;
    entry.session ??= { id, userId: entry.userId, csrfToken: entry.csrfToken, lastSeen: now };
    entry.session.lastSeen = now;
    if (now - entry.written >= this.writeIntervalMs) {
      entry.written = now;
      this.write('touch', (store) => store.touchSession(hash, now));
    }
    return entry.session;
  }

  /** the user's latest live session whose id is known here, or a new one */
  forUser(userId: string): Session {
    const hashes = [...(this.ofUser.get(userId) ?? [])].reverse();
    for (const hash of hashes) {
      const id = this.byHash.get(hash)?.session?.id;
      const live = id ? this.get(id) : undefined;
      if (live) return live;
    }
    return this.create(userId);
  }

  invalidate(id: string): void {
    this.end(sessionIdHash(id), false);
  }

  /** a session another node created (cluster): known here from now on; the store is not written */
  adopt(s: StoredSession): void {
    if (this.byHash.has(s.idHash)) return;
    this.add(s.idHash, { userId: s.userId, csrfToken: s.csrfToken, createdAt: s.createdAt, lastSeen: s.lastSeen, written: s.lastSeen });
  }

  /** another node used a session (cluster): its expiry moves forward here too */
  touched(idHash: string, lastSeen: number): void {
    const entry = this.byHash.get(idHash);
    if (entry && lastSeen > entry.lastSeen) {
      entry.lastSeen = lastSeen;
      entry.written = Math.max(entry.written, lastSeen);
    }
  }

  /** another node ended a session (logout, cluster): gone here too; the store is not written */
  forget(idHash: string): void {
    this.remove(idHash);
  }

  /**
   * Another node ended every session of this user in the store (their password changed, cluster):
   * they end here too, and are deleted from the store once more (one made here since that node's
   * delete would otherwise come back at a restart), and the user's CometD sessions end with them
   * (`onUserSessionsEnded`), whether or not an HTTP session of theirs was known here.
   */
  forgetUser(userId: string): void {
    for (const hash of [...(this.ofUser.get(userId) ?? [])]) {
      this.remove(hash);
      this.write('delete', (store) => store.deleteSession(hash));
    }
    try {
      this.options.onUserSessionsEnded?.(userId);
    } catch (err) {
      this.options.onError?.(err, 'onUserSessionsEnded');
    }
  }

  /**
   * This node was cut off from the others (a NATS reconnect, cluster) and may have missed their
   * `adopt` and `forget`: the store is the truth for that time. Sessions the store has and memory
   * does not are adopted; sessions known here before the read that the store no longer has (ended
   * on another node meanwhile) end here without a write, and a user left with none loses their
   * CometD sessions too (`onUserSessionsEnded`). This node's own writes asked for before are waited
   * for first, a session made here during the read is not touched, and one that ends during the read
   * (a logout here, a `forget` from another node) is not brought back by it. How many of each.
   */
  async reconcile(): Promise<{ adopted: number; ended: number }> {
    const store = this.store;
    if (!store) return { adopted: 0, ended: 0 };
    const known = [...this.byHash.keys()];
    const endedMeanwhile = new Set<string>();
    this.endedDuringReads.add(endedMeanwhile);
    let stored: StoredSession[];
    try {
      await this.writes;
      // a row's lastSeen lags memory by at most writeIntervalMs (the sweep's cutoff, for the same reason)
      stored = await store.sessionsSeenSince(this.now() - this.ttlMs - this.writeIntervalMs);
    } finally {
      this.endedDuringReads.delete(endedMeanwhile);
    }
    const inStore = new Set<string>();
    let adopted = 0;
    for (const s of stored) {
      inStore.add(s.idHash);
      // ended here, or told ended, while the store was read: the row read is older than that
      if (endedMeanwhile.has(s.idHash)) continue;
      if (!this.byHash.has(s.idHash)) adopted++;
      this.adopt(s);
      this.touched(s.idHash, s.lastSeen);
    }
    const endedUsers = new Set<string>();
    let ended = 0;
    for (const hash of known) {
      if (inStore.has(hash)) continue;
      const entry = this.remove(hash);
      if (!entry) continue;
      ended++;
      if (!this.ofUser.has(entry.userId)) endedUsers.add(entry.userId);
    }
    for (const userId of endedUsers) {
      try {
        this.options.onUserSessionsEnded?.(userId);
      } catch (err) {
        this.options.onError?.(err, 'onUserSessionsEnded');
      }
    }
    return { adopted, ended };
  }

  /** true while the user has a live session */
  hasLiveSession(userId: string): boolean {
    const now = this.now();
    for (const hash of this.ofUser.get(userId) ?? []) {
      const entry = this.byHash.get(hash);
      if (entry && now - entry.lastSeen <= this.ttlMs) return true;
    }
    return false;
  }

  sweep(): void {
    const now = this.now();
    for (const [hash, entry] of this.byHash) if (now - entry.lastSeen > this.ttlMs) this.end(hash, true);
    // rows no node keeps in memory any more (a write lags by at most writeIntervalMs)
    const cutoff = now - this.ttlMs - this.writeIntervalMs;
    this.write('sweep', (store) => store.deleteSessionsSeenBefore(cutoff).then(() => undefined));
  }

  size(): number {
    return this.byHash.size;
  }

  /** stop the sweeper and wait for the store writes already asked for */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await this.writes;
  }

  private add(hash: string, entry: Entry): void {
    this.byHash.set(hash, entry);
    let hashes = this.ofUser.get(entry.userId);
    if (!hashes) this.ofUser.set(entry.userId, (hashes = new Set()));
    hashes.add(hash);
  }

  /** forget a session in memory (its user's set and the id memo too); the entry, if it was known */
  private remove(hash: string): Entry | undefined {
    const entry = this.byHash.get(hash);
    if (!entry) return undefined;
    for (const ended of this.endedDuringReads) ended.add(hash);
    this.byHash.delete(hash);
    if (entry.session) this.hashOfId.delete(entry.session.id);
    const hashes = this.ofUser.get(entry.userId);
    hashes?.delete(hash);
    if (!hashes || hashes.size === 0) this.ofUser.delete(entry.userId);
    return entry;
  }

  private end(hash: string, expired: boolean): void {
    const entry = this.remove(hash);
    if (!entry) return;
    this.write('delete', (store) => store.deleteSession(hash));
    if (!this.ofUser.has(entry.userId)) {
      if (!expired) return;
      try {
        this.options.onUserSessionsEnded?.(entry.userId);
      } catch (err) {
        this.options.onError?.(err, 'onUserSessionsEnded');
      }
    }
  }

  private write(what: string, op: (store: SessionStore) => Promise<void>): void {
    const store = this.store;
    if (!store) return;
    this.writes = this.writes
      .then(() => op(store))
      .catch((err: unknown) => this.options.onError?.(err, `session store ${what}`));
  }
}

/**
 * Every value of one cookie name in a Cookie header (a shared jar may hold several): each
 * ";"-separated part with an "=", whose trimmed name is `name`, gives its trimmed value without
 * one pair of surrounding double quotes. Scanned in place (no split array, no regular expression:
 * it runs on every cookie-carrying request).
 */
export function cookieValues(header: string | undefined, name: string): string[] {
  if (!header) return [];
  const out: string[] = [];
  for (let start = 0; start <= header.length; ) {
    const semicolon = header.indexOf(';', start);
    const end = semicolon < 0 ? header.length : semicolon;
    const equals = header.indexOf('=', start);
    if (equals >= 0 && equals < end && header.slice(start, equals).trim() === name) out.push(unquoted(header.slice(equals + 1, end).trim()));
    start = end + 1;
  }
  return out;
}

const unquoted = (value: string): string => (value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value);

export function sessionCookie(id: string): string {
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Lax`;
}

export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax`;
}
