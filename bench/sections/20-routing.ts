/**
 * Bench section (run by `npm run bench`, or alone with `npx tsx bench/sections/20-routing.ts`):
 * routing-point distribution under load. A server process (bench/routing-server.ts: the production
 * app, cheap password hashes) with BENCH_ROUTING_AGENTS agents (5,000), every agent connected over
 * its own CometD websocket in this process, which is also the load generator. One call cycle: a
 * customer calls routing point 7000 (POST /sim/v1/calls), the agent it rings gets Ringing over
 * CometD, answers over REST, gets Established, hangs up, gets Released.
 *
 * Tables:
 *   (m) the call model alone in this process (no HTTP, no CometD): CPU per queued arrival, per
 *       Ready that routes the oldest waiting call, per answer + hang-up that routes the next one;
 *   (a) capacity: offered call cycles per second stepping up until completed/s stops rising;
 *   (b) BENCH_ROUTING_WAITING calls (10,000) waiting at once with every agent NotReady, then served:
 *       the first BENCH_ROUTING_EXACT_SWEEP agents (1,000) made Ready one at a time must each get the
 *       next call in arrival order (exact check), the rest are served by agents answering at full
 *       speed while the other agents join (the largest distance between arrival rank and service
 *       rank is printed: CometD deliveries on thousands of websockets are not ordered among them);
 *   (c) offered load 2 x capacity for BENCH_ROUTING_OVERLOAD_SECONDS (20): completed calls per
 *       second, p50/p99 of arrival -> Ringing and Answer -> Established, server CPU per call.
 * Every phase counts the notifications the server handed to sessions (/metrics) against those the
 * clients received, and the dropped ones; a mismatch fails the section. The baseline is the
 * machine line (with its load average: the figures are only comparable between runs on an equally
 * loaded machine) and the first capacity step, measured in the same run. Bounded: every wait has a
 * deadline that fails loudly; traffic stays on 127.0.0.1.
 * Options: BENCH_ROUTING_AGENTS, BENCH_ROUTING_WAITING, BENCH_ROUTING_RATES (comma list),
 * BENCH_ROUTING_STEP_SECONDS (5), BENCH_ROUTING_OVERLOAD_SECONDS, BENCH_ROUTING_DRAIN_MS (60000),
 * BENCH_ROUTING_PHASES (m,a,b,c), BENCH_ROUTING_EXACT_SWEEP, BENCH_ROUTING_CAPACITY (the overload's base when a is not run),
 * BENCH_ROUTING_WATCHER (default 1: a supervisor, rtsup, is provisioned and watches 7000 over its own
 * CometD websocket subscribed to /v2/supervision/routing-points, as a contact center's supervisor
 * does: its panels count among the deliveries, and (b) prints how many arrived and the largest and
 * fails unless the last shows the empty queue; =all subscribes it to /v2/supervision/* instead, so
 * it also receives the team row of every agent: the center has no groups; =0 runs without it, as
 * the rounds before 7 December did),
 * BENCH_SERVER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the server).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { CallModel } from '../../src/switch/call-model.js';
import { VirtualClock, countingIds } from '../../src/switch/clock.js';
import { HttpConnection, HttpPool, connectBayeuxWebSocket, countDeliveries, deliveriesWith, inParallel } from '../load-kit.js';
import type { RawBayeuxClient } from '../load-kit.js';

const AGENTS = Number(process.env.BENCH_ROUTING_AGENTS ?? 5000);
const WAITING = Number(process.env.BENCH_ROUTING_WAITING ?? 10000);
const STEP_SECONDS = Number(process.env.BENCH_ROUTING_STEP_SECONDS ?? 5);
const OVERLOAD_SECONDS = Number(process.env.BENCH_ROUTING_OVERLOAD_SECONDS ?? 20);
const RATES = (process.env.BENCH_ROUTING_RATES ?? '250,500,750,1000,1250,1500,2000,2500,3000').split(',').map(Number);
/** which tables to print: a, b, c (through the server), m (the call model alone, in this process) */
const PHASES = new Set((process.env.BENCH_ROUTING_PHASES ?? 'm,a,b,c').split(','));
/** how many agents of (b) are made Ready one at a time, each checked to ring with the oldest call */
const EXACT_SWEEP = Number(process.env.BENCH_ROUTING_EXACT_SWEEP ?? 1000);
/** how many of (b)'s arrivals are in flight at once on its one pipelined connection */
const BACKLOG_PIPELINE = Number(process.env.BENCH_ROUTING_PIPELINE ?? 128);
/** the overload of (c) when (a) is not run */
const GIVEN_CAPACITY = Number(process.env.BENCH_ROUTING_CAPACITY ?? 0);
/** how long a phase may take to drain (all its calls released, all notifications received) */
const DRAIN_MS = Number(process.env.BENCH_ROUTING_DRAIN_MS ?? 60_000);
const ROUTING_POINT = '7000';
const PASSWORD = 'bench';
const agentName = (i: number) => `rt${i + 1}`;
const agentDn = (i: number) => String(60001 + i);
const basic = (u: string) => 'Basic ' + Buffer.from(`${u}:${PASSWORD}`).toString('base64');
const ADMIN = basic('rtadmin');
const agentAuth = Array.from({ length: AGENTS }, (_, i) => basic(agentName(i)));
/** a supervisor who may watch 7000 (see BENCH_ROUTING_WATCHER) */
const WATCHER = (process.env.BENCH_ROUTING_WATCHER ?? '1') !== '0';
const WATCHER_SUBSCRIPTION = process.env.BENCH_ROUTING_WATCHER === 'all' ? '/v2/supervision/*' : '/v2/supervision/routing-points';
const WATCHER_NAME = 'rtsup';
const PANEL_MESSAGE = '"SupervisedRoutingPointStateChangeMessage"';
/** the customer's number carries the call's arrival rank, so every notification says which call it is */
const customerOf = (seq: number) => `+1555${String(seq).padStart(7, '0')}`;
const seqOf = (ani: string) => Number(ani.slice(5));

