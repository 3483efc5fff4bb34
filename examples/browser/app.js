// The browser example's script: Basic login once (the browser keeps the session cookie), the CSRF
// token from the answer's header for later POSTs, CometD over long-polling (same origin, the cookie
// goes along by itself), a contact-center session, Ready, and one line per notification.
import { CometD } from '/cometd/cometd.js';

const status = document.getElementById('status');
const log = document.getElementById('log');
const show = (line) => { log.textContent += line + '\n'; };

async function start(user, password) {
  const me = await fetch('/api/v2/me', { headers: { Authorization: 'Basic ' + btoa(`${user}:${password}`) } });
  if (!me.ok) { status.textContent = `Sign-in refused (${me.status})`; return; }
  const headers = { 'X-CSRF-TOKEN': me.headers.get('X-CSRF-TOKEN'), 'Content-Type': 'application/json' };
  const post = (path, body) => fetch(path, { method: 'POST', headers, body: JSON.stringify(body) }).then((r) => r.json());
  const cometd = new CometD();
  cometd.unregisterTransport('websocket'); // serve.mjs forwards HTTP only
  cometd.configure({ url: `${location.origin}/api/v2/notifications`, logLevel: 'warn' });
  cometd.handshake((reply) => {
    if (!reply.successful) { status.textContent = `CometD handshake failed: ${reply.error}`; return; }
    cometd.subscribe('/v2/me/*', ({ data }) => {
      show(`${data.messageType} ${data.notificationType ?? ''} ${data.call?.state ?? data.devices?.[0]?.userState?.state ?? ''} ${data.call?.id ?? ''}`);
    }, async () => {
      await post('/api/v2/me', { operationName: 'StartContactCenterSession', channels: ['voice'] });
      const ready = await post('/api/v2/me/channels/voice', { operationName: 'Ready' });
      status.textContent = ready.statusCode === 0 ? `${user} is Ready` : `Ready refused: ${ready.statusMessage}`;
    });
  });
}

document.getElementById('login').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  start(String(form.get('user')), String(form.get('password')));
});
