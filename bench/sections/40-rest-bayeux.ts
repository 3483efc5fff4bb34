/**
 * Bench section (run by `npm run bench`, or alone with `npx tsx bench/sections/40-rest-bayeux.ts`):
 * the cost of the REST path and of our Bayeux server against baselines measured in the same run.
 *   1. REST: a bare fastify route (the same JSON body as a GET /api/v2/me, bench/rest-bayeux/
 *      bare-server.ts), GET /api/v2/me, and POST /api/v2/me/channels/voice Ready/NotReady with
 *      its DeviceStateChangeMessage delivered over the agent's websocket CometD session, with a
 *      contact center of 200 and of 10,000 agents: requests per second, server CPU µs per request,
 *      and both as % of the bare route (req/s, and per CPU-second). A second bare row does the
 *      I/O of an agent-state change and none of its work (bare-server.ts: fastify's JSON body
 *      parser, a fixed answer, and one websocket frame holding the notifications a real state
 *      change of the run sent, captured first), so the state change is also given as % of it:
 *      how much of the gap to the bare GET is the second socket and the body, and how much ours.
 *      The load generator polls (never sleeps) in every row; the bare POST and the 200-agent state
 *      change run once more with a generator that sleeps between answers, which makes a server's
 *      writes wake it (see SLEEPING and http-load.ts `run`). Server CPU is given with its kernel part.
 *   2. Bayeux: deliveries per server CPU-second, our server against Faye 1.4, 200 users with one
 *      websocket session each (bench/rest-bayeux/bayeux-server.ts, bayeux-load.ts), and against
 *      the floor of any server that writes one frame per delivery (a fresh payload's
 *      JSON.stringify and the frame's write, nothing else): floor ÷ Faye is the most 4 × can be.
 *   3. Memory: RSS, JS heap and external memory of the 10,000-agent server after a full GC, before
 *      and with 10,000 websocket sessions, and per session.
 * Every server and the load generator are separate processes (bench/rest-bayeux/child.ts); CPU is
 * each server's own process.cpuUsage() around the measured window. All servers stay up; every
 * REST row is warmed up once (2 s, not reported), then measured in REPEATS interleaved passes
 * (bare, 200, 10,000, bare, …), and the best pass of each row is reported beside every pass, so a
 * slow moment of a shared machine hits one pass of every row rather than one row. 10,000 users are
 * provisioned with the test hasher's scrypt cost (switchboard-server.ts).
 * Options: BENCH_SECONDS (4 per REST row), BENCH_CONCURRENCY (16), BENCH_BIG (10000 agents),
 * BENCH_ROUNDS (500 rounds of 200 deliveries per pass for ours; Faye gets a quarter; passes interleaved, best reported), BENCH_REPEATS (3
 * passes), BENCH_PARTS (rest,memory,bayeux: which tables), BENCH_ROWS=<text> (only the REST rows whose name holds it), BENCH_PROFILE=<word> (children whose
 * name holds the word run under --cpu-prof; see bench/rest-bayeux/profile-top.ts).
 */
import os from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Child, type MemoryUsage } from '../rest-bayeux/child.js';
import type { RequestTemplate } from '../rest-bayeux/http-load.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const BIG = Number(process.env.BENCH_BIG ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 500);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
/** only the REST rows whose name holds this text (and the bare GET; the bare POST with the state-change rows); for profiling one row */
const ROWS = process.env.BENCH_ROWS;
/** the bare baseline's rows: its GET, and its POST with a websocket frame (the agent-state workers' templates and frames) */
const BARE_GET = 'bare fastify GET (same body)';
const BARE_POST = 'bare fastify POST + websocket frame (same bodies and frames)';
/** the name of the state-change rows (Switchboard's, at both sizes) */
const STATE_CHANGE = 'POST channels/voice Ready/NotReady + notification';
/**
 * Every row's load generator polls (http-load.ts `run`: it never sleeps, so no server pays for
 * waking it); the rows named with this suffix are the same rows with a generator that sleeps
 * between answers, as every row had before 3 December, to show what waking it costs.
 */
