/**
 * Bench section `cluster` (`npm run bench -- --cluster`, or alone with
 * `npx tsx bench/sections/70-cluster.cluster.ts`): Switchboard as three cluster nodes against one
 * node, every node a real process (the CLI), over a real nats-server and PostgreSQL, all measured
 * in the same run on this machine.
 *
 * Rows:
 *   - command → notification latency (p50, p99): an agent's DoNotDisturbOn/Off through REST, timed
 *     until its DeviceStateChangeMessage arrives on the agent's websocket CometD client. Single
 *     node (no NATS, `npm start` as today): REST and CometD on the one node. Three nodes: REST
 *     through a node that does not own the contact center and CometD on the other non-owner, so a
 *     command crosses REST node → owner (request/reply) → owner renders → per-user subject → the
 *     client's node: the worst path;
 *   - operations per second: CONCURRENCY agents each sending DND on/off for OPS_SECONDS, the
 *     agents' requests spread over the nodes given (1 node alone, the cluster with 1 node, the
 *     cluster with 3 nodes: every command is still applied by the one owner);
 *   - takeover: kill -9 of the owner until another node logs that it owns the contact center,
 *     and until a command through a survivor is applied again; and a graceful stop (SIGTERM: the
 *     lease is released) until the next owner.
 * Prints Markdown tables, the machine line and a `BENCH cluster` line. Bounded: about 2 minutes.
 */
import os from 'node:os';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectWebSocket, type BenchClient } from '../bayeux-client.js';
import { startPostgres } from '../../test/helpers/postgres.js';
import { OWNS, startNatsServer, startNode, type NodeProcess } from '../../scripts/cluster-demo-lib.js';

const LATENCY_SAMPLES = 300;
const CONCURRENCY = 10;
const OPS_SECONDS = 8;

const basic = (user: string) => 'Basic ' + Buffer.from(`${user}:demo`).toString('base64');

