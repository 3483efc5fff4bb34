/**
 * Small readers for untrusted JSON that never throw: each checks one value, records a problem with
 * the value's path when it is wrong, and returns the value (typed) or undefined. The configuration
 * loader uses them to report every problem of a file at once.
 *
 * Keys starting with "//" are comments: accepted in any object and ignored.
 *
 * The same readers describe themselves: given a `Probe` as the value and a Problems with a
 * `recorder`, each records what it would accept at its path (type, keys, bounds, allowed values)
 * instead of checking, and hands the caller probes for the values below. Walking the loader with a
 * probe therefore yields the JSON Schema of exactly what it accepts (src/config/schema.ts).
 */

/** A stand-in value that makes each reader record its rule instead of checking one. */
export class Probe {}

/** What a reader records about the value at a path (a JSON Schema fragment). */
export interface SchemaRecorder {
  field(path: string, rule: Record<string, unknown>): void;
}

function recording(p: Problems, v: unknown): SchemaRecorder | undefined {
  return p.recorder && v instanceof Probe ? p.recorder : undefined;
}

export class Problems {
  readonly list: string[] = [];
  /** set only when the checker is walked to describe itself (src/config/schema.ts) */
  recorder?: SchemaRecorder;
  add(path: string, message: string): void {
    this.list.push(`${path}: ${message}`);
  }
  get count(): number {
    return this.list.length;
  }
}

export const at = (path: string, key: string): string => (path ? `${path}.${key}` : key);
export const item = (path: string, i: number): string => `${path}[${i}]`;

/** How a wrong value is shown in a message: JSON, shortened. */
export function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${show(v)}`;
}

export const isComment = (key: string): boolean => key.startsWith('//');

/** Edit distance counting a swap of two neighbours as one edit (optimal string alignment), case-blind. */
function distance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The known key closest to a misspelt one, if it is close. */
export function suggest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = distance(key, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return bestD <= Math.max(1, Math.floor(key.length / 4)) ? best : undefined;
}

/**
 * A plain object with only the given keys (comments aside); missing required keys and unknown keys
 * are problems. Returns the object even when some keys were wrong, so its values can be checked too.
 */
export function object(
  p: Problems,
  path: string,
  v: unknown,
  keys: { required?: readonly string[]; optional?: readonly string[] },
): Record<string, unknown> | undefined {
  const recorder = recording(p, v);
  if (recorder) {
    const names = [...(keys.required ?? []), ...(keys.optional ?? [])];
    recorder.field(path, { type: 'object', keys: names, ...(keys.required?.length ? { required: [...keys.required] } : {}) });
    return Object.fromEntries(names.map((name) => [name, new Probe()]));
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    p.add(path || '(top level)', `must be an object, got ${kind(v)}`);
    return undefined;
  }
  const o = v as Record<string, unknown>;
  const required = keys.required ?? [];
  const known = [...required, ...(keys.optional ?? [])];
  for (const k of Object.keys(o)) {
    if (isComment(k) || known.includes(k)) continue;
    const hint = suggest(k, known);
    p.add(at(path, k), `unknown key${hint ? ` (did you mean "${hint}"?)` : ''}; known keys: ${known.join(', ')}`);
  }
  for (const k of required) if (o[k] === undefined) p.add(at(path, k), 'is required');
  return o;
}

/** control characters (C0 and DEL): what RFC 7617 2 forbids in a Basic user-id and password */
export const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

export function string(p: Problems, path: string, v: unknown, opts: { nonEmpty?: boolean; noControlCharacters?: boolean } = {}): string | undefined {
  const recorder = recording(p, v);
  if (recorder) {
    return void recorder.field(path, { type: 'string', ...(opts.nonEmpty ? { minLength: 1 } : {}), ...(opts.noControlCharacters ? { pattern: '^[^\\u0000-\\u001f\\u007f]*$' } : {}) });
  }
  if (typeof v !== 'string') {
    p.add(path, `must be a string, got ${kind(v)}`);
    return undefined;
  }
  if (opts.nonEmpty && v.trim() === '') {
    p.add(path, 'must not be empty');
    return undefined;
  }
  if (opts.noControlCharacters && CONTROL_CHARACTER.test(v)) {
    p.add(path, 'must not contain control characters (U+0000 to U+001F, U+007F): HTTP Basic cannot carry them (RFC 7617 2)');
    return undefined;
  }
  return v;
}

export function integer(p: Problems, path: string, v: unknown, min: number, max: number): number | undefined {
  const recorder = recording(p, v);
  if (recorder) return void recorder.field(path, { type: 'integer', minimum: min, maximum: max });
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    p.add(path, `must be an integer from ${min} to ${max}, got ${kind(v)}`);
    return undefined;
  }
  return v;
}

export function boolean(p: Problems, path: string, v: unknown): boolean | undefined {
  const recorder = recording(p, v);
  if (recorder) return void recorder.field(path, { type: 'boolean' });
  if (typeof v !== 'boolean') {
    p.add(path, `must be true or false, got ${kind(v)}`);
    return undefined;
  }
  return v;
}

export function oneOf<T extends string>(p: Problems, path: string, v: unknown, values: readonly T[]): T | undefined {
  const recorder = recording(p, v);
  if (recorder) return void recorder.field(path, { type: 'string', enum: [...values] });
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
    p.add(path, `must be one of ${values.join(', ')}, got ${kind(v)}`);
    return undefined;
  }
  return v as T;
}

export function array(p: Problems, path: string, v: unknown): unknown[] | undefined {
  const recorder = recording(p, v);
  if (recorder) {
    recorder.field(path, { type: 'array' });
    return [new Probe()];
  }
  if (!Array.isArray(v)) {
    p.add(path, `must be an array, got ${kind(v)}`);
    return undefined;
  }
  return v;
}

/** An array of strings; a wrong element is reported and its slot holds undefined, so later indexes keep their paths. */
export function strings(p: Problems, path: string, v: unknown): Array<string | undefined> | undefined {
  const a = array(p, path, v);
  return a?.map((s, i) => string(p, item(path, i), s));
}
