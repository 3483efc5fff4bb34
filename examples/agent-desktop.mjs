// A minimal agent desktop: Basic login, the official CometD client over websocket, a contact-center
// session, Ready, and every ringing call answered. Run: SWITCHBOARD_URL=http://127.0.0.1:8080 node examples/agent-desktop.mjs
// Caveat: cometd-nodejs-client's WebSocket sends no headers (no Cookie, no Authorization) on the
// upgrade, so the server would refuse it: we install a WebSocket class that adds the session cookie.
import { CometD } from 'cometd';
import { adapt } from 'cometd-nodejs-client';
import { WebSocket } from 'ws';

const base = process.env.SWITCHBOARD_URL ?? 'http://127.0.0.1:8080';
const user = process.env.AGENT ?? 'agent1';
const me = await fetch(`${base}/api/v2/me`, { headers: { Authorization: 'Basic ' + Buffer.from(`${user}:${process.env.PASSWORD ?? 'demo'}`).toString('base64') } });
if (!me.ok) throw new Error(`login failed: ${me.status} ${await me.text()}`);
const cookie = me.headers.get('set-cookie').split(';')[0]; // the session cookie: REST and CometD both accept it
const headers = { Cookie: cookie, 'X-CSRF-TOKEN': me.headers.get('x-csrf-token'), 'Content-Type': 'application/json' };
const post = (path, body) => fetch(base + path, { method: 'POST', headers, body: JSON.stringify(body) }).then((r) => r.json());

adapt(); // installs window.WebSocket = ws's WebSocket; replace it with one that sends the cookie
globalThis.window.WebSocket = class extends WebSocket {
  constructor(url, protocols) { super(url, protocols, { headers: { Cookie: cookie } }); }
};
const cometd = new CometD();
cometd.configure({ url: `${base}/api/v2/notifications`, requestHeaders: { Cookie: cookie }, logLevel: 'warn' });
cometd.handshake((reply) => {
  if (!reply.successful) return console.error('handshake failed', reply.error);
  cometd.subscribe('/v2/me/*', ({ data }) => {
    console.log(`${user}: ${data.messageType} ${data.notificationType ?? ''} ${data.call?.state ?? data.devices?.[0]?.userState?.state ?? ''} ${data.call?.id ?? ''}`);
    if (data.messageType === 'CallStateChangeMessage' && data.call.state === 'Ringing') post(`/api/v2/me/calls/${data.call.id}`, { operationName: 'Answer' });
  }, async () => {
    await post('/api/v2/me', { operationName: 'StartContactCenterSession', channels: ['voice'] });
    console.log(`${user}: ready`, (await post('/api/v2/me/channels/voice', { operationName: 'Ready' })).statusCode === 0, `over ${cometd.getTransport().type}`);
  });
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => cometd.disconnect(() => process.exit(0)));
