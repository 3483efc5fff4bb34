/**
 * The issue 7 measurements that need only a running server (started by bench/issue7/serve.ts, which
 * provides the demo contact center, a user with a 60-character first name, a 2 s CometD hold and a
 * 5 s request timeout where the tree has one). Each measurement is bounded (the slowest stops at
 * 20 s) and returns one line of text for the RESULTS.md table; none asserts anything. The order of
 * `MEASUREMENTS` matters: the wrong-password flood puts 127.0.0.1 under back-off on a fixed server,
 * so it runs last; the two that can crash or freeze a server (nested id, contacts filter) are run
 * by bench/issue7/run.ts each on a fresh server.
 * Usage: npx tsx bench/issue7/measure.ts --base http://127.0.0.1:PORT [--only name,name]
 */
import net from 'node:net';
import { WebSocket } from 'ws';

export type Measurement = (base: string) => Promise<string>;

const MOUNT = '/api/v2/notifications';
const PASSWORD = 'demo';
export const basic = (user: string, password = PASSWORD): string => 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: any;
  ms: number;
}

/** One HTTP request; a timeout or a transport error is a status of 0 with the reason as text. */
export async function request(base: string, method: string, path: string, o: { auth?: string; cookie?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.auth) headers.Authorization = o.auth;
  if (o.cookie) headers.Cookie = o.cookie;
  if (o.body !== undefined) headers['Content-Type'] = 'application/json';
  const started = performance.now();
  try {
    const response = await fetch(base + path, { method, headers, body: o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body), signal: AbortSignal.timeout(o.timeoutMs ?? 20_000) });
    const text = await response.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json, ms: performance.now() - started };
  } catch (err) {
    return { status: 0, headers: new Headers(), text: (err as Error).name === 'TimeoutError' ? 'timeout' : String((err as Error).message), json: undefined, ms: performance.now() - started };
  }
}

