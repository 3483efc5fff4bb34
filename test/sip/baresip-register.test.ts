// A real phone: Debian's baresip (baresip-core, installed by scripts/install-test-tools.sh) registers as
// DN 5001 with password demo to a SipServer on a free port, headless (config of spec/media.md 1.1).
// The test waits for the registrar's `registered` fact, checks the binding, and stops baresip by its PID.
// Skipped when baresip is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../src/switch/clock.js';
import { SipServer } from '../../src/sip/server.js';
import { ha1 } from '../../src/sip/digest.js';

// the tool is installed by npm test (scripts/install-test-tools.sh); missing, the file fails instead of skipping
if (spawnSync('sh', ['-c', 'command -v baresip'], { encoding: 'utf8' }).status !== 0) throw new Error('baresip is missing: run bash scripts/install-test-tools.sh (npm test does it when run as root)');
const REALM = 'Demo';

async function isFree(port: number): Promise<boolean> {
  const udpFree = await new Promise<boolean>((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
  if (!udpFree) return false;
  return new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** a port P with P and P+1 free for UDP and TCP (baresip also binds P+1), from the OS's ephemeral pick */
async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    const port = socket.address().port;
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    if (port < 65534 && (await isFree(port)) && (await isFree(port + 1))) return port;
  }
  throw new Error('no free port pair for baresip');
}

test('baresip registers as 5001 with password demo', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'switchboard-baresip-'));
  let resolveRegistered: (dn: string) => void = () => undefined;
  const registered = new Promise<string>((resolve) => (resolveRegistered = resolve));
  const server = await SipServer.start({
    host: '127.0.0.1',
    port: 0,
    clock: systemClock,
    defaultRealm: REALM,
    lookup: {
      lookupExtension: (dn) =>
        dn === '5001' ? { realm: REALM, ha1: { MD5: ha1('MD5', dn, REALM, 'demo'), 'SHA-256': ha1('SHA-256', dn, REALM, 'demo') } } : undefined,
    },
    events: { registered: (dn) => resolveRegistered(dn) },
  });
  const sipPort = await freePortPair();
  writeFileSync(
    join(directory, 'config'),
    [
      'poll_method epoll',
      `sip_listen 127.0.0.1:${sipPort}`,
      'net_interface 127.0.0.1',
      'call_max_calls 4',
      'audio_player aubridge,nowhere',
      'audio_source aubridge,nowhere',
      'audio_alert aubridge,nowhere',
      'module_path /usr/lib/baresip/modules',
      'module g711.so',
      'module aubridge.so',
      'module_tmp account.so',
      '',
    ].join('\n'),
  );
  writeFileSync(join(directory, 'accounts'), `<sip:5001@127.0.0.1:${server.port}>;auth_pass=demo;regint=60;audio_codecs=PCMU\n`);
  writeFileSync(join(directory, 'contacts'), '');
  const phone = spawn('baresip', ['-f', directory], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  phone.stdout.on('data', (chunk) => (output += chunk));
  phone.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => phone.once('exit', () => resolve()));
  try {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`baresip did not register within 15 s:\n${output}`)), 15_000);
    });
    const dn = await Promise.race([registered, timeout, exited.then(() => Promise.reject(new Error(`baresip exited:\n${output}`)))]);
    clearTimeout(timer);
    assert.equal(dn, '5001');
    const binding = server.registrar.contactFor('5001');
    assert.ok(binding, 'a binding exists');
    assert.match(binding.uri, new RegExp(`@127\\.0\\.0\\.1:${sipPort}`));
    assert.ok(binding.expiresAt > Date.now() + 50_000, 'regint=60 was granted');
  } finally {
    phone.kill('SIGKILL');
    await exited;
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  }
});
