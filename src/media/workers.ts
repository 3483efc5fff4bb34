/**
 * The media engine: the mixers of the process, in one of two modes behind one interface.
 *   - `InProcessMediaEngine`: one mixer in this thread (tests, small demos).
 *   - `WorkerMediaEngine`: N mixer workers (worker_threads, default one per CPU), each with its own
 *     clock, its own disjoint slice of the RTP port range and the sockets of its calls' legs.
 *
 * Guarantees: a call is pinned to one worker from its first command until `removeCall` (new calls go
 * to the worker with the fewest calls), so all legs of a call are mixed by one clock; commands of
 * one call are carried out in the order given (one message channel per worker); a command that
 * fails rejects with a MediaCommandError carrying the worker's message; a worker that dies rejects
 * its pending commands and forgets its calls (they are reported through `onWorkerExit`). Workers
 * run the TypeScript source under tsx when this module is itself TypeScript (development, tests),
 * and the compiled worker-main.js under plain node otherwise (see startWorker).
 */
import { Worker } from 'node:worker_threads';
import os from 'node:os';
import { executeMediaCommand, TickStatistics } from './commands.js';
import type { MediaCommand, MediaCommandResults, MediaCommandType, MediaEvents, MixerStats } from './commands.js';
import { MediaCommandError, Mixer } from './mixer.js';
import type { MixerOptions } from './mixer.js';
import { RtpPortAllocator, splitPortRange } from './ports.js';
import type { PortRange } from './ports.js';

export interface MediaEngineOptions extends MediaEvents {
  /** RTP ports for all legs (split between workers); default: ephemeral ports */
  portRange?: PortRange;
  bindAddress?: string;
  relatchAfterMs?: number;
  recordingsFolder?: string;
  relayDtmf?: boolean;
}

export interface MediaEngine {
  execute<T extends MediaCommandType>(command: Extract<MediaCommand, { type: T }>): Promise<MediaCommandResults[T]>;
  /** per mixer */
  stats(reset?: boolean): Promise<MixerStats[]>;
  close(): Promise<void>;
}

/** What a worker is started with (structured-clone safe). */
export interface WorkerSetup {
  portRange?: PortRange;
  bindAddress?: string;
  relatchAfterMs?: number;
  recordingsFolder?: string;
  relayDtmf?: boolean;
}

export type WorkerRequest = { id: number; command: MediaCommand };
export type WorkerReply =
  | { kind: 'reply'; id: number; ok: true; result: unknown }
  | { kind: 'reply'; id: number; ok: false; message: string }
  | { kind: 'digit'; callId: string; phoneNumber: string; digit: { digit: string; duration: number; volume: number; ended: boolean } };

/** Build a mixer (and its statistics) from a worker setup; the one recipe for both modes. */
export function mixerFromSetup(setup: WorkerSetup, events: MediaEvents): { mixer: Mixer; statistics: TickStatistics } {
  const statistics = new TickStatistics();
  const options: MixerOptions = {
    allocator: setup.portRange ? new RtpPortAllocator(setup.portRange) : undefined,
    bindAddress: setup.bindAddress,
    relatchAfterMs: setup.relatchAfterMs,
    recordingsFolder: setup.recordingsFolder,
    relayDtmf: setup.relayDtmf,
    onDigit: events.onDigit,
    onTickDone: (latenessMs, workMs) => statistics.record(latenessMs, workMs),
  };
  const mixer = new Mixer(options);
  mixer.start();
  return { mixer, statistics };
}

function setupOf(options: MediaEngineOptions, portRange: PortRange | undefined): WorkerSetup {
  return {
    portRange,
    bindAddress: options.bindAddress,
    relatchAfterMs: options.relatchAfterMs,
    recordingsFolder: options.recordingsFolder,
    relayDtmf: options.relayDtmf,
  };
}

export class InProcessMediaEngine implements MediaEngine {
  private readonly mixer: Mixer;
  private readonly statistics: TickStatistics;

  constructor(options: MediaEngineOptions = {}) {
    ({ mixer: this.mixer, statistics: this.statistics } = mixerFromSetup(setupOf(options, options.portRange), options));
  }

  async execute<T extends MediaCommandType>(command: Extract<MediaCommand, { type: T }>): Promise<MediaCommandResults[T]> {
    return (await executeMediaCommand(this.mixer, command, this.statistics)) as MediaCommandResults[T];
  }

  async stats(reset = false): Promise<MixerStats[]> {
    return [this.statistics.summary(this.mixer, reset)];
  }

  close(): Promise<void> {
    return this.mixer.close();
  }
}

interface WorkerSlot {
  worker: Worker;
  calls: number;
  pending: Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>;
  exited: boolean;
}

/**
 * How to start a worker. Compiled JavaScript: worker-main.js next to this file, plain node. TypeScript
 * (tsx in development and tests): Node 20 does not pass the parent's tsx loader hooks to a worker's
 * main module, so a two-line bootstrap registers tsx (resolved from this file, so the working
 * directory does not matter) and then imports worker-main.ts.
 */
