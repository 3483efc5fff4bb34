/**
 * Hot standby against a real nats-server (2.9, JetStream): cluster nodes in one process, each its
 * own NATS connection and node core (natsClusterCore: JetStream log, KV lease, command server,
 * forwarding port). Node a owns the contact center and applies a few hundred commands; node b's
 * standby follows the log (a JetStream ordered consumer). When a gives the lease up, b takes over
 * from its replica: the node's "takeover replayed" line says it came from the standby and replayed
 * only the tail (the owner entry and what the replica had not applied), not the log; b has a's
 * state and carries on. Node c joins late: its standby catches up from the log's start, and when b
 * gives up, c too replays only the tail. A node with the standby off replays the whole log. Then an
 * owner dies (its NATS connection closed, its lease left to expire): node e takes over from its
 * standby, replaying the tail only.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { JetStreamCommandLog } from '../../../src/cluster/jetstream-log.js';
import { joinCluster, type ClusterNode, type NodeLog } from '../../../src/cluster/node/node.js';
import { natsClusterCore } from '../../../src/cluster/node/core.js';
import { TAKEOVER_REPLAYED } from '../../../src/cluster/standby.js';
import { systemClock } from '../../../src/switch/clock.js';
import type { ContactCenterTopology } from '../../../src/switch/model.js';
import { silentLog } from '../../../src/switch/door.js';
import { startTestNats, type TestNats } from '../../helpers/nats.js';
import { EventCollector, waitFor } from '../../helpers/wait.js';
import { defaultSettings } from '../../helpers/switch-harness.js';

const CC = 'cc-standby';
const AGENT = '5001';
const TOPOLOGY: ContactCenterTopology = {
  id: CC,
  settings: defaultSettings(),
  dns: [
    { number: AGENT, kind: 'Extension', contactCenterId: CC },
    { number: '7000', kind: 'RoutingPoint', contactCenterId: CC },
  ],
} as ContactCenterTopology;
const TOGGLES = 300;
const TIMEOUT_MS = 15_000;

interface Line {
  node: string;
  level: string;
  o: Record<string, unknown>;
  m: string;
}

describe('hot standby over nats-server', () => {
  let nats: TestNats;
  const lines = new EventCollector<Line>('node log lines');
  const nodes: ClusterNode[] = [];

  before(async () => {
    nats = await startTestNats();
  });
  after(async () => {
    for (const n of nodes) await n.close();
    await nats.stop();
  });

  async function node(name: string, standby = true): Promise<ClusterNode> {
    const sink = (level: string) => (o: object, m: string) => lines.push({ node: name, level, o: o as Record<string, unknown>, m });
    const log: NodeLog = { info: sink('info'), warn: sink('warn'), error: sink('error') };
    const n = await joinCluster({
      config: { natsUrl: nats.url, nodeId: name },
      clock: systemClock,
      core: natsClusterCore,
      contactCenterOfDn: () => CC,
      switchLog: silentLog,
      auditAvailable: () => true,
      log: () => log,
      standby,
    });
    nodes.push(n);
    n.router.configure(TOPOLOGY);
    await n.start();
    return n;
  }

  const takeoverBy = (name: string) =>
    lines.next((l) => l.node === name && l.m === TAKEOVER_REPLAYED, TIMEOUT_MS, `${name}'s takeover line`).then((l) => ({ replayed: l.o.replayed as number, fromStandby: l.o.fromStandby as boolean }));

  /** wait until `standbyNode`'s replica has received everything `owner` wrote */
  async function caughtUp(standbyNode: ClusterNode, owner: ClusterNode): Promise<number> {
    const last = await lastSeqOf(owner);
    const standby = standbyNode.standbys.of(CC);
    assert.ok(standby, `${standbyNode.node} has no standby of ${CC}`);
    await waitFor(() => standby.receivedSequence >= last, { on: standby, timeoutMs: TIMEOUT_MS, what: `${standbyNode.node}'s standby to reach sequence ${last}` });
    return last;
  }

  async function lastSeqOf(owner: ClusterNode): Promise<number> {
    const entries = await readLog(owner);
    return entries[entries.length - 1].seq;
  }

  async function readLog(n: ClusterNode) {
    return (await JetStreamCommandLog.open(n.nc)).read(CC);
  }

  it('a standby follows the owner and takes over replaying only the tail; a late joiner catches up', async () => {
    const a = await node('a');
    assert.deepEqual(await takeoverBy('a'), { replayed: 2, fromStandby: false }, 'a opens the empty log: genesis and owner entry');
    assert.ok(a.ownership.owns(CC));
    const b = await node('b');
    assert.equal(b.ownership.owns(CC), false);
    assert.equal((await a.router.login(AGENT, { userId: 'u' + AGENT, isAgent: true })).ok, true);
    for (let i = 0; i < TOGGLES; i++) {
      const r = await a.router.setDoNotDisturb(AGENT, i % 2 === 0);
      assert.equal(r.ok, true, `toggle ${i} refused`);
    }
    await caughtUp(b, a);
    const logLength = (await readLog(a)).length;
    assert.ok(logLength > TOGGLES, `the log has ${logLength} entries`);

    await a.close();
    const byB = await takeoverBy('b');
    assert.equal(byB.fromStandby, true, 'b took over from its standby');
    // the last input (held until its tapes are known) and b's owner entry
    assert.equal(byB.replayed, 2, `b replayed ${byB.replayed} entries of ${logLength}`);
    await waitFor(() => b.ownership.owns(CC), { on: lines, timeoutMs: TIMEOUT_MS, what: 'b to own the contact center' });
    assert.equal((await b.router.device(AGENT))?.dnd, false, 'b has the state a left (an even number of toggles)');
    assert.equal((await b.router.setDoNotDisturb(AGENT, true)).ok, true, 'b carries on');

    const c = await node('c');
    assert.equal(c.ownership.owns(CC), false);
    await caughtUp(c, b);
    await b.close();
    const byC = await takeoverBy('c');
    assert.equal(byC.fromStandby, true, 'c, which joined late, took over from its standby');
    assert.equal(byC.replayed, 2, `c replayed ${byC.replayed} entries`);
    await waitFor(() => c.ownership.owns(CC), { on: lines, timeoutMs: TIMEOUT_MS, what: 'c to own the contact center' });
    assert.equal((await c.router.device(AGENT))?.dnd, true, 'c has the state b left');

    // without a standby, the same takeover replays the whole log
    const d = await node('d', false);
    assert.equal(d.standbys.of(CC), undefined);
    const total = (await readLog(c)).length;
    await c.close();
    const byD = await takeoverBy('d');
    assert.deepEqual(byD, { replayed: total + 1, fromStandby: false }, 'd replayed every entry and its owner entry');
    assert.deepEqual(lines.items.filter((l) => l.level !== 'info' && /standby/.test(l.m)), [], 'no standby was dropped');
  });

  it('an owner that dies (its NATS connection gone, the lease left to expire) is taken over from a standby', async () => {
    const owner = await waitFor(() => nodes.find((n) => n.ownership.owns(CC)), { on: lines, timeoutMs: TIMEOUT_MS, what: 'an owner of the contact center' });
    const e = await node('e');
    assert.equal((await owner.router.setDoNotDisturb(AGENT, false)).ok, true);
    await caughtUp(e, owner);
    // dies: no lease release, no more renewals; its lease expires after the TTL
    await owner.nc.close();
    const byE = await takeoverBy('e');
    assert.equal(byE.fromStandby, true, 'e took over from its standby');
    assert.equal(byE.replayed, 2, `e replayed ${byE.replayed} entries`);
    await waitFor(() => e.ownership.owns(CC), { on: lines, timeoutMs: TIMEOUT_MS, what: 'e to own the contact center' });
    assert.equal((await e.router.device(AGENT))?.dnd, false, 'e has the state the dead owner left');
  });
});
