/**
 * The one configuration reader. `loadConfig` reads, in this order, each overriding the one before:
 *   1. the defaults (documented in types.ts and docs/configuration.md);
 *   2. the optional JSON file named by `--config FILE` / `--config=FILE`, or env SWITCHBOARD_CONFIG;
 *   3. the environment: HOST, PORT, SWITCHBOARD_DB, SWITCHBOARD_DATABASE_URL, SWITCHBOARD_DATABASE_POOL_SIZE,
 *      SWITCHBOARD_PASSWORD_KEY_FILE, SWITCHBOARD_LOG_LEVEL, SWITCHBOARD_LOG_FORMAT,
 *      SWITCHBOARD_METRICS, SWITCHBOARD_CSRF,
 *      SWITCHBOARD_SIM_API, SWITCHBOARD_SIP_PORT, SWITCHBOARD_SIP_HOST, SWITCHBOARD_SIP_ADVERTISED_HOST,
 *      SWITCHBOARD_RTP_PORTS, SWITCHBOARD_MEDIA_WORKERS, SWITCHBOARD_RECORDINGS_DIR, and the cluster
 *      node's SWITCHBOARD_NATS_URL, SWITCHBOARD_NODE_ID and SWITCHBOARD_STANDBY (environment only).
 * It checks everything, throws one ConfigError listing every problem (each with its JSON path, or
 * `env NAME` / `argv`), and returns a deep-frozen Config. Nothing else in the project reads
 * process.env or process.argv: callers pass them in.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isIP } from 'node:net';
import type { CometdConfig, Config, ConnectionsConfig, SipConfig } from './types.js';
import { validatePortRange } from '../media/ports.js';
import { Problems, at, boolean, integer, item, object, oneOf, show, string, strings } from './check.js';
import { contactCentersFromJson } from './contact-center.js';

/** Every problem of a configuration, at once. */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[], source?: string) {
    const n = problems.length;
    super(`invalid configuration${source ? ` (${source})` : ''}: ${n} problem${n === 1 ? '' : 's'}\n${problems.map((p) => `- ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** json: one pino JSON record per line (for collectors); pretty: one readable line (src/gws/logging-pretty.ts) */
export const LOG_FORMATS = ['json', 'pretty'] as const;

/** Bounds of the numeric server options, shared with the documentation. */
export const RANGES = {
  port: [0, 65535],
  bodyLimitBytes: [1024, 100 * 1024 * 1024],
  sessionTtlSec: [1, 31_536_000],
  timeoutMs: [1, 600_000],
  intervalMs: [0, 600_000],
  maxIntervalMs: [0, 3_600_000],
  maxQueue: [1, 1_000_000],
  maxSessionsPerUser: [1, 100_000],
  maxSessionsPerWebSocket: [1, 10_000],
  maxSubscriptionsPerSession: [1, 100_000],
  maxSessionsPerBrowser: [0, 1_000],
  multiSessionIntervalMs: [0, 600_000],
  sessionWriteIntervalSec: [1, 86_400],
  failuresBeforeBackoff: [1, 1_000],
  failuresBeforeSourceBackoff: [1, 100_000],
  failureWindowSec: [1, 86_400],
  backoffBaseMs: [1, 3_600_000],
  backoffMaxMs: [1, 3_600_000],
  verifyConcurrency: [1, 64],
  verifyMaxPerSource: [1, 10_000],
  verifyMaxQueued: [0, 1_000_000],
  credentialCacheSize: [1, 10_000_000],
  credentialCacheTtlSec: [1, 86_400],
  headersTimeoutMs: [100, 600_000],
  requestTimeoutMs: [100, 3_600_000],
  keepAliveTimeoutMs: [100, 600_000],
  idleTimeoutMs: [1000, 3_600_000],
  maxConnections: [1, 1_000_000],
  softMaxConnections: [1, 1_000_000],
  unauthenticatedGraceMs: [0, 600_000],
  lingerMs: [0, 60_000],
  lingerBytes: [0, 1024 * 1024 * 1024],
  maxHeaderBytes: [1024, 1024 * 1024],
  sipPort: [0, 65535],
  invitesPerSecondPerSource: [1, 100_000],
  keepaliveMs: [0, 3_600_000],
  inviteTimeoutMs: [1000, 3_600_000],
  mediaWorkers: [0, 64],
  databasePoolSize: [1, 1000],
} as const;

/** The digest algorithms a SIP challenge may offer (src/sip/digest.ts). */
export const SIP_DIGEST_ALGORITHMS = ['SHA-256', 'MD5'] as const;

/** Keys of the "server.sip" section. */
const SIP_KEYS = ['port', 'host', 'advertisedHost', 'rtpPorts', 'digestAlgorithms', 'invitesPerSecondPerSource', 'keepaliveMs', 'inviteTimeoutMs'] as const;

/** Keys of "server.sip" that are plain integers (bounds in RANGES; unset = SIP_ENDPOINT_DEFAULTS). */
const SIP_INTEGER_KEYS = ['invitesPerSecondPerSource', 'keepaliveMs', 'inviteTimeoutMs'] as const;

/** Keys of the "server.connections" section (all integers, bounds in RANGES). */
const CONNECTIONS_KEYS = [
  'headersTimeoutMs', 'requestTimeoutMs', 'keepAliveTimeoutMs', 'idleTimeoutMs', 'maxConnections', 'softMaxConnections',
  'unauthenticatedGraceMs', 'lingerMs', 'lingerBytes', 'maxHeaderBytes',
] as const;

/** Keys of the "server.auth" section (all integers, bounds in RANGES). */
const AUTH_KEYS = [
  'failuresBeforeBackoff', 'failuresBeforeSourceBackoff', 'failureWindowSec', 'backoffBaseMs', 'backoffMaxMs', 'verifyConcurrency',
  'verifyMaxPerSource', 'verifyMaxQueued', 'credentialCacheSize', 'credentialCacheTtlSec',
] as const;

/** The configuration with nothing set: what a bare `npm start` runs with. */
export function defaultConfig(): Config {
  return {
    host: '127.0.0.1',
    port: 8080,
    database: './data/switchboard.db',
    logLevel: 'info',
    logFormat: 'json',
    metricsEnabled: true,
    csrf: true,
    simApi: true,
    bodyLimitBytes: 65536,
    sessionTtlSec: 1800,
    sessionWriteIntervalSec: 60,
    auth: {
      failuresBeforeBackoff: 5,
      failuresBeforeSourceBackoff: 20,
      failureWindowSec: 300,
      backoffBaseMs: 1000,
      backoffMaxMs: 30_000,
      verifyConcurrency: 2,
      verifyMaxPerSource: 8,
      verifyMaxQueued: 256,
      credentialCacheSize: 10_000,
      credentialCacheTtlSec: 600,
    },
    cometd: { timeoutMs: 30000, intervalMs: 0, maxIntervalMs: 10000, maxQueue: 1000 },
    connections: {
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5000,
      idleTimeoutMs: 60_000,
      maxConnections: 4096,
      unauthenticatedGraceMs: 5000,
      lingerMs: 2000,
      lingerBytes: 16 * 1024 * 1024,
      maxHeaderBytes: 16 * 1024,
    },
    allowedOrigins: [],
    sip: { port: 5060, rtpPorts: { first: 20000, last: 20999 }, digestAlgorithms: ['SHA-256', 'MD5'] },
    media: { workers: 1 },
    recordings: { dir: './data/recordings' },
    api: { unknownParameters: 'refuse' },
  };
}

/** the values of api.unknownParameters */
const UNKNOWN_PARAMETER_POLICIES = ['refuse', 'warn'] as const;
/** SWITCHBOARD_STANDBY: a cluster node's hot standby (docs/scale-out.md) */
const STANDBY_SWITCH = ['on', 'off'] as const;

export function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

export interface LoadInput {
  /** command-line arguments after the script, i.e. process.argv.slice(2) */
  argv?: readonly string[];
  env?: Readonly<Record<string, string | undefined>>;
}

/** The `--config` file named on the command line; unknown arguments are problems. */
/** What the command line may set: the configuration file and the log format. */
interface ArgvOptions {
  file?: string;
  logFormat?: Config['logFormat'];
}

function configArg(p: Problems, argv: readonly string[]): ArgvOptions {
  let file: string | undefined;
  let logFormat: Config['logFormat'] | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--log-format' || a.startsWith('--log-format=')) {
      const given = a === '--log-format' ? argv[++i] : a.slice('--log-format='.length);
      logFormat = oneOf(p, 'argv --log-format', given ?? '', LOG_FORMATS) ?? logFormat;
    } else if (a === '--config') {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) {
        p.add('argv', '--config needs a file name');
      } else {
        file = next;
        i++;
      }
    } else if (a.startsWith('--config=')) {
      const v = a.slice('--config='.length);
      if (v === '') p.add('argv', '--config= needs a file name');
      else file = v;
    } else {
      p.add('argv', `unknown argument ${show(a)} (known: --config FILE, --log-format FORMAT)`);
    }
  }
  return { file, logFormat };
}

