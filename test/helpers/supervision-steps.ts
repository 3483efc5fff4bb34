/**
 * Step helpers for the end-to-end supervision scenarios (shared/spec/supervision.md section 10),
 * on top of the E2E harness: arming and refusals through REST, strict per-call notification
 * sequences (each helper takes the NEXT notification of that call for that user and checks it
 * whole), device monitoring state, the media matrix, a "nothing else arrived" barrier, and the
 * supervision audit listing rendered as one line per entry.
 */
import assert from 'node:assert/strict';
import { createApp } from '../../src/app/app.js';
import type { Config } from '../../src/config/types.js';
import { countingIds } from '../../src/switch/clock.js';
import { cheapHasher } from './cheap-hasher.js';
import type { Delivery } from './cometd-client.js';
import { E2E } from './e2e.js';
import type { StartOptions, UserHandle } from './e2e.js';

/** external customers */
export const C = '+15551234567';
export const C2 = '+15557654321';
export const C3 = '+15550000003';

/** demo DNs */
export const A = '5001';
export const B = '5002';
export const S = '5101';
export const S2 = '5102';
export const RP = '7000';

export const ADMIN = 'Basic ' + Buffer.from('admin:demo').toString('base64');

/**
 * The logins and DNs a scenario body uses: the demo's unless the harness runs it on another
 * contact center (a cluster runs a scenario that needs other settings on a copy of the demo whose
 * user names and DNs differ: one login namespace and one dial plan per configuration).
 */
export interface Cast {
  /** the login of a demo user name (supervisor1, agent1, ...) */
  login(demoUser: string): string;
  A: string;
  B: string;
  S: string;
  S2: string;
  RP: string;
}

export const DEMO_CAST: Cast = { login: (user) => user, A, B, S, S2, RP };

// ------------------------------------------------------------------------------------ running

/** Start an E2E, run the body, always close. */
export async function withE2E(opts: StartOptions, body: (e: E2E) => Promise<void>): Promise<void> {
  const e = await E2E.start(opts);
  try {
    await body(e);
  } finally {
    await e.close();
  }
}

/**
 * The harness on a Config of our own (e.g. a temp-file database, for restarts): same as
 * E2E.start but the caller builds the Config; `idPrefix` keeps call uuids distinct across runs.
 */
export async function startWithConfig(config: Config, idPrefix = '01SWITCHBOARD', startAt?: number): Promise<E2E> {
  const e = new E2E();
  if (startAt !== undefined) e.clock.advance(startAt - e.clock.now());
  e.app = await createApp(config, { clock: e.clock, ids: countingIds(idPrefix), passwordHasher: cheapHasher });
  e.baseUrl = (await e.app.listen()).baseUrl;
  return e;
}

// ------------------------------------------------------------------------------------ messages

export const isCall = (callId?: string) => (d: Delivery): boolean =>
  d.data?.messageType === 'CallStateChangeMessage' && (callId === undefined || d.data.call?.id === callId);
export const isDevice = (d: Delivery): boolean => d.data?.messageType === 'DeviceStateChangeMessage';

export function phones(call: { participants: { phoneNumber: string }[] }): string[] {
  return call.participants.map((p) => p.phoneNumber);
}

const sorted = (xs: readonly string[]): string[] => [...xs].sort();

export interface CallExpect {
  /** default StatusChange */
  notificationType?: string;
  state: string;
  callType?: string;
  /** the other parties' phone numbers, in any order */
  participants?: string[];
  dnis?: string;
  mute?: 'On' | 'Off';
  monitoring?: boolean;
  supervisorListeningIn?: boolean;
  monitoredUserMuted?: boolean;
  /** capabilities that must be present */
  has?: string[];
  /** capabilities that must be absent */
  lacks?: string[];
}

function brief(msg: any): string {
  const c = msg.call ?? {};
  return JSON.stringify({
    notificationType: msg.notificationType,
    phoneNumber: msg.phoneNumber,
    state: c.state,
    participants: c.participants?.map((p: any) => p.phoneNumber),
    dnis: c.dnis,
    mute: c.mute,
    monitoring: c.monitoring,
    supervisorListeningIn: c.supervisorListeningIn,
    monitoredUserMuted: c.monitoredUserMuted,
    capabilities: c.capabilities,
  });
}