// ---------------------------------------------------------------- HTTP (lean: raw keep-alive connections, bench/load-kit.ts)

/** a POST whose answer must be GWS statusCode 0; the answer's JSON */
async function post(via: HttpPool | HttpConnection, path: string, auth: string, body: unknown): Promise<any> {
  const answer = await via.request('POST', path, auth, JSON.stringify(body));
  const json = JSON.parse(answer.body || '{}');
  if (json.statusCode !== 0) throw new Error(`POST ${path} -> HTTP ${answer.status} ${answer.body}`);
  return json;
}

/** the generator's connections: arrivals (open loop), the agents' commands, and the in-order backlog's one */
interface Wire {
  arrivals: HttpPool;
  agents: HttpPool;
  /** one connection, requests pipelined: the server takes them in the order they were sent */
  ordered: HttpConnection;
}

function openWire(base: string): Wire {
  const u = new URL(base);
  // open-loop arrivals as a trunk with 8 calls being set up at a time (the rest wait in the generator)
  return { arrivals: new HttpPool(base, 8, 1), agents: new HttpPool(base, 64), ordered: new HttpConnection(u.hostname, Number(u.port)) };
}

function closeWire(w: Wire): void {
  w.arrivals.close();
  w.agents.close();
  w.ordered.close();
}

// ---------------------------------------------------------------- measurements

function pct(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');

/** CPU seconds the process has used (user + system), from /proc */
function cpuSeconds(pid: number): number {
  // fields after the command name: utime and stime are the 12th and 13th, in clock ticks (100 per second on Linux)
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** the sums of the named counters in one /metrics scrape */
async function metrics<K extends string>(via: HttpPool, names: readonly K[]): Promise<Record<K, number>> {
  const { body } = await via.request('GET', '/metrics', ADMIN);
  const sums = Object.fromEntries(names.map((n) => [n, 0])) as Record<K, number>;
  for (const line of body.split('\n')) for (const n of names) if (line.startsWith(n)) sums[n] += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sums;
}
const DELIVERED = 'switchboard_notifications_delivered_total';
const DROPPED = 'switchboard_notifications_dropped_total';
const NOTIFICATION_COUNTERS = [DELIVERED, DROPPED] as const;

/** CPU seconds this process (the load generator) has used */
const generatorCpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** resolves when cond() holds, polled on the event loop; rejects loudly at the deadline */
function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + ms;
    const check = () => {
      if (cond()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
      setTimeout(check, 5);
    };
    check();
  });
}

