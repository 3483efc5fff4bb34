/**
 * The "contactCenters" section of a configuration file → ContactCenterSpec[]. Checks JSON shapes,
 * types, ranges and unknown keys here; the domain rules (DN digits, roles, feature ids, references,
 * duplicates) come from the store's spec-check.ts, with this file's paths; uniqueness across
 * contact centers (names, userNames, DNs: one login namespace, one dial plan) is checked here.
 * Omitted optional parts get their defaults: every feature, the default settings (a partial
 * `settings`, and partial `settings.supervision` and `settings.sip` blocks, are merged over them), empty
 * lists. Trunk hosts must be IP addresses; a user's `sipPassword` (checked in spec-check.ts) needs a `dn`.
 */
import { isIP } from 'node:net';
import type { ContactCenterSettings, SipSettings, SupervisionSettings, TrunkSettings } from '../switch/model.js';
import type { AgentGroupSpec, AgentStateSpec, ContactCenterSpec, Role, RoutingPointSpec, UserSpec } from '../store/port.js';
import { contactCenterSpecProblems, specDns } from '../store/spec-check.js';
import { DEFAULT_FEATURES, defaultContactCenterSettings, defaultSipSettings } from './defaults.js';
import { Problems, array, at, boolean, integer, item, object, oneOf, string, strings } from './check.js';

const DAY_SECONDS = 86_400;
const HOUR_MS = 3_600_000;

/** Bounds of the numeric settings, shared with the documentation. */
export const SETTING_RANGES = {
  wrapUpTime: [0, DAY_SECONDS],
  externalAnswerDelayMs: [0, HOUR_MS],
  ringNoAnswerMs: [0, HOUR_MS],
  maxSupervisorsPerAgent: [1, 100],
  trunkPort: [1, 65535],
} as const;