export function checkCall(h: UserHandle, msg: any, exp: CallExpect, what: string): void {
  const c = msg.call;
  const ctx = `${h.name} ${what}: got ${brief(msg)}`;
  assert.equal(msg.notificationType, exp.notificationType ?? 'StatusChange', ctx);
  assert.equal(msg.phoneNumber, h.dn, ctx);
  assert.equal(c.state, exp.state, ctx);
  if (exp.callType !== undefined) assert.equal(c.callType, exp.callType, ctx);
  if (exp.participants !== undefined) assert.deepEqual(sorted(phones(c)), sorted(exp.participants), ctx);
  if (exp.dnis !== undefined) assert.equal(c.dnis, exp.dnis, ctx);
  if (exp.mute !== undefined) assert.equal(c.mute, exp.mute, ctx);
  if (exp.monitoring !== undefined) assert.equal(c.monitoring, exp.monitoring, ctx);
  if (exp.supervisorListeningIn !== undefined) assert.equal(c.supervisorListeningIn, exp.supervisorListeningIn, ctx);
  if (exp.monitoredUserMuted !== undefined) assert.equal(c.monitoredUserMuted, exp.monitoredUserMuted, ctx);
  for (const op of exp.has ?? []) assert.ok(c.capabilities.includes(op), `${ctx}: capabilities should contain ${op}`);
  for (const op of exp.lacks ?? []) assert.ok(!c.capabilities.includes(op), `${ctx}: capabilities should not contain ${op}`);
  if (exp.state === 'Released') assert.deepEqual(c.capabilities, [], ctx);
}

/** Take the NEXT notification of this call for this user and check it. */
export async function expectCall(h: UserHandle, callId: string, exp: CallExpect, what = ''): Promise<any> {
  const label = `${exp.notificationType ?? 'StatusChange'} ${exp.state}${what ? ` (${what})` : ''}`;
  const d = await h.next(isCall(callId), `call ${callId} ${label}`);
  checkCall(h, d.data, exp, label);
  return d.data;
}

/** The supervisor's leg: a call that shows up on S's device; waits for its first notification. */
export async function expectLeg(h: UserHandle, exp: CallExpect, what = ''): Promise<any> {
  const d = await h.next(isCall(), `a monitoring leg ${what}`);
  checkCall(h, d.data, exp, what);
  return d.data;
}

// Supervisor capabilities per mode (supervision.md section 4, docs/supervision.md "Limits and modes").
export const NEVER_ON_LEG = ['Hold', 'Retrieve', 'SingleStepTransfer', 'InitiateTransfer', 'InitiateConference', 'SingleStepConference', 'Answer'];
export const LEG_CAPS: Record<'ListenIn' | 'Coach' | 'BargeIn', { has: string[]; lacks: string[]; mute: 'On' | 'Off' }> = {
  ListenIn: {
    has: ['Hangup', 'SwitchToBargeIn', 'SwitchToCoach', 'MuteMonitoredUser'],
    lacks: ['SwitchToListenIn', 'MuteCall', 'UnmuteCall', 'UnmuteMonitoredUser', ...NEVER_ON_LEG],
    mute: 'On',
  },
  Coach: {
    has: ['Hangup', 'SwitchToListenIn', 'SwitchToBargeIn', 'MuteMonitoredUser', 'MuteCall'],
    lacks: ['SwitchToCoach', 'UnmuteCall', 'UnmuteMonitoredUser', ...NEVER_ON_LEG],
    mute: 'Off',
  },
  BargeIn: {
    has: ['Hangup', 'SwitchToListenIn', 'SwitchToCoach', 'MuteMonitoredUser', 'MuteCall'],
    lacks: ['SwitchToBargeIn', 'UnmuteCall', 'UnmuteMonitoredUser', ...NEVER_ON_LEG],
    mute: 'Off',
  },
};

/** What a supervisor's established leg in `mode` must show. */
export function leg(mode: 'ListenIn' | 'Coach' | 'BargeIn', participants: string[], dnis: string, extra: Partial<CallExpect> = {}): CallExpect {
  return {
    state: 'Established',
    participants,
    dnis,
    monitoring: true,
    mute: LEG_CAPS[mode].mute,
    monitoredUserMuted: false,
    supervisorListeningIn: false,
    has: LEG_CAPS[mode].has,
    lacks: LEG_CAPS[mode].lacks,
    ...extra,
  };
}

// ------------------------------------------------------------------------------------ devices

export interface ArmedExpect {
  state: 'ListenIn' | 'Coach' | 'BargeIn';
  mode: 'NextCall' | 'AllCalls';
  scope: 'Agent' | 'Call';
  /** the monitored agent (targetDeviceUri) or a routing point DN (targetPhoneNumber) */
  target: UserHandle | string;
}

