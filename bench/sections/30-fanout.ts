/**
 * Bench section (run by `npm run bench`, or alone with `npx tsx bench/sections/30-fanout.ts`):
 * the CPU cost of one delivered notification, in process (issue 12 points 2 and 5).
 *
 * For each count of supervisors (1, 10, 100; BENCH_FANOUT_SUPERVISORS to change) one app is built
 * with createApp (in-memory store, cheap password hashing, no SIP), every user gets one long-polling
 * CometD session opened with fastify.inject (no sockets), and the supervisors ListenIn on the agent
 * of one established inbound call. Three rows are then measured in the same process, each with
 * process.cpuUsage() around the measured work only (queues are drained by /meta/connect between
 * batches, outside the measurement; only the sessions a row delivers to are drained):
 *   - fan-out: UpdateUserData on the watched call, through the SwitchPort (no REST), which costs
 *     the switch's flush, the notifier, the team notifier and Bayeux's queueing; per delivery =
 *     CPU / deliveries counted in the drained queues (CallStateChangeMessage to the agent and to
 *     every supervisor, plus the team rows on /v2/supervision/agents);
 *   - agent state: NotReady/Ready of an agent nobody supervises (DeviceStateChangeMessage and
 *     ChannelStateChangeMessageV2 to that agent);
 *   - Bayeux alone: publishToUser of ready objects, copies of what the two rows above delivered
 *     (a fresh copy each time, so nothing is served from a serialisation cache), to the same users.
 * The rows run in BENCH_FANOUT_PASSES interleaved passes (default 5: fan-out, agent state, their
 * Bayeux-alone rows, then again), each with its share of the budget, so that a slow moment of a
 * shared machine hits every row of one pass rather than one row: each ratio is computed per pass
 * (rows of the same pass against each other) and reported as the median of the passes, with every
 * pass beside it; the first table sums the passes. Each row stops after BENCH_FANOUT_CPU_MS of
 * measured CPU over all passes (default 1000) or four times that in wall-clock time, whichever
 * comes first (and after at least one batch per pass).
 * BENCH_FANOUT_ROWS=fanout,agent,bayeux (the default: all three) runs only the rows named, e.g. for
 * `node --cpu-prof --import tsx bench/sections/30-fanout.ts` with BENCH_FANOUT_ROWS=agent; the
 * ratios are printed only when both of their rows ran.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import inspector from 'node:inspector';
import os from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/app/app.js';
import type { App } from '../../src/app/app.js';
import { demoContactCenter } from '../../src/config/demo.js';
import { testConfig } from '../../src/config/load.js';
import { Role } from '../../src/store/port.js';
import type { ContactCenterSpec } from '../../src/store/port.js';
import { cheapHasher } from '../../test/helpers/cheap-hasher.js';

const SUPERVISOR_COUNTS = (process.env.BENCH_FANOUT_SUPERVISORS ?? '1,10,100').split(',').map(Number);
const CPU_BUDGET_MS = Number(process.env.BENCH_FANOUT_CPU_MS ?? 1000);
const PASSES = Math.max(1, Number(process.env.BENCH_FANOUT_PASSES) || 5);
const ROWS = new Set((process.env.BENCH_FANOUT_ROWS ?? 'fanout,agent,bayeux').split(','));
const MONITORED_DN = '5001';
const SOLO_DN = '5002';

interface UserSession {
  userName: string;
  dn: string;
  auth: string;
  cookie: string;
  clientId: string;
  userId: string;
  deviceId: string;
}

interface Delivered {
  channel: string;
  data: any;
  userId: string;
}

const basic = (u: string) => 'Basic ' + Buffer.from(`${u}:bench`).toString('base64');

function spec(supervisors: number): ContactCenterSpec {
  const sups = Array.from({ length: supervisors }, (_, i) => ({
    userName: `sup${i + 1}`, password: 'bench', firstName: 'S', lastName: String(i + 1), roles: [Role.Agent, Role.Supervisor], dn: String(5101 + i),
  }));
  const demo = demoContactCenter();
  return {
    ...demo,
    name: 'Fanout',
    settings: { ...demo.settings, supervision: { ...demo.settings.supervision, maxSupervisorsPerAgent: supervisors } },
    routingPoints: [],
    users: [
      { userName: 'watched', password: 'bench', firstName: 'W', lastName: 'A', roles: ['ROLE_AGENT'], dn: MONITORED_DN },
      { userName: 'solo', password: 'bench', firstName: 'S', lastName: 'A', roles: ['ROLE_AGENT'], dn: SOLO_DN },
      ...sups,
    ],
    agentGroups: [{ name: 'Watched', agents: ['watched'], supervisors: sups.map((s) => s.userName) }],
  } as ContactCenterSpec;
}

async function inject(app: App, method: 'GET' | 'POST', url: string, auth: string, cookie: string, body?: unknown): Promise<any> {
  const res = await app.fastify.inject({ method, url, headers: { authorization: auth, ...(cookie ? { cookie } : {}) }, ...(body === undefined ? {} : { payload: body as object }) });
  return { json: JSON.parse(res.body || 'null'), cookie: res.headers['set-cookie'] };
}

async function ok(app: App, u: UserSession, url: string, body: unknown): Promise<any> {
  const r = await inject(app, 'POST', url, u.auth, u.cookie, body);
  if (r.json?.statusCode !== 0) throw new Error(`${u.userName} POST ${url} ${JSON.stringify(body)} -> ${JSON.stringify(r.json)}`);
  return r.json;
}

async function openSession(app: App, userName: string): Promise<UserSession> {
  const auth = basic(userName);
  const me = await inject(app, 'GET', '/api/v2/me?subresources=*', auth, '');
  if (me.json?.statusCode !== 0) throw new Error(`GET /me ${userName}: ${JSON.stringify(me.json)}`);
  const setCookie = [me.cookie].flat().filter(Boolean).map((c: string) => c.split(';')[0]);
  const cookie = setCookie.join('; ');
  const hs = await inject(app, 'POST', '/api/v2/notifications/handshake', auth, cookie, [
    { channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] },
  ]);
  const clientId = hs.json?.[0]?.clientId;
  if (!clientId) throw new Error(`handshake ${userName}: ${JSON.stringify(hs.json)}`);
  for (const subscription of ['/v2/me/*', '/v2/supervision/*']) {
    const sub = await inject(app, 'POST', '/api/v2/notifications', auth, cookie, [{ channel: '/meta/subscribe', clientId, subscription }]);
    if (sub.json?.[0]?.successful !== true) throw new Error(`subscribe ${userName} ${subscription}: ${JSON.stringify(sub.json)}`);
  }
  return { userName, dn: me.json.user.devices?.[0]?.phoneNumber, auth, cookie, clientId, userId: me.json.user.id, deviceId: me.json.user.devices?.[0]?.id };
}

/** What the drained queues held: counts by messageType, and the messages themselves when kept. */
interface Drained {
  count: number;
  byType: Map<string, number>;
  kept: Delivered[];
}

