/**
 * The Store contract: every adapter of src/store/port.ts must pass `runStoreContract`. It is run
 * here against SqliteStore in memory and on a temporary file, and against PostgresStore on a real
 * PostgreSQL server started for this file (test/helpers/postgres.ts; a fresh database per test).
 */
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditEntry, ContactCenterSpec, Store } from '../../src/store/port.js';
import { ALL_FEATURES, Role } from '../../src/store/port.js';
import { SYSTEM_AGENT_STATES } from '../../src/store/ids.js';
import { verifyPassword } from '../../src/store/password.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { PostgresStore } from '../../src/store/postgres.js';
import { FingerprintKey } from '../../src/provisioning/fingerprint.js';
import { startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { defaultContactCenterSettings } from '../../src/config/defaults.js';

const DASHED_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HEX32 = /^[0-9a-f]{32}$/;
const UPPER_UUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;

/** A small contact center touching every part of a spec. */
export function acmeSpec(): ContactCenterSpec {
  const settings = defaultContactCenterSettings();
  settings.wrapUpTime = 15;
  settings.supervision.maxSupervisorsPerAgent = 2;
  settings.supervision.notifyAgent = 'coachAndBarge';
  return {
    name: 'Acme',
    features: ['api-voice', 'api-supervisor-monitoring'],
    settings,
    agentStates: [{ operationName: 'Lunch', displayName: 'Out to Lunch', state: 'NotReady', workMode: 'AuxWork', reason: 'Lunch' }],
    users: [
      { userName: 'ann', password: 'pw-ann', firstName: 'Ann', lastName: 'Archer', emailAddress: 'ann@acme.test', roles: [Role.Agent], dn: '6001' },
      { userName: 'bob', password: 'pw-bob', firstName: 'Bob', lastName: 'Baker', roles: [Role.Agent], dn: '6002', wrapUpTime: 30 },
      { userName: 'sue', password: 'pw-sue', firstName: 'Sue', lastName: 'Smith', roles: [Role.Agent, Role.Supervisor], dn: '6101' },
      { userName: 'root', password: 'pw-root', roles: [Role.Admin] },
    ],
    routingPoints: [{ number: '6900', agentGroup: 'Sales' }, { number: '6999' }],
    agentGroups: [{ name: 'Sales', agents: ['ann', 'bob'], supervisors: ['sue'] }],
  };
}

/** An audit entry; keys given as undefined are left out, as a store returns them. */
function audit(over: Partial<AuditEntry> & Pick<AuditEntry, 'at' | 'contactCenterId'>): AuditEntry {
  const e: Record<string, unknown> = {
    event: 'Joined',
    supervisorUserId: 'sup1',
    supervisorDn: '6101',
    targetUserId: 'agentA',
    targetDn: '6001',
    mode: 'ListenIn',
    scope: 'Agent',
    span: 'NextCall',
    ...over,
  };
  for (const k of Object.keys(e)) if (e[k] === undefined) delete e[k];
  return e as unknown as AuditEntry;
}

export function runStoreContract(name: string, makeStore: () => Store | Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    it('starts empty', async () => {
      assert.equal(await store.isEmpty(), true);
      assert.deepEqual(await store.listContactCenters(), []);
      assert.equal(await store.snapshot('00000000-0000-0000-0000-000000000000'), undefined);
      assert.equal(await store.userByName('ann'), undefined);
    });

    it('applies a contact center: features, settings and roles round trip', async () => {
      const spec = acmeSpec();
      const { usersWithNewPassword, ...cc } = await store.applyContactCenter(spec);
      assert.match(cc.id, DASHED_UUID);
      assert.deepEqual(cc, { id: cc.id, name: 'Acme', features: spec.features, settings: spec.settings });
      assert.deepEqual(usersWithNewPassword, [], 'a first apply changes nobody\'s password');
      assert.equal(await store.isEmpty(), false);
      assert.deepEqual(await store.listContactCenters(), [cc]);

      const snap = (await store.snapshot(cc.id))!;
      assert.deepEqual(snap.contactCenter, cc);
      assert.deepEqual(
        snap.users.map((u) => [u.userName, u.firstName, u.lastName, u.emailAddress, u.roles, u.enabled, u.wrapUpTime, u.contactCenterId]),
        [
          ['ann', 'Ann', 'Archer', 'ann@acme.test', ['ROLE_AGENT'], true, undefined, cc.id],
          ['bob', 'Bob', 'Baker', '', ['ROLE_AGENT'], true, 30, cc.id],
          ['sue', 'Sue', 'Smith', '', ['ROLE_AGENT', 'ROLE_SUPERVISOR'], true, undefined, cc.id],
          ['root', '', '', '', ['ROLE_ADMIN'], true, undefined, cc.id],
        ],
      );
      for (const u of snap.users) assert.match(u.id, HEX32);
      const uid = Object.fromEntries(snap.users.map((u) => [u.userName, u.id]));

      assert.deepEqual(
        snap.devices.map((d) => [d.dn, d.kind, d.userId, d.contactCenterId]),
        [
          ['6001', 'Extension', uid.ann, cc.id],
          ['6002', 'Extension', uid.bob, cc.id],
          ['6101', 'Extension', uid.sue, cc.id],
          ['6900', 'RoutingPoint', undefined, cc.id],
          ['6999', 'RoutingPoint', undefined, cc.id],
        ],
      );
      for (const d of snap.devices) assert.match(d.id, DASHED_UUID);
      const did = Object.fromEntries(snap.devices.map((d) => [d.dn, d.id]));

      assert.deepEqual(
        snap.places.map((p) => [p.name, p.userId, p.deviceIds, p.contactCenterId]),
        [
          ['Place_6001', uid.ann, [did['6001']], cc.id],
          ['Place_6002', uid.bob, [did['6002']], cc.id],
          ['Place_6101', uid.sue, [did['6101']], cc.id],
        ],
      );

      assert.equal(snap.agentGroups.length, 1);
      const g = snap.agentGroups[0];
      assert.match(g.id, DASHED_UUID);
      assert.deepEqual(
        { ...g, id: '' },
        { id: '', contactCenterId: cc.id, name: 'Sales', agentUserIds: [uid.ann, uid.bob], supervisorUserIds: [uid.sue], routingPoints: ['6900'] },
      );

      const sys = Object.values(SYSTEM_AGENT_STATES).map((s) => ({ ...s, contactCenterId: cc.id, system: true }));
      assert.deepEqual(snap.agentStates.slice(0, 4), sys);
      assert.deepEqual(snap.agentStates.map((s) => s.id).slice(0, 4), [
        '9430250E-0A1B-421F-B372-F29E69366DED',
        '900D55CC-2BB0-431F-8BF9-D3525B383BE6',
        'D3663509-3D82-4DD3-A82E-2EA8EFA02AEF',
        '2B36138D-C564-4562-A8CB-3C32D564F296',
      ]);
      const lunch = snap.agentStates[4];
      assert.match(lunch.id, UPPER_UUID);
      assert.deepEqual(
        { ...lunch, id: '' },
        { id: '', contactCenterId: cc.id, system: false, operationName: 'Lunch', displayName: 'Out to Lunch', state: 'NotReady', workMode: 'AuxWork', reason: 'Lunch' },
      );
      assert.equal(snap.agentStates.length, 5);
    });

    it('stores passwords hashed, never in plain text, and they verify', async () => {
      await store.applyContactCenter(acmeSpec());
      for (const [userName, pw] of [['ann', 'pw-ann'], ['root', 'pw-root']]) {
        const u = (await store.userByName(userName))!;
        assert.equal(u.userName, userName);
        assert.ok(!u.passwordHash.includes(pw), 'no plain text');
        assert.match(u.passwordHash, /^scrypt\$/);
        assert.equal(await verifyPassword(pw, u.passwordHash), true);
        assert.equal(await verifyPassword('wrong', u.passwordHash), false);
      }
      const ann = (await store.userByName('ann'))!;
      const bob = (await store.userByName('bob'))!;
      assert.notEqual(ann.passwordHash, bob.passwordHash);
    });

    it('keeps an extension\'s sipPassword only as its digest HA1 hashes, realm = the contact center\'s name', async () => {
      const spec = acmeSpec();
      spec.users[0].sipPassword = 'sip-ann';
      spec.users[2].sipPassword = 'sip-sue';
      const cc = await store.applyContactCenter(spec);
      const snapshot = (await store.snapshot(cc.id))!;
      const byDn = new Map(snapshot.devices.map((d) => [d.dn, d]));
      const expected = (dn: string, password: string) => ({
        realm: 'Acme',
        ha1Md5: createHash('md5').update(`${dn}:Acme:${password}`).digest('hex'),
        ha1Sha256: createHash('sha256').update(`${dn}:Acme:${password}`).digest('hex'),
      });
      assert.deepEqual(byDn.get('6001')!.sip, expected('6001', 'sip-ann'));
      assert.deepEqual(byDn.get('6101')!.sip, expected('6101', 'sip-sue'));
      assert.equal(byDn.get('6002')!.sip, undefined, 'no sipPassword: the extension cannot register');
      assert.equal(byDn.get('6900')!.sip, undefined, 'routing points have none');
      const everything = JSON.stringify([snapshot, await store.userByName('ann'), await store.userByName('sue')]);
      assert.ok(!everything.includes('sip-ann') && !everything.includes('sip-sue'), 'the password itself is never returned');

      // re-applying the same spec keeps the hashes; a new password replaces them; none removes them
      await store.applyContactCenter(spec);
      assert.deepEqual((await store.snapshot(cc.id))!.devices, snapshot.devices);
      spec.users[0].sipPassword = 'sip-ann-2';
      delete spec.users[2].sipPassword;
      await store.applyContactCenter(spec);
      const after = new Map((await store.snapshot(cc.id))!.devices.map((d) => [d.dn, d]));
      assert.deepEqual(after.get('6001')!.sip, expected('6001', 'sip-ann-2'));
      assert.equal(after.get('6101')!.sip, undefined);
      assert.equal(after.get('6001')!.id, byDn.get('6001')!.id, 'the device keeps its id');
    });

    it('refuses a sipPassword without an extension, or an empty one', async () => {
      const spec = acmeSpec();
      spec.users[3].sipPassword = 'x';
      spec.users[0].sipPassword = '';
      await assert.rejects(store.applyContactCenter(spec), (error: Error & { problems?: string[] }) => {
        assert.deepEqual(error.problems, [
          'users[0].sipPassword: must not be empty (omit it: the extension then cannot register)',
          "users[3].sipPassword: needs a dn: a SIP password belongs to the user's extension",
        ]);
        return true;
      });
      assert.equal(await store.isEmpty(), true);
    });

    it('re-applying the same spec changes nothing, ids and hashes included', async () => {
      const cc = await store.applyContactCenter(acmeSpec());
      const before = await store.snapshot(cc.id);
      const again = await store.applyContactCenter(acmeSpec());
      assert.deepEqual(again, cc);
      assert.deepEqual(await store.snapshot(cc.id), before);
      assert.equal((await store.listContactCenters()).length, 1);
    });

    it('updates by name: kept rows keep their ids, dropped rows go, new rows come', async () => {
      const cc = await store.applyContactCenter(acmeSpec());
      const before = (await store.snapshot(cc.id))!;
      const idOf = (userName: string): string => before.users.find((u) => u.userName === userName)!.id;

      const spec = acmeSpec();
      spec.features = [...ALL_FEATURES];
      spec.settings.externalAnswerDelayMs = 250;
      spec.settings.supervision.intrusion = false;
      spec.users = spec.users.filter((u) => u.userName !== 'bob');
      spec.users[0] = { ...spec.users[0], password: 'new-pw', lastName: 'Adams', dn: '6003', roles: [Role.Agent, Role.Supervisor] };
      spec.users.push({ userName: 'cat', password: 'pw-cat', roles: [Role.Agent], dn: '6002' });
      spec.agentGroups = [
        { name: 'Sales', agents: ['ann', 'cat'], supervisors: ['sue', 'ann'] },
        { name: 'Support', agents: ['cat'], supervisors: [] },
      ];
      spec.routingPoints = [{ number: '6900', agentGroup: 'Support' }];
      spec.agentStates = [
        { operationName: 'Training', displayName: 'Training', state: 'NotReady', workMode: 'AuxWork' },
        { operationName: 'Lunch', displayName: 'Lunch break', state: 'NotReady', reason: 'Food' },
      ];
      const updated = await store.applyContactCenter(spec);
      assert.equal(updated.id, cc.id);
      assert.deepEqual(updated.features, [...ALL_FEATURES]);
      assert.deepEqual(updated.settings, spec.settings);

      const snap = (await store.snapshot(cc.id))!;
      assert.deepEqual(snap.users.map((u) => u.userName), ['ann', 'sue', 'root', 'cat']);
      assert.equal(snap.users[0].id, idOf('ann'));
      assert.equal(snap.users[1].id, idOf('sue'));
      assert.notEqual(snap.users[3].id, idOf('bob'));
      assert.equal(snap.users[0].lastName, 'Adams');
      assert.deepEqual(snap.users[0].roles, ['ROLE_AGENT', 'ROLE_SUPERVISOR']);
      assert.equal(await store.userByName('bob'), undefined);

      const ann = (await store.userByName('ann'))!;
      assert.equal(await verifyPassword('new-pw', ann.passwordHash), true);
      assert.equal(await verifyPassword('pw-ann', ann.passwordHash), false);
      const sueBefore = before.users.find((u) => u.userName === 'sue')!;
      assert.equal(snap.users[1].passwordHash, sueBefore.passwordHash, 'unchanged password keeps its hash');

      const devBefore = Object.fromEntries(before.devices.map((d) => [d.dn, d.id]));
      const uid = Object.fromEntries(snap.users.map((u) => [u.userName, u.id]));
      assert.deepEqual(
        snap.devices.map((d) => [d.dn, d.kind, d.userId]),
        [
          ['6003', 'Extension', uid.ann],
          ['6101', 'Extension', uid.sue],
          ['6002', 'Extension', uid.cat],
          ['6900', 'RoutingPoint', undefined],
        ],
      );
      const dev = Object.fromEntries(snap.devices.map((d) => [d.dn, d.id]));
      assert.equal(dev['6101'], devBefore['6101']);
      assert.equal(dev['6900'], devBefore['6900']);
      assert.equal(dev['6002'], devBefore['6002'], 'a DN keeps its device when it changes hands');
      assert.deepEqual(
        snap.places.map((p) => [p.name, p.userId, p.deviceIds]),
        [
          ['Place_6003', uid.ann, [dev['6003']]],
          ['Place_6101', uid.sue, [dev['6101']]],
          ['Place_6002', uid.cat, [dev['6002']]],
        ],
      );

      assert.deepEqual(
        snap.agentGroups.map((g) => [g.name, g.agentUserIds, g.supervisorUserIds, g.routingPoints]),
        [
          ['Sales', [uid.ann, uid.cat], [uid.sue, uid.ann], []],
          ['Support', [uid.cat], [], ['6900']],
        ],
      );
      assert.equal(snap.agentGroups[0].id, before.agentGroups[0].id);

      const lunchBefore = before.agentStates.find((s) => s.operationName === 'Lunch')!;
      assert.deepEqual(
        snap.agentStates.map((s) => [s.operationName, s.displayName, s.system, s.workMode, s.reason]),
        [
          ['Ready', 'Ready', true, undefined, undefined],
          ['NotReady', 'Not Ready', true, undefined, undefined],
          ['AfterCallWork', 'AfterCallWork', true, 'AfterCallWork', undefined],
          ['AuxWork', 'AuxWork', true, 'AuxWork', undefined],
          ['Training', 'Training', false, 'AuxWork', undefined],
          ['Lunch', 'Lunch break', false, undefined, 'Food'],
        ],
      );
      assert.equal(snap.agentStates[5].id, lunchBefore.id);
    });

    it('refuses a spec with every problem listed, and stores nothing of it', async () => {
      const spec = acmeSpec();
      spec.features.push('api-teleport');
      spec.users.push({ userName: 'ann', password: 'x', roles: [Role.Agent], dn: '6009' });
      spec.users.push({ userName: 'dan', password: 'x', roles: ['ROLE_BOSS' as Role], dn: '6001' });
      spec.users.push({ userName: 'eve', password: 'x', roles: [Role.Agent], dn: '60a1' });
      spec.agentGroups.push({ name: 'Sales', agents: ['nobody'], supervisors: ['bob'] });
      spec.routingPoints.push({ number: '6998', agentGroup: 'Ghosts' });
      spec.agentStates.push({ operationName: 'Ready', displayName: 'Ready again', state: 'Ready' });
      const err = await store.applyContactCenter(spec).then(
        () => assert.fail('accepted a broken spec'),
        (e: unknown) => e as Error & { problems?: string[] },
      );
      assert.ok(err instanceof Error);
      const expected = [
        'features[2]: unknown feature "api-teleport"',
        'users[4].userName: duplicate userName "ann"',
        'users[5].roles[0]: unknown role "ROLE_BOSS"',
        'users[5].dn: duplicate DN "6001"',
        'users[6].dn: "60a1" is not a number of digits',
        'agentGroups[1].name: duplicate agent group "Sales"',
        'agentGroups[1].agents[0]: unknown user "nobody"',
        'agentGroups[1].supervisors[0]: user "bob" does not have ROLE_SUPERVISOR',
        'routingPoints[2].agentGroup: unknown agent group "Ghosts"',
        'agentStates[1].operationName: "Ready" is a system agent state',
      ];
      for (const e of expected) assert.ok(err.message.includes(e), `message lacks: ${e}\n${err.message}`);
      assert.ok(Array.isArray(err.problems) && err.problems.length === expected.length, String(err.problems));
      assert.equal(await store.isEmpty(), true);
    });

    it('keeps userNames and DNs unique across contact centers', async () => {
      const acme = await store.applyContactCenter(acmeSpec());
      const before = await store.snapshot(acme.id);
      const other: ContactCenterSpec = {
        ...acmeSpec(),
        name: 'Other',
        agentStates: [],
        users: [
          { userName: 'ann', password: 'x', roles: [Role.Agent], dn: '7001' },
          { userName: 'zed', password: 'x', roles: [Role.Agent], dn: '6002' },
        ],
        routingPoints: [{ number: '6999' }],
        agentGroups: [],
      };
      await assert.rejects(store.applyContactCenter(other), (e: Error) => {
        assert.match(e.message, /users\[0\]\.userName: "ann" already belongs to contact center "Acme"/);
        assert.match(e.message, /users\[1\]\.dn: DN "6002" already belongs to contact center "Acme"/);
        assert.match(e.message, /routingPoints\[0\]\.number: DN "6999" already belongs to contact center "Acme"/);
        return true;
      });
      assert.deepEqual(await store.snapshot(acme.id), before);
      assert.equal((await store.listContactCenters()).length, 1);
    });

    it('holds several contact centers apart, each with the system agent states', async () => {
      const acme = await store.applyContactCenter(acmeSpec());
      const beta = await store.applyContactCenter({
        name: 'Beta',
        features: [],
        settings: defaultContactCenterSettings(),
        agentStates: [],
        users: [{ userName: 'bea', password: 'pw', roles: [Role.Agent], dn: '8001' }],
        routingPoints: [],
        agentGroups: [],
      });
      assert.notEqual(acme.id, beta.id);
      assert.deepEqual((await store.listContactCenters()).map((c) => c.name), ['Acme', 'Beta']);
      const snap = (await store.snapshot(beta.id))!;
      assert.deepEqual(snap.users.map((u) => u.userName), ['bea']);
      assert.deepEqual(snap.devices.map((d) => d.dn), ['8001']);
      assert.deepEqual(snap.agentStates.map((s) => s.id), Object.values(SYSTEM_AGENT_STATES).map((s) => s.id));
      assert.deepEqual(snap.contactCenter.features, []);
      assert.equal((await store.userByName('bea'))!.contactCenterId, beta.id);
      assert.equal((await store.snapshot(acme.id))!.users.length, 4);
    });

    it('appends audit entries and queries them by each filter, oldest first, with paging', async () => {
      const cc = 'cc-1';
      const entries: AuditEntry[] = [
        audit({ at: 1000, contactCenterId: cc, event: 'Armed', callUuid: undefined }),
        audit({ at: 2000, contactCenterId: cc, event: 'Joined', callUuid: 'call-1' }),
        audit({ at: 2000, contactCenterId: cc, event: 'ModeChanged', mode: 'Coach', callUuid: 'call-1' }),
        audit({ at: 3000, contactCenterId: cc, event: 'Left', callUuid: 'call-1', reason: 'CallEnded' }),
        audit({
          at: 4000,
          contactCenterId: cc,
          event: 'Joined',
          supervisorUserId: 'sup2',
          supervisorDn: '6102',
          targetUserId: undefined,
          targetDn: '6900',
          agentUserId: 'agentA',
          agentDn: '6001',
          callUuid: 'call-2',
          scope: 'Call',
          span: 'AllCalls',
        }),
        audit({ at: 5000, contactCenterId: cc, event: 'Skipped', targetUserId: 'agentB', targetDn: '6002', reason: 'SupervisorBusy' }),
        audit({ at: 2500, contactCenterId: 'cc-2', event: 'Joined', callUuid: 'call-1' }),
      ];
      for (const e of entries) await store.append(e);

      const q = (f: Partial<Parameters<Store['query']>[0]> = {}) => store.query({ contactCenterId: cc, offset: 0, limit: 100, ...f });
      const events = (r: { entries: AuditEntry[] }): string[] => r.entries.map((e) => `${e.at}:${e.event}`);

      const all = await q();
      assert.equal(all.total, 6);
      assert.deepEqual(events(all), ['1000:Armed', '2000:Joined', '2000:ModeChanged', '3000:Left', '4000:Joined', '5000:Skipped']);
      for (const e of all.entries) assert.equal(typeof e.id, 'number');
      assert.ok(all.entries[1].id! < all.entries[2].id!, 'same instant: insertion order');
      // round trip, optional fields absent rather than null
      const { id: _1, ...armed } = all.entries[0];
      assert.deepEqual(armed, entries[0]);
      assert.ok(!('agentUserId' in armed) && !('reason' in armed) && !('callUuid' in armed));
      const { id: _2, ...rp } = all.entries[4];
      assert.deepEqual(rp, entries[4]);
      assert.ok(!('targetUserId' in rp));

      assert.deepEqual(events(await q({ supervisorUserId: 'sup2' })), ['4000:Joined']);
      assert.deepEqual(events(await q({ agentUserId: 'agentA' })), ['1000:Armed', '2000:Joined', '2000:ModeChanged', '3000:Left', '4000:Joined']);
      assert.deepEqual(events(await q({ agentUserId: 'agentB' })), ['5000:Skipped']);
      assert.deepEqual(events(await q({ callUuid: 'call-1' })), ['2000:Joined', '2000:ModeChanged', '3000:Left']);
      assert.deepEqual(events(await q({ from: 2000, to: 4000 })), ['2000:Joined', '2000:ModeChanged', '3000:Left', '4000:Joined']);
      assert.deepEqual(events(await q({ from: 4001 })), ['5000:Skipped']);
      assert.deepEqual(events(await q({ to: 1000 })), ['1000:Armed']);
      assert.deepEqual(events(await q({ supervisorUserId: 'sup1', callUuid: 'call-1', from: 2500 })), ['3000:Left']);
      assert.deepEqual(await q({ supervisorUserId: 'nobody' }), { total: 0, entries: [] });
      assert.deepEqual(await store.query({ contactCenterId: 'cc-3', offset: 0, limit: 10 }), { total: 0, entries: [] });

      const page1 = await q({ offset: 0, limit: 4 });
      const page2 = await q({ offset: 4, limit: 4 });
      assert.equal(page1.total, 6);
      assert.equal(page2.total, 6);
      assert.deepEqual([...events(page1), ...events(page2)], events(all));
      assert.deepEqual(events(await q({ agentUserId: 'agentA', offset: 1, limit: 2 })), ['2000:Joined', '2000:ModeChanged']);
      assert.deepEqual(await q({ offset: 10, limit: 5 }), { total: 6, entries: [] });
      assert.deepEqual((await q({ limit: 0 })).entries, []);
      assert.equal((await q({ limit: 0 })).total, 6);
    });

    it('sessions: saved, found by the hash of their id, touched forward only, deleted one by one or by age', async () => {
      const at = 1_700_000_000_000;
      const session = (idHash: string, userId: string, lastSeen: number) => ({ idHash, userId, csrfToken: `csrf-${idHash}`, createdAt: at, lastSeen });
      await store.saveSession(session('a'.repeat(64), 'u1', at));
      await store.saveSession(session('b'.repeat(64), 'u2', at + 1000));
      await store.saveSession(session('c'.repeat(64), 'u1', at + 2000));
      assert.deepEqual((await store.sessionsSeenSince(0)).map((s) => s.idHash[0]), ['a', 'b', 'c']);
      assert.deepEqual(await store.sessionsSeenSince(at + 1500), [session('c'.repeat(64), 'u1', at + 2000)]);
      // touch moves lastSeen forward, never back; an unknown hash is ignored
      await store.touchSession('a'.repeat(64), at + 5000);
      await store.touchSession('a'.repeat(64), at + 3000);
      await store.touchSession('f'.repeat(64), at + 9000);
      assert.deepEqual((await store.sessionsSeenSince(at + 4000)).map((s) => [s.idHash[0], s.lastSeen]), [['a', at + 5000]]);
      // saving the same hash again replaces it
      await store.saveSession({ ...session('b'.repeat(64), 'u2', at + 6000), csrfToken: 'new' });
      assert.equal((await store.sessionsSeenSince(at + 6000))[0].csrfToken, 'new');
      await store.deleteSession('b'.repeat(64));
      await store.deleteSession('b'.repeat(64));
      assert.deepEqual((await store.sessionsSeenSince(0)).map((s) => s.idHash[0]), ['c', 'a']);
      assert.equal(await store.deleteSessionsSeenBefore(at + 4000), 1);
      assert.deepEqual((await store.sessionsSeenSince(0)).map((s) => s.idHash[0]), ['a']);
    });
  });
}

// ---- the adapters

runStoreContract('SqliteStore :memory:', () => new SqliteStore(':memory:'));

const dir = mkdtempSync(join(tmpdir(), 'switchboard-store-'));
let n = 0;
runStoreContract('SqliteStore file', () => new SqliteStore(join(dir, `nested/store-${++n}.db`)));
after(() => rmSync(dir, { recursive: true, force: true }));

let postgres: PostgresServer;
before(async () => {
  postgres = await startPostgres();
});
after(() => postgres?.stop());
runStoreContract('PostgresStore', async () => new PostgresStore(await postgres.createDatabase(), { fingerprintKey: FingerprintKey.ephemeral() }));