/** delivery problems found by any phase; the section fails at the end when there are any */
const deliveryProblems: string[] = [];
function checkDelivery(phase: string, delivered: number, received: number, dropped: number): void {
  if (delivered !== received || dropped !== 0) deliveryProblems.push(`${phase}: ${delivered} handed out, ${received} received, ${dropped} dropped`);
}

// ---------------------------------------------------------------- the agents' side

interface CallRecord {
  seq: number;
  arrival: number;
  uuid?: string;
  agent?: number;
  ringing?: number;
  answerSent?: number;
  established?: number;
  released?: number;
}

const CALL_MESSAGE = '"CallStateChangeMessage"';

/** What every agent does with its notifications; `answering` off = calls ring and wait. */
class Floor {
  readonly calls: CallRecord[] = [];
  received = 0;
  completed = 0;
  answering = true;
  errors: string[] = [];
  private readonly ringingAt = new Map<number, number>();
  /** agent -> who waits for a call to ring there (the backlog's sweep) */
  private readonly ringWaiters = new Map<number, () => void>();

  /** the watching supervisor's panels: how many, and the largest (bytes) */
  panels = 0;
  largestPanel = 0;
  /** callsWaiting in the watcher's last panel */
  lastPanelWaiting: number | undefined;

  constructor(private readonly agents: HttpPool, clients: RawBayeuxClient[]) {
    clients.forEach((c, i) => (c.onFrame = (frame) => this.onFrame(i, frame)));
  }

  /** the watcher's deliveries count like every other; its panels are counted and measured */
  watch(client: RawBayeuxClient): void {
    client.onFrame = (frame) => {
      this.received += countDeliveries(frame);
      for (const m of deliveriesWith(frame, PANEL_MESSAGE)) {
        this.panels++;
        this.largestPanel = Math.max(this.largestPanel, JSON.stringify(m).length);
        this.lastPanelWaiting = m.data?.routingPoints?.[0]?.callsWaiting;
      }
    };
  }

  arrive(seq: number): CallRecord {
    const rec: CallRecord = { seq, arrival: performance.now() };
    this.calls[seq] = rec;
    return rec;
  }

  /** the call ringing at agent i, if any */
  ringingCallOf(i: number): number | undefined {
    return this.ringingAt.get(i);
  }

