// A supervisor script: logs in, starts a contact-center session, arms ListenIn on an agent's DN and
// prints every notification it gets (one line each) until stopped. Run:
//   SWITCHBOARD_URL=http://127.0.0.1:8080 TARGET_DN=5001 node examples/supervisor.mjs
// It uses the official CometD client over long-polling, where the Node adapter does send
// requestHeaders (here the session cookie); over websocket it would need the class of agent-desktop.mjs.
import { CometD } from 'cometd';
import { adapt } from 'cometd-nodejs-client';

const base = process.env.SWITCHBOARD_URL ?? 'http://127.0.0.1:8080';
const user = process.env.SUPERVISOR ?? 'supervisor1';
const target = process.env.TARGET_DN ?? '5001';
const me = await fetch(`${base}/api/v2/me`, { headers: { Authorization: 'Basic ' + Buffer.from(`${user}:${process.env.PASSWORD ?? 'demo'}`).toString('base64') } });
if (!me.ok) throw new Error(`login failed: ${me.status} ${await me.text()}`);
const cookie = me.headers.get('set-cookie').split(';')[0];
const headers = { Cookie: cookie, 'X-CSRF-TOKEN': me.headers.get('x-csrf-token'), 'Content-Type': 'application/json' };
const request = (method, path, body) => fetch(base + path, { method, headers, body: body && JSON.stringify(body) }).then((r) => r.json());

adapt();
const cometd = new CometD();
cometd.unregisterTransport('websocket');
cometd.configure({ url: `${base}/api/v2/notifications`, requestHeaders: { Cookie: cookie }, logLevel: 'warn' });
cometd.handshake((reply) => {
  if (!reply.successful) return console.error('handshake failed', reply.error);
  cometd.subscribe('/v2/me/*', ({ data }) => {
    const device = data.devices?.[0];
    const what = data.call ? `${data.call.state} ${data.call.id} monitoring=${data.call.monitoring ?? false}` : `${device?.userState?.state ?? ''} ${device?.supervisorMonitoringState ?? ''}`;
    console.log(`${user}: ${data.messageType} ${data.notificationType ?? ''} ${what}`);
  }, async () => {
    await request('POST', '/api/v2/me', { operationName: 'StartContactCenterSession', channels: ['voice'] });
    const device = (await request('GET', '/api/v2/me/devices?fields=*')).devices[0];
    const armed = await request('POST', `/api/v2/me/devices/${device.id}`, { operationName: 'ListenIn', phoneNumber: target });
    console.log(armed.statusCode === 0 ? `${user}: armed ListenIn on ${target}` : `${user}: arming refused: ${armed.statusMessage}`);
  });
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => cometd.disconnect(() => process.exit(0)));
