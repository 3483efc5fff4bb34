/**
 * What PostgresStore guarantees beyond the Store contract, on a real PostgreSQL: provisioning,
 * audit and sessions survive close and reopen; several stores (cluster nodes) opened at once on one
 * database migrate it once and see each other's writes (an HTTP session saved by one node is found
 * by another); a database of a newer schema is refused; an unreachable server is reported by the
 * first call (never by the constructor) as a storage fault in words; a second single server on a
 * database one already serves is refused in words (the advisory lock), and starts once the first stops.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