const MESSAGE_TYPE = /"messageType":"([A-Za-z0-9]+)"/g;

/**
 * Take every session's queue (one /meta/connect each, answered at once). Messages are counted in
 * the answer's text (each carries one messageType); only `keep` of them are parsed and kept.
 */
async function drain(app: App, users: UserSession[], into: Drained, keep = 0): Promise<void> {
  for (const u of users) {
    const res = await app.fastify.inject({
      method: 'POST',
      url: '/api/v2/notifications/connect',
      headers: { authorization: u.auth, cookie: u.cookie },
      payload: [{ channel: '/meta/connect', clientId: u.clientId, connectionType: 'long-polling', advice: { timeout: 0 } }],
    });
    if (!res.body.includes('"successful":true')) throw new Error(`connect ${u.userName}: ${res.body.slice(0, 300)}`);
    for (const m of res.body.matchAll(MESSAGE_TYPE)) {
      into.count++;
      into.byType.set(m[1], (into.byType.get(m[1]) ?? 0) + 1);
    }
    if (into.kept.length < keep && res.body.length > 200) {
      for (const m of JSON.parse(res.body) as any[]) {
        if (!m.channel.startsWith('/meta/') && into.kept.length < keep) into.kept.push({ channel: m.channel, data: m.data, userId: u.userId });
      }
    }
  }
}

