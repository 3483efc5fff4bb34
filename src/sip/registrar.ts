/**
 * The registrar (RFC 3261 section 10.3, rules of spec/sip.md section 3): REGISTER with digest
 * authentication as the DN, bindings with expiry, and the failed-attempt lockout. Also the shared
 * "authenticate this request as that DN" step the server uses for INVITEs from phones.
 *
 * Guarantees:
 * - Nothing changes without a verified digest whose username is the DN in To (REGISTER) or From (other
 *   requests); an unknown DN is challenged like a known one and then refused with 403, so the existence
 *   of a DN is not revealed before authentication.
 * - Expiry: asked-for values (Contact `expires` parameter, else Expires header, else 3600) below 60 s
 *   get 423 with Min-Expires and change nothing, above 3600 s are shortened to 3600 s; 0 removes;
 *   `Contact: *` with `Expires: 0` removes every binding of the DN. Several contacts per DN, at most
 *   `maxBindingsPerDn` (10): a new one beyond that removes the oldest; `contactFor` gives the newest.
 *   Each binding expires on the injected clock.
 * - Lockout: 5 failed authentications from one source address within 60 s block that address for 60 s
 *   (the SIP server answers 403 to everything it sends, except requests inside a dialog and CANCEL,
 *   so its calls can still end: server.ts), logged once per block; the table of addresses is bounded.
 * - `registered(dn)` fires when a DN gets its first live binding, `unregistered(dn)` when it loses the last.
 */
import { buildResponse, getHeader, getHeaders, newTag, type SipHeader, type SipRequest, type SipResponse } from './message.js';
import { parseNameAddr, formatUri } from './uri.js';
import { parseCSeq } from './headers.js';
import type { DigestServer, StoredCredentials } from './digest.js';
import type { Destination, SipClock } from './transaction.js';
import type { BindingPersistence, StoredBinding } from './bindings.js';
import { destinationOfUri } from './dialog.js';

/** The injected port to the provisioning data: the credentials of an extension DN, if it may register. */
export interface ExtensionLookup {
  lookupExtension(dn: string): StoredCredentials | undefined;
}

export interface RegistrarEvents {
  registered?(dn: string): void;
  unregistered?(dn: string): void;
}

export type SipLog = (level: 'info' | 'warn', message: string, fields?: Record<string, unknown>) => void;

export interface RegistrarOptions {
  clock: SipClock;
  lookup: ExtensionLookup;
  digest: DigestServer;
  /** realm for challenges to DNs the lookup does not know */
  defaultRealm: string;
  events?: RegistrarEvents;
  log?: SipLog;
  minExpiresSeconds?: number;
  maxExpiresSeconds?: number;
  defaultExpiresSeconds?: number;
  /** most live bindings per DN (default 10): a registration beyond it drops the DN's oldest binding */
  maxBindingsPerDn?: number;
  lockoutAttempts?: number;
  lockoutWindowMs?: number;
  lockoutBlockMs?: number;
  /** most source addresses whose failures are tracked (default 10000) */
  maxTrackedAddresses?: number;
  /** User-Agent patterns that get an MD5-only challenge (default MD5_ONLY_USER_AGENTS) */
  md5OnlyUserAgents?: readonly RegExp[];
  /** told of every binding saved (new or refreshed) and removed (unregistered or expired); not of close() */
  persistence?: BindingPersistence;
}

/**
 * User agents that fail on a SHA-256 challenge even when an MD5 one is offered next to it, so they are
 * challenged with MD5 alone. baresip 1.x (libre 1.x, Debian 12's baresip-core 1.0.0) rejects the whole
 * 401 with ENOSYS ("Register: Function not implemented") as soon as one challenge is not MD5.
 */
export const MD5_ONLY_USER_AGENTS: readonly RegExp[] = [/^baresip v?[01]\./i];

/** A live binding: what is stored (bindings.ts), plus its place in time order and its expiry timer. */
export interface Binding extends StoredBinding {
  /** increasing with each registration or refresh: the highest is the newest */
  order: number;
  cancelExpiry: () => void;
}