function startWorker(setup: WorkerSetup): Worker {
  if (!import.meta.url.endsWith('.ts')) {
    return new Worker(new URL('./worker-main.js', import.meta.url), { workerData: setup });
  }
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./worker-main.ts', import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: setup });
}

export interface WorkerMediaEngineOptions extends MediaEngineOptions {
  /** default: the number of CPUs */
  workers?: number;
  onWorkerExit?: (workerIndex: number, callIds: string[]) => void;
}

export class WorkerMediaEngine implements MediaEngine {
  private readonly slots: WorkerSlot[];
  private readonly callWorker = new Map<string, number>();
  private nextId = 1;
  private closing = false;

  constructor(private readonly options: WorkerMediaEngineOptions = {}) {
    const count = options.workers ?? os.availableParallelism();
    if (!Number.isInteger(count) || count < 1) throw new RangeError('at least one media worker');
    const ranges = options.portRange ? splitPortRange(options.portRange, count) : undefined;
    this.slots = Array.from({ length: count }, (_, index) => {
      const worker = startWorker(setupOf(options, ranges?.[index]));
      const slot: WorkerSlot = { worker, calls: 0, pending: new Map(), exited: false };
      worker.on('message', (message: WorkerReply) => this.received(slot, message));
      worker.on('error', () => {
        // the 'exit' that follows rejects what was pending
      });
      worker.on('exit', () => this.exited(index, slot));
      return slot;
    });
  }

  get workerCount(): number {
    return this.slots.length;
  }

  /** The worker a call is pinned to, if it has one. */
  workerOf(callId: string): number | undefined {
    return this.callWorker.get(callId);
  }

  async execute<T extends MediaCommandType>(command: Extract<MediaCommand, { type: T }>): Promise<MediaCommandResults[T]> {
    if (command.type === 'stats') throw new MediaCommandError('use stats() for every worker');
    const callId = (command as { callId: string }).callId;
    let index = this.callWorker.get(callId);
    if (index === undefined) {
      if (command.type === 'removeCall') return undefined as MediaCommandResults[T];
      index = this.leastLoaded();
      this.callWorker.set(callId, index);
      this.slots[index].calls++;
    }
    const result = await this.send(this.slots[index], command);
    if (command.type === 'removeCall' && this.callWorker.get(callId) === index) {
      this.callWorker.delete(callId);
      this.slots[index].calls--;
    }
    return result as MediaCommandResults[T];
  }

  async stats(reset = false): Promise<MixerStats[]> {
    return Promise.all(this.slots.map((slot) => this.send(slot, { type: 'stats', reset }) as Promise<MixerStats>));
  }

  /** Remove every call (closing its sockets, finishing its recording), then stop the workers. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.allSettled([...this.callWorker.keys()].map((callId) => this.execute({ type: 'removeCall', callId })));
    await Promise.all(this.slots.map((slot) => (slot.exited ? undefined : slot.worker.terminate())));
  }

  private leastLoaded(): number {
    let best = -1;
    this.slots.forEach((slot, index) => {
      if (!slot.exited && (best < 0 || slot.calls < this.slots[best].calls)) best = index;
    });
    if (best < 0) throw new MediaCommandError('no media worker is running');
    return best;
  }

  private send(slot: WorkerSlot, command: MediaCommand): Promise<unknown> {
    if (slot.exited) return Promise.reject(new MediaCommandError('the media worker of this call has stopped'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ id, command } satisfies WorkerRequest);
    });
  }

  private received(slot: WorkerSlot, message: WorkerReply): void {
    if (message.kind === 'digit') {
      this.options.onDigit?.(message.callId, message.phoneNumber, message.digit);
      return;
    }
    const waiter = slot.pending.get(message.id);
    if (!waiter) return;
    slot.pending.delete(message.id);
    if (message.ok) waiter.resolve(message.result);
    else waiter.reject(new MediaCommandError(message.message));
  }

  private exited(index: number, slot: WorkerSlot): void {
    slot.exited = true;
    for (const waiter of slot.pending.values()) waiter.reject(new MediaCommandError('the media worker stopped'));
    slot.pending.clear();
    const lost = [...this.callWorker].filter(([, worker]) => worker === index).map(([callId]) => callId);
    for (const callId of lost) this.callWorker.delete(callId);
    slot.calls = 0;
    if (!this.closing) this.options.onWorkerExit?.(index, lost);
  }
}

/**
 * The engine for a worker count, as `media.workers` in the configuration means it: 0 mixes in this
 * thread (InProcessMediaEngine), N >= 1 starts N mixer workers.
 */
export function createMediaEngine(options: WorkerMediaEngineOptions & { workers: number }): MediaEngine {
  if (!Number.isInteger(options.workers) || options.workers < 0) throw new RangeError('media workers must be 0 or more');
  return options.workers === 0 ? new InProcessMediaEngine(options) : new WorkerMediaEngine(options);
}
