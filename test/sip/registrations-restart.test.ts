/**
 * Registrations survive a restart (docs/telephony.md "Registrations across restarts"): the registrar
 * tells its persistence of every binding saved and removed, and takes stored ones back with the rest
 * of their expiry (expired ones dropped) on the virtual clock; the SQL store keeps them in
 * sip_registrations (SQLite and PostgreSQL) and deletes expired rows when read; and end to end, a phone registered with one
 * app is still INVITEd (its nailed-up leg at login) by the next app started on the same database.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registrar } from '../../src/sip/registrar.js';
import { DigestServer } from '../../src/sip/digest.js';
import type { BindingStore, StoredBinding } from '../../src/sip/bindings.js';
import { PostgresStore } from '../../src/store/postgres.js';
import { FingerprintKey } from '../../src/provisioning/fingerprint.js';
import { startPostgres } from '../helpers/postgres.js';
import { VirtualClock } from '../../src/switch/clock.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { createApp } from '../../src/app/app.js';
import { cheapHasher } from '../helpers/cheap-hasher.js';
import { apiConfig, basic } from '../api/harness.js';
import { FakePhone, waitFor } from './b2bua-rig.js';

const folder = mkdtempSync(join(tmpdir(), 'switchboard-registrations-'));
test.after(() => rmSync(folder, { recursive: true, force: true }));

const binding = (dn: string, uri: string, expiresAt: number, transport: 'udp' | 'tcp' = 'udp'): StoredBinding => ({
  dn,
  uri,
  expiresAt,
  callId: `call-${dn}`,
  cseq: 3,
  source: { transport, address: '192.0.2.7', port: 40000 },
});

test('registrar: restore takes live bindings back with the rest of their expiry, ignores expired ones, and reports saves and removals', () => {
  const clock = new VirtualClock();
  const events: string[] = [];
  const persisted: string[] = [];
  const registrar = new Registrar({
    clock,
    lookup: { lookupExtension: () => undefined },
    digest: new DigestServer({ clock }),
    defaultRealm: 'cc',
    events: { registered: (dn) => events.push(`registered ${dn}`), unregistered: (dn) => events.push(`unregistered ${dn}`) },
    persistence: { saved: (b) => persisted.push(`saved ${b.dn}`), removed: (dn, uri) => persisted.push(`removed ${dn} ${uri}`) },
  });
  const now = clock.now();
  const taken = registrar.restore([
    binding('5001', 'sip:5001@192.0.2.7:5062', now + 90_000),
    binding('5002', 'sip:5002@192.0.2.7:5064', now - 1),
    binding('5003', 'sip:5003@192.0.2.8:5066;transport=tcp', now + 30_000, 'tcp'),
  ]);
  assert.equal(taken, 2);
  assert.deepEqual(events, ['registered 5001', 'registered 5003']);
  assert.equal(registrar.isRegistered('5002'), false, 'an expired binding is not taken back');
  assert.deepEqual(registrar.contactFor('5001')?.source, { transport: 'udp', address: '192.0.2.7', port: 40000 });
  assert.deepEqual(registrar.contactFor('5003')?.source, { transport: 'tcp', address: '192.0.2.8', port: 5066 }, 'TCP: reached at its contact');
  assert.equal(registrar.restore([binding('5001', 'sip:5001@192.0.2.7:5062', now + 90_000)]), 0, 'a binding already there is not doubled');
  clock.advance(30_000);
  assert.equal(registrar.isRegistered('5003'), false);
  clock.advance(60_000);
  assert.equal(registrar.isRegistered('5001'), false, 'expires at its stored time');
  assert.deepEqual(persisted, ['removed 5003 sip:5003@192.0.2.8:5066;transport=tcp', 'removed 5001 sip:5001@192.0.2.7:5062']);
  assert.equal(registrar.registeredCount, 0);
});

/** The BindingStore contract, on any store that has registrations(). */
async function bindingStoreContract(store: { registrations(): BindingStore; close(): Promise<void> }): Promise<void> {
  try {
    const registrations = store.registrations();
    await registrations.saveBinding(binding('5001', 'sip:5001@192.0.2.7:5062', 1000));
    await registrations.saveBinding(binding('5001', 'sip:5001@192.0.2.7:5062', 5000));
    await registrations.saveBinding(binding('5002', 'sip:5002@192.0.2.7:5064', 2000, 'tcp'));
    await registrations.saveBinding(binding('5003', 'sip:5003@192.0.2.7:5066', 500));
    assert.deepEqual(await registrations.liveBindings(1000), [
      binding('5002', 'sip:5002@192.0.2.7:5064', 2000, 'tcp'),
      binding('5001', 'sip:5001@192.0.2.7:5062', 5000),
    ]);
    await registrations.deleteBinding('5002', 'sip:5002@192.0.2.7:5064');
    await registrations.deleteBinding('5002', 'sip:nobody@192.0.2.7');
    assert.deepEqual(await registrations.liveBindings(0), [binding('5001', 'sip:5001@192.0.2.7:5062', 5000)], 'the 500 ms row was deleted when read at 1000');
  } finally {
    await store.close();
  }
}

test('SQL store (SQLite): bindings saved, replaced, removed; expired ones deleted when read', () =>
  bindingStoreContract(new SqliteStore(':memory:', cheapHasher)));

test('SQL store (PostgreSQL): the same', async () => {
  const server = await startPostgres();
  try {
    await bindingStoreContract(new PostgresStore(await server.createDatabase(), { hasher: cheapHasher, fingerprintKey: FingerprintKey.ephemeral(), pool: { max: 2 } }));
  } finally {
    await server.stop();
  }
});

test('restart: a phone registered with one app is INVITEd at login by the next app on the same database', async () => {
  const config = apiConfig({ database: join(folder, 'switchboard.db'), recordings: { dir: join(folder, 'recordings') } });
  const first = await createApp(config, { sipEphemeralPorts: true, passwordHasher: cheapHasher });
  const { sipPort } = await first.listen();
  const phone = await FakePhone.start('5001', sipPort!);
  try {
    assert.equal(await phone.register('demo', 300), 200);
    assert.equal(first.telephony!.isRegistered('5001'), true);
    await first.close();

    const second = await createApp(config, { sipEphemeralPorts: true, passwordHasher: cheapHasher });
    try {
      await second.listen();
      assert.equal(second.telephony!.isRegistered('5001'), true, 'the registration was kept');
      const login = await second.fastify.inject({
        method: 'POST',
        url: '/api/v2/me',
        payload: { operationName: 'StartContactCenterSession', channels: ['voice'] },
        headers: { authorization: basic('agent1') },
      });
      assert.equal(login.json().statusCode, 0);
      await waitFor('the nailed-up INVITE reaches the phone', () => phone.count('INVITE') === 1 && phone.dialogs.length === 1);
    } finally {
      await second.close();
    }
  } finally {
    await phone.close();
  }
});