async function post(node: NodeProcess, path: string, user: string, body: unknown): Promise<any> {
  const r = await fetch(node.url + path, { method: 'POST', headers: { Authorization: basic(user), 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return r.json();
}

async function device(node: NodeProcess, user: string): Promise<{ id: string; doNotDisturb: 'On' | 'Off' }> {
  const r = await fetch(node.url + '/api/v2/me/devices?fields=*', { headers: { Authorization: basic(user) } });
  return ((await r.json()) as any).devices[0];
}

const deviceId = async (node: NodeProcess, user: string) => (await device(node, user)).id;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** DND on/off `n` times through `rest`, each timed until the client on `cometd` hears it */
async function latency(rest: NodeProcess, cometd: NodeProcess, user: string, n: number): Promise<{ p50: number; p99: number }> {
  const { id, doNotDisturb } = await device(rest, user);
  const first = doNotDisturb === 'On' ? 'Off' : 'On';
  const client: BenchClient = await connectWebSocket(cometd.url, basic(user));
  let waiting: ((dnd: string) => void) | undefined;
  client.onEvent = (m) => {
    const dnd = m.data?.devices?.[0]?.doNotDisturb;
    if (m.data?.messageType === 'DeviceStateChangeMessage' && dnd) waiting?.(dnd);
  };
  const samples: number[] = [];
  try {
    for (let i = 0; i < n + 20; i++) {
      const want = i % 2 === 0 ? first : first === 'On' ? 'Off' : 'On';
      const heard = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no DND ${want} notification within 5 s`)), 5000);
        waiting = (dnd) => {
          if (dnd !== want) return;
          clearTimeout(timer);
          resolve();
        };
      });
      const t0 = performance.now();
      const answer = await post(rest, `/api/v2/me/devices/${id}`, user, { operationName: want === 'On' ? 'DoNotDisturbOn' : 'DoNotDisturbOff' });
      if (answer.statusCode !== 0) throw new Error(`DND ${want}: ${JSON.stringify(answer)}`);
      await heard;
      if (i >= 20) samples.push(performance.now() - t0); // the first 20 warm up
    }
  } finally {
    await client.close();
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

/** CONCURRENCY agents toggling DND for OPS_SECONDS, agent i through nodes[i % nodes.length] */
async function throughput(nodes: NodeProcess[]): Promise<number> {
  const agents = Array.from({ length: CONCURRENCY }, (_, i) => `agent${i + 1}`);
  // one after another: the first login of each agent is a password verification, bounded per source
  const ids: string[] = [];
  const starts: boolean[] = [];
  for (const [i, a] of agents.entries()) {
    const d = await device(nodes[i % nodes.length]!, a);
    ids.push(d.id);
    starts.push(d.doNotDisturb === 'On');
  }
  const end = performance.now() + OPS_SECONDS * 1000;
  let done = 0;
  await Promise.all(
    agents.map(async (a, i) => {
      const node = nodes[i % nodes.length]!;
      for (let k = 0; performance.now() < end; k++) {
        const r = await post(node, `/api/v2/me/devices/${ids[i]}`, a, { operationName: (k % 2 === 0) !== starts[i] ? 'DoNotDisturbOn' : 'DoNotDisturbOff' });
        if (r.statusCode !== 0) throw new Error(`${a}: ${JSON.stringify(r)}`);
        done++;
      }
    }),
  );
  return done / OPS_SECONDS;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-cluster-'));
  const passwordKeyFile = join(dir, 'password.key');
  const configFile = join(dir, 'node.json');
  writeFileSync(configFile, JSON.stringify({ server: { publicBaseUrl: 'http://switchboard.bench' } }));
  const env = { SWITCHBOARD_CONFIG: configFile };
  const rows: string[] = [];
  const figures: Record<string, string> = {};

  // ---- one node, no cluster (npm start as today); measured before and after the cluster, since the
  // machine is shared: the spread of the two says how much the load moved during the run
  const alone = async () => {
    const single = await startNode({ id: 'single', passwordKeyFile, env, logLevel: 'warn' });
    try {
      return { latency: await latency(single, single, 'agent1', LATENCY_SAMPLES), ops: await throughput([single]) };
    } finally {
      await single.stop();
    }
  };
  const before = await alone();

  // ---- the cluster
  const pg = await startPostgres();
  const nats = await startNatsServer(join(dir, 'jetstream'));
  try {
    const databaseUrl = await pg.createDatabase();
    const spec = (id: string) => ({ id, natsUrl: nats.url, databaseUrl, passwordKeyFile, env, logLevel: 'info' });
    const n1 = await startNode(spec('n1'));
    await n1.waitForLog((l) => l.msg === OWNS, 30_000, 'n1 to own the demo contact center');
    const oneNodeOps = await throughput([n1]);
    const n2 = await startNode(spec('n2'));
    const n3 = await startNode(spec('n3'));
    const clusterLatency = await latency(n2, n3, 'agent1', LATENCY_SAMPLES);
    const threeNodeOps = await throughput([n1, n2, n3]);

    // takeover after kill -9 of the owner, seen from n2 and n3
    const killedAt = performance.now();
    n1.signal('SIGKILL');
    const owner = await Promise.race([n2, n3].map((n) => n.waitForLog((l) => l.msg === OWNS && l.node === n.id, 15_000, 'a new owner').then(() => n)));
    const ownedMs = performance.now() - killedAt;
    const survivor = owner === n2 ? n3 : n2;
    let appliedMs = NaN;
    for (;;) {
      const d = await device(survivor, 'agent2').catch(() => undefined);
      const r = d ? await post(survivor, `/api/v2/me/devices/${d.id}`, 'agent2', { operationName: d.doNotDisturb === 'On' ? 'DoNotDisturbOff' : 'DoNotDisturbOn' }) : undefined;
      if (r?.statusCode === 0) {
        appliedMs = performance.now() - killedAt;
        break;
      }
      if (performance.now() - killedAt > 15_000) throw new Error(`no command applied 15 s after the kill: ${JSON.stringify(r)}`);
    }
    // graceful: SIGTERM of the new owner releases the lease
    const stoppedAt = performance.now();
    const stopping = owner.stop();
    await survivor.waitForLog((l) => l.msg === OWNS && l.node === survivor.id, 15_000, 'the survivor to own after a graceful stop');
    const gracefulMs = performance.now() - stoppedAt;
    await stopping;
    await survivor.stop();
    const after = await alone();
    const both = (f: (r: typeof before) => number, digits: number) => `${f(before).toFixed(digits)} / ${f(after).toFixed(digits)}`;

    rows.push(
      '| measure | 1 node, no cluster (before / after) | cluster, 1 node | cluster, 3 nodes |',
      '|---|---|---|---|',
      `| command → notification p50 (ms) | ${both((r) => r.latency.p50, 2)} | – | ${clusterLatency.p50.toFixed(2)} (REST n2 → owner n1 → CometD n3) |`,
      `| command → notification p99 (ms) | ${both((r) => r.latency.p99, 2)} | – | ${clusterLatency.p99.toFixed(2)} |`,
      `| DND operations per second (${CONCURRENCY} agents, ${OPS_SECONDS} s) | ${both((r) => r.ops, 0)} | ${oneNodeOps.toFixed(0)} | ${threeNodeOps.toFixed(0)} |`,
      '',
      '| takeover | ms |',
      '|---|---|',
      `| kill -9 of the owner → a survivor owns the contact center | ${ownedMs.toFixed(0)} |`,
      `| kill -9 of the owner → a command through a survivor is applied | ${appliedMs.toFixed(0)} |`,
      `| SIGTERM of the owner (lease released) → the next owner | ${gracefulMs.toFixed(0)} |`,
    );
    Object.assign(figures, {
      p50single: after.latency.p50.toFixed(2),
      p99single: after.latency.p99.toFixed(2),
      p50cluster: clusterLatency.p50.toFixed(2),
      p99cluster: clusterLatency.p99.toFixed(2),
      opsSingle: after.ops.toFixed(0),
      opsSingleBefore: before.ops.toFixed(0),
      ops1: oneNodeOps.toFixed(0),
      ops3: threeNodeOps.toFixed(0),
      takeoverMs: ownedMs.toFixed(0),
      appliedMs: appliedMs.toFixed(0),
      gracefulMs: gracefulMs.toFixed(0),
    });
  } finally {
    await nats.stop();
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(rows.join('\n'));
  console.log(
    `\nmachine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load average ${os.loadavg()[0].toFixed(1)}; ` +
      'every node, nats-server and PostgreSQL on this machine (loopback); ratios, not absolute numbers, are the figures',
  );
  console.log(`\nBENCH cluster ${Object.entries(figures).map(([k, v]) => `${k}=${v}`).join(' ')}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
