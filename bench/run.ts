/**
 * `npm run bench`: runs every benchmark section under bench/sections/ in name order, each in its own
 * process (so one section's memory, JIT state and leftover sockets never colour the next), and
 * passes the arguments given after `--` to every section. Each section prints its own Markdown tables
 * with the machine line and the baseline it measured in the same run.
 *
 * Sections are files named NN-name.ts. A file named NN-name.cluster.ts is a cluster section: it runs
 * only with `--cluster`, and `--cluster` runs only cluster sections (they measure their own
 * single-node figures beside the cluster's, in the same run). `--only=rest,media` runs the sections
 * whose name contains one of the words. Adding a benchmark means adding a file; this runner does not
 * change. The exit status is non-zero when any section failed.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = join(dirname(fileURLToPath(import.meta.url)), 'sections');
const args = process.argv.slice(2);
const cluster = args.includes('--cluster');
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',').filter(Boolean);

const sections = readdirSync(here)
  .filter((name) => /^\d+-.+\.ts$/.test(name))
  .filter((name) => name.endsWith('.cluster.ts') === cluster)
  .filter((name) => !only || only.some((word) => name.includes(word)))
  .sort();

if (sections.length === 0) {
  console.error(`bench: no section matches (sections are in ${here}; --only= filters by name, --cluster picks *.cluster.ts)`);
  process.exit(2);
}

const failed: string[] = [];
for (const name of sections) {
  console.log(`\n## ${name.replace(/^\d+-/, '').replace(/\.ts$/, '')}\n`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(here, name), ...args], { stdio: 'inherit' });
  if (result.status !== 0) failed.push(name);
}
if (failed.length > 0) {
  console.error(`\nbench: ${failed.length} section(s) failed: ${failed.join(', ')}`);
  process.exit(1);
}
