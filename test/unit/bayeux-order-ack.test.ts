/**
 * Issue 7, part 9: message order in connect answers, the ack extension and the BAYEUX_BROWSER
 * multiple-clients advice.
 *
 * The order test drives a client modelled on CometD.NET (the C# GWS SDK's transport): it reads a
 * long-poll answer in order and starts its next /meta/connect the moment it reads the connect
 * reply; whatever followed the reply in that answer is handed to a dispatcher that runs while the
 * next connect is under way. The test takes the worst schedule deterministically (the newer
 * batch's leftovers are dispatched before the older ones) and asserts that nothing is reordered.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type BayeuxHost, RawWebSocket, rawHandshake, rawPost, startBayeuxHost } from '../helpers/cometd-client.js';
import { EventCollector, withTimeout } from '../helpers/wait.js';

const alice = { 'x-user': 'alice' };
const connect = (clientId: string, id: string, extra: object = {}) => ({ id, channel: '/meta/connect', clientId, connectionType: 'long-polling', ...extra });
const subscribe = (clientId: string, id: string, subscription: string) => ({ id, channel: '/meta/subscribe', clientId, subscription });

async function withHost(opts: Parameters<typeof startBayeuxHost>[0], body: (host: BayeuxHost) => Promise<void>): Promise<void> {
  const host = await startBayeuxHost(opts);
  try {
    await body(host);
  } finally {
    await host.close();
  }
}

const heldConnect = (host: BayeuxHost, clientId: string, what: string) =>
  host.logs.next((l) => l.msg === 'bayeux connect held' && l.session === clientId.slice(0, 8), 3000, what);

describe('bayeux connect answers: deliveries first, connect reply last', () => {
  it('a client that reconnects the moment it reads the connect reply sees two batches in order', () =>
    withHost({ timeoutMs: 5000 }, async (host) => {
      const clientId = await rawHandshake(host.url, alice);
      await rawPost(host.url, [subscribe(clientId, 's', '/v2/me/*')], alice);
      const dispatched: number[] = [];
      /** leftovers (messages after the connect reply) of earlier answers, oldest first */
      const leftovers: number[][] = [];
      const answers = new EventCollector<number>('answers');
      let connects = 0;
      const poll = (): void => {
        const id = `c${++connects}`;
        void rawPost(host.url + '/connect', [connect(clientId, id)], alice).then((r) => {
          if (r.status !== 200 || !Array.isArray(r.body)) return;
          const replyAt = r.body.findIndex((m: any) => m.channel === '/meta/connect');
          for (const m of r.body.slice(0, replyAt)) dispatched.push(m.data.n);
          if (r.body[replyAt]?.successful && r.body[replyAt].advice?.reconnect === 'retry') poll();
          const tail = r.body.slice(replyAt + 1).map((m: any) => m.data.n as number);
          if (tail.length > 0) leftovers.push(tail);
          // worst schedule: the newest leftovers win the race against the older ones
          if (leftovers.length > 1) for (const batch of leftovers.splice(0).reverse()) dispatched.push(...batch);
          answers.push(connects);
        });
      };
      poll();
      await heldConnect(host, clientId, 'the first connect held');
      for (const n of [1, 2, 3]) host.bayeux.publishToUser('alice', '/v2/me/calls', { n });
      await answers.next(() => true, 3000, 'the first batch');
      await heldConnect(host, clientId, 'the second connect held');
      for (const n of [4, 5, 6]) host.bayeux.publishToUser('alice', '/v2/me/calls', { n });
      await answers.next(() => true, 3000, 'the second batch');
      await heldConnect(host, clientId, 'the third connect held');
      for (const batch of leftovers.splice(0)) dispatched.push(...batch);
      assert.deepEqual(dispatched, [1, 2, 3, 4, 5, 6]);
      host.bayeux.disconnectUser('alice');
      await answers.next(() => true, 3000, 'the last connect answered');
    }));

  it('over websocket, queued deliveries and the connect reply share one frame, deliveries first', () =>
    withHost({ timeoutMs: 5000 }, async (host) => {
      const clientId = await rawHandshake(host.url, alice);
      await rawPost(host.url, [subscribe(clientId, 's', '/v2/me/*')], alice);
      host.bayeux.publishToUser('alice', '/v2/me/calls', { n: 1 });
      host.bayeux.publishToUser('alice', '/v2/me/calls', { n: 2 });
      const ws = await RawWebSocket.open(host.url, alice);
      try {
        ws.send([{ ...connect(clientId, 'w', { advice: { timeout: 0 } }), connectionType: 'websocket' }]);
        await ws.reply('w');
        assert.deepEqual(ws.frames[0].map((m: any) => m.data?.n ?? m.id), [1, 2, 'w']);
      } finally {
        await ws.close();
      }
    }));
});

