/**
 * Provisioning on SQLite: applying a ContactCenterSpec and reading it back.
 *
 * `apply` makes the stored contact center match the spec in one transaction: rows are matched by
 * their natural key (userName, DN, place name, group name, operationName), so everything that stays
 * keeps its id, and rows the spec no longer names are deleted (audit rows keep the old ids as plain
 * text). Password hashes are computed before the transaction, because scrypt is asynchronous and a
 * better-sqlite3 transaction is not. An extension's sipPassword is kept only as its digest HA1 hashes
 * (MD5 and SHA-256, realm = the contact center's name); applying a spec without it removes them.
 */
import type Database from 'better-sqlite3';
import type {
  AgentGroupRecord,
  AgentStateRecord,
  ContactCenterRecord,
  ContactCenterSnapshot,
  ContactCenterSpec,
  DeviceRecord,
  PlaceRecord,
  Role,
  SipCredentials,
  UserRecord,
} from './port.js';
import { ha1 } from '../sip/digest.js';
import { scryptHasher, type PasswordHasher } from './password.js';
import { SYSTEM_AGENT_STATE_LIST, newAgentGroupId, newAgentStateId, newContactCenterId, newDeviceId, newPlaceId, newUserId } from './ids.js';
import { SpecError, contactCenterSpecProblems, specDns } from './spec-check.js';

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

/**
 * The stored form of an extension's sipPassword: its HA1 per digest algorithm for realm = the contact
 * center's name (the registrar's realm, docs/telephony.md "Digest and realm"). The password is not kept.
 */