export function checkArmedDevice(e: E2E, h: UserHandle, dev: any, exp: ArmedExpect, what: string): void {
  const ctx = `${h.name} ${what}: got ${JSON.stringify(dev)}`;
  assert.equal(dev.id, h.deviceId, ctx);
  const want: Record<string, string> = { state: exp.state, mode: exp.mode, scope: exp.scope };
  if (typeof exp.target === 'string') want.targetPhoneNumber = exp.target;
  else want.targetDeviceUri = `${e.baseUrl}/api/v2/devices/${exp.target.deviceId}`;
  assert.deepEqual(dev.supervisorMonitoringState, want, ctx);
  for (const op of ['CancelSupervisorMonitoring', 'ListenIn', 'Coach', 'BargeIn']) {
    assert.ok(dev.capabilities.includes(op), `${ctx}: device capabilities should contain ${op}`);
  }
}

/** Take the next DeviceStateChangeMessage of h: monitoring configured as expected. */
export async function expectArmed(e: E2E, h: UserHandle, exp: ArmedExpect, what = 'armed'): Promise<void> {
  const d = await h.next(isDevice, `DeviceStateChangeMessage ${what}`);
  checkArmedDevice(e, h, d.data.devices[0], exp, what);
}

/** Take the next DeviceStateChangeMessage of h: no monitoring configured any more. */
export async function expectDisarmed(h: UserHandle, what = 'monitoring removed'): Promise<void> {
  const d = await h.next(isDevice, `DeviceStateChangeMessage ${what}`);
  const dev = d.data.devices[0];
  const ctx = `${h.name} ${what}: got ${JSON.stringify(dev)}`;
  assert.equal(dev.id, h.deviceId, ctx);
  assert.ok(!('supervisorMonitoringState' in dev), `${ctx}: supervisorMonitoringState should be absent`);
  assert.ok(!dev.capabilities.includes('CancelSupervisorMonitoring'), `${ctx}: CancelSupervisorMonitoring should be gone`);
  assert.ok(dev.capabilities.includes('ListenIn'), `${ctx}: ListenIn should still be offered`);
}

/** GET the supervisor's device: is it armed as expected (or not armed at all)? */
export async function getDevice(e: E2E, h: UserHandle): Promise<any> {
  const r = await e.fetchJson('GET', `/api/v2/me/devices/${h.deviceId}`, h.auth);
  assert.equal(r.json.statusCode, 0, JSON.stringify(r.json));
  return r.json.device;
}

// ------------------------------------------------------------------------------------ REST

export type ArmTarget = { phoneNumber: string } | { agent: UserHandle };

export function armBody(e: E2E, op: string, target: ArmTarget, opts: { scope?: string; mode?: string } = {}): Record<string, unknown> {
  const body: Record<string, unknown> = { operationName: op };
  if ('phoneNumber' in target) body.phoneNumber = target.phoneNumber;
  else body.targetDeviceUri = `${e.baseUrl}/api/v2/devices/${target.agent.deviceId}`;
  if (opts.scope) body.supervisorMonitoringScope = opts.scope;
  if (opts.mode) body.supervisorMonitoringMode = opts.mode;
  return body;
}

/** ListenIn / Coach / BargeIn on the supervisor's device: must answer HTTP 200 {statusCode: 0}. */
export async function arm(e: E2E, s: UserHandle, op: 'ListenIn' | 'Coach' | 'BargeIn', target: ArmTarget, opts: { scope?: string; mode?: string } = {}): Promise<void> {
  const body = armBody(e, op, target, opts);
  const r = await e.fetchJson('POST', `/api/v2/me/devices/${s.deviceId}`, s.auth, body);
  assert.equal(r.status, 200, `${s.name} ${JSON.stringify(body)} -> HTTP ${r.status} ${JSON.stringify(r.json)}`);
  assert.deepEqual(r.json, { statusCode: 0 }, `${s.name} ${JSON.stringify(body)}`);
}

/** A POST that must be refused with this statusCode, HTTP status and a message saying what to do. */
export async function refused(
  e: E2E,
  h: UserHandle | { name: string; auth: string },
  path: string,
  body: unknown,
  statusCode: number,
  httpStatus: number,
  message: RegExp,
): Promise<string> {
  const r = await e.fetchJson('POST', path, h.auth, body);
  const ctx = `${h.name} POST ${path} ${JSON.stringify(body)} -> HTTP ${r.status} ${JSON.stringify(r.json)}`;
  assert.equal(r.json.statusCode, statusCode, ctx);
  assert.equal(r.status, httpStatus, ctx);
  assert.deepEqual(Object.keys(r.json).sort(), ['statusCode', 'statusMessage'], ctx);
  assert.match(r.json.statusMessage, message, ctx);
  return r.json.statusMessage;
}

