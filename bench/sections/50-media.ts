/**
 * Bench section `media` (`npm run bench`, or alone `npm run bench:media`): what the media path costs, as a Markdown table.
 *
 * For each size K (monitored 3-party calls: customer, agent, supervisor in Coach), two runs against
 * the same load generator (a child process with one UDP socket per leg, each sending one 20 ms
 * PCMU packet per tick on its own drift-corrected clock and counting what comes back):
 *   1. baseline: 3K raw UDP echo sockets in one worker thread of this process, like the mixer's
 *      legs (receive a packet, send it back to its source); `--echo-in=main` puts them in the main
 *      thread instead (measured the same within noise);
 *   2. mixer: one WorkerMediaEngine with ONE mixer worker holding the K calls (3K RTP legs).
 * Both are measured over the same window with process.cpuUsage (this whole process: main thread
 * and worker), so "CPU µs per packet" (packets in + out) compares like with like; the ratio
 * mixer / echo is the figure. Tick lateness p50/p99/max comes from the worker's clock. Each size
 * runs `repeats` echo/mixer pairs back to back (neighbours' load changes from minute to minute; a
 * pair sees about the same), and the summary gives the median of the pairs' ratios. Bounded: the
 * full run takes about 80 s; `--quick` runs one small pair. Traffic stays on 127.0.0.1.
 * Options: --quick, --sizes=100,300, --repeats=2, --seconds=5, --mode=both|echo|mixer (one side
 * only, for profiling), --echo-in=worker|main.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { TickClock } from '../../src/media/clock.js';
import { MU_LAW, encode } from '../../src/media/g711.js';
import { serializeRtp } from '../../src/media/rtp.js';
import { WorkerMediaEngine } from '../../src/media/workers.js';

const argument = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const QUICK = process.argv.includes('--quick');
const SIZES = (argument('sizes') ?? (QUICK ? '50' : '100,300')).split(',').map(Number);
const REPEATS = Number(argument('repeats') ?? (QUICK ? 1 : 2));
const SECONDS = Number(argument('seconds') ?? (QUICK ? 3 : 5));
const MODE = argument('mode') ?? 'both';
const ECHO_IN = argument('echo-in') ?? 'worker';
const WARM_UP_MS = 1000;

// ---------------------------------------------------------------------------------------------
// The load generator (child process)

type GeneratorRequest = { kind: 'start'; ports: number[] } | { kind: 'count' } | { kind: 'stop' };
type GeneratorReply = { kind: 'started' } | { kind: 'count'; sent: number; received: number };

async function runLoadGenerator(): Promise<void> {
  let sockets: dgram.Socket[] = [];
  let sent = 0;
  let received = 0;
  let clock: TickClock | undefined;
  const payload = encode(MU_LAW, Int16Array.from({ length: 160 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000))));
  const reply = (message: GeneratorReply) => process.send!(message);
  process.on('message', async (request: GeneratorRequest) => {
    if (request.kind === 'start') {
      sockets = await Promise.all(
        request.ports.map(
          () =>
            new Promise<dgram.Socket>((resolve) => {
              const socket = dgram.createSocket('udp4');
              socket.on('message', () => received++);
              socket.on('error', () => {});
              socket.bind(0, '127.0.0.1', () => resolve(socket));
            }),
        ),
      );
      const packets = request.ports.map((_, leg) => serializeRtp({ marker: false, payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: leg + 1 }, payload));
      clock = new TickClock({
        onTick: (tick) => {
          for (let leg = 0; leg < sockets.length; leg++) {
            const packet = packets[leg];
            packet[2] = (tick >> 8) & 0xff;
            packet[3] = tick & 0xff;
            const timestamp = (tick * 160) >>> 0;
            packet[4] = timestamp >>> 24;
            packet[5] = (timestamp >>> 16) & 0xff;
            packet[6] = (timestamp >>> 8) & 0xff;
            packet[7] = timestamp & 0xff;
            sockets[leg].send(packet, request.ports[leg], '127.0.0.1');
            sent++;
          }
        },
      });
      clock.start();
      reply({ kind: 'started' });
    } else if (request.kind === 'count') {
      reply({ kind: 'count', sent, received });
    } else {
      clock?.stop();
      for (const socket of sockets) socket.close();
      process.exit(0);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// The measuring side

class Generator {
  private readonly child: ChildProcess;
  private waiting: ((reply: GeneratorReply) => void) | undefined;
  constructor() {
    this.child = fork(fileURLToPath(import.meta.url), ['--load-generator'], { execArgv: process.execArgv, stdio: 'inherit' });
    this.child.on('message', (reply: GeneratorReply) => this.waiting?.(reply));
  }
  private ask(request: GeneratorRequest): Promise<GeneratorReply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`load generator did not answer ${request.kind}`)), 30000);
      this.waiting = (reply) => {
        clearTimeout(timer);
        resolve(reply);
      };
      this.child.send(request);
    });
  }
  start(ports: number[]) {
    return this.ask({ kind: 'start', ports });
  }
  async count() {
    return (await this.ask({ kind: 'count' })) as Extract<GeneratorReply, { kind: 'count' }>;
  }
  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.send({ kind: 'stop' });
    });
  }
}

interface Measurement {
  packetsPerSecond: number;
  cpuPercent: number;
  microsecondsPerPacket: number;
  lateness?: { p50: number; p99: number; max: number };
  lost: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function measure(ports: number[], readLateness?: (reset: boolean) => Promise<{ p50: number; p99: number; max: number }>): Promise<Measurement> {
  const generator = new Generator();
  try {
    await generator.start(ports);
    await sleep(WARM_UP_MS);
    await readLateness?.(true);
    const before = await generator.count();
    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    await sleep(SECONDS * 1000);
    const cpu = process.cpuUsage(cpuBefore);
    const wallMs = performance.now() - wallBefore;
    const after = await generator.count();
    const lateness = await readLateness?.(false);
    const packetsIn = after.sent - before.sent;
    const packetsOut = after.received - before.received;
    const cpuMicroseconds = cpu.user + cpu.system;
    return {
      packetsPerSecond: ((packetsIn + packetsOut) / wallMs) * 1000,
      cpuPercent: (cpuMicroseconds / 1000 / wallMs) * 100,
      microsecondsPerPacket: cpuMicroseconds / Math.max(1, packetsIn + packetsOut),
      lateness,
      lost: Math.max(0, packetsIn - packetsOut),
    };
  } finally {
    await generator.stop();
  }
}

/** The echo sockets in a worker thread, like the mixer's legs (plain JavaScript: nothing to load). */
const ECHO_WORKER = `
const dgram = require('node:dgram');
const { parentPort, workerData } = require('node:worker_threads');
const sockets = [];
let bound = 0;
for (let i = 0; i < workerData.legs; i++) {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (message, source) => socket.send(message, source.port, source.address));
  socket.bind(0, '127.0.0.1', () => {
    if (++bound === workerData.legs) parentPort.postMessage(sockets.map((s) => s.address().port));
  });
  sockets.push(socket);
}
parentPort.on('message', () => {
  for (const socket of sockets) socket.close();
  parentPort.close();
});
`;

