/**
 * What PostgresStore guarantees beyond the Store contract, on a real PostgreSQL: provisioning,
 * audit and sessions survive close and reopen; several stores (cluster nodes) opened at once on one
 * database migrate it once and see each other's writes (an HTTP session saved by one node is found
 * by another); a database of a newer schema is refused; an unreachable server is reported by the
 * first call (never by the constructor) as a storage fault in words; a second single server on a
 * database one already serves is refused in words (the advisory lock), and starts once the first stops;
 * a lock lost with its connection (a terminated backend) is taken again on a new connection, and one
 * that another server took meanwhile is reported (a log line, /readyz 503) until it is taken back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import pg from 'pg';
import { FingerprintKey } from '../../src/provisioning/fingerprint.js';
import { storeFaultOf } from '../../src/store/faults.js';
import { PostgresStore } from '../../src/store/postgres.js';
import { POSTGRES_MIGRATIONS, POSTGRES_SCHEMA_VERSION } from '../../src/store/sql/postgres-schema.js';
import { provision } from '../../src/store/provision.js';
import { verifyPassword } from '../../src/store/password.js';
import { describeDatabase } from '../../src/store/open.js';
import { cheapHasher } from '../helpers/cheap-hasher.js';
import { startPostgres, type PostgresServer } from '../helpers/postgres.js';

let server: PostgresServer;
before(async () => {
  server = await startPostgres();
});
after(() => server?.stop());

const key = FingerprintKey.ephemeral();
const open = (url: string) => new PostgresStore(url, { hasher: cheapHasher, fingerprintKey: key, pool: { max: 4 } });

describe('PostgresStore', () => {
  it('keeps provisioning, audit and sessions across close and reopen', async () => {
    const url = await server.createDatabase();
    const first = open(url);
    const [cc] = await provision(first, {});
    const snap = await first.snapshot(cc.id);
    await first.append({ at: 1234, contactCenterId: cc.id, event: 'Joined', supervisorUserId: 's', supervisorDn: '5101', targetDn: '5001', mode: 'ListenIn', scope: 'Agent', span: 'NextCall' });
    await first.saveSession({ idHash: 'a'.repeat(64), userId: snap!.users[0].id, csrfToken: 'c', createdAt: 1, lastSeen: 2 ** 42 });
    await first.close();

    const second = open(url);
    assert.deepEqual(await second.listContactCenters(), [cc]);
    assert.deepEqual(await second.snapshot(cc.id), snap);
    assert.equal((await second.query({ contactCenterId: cc.id, offset: 0, limit: 10 })).entries[0].at, 1234);
    assert.deepEqual((await second.sessionsSeenSince(0)).map((s) => s.lastSeen), [2 ** 42], 'BIGINT comes back as a number');
    assert.equal(await verifyPassword('demo', (await second.userByName('agent1'))!.passwordHash), true);
    assert.deepEqual(await provision(second, {}), [cc], 'a restart provisions nothing twice');
    assert.deepEqual(await second.snapshot(cc.id), snap);
    await second.close();
    await second.close();
  });

  it('three nodes opened at once migrate once and share sessions and provisioning', async () => {
    const url = await server.createDatabase();
    const nodes = [open(url), open(url), open(url)];
    await Promise.all(nodes.map((n) => n.ready));
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const versions = await client.query('SELECT version FROM schema_version ORDER BY version');
    await client.end();
    assert.deepEqual(versions.rows.map((r) => r.version), POSTGRES_MIGRATIONS.map((m) => m.version), 'each migration once');

    await Promise.all(nodes.map((n) => provision(n, {})));
    assert.equal((await nodes[2].listContactCenters()).length, 1, 'the demo once, whichever node came first');
    await nodes[0].saveSession({ idHash: 'b'.repeat(64), userId: 'u1', csrfToken: 'x', createdAt: 10, lastSeen: 20 });
    assert.deepEqual((await nodes[1].sessionsSeenSince(0)).map((s) => s.idHash), ['b'.repeat(64)]);
    await nodes[2].touchSession('b'.repeat(64), 30);
    await nodes[1].touchSession('b'.repeat(64), 25);
    assert.equal((await nodes[0].sessionsSeenSince(0))[0].lastSeen, 30, 'lastSeen only moves forward, whoever writes');
    await Promise.all(nodes.map((n) => n.close()));
  });

  it('refuses a database written by a newer schema', async () => {
    const url = await server.createDatabase();
    const store = open(url);
    await store.ready;
    await store.close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('INSERT INTO schema_version (version) VALUES ($1)', [POSTGRES_SCHEMA_VERSION + 1]);
    await client.end();
    const newer = open(url);
    await assert.rejects(newer.isEmpty(), /schema version \d+ is newer/);
    await newer.close();
  });

  it('an unreachable server: the constructor does not throw, every call rejects with a storage fault in words', async () => {
    const store = open(`postgres://nobody@/x?host=${encodeURIComponent(server.dir)}&port=1`);
    const err = await store.isEmpty().then(
      () => assert.fail('answered without a server'),
      (e: unknown) => e,
    );
    assert.match(storeFaultOf(err)?.reason ?? '', /cannot be reached/);
    await assert.rejects(store.append({ at: 1, contactCenterId: 'c', event: 'Joined', supervisorUserId: 's', supervisorDn: '1', targetDn: '2', mode: 'ListenIn', scope: 'Agent', span: 'NextCall' }));
    await store.close();
  });

  it('the banner never shows a connection string\'s password', () => {
    assert.equal(describeDatabase('postgres://sw:s3cret@db.example:5432/switchboard'), 'postgres://sw:***@db.example:5432/switchboard');
    assert.equal(describeDatabase('./data/switchboard.db'), './data/switchboard.db');
    assert.equal(describeDatabase('postgres://me@/db?host=/run/pg&password=x&port=5'), 'postgres://me@/db?host=/run/pg&password=***&port=5');
    assert.equal(describeDatabase('postgresql://me:pw@/db?host=/run/pg'), 'postgresql://me:***@/db?host=/run/pg');
  });
});

describe("a single server on PostgreSQL is its database's only one", () => {
  it('a second single server on the same database is refused in words; once the first stops, a new one starts', async () => {
    const { createApp } = await import('../../src/app/app.js');
    const { testConfig } = await import('../../src/config/load.js');
    const { DatabaseInUseError } = await import('../../src/store/postgres.js');
    const url = await server.createDatabase();
    const keyFile = join(mkdtempSync(join(tmpdir(), 'sb-pg-lock-')), 'password.key');
    const config = testConfig({ database: url, passwordKeyFile: keyFile });
    const first = await createApp(config, { passwordHasher: cheapHasher });
    try {
      await assert.rejects(createApp(config, { passwordHasher: cheapHasher }), (err: unknown) => {
        assert.ok(err instanceof DatabaseInUseError, String(err));
        assert.match((err as Error).message, /in use by another single Switchboard server; stop it, give this server its own database, or run both as cluster nodes/);
        return true;
      });
    } finally {
      await first.close();
    }
    const again = await createApp(config, { passwordHasher: cheapHasher });
    await again.close();
  });
});

describe('a single server whose lock connection drops takes the lock again', () => {
  /** the backends of the admin's database holding the single-server lock (a bigint key: its high half in classid, its low half in objid) */
  async function lockHolders(admin: pg.Client): Promise<number[]> {
    const { SINGLE_SERVER_LOCK_KEY } = await import('../../src/store/postgres.js');
    const { rows } = await admin.query<{ pid: number }>(
      `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
         AND classid::bigint = ($1::bigint >> 32) AND objid::bigint = ($1::bigint & 4294967295)
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [SINGLE_SERVER_LOCK_KEY],
    );
    return rows.map((r) => r.pid);
  }
  /** end the backend holding the lock, and wait until it is gone (PostgreSQL 14+: the timeout form) */
  async function dropLockConnection(admin: pg.Client): Promise<number> {
    const [pid] = await lockHolders(admin);
    assert.ok(pid, 'a backend holds the lock');
    const { rows } = await admin.query<{ ended: boolean }>('SELECT pg_terminate_backend($1, 5000) AS ended', [pid]);
    assert.equal(rows[0].ended, true);
    return pid;
  }
  /** the store's lock events, and a wait for the next one that fails loudly */
  function watcher() {
    const seen: string[] = [];
    let wake: (() => void) | undefined;
    return {
      seen,
      watch: (event: string) => {
        seen.push(event);
        wake?.();
      },
      async until(event: string, count = 1, timeoutMs = 10_000): Promise<void> {
        const deadline = Date.now() + timeoutMs;
        while (seen.filter((e) => e === event).length < count) {
          const left = deadline - Date.now();
          if (left <= 0) throw new Error(`no "${event}" (#${count}) within ${timeoutMs} ms; seen: ${seen.join(', ')}`);
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, left).unref();
          });
        }
      },
    };
  }

  it('a terminated lock connection: lost, then held again on a new connection; meanwhile the store says why it is not alone', async () => {
    const url = await server.createDatabase();
    const store = open(url);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const events = watcher();
      await store.ready;
      assert.equal(await store.holdSingleServerLock(events.watch), true);
      assert.equal(store.singleServerLockFault(), undefined);
      const first = await dropLockConnection(admin);
      await events.until('lost');
      assert.match(store.singleServerLockFault() ?? '', /single-server lock was lost; taking it again/);
      await events.until('retaken');
      assert.equal(store.singleServerLockFault(), undefined);
      const holders = await lockHolders(admin);
      assert.equal(holders.length, 1);
      assert.notEqual(holders[0], first, 'a new connection holds it');
      assert.deepEqual(events.seen, ['lost', 'retaken']);
    } finally {
      await admin.end();
      await store.close();
    }
    const after = new pg.Client({ connectionString: url });
    await after.connect();
    assert.deepEqual(await lockHolders(after), [], 'close releases the lock taken again');
    await after.end();
  });

  it("our own old session, alive on the database's side after our side of its connection dropped, is ended and the lock taken again", async () => {
    // a TCP relay in front of PostgreSQL's socket: cutting one relayed connection on our side only
    // leaves its backend (and the lock it holds) alive, as a reset by a NAT or a proxy would
    const database = await server.createDatabase();
    const base = new URL(database.replace('postgres@/', 'postgres@relay/'));
    const socketPath = `${base.searchParams.get('host')}/.s.PGSQL.${base.searchParams.get('port')}`;
    const relayed: { ours: net.Socket; theirs: net.Socket }[] = [];
    const relay = net.createServer((ours) => {
      const theirs = net.connect(socketPath);
      ours.pipe(theirs);
      theirs.pipe(ours);
      ours.on('error', () => {});
      theirs.on('error', () => {});
      relayed.push({ ours, theirs });
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const viaRelay = `postgres://postgres@127.0.0.1:${(relay.address() as net.AddressInfo).port}${base.pathname}`;
    const store = open(viaRelay);
    const admin = new pg.Client({ connectionString: database });
    await admin.connect();
    try {
      await store.ready;
      const events = watcher();
      assert.equal(await store.holdSingleServerLock(events.watch), true);
      const [old] = await lockHolders(admin);
      const lockConnection = relayed[relayed.length - 1];
      lockConnection.theirs.unpipe(lockConnection.ours);
      lockConnection.ours.unpipe(lockConnection.theirs);
      lockConnection.ours.destroy();
      await events.until('retaken');
      assert.deepEqual(events.seen, ['lost', 'retaken'], 'not reported as another server');
      const holders = await lockHolders(admin);
      assert.equal(holders.length, 1);
      assert.notEqual(holders[0], old, 'the old session was ended, a new one holds the lock');
    } finally {
      await admin.end();
      await store.close();
      for (const { ours, theirs } of relayed) {
        ours.destroy();
        theirs.destroy();
      }
      relay.close();
    }
  });

  it('a store closed while it takes the lock lets the lock go', async () => {
    const url = await server.createDatabase();
    const store = open(url);
    await store.ready;
    const taking = store.holdSingleServerLock();
    await store.close();
    assert.equal(await taking, false);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      // the backend exits just after its client ends: wait for it (fails loudly after 5 s)
      const deadline = Date.now() + 5000;
      while ((await lockHolders(admin)).length > 0) {
        if (Date.now() > deadline) throw new Error('the lock is still held 5 s after close()');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      await admin.end();
    }
  });

  it('another server takes the lock meanwhile: reported (log line and readiness), and taken back once it is free', async () => {
    const { createApp, LOCK_LOG_LINES } = await import('../../src/app/app.js');
    const { testConfig } = await import('../../src/config/load.js');
    const { SINGLE_SERVER_LOCK_KEY } = await import('../../src/store/postgres.js');
    const url = await server.createDatabase();
    const keyFile = join(mkdtempSync(join(tmpdir(), 'sb-pg-relock-')), 'password.key');
    const lines: string[] = [];
    let logged: (() => void) | undefined;
    const logStream = {
      write: (line: string) => {
        lines.push(line);
        logged?.();
        return true;
      },
    };
    const app = await createApp(testConfig({ database: url, passwordKeyFile: keyFile, logLevel: 'info' }), { passwordHasher: cheapHasher, logStream });
    const admin = new pg.Client({ connectionString: url });
    const other = new pg.Client({ connectionString: url });
    await Promise.all([admin.connect(), other.connect()]);
    /** wait until a log line holds `text` (fails loudly after 10 s) */
    const lineWith = async (text: string): Promise<void> => {
      const deadline = Date.now() + 10_000;
      while (!lines.some((l) => l.includes(text))) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no log line with "${text}" within 10 s; lines: ${lines.filter((l) => l.includes('store')).join('')}`);
        await new Promise<void>((resolve) => {
          logged = resolve;
          setTimeout(resolve, left).unref();
        });
      }
    };
    const ready = async () => {
      const res = await app.fastify.inject({ method: 'GET', url: '/readyz' });
      return { code: res.statusCode, body: res.body };
    };
    try {
      assert.equal((await ready()).code, 200);
      await dropLockConnection(admin);
      const { rows } = await other.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [SINGLE_SERVER_LOCK_KEY]);
      assert.equal(rows[0].locked, true, 'the other server takes the free lock first');
      await lineWith(LOCK_LOG_LINES.lost.message);
      await lineWith(LOCK_LOG_LINES.heldByAnother.message);
      const notReady = await ready();
      assert.equal(notReady.code, 503);
      assert.match(notReady.body, /another single Switchboard server holds this PostgreSQL database/);
      await other.query('SELECT pg_advisory_unlock($1::bigint)', [SINGLE_SERVER_LOCK_KEY]);
      await lineWith(LOCK_LOG_LINES.retaken.message);
      assert.equal((await ready()).code, 200);
    } finally {
      await Promise.all([admin.end(), other.end()]);
      await app.close();
    }
  });
});