/** Reads and parses the file; an unreadable file or invalid JSON is a problem, not an exception. */
function readJson(p: Problems, file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    p.add(file, `cannot read the configuration file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    return undefined;
  }
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    p.add(file, `invalid JSON (${(e as Error).message})`);
    return undefined;
  }
}

function publicBaseUrl(p: Problems, path: string, v: unknown): string | undefined {
  const s = string(p, path, v, { nonEmpty: true });
  if (s === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    p.add(path, `${show(s)} is not an absolute URL`);
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') p.add(path, `${show(s)} must be an http or https URL`);
  else if (u.search || u.hash) p.add(path, `${show(s)} must not have a query or fragment`);
  else return s.replace(/\/+$/, '');
  return undefined;
}

/** Exact origins ("scheme://host[:port]", no path); "*" is refused since responses carry credentials. */
function allowedOrigins(p: Problems, path: string, v: unknown): string[] | undefined {
  const list = strings(p, path, v);
  if (!list) return undefined;
  const out: string[] = [];
  list.forEach((s, i) => {
    if (s === undefined) return;
    const where = item(path, i);
    if (s === '*') return p.add(where, '"*" is not allowed: responses carry credentials (cookies, CSRF token), so list each origin exactly');
    let origin: string | undefined;
    try {
      origin = new URL(s).origin;
    } catch {
      origin = undefined;
    }
    if (origin === undefined || origin === 'null' || origin !== s) {
      return p.add(where, `${show(s)} is not an exact origin such as "https://desk.example.com" or "http://127.0.0.1:3000" (scheme, host, optional port; no path or trailing slash)`);
    }
    out.push(s);
  });
  return out;
}

/** The "server.connections" section, applied over `c.connections`. */
function connectionsSection(p: Problems, path: string, v: unknown, c: Config): void {
  const o = object(p, path, v, { optional: CONNECTIONS_KEYS });
  if (!o) return;
  const connections: ConnectionsConfig = { ...c.connections };
  for (const k of CONNECTIONS_KEYS) {
    if (o[k] === undefined) continue;
    const [min, max] = RANGES[k];
    const r = integer(p, at(path, k), o[k], min, max);
    if (r !== undefined) connections[k] = r;
  }
  if (connections.softMaxConnections !== undefined && connections.softMaxConnections > connections.maxConnections) {
    p.add(at(path, 'softMaxConnections'), `must be at most maxConnections (${connections.maxConnections})`);
  }
  // Node refuses a head timeout longer than the request timeout (the head is part of the request)
  if (connections.headersTimeoutMs > connections.requestTimeoutMs) {
    p.add(at(path, 'headersTimeoutMs'), `must be at most requestTimeoutMs (${connections.requestTimeoutMs})`);
  }
  c.connections = connections;
}

/**
 * "first-last" (the file may also give {"first": n, "last": n}) → an RTP port range of at least one
 * even/odd pair within 1024-65535 (the rules of src/media/ports.ts, one source).
 */
function rtpPorts(p: Problems, path: string, v: unknown): SipConfig['rtpPorts'] | undefined {
  let range: { first: number; last: number } | undefined;
  if (typeof v === 'string') {
    const m = /^\s*(\d{1,5})\s*-\s*(\d{1,5})\s*$/.exec(v);
    if (!m) {
      p.add(path, `must be a range "first-last" such as "20000-20999", got ${show(v)}`);
      return undefined;
    }
    range = { first: Number(m[1]), last: Number(m[2]) };
  } else {
    const o = object(p, path, v, { required: ['first', 'last'] });
    if (!o) return undefined;
    const first = integer(p, at(path, 'first'), o.first, 0, 65535);
    const last = integer(p, at(path, 'last'), o.last, 0, 65535);
    if (first === undefined || last === undefined) return undefined;
    range = { first, last };
  }
  const problem = validatePortRange(range);
  if (problem) {
    p.add(path, problem);
    return undefined;
  }
  return range;
}

/** An IPv4 or IPv6 address (SIP has no DNS here: hosts in URIs must be addresses, docs/telephony.md). */
function ipAddress(p: Problems, path: string, v: unknown): string | undefined {
  const s = string(p, path, v, { nonEmpty: true });
  if (s === undefined) return undefined;
  if (isIP(s.trim()) === 0) {
    p.add(path, `${show(s)} is not an IP address (no DNS names: SIP hosts are written into Via, Contact and SDP as they are)`);
    return undefined;
  }
  return s.trim();
}

/** The "server.sip" section, applied over `c.sip`. */
function sipSection(p: Problems, path: string, v: unknown, c: Config): void {
  const o = object(p, path, v, { optional: SIP_KEYS });
  if (!o) return;
  const sip: SipConfig = { ...c.sip };
  if (o.port !== undefined) sip.port = integer(p, at(path, 'port'), o.port, ...RANGES.sipPort) ?? sip.port;
  if (o.host !== undefined) sip.host = ipAddress(p, at(path, 'host'), o.host) ?? sip.host;
  if (o.advertisedHost !== undefined) sip.advertisedHost = ipAddress(p, at(path, 'advertisedHost'), o.advertisedHost) ?? sip.advertisedHost;
  if (o.rtpPorts !== undefined) sip.rtpPorts = rtpPorts(p, at(path, 'rtpPorts'), o.rtpPorts) ?? sip.rtpPorts;
  for (const key of SIP_INTEGER_KEYS) {
    if (o[key] === undefined) continue;
    const [min, max] = RANGES[key];
    const value = integer(p, at(path, key), o[key], min, max);
    if (value !== undefined) sip[key] = value;
  }
  if (sip.keepaliveMs !== undefined && sip.keepaliveMs > 0 && sip.keepaliveMs < 1000) p.add(at(path, 'keepaliveMs'), `must be 0 (never) or at least 1000, got ${sip.keepaliveMs}`);
  if (o.digestAlgorithms !== undefined) {
    const list = strings(p, at(path, 'digestAlgorithms'), o.digestAlgorithms);
    if (list) {
      const chosen: SipConfig['digestAlgorithms'] = [];
      list.forEach((a, i) => {
        const algorithm = oneOf(p, item(at(path, 'digestAlgorithms'), i), a, SIP_DIGEST_ALGORITHMS);
        if (algorithm === undefined) return;
        if (chosen.includes(algorithm)) p.add(item(at(path, 'digestAlgorithms'), i), `${show(algorithm)} is listed twice`);
        else chosen.push(algorithm);
      });
      if (list.length === 0) p.add(at(path, 'digestAlgorithms'), `must name at least one of ${SIP_DIGEST_ALGORITHMS.join(', ')}`);
      else if (chosen.length === list.length) sip.digestAlgorithms = chosen;
    }
  }
  c.sip = sip;
}

/** The "server" section of a file, applied over `c`. */
function serverSection(p: Problems, v: unknown, c: Config): void {
  const path = 'server';
  const o = object(p, path, v, {
    optional: [
      'host', 'port', 'publicBaseUrl', 'database', 'logLevel', 'logFormat', 'metricsEnabled', 'csrf', 'simApi', 'bodyLimitBytes', 'sessionTtlSec', 'cometd', 'sessionWriteIntervalSec',
      'auth', 'connections', 'allowedOrigins', 'cookieSecure', 'sip', 'media', 'recordings', 'api',
    ],
  });
  if (!o) return;
  const set = <K extends keyof Config>(key: K, read: (path: string, v: unknown) => Config[K] | undefined): void => {
    if (o[key] === undefined) return;
    const r = read(at(path, key), o[key]);
    if (r !== undefined) c[key] = r;
  };
  set('host', (q, x) => string(p, q, x, { nonEmpty: true }));
  set('port', (q, x) => integer(p, q, x, ...RANGES.port));
  set('publicBaseUrl', (q, x) => publicBaseUrl(p, q, x));
  set('database', (q, x) => string(p, q, x, { nonEmpty: true }));
  set('logLevel', (q, x) => oneOf(p, q, x, LOG_LEVELS));
  set('logFormat', (q, x) => oneOf(p, q, x, LOG_FORMATS));
  set('metricsEnabled', (q, x) => boolean(p, q, x));
  set('csrf', (q, x) => boolean(p, q, x));
  set('simApi', (q, x) => boolean(p, q, x));
  set('bodyLimitBytes', (q, x) => integer(p, q, x, ...RANGES.bodyLimitBytes));
  set('sessionTtlSec', (q, x) => integer(p, q, x, ...RANGES.sessionTtlSec));
  set('sessionWriteIntervalSec', (q, x) => integer(p, q, x, ...RANGES.sessionWriteIntervalSec));
  if (o.auth !== undefined) {
    const authPath = at(path, 'auth');
    const authGiven = object(p, authPath, o.auth, { optional: AUTH_KEYS });
    if (authGiven) {
      const auth = { ...c.auth };
      for (const k of AUTH_KEYS) {
        if (authGiven[k] === undefined) continue;
        const [min, max] = RANGES[k];
        const r = integer(p, at(authPath, k), authGiven[k], min, max);
        if (r !== undefined) auth[k] = r;
      }
      if (auth.backoffMaxMs < auth.backoffBaseMs) p.add(at(authPath, 'backoffMaxMs'), `must be at least backoffBaseMs (${auth.backoffBaseMs})`);
      c.auth = auth;
    }
  }
  set('allowedOrigins', (q, x) => allowedOrigins(p, q, x));
  set('cookieSecure', (q, x) => boolean(p, q, x));
  if (o.connections !== undefined) connectionsSection(p, at(path, 'connections'), o.connections, c);
  if (o.sip !== undefined) sipSection(p, at(path, 'sip'), o.sip, c);
  if (o.api !== undefined) {
    const apiGiven = object(p, at(path, 'api'), o.api, { optional: ['unknownParameters'] });
    const policy = apiGiven?.unknownParameters === undefined ? undefined : oneOf(p, at(at(path, 'api'), 'unknownParameters'), apiGiven.unknownParameters, UNKNOWN_PARAMETER_POLICIES);
    if (policy !== undefined) c.api = { unknownParameters: policy };
  }
  if (o.media !== undefined) {
    const mediaGiven = object(p, at(path, 'media'), o.media, { optional: ['workers'] });
    if (mediaGiven?.workers !== undefined) {
      const workers = integer(p, at(at(path, 'media'), 'workers'), mediaGiven.workers, ...RANGES.mediaWorkers);
      if (workers !== undefined) c.media = { workers };
    }
  }
  if (o.recordings !== undefined) {
    const recordingsGiven = object(p, at(path, 'recordings'), o.recordings, { optional: ['dir'] });
    if (recordingsGiven?.dir !== undefined) {
      const dir = string(p, at(at(path, 'recordings'), 'dir'), recordingsGiven.dir, { nonEmpty: true });
      if (dir !== undefined) c.recordings = { dir };
    }
  }
  if (o.cometd !== undefined) {
    const cp = at(path, 'cometd');
    // the caps and browser options are absent unless set: their defaults live in src/bayeux/options.ts
    const keys = [
      'timeoutMs', 'intervalMs', 'maxIntervalMs', 'maxQueue',
      'maxSessionsPerUser', 'maxSessionsPerWebSocket', 'maxSubscriptionsPerSession', 'maxSessionsPerBrowser', 'multiSessionIntervalMs',
    ] as const;
    const co = object(p, cp, o.cometd, { optional: keys });
    if (co) {
      const cometd: CometdConfig = { ...c.cometd };
      for (const k of keys) {
        if (co[k] === undefined) continue;
        const [min, max] = RANGES[k];
        const r = integer(p, at(cp, k), co[k], min, max);
        if (r !== undefined) cometd[k] = r;
      }
      c.cometd = cometd;
    }
  }
}

function fileInto(p: Problems, file: string, c: Config): void {
  const json = readJson(p, file);
  if (json === undefined) return;
  jsonInto(p, json, c);
}

/**
 * A parsed configuration file applied over `c`. `$schema` (the editors' pointer to config/schema.json)
 * is accepted and ignored. Walked with a Probe, it describes the file format (src/config/schema.ts).
 */
export function jsonInto(p: Problems, json: unknown, c: Config): void {
  const o = object(p, '', json, { optional: ['$schema', 'server', 'contactCenters'] });
  if (!o) return;
  if (o.$schema !== undefined) string(p, '$schema', o.$schema);
  if (o.server !== undefined) serverSection(p, o.server, c);
  if (o.contactCenters !== undefined) c.contactCenters = contactCentersFromJson(p, 'contactCenters', o.contactCenters);
}

function envBool(p: Problems, name: string, v: string): boolean | undefined {
  const s = v.trim().toLowerCase();
  if (s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0') return false;
  p.add(`env ${name}`, `must be true or false, got ${show(v)}`);
  return undefined;
}

function envInto(p: Problems, env: Readonly<Record<string, string | undefined>>, c: Config): void {
  // an empty variable counts as unset, as shells make it easy to export one by accident
  const get = (name: string): string | undefined => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  const host = get('HOST');
  if (host !== undefined) c.host = host.trim() || c.host;
  const port = get('PORT');
  if (port !== undefined) {
    const [min, max] = RANGES.port;
    const n = /^\s*\d+\s*$/.test(port) ? Number(port) : NaN;
    if (Number.isInteger(n) && n >= min && n <= max) c.port = n;
    else p.add('env PORT', `must be an integer from ${min} to ${max}, got ${show(port)}`);
  }
  const db = get('SWITCHBOARD_DB');
  if (db !== undefined) c.database = db;
  const databaseUrl = get('SWITCHBOARD_DATABASE_URL')?.trim();
  if (databaseUrl !== undefined) {
    // never echoed: a connection string may hold a password
    if (/^postgres(ql)?:\/\//i.test(databaseUrl)) c.database = databaseUrl;
    else p.add('env SWITCHBOARD_DATABASE_URL', 'must be a postgres:// or postgresql:// URL');
  }
  const poolSize = get('SWITCHBOARD_DATABASE_POOL_SIZE');
  if (poolSize !== undefined) {
    const n = envInteger(p, 'SWITCHBOARD_DATABASE_POOL_SIZE', poolSize, ...RANGES.databasePoolSize);
    if (n !== undefined) c.databasePoolSize = n;
  }
  const keyFile = get('SWITCHBOARD_PASSWORD_KEY_FILE');
  if (keyFile !== undefined) c.passwordKeyFile = keyFile;
  const level = get('SWITCHBOARD_LOG_LEVEL');
  if (level !== undefined) {
    const l = level.trim().toLowerCase();
    if ((LOG_LEVELS as readonly string[]).includes(l)) c.logLevel = l;
    else p.add('env SWITCHBOARD_LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}, got ${show(level)}`);
  }
  const logFormat = get('SWITCHBOARD_LOG_FORMAT');
  if (logFormat !== undefined) c.logFormat = oneOf(p, 'env SWITCHBOARD_LOG_FORMAT', logFormat.trim().toLowerCase(), LOG_FORMATS) ?? c.logFormat;
  const metrics = get('SWITCHBOARD_METRICS');
  if (metrics !== undefined) c.metricsEnabled = envBool(p, 'SWITCHBOARD_METRICS', metrics) ?? c.metricsEnabled;
  const csrf = get('SWITCHBOARD_CSRF');
  if (csrf !== undefined) c.csrf = envBool(p, 'SWITCHBOARD_CSRF', csrf) ?? c.csrf;
  const sim = get('SWITCHBOARD_SIM_API');
  if (sim !== undefined) c.simApi = envBool(p, 'SWITCHBOARD_SIM_API', sim) ?? c.simApi;
  const sipPort = get('SWITCHBOARD_SIP_PORT');
  if (sipPort !== undefined) {
    const n = envInteger(p, 'SWITCHBOARD_SIP_PORT', sipPort, ...RANGES.sipPort);
    if (n !== undefined) c.sip = { ...c.sip, port: n };
  }
  const sipHost = get('SWITCHBOARD_SIP_HOST');
  if (sipHost !== undefined) {
    const h = ipAddress(p, 'env SWITCHBOARD_SIP_HOST', sipHost);
    if (h !== undefined) c.sip = { ...c.sip, host: h };
  }
  const advertised = get('SWITCHBOARD_SIP_ADVERTISED_HOST');
  if (advertised !== undefined) {
    const h = ipAddress(p, 'env SWITCHBOARD_SIP_ADVERTISED_HOST', advertised);
    if (h !== undefined) c.sip = { ...c.sip, advertisedHost: h };
  }
  const rtp = get('SWITCHBOARD_RTP_PORTS');
  if (rtp !== undefined) {
    const range = rtpPorts(p, 'env SWITCHBOARD_RTP_PORTS', rtp);
    if (range !== undefined) c.sip = { ...c.sip, rtpPorts: range };
  }
  const workers = get('SWITCHBOARD_MEDIA_WORKERS');
  if (workers !== undefined) {
    const n = envInteger(p, 'SWITCHBOARD_MEDIA_WORKERS', workers, ...RANGES.mediaWorkers);
    if (n !== undefined) c.media = { workers: n };
  }
  const recordings = get('SWITCHBOARD_RECORDINGS_DIR');
  if (recordings !== undefined) c.recordings = { dir: recordings };
  const unknownParameters = get('SWITCHBOARD_UNKNOWN_PARAMETERS');
  if (unknownParameters !== undefined) {
    const policy = oneOf(p, 'env SWITCHBOARD_UNKNOWN_PARAMETERS', unknownParameters.trim().toLowerCase(), UNKNOWN_PARAMETER_POLICIES);
    if (policy !== undefined) c.api = { unknownParameters: policy };
  }
  const natsUrl = get('SWITCHBOARD_NATS_URL');
  const nodeId = get('SWITCHBOARD_NODE_ID');
  const standbyText = get('SWITCHBOARD_STANDBY');
  const standby = standbyText === undefined ? undefined : oneOf(p, 'env SWITCHBOARD_STANDBY', standbyText.trim().toLowerCase(), STANDBY_SWITCH);
  if (natsUrl !== undefined) {
    if (/^(nats|tls):\/\/[^\s/]+$/.test(natsUrl.trim())) {
      c.cluster = { natsUrl: natsUrl.trim(), ...(nodeId ? { nodeId: nodeId.trim() } : {}), ...(standby ? { standby: standby === 'on' } : {}) };
    }
    else p.add('env SWITCHBOARD_NATS_URL', `must be nats://host:port, got ${show(natsUrl)}`);
  }
  if (nodeId !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(nodeId.trim())) p.add('env SWITCHBOARD_NODE_ID', `must be 1 to 64 letters, digits, - or _, got ${show(nodeId)}`);
}

