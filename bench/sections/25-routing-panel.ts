/**
 * Bench section (run by `npm run bench`, or alone with `npx tsx bench/sections/25-routing-panel.ts`):
 * a queue that grows while a supervisor watches its routing point (issue 12 point 1: no collapse
 * with hundreds or thousands of calls waiting).
 *
 * Two apps are built with createApp (in-memory store, cheap password hashing, no SIP, a virtual
 * clock): the demo contact center, whose supervisors may monitor routing point 7000, and the same
 * center without supervisors. In the first, supervisor1 has a long-polling CometD session
 * subscribed to /v2/supervision/* (opened with fastify.inject, no sockets), so every panel is
 * rendered, serialised and queued for a real recipient. Nobody is Ready: every call waits at 7000.
 * Calls arrive at BENCH_PANEL_RATE per second of the switch's clock (default 500; the clock moves
 * 1000 / rate ms after each call, so a second of the clock is rate calls); the CPU of MEASURED
 * calls (default 1000) is measured (process.cpuUsage, the microtasks and timers they cause
 * included) when the queue reaches each size of BENCH_PANEL_SIZES (default 2000,5000,10000: the first 1,000 calls warm up, unmeasured).
 * The supervisor's queue is drained between batches, outside the measure. The table gives ms of
 * CPU per queued call with and without the watching supervisor, their ratio, and the panels the
 * supervisor received during the measured calls. BENCH_PANEL_POINTS=n (default 1) gives the center
 * n routing points (7000 and n - 1 more, 7001…, each for the demo group, none called): the cost of a
 * queue change must not grow with the routing points of the center.
 */
import os from 'node:os';
import { createApp } from '../../src/app/app.js';
import type { App } from '../../src/app/app.js';
import { demoContactCenter } from '../../src/config/demo.js';
import { testConfig } from '../../src/config/load.js';
import { Role } from '../../src/store/port.js';
import type { ContactCenterSpec } from '../../src/store/port.js';
import { VirtualClock } from '../../src/switch/clock.js';
import { cheapHasher } from '../../test/helpers/cheap-hasher.js';

const SIZES = (process.env.BENCH_PANEL_SIZES ?? '2000,5000,10000').split(',').map(Number);
const RATE = Number(process.env.BENCH_PANEL_RATE ?? 500);
const MEASURED = Number(process.env.BENCH_PANEL_MEASURED ?? 1000);
/** calls between two drains of the supervisor's queue */
const BATCH = 50;
const POINTS = Math.max(1, Number(process.env.BENCH_PANEL_POINTS) || 1);
const ROUTING_POINT = '7000';
const basic = (u: string) => 'Basic ' + Buffer.from(`${u}:demo`).toString('base64');

interface Watcher {
  auth: string;
  cookie: string;
  clientId: string;
}

interface Setup {
  app: App;
  clock: VirtualClock;
  watcher?: Watcher;
  next: number;
}

/** the demo center; without supervisors when `watched` is false (nobody may monitor 7000) */
function spec(watched: boolean): ContactCenterSpec {
  const base = demoContactCenter();
  const extraPoints = Array.from({ length: POINTS - 1 }, (_, i) => ({ ...base.routingPoints![0], number: String(7001 + i) }));
  const demo = { ...base, routingPoints: [...base.routingPoints!, ...extraPoints] };
  if (watched) return demo;
  return {
    ...demo,
    users: demo.users.filter((u) => !u.roles.includes(Role.Supervisor)),
    agentGroups: demo.agentGroups!.map((g) => ({ ...g, supervisors: [] })),
  };
}

async function inject(app: App, url: string, auth: string, cookie: string, body: unknown, method: 'GET' | 'POST' = 'POST') {
  const res = await app.fastify.inject({ method, url, headers: { authorization: auth, ...(cookie ? { cookie } : {}) }, ...(method === 'POST' ? { payload: body as object } : {}) });
  return { body: res.body, json: JSON.parse(res.body || 'null'), cookie: res.headers['set-cookie'] };
}

async function openWatcher(app: App, userName: string): Promise<Watcher> {
  const auth = basic(userName);
  const me = await inject(app, '/api/v2/me', auth, '', undefined, 'GET');
  if (me.json?.statusCode !== 0) throw new Error(`GET /me ${userName}: ${me.body}`);
  const cookie = [me.cookie].flat().filter(Boolean).map((c) => String(c).split(';')[0]).join('; ');
  const hs = await inject(app, '/api/v2/notifications/handshake', auth, cookie, [{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] }]);
  const clientId = hs.json?.[0]?.clientId;
  if (!clientId) throw new Error(`handshake ${userName}: ${hs.body}`);
  const sub = await inject(app, '/api/v2/notifications', auth, cookie, [{ channel: '/meta/subscribe', clientId, subscription: '/v2/supervision/*' }]);
  if (sub.json?.[0]?.successful !== true) throw new Error(`subscribe ${userName}: ${sub.body}`);
  return { auth, cookie, clientId };
}

