/**
 * Bench section `startup` (run by `npm run bench`, or alone with `npx tsx bench/sections/60-startup.ts`):
 * how long a server with 200 and 10,000 provisioned users takes to start and restart, and how fast a
 * storm of first logins is served, beside the raw scrypt rate of this machine measured in the same
 * run (issue 12 point 4). Every app is the real createApp (production scrypt hasher, no SIP) on a
 * file SQLite database in a temporary folder, and on PostgreSQL (a throwaway server from
 * test/helpers/postgres.ts) when its programs are installed.
 *
 * Rows:
 *   - raw scrypt: hashes per second at SCRYPT_PARAMS, with 1 and with the verify queue's
 *     concurrency (config auth.verifyConcurrency, default 2) in flight: the ceiling of any login
 *     storm and of a first provisioning;
 *   - first start: createApp on an empty database. Above 64 passwords to hash the server does not
 *     wait for scrypt (pending credentials, hashed by the background backfill: docs/security.md);
 *     "hashes ready" is when the backfill has hashed every password (for 10,000 users only with
 *     --full: about users / scrypt rate; else that bound is shown);
 *   - start: a new process (`node --import tsx`, module loading included) running createApp on a
 *     database provisioned before with the same configuration: fingerprints match, no scrypt;
 *   - restart: app.close() and createApp again in that process.
 *   Without --full the 10,000-user database still holds most pending credentials at these rows
 *   (the first start's backfill stops with its app): a start knows them by their fingerprints and
 *   queues them again, no scrypt on the start path; the backfill then runs beside the process.
 *   - login storm: GET /api/v2/me with Basic credentials of users never logged in (each from its own
 *     source address, 64 in flight), on the 200-user app once its hashes are ready (production
 *     scrypt hashes; --full: the 10,000-user one); logins per second beside the raw scrypt rate at
 *     the queue's concurrency.
 * Prints a Markdown table, the machine line and a `BENCH startup` line. Bounded: about a minute on
 * an idle machine; --full adds the 10,000-user backfill and storm (about 2 × 10,000 / scrypt rate seconds).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes, scrypt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp, type App } from '../../src/app/app.js';
import { defaultContactCenterSettings } from '../../src/config/defaults.js';
import { testConfig } from '../../src/config/load.js';
import { openConfiguredStore } from '../../src/store/open.js';
import type { SqlStore } from '../../src/store/sql-store.js';
import type { Config } from '../../src/config/types.js';
import { SCRYPT_PARAMS, scryptHasher } from '../../src/store/password.js';
import { ALL_FEATURES, Role, type ContactCenterSpec } from '../../src/store/port.js';
import { startPostgres, type PostgresServer } from '../../test/helpers/postgres.js';

const FULL = process.argv.includes('--full');
const SIZES = [200, 10_000];
const STORM_IN_FLIGHT = 64;
const here = fileURLToPath(import.meta.url);

/** one contact center of n agents (one group, one routing point, one supervisor) */
function contactCenter(n: number): ContactCenterSpec {
  const agents = Array.from({ length: n }, (_, i) => ({ userName: `agent${i}`, password: `pw-agent${i}`, roles: [Role.Agent], dn: String(100_000 + i) }));
  return {
    name: 'Bench',
    features: [...ALL_FEATURES],
    settings: defaultContactCenterSettings(),
    agentStates: [],
    users: [...agents, { userName: 'sup', password: 'pw-sup', roles: [Role.Agent, Role.Supervisor], dn: '99999' }],
    routingPoints: [{ number: '7000', agentGroup: 'All' }],
    agentGroups: [{ name: 'All', agents: agents.map((a) => a.userName), supervisors: ['sup'] }],
  };
}

function configFor(database: string, n: number, passwordKeyFile: string): Config {
  return testConfig({ database, contactCenters: [contactCenter(n)], passwordKeyFile });
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
}

// ---- child: a new process starting on a provisioned database

