/**
 * What the test/store files share: a contact center of n agents (user u<i>, password pw-<i> unless
 * given, DN 10000+i), and the cheap test hasher counting its calls, whose hash calls can be held
 * (`hold`, then `passOne` lets exactly one through, `release` frees them all).
 */
import { defaultContactCenterSettings } from '../../src/config/defaults.js';
import type { PasswordHasher } from '../../src/store/password.js';
import type { ContactCenterSpec } from '../../src/store/port.js';
import { Role } from '../../src/store/port.js';
import { cheapHasher } from '../helpers/cheap-hasher.js';

export function agentsSpec(users: number, password = (i: number) => `pw-${i}`): ContactCenterSpec {
  return {
    name: 'Big',
    features: ['api-voice'],
    settings: defaultContactCenterSettings(),
    agentStates: [],
    users: Array.from({ length: users }, (_, i) => ({ userName: `u${i}`, password: password(i), roles: [Role.Agent], dn: String(10000 + i) })),
    routingPoints: [{ number: '9000' }],
    agentGroups: [],
  };
}

export function countingHasher() {
  const calls = { hash: 0, verify: 0 };
  let held: Array<() => void> | undefined;
  let pass = 0;
  const hasher: PasswordHasher = {
    hash: async (plain) => {
      calls.hash++;
      if (held && pass === 0) await new Promise<void>((resolve) => held!.push(resolve));
      else if (pass > 0) pass--;
      return cheapHasher.hash(plain);
    },
    verify: (plain, stored) => (calls.verify++, cheapHasher.verify(plain, stored)),
    unmatchable: () => cheapHasher.unmatchable(),
  };
  return {
    hasher,
    calls,
    reset: () => Object.assign(calls, { hash: 0, verify: 0 }),
    hold: () => (held = []),
    passOne: () => (pass = 1),
    release: () => {
      const waiting = held ?? [];
      held = undefined;
      for (const w of waiting) w();
    },
  };
}
