/**
 * A websocket consumer that stops reading is cut once the server would buffer more than
 * maxWsBufferedBytes for it, instead of growing memory without bound; other users are unaffected.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { startBayeuxHost } from '../helpers/cometd-client.js';

function openWs(url: string, user: string): Promise<{ ws: WebSocket; frames: any[][] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace(/^http/, 'ws'), { headers: { 'x-user': user } });
    const frames: any[][] = [];
    ws.on('message', (d) => frames.push(JSON.parse(String(d))));
    ws.once('open', () => resolve({ ws, frames }));
    ws.once('error', reject);
  });
}

function reply(ws: WebSocket, frames: any[][], send: object[], channel: string): Promise<any> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${channel} reply`)), 3000);
    const check = () => {
      for (const f of frames) for (const m of f) if (m.channel === channel && m.id === (send[0] as { id: string }).id) {
        clearTimeout(timer);
        ws.off('message', check);
        resolve(m);
        return;
      }
    };
    ws.on('message', check);
    ws.send(JSON.stringify(send));
  });
}

async function session(url: string, user: string) {
  const c = await openWs(url, user);
  const hs = await reply(c.ws, c.frames, [{ id: 'h', channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['websocket'] }], '/meta/handshake');
  await reply(c.ws, c.frames, [{ id: 's', channel: '/meta/subscribe', clientId: hs.clientId, subscription: '/**' }], '/meta/subscribe');
  await reply(c.ws, c.frames, [{ id: 'c', channel: '/meta/connect', clientId: hs.clientId, connectionType: 'websocket', advice: { timeout: 0 } }], '/meta/connect');
  return c;
}

test('a websocket consumer that stops reading is cut; other users keep receiving', async () => {
  const host = await startBayeuxHost({ maxWsBufferedBytes: 256 * 1024, maxQueue: 100000 });
  try {
    const slow = await session(host.url, 'slow');
    const fine = await session(host.url, 'fine');
    const closed = new Promise<void>((resolve) => slow.ws.once('close', () => resolve()));
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const payload = 'x'.repeat(10_000);
    // far more than the kernel's loopback buffers hold: the server's own buffer must pass the limit
    for (let i = 0; i < 3000; i++) host.bayeux.publishToUser('slow', '/v2/me/calls', { i, payload });
    const cut = await host.logs.next((l) => l.msg === 'bayeux websocket consumer too slow; socket cut', 5000, 'the slow consumer to be cut');
    assert.equal(cut.user, 'slow');
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    await closed;
    host.bayeux.publishToUser('fine', '/v2/me/calls', { ok: true });
    const deadline = Date.now() + 3000;
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (fine.frames.some((f) => f.some((m) => m.data?.ok === true))) return resolve();
        if (Date.now() > deadline) return reject(new Error('the other user got nothing'));
        fine.ws.once('message', check);
      };
      check();
    });
    fine.ws.close();
  } finally {
    await host.close();
  }
});
