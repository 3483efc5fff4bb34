/**
 * Session lifecycle of the Bayeux server over raw HTTP: expiry, the per-session queue cap,
 * disconnectUser and close(). Waits are driven by the server's own log records, never by sleeps.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type BayeuxHost, rawHandshake, rawPost, startBayeuxHost } from '../helpers/cometd-client.js';
import { withTimeout } from '../helpers/wait.js';

const alice = { 'x-user': 'alice' };
const bob = { 'x-user': 'bob' };

const connect = (clientId: string, id: string, extra: object = {}) => ({ id, channel: '/meta/connect', clientId, connectionType: 'long-polling', ...extra });
// maxInterval is 1 s in the expiry tests: long enough that a loaded machine still sends the connect
// before the fresh session expires (100 ms failed about one run in two at load average 15), short
// enough that the expiry itself is awaited well within the wait.
const removed = (host: BayeuxHost, clientId: string, reason: string) =>
  host.logs.next((l) => l.msg === 'bayeux session removed' && l.session === clientId.slice(0, 8) && l.reason === reason, 6000, `session ${clientId.slice(0, 8)} removed (${reason})`);
const held = (host: BayeuxHost, clientId: string) =>
  host.logs.next((l) => l.msg === 'bayeux connect held' && l.session === clientId.slice(0, 8), 3000, `a held connect of ${clientId.slice(0, 8)}`);

async function withHost(opts: Parameters<typeof startBayeuxHost>[0], body: (host: BayeuxHost) => Promise<void>): Promise<void> {
  const host = await startBayeuxHost(opts);
  try {
    await body(host);
  } finally {
    await host.close();
  }
}

describe('bayeux session expiry', () => {
  it('drops a session that does not come back within interval + maxInterval, but not one holding a connect', () =>
    withHost({ timeoutMs: 5000, maxIntervalMs: 1000 }, async (host) => {
      const idle = await rawHandshake(host.url, alice);
      const waiting = await rawHandshake(host.url, alice);
      const pending = rawPost(host.url, [connect(waiting, 'w')], alice);
      await held(host, waiting);
      await removed(host, idle, 'expired');
      assert.equal(host.bayeux.sessionCount(), 1, 'the session holding a connect is still there');
      const r = await rawPost(host.url, [connect(idle, 'late', { advice: { timeout: 0 } })], alice);
      assert.deepEqual(r.body, [{ id: 'late', channel: '/meta/connect', successful: false, error: '402::session_unknown', advice: { reconnect: 'handshake', interval: 0 } }]);
      host.bayeux.disconnectUser('alice');
      await pending;
    }));

  it('starts the expiry clock when a held long-poll is abandoned by the client', () =>
    withHost({ timeoutMs: 5000, maxIntervalMs: 1000 }, async (host) => {
      const id = await rawHandshake(host.url, alice);
      const ac = new AbortController();
      const req = fetch(host.url + '/connect', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...alice },
        body: JSON.stringify([connect(id, 'x')]),
        signal: ac.signal,
      }).catch(() => null);
      await held(host, id);
      ac.abort();
      await req;
      await removed(host, id, 'expired');
      assert.equal(host.bayeux.sessionCount(), 0);
    }));
});

describe('bayeux queue cap', () => {
  it('drops a session whose queue overflows while nothing carries it; the client then re-handshakes', () =>
    withHost({ maxQueue: 3 }, async (host) => {
      const id = await rawHandshake(host.url, alice);
      await rawPost(host.url, [{ id: 's', channel: '/meta/subscribe', clientId: id, subscription: '/**' }], alice);
      for (let n = 1; n <= 3; n++) host.bayeux.publishToUser('alice', '/v2/me/calls', { n });
      assert.equal(host.bayeux.sessionCount(), 1, 'at the cap the session lives');
      host.bayeux.publishToUser('alice', '/v2/me/calls', { n: 4 });
      const log = await removed(host, id, 'queue_full');
      assert.equal(log.level, 'debug');
      assert.ok(host.logs.items.some((l) => l.level === 'warn' && /overflow/.test(l.msg)), 'an overflow is a warning');
      assert.equal(host.bayeux.sessionCount(), 0);
      const r = await rawPost(host.url, [connect(id, 'c')], alice);
      assert.equal(r.body[0].error, '402::session_unknown');
      assert.equal(r.body[0].advice.reconnect, 'handshake');
    }));

  it('flushes a burst into the held connect instead of dropping the session', () =>
    withHost({ maxQueue: 3, timeoutMs: 5000 }, async (host) => {
      const id = await rawHandshake(host.url, alice);
      await rawPost(host.url, [{ id: 's', channel: '/meta/subscribe', clientId: id, subscription: '/v2/me/*' }], alice);
      const pending = rawPost(host.url, [connect(id, 'c')], alice);
      await held(host, id);
      for (let n = 1; n <= 3; n++) host.bayeux.publishToUser('alice', '/v2/me/calls', { n });
      const r = await withTimeout(pending, 3000, 'the burst');
      assert.deepEqual(r.body.slice(0, -1).map((m: any) => m.data.n), [1, 2, 3]);
      assert.equal(host.bayeux.sessionCount(), 1);
    }));
});

describe('bayeux disconnectUser and close', () => {
  it("disconnectUser drops only that user's sessions and sends its held connect back to handshake", () =>
    withHost({ timeoutMs: 5000 }, async (host) => {
      const a1 = await rawHandshake(host.url, alice);
      const a2 = await rawHandshake(host.url, alice);
      const b1 = await rawHandshake(host.url, bob);
      const pending = rawPost(host.url, [connect(a1, 'a1c')], alice);
      await held(host, a1);
      host.bayeux.disconnectUser('alice');
      const r = await withTimeout(pending, 3000, "alice's held connect");
      assert.deepEqual(r.body, [{ id: 'a1c', channel: '/meta/connect', successful: false, error: '402::session_unknown', advice: { reconnect: 'handshake', interval: 0 } }]);
      assert.equal(host.bayeux.sessionCount(), 1);
      const r2 = await rawPost(host.url, [connect(a2, 'a2c', { advice: { timeout: 0 } })], alice);
      assert.equal(r2.body[0].error, '402::session_unknown');
      const rb = await rawPost(host.url, [connect(b1, 'bc', { advice: { timeout: 0 } })], bob);
      assert.equal(rb.body[0].successful, true, "bob's session is untouched");
      host.bayeux.disconnectUser('nobody'); // unknown users are fine
    }));

  it('close() answers held connects with handshake advice, then refuses with 503', () =>
    withHost({ timeoutMs: 5000 }, async (host) => {
      const id = await rawHandshake(host.url, alice);
      const pending = rawPost(host.url, [connect(id, 'c')], alice);
      await held(host, id);
      await host.bayeux.close();
      const r = await withTimeout(pending, 3000, 'the held connect at close');
      assert.deepEqual(r.body, [{ id: 'c', channel: '/meta/connect', successful: false, error: '402::session_unknown', advice: { reconnect: 'handshake', interval: 0 } }]);
      assert.equal(host.bayeux.sessionCount(), 0);
      const after = await rawPost(host.url, [{ id: 'h', channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] }], alice);
      assert.equal(after.status, 503);
      assert.deepEqual(after.body, [{ successful: false, error: '503::server_closing' }]);
      host.bayeux.publishToUser('alice', '/v2/me/calls', {}); // a no-op after close
      await host.bayeux.close(); // idempotent
    }));
});
