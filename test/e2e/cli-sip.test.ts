/**
 * The command line with SIP on, as a user meets it: the banner says where phones register (and the
 * RTP range), a SIP port already taken (UDP) is one clear line and exit 1 with no stack trace, and a
 * SIGTERM with the SIP server running still exits 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';

function run(env: Record<string, string>): { done: Promise<{ code: number | null; out: string; err: string }>; child: ReturnType<typeof spawn> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts'], {
    env: { ...process.env, SWITCHBOARD_DB: ':memory:', SWITCHBOARD_LOG_LEVEL: 'silent', PORT: '0', SWITCHBOARD_MEDIA_WORKERS: '0', ...env },
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk) => (out += chunk));
  child.stderr!.on('data', (chunk) => (err += chunk));
  const done = new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, out, err: signal ? `killed by ${signal}; ${err}` : err })),
  );
  return { done, child };
}

/** A UDP port held by this process for the length of `body`. */
async function withHeldUdpPort<T>(body: (port: number) => Promise<T>): Promise<T> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  try {
    return await body((socket.address() as AddressInfo).port);
  } finally {
    socket.close();
  }
}

/** resolves with the banner once it is printed whole (it ends with an empty line) */
function banner(child: ReturnType<typeof spawn>): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no banner within 60 s; got: ${out}`)), 60_000);
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      if (/listening on /.test(out) && /\n\n$/.test(out)) {
        clearTimeout(timer);
        resolve(out);
      }
    });
  });
}

test('a SIP port in use is one clear line and exit 1', async () => {
  await withHeldUdpPort(async (port) => {
    const result = await run({ SWITCHBOARD_SIP_PORT: String(port) }).done;
    assert.equal(result.code, 1);
    const expected = `SIP port 127.0.0.1:${port} is in use (UDP or TCP); choose another with SWITCHBOARD_SIP_PORT=<port>, or 0 to run without SIP`;
    assert.ok(result.err.split('\n').includes(expected), `missing the line:\n${expected}\nin:\n${result.err}`);
    assert.ok(!/\n\s+at /.test(result.err), 'no stack trace');
    assert.doesNotMatch(result.out, /listening on/, 'HTTP never started');
  });
});

test('the banner says where phones register; SIGTERM with SIP running exits 0', async () => {
  // a free port for SIP: bind one, let it go, hand its number to the server
  const port = await withHeldUdpPort(async (held) => held);
  const started = run({ SWITCHBOARD_SIP_PORT: String(port), SWITCHBOARD_RTP_PORTS: '31500-31519' });
  const text = await banner(started.child);
  assert.match(text, new RegExp(`SIP     sip:127\\.0\\.0\\.1:${port} \\(UDP and TCP, SWITCHBOARD_SIP_PORT\\), RTP 31500-31519`));
  assert.match(text, new RegExp(`a phone: user 5001, password demo, domain 127\\.0\\.0\\.1:${port}`));
  started.child.kill('SIGTERM');
  const result = await started.done;
  assert.equal(result.code, 0, result.err);
});

test('SWITCHBOARD_SIP_PORT=0: no SIP, and the banner says how to turn it on', async () => {
  const started = run({ SWITCHBOARD_SIP_PORT: '0' });
  const text = await banner(started.child);
  assert.match(text, /SIP     off \(SWITCHBOARD_SIP_PORT=0\)/);
  started.child.kill('SIGTERM');
  const result = await started.done;
  assert.equal(result.code, 0, `exit ${result.code}: ${result.err}`);
});
