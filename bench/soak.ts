/**
 * `npm run soak -- --minutes N` (default 1): a bounded soak of Switchboard. The server runs IN
 * THIS PROCESS (createApp on an ephemeral port, real clock, in-memory store, the demo contact
 * center), so the figures include the small load generator. The load is a working contact center:
 * the ten demo agents log in and go Ready, calls from outside arrive at routing point 7000
 * (POST /sim/v1/calls) and are answered and hung up over REST by the agent the notification told,
 * agents take NotReady breaks, the two supervisors listen in on agents and cancel; every agent and
 * supervisor holds a CometD client, alternately long-polling and websocket. Every few seconds it
 * prints a row: RSS, heap, event-loop delay (perf_hooks.monitorEventLoopDelay p50/p99/max), calls,
 * REST requests and errors, notifications. At the end it stops the load, waits until the
 * notifications settle, and checks each client's view (the last state it was told of its devices
 * and calls) against GET /api/v2/me/devices and /api/v2/me/calls: mismatches are printed and the
 * exit code is 1. Guarantees: stops by itself (minutes are bounded to 1..60), binds 127.0.0.1 only,
 * leaves nothing running.
 */
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createApp } from '../src/app/app.js';
import { testConfig } from '../src/config/load.js';
import { demoContactCenter } from '../src/config/demo.js';
import { connectLongPolling, connectWebSocket } from './bayeux-client.js';
import type { BenchClient, Delivery } from './bayeux-client.js';

function minutesArgument(argv: readonly string[]): number {
  const at = argv.indexOf('--minutes');
  if (at < 0) return 1;
  const n = Number(argv[at + 1]);
  if (!Number.isFinite(n) || n <= 0 || n > 60) {
    console.error(`--minutes must be a number of minutes from 0 to 60, got '${argv[at + 1] ?? ''}'`);
    process.exit(2);
  }
  return n;
}

const MINUTES = minutesArgument(process.argv.slice(2));
const SAMPLE_EVERY_MS = 5000;
const TICK_MS = 100;
/** how long notifications must be quiet before the final comparison, and the most we wait for that */
const QUIET_MS = 1500;
const SETTLE_BOUND_MS = 20_000;
const AGENTS = Array.from({ length: 10 }, (_, i) => ({ name: `agent${i + 1}`, dn: String(5001 + i) }));
const SUPERVISORS = [{ name: 'supervisor1', dn: '5101' }, { name: 'supervisor2', dn: '5102' }];
const basic = (user: string) => 'Basic ' + Buffer.from(`${user}:demo`).toString('base64');
const ADMIN = basic('admin');

/** What one client was told: the last view of each device and call. */
interface ClientView {
  name: string;
  auth: string;
  client?: BenchClient;
  devices: Map<string, { deviceState: string; userState: string; doNotDisturb: string }>;
  calls: Map<string, { state: string; since: number }>;
  /** ms when this agent's NotReady break ends (0: not on a break) */
  breakUntil: number;
  /** a REST request of this user is in flight */
  busy: boolean;
  monitoring: boolean;
}

const stats = { listenIns: 0, devicesCompared: 0, callsCompared: 0, requests: 0, errors: 0, callsOffered: 0, answered: 0, hungUp: 0, notifications: 0, lastNotification: Date.now() };
const errorKinds = new Map<string, number>();

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
function rest(base: string, method: string, path: string, auth: string, body?: unknown): Promise<any> {
  stats.requests++;
  return new Promise((resolve) => {
    const u = new URL(path, base);
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      { host: u.hostname, port: u.port, path: u.pathname + u.search, method, agent, headers: { Authorization: auth, ...(data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let json: any;
          try {
            json = JSON.parse(Buffer.concat(chunks).toString() || '{}');
          } catch {
            json = { statusCode: -1, statusMessage: 'not JSON' };
          }
          if (res.statusCode !== 200 || json.statusCode !== 0) {
            stats.errors++;
            const kind = `${method} ${path.replace(/[0-9a-f-]{16,}/g, '{id}')} -> ${res.statusCode} ${json.statusCode}`;
            errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + 1);
          }
          resolve(json);
        });
      },
    );
    req.on('error', (err) => {
      stats.errors++;
      errorKinds.set(`${method} ${path}: ${err.message}`, (errorKinds.get(`${method} ${path}: ${err.message}`) ?? 0) + 1);
      resolve({ statusCode: -1 });
    });
    req.end(data);
  });
}

function record(view: ClientView, delivery: Delivery): void {
  stats.notifications++;
  stats.lastNotification = Date.now();
  const data = delivery.data;
  if (data?.messageType === 'DeviceStateChangeMessage') {
    for (const d of data.devices ?? []) view.devices.set(d.id, { deviceState: d.deviceState, userState: d.userState?.state, doNotDisturb: d.doNotDisturb });
  } else if (data?.messageType === 'CallStateChangeMessage' && data.call?.id) {
    const known = view.calls.get(data.call.id);
    view.calls.set(data.call.id, { state: data.call.state, since: known !== undefined && known.state === data.call.state ? known.since : Date.now() });
  }
}

