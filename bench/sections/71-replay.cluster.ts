/**
 * Bench section `replay` (cluster: `npm run bench -- --cluster`, or alone with
 * `npx tsx bench/sections/71-replay.cluster.ts`): what the cluster core's log costs, and how fast a
 * new owner rebuilds a contact center (issue 11: takeover within 5 s), beside the plain call model
 * measured in the same run.
 *
 * Workload: one contact center (3 agents, a routing point); each call is 4 commands — a customer
 * calls the routing point, the agent who rings answers, hangs up, becomes Ready again.
 * Rows:
 *   - call model: the commands on a plain CallModel (the baseline);
 *   - logged, in-memory log: the same through LoggedSwitch over MemoryCommandLog (JSON copies,
 *     tape, clock pinning: the logging machinery without I/O);
 *   - logged, JetStream: the same over a real nats-server (one acknowledged publish per command);
 *   - DND toggles on JetStream, one at a time and 16 in flight (group commit: the inputs that
 *     arrive while an append is in flight share the next one);
 *   - forwarded: the same from another connection through the forwarding port and the owner's
 *     command server (request/reply per command and per query, then the JetStream append);
 *   - replay: LoggedSwitch.replayLog of the in-memory log's entries (entries per second, and the
 *     log length a 5 s takeover can replay at that rate);
 *   - takeover, JetStream: LoggedSwitch.open on the JetStream log (read + owner entry + replay).
 * Each path is warmed up first (500 calls). Prints a Markdown table, the machine line and a `BENCH replay` line. Bounded: well under a minute.
 */
import os from 'node:os';
import { connect } from 'nats';
import { serveCommands } from '../../src/cluster/command-server.js';
import { forwardingPort } from '../../src/cluster/forwarding-port.js';
import { JetStreamCommandLog } from '../../src/cluster/jetstream-log.js';
import { LoggedSwitch } from '../../src/cluster/logged-switch.js';
import { MemoryCommandLog } from '../../src/cluster/memory-log.js';
import { CallModel } from '../../src/switch/call-model.js';
import { VirtualClock, countingIds } from '../../src/switch/clock.js';
import type { SwitchAccess } from '../../src/switch/port-access.js';
import { ccTopology } from '../../test/cluster/unit/logged-helpers.js';
import { AGENTS, defaultSettings } from '../../test/helpers/switch-harness.js';
import { startTestNats } from '../../test/helpers/nats.js';

const CALLS_IN_MEMORY = 3000;
const CALLS_JETSTREAM = 600;
const WARM_UP_CALLS = 500;
const DND_TOGGLES = 800;
const DND_IN_FLIGHT = 16;

/** `total` DND toggles by `inFlight` workers at once; answers toggles per second */
async function toggles(sw: SwitchAccess, inFlight: number, total: number): Promise<number> {
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) {
        const i = next++;
        const r = await sw.setDoNotDisturb(AGENTS[i % AGENTS.length], i % 2 === 0);
        if (!r.ok) throw new Error(`DND refused: ${r.error.message}`);
      }
    }),
  );
  return total / ((performance.now() - t) / 1000);
}
const CC = 'bench-cc';

async function prepare(sw: SwitchAccess): Promise<void> {
  await sw.configure(ccTopology(CC, defaultSettings()));
  for (const dn of AGENTS) {
    await sw.login(dn, { userId: 'u' + dn, isAgent: true });
    await sw.setAgentState(dn, { state: 'Ready' });
  }
}

/** runs `calls` calls; answers the commands run per second */
async function calls(sw: SwitchAccess, calls: number): Promise<{ commands: number; perSecond: number }> {
  let commands = 0;
  const t = performance.now();
  for (let i = 0; i < calls; i++) {
    const inbound = await sw.simulateInbound('+1555' + String(i).padStart(6, '0'), '7000');
    commands++;
    if (!inbound.ok) throw new Error(`inbound refused: ${inbound.error.message}`);
    let agent: string | undefined;
    for (const dn of AGENTS) if ((await sw.callView(inbound.value.callUuid, dn))?.state === 'Ringing') agent = dn;
    if (!agent) throw new Error('no agent rang');
    for (const name of ['Answer', 'Hangup'] as const) {
      const r = await sw.callOperation(agent, inbound.value.callUuid, { name });
      commands++;
      if (!r.ok) throw new Error(`${name} refused: ${r.error.message}`);
    }
    await sw.setAgentState(agent, { state: 'Ready' });
    commands++;
  }
  return { commands, perSecond: commands / ((performance.now() - t) / 1000) };
}

function timedSync<T>(fn: () => T): { ms: number; value: T } {
  const t = performance.now();
  const value = fn();
  return { ms: performance.now() - t, value };
}

