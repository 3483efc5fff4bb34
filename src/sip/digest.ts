/**
 * HTTP digest authentication for SIP (RFC 7616, RFC 2617 as used by RFC 3261 22.4): server side
 * (challenges, nonces, verification against stored HA1 hashes) and client side (answering a challenge).
 *
 * Guarantees:
 * - Only qop=auth with the MD5 or SHA-256 algorithm is accepted; both challenges are offered, SHA-256
 *   first (RFC 7616 3.7: the server lists the preferred algorithm first).
 * - Passwords are never needed on the server: `ha1(algorithm, user, realm, password)` is what gets stored.
 * - Nonces are stateless and HMAC-signed (issue time, random part, signature); an expired but genuine
 *   nonce is "stale" (so the client retries with stale=true without asking the user), a forged one is not.
 * - The nonce count must grow per nonce (replays are refused); the per-nonce table is bounded and pruned.
 * - Response digests are compared in constant time.
 * - Malformed header values yield a reason, never an exception.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SipClock } from './transaction.js';

export type DigestAlgorithm = 'MD5' | 'SHA-256';

/** node:crypto name of each supported algorithm */
const HASH_NAMES: Record<DigestAlgorithm, string> = { MD5: 'md5', 'SHA-256': 'sha256' };

export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ['SHA-256', 'MD5'];

function hash(algorithm: DigestAlgorithm, text: string): string {
  return createHash(HASH_NAMES[algorithm]).update(text, 'utf8').digest('hex');
}

function asAlgorithm(text: string | undefined): DigestAlgorithm | undefined {
  if (text === undefined) return 'MD5';
  return DIGEST_ALGORITHMS.find((algorithm) => algorithm.toLowerCase() === text.toLowerCase());
}

/** HA1 = H(username ":" realm ":" password): what a provisioning store keeps instead of the password. */
export function ha1(algorithm: DigestAlgorithm, user: string, realm: string, password: string): string {
  return hash(algorithm, `${user}:${realm}:${password}`);
}

/** The response digest of RFC 7616 3.4.1 for qop=auth. */
export function digestResponse(
  algorithm: DigestAlgorithm,
  storedHa1: string,
  fields: { nonce: string; nc: string; cnonce: string; qop: string; method: string; uri: string },
): string {
  const ha2 = hash(algorithm, `${fields.method}:${fields.uri}`);
  return hash(algorithm, `${storedHa1}:${fields.nonce}:${fields.nc}:${fields.cnonce}:${fields.qop}:${ha2}`);
}

/**
 * Parses `Digest a=b, c="d, e", ...` into the scheme and lower-cased parameter names.
 * Returns undefined when the value is not well formed.
 */
export function parseAuthParams(value: string): { scheme: string; params: Map<string, string> } | undefined {
  const match = /^\s*([A-Za-z0-9\-]+)\s+(.*)$/s.exec(value);
  if (!match) return undefined;
  const params = new Map<string, string>();
  const text = match[2];
  let index = 0;
  while (index < text.length) {
    while (index < text.length && (text[index] === ' ' || text[index] === ',' || text[index] === '\t')) index++;
    if (index >= text.length) break;
    const nameMatch = /^([A-Za-z0-9\-_]+)\s*=\s*/.exec(text.slice(index));
    if (!nameMatch) return undefined;
    const name = nameMatch[1].toLowerCase();
    index += nameMatch[0].length;
    let parameterValue = '';
    if (text[index] === '"') {
      index++;
      for (; index < text.length && text[index] !== '"'; index++) {
        if (text[index] === '\\') index++;
        parameterValue += text[index] ?? '';
      }
      if (index >= text.length) return undefined;
      index++;
    } else {
      const end = text.indexOf(',', index);
      parameterValue = (end < 0 ? text.slice(index) : text.slice(index, end)).trim();
      index = end < 0 ? text.length : end;
    }
    if (params.has(name)) return undefined;
    params.set(name, parameterValue);
  }
  return { scheme: match[1], params };
}

export type VerifyFailure =
  | 'malformed'
  | 'unsupported'
  | 'unknown-user'
  | 'wrong-realm'
  | 'bad-nonce'
  | 'stale'
  | 'replay'
  | 'mismatch';

export type VerifyResult = { ok: true; username: string; algorithm: DigestAlgorithm } | { ok: false; reason: VerifyFailure; username?: string };

/** The stored credentials of one user: an HA1 per algorithm. */
export interface StoredCredentials {
  realm: string;
  ha1: Record<DigestAlgorithm, string>;
}