describe('bayeux ack extension', () => {
  it('numbers batches, redelivers what the next connect did not acknowledge, and forgets what it did', () =>
    withHost({ timeoutMs: 5000 }, async (host) => {
      const hs = await rawPost(host.url + '/handshake', [{ id: 'h', channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'], ext: { ack: true } }], alice);
      assert.deepEqual(hs.body[0].ext, { ack: true });
      const clientId = hs.body[0].clientId;
      const poll = async (id: string, acked: number, timeout?: number) => {
        const advice = timeout === undefined ? {} : { advice: { timeout } };
        const r = await rawPost(host.url + '/connect', [connect(clientId, id, { ext: { ack: acked }, ...advice })], alice);
        const reply = r.body.at(-1);
        assert.equal(reply.successful, true, JSON.stringify(reply));
        return { batch: reply.ext?.ack, data: r.body.slice(0, -1).map((m: any) => m.data.n) };
      };
      assert.deepEqual(await poll('c0', 0, 0), { batch: 0, data: [] });
      await rawPost(host.url, [subscribe(clientId, 's', '/v2/me/*')], alice);
      host.bayeux.publishToUser('alice', '/v2/me/calls', { n: 1 });
      host.bayeux.publishToUser('alice', '/v2/me/calls', { n: 2 });
      assert.deepEqual(await poll('c1', 0), { batch: 1, data: [1, 2] });
      host.bayeux.publishToUser('alice', '/v2/me/calls', { n: 3 });
      // the answer carrying batch 1 was "lost": the client still acknowledges 0
      assert.deepEqual(await poll('c2', 0), { batch: 2, data: [1, 2, 3] }, 'batch 1 is sent again, first and in order');
      host.bayeux.publishToUser('alice', '/v2/me/calls', { n: 4 });
      assert.deepEqual(await poll('c3', 2), { batch: 3, data: [4] }, 'acknowledged deliveries are not sent again');
      assert.deepEqual(await poll('c4', 3, 0), { batch: 3, data: [] });
    }));

  it('over websocket with ack, deliveries wait for the connect and travel in its frame', () =>
    withHost({ timeoutMs: 5000 }, async (host) => {
      const ws = await RawWebSocket.open(host.url, alice);
      try {
        ws.send([{ id: 'h', channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['websocket'], ext: { ack: true } }]);
        const { clientId, ext } = await ws.reply('h');
        assert.deepEqual(ext, { ack: true });
        ws.send([subscribe(clientId, 's', '/v2/me/*')]);
        await ws.reply('s');
        host.bayeux.publishToUser('alice', '/v2/me/calls', { n: 1 });
        ws.send([{ ...connect(clientId, 'c1', { ext: { ack: 0 } }), connectionType: 'websocket' }]);
        const reply = await ws.reply('c1');
        assert.equal(reply.ext.ack, 1);
        const last = ws.frames.at(-1)!;
        assert.deepEqual(last.map((m: any) => m.data?.n ?? m.id), [1, 'c1']);
      } finally {
        await ws.close();
      }
    }));
});

describe('bayeux BAYEUX_BROWSER multiple-clients advice', () => {
  it('gives a handshake a browser cookie and answers a second held long-poll of that browser at once with multiple-clients advice', () =>
    withHost({ timeoutMs: 5000, maxSessionsPerBrowser: 1, multiSessionIntervalMs: 1500 }, async (host) => {
      const hs = await fetch(host.url + '/handshake', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...alice },
        body: JSON.stringify([{ id: 'h', channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] }]),
      });
      const cookie = /BAYEUX_BROWSER=([0-9a-f]+)/.exec(hs.headers.get('set-cookie') ?? '')?.[1];
      assert.ok(cookie, `a BAYEUX_BROWSER cookie is set: ${hs.headers.get('set-cookie')}`);
      const first = (await hs.json())[0].clientId as string;
      const browser = { ...alice, Cookie: `BAYEUX_BROWSER=${cookie}` };
      const hs2 = await rawPost(host.url + '/handshake', [{ id: 'h', channel: '/meta/handshake', version: '1.0' }], browser);
      const second = hs2.body[0].clientId as string;

      const heldFirst = rawPost(host.url + '/connect', [connect(first, 'f')], browser);
      await heldConnect(host, first, 'the first tab holds its long-poll');
      const r = await withTimeout(rawPost(host.url + '/connect', [connect(second, 's')], browser), 3000, 'the second tab answered at once');
      assert.deepEqual(r.body.at(-1).advice, { reconnect: 'retry', interval: 1500, timeout: 5000, 'multiple-clients': true });
      const other = await rawHandshake(host.url, alice);
      const otherHeld = rawPost(host.url + '/connect', [connect(other, 'o')], alice);
      await heldConnect(host, other, 'a client without the cookie is held as usual');

      host.bayeux.disconnectUser('alice');
      await Promise.all([heldFirst, otherHeld]);
    }));

  it('is off by default: no cookie, every long-poll held', () =>
    withHost({ timeoutMs: 5000 }, async (host) => {
      const hs = await fetch(host.url + '/handshake', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...alice },
        body: JSON.stringify([{ id: 'h', channel: '/meta/handshake', version: '1.0' }]),
      });
      assert.equal(hs.headers.get('set-cookie'), null);
      await hs.arrayBuffer();
    }));
});
