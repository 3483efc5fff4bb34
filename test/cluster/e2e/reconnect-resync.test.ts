/**
 * A node cut off from NATS misses what the other nodes publish (core NATS keeps nothing for it):
 * here node n2 reaches nats-server through a TCP relay that the test cuts. While n2 is away, a
 * third node starts with agent1's new password (its `passwords` message is lost for n2) and agent2
 * ends their session on n1 (its session `delete` is lost too); n2 is shown to still take the old
 * password and agent2's cookie. Once the relay lets n2 reconnect, n2 reads the store again
 * (src/app/cluster-resync.ts): the old password and its cookie are refused there, the new password
 * works, agent2's ended session is refused, and supervisor1's session is untouched. Real
 * PostgreSQL, nats-server and node processes (cluster-harness.ts).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { demoContactCenter } from '../../../src/config/demo.js';
import type { ContactCenterSpec } from '../../../src/store/port.js';
import { PUBLIC_BASE, startCluster, type Cluster } from './cluster-harness.js';
import { startNode, type NodeProcess } from '../../../scripts/cluster-demo-lib.js';

const DISCONNECTED = 'cluster: the NATS connection is lost; reconnecting';
const RECONNECTED = 'cluster: reconnected to NATS; what other nodes said meanwhile is read from the store';

function centerWith(password: string): ContactCenterSpec {
  const center = demoContactCenter();
  return { ...center, users: center.users.map((u) => (u.userName === 'agent1' ? { ...u, password } : u)) };
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** GET /api/v2/me on a node: the HTTP status, the GWS statusCode, the session cookie it set and the CSRF token */
async function me(node: NodeProcess, headers: Record<string, string>): Promise<{ status: number; statusCode: number; cookie?: string; csrf?: string }> {
  const response = await fetch(`${node.url}/api/v2/me`, { headers });
  const body = (await response.json()) as { statusCode: number };
  const cookie = response.headers.get('set-cookie')?.split(';')[0];
  const csrf = response.headers.get('x-csrf-token') ?? undefined;
  return { status: response.status, statusCode: body.statusCode, ...(cookie ? { cookie } : {}), ...(csrf ? { csrf } : {}) };
}

/** A TCP relay to nats-server that can be cut (every connection closed, new ones refused) and opened again. */
class CuttableRelay {
  private readonly sockets = new Set<net.Socket>();
  private cutOff = false;
  private readonly server: net.Server;

  constructor(private readonly target: { host: string; port: number }) {
    this.server = net.createServer((client) => {
      if (this.cutOff) return void client.destroy();
      const upstream = net.connect(this.target);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `nats://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  cut(): void {
    this.cutOff = true;
    for (const socket of this.sockets) socket.destroy();
  }

  open(): void {
    this.cutOff = false;
  }

  close(): void {
    this.cut();
    this.server.close();
  }
}

describe('a node cut off from NATS reads what it missed when it reconnects', { timeout: 180_000 }, () => {
  let cluster: Cluster;
  let relay: CuttableRelay;
  let n2: NodeProcess | undefined;
  before(async () => {
    cluster = await startCluster({ nodes: 1, config: { contactCenters: [JSON.parse(JSON.stringify(centerWith('old')))] } });
    const natsUrl = new URL(cluster.nats.url.replace(/^nats:/, 'http:'));
    relay = new CuttableRelay({ host: natsUrl.hostname, port: Number(natsUrl.port) });
    const relayUrl = await relay.listen();
    n2 = await startNode({ id: 'n2', natsUrl: relayUrl, databaseUrl: cluster.databaseUrl, passwordKeyFile: join(cluster.dir, 'password.key'), env: { SWITCHBOARD_CONFIG: join(cluster.dir, 'node.json') } });
  });
  after(async () => {
    await n2?.stop();
    relay?.close();
    await cluster?.stop();
  });

  it('a password changed and a session ended while it was away are applied on reconnect', async () => {
    const [n1] = cluster.nodes as [NodeProcess];
    const node2 = n2!;
    const agent1 = await me(node2, { authorization: basic('agent1', 'old') });
    const agent2 = await me(n1, { authorization: basic('agent2', 'demo') });
    const supervisor = await me(n1, { authorization: basic('supervisor1', 'demo') });
    for (const login of [agent1, agent2, supervisor]) assert.ok(login.statusCode === 0 && login.cookie, JSON.stringify(login));
    for (const cookie of [agent1.cookie!, agent2.cookie!, supervisor.cookie!]) assert.equal((await me(node2, { cookie })).statusCode, 0, 'every session works on n2');

    relay.cut();
    await node2.waitForLog((l) => l.msg === DISCONNECTED, 20_000, 'n2 to lose NATS');
    // while n2 is away: a node starts with agent1's new password, and agent2 ends their session on n1
    writeFileSync(join(cluster.dir, 'node.json'), JSON.stringify({ contactCenters: [centerWith('new')], server: { publicBaseUrl: PUBLIC_BASE } }));
    const n3 = await cluster.addNode('n3');
    const fresh = await me(n3, { authorization: basic('agent1', 'new') });
    assert.ok(fresh.statusCode === 0 && fresh.cookie, 'agent1 logs in on n3 with the new password');
    assert.ok(agent2.csrf, 'the login gave a CSRF token');
    const ended = await fetch(`${n1.url}/api/v2/me`, { method: 'POST', headers: { cookie: agent2.cookie!, 'x-csrf-token': agent2.csrf ?? '', 'content-type': 'application/json' }, body: JSON.stringify({ operationName: 'EndContactCenterSession' }) });
    assert.equal(((await ended.json()) as { statusCode: number }).statusCode, 0);
    assert.deepEqual((await me(n1, { cookie: agent2.cookie! })).statusCode, 20, 'the ended session is refused on n1');
    // what n2 missed: it still takes the old password and both old cookies
    assert.equal((await me(node2, { authorization: basic('agent1', 'old') })).statusCode, 0, 'n2 missed the new password');
    assert.equal((await me(node2, { cookie: agent1.cookie! })).statusCode, 0, "n2 missed the end of agent1's sessions");
    assert.equal((await me(node2, { cookie: agent2.cookie! })).statusCode, 0, "n2 missed the end of agent2's session");

    relay.open();
    await node2.waitForLog((l) => l.msg === 'sessions and passwords read again from the store after a NATS reconnect', 20_000, 'n2 to read the store again');
    assert.ok(node2.logs.some((l) => l.msg === RECONNECTED));
    const old = await me(node2, { authorization: basic('agent1', 'old') });
    assert.deepEqual([old.status, old.statusCode], [401, 20], 'the old password is refused on n2');
    assert.deepEqual((await me(node2, { cookie: agent1.cookie! })).statusCode, 20, "agent1's old session is refused on n2");
    assert.equal((await me(node2, { authorization: basic('agent1', 'new') })).statusCode, 0, 'the new password works on n2');
    assert.deepEqual((await me(node2, { cookie: agent2.cookie! })).statusCode, 20, "agent2's ended session is refused on n2");
    assert.equal((await me(node2, { cookie: supervisor.cookie! })).statusCode, 0, "supervisor1's session is untouched on n2");
    // the session made with the new password while n2 was away lives on, there and on n3
    assert.equal((await me(node2, { cookie: fresh.cookie! })).statusCode, 0, "the new password's session works on n2");
    assert.equal((await me(n3, { cookie: fresh.cookie! })).statusCode, 0, "and is not ended on n3 by n2's read");
  });
});