const post = (base: string, path: string, body: unknown, auth: string, timeoutMs?: number) => request(base, 'POST', path, { auth, body, timeoutMs });
const round = (ms: number): string => (ms >= 100 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`);
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function alive(base: string): Promise<boolean> {
  const r = await request(base, 'GET', '/api/v2/me', { auth: basic('admin'), timeoutMs: 3000 });
  return r.status === 200;
}

async function handshake(base: string, auth: string): Promise<string | undefined> {
  const r = await post(base, MOUNT, [{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'], id: '1' }], auth);
  return Array.isArray(r.json) ? r.json.find((m: any) => m.channel === '/meta/handshake' && m.successful)?.clientId : undefined;
}

async function startSession(base: string, user: string): Promise<Answer> {
  return post(base, '/api/v2/me', { operationName: 'StartContactCenterSession', channels: ['voice'] }, basic(user));
}

/** 1. A /meta/connect whose id is an array nested 6,000 deep (about 12 KB), held, then echoed. */
export const nestedId: Measurement = async (base) => {
  const auth = basic('agent1');
  const clientId = await handshake(base, auth);
  await post(base, MOUNT, [{ channel: '/meta/connect', clientId, connectionType: 'long-polling', id: '2', advice: { timeout: 0 } }], auth);
  const depth = 6000;
  const body = `[{"channel":"/meta/connect","clientId":${JSON.stringify(clientId)},"connectionType":"long-polling","id":${'['.repeat(depth)}"x"${']'.repeat(depth)}}]`;
  const r = await request(base, 'POST', MOUNT, { auth, body, headers: { 'Content-Type': 'application/json' }, timeoutMs: 8000 });
  const answer = r.status === 0 ? `no answer (${r.text})` : `HTTP ${r.status} ${Array.isArray(r.json) ? r.json[0]?.error ?? '' : r.text.slice(0, 60)} after ${round(r.ms)}`;
  return `${answer}; server ${(await alive(base)) ? 'alive' : 'dead (process exited)'}`;
};

/** 2a. GET /api/v2/contacts with a filter of 20 `*` against a 60-character name, capped at 20 s. */
export const contactsFilter: Measurement = async (base) => {
  const pattern = '*a'.repeat(20) + 'b';
  const r = await request(base, 'GET', `/api/v2/contacts?filterParameters=${encodeURIComponent(pattern)}`, { auth: basic('agent1'), timeoutMs: 20_000 });
  if (r.status === 0) return `no answer within 20 s (${r.text}); server ${(await alive(base)) ? 'answers again' : 'still frozen'}`;
  return `HTTP ${r.status} statusCode ${r.json?.statusCode} in ${round(r.ms)}`;
};

/** 2b. 500 UpdateUserData of 60 KB each on one call (distinct keys), capped at 20 s; bytes kept and the next operation's time. */
export const userData: Measurement = async (base) => {
  await startSession(base, 'agent1');
  const call = await post(base, '/sim/v1/calls', { from: '+15551230000', to: '5001' }, basic('admin'));
  const calls = await request(base, 'GET', '/api/v2/me/calls?fields=*', { auth: basic('agent1') });
  const id = calls.json?.calls?.[0]?.id;
  if (!id) return `no call to attach data to (${call.text.slice(0, 80)})`;
  const value = 'v'.repeat(60 * 1024);
  let accepted = 0;
  let refused = 0;
  const started = performance.now();
  for (let i = 0; i < 500 && performance.now() - started < 20_000; i++) {
    const r = await post(base, `/api/v2/me/calls/${id}`, { operationName: 'UpdateUserData', userData: { [`key${i}`]: value } }, basic('agent1'));
    if (r.json?.statusCode === 0) accepted++;
    else refused++;
  }
  const spent = performance.now() - started;
  const next = await post(base, `/api/v2/me/calls/${id}`, { operationName: 'UpdateUserData', userData: { small: 'x' } }, basic('agent1'));
  const kept = await request(base, 'GET', `/api/v2/me/calls/${id}`, { auth: basic('agent1') });
  const bytes = Buffer.byteLength(JSON.stringify(kept.json?.call?.userData ?? {}));
  const done = accepted + refused;
  return `${done} of 500 sent in ${(spent / 1000).toFixed(1)} s${done < 500 ? ' (20 s cap)' : ''}: ${accepted} accepted, ${refused} refused; ${(bytes / 1e6).toFixed(2)} MB kept on the call; next operation ${round(next.ms)}`;
};

/** 2c. Long-polling handshakes of one user until refused (at most 150). */
export const sessionsPerUser: Measurement = async (base) => {
  let accepted = 0;
  let refusal = '';
  for (let i = 0; i < 150; i++) {
    const r = await post(base, MOUNT, [{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'], id: String(i) }], basic('agent2'));
    const reply = Array.isArray(r.json) ? r.json[0] : undefined;
    if (reply?.successful) accepted++;
    else refusal ||= String(reply?.error ?? `HTTP ${r.status}`);
  }
  return `${accepted} of 150 handshakes accepted${refusal ? `; then ${refusal.slice(0, 70)}` : ''}`;
};

/** A raw socket that records what arrives and when it closes. */
function rawSocket(port: number): Promise<{ socket: net.Socket; received: () => string; closed: () => boolean; ended: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let isClosed = false;
    const ended = new Promise<void>((done) => socket.once('close', () => ((isClosed = true), done())));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => {});
    socket.once('connect', () => resolve({ socket, received: () => Buffer.concat(chunks).toString('latin1'), closed: () => isClosed, ended }));
    socket.once('error', reject);
  });
}

const portOf = (base: string): number => Number(new URL(base).port);
const firstStatus = (text: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);

/** 3. 50 requests whose bodies are half sent (25 without credentials, 25 with): how many are still open 7 s later. */
export const halfSentBodies: Measurement = async (base) => {
  const sockets = await Promise.all(Array.from({ length: 50 }, () => rawSocket(portOf(base))));
  sockets.forEach((s, i) => {
    const credentials = i % 2 ? `Authorization: ${basic('agent5')}\r\n` : '';
    s.socket.write(`POST /api/v2/me HTTP/1.1\r\nHost: 127.0.0.1\r\n${credentials}Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"operationName":`);
  });
  await new Promise((r) => setTimeout(r, 7000));
  const open = sockets.filter((s) => !s.closed()).length;
  const statuses = new Map<number, number>();
  for (const s of sockets) {
    const status = firstStatus(s.received());
    if (status) statuses.set(status, (statuses.get(status) ?? 0) + 1);
    s.socket.destroy();
  }
  const answered = [...statuses].map(([status, n]) => `${n}× HTTP ${status}`).join(', ') || 'no answer';
  return `${open} of 50 still held after 7 s; ${answered}`;
};

/** Write a whole request before reading; the status of the answer that arrives, or the error. */
async function writeAllThenRead(base: string, request: Buffer): Promise<string> {
  const s = await rawSocket(portOf(base));
  const written = new Promise<string>((resolve) => s.socket.write(request, (err) => resolve(err ? (err as NodeJS.ErrnoException).code ?? 'write error' : '')));
  const writeError = await Promise.race([written, s.ended.then(() => 'closed while writing')]);
  await Promise.race([s.ended, new Promise((r) => setTimeout(r, 5000))]);
  s.socket.destroy();
  const text = s.received();
  const status = firstStatus(text);
  if (!status) return writeError || 'no answer';
  const statusCode = /"statusCode":(\d+)/.exec(text)?.[1];
  lastBody = statusCode === undefined ? 'body without statusCode' : `body statusCode ${statusCode}`;
  return String(status);
}
let lastBody = '';

async function tenTries(base: string, request: Buffer, expected: string): Promise<string> {
  const outcomes = new Map<string, number>();
  for (let i = 0; i < 10; i++) {
    const outcome = await writeAllThenRead(base, request);
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  }
  const delivered = outcomes.get(expected) ?? 0;
  const others = [...outcomes].filter(([o]) => o !== expected).map(([o, n]) => `${n}× ${o}`).join(', ');
  return `${delivered} of 10 delivered${others ? ` (${others})` : ''}; ${lastBody}`;
}

/** 4a. A 6 MiB body to REST, written in full before reading: is the 413 read? */
export const bigBody: Measurement = async (base) => {
  const body = Buffer.alloc(6 * 1024 * 1024, 'x');
  const head = Buffer.from(`POST /api/v2/me/channels/voice HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${basic('agent5')}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
  return tenTries(base, Buffer.concat([head, body]), '413');
};

