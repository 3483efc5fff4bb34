/**
 * A minimal Bayeux client for load generation (long-polling over keep-alive HTTP, or websocket).
 * The official client is used by the end-to-end tests; 500 of it in one process would measure the
 * client, not the server, so the benchmark speaks the protocol directly.
 */
import http from 'node:http';
import WebSocket from 'ws';

export type Delivery = { channel: string; data: any };

export interface BenchClient {
  readonly transport: 'long-polling' | 'websocket';
  onEvent: (m: Delivery) => void;
  close(): Promise<void>;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4096 });

function post(base: URL, path: string, auth: string, body: unknown): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request(
      { host: base.hostname, port: base.port, path, method: 'POST', agent, headers: { Authorization: auth, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`${path}: HTTP ${res.statusCode} ${Buffer.concat(chunks)}`));
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString()));
          } catch (e) {
            reject(e);
          }
        });
      },
    );
    req.setNoDelay(true);
    req.on('error', reject);
    req.end(data);
  });
}

export async function connectLongPolling(baseUrl: string, auth: string, subscription = '/v2/me/*'): Promise<BenchClient> {
  const base = new URL(baseUrl);
  const root = '/api/v2/notifications';
  let id = 0;
  const [hs] = await post(base, root + '/handshake', auth, [{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'], id: String(++id) }]);
  if (!hs?.successful) throw new Error('handshake failed: ' + JSON.stringify(hs));
  const clientId = hs.clientId as string;
  const sub = await post(base, root + '/', auth, [{ channel: '/meta/subscribe', clientId, subscription, id: String(++id) }]);
  if (!sub[0]?.successful) throw new Error('subscribe failed: ' + JSON.stringify(sub));
  let open = true;
  const client: BenchClient = {
    transport: 'long-polling',
    onEvent: () => {},
    async close() {
      open = false;
      await post(base, root + '/disconnect', auth, [{ channel: '/meta/disconnect', clientId, id: String(++id) }]).catch(() => {});
    },
  };
  let first = true;
  const loop = async () => {
    while (open) {
      const msg: any = { channel: '/meta/connect', clientId, connectionType: 'long-polling', id: String(++id) };
      if (first) msg.advice = { timeout: 0 };
      first = false;
      let replies: any[];
      try {
        replies = await post(base, root + '/connect', auth, [msg]);
      } catch {
        if (!open) return;
        continue;
      }
      for (const r of replies) {
        if (r.channel === '/meta/connect') {
          if (r.successful === false) {
            open = false;
            return;
          }
        } else if (r.data !== undefined) client.onEvent(r);
      }
    }
  };
  void loop();
  return client;
}

/** A websocket to `path` of the server, opened with these credentials (an error after the open is ignored: the row's waits fail loudly). */
async function openWebSocket(baseUrl: string, path: string, auth: string): Promise<WebSocket> {
  const ws = new WebSocket(baseUrl.replace(/^http/, 'ws') + path, { headers: { Authorization: auth }, perMessageDeflate: false });
  await new Promise<void>((res, rej) => {
    ws.once('open', () => res());
    ws.once('error', rej);
  });
  ws.on('error', () => undefined);
  return ws;
}

/**
 * A plain websocket (no CometD) to a server that pushes JSON arrays of messages, as the bare
 * baseline of the REST section does: every message of every frame is a delivery.
 */
export async function connectPlainWebSocket(baseUrl: string, auth: string): Promise<BenchClient> {
  const ws = await openWebSocket(baseUrl, '/', auth);
  const client: BenchClient = {
    transport: 'websocket',
    onEvent: () => {},
    async close() {
      ws.close();
    },
  };
  ws.on('message', (raw) => {
    for (const m of JSON.parse(String(raw))) client.onEvent(m);
  });
  return client;
}

export async function connectWebSocket(baseUrl: string, auth: string, subscription = '/v2/me/*'): Promise<BenchClient> {
  const ws = await openWebSocket(baseUrl, '/api/v2/notifications', auth);
  let id = 0;
  let clientId = '';
  const pending = new Map<string, (m: any) => void>();
  const client: BenchClient = {
    transport: 'websocket',
    onEvent: () => {},
    async close() {
      ws.send(JSON.stringify([{ channel: '/meta/disconnect', clientId, id: String(++id) }]));
      ws.close();
    },
  };
  const send = (m: any) =>
    new Promise<any>((resolve) => {
      m.id = String(++id);
      pending.set(m.id, resolve);
      ws.send(JSON.stringify([m]));
    });
  const connect = (advice?: object) => {
    const m: any = { channel: '/meta/connect', clientId, connectionType: 'websocket', id: String(++id) };
    if (advice) m.advice = advice;
    ws.send(JSON.stringify([m]));
  };
  ws.on('message', (raw) => {
    for (const m of JSON.parse(String(raw))) {
      if (m.channel === '/meta/connect') {
        if (m.successful && ws.readyState === WebSocket.OPEN) connect();
        continue;
      }
      const cb = m.id && pending.get(m.id);
      if (cb && m.channel.startsWith('/meta/')) {
        pending.delete(m.id);
        cb(m);
      } else if (m.data !== undefined) client.onEvent(m);
    }
  });
  const hs = await send({ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['websocket'] });
  if (!hs.successful) throw new Error('ws handshake failed: ' + JSON.stringify(hs));
  clientId = hs.clientId;
  const sub = await send({ channel: '/meta/subscribe', clientId, subscription });
  if (!sub.successful) throw new Error('ws subscribe failed: ' + JSON.stringify(sub));
  connect({ timeout: 0 });
  return client;
}
