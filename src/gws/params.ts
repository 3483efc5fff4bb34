/**
 * Operation parameters as data, and the one reader that applies that data to request bodies.
 *
 * A `ParamSpec` says everything about a parameter: name, kind (type), required, allowed values,
 * default, description and the wording of its errors. `readParams` reads a body with a list of
 * specs, in list order, so the order of the list is the order of the checks; each check either
 * yields the value or throws: statusCode 1 naming the missing parameter, or statusCode 10 saying
 * what is expected. The same specs drive the OpenAPI document and the reference page (api-docs/),
 * through `KINDS[kind].schema`, so what is documented is what is checked. `unknownParameters`
 * finds the body members no spec accepts (refused with statusCode 1, or only logged, per
 * config.api.unknownParameters). The single readers (`requiredString`, `destination`, …) stay
 * exported for bodies that are not operations; nothing else inspects request bodies.
 *
 * Case rule (docs/compatibility.md): parameter names are matched exactly (case-sensitive);
 * values from a fixed list (operationName, and `values` here) are matched exactly too, except
 * operationName, which is matched ignoring case (operations.ts) for old widgets.
 */
import type { Destination } from '../switch/port.js';
import type { UserData } from '../switch/model.js';
import { DomainError, ErrorCode } from '../errors.js';
import { gws } from './reply.js';
import { lastSegment } from './urls.js';

export type Body = Record<string, unknown>;

/** a JSON Schema fragment (OpenAPI 3.1 uses JSON Schema 2020-12) */
export type JsonSchema = Record<string, unknown>;

const describe = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;

/** The request body as an object (undefined/empty bodies count as {}). */
export function bodyObject(body: unknown): Body {
  if (body === undefined || body === null || body === '') return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw gws.invalid(`Request body must be a JSON object such as {"operationName": "..."}, got ${describe(body)}`);
  }
  return body as Body;
}

export function optionalString(b: Body, name: string): string | undefined {
  const v = b[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw gws.invalid(`Parameter '${name}' must be a string, got ${describe(v)}`);
  return v;
}

const NON_EMPTY_STRING = 'a non-empty string';

export function requiredString(b: Body, name: string, what = NON_EMPTY_STRING): string {
  const v = b[name];
  if (v === undefined || v === null) throw gws.missing(name, what);
  if (typeof v !== 'string') throw gws.invalid(`Parameter '${name}' must be ${what}, got ${describe(v)}`);
  if (v.trim() === '') throw gws.invalid(`Parameter '${name}' must be ${what}, got an empty string`);
  return v;
}

/** `destination: {phoneNumber: "5001"}` (Dial, transfers, conferences). */
export function destination(b: Body, name = 'destination'): Destination {
  const v = b[name];
  if (v === undefined || v === null) throw gws.missing(name, 'an object {"phoneNumber": "..."}');
  if (typeof v !== 'object' || Array.isArray(v)) {
    throw gws.invalid(`Parameter '${name}' must be an object {"phoneNumber": "..."}, got ${describe(v)}`);
  }
  const phoneNumber = (v as Body).phoneNumber;
  if (phoneNumber === undefined || phoneNumber === null) throw gws.missing(`${name}.phoneNumber`, 'a non-empty phone number string');
  if (typeof phoneNumber !== 'string' || phoneNumber.trim() === '') {
    throw gws.invalid(`Parameter '${name}.phoneNumber' must be a non-empty phone number string, got ${describe(phoneNumber)}`);
  }
  return { phoneNumber: phoneNumber.trim() };
}

/** ForwardCallsOn's destination: a plain phone number string (also accepted: {phoneNumber}). */
export function forwardDestination(b: Body, name = 'destination'): string {
  const v = b[name];
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) return destination(b, name).phoneNumber;
  return requiredString(b, name, 'a phone number string such as "5001"').trim();
}

export function userData(b: Body, name = 'userData'): UserData {
  const v = b[name];
  if (v === undefined || v === null) throw gws.missing(name, 'an object of string or number values');
  return userDataValue(v, name);
}

export function optionalUserData(b: Body, name = 'userData'): UserData | undefined {
  const v = b[name];
  return v === undefined || v === null ? undefined : userDataValue(v, name);
}

function userDataValue(v: unknown, name: string): UserData {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw gws.invalid(`Parameter '${name}' must be an object of string or number values, got ${describe(v)}`);
  }
  const out: UserData = {};
  for (const [k, x] of Object.entries(v as Body)) {
    if (k === '__proto__') throw gws.invalid(`Parameter '${name}' has the key '__proto__', which Switchboard does not accept; rename it`);
    if (typeof x === 'string' || (typeof x === 'number' && Number.isFinite(x))) out[k] = x;
    else throw gws.invalid(`Parameter '${name}.${k}' must be a string or a number, got ${describe(x)}`);
  }
  return out;
}

