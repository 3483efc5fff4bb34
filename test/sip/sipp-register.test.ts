// Black-box SIP tests with sipp (Debian sip-tester, installed by scripts/install-test-tools.sh) against a
// SipServer on a free UDP port: REGISTER with digest (good password 200, wrong password 403), OPTIONS 200,
// and INVITE -> 180 -> CANCEL -> 487 against a tiny handler that only rings. Skipped when sipp is missing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../../src/switch/clock.js';
import { SipServer } from '../../src/sip/server.js';
import { ha1 } from '../../src/sip/digest.js';

const SCENARIOS = join(dirname(fileURLToPath(import.meta.url)), 'scenarios');
// the tool is installed by npm test (scripts/install-test-tools.sh); missing, the file fails instead of skipping
if (spawnSync('sh', ['-c', 'command -v sipp'], { encoding: 'utf8' }).status !== 0) throw new Error('sipp is missing: run bash scripts/install-test-tools.sh (npm test does it when run as root)');
const REALM = 'Demo';
const events: string[] = [];
const handled: string[] = [];

let server: SipServer;
let workDirectory: string;

before(async () => {
  workDirectory = mkdtempSync(join(tmpdir(), 'switchboard-sipp-'));
  server = await SipServer.start({
    host: '127.0.0.1',
    port: 0,
    clock: systemClock,
    defaultRealm: REALM,
    // sipp 3.6 answers only the first challenge and only knows MD5: both are offered, MD5 first
    digestAlgorithms: ['MD5', 'SHA-256'],
    lookup: {
      lookupExtension: (dn) =>
        dn === '5001' ? { realm: REALM, ha1: { MD5: ha1('MD5', dn, REALM, 'demo'), 'SHA-256': ha1('SHA-256', dn, REALM, 'demo') } } : undefined,
    },
    events: { registered: (dn) => events.push(`registered ${dn}`) },
    handler: {
      // rings and waits: only a CANCEL ends it (the transaction layer then answers 487)
      request(transaction) {
        handled.push(transaction.request.method);
        if (transaction.request.method === 'INVITE') transaction.reply(180);
        else transaction.reply(200);
      },
      cancelled: () => handled.push('CANCELLED'),
    },
  });
});

after(async () => {
  await server.close();
  rmSync(workDirectory, { recursive: true, force: true });
});

async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** Runs one sipp call of a scenario; resolves with sipp's exit code and its error log. */
async function runSipp(scenario: string, extra: string[]): Promise<{ code: number | null; errors: string }> {
  const localPort = await freeUdpPort();
  const errorFile = join(workDirectory, `${scenario}-${localPort}-errors.log`);
  const child = spawn(
    'sipp',
    [
      `127.0.0.1:${server.port}`,
      '-sf', join(SCENARIOS, `${scenario}.xml`),
      '-i', '127.0.0.1',
      '-p', String(localPort),
      '-m', '1',
      '-nostdin',
      '-timeout', '20s',
      '-timeout_error',
      '-trace_err',
      '-error_file', errorFile,
      ...extra,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], cwd: workDirectory },
  );
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
  const errors = (existsSync(errorFile) ? readFileSync(errorFile, 'utf8') : '') + stderr;
  return { code, errors };
}

test('sipp: REGISTER 5001 with password demo is challenged and then accepted', async () => {
  const result = await runSipp('register-auth', ['-s', '5001', '-au', '5001', '-ap', 'demo']);
  assert.equal(result.code, 0, result.errors);
  assert.equal(server.registrar.isRegistered('5001'), true);
  assert.deepEqual(events, ['registered 5001']);
});

test('sipp: REGISTER with a wrong password gets 403 and no binding for that contact', async () => {
  const before = server.registrar.bindings('5001').length;
  const result = await runSipp('register-wrong-password', ['-s', '5001', '-au', '5001', '-ap', 'not-demo']);
  assert.equal(result.code, 0, result.errors);
  assert.equal(server.registrar.bindings('5001').length, before);
});

test('sipp: OPTIONS gets 200 with Allow listing INVITE', async () => {
  const result = await runSipp('options', []);
  assert.equal(result.code, 0, result.errors);
});

test('sipp: INVITE rings, CANCEL gets 200 and the INVITE 487', async () => {
  const result = await runSipp('invite-cancel', ['-s', '5002']);
  assert.equal(result.code, 0, result.errors);
  assert.ok(handled.includes('INVITE'));
  assert.ok(handled.includes('CANCELLED'));
});
