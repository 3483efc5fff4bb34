/**
 * A changed password on a cluster (docs/scale-out.md, "Changing passwords"): two nodes run with
 * agent1's password "old"; a third starts with a configuration that says "new". The third node
 * writes the new credentials and ends agent1's stored sessions, and tells the running nodes: on
 * them too the old password and the session cookie got with it are refused (statusCode 20) while
 * the new password works, and another user's session is untouched. Real PostgreSQL, nats-server
 * and node processes (test/cluster/e2e/cluster-harness.ts).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { demoContactCenter } from '../../../src/config/demo.js';
import type { ContactCenterSpec } from '../../../src/store/port.js';
import { PUBLIC_BASE, startCluster, type Cluster } from './cluster-harness.js';
import type { NodeProcess } from '../../../scripts/cluster-demo-lib.js';

/** the demo with agent1's password set */
function centerWith(password: string): ContactCenterSpec {
  const center = demoContactCenter();
  return { ...center, users: center.users.map((u) => (u.userName === 'agent1' ? { ...u, password } : u)) };
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** GET /api/v2/me on a node: the HTTP status, the GWS statusCode and the session cookie it set */
async function me(node: NodeProcess, headers: Record<string, string>): Promise<{ status: number; statusCode: number; cookie?: string }> {
  const response = await fetch(`${node.url}/api/v2/me`, { headers });
  const body = (await response.json()) as { statusCode: number };
  const cookie = response.headers.get('set-cookie')?.split(';')[0];
  return { status: response.status, statusCode: body.statusCode, ...(cookie ? { cookie } : {}) };
}

/** retry `check` until it holds (the running nodes hear of the change one NATS hop and one store read later) */
async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a changed password on a cluster', { timeout: 180_000 }, () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster({ nodes: 2, config: { contactCenters: [JSON.parse(JSON.stringify(centerWith('old')))] } });
  });
  after(async () => {
    await cluster?.stop();
  });

  it('takes effect on the running nodes when a node starts with it: old password and its sessions refused, new password works', async () => {
    const [n1, n2] = cluster.nodes as [NodeProcess, NodeProcess];
    const oldLogin = await me(n1, { authorization: basic('agent1', 'old') });
    assert.equal(oldLogin.statusCode, 0, 'agent1 logs in with the old password');
    assert.ok(oldLogin.cookie, 'and gets a session cookie');
    const otherLogin = await me(n2, { authorization: basic('agent2', 'demo') });
    assert.ok(otherLogin.cookie);
    assert.equal((await me(n2, { cookie: oldLogin.cookie! })).statusCode, 0, 'the session works on the other node too');

    // the configuration changes agent1's password; a third node starts with it
    writeFileSync(join(cluster.dir, 'node.json'), JSON.stringify({ contactCenters: [centerWith('new')], server: { publicBaseUrl: PUBLIC_BASE } }));
    const n3 = await cluster.addNode('n3');
    assert.equal((await me(n3, { authorization: basic('agent1', 'new') })).statusCode, 0, 'the new password on the node that started with it');

    for (const node of [n1, n2]) {
      await eventually(`the old password refused on ${node.id}`, async () => (await me(node, { authorization: basic('agent1', 'old') })).statusCode === 20);
      const session = await me(node, { cookie: oldLogin.cookie! });
      assert.deepEqual([session.status, session.statusCode], [401, 20], `the old session cookie refused on ${node.id}`);
      assert.equal((await me(node, { authorization: basic('agent1', 'new') })).statusCode, 0, `the new password works on ${node.id}`);
      assert.equal((await me(node, { cookie: otherLogin.cookie! })).statusCode, 0, `agent2's session is untouched on ${node.id}`);
    }
  });
});
