/**
 * Domain rules of a ContactCenterSpec, shared by every store adapter (applyContactCenter refuses a
 * spec that breaks them) and by the configuration loader (which reports them with its JSON paths).
 *
 * Guarantees: every problem is reported, each prefixed with the path of the offending value
 * (`users[3].dn: "50a1" is not a number of digits`). JSON types are not checked here — TypeScript
 * does that for code, and the configuration loader for files: a field whose value is not of its
 * declared type is skipped silently, as its owner has already reported it.
 */
import { ALL_FEATURES, Role, type ContactCenterSpec } from './port.js';
import { isSystemAgentStateName } from './ids.js';

/** A spec broke the domain rules; `problems` lists each one with its path. */
export class SpecError extends Error {
  readonly problems: readonly string[];
  constructor(subject: string, problems: readonly string[]) {
    super(`${subject}:\n${problems.map((p) => `- ${p}`).join('\n')}`);
    this.name = 'SpecError';
    this.problems = problems;
  }
}

const DIGITS = /^\d+$/;
const ROLES: ReadonlySet<string> = new Set(Object.values(Role));
const FEATURES: ReadonlySet<string> = new Set(ALL_FEATURES);
/** a userName travels in HTTP Basic credentials: no colon, no white space or control characters */
const USER_NAME = /^[^\s:\u0000-\u001f\u007f]+$/;

/** a digest password travels inside a quoted HA1 input: printable characters only */
const SIP_PASSWORD = /^[^\u0000-\u001f\u007f]+$/;

const isStr = (v: unknown): v is string => typeof v === 'string';
const q = (v: unknown): string => JSON.stringify(v);

/** Every DN a spec defines (user extensions and routing points) with its path. */
export function specDns(spec: ContactCenterSpec): Array<{ dn: string; path: string }> {
  const out: Array<{ dn: string; path: string }> = [];
  (spec.users ?? []).forEach((u, i) => {
    if (u && isStr(u.dn)) out.push({ dn: u.dn, path: `users[${i}].dn` });
  });
  (spec.routingPoints ?? []).forEach((r, i) => {
    if (r && isStr(r.number)) out.push({ dn: r.number, path: `routingPoints[${i}].number` });
  });
  return out;
}

