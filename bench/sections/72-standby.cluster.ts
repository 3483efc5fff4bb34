/**
 * Bench section `standby` (cluster: `npm run bench -- --cluster --only=standby`, or alone with
 * `npx tsx bench/sections/72-standby.cluster.ts [--lengths=10000,50000,200000]`): the takeover time
 * of a contact center against the length of its log, with and without a hot standby
 * (src/cluster/standby.ts), in the same run, over a real nats-server; and what a replica costs.
 *
 * Workload: one contact center (3 agents, a routing point); each call is 4 commands (a customer calls
 * the routing point, the agent who rings answers, hangs up, becomes Ready), run on an in-memory
 * logged switch until the log is as long as the row says, then copied into JetStream under the same
 * contact center (pipelined publishes), the last TAIL entries after the standby has caught up (what
 * an owner writes while the standby follows). Rows, per length:
 *   - catch-up: a standby that joins when the log is already written, until its replica has
 *     received everything (what a node that joins late or has just lost ownership pays once, off
 *     the takeover's path);
 *   - takeover with the standby: LoggedSwitch.open with the replica (read of the tail, owner entry,
 *     replay of the tail, going live), and the entries it replayed;
 *   - takeover without: LoggedSwitch.open from nothing (read of the whole log + replay);
 *   - the replica's memory: heap after a full GC with the switch the replica became, less the heap
 *     once it is freed (the retained switch state; the log entries themselves are not kept); and the
 *     heap growth from before the standby was made to when it has caught up (replica, NATS client
 *     and consumer together); then, apart, 20 standbys at once of contact centers left with calls
 *     up: the heap growth per standby.
 * The lease TTL (3 s) and the watch (250 ms) come on top of both takeovers alike (docs/scale-out.md).
 * Each path is warmed up first on a short log. Prints a Markdown table, the machine line and a
 * `BENCH standby` line. Bounded: about a minute for the default lengths on this machine.
 */
import os from 'node:os';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { connect, headers as natsHeaders, JSONCodec, type JetStreamClient } from 'nats';
import { subjects, type LogEntry, type LoggedEntry } from '../../src/cluster/contract.js';
import { JetStreamCommandLog } from '../../src/cluster/jetstream-log.js';
import { LoggedSwitch } from '../../src/cluster/logged-switch.js';
import { MemoryCommandLog } from '../../src/cluster/memory-log.js';
import { Standby } from '../../src/cluster/standby.js';
import { VirtualClock } from '../../src/switch/clock.js';
import { ccTopology, syncPort } from '../../test/cluster/unit/logged-helpers.js';
import { AGENTS, defaultSettings } from '../../test/helpers/switch-harness.js';
import { startTestNats } from '../../test/helpers/nats.js';

const lengthsArg = process.argv.find((a) => a.startsWith('--lengths='))?.slice('--lengths='.length);
const LENGTHS = (lengthsArg ?? '10000,50000,200000').split(',').map(Number);
const WARM_UP_LENGTH = 3000;
/** entries written after the standby caught up (the owner's last inputs before it died) */
const TAIL = 20;
/** publishes in flight while copying a log into JetStream */
const COPY_IN_FLIGHT = 256;
const WAIT_MS = 120_000;
/** the memory row: this many standbys at once, each of a contact center left with calls up */
const MEMORY_REPLICAS = 20;
const MEMORY_LOG_LENGTH = 2000;
const MEMORY_CALLS_UP = 12;

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapAfterGc = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

/**
 * ccId's log of `length` entries, written by a live logged switch in memory (under ccId itself: a
 * CallUUID names its contact center, so a log replays only under the id it was written for)
 */
