/**
 * Provisioning storage on any SqlDatabase (SQLite or PostgreSQL, one text per statement): reading a
 * contact center back, and writing a validated ContactCenterPlan. Storage only: validation and
 * hashing happened above (src/provisioning/service.ts); this file never sees a plain password.
 *
 * `writeContactCenter` makes the stored contact center match the plan in one transaction (when it
 * was last written from a plan with the same digest, only the changed password credentials: a
 * restart writes nothing): rows are
 * matched by their natural key (userName, DN, place name, group name, operationName), so everything
 * that stays keeps its id, and rows the plan no longer names are deleted (audit rows keep the old
 * ids as plain text). A user whose password the plan says changed loses their stored HTTP
 * sessions in the same transaction. Users, devices, places and memberships are written with one
 * statement per table whatever their number (the rows travel as one JSON parameter), so 10,000
 * users cost a few statements, not 50,000 round trips.
 */
import type {
  AgentGroupRecord,
  AgentStateRecord,
  ContactCenterPlan,
  ContactCenterRecord,
  ContactCenterSnapshot,
  DeviceRecord,
  PlaceRecord,
  ProvisioningStorage,
  Role,
  SipCredentials,
  StoredLogin,
  UserRecord,
} from '../port.js';
import { SYSTEM_AGENT_STATE_LIST, newAgentGroupId, newAgentStateId, newContactCenterId, newDeviceId, newPlaceId, newUserId } from '../ids.js';
import type { SqlDatabase, SqlExecutor } from './database.js';
import type { Dialect } from './dialect.js';

interface CcRow {
  id: string;
  name: string;
  features: string;
  settings: string;
}
interface UserRow {
  id: string;
  contact_center_id: string;
  user_name: string;
  password_hash: string;
  first_name: string;
  last_name: string;
  email: string;
  roles: string;
  enabled: number;
  wrap_up_time: number | null;
}
interface DeviceRow {
  id: string;
  contact_center_id: string;
  dn: string;
  kind: 'Extension' | 'RoutingPoint';
  user_id: string | null;
  sip_realm: string | null;
  sip_ha1_md5: string | null;
  sip_ha1_sha256: string | null;
}
interface StateRow {
  id: string;
  contact_center_id: string;
  operation_name: string;
  display_name: string;
  state: 'Ready' | 'NotReady';
  work_mode: 'AfterCallWork' | 'AuxWork' | null;
  reason: string | null;
  system: number;
}

/** The place created for a user's extension. */
export function placeNameFor(dn: string): string {
  return `Place_${dn}`;
}

function toCc(r: CcRow): ContactCenterRecord {
  return { id: r.id, name: r.name, features: JSON.parse(r.features), settings: JSON.parse(r.settings) };
}

function toUser(r: UserRow): UserRecord {
  const u: UserRecord = {
    id: r.id,
    contactCenterId: r.contact_center_id,
    userName: r.user_name,
    passwordHash: r.password_hash,
    firstName: r.first_name,
    lastName: r.last_name,
    emailAddress: r.email,
    roles: JSON.parse(r.roles) as Role[],
    enabled: r.enabled !== 0,
  };
  if (r.wrap_up_time !== null) u.wrapUpTime = r.wrap_up_time;
  return u;
}

function toDevice(r: DeviceRow): DeviceRecord {
  const d: DeviceRecord = { id: r.id, contactCenterId: r.contact_center_id, dn: r.dn, kind: r.kind };
  if (r.user_id !== null) d.userId = r.user_id;
  if (r.sip_realm !== null && r.sip_ha1_md5 !== null && r.sip_ha1_sha256 !== null) {
    d.sip = { realm: r.sip_realm, ha1Md5: r.sip_ha1_md5, ha1Sha256: r.sip_ha1_sha256 };
  }
  return d;
}

function toState(r: StateRow): AgentStateRecord {
  const s: AgentStateRecord = {
    id: r.id,
    contactCenterId: r.contact_center_id,
    operationName: r.operation_name,
    displayName: r.display_name,
    state: r.state,
    system: r.system !== 0,
  };
  if (r.work_mode !== null) s.workMode = r.work_mode;
  if (r.reason !== null) s.reason = r.reason;
  return s;
}