const drained = (): Drained => ({ count: 0, byType: new Map(), kept: [] });

/**
 * BENCH_FANOUT_PROFILE=dir: after each scenario's rows, a CPU profile of `ops` operations, run as
 * the measure runs them (batches of at most 50, each followed by the event loop's check phase, where
 * Bayeux's round ends, then by a drain of the sessions the ops deliver to), written to
 * dir/name.cpuprofile, then a sampled allocation profile of as many more (collected objects
 * included) written to dir/name.heapprofile with the count of `ops`. The CPU profiler is stopped
 * around each drain and the batches' profiles are merged (without the samples of the profiler's
 * own start and stop), so the file holds the batches alone;
 * without drains the queues and the round's cache grew through the whole profile, and the
 * collector's and the cache's share with them. (The allocation profile includes the drains.)
 */
const PROFILE_DIR = process.env.BENCH_FANOUT_PROFILE;
/** BENCH_FANOUT_PROFILE_SCALE=k: k times as many operations in each profile (default 1) */
const PROFILE_SCALE = Math.max(1, Number(process.env.BENCH_FANOUT_PROFILE_SCALE) || 1);
/** operations between two drains in a profile (the measure's largest batch) */
const PROFILE_BATCH = 50;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** CPU profiles of consecutive stretches merged into one: the same call paths become one node; samples and times are concatenated. */
function mergeProfiles(parts: CpuProfile[]): CpuProfile {
  const nodes: ProfileNode[] = [];
  const childByKey = new Map<string, number>();
  const frameKey = (f: ProfileNode['callFrame']) => `${f.functionName}\u0000${f.url}\u0000${f.lineNumber}\u0000${f.columnNumber}`;
  const add = (parent: ProfileNode | undefined, node: ProfileNode): ProfileNode => {
    const key = `${parent?.id ?? 0}\u0000${frameKey(node.callFrame)}`;
    const found = childByKey.get(key);
    if (found !== undefined) return nodes[found - 1];
    const merged: ProfileNode = { id: nodes.length + 1, callFrame: node.callFrame, hitCount: 0, children: [] };
    nodes.push(merged);
    childByKey.set(key, merged.id);
    parent?.children!.push(merged.id);
    return merged;
  };
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  for (const part of parts) {
    const byId = new Map(part.nodes.map((n) => [n.id, n]));
    const mergedOf = new Map<number, ProfileNode>();
    /** nodes under the profiler's own start and stop (node:inspector's post): their samples are left out */
    const profilerCalls = new Set<number>();
    const walk = (node: ProfileNode, parent: ProfileNode | undefined, underProfiler: boolean) => {
      const merged = add(parent, node);
      merged.hitCount! += node.hitCount ?? 0;
      mergedOf.set(node.id, merged);
      const profiler = underProfiler || node.callFrame.url === 'node:inspector';
      if (profiler) profilerCalls.add(node.id);
      for (const c of node.children ?? []) walk(byId.get(c)!, merged, profiler);
    };
    walk(part.nodes[0], undefined, false);
    part.samples.forEach((id, i) => {
      if (profilerCalls.has(id)) return;
      samples.push(mergedOf.get(id)!.id);
      // the first delta of a later part counts from its own start, not across the drain before it
      timeDeltas.push(i === 0 && samples.length > 1 ? 0 : part.timeDeltas[i]);
    });
  }
  const duration = parts.reduce((sum, p) => sum + (p.endTime - p.startTime), 0);
  return { nodes, startTime: parts[0].startTime, endTime: parts[0].startTime + duration, samples, timeDeltas };
}