function writeLog(cc: string, length: number, callsLeftUp = 0): LoggedEntry[] {
  const log = new MemoryCommandLog();
  const clock = new VirtualClock();
  const sw = syncPort(LoggedSwitch.open({ ccId: cc, node: 'writer', log, clock }) as LoggedSwitch);
  sw.configure(ccTopology(cc, defaultSettings()));
  for (const dn of AGENTS) {
    sw.login(dn, { userId: 'u' + dn, isAgent: true });
    sw.setAgentState(dn, { state: 'Ready' });
  }
  for (let i = 0; log.lastSeq(cc) < length; i++) {
    clock.advance(1000);
    const inbound = sw.simulateInbound('+1555' + String(i).padStart(6, '0'), '7000');
    if (!inbound.ok) throw new Error(`inbound refused: ${inbound.error.message}`);
    const agent = AGENTS.find((dn) => sw.callView(inbound.value.callUuid, dn)?.state === 'Ringing');
    if (!agent) throw new Error('no agent rang');
    for (const name of ['Answer', 'Hangup'] as const) {
      const r = sw.callOperation(agent, inbound.value.callUuid, { name });
      if (!r.ok) throw new Error(`${name} refused: ${r.error.message}`);
    }
    sw.setAgentState(agent, { state: 'Ready' });
  }
  // calls still up at the end: the first ones answered by the agents, the others queued
  for (let i = 0; i < callsLeftUp; i++) {
    clock.advance(1000);
    const inbound = sw.simulateInbound('+1666' + String(i).padStart(6, '0'), '7000');
    const agent = inbound.ok ? AGENTS.find((dn) => sw.callView(inbound.value.callUuid, dn)?.state === 'Ringing') : undefined;
    if (agent && inbound.ok) sw.callOperation(agent, inbound.value.callUuid, { name: 'Answer' });
  }
  const entries = callsLeftUp ? log.read(cc) : log.read(cc).slice(0, length);
  if (entries.some((e) => e.entry.kind === 'observed')) throw new Error('a simulated-only switch wrote a tape: the copy would renumber it wrongly');
  return entries;
}

const codec = JSONCodec<LogEntry>();

/**
 * append `entries` to ccId's JetStream log after its sequence `afterSeq`, pipelined, in order;
 * answers the last sequence (the first publish of each batch checks the log is where the copy thinks)
 */
async function copy(js: JetStreamClient, ccId: string, entries: readonly LoggedEntry[], afterSeq: number): Promise<number> {
  let last = afterSeq;
  for (let i = 0; i < entries.length; i += COPY_IN_FLIGHT) {
    const expected = last;
    const acks = await Promise.all(
      entries.slice(i, i + COPY_IN_FLIGHT).map((e, j) => {
        const h = natsHeaders();
        if (j === 0) h.set('Nats-Expected-Last-Subject-Sequence', String(expected));
        return js.publish(subjects.log(ccId), codec.encode(e.entry), { headers: h });
      }),
    );
    last = acks[acks.length - 1].seq;
  }
  return last;
}

/** the time of the last timed entry of `entries` (the contact center's clock when its owner died) */
const lastTime = (entries: readonly LoggedEntry[]) => entries.reduce((t, e) => (e.entry.kind === 'observed' ? t : Math.max(t, e.entry.at)), 0);

/** the workload leaves no call up and every agent Ready: a replay that did not rebuild it fails the bench */
function rebuilt(sw: LoggedSwitch, what: string): void {
  for (const dn of AGENTS) {
    const device = sw.device(dn);
    if (sw.callsOf(dn).length || device?.agentState.state !== 'Ready') throw new Error(`${what} did not rebuild the workload's state: ${dn} ${JSON.stringify(device)}, calls ${sw.callsOf(dn).join(',')}`);
  }
}