/** Group rows by a key, keeping their order. */
function groupBy<R, K, V>(rows: readonly R[], key: (r: R) => K, value: (r: R) => V): Map<K, V[]> {
  const out = new Map<K, V[]>();
  for (const r of rows) {
    const k = key(r);
    const list = out.get(k);
    if (list) list.push(value(r));
    else out.set(k, [value(r)]);
  }
  return out;
}

/** Every statement of provisioning, written once over the dialect's few fragments. */
function statements(d: Dialect) {
  const rows = d.jsonRows.bind(d);
  return {
    anyCc: 'SELECT COUNT(*) AS n FROM (SELECT 1 FROM contact_centers LIMIT 1) AS any_cc',
    ccById: 'SELECT id, name, features, settings FROM contact_centers WHERE id = @id',
    ccByName: 'SELECT id, name, features, settings FROM contact_centers WHERE name = @name',
    ccAll: `SELECT id, name, features, settings FROM contact_centers ORDER BY ${d.insertionOrder}`,
    ccInsert: 'INSERT INTO contact_centers (id, name, features, settings) VALUES (@id, @name, @features, @settings)',
    ccUpdate: 'UPDATE contact_centers SET features = @features, settings = @settings WHERE id = @id',
    ccDigest: 'SELECT applied_digest FROM contact_centers WHERE id = @id',
    ccSetDigest: 'UPDATE contact_centers SET applied_digest = @digest WHERE id = @id',

    userByName: 'SELECT * FROM users WHERE user_name = @userName',
    usersOfCc: `SELECT * FROM users WHERE contact_center_id = @cc ORDER BY position, ${d.insertionOrder}`,
    storedLogins: `
      SELECT u.user_name, u.contact_center_id, c.name AS cc_name, u.password_hash, u.password_fingerprint
      FROM users u JOIN contact_centers c ON c.id = u.contact_center_id
      WHERE u.user_name IN (${d.jsonTextList('names')})`,
    usersUpsert: `
      INSERT INTO users (id, contact_center_id, user_name, password_hash, password_fingerprint, first_name, last_name, email, roles,
                         enabled, wrap_up_time, position)
      SELECT uid, @cc, uname, hash, fingerprint, first, last, email, roles, 1, wrapup, pos
      FROM (${rows('users', { uid: 'text', uname: 'text', hash: 'text', fingerprint: 'text', first: 'text', last: 'text', email: 'text', roles: 'text', wrapup: 'integer', pos: 'integer' })}) AS x
      WHERE true
      ON CONFLICT (user_name) DO UPDATE SET
        password_hash = excluded.password_hash, password_fingerprint = excluded.password_fingerprint,
        first_name = excluded.first_name, last_name = excluded.last_name, email = excluded.email, roles = excluded.roles,
        enabled = 1, wrap_up_time = excluded.wrap_up_time, position = excluded.position
      RETURNING id, user_name`,
    completePending: 'UPDATE users SET password_hash = @hash, password_fingerprint = @fingerprint WHERE password_hash = @pending',
    credentialsUpdate: `
      UPDATE users SET password_hash = x.hash, password_fingerprint = x.fingerprint
      FROM (${rows('users', { uname: 'text', hash: 'text', fingerprint: 'text' })}) AS x
      WHERE users.user_name = x.uname AND users.contact_center_id = @cc`,
    usersPrune: `DELETE FROM users WHERE contact_center_id = @cc AND user_name NOT IN (${d.jsonTextList('names')})`,
    sessionsOfUsersEnd: `DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE contact_center_id = @cc AND user_name IN (${d.jsonTextList('names')}))`,

    devicesElsewhere: `
      SELECT d.dn, c.name AS cc_name FROM devices d JOIN contact_centers c ON c.id = d.contact_center_id
      WHERE d.dn IN (${d.jsonTextList('dns')}) AND d.contact_center_id ${d.distinctFrom} @cc`,
    devicesOfCc: `SELECT * FROM devices WHERE contact_center_id = @cc ORDER BY position, ${d.insertionOrder}`,
    devicesUpsert: `
      INSERT INTO devices (id, contact_center_id, dn, kind, user_id, position, sip_realm, sip_ha1_md5, sip_ha1_sha256)
      SELECT did, @cc, dn, kind, uid, pos, realm, md5, sha256
      FROM (${rows('devices', { did: 'text', dn: 'text', kind: 'text', uid: 'text', pos: 'integer', realm: 'text', md5: 'text', sha256: 'text' })}) AS x
      WHERE true
      ON CONFLICT (contact_center_id, dn) DO UPDATE SET kind = excluded.kind, user_id = excluded.user_id, position = excluded.position,
        sip_realm = excluded.sip_realm, sip_ha1_md5 = excluded.sip_ha1_md5, sip_ha1_sha256 = excluded.sip_ha1_sha256
      RETURNING id, dn`,
    devicesPrune: `DELETE FROM devices WHERE contact_center_id = @cc AND dn NOT IN (${d.jsonTextList('dns')})`,

    placesOfCc: `SELECT id, name, user_id FROM places WHERE contact_center_id = @cc ORDER BY position, ${d.insertionOrder}`,
    placeDevicesOfCc: `
      SELECT pd.place_id, pd.device_id FROM place_devices pd JOIN places p ON p.id = pd.place_id
      WHERE p.contact_center_id = @cc ORDER BY pd.place_id, pd.position`,
    placesUpsert: `
      INSERT INTO places (id, contact_center_id, name, user_id, position)
      SELECT pid, @cc, pname, uid, pos FROM (${rows('places', { pid: 'text', pname: 'text', uid: 'text', pos: 'integer' })}) AS x
      WHERE true
      ON CONFLICT (contact_center_id, name) DO UPDATE SET user_id = excluded.user_id, position = excluded.position
      RETURNING id, name`,
    placesPrune: `DELETE FROM places WHERE contact_center_id = @cc AND name NOT IN (${d.jsonTextList('names')})`,
    placeDevicesClear: 'DELETE FROM place_devices WHERE place_id IN (SELECT id FROM places WHERE contact_center_id = @cc)',
    placeDevicesInsert: `
      INSERT INTO place_devices (place_id, device_id, position)
      SELECT pid, did, pos FROM (${rows('links', { pid: 'text', did: 'text', pos: 'integer' })}) AS x`,

    groupsOfCc: `SELECT id, name FROM agent_groups WHERE contact_center_id = @cc ORDER BY position, ${d.insertionOrder}`,
    membersOfCc: `
      SELECT m.group_id, m.user_id, m.role FROM agent_group_members m JOIN agent_groups g ON g.id = m.group_id
      WHERE g.contact_center_id = @cc ORDER BY m.group_id, m.role, m.position`,
    groupRpsOfCc: `
      SELECT r.group_id, r.dn FROM agent_group_routing_points r JOIN agent_groups g ON g.id = r.group_id
      WHERE g.contact_center_id = @cc ORDER BY r.group_id, r.${d.insertionOrder}`,
    groupUpsert: `
      INSERT INTO agent_groups (id, contact_center_id, name, position) VALUES (@id, @cc, @name, @position)
      ON CONFLICT (contact_center_id, name) DO UPDATE SET position = excluded.position
      RETURNING id`,
    groupsPrune: `DELETE FROM agent_groups WHERE contact_center_id = @cc AND name NOT IN (${d.jsonTextList('names')})`,
    membersClear: 'DELETE FROM agent_group_members WHERE group_id IN (SELECT id FROM agent_groups WHERE contact_center_id = @cc)',
    membersInsert: `
      INSERT INTO agent_group_members (group_id, user_id, role, position)
      SELECT gid, uid, role, pos FROM (${rows('members', { gid: 'text', uid: 'text', role: 'text', pos: 'integer' })}) AS x`,
    groupRpsClear: 'DELETE FROM agent_group_routing_points WHERE group_id IN (SELECT id FROM agent_groups WHERE contact_center_id = @cc)',
    groupRpsInsert: `
      INSERT INTO agent_group_routing_points (group_id, dn)
      SELECT gid, dn FROM (${rows('rps', { gid: 'text', dn: 'text', pos: 'integer' })}) AS x ORDER BY pos`,

    statesOfCc: `SELECT * FROM agent_states WHERE contact_center_id = @cc ORDER BY position, ${d.insertionOrder}`,
    stateUpsertSystem: `
      INSERT INTO agent_states (id, contact_center_id, operation_name, display_name, state, work_mode, reason, system, position)
      VALUES (@id, @cc, @operationName, @displayName, @state, @workMode, NULL, 1, @position)
      ON CONFLICT (contact_center_id, id) DO UPDATE SET operation_name = excluded.operation_name,
        display_name = excluded.display_name, state = excluded.state, work_mode = excluded.work_mode,
        reason = NULL, system = 1, position = excluded.position`,
    stateUpsertCustom: `
      INSERT INTO agent_states (id, contact_center_id, operation_name, display_name, state, work_mode, reason, system, position)
      VALUES (@id, @cc, @operationName, @displayName, @state, @workMode, @reason, 0, @position)
      ON CONFLICT (contact_center_id, operation_name) DO UPDATE SET display_name = excluded.display_name,
        state = excluded.state, work_mode = excluded.work_mode, reason = excluded.reason, position = excluded.position`,
    statesPrune: `
      DELETE FROM agent_states WHERE contact_center_id = @cc AND system = 0
        AND operation_name NOT IN (${d.jsonTextList('names')})`,
  };
}