async function echoRun(legs: number): Promise<Measurement> {
  if (ECHO_IN === 'worker') {
    const worker = new Worker(ECHO_WORKER, { eval: true, workerData: { legs } });
    const ports = await new Promise<number[]>((resolve) => worker.once('message', resolve));
    try {
      return await measure(ports);
    } finally {
      worker.postMessage('close');
      await new Promise((resolve) => worker.once('exit', resolve));
    }
  }
  const sockets = await Promise.all(
    Array.from(
      { length: legs },
      () =>
        new Promise<dgram.Socket>((resolve) => {
          const socket = dgram.createSocket('udp4');
          socket.on('message', (message, source) => socket.send(message, source.port, source.address));
          socket.bind(0, '127.0.0.1', () => resolve(socket));
        }),
    ),
  );
  try {
    return await measure(sockets.map((socket) => (socket.address() as AddressInfo).port));
  } finally {
    for (const socket of sockets) socket.close();
  }
}

const COACH = (callId: string) => [
  { phoneNumber: `${callId}-C`, hears: [`${callId}-A`] },
  { phoneNumber: `${callId}-A`, hears: [`${callId}-C`, `${callId}-S`] },
  { phoneNumber: `${callId}-S`, hears: [`${callId}-C`, `${callId}-A`] },
];