  /** resolves when a call rings at agent i (at once if one does); rejects loudly after `ms` */
  whenRinging(i: number, ms: number): Promise<void> {
    if (this.ringingAt.has(i)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.ringWaiters.delete(i);
        reject(new Error(`timed out after ${ms} ms waiting for a call to ring at agent ${i}`));
      }, ms);
      this.ringWaiters.set(i, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** forget calls that rang and were never answered (a new phase starts) */
  forgetRinging(): void {
    this.ringingAt.clear();
  }

  answer(i: number, seq: number): void {
    const rec = this.calls[seq];
    rec.answerSent = performance.now();
    post(this.agents, `/api/v2/me/calls/${rec.uuid}`, agentAuth[i], { operationName: 'Answer' }).catch((e) => this.errors.push(String(e)));
  }

  /** every delivery is counted; only the call messages are parsed (the device messages are not needed) */
  private onFrame(i: number, frame: string): void {
    this.received += countDeliveries(frame);
    for (const m of deliveriesWith(frame, CALL_MESSAGE)) this.onCallMessage(i, m);
  }

  private onCallMessage(i: number, m: { data?: any }): void {
    const call = m.data?.call;
    if (m.data?.messageType !== 'CallStateChangeMessage' || !call?.ani) return;
    const seq = seqOf(call.ani);
    const rec = this.calls[seq];
    if (!rec) return;
    const now = performance.now();
    if (call.state === 'Ringing') {
      rec.ringing = now;
      rec.agent = i;
      rec.uuid = call.id;
      this.ringingAt.set(i, seq);
      this.ringWaiters.get(i)?.();
      this.ringWaiters.delete(i);
      if (this.answering) this.answer(i, seq);
    } else if (call.state === 'Established' && rec.established === undefined) {
      rec.established = now;
      this.ringingAt.delete(i);
      post(this.agents, `/api/v2/me/calls/${call.id}`, agentAuth[i], { operationName: 'Hangup' }).catch((e) => this.errors.push(String(e)));
    } else if (call.state === 'Released' && rec.released === undefined) {
      rec.released = now;
      this.completed++;
    }
  }
}

// ---------------------------------------------------------------- phases

/** CPU seconds of both processes and the notification counts, at one moment */
interface Counters {
  cpu: number;
  generatorCpu: number;
  delivered: number;
  received: number;
  dropped: number;
}

interface Phase {
  name: string;
  completed: number;
  seconds: number;
  perSecond: number[];
  ring: number[];
  answer: number[];
  cpuPerCall: number;
  generatorCpuPerCall: number;
  delivered: number;
  received: number;
  dropped: number;
}

class Bench {
  private seq = 0;
  constructor(private readonly wire: Wire, private readonly server: ChildProcess, readonly floor: Floor) {}

  private arrival(): void {
    const seq = this.seq++;
    this.floor.arrive(seq);
    post(this.wire.arrivals, '/sim/v1/calls', ADMIN, { from: customerOf(seq), to: ROUTING_POINT }).catch((e) => this.floor.errors.push(String(e)));
  }