/** 4b. A 1 MiB header written in full before reading: is the 431 read? */
export const bigHeaders: Measurement = async (base) => {
  const head = Buffer.from(`GET /api/v2/me HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${basic('agent5')}\r\nX-Padding: ${'x'.repeat(1024 * 1024)}\r\n\r\n`);
  return tenTries(base, head, '431');
};

/** 4c. Expect: 100-continue with a Content-Length over the limit: the first answer. */
export const continueOversized: Measurement = async (base) => {
  const s = await rawSocket(portOf(base));
  s.socket.write(`POST /api/v2/me/channels/voice HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${basic('agent5')}\r\nContent-Type: application/json\r\nContent-Length: ${6 * 1024 * 1024}\r\nExpect: 100-continue\r\n\r\n`);
  const started = Date.now();
  while (!s.received().includes('\r\n\r\n') && !s.closed() && Date.now() - started < 3000) await new Promise((r) => setTimeout(r, 20));
  s.socket.destroy();
  const line = s.received().split('\r\n')[0];
  return line ? `first answer: ${line.replace('HTTP/1.1 ', '')}` : 'no answer within 3 s';
};

/** 5a. Wrong-password time, known user vs unknown user (median of 3, each a different password and user). */
export const wrongPasswordTiming: Measurement = async (base) => {
  const time = async (user: string, i: number) => (await request(base, 'GET', '/api/v2/me', { auth: basic(user, `wrong${i}`) })).ms;
  const known: number[] = [];
  const unknown: number[] = [];
  for (let i = 0; i < 3; i++) {
    known.push(await time(`agent${6 + i}`, i));
    unknown.push(await time(`nosuchuser${i}`, i));
  }
  return `known user ${round(median(known))}, unknown user ${round(median(unknown))}`;
};