// warm-up (JIT): a short run of each path first, so the order of the rows does not decide the ratios
{
  const warmModel = new CallModel({ clock: new VirtualClock(), ids: countingIds() });
  await prepare(warmModel);
  await calls(warmModel, WARM_UP_CALLS);
  const warmLog = new MemoryCommandLog();
  const warmClock = new VirtualClock();
  const warmLogged = (await LoggedSwitch.open({ ccId: CC, node: 'warm', log: warmLog, clock: warmClock })) as LoggedSwitch;
  await prepare(warmLogged);
  await calls(warmLogged, WARM_UP_CALLS);
  LoggedSwitch.replayLog(warmLog.read(CC), { ccId: CC, clock: warmClock });
}

const plain = new CallModel({ clock: new VirtualClock(), ids: countingIds() });
await prepare(plain);
const baseline = await calls(plain, CALLS_IN_MEMORY);

const memoryLog = new MemoryCommandLog();
const memoryClock = new VirtualClock();
const inMemory = (await LoggedSwitch.open({ ccId: CC, node: 'bench', log: memoryLog, clock: memoryClock })) as LoggedSwitch;
await prepare(inMemory);
const logged = await calls(inMemory, CALLS_IN_MEMORY);
const entries = memoryLog.read(CC);
const replay = timedSync(() => LoggedSwitch.replayLog(entries, { ccId: CC, clock: memoryClock }));
const replayPerSecond = entries.length / (replay.ms / 1000);

const nats = await startTestNats();
const nc = await connect({ servers: nats.url });
const client = await connect({ servers: nats.url });
let jetstream: { commands: number; perSecond: number };
let forwarded: { commands: number; perSecond: number };
let dndOne = 0;
let dndMany = 0;
let takeoverMs: number;
let jetstreamEntries: number;
try {
  const log = await JetStreamCommandLog.open(nc);
  const owner = await LoggedSwitch.open({ ccId: CC, node: 'first', log, clock: new VirtualClock() });
  await prepare(owner);
  jetstream = await calls(owner, CALLS_JETSTREAM);
  dndOne = await toggles(owner, 1, DND_TOGGLES);
  dndMany = await toggles(owner, DND_IN_FLIGHT, DND_TOGGLES);
  const stopServer = serveCommands(nc, CC, owner);
  forwarded = await calls(forwardingPort(client, CC), CALLS_JETSTREAM / 2);
  await stopServer();
  jetstreamEntries = await log.read(CC).then((e) => e.length);
  const t = performance.now();
  await LoggedSwitch.open({ ccId: CC, node: 'second', log, clock: new VirtualClock() });
  takeoverMs = performance.now() - t;
} finally {
  await client.close();
  await nc.close();
  await nats.stop();
}

const rows: [string, string, string][] = [
  ['call model (baseline)', `${Math.round(baseline.perSecond)} commands/s`, '1.00'],
  ['logged, in-memory log', `${Math.round(logged.perSecond)} commands/s`, (logged.perSecond / baseline.perSecond).toFixed(2)],
  ['logged, JetStream (1 node, local nats-server)', `${Math.round(jetstream.perSecond)} commands/s`, (jetstream.perSecond / baseline.perSecond).toFixed(3)],
  ['DND on JetStream, 1 in flight', `${Math.round(dndOne)} commands/s`, (dndOne / baseline.perSecond).toFixed(3)],
  [`DND on JetStream, ${DND_IN_FLIGHT} in flight (group commit)`, `${Math.round(dndMany)} commands/s`, (dndMany / baseline.perSecond).toFixed(3)],
  ['forwarded from another connection (request/reply + JetStream)', `${Math.round(forwarded.perSecond)} commands/s`, (forwarded.perSecond / baseline.perSecond).toFixed(3)],
  [`replay of ${entries.length} entries`, `${Math.round(replayPerSecond)} entries/s (${replay.ms.toFixed(0)} ms); 5 s replays ≈ ${Math.round(replayPerSecond * 5)} entries`, (replayPerSecond / baseline.perSecond).toFixed(2)],
  [`takeover from JetStream, ${jetstreamEntries} entries`, `${takeoverMs.toFixed(0)} ms (read + owner entry + replay)`, '—'],
];
console.log('| what | rate | ratio to the call model |');
console.log('| --- | --- | --- |');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
console.log(`\nmachine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load average ${os.loadavg()[0].toFixed(1)}`);
console.log(
  `\nBENCH replay baseline=${baseline.perSecond.toFixed(0)}/s memory=${logged.perSecond.toFixed(0)}/s jetstream=${jetstream.perSecond.toFixed(0)}/s forwarded=${forwarded.perSecond.toFixed(0)}/s dnd1=${dndOne.toFixed(0)}/s dnd${DND_IN_FLIGHT}=${dndMany.toFixed(0)}/s ` +
    `replay=${replayPerSecond.toFixed(0)}entries/s takeover${jetstreamEntries}=${takeoverMs.toFixed(0)}ms`,
);
process.exit(0);