export type AuthOutcome = { ok: true; dn: string } | { ok: false; response: SipResponse };

export class Registrar {
  private readonly bindingsByDn = new Map<string, Binding[]>();
  private readonly failures = new Map<string, number[]>();
  private readonly blockedUntil = new Map<string, number>();
  private order = 0;
  private readonly minExpires: number;
  private readonly maxExpires: number;
  private readonly defaultExpires: number;
  private readonly maxBindings: number;
  private readonly lockoutAttempts: number;
  private readonly lockoutWindow: number;
  private readonly lockoutBlock: number;
  private readonly maxTracked: number;

  constructor(private readonly options: RegistrarOptions) {
    this.minExpires = options.minExpiresSeconds ?? 60;
    this.maxExpires = options.maxExpiresSeconds ?? 3600;
    this.defaultExpires = options.defaultExpiresSeconds ?? 3600;
    this.maxBindings = Math.max(1, options.maxBindingsPerDn ?? 10);
    this.lockoutAttempts = options.lockoutAttempts ?? 5;
    this.lockoutWindow = options.lockoutWindowMs ?? 60_000;
    this.lockoutBlock = options.lockoutBlockMs ?? 60_000;
    this.maxTracked = options.maxTrackedAddresses ?? 10_000;
  }

  // ---- lockout -----------------------------------------------------------------------------------

  isBlocked(address: string): boolean {
    const until = this.blockedUntil.get(address);
    if (until === undefined) return false;
    if (this.options.clock.now() < until) return true;
    this.blockedUntil.delete(address);
    return false;
  }

  private recordFailure(address: string, dn: string): void {
    const now = this.options.clock.now();
    const recent = (this.failures.get(address) ?? []).filter((at) => now - at < this.lockoutWindow);
    recent.push(now);
    this.failures.delete(address);
    this.failures.set(address, recent);
    if (this.failures.size > this.maxTracked) this.failures.delete(this.failures.keys().next().value!);
    if (recent.length >= this.lockoutAttempts) {
      this.failures.delete(address);
      this.blockedUntil.set(address, now + this.lockoutBlock);
      if (this.blockedUntil.size > this.maxTracked) this.blockedUntil.delete(this.blockedUntil.keys().next().value!);
      this.options.log?.('warn', 'SIP source address blocked after repeated failed authentication', {
        address,
        dn,
        attempts: recent.length,
        blockedForMs: this.lockoutBlock,
      });
    }
  }

  // ---- authentication ----------------------------------------------------------------------------

  private realmFor(dn: string): string {
    return this.options.lookup.lookupExtension(dn)?.realm ?? this.options.defaultRealm;
  }

  private reply(request: SipRequest, status: number, headers: SipHeader[] = [], reason?: string): SipResponse {
    return buildResponse(request, status, { toTag: newTag(), headers, ...(reason ? { reason } : {}) });
  }

  private challenge(request: SipRequest, dn: string, stale: boolean): SipResponse {
    const userAgent = getHeader(request, 'User-Agent') ?? '';
    const md5Only = (this.options.md5OnlyUserAgents ?? MD5_ONLY_USER_AGENTS).some((pattern) => pattern.test(userAgent));
    const headers = this.options.digest
      .challenges(this.realmFor(dn), stale, md5Only ? ['MD5'] : undefined)
      .map((value) => ({ name: 'WWW-Authenticate', value }));
    return this.reply(request, 401, headers);
  }

