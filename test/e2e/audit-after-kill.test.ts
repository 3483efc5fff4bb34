/**
 * A server that is killed mid-call (SIGKILL: no shutdown code runs) leaves its supervisor's Joined
 * and Armed open in the audit; the next start on the same database closes them (Left and
 * Cancelled, reason ServerStoppedUnexpectedly, at the time of that start), and a start after that
 * adds nothing (src/app/audit-recovery.ts). The server is the real CLI in its own process, on a
 * SQLite file, driven over REST with the demo logins.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { auditLine, ref } from '../helpers/supervision-steps.js';

const basic = (user: string) => 'Basic ' + Buffer.from(`${user}:demo`).toString('base64');

interface Server {
  child: ChildProcess;
  base: string;
  exited: Promise<number | null>;
}

/** the CLI on the database file, resolved once its banner names the URL */
function start(database: string): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts'], {
    env: { ...process.env, PORT: '0', SWITCHBOARD_DB: database, SWITCHBOARD_SIP_PORT: '0', SWITCHBOARD_LOG_LEVEL: 'silent' },
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let out = '';
  let err = '';
  child.stderr!.on('data', (c) => (err += c));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner within 60 s; stdout: ${out}\nstderr: ${err}`)), 60_000);
    void exited.then((code) => reject(new Error(`the server exited (${code}) before its banner: ${err}`)));
    child.stdout!.on('data', (c) => {
      out += c;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, base: m[1], exited });
      }
    });
  });
}

async function call(server: Server, method: string, path: string, user: string, body?: unknown): Promise<any> {
  const r = await fetch(server.base + path, {
    method,
    headers: { Authorization: basic(user), ...(body ? { 'Content-Type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json: any = await r.json();
  assert.equal(json.statusCode, 0, `${user} ${method} ${path} ${JSON.stringify(body ?? '')} -> ${JSON.stringify(json)}`);
  return json;
}

const audit = async (server: Server) => (await call(server, 'GET', '/api/v2/supervision/audit', 'admin')).entries as any[];

test('a killed server leaves its monitoring open; the next start closes it, once', async () => {
  const dir = mkdtempSync(join(os.tmpdir(), 'sb-kill-'));
  const database = join(dir, 'switchboard.db');
  let server: Server | undefined;
  try {
    server = await start(database);
    for (const user of ['supervisor1', 'agent1']) await call(server, 'POST', '/api/v2/me', user, { operationName: 'StartContactCenterSession', channels: ['voice'] });
    await call(server, 'POST', '/api/v2/me/channels/voice', 'agent1', { operationName: 'Ready' });
    const supervisorDevice = (await call(server, 'GET', '/api/v2/me?subresources=*', 'supervisor1')).user.devices[0].id;
    await call(server, 'POST', `/api/v2/me/devices/${supervisorDevice}`, 'supervisor1', { operationName: 'ListenIn', phoneNumber: '5001' });
    const { callUuid } = await call(server, 'POST', '/sim/v1/calls', 'admin', { from: '+15551234567', to: '7000' });
    const agentCall = (await call(server, 'GET', '/api/v2/me/calls?fields=*', 'agent1')).calls[0].id;
    await call(server, 'POST', `/api/v2/me/calls/${agentCall}`, 'agent1', { operationName: 'Answer' });
    const before = (await audit(server)).map(auditLine);
    assert.deepEqual(before, ['Armed ListenIn/AllCalls/Call 5101->5001', `Joined ListenIn/AllCalls/Call 5101->5001 agent=5001 ${ref(callUuid)}`]);

    server.child.kill('SIGKILL');
    await server.exited;
    const restartedAt = Date.now();
    server = await start(database);
    const after = await audit(server);
    assert.deepEqual(after.map(auditLine), [
      ...before,
      `Left ListenIn/AllCalls/Call 5101->5001 agent=5001 ${ref(callUuid)} ServerStoppedUnexpectedly`,
      `Cancelled ListenIn/AllCalls/Call 5101->5001 ServerStoppedUnexpectedly`,
    ]);
    for (const closing of after.slice(2)) assert.ok(Date.parse(closing.time) >= restartedAt - 1000, `written at the new start, not before: ${closing.time}`);

    // a graceful stop with nothing open, and a third start: nothing more
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0);
    server = await start(database);
    assert.deepEqual((await audit(server)).map(auditLine), after.map(auditLine));
  } finally {
    server?.child.kill('SIGKILL');
    await server?.exited;
    rmSync(dir, { recursive: true, force: true });
  }
});