/** 5b. 2,000 wrong passwords for one user at full speed (8 at once, capped at 20 s), then the right one. */
export const passwordFlood: Measurement = async (base) => {
  let sent = 0;
  const statuses = new Map<number, number>();
  const started = performance.now();
  const worker = async () => {
    while (sent < 2000 && performance.now() - started < 20_000) {
      const i = sent++;
      const r = await request(base, 'GET', '/api/v2/me', { auth: basic('agent9', `guess${i}`), timeoutMs: 10_000 });
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  const spent = (performance.now() - started) / 1000;
  const right = await request(base, 'GET', '/api/v2/me', { auth: basic('agent9') });
  const retry = right.headers.get('retry-after');
  const spread = [...statuses].map(([s, n]) => `${n}× ${s}`).join(', ');
  return `${sent} tried in ${spent.toFixed(1)} s (${Math.round(sent / spent)}/s; ${spread}); then the right password: HTTP ${right.status}${right.status === 200 ? ' accepted' : ` refused (statusCode ${right.json?.statusCode}${retry ? `, Retry-After ${retry}` : ''})`}`;
};

/** 6a. An authenticated GET with a foreign Origin: is it echoed with credentials? */
export const originEcho: Measurement = async (base) => {
  const r = await request(base, 'GET', '/api/v2/me', { auth: basic('agent5'), headers: { Origin: 'https://evil.example' } });
  const echoed = r.headers.get('access-control-allow-origin');
  return echoed ? `echoed: Access-Control-Allow-Origin ${echoed}, credentials ${r.headers.get('access-control-allow-credentials')}` : 'not echoed';
};

async function sessionCookie(base: string, user: string): Promise<string> {
  const r = await request(base, 'GET', '/api/v2/me', { auth: basic(user) });
  return /JSESSIONID=[^;]+/.exec(r.headers.get('set-cookie') ?? '')?.[0] ?? '';
}

/** 6b. A websocket upgrade from a hostile Origin carrying the session cookie. */
export const hostileUpgrade: Measurement = async (base) => {
  const cookie = await sessionCookie(base, 'agent5');
  const ws = new WebSocket(base.replace('http', 'ws') + MOUNT, { headers: { Cookie: cookie, Origin: 'https://evil.example' } });
  const outcome = await new Promise<string>((resolve) => {
    ws.once('open', () => resolve('accepted (101)'));
    ws.once('unexpected-response', (_req, res) => resolve(`refused (HTTP ${res.statusCode})`));
    ws.once('error', (err) => resolve(`error ${err.message}`));
    setTimeout(() => resolve('no answer within 5 s'), 5000);
  });
  ws.terminate();
  return outcome;
};

/** 7a. Websocket events after logout: a websocket client of agent3 logs out; a call then rings agent3's DN. */
export const eventsAfterLogout: Measurement = async (base) => {
  await startSession(base, 'agent3');
  const cookie = await sessionCookie(base, 'agent3');
  const ws = new WebSocket(base.replace('http', 'ws') + MOUNT, { headers: { Cookie: cookie } });
  const frames: any[] = [];
  let closed = '';
  ws.on('message', (data) => {
    for (const m of JSON.parse(data.toString())) {
      frames.push(m);
      if (m.channel === '/meta/connect' && m.successful) ws.send(JSON.stringify([{ channel: '/meta/connect', clientId: m.clientId ?? clientId, connectionType: 'websocket', id: 'c' }]));
    }
  });
  ws.on('close', (code) => (closed = `closed ${code}`));
  ws.on('error', () => {});
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  let clientId = '';
  const replies = (channel: string) => frames.filter((m) => m.channel === channel);
  ws.send(JSON.stringify([{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['websocket'], id: 'h' }]));
  for (let i = 0; i < 100 && !replies('/meta/handshake').length; i++) await new Promise((r) => setTimeout(r, 20));
  clientId = replies('/meta/handshake')[0]?.clientId ?? '';
  ws.send(JSON.stringify([{ channel: '/meta/subscribe', clientId, subscription: '/v2/me/**', id: 's' }, { channel: '/meta/connect', clientId, connectionType: 'websocket', id: 'c0' }]));
  await new Promise((r) => setTimeout(r, 300));
  await request(base, 'POST', '/api/v2/me', { cookie, body: { operationName: 'EndContactCenterSession' } });
  await new Promise((r) => setTimeout(r, 1000));
  const before = frames.filter((m) => !String(m.channel).startsWith('/meta/')).length;
  // another login of agent3 (a new HTTP session) and a call to the DN: events the old stream must not get
  await startSession(base, 'agent3');
  await post(base, '/sim/v1/calls', { from: '+15551239999', to: '5003' }, basic('admin'));
  await new Promise((r) => setTimeout(r, 1500));
  const after = frames.filter((m) => !String(m.channel).startsWith('/meta/')).length - before;
  ws.terminate();
  return `${after} events received by the logged-out websocket${closed ? ` (socket ${closed} at logout)` : ' (socket still open)'}`;
};

/** 9. CometD order: where the /meta/connect reply sits in a long-poll answer that carries events (20 tries). */
export const cometdOrder: Measurement = async (base) => {
  const auth = basic('agent4');
  await startSession(base, 'agent4');
  const clientId = await handshake(base, auth);
  await post(base, MOUNT, [{ channel: '/meta/subscribe', clientId, subscription: '/v2/me/**', id: 's' }], auth);
  await post(base, MOUNT, [{ channel: '/meta/connect', clientId, connectionType: 'long-polling', id: 'c0', advice: { timeout: 0 } }], auth);
  let first = 0;
  let last = 0;
  let middle = 0;
  let withEvents = 0;
  for (let i = 0; i < 20; i++) {
    const held = post(base, MOUNT, [{ channel: '/meta/connect', clientId, connectionType: 'long-polling', id: `c${i + 1}` }], auth);
    await new Promise((r) => setTimeout(r, 50));
    await post(base, '/api/v2/me/channels/voice', { operationName: i % 2 ? 'Ready' : 'NotReady' }, auth);
    const r = await held;
    if (!Array.isArray(r.json) || r.json.length < 2) continue;
    withEvents++;
    const at = r.json.findIndex((m: any) => m.channel === '/meta/connect');
    if (at === 0) first++;
    else if (at === r.json.length - 1) last++;
    else middle++;
  }
  return `of ${withEvents} answers carrying events: reply first ${first}, last ${last}${middle ? `, elsewhere ${middle}` : ''}`;
};

/** In the order they run against one server; nestedId and contactsFilter need a server each. */
export const MEASUREMENTS: Readonly<Record<string, Measurement>> = {
  userData,
  sessionsPerUser,
  halfSentBodies,
  bigBody,
  bigHeaders,
  continueOversized,
  originEcho,
  hostileUpgrade,
  eventsAfterLogout,
  cometdOrder,
  wrongPasswordTiming,
  passwordFlood,
  nestedId,
  contactsFilter,
};

async function main(): Promise<void> {
  const at = process.argv.indexOf('--base');
  const base = at >= 0 ? process.argv[at + 1] : undefined;
  if (!base) {
    process.stderr.write('usage: npx tsx bench/issue7/measure.ts --base http://127.0.0.1:PORT [--only name,name]\n');
    process.exit(2);
  }
  const onlyAt = process.argv.indexOf('--only');
  const names = onlyAt >= 0 ? process.argv[onlyAt + 1].split(',') : Object.keys(MEASUREMENTS);
  for (const name of names) {
    const measure = MEASUREMENTS[name];
    if (!measure) throw new Error(`unknown measurement ${name}; known: ${Object.keys(MEASUREMENTS).join(', ')}`);
    console.log(`${name}: ${await measure(base)}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
