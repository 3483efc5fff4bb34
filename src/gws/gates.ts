/**
 * Feature and role gates of operations (gws-voice-api.md 1.6). An operation table row names the
 * features its contact center must have (each entry a feature, or a list of which any one will do)
 * and the role the caller needs. The same gate decides a refusal (statusCode 3 for a missing
 * feature, 5 for a missing role) and whether the operation may appear in `capabilities`.
 */
import type { Role } from '../store/port.js';
import { gws } from './reply.js';

export interface Gate {
  /** every entry must hold; an array entry holds when any one of its features is enabled */
  features?: readonly (string | readonly string[])[];
  role?: Role;
}

/** who is asking: the caller's roles and their contact center's features */
export interface Principal {
  roles: readonly string[];
  features: ReadonlySet<string>;
}

function unmetFeature(gate: Gate, features: ReadonlySet<string>): string | undefined {
  for (const f of gate.features ?? []) {
    const anyOf = typeof f === 'string' ? [f] : f;
    if (!anyOf.some((x) => features.has(x))) {
      return anyOf.length === 1 ? `feature '${anyOf[0]}'` : `one of the features ${anyOf.map((x) => `'${x}'`).join(' or ')}`;
    }
  }
  return undefined;
}

export function permitted(gate: Gate | undefined, who: Principal): boolean {
  if (!gate) return true;
  if (unmetFeature(gate, who.features)) return false;
  return !gate.role || who.roles.includes(gate.role);
}

/** Throw statusCode 3 (feature off) or 5 (role missing) if the gate does not hold. */
export function checkGate(gate: Gate | undefined, who: Principal, operationName: string): void {
  if (!gate) return;
  const f = unmetFeature(gate, who.features);
  if (f) throw gws.forbidden(`Operation ${operationName} is forbidden: it needs ${f}, which is not enabled for your contact center`);
  if (gate.role && !who.roles.includes(gate.role)) {
    throw gws.noPermission(`Operation ${operationName} needs the role ${gate.role}; you have ${who.roles.join(', ') || 'no role'}`);
  }
}

/** Keep only the capabilities whose operation the principal may use. */
export function filterCapabilities(caps: readonly string[], gates: Readonly<Record<string, { gate?: Gate }>>, who: Principal): string[] {
  return caps.filter((c) => {
    const row = gates[c];
    return row ? permitted(row.gate, who) : true;
  });
}
