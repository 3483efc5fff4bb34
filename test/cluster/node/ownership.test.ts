/**
 * Ownership and routing of a cluster node (src/cluster/node/ownership.ts, switch-router.ts) in one
 * process: two nodes over the in-memory lease and log, each with its own virtual clock for its
 * timers (a node whose clock stops is a dead or paused process), commands through the non-owner's
 * router forwarded to the owner. Checked: one owner; takeover after the owner stops renewing, with
 * the replayed state; the stale owner's next command is refused by the log (fencing) and it gives
 * the contact center up; a graceful stop hands over at once.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../../src/switch/clock.js';
import type { ContactCenterTopology } from '../../../src/switch/model.js';
import type { SwitchAccess } from '../../../src/switch/port-access.js';
import { LoggedSwitch } from '../../../src/cluster/logged-switch.js';
import { MemoryCommandLog } from '../../../src/cluster/memory-log.js';
import { MemoryLease } from '../../../src/cluster/memory-lease.js';
import { LEASE_TTL_MS, Ownership } from '../../../src/cluster/node/ownership.js';
import { SwitchRouter } from '../../../src/cluster/node/switch-router.js';
import { defaultSettings } from '../../helpers/switch-harness.js';

const CC = 'cc-1';
const TOPOLOGY: ContactCenterTopology = {
  id: CC,
  settings: defaultSettings(),
  dns: [
    { number: '5001', kind: 'Extension', contactCenterId: CC },
    { number: '7000', kind: 'RoutingPoint', contactCenterId: CC },
  ],
} as ContactCenterTopology;

const quiet = { info: () => {}, warn: () => {} };

/** lets promise chains (acquire, open, renew) run to their end */
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
};

function cluster() {
  const leaseClock = new VirtualClock();
  const lease = new MemoryLease(LEASE_TTL_MS, leaseClock);
  const log = new MemoryCommandLog();
  /** node -> its owned switch, what the forwarding ports reach */
  const servers = new Map<string, SwitchAccess>();
  const forwarder = (): SwitchAccess =>
    new Proxy({} as SwitchAccess, {
      get: (_t, method: string) => async (...args: unknown[]) => {
        const owner = await lease.owner(CC);
        const port = owner === undefined ? undefined : servers.get(owner);
        if (!port) return { ok: false, error: { code: 'Unavailable', message: 'no owner' } };
        return (port[method as keyof SwitchAccess] as (...a: unknown[]) => unknown)(...args);
      },
    });
  const node = (name: string) => {
    const clock = new VirtualClock(leaseClock.now());
    const router = new SwitchRouter(() => CC);
    router.configure(TOPOLOGY);
    const ownership = new Ownership({
      node: name,
      lease,
      router,
      openSwitch: async (ccId, onLost) => LoggedSwitch.open({ ccId, node: name, log, clock, onLost }),
      serveCommands: (_ccId, port) => {
        servers.set(name, port);
        return () => void servers.delete(name);
      },
      forwarder,
      log: quiet,
      timers: clock,
    });
    return { name, clock, router, ownership };
  };
  return { leaseClock, lease, log, node };
}

describe('cluster ownership', () => {
  it('one owner; the other forwards; takeover with the replayed state; the stale owner is fenced', async () => {
    const c = cluster();
    const a = c.node('a');
    const b = c.node('b');
    await a.ownership.start();
    await b.ownership.start();
    assert.deepEqual([a.ownership.owns(CC), b.ownership.owns(CC)], [true, false]);

    // a command through the non-owner reaches the owner's switch
    assert.equal((await b.router.login('5001', { userId: 'u1', isAgent: true })).ok, true);
    assert.equal((await b.router.setAgentState('5001', { state: 'Ready' })).ok, true);
    assert.equal((await a.router.device('5001'))?.agentState.state, 'Ready');
    assert.equal((await b.router.device('5001'))?.agentState.state, 'Ready', 'queries are forwarded too');

    // a stops (its clock no longer moves: no renewals); the lease runs out; b takes over
    const advance = (ms: number) => {
      c.leaseClock.advance(ms);
      b.clock.advance(ms);
    };
    for (let t = 0; t < LEASE_TTL_MS + 1000 && !b.ownership.owns(CC); t += 250) {
      advance(250);
      await settle();
    }
    assert.equal(b.ownership.owns(CC), true, 'b owns the contact center after the lease expired');
    assert.equal((await b.router.device('5001'))?.agentState.state, 'Ready', 'the replayed switch has the state');

    // a, paused past its lease, comes back and tries to change state: the log refuses it
    const stale = await a.router.setAgentState('5001', { state: 'NotReady' });
    assert.equal(stale.ok, false, 'the stale owner cannot apply a command');
    await settle();
    assert.equal(a.ownership.owns(CC), false, 'and gives the contact center up');
    assert.equal((await b.router.device('5001'))?.agentState.state, 'Ready', 'the state did not change');
    assert.equal((await a.router.device('5001'))?.agentState.state, 'Ready', 'a now forwards to b');

    // a graceful stop releases the lease: a takes over without waiting for the TTL
    await b.ownership.stop();
    a.clock.advance(250);
    await settle();
    assert.equal(a.ownership.owns(CC), true, 'a took over after b released the lease');
    assert.equal((await a.router.device('5001'))?.agentState.state, 'Ready');
    await a.ownership.stop();
  });
});