/** Problems of one spec on its own (no knowledge of other contact centers). `prefix` starts each path. */
export function contactCenterSpecProblems(spec: ContactCenterSpec, prefix = ''): string[] {
  const problems: string[] = [];
  const add = (path: string, msg: string): void => {
    problems.push(`${prefix}${path}: ${msg}`);
  };

  if (isStr(spec.name) && spec.name.trim() === '') add('name', 'must not be empty');

  const seenFeatures = new Set<string>();
  (spec.features ?? []).forEach((f, i) => {
    if (!isStr(f)) return;
    if (!FEATURES.has(f)) add(`features[${i}]`, `unknown feature ${q(f)} (known: ${ALL_FEATURES.join(', ')})`);
    else if (seenFeatures.has(f)) add(`features[${i}]`, `duplicate feature ${q(f)}`);
    seenFeatures.add(f);
  });

  // ---- users
  const users = new Map<string, { roles: readonly unknown[]; path: string }>();
  (spec.users ?? []).forEach((u, i) => {
    if (!u) return;
    const at = `users[${i}]`;
    if (isStr(u.userName)) {
      if (u.userName === '') add(`${at}.userName`, 'must not be empty');
      else if (!USER_NAME.test(u.userName)) add(`${at}.userName`, `${q(u.userName)} must not contain white space, control characters or ":"`);
      const first = users.get(u.userName);
      if (first) add(`${at}.userName`, `duplicate userName ${q(u.userName)} (also ${first.path})`);
      else if (u.userName !== '') users.set(u.userName, { roles: Array.isArray(u.roles) ? u.roles : [], path: `${at}.userName` });
    }
    if (isStr(u.password) && u.password === '') add(`${at}.password`, 'must not be empty');
    if (Array.isArray(u.roles)) {
      if (u.roles.length === 0) add(`${at}.roles`, `must hold at least one of ${[...ROLES].join(', ')}`);
      const seen = new Set<string>();
      u.roles.forEach((r, j) => {
        if (!isStr(r)) return;
        if (!ROLES.has(r)) add(`${at}.roles[${j}]`, `unknown role ${q(r)} (known: ${[...ROLES].join(', ')})`);
        else if (seen.has(r)) add(`${at}.roles[${j}]`, `duplicate role ${q(r)}`);
        seen.add(r);
      });
    }
    if (isStr(u.sipPassword)) {
      if (u.sipPassword === '') add(`${at}.sipPassword`, 'must not be empty (omit it: the extension then cannot register)');
      else if (!SIP_PASSWORD.test(u.sipPassword)) add(`${at}.sipPassword`, 'must not contain control characters');
      if (u.dn === undefined) add(`${at}.sipPassword`, 'needs a dn: a SIP password belongs to the user\'s extension');
    }
    if (typeof u.wrapUpTime === 'number' && !(Number.isInteger(u.wrapUpTime) && u.wrapUpTime >= 0)) {
      add(`${at}.wrapUpTime`, `${u.wrapUpTime} is not a whole number of seconds >= 0`);
    }
  });

  // ---- DNs: digits, unique across extensions and routing points
  const dns = new Map<string, string>();
  for (const { dn, path } of specDns(spec)) {
    if (!DIGITS.test(dn)) {
      add(path, `${q(dn)} is not a number of digits`);
      continue;
    }
    const first = dns.get(dn);
    if (first) add(path, `duplicate DN ${q(dn)} (also ${first})`);
    else dns.set(dn, path);
  }

  // ---- agent groups
  const groups = new Map<string, string>();
  (spec.agentGroups ?? []).forEach((g, i) => {
    if (!g) return;
    const at = `agentGroups[${i}]`;
    if (isStr(g.name)) {
      if (g.name.trim() === '') add(`${at}.name`, 'must not be empty');
      const first = groups.get(g.name);
      if (first) add(`${at}.name`, `duplicate agent group ${q(g.name)} (also ${first})`);
      else groups.set(g.name, `${at}.name`);
    }
    const members = (list: unknown, key: 'agents' | 'supervisors', role: Role): void => {
      if (!Array.isArray(list)) return;
      const seen = new Set<string>();
      list.forEach((name, j) => {
        if (!isStr(name)) return;
        const path = `${at}.${key}[${j}]`;
        const user = users.get(name);
        if (!user) add(path, `unknown user ${q(name)}`);
        else if (!user.roles.includes(role)) add(path, `user ${q(name)} does not have ${role}`);
        if (seen.has(name)) add(path, `${q(name)} is listed twice`);
        seen.add(name);
      });
    };
    members(g.agents, 'agents', Role.Agent);
    members(g.supervisors, 'supervisors', Role.Supervisor);
  });

  // ---- routing points
  (spec.routingPoints ?? []).forEach((r, i) => {
    if (r && isStr(r.agentGroup) && !groups.has(r.agentGroup)) {
      add(`routingPoints[${i}].agentGroup`, `unknown agent group ${q(r.agentGroup)}`);
    }
  });

  // ---- custom agent states
  const states = new Map<string, string>();
  (spec.agentStates ?? []).forEach((s, i) => {
    if (!s) return;
    const at = `agentStates[${i}]`;
    if (isStr(s.operationName)) {
      if (s.operationName.trim() === '') add(`${at}.operationName`, 'must not be empty');
      else if (isSystemAgentStateName(s.operationName)) add(`${at}.operationName`, `${q(s.operationName)} is a system agent state`);
      const first = states.get(s.operationName);
      if (first) add(`${at}.operationName`, `duplicate agent state ${q(s.operationName)} (also ${first})`);
      else states.set(s.operationName, `${at}.operationName`);
    }
    if (isStr(s.state) && s.state !== 'Ready' && s.state !== 'NotReady') add(`${at}.state`, `${q(s.state)} is not one of Ready, NotReady`);
    if (isStr(s.workMode)) {
      if (s.workMode !== 'AfterCallWork' && s.workMode !== 'AuxWork') add(`${at}.workMode`, `${q(s.workMode)} is not one of AfterCallWork, AuxWork`);
      else if (s.state === 'Ready') add(`${at}.workMode`, 'only a NotReady state has a workMode');
    }
  });

  return problems;
}
