/**
 * The fuzzer's toolkit, shared by the files under test/fuzz/: a seeded random source (the same seed
 * always generates the same requests), the seed and count read from FUZZ_SEED / FUZZ_COUNT, hostile
 * JSON values and mutations of valid bodies, the routes the HTTP layer registered (read from
 * fastify's own route tree, so a new route is fuzzed without anyone listing it), the check that a
 * body is the GWS envelope, and a failure log that groups findings by kind and prints a
 * reproduction of each. Guarantees: generation is deterministic for a given seed; nothing here
 * touches the network or sleeps.
 */
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';

/** The seed used when FUZZ_SEED is not set: fixed, so that `npm test` is repeatable. */
export const DEFAULT_SEED = 20260107;

/** FUZZ_SEED (a whole number) or the default; printed by every fuzz file. */
export function fuzzSeed(): number {
  const raw = process.env.FUZZ_SEED;
  if (raw === undefined || raw === '') return DEFAULT_SEED;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new Error(`FUZZ_SEED must be a whole number, got '${raw}'`);
  return n >>> 0;
}

/** FUZZ_COUNT (cases per fuzz file) or this file's default. */
export function fuzzCount(fileDefault: number): number {
  const raw = process.env.FUZZ_COUNT;
  if (raw === undefined || raw === '') return fileDefault;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`FUZZ_COUNT must be a positive whole number, got '${raw}'`);
  return n;
}

