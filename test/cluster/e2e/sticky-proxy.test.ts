/**
 * The demo's sticky proxy (src/cluster/node/sticky-proxy.ts) in front of three small HTTP servers
 * that answer their own name: new clients are spread in turn and get the SBNODE cookie, a client
 * with the cookie stays on its node (HTTP and websocket), and a dead node's clients move on.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { STICKY_COOKIE, startStickyProxy, stickyIndex, type StickyProxy } from '../../../src/cluster/node/sticky-proxy.js';

const nodes: Server[] = [];
let proxy: StickyProxy;

function startNamed(name: string): Promise<Server> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => res.end(JSON.stringify({ name, body })));
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => ws.send(name));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const portOf = (s: Server) => (s.address() as AddressInfo).port;

async function get(cookie?: string): Promise<{ name: string; body: string; setCookie: string | null }> {
  const r = await fetch(proxy.url + '/x', { method: 'POST', body: 'hello', headers: cookie ? { cookie } : {} });
  const j = (await r.json()) as { name: string; body: string };
  return { ...j, setCookie: r.headers.get('set-cookie') };
}

describe('sticky proxy', () => {
  before(async () => {
    for (const n of ['a', 'b', 'c']) nodes.push(await startNamed(n));
    proxy = await startStickyProxy({ backends: nodes.map((s) => ({ host: '127.0.0.1', port: portOf(s) })) });
  });
  after(async () => {
    await proxy.close();
    for (const s of nodes) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  it('spreads new clients in turn and keeps a client with the cookie on its node', async () => {
    const first = await Promise.all([get(), get(), get()]);
    assert.deepEqual(first.map((r) => r.name).sort(), ['a', 'b', 'c']);
    for (const r of first) assert.match(r.setCookie ?? '', new RegExp(`^${STICKY_COOKIE}=[0-2];`));
    assert.equal(first[0]!.body, 'hello', 'the body is passed through');
    const cookie = first[1]!.setCookie!.split(';')[0]!;
    for (let i = 0; i < 3; i++) {
      const again = await get(cookie);
      assert.equal(again.name, first[1]!.name);
      assert.equal(again.setCookie, null, 'no new cookie for a client that has one');
    }
  });

  it('passes a websocket to the cookie\'s node', async () => {
    const ws = new WebSocket(proxy.url.replace('http', 'ws') + '/ws', { headers: { cookie: `${STICKY_COOKIE}=2` } });
    const name = await new Promise<string>((resolve, reject) => {
      ws.once('message', (m) => resolve(String(m)));
      ws.once('error', reject);
    });
    ws.close();
    assert.equal(name, 'c');
  });

  it('moves the clients of a dead node to the next one, with a new cookie', async () => {
    const dead = nodes[0]!;
    dead.closeAllConnections();
    await new Promise((r) => dead.close(r));
    const moved = await get(`${STICKY_COOKIE}=0`);
    assert.equal(moved.name, 'b');
    assert.equal(stickyIndex(moved.setCookie ?? '', 3), 1);
  });
});
