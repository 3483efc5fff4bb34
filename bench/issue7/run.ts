/**
 * Runs every issue 7 measurement against two source trees ("before": a git worktree of the commit
 * before the hardening; "after": this checkout or another worktree) and writes the table
 * bench/issue7/RESULTS.md (defect | before | after | how measured). Each server is its own child
 * process (bench/issue7/serve.ts) on an ephemeral port: one for the measurements of
 * bench/issue7/measure.ts in order, a fresh one for each of the two that can crash or freeze a
 * server, and file databases in a temporary directory for the restart, the two-servers and the
 * disk-full cases. Bounded: every step has a cap, the whole run takes a few minutes; children are
 * stopped by their own pid (SIGTERM, then SIGKILL for a frozen one).
 * Usage: npx tsx bench/issue7/run.ts --before /tmp/before [--after .] [--out bench/issue7/RESULTS.md]
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { MEASUREMENTS, basic, request, type Measurement } from './measure.js';

function argument(name: string, fallback?: string): string {
  const at = process.argv.indexOf(name);
  const value = at >= 0 ? process.argv[at + 1] : fallback;
  if (value === undefined) throw new Error(`missing ${name}`);
  return value;
}

const SERVE = new URL('./serve.ts', import.meta.url).pathname;
const START_BOUND_MS = 60_000;

interface Server {
  child: ChildProcess;
  base: string;
  /** resolves with the exit code once the process ended */
  exited: Promise<number | null>;
}

/** Start serve.ts for a tree; resolves with the server, or with the line it failed with. */
function start(tree: string, database: string, extra: string[] = []): Promise<Server | { failed: string; code: number | null }> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVE, '--tree', tree, '--db', database, ...extra], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SWITCHBOARD_LOG_LEVEL: 'silent' } });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return new Promise((resolveStart) => {
    let out = '';
    let errors = '';
    const bound = setTimeout(() => resolveStart({ failed: 'did not start within 60 s', code: null }), START_BOUND_MS);
    child.stderr?.on('data', (c: Buffer) => (errors += c.toString()));
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const listening = /LISTENING (\S+)/.exec(out);
      if (listening) {
        clearTimeout(bound);
        resolveStart({ child, base: listening[1], exited });
      }
    });
    exited.then((code) => {
      clearTimeout(bound);
      const line = (/FAILED (.*)/.exec(out)?.[1] ?? errors.trim().split('\n').find((l) => /cannot start|in use|Error/.test(l)) ?? errors.trim().split('\n')[0] ?? '').slice(0, 200);
      resolveStart({ failed: line, code });
    });
  });
}

function isServer(s: Server | { failed: string }): s is Server {
  return 'base' in s;
}

/** SIGTERM, then SIGKILL after 5 s (a frozen event loop never handles SIGTERM). */
async function stop(server: Server): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill('SIGTERM');
  const killer = setTimeout(() => server.child.kill('SIGKILL'), 5000);
  await server.exited;
  clearTimeout(killer);
}

async function onFreshServer(tree: string, measure: Measurement): Promise<string> {
  const server = await start(tree, ':memory:');
  if (!isServer(server)) return `server did not start: ${server.failed}`;
  try {
    return await measure(server.base);
  } finally {
    await stop(server);
  }
}

async function cookieOf(base: string, user: string): Promise<string> {
  const r = await request(base, 'GET', '/api/v2/me', { auth: basic(user) });
  return /JSESSIONID=[^;]+/.exec(r.headers.get('set-cookie') ?? '')?.[0] ?? '';
}

/** 7b. A session cookie from one server process, presented to the next one on the same database. */
async function restart(tree: string, directory: string): Promise<string> {
  const database = join(directory, 'restart.db');
  const first = await start(tree, database);
  if (!isServer(first)) return `server did not start: ${first.failed}`;
  const cookie = await cookieOf(first.base, 'agent1');
  await stop(first);
  const second = await start(tree, database);
  if (!isServer(second)) return `server did not restart: ${second.failed}`;
  try {
    const r = await request(second.base, 'GET', '/api/v2/me', { cookie });
    return `cookie only, after a restart: HTTP ${r.status} statusCode ${r.json?.statusCode}${r.status === 200 ? ' (session kept)' : ' (session lost)'}`;
  } finally {
    await stop(second);
  }
}

/** 8b. A second server started on the database file of a running one. */
async function twoServers(tree: string, directory: string): Promise<string> {
  const database = join(directory, 'shared.db');
  const first = await start(tree, database);
  if (!isServer(first)) return `first server did not start: ${first.failed}`;
  try {
    const second = await start(tree, database);
    if (!isServer(second)) return `second refused: exit code ${second.code}, "${second.failed}"`;
    const both = await Promise.all([first, second].map(async (s) => (await request(s.base, 'POST', '/api/v2/me', { auth: basic('agent1'), body: { operationName: 'StartContactCenterSession', channels: ['voice'] } })).json?.statusCode));
    await stop(second);
    return `both serve (agent1 logged in on both: statusCode ${both.join(' and ')})`;
  } finally {
    await stop(first);
  }
}

