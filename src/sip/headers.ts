/**
 * SIP header names and the structured headers the stack reads (RFC 3261 sections 7.3 and 20).
 *
 * Guarantees: one table gives every known header its canonical spelling and compact form; names are
 * matched case-insensitively; comma lists are split only for headers whose grammar is a list, never
 * inside quotes or `<...>`; Via and CSeq parsers return undefined on malformed input instead of throwing.
 */
import { parseHostPort, parseParams, formatParams, type Params } from './uri.js';

/** canonical name, compact form (if any), whether the grammar is a comma-separated list */
const HEADER_TABLE: [string, string | null, boolean][] = [
  ['Accept', null, true],
  ['Accept-Encoding', null, true],
  ['Accept-Language', null, true],
  ['Alert-Info', null, true],
  ['Allow', null, true],
  ['Allow-Events', 'u', true],
  ['Authorization', null, false],
  ['Call-ID', 'i', false],
  ['Call-Info', null, true],
  ['Contact', 'm', true],
  ['Content-Disposition', null, false],
  ['Content-Encoding', 'e', true],
  ['Content-Language', null, true],
  ['Content-Length', 'l', false],
  ['Content-Type', 'c', false],
  ['CSeq', null, false],
  ['Date', null, false],
  ['Event', 'o', false],
  ['Expires', null, false],
  ['From', 'f', false],
  ['Max-Forwards', null, false],
  ['Min-Expires', null, false],
  ['Proxy-Authenticate', null, false],
  ['Proxy-Authorization', null, false],
  ['Proxy-Require', null, true],
  ['Record-Route', null, true],
  ['Refer-To', 'r', false],
  ['Referred-By', 'b', false],
  ['Replaces', null, false],
  ['Require', null, true],
  ['Route', null, true],
  ['Server', null, false],
  ['Session-Expires', 'x', false],
  ['Subject', 's', false],
  ['Subscription-State', null, false],
  ['Supported', 'k', true],
  ['To', 't', false],
  ['Unsupported', null, true],
  ['User-Agent', null, false],
  ['Via', 'v', true],
  ['Warning', null, true],
  ['WWW-Authenticate', null, false],
];

interface HeaderInfo {
  name: string;
  list: boolean;
}

const BY_LOWER_NAME = new Map<string, HeaderInfo>();
for (const [name, compact, list] of HEADER_TABLE) {
  const info = { name, list };
  BY_LOWER_NAME.set(name.toLowerCase(), info);
  if (compact) BY_LOWER_NAME.set(compact, info);
}

const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;

/** The canonical spelling of a header name (compact forms expanded); unknown names keep their spelling. */
export function canonicalHeaderName(name: string): string | undefined {
  const known = BY_LOWER_NAME.get(name.toLowerCase());
  if (known) return known.name;
  return TOKEN.test(name) ? name : undefined;
}

/** raw spelling -> info, so repeated spellings skip lower-casing; bounded (unknown names are open-ended) */
const SPELLING_CACHE = new Map<string, HeaderInfo>();

/** Canonical name and list flag of a header name as written, or undefined when it is not a token. */
export function headerInfo(rawName: string): { name: string; list: boolean } | undefined {
  const cached = SPELLING_CACHE.get(rawName);
  if (cached) return cached;
  let info = BY_LOWER_NAME.get(rawName.toLowerCase());
  if (!info) {
    if (!TOKEN.test(rawName)) return undefined;
    info = { name: rawName, list: false };
  }
  if (SPELLING_CACHE.size < 1000) SPELLING_CACHE.set(rawName, info);
  return info;
}

export function isListHeader(canonicalName: string): boolean {
  return BY_LOWER_NAME.get(canonicalName.toLowerCase())?.list ?? false;
}

/** Splits a list header value at commas outside quotes and angle brackets; empty items are dropped. */
export function splitHeaderList(value: string): string[] {
  const items: string[] = [];
  let start = 0;
  let inQuotes = false;
  let inAngle = false;
  for (let index = 0; index < value.length; index++) {
    const character = value.charCodeAt(index);
    if (inQuotes) {
      if (character === 92 /* \ */) index++;
      else if (character === 34 /* " */) inQuotes = false;
    } else if (character === 34) inQuotes = true;
    else if (character === 60 /* < */) inAngle = true;
    else if (character === 62 /* > */) inAngle = false;
    else if (character === 44 /* , */ && !inAngle) {
      const item = value.slice(start, index).trim();
      if (item !== '') items.push(item);
      start = index + 1;
    }
  }
  const last = value.slice(start).trim();
  if (last !== '') items.push(last);
  return items;
}

export interface Via {
  /** `SIP/2.0` */
  protocol: string;
  /** upper-case transport: UDP, TCP, TLS, WS... */
  transport: string;
  host: string;
  port?: number;
  /** branch, rport, received, maddr, ttl... (rport is null when present without a value) */
  params: Params;
}

/** Parses one Via value: `SIP/2.0/UDP host[:port];branch=z9hG4bK...;rport`. */
export function parseVia(value: string): Via | undefined {
  const match = /^\s*([A-Za-z0-9.\-]+)\s*\/\s*([0-9.]+)\s*\/\s*([A-Za-z0-9\-]+)\s+([^;\s]+)\s*(?:;(.*))?$/.exec(value);
  if (!match) return undefined;
  const hostPort = parseHostPort(match[4]);
  if (!hostPort) return undefined;
  const params = match[5] === undefined ? new Map() : parseParams(match[5]);
  if (!params) return undefined;
  return {
    protocol: `${match[1].toUpperCase()}/${match[2]}`,
    transport: match[3].toUpperCase(),
    host: hostPort.host,
    ...(hostPort.port !== undefined ? { port: hostPort.port } : {}),
    params,
  };
}

export function formatVia(via: Via): string {
  return `${via.protocol}/${via.transport} ${via.host}${via.port !== undefined ? ':' + via.port : ''}${formatParams(via.params)}`;
}

export interface CSeq {
  sequence: number;
  method: string;
}

/** Parses `CSeq: 314159 INVITE` (sequence below 2^31, RFC 3261 8.1.1.5). */
export function parseCSeq(value: string): CSeq | undefined {
  const match = /^\s*([0-9]{1,10})\s+([A-Za-z0-9\-.!%*_+`'~]+)\s*$/.exec(value);
  if (!match) return undefined;
  const sequence = Number(match[1]);
  if (sequence >= 2 ** 31) return undefined;
  return { sequence, method: match[2] };
}

/** The RFC 3261 magic cookie every branch we create starts with (section 8.1.1.7). */
export const BRANCH_COOKIE = 'z9hG4bK';