  /**
   * Challenges or verifies `request` as coming from `dn` (RFC 3261 22): 401 with both challenges when
   * there is no (usable) Authorization, 403 for wrong credentials (counted for the lockout).
   */
  authenticate(request: SipRequest, source: Destination, dn: string): AuthOutcome {
    if (this.isBlocked(source.address)) return { ok: false, response: this.reply(request, 403, [], 'Forbidden (blocked)') };
    const authorization = getHeaders(request, 'Authorization').find((value) => /^\s*digest\s/i.test(value));
    if (authorization === undefined) return { ok: false, response: this.challenge(request, dn, false) };
    const result = this.options.digest.verify(authorization, request.method, (username) =>
      this.options.lookup.lookupExtension(username),
    );
    if (result.ok) {
      if (result.username === dn) return { ok: true, dn };
      this.recordFailure(source.address, dn);
      return { ok: false, response: this.reply(request, 403, [], 'Forbidden (username is not the DN)') };
    }
    const outcomes: Record<typeof result.reason, () => SipResponse> = {
      stale: () => this.challenge(request, dn, true),
      'bad-nonce': () => this.challenge(request, dn, false),
      replay: () => this.challenge(request, dn, false),
      unsupported: () => this.challenge(request, dn, false),
      malformed: () => this.reply(request, 400, [], 'Bad Request (malformed Authorization)'),
      'unknown-user': () => this.failed(request, source, dn),
      'wrong-realm': () => this.failed(request, source, dn),
      mismatch: () => this.failed(request, source, dn),
    };
    return { ok: false, response: outcomes[result.reason]() };
  }

  private failed(request: SipRequest, source: Destination, dn: string): SipResponse {
    this.recordFailure(source.address, dn);
    return this.reply(request, 403);
  }

  // ---- REGISTER ----------------------------------------------------------------------------------

  /** Handles one REGISTER (already past the transaction layer) and returns the final response. */
  handleRegister(request: SipRequest, source: Destination): SipResponse {
    const to = parseNameAddr(getHeader(request, 'To') ?? '');
    const dn = to?.uri.user;
    if (!to || !dn) return this.reply(request, 404, [], 'Not Found (To has no DN)');
    const auth = this.authenticate(request, source, dn);
    if (!auth.ok) return auth.response;

    const contacts = getHeaders(request, 'Contact');
    const expiresHeader = getHeader(request, 'Expires');
    const headerExpires = expiresHeader === undefined ? undefined : parseSeconds(expiresHeader);
    if (expiresHeader !== undefined && headerExpires === undefined) return this.reply(request, 400, [], 'Bad Request (Expires)');
    const callId = getHeader(request, 'Call-ID') ?? '';
    const cseq = parseCSeq(getHeader(request, 'CSeq') ?? '')?.sequence ?? 0;

    if (contacts.some((value) => value === '*')) {
      if (contacts.length !== 1 || headerExpires !== 0) return this.reply(request, 400, [], 'Bad Request (* needs Expires: 0)');
      this.removeAll(dn);
      return this.okWithBindings(request, dn);
    }

    const changes: { uri: string; seconds: number }[] = [];
    for (const value of contacts) {
      const contact = parseNameAddr(value);
      if (!contact) return this.reply(request, 400, [], 'Bad Request (Contact)');
      const param = contact.params.get('expires');
      const asked = param === undefined || param === null ? (headerExpires ?? this.defaultExpires) : parseSeconds(param);
      if (asked === undefined) return this.reply(request, 400, [], 'Bad Request (Contact expires)');
      if (asked > 0 && asked < this.minExpires) {
        return this.reply(request, 423, [{ name: 'Min-Expires', value: String(this.minExpires) }]);
      }
      changes.push({ uri: formatUri(contact.uri), seconds: Math.min(asked, this.maxExpires) });
    }
    const existing = this.bindingsByDn.get(dn) ?? [];
    for (const change of changes) {
      const binding = existing.find((candidate) => candidate.uri === change.uri);
      if (binding && binding.callId === callId && cseq <= binding.cseq) {
        return this.reply(request, 500, [], 'Server Internal Error (out-of-order REGISTER)');
      }
    }
    for (const change of changes) {
      if (change.seconds === 0) this.remove(dn, change.uri);
      else this.upsert(dn, change.uri, change.seconds, callId, cseq, source);
    }
    return this.okWithBindings(request, dn);
  }

  private okWithBindings(request: SipRequest, dn: string): SipResponse {
    const now = this.options.clock.now();
    const headers = this.bindings(dn).map((binding) => ({
      name: 'Contact',
      value: `<${binding.uri}>;expires=${Math.max(0, Math.round((binding.expiresAt - now) / 1000))}`,
    }));
    return this.reply(request, 200, headers);
  }