/** An inbound call from `from` to `to` that rings at agent `a` (checked) and that `a` answers. */
export async function ringAndAnswer(e: E2E, a: UserHandle, from: string, to: string, adminAuth = e.adminAuth): Promise<string> {
  const r = await e.fetchJson('POST', '/sim/v1/calls', adminAuth, { from, to });
  assert.equal(r.json.statusCode, 0, JSON.stringify(r.json));
  const id: string = r.json.callUuid;
  await expectCall(a, id, { state: 'Ringing', callType: 'Inbound', participants: [from], supervisorListeningIn: false, has: ['Answer'] }, 'inbound');
  await a.callOp(id, 'Answer');
  return id;
}

// ------------------------------------------------------------------------------------ media

/** who hears whom on the call, compared as sets per listener, every party listed */
export async function expectMedia(e: E2E, callId: string, expected: Record<string, string[]>, what: string, adminAuth = e.adminAuth): Promise<void> {
  const r = await e.fetchJson('GET', `/sim/v1/calls/${callId}/media`, adminAuth);
  assert.equal(r.json.statusCode, 0, JSON.stringify(r.json));
  const m: Record<string, string[]> = Object.fromEntries(r.json.parties.map((p: { phoneNumber: string; hears: string[] }) => [p.phoneNumber, p.hears]));
  const norm = (x: Record<string, string[]>) => Object.fromEntries(Object.keys(x).sort().map((k) => [k, sorted(x[k])]));
  assert.deepEqual(norm(m), norm(expected), `media of ${callId}: ${what}`);
}

/** the call is gone from the switch (media answers statusCode 6) */
export async function expectNoCall(e: E2E, callId: string): Promise<void> {
  const r = await e.fetchJson('GET', `/sim/v1/calls/${callId}/media`, e.adminAuth);
  assert.equal(r.json.statusCode, 6, JSON.stringify(r.json));
}

// ------------------------------------------------------------------------------------ barriers

/**
 * A known-last notification for each user: DoNotDisturbOn then Off on its device, waiting for
 * both device messages. Whatever the server published for that user before is delivered by then.
 */
export async function barrier(...hs: UserHandle[]): Promise<void> {
  for (const h of hs) {
    for (const [op, v] of [['DoNotDisturbOn', 'On'], ['DoNotDisturbOff', 'Off']] as const) {
      const r = await h.deviceOp(op);
      assert.equal(r.statusCode, 0, `${h.name} ${op}: ${JSON.stringify(r)}`);
      await h.next((d) => isDevice(d) && d.data.devices[0].doNotDisturb === v, `barrier DND ${v}`);
    }
  }
}

/** After a barrier: every call and device notification each user got was expected (taken). */
export async function nothingElse(...hs: UserHandle[]): Promise<void> {
  await barrier(...hs);
  for (const h of hs) {
    const extra = h.client.events.drain().filter((d) => isCall()(d) || isDevice(d));
    assert.deepEqual(extra.map((d) => JSON.stringify(d.data)), [], `${h.name} received notifications the scenario does not expect`);
  }
}

// ------------------------------------------------------------------------------------ audit

/** `#n` for counting call uuids (01SWITCHBOARD...0007 -> #7) */
export function ref(callUuid: string): string {
  return '#' + String(Number(callUuid.slice(-6)));
}

/** One audit entry as a line: `Joined ListenIn/AllCalls/Call 5101->5001 agent=5001 #1 CallEnded`. */
export function auditLine(x: any): string {
  return [
    x.event,
    `${x.mode}/${x.supervisorMonitoringMode}/${x.scope}`,
    `${x.supervisor.phoneNumber}->${x.target.phoneNumber}`,
    x.agent ? `agent=${x.agent.phoneNumber}` : '',
    x.callUuid ? ref(x.callUuid) : '',
    x.reason ?? '',
  ].filter(Boolean).join(' ');
}

export async function auditOf(e: E2E, auth: string, query = ''): Promise<{ totalCount: number; offset: number; limit: number; entries: any[]; lines: string[] }> {
  const r = await e.fetchJson('GET', `/api/v2/supervision/audit${query ? '?' + query : ''}`, auth);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.statusCode, 0, JSON.stringify(r.json));
  return { ...r.json, lines: r.json.entries.map(auditLine) };
}

/** The supervisor's own audit listing is exactly these lines, in order. */
export async function expectAudit(e: E2E, s: UserHandle, lines: string[], query = ''): Promise<void> {
  const a = await auditOf(e, s.auth, query);
  assert.deepEqual(a.lines, lines, `audit of ${s.name}${query ? ' ?' + query : ''}`);
  assert.equal(a.totalCount, lines.length);
}