if (process.argv[2] === '--child-start') {
  const { database, n, keyFile } = JSON.parse(process.argv[3]) as { database: string; n: number; keyFile: string };
  const config = configFor(database, n, keyFile);
  const start = await timed(() => createApp(config, { passwordHasher: scryptHasher() }));
  const sinceProcess = performance.now();
  await start.value.close();
  const restart = await timed(() => createApp(config, { passwordHasher: scryptHasher() }));
  await restart.value.close();
  process.stdout.write(JSON.stringify({ startMs: start.ms, processMs: sinceProcess, restartMs: restart.ms }));
  process.exit(0);
}

// ---- raw scrypt

async function scryptRate(inFlight: number, seconds: number): Promise<number> {
  const salt = randomBytes(16);
  const until = performance.now() + seconds * 1000;
  let done = 0;
  const one = () => new Promise<void>((resolve, reject) => scrypt('password', salt, 32, { ...SCRYPT_PARAMS, maxmem: 64 * 1024 * 1024 }, (e) => (e ? reject(e) : resolve())));
  const t = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < until) {
        await one();
        done++;
      }
    }),
  );
  return done / ((performance.now() - t) / 1000);
}

// ---- login storm

async function storm(app: App, users: number): Promise<{ ms: number; ok: number; failed: number }> {
  let next = 0;
  let ok = 0;
  let failed = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: STORM_IN_FLIGHT }, async () => {
      while (next < users) {
        const i = next++;
        const authorization = `Basic ${Buffer.from(`agent${i}:pw-agent${i}`).toString('base64')}`;
        const remoteAddress = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
        const r = await app.fastify.inject({ method: 'GET', url: '/api/v2/me', headers: { authorization }, remoteAddress });
        if (r.statusCode === 200) ok++;
        else failed++;
      }
    }),
  );
  return { ms: performance.now() - t, ok, failed };
}

// ---- the run

const tmp = mkdtempSync(join(os.tmpdir(), 'switchboard-bench-startup-'));
let postgres: PostgresServer | undefined;
try {
  postgres = await startPostgres();
} catch (err) {
  console.log(`(PostgreSQL rows skipped: ${(err as Error).message.split('\n')[0]})`);
}

interface Row {
  store: string;
  users: number;
  firstMs: number;
  hashesReadyMs?: number;
  hashesBoundMs?: number;
  startMs: number;
  processMs: number;
  restartMs: number;
  /** baseline: raw scrypt at the queue's concurrency measured just before and just after the storm (the machine is shared) */
  storm?: { users: number; perSecond: number; failed: number; rawBefore: number; rawAfter: number };
}

