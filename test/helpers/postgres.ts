/**
 * A throwaway PostgreSQL server for tests (and H8's three-node test): start one per test file,
 * make a fresh database per test, stop it at the end.
 *
 *     const pg = await startPostgres();            // in before(); installs PostgreSQL when missing
 *     const url = await pg.createDatabase();       // postgres://postgres@/<db>?host=<socket dir>&port=<port>
 *     ... new PostgresStore(url, { fingerprintKey }) ...
 *     await pg.stop();                             // in after(): stops the server, removes its folder
 *
 * Guarantees: the cluster is a new initdb in a temporary folder (never the machine's own cluster),
 * owned by and run as the `postgres` user when the tests run as root (PostgreSQL refuses root;
 * runuser), listening on a free TCP port of 127.0.0.1 and on a unix socket in that folder; fsync
 * is off (tests do not survive power cuts anyway); a start that fails throws with the server's log;
 * the server is also stopped if the process exits without calling stop(). PostgreSQL's programs
 * come from scripts/install-postgres.sh, which installs Debian's postgresql package when they are
 * missing (so a fresh CI machine runs these tests, never skips them).
 */
import { spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../scripts/cluster-demo-lib.js';

export interface PostgresServer {
  /** the folder holding the data, the socket and the log */
  readonly dir: string;
  readonly port: number;
  /** connection string of the `postgres` database (the admin one) */
  readonly adminUrl: string;
  /** a new, empty database; its connection string */
  createDatabase(name?: string): Promise<string>;
  stop(): Promise<void>;
}

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function run(command: string, args: string[], what: string): string {
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  const r = spawnSync(cmd, argv, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${what} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** PostgreSQL's bin folder, installing the package when needed. */
function postgresBin(): string {
  const r = spawnSync('sh', [join(import.meta.dirname, '..', '..', 'scripts', 'install-postgres.sh')], { encoding: 'utf8' });
  const bin = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || bin === '') throw new Error(`scripts/install-postgres.sh failed: ${r.stderr}`);
  return bin;
}


let databases = 0;

export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  if (asRoot) {
    const pgUser = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const pgGroup = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    chownSync(dir, Number(pgUser.stdout), Number(pgGroup.stdout));
  }
  const superuser = asRoot ? 'postgres' : userInfo().username;
  const port = await freePort();
  run(join(bin, 'initdb'), ['-D', data, '-U', superuser, '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'], 'initdb');
  const serverOptions = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  const pgCtl = join(bin, 'pg_ctl');
  try {
    run(pgCtl, ['-D', data, '-l', log, '-o', serverOptions, '-w', '-t', '60', 'start'], 'pg_ctl start');
  } catch (err) {
    let text = '';
    try {
      text = readFileSync(log, 'utf8');
    } catch {
      // no log yet
    }
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(err as Error).message}\n${text}`);
  }
  let stopped = false;
  const stopNow = (): void => {
    if (stopped) return;
    stopped = true;
    try {
      run(pgCtl, ['-D', data, '-m', 'immediate', '-w', 'stop'], 'pg_ctl stop');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  process.once('exit', stopNow);
  const urlOf = (database: string) => `postgres://${superuser}@/${database}?host=${encodeURIComponent(dir)}&port=${port}`;
  const adminUrl = urlOf('postgres');
  return {
    dir,
    port,
    adminUrl,
    async createDatabase(name = `t${process.pid}_${++databases}`) {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      } finally {
        await client.end();
      }
      return urlOf(name);
    },
    async stop() {
      process.removeListener('exit', stopNow);
      stopNow();
    },
  };
}
