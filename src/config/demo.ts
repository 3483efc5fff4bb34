/**
 * The demo contact center, provisioned when no configuration file names any contact center and the
 * database is empty. DEMO_LOGINS is the table the README and the start-up banner show.
 *
 * - agent1 … agent10 (ROLE_AGENT) on DNs 5001 … 5010
 * - supervisor1, supervisor2 (ROLE_AGENT, ROLE_SUPERVISOR) on DNs 5101, 5102
 * - admin (ROLE_ADMIN), no DN
 * - every password is `demo`; every extension's SIP password (sipPassword) is `demo` too
 * - SIP (spec/sip.md section 2): one trunk `loopback` at 127.0.0.1 with no port (calls from any port of
 *   127.0.0.1 are customers; outbound external numbers stay simulated), nailed-up agent phones,
 *   unregistered extensions simulated: with no phone registered the demo behaves as without SIP
 * - routing point 7000 → agent group "All agents" (every agent, supervised by both supervisors)
 * - every feature on, default settings, custom agent states Lunch and Training
 */
import { Role, type ContactCenterSpec, type UserSpec } from '../store/port.js';
import { DEFAULT_FEATURES, defaultContactCenterSettings } from './defaults.js';

export const DEMO_NAME = 'Demo';
export const DEMO_PASSWORD = 'demo';
export const DEMO_ROUTING_POINT = '7000';
export const DEMO_GROUP = 'All agents';
export const DEMO_SIP_PASSWORD = 'demo';
export const DEMO_TRUNK = { name: 'loopback', host: '127.0.0.1' } as const;

function demoUsers(): UserSpec[] {
  const agents: UserSpec[] = Array.from({ length: 10 }, (_, i) => ({
    userName: `agent${i + 1}`,
    password: DEMO_PASSWORD,
    firstName: 'Agent',
    lastName: String(i + 1),
    roles: [Role.Agent],
    dn: String(5001 + i),
    sipPassword: DEMO_SIP_PASSWORD,
  }));
  const supervisors: UserSpec[] = [1, 2].map((n) => ({
    userName: `supervisor${n}`,
    password: DEMO_PASSWORD,
    firstName: 'Supervisor',
    lastName: String(n),
    roles: [Role.Agent, Role.Supervisor],
    dn: String(5100 + n),
    sipPassword: DEMO_SIP_PASSWORD,
  }));
  const admin: UserSpec = { userName: 'admin', password: DEMO_PASSWORD, firstName: 'Admin', lastName: '', roles: [Role.Admin] };
  return [...agents, ...supervisors, admin];
}

/** A fresh copy of the demo contact center spec. */
export function demoContactCenter(): ContactCenterSpec {
  const users = demoUsers();
  return {
    name: DEMO_NAME,
    features: [...DEFAULT_FEATURES],
    settings: {
      ...defaultContactCenterSettings(),
      sip: { agentPhoneMode: 'nailedUp', unregisteredDevices: 'simulate', holdAudio: 'silence', trunks: [{ ...DEMO_TRUNK }] },
    },
    agentStates: [
      { operationName: 'Lunch', displayName: 'Out to Lunch', state: 'NotReady', workMode: 'AuxWork', reason: 'Lunch' },
      { operationName: 'Training', displayName: 'Training', state: 'NotReady', workMode: 'AuxWork', reason: 'Training' },
    ],
    users,
    routingPoints: [{ number: DEMO_ROUTING_POINT, agentGroup: DEMO_GROUP }],
    agentGroups: [
      {
        name: DEMO_GROUP,
        agents: users.filter((u) => u.userName.startsWith('agent')).map((u) => u.userName),
        supervisors: users.filter((u) => u.roles.includes(Role.Supervisor)).map((u) => u.userName),
      },
    ],
  };
}

export interface DemoLogin {
  readonly userName: string;
  readonly password: string;
  readonly roles: readonly Role[];
  /** absent for users without an extension (admin) */
  readonly dn?: string;
}

/** Every demo login, in the order of the spec. */
export const DEMO_LOGINS: readonly DemoLogin[] = Object.freeze(
  demoUsers().map((u) => Object.freeze({ userName: u.userName, password: u.password, roles: Object.freeze([...u.roles]), ...(u.dn ? { dn: u.dn } : {}) })),
);
