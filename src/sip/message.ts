/**
 * The SIP message codec (RFC 3261 sections 7, 18.3, 20 and 25): requests and responses to and from bytes,
 * for UDP datagrams and TCP streams, plus building responses from requests.
 *
 * Guarantees:
 * - `parseMessage` never throws: every problem is a `{ ok: false }` value with the SIP status that fits
 *   (400, or 513 for oversized input) and, when the start line and headers were readable, the partly
 *   valid message so a 400 can still be routed back.
 * - Header folding is undone, compact names are expanded, list headers are split into one entry per
 *   value, Content-Length is honoured (UDP: extra bytes dropped, a length beyond the datagram refused).
 * - `serializeMessage` always writes a fresh Content-Length from the body, so serialize(parse(x)) is a
 *   fixed point after one pass (checked by the fuzz test).
 * - Limits: whole message, header section and header count are bounded (`ParseLimits`).
 */
import { randomBytes } from 'node:crypto';
import { canonicalHeaderName, headerInfo, splitHeaderList, parseVia, parseCSeq, BRANCH_COOKIE } from './headers.js';
import { parseNameAddr } from './uri.js';

export interface SipHeader {
  /** canonical spelling (compact forms expanded) */
  name: string;
  value: string;
}

export interface SipRequest {
  kind: 'request';
  method: string;
  uri: string;
  headers: SipHeader[];
  body: Buffer;
}