export function sipCredentials(dn: string, realm: string, password: string): SipCredentials {
  return { realm, ha1Md5: ha1('MD5', dn, realm, password), ha1Sha256: ha1('SHA-256', dn, realm, password) };
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

export class SqliteProvisioning {
  private readonly s;

  constructor(
    private readonly db: Database.Database,
    private readonly hasher: PasswordHasher = scryptHasher(),
  ) {
    const p = (sql: string): Database.Statement => db.prepare(sql);
    this.s = {
      anyCc: p('SELECT EXISTS (SELECT 1 FROM contact_centers) AS e'),
      ccById: p('SELECT * FROM contact_centers WHERE id = ?'),
      ccByName: p('SELECT * FROM contact_centers WHERE name = ?'),
      ccAll: p('SELECT * FROM contact_centers ORDER BY rowid'),
      ccInsert: p('INSERT INTO contact_centers (id, name, features, settings) VALUES (?, ?, ?, ?)'),
      ccUpdate: p('UPDATE contact_centers SET features = ?, settings = ? WHERE id = ?'),

      userByName: p('SELECT * FROM users WHERE user_name = ?'),
      usersOfCc: p('SELECT * FROM users WHERE contact_center_id = ? ORDER BY position, rowid'),
      userUpsert: p(`
        INSERT INTO users (id, contact_center_id, user_name, password_hash, first_name, last_name, email, roles, enabled, wrap_up_time, position)
        VALUES (@id, @cc, @userName, @hash, @firstName, @lastName, @email, @roles, 1, @wrapUpTime, @position)
        ON CONFLICT (user_name) DO UPDATE SET
          password_hash = excluded.password_hash, first_name = excluded.first_name, last_name = excluded.last_name,
          email = excluded.email, roles = excluded.roles, enabled = 1, wrap_up_time = excluded.wrap_up_time,
          position = excluded.position
        RETURNING id`),
      usersPrune: p('DELETE FROM users WHERE contact_center_id = ? AND user_name NOT IN (SELECT value FROM json_each(?))'),

      deviceElsewhere: p(`
        SELECT c.name FROM devices d JOIN contact_centers c ON c.id = d.contact_center_id
        WHERE d.dn = ? AND d.contact_center_id IS NOT ?`),
      devicesOfCc: p('SELECT * FROM devices WHERE contact_center_id = ? ORDER BY position, rowid'),
      deviceUpsert: p(`
        INSERT INTO devices (id, contact_center_id, dn, kind, user_id, position, sip_realm, sip_ha1_md5, sip_ha1_sha256)
        VALUES (@id, @cc, @dn, @kind, @userId, @position, @sipRealm, @sipMd5, @sipSha256)
        ON CONFLICT (contact_center_id, dn) DO UPDATE SET kind = excluded.kind, user_id = excluded.user_id, position = excluded.position,
          sip_realm = excluded.sip_realm, sip_ha1_md5 = excluded.sip_ha1_md5, sip_ha1_sha256 = excluded.sip_ha1_sha256
        RETURNING id`),
      devicesPrune: p('DELETE FROM devices WHERE contact_center_id = ? AND dn NOT IN (SELECT value FROM json_each(?))'),

      placesOfCc: p('SELECT id, name, user_id FROM places WHERE contact_center_id = ? ORDER BY position, rowid'),
      placeDevicesOfCc: p(`
        SELECT pd.place_id, pd.device_id FROM place_devices pd JOIN places p ON p.id = pd.place_id
        WHERE p.contact_center_id = ? ORDER BY pd.place_id, pd.position`),
      placeUpsert: p(`
        INSERT INTO places (id, contact_center_id, name, user_id, position) VALUES (@id, @cc, @name, @userId, @position)
        ON CONFLICT (contact_center_id, name) DO UPDATE SET user_id = excluded.user_id, position = excluded.position
        RETURNING id`),
      placesPrune: p('DELETE FROM places WHERE contact_center_id = ? AND name NOT IN (SELECT value FROM json_each(?))'),
      placeDevicesClear: p('DELETE FROM place_devices WHERE place_id IN (SELECT id FROM places WHERE contact_center_id = ?)'),
      placeDeviceInsert: p('INSERT INTO place_devices (place_id, device_id, position) VALUES (?, ?, ?)'),

      groupsOfCc: p('SELECT id, name FROM agent_groups WHERE contact_center_id = ? ORDER BY position, rowid'),
      membersOfCc: p(`
        SELECT m.group_id, m.user_id, m.role FROM agent_group_members m JOIN agent_groups g ON g.id = m.group_id
        WHERE g.contact_center_id = ? ORDER BY m.group_id, m.role, m.position`),
      groupRpsOfCc: p(`
        SELECT r.group_id, r.dn FROM agent_group_routing_points r JOIN agent_groups g ON g.id = r.group_id
        WHERE g.contact_center_id = ? ORDER BY r.group_id, r.rowid`),
      groupUpsert: p(`
        INSERT INTO agent_groups (id, contact_center_id, name, position) VALUES (@id, @cc, @name, @position)
        ON CONFLICT (contact_center_id, name) DO UPDATE SET position = excluded.position
        RETURNING id`),
      groupsPrune: p('DELETE FROM agent_groups WHERE contact_center_id = ? AND name NOT IN (SELECT value FROM json_each(?))'),
      membersClear: p('DELETE FROM agent_group_members WHERE group_id = ?'),
      memberInsert: p('INSERT INTO agent_group_members (group_id, user_id, role, position) VALUES (?, ?, ?, ?)'),
      groupRpsClear: p('DELETE FROM agent_group_routing_points WHERE group_id = ?'),
      groupRpInsert: p('INSERT INTO agent_group_routing_points (group_id, dn) VALUES (?, ?)'),

      statesOfCc: p('SELECT * FROM agent_states WHERE contact_center_id = ? ORDER BY position, rowid'),
      stateUpsertSystem: p(`
        INSERT INTO agent_states (id, contact_center_id, operation_name, display_name, state, work_mode, reason, system, position)
        VALUES (@id, @cc, @operationName, @displayName, @state, @workMode, NULL, 1, @position)
        ON CONFLICT (contact_center_id, id) DO UPDATE SET operation_name = excluded.operation_name,
          display_name = excluded.display_name, state = excluded.state, work_mode = excluded.work_mode,
          reason = NULL, system = 1, position = excluded.position`),
      stateUpsertCustom: p(`
        INSERT INTO agent_states (id, contact_center_id, operation_name, display_name, state, work_mode, reason, system, position)
        VALUES (@id, @cc, @operationName, @displayName, @state, @workMode, @reason, 0, @position)
        ON CONFLICT (contact_center_id, operation_name) DO UPDATE SET display_name = excluded.display_name,
          state = excluded.state, work_mode = excluded.work_mode, reason = excluded.reason, position = excluded.position`),
      statesPrune: p(`
        DELETE FROM agent_states WHERE contact_center_id = ? AND system = 0
          AND operation_name NOT IN (SELECT value FROM json_each(?))`),
    };
  }

  isEmpty(): boolean {
    return (this.s.anyCc.get() as { e: number }).e === 0;
  }

  listContactCenters(): ContactCenterRecord[] {
    return (this.s.ccAll.all() as CcRow[]).map(toCc);
  }

  userByName(userName: string): UserRecord | undefined {
    const r = this.s.userByName.get(userName) as UserRow | undefined;
    return r && toUser(r);
  }

  snapshot(ccId: string): ContactCenterSnapshot | undefined {
    const cc = this.s.ccById.get(ccId) as CcRow | undefined;
    if (!cc) return undefined;
    return this.db.transaction(() => {
      const placeDevices = new Map<string, string[]>();
      for (const r of this.s.placeDevicesOfCc.all(ccId) as Array<{ place_id: string; device_id: string }>) {
        const list = placeDevices.get(r.place_id) ?? [];
        list.push(r.device_id);
        placeDevices.set(r.place_id, list);
      }
      const places = (this.s.placesOfCc.all(ccId) as Array<{ id: string; name: string; user_id: string | null }>).map((r) => {
        const p: PlaceRecord = { id: r.id, contactCenterId: ccId, name: r.name, deviceIds: placeDevices.get(r.id) ?? [] };
        if (r.user_id !== null) p.userId = r.user_id;
        return p;
      });
      const groups = (this.s.groupsOfCc.all(ccId) as Array<{ id: string; name: string }>).map(
        (r): AgentGroupRecord => ({ id: r.id, contactCenterId: ccId, name: r.name, agentUserIds: [], supervisorUserIds: [], routingPoints: [] }),
      );
      const byId = new Map(groups.map((g) => [g.id, g]));
      for (const m of this.s.membersOfCc.all(ccId) as Array<{ group_id: string; user_id: string; role: string }>) {
        const g = byId.get(m.group_id);
        if (g) (m.role === 'agent' ? g.agentUserIds : g.supervisorUserIds).push(m.user_id);
      }
      for (const r of this.s.groupRpsOfCc.all(ccId) as Array<{ group_id: string; dn: string }>) byId.get(r.group_id)?.routingPoints.push(r.dn);
      return {
        contactCenter: toCc(cc),
        users: (this.s.usersOfCc.all(ccId) as UserRow[]).map(toUser),
        devices: (this.s.devicesOfCc.all(ccId) as DeviceRow[]).map(toDevice),
        places,
        agentGroups: groups,
        agentStates: (this.s.statesOfCc.all(ccId) as StateRow[]).map(toState),
      };
    })();
  }

  async apply(spec: ContactCenterSpec): Promise<ContactCenterRecord> {
    const existing = this.s.ccByName.get(spec.name) as CcRow | undefined;
    const problems = contactCenterSpecProblems(spec);
    // across contact centers: one dial plan (the switch keys DNs globally) and one login namespace
    for (const [i, u] of spec.users.entries()) {
      const other = this.s.userByName.get(u.userName) as UserRow | undefined;
      if (other && other.contact_center_id !== existing?.id) {
        const owner = this.s.ccById.get(other.contact_center_id) as CcRow;
        problems.push(`users[${i}].userName: ${JSON.stringify(u.userName)} already belongs to contact center ${JSON.stringify(owner.name)}`);
      }
    }
    for (const { dn, path } of specDns(spec)) {
      const owner = this.s.deviceElsewhere.get(dn, existing?.id ?? null) as { name: string } | undefined;
      if (owner) problems.push(`${path}: DN ${JSON.stringify(dn)} already belongs to contact center ${JSON.stringify(owner.name)}`);
    }
    if (problems.length) throw new SpecError(`cannot apply contact center ${JSON.stringify(spec.name)}`, problems);

    // keep a stored hash that still verifies: no new hash (and no new salt) on every start
    const hashes = await Promise.all(
      spec.users.map(async (u) => {
        const stored = this.s.userByName.get(u.userName) as UserRow | undefined;
        if (stored && (await this.hasher.verify(u.password, stored.password_hash))) return stored.password_hash;
        return this.hasher.hash(u.password);
      }),
    );

    return this.db.transaction((): ContactCenterRecord => {
      const s = this.s;
      const again = s.ccByName.get(spec.name) as CcRow | undefined;
      const ccId = again?.id ?? newContactCenterId();
      const features = JSON.stringify(spec.features);
      const settings = JSON.stringify(spec.settings);
      if (again) s.ccUpdate.run(features, settings, ccId);
      else s.ccInsert.run(ccId, spec.name, features, settings);

      // users
      s.usersPrune.run(ccId, JSON.stringify(spec.users.map((u) => u.userName)));
      const userIds = new Map<string, string>();
      spec.users.forEach((u, i) => {
        const row = s.userUpsert.get({
          id: newUserId(),
          cc: ccId,
          userName: u.userName,
          hash: hashes[i],
          firstName: u.firstName ?? '',
          lastName: u.lastName ?? '',
          email: u.emailAddress ?? '',
          roles: JSON.stringify(u.roles),
          wrapUpTime: u.wrapUpTime ?? null,
          position: i,
        }) as { id: string };
        userIds.set(u.userName, row.id);
      });

      // devices: user extensions, then routing points
      const wanted: Array<{ dn: string; kind: 'Extension' | 'RoutingPoint'; userId: string | null; sip?: SipCredentials }> = [
        ...spec.users
          .filter((u) => u.dn !== undefined)
          .map((u) => ({
            dn: u.dn!,
            kind: 'Extension' as const,
            userId: userIds.get(u.userName)!,
            ...(u.sipPassword !== undefined ? { sip: sipCredentials(u.dn!, spec.name, u.sipPassword) } : {}),
          })),
        ...spec.routingPoints.map((r) => ({ dn: r.number, kind: 'RoutingPoint' as const, userId: null })),
      ];
      s.devicesPrune.run(ccId, JSON.stringify(wanted.map((d) => d.dn)));
      const deviceIds = new Map<string, string>();
      wanted.forEach((d, i) => {
        const row = s.deviceUpsert.get({
          id: newDeviceId(),
          cc: ccId,
          dn: d.dn,
          kind: d.kind,
          userId: d.userId,
          position: i,
          sipRealm: d.sip?.realm ?? null,
          sipMd5: d.sip?.ha1Md5 ?? null,
          sipSha256: d.sip?.ha1Sha256 ?? null,
        }) as { id: string };
        deviceIds.set(d.dn, row.id);
      });

      // places: one per extension
      const extensions = wanted.filter((d) => d.kind === 'Extension');
      s.placesPrune.run(ccId, JSON.stringify(extensions.map((d) => placeNameFor(d.dn))));
      s.placeDevicesClear.run(ccId);
      extensions.forEach((d, i) => {
        const row = s.placeUpsert.get({ id: newPlaceId(), cc: ccId, name: placeNameFor(d.dn), userId: d.userId, position: i }) as { id: string };
        s.placeDeviceInsert.run(row.id, deviceIds.get(d.dn), 0);
      });

      // agent groups, their members and routing points
      s.groupsPrune.run(ccId, JSON.stringify(spec.agentGroups.map((g) => g.name)));
      spec.agentGroups.forEach((g, i) => {
        const { id } = s.groupUpsert.get({ id: newAgentGroupId(), cc: ccId, name: g.name, position: i }) as { id: string };
        s.membersClear.run(id);
        g.agents.forEach((n, j) => s.memberInsert.run(id, userIds.get(n), 'agent', j));
        g.supervisors.forEach((n, j) => s.memberInsert.run(id, userIds.get(n), 'supervisor', j));
        s.groupRpsClear.run(id);
        for (const r of spec.routingPoints) if (r.agentGroup === g.name) s.groupRpInsert.run(id, r.number);
      });

      // agent states: the system ones first, then the custom ones in spec order
      SYSTEM_AGENT_STATE_LIST.forEach((st, i) =>
        s.stateUpsertSystem.run({ ...st, workMode: st.workMode ?? null, cc: ccId, position: i }),
      );
      s.statesPrune.run(ccId, JSON.stringify(spec.agentStates.map((st) => st.operationName)));
      spec.agentStates.forEach((st, i) =>
        s.stateUpsertCustom.run({
          id: newAgentStateId(),
          cc: ccId,
          operationName: st.operationName,
          displayName: st.displayName,
          state: st.state,
          workMode: st.workMode ?? null,
          reason: st.reason ?? null,
          position: SYSTEM_AGENT_STATE_LIST.length + i,
        }),
      );

      return toCc(s.ccById.get(ccId) as CcRow);
    })();
  }
}