export function digits(b: Body, name = 'digits'): string {
  const v = requiredString(b, name, 'a string of the digits 0-9, * and #');
  if (!/^[0-9*#]+$/.test(v)) throw gws.invalid(`Parameter '${name}' must contain only the digits 0-9, * and #, got ${JSON.stringify(v)}`);
  return v;
}

/** An absolute or relative call URI (…/api/v2/me/calls/{id}); returns the call id. */
export function optionalCallId(b: Body, name: string): string | undefined {
  const v = optionalString(b, name);
  if (v === undefined) return undefined;
  const id = lastSegment(v.trim());
  if (!id) throw gws.invalid(`Parameter '${name}' must be a call URI such as ".../api/v2/me/calls/{id}", got ${JSON.stringify(v)}`);
  return id;
}

/** The id in a device URI (…/api/v2/devices/{id}), or statusCode 10. */
export function deviceIdOf(uri: string, name: string): string {
  const id = lastSegment(uri.trim());
  if (!id) throw gws.invalid(`Parameter '${name}' must be a device URI such as ".../api/v2/devices/{id}", got ${JSON.stringify(uri)}`);
  return id;
}

export function oneOf<T extends string>(b: Body, name: string, values: readonly T[], dflt: T): T;
export function oneOf<T extends string>(b: Body, name: string, values: readonly T[]): T | undefined;
export function oneOf<T extends string>(b: Body, name: string, values: readonly T[], dflt?: T): T | undefined {
  const v = b[name];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'string' || !values.includes(v as T)) {
    throw gws.invalid(`Parameter '${name}' must be one of ${values.join(', ')}, got ${describe(v)}`);
  }
  return v as T;
}

/** A whole number of seconds, as a number or a numeric string ("0"). */
export function optionalSeconds(b: Body, name: string): number | undefined {
  const v = b[name];
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 86400) {
    throw gws.invalid(`Parameter '${name}' must be a whole number of seconds between 0 and 86400, got ${describe(v)}`);
  }
  return n;
}

export function stringArray(b: Body, name: string, what: string): string[] {
  const v = b[name];
  if (v === undefined || v === null) throw gws.missing(name, what);
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    throw gws.invalid(`Parameter '${name}' must be ${what}, got ${describe(v)}`);
  }
  return v as string[];
}

// ---------------------------------------------------------------------------------------------
// Parameters as data

/** The value each kind of parameter yields once read. */
export interface KindValues {
  /** a string; `trim` trims it (and an optional one that is blank counts as absent) */
  text: string;
  /** `{"phoneNumber": "..."}` */
  destination: Destination;
  /** a phone number string, or `{"phoneNumber": "..."}` */
  phoneNumber: string;
  userData: UserData;
  digits: string;
  /** a call URI; yields the call id */
  callUri: string;
  /** a device URI; yields the URI as given (its id is taken by the operation, deviceIdOf) */
  deviceUri: string;
  /** one of `values` */
  choice: string;
  /** whole seconds 0-86400, a number or a numeric string */
  seconds: number;
  /** an array of strings */
  textList: string[];
  /** a finite number within `range` */
  number: number;
}
export type ParamKind = keyof KindValues;

export interface ParamSpec {
  readonly name: string;
  readonly kind: ParamKind;
  readonly required?: boolean;
  /** the allowed values (kind choice) */
  readonly values?: readonly string[];
  /** what an absent value means (kind choice) */
  readonly default?: string;
  /** for the reference: what the parameter does */
  readonly description: string;
  /** what a valid value is, in error messages ("a participant's phone number") */
  readonly expects?: string;
  /** kind text: trim the value; an optional blank value counts as absent */
  readonly trim?: boolean;
  /** other names accepted for the same parameter, read when the name itself is absent */
  readonly aliases?: readonly string[];
  /** kind textList: a value the list must contain, and why */
  readonly mustInclude?: { readonly value: string; readonly why: string };
  /** kind number: the lowest and highest value allowed, and the unit in words */
  readonly range?: { readonly lowest: number; readonly highest: number; readonly unit: string };
  /** an example value for the reference */
  readonly example?: unknown;
}

/** A rule over several parameters: at least one of `names` must be given (else statusCode 1). */
export interface AnyOfRule {
  readonly names: readonly string[];
  /** the message's explanation after "Parameter '<first name>' is required: " */
  readonly expects: string;
}

interface KindRow {
  /** the value, undefined when absent (only for optional parameters), or a thrown 1/10 */
  read: (b: Body, spec: ParamSpec, name: string) => unknown;
  /** the JSON Schema of a value */
  schema: (spec: ParamSpec) => JsonSchema;
  /** the type in words, for the reference page */
  words: string;
}