const json = JSON.stringify;

export class SqlProvisioning implements ProvisioningStorage {
  private readonly s: ReturnType<typeof statements>;

  constructor(private readonly db: SqlDatabase) {
    this.s = statements(db.dialect);
  }

  async isEmpty(): Promise<boolean> {
    return (await this.db.get<{ n: number }>(this.s.anyCc))!.n === 0;
  }

  async listContactCenters(): Promise<ContactCenterRecord[]> {
    return (await this.db.all<CcRow>(this.s.ccAll)).map(toCc);
  }

  async contactCenterByName(name: string): Promise<ContactCenterRecord | undefined> {
    const r = await this.db.get<CcRow>(this.s.ccByName, { name });
    return r && toCc(r);
  }

  async userByName(userName: string): Promise<UserRecord | undefined> {
    const r = await this.db.get<UserRow>(this.s.userByName, { userName });
    return r && toUser(r);
  }

  async storedLogins(userNames: readonly string[]): Promise<StoredLogin[]> {
    if (userNames.length === 0) return [];
    const rows = await this.db.all<{ user_name: string; contact_center_id: string; cc_name: string; password_hash: string; password_fingerprint: string | null }>(
      this.s.storedLogins,
      { names: json(userNames) },
    );
    return rows.map((r) => ({
      userName: r.user_name,
      contactCenterId: r.contact_center_id,
      contactCenterName: r.cc_name,
      passwordHash: r.password_hash,
      passwordFingerprint: r.password_fingerprint,
    }));
  }

