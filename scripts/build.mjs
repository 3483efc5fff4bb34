// `npm run build` (also run by `npm install` through postinstall, and by `npm start` when a source
// changed since the last build): compiles the server's TypeScript (src/ -> dist/, tsc with
// tsconfig.build.json, incremental) and bundles the web console (scripts/build-console.ts, esbuild ->
// dist/console). Guarantees: each step prints one line before it starts and one with its duration
// when it ends (install is never minutes of silence on our side); a failing step exits non-zero with
// the compiler's own messages; `--if-stale` does nothing when dist/ is newer than every source file.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const STAMP = join(ROOT, 'dist', '.build-stamp');
const SOURCES = ['src', 'web', 'package.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/build-console.ts'];

/** the steps, in order: what each is, the command, and whether it applies to this checkout */
const STEPS = [
  {
    what: 'compiling the server TypeScript (tsc, src/ -> dist/)',
    command: [process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')]],
    applies: () => true,
  },
  {
    what: 'bundling the web console (esbuild, web/ -> dist/console)',
    command: [process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'build-console.ts')]],
    applies: () => existsSync(join(ROOT, 'scripts', 'build-console.ts')) && existsSync(join(ROOT, 'web')),
  },
];

function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const name of readdirSync(path)) latest = Math.max(latest, newest(join(path, name)));
  return latest;
}

function stale() {
  if (!existsSync(STAMP) || !existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) return true;
  const built = statSync(STAMP).mtimeMs;
  return SOURCES.some((source) => newest(join(ROOT, source)) > built);
}

if (process.argv.includes('--if-stale') && !stale()) process.exit(0);

const steps = STEPS.filter((step) => step.applies());
const started = Date.now();
for (const [index, step] of steps.entries()) {
  const stepStarted = Date.now();
  console.log(`switchboard build [${index + 1}/${steps.length}]: ${step.what} ...`);
  const [program, args] = step.command;
  const result = spawnSync(program, args, { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`switchboard build: ${step.what} failed (exit ${result.status ?? result.signal})`);
    process.exit(1);
  }
  console.log(`switchboard build [${index + 1}/${steps.length}]: done in ${((Date.now() - stepStarted) / 1000).toFixed(1)} s`);
}
mkdirSync(dirname(STAMP), { recursive: true });
writeFileSync(STAMP, `${new Date().toISOString()}\n`);
console.log(`switchboard build: finished in ${((Date.now() - started) / 1000).toFixed(1)} s; npm start runs node dist/cli/main.js`);
