/**
 * Running sipp (Debian sip-tester) against a Switchboard SIP port in tests: one scenario from
 * test/sip/scenarios, one call (-m 1), loopback only, on free ports (the signalling port can be
 * chosen by the caller so a twin instance can be told it), a 20 s timeout that counts as failure,
 * and the error file plus stderr returned for the assertion message. The folder sipp runs in is
 * temporary and removed afterwards (SWITCHBOARD_KEEP_SIPP=1 keeps it, with -trace_msg, for debugging). Importing this file fails (does not skip) when sipp is missing.
 */
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SCENARIOS = join(dirname(fileURLToPath(import.meta.url)), 'scenarios');
// the tool is installed by npm test (scripts/install-test-tools.sh); missing, the file fails instead of skipping
if (spawnSync('sh', ['-c', 'command -v sipp'], { encoding: 'utf8' }).status !== 0) throw new Error('sipp is missing: run bash scripts/install-test-tools.sh (npm test does it when run as root)');

export interface SippResult {
  code: number | null;
  errors: string;
}

/** A UDP port that was free a moment ago on 127.0.0.1. */
export async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** Run `scenario` once against 127.0.0.1:serverPort dialling `service` (sipp's [service]); `extra` are more sipp arguments. */
export async function runSipp(serverPort: number, scenario: string, service: string | undefined, options: { localPort?: number; extra?: string[] } = {}): Promise<SippResult> {
  const work = mkdtempSync(join(tmpdir(), 'switchboard-b2bua-sipp-'));
  try {
    const localPort = options.localPort ?? (await freeUdpPort());
    const mediaPort = await freeUdpPort();
    const errorFile = join(work, 'errors.log');
    const child = spawn(
      'sipp',
      [
        `127.0.0.1:${serverPort}`,
        '-sf', join(SCENARIOS, `${scenario}.xml`),
        ...(service === undefined ? [] : ['-s', service]),
        '-i', '127.0.0.1',
        '-mi', '127.0.0.1',
        '-p', String(localPort),
        '-mp', String(mediaPort),
        '-m', '1',
        '-nostdin',
        '-timeout', '20s',
        '-timeout_error',
        '-trace_err',
        '-error_file', errorFile,
        ...(process.env.SWITCHBOARD_KEEP_SIPP ? ['-trace_msg'] : []),
        ...(options.extra ?? []),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], cwd: work },
    );
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
    return { code, errors: (existsSync(errorFile) ? readFileSync(errorFile, 'utf8') : '') + stderr };
  } finally {
    if (process.env.SWITCHBOARD_KEEP_SIPP) console.error(`sipp ${scenario}: kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}