  async devicesElsewhere(dns: readonly string[], contactCenterId: string | undefined): Promise<Array<{ dn: string; contactCenterName: string }>> {
    if (dns.length === 0) return [];
    const rows = await this.db.all<{ dn: string; cc_name: string }>(this.s.devicesElsewhere, { dns: json(dns), cc: contactCenterId ?? null });
    return rows.map((r) => ({ dn: r.dn, contactCenterName: r.cc_name }));
  }

  async snapshot(ccId: string): Promise<ContactCenterSnapshot | undefined> {
    return this.db.transaction(async (tx) => {
      const s = this.s;
      const cc = await tx.get<CcRow>(s.ccById, { id: ccId });
      if (!cc) return undefined;
      const p = { cc: ccId };
      const placeDevices = groupBy(await tx.all<{ place_id: string; device_id: string }>(s.placeDevicesOfCc, p), (r) => r.place_id, (r) => r.device_id);
      const places = (await tx.all<{ id: string; name: string; user_id: string | null }>(s.placesOfCc, p)).map((r) => {
        const place: PlaceRecord = { id: r.id, contactCenterId: ccId, name: r.name, deviceIds: placeDevices.get(r.id) ?? [] };
        if (r.user_id !== null) place.userId = r.user_id;
        return place;
      });
      const groups = (await tx.all<{ id: string; name: string }>(s.groupsOfCc, p)).map(
        (r): AgentGroupRecord => ({ id: r.id, contactCenterId: ccId, name: r.name, agentUserIds: [], supervisorUserIds: [], routingPoints: [] }),
      );
      const byId = new Map(groups.map((g) => [g.id, g]));
      for (const m of await tx.all<{ group_id: string; user_id: string; role: string }>(s.membersOfCc, p)) {
        const g = byId.get(m.group_id);
        if (g) (m.role === 'agent' ? g.agentUserIds : g.supervisorUserIds).push(m.user_id);
      }
      for (const r of await tx.all<{ group_id: string; dn: string }>(s.groupRpsOfCc, p)) byId.get(r.group_id)?.routingPoints.push(r.dn);
      return {
        contactCenter: toCc(cc),
        users: (await tx.all<UserRow>(s.usersOfCc, p)).map(toUser),
        devices: (await tx.all<DeviceRow>(s.devicesOfCc, p)).map(toDevice),
        places,
        agentGroups: groups,
        agentStates: (await tx.all<StateRow>(s.statesOfCc, p)).map(toState),
      };
    });
  }