function until(standby: Standby, seq: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`)), WAIT_MS);
    const check = () => {
      if (standby.droppedBecause) reject(new Error(`the standby was dropped: ${standby.droppedBecause}`));
      if (standby.receivedSequence < seq) return;
      clearTimeout(timer);
      stop();
      resolve();
    };
    const stop = standby.onChange(check);
    check();
  });
}

interface Row {
  length: number;
  catchUpMs: number;
  withMs: number;
  withReplayed: number;
  withoutMs: number;
  withoutReplayed: number;
  replicaBytes: number;
  followingBytes: number;
}

const nats = await startTestNats();
const owner = await connect({ servers: nats.url });
const watcher = await connect({ servers: nats.url });
const rows: Row[] = [];
let memoryPerReplica = 0;
let callsUp = 0;
try {
  const js = owner.jetstream();
  await JetStreamCommandLog.open(owner);
  const log = await JetStreamCommandLog.open(watcher);

  async function measure(length: number, name = String(length)): Promise<Row> {
    const ccId = `standby-${name}`;
    const entries = writeLog(ccId, length);
    const clock = new VirtualClock(lastTime(entries));
    const written = await copy(js, ccId, entries.slice(0, length - TAIL), 0);
    const heapBefore = heapAfterGc();
    let t = performance.now();
    const standby = new Standby(log, { ccId, clock }, (o, m) => console.error(m, o));
    await until(standby, written, `the standby of ${ccId} to catch up`);
    const catchUpMs = performance.now() - t;
    const last = await copy(js, ccId, entries.slice(length - TAIL), written);
    await until(standby, last, `the standby of ${ccId} to receive the tail`);
    const followingBytes = heapAfterGc() - heapBefore;

    t = performance.now();
    let fromStandby: LoggedSwitch | undefined = await LoggedSwitch.open({ ccId, node: 'standby', log, clock }, 5, standby.take());
    const withMs = performance.now() - t;
    const withReplayed = fromStandby.replayedAtTakeover;
    rebuilt(fromStandby, 'the takeover from the standby');
    fromStandby.relinquish('measured');
    const heapWithSwitch = heapAfterGc();
    fromStandby.stop();
    fromStandby = undefined;
    const replicaBytes = heapWithSwitch - heapAfterGc();

    t = performance.now();
    const cold = await LoggedSwitch.open({ ccId, node: 'cold', log, clock });
    const withoutMs = performance.now() - t;
    rebuilt(cold, 'the full replay');
    cold.relinquish('measured');
    cold.stop();
    return { length, catchUpMs, withMs, withReplayed, withoutMs, withoutReplayed: cold.replayedAtTakeover, replicaBytes, followingBytes };
  }

  await measure(WARM_UP_LENGTH, 'warm-up');
  for (const length of LENGTHS) rows.push(await measure(length));

  // memory: MEMORY_REPLICAS standbys at once, each of a contact center with calls up
  const ccs = Array.from({ length: MEMORY_REPLICAS }, (_, i) => `memory-${i}`);
  const lasts = await Promise.all(ccs.map((ccId) => copy(js, ccId, writeLog(ccId, MEMORY_LOG_LENGTH, MEMORY_CALLS_UP), 0)));
  const heapBefore = heapAfterGc();
  const standbys = ccs.map((ccId) => new Standby(log, { ccId, clock: new VirtualClock() }, (o, m) => console.error(m, o)));
  await Promise.all(standbys.map((standby, i) => until(standby, lasts[i], `the standby of ${ccs[i]}`)));
  for (const standby of standbys) standby.settle();
  memoryPerReplica = (heapAfterGc() - heapBefore) / MEMORY_REPLICAS;
  callsUp = standbys[0].switch!.callsOf('7000').length + AGENTS.reduce((n, dn) => n + standbys[0].switch!.callsOf(dn).length, 0);
  for (const standby of standbys) standby.stop();
} finally {
  await watcher.close();
  await owner.close();
  await nats.stop();
}

console.log('| log length (entries) | standby catch-up (joining late) | takeover with the standby | takeover without (full replay) | replica (heap) | heap growth while following |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  console.log(
    `| ${r.length} | ${r.catchUpMs.toFixed(0)} ms (${Math.round(r.length / (r.catchUpMs / 1000))} entries/s) | ${r.withMs.toFixed(1)} ms (${r.withReplayed} entries replayed) | ` +
      `${r.withoutMs.toFixed(0)} ms (${r.withoutReplayed} entries replayed) | ${(r.replicaBytes / 1024).toFixed(0)} KiB | ${(r.followingBytes / 1024 / 1024).toFixed(1)} MiB |`,
  );
}
console.log(
  `\nmemory per standby (replica + its ordered consumer), ${MEMORY_REPLICAS} at once, each contact center with 3 agents logged in and ${MEMORY_CALLS_UP} inbound calls left up (${callsUp} answered, the others waiting at the routing point): ` +
    `${(memoryPerReplica / 1024).toFixed(0)} KiB of heap`,
);
console.log(`\nmachine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load average ${os.loadavg()[0].toFixed(1)}`);
console.log(
  `\nBENCH standby ${rows.map((r) => `L${r.length}: with=${r.withMs.toFixed(1)}ms(${r.withReplayed}) without=${r.withoutMs.toFixed(0)}ms(${r.withoutReplayed}) catchup=${r.catchUpMs.toFixed(0)}ms replica=${(r.replicaBytes / 1024).toFixed(0)}KiB`).join(' ')} memoryPerReplica=${(memoryPerReplica / 1024).toFixed(0)}KiB`,
);
process.exit(0);
