/**
 * The command line as a user meets it: --help, a bad configuration file (every problem at once),
 * a port in use (one clear line), and a graceful SIGTERM that answers a held long-poll.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';

function run(args: string[], env: Record<string, string> = {}): { done: Promise<{ code: number | null; out: string; err: string }>; child: ReturnType<typeof spawn> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    env: { ...process.env, SWITCHBOARD_DB: ':memory:', SWITCHBOARD_LOG_LEVEL: 'silent', ...env },
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (err += c));
  const done = new Promise<{ code: number | null; out: string; err: string }>((resolve) => child.on('exit', (code) => resolve({ code, out, err })));
  return { done, child };
}

/** resolves with the banner's URL once the server prints it */
function listening(child: ReturnType<typeof spawn>): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no banner within 60 s; got: ${out}`)), 60_000);
    child.stdout!.on('data', (c) => {
      out += c;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
}

test('--help prints usage and exits 0', async () => {
  const r = await run(['--help']).done;
  assert.equal(r.code, 0);
  assert.match(r.out, /Usage: npm start/);
});

test('a bad configuration file lists every problem at once and exits 1', async () => {
  const dir = mkdtempSync(join(os.tmpdir(), 'sb-cli-'));
  const file = join(dir, 'bad.json');
  writeFileSync(file, JSON.stringify({ server: { port: 'x' }, contactCenters: [{ name: 'A', users: [{ userName: 'a', password: 'p', roles: ['ROLE_BOSS'], dn: '5x' }] }] }));
  const r = await run(['--config', file]).done;
  assert.equal(r.code, 1);
  assert.match(r.err, /invalid configuration \(.*bad\.json\): 3 problems/);
  for (const p of ['server.port', 'roles[0]: unknown role "ROLE_BOSS"', 'dn: "5x"']) assert.ok(r.err.includes(p), `missing ${p} in:\n${r.err}`);
  assert.ok(!/\n\s+at /.test(r.err), 'no stack trace');
});

test('a port in use is one clear line and exit 1', async () => {
  const blocker = net.createServer();
  await new Promise<void>((res) => blocker.listen(0, '127.0.0.1', () => res()));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    const r = await run([], { PORT: String(port) }).done;
    assert.equal(r.code, 1);
    assert.equal(r.err.trim(), `port ${port} on 127.0.0.1 is in use; choose another with PORT=<port> (or server.port in the configuration file)`);
  } finally {
    blocker.close();
  }
});

test('SIGTERM answers a held long-poll and exits 0', async () => {
  const p = run([], { PORT: '0' });
  const base = await listening(p.child);
  const auth = { Authorization: 'Basic ' + Buffer.from('agent1:demo').toString('base64'), 'Content-Type': 'application/json' };
  const post = (path: string, body: unknown) => fetch(base + '/api/v2/notifications' + path, { method: 'POST', headers: auth, body: JSON.stringify(body) }).then((r) => r.json() as Promise<any[]>);
  const [hs] = await post('/handshake', [{ id: '1', channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] }]);
  await post('/connect', [{ id: '2', channel: '/meta/connect', clientId: hs.clientId, connectionType: 'long-polling', advice: { timeout: 0 } }]);
  // two connects: the later one to arrive completes the earlier (one outstanding connect per
  // session), so once one of them is answered the other is certainly held by the server
  const a = post('/connect', [{ id: '3', channel: '/meta/connect', clientId: hs.clientId, connectionType: 'long-polling' }]);
  const b = post('/connect', [{ id: '4', channel: '/meta/connect', clientId: hs.clientId, connectionType: 'long-polling' }]);
  const answered = await Promise.race([a.then(() => 'a'), b.then(() => 'b')]);
  const held = answered === 'a' ? b : a;
  p.child.kill('SIGTERM');
  const reply = await held;
  assert.equal(reply[0].channel, '/meta/connect');
  assert.equal(reply[0].advice?.reconnect, 'handshake', JSON.stringify(reply));
  const r = await p.done;
  assert.equal(r.code, 0, r.err);
});