  async completePendingHash(pending: string, passwordHash: string, passwordFingerprint: string): Promise<void> {
    await this.db.run(this.s.completePending, { pending, hash: passwordHash, fingerprint: passwordFingerprint });
  }

  writeContactCenter(plan: ContactCenterPlan): Promise<ContactCenterRecord> {
    return this.db.transaction((tx) => this.write(tx, plan));
  }

  private async write(tx: SqlExecutor, { spec, credentials, digest, credentialsChanged, passwordChanged }: ContactCenterPlan): Promise<ContactCenterRecord> {
    const s = this.s;
    // two nodes applying one contact center at once: one after the other, each whole
    const serialize = this.db.dialect.serializeOn?.('name');
    if (serialize) await tx.get(serialize, { name: `switchboard/contact-center/${spec.name}` });
    const again = await tx.get<CcRow>(s.ccByName, { name: spec.name });
    // a changed password ends the user's stored sessions (a cookie got with the old one stops working)
    const withNewPassword = spec.users.filter((_, i) => passwordChanged[i]).map((u) => u.userName);
    if (again && withNewPassword.length) await tx.run(s.sessionsOfUsersEnd, { cc: again.id, names: json(withNewPassword) });
    // written from this very plan last time: only the password credentials that changed (a restart
    // with the same configuration writes nothing; one while the hash backfill runs, its hashes)
    if (again && (await tx.get<{ applied_digest: string | null }>(s.ccDigest, { id: again.id }))?.applied_digest === digest) {
      const changed = spec.users.flatMap((u, i) =>
        credentialsChanged[i] ? [{ uname: u.userName, hash: credentials[i].passwordHash, fingerprint: credentials[i].passwordFingerprint }] : [],
      );
      if (changed.length) await tx.run(s.credentialsUpdate, { cc: again.id, users: json(changed) });
      return toCc(again);
    }
    const cc = again?.id ?? newContactCenterId();
    const features = json(spec.features);
    const settings = json(spec.settings);
    if (again) await tx.run(s.ccUpdate, { id: cc, features, settings });
    else await tx.run(s.ccInsert, { id: cc, name: spec.name, features, settings });

    // users
    await tx.run(s.usersPrune, { cc, names: json(spec.users.map((u) => u.userName)) });
    const userRows = spec.users.map((u, i) => ({
      uid: newUserId(),
      uname: u.userName,
      hash: credentials[i].passwordHash,
      fingerprint: credentials[i].passwordFingerprint,
      first: u.firstName ?? '',
      last: u.lastName ?? '',
      email: u.emailAddress ?? '',
      roles: json(u.roles),
      wrapup: u.wrapUpTime ?? null,
      pos: i,
    }));
    const userIds = new Map<string, string>();
    if (userRows.length) {
      for (const r of await tx.all<{ id: string; user_name: string }>(s.usersUpsert, { cc, users: json(userRows) })) userIds.set(r.user_name, r.id);
    }

    // devices: user extensions, then routing points
    const wanted: Array<{ dn: string; kind: 'Extension' | 'RoutingPoint'; userId: string | null; sip?: SipCredentials }> = [
      ...spec.users.flatMap((u, i) =>
        u.dn === undefined ? [] : [{ dn: u.dn, kind: 'Extension' as const, userId: userIds.get(u.userName)!, sip: credentials[i].sip }],
      ),
      ...spec.routingPoints.map((r) => ({ dn: r.number, kind: 'RoutingPoint' as const, userId: null })),
    ];
    await tx.run(s.devicesPrune, { cc, dns: json(wanted.map((w) => w.dn)) });
    const deviceIds = new Map<string, string>();
    if (wanted.length) {
      const deviceRows = wanted.map((w, i) => ({
        did: newDeviceId(),
        dn: w.dn,
        kind: w.kind,
        uid: w.userId,
        pos: i,
        realm: w.sip?.realm ?? null,
        md5: w.sip?.ha1Md5 ?? null,
        sha256: w.sip?.ha1Sha256 ?? null,
      }));
      for (const r of await tx.all<{ id: string; dn: string }>(s.devicesUpsert, { cc, devices: json(deviceRows) })) deviceIds.set(r.dn, r.id);
    }

    // places: one per extension
    const extensions = wanted.filter((w) => w.kind === 'Extension');
    await tx.run(s.placesPrune, { cc, names: json(extensions.map((w) => placeNameFor(w.dn))) });
    await tx.run(s.placeDevicesClear, { cc });
    if (extensions.length) {
      const placeRows = extensions.map((w, i) => ({ pid: newPlaceId(), pname: placeNameFor(w.dn), uid: w.userId, pos: i }));
      const placeIds = new Map<string, string>();
      for (const r of await tx.all<{ id: string; name: string }>(s.placesUpsert, { cc, places: json(placeRows) })) placeIds.set(r.name, r.id);
      const links = extensions.map((w) => ({ pid: placeIds.get(placeNameFor(w.dn))!, did: deviceIds.get(w.dn)!, pos: 0 }));
      await tx.run(s.placeDevicesInsert, { links: json(links) });
    }

    // agent groups, their members and routing points
    await tx.run(s.groupsPrune, { cc, names: json(spec.agentGroups.map((g) => g.name)) });
    await tx.run(s.membersClear, { cc });
    await tx.run(s.groupRpsClear, { cc });
    const members: Array<{ gid: string; uid: string; role: string; pos: number }> = [];
    const rps: Array<{ gid: string; dn: string; pos: number }> = [];
    for (const [i, g] of spec.agentGroups.entries()) {
      const { id: gid } = (await tx.get<{ id: string }>(s.groupUpsert, { id: newAgentGroupId(), cc, name: g.name, position: i }))!;
      g.agents.forEach((n, j) => members.push({ gid, uid: userIds.get(n)!, role: 'agent', pos: j }));
      g.supervisors.forEach((n, j) => members.push({ gid, uid: userIds.get(n)!, role: 'supervisor', pos: j }));
      for (const r of spec.routingPoints) if (r.agentGroup === g.name) rps.push({ gid, dn: r.number, pos: rps.length });
    }
    if (members.length) await tx.run(s.membersInsert, { members: json(members) });
    if (rps.length) await tx.run(s.groupRpsInsert, { rps: json(rps) });

    // agent states: the system ones first, then the custom ones in spec order
    for (const [i, st] of SYSTEM_AGENT_STATE_LIST.entries()) {
      await tx.run(s.stateUpsertSystem, {
        id: st.id,
        cc,
        operationName: st.operationName,
        displayName: st.displayName,
        state: st.state,
        workMode: st.workMode ?? null,
        position: i,
      });
    }
    await tx.run(s.statesPrune, { cc, names: json(spec.agentStates.map((st) => st.operationName)) });
    for (const [i, st] of spec.agentStates.entries()) {
      await tx.run(s.stateUpsertCustom, {
        id: newAgentStateId(),
        cc,
        operationName: st.operationName,
        displayName: st.displayName,
        state: st.state,
        workMode: st.workMode ?? null,
        reason: st.reason ?? null,
        position: SYSTEM_AGENT_STATE_LIST.length + i,
      });
    }

    await tx.run(s.ccSetDigest, { id: cc, digest });
    return toCc((await tx.get<CcRow>(s.ccById, { id: cc }))!);
  }
}