/** A small deterministic generator (mulberry32). */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** a generator for case `index` of a stream, independent of how many numbers earlier cases drew */
  static forCase(seed: number, stream: string, index: number): Random {
    let h = seed ^ 0x9e3779b9;
    for (const ch of `${stream}#${index}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
    return new Random(h);
  }

  /** in [0, 1) */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** a whole number in [0, n) */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    assert.ok(items.length > 0, 'pick from an empty list');
    return items[this.int(items.length)];
  }

  /** one of the rows, chosen by weight */
  weighted<T>(rows: readonly (readonly [number, T])[]): T {
    const total = rows.reduce((sum, [w]) => sum + w, 0);
    let x = this.next() * total;
    for (const [w, value] of rows) {
      x -= w;
      if (x < 0) return value;
    }
    return rows[rows.length - 1][1];
  }

  /** a string of `length` characters drawn from `alphabet` */
  text(length: number, alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'): string {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[this.int(alphabet.length)];
    return out;
  }
}

/** Strings that have broken servers before: empty, blanks, control characters, wildcards, traversal, prototypes. */
export const NASTY_STRINGS: readonly string[] = [
  '',
  ' ',
  '\t\r\n',
  '\u0000',
  '\u0000abc',
  '\ud800',
  '\uffff',
  'é😀',
  '%',
  '%00',
  '%zz',
  '../../etc/passwd',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '*',
  '**',
  '*a*b*c*d*e*f*',
  '.*.*.*.*.*',
  '(a+)+$',
  '[',
  '\\',
  "' OR 1=1 --",
  '<script>alert(1)</script>',
  'null',
  'undefined',
  'NaN',
  '-1',
  '0',
  '1e309',
  '9007199254740993',
  'true',
  '{}',
  '[]',
  '/meta/connect',
  '/**',
  'Basic',
  '7000',
  '5001',
  '6001',
  '+15551234567',
];

/** Numbers at the edges. */
export const NASTY_NUMBERS: readonly number[] = [0, -0, -1, 1, 0.5, -1.5, 2 ** 31, -(2 ** 31), 2 ** 53, Number.MAX_SAFE_INTEGER + 2, 1e308, -1e308, 5e-324];

/** A nested array or object `depth` levels deep around `inner`. */
export function nested(depth: number, kind: 'array' | 'object', inner: unknown = 1): unknown {
  let value: unknown = inner;
  for (let i = 0; i < depth; i++) value = kind === 'array' ? [value] : { a: value };
  return value;
}

/** Nesting as JSON text, without building the value (for depths JSON.stringify cannot reach). */
export function nestedText(depth: number, kind: 'array' | 'object', inner = '1'): string {
  return kind === 'array' ? '['.repeat(depth) + inner + ']'.repeat(depth) : '{"a":'.repeat(depth) + inner + '}'.repeat(depth);
}

/** A random string: nasty, random, long or huge. */
export function hostileString(random: Random): string {
  return random.weighted<() => string>([
    [5, () => random.pick(NASTY_STRINGS)],
    [4, () => random.text(1 + random.int(12))],
    [1, () => random.text(200 + random.int(2000), 'ab*?.%_ ')],
    [1, () => 'x'.repeat(10_000 + random.int(60_000))],
    [1, () => random.text(1 + random.int(20), '\u0001\u001f\u007f\u2028\u2029"\\/\u00e9\ud83d\ude00')],
  ])();
}

/** A random JSON value of any type, sometimes deeply nested. */
export function hostileValue(random: Random, depth = 0): unknown {
  const leaf: readonly (readonly [number, () => unknown])[] = [
    [3, () => hostileString(random)],
    [2, () => random.pick(NASTY_NUMBERS)],
    [1, () => random.chance(0.5)],
    [1, () => null],
  ];
  if (depth > 3) return random.weighted(leaf)();
  return random.weighted<() => unknown>([
    ...leaf,
    [1, () => Array.from({ length: random.int(5) }, () => hostileValue(random, depth + 1))],
    [1, () => Object.fromEntries(Array.from({ length: random.int(5) }, () => [hostileString(random).slice(0, 40), hostileValue(random, depth + 1)]))],
    [0.3, () => nested(50 + random.int(3000), random.chance(0.5) ? 'array' : 'object')],
    [0.2, () => Array.from({ length: 1000 + random.int(5000) }, (_, i) => i)],
  ])();
}

/** A valid body mutated: a member dropped, retyped, replaced by a hostile value, or unknown members added. */
export function mutateBody(random: Random, body: Record<string, unknown>): unknown {
  const out: Record<string, unknown> = { ...body };
  const keys = Object.keys(out);
  const steps = 1 + random.int(3);
  for (let i = 0; i < steps; i++) {
    const key = keys.length ? random.pick(keys) : 'operationName';
    random.weighted<() => void>([
      [2, () => void delete out[key]],
      [4, () => void (out[key] = hostileValue(random))],
      [2, () => void (out[hostileString(random).slice(0, 30) || 'extra'] = hostileValue(random))],
      [1, () => void (out[key] = typeof out[key] === 'string' ? [out[key]] : String(out[key]))],
      [1, () => void Object.defineProperty(out, '__proto__', { value: { operationName: 'Hangup', polluted: true }, enumerable: true, writable: true, configurable: true })],
    ])();
  }
  return random.weighted<() => unknown>([
    [12, () => out],
    [1, () => [out]],
    [1, () => hostileValue(random)],
  ])();
}

/** One registered (method, url pattern) pair, e.g. GET /api/v2/me/calls/:id */
export interface RegisteredRoute {
  method: string;
  url: string;
}

/**
 * Every route fastify registered, read back from `printRoutes({commonPrefix: false})`: a tree whose
 * lines are "├── /segment (GET, HEAD)", indented by four characters per level.
 */
export function registeredRoutes(fastify: FastifyInstance): RegisteredRoute[] {
  const out: RegisteredRoute[] = [];
  const stack: { indent: number; path: string }[] = [];
  for (const line of fastify.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ]*)[├└]── (\S+)(?: \(([^)]*)\))?/u.exec(line);
    if (!m) continue;
    const indent = [...m[1]].length;
    while (stack.length && stack[stack.length - 1].indent >= indent) stack.pop();
    const path = (stack.length ? stack[stack.length - 1].path : '') + m[2];
    stack.push({ indent, path });
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim()).filter(Boolean)) out.push({ method, url: path });
  }
  return out;
}

/**
 * What is wrong with an HTTP response given as status, content type and body text, for the GWS
 * envelope: '' when nothing. A 5xx, a body that is not JSON, or a GWS error carrying anything but
 * statusCode and statusMessage are problems.
 */
export function gwsProblem(status: number, contentType: string | undefined, body: string, method = 'GET', bayeux = false): string {
  if (status >= 500) return `HTTP ${status}`;
  if (method === 'HEAD' || status === 204 || status === 304) return '';
  if (!/^application\/json/.test(contentType ?? '')) return `content-type '${contentType ?? ''}' (HTTP ${status})`;
  let json: any;
  try {
    json = JSON.parse(body);
  } catch {
    return `body is not JSON (HTTP ${status})`;
  }
  if (bayeux && Array.isArray(json)) return bayeuxProblem(json);
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return `body is not a JSON object (HTTP ${status})`;
  if (typeof json.statusCode !== 'number') return `statusCode missing (HTTP ${status})`;
  if (json.statusCode !== 0) {
    const keys = Object.keys(json).sort().join(',');
    if (keys !== 'statusCode,statusMessage') return `error body has members ${keys} (HTTP ${status})`;
    if (typeof json.statusMessage !== 'string') return `statusMessage not a string (HTTP ${status})`;
  }
  if (status >= 400 && json.statusCode === 0) return `HTTP ${status} with statusCode 0`;
  return '';
}

/** What is wrong with a parsed Bayeux response (a non-empty array of message objects): '' when nothing. */
export function bayeuxProblem(json: unknown): string {
  if (!Array.isArray(json) || json.length === 0) return 'Bayeux response is not a non-empty array';
  for (const m of json) {
    if (m === null || typeof m !== 'object' || Array.isArray(m)) return 'Bayeux response holds a non-object';
    const error = (m as { error?: unknown }).error;
    if (error !== undefined && (typeof error !== 'string' || /^5\d\d::(?!server_closing)/.test(error))) return `Bayeux error ${JSON.stringify(error).slice(0, 60)}`;
  }
  return '';
}

/** Shorten a reproduction for printing. */
export function brief(text: string, max = 400): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text;
}

/**
 * Findings grouped by kind ("POST /api/v2/me/calls/:id: HTTP 500"): the first reproduction of each
 * kind is kept. `assertNone` fails with every kind and its reproduction.
 */
export class FailureLog {
  private readonly kinds = new Map<string, { count: number; reproduction: string }>();

  constructor(private readonly title: string, private readonly seed: number) {}

  add(kind: string, reproduction: string): void {
    const known = this.kinds.get(kind);
    if (known) known.count++;
    else this.kinds.set(kind, { count: 1, reproduction: brief(reproduction, 1200) });
  }

  get size(): number {
    return this.kinds.size;
  }

  assertNone(): void {
    if (this.kinds.size === 0) return;
    const lines = [...this.kinds].map(([kind, { count, reproduction }]) => `- ${kind} (×${count})\n    ${reproduction}`);
    assert.fail(`${this.title}: ${this.kinds.size} kind(s) of failure with FUZZ_SEED=${this.seed}:\n${lines.join('\n')}`);
  }
}

/** encodeURIComponent that does not throw: a lone surrogate becomes the (invalid UTF-8) bytes %ED%A0%80. */
export function encodePart(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return text.split(/([\ud800-\udfff])/).map((part) => (/^[\ud800-\udfff]$/.test(part) ? '%ED%A0%80' : encodeURIComponent(part))).join('');
  }
}