async function profile(name: string, ops: number, op: (i: number) => void, drainBatch: () => Promise<void>): Promise<void> {
  const session = new inspector.Session();
  session.connect();
  const post = (method: string, params?: object): Promise<any> =>
    new Promise((resolve, reject) => session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result))));
  /** runs the ops in batches; between two batches `pause` and `resume` (the CPU profiler's stop and start) frame the drain */
  const run = async (first: number, pause: () => Promise<void>, resume: () => Promise<void>): Promise<void> => {
    for (let i = 0; i < ops; i++) {
      op(first + i);
      await null;
      if ((i + 1) % PROFILE_BATCH === 0 || i === ops - 1) {
        await new Promise((r) => setImmediate(r));
        await pause();
        await drainBatch();
        if (i < ops - 1) await resume();
      }
    }
  };
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 100 });
  const parts: CpuProfile[] = [];
  await post('Profiler.start');
  await run(
    0,
    async () => void parts.push((await post('Profiler.stop')).profile),
    () => post('Profiler.start'),
  );
  mkdirSync(PROFILE_DIR!, { recursive: true });
  writeFileSync(join(PROFILE_DIR!, `${name}.cpuprofile`), JSON.stringify(mergeProfiles(parts)));
  // then what the same operations allocate (collected objects included): dir/name.heapprofile
  await post('HeapProfiler.enable');
  await post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  await run(ops, async () => {}, async () => {});
  const { profile: heap } = await post('HeapProfiler.stopSampling');
  session.disconnect();
  writeFileSync(join(PROFILE_DIR!, `${name}.heapprofile`), JSON.stringify({ ...heap, ops }));
}

const cpuMicros = (): number => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

interface Measured {
  cpuUs: number;
  ops: number;
  deliveries: Drained;
}

/** CPU spent on each row's operations before its measure starts */
const WARM_UP_CPU_MS = 300;
/** deliveries kept per row: the Bayeux-alone rows publish copies of these, and their sizes are reported */
const KEEP = 2000;
/** deliveries between two drains (the queues are emptied outside the measure) */
const DRAIN_EVERY = 4000;

/**
 * One pass of a row: `op(index)` is called with indexes that go on from pass to pass (`next`), so an
 * op that alternates (Ready, NotReady) or writes a new value (Step i) always changes something.
 * The first pass warms up first, and only its deliveries are kept (the Bayeux-alone rows
 * publish copies of them).
 */
interface RowRun {
  next: number;
  /** the row has warmed up and kept its sample (set by its first pass) */
  warm: boolean;
}

/**
 * Run op in batches until the CPU budget is spent; only the ops (and the microtasks they queue) are
 * measured. `users` are the sessions the op delivers to, drained between batches: draining sessions
 * that received nothing (100 supervisors on an agent-state row) made garbage whose collection ran
 * during the next batch (process.cpuUsage counts the GC threads too) and was charged to the ops.
 */
async function measure(app: App, users: UserSession[], perOp: number, op: (i: number) => void, run: RowRun, budgetMs: number): Promise<Measured> {
  let cpuUs = 0;
  let ops = 0;
  const deliveries = drained();
  const batch = Math.max(1, Math.min(50, Math.floor(DRAIN_EVERY / perOp)));
  // warm-up (the JIT compiles these paths now, not inside the measure): WARM_UP_CPU_MS of CPU, in batches, not counted
  for (let spent = 0; !run.warm && spent < WARM_UP_CPU_MS * 1000; ) {
    const t = cpuMicros();
    for (let i = 0; i < batch; i++) {
      op(run.next++);
      await null;
    }
    await new Promise((r) => setImmediate(r));
    spent += cpuMicros() - t;
    await drain(app, users, drained());
  }
  const keep = run.warm ? 0 : KEEP;
  run.warm = true;
  const wallEnd = Date.now() + budgetMs * 4;
  while (cpuUs < budgetMs * 1000 && (Date.now() < wallEnd || ops === 0)) {
    const t = cpuMicros();
    for (let i = 0; i < batch; i++, ops++) {
      op(run.next++);
      await null;
    }
    // what the last op queued (the team's rows are rendered in microtasks) is part of the measure
    await new Promise((r) => setImmediate(r));
    cpuUs += cpuMicros() - t;
    await drain(app, users, deliveries, keep);
  }
  return { cpuUs, ops, deliveries };
}

