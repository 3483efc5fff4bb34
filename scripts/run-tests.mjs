// Runs the *.test.ts files under test/ (or the files named on the command line) with node's built-in
// test runner through tsx, so CI reads node's own summary line. Node 20 cannot glob .ts files itself,
// hence this small finder.
//
// Guarantees:
// - Test files that drive real SIP peers (under test/sip/ or test/telephony/, or naming baresip, sipp or
//   sox) get their tools first: when one is missing, scripts/install-test-tools.sh installs them
//   (apt-get; as root directly, otherwise through sudo). When a tool is still missing, the run fails
//   before any test under CI (env CI set), so such tests are never skipped there; elsewhere it warns.
// - Test files that use a real PostgreSQL (they import test/helpers/postgres.ts) get its server programs
//   first: scripts/install-postgres.sh installs Debian's postgresql when initdb/pg_ctl are missing; when
//   that fails the run fails before any test (the helper would fail each such file anyway).
// - Files run SWITCHBOARD_TEST_CONCURRENCY at a time (tests use free ports and temporary folders, so
//   files do not share state). The default is node's own, one fewer than the CPUs (at least 1): on the
//   2-core development machine, shared, 2 at a time was slower than 1 (api+e2e+unit, 681 tests: 254 s
//   against 216 s, measured back to back), so the default stays 1 there and grows on bigger machines.
// - Tests run with SWITCHBOARD_SIP_PORT=0 unless it is set: a server a test starts (the CLI included)
//   does not take the well-known port 5060, so test files and other servers on the machine never
//   collide; tests that need SIP ask for free ports (createApp's sipEphemeralPorts) or set the port.
// - The exit status is the test runner's.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/** The programs SIP tests run as real peers, each with the Debian package that has it. */
const TEST_TOOLS = [
  { tool: 'baresip', packageName: 'baresip-core' },
  { tool: 'sipp', packageName: 'sip-tester' },
  { tool: 'sox', packageName: 'sox' },
];
const TOOL_FOLDERS = [join('test', 'sip') + sep, join('test', 'telephony') + sep];
const TOOL_WORDS = new RegExp(`\\b(${TEST_TOOLS.map((t) => t.tool).join('|')})\\b`);
const DEFAULT_CONCURRENCY = Math.max(1, availableParallelism() - 1);

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...find(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

function needsTools(file) {
  if (TOOL_FOLDERS.some((folder) => join(file).startsWith(folder))) return true;
  try {
    return TOOL_WORDS.test(readFileSync(file, 'utf8'));
  } catch {
    return false;
  }
}

const present = (tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
const missingTools = () => TEST_TOOLS.filter((t) => !present(t.tool));

/** Makes sure the SIP test tools are there; returns false when some are still missing. */
function ensureTestTools() {
  if (missingTools().length === 0) return true;
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const canSudo = !asRoot && present('sudo');
  if (asRoot || canSudo) {
    console.log(`run-tests: installing the SIP test tools (${missingTools().map((t) => t.packageName).join(', ')})`);
    spawnSync('sh', [join('scripts', 'install-test-tools.sh')], { stdio: 'inherit' });
  }
  const still = missingTools();
  if (still.length === 0) return true;
  console.error(
    `run-tests: missing ${still.map((t) => `${t.tool} (Debian package ${t.packageName})`).join(', ')}; ` +
      `install them with: sudo sh scripts/install-test-tools.sh`,
  );
  return false;
}

function concurrency() {
  const raw = process.env.SWITCHBOARD_TEST_CONCURRENCY;
  if (raw === undefined || raw === '') return DEFAULT_CONCURRENCY;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    console.error(`run-tests: SWITCHBOARD_TEST_CONCURRENCY must be a whole number from 1 to 64, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return n;
}

const only = process.argv.slice(2);
const files = only.length ? only : find('test');
if (files.length === 0) {
  console.error('no test files found under test/');
  process.exit(1);
}
if (files.some(needsTools) && !ensureTestTools()) {
  if (process.env.CI) {
    console.error('run-tests: under CI the SIP tests must run, not skip: failing before the tests');
    process.exit(1);
  }
  console.error('run-tests: the tests that need these tools will skip');
}
const needsPostgres = (file) => {
  try {
    return /helpers\/postgres\.js/.test(readFileSync(file, 'utf8'));
  } catch {
    return false;
  }
};
if (files.some(needsPostgres) && spawnSync('sh', [join('scripts', 'install-postgres.sh')], { stdio: ['ignore', 'ignore', 'inherit'] }).status !== 0) {
  console.error('run-tests: PostgreSQL could not be installed (scripts/install-postgres.sh): failing before the tests');
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency()}`, '--test-reporter=spec', ...files],
  {
    stdio: 'inherit',
    env: {
      ...process.env,
      SWITCHBOARD_LOG_LEVEL: process.env.SWITCHBOARD_LOG_LEVEL ?? 'silent',
      SWITCHBOARD_SIP_PORT: process.env.SWITCHBOARD_SIP_PORT ?? '0',
    },
  },
);
process.exit(result.status ?? 1);
