/**
 * One Switchboard server for the issue 7 measurements, built from the source tree named by --tree
 * (this checkout, or a git worktree of an older commit), so that "before" and "after" run the same
 * way: the tree's own testConfig (ephemeral port, silent, CometD hold 2 s), the demo contact center
 * plus one user whose first name is 60 characters long (the contacts-filter case), CSRF off (the
 * measurements use Basic credentials), and the given database (:memory: or a file).
 * --disk-full wraps the store in test/helpers/faulty-store.ts of this checkout with its disk full
 * from the start; SIGUSR2 gives it room again. Prints `LISTENING <baseUrl>` once serving; SIGTERM
 * closes it gracefully; a start-up failure prints `FAILED <message>` and exits 1.
 * Usage: npx tsx bench/issue7/serve.ts --tree DIR [--db FILE] [--disk-full]
 */
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FaultyStore } from '../../test/helpers/faulty-store.js';

function argument(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

/** The measured half-sent-body timeout (the default is 30 s; shorter keeps the measurement short). */
const REQUEST_TIMEOUT_MS = 5000;
export const LONG_NAME_USER = 'longname';

const tree = resolve(argument('--tree') ?? '.');
const database = argument('--db') ?? ':memory:';
const diskFull = process.argv.includes('--disk-full');
const load = (path: string) => import(pathToFileURL(join(tree, path)).href);

try {
  const { testConfig } = await load('src/config/load.ts');
  const { createApp } = await load('src/app/app.ts');
  const { demoContactCenter } = await load('src/config/demo.ts');
  const { openStore } = await load('src/store/sqlite.ts');
  const center = demoContactCenter();
  const agentRoles = center.users.find((u: { userName: string }) => u.userName === 'agent1').roles;
  center.users.push({ userName: LONG_NAME_USER, password: 'demo', firstName: 'a'.repeat(60), lastName: 'c', roles: agentRoles });
  const base = testConfig();
  const config = testConfig({
    database,
    csrf: false,
    contactCenters: [center],
    cometd: { ...base.cometd, timeoutMs: 2000, maxIntervalMs: 10000 },
    // only trees that have connection limits know this key
    ...('connections' in base ? { connections: { ...base.connections, requestTimeoutMs: REQUEST_TIMEOUT_MS, headersTimeoutMs: REQUEST_TIMEOUT_MS } } : {}),
  });
  const faulty = diskFull ? new FaultyStore(openStore(database)) : undefined;
  if (faulty) faulty.full = true;
  process.on('SIGUSR2', () => {
    if (faulty) faulty.full = !faulty.full;
  });
  const app = await createApp(config, faulty ? { store: faulty.store } : {});
  const { baseUrl } = await app.listen();
  process.stdout.write(`LISTENING ${baseUrl}\n`);
  process.once('SIGTERM', () => {
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
} catch (err) {
  process.stdout.write(`FAILED ${(err as Error).message.split('\n')[0]}\n`);
  process.exit(1);
}