  private upsert(dn: string, uri: string, seconds: number, callId: string, cseq: number, source: Destination): void {
    const list = this.bindingsByDn.get(dn) ?? [];
    const wasEmpty = list.length === 0;
    const previous = list.find((binding) => binding.uri === uri);
    previous?.cancelExpiry();
    const binding: Binding = {
      dn,
      uri,
      expiresAt: this.options.clock.now() + seconds * 1000,
      callId,
      cseq,
      source,
      order: ++this.order,
      cancelExpiry: this.options.clock.setTimer(seconds * 1000, () => this.remove(dn, uri)),
    };
    this.keep(binding, previous, wasEmpty);
    this.options.persistence?.saved({ dn, uri, expiresAt: binding.expiresAt, callId, cseq, source });
    // a phone that registers a new contact at each restart (another port) must not pile them up
    const live = this.bindings(dn);
    for (const oldest of live.slice(this.maxBindings)) this.remove(dn, oldest.uri);
  }

  private keep(binding: Binding, previous: Binding | undefined, wasEmpty: boolean): void {
    const next = (this.bindingsByDn.get(binding.dn) ?? []).filter((candidate) => candidate !== previous);
    next.push(binding);
    this.bindingsByDn.set(binding.dn, next);
    if (wasEmpty) this.options.events?.registered?.(binding.dn);
  }

  /**
   * Bindings kept from before a restart: each one still live is taken back with the rest of its
   * expiry (an expired one is ignored). A TCP binding's connection died with the old process, so it
   * is reached at its contact URI instead of its old source port. Returns how many were taken.
   */
  restore(stored: readonly StoredBinding[]): number {
    const now = this.options.clock.now();
    let taken = 0;
    for (const s of stored) {
      if (s.expiresAt <= now || this.bindings(s.dn).some((b) => b.uri === s.uri)) continue;
      const source = s.source.transport === 'tcp' ? (destinationOfUri(s.uri) ?? s.source) : s.source;
      const wasEmpty = !this.bindingsByDn.has(s.dn);
      this.keep(
        {
          dn: s.dn,
          uri: s.uri,
          expiresAt: s.expiresAt,
          callId: s.callId,
          cseq: s.cseq,
          source,
          order: ++this.order,
          cancelExpiry: this.options.clock.setTimer(s.expiresAt - now, () => this.remove(s.dn, s.uri)),
        },
        undefined,
        wasEmpty,
      );
      taken++;
    }
    return taken;
  }

  private remove(dn: string, uri: string): void {
    const list = this.bindingsByDn.get(dn);
    if (!list) return;
    const binding = list.find((candidate) => candidate.uri === uri);
    if (!binding) return;
    binding.cancelExpiry();
    this.options.persistence?.removed(dn, uri);
    const next = list.filter((candidate) => candidate !== binding);
    if (next.length > 0) this.bindingsByDn.set(dn, next);
    else {
      this.bindingsByDn.delete(dn);
      this.options.events?.unregistered?.(dn);
    }
  }

  private removeAll(dn: string): void {
    for (const binding of [...(this.bindingsByDn.get(dn) ?? [])]) this.remove(dn, binding.uri);
  }

  /** The live bindings of a DN, newest first. */
  bindings(dn: string): Binding[] {
    return [...(this.bindingsByDn.get(dn) ?? [])].sort((a, b) => b.order - a.order);
  }

  /** The binding a call to this DN should use: the newest. */
  contactFor(dn: string): Binding | undefined {
    return this.bindings(dn)[0];
  }

  /** DNs with at least one live binding */
  get registeredCount(): number {
    return this.bindingsByDn.size;
  }

  isRegistered(dn: string): boolean {
    return this.bindingsByDn.has(dn);
  }

  /** Drops every binding and timer (shutdown); fires no events. */
  close(): void {
    for (const list of this.bindingsByDn.values()) for (const binding of list) binding.cancelExpiry();
    this.bindingsByDn.clear();
  }
}

function parseSeconds(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^[0-9]{1,10}$/.test(trimmed)) return undefined;
  return Number(trimmed);
}