/** one user's request at a time, so that the load stays realistic and bounded */
async function act(view: ClientView, work: () => Promise<unknown>): Promise<void> {
  if (view.busy) return;
  view.busy = true;
  try {
    await work();
  } finally {
    view.busy = false;
  }
}

function pct(histogram: ReturnType<typeof monitorEventLoopDelay>, p: number): string {
  return (histogram.percentile(p) / 1e6).toFixed(1);
}

async function main(): Promise<void> {
  const app = await createApp(
    testConfig({ contactCenters: [demoContactCenter()], logLevel: 'silent', cometd: { ...testConfig().cometd, timeoutMs: 10_000, maxIntervalMs: 10_000 } }),
  );
  const { baseUrl } = await app.listen();
  const views: ClientView[] = [...AGENTS, ...SUPERVISORS].map(({ name }) => ({ name, auth: basic(name), devices: new Map(), calls: new Map(), breakUntil: 0, busy: false, monitoring: false }));
  let k = 0;
  for (const view of views) {
    const transport = k++ % 2 === 0 ? 'long-polling' : 'websocket';
    view.client = transport === 'long-polling' ? await connectLongPolling(baseUrl, view.auth) : await connectWebSocket(baseUrl, view.auth);
    view.client.onEvent = (d) => record(view, d);
    await rest(baseUrl, 'POST', '/api/v2/me', view.auth, { operationName: 'StartContactCenterSession', channels: ['voice'] });
    if (view.name.startsWith('agent')) await rest(baseUrl, 'POST', '/api/v2/me/channels/voice', view.auth, { operationName: 'Ready' });
  }
  const agents = views.filter((v) => v.name.startsWith('agent'));
  const supervisors = views.filter((v) => v.name.startsWith('supervisor'));
  console.log(`# soak: ${MINUTES} minute(s), server in this process at ${baseUrl}; ${agents.length} agents and ${supervisors.length} supervisors, CometD alternately long-polling and websocket`);

  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const started = Date.now();
  const deadline = started + MINUTES * 60_000;
  const rows: string[] = ['| t (s) | RSS MiB | heap MiB | loop p50 ms | loop p99 ms | loop max ms | live calls | offered | answered | hung up | REST req | REST err | notifications |', '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|'];
  let lastSampleAt = Date.now();
  const sample = (): void => {
    lastSampleAt = Date.now();
    const memory = process.memoryUsage();
    const live = new Set(agents.flatMap((v) => [...v.calls].filter(([, c]) => c.state !== 'Released').map(([id]) => id))).size;
    const row = `| ${((Date.now() - started) / 1000).toFixed(0)} | ${(memory.rss / 2 ** 20).toFixed(1)} | ${(memory.heapUsed / 2 ** 20).toFixed(1)} | ${pct(lag, 50)} | ${pct(lag, 99)} | ${(lag.max / 1e6).toFixed(1)} | ${live} | ${stats.callsOffered} | ${stats.answered} | ${stats.hungUp} | ${stats.requests} | ${stats.errors} | ${stats.notifications} |`;
    rows.push(row);
    console.log(row);
    lag.reset();
  };
  console.log(rows[0] + '\n' + rows[1]);
  const sampler = setInterval(sample, SAMPLE_EVERY_MS);

  // the load: one tick every TICK_MS until the deadline
  let random = 12345;
  const next = (): number => ((random = (Math.imul(random, 1103515245) + 12345) >>> 0) / 2 ** 32);
  while (Date.now() < deadline) {
    const now = Date.now();
    const live = agents.reduce((n, v) => n + [...v.calls.values()].filter((c) => c.state !== 'Released').length, 0);
    if (live < agents.length * 0.8 && next() < 0.35) {
      stats.callsOffered++;
      void rest(baseUrl, 'POST', '/sim/v1/calls', ADMIN, { from: `+1555${String(1_000_000 + Math.floor(next() * 8_999_999))}`, to: '7000', userData: { soak: 'yes' } });
    }
    for (const view of agents) {
      const calls = [...view.calls].filter(([, c]) => c.state !== 'Released');
      const ringing = calls.find(([, c]) => c.state === 'Ringing' && now - c.since > 300);
      const talking = calls.find(([, c]) => c.state === 'Established' && now - c.since > 2000 + next() * 6000);
      if (ringing) void act(view, async () => (await rest(baseUrl, 'POST', `/api/v2/me/calls/${ringing[0]}`, view.auth, { operationName: 'Answer' })).statusCode === 0 && stats.answered++);
      else if (talking) {
        const byCaller = next() < 0.3;
        void act(view, async () => {
          const r = byCaller
            ? await rest(baseUrl, 'POST', `/sim/v1/calls/${talking[0]}`, ADMIN, { operationName: 'Hangup' })
            : await rest(baseUrl, 'POST', `/api/v2/me/calls/${talking[0]}`, view.auth, { operationName: 'Hangup' });
          if (r.statusCode === 0) stats.hungUp++;
        });
      } else if (calls.length === 0 && view.breakUntil === 0 && next() < 0.005) {
        view.breakUntil = now + 2000 + next() * 4000;
        void act(view, () => rest(baseUrl, 'POST', '/api/v2/me/channels/voice', view.auth, { operationName: 'NotReady', reason: 'Break' }));
      } else if (view.breakUntil !== 0 && now > view.breakUntil) {
        view.breakUntil = 0;
        void act(view, () => rest(baseUrl, 'POST', '/api/v2/me/channels/voice', view.auth, { operationName: 'Ready' }));
      }
    }
    for (const view of supervisors) {
      if (next() > 0.03) continue;
      const dn = AGENTS[Math.floor(next() * AGENTS.length)].dn;
      void act(view, async () => {
        const device = [...view.devices.keys()][0];
        if (!device) return;
        if (!view.monitoring) {
          const r = await rest(baseUrl, 'POST', `/api/v2/me/devices/${device}`, view.auth, { operationName: 'ListenIn', phoneNumber: dn, supervisorMonitoringScope: 'Agent' });
          view.monitoring = r.statusCode === 0;
          if (view.monitoring) stats.listenIns++;
        } else {
          const r = await rest(baseUrl, 'POST', `/api/v2/me/devices/${device}`, view.auth, { operationName: 'CancelSupervisorMonitoring' });
          if (r.statusCode === 0) view.monitoring = false;
        }
      });
    }
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  clearInterval(sampler);
  if (Date.now() - lastSampleAt > 1000) sample();

  // settle: no user request in flight and no notification for QUIET_MS (bounded)
  const settleStart = Date.now();
  while (Date.now() - settleStart < SETTLE_BOUND_MS && (views.some((v) => v.busy) || Date.now() - stats.lastNotification < QUIET_MS)) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  lag.disable();

  // compare every client's view with a GET of the same resources
  const mismatches: string[] = [];
  for (const view of views) {
    const devices = await rest(baseUrl, 'GET', '/api/v2/me/devices?fields=*', view.auth);
    if (!(devices.devices?.length > 0)) mismatches.push(`${view.name}: GET /api/v2/me/devices?fields=* listed no device (${JSON.stringify(devices).slice(0, 200)})`);
    for (const d of devices.devices ?? []) {
      stats.devicesCompared++;
      const told = view.devices.get(d.id);
      const actual = { deviceState: d.deviceState, userState: d.userState?.state, doNotDisturb: d.doNotDisturb };
      if (!told) mismatches.push(`${view.name}: device ${d.id} never notified; GET says ${JSON.stringify(actual)}`);
      else if (JSON.stringify(told) !== JSON.stringify(actual)) mismatches.push(`${view.name}: device ${d.id} told ${JSON.stringify(told)}, GET says ${JSON.stringify(actual)}`);
    }
    const calls = await rest(baseUrl, 'GET', '/api/v2/me/calls?fields=*', view.auth);
    const actualCalls = new Map<string, string>((calls.calls ?? []).map((c: { id: string; state: string }) => [c.id, c.state]));
    for (const [id, c] of view.calls) {
      stats.callsCompared++;
      const actual = actualCalls.get(id);
      if (c.state === 'Released' && actual !== undefined) mismatches.push(`${view.name}: call ${id} told Released, GET lists it ${actual}`);
      if (c.state !== 'Released' && actual !== c.state) {
        const one = await rest(baseUrl, 'GET', `/api/v2/me/calls/${id}`, view.auth);
        mismatches.push(`${view.name}: call ${id} told ${c.state}, GET /me/calls says ${actual ?? 'absent'}, GET /me/calls/${id} says ${one.call?.state ?? JSON.stringify(one)}`);
      }
    }
    for (const [id, state] of actualCalls) if (!view.calls.has(id)) mismatches.push(`${view.name}: call ${id} (${state}) listed by GET but never notified`);
  }

  console.log(`\n# soak: ${stats.callsOffered} calls offered, ${stats.answered} answered, ${stats.hungUp} hung up, ${stats.listenIns} supervisor ListenIn armed; ${stats.requests} REST requests, ${stats.errors} refused; ${stats.notifications} notifications`);
  for (const [kind, n] of [...errorKinds].sort((a, b) => b[1] - a[1]).slice(0, 10)) console.log(`#   refused ×${n}: ${kind}`);
  console.log(`# soak: compared ${views.length} clients' views (${stats.devicesCompared} devices, ${stats.callsCompared} calls) with GET: ${mismatches.length} mismatch(es)`);
  for (const m of mismatches.slice(0, 50)) console.log(`#   MISMATCH ${m}`);

  for (const view of views) await view.client?.close().catch(() => undefined);
  agent.destroy();
  await app.close();
  process.exit(mismatches.length ? 1 : 0);
}

main().catch((err) => {
  console.error('soak failed:', err);
  process.exit(1);
});
