/**
 * Bench section (run by `npm run bench`, or alone with `npx tsx bench/sections/10-rest-notifications.ts`): starts Switchboard in a child process with a 500-agent contact center and
 * prints tables of
 *   1. REST operations per second with latency p50/p99 (GET /api/v2/me, agent-state POSTs);
 *   2. operation-to-notification latency p50/p99 with 500 logged-in agents connected over
 *      long-polling, then over websocket (agent state change -> DeviceStateChangeMessage,
 *      inbound call -> Ringing, Answer -> Established);
 *   3. the server's peak memory (VmHWM) and RSS with 500 connected clients.
 * Bounded in time and count; traffic stays on 127.0.0.1. Options: BENCH_AGENTS (500),
 * BENCH_SECONDS (5 per REST row), BENCH_SAMPLES (1000 per agent-state row; the call rows take
 * at most one call per agent).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { connectLongPolling, connectWebSocket } from '../bayeux-client.js';
import type { BenchClient, Delivery } from '../bayeux-client.js';
import { inParallel } from '../load-kit.js';

const AGENTS = Number(process.env.BENCH_AGENTS ?? 500);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 1000);
const CONCURRENCY = 16;
const basic = (u: string, p: string) => 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64');
const agentName = (i: number) => `bench${i + 1}`;
const agentDn = (i: number) => String(60001 + i);
const ADMIN = basic('benchadmin', 'bench');
/**
 * First logins in flight at once: each costs one scrypt verification, and the server admits at most
 * auth.verifyMaxPerSource (default 8) pending verifications per address; more are refused with
 * "Too many logins in progress" (statusCode 20). This config keeps the default.
 */
const FIRST_LOGINS_IN_FLIGHT = 8;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
function request(base: string, method: string, path: string, auth: string, body?: unknown): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const u = new URL(path, base);
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      { host: u.hostname, port: u.port, path: u.pathname + u.search, method, agent, headers: { Authorization: auth, ...(data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString() || '{}') });
          } catch (e) {
            reject(e);
          }
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

async function ok(base: string, method: string, path: string, auth: string, body?: unknown): Promise<any> {
  const r = await request(base, method, path, auth, body);
  if (r.json?.statusCode !== 0) throw new Error(`${method} ${path} -> HTTP ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

function pct(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}
const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');

function memory(pid: number): { hwm: number; rss: number } {
  const st = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(st)?.[1] ?? 0) / 1024;
  return { hwm: kb('VmHWM'), rss: kb('VmRSS') };
}

async function restRow(base: string, name: string, fn: (worker: number, n: number) => Promise<void>): Promise<string> {
  const lat: number[] = [];
  const end = performance.now() + SECONDS * 1000;
  let count = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      for (let n = 0; performance.now() < end; n++) {
        const t = performance.now();
        await fn(w, n);
        lat.push(performance.now() - t);
        count++;
      }
    }),
  );
  return `| ${name} | ${CONCURRENCY} | ${Math.round(count / SECONDS)} | ${ms(pct(lat, 50))} | ${ms(pct(lat, 99))} |`;
}

/** Wait for the next event on agent i's client that satisfies pred. */
class Inbox {
  private waiters = new Map<number, { pred: (m: Delivery) => boolean; resolve: (t: number) => void }>();
  constructor(private clients: BenchClient[]) {
    clients.forEach((c, i) => {
      c.onEvent = (m) => {
        const w = this.waiters.get(i);
        if (w && w.pred(m)) {
          this.waiters.delete(i);
          w.resolve(performance.now());
        }
      };
    });
  }
  wait(i: number, pred: (m: Delivery) => boolean, what: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what} on agent ${i}`)), 10_000);
      this.waiters.set(i, { pred, resolve: (t) => { clearTimeout(timer); resolve(t); } });
    });
  }
}