  /** Offer `rate` calls/s for `seconds` (open loop: arrivals do not wait for completions), then drain. */
  async offered(name: string, rate: number, seconds: number): Promise<Phase> {
    const first = this.seq;
    const before = await this.counters();
    const completedBefore = this.floor.completed;
    const perSecond: number[] = [];
    const start = performance.now();
    let launched = 0;
    let lastCompleted = completedBefore;
    let nextSecond = start + 1000;
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        const now = performance.now();
        const due = Math.min(rate * seconds, Math.floor(((now - start) / 1000) * rate));
        while (launched < due) {
          this.arrival();
          launched++;
        }
        while (now >= nextSecond) {
          perSecond.push(this.floor.completed - lastCompleted);
          lastCompleted = this.floor.completed;
          nextSecond += 1000;
        }
        if (now - start >= seconds * 1000) {
          clearInterval(tick);
          resolve();
        }
      }, 2);
    });
    const inWindow = this.floor.completed - completedBefore;
    const windowSeconds = (performance.now() - start) / 1000;
    await until(() => this.floor.completed - completedBefore >= launched || this.floor.errors.length > 0, DRAIN_MS, `${name}: ${launched} calls released`);
    return this.phaseResult(name, first, inWindow, windowSeconds, perSecond, before);
  }

  async counters(): Promise<Counters> {
    const server = await metrics(this.wire.agents, NOTIFICATION_COUNTERS);
    return { cpu: cpuSeconds(this.server.pid!), generatorCpu: generatorCpuSeconds(), delivered: server[DELIVERED], received: this.floor.received, dropped: server[DROPPED] };
  }

  /** waits until every notification the server handed out since `before` was received (or the drain bound), then counts */
  async settled(name: string, before: Counters): Promise<Counters> {
    const { [DELIVERED]: delivered } = await metrics(this.wire.agents, NOTIFICATION_COUNTERS);
    await until(() => this.floor.received - before.received >= delivered - before.delivered, DRAIN_MS, `${name}: ${delivered - before.delivered} notifications received`).catch(() => undefined);
    const after = await this.counters();
    checkDelivery(name, after.delivered - before.delivered, after.received - before.received, after.dropped - before.dropped);
    return after;
  }

  private async phaseResult(name: string, first: number, completed: number, seconds: number, perSecond: number[], before: Counters): Promise<Phase> {
    const after = await this.settled(name, before);
    const calls = this.floor.calls.slice(first, this.seq);
    const ring = calls.filter((c) => c.ringing !== undefined).map((c) => c.ringing! - c.arrival);
    const answer = calls.filter((c) => c.established !== undefined && c.answerSent !== undefined).map((c) => c.established! - c.answerSent!);
    const all = Math.max(1, calls.filter((c) => c.released !== undefined).length);
    return {
      name,
      completed,
      seconds,
      perSecond,
      ring,
      answer,
      cpuPerCall: ((after.cpu - before.cpu) * 1000) / all,
      generatorCpuPerCall: ((after.generatorCpu - before.generatorCpu) * 1000) / all,
      delivered: after.delivered - before.delivered,
      received: after.received - before.received,
      dropped: after.dropped - before.dropped,
    };
  }

  /** (b): WAITING calls queued with every agent NotReady, then served. */
  async backlog(clients: number): Promise<string[]> {
    const floor = this.floor;
    const before = await this.counters();
    const panelsBefore = floor.panels;
    await inParallel(AGENTS, 64, (i) => post(this.wire.agents, '/api/v2/me/channels/voice', agentAuth[i], { operationName: 'NotReady' }));
    floor.answering = false;
    floor.forgetRinging();
    // server CPU ms since the last call (each row prints as soon as it is measured: a bounded run shows how far it got)
    let cpuMark = cpuSeconds(this.server.pid!);
    const cpuMs = () => {
      const now = cpuSeconds(this.server.pid!);
      const used = (now - cpuMark) * 1000;
      cpuMark = now;
      return used;
    };
    const first = this.seq;
    const enqueueStart = performance.now();
    // pipelined on one connection: the server takes the requests in the order they were written, so
    // arrival rank = the order the calls join the queue, with BACKLOG_PIPELINE of them in flight
    await inParallel(WAITING, BACKLOG_PIPELINE, () => {
      const seq = this.seq++;
      floor.arrive(seq);
      return post(this.wire.ordered, '/sim/v1/calls', ADMIN, { from: customerOf(seq), to: ROUTING_POINT });
    });
    const enqueueSeconds = (performance.now() - enqueueStart) / 1000;
    console.log(`| ${WAITING} calls queued at ${ROUTING_POINT}, pipelined on one connection (${BACKLOG_PIPELINE} in flight; every agent NotReady) | ${f1(WAITING / enqueueSeconds)} calls/s, server CPU ${f2(cpuMs() / WAITING)} ms each |`);
    // the first agents, made Ready one at a time, must each get the oldest waiting call
    const sweep = Math.min(AGENTS, WAITING, EXACT_SWEEP);
    let outOfOrder = 0;
    const sweepStart = performance.now();
    for (let i = 0; i < sweep; i++) {
      await post(this.wire.agents, '/api/v2/me/channels/voice', agentAuth[i], { operationName: 'Ready' });
      await floor.whenRinging(i, 10_000);
      if (floor.ringingCallOf(i) !== first + i) outOfOrder++;
    }
    const sweepSeconds = (performance.now() - sweepStart) / 1000;
    console.log(`| ${sweep} agents made Ready one at a time: each rang with the oldest waiting call | ${sweep - outOfOrder} of ${sweep} in arrival order (${f1(sweep / sweepSeconds)} Ready/s, server CPU ${f2(cpuMs() / sweep)} ms each) |`);
    // then everyone answers at full speed, the other agents join (Ready), each freed agent takes the oldest waiting call
    const completedBefore = floor.completed;
    floor.answering = true;
    const serveStart = performance.now();
    for (let i = 0; i < sweep; i++) floor.answer(i, floor.ringingCallOf(i)!);
    await inParallel(AGENTS - sweep, 64, (k) => post(this.wire.agents, '/api/v2/me/channels/voice', agentAuth[sweep + k], { operationName: 'Ready' }));
    await until(() => floor.completed - completedBefore >= WAITING || floor.errors.length > 0, DRAIN_MS * 2, `all ${WAITING} waiting calls served`);
    const serveSeconds = (performance.now() - serveStart) / 1000;
    console.log(`| all ${WAITING} served (answer, hang up, next call; the other ${AGENTS - sweep} agents made Ready meanwhile) | ${f1(WAITING / serveSeconds)} calls/s, server CPU ${f2(cpuMs() / WAITING)} ms each |`);
    // the watcher's panels are paced (one a second at most): the last one must show the empty queue
    let emptyPanel = 'the last shows the empty queue';
    if (WATCHER) {
      await until(() => floor.lastPanelWaiting === 0, DRAIN_MS, 'the empty queue').catch(() => {
        emptyPanel = `**no panel of the empty queue within ${DRAIN_MS / 1000} s** (the last showed ${floor.lastPanelWaiting} waiting)`;
        floor.errors.push(`${WATCHER_NAME}: ${emptyPanel}`);
      });
    }
    // service rank (order of Ringing) against arrival rank, for the calls after the exact sweep
    const rest = floor.calls.slice(first + sweep, first + WAITING).filter((c) => c.ringing !== undefined);
    const byRing = [...rest].sort((a, b) => a.ringing! - b.ringing!);
    let displacement = 0;
    byRing.forEach((c, rank) => (displacement = Math.max(displacement, Math.abs(c.seq - (first + sweep) - rank))));
    const after = await this.settled('backlog', before);
    const [delivered, received, dropped] = [after.delivered - before.delivered, after.received - before.received, after.dropped - before.dropped];
    return [
      `| last ${rest.length} calls: largest distance between arrival rank and Ringing rank (${clients} websockets deliver concurrently) | ${displacement} |`,
      `| notifications handed out / received / dropped | ${delivered} / ${received} / ${dropped} |`,
      ...(WATCHER ? [`| routing-point panels received by ${WATCHER_NAME} (watching ${ROUTING_POINT}) during (b) | ${floor.panels - panelsBefore}, the largest ${f1(floor.largestPanel / 1024)} KiB; ${emptyPanel} |`] : []),
    ];
  }

}

