/**
 * The processes of a Switchboard cluster on one machine, for `npm run cluster:demo`, the three-node
 * tests (test/cluster/e2e) and the cluster bench section: nats-server with JetStream, and
 * Switchboard nodes (the real CLI, `src/cli/main.ts` through tsx, as separate processes so a test
 * can kill -9 or SIGSTOP one).
 *
 * Guarantees:
 * - nats-server comes from scripts/install-nats.sh (Debian's package, installed when missing), on a
 *   free port of 127.0.0.1, with JetStream storing in a folder of the caller's;
 * - a node is ready when its start-up banner is printed (it listens, and has taken or watched every
 *   contact center); its JSON log lines are kept and can be awaited (`waitForLog`, with a timeout
 *   that fails loudly naming what was awaited), its standard error is kept for the failure message;
 * - every process started here is SIGKILLed when this process exits, whatever the way (a test that
 *   fails or a demo stopped with Ctrl-C leaves nothing running); `stop` ends one gracefully (SIGTERM:
 *   the node gives its leases back), `kill` with the signal given.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const started = new Set<ChildProcess>();
let exitHookInstalled = false;

function track(child: ChildProcess): void {
  started.add(child);
  child.once('exit', () => started.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of started) {
      try {
        c.kill('SIGCONT');
        c.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** nats-server's path, installing Debian's package when it is missing */
export function natsServerBinary(): string {
  const r = spawnSync('sh', [join(ROOT, 'scripts', 'install-nats.sh')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`scripts/install-nats.sh failed: ${r.stderr || r.stdout}`);
  const which = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  const bin = which.stdout.trim();
  if (!bin) throw new Error('nats-server is not on PATH after scripts/install-nats.sh');
  return bin;
}

export interface NatsProcess {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** nats-server -js on a free port, JetStream data in `storeDir` */
export async function startNatsServer(storeDir: string): Promise<NatsProcess> {
  const bin = natsServerBinary();
  const port = await freePort();
  const child = spawn(bin, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nats-server did not start within 10 s: ${output}`)), 10_000);
    const onData = (b: Buffer) => {
      output += b.toString();
      if (output.includes('Server is ready')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited (${code ?? signal}): ${output}`));
    });
  });
  await ready;
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    stop: () => stopChild(child, 'SIGTERM'),
  };
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGCONT');
    child.kill(signal);
  });
}

export interface LogLine {
  msg?: string;
  [field: string]: unknown;
}

export interface NodeProcess {
  readonly id: string;
  readonly url: string;
  readonly pid: number;
  /** every JSON log line so far */
  readonly logs: LogLine[];
  /** resolves with the first log line (past or future) matching `pred`; rejects after timeoutMs naming `what` */
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs: number, what: string): Promise<LogLine>;
  /** SIGTERM and wait for the exit (leases given back) */
  stop(): Promise<void>;
  /** send a signal (SIGKILL, SIGSTOP, SIGCONT) */
  signal(signal: NodeJS.Signals): void;
  /** resolves when the process has exited */
  readonly exited: Promise<void>;
}

export interface NodeSpec {
  id: string;
  /** absent: a single node as `npm start` runs it (no cluster; the baseline of the bench) */
  natsUrl?: string;
  /** absent: an in-memory SQLite store */
  databaseUrl?: string;
  /** a file all nodes share (password fingerprints: docs/security.md) */
  passwordKeyFile: string;
  port?: number;
  /** extra environment (e.g. SWITCHBOARD_CONFIG) */
  env?: Record<string, string>;
  /** pino level; default info (the ownership lines are info) */
  logLevel?: string;
  /** print the node's log lines on this process's standard error, prefixed (the demo) */
  echo?: boolean;
}

/** start one Switchboard node; resolves once its banner says it listens */
export async function startNode(spec: NodeSpec): Promise<NodeProcess> {
  const port = spec.port ?? (await freePort());
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    HOST: '127.0.0.1',
    PORT: String(port),
    ...(spec.natsUrl ? { SWITCHBOARD_NATS_URL: spec.natsUrl, SWITCHBOARD_NODE_ID: spec.id } : {}),
    ...(spec.databaseUrl ? { SWITCHBOARD_DATABASE_URL: spec.databaseUrl } : { SWITCHBOARD_DB: ':memory:' }),
    SWITCHBOARD_PASSWORD_KEY_FILE: spec.passwordKeyFile,
    SWITCHBOARD_SIP_PORT: '0',
    SWITCHBOARD_LOG_LEVEL: spec.logLevel ?? 'info',
    SWITCHBOARD_LOG_FORMAT: 'json',
    ...(spec.env ?? {}),
  };
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  const logs: LogLine[] = [];
  const waiters = new Set<{ pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }>();
  let stderr = '';
  let banner: ((url: string) => void) | undefined;
  let buffered = '';
  child.stdout!.on('data', (b: Buffer) => {
    buffered += b.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.startsWith('{')) {
        let parsed: LogLine;
        try {
          parsed = JSON.parse(line) as LogLine;
        } catch {
          continue;
        }
        logs.push(parsed);
        if (spec.echo) process.stderr.write(`[${spec.id}] ${parsed.msg ?? line}\n`);
        for (const w of [...waiters]) {
          if (w.pred(parsed)) {
            waiters.delete(w);
            w.resolve(parsed);
          }
        }
        continue;
      }
      const m = /listening on (http:\/\/\S+)/.exec(line);
      if (m) banner?.(m[1]!);
    }
  });
  child.stderr!.on('data', (b: Buffer) => {
    stderr += b.toString();
    if (spec.echo) process.stderr.write(`[${spec.id}] ${b.toString()}`);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node ${spec.id} did not start within 60 s; stderr: ${stderr}; last logs: ${JSON.stringify(logs.slice(-5))}`)), 60_000);
    banner = (u) => {
      clearTimeout(timer);
      resolve(u);
    };
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`node ${spec.id} exited during start (${child.exitCode ?? child.signalCode}); stderr: ${stderr}; last logs: ${JSON.stringify(logs.slice(-5))}`));
    });
  });
  return {
    id: spec.id,
    url,
    pid: child.pid!,
    logs,
    exited,
    waitForLog(pred, timeoutMs, what) {
      const seen = logs.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const w = {
          pred,
          resolve: (l: LogLine) => {
            clearTimeout(timer);
            resolve(l);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`node ${spec.id}: timed out after ${timeoutMs} ms waiting for ${what}; last logs: ${JSON.stringify(logs.slice(-5).map((l) => l.msg))}`));
        }, timeoutMs);
        waiters.add(w);
      });
    },
    stop: () => stopChild(child, 'SIGTERM'),
    signal: (s) => {
      child.kill(s);
    },
  };
}

/** the log line a node writes when it becomes a contact center's owner */
export const OWNS = 'cluster: this node owns the contact center';
/** the log line a node writes when it stops owning one */
export const LOST = 'cluster: this node no longer owns the contact center';
