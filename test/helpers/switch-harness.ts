/**
 * A switch (simulated endpoints unless told otherwise) on a virtual clock with a small contact center, and an event log that renders
 * each SwitchEvent as one readable line, for unit, property and golden tests of the core.
 */
import assert from 'node:assert/strict';
import { CallModel } from '../../src/switch/call-model.js';
import type { SwitchOptions } from '../../src/switch/call-model.js';
import { VirtualClock, countingIds } from '../../src/switch/clock.js';
import type { ContactCenterSettings, SwitchEvent } from '../../src/switch/model.js';
import type { CallOperation } from '../../src/switch/port.js';

export function defaultSettings(over: Partial<ContactCenterSettings> = {}): ContactCenterSettings {
  return {
    wrapUpTime: 0,
    afterWrapUp: 'Ready',
    externalAnswerDelayMs: 1000,
    ringNoAnswerMs: 0,
    ...over,
    supervision: { intrusion: true, autoAnswer: true, maxSupervisorsPerAgent: 1, notifyAgent: 'always', ...(over.supervision ?? {}) },
  };
}

export const AGENTS = ['5001', '5002', '5003'];
export const SUPERVISORS = ['5101', '5102'];

export function eventLine(e: SwitchEvent): string {
  if (e.kind === 'call') {
    const v = e.view;
    const extra = [
      v.muted ? 'mute' : '',
      v.supervisorListeningIn ? 'listenedIn' : '',
      v.monitoring ? 'monitoring' : '',
      v.monitoredUserMuted ? 'agentMuted' : '',
      v.recordingState ? `rec=${v.recordingState}` : '',
      e.errorCode ? `error=${e.errorCode}` : '',
      e.digits ? `digits=${e.digits}` : '',
    ].filter(Boolean).join(' ');
    return `${e.dn} call ${short(e.callUuid)} ${e.notificationType} ${v.state} ${v.callType} [${v.participants.join(',')}]${extra ? ' ' + extra : ''}`;
  }
  if (e.kind === 'device') {
    const v = e.view;
    const st = v.agentState.state + (v.agentState.workMode ? '/' + v.agentState.workMode : '');
    const mon = v.monitoring ? ` monitor=${v.monitoring.state}/${v.monitoring.mode}/${v.monitoring.scope}->${v.monitoring.targetDn}` : '';
    return `${e.dn} device ${st}${v.dnd ? ' dnd' : ''}${v.forwardTo ? ' fwd=' + v.forwardTo : ''}${mon}`;
  }
  if (e.kind === 'media') {
    return `media ${short(e.callUuid)} ${e.parties.map((p) => `${p.phoneNumber}<${p.hears.join(',')}`).join(' ')}`;
  }
  return `${e.supervisorDn} audit ${e.event} ${e.mode}/${e.span}/${e.scope} ->${e.targetDn}${e.agentDn ? ' agent=' + e.agentDn : ''}${e.callUuid ? ' ' + short(e.callUuid) : ''}${e.reason ? ' ' + e.reason : ''}`;
}

/** call uuids are 01SWITCHBOARD000...N: show them as #N */
export function short(uuid: string): string {
  return '#' + String(Number(uuid.slice(-6)));
}

export class Harness {
  readonly clock = new VirtualClock();
  /** internal failures the switch logged (a scenario that sees one fails in take()) */
  readonly errors: { o: object; msg?: string }[] = [];
  readonly sw: CallModel;
  readonly events: SwitchEvent[] = [];
  private mark = 0;

  /** options: anything of the switch's but clock, ids and log (endpoints, handlers, auditAvailable...) */
  constructor(settings: ContactCenterSettings = defaultSettings(), options: Partial<Omit<SwitchOptions, 'clock' | 'ids' | 'log'>> = {}) {
    this.sw = new CallModel({ ...options, clock: this.clock, ids: countingIds(), log: { error: (o, msg) => this.errors.push({ o, msg }) } });
    this.sw.configure({
      id: 'cc1',
      settings,
      dns: [
        ...AGENTS.map((number) => ({ number, kind: 'Extension' as const, contactCenterId: 'cc1' })),
        ...SUPERVISORS.map((number) => ({ number, kind: 'Extension' as const, contactCenterId: 'cc1' })),
        { number: '7000', kind: 'RoutingPoint' as const, contactCenterId: 'cc1', targets: AGENTS },
        { number: '9001', kind: 'Extension' as const, contactCenterId: 'cc2' },
      ],
    });
    this.sw.onEvent((e) => this.events.push(e));
  }

  /** log lines since the last call to take() (media-changed facts are left out: see mediaEvents) */
  take(filter?: (line: string) => boolean): string[] {
    assert.deepEqual(this.errors.map((e) => `${e.msg}: ${String((e.o as { err?: unknown }).err)}`), [], 'the switch logged internal failures');
    const lines = this.events.slice(this.mark).filter((e) => e.kind !== 'media').map(eventLine);
    this.mark = this.events.length;
    return filter ? lines.filter(filter) : lines;
  }

  ok<T>(r: { ok: true; value: T } | { ok: false; error: Error }): T {
    if (!r.ok) assert.fail(`expected ok, got: ${r.error.message}`);
    return r.value;
  }

  loginReady(...dns: string[]): void {
    for (const dn of dns) {
      this.ok(this.sw.login(dn, { userId: 'u' + dn, isAgent: true }));
      this.ok(this.sw.setAgentState(dn, { state: 'Ready' }));
      this.clock.advance(1000); // distinct idle times: the first logged in is the longest idle
    }
  }

  op(dn: string, callUuid: string, op: CallOperation): void {
    this.ok(this.sw.callOperation(dn, callUuid, op));
  }

  /** the only live call of dn */
  callOf(dn: string): string {
    const calls = this.sw.callsOf(dn);
    assert.equal(calls.length, 1, `${dn} should have exactly one call, has ${calls.length}`);
    return calls[0];
  }

  /** media-changed facts since the start, as lines */
  mediaEvents(): string[] {
    return this.events.filter((e) => e.kind === 'media').map(eventLine);
  }

  mediaOf(callUuid: string): Record<string, string[]> {
    const m = this.sw.media(callUuid);
    assert.ok(m, `no media for call ${callUuid}`);
    return Object.fromEntries(m.map((p) => [p.phoneNumber, p.hears]));
  }
}
