/**
 * Parameter readers for operation bodies and query strings. Each one either returns the value or
 * throws: statusCode 1 naming the missing parameter, or statusCode 10 saying what is expected.
 * Operation tables compose them; nothing else inspects request bodies.
 */
import type { Destination } from '../switch/port.js';
import type { UserData } from '../switch/model.js';
import { gws } from './reply.js';
import { lastSegment } from './urls.js';

export type Body = Record<string, unknown>;

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

export function requiredString(b: Body, name: string, what = 'a non-empty string'): string {
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
  const pn = (v as Body).phoneNumber;
  if (pn === undefined || pn === null) throw gws.missing(`${name}.phoneNumber`, 'a non-empty phone number string');
  if (typeof pn !== 'string' || pn.trim() === '') {
    throw gws.invalid(`Parameter '${name}.phoneNumber' must be a non-empty phone number string, got ${describe(pn)}`);
  }
  return { phoneNumber: pn.trim() };
}

/** ForwardCallsOn's destination: a plain phone number string (also accepted: {phoneNumber}). */
export function forwardDestination(b: Body): string {
  const v = b.destination;
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) return destination(b).phoneNumber;
  return requiredString(b, 'destination', 'a phone number string such as "5001"').trim();
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