/** Bayeux alone: publishToUser of fresh copies of what was delivered, to the same users, same channels. */
async function bayeuxAlone(app: App, allUsers: UserSession[], sample: Delivered[], budgetMs: number): Promise<Measured> {
  const recipients = new Set(sample.map((d) => d.userId));
  const users = allUsers.filter((u) => recipients.has(u.userId));
  let cpuUs = 0;
  let count = 0;
  const deliveries = drained();
  let k = 0;
  const wallEnd = Date.now() + budgetMs * 4;
  while (cpuUs < budgetMs * 1000 && (Date.now() < wallEnd || count === 0)) {
    const batch = Array.from({ length: Math.min(DRAIN_EVERY, 500) }, () => sample[k++ % sample.length]);
    const copies = batch.map((d) => structuredClone(d.data));
    const t = cpuMicros();
    for (let i = 0; i < batch.length; i++) app.bayeux.publishToUser(batch[i].userId, batch[i].channel, copies[i]);
    cpuUs += cpuMicros() - t;
    count += batch.length;
    await drain(app, users, deliveries);
  }
  if (deliveries.count !== count) throw new Error(`Bayeux alone: ${count} published, ${deliveries.count} delivered`);
  deliveries.kept = sample;
  return { cpuUs, ops: count, deliveries };
}

/** the four rows of a scenario */
type RowKind = 'fanout' | 'agentState' | 'bayeuxFanout' | 'bayeuxAgentState';

/**
 * Each row's passes, in pass order; a row left out by BENCH_FANOUT_ROWS has none (the Bayeux-alone
 * rows need the row whose payloads they publish).
 */
interface Row {
  supervisors: number;
  passes: Record<RowKind, Measured[]>;
}

/** a row's passes as one measure (CPU, ops and deliveries summed; the first pass's kept deliveries) */
function total(passes: Measured[]): Measured | undefined {
  if (passes.length === 0) return undefined;
  const deliveries = drained();
  deliveries.count = passes.reduce((sum, m) => sum + m.deliveries.count, 0);
  deliveries.kept = passes[0].deliveries.kept;
  return { cpuUs: passes.reduce((sum, m) => sum + m.cpuUs, 0), ops: passes.reduce((sum, m) => sum + m.ops, 0), deliveries };
}

