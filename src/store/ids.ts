/**
 * Id makers for provisioned objects, in the shapes GWS clients see, and the system agent states
 * every contact center has, with the fixed ids of the GWS documentation samples.
 *
 * - contact centers, devices, places, agent groups: dashed lower-case UUID
 * - users: 32 lower-case hex characters (a UUID without dashes)
 * - agent states: dashed upper-case UUID
 */
import { randomUUID } from 'node:crypto';

export function newContactCenterId(): string {
  return randomUUID();
}

export function newDeviceId(): string {
  return randomUUID();
}

export function newPlaceId(): string {
  return randomUUID();
}

export function newAgentGroupId(): string {
  return randomUUID();
}

export function newUserId(): string {
  return randomUUID().replace(/-/g, '');
}

export function newAgentStateId(): string {
  return randomUUID().toUpperCase();
}

export interface SystemAgentState {
  readonly id: string;
  readonly operationName: 'Ready' | 'NotReady' | 'AfterCallWork' | 'AuxWork';
  readonly displayName: string;
  readonly state: 'Ready' | 'NotReady';
  readonly workMode?: 'AfterCallWork' | 'AuxWork';
}

const SYSTEM_STATES = {
  Ready: { id: '9430250E-0A1B-421F-B372-F29E69366DED', operationName: 'Ready', displayName: 'Ready', state: 'Ready' },
  NotReady: { id: '900D55CC-2BB0-431F-8BF9-D3525B383BE6', operationName: 'NotReady', displayName: 'Not Ready', state: 'NotReady' },
  AfterCallWork: {
    id: 'D3663509-3D82-4DD3-A82E-2EA8EFA02AEF',
    operationName: 'AfterCallWork',
    displayName: 'AfterCallWork',
    state: 'NotReady',
    workMode: 'AfterCallWork',
  },
  AuxWork: {
    id: '2B36138D-C564-4562-A8CB-3C32D564F296',
    operationName: 'AuxWork',
    displayName: 'AuxWork',
    state: 'NotReady',
    workMode: 'AuxWork',
  },
} as const satisfies Record<string, SystemAgentState>;
for (const s of Object.values(SYSTEM_STATES)) Object.freeze(s);

/** The agent states present in every contact center (`system: true`), keyed by operationName. */
export const SYSTEM_AGENT_STATES: typeof SYSTEM_STATES = Object.freeze(SYSTEM_STATES);

/** The system agent states in display order (Ready, NotReady, AfterCallWork, AuxWork). */
export const SYSTEM_AGENT_STATE_LIST: readonly SystemAgentState[] = Object.freeze(Object.values(SYSTEM_AGENT_STATES));

/** True for the operationNames reserved by the system agent states. */
export function isSystemAgentStateName(operationName: string): boolean {
  return Object.prototype.hasOwnProperty.call(SYSTEM_AGENT_STATES, operationName);
}