/** 8a. 60 ListenIn (each cancelled) with the disk full, then room again. */
async function diskFull(tree: string): Promise<string> {
  const server = await start(tree, ':memory:', ['--disk-full']);
  if (!isServer(server)) return `server did not start: ${server.failed}`;
  try {
    const base = server.base;
    const auth = basic('supervisor1');
    await request(base, 'POST', '/api/v2/me', { auth, body: { operationName: 'StartContactCenterSession', channels: ['voice'] } });
    const devices = await request(base, 'GET', '/api/v2/me/devices?fields=*', { auth });
    const device = devices.json?.devices?.[0]?.id;
    let acknowledged = 0;
    const refusals = new Map<string, number>();
    for (let i = 0; i < 60; i++) {
      const r = await request(base, 'POST', `/api/v2/me/devices/${device}`, { auth, body: { operationName: 'ListenIn', phoneNumber: '5001' } });
      if (r.json?.statusCode === 0) acknowledged++;
      else refusals.set(`statusCode ${r.json?.statusCode}/HTTP ${r.status}`, (refusals.get(`statusCode ${r.json?.statusCode}/HTTP ${r.status}`) ?? 0) + 1);
      await request(base, 'POST', `/api/v2/me/devices/${device}`, { auth, body: { operationName: 'CancelSupervisorMonitoring' } });
    }
    const rows = async () => (await request(base, 'GET', '/api/v2/supervision/audit?limit=1', { auth })).json?.totalCount;
    const whileFull = await rows();
    const ready = await request(base, 'GET', '/readyz');
    server.child.kill('SIGUSR2');
    await new Promise((r) => setTimeout(r, 3000));
    const afterRoom = await rows();
    const refused = [...refusals].map(([what, n]) => `${n} refused ${what}`).join(', ');
    return `${acknowledged} of 60 ListenIn acknowledged${refused ? `, ${refused}` : ''}; audit rows with the disk full: ${whileFull}; /readyz ${ready.status}; with room again: ${afterRoom} rows`;
  } finally {
    await stop(server);
  }
}

/** Row order and wording of the table: measurement name, defect, how measured. */
const ROWS: readonly (readonly [string, string, string])[] = [
  ['nestedId', '1. /meta/connect with an id nested 6,000 deep (12 KB)', 'long-polling, after a first connect; the hold is 2 s; then GET /api/v2/me'],
  ['contactsFilter', '2. contacts filter of 20 `*` (`*a…*b`, 60-character name)', 'GET /api/v2/contacts, client cap 20 s, fresh server'],
  ['userData', '2. user data: 500 UpdateUserData of 60 KB (distinct keys) on one call', 'REST, one at a time, capped at 20 s; bytes = JSON of the call\'s userData; next = one small UpdateUserData'],
  ['audit', '2. audit GET over 1,000,000 rows', 'not re-measured here (building a million rows takes too long for this run): figures of docs/security.md section 2 (a throw-away script over the store)'],
  ['sessionsPerUser', '2. CometD sessions per user', '150 long-polling handshakes of one user'],
  ['halfSentBodies', '3. half-sent request bodies', '50 raw sockets (25 without credentials, 25 with), head + 17 bytes of 1,000; open after 7 s (after: requestTimeoutMs set to 5 s, default 30 s)'],
  ['bigBody', '4. 6 MiB body: 413 delivered', '10 raw-socket tries writing the whole request before reading'],
  ['bigHeaders', '4. oversized head (1 MiB header): 431 delivered', '10 raw-socket tries writing everything before reading; statusCode in the body'],
  ['continueOversized', '4. `Expect: 100-continue` with a 6 MiB Content-Length', 'the first answer on the socket'],
  ['passwordFlood', '5. 2,000 wrong passwords, then the right one', 'one user, 8 requests at once from 127.0.0.1, capped at 20 s'],
  ['wrongPasswordTiming', '5. wrong-password time, known vs unknown user', 'median of 3 (different users and passwords, so no cache and no back-off)'],
  ['originEcho', '6. foreign Origin echoed with credentials', 'GET /api/v2/me with Origin https://evil.example'],
  ['hostileUpgrade', '6. websocket upgrade from a hostile Origin with the session cookie', 'ws client, Origin https://evil.example'],
  ['eventsAfterLogout', '7. websocket events after logout', 'websocket of agent3 subscribed to /v2/me/**; EndContactCenterSession; a new login of agent3 and a call to its DN; events counted for 1.5 s'],
  ['restart', '7. HTTP session across a restart', 'file database; the JSESSIONID of the first process presented alone to the second'],
  ['diskFull', '8. disk full: supervision audit', 'in-process FaultyStore (test/helpers/faulty-store.ts, SQLITE_FULL on every append) instead of a real full disk; 60 ListenIn + Cancel by supervisor1; then room again (3 s)'],
  ['twoServers', '8. two servers on one database file', 'second `serve.ts` on the file of a running one'],
  ['cometdOrder', '9. CometD order: /meta/connect reply in a long-poll answer with events', '20 held connects, each answered by an agent-state change; position of the reply. (the reconnect-on-reply client of the issue depends on exactly this order; that client is a test, test/unit/bayeux-order-ack.test.ts, not re-run against the old tree)'],
];