async function mixerRun(calls: number): Promise<Measurement> {
  const engine = new WorkerMediaEngine({ workers: 1 });
  try {
    const ports: number[] = [];
    for (let call = 0; call < calls; call++) {
      const callId = `call${call}`;
      for (const party of ['C', 'A', 'S']) {
        const { port } = await engine.execute({ type: 'addLeg', callId, phoneNumber: `${callId}-${party}`, request: { codec: party === 'S' ? 'PCMA' : 'PCMU' } });
        ports.push(port);
      }
      await engine.execute({ type: 'setMatrix', callId, matrix: COACH(callId) });
    }
    return await measure(ports, async (reset) => {
      const [stats] = await engine.stats(reset);
      return { p50: stats.latenessP50, p99: stats.latenessP99, max: stats.latenessMax };
    });
  } finally {
    await engine.close();
  }
}

const fixed = (value: number, digits = 1) => value.toFixed(digits);

async function main(): Promise<void> {
  console.log(`# media bench: ${SIZES.join(', ')} monitored 3-party calls, ${REPEATS} pair(s) each, ${SECONDS} s windows, 1 mixer worker, node ${process.version}\n`);
  console.log('| calls | legs | pair | mode | offered in+out /s | packets in+out /s | CPU (this process) | CPU per call | CPU µs per packet | mixer / echo per packet | tick lateness p50 / p99 / max ms | packets not returned |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  let best: { calls: number; mixer: Measurement } | undefined;
  const ratios = new Map<number, number[]>();
  for (const calls of SIZES) for (let pair = 1; pair <= REPEATS; pair++) {
    const legs = 3 * calls;
    const echo = MODE === 'mixer' ? undefined : await echoRun(legs);
    const mixer = MODE === 'echo' ? undefined : await mixerRun(calls);
    if (echo && mixer) ratios.set(calls, [...(ratios.get(calls) ?? []), mixer.microsecondsPerPacket / echo.microsecondsPerPacket]);
    const row = (mode: string, m: Measurement, ratio: string) =>
      console.log(
        `| ${calls} | ${legs} | ${pair} | ${mode} | ${legs * 100} | ${Math.round(m.packetsPerSecond)} | ${fixed(m.cpuPercent)} % | ${fixed(m.cpuPercent / calls, 3)} % | ${fixed(m.microsecondsPerPacket, 2)} | ${ratio} | ${
          m.lateness ? `${fixed(m.lateness.p50)} / ${fixed(m.lateness.p99)} / ${fixed(m.lateness.max)}` : '–'
        } | ${m.lost} |`,
      );
    if (echo) row('raw UDP echo', echo, '1.00');
    if (mixer) row('mixer worker', mixer, echo ? fixed(mixer.microsecondsPerPacket / echo.microsecondsPerPacket, 2) : '–');
    if (mixer?.lateness && mixer.lateness.p99 <= 10 && mixer.lost === 0 && (!best || calls > best.calls)) best = { calls, mixer };
  }
  console.log('');
  for (const [calls, values] of ratios) {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = sorted.length / 2;
    const median = sorted.length % 2 ? sorted[Math.floor(middle)] : (sorted[middle - 1] + sorted[middle]) / 2;
    console.log(`${calls} calls: mixer / echo CPU per packet, median of ${values.length} pair(s): ${fixed(median, 2)} (${sorted.map((v) => fixed(v, 2)).join(', ')})`);
  }
  console.log(
    best
      ? `Largest size held by one mixer worker at p99 tick lateness <= 10 ms with every packet returned: ${best.calls} monitored calls (${fixed(best.mixer.cpuPercent)} % CPU, ≈ ${Math.floor((100 * best.calls) / best.mixer.cpuPercent)} calls per core at that cost).`
      : 'No size held p99 tick lateness <= 10 ms with every packet returned in this run.',
  );
  console.log(
    'Offered = 50 packets/s in and 50 out per leg; a lower measured rate means the load generator or the mixer was starved of CPU (the figures of that row are then not a capacity).',
  );
  console.log('CPU per call = CPU / calls; a core is 100 %. Monitored calls per core at this cost ≈ 100 % / (CPU per call), valid while p99 lateness stays ≤ 10 ms.');
}

if (process.argv.includes('--load-generator')) await runLoadGenerator();
else await main();