/** An integer from the environment within [min, max], or a problem. */
function envInteger(p: Problems, name: string, v: string, min: number, max: number): number | undefined {
  const n = /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (Number.isInteger(n) && n >= min && n <= max) return n;
  p.add(`env ${name}`, `must be an integer from ${min} to ${max}, got ${show(v)}`);
  return undefined;
}

/** Rules across options, once every source is read. */
function crossChecks(p: Problems, c: Config): void {
  // each mixer worker gets its own slice of the RTP range (src/media/ports.ts splitPortRange)
  const pairs = Math.floor((c.sip.rtpPorts.last - (c.sip.rtpPorts.first + (c.sip.rtpPorts.first % 2)) + 1) / 2);
  if (c.sip.port !== 0 && pairs < Math.max(1, c.media.workers)) {
    p.add('sip.rtpPorts', `${c.sip.rtpPorts.first}-${c.sip.rtpPorts.last} holds ${pairs} RTP port pairs, fewer than the ${c.media.workers} media workers`);
  }
}

/** Defaults, then the optional file, then the environment; every problem at once; frozen. */
export function loadConfig({ argv = [], env = {} }: LoadInput = {}): Config {
  const p = new Problems();
  const c = defaultConfig();
  const { file: fileArg, logFormat: logFormatArg } = configArg(p, argv);
  const envFile = env.SWITCHBOARD_CONFIG === '' ? undefined : env.SWITCHBOARD_CONFIG;
  const file = fileArg ?? envFile;
  if (file !== undefined) {
    c.configFile = resolve(file);
    fileInto(p, file, c);
  }
  envInto(p, env, c);
  if (logFormatArg !== undefined) c.logFormat = logFormatArg;
  crossChecks(p, c);
  if (p.count) throw new ConfigError(p.list, file);
  return deepFreeze(c);
}

/** A configuration for tests: in-memory database, ephemeral port, silent, short CometD timeouts. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  const base: Config = {
    ...defaultConfig(),
    host: '127.0.0.1',
    port: 0,
    database: ':memory:',
    logLevel: 'silent',
    csrf: true,
    simApi: true,
    cometd: { timeoutMs: 2000, intervalMs: 0, maxIntervalMs: 2000, maxQueue: 1000 },
    // no SIP unless a test asks for it (createApp's `sipEphemeralPort`, or sip.port); mixing in this thread
    sip: { ...defaultConfig().sip, port: 0 },
    media: { workers: 0 },
  };
  const o = structuredClone(overrides);
  return deepFreeze({
    ...base,
    ...o,
    cometd: { ...base.cometd, ...o.cometd },
    auth: { ...base.auth, ...o.auth },
    connections: { ...base.connections, ...o.connections },
    sip: { ...base.sip, ...o.sip },
    media: { ...base.media, ...o.media },
    recordings: { ...base.recordings, ...o.recordings },
  });
}