async function scenario(supervisors: number): Promise<Row> {
  const config = testConfig({
    contactCenters: [spec(supervisors)],
    cometd: { timeoutMs: 30_000, intervalMs: 0, maxIntervalMs: 3_600_000, maxQueue: 1_000_000 },
  });
  const app = await createApp(config, { passwordHasher: cheapHasher });
  try {
    const names = ['watched', 'solo', ...Array.from({ length: supervisors }, (_, i) => `sup${i + 1}`)];
    const users: UserSession[] = [];
    for (const n of names) users.push(await openSession(app, n));
    for (const u of users) await ok(app, u, '/api/v2/me', { operationName: 'StartContactCenterSession', channels: ['voice'] });
    const watched = users[0];
    const solo = users[1];
    for (const u of [watched, solo]) await ok(app, u, '/api/v2/me/channels/voice', { operationName: 'Ready' });
    for (const u of users.slice(2)) {
      await ok(app, u, `/api/v2/me/devices/${u.deviceId}`, { operationName: 'ListenIn', phoneNumber: MONITORED_DN, supervisorMonitoringMode: 'AllCalls' });
    }
    const sw = app.switch;
    const call = sw.simulateInbound('+15550100001', MONITORED_DN);
    if (!call.ok) throw new Error(`inbound call: ${JSON.stringify(call)}`);
    const uuid = call.value.callUuid;
    const answered = sw.callOperation(MONITORED_DN, uuid, { name: 'Answer' });
    if (!answered.ok) throw new Error(`Answer: ${JSON.stringify(answered)}`);
    await new Promise((r) => setImmediate(r));
    const joined = sw.callsOf('5101').length;
    if (joined !== 1) throw new Error(`supervisor 1 is on ${joined} calls, not on the watched one`);
    await drain(app, users, drained());

    const row: Row = { supervisors, passes: { fanout: [], agentState: [], bayeuxFanout: [], bayeuxAgentState: [] } };
    const budget = CPU_BUDGET_MS / PASSES;
    const fanoutRun: RowRun = { next: 0, warm: false };
    const agentRun: RowRun = { next: 0, warm: false };
    for (let pass = 0; pass < PASSES; pass++) {
      if (ROWS.has('fanout')) {
        const fanout = await measure(
          app,
          users,
          2 * supervisors + 1,
          (i) => {
            const r = sw.callOperation(MONITORED_DN, uuid, { name: 'UpdateUserData', userData: { Step: i, Note: `update ${i}` } });
            if (!r.ok) throw new Error(`UpdateUserData: ${JSON.stringify(r)}`);
          },
          fanoutRun,
          budget,
        );
        const expected = supervisors + 1;
        const callMessages = fanout.deliveries.byType.get('CallStateChangeMessage') ?? 0;
        if (callMessages !== fanout.ops * expected) throw new Error(`fan-out: ${callMessages} call notifications for ${fanout.ops} ops × ${expected} viewers`);
        row.passes.fanout.push(fanout);
      }
      if (ROWS.has('agent')) {
        // only the solo agent's session receives anything: it alone is drained between batches (see measure)
        const agentState = await measure(
          app,
          [solo],
          2,
          (i) => {
            const r = sw.setAgentState(SOLO_DN, i % 2 === 0 ? { state: 'NotReady' } : { state: 'Ready' });
            if (!r.ok) throw new Error(`agent state: ${JSON.stringify(r)}`);
          },
          agentRun,
          budget,
        );
        if (agentState.deliveries.count !== agentState.ops * 2) throw new Error(`agent state: ${agentState.deliveries.count} deliveries for ${agentState.ops} ops`);
        const stray = drained();
        await drain(app, users, stray);
        if (stray.count !== 0) throw new Error(`agent state: ${stray.count} deliveries to other users than the solo agent`);
        row.passes.agentState.push(agentState);
      }
      if (ROWS.has('bayeux')) {
        // the payloads of the first pass, copied afresh for every publish
        const [fanoutSample, agentSample] = [row.passes.fanout[0], row.passes.agentState[0]];
        if (fanoutSample) row.passes.bayeuxFanout.push(await bayeuxAlone(app, users, fanoutSample.deliveries.kept, budget));
        if (agentSample) row.passes.bayeuxAgentState.push(await bayeuxAlone(app, users, agentSample.deliveries.kept, budget));
      }
    }
    if (PROFILE_DIR) {
      await drain(app, users, drained());
      // the operations the rows measure, drained as they drain them (the fan-out: every session; the agent state: the solo agent's)
      const fanoutOp = (i: number) => void sw.callOperation(MONITORED_DN, uuid, { name: 'UpdateUserData', userData: { Step: i, Note: `update ${i}` } });
      await profile(`fanout-${supervisors}`, Math.floor((PROFILE_SCALE * 8000) / (2 * supervisors + 1)), fanoutOp, () => drain(app, users, drained()));
      const agentOp = (i: number) => void sw.setAgentState(SOLO_DN, i % 2 === 0 ? { state: 'NotReady' } : { state: 'Ready' });
      await profile(`agent-state-${supervisors}`, PROFILE_SCALE * 2000, agentOp, () => drain(app, [solo], drained()));
    }
    return row;
  } finally {
    await app.close();
  }
}

