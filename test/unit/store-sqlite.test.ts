/**
 * What SqliteStore guarantees beyond the Store contract: a file database survives close and reopen
 * (provisioning and audit), its folder is created, it runs in WAL mode, migrations run once, and a
 * database from a newer Switchboard is refused.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore, openStore } from '../../src/store/sqlite.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/store/schema.js';
import { provision } from '../../src/store/provision.js';
import { demoContactCenter } from '../../src/config/demo.js';
import { verifyPassword } from '../../src/store/password.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('SqliteStore on a file', () => {
  it('creates the parent folder, uses WAL and records the schema version', async () => {
    const file = join(dir, 'a/b/c/switchboard.db');
    const store = openStore(file);
    await store.close();
    assert.ok(existsSync(file));
    const db = new Database(file, { readonly: true });
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    const everyVersion = MIGRATIONS.map((m) => ({ version: m.version }));
    assert.deepEqual(db.prepare('SELECT version FROM schema_version ORDER BY version').all(), everyVersion);
    db.close();
    // reopening migrates nothing twice
    await openStore(file).close();
    const db2 = new Database(file, { readonly: true });
    assert.deepEqual(db2.prepare('SELECT version FROM schema_version ORDER BY version').all(), everyVersion);
    db2.close();
  });

  it('keeps provisioning and audit across close and reopen', async () => {
    const file = join(dir, 'persist.db');
    const first = openStore(file);
    const [cc] = await provision(first, {});
    const snap = await first.snapshot(cc.id);
    await first.append({
      at: 1234,
      contactCenterId: cc.id,
      event: 'Joined',
      supervisorUserId: snap!.users[10].id,
      supervisorDn: '5101',
      targetUserId: snap!.users[0].id,
      targetDn: '5001',
      callUuid: 'call-1',
      mode: 'ListenIn',
      scope: 'Agent',
      span: 'NextCall',
    });
    await first.close();

    const second = openStore(file);
    assert.equal(await second.isEmpty(), false);
    assert.deepEqual(await second.listContactCenters(), [cc]);
    assert.deepEqual(await second.snapshot(cc.id), snap);
    const { total, entries } = await second.query({ contactCenterId: cc.id, offset: 0, limit: 10 });
    assert.equal(total, 1);
    assert.equal(entries[0].callUuid, 'call-1');
    assert.equal(entries[0].targetUserId, snap!.users[0].id);
    assert.equal(await verifyPassword('demo', (await second.userByName('agent1'))!.passwordHash), true);

    // a restart provisions nothing twice: same ids, one contact center
    assert.deepEqual(await provision(second, {}), [cc]);
    assert.deepEqual(await second.snapshot(cc.id), snap);
    // and re-applying the demo explicitly keeps ids and hashes too
    await second.applyContactCenter(demoContactCenter());
    assert.deepEqual(await second.snapshot(cc.id), snap);
    await second.close();
    await second.close(); // harmless
  });

  it('refuses a database written by a newer schema', async () => {
    const file = join(dir, 'newer.db');
    await openStore(file).close();
    const db = new Database(file);
    db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(SCHEMA_VERSION + 1);
    db.close();
    assert.throws(() => openStore(file), /schema version \d+ is newer/);
  });

  it('refuses an empty database name', () => {
    assert.throws(() => new SqliteStore(''), /file path or ":memory:"/);
  });
});

describe('provision', () => {
  it('applies the demo into an empty store only', async () => {
    const store = openStore(':memory:');
    const ccs = await provision(store, {});
    assert.deepEqual(ccs.map((c) => c.name), ['Demo']);
    const snap = (await store.snapshot(ccs[0].id))!;
    assert.equal(snap.users.length, 13);
    assert.deepEqual(
      snap.devices.map((d) => `${d.dn}:${d.kind}`),
      [...Array.from({ length: 10 }, (_, i) => `${5001 + i}:Extension`), '5101:Extension', '5102:Extension', '7000:RoutingPoint'],
    );
    assert.deepEqual(snap.agentGroups.map((g) => [g.name, g.agentUserIds.length, g.supervisorUserIds.length, g.routingPoints]), [
      ['All agents', 10, 2, ['7000']],
    ]);
    assert.deepEqual(snap.agentStates.map((s) => s.operationName), ['Ready', 'NotReady', 'AfterCallWork', 'AuxWork', 'Lunch', 'Training']);
    await store.close();
  });

  it('applies the configured contact centers instead of the demo, and keeps what is stored', async () => {
    const store = openStore(':memory:');
    await provision(store, {});
    const spec = { ...demoContactCenter(), name: 'Tiny', users: [], routingPoints: [], agentGroups: [], agentStates: [] };
    const ccs = await provision(store, { contactCenters: [spec] });
    assert.deepEqual(ccs.map((c) => c.name), ['Demo', 'Tiny']);
    const fresh = openStore(':memory:');
    assert.deepEqual((await provision(fresh, { contactCenters: [spec] })).map((c) => c.name), ['Tiny']);
    assert.deepEqual((await provision(fresh, { contactCenters: [] })).map((c) => c.name), ['Tiny'], 'an empty list is not "no list"');
    await store.close();
    await fresh.close();
  });
});