export interface DigestServerOptions {
  clock: SipClock;
  /** HMAC key for nonces; random per process when absent (nonces then die with the process) */
  secret?: Buffer;
  /** how long a nonce is accepted, default 5 minutes */
  nonceLifetimeMs?: number;
  /** most nonces whose count is tracked at once, default 10000 (the oldest are dropped first) */
  maxTrackedNonces?: number;
  /**
   * the challenges offered, in this order (default SHA-256 then MD5, RFC 7616 3.7). Clients that only read
   * the first challenge and only know MD5 (sipp 3.6) need MD5 first.
   */
  algorithms?: readonly DigestAlgorithm[];
}

export class DigestServer {
  private readonly secret: Buffer;
  private readonly lifetime: number;
  private readonly maxTracked: number;
  private readonly algorithms: readonly DigestAlgorithm[];
  /** nonce -> highest nonce count accepted; insertion order is issue order, so pruning is from the front */
  private readonly counts = new Map<string, { count: number; issuedAt: number }>();

  constructor(private readonly options: DigestServerOptions) {
    this.secret = options.secret ?? randomBytes(32);
    this.lifetime = options.nonceLifetimeMs ?? 300_000;
    this.maxTracked = options.maxTrackedNonces ?? 10_000;
    this.algorithms = options.algorithms && options.algorithms.length > 0 ? options.algorithms : DIGEST_ALGORITHMS;
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url').slice(0, 22);
  }

  newNonce(): string {
    const payload = `${this.options.clock.now().toString(36)}.${randomBytes(9).toString('base64url')}`;
    return `${payload}.${this.sign(payload)}`;
  }

  /** 'valid', 'stale' (genuine but expired) or 'bad' (not ours) */
  private checkNonce(nonce: string): { state: 'valid' | 'stale' | 'bad'; issuedAt: number } {
    const parts = nonce.split('.');
    if (parts.length !== 3) return { state: 'bad', issuedAt: 0 };
    const expected = Buffer.from(this.sign(`${parts[0]}.${parts[1]}`));
    const given = Buffer.from(parts[2]);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { state: 'bad', issuedAt: 0 };
    const issuedAt = parseInt(parts[0], 36);
    const age = this.options.clock.now() - issuedAt;
    if (!Number.isFinite(issuedAt) || age < 0) return { state: 'bad', issuedAt: 0 };
    return { state: age > this.lifetime ? 'stale' : 'valid', issuedAt };
  }