const perDelivery = (m: Measured): number => m.cpuUs / m.deliveries.count;
const median = (xs: number[]): number => {
  const sorted = [...xs].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const f1 = (x: number): string => x.toFixed(1);
const f2 = (x: number): string => x.toFixed(2);

/** mean size of the kept deliveries as JSON text */
function bytesPerDelivery(m: Measured): number {
  let total = 0;
  for (const d of m.deliveries.kept) total += JSON.stringify({ channel: d.channel, data: d.data }).length;
  return m.deliveries.kept.length ? total / m.deliveries.kept.length : NaN;
}

async function main(): Promise<void> {
  const started = Date.now();
  const rows: Row[] = [];
  for (const n of SUPERVISOR_COUNTS) {
    console.error(`fan-out: ${n} supervisor(s)...`);
    rows.push(await scenario(n));
  }
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ${os.platform()} ${os.release()}; CPU per row ≈ ${CPU_BUDGET_MS} ms (process.cpuUsage), in process, no sockets\n`);
  console.log('| supervisors | row | ops | deliveries per op | bytes per delivery | µs CPU per op | µs CPU per delivery |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const line = (name: string, m: Measured | undefined) => {
      if (m) console.log(`| ${r.supervisors} | ${name} | ${m.ops} | ${f1(m.deliveries.count / m.ops)} | ${Math.round(bytesPerDelivery(m))} | ${f1(m.cpuUs / m.ops)} | ${f2(perDelivery(m))} |`);
    };
    line('UpdateUserData fan-out (switch + notifiers + Bayeux)', total(r.passes.fanout));
    line('Bayeux alone, the same payloads', total(r.passes.bayeuxFanout));
    line('agent state (switch + notifiers + Bayeux)', total(r.passes.agentState));
    line('Bayeux alone, the same payloads', total(r.passes.bayeuxAgentState));
  }
  /** a ÷ b per delivery in each pass: the median, then every pass ("median (pass 1 / pass 2 / …)"); '–' when one of the rows did not run */
  const ratio = (r: Row, a: RowKind, b: RowKind): string => {
    if (r.passes[a].length === 0 || r.passes[b].length === 0) return '–';
    const each = r.passes[a].map((m, pass) => perDelivery(m) / perDelivery(r.passes[b][pass]));
    return `${f2(median(each))}${each.length > 1 ? ` (${each.map(f2).join(' / ')})` : ''}`;
  };
  const each = (m: Measured | undefined): string => (m ? f2(perDelivery(m)) : '–');
  console.log('\n| supervisors | fan-out per delivery ÷ agent-state per delivery (target ≤ 2) | agent state ÷ Bayeux alone (target ≤ 1.5) | fan-out ÷ Bayeux alone, same payloads |');
  console.log('|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.supervisors} | ${ratio(r, 'fanout', 'agentState')} | ${ratio(r, 'agentState', 'bayeuxAgentState')} | ${ratio(r, 'fanout', 'bayeuxFanout')} |`);
  }
  console.log(`\nEach ratio: the median of the ${PASSES} interleaved passes (each pass's rows against each other), then every pass in parentheses.`);
  const machine = rows.map((r) => `n${r.supervisors}:fanout=${each(total(r.passes.fanout))},agent=${each(total(r.passes.agentState))},bayeux=${each(total(r.passes.bayeuxAgentState))}`).join(' ');
  console.log(`\nBENCH fanout ${machine} seconds=${((Date.now() - started) / 1000).toFixed(0)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