export interface SipResponse {
  kind: 'response';
  status: number;
  reason: string;
  headers: SipHeader[];
  body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

export interface ParseLimits {
  /** largest message accepted, start line to end of body (default 65535, the largest UDP payload) */
  maxMessageBytes: number;
  /** largest header section, start line included (default 16384) */
  maxHeaderBytes: number;
  /** most header lines (after list splitting, default 256) */
  maxHeaders: number;
}

/** the Max-Forwards of a request we start (RFC 3261 8.1.1.6), and the most a B2BUA of ours passes on */
export const MAX_FORWARDS = 70;

export const DEFAULT_LIMITS: ParseLimits = { maxMessageBytes: 65535, maxHeaderBytes: 16384, maxHeaders: 256 };

export type ParseResult =
  | { ok: true; message: SipMessage }
  | { ok: false; status: ParseFailureStatus; error: string; partial?: SipMessage };

/** The statuses a parse failure answers with (when its request can be routed back), and their reasons. */
export const PARSE_FAILURE_REASON = { 400: 'Bad Request', 505: 'Version Not Supported', 513: 'Message Too Large' } as const;
export type ParseFailureStatus = keyof typeof PARSE_FAILURE_REASON;

const EMPTY_BODY = Buffer.alloc(0);
/** a request line of any SIP version (only 2.0 is served: another gets 505, RFC 3261 21.5.7) */
const REQUEST_LINE = /^([A-Za-z0-9\-.!%*_+`'~]+) ([A-Za-z][A-Za-z0-9+.\-]*:[^\s]+) SIP\/([0-9]{1,3}\.[0-9]{1,3})$/;
const STATUS_LINE = /^SIP\/2\.0 ([1-6][0-9]{2}) ([^\r\n]*)$/;
/**
 * a request line that REQUEST_LINE refuses but that still names a method and a SIP version (extra or
 * trailing spaces, a URI in <> or with spaces: RFC 4475 3.1.2.7-3.1.2.10): read on, so its 400 can be
 * routed by the Via like any other malformed request's
 */
const MALFORMED_REQUEST_LINE = /^([A-Za-z0-9\-.!%*_+`'~]+)[ \t]+(.*?)[ \t]+SIP\/[0-9.]+[ \t]*$/;

function failure(status: ParseFailureStatus, error: string, partial?: SipMessage): ParseResult {
  return partial ? { ok: false, status, error, partial } : { ok: false, status, error };
}

/** Index of the blank line ending the header section, and the length of that terminator, or undefined. */
export function findHeaderEnd(buffer: Buffer, from = 0): { index: number; terminatorLength: number } | undefined {
  const crlf = buffer.indexOf('\r\n\r\n', from, 'latin1');
  const lf = buffer.indexOf('\n\n', from, 'latin1');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { index: crlf, terminatorLength: 4 };
  if (lf >= 0) return { index: lf, terminatorLength: 2 };
  return undefined;
}

/** Skips the CRLFs RFC 3261 7.5 allows before a start line (and RFC 5626 keep-alives on streams). */
export function skipLeadingLineBreaks(buffer: Buffer, from = 0): number {
  let index = from;
  while (index < buffer.length && (buffer[index] === 13 || buffer[index] === 10)) index++;
  return index;
}

/** Drops the SP and HTAB around a header value: SIP's only white space (RFC 3261 25.1), unlike String.trim's (U+FEFF, U+00A0 ...). */
function trimWhiteSpace(text: string): string {
  return text.replace(/^[ \t]+|[ \t]+$/g, '');
}

/** Parses the header section (start line and headers) of a message whose body is given separately. */
function parseHead(text: string, limits: ParseLimits): { message: SipMessage; version: string } | { error: string; partial?: SipMessage } {
  const lines = text.split(/\r?\n/);
  const startLine = lines[0];
  let message: SipMessage;
  let version = '2.0';
  let startLineError: string | undefined;
  const request = REQUEST_LINE.exec(startLine);
  const status = request ? null : STATUS_LINE.exec(startLine);
  const malformedRequest = request || status ? null : MALFORMED_REQUEST_LINE.exec(startLine);
  if (request) {
    message = { kind: 'request', method: request[1], uri: request[2], headers: [], body: EMPTY_BODY };
    version = request[3];
  } else if (status) {
    message = { kind: 'response', status: Number(status[1]), reason: status[2], headers: [], body: EMPTY_BODY };
  } else if (malformedRequest) {
    message = { kind: 'request', method: malformedRequest[1], uri: malformedRequest[2], headers: [], body: EMPTY_BODY };
    startLineError = 'malformed request line';
  } else return { error: 'malformed start line' };
  // unfold: a line starting with SP or HT continues the previous header (RFC 3261 7.3.1)
  let current: string | undefined;
  const headers = message.headers;
  const flush = (line: string): string | undefined => {
    const colon = line.indexOf(':');
    if (colon <= 0) return 'header line without a name';
    const info = headerInfo(line.slice(0, colon).trimEnd());
    if (!info) return 'malformed header name';
    const name = info.name;
    const value = trimWhiteSpace(line.slice(colon + 1));
    if (info.list) {
      for (const item of splitHeaderList(value)) headers.push({ name, value: item });
    } else headers.push({ name, value });
    return headers.length > limits.maxHeaders ? 'too many headers' : undefined;
  };
  for (let index = 1; index < lines.length; index++) {
    const line = lines[index];
    const first = line.charCodeAt(0);
    if (first === 32 || first === 9) {
      if (current === undefined) return { error: 'continuation line before any header', partial: message };
      current += ' ' + trimWhiteSpace(line);
      continue;
    }
    if (current !== undefined) {
      const error = flush(current);
      if (error) return { error, partial: message };
    }
    current = line;
  }
  if (current !== undefined) {
    const error = flush(current);
    if (error) return { error, partial: message };
  }
  if (startLineError) return { error: startLineError, partial: message };
  return { message, version };
}

/** The Content-Length header as a number, null when absent, undefined when malformed or repeated differently. */
export function contentLengthOf(message: SipMessage): number | null | undefined {
  let found: number | null = null;
  for (const header of message.headers) {
    if (header.name !== 'Content-Length') continue;
    if (!/^[0-9]{1,9}$/.test(header.value)) return undefined;
    const value = Number(header.value);
    if (found !== null && found !== value) return undefined;
    found = value;
  }
  return found;
}

/**
 * Headers that a message carries at most once (RFC 3261 7.3.1: only comma-separated list headers may
 * repeat). Two From or CSeq values would let two readers of one message see two different requests.
 * Content-Length is checked on its own (`contentLengthOf`: repeated with one value is tolerated).
 */
const SINGLE_VALUE_HEADERS = ['From', 'To', 'Call-ID', 'CSeq', 'Max-Forwards', 'Content-Type', 'Expires'] as const;

/**
 * Checks what every request and response must carry to be processed (RFC 3261 8.1.1, 8.2): a parseable
 * top Via, From, To, Call-ID and a CSeq whose method matches a request's method, and, in a request,
 * no single-value header twice. Returns the problem.
 */
export function missingEssentials(message: SipMessage): string | undefined {
  // a request only: a peer's response is taken as it is, as long as what routes it can be read
  if (message.kind === 'request') for (const name of SINGLE_VALUE_HEADERS) if (getHeaders(message, name).length > 1) return `repeated ${name} header`;
  const via = getHeader(message, 'Via');
  if (via === undefined || !parseVia(via)) return 'missing or malformed Via';
  const from = getHeader(message, 'From');
  if (from === undefined || !parseNameAddr(from)) return 'missing or malformed From';
  const to = getHeader(message, 'To');
  if (to === undefined || !parseNameAddr(to)) return 'missing or malformed To';
  const callId = getHeader(message, 'Call-ID');
  if (callId === undefined || callId === '' || /\s/.test(callId)) return 'missing or malformed Call-ID';
  const cseqText = getHeader(message, 'CSeq');
  const cseq = cseqText === undefined ? undefined : parseCSeq(cseqText);
  if (!cseq) return 'missing or malformed CSeq';
  if (message.kind === 'request' && cseq.method !== message.method) return 'CSeq method differs from the request method';
  // 1*DIGIT (RFC 3261 20.22): leading zeros are allowed (RFC 4475 3.1.1.1 sends 0068)
  const maxForwards = getHeader(message, 'Max-Forwards');
  if (maxForwards !== undefined && !/^0*[0-9]{1,3}$/.test(maxForwards)) return 'malformed Max-Forwards';
  return undefined;
}

/** The start line and headers of an oversized message, when they fit the header limit (to route a 513). */
function headOnly(buffer: Buffer, limits: ParseLimits): SipMessage | undefined {
  const start = skipLeadingLineBreaks(buffer);
  const end = findHeaderEnd(buffer.subarray(0, start + limits.maxHeaderBytes), start);
  if (!end) return undefined;
  const head = parseHead(buffer.toString('utf8', start, end.index), limits);
  return 'message' in head ? head.message : undefined;
}

/**
 * Parses one message. For a datagram pass the whole payload; for a stream pass exactly one frame
 * (see `StreamFramer`) with `stream: true`, so a missing Content-Length means an empty body.
 */
export function parseMessage(
  input: Buffer | string,
  options: { limits?: ParseLimits; stream?: boolean } = {},
): ParseResult {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const buffer = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  if (buffer.length > limits.maxMessageBytes) return failure(513, 'message too large', headOnly(buffer, limits));
  const start = skipLeadingLineBreaks(buffer);
  const end = findHeaderEnd(buffer, start);
  let headEnd: number;
  let bodyStart: number;
  if (end) {
    headEnd = end.index;
    bodyStart = end.index + end.terminatorLength;
  } else {
    // a message with neither headers' terminator nor body: tolerate a missing final blank line
    headEnd = buffer.length;
    while (headEnd > start && (buffer[headEnd - 1] === 10 || buffer[headEnd - 1] === 13)) headEnd--;
    bodyStart = buffer.length;
  }
  if (headEnd - start > limits.maxHeaderBytes) return failure(513, 'header section too large');
  if (headEnd <= start) return failure(400, 'empty message');
  const head = parseHead(buffer.toString('utf8', start, headEnd), limits);
  // the headers read before the problem are kept: a 400 can be routed back when the Via came first
  if ('error' in head) return failure(400, head.error, head.partial);
  const message = head.message;
  if (head.version !== '2.0') return failure(505, `SIP/${head.version} is not supported: use SIP/2.0`, message);
  const length = contentLengthOf(message);
  if (length === undefined) return failure(400, 'malformed Content-Length', message);
  const available = buffer.length - bodyStart;
  if (length === null) {
    message.body = options.stream || available === 0 ? EMPTY_BODY : buffer.subarray(bodyStart);
  } else {
    if (length > available) return failure(400, 'Content-Length larger than the message', message);
    message.body = length === 0 ? EMPTY_BODY : buffer.subarray(bodyStart, bodyStart + length);
  }
  const problem = missingEssentials(message);
  if (problem) return failure(400, problem, message);
  return { ok: true, message };
}

/** Writes a message; Content-Length is always recomputed from the body. */
export function serializeMessage(message: SipMessage): Buffer {
  let text =
    message.kind === 'request'
      ? `${message.method} ${message.uri} SIP/2.0\r\n`
      : `SIP/2.0 ${message.status} ${message.reason}\r\n`;
  for (const header of message.headers) {
    if (header.name === 'Content-Length') continue;
    text += `${header.name}: ${header.value}\r\n`;
  }
  text += `Content-Length: ${message.body.length}\r\n\r\n`;
  if (message.body.length === 0) return Buffer.from(text, 'utf8');
  return Buffer.concat([Buffer.from(text, 'utf8'), message.body]);
}

export type FrameResult =
  | { kind: 'message'; frame: Buffer }
  | { kind: 'incomplete' }
  | { kind: 'fatal'; error: string };

/**
 * Splits a TCP byte stream into messages by Content-Length (RFC 3261 18.3). Buffers at most
 * `maxMessageBytes`; anything beyond that, or an unreadable Content-Length (or two different ones),
 * is fatal for the connection (the stream can no longer be framed).
 */
export class StreamFramer {
  private pending: Buffer = EMPTY_BODY;
  constructor(private readonly limits: ParseLimits = DEFAULT_LIMITS) {}

  get bufferedBytes(): number {
    return this.pending.length;
  }

  push(chunk: Buffer): FrameResult[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const results: FrameResult[] = [];
    for (;;) {
      const start = skipLeadingLineBreaks(this.pending);
      if (start > 0) this.pending = this.pending.subarray(start);
      if (this.pending.length === 0) return results;
      const end = findHeaderEnd(this.pending);
      if (!end) {
        if (this.pending.length > this.limits.maxHeaderBytes) {
          results.push({ kind: 'fatal', error: 'header section too large' });
          this.pending = EMPTY_BODY;
        } else results.push({ kind: 'incomplete' });
        return results;
      }
      const head = this.pending.toString('latin1', 0, end.index);
      // every Content-Length line must say the same: two values (RFC 4475 3.3.9) leave the stream unframeable
      const values = [...head.matchAll(/(?:^|\n)[ \t]*(?:content-length|l)[ \t]*:[ \t]*([^\r\n]*)/gi)].map((match) => match[1]);
      let length = 0;
      if (values.length > 0) {
        if (values.some((value) => !/^[0-9]{1,9}\s*$/.test(value) || Number(value.trim()) !== Number(values[0].trim()))) {
          results.push({ kind: 'fatal', error: 'malformed Content-Length' });
          this.pending = EMPTY_BODY;
          return results;
        }
        length = Number(values[0].trim());
      }
      const total = end.index + end.terminatorLength + length;
      if (total > this.limits.maxMessageBytes) {
        results.push({ kind: 'fatal', error: 'message too large' });
        this.pending = EMPTY_BODY;
        return results;
      }
      if (this.pending.length < total) {
        results.push({ kind: 'incomplete' });
        return results;
      }
      results.push({ kind: 'message', frame: Buffer.from(this.pending.subarray(0, total)) });
      this.pending = this.pending.subarray(total);
    }
  }
}

// ---- header access -------------------------------------------------------------------------------

function sameName(header: SipHeader, name: string, lower: string): boolean {
  return header.name === name || (header.name.length === name.length && header.name.toLowerCase() === lower);
}

/** The first value of a header (canonical or any-case name). */
export function getHeader(message: SipMessage, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const header of message.headers) if (sameName(header, name, lower)) return header.value;
  return undefined;
}

/** Every value of a header, in order. */
export function getHeaders(message: SipMessage, name: string): string[] {
  const lower = name.toLowerCase();
  const values: string[] = [];
  for (const header of message.headers) if (sameName(header, name, lower)) values.push(header.value);
  return values;
}

export function removeHeaders(message: SipMessage, name: string): void {
  const lower = name.toLowerCase();
  message.headers = message.headers.filter((header) => !sameName(header, name, lower));
}

/** Replaces every value of a header with one value, at the place of the first. */
export function setHeader(message: SipMessage, name: string, value: string): void {
  const canonical = canonicalHeaderName(name) ?? name;
  const lower = canonical.toLowerCase();
  const index = message.headers.findIndex((header) => sameName(header, canonical, lower));
  removeHeaders(message, canonical);
  const header = { name: canonical, value };
  if (index < 0) message.headers.push(header);
  else message.headers.splice(index, 0, header);
}

export function addHeader(message: SipMessage, name: string, value: string): void {
  message.headers.push({ name: canonicalHeaderName(name) ?? name, value });
}

/** Puts a header value before all others of that name (a new top Via). */
export function prependHeader(message: SipMessage, name: string, value: string): void {
  message.headers.unshift({ name: canonicalHeaderName(name) ?? name, value });
}

// ---- responses and identifiers -------------------------------------------------------------------

export const REASON_PHRASES: Record<number, string> = {
  100: 'Trying',
  180: 'Ringing',
  181: 'Call Is Being Forwarded',
  182: 'Queued',
  183: 'Session Progress',
  200: 'OK',
  202: 'Accepted',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  420: 'Bad Extension',
  423: 'Interval Too Brief',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected',
  483: 'Too Many Hops',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  491: 'Request Pending',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  513: 'Message Too Large',
  603: 'Decline',
};

/** The headers a response copies from its request (RFC 3261 8.2.6.2); Record-Route is added by the caller. */
const COPIED_HEADERS = ['Via', 'From', 'To', 'Call-ID', 'CSeq'];

/**
 * Builds a response to a request: copies Via (all), From, To, Call-ID, CSeq; adds `toTag` to To when the
 * request's To has none and the status is not 100.
 */
export function buildResponse(
  request: SipRequest,
  status: number,
  options: { reason?: string; toTag?: string; headers?: SipHeader[]; body?: Buffer } = {},
): SipResponse {
  const headers: SipHeader[] = [];
  for (const header of request.headers) {
    if (!COPIED_HEADERS.includes(header.name)) continue;
    if (header.name === 'To' && options.toTag && status !== 100 && !/;\s*tag=/i.test(header.value)) {
      headers.push({ name: 'To', value: `${header.value};tag=${options.toTag}` });
    } else headers.push({ name: header.name, value: header.value });
  }
  if (options.headers) headers.push(...options.headers);
  return {
    kind: 'response',
    status,
    reason: options.reason ?? REASON_PHRASES[status] ?? 'Unknown',
    headers,
    body: options.body ?? EMPTY_BODY,
  };
}

function randomText(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** A new RFC 3261 branch (magic cookie + 64 random bits). */
export function newBranch(): string {
  return BRANCH_COOKIE + randomText(8);
}

/** A new From/To tag (RFC 3261 19.3: at least 32 random bits). */
export function newTag(): string {
  return randomText(6);
}

export function newCallId(host: string): string {
  return `${randomText(12)}@${host}`;
}
