/**
 * The in-memory directory the GWS layer answers from: every provisioned contact center, user,
 * device, place, agent group, agent-state definition and feature, loaded once from the store's
 * snapshots at start-up (provisioning does not change while the server runs). Lookups are by id,
 * by lower-cased userName, and by DN (DNs are unique in one switch).
 *
 * It also keeps the one piece of session state GWS itself owns: which user a device is assigned
 * to right now. By default that is the provisioned owner; StartContactCenterSession at another
 * place assigns that place's device to the caller until EndContactCenterSession. It holds no
 * telephony state: agent state, calls and monitoring live in the switch.
 *
 * Cost rule: no lookup a request makes scans a whole contact center. Every question about one
 * user, device, DN, supervisor or routing point is answered from an index built in `load` (the
 * only place provisioning enters the directory; loading a center again replaces its indexes), so a
 * request costs the same with 200 agents as with 10,000. Only listings (contacts, the team view)
 * walk a center, and they are proportional to what they return.
 */
import { createHash } from 'node:crypto';
import type {
  AgentGroupRecord,
  AgentStateRecord,
  ContactCenterRecord,
  ContactCenterSnapshot,
  DeviceRecord,
  PlaceRecord,
  UserRecord,
} from '../store/port.js';

/** user.settings: always an object of objects (the C# SDK requires it). */
export type UserSettings = Record<string, Record<string, string | number | boolean>>;

export interface CenterEntry {
  readonly record: ContactCenterRecord;
  readonly id: string;
  readonly features: ReadonlySet<string>;
  /** one fixed voice environment per contact center, derived from its id */
  readonly voiceEnvironmentId: string;
  readonly users: readonly UserRecord[];
  readonly devices: readonly DeviceRecord[];
  readonly places: readonly PlaceRecord[];
  readonly agentGroups: readonly AgentGroupRecord[];
  /** system states first, then custom ones, in provisioning order */
  readonly agentStates: readonly AgentStateRecord[];
  /** by lower-cased operationName */
  readonly agentStatesByOperation: ReadonlyMap<string, AgentStateRecord>;
  readonly placesByName: ReadonlyMap<string, PlaceRecord>;
  readonly userSettings: UserSettings;
}