async function measureTree(tree: string, directory: string): Promise<Record<string, string>> {
  const results: Record<string, string> = { audit: '' };
  const shared = Object.keys(MEASUREMENTS).filter((name) => name !== 'nestedId' && name !== 'contactsFilter');
  const server = await start(tree, ':memory:');
  if (!isServer(server)) throw new Error(`${tree}: server did not start: ${server.failed}`);
  try {
    for (const name of shared) {
      process.stderr.write(`  ${tree}: ${name}\n`);
      results[name] = await MEASUREMENTS[name](server.base);
    }
  } finally {
    await stop(server);
  }
  for (const name of ['nestedId', 'contactsFilter']) {
    process.stderr.write(`  ${tree}: ${name}\n`);
    results[name] = await onFreshServer(tree, MEASUREMENTS[name]);
  }
  process.stderr.write(`  ${tree}: restart, twoServers, diskFull\n`);
  results.restart = await restart(tree, directory);
  results.twoServers = await twoServers(tree, directory);
  results.diskFull = await diskFull(tree);
  return results;
}

/** What the table cannot say by itself. */
const NOTES: readonly string[] = [
  'Notes:',
  '',
  '- Oversized head: the loss of the 431 that the adversarial pass saw in about half of its tries did not reproduce here (10 of 10 delivered before too); what the row shows of the defect is the HTTP status put in `statusCode` (431) instead of a GWS code (10).',
  '- Audit: the million-row figures are those of docs/security.md section 2, not measured by this run.',
  '- Disk full: simulated with the faulty store (every audit append fails with SQLITE_FULL), not a real full disk. "with room again: 2 rows" after is the Armed and Cancelled entries of the one ListenIn acknowledged before the fault was known; before, nothing was held, so nothing came back.',
  '- Half-sent bodies: the after server runs with `connections.requestTimeoutMs` 5 s so the run stays short (the default is 30 s; the behaviour is the same, later). Before, the 25 unauthenticated ones got their 401 but stayed open; the 25 authenticated ones got nothing.',
  '- Wrong passwords: after, the flood runs many times faster because the back-off refuses most attempts without a password check, and the right password at the end is refused by design (the back-off, with Retry-After); the known/unknown times are equal within noise (an equal-cost check for unknown users).',
];

const AUDIT_BEFORE = 'no filter 47–56 ms, agent 117–160 ms, offset 500,000 47–76 ms (each blocks every client)';
const AUDIT_AFTER = 'no filter 1.9 ms, agent 17.5 ms (first call), offset past 10,000 refused (statusCode 10)';

function commitOf(tree: string): string {
  try {
    return execFileSync('git', ['-C', tree, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const before = resolve(argument('--before'));
  const after = resolve(argument('--after', '.'));
  const out = resolve(argument('--out', new URL('./RESULTS.md', import.meta.url).pathname));
  const directory = mkdtempSync(join(tmpdir(), 'issue7-'));
  const started = Date.now();
  try {
    const results = { before: await measureTree(before, directory), after: await measureTree(after, directory) };
    results.before.audit = AUDIT_BEFORE;
    results.after.audit = AUDIT_AFTER;
    const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
    const lines = [
      '# Issue 7: each defect before and after',
      '',
      `Measured by \`npx tsx bench/issue7/run.ts --before ${argument('--before')}\` (bench/issue7/run.ts, measure.ts, serve.ts) on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC,`,
      `in ${Math.round((Date.now() - started) / 1000)} s, on 2 shared cores (other work running): "before" is a worktree of the commit before the hardening, "after" the tree named below.`,
      `Each server is a child process on an ephemeral port with the demo contact center, a 2 s CometD hold and real scrypt; times are single runs on a loaded machine (orders of magnitude, not benchmarks).`,
      '',
      `- before: commit ${commitOf(before)} (\`${before}\`)`,
      `- after: commit ${commitOf(after)} (\`${after}\`)`,
      '',
      '| defect | before | after | how measured |',
      '|---|---|---|---|',
      ...ROWS.map(([name, defect, how]) => `| ${cell(defect)} | ${cell(results.before[name] ?? '')} | ${cell(results.after[name] ?? '')} | ${cell(how)} |`),
      '',
      ...NOTES,
      '',
    ];
    writeFileSync(out, lines.join('\n'));
    process.stdout.write(lines.join('\n'));
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

await main();
