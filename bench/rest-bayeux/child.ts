/**
 * The processes of the REST/Bayeux bench section and how they talk: every server and the load
 * generator is a child process run through tsx with an IPC channel. A child answers requests
 * `{id, op, ...}` with `{id, ...}` (or `{id, error}`); it measures itself (`process.cpuUsage()`,
 * VmRSS) so the parent reads CPU in microseconds, not in /proc clock ticks; `memory` reads the
 * heap after a full garbage collection when the child runs with --expose-gc (`Child.start`'s
 * nodeArgs), so a memory row compares live objects, not whatever garbage a GC left. `serve(handlers)` is
 * the child's side, `Child` the parent's. A child that exits before answering fails the pending
 * request loudly; no request waits longer than its timeout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

export type Handlers = Record<string, (msg: any) => unknown | Promise<unknown>>;

/** what a child answers about itself: CPU time so far (µs; `systemMicros` of it in the kernel) and resident memory (MiB) */
export interface Usage {
  cpuMicros: number;
  systemMicros: number;
  rssMiB: number;
}

export function usage(): Usage {
  const c = process.cpuUsage();
  const status = readFileSync('/proc/self/status', 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { cpuMicros: c.user + c.system, systemMicros: c.system, rssMiB: rssKb / 1024 };
}

/**
 * Keep this process's event loop polling while `condition()` holds: a chain of immediates, so the
 * loop polls its sockets (epoll_wait with no timeout) instead of sleeping until one is ready, and
 * a server's write to it never has to wake it (http-load.ts `run` says why that matters). The
 * chain ends at the first check that finds `condition()` false.
 */
export function pollWhile(condition: () => boolean): void {
  const spin = (): void => {
    if (condition()) setImmediate(spin);
  };
  setImmediate(spin);
}

/** A child's memory in MiB: after a full GC when `gc` is exposed (`collected` says whether it was). */
export interface MemoryUsage {
  collected: boolean;
  rssMiB: number;
  heapUsedMiB: number;
  /** memory of C++ objects bound to JS ones (Buffers and ArrayBuffers among them) */
  externalMiB: number;
}

export function memory(): MemoryUsage {
  const gc = (globalThis as { gc?: (options?: object) => void }).gc;
  // two passes: the first may leave objects that only a finalizer or weak callback freed
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  const mib = (bytes: number): number => bytes / 2 ** 20;
  return { collected: gc !== undefined, rssMiB: mib(m.rss), heapUsedMiB: mib(m.heapUsed), externalMiB: mib(m.external) };
}

/** The child's side: answer requests from the parent with these handlers (plus `usage` and `memory`). */
export function serve(handlers: Handlers): void {
  const all: Handlers = { usage: () => usage(), memory: () => memory(), ...handlers };
  process.on('message', async (msg: any) => {
    if (!msg || typeof msg.op !== 'string') return;
    const handler = all[msg.op];
    try {
      if (!handler) throw new Error(`unknown op ${msg.op}`);
      const result = await handler(msg);
      // a message without an id (Child.send) is not answered: an answer nobody waits for would be
      // CPU of the measured server (one IPC write per delivered-rounds report in the Bayeux rows)
      if (msg.id !== undefined) process.send!({ id: msg.id, ...(result as object) });
    } catch (err) {
      const error = err instanceof Error ? err.stack ?? err.message : String(err);
      if (msg.id !== undefined) process.send!({ id: msg.id, error });
      else console.error(`${msg.op} failed: ${error}`);
    }
  });
  // the parent went away: so does the child
  process.on('disconnect', () => process.exit(0));
}

/** Tell the parent something without being asked (`{event, ...}`). */
export function notifyParent(event: string, fields: object = {}): void {
  process.send?.({ event, ...fields });
}

export class Child {
  private next = 0;
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Map<string, (msg: any) => void>();
  readonly exited: Promise<number | null>;

  private constructor(readonly name: string, readonly process: ChildProcess) {
    process.on('message', (msg: any) => {
      if (msg?.event) return this.listeners.get(msg.event)?.(msg);
      const p = this.pending.get(msg?.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`${name}: ${msg.error}`));
      else p.resolve(msg);
    });
    this.exited = new Promise((done) =>
      process.once('exit', (code) => {
        for (const p of this.pending.values()) p.reject(new Error(`${name} exited (code ${code}) before answering`));
        this.pending.clear();
        done(code);
      }),
    );
  }

  /**
   * Start `file` (a TypeScript module that calls serve) and wait for its `ready` event. With
   * BENCH_PROFILE=<word>, a child whose name contains the word runs under `--cpu-prof` (the profile
   * is written to BENCH_PROFILE_DIR, default the working directory, when it stops). `nodeArgs` are
   * Node's own options for the child (e.g. --expose-gc).
   */
  static async start(name: string, file: string, args: string[] = [], readyTimeoutMs = 180_000, nodeArgs: string[] = []): Promise<{ child: Child; ready: any }> {
    const word = process.env.BENCH_PROFILE;
    const profile = word && name.includes(word) ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROFILE_DIR ?? '.'] : [];
    const proc = spawn(process.execPath, [...profile, ...nodeArgs, '--import', 'tsx', file, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const child = new Child(name, proc);
    const ready = await new Promise<any>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} not ready within ${readyTimeoutMs} ms`)), readyTimeoutMs);
      child.on('ready', (msg) => {
        clearTimeout(timer);
        resolve(msg);
      });
      void child.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited (code ${code}) during start-up`));
      });
    });
    return { child, ready };
  }

  on(event: string, listener: (msg: any) => void): void {
    this.listeners.set(event, listener);
  }

  send(op: string, fields: object = {}): void {
    this.process.send({ op, ...fields });
  }

  request<T = any>(op: string, fields: object = {}, timeoutMs = 300_000): Promise<T> {
    const id = ++this.next;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: ${op} not answered within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.process.send({ id, op, ...fields });
    });
  }

  usage(): Promise<Usage> {
    return this.request('usage');
  }

  memory(): Promise<MemoryUsage> {
    return this.request('memory');
  }

  async stop(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}