/** A stable dashed UUID derived from a name (for ids GWS needs but provisioning does not store). */
export function derivedUuid(name: string): string {
  const h = createHash('sha1').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export class Directory {
  private readonly centers = new Map<string, CenterEntry>();
  private readonly users = new Map<string, UserRecord>();
  private readonly usersByName = new Map<string, UserRecord>();
  private readonly devices = new Map<string, DeviceRecord>();
  private readonly devicesByDn = new Map<string, DeviceRecord>();
  /** device id -> user id ('' = nobody) while a session moved it away from its provisioned owner */
  private readonly ownerOverride = new Map<string, string>();
  /** user id -> device ids while the user's session uses another place's devices */
  private readonly userOverride = new Map<string, string[]>();
  /** user id -> the devices provisioned to the user (every kind), in provisioning order */
  private readonly provisionedByUser = new Map<string, DeviceRecord[]>();
  /** contact center id -> its supervision indexes */
  private readonly supervision = new Map<string, SupervisionIndex>();
  /** contact center id -> role -> its users holding the role, in provisioning order */
  private readonly byRole = new Map<string, Map<string, UserRecord[]>>();
  /** contact center id -> its routing points, in provisioning order */
  private readonly routingPointsByCenter = new Map<string, DeviceRecord[]>();

  /**
   * Counts the loads: what is read from the directory and kept (presented participant lists,
   * present.ts) is kept with the generation it was read at and read again after a load.
   */
  private loads = 0;

  get generation(): number {
    return this.loads;
  }

  /** Add (or replace) one contact center from its provisioning snapshot. */
  load(s: ContactCenterSnapshot): CenterEntry {
    this.loads++;
    const cc = s.contactCenter;
    const previous = this.centers.get(cc.id);
    if (previous) for (const u of previous.users) this.provisionedByUser.delete(u.id);
    const states = [...s.agentStates].sort((a, b) => Number(b.system) - Number(a.system));
    const entry: CenterEntry = {
      record: cc,
      id: cc.id,
      features: new Set(cc.features),
      voiceEnvironmentId: derivedUuid(`switchboard-voice-environment:${cc.id}`),
      users: s.users,
      devices: s.devices,
      places: s.places,
      agentGroups: s.agentGroups,
      agentStates: states,
      agentStatesByOperation: new Map(states.map((r) => [r.operationName.toLowerCase(), r])),
      placesByName: new Map(s.places.map((p) => [p.name.toLowerCase(), p])),
      userSettings: { 'interaction-workspace': {} },
    };
    this.centers.set(cc.id, entry);
    for (const u of s.users) {
      this.users.set(u.id, u);
      this.usersByName.set(u.userName.toLowerCase(), u);
    }
    for (const d of s.devices) {
      this.devices.set(d.id, d);
      this.devicesByDn.set(d.dn, d);
      if (!d.userId) continue;
      const list = this.provisionedByUser.get(d.userId);
      if (list) list.push(d);
      else this.provisionedByUser.set(d.userId, [d]);
    }
    this.supervision.set(cc.id, supervisionIndexOf(s.agentGroups));
    const roles = new Map<string, UserRecord[]>();
    for (const u of s.users) {
      for (const role of u.roles) {
        const list = roles.get(role);
        if (list) list.push(u);
        else roles.set(role, [u]);
      }
    }
    this.byRole.set(cc.id, roles);
    this.routingPointsByCenter.set(cc.id, s.devices.filter((d) => d.kind === 'RoutingPoint'));
    return entry;
  }

  /**
   * A user's new password credentials (another cluster node stored them): the user's record here
   * takes the stored hash, so what this node verifies from now on is the new password.
   */
  setPasswordHash(userId: string, passwordHash: string): void {
    const user = this.users.get(userId);
    if (user) user.passwordHash = passwordHash;
  }

  center(id: string): CenterEntry | undefined {
    return this.centers.get(id);
  }

  allCenters(): CenterEntry[] {
    return [...this.centers.values()];
  }

  user(id: string): UserRecord | undefined {
    return this.users.get(id);
  }

  userByName(userName: string): UserRecord | undefined {
    return this.usersByName.get(userName.toLowerCase());
  }

  /** a user of this contact center by id or userName (another center's users are not found) */
  userInCenter(ccId: string, idOrName: string): UserRecord | undefined {
    const u = this.users.get(idOrName) ?? this.userByName(idOrName);
    return u && u.contactCenterId === ccId ? u : undefined;
  }

  device(id: string): DeviceRecord | undefined {
    return this.devices.get(id);
  }

  deviceByDn(dn: string): DeviceRecord | undefined {
    return this.devicesByDn.get(dn);
  }

  /** a device (extension or routing point) of this contact center, by id */
  deviceInCenter(ccId: string, id: string): DeviceRecord | undefined {
    const d = this.devices.get(id);
    return d && d.contactCenterId === ccId ? d : undefined;
  }

  /** a device of this contact center, by DN */
  deviceByNumber(ccId: string, dn: string): DeviceRecord | undefined {
    const d = this.devicesByDn.get(dn);
    return d && d.contactCenterId === ccId ? d : undefined;
  }

  /** the user a device is assigned to now */
  ownerOf(device: DeviceRecord): UserRecord | undefined {
    const o = this.ownerOverride.get(device.id);
    const id = o === undefined ? device.userId : o;
    return id ? this.users.get(id) : undefined;
  }

  ownerOfDn(dn: string): UserRecord | undefined {
    const d = this.devicesByDn.get(dn);
    return d ? this.ownerOf(d) : undefined;
  }

  /** the devices assigned to a user now (extensions only) */
  devicesOf(userId: string): DeviceRecord[] {
    const o = this.userOverride.get(userId);
    if (o) return o.map((id) => this.devices.get(id)!).filter(Boolean);
    const own = this.provisionedByUser.get(userId);
    if (!own) return [];
    return own.filter((d) => d.kind === 'Extension' && this.ownerOf(d)?.id === userId);
  }

  /** Assign these devices to the user for the length of a session (another place than the default). */
  assign(userId: string, deviceIds: string[]): void {
    this.release(userId);
    const u = this.users.get(userId);
    if (!u || !this.centers.has(u.contactCenterId)) return;
    for (const d of this.provisionedByUser.get(userId) ?? []) if (!deviceIds.includes(d.id)) this.ownerOverride.set(d.id, '');
    for (const id of deviceIds) this.ownerOverride.set(id, userId);
    this.userOverride.set(userId, [...deviceIds]);
  }

  /** the user's provisioned extensions, whoever holds them now */
  provisionedExtensionsOf(userId: string): DeviceRecord[] {
    return (this.provisionedByUser.get(userId) ?? []).filter((d) => d.kind === 'Extension');
  }

  /** the user who holds this device by a session at another place than their own, if any */
  borrowerOf(device: DeviceRecord): UserRecord | undefined {
    const holder = this.ownerOf(device);
    return holder && holder.id !== device.userId ? holder : undefined;
  }

  /** Back to the provisioned assignment (EndContactCenterSession, or the place taken back from a borrower). */
  release(userId: string): void {
    const o = this.userOverride.get(userId);
    if (!o) return;
    for (const id of o) if (this.ownerOverride.get(id) === userId) this.ownerOverride.delete(id);
    for (const d of this.provisionedByUser.get(userId) ?? []) if (this.ownerOverride.get(d.id) === '') this.ownerOverride.delete(d.id);
    this.userOverride.delete(userId);
  }

  /** the users of a contact center holding a role, in provisioning order (do not modify) */
  usersWithRole(ccId: string, role: string): readonly UserRecord[] {
    return this.byRole.get(ccId)?.get(role) ?? [];
  }

  /** the routing points of a contact center, in provisioning order (do not modify) */
  routingPointsOf(ccId: string): readonly DeviceRecord[] {
    return this.routingPointsByCenter.get(ccId) ?? [];
  }

  /** the supervisor supervises a group that holds this agent (true when the center has no groups) */
  supervisesAgent(cc: CenterEntry, supervisorId: string, agentUserId: string | undefined): boolean {
    if (cc.agentGroups.length === 0) return true;
    if (!agentUserId) return false;
    return this.supervision.get(cc.id)?.agentsOf.get(supervisorId)?.has(agentUserId) ?? false;
  }

  /** the supervisors of the groups that hold this agent (ids; empty when none or no groups; do not modify) */
  groupSupervisorsOf(cc: CenterEntry, agentUserId: string): ReadonlySet<string> {
    return this.supervision.get(cc.id)?.supervisorsOfAgent.get(agentUserId) ?? NO_IDS;
  }

  /** the supervisor supervises the group a routing point distributes to (true when it has none) */
  supervisesRoutingPoint(cc: CenterEntry, supervisorId: string, dn: string): boolean {
    const supervisors = this.supervision.get(cc.id)?.supervisorsOfRoutingPoint.get(dn);
    return supervisors === undefined || supervisors.has(supervisorId);
  }
}

const NO_IDS: ReadonlySet<string> = new Set();

/** Who supervises whom in one contact center, from its agent groups. */
interface SupervisionIndex {
  /** supervisor user id -> the agents of every group they supervise */
  agentsOf: Map<string, Set<string>>;
  /** agent user id -> the supervisors of every group that holds the agent */
  supervisorsOfAgent: Map<string, Set<string>>;
  /** routing point DN -> the supervisors of the groups it distributes to (absent: no group) */
  supervisorsOfRoutingPoint: Map<string, Set<string>>;
}

function supervisionIndexOf(groups: readonly AgentGroupRecord[]): SupervisionIndex {
  const agentsOf = new Map<string, Set<string>>();
  const supervisorsOfAgent = new Map<string, Set<string>>();
  const supervisorsOfRoutingPoint = new Map<string, Set<string>>();
  const add = <K, V>(map: Map<K, Set<V>>, key: K, values: Iterable<V>): void => {
    let set = map.get(key);
    if (!set) map.set(key, (set = new Set()));
    for (const v of values) set.add(v);
  };
  for (const g of groups) {
    for (const supervisorId of g.supervisorUserIds) add(agentsOf, supervisorId, g.agentUserIds);
    for (const agentId of g.agentUserIds) add(supervisorsOfAgent, agentId, g.supervisorUserIds);
    for (const dn of g.routingPoints) add(supervisorsOfRoutingPoint, dn, g.supervisorUserIds);
  }
  return { agentsOf, supervisorsOfAgent, supervisorsOfRoutingPoint };
}