/** the panels in the watcher's queue (one /meta/connect, answered at once), and the queue emptied */
async function drain(app: App, w: Watcher | undefined): Promise<number> {
  if (!w) return 0;
  const res = await inject(app, '/api/v2/notifications/connect', w.auth, w.cookie, [{ channel: '/meta/connect', clientId: w.clientId, connectionType: 'long-polling', advice: { timeout: 0 } }]);
  if (!res.body.includes('"successful":true')) throw new Error(`connect: ${res.body.slice(0, 300)}`);
  return res.body.split('SupervisedRoutingPointStateChangeMessage').length - 1;
}

async function setUp(watched: boolean): Promise<Setup> {
  const clock = new VirtualClock();
  const config = testConfig({ contactCenters: [spec(watched)], cometd: { timeoutMs: 30_000, intervalMs: 0, maxIntervalMs: 3_600_000, maxQueue: 1_000_000 } });
  const app = await createApp(config, { passwordHasher: cheapHasher, clock });
  return { app, clock, watcher: watched ? await openWatcher(app, 'supervisor1') : undefined, next: 0 };
}

const nextJob = () => new Promise((resolve) => setImmediate(resolve));

/** queue `count` calls at the routing point, at RATE per second of the clock; CPU µs when measured */
async function queueCalls(s: Setup, count: number, measure: boolean): Promise<{ cpuUs: number; panels: number }> {
  let cpuUs = 0;
  let panels = 0;
  for (let done = 0; done < count; ) {
    const t = process.cpuUsage();
    const batch = Math.min(BATCH, count - done);
    for (let i = 0; i < batch; i++) {
      const r = s.app.switch.simulateInbound(`+1555${String(s.next++).padStart(7, '0')}`, ROUTING_POINT, {});
      if (!r.ok) throw new Error(`simulateInbound: ${r.error.message}`);
      await nextJob();
      s.clock.advance(1000 / RATE);
      await nextJob();
    }
    const used = process.cpuUsage(t);
    if (measure) cpuUs += used.user + used.system;
    done += batch;
    panels += await drain(s.app, s.watcher);
  }
  return { cpuUs, panels };
}

interface Step {
  size: number;
  cpuUs: number;
  panels: number;
}

async function run(watched: boolean): Promise<Step[]> {
  const s = await setUp(watched);
  try {
    const steps: Step[] = [];
    let waiting = 0;
    for (const size of SIZES) {
      const fill = Math.max(0, size - MEASURED - waiting);
      await queueCalls(s, fill, false);
      const m = await queueCalls(s, MEASURED, true);
      waiting += fill + MEASURED;
      steps.push({ size: waiting, ...m });
    }
    return steps;
  } finally {
    await s.app.close();
  }
}

const ms = (us: number) => (us / 1000).toFixed(3);

async function main(): Promise<void> {
  console.log(`routing-point panel: queue grows to ${SIZES.join(', ')} calls, ${RATE} calls per second of the switch's clock, ${POINTS} routing point(s) in the center...`);
  const alone = await run(false);
  const watched = await run(true);
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, Node ${process.version}, ${os.platform()} ${os.release()}; in process, ${MEASURED} calls measured per row\n`);
  console.log('| calls waiting | ms CPU per queued call, nobody may watch 7000 | ms CPU per queued call, supervisor1 watching (CometD session) | ratio | panels delivered to supervisor1 |');
  console.log('|--:|--:|--:|--:|--:|');
  for (let i = 0; i < alone.length; i++) {
    const a = alone[i].cpuUs / MEASURED;
    const w = watched[i].cpuUs / MEASURED;
    console.log(`| ${watched[i].size} | ${ms(a)} | ${ms(w)} | ${(w / a).toFixed(2)} | ${watched[i].panels} |`);
  }
  const first = watched[0].cpuUs / alone[0].cpuUs;
  const last = watched[watched.length - 1].cpuUs / alone[alone.length - 1].cpuUs;
  console.log(`\nBENCH routing-panel ratio@${watched[0].size}=${first.toFixed(2)} ratio@${watched[watched.length - 1].size}=${last.toFixed(2)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
