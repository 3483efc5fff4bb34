/**
 * Helpers for the cluster unit tests: the contact center of the switch harness as one topology, a
 * live owner over a fresh in-memory log configured for the random steps (FakePhones optionally as
 * its live endpoints), a synchronous SwitchPort view of a logged switch over a synchronous log (a Promise there fails the
 * test), and the whole observable state of a switch, to compare a live switch with its replay.
 */
import assert from 'node:assert/strict';
import { COMMAND_METHODS, QUERY_METHODS } from '../../../src/cluster/contract.js';
import { LoggedSwitch } from '../../../src/cluster/logged-switch.js';
import type { LoggedSwitchOptions } from '../../../src/cluster/logged-switch.js';
import { MemoryCommandLog } from '../../../src/cluster/memory-log.js';
import { selectorOf } from '../../../src/endpoints/port.js';
import type { EndpointHost } from '../../../src/endpoints/port.js';
import type { SwitchOptions } from '../../../src/switch/call-model.js';
import { VirtualClock } from '../../../src/switch/clock.js';
import type { ContactCenterSettings, ContactCenterTopology } from '../../../src/switch/model.js';
import type { SwitchPort } from '../../../src/switch/port.js';
import type { SwitchAccess } from '../../../src/switch/port-access.js';
import { FakePhones } from '../../helpers/switch-contract.js';
import { AGENTS, SUPERVISORS, defaultSettings } from '../../helpers/switch-harness.js';

export const EVERY_DN = [...AGENTS, ...SUPERVISORS, '7000', '9001'];

/** the switch harness's contact center (test/helpers/switch-harness.ts), as one topology */
export function ccTopology(id: string, settings: ContactCenterSettings): ContactCenterTopology {
  return {
    id,
    settings,
    dns: [
      ...AGENTS.map((number) => ({ number, kind: 'Extension' as const, contactCenterId: id })),
      ...SUPERVISORS.map((number) => ({ number, kind: 'Extension' as const, contactCenterId: id })),
      { number: '7000', kind: 'RoutingPoint' as const, contactCenterId: id, targets: AGENTS },
      { number: '9001', kind: 'Extension' as const, contactCenterId: 'cc2' },
    ],
  };
}

/** the port of a switch that must answer synchronously */
export function syncPort(sw: SwitchAccess): SwitchPort {
  const now = <T>(v: T | Promise<T>, what: string): T => {
    assert.ok(!(v instanceof Promise), `${what} answered with a Promise over a synchronous log`);
    return v as T;
  };
  const port = {} as Record<string, unknown>;
  for (const name of [...COMMAND_METHODS, ...QUERY_METHODS]) {
    port[name] = (...args: unknown[]) => now((sw[name] as (...a: unknown[]) => unknown)(...args), name);
  }
  port.onEvent = sw.onEvent.bind(sw);
  port.stop = sw.stop.bind(sw);
  return port as unknown as SwitchPort;
}

/** everything a client can see of the switch: devices, calls per DN, call views, media */
export function stateOf(sw: SwitchAccess, known: ReadonlySet<string>): unknown {
  const port = syncPort(sw);
  const uuids = new Set(known);
  for (const dn of EVERY_DN) for (const u of port.callsOf(dn)) uuids.add(u);
  const sorted = [...uuids].sort();
  return {
    devices: EVERY_DN.map((dn) => port.device(dn)),
    calls: EVERY_DN.map((dn) => port.callsOf(dn)),
    views: sorted.map((u) => EVERY_DN.map((dn) => port.callView(u, dn))),
    media: sorted.map((u) => port.media(u)),
    contactCenters: sorted.map((u) => port.callContactCenter(u)),
  };
}

export type LiveEndpoints = SwitchOptions['endpoints'];

/** FakePhones serve the extensions, the simulated endpoints the rest */
export const fakePhones: LiveEndpoints = (host: EndpointHost, simulated) => selectorOf(simulated, [{ endpoints: new FakePhones(host), serves: (leg) => leg.kind === 'Extension' }]);

/**
 * the owner n1 of `ccId` over a fresh in-memory log, configured for the switch property's random
 * steps: the harness's agents logged in and Ready one second apart, its supervisors logged in
 */
export function configuredOwner(ccId: string, endpoints: LiveEndpoints | undefined, autoAnswer = false) {
  const clock = new VirtualClock();
  const log = new MemoryCommandLog();
  const errors: unknown[] = [];
  const options: LoggedSwitchOptions = { ccId, node: 'n1', log, clock, switchLog: { error: (o) => errors.push(o) }, ...(endpoints ? { endpoints } : {}) };
  const live = LoggedSwitch.open(options);
  assert.ok(live instanceof LoggedSwitch, 'over the in-memory log the switch opens synchronously');
  const sw = syncPort(live);
  sw.configure(ccTopology(ccId, defaultSettings({ wrapUpTime: 0, externalAnswerDelayMs: 500, supervision: { intrusion: true, autoAnswer, maxSupervisorsPerAgent: 2, notifyAgent: 'always' } })));
  for (const dn of AGENTS) {
    sw.login(dn, { userId: 'u' + dn, isAgent: true });
    sw.setAgentState(dn, { state: 'Ready' });
    clock.advance(1000);
  }
  for (const s of SUPERVISORS) sw.login(s, { userId: 'u' + s, isAgent: false });
  return { clock, log, errors, options, live, sw };
}