async function latencyRows(base: string, transport: string, clients: BenchClient[]): Promise<string[]> {
  const inbox = new Inbox(clients);
  const rows: string[] = [];
  // agent state -> DeviceStateChangeMessage
  const state: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < SAMPLES) {
        const n = next++;
        const i = n % AGENTS;
        const target = n % 2 === 0 ? 'NotReady' : 'Ready';
        const seen = inbox.wait(i, (m) => m.data?.messageType === 'DeviceStateChangeMessage' && m.data.devices?.[0]?.userState?.state === target, target);
        const t = performance.now();
        await ok(base, 'POST', '/api/v2/me/channels/voice', basic(agentName(i), 'bench'), { operationName: target });
        state.push((await seen) - t);
      }
    }),
  );
  rows.push(`| ${transport} | agent state -> DeviceStateChangeMessage | ${state.length} | ${ms(pct(state, 50))} | ${ms(pct(state, 99))} |`);
  // all Ready again, and every confirmation delivered, before the call rows start
  for (let i = 0; i < clients.length; i += 50) {
    await Promise.all(
      clients.slice(i, i + 50).map(async (_, k) => {
        const seen = inbox.wait(i + k, (m) => m.data?.messageType === 'DeviceStateChangeMessage' && m.data.devices?.[0]?.userState?.state === 'Ready', 'Ready');
        await ok(base, 'POST', '/api/v2/me/channels/voice', basic(agentName(i + k), 'bench'), { operationName: 'Ready' });
        await seen;
      }),
    );
  }
  // inbound call to an agent -> Ringing; Answer -> Established; hang up
  const ring: number[] = [];
  const answer: number[] = [];
  const calls = Math.min(SAMPLES, AGENTS);
  next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < calls) {
        const i = next++;
        const ringing = inbox.wait(i, (m) => m.data?.call?.state === 'Ringing', 'Ringing');
        let t = performance.now();
        const { callUuid } = await ok(base, 'POST', '/sim/v1/calls', ADMIN, { from: `+1555${String(i).padStart(7, '0')}`, to: agentDn(i) });
        ring.push((await ringing) - t);
        const est = inbox.wait(i, (m) => m.data?.call?.state === 'Established', 'Established');
        t = performance.now();
        await ok(base, 'POST', `/api/v2/me/calls/${callUuid}`, basic(agentName(i), 'bench'), { operationName: 'Answer' });
        answer.push((await est) - t);
        const rel = inbox.wait(i, (m) => m.data?.call?.state === 'Released', 'Released');
        await ok(base, 'POST', `/api/v2/me/calls/${callUuid}`, basic(agentName(i), 'bench'), { operationName: 'Hangup' });
        await rel;
      }
    }),
  );
  rows.push(`| ${transport} | inbound call -> Ringing | ${ring.length} | ${ms(pct(ring, 50))} | ${ms(pct(ring, 99))} |`);
  rows.push(`| ${transport} | Answer -> Established | ${answer.length} | ${ms(pct(answer, 50))} | ${ms(pct(answer, 99))} |`);
  return rows;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(os.tmpdir(), 'switchboard-bench-'));
  const users = Array.from({ length: AGENTS }, (_, i) => ({ userName: agentName(i), password: 'bench', roles: ['ROLE_AGENT'], dn: agentDn(i) }));
  users.push({ userName: 'benchadmin', password: 'bench', roles: ['ROLE_ADMIN'] } as any);
  const cfgFile = join(dir, 'bench.json');
  writeFileSync(cfgFile, JSON.stringify({
    server: { database: ':memory:', logLevel: 'warn', cometd: { maxQueue: 10000 } },
    contactCenters: [{ name: 'Bench', users, routingPoints: [{ number: '7000' }], agentGroups: [], settings: { externalAnswerDelayMs: 100 } }],
  }));
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--config', cfgFile], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  console.log(`starting a server with ${AGENTS} agents (about a minute before the first table)...`);
  try {
    const t0 = Date.now();
    for (;;) {
      if (child.exitCode !== null) throw new Error('server exited during start-up');
      try {
        const r = await request(base, 'GET', '/api/v2/diagnostics/version', ADMIN);
        if (r.status === 200) break;
      } catch {
        /* not up yet */
      }
      if (Date.now() - t0 > 120_000) throw new Error('server did not start within 120 s');
      await new Promise((r) => setTimeout(r, 100)); // start-up polling only; not a test
    }
    console.log(`\nSwitchboard benchmark: ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; ${AGENTS} agents\n`);

    // steady state: every user authenticated once (the first Basic request of a user costs one scrypt)
    await ok(base, 'GET', '/api/v2/me', ADMIN);
    // sessions for every agent (Basic auth on every request; the server caches verified credentials,
    // so only these first requests are verified, within the server's per-address limit)
    await inParallel(AGENTS, FIRST_LOGINS_IN_FLIGHT, (i) => ok(base, 'POST', '/api/v2/me', basic(agentName(i), 'bench'), { operationName: 'StartContactCenterSession', channels: ['voice'] }));

    console.log('| REST operation | concurrency | ops/s | p50 ms | p99 ms |\n|---|--:|--:|--:|--:|');
    console.log(await restRow(base, 'GET /api/v2/me', async (w) => { await ok(base, 'GET', '/api/v2/me', basic(agentName(w), 'bench')); }));
    console.log(await restRow(base, 'GET /api/v2/me?subresources=*', async (w) => { await ok(base, 'GET', '/api/v2/me?subresources=*', basic(agentName(w), 'bench')); }));
    console.log(await restRow(base, 'POST channels/voice Ready/NotReady', async (w, n) => {
      await ok(base, 'POST', '/api/v2/me/channels/voice', basic(agentName(w), 'bench'), { operationName: n % 2 ? 'Ready' : 'NotReady' });
    }));
    const deviceIds = await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, w) => (await ok(base, 'GET', '/api/v2/me/devices?fields=*', basic(agentName(w), 'bench'))).devices[0].id as string),
    );
    console.log(await restRow(base, 'POST devices/{id} DoNotDisturbOn/Off', async (w, n) => {
      await ok(base, 'POST', `/api/v2/me/devices/${deviceIds[w]}`, basic(agentName(w), 'bench'), { operationName: n % 2 ? 'DoNotDisturbOff' : 'DoNotDisturbOn' });
    }));
    for (let w = 0; w < CONCURRENCY; w++) {
      await request(base, 'POST', `/api/v2/me/devices/${deviceIds[w]}`, basic(agentName(w), 'bench'), { operationName: 'DoNotDisturbOff' });
    }

    console.log('\n| transport | operation -> notification | samples | p50 ms | p99 ms |\n|---|---|--:|--:|--:|');
    const memRows: string[] = [];
    for (const transport of ['long-polling', 'websocket'] as const) {
      const clients: BenchClient[] = [];
      for (let i = 0; i < AGENTS; i += 50) {
        clients.push(...(await Promise.all(Array.from({ length: Math.min(50, AGENTS - i) }, (_, k) =>
          transport === 'long-polling' ? connectLongPolling(base, basic(agentName(i + k), 'bench')) : connectWebSocket(base, basic(agentName(i + k), 'bench'))))));
      }
      const m = memory(child.pid!);
      memRows.push(`| ${AGENTS} agents connected over ${transport} | ${m.rss.toFixed(0)} |`);
      for (const row of await latencyRows(base, transport, clients)) console.log(row);
      await Promise.all(clients.map((c) => c.close()));
    }
    const m = memory(child.pid!);
    console.log('\n| server memory | MiB |\n|---|--:|');
    for (const r of memRows) console.log(r);
    console.log(`| peak RSS over the whole run (VmHWM) | ${m.hwm.toFixed(0)} |`);
  } finally {
    child.kill('SIGTERM');
    agent.destroy();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error('benchmark failed:', e);
    process.exit(1);
  },
);