/** An outbound prefix: what a trunk expects before the number (digits, and the dialling characters * # +). */
const OUTBOUND_PREFIX = /^[0-9*#+]{1,16}$/;

function trunk(p: Problems, path: string, v: unknown): TrunkSettings {
  const o = object(p, path, v, { required: ['name', 'host'], optional: ['port', 'outboundPrefix'] }) ?? {};
  const t: TrunkSettings = {
    name: opt(o.name, () => string(p, at(path, 'name'), o.name, { nonEmpty: true })) as string,
    host: opt(o.host, () => string(p, at(path, 'host'), o.host, { nonEmpty: true })) as string,
  };
  if (typeof t.host === 'string' && isIP(t.host) === 0) {
    p.add(at(path, 'host'), `${JSON.stringify(t.host)} is not an IP address (trunks are matched by the source address of their INVITEs; no DNS)`);
  }
  const [min, max] = SETTING_RANGES.trunkPort;
  const port = opt(o.port, () => integer(p, at(path, 'port'), o.port, min, max));
  if (port !== undefined) t.port = port;
  const prefix = opt(o.outboundPrefix, () => string(p, at(path, 'outboundPrefix'), o.outboundPrefix));
  if (prefix !== undefined) {
    if (OUTBOUND_PREFIX.test(prefix)) t.outboundPrefix = prefix;
    else p.add(at(path, 'outboundPrefix'), `${JSON.stringify(prefix)} must be 1 to 16 of the characters 0-9 * # +`);
  }
  return t;
}

/** The `sip` block of a contact center's settings (spec/sip.md section 2); omitted keys keep their defaults. */
function sipSettings(p: Problems, path: string, v: unknown): SipSettings {
  const out = defaultSipSettings();
  const o = object(p, path, v, { optional: ['agentPhoneMode', 'unregisteredDevices', 'holdAudio', 'trunks'] });
  if (!o) return out;
  if (o.agentPhoneMode !== undefined) out.agentPhoneMode = oneOf(p, at(path, 'agentPhoneMode'), o.agentPhoneMode, ['nailedUp', 'perCall'] as const) ?? out.agentPhoneMode;
  if (o.unregisteredDevices !== undefined) {
    out.unregisteredDevices = oneOf(p, at(path, 'unregisteredDevices'), o.unregisteredDevices, ['simulate', 'unavailable'] as const) ?? out.unregisteredDevices;
  }
  if (o.holdAudio !== undefined) out.holdAudio = oneOf(p, at(path, 'holdAudio'), o.holdAudio, ['silence', 'tone'] as const) ?? out.holdAudio;
  out.trunks = list(p, at(path, 'trunks'), o.trunks, (q, x) => trunk(p, q, x));
  const names = new Map<string, number>();
  out.trunks.forEach((t, i) => {
    if (typeof t.name !== 'string' || t.name === '') return;
    const first = names.get(t.name);
    if (first !== undefined) p.add(at(item(at(path, 'trunks'), i), 'name'), `duplicate trunk ${JSON.stringify(t.name)} (also trunks[${first}])`);
    else names.set(t.name, i);
  });
  return out;
}

function supervision(p: Problems, path: string, v: unknown, into: SupervisionSettings): void {
  const o = object(p, path, v, { optional: ['intrusion', 'autoAnswer', 'maxSupervisorsPerAgent', 'notifyAgent'] });
  if (!o) return;
  if (o.intrusion !== undefined) into.intrusion = boolean(p, at(path, 'intrusion'), o.intrusion) ?? into.intrusion;
  if (o.autoAnswer !== undefined) into.autoAnswer = boolean(p, at(path, 'autoAnswer'), o.autoAnswer) ?? into.autoAnswer;
  if (o.maxSupervisorsPerAgent !== undefined) {
    const [min, max] = SETTING_RANGES.maxSupervisorsPerAgent;
    into.maxSupervisorsPerAgent = integer(p, at(path, 'maxSupervisorsPerAgent'), o.maxSupervisorsPerAgent, min, max) ?? into.maxSupervisorsPerAgent;
  }
  if (o.notifyAgent !== undefined) {
    into.notifyAgent = oneOf(p, at(path, 'notifyAgent'), o.notifyAgent, ['always', 'coachAndBarge', 'never'] as const) ?? into.notifyAgent;
  }
}

function settings(p: Problems, path: string, v: unknown): ContactCenterSettings {
  const out = defaultContactCenterSettings();
  if (v === undefined) return out;
  const o = object(p, path, v, { optional: ['wrapUpTime', 'afterWrapUp', 'externalAnswerDelayMs', 'ringNoAnswerMs', 'supervision', 'sip'] });
  if (!o) return out;
  for (const key of ['wrapUpTime', 'externalAnswerDelayMs', 'ringNoAnswerMs'] as const) {
    const [min, max] = SETTING_RANGES[key];
    if (o[key] !== undefined) out[key] = integer(p, at(path, key), o[key], min, max) ?? out[key];
  }
  if (o.afterWrapUp !== undefined) out.afterWrapUp = oneOf(p, at(path, 'afterWrapUp'), o.afterWrapUp, ['Ready', 'NotReady'] as const) ?? out.afterWrapUp;
  if (o.supervision !== undefined) supervision(p, at(path, 'supervision'), o.supervision, out.supervision);
  if (o.sip !== undefined) out.sip = sipSettings(p, at(path, 'sip'), o.sip);
  return out;
}

/** Runs `read` on each element of an optional array; every slot stays, so indexes match the file. */
function list<T>(p: Problems, path: string, v: unknown, read: (path: string, v: unknown) => T): T[] {
  if (v === undefined) return [];
  return (array(p, path, v) ?? []).map((x, i) => read(item(path, i), x));
}

const opt = <T>(v: unknown, read: () => T | undefined): T | undefined => (v === undefined ? undefined : read());

function agentState(p: Problems, path: string, v: unknown): AgentStateSpec {
  const o = object(p, path, v, { required: ['operationName', 'state'], optional: ['displayName', 'workMode', 'reason'] }) ?? {};
  const operationName = opt(o.operationName, () => string(p, at(path, 'operationName'), o.operationName)) as string;
  const s: AgentStateSpec = {
    operationName,
    displayName: opt(o.displayName, () => string(p, at(path, 'displayName'), o.displayName, { nonEmpty: true })) ?? operationName,
    state: opt(o.state, () => oneOf(p, at(path, 'state'), o.state, ['Ready', 'NotReady'] as const)) as AgentStateSpec['state'],
  };
  const workMode = opt(o.workMode, () => oneOf(p, at(path, 'workMode'), o.workMode, ['AfterCallWork', 'AuxWork'] as const));
  if (workMode) s.workMode = workMode;
  const reason = opt(o.reason, () => string(p, at(path, 'reason'), o.reason));
  if (reason !== undefined) s.reason = reason;
  return s;
}

function user(p: Problems, path: string, v: unknown): UserSpec {
  const o =
    object(p, path, v, {
      required: ['userName', 'password', 'roles'],
      optional: ['firstName', 'lastName', 'emailAddress', 'dn', 'wrapUpTime', 'sipPassword'],
    }) ?? {};
  const u: UserSpec = {
    userName: opt(o.userName, () => string(p, at(path, 'userName'), o.userName, { noControlCharacters: true })) as string,
    password: opt(o.password, () => string(p, at(path, 'password'), o.password, { noControlCharacters: true })) as string,
    roles: (opt(o.roles, () => strings(p, at(path, 'roles'), o.roles)) ?? []) as Role[],
  };
  for (const key of ['firstName', 'lastName', 'emailAddress', 'dn', 'sipPassword'] as const) {
    const s = opt(o[key], () => string(p, at(path, key), o[key]));
    if (s !== undefined) u[key] = s;
  }
  const wrapUpTime = opt(o.wrapUpTime, () => integer(p, at(path, 'wrapUpTime'), o.wrapUpTime, 0, DAY_SECONDS));
  if (wrapUpTime !== undefined) u.wrapUpTime = wrapUpTime;
  return u;
}

function routingPoint(p: Problems, path: string, v: unknown): RoutingPointSpec {
  const o = object(p, path, v, { required: ['number'], optional: ['agentGroup'] }) ?? {};
  const r: RoutingPointSpec = { number: opt(o.number, () => string(p, at(path, 'number'), o.number)) as string };
  const agentGroup = opt(o.agentGroup, () => string(p, at(path, 'agentGroup'), o.agentGroup));
  if (agentGroup !== undefined) r.agentGroup = agentGroup;
  return r;
}

function agentGroup(p: Problems, path: string, v: unknown): AgentGroupSpec {
  const o = object(p, path, v, { required: ['name'], optional: ['agents', 'supervisors'] }) ?? {};
  return {
    name: opt(o.name, () => string(p, at(path, 'name'), o.name)) as string,
    agents: (opt(o.agents, () => strings(p, at(path, 'agents'), o.agents)) ?? []) as string[],
    supervisors: (opt(o.supervisors, () => strings(p, at(path, 'supervisors'), o.supervisors)) ?? []) as string[],
  };
}

function contactCenter(p: Problems, path: string, v: unknown): ContactCenterSpec {
  const o =
    object(p, path, v, {
      required: ['name', 'users'],
      optional: ['features', 'settings', 'agentStates', 'routingPoints', 'agentGroups'],
    }) ?? {};
  const spec: ContactCenterSpec = {
    name: opt(o.name, () => string(p, at(path, 'name'), o.name, { nonEmpty: true })) as string,
    features: o.features === undefined ? [...DEFAULT_FEATURES] : ((strings(p, at(path, 'features'), o.features) ?? []) as string[]),
    settings: settings(p, at(path, 'settings'), o.settings),
    agentStates: list(p, at(path, 'agentStates'), o.agentStates, (q, x) => agentState(p, q, x)),
    users: list(p, at(path, 'users'), o.users, (q, x) => user(p, q, x)),
    routingPoints: list(p, at(path, 'routingPoints'), o.routingPoints, (q, x) => routingPoint(p, q, x)),
    agentGroups: list(p, at(path, 'agentGroups'), o.agentGroups, (q, x) => agentGroup(p, q, x)),
  };
  for (const problem of contactCenterSpecProblems(spec, `${path}.`)) p.list.push(problem);
  return spec;
}

/** Reads the `contactCenters` array of a file (at `path`), reporting every problem into `p`. */
export function contactCentersFromJson(p: Problems, path: string, v: unknown): ContactCenterSpec[] {
  const specs = list(p, path, v, (q, x) => contactCenter(p, q, x));
  // within one contact center spec-check reports duplicates; here: across contact centers
  const names = new Map<string, { cc: number; where: string }>();
  const userNames = new Map<string, { cc: number; where: string }>();
  const dns = new Map<string, { cc: number; where: string }>();
  const once = (seen: typeof names, cc: number, key: unknown, where: string, what: string): void => {
    if (typeof key !== 'string' || key === '') return;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, { cc, where });
    else if (first.cc !== cc) p.add(where, `${what} ${JSON.stringify(key)} is also used at ${first.where}`);
  };
  specs.forEach((spec, i) => {
    const cc = item(path, i);
    once(names, i, spec.name, `${cc}.name`, 'contact center name');
    spec.users.forEach((u, j) => once(userNames, i, u.userName, `${cc}.users[${j}].userName`, 'userName'));
    for (const { dn, path: dnPath } of specDns(spec)) once(dns, i, dn, `${cc}.${dnPath}`, 'DN');
  });
  return specs;
}