const DESTINATION_SCHEMA: JsonSchema = {
  type: 'object',
  properties: { phoneNumber: { type: 'string', minLength: 1, description: 'a DN, routing point or external number' } },
  required: ['phoneNumber'],
};
const USER_DATA_SCHEMA: JsonSchema = { type: 'object', additionalProperties: { type: ['string', 'number'] } };

function textValue(b: Body, spec: ParamSpec, name: string): string | undefined {
  if (spec.required) {
    const v = requiredString(b, name, spec.expects ?? NON_EMPTY_STRING);
    return spec.trim ? v.trim() : v;
  }
  const v = optionalString(b, name);
  return spec.trim ? v?.trim() || undefined : v;
}

function textListValue(b: Body, spec: ParamSpec, name: string): string[] | undefined {
  if (!spec.required && (b[name] === undefined || b[name] === null)) return undefined;
  const list = stringArray(b, name, spec.expects ?? 'an array of strings');
  const must = spec.mustInclude;
  if (must && !list.includes(must.value)) {
    throw gws.invalid(`${must.why}: '${name}' must include ${JSON.stringify(must.value)}, got ${JSON.stringify(list)}`);
  }
  return list;
}

function numberValue(b: Body, spec: ParamSpec, name: string): number | undefined {
  const v = b[name];
  if (v === undefined || v === null) {
    if (spec.required) throw gws.missing(name, spec.expects ?? 'a number');
    return undefined;
  }
  const range = spec.range;
  if (typeof v !== 'number' || !Number.isFinite(v) || (range && (v < range.lowest || v > range.highest))) {
    const what = range ? `a number of ${range.unit} from ${range.lowest} to ${range.highest}` : 'a number';
    throw gws.invalid(`Parameter '${name}' must be ${what}, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** How each kind is read and described: the one table behind parsing, OpenAPI and the page. */
export const KINDS: Readonly<Record<ParamKind, KindRow>> = {
  text: { read: textValue, schema: () => ({ type: 'string' }), words: 'string' },
  destination: { read: (b, _s, name) => destination(b, name), schema: () => DESTINATION_SCHEMA, words: 'object {phoneNumber}' },
  phoneNumber: {
    read: (b, _s, name) => forwardDestination(b, name),
    schema: () => ({ oneOf: [{ type: 'string', minLength: 1 }, DESTINATION_SCHEMA] }),
    words: 'phone number string (or {phoneNumber})',
  },
  userData: {
    read: (b, spec, name) => (spec.required ? userData(b, name) : optionalUserData(b, name)),
    schema: () => USER_DATA_SCHEMA,
    words: 'object of string or number values',
  },
  digits: { read: (b, _s, name) => digits(b, name), schema: () => ({ type: 'string', pattern: '^[0-9*#]+$' }), words: 'string of 0-9, * and #' },
  callUri: { read: (b, _s, name) => optionalCallId(b, name), schema: () => ({ type: 'string', format: 'uri-reference' }), words: 'call URI' },
  deviceUri: { read: (b, _s, name) => optionalString(b, name), schema: () => ({ type: 'string', format: 'uri-reference' }), words: 'device URI' },
  choice: {
    read: (b, spec, name) => (spec.default === undefined ? oneOf(b, name, spec.values ?? []) : oneOf(b, name, spec.values ?? [], spec.default)),
    schema: (spec) => ({ type: 'string', enum: [...(spec.values ?? [])], ...(spec.default !== undefined ? { default: spec.default } : {}) }),
    words: 'one of the values',
  },
  seconds: {
    read: (b, _s, name) => optionalSeconds(b, name),
    schema: () => ({ oneOf: [{ type: 'integer', minimum: 0, maximum: 86400 }, { type: 'string', pattern: '^\\s*\\d+\\s*$' }] }),
    words: 'whole seconds 0-86400 (number or numeric string)',
  },
  textList: { read: textListValue, schema: () => ({ type: 'array', items: { type: 'string' } }), words: 'array of strings' },
  number: {
    read: numberValue,
    schema: (spec) => ({ type: 'number', ...(spec.range ? { minimum: spec.range.lowest, maximum: spec.range.highest } : {}) }),
    words: 'number',
  },
};

/** whether a body gives a parameter at all (for AnyOfRule): present, and not blank */
function given(b: Body, spec: ParamSpec): boolean {
  const v = b[spec.name];
  if (v === undefined || v === null) return false;
  return !(typeof v === 'string' && (spec.trim ? v.trim() : v) === '');
}

/**
 * Read every parameter of `specs` from the body, in list order; a rule is checked as soon as the
 * last parameter it names has been read. Returns the values by parameter name (absent optional
 * parameters are undefined; aliases are reported under the parameter's own name).
 */
export function readParams(b: Body, specs: readonly ParamSpec[], rules: readonly AnyOfRule[] = NO_RULES): Record<string, unknown> {
  // a plain loop: no closure or name list built per request (the command path's cost rule)
  const out: Record<string, unknown> = {};
  for (let index = 0; index < specs.length; index++) {
    const spec = specs[index];
    out[spec.name] = readSpec(b, spec);
    if (rules.length) checkRulesCompletedAt(b, specs, rules, index);
  }
  return out;
}

const NO_RULES: readonly AnyOfRule[] = Object.freeze([]);

/** a spec's value: read under its name, else under each alias in turn until one holds a value */
function readSpec(b: Body, spec: ParamSpec): unknown {
  const kind = KINDS[spec.kind];
  let value = kind.read(b, spec, spec.name);
  if (value === undefined && spec.aliases) {
    for (const alias of spec.aliases) {
      value = kind.read(b, spec, alias);
      if (value !== undefined) break;
    }
  }
  return value;
}

/** the rules whose last named parameter is specs[index]: one of their parameters must be given */
function checkRulesCompletedAt(b: Body, specs: readonly ParamSpec[], rules: readonly AnyOfRule[], index: number): void {
  const position = (name: string) => specs.findIndex((s) => s.name === name);
  for (const rule of rules) {
    if (Math.max(...rule.names.map(position)) !== index) continue;
    const named = rule.names.map((n) => specs[position(n)]);
    if (!named.some((s) => given(b, s))) throw gws.missing(rule.names[0], rule.expects);
  }
}

/** operationName as a parameter (read by operations.ts operationOf, listed among the accepted names) */
export const OPERATION_NAME_PARAM = {
  name: 'operationName',
  kind: 'text',
  required: true,
  description: 'the operation (matched ignoring case)',
} as const satisfies ParamSpec;

/** every name a body may carry with these specs */
export function acceptedNames(specs: readonly ParamSpec[]): string[] {
  return specs.flatMap((s) => [s.name, ...(s.aliases ?? [])]);
}

/** does a spec accept this body member name? */
const accepts = (specs: readonly ParamSpec[], name: string): boolean => specs.some((s) => s.name === name || (s.aliases !== undefined && s.aliases.includes(name)));

/** The body members no spec accepts, in body order (checked against the specs: no set built per request). */
export function unknownParameters(b: Body, specs: readonly ParamSpec[]): string[] {
  return Object.keys(b).filter((k) => !accepts(specs, k));
}

/** The refusal of an unknown parameter: statusCode 1 naming it and the accepted ones. */
export function unknownParameterError(unknown: readonly string[], specs: readonly ParamSpec[], operationName: string): DomainError {
  const accepted = acceptedNames(specs);
  const first = unknown[0];
  const sameButCase = accepted.find((a) => a.toLowerCase() === first.toLowerCase());
  const hint = sameButCase ? ` (parameter names are case-sensitive: did you mean '${sameButCase}'?)` : '';
  const others = unknown.length > 1 ? ` (also unknown: ${unknown.slice(1).map((u) => `'${u}'`).join(', ')})` : '';
  return new DomainError(
    ErrorCode.MissingParameter,
    `Unknown parameter '${first}' for ${operationName}${hint}${others}; accepted parameters are ${accepted.join(', ')}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Typed values of a spec list (so an operation's builder sees the types its specs promise)

type ValueOf<S extends ParamSpec> = S extends { readonly values: readonly (infer V extends string)[] } ? V : KindValues[S['kind']];
type AlwaysPresent<S extends ParamSpec> = S extends { readonly required: true } ? true : S extends { readonly default: string } ? true : false;
export type ParamValues<L extends readonly ParamSpec[]> = {
  readonly [S in L[number] as S['name']]: AlwaysPresent<S> extends true ? ValueOf<S> : ValueOf<S> | undefined;
};

// ---------------------------------------------------------------------------------------------
// Parameters several operations share (one source for their wording)

export const DESTINATION_PARAM = {
  name: 'destination',
  kind: 'destination',
  required: true,
  description: 'who to call: {"phoneNumber": "..."} with a DN, a routing point or an external number',
  example: { phoneNumber: '5001' },
} as const satisfies ParamSpec;

export const USER_DATA_OPTIONAL_PARAM = {
  name: 'userData',
  kind: 'userData',
  description: 'key/value pairs (string or number values) attached to the call',
  example: { CustomerId: '42' },
} as const satisfies ParamSpec;

export const LOCATION_PARAM = {
  name: 'location',
  kind: 'text',
  description: 'the remote switch of a multi-site setup; accepted and ignored (Switchboard is one site)',
} as const satisfies ParamSpec;