  /** WWW-Authenticate values: one per algorithm, in the configured order (`only` narrows the set). */
  challenges(realm: string, stale = false, only?: readonly DigestAlgorithm[]): string[] {
    const nonce = this.newNonce();
    const quotedRealm = realm.replace(/(["\\])/g, '\\$1');
    const offered = only ? this.algorithms.filter((algorithm) => only.includes(algorithm)) : this.algorithms;
    return (offered.length > 0 ? offered : this.algorithms).map(
      (algorithm) =>
        `Digest realm="${quotedRealm}", nonce="${nonce}", algorithm=${algorithm}, qop="auth"${stale ? ', stale=true' : ''}`,
    );
  }

  /**
   * Verifies an Authorization value for a request `method`. `lookup(username)` gives the stored HA1s.
   * On success the nonce count is recorded, so the same count is refused next time.
   */
  verify(
    authorization: string,
    method: string,
    lookup: (username: string) => StoredCredentials | undefined,
  ): VerifyResult {
    const parsed = parseAuthParams(authorization);
    if (!parsed || parsed.scheme.toLowerCase() !== 'digest') return { ok: false, reason: 'malformed' };
    const params = parsed.params;
    const username = params.get('username');
    const realm = params.get('realm');
    const nonce = params.get('nonce');
    const uri = params.get('uri');
    const response = params.get('response');
    if (!username || realm === undefined || !nonce || !uri || !response) return { ok: false, reason: 'malformed' };
    const algorithm = asAlgorithm(params.get('algorithm'));
    if (!algorithm || !this.algorithms.includes(algorithm)) return { ok: false, reason: 'unsupported', username };
    const qop = params.get('qop');
    const nc = params.get('nc');
    const cnonce = params.get('cnonce');
    if (qop !== 'auth' || !nc || !/^[0-9a-fA-F]{8}$/.test(nc) || !cnonce) return { ok: false, reason: 'unsupported', username };
    const credentials = lookup(username);
    if (!credentials) return { ok: false, reason: 'unknown-user', username };
    if (credentials.realm !== realm) return { ok: false, reason: 'wrong-realm', username };
    const nonceState = this.checkNonce(nonce);
    if (nonceState.state === 'bad') return { ok: false, reason: 'bad-nonce', username };
    const expected = digestResponse(algorithm, credentials.ha1[algorithm], { nonce, nc, cnonce, qop, method, uri });
    const given = response.toLowerCase();
    const matches =
      given.length === expected.length && timingSafeEqual(Buffer.from(given, 'latin1'), Buffer.from(expected, 'latin1'));
    if (!matches) return { ok: false, reason: 'mismatch', username };
    // a correct answer to an expired nonce: the client knows the password, it just needs a fresh nonce
    if (nonceState.state === 'stale') return { ok: false, reason: 'stale', username };
    const count = parseInt(nc, 16);
    const seen = this.counts.get(nonce);
    if (seen && count <= seen.count) return { ok: false, reason: 'replay', username };
    this.record(nonce, count, nonceState.issuedAt);
    return { ok: true, username, algorithm };
  }

  private record(nonce: string, count: number, issuedAt: number): void {
    const existing = this.counts.get(nonce);
    if (existing) {
      existing.count = count;
      return;
    }
    this.counts.set(nonce, { count, issuedAt });
    const oldest = this.options.clock.now() - this.lifetime;
    for (const [key, entry] of this.counts) {
      if (entry.issuedAt >= oldest && this.counts.size <= this.maxTracked) break;
      this.counts.delete(key);
    }
  }

  get trackedNonces(): number {
    return this.counts.size;
  }
}

// ---- client side ---------------------------------------------------------------------------------

export interface Challenge {
  realm: string;
  nonce: string;
  algorithm: DigestAlgorithm;
  qop?: string;
  opaque?: string;
  stale: boolean;
}

export function parseChallenge(value: string): Challenge | undefined {
  const parsed = parseAuthParams(value);
  if (!parsed || parsed.scheme.toLowerCase() !== 'digest') return undefined;
  const realm = parsed.params.get('realm');
  const nonce = parsed.params.get('nonce');
  const algorithm = asAlgorithm(parsed.params.get('algorithm'));
  if (realm === undefined || !nonce || !algorithm) return undefined;
  const challenge: Challenge = { realm, nonce, algorithm, stale: parsed.params.get('stale')?.toLowerCase() === 'true' };
  const qop = parsed.params.get('qop');
  if (qop !== undefined) challenge.qop = qop;
  const opaque = parsed.params.get('opaque');
  if (opaque !== undefined) challenge.opaque = opaque;
  return challenge;
}

/** Picks the strongest challenge we can answer from a list of WWW-Authenticate values. */
export function chooseChallenge(values: string[]): Challenge | undefined {
  const parsed = values.map(parseChallenge).filter((challenge): challenge is Challenge => challenge !== undefined);
  for (const algorithm of DIGEST_ALGORITHMS) {
    const found = parsed.find((challenge) => challenge.algorithm === algorithm);
    if (found) return found;
  }
  return undefined;
}

/** Builds the Authorization value answering a challenge (qop=auth when offered). */
export function answerChallenge(
  challenge: Challenge,
  credentials: { username: string; password: string; method: string; uri: string; cnonce?: string; nc?: number },
): string {
  const storedHa1 = ha1(challenge.algorithm, credentials.username, challenge.realm, credentials.password);
  const quote = (text: string) => `"${text.replace(/(["\\])/g, '\\$1')}"`;
  const common = `Digest username=${quote(credentials.username)}, realm=${quote(challenge.realm)}, nonce=${quote(challenge.nonce)}, uri=${quote(credentials.uri)}, algorithm=${challenge.algorithm}`;
  const opaque = challenge.opaque !== undefined ? `, opaque=${quote(challenge.opaque)}` : '';
  const offersAuth = challenge.qop?.split(',').some((item) => item.trim() === 'auth') ?? false;
  if (!offersAuth) {
    const ha2 = hash(challenge.algorithm, `${credentials.method}:${credentials.uri}`);
    const response = hash(challenge.algorithm, `${storedHa1}:${challenge.nonce}:${ha2}`);
    return `${common}, response=${quote(response)}${opaque}`;
  }
  const nc = (credentials.nc ?? 1).toString(16).padStart(8, '0');
  const cnonce = credentials.cnonce ?? randomBytes(12).toString('base64url');
  const response = digestResponse(challenge.algorithm, storedHa1, {
    nonce: challenge.nonce,
    nc,
    cnonce,
    qop: 'auth',
    method: credentials.method,
    uri: credentials.uri,
  });
  return `${common}, response=${quote(response)}, qop=auth, nc=${nc}, cnonce=${quote(cnonce)}${opaque}`;
}