function phaseRow(p: Phase, offered: number): string {
  const steady = p.perSecond.slice(1);
  return `| ${p.name} | ${offered} | ${f1(p.completed / p.seconds)} | ${steady.length ? Math.min(...steady) : 'n/a'} | ${f2(pct(p.ring, 50))} | ${f2(pct(p.ring, 99))} | ${f2(pct(p.answer, 50))} | ${f2(pct(p.answer, 99))} | ${f2(p.cpuPerCall)} | ${f2(p.generatorCpuPerCall)} | ${p.delivered} / ${p.received} / ${p.dropped} |`;
}
const PHASE_HEADER =
  '| run | offered/s | completed/s | worst second | ring p50 ms | ring p99 ms | answer p50 ms | answer p99 ms | server CPU ms/call | generator CPU ms/call | notifications out / in / dropped |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|';

// ---------------------------------------------------------------- main

async function startServer(): Promise<{ base: string; child: ChildProcess }> {
  const dir = mkdtempSync(join(os.tmpdir(), 'switchboard-bench-routing-'));
  const users: object[] = Array.from({ length: AGENTS }, (_, i) => ({ userName: agentName(i), password: PASSWORD, roles: ['ROLE_AGENT'], dn: agentDn(i) }));
  users.push({ userName: 'rtadmin', password: PASSWORD, roles: ['ROLE_ADMIN'] });
  if (WATCHER) users.push({ userName: WATCHER_NAME, password: PASSWORD, roles: ['ROLE_SUPERVISOR'], dn: '59999' });
  const cfgFile = join(dir, 'bench.json');
  writeFileSync(cfgFile, JSON.stringify({
    server: { database: ':memory:', logLevel: 'warn', cometd: { maxQueue: 100000 }, auth: { verifyMaxPerSource: 1000, verifyMaxQueued: 1000 }, connections: { maxConnections: AGENTS + 1024, keepAliveTimeoutMs: 120_000 } },
    contactCenters: [{ name: 'RoutingBench', users, routingPoints: [{ number: ROUTING_POINT }], agentGroups: [] }],
  }));
  const child = spawn(process.execPath, [...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean), '--import', 'tsx', 'bench/routing-server.ts', '--config', cfgFile], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', SWITCHBOARD_SIP_PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const base = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('server did not start within 180 s')), 180_000);
    child.stdout!.on('data', (c) => {
      out += String(c);
      const m = /listening (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited during start-up (${code})`)));
  });
  return { base, child };
}

/**
 * (m) The call model alone, in this process (no HTTP, no CometD): what routing itself costs per
 * event with AGENTS agents and WAITING calls waiting, on a virtual clock.
 */
function callModelRows(): string[] {
  const clock = new VirtualClock();
  const sw = new CallModel({ clock, ids: countingIds() });
  const agents = Array.from({ length: AGENTS }, (_, i) => agentDn(i));
  sw.configure({
    id: 'cc1',
    settings: { wrapUpTime: 0, afterWrapUp: 'Ready', externalAnswerDelayMs: 1000, ringNoAnswerMs: 0, supervision: { intrusion: true, autoAnswer: true, maxSupervisorsPerAgent: 1, notifyAgent: 'always' } },
    dns: [...agents.map((number) => ({ number, kind: 'Extension' as const, contactCenterId: 'cc1' })), { number: ROUTING_POINT, kind: 'RoutingPoint' as const, contactCenterId: 'cc1' }],
  });
  const must = (r: { ok: boolean }, what: string) => {
    if (!r.ok) throw new Error(`call model: ${what} failed`);
  };
  for (const dn of agents) must(sw.login(dn, { userId: 'u' + dn, isAgent: true }), 'login');
  const ringing = new Map<string, string>();
  sw.onEvent((e) => {
    if (e.kind === 'call' && e.view.state === 'Ringing') ringing.set(e.dn, e.callUuid);
  });
  // CPU time of this process, not wall time: the machine is shared, and waiting for a core is not routing
  const time = (n: number, fn: (i: number) => void): number => {
    const t = process.cpuUsage();
    for (let i = 0; i < n; i++) fn(i);
    const used = process.cpuUsage(t);
    return (used.user + used.system) / Math.max(1, n);
  };
  const arrivals: string[] = [];
  const enqueue = time(WAITING, (k) => {
    const r = sw.simulateInbound(customerOf(k), ROUTING_POINT);
    if (!r.ok) throw new Error('call model: arrival failed');
    arrivals.push(r.value.callUuid);
  });
  const sweep = Math.min(AGENTS, WAITING);
  let inOrder = 0;
  const ready = time(sweep, (i) => {
    must(sw.setAgentState(agents[i], { state: 'Ready' }), 'Ready');
    if (ringing.get(agents[i]) === arrivals[i]) inOrder++;
    clock.advance(1);
  });
  // every ringing agent answers and hangs up; each hang-up routes the next waiting call
  let served = sweep;
  let cycles = 0;
  const cycle = time(WAITING, () => {
    const [dn, uuid] = ringing.entries().next().value as [string, string];
    ringing.delete(dn);
    must(sw.callOperation(dn, uuid, { name: 'Answer' }), 'Answer');
    must(sw.callOperation(dn, uuid, { name: 'Hangup' }), 'Hangup');
    cycles++;
    if (ringing.has(dn)) served++;
  });
  sw.stop();
  return [
    `| a customer's call queued at ${ROUTING_POINT} (0 to ${WAITING} waiting, ${AGENTS} agents NotReady) | ${f2(enqueue)} |`,
    `| an agent's Ready that routes it the oldest waiting call (${sweep} Readies; ${inOrder} of ${sweep} got the oldest) | ${f2(ready)} |`,
    `| answer + hang-up, the hang-up routing the next waiting call (${cycles} cycles, ${served - sweep} calls routed by them) | ${f2(cycle)} |`,
  ];
}

async function main(): Promise<void> {
  console.log(`\nSwitchboard routing benchmark: ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load average ${os.loadavg()[0].toFixed(1)}; ${AGENTS} agents, server and load generator on this machine\n`);
  if (PHASES.has('m')) {
    console.log(`(m) the call model alone (this process, no HTTP or CometD), ${AGENTS} agents, ${WAITING} calls\n\n| event | µs of CPU each |\n|---|--:|`);
    for (const row of callModelRows()) console.log(row);
    console.log('');
  }
  if (!['a', 'b', 'c'].some((p) => PHASES.has(p))) return;
  console.log(`starting a server with ${AGENTS} agents${WATCHER ? `, and ${WATCHER_NAME} watching ${ROUTING_POINT} (subscribed to ${WATCHER_SUBSCRIPTION})` : ''}...`);
  const { base, child } = await startServer();
  const wire = openWire(base);
  try {
    await inParallel(AGENTS, 32, (i) => post(wire.agents, '/api/v2/me', agentAuth[i], { operationName: 'StartContactCenterSession', channels: ['voice'] }));
    const clients: RawBayeuxClient[] = new Array(AGENTS);
    await inParallel(AGENTS, 32, async (i) => {
      clients[i] = await connectBayeuxWebSocket(base, agentAuth[i]);
    });
    await inParallel(AGENTS, 32, (i) => post(wire.agents, '/api/v2/me/channels/voice', agentAuth[i], { operationName: 'Ready' }));
    const floor = new Floor(wire.agents, clients);
    const watcher = WATCHER ? await connectBayeuxWebSocket(base, basic(WATCHER_NAME), WATCHER_SUBSCRIPTION) : undefined;
    if (watcher) floor.watch(watcher);
    const bench = new Bench(wire, child, floor);

    let capacity = GIVEN_CAPACITY;
    if (PHASES.has('a')) {
      console.log('(a) capacity: offered call cycles per second, stepped up until completed/s stops rising\n');
      console.log(PHASE_HEADER);
      // a short warm-up (JIT, first requests of every connection), shown but not counted
      console.log(phaseRow(await bench.offered(`warm-up ${RATES[0]}/s, 2 s`, RATES[0], 2), RATES[0]));
      capacity = 0;
      for (const rate of RATES) {
        const p = await bench.offered(`step ${rate}/s, ${STEP_SECONDS} s`, rate, STEP_SECONDS);
        console.log(phaseRow(p, rate));
        const completedRate = p.completed / p.seconds;
        const keepsUp = completedRate >= 0.9 * rate;
        const rose = completedRate >= capacity * 1.05;
        capacity = Math.max(capacity, completedRate);
        if (!keepsUp && !rose) break;
      }
      console.log(`\ncapacity: ${f1(capacity)} completed call cycles per second\n`);
    }

    if (PHASES.has('b')) {
      console.log(`(b) ${WAITING} calls waiting at once, ${AGENTS} agents\n\n| step | result |\n|---|---|`);
      for (const row of await bench.backlog(AGENTS)) console.log(row);
    }

    if (PHASES.has('c') && capacity > 0) {
      const overload = Math.round(capacity * 2);
      console.log(`\n(c) offered load 2 x capacity (${overload}/s) for ${OVERLOAD_SECONDS} s\n`);
      console.log(PHASE_HEADER);
      const p = await bench.offered(`overload ${OVERLOAD_SECONDS} s`, overload, OVERLOAD_SECONDS);
      console.log(phaseRow(p, overload));
      console.log(`\ncompleted per second during the overload: ${p.perSecond.join(' ')}`);
    }
    if (deliveryProblems.length) throw new Error(`notifications lost: ${deliveryProblems.join('; ')}`);
    if (floor.errors.length) throw new Error(`${floor.errors.length} requests failed; first: ${floor.errors[0]}`);
    for (const c of clients) c.close();
    watcher?.close();
  } finally {
    child.kill('SIGTERM');
    closeWire(wire);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error('benchmark failed:', e);
    process.exit(1);
  },
);