try {
  const verifyConcurrency = testConfig().auth.verifyConcurrency;
  const raw1 = await scryptRate(1, 2);
  const rawQueue = await scryptRate(verifyConcurrency, 3);
  // the hash backfill runs one scrypt per core but one (src/provisioning/backfill.ts)
  const backfillConcurrency = Math.max(1, os.availableParallelism() - 1);
  const rawBackfill = backfillConcurrency === 1 ? raw1 : backfillConcurrency === verifyConcurrency ? rawQueue : await scryptRate(backfillConcurrency, 3);
  const rows: Row[] = [];
  const backends: Array<{ store: string; database: (n: number) => Promise<string> }> = [
    { store: 'SQLite file', database: async (n) => join(tmp, `sqlite-${n}-${Date.now()}.db`) },
  ];
  if (postgres) backends.push({ store: 'PostgreSQL', database: async () => postgres!.createDatabase() });

  for (const backend of backends) {
    for (const n of SIZES) {
      const database = await backend.database(n);
      const keyFile = join(tmp, `key-${rows.length}`);
      const config = configFor(database, n, keyFile);
      const row: Partial<Row> = { store: backend.store, users: n + 1 };
      const hasher = scryptHasher();
      const store = openConfiguredStore(config, hasher) as SqlStore;
      const t0 = performance.now();
      const first = await timed(() => createApp(config, { passwordHasher: hasher, store }));
      row.firstMs = first.ms;
      if (n <= 200 || FULL) {
        await store.hashBackfill?.idle();
        row.hashesReadyMs = performance.now() - t0;
      } else {
        row.hashesBoundMs = ((n + 1) / rawBackfill) * 1000;
      }
      if (row.hashesReadyMs !== undefined && backend.store === 'SQLite file') {
        const rawBefore = await scryptRate(verifyConcurrency, 3);
        const s = await storm(first.value, n);
        const rawAfter = await scryptRate(verifyConcurrency, 3);
        row.storm = { users: n, perSecond: s.ok / (s.ms / 1000), failed: s.failed, rawBefore, rawAfter };
      }
      await first.value.close();
      const child = spawnSync(process.execPath, ['--import', 'tsx', here, '--child-start', JSON.stringify({ database, n, keyFile })], { encoding: 'utf8', timeout: 600_000 });
      if (child.status !== 0) throw new Error(`the start child failed: ${child.stderr}`);
      Object.assign(row, JSON.parse(child.stdout));
      rows.push(row as Row);
    }
  }

  const s = (ms: number | undefined) => (ms === undefined ? '–' : `${(ms / 1000).toFixed(2)} s`);
  console.log(
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load average ${os.loadavg()[0].toFixed(1)}; ` +
      `scrypt N=${SCRYPT_PARAMS.N} r=${SCRYPT_PARAMS.r} p=${SCRYPT_PARAMS.p}; verify queue concurrency ${verifyConcurrency}\n`,
  );
  console.log(`| raw scrypt (this run) | hashes/s |\n|---|---:|\n| 1 in flight | ${raw1.toFixed(1)} |\n| ${verifyConcurrency} in flight (the verify queue's) | ${rawQueue.toFixed(1)} |\n${backfillConcurrency === 1 || backfillConcurrency === verifyConcurrency ? '' : `| ${backfillConcurrency} in flight (the hash backfill's) | ${rawBackfill.toFixed(1)} |\n`}`);
  console.log('| store | users | first start (empty database) | its hashes ready (background) | start (new process, provisioned) | of which createApp | restart (close + createApp) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const ready = r.hashesReadyMs !== undefined ? s(r.hashesReadyMs) : `≈ ${s(r.hashesBoundMs)} (users / the backfill's scrypt rate; --full measures it)`;
    console.log(`| ${r.store} | ${r.users} | ${s(r.firstMs)} | ${ready} | ${s(r.processMs)} | ${s(r.startMs)} | ${s(r.restartMs)} |`);
  }
  const stormRows = rows.filter((r) => r.storm);
  console.log('\n| login storm (first logins, 64 in flight, one source address each) | logins | logins/s | raw scrypt/s at the queue\'s concurrency (before / after the storm) | ratio to their mean | refused |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const r of stormRows) {
    const { rawBefore, rawAfter } = r.storm!;
    console.log(`| ${r.store}, ${r.users} users | ${r.storm!.users} | ${r.storm!.perSecond.toFixed(1)} | ${rawBefore.toFixed(1)} / ${rawAfter.toFixed(1)} | ${(r.storm!.perSecond / ((rawBefore + rawAfter) / 2)).toFixed(2)} | ${r.storm!.failed} |`);
  }
  const machine = rows.map((r) => `${r.store.split(' ')[0].toLowerCase()}${r.users}:start=${(r.processMs / 1000).toFixed(2)},restart=${(r.restartMs / 1000).toFixed(2)},first=${(r.firstMs / 1000).toFixed(2)}${r.hashesReadyMs !== undefined ? `,hashed=${(r.hashesReadyMs / 1000).toFixed(2)}` : ''}`);
  const stormLine = stormRows.map((r) => `storm${r.storm!.users}=${r.storm!.perSecond.toFixed(1)}/s`);
  console.log(`\nBENCH startup scrypt1=${raw1.toFixed(1)}/s scrypt${verifyConcurrency}=${rawQueue.toFixed(1)}/s ${[...machine, ...stormLine].join(' ')}`);
} finally {
  await postgres?.stop();
  rmSync(tmp, { recursive: true, force: true });
}