const SLEEPING = ' (sleeping generator)';
/** a row runs when BENCH_ROWS names it; the bare GET always, the bare POSTs with the state-change rows they are the baselines of */
const selected = (name: string): boolean => !ROWS || name.includes(ROWS) || name === BARE_GET || (name.startsWith(BARE_POST) && STATE_CHANGE.includes(ROWS));
const PARTS = new Set((process.env.BENCH_PARTS ?? 'rest,memory,bayeux').split(','));
const BAYEUX_USERS = 200;
const WINDOW = 20;
const here = join(dirname(fileURLToPath(import.meta.url)), '..', 'rest-bayeux');
const basic = (u: string): string => 'Basic ' + Buffer.from(`${u}:bench`).toString('base64');
const agentName = (i: number): string => `bench${i + 1}`;

interface Row {
  name: string;
  agents: number | '';
  reqPerSec: number;
  cpuMicros: number;
  /** of cpuMicros, the part spent in the kernel (system calls: socket reads and writes) */
  systemMicros: number;
  extra?: string;
}

const fmt = (x: number, digits = 0): string => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function post(base: string, path: string, auth: string, body: unknown): Promise<any> {
  const r = await fetch(base + path, { method: 'POST', headers: { Authorization: auth, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const json = await r.json();
  if (json.statusCode !== 0) throw new Error(`POST ${path} -> ${r.status} ${JSON.stringify(json)}`);
  return json;
}

/** a REST row: the load generator runs `op`; the server's CPU is read around it */
async function restRow(name: string, agents: number | '', server: Child, load: Child, op: string, args: object): Promise<Row> {
  const before = await server.usage();
  const r = await load.request(op, args);
  const after = await server.usage();
  if (r.errors > 0) throw new Error(`${name}: ${r.errors} failed requests, first: ${r.firstError}`);
  if (r.count === 0) throw new Error(`${name}: no request completed`);
  const extra = r.deliveries !== undefined ? `${r.deliveries} notifications delivered` : undefined;
  return { name, agents, reqPerSec: r.count / r.seconds, cpuMicros: (after.cpuMicros - before.cpuMicros) / r.count, systemMicros: (after.systemMicros - before.systemMicros) / r.count, extra };
}

/** the workers' agents, spread over the whole contact center */
const workerAgents = (agents: number): number[] => Array.from({ length: CONCURRENCY }, (_, w) => Math.floor((w * agents) / CONCURRENCY));

/** A running server and the rows it is measured by (each row a load-generator op and its arguments). */
interface Measured {
  server: Child;
  rows: { name: string; agents: number | ''; op: string; args: object }[];
}

async function startSwitchboard(agents: number, load: Child, withSleepingRow: boolean): Promise<Measured & { base: string; startMs: number; meBody: string; states: RequestTemplate[] }> {
  // --expose-gc: the memory row reads the heap after a full collection (it changes nothing else)
  const { child: server, ready } = await Child.start(`switchboard (${agents} agents)`, join(here, 'switchboard-server.ts'), ['--agents', String(agents)], undefined, ['--expose-gc']);
  const base: string = ready.baseUrl;
  const port = Number(new URL(base).port);
  const chosen = workerAgents(agents);
  for (const i of chosen) {
    await post(base, '/api/v2/me', basic(agentName(i)), { operationName: 'StartContactCenterSession', channels: ['voice'] });
    await post(base, '/api/v2/me/channels/voice', basic(agentName(i)), { operationName: 'NotReady' });
  }
  const meBody = await (await fetch(base + '/api/v2/me', { headers: { Authorization: basic(agentName(chosen[0])) } })).text();
  const getMe: RequestTemplate[] = chosen.map((i) => ({ method: 'GET', path: '/api/v2/me', auth: basic(agentName(i)) }));
  const states: RequestTemplate[] = chosen.map((i) => ({
    method: 'POST',
    path: '/api/v2/me/channels/voice',
    auth: basic(agentName(i)),
    bodies: [JSON.stringify({ operationName: 'Ready' }), JSON.stringify({ operationName: 'NotReady' })],
  }));
  // each worker's websocket CometD session, held by the load generator under this server's name
  await load.request('openNotified', { key: base, baseUrl: base, auths: states.map((t) => t.auth), subscription: '/v2/me/**' });
  return {
    server,
    base,
    startMs: ready.startMs,
    meBody,
    states,
    rows: [
      { name: 'GET /api/v2/me', agents, op: 'rest', args: { port, templates: getMe, concurrency: CONCURRENCY, seconds: SECONDS, poll: true } },
      { name: STATE_CHANGE, agents, op: 'restNotified', args: { key: base, port, templates: states, seconds: SECONDS, poll: true } },
      // the sleeping generator's row once, on the small server
      ...(withSleepingRow ? [{ name: STATE_CHANGE + SLEEPING, agents, op: 'restNotified', args: { key: base, port, templates: states, seconds: SECONDS, poll: false } }] : []),
    ],
  };
}

async function startBare(body: string, states: RequestTemplate[], frames: Record<string, string[]>, load: Child): Promise<Measured & { key: string }> {
  process.env.BENCH_BARE_BODY = body;
  process.env.BENCH_BARE_FRAMES = JSON.stringify(frames);
  const { child: server, ready } = await Child.start('bare fastify', join(here, 'bare-server.ts'));
  const port = Number(new URL(ready.baseUrl).port);
  const key: string = ready.baseUrl;
  // the bare POST's websockets, only when its row can run
  if (PARTS.has('rest') && [BARE_POST, BARE_POST + SLEEPING].some(selected)) await load.request('openPlain', { key, baseUrl: ready.baseUrl, auths: states.map((t) => t.auth) });
  return {
    server,
    key,
    rows: [
      { name: BARE_GET, agents: '', op: 'rest', args: { port, templates: [{ method: 'GET', path: '/bare' }], concurrency: CONCURRENCY, seconds: SECONDS, poll: true } },
      { name: BARE_POST, agents: '', op: 'restNotified', args: { key, port, templates: states, seconds: SECONDS, poll: true } },
      { name: BARE_POST + SLEEPING, agents: '', op: 'restNotified', args: { key, port, templates: states, seconds: SECONDS, poll: false } },
    ],
  };
}

/**
 * Memory of the big server before and with one websocket session per agent, each read after a full
 * GC (the server runs with --expose-gc): RSS, and the live JS heap plus external memory (Buffers),
 * whose difference is what the sessions hold. RSS alone misleads: pages freed by a GC are not
 * always given back, so the start-up's garbage can make the "before" RSS larger than "after".
 */
async function memoryRows(big: { server: Child; base: string }, agents: number, load: Child): Promise<string[]> {
  const idle = await big.server.memory();
  if (!idle.collected) throw new Error('memory row: the server was not started with --expose-gc');
  const auths = Array.from({ length: agents }, (_, i) => basic(agentName(i)));
  // 8 at a time: the first Basic login of each user is verified through the per-source queue (8)
  const opened = await load.request('openMany', { baseUrl: big.base, auths, subscription: '/v2/me/**', batch: 8 }, 900_000);
  const full = await big.server.memory();
  await load.request('closeMany', {}, 600_000);
  const live = (m: MemoryUsage): number => m.heapUsedMiB + m.externalMiB;
  const perSession = (mib: number): string => `${((mib * 1024) / opened.opened).toFixed(1)} KiB`;
  const cells = (m: MemoryUsage): string => `${m.rssMiB.toFixed(0)} | ${m.heapUsedMiB.toFixed(1)} | ${m.externalMiB.toFixed(1)}`;
  return [
    `| ${agents}-agent server, ${CONCURRENCY} CometD sessions | ${cells(idle)} |`,
    `| same, ${opened.opened} more websocket sessions (one per agent, subscribed to /v2/me/**) | ${cells(full)} |`,
    `| per websocket session (difference / ${opened.opened}) | ${perSession(full.rssMiB - idle.rssMiB)} | ${perSession(full.heapUsedMiB - idle.heapUsedMiB)} | ${perSession(full.externalMiB - idle.externalMiB)} |`,
    `| per websocket session, heap + external | | ${perSession(live(full) - live(idle))} | |`,
  ];
}

/** One Bayeux server with BAYEUX_USERS websocket sessions, and a pass of `rounds` measured on it. */
interface BayeuxBench {
  /** `poll`: the clients never sleep during the pass (see http-load.ts `run`) */
  pass(rounds: number, poll: boolean): Promise<{ perCpuSecond: number; perSecond: number; deliveries: number }>;
  stop(): Promise<void>;
}

type BayeuxKind = 'ours' | 'faye' | 'floor';

async function startBayeux(kind: BayeuxKind): Promise<BayeuxBench> {
  const { child: server, ready } = await Child.start(`bayeux ${kind}`, join(here, 'bayeux-server.ts'), ['--kind', kind, '--users', String(BAYEUX_USERS)]);
  const { child: clients } = await Child.start(`bayeux clients (${kind})`, join(here, 'bayeux-load.ts'));
  await clients.request('open', { kind: kind === 'faye' ? 'faye' : 'ours', baseUrl: ready.baseUrl, users: BAYEUX_USERS });
  clients.on('progress', (m) => server.send('delivered', { round: m.round }));
  let firstRound = 0;
  const pass = async (rounds: number, poll: boolean) => {
    const total = rounds * BAYEUX_USERS;
    await clients.request('expect', { total, firstRound, poll });
    const done = new Promise<void>((resolve) => clients.on('done', () => resolve()));
    const before = await server.usage();
    const t0 = performance.now();
    await server.request('publish', { rounds, window: WINDOW, firstRound });
    await done;
    const seconds = (performance.now() - t0) / 1000;
    const after = await server.usage();
    firstRound += rounds;
    server.send('delivered', { round: firstRound - 1 });
    return { perCpuSecond: total / ((after.cpuMicros - before.cpuMicros) / 1e6), perSecond: total / seconds, deliveries: total };
  };
  // a warm-up pass (JIT, buffers), not reported
  await pass(Math.max(1, Math.floor(ROUNDS / 10)), true);
  return {
    pass,
    stop: async () => {
      await clients.request('close').catch(() => undefined);
      await clients.stop();
      await server.stop();
    },
  };
}

/**
 * Ours, Faye and the floor (bayeux-server.ts `--kind floor`: a fresh payload's JSON.stringify and
 * one frame write per delivery, nothing else), passes interleaved (ours, Faye, floor, ours, …), each
 * pass once with polling clients and once with clients that sleep between deliveries; the best pass
 * of each is reported, with every pass. The floor says how far 4 × Faye is reachable in this run at
 * all: no server that writes one frame per delivery gets above floor ÷ Faye.
 */
async function bayeuxRows(): Promise<string[]> {
  const ours = await startBayeux('ours');
  const faye = await startBayeux('faye');
  const floor = await startBayeux('floor');
  try {
    type Pass = Awaited<ReturnType<BayeuxBench['pass']>>;
    type Runs = Record<BayeuxKind, Pass[]>;
    const runs: Record<'polled' | 'sleeping', Runs> = { polled: { ours: [], faye: [], floor: [] }, sleeping: { ours: [], faye: [], floor: [] } };
    for (let pass = 0; pass < REPEATS; pass++) {
      for (const mode of ['polled', 'sleeping'] as const) {
        runs[mode].ours.push(await ours.pass(ROUNDS, mode === 'polled'));
        runs[mode].faye.push(await faye.pass(Math.max(10, Math.floor(ROUNDS / 4)), mode === 'polled'));
        runs[mode].floor.push(await floor.pass(ROUNDS, mode === 'polled'));
      }
    }
    const best = (r: Runs, k: BayeuxKind) => r[k].reduce((a, b) => (b.perCpuSecond > a.perCpuSecond ? b : a));
    const all = (r: Runs, k: BayeuxKind) => r[k].map((x) => fmt(x.perCpuSecond)).join(' / ');
    const ratios = (r: Runs, k: BayeuxKind) => r[k].map((x, i) => fmt(x.perCpuSecond / r.faye[i].perCpuSecond, 2)).join(' / ');
    const rows = (r: Runs, clients: string) => {
      const [o, f, b] = [best(r, 'ours'), best(r, 'faye'), best(r, 'floor')];
      const row = (name: string, x: Pass, versusFaye: string, passes: string) =>
        `| ${name}, ${clients} | ${fmt(x.deliveries)} | ${fmt(x.perCpuSecond)} | ${fmt(x.perSecond)} | ${versusFaye} | ${passes} |`;
      return [
        row('Switchboard src/bayeux', o, `${fmt(o.perCpuSecond / f.perCpuSecond, 2)}×`, `${all(r, 'ours')}; ratio per pass ${ratios(r, 'ours')}`),
        row('Faye 1.4 (memory engine)', f, '1×', all(r, 'faye')),
        row('floor: stringify + one frame write per delivery', b, `${fmt(b.perCpuSecond / f.perCpuSecond, 2)}×`, `${all(r, 'floor')}; ratio per pass ${ratios(r, 'floor')}; ours ÷ floor ${fmt(o.perCpuSecond / b.perCpuSecond, 2)}`),
      ];
    };
    return [...rows(runs.polled, 'polling clients'), ...rows(runs.sleeping, 'sleeping clients')];
  } finally {
    await ours.stop();
    await faye.stop();
    await floor.stop();
  }
}

async function main(): Promise<void> {
  console.log(`REST and Bayeux against baselines: ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at start; ${SECONDS} s per REST row, ${CONCURRENCY} connections, best of ${REPEATS} interleaved passes\n`);
  const { child: load } = await Child.start('load generator', join(here, 'http-load.ts'));
  const running: Child[] = [];
  try {
    const small = await startSwitchboard(200, load, true);
    running.push(small.server);
    const big = await startSwitchboard(BIG, load, false);
    running.push(big.server);
    // the frames a real state change of the small server is notified with, for the bare POST row
    const { frames } = PARTS.has('rest')
      ? await load.request<{ frames: Record<string, string[]> }>('captureFrames', { key: small.base, baseUrl: small.base, auth: small.states[0].auth, bodies: small.states[0].bodies })
      : { frames: {} };
    const bare = await startBare(small.meBody, small.states, frames, load);
    running.push(bare.server);
    const measured = [bare, small, big];
    // a warm-up of every row (JIT, caches, connections), not reported
    for (const m of PARTS.has('rest') ? measured : []) {
      for (const r of m.rows.filter((row) => selected(row.name))) {
        await restRow(r.name, r.agents, m.server, load, r.op, { ...r.args, seconds: Math.min(2, SECONDS) });
      }
    }
    // every row once per pass, passes interleaved: a slow moment of the shared machine hits one pass
    const passes = new Map<string, Row[]>();
    for (let pass = 0; pass < (PARTS.has('rest') ? REPEATS : 0); pass++) {
      for (const m of measured) {
        for (const r of m.rows.filter((row) => selected(row.name))) {
          const row = await restRow(r.name, r.agents, m.server, load, r.op, r.args);
          const key = `${r.name}|${r.agents}`;
          passes.set(key, [...(passes.get(key) ?? []), row]);
        }
      }
    }
    const best = (key: string): Row & { spread: string } => {
      const all = passes.get(key)!;
      const cheapest = all.reduce((a, b) => (b.cpuMicros < a.cpuMicros ? b : a));
      const fastest = Math.max(...all.map((r) => r.reqPerSec));
      const spread = `CPU µs ${all.map((r) => fmt(r.cpuMicros, 0)).join(' / ')} (kernel ${all.map((r) => fmt(r.systemMicros, 0)).join(' / ')}); req/s ${all.map((r) => fmt(r.reqPerSec, 0)).join(' / ')}`;
      return { ...cheapest, reqPerSec: fastest, spread };
    };
    const bareBest = PARTS.has('rest') ? best(`${BARE_GET}|`) : undefined!;
    if (PARTS.has('rest')) console.log('| REST | agents | req/s (best) | server CPU µs/req (best) | % of bare req/s | % of bare per CPU-second | every pass |\n|---|--:|--:|--:|--:|--:|---|');
    const line = (r: Row & { spread: string }) =>
      `| ${r.name} | ${r.agents} | ${fmt(r.reqPerSec)} | ${fmt(r.cpuMicros, 1)} | ${fmt((100 * r.reqPerSec) / bareBest.reqPerSec)} % | ${fmt((100 * bareBest.cpuMicros) / r.cpuMicros)} % | ${r.spread}${r.extra ? `; ${r.extra} (last pass)` : ''} |`;
    for (const key of passes.keys()) console.log(line(best(key)));
    // the comparisons below are printed only when all of their rows ran (BENCH_ROWS can leave some out)
    const ran = (...keys: string[]): boolean => keys.every((k) => passes.has(k));
    for (const name of ['GET /api/v2/me', STATE_CHANGE].filter((n) => ran(`${n}|200`, `${n}|${BIG}`))) {
      const a = best(`${name}|200`);
      const b = best(`${name}|${BIG}`);
      console.log(`\n${name}: ${BIG} agents cost ${fmt(b.cpuMicros / a.cpuMicros, 2)}× the CPU per request of 200 agents (target ≤ 1.2×)`);
    }
    if (ran(`${BARE_POST}|`, `${STATE_CHANGE}|200`, `${STATE_CHANGE}|${BIG}`)) {
      // the target is against the bare GET; the bare POST with its frame says how much of the gap is the I/O itself
      const barePost = best(`${BARE_POST}|`);
      console.log(`\nThe bare POST + websocket frame runs at ${fmt((100 * barePost.reqPerSec) / bareBest.reqPerSec)} % of the bare GET's req/s (${fmt((100 * bareBest.cpuMicros) / barePost.cpuMicros)} % per CPU-second); against it:`);
      for (const agents of [200, BIG]) {
        const r = best(`${STATE_CHANGE}|${agents}`);
        console.log(`- Ready/NotReady + notification, ${agents} agents: ${fmt((100 * r.reqPerSec) / barePost.reqPerSec)} % of its req/s, ${fmt((100 * barePost.cpuMicros) / r.cpuMicros)} % per CPU-second`);
      }
    }
    // what a sleeping generator changes: the kernel time of the server's writes
    const sleepingPairs = [[BARE_POST, ''], [STATE_CHANGE, 200]].filter(([name, agents]) => ran(`${name}|${agents}`, `${name}${SLEEPING}|${agents}`));
    if (sleepingPairs.length > 0) {
      const sleeping = sleepingPairs.map(([name, agents]) => ({ polled: best(`${name}|${agents}`), sleeping: best(`${name}${SLEEPING}|${agents}`) }));
      console.log(`\nWith a generator that sleeps between answers (rows "${SLEEPING.trim()}"), server CPU per request, kernel part in parentheses:`);
      for (const { polled, sleeping: slept } of sleeping) {
        console.log(`- ${polled.name}${polled.agents ? `, ${polled.agents} agents` : ''}: ${fmt(slept.cpuMicros, 1)} µs (${fmt(slept.systemMicros, 1)}) against ${fmt(polled.cpuMicros, 1)} µs (${fmt(polled.systemMicros, 1)}) polled: ${fmt(slept.cpuMicros / polled.cpuMicros, 2)}×`);
      }
    }
    await load.request('closeNotified', { key: small.base });
    await load.request('closeNotified', { key: big.base });
    await load.request('closeNotified', { key: bare.key });
    await small.server.stop();
    await bare.server.stop();

    if (PARTS.has('memory')) {
      console.log('\n| server memory (after a full GC) | RSS MiB | JS heap used MiB | external MiB |\n|---|--:|--:|--:|');
      for (const m of await memoryRows(big, BIG, load)) console.log(m);
    }
    await big.server.stop();
    console.log(`\n| server start-up, agents | seconds (test hasher cost) |\n|--:|--:|\n| 200 | ${fmt(small.startMs / 1000, 1)} |\n| ${BIG} | ${fmt(big.startMs / 1000, 1)} |`);

    if (PARTS.has('bayeux')) {
      console.log(`\n| Bayeux, ${BAYEUX_USERS} users × 1 websocket session | deliveries (best pass) | deliveries / CPU-second (best) | deliveries / s | vs Faye per CPU-second (best vs best) | every pass, deliveries / CPU-second |\n|---|--:|--:|--:|--:|---|`);
      for (const row of await bayeuxRows()) console.log(row);
    }
    console.log(`\nmachine: ${os.cpus().length} cpu, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at end`);
  } finally {
    for (const c of running) await c.stop();
    await load.stop();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error('benchmark failed:', e);
    process.exit(1);
  },
);
