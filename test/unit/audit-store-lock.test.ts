/**
 * One server per database file (issue 7, point 8): SqliteStore holds SQLite's exclusive lock on a
 * file database, so a second store on the same file is refused with StoreLockedError (':memory:'
 * needs no lock), the lock goes with a closed store or a killed process (no stale lock), and a
 * second `npm start` on the same file prints one clear line and exits 1.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MEMORY, SqliteStore, StoreLockedError, openStore } from '../../src/store/sqlite.js';
import { withTimeout } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-lock-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  child: ReturnType<typeof spawn>;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>;
  /** resolves once stdout contains the text */
  printed(text: RegExp): Promise<void>;
}

function run(args: string[], env: Record<string, string>): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { env: { ...process.env, SWITCHBOARD_LOG_LEVEL: 'silent', ...env } });
  let out = '';
  let err = '';
  const waiters: { text: RegExp; resolve: () => void }[] = [];
  child.stdout!.on('data', (c) => {
    out += c;
    for (const w of waiters.filter((x) => x.text.test(out))) w.resolve();
  });
  child.stderr!.on('data', (c) => (err += c));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, out, err })),
  );
  const printed = (text: RegExp) => new Promise<void>((resolve) => (text.test(out) ? resolve() : waiters.push({ text, resolve })));
  return { child, done, printed };
}

describe('the database lock', () => {
  it('a second store on the same file is refused; after close it opens; :memory: stores never conflict', async () => {
    const file = join(dir, 'one.db');
    const first = openStore(file);
    assert.throws(() => new SqliteStore(file), (err: unknown) => err instanceof StoreLockedError && /is in use by another process/.test(err.message));
    await first.close();
    const again = openStore(file);
    await again.close();
    const a = openStore(MEMORY);
    const b = openStore(MEMORY);
    await Promise.all([a.close(), b.close()]);
  });

  it('a process killed while holding the lock leaves no stale lock', async () => {
    const file = join(dir, 'killed.db');
    const holder = run(['-e', `import('${new URL('../../src/store/sqlite.ts', import.meta.url).href}').then((m) => { m.openStore(${JSON.stringify(file)}); console.log('holding'); setInterval(() => {}, 1000); })`], {});
    try {
      await withTimeout(holder.printed(/holding/), 60_000, 'the holder process to take the lock');
      assert.throws(() => openStore(file), StoreLockedError);
    } finally {
      holder.child.kill('SIGKILL');
    }
    assert.equal((await holder.done).signal, 'SIGKILL');
    await openStore(file).close();
  });

  it('a second server on the same database prints one clear line and exits 1', async () => {
    const file = join(dir, 'server.db');
    const env = { SWITCHBOARD_DB: file, PORT: '0' };
    const first = run(['src/cli/main.ts'], env);
    try {
      await withTimeout(first.printed(/listening on http/), 60_000, 'the first server to listen');
      const second = await withTimeout(run(['src/cli/main.ts'], env).done, 60_000, 'the second server to exit');
      assert.equal(second.code, 1, second.err);
      const lines = second.err.trim().split('\n');
      assert.equal(lines.length, 1, `one line, not a stack trace: ${second.err}`);
      assert.match(lines[0], /^Switchboard cannot start: the database .*server\.db is in use by another process/);
    } finally {
      first.child.kill('SIGTERM');
      await withTimeout(first.done, 30_000, 'the first server to stop');
    }
  });
});
