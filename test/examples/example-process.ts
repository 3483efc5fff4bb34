/**
 * What the example tests share: the real app on a free port (demo contact center, cheap hasher),
 * an example script run as a child process against it (SWITCHBOARD_URL), its output read line by
 * line, `waitFor(pattern)` failing loudly with the output so far after a timeout, and a stop that
 * sends SIGTERM and waits for the exit (SIGKILL after a grace), so no process outlives a test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createApp, type App } from '../../src/app/app.js';
import { demoContactCenter } from '../../src/config/demo.js';
import { testConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { cheapHasher } from '../helpers/cheap-hasher.js';

export const ROOT = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', '..');

export async function startServer(over: Partial<Config> = {}): Promise<{ app: App; baseUrl: string }> {
  const app = await createApp(testConfig({ contactCenters: [demoContactCenter()], ...over }), { passwordHasher: cheapHasher });
  const { baseUrl } = await app.listen();
  return { app, baseUrl };
}

export class ExampleProcess {
  readonly lines: string[] = [];
  private readonly child: ChildProcess;
  private waiters: (() => void)[] = [];
  private exited: Promise<void>;

  constructor(script: string, env: Record<string, string>, args: string[] = []) {
    this.child = spawn(process.execPath, [join(ROOT, script), ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    const take = (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      this.lines.push(...parts);
      for (const wake of this.waiters.splice(0)) wake();
    };
    this.child.stdout!.on('data', take);
    this.child.stderr!.on('data', take);
    this.exited = new Promise((resolve) => this.child.once('exit', () => {
      for (const wake of this.waiters.splice(0)) wake();
      resolve();
    }));
  }

  /** the first output line (from `from` on) matching `pattern`; rejects after `timeoutMs` with the output */
  async waitFor(pattern: RegExp, what: string, timeoutMs = 10_000, from = 0): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.lines.slice(from).find((l) => pattern.test(l));
      if (line !== undefined) return line;
      if (this.child.exitCode !== null) throw new Error(`${what}: the example exited (${this.child.exitCode}) first; output:\n${this.lines.join('\n')}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${what}: not seen within ${timeoutMs} ms; output:\n${this.lines.join('\n')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode === null) {
      this.child.kill('SIGTERM');
      const grace = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await this.exited;
      clearTimeout(grace);
    }
    return this.child.exitCode;
  }
}
