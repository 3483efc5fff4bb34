/**
 * The end of an HTTP session ends the user's CometD sessions (issue 7, point 7), on a real server
 * with a websocket Bayeux client authenticated by the JSESSIONID cookie: after
 * EndContactCenterSession, and after the session expires unused, the websocket is closed, no
 * session of that user is left in the Bayeux server, and a new handshake with the old cookie is refused.
 * A websocket client that goes on connecting, as a live one does, keeps its HTTP session alive.
 * Waits are for events, each with a timeout that fails loudly.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createApp, type App } from '../../src/app/app.js';
import { testConfig } from '../../src/config/load.js';
import { demoContactCenter } from '../../src/config/demo.js';
import { RawWebSocket } from '../helpers/cometd-client.js';

const AGENT = 'Basic ' + Buffer.from('agent1:demo').toString('base64');

async function start(sessionTtlSec = 1800, cometdTimeoutMs = 2000): Promise<{ app: App; baseUrl: string }> {
  const app = await createApp(
    testConfig({ contactCenters: [demoContactCenter()], sessionTtlSec, cometd: { timeoutMs: cometdTimeoutMs, intervalMs: 0, maxIntervalMs: 2000, maxQueue: 1000 } }),
  );
  const { baseUrl } = await app.listen();
  return { app, baseUrl };
}

/** Basic once: the session cookie and its CSRF token */
async function login(baseUrl: string): Promise<{ cookie: string; csrf: string }> {
  const res = await fetch(`${baseUrl}/api/v2/me`, { headers: { Authorization: AGENT } });
  assert.equal(res.status, 200);
  const m = /JSESSIONID=([^;]+)/.exec(res.headers.get('set-cookie') ?? '');
  assert.ok(m, 'a session cookie');
  return { cookie: `JSESSIONID=${m[1]}`, csrf: res.headers.get('x-csrf-token') ?? '' };
}

/** a websocket CometD client of the cookie's user, subscribed to /v2/me/* */
async function subscribedSocket(baseUrl: string, cookie: string): Promise<RawWebSocket> {
  const ws = await RawWebSocket.open(`${baseUrl}/api/v2/notifications`, { Cookie: cookie });
  ws.send([{ id: 'h', channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['websocket'] }]);
  const hs = await ws.reply('h');
  assert.equal(hs.successful, true, JSON.stringify(hs));
  ws.send([{ id: 's', channel: '/meta/subscribe', clientId: hs.clientId, subscription: '/v2/me/*' }]);
  assert.equal((await ws.reply('s')).successful, true);
  ws.send([{ id: 'c', channel: '/meta/connect', clientId: hs.clientId, connectionType: 'websocket', advice: { timeout: 0 } }]);
  assert.equal((await ws.reply('c')).successful, true);
  return ws;
}

async function expectEnded(app: App, baseUrl: string, ws: RawWebSocket, cookie: string, what: string): Promise<void> {
  await ws.messages.next((m) => 'closed' in m, 10_000, `the websocket closed after ${what}`);
  assert.equal(app.bayeux.sessionCount(), 0, `no CometD session left after ${what}`);
  const again = await RawWebSocket.open(`${baseUrl}/api/v2/notifications`, { Cookie: cookie }).then(
    (w) => w,
    (err: { status?: number }) => err,
  );
  if (again instanceof RawWebSocket) {
    again.send([{ id: 'h2', channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['websocket'] }]);
    assert.equal((await again.reply('h2')).successful, false, 'the old cookie no longer handshakes');
    await again.close();
  } else {
    assert.equal(again.status, 401, 'the old cookie no longer opens a websocket');
  }
}

test('EndContactCenterSession ends the websocket CometD session of the user', async () => {
  const { app, baseUrl } = await start();
  try {
    const { cookie, csrf } = await login(baseUrl);
    const ws = await subscribedSocket(baseUrl, cookie);
    const post = (operationName: string) =>
      fetch(`${baseUrl}/api/v2/me`, {
        method: 'POST',
        headers: { Cookie: cookie, 'X-CSRF-TOKEN': csrf, 'Content-Type': 'application/json' },
        body: JSON.stringify({ operationName, channels: ['voice'] }),
      }).then((r) => r.json());
    assert.equal((await post('StartContactCenterSession')).statusCode, 0);
    await ws.messages.next((m) => m.data?.messageType === 'DeviceStateChangeMessage', 5000, 'the session-start event arrives');
    assert.equal((await post('EndContactCenterSession')).statusCode, 0);
    await expectEnded(app, baseUrl, ws, cookie, 'EndContactCenterSession');
  } finally {
    await app.close();
  }
});

test('an HTTP session that expires unused ends the websocket CometD session of the user', async () => {
  const { app, baseUrl } = await start(2);
  try {
    const { cookie } = await login(baseUrl);
    const ws = await subscribedSocket(baseUrl, cookie);
    // a websocket that sends no further /meta/connect does not touch the HTTP session: it expires after 2 s, the sweeper ends it
    await expectEnded(app, baseUrl, ws, cookie, 'the session expired');
  } finally {
    await app.close();
  }
});

test('a websocket client that goes on sending /meta/connect keeps its HTTP session alive past the TTL', async () => {
  // TTL 2 s; the server answers each held connect after 400 ms, and the client connects again at once
  const { app, baseUrl } = await start(2, 400);
  try {
    const { cookie } = await login(baseUrl);
    const ws = await RawWebSocket.open(`${baseUrl}/api/v2/notifications`, { Cookie: cookie });
    ws.send([{ id: 'h', channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['websocket'] }]);
    const { clientId } = await ws.reply('h');
    const started = Date.now();
    for (let i = 0; Date.now() - started < 5000; i++) {
      ws.send([{ id: `c${i}`, channel: '/meta/connect', clientId, connectionType: 'websocket' }]);
      assert.equal((await ws.reply(`c${i}`)).successful, true, `connect ${i}`);
    }
    const me = await fetch(`${baseUrl}/api/v2/me`, { headers: { Cookie: cookie } }).then((r) => r.json());
    assert.equal(me.statusCode, 0, 'the cookie still works after 2.5 TTLs of connects only');
    assert.equal(app.bayeux.sessionCount(), 1);
    await ws.close();
  } finally {
    await app.close();
  }
});
