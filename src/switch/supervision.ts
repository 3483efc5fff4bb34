/**
 * Supervisor monitoring on the switch (supervision.md): arming ListenIn/Coach/BargeIn on an agent or
 * a routing point, joining the agent's call (next call, or at once with intrusion), following the
 * call by Agent or Call scope, mode switches (SwitchToCoach is an extension), MuteMonitoredUser,
 * and every way monitoring ends. Each step is reported as a MonitorEvent for the audit log.
 */
import { ErrorCode, fail, okVoid } from '../errors.js';
import type { Result } from '../errors.js';
import { SWITCH_TARGET } from './capabilities.js';
import { DeviceTouch } from './core.js';
import type { Call, MonitorConfig, Party, SwitchCore } from './core.js';
import { CallType, MonitorMode, MonitorScope, MonitorSpan, PartyState } from './model.js';
import type { MonitorAuditEvent } from './model.js';
import type { MonitorRequest } from './port.js';

export class Supervision {
  /**
   * auditAvailable: when given and it answers false, no supervisor is joined to a call (the
   * supervision audit must be able to record it); the join is audited as Skipped/AuditUnavailable.
   */
  constructor(
    private readonly core: SwitchCore,
    private readonly auditAvailable?: () => boolean,
  ) {}

  // ------------------------------------------------------------------ arming

  arm(supervisorDn: string, req: MonitorRequest): Result {
    const core = this.core;
    const supervisorDevice = core.dns.get(supervisorDn);
    if (!supervisorDevice || supervisorDevice.config.kind !== 'Extension') return fail(ErrorCode.NotFound, `DN ${supervisorDn} is not an extension of this switch`);
    if (!supervisorDevice.loggedIn) {
      return fail(ErrorCode.InvalidState, 'No contact-center session: POST StartContactCenterSession to /api/v2/me first');
    }
    const targetDevice = core.dns.get(req.targetDn);
    if (!targetDevice || targetDevice.config.contactCenterId !== supervisorDevice.config.contactCenterId) {
      return fail(ErrorCode.NotFound, `No agent device or routing point ${req.targetDn} in your contact center`);
    }
    if (req.targetDn === supervisorDn) return fail(ErrorCode.InvalidState, 'A supervisor cannot monitor their own device');
    const targetIsRoutingPoint = targetDevice.config.kind === 'RoutingPoint';
    if (targetIsRoutingPoint && req.scope === MonitorScope.Agent) {
      return fail(ErrorCode.InvalidValue, 'Routing points are monitored with supervisorMonitoringScope Call only');
    }

    const existing = supervisorDevice.monitor;
    // Re-arming the same target while on its call: a mode switch on that call.
    if (existing && existing.targetDn === req.targetDn && existing.callUuid) {
      const call = core.calls.get(existing.callUuid);
      const leg = call && this.legOf(call, supervisorDn);
      if (call && leg && leg.sup!.mode !== req.mode) {
        const r = this.checkExclusive(supervisorDn, [call], leg.sup!.monitoredDn, req.mode);
        if (!r.ok) return r;
        this.applyMode(call, leg, req.mode);
      }
      existing.scope = req.scope;
      existing.span = req.span;
      // re-armed for NextCall while on a call of the target: this call is the one it monitors
      if (req.span === MonitorSpan.NextCall && leg) existing.consumed = true;
      this.audit('Armed', existing);
      // every accepted arm confirms with the supervisor's device, changed or not (supervision.md 1)
      core.touchDevice(supervisorDn, DeviceTouch.Confirm);
      return okVoid;
    }
    if (!targetIsRoutingPoint) {
      const r = this.checkCapacity(supervisorDn, req.targetDn, req.mode, supervisorDevice.config.contactCenterId);
      if (!r.ok) return r;
    }
    if (existing) this.dropConfig(existing, 'Replaced', false);

    const cfg: MonitorConfig = {
      supervisorDn,
      contactCenterId: supervisorDevice.config.contactCenterId,
      mode: req.mode,
      scope: req.scope,
      span: req.span,
      targetDn: req.targetDn,
      targetIsRoutingPoint,
      consumed: false,
    };
    supervisorDevice.monitor = cfg;
    let list = core.monitorsOf.get(req.targetDn);
    if (!list) core.monitorsOf.set(req.targetDn, (list = []));
    list.push(cfg);
    this.audit('Armed', cfg);
    core.touchDevice(supervisorDn, DeviceTouch.Confirm);

    // Intrusion: join the agent's call in progress.
    if (!targetIsRoutingPoint && core.cc(cfg.contactCenterId).settings.supervision.intrusion) {
      const calls = core.liveCallsOf(req.targetDn).filter((c) => c.type !== CallType.Consult);
      const pick =
        calls.find((c) => core.partyOf(c, req.targetDn)!.state === PartyState.Established) ??
        calls.find((c) => core.partyOf(c, req.targetDn)!.state === PartyState.Held);
      if (pick) this.tryJoin(cfg, pick, req.targetDn);
    }
    return okVoid;
  }

  cancel(supervisorDn: string): Result {
    const cfg = this.core.dns.get(supervisorDn)?.monitor;
    if (!cfg) return fail(ErrorCode.InvalidState, 'No supervisor monitoring is configured on this device');
    this.dropConfig(cfg, 'Cancelled', true);
    return okVoid;
  }

  /**
   * The server stops and the switch's state goes with it: every supervisor leaves the call it is on
   * and every configuration ends, both audited with the reason ServerStopped, so that no Joined or
   * Armed is left without its end (supervision.md 9).
   */
  serverStopping(): void {
    const core = this.core;
    for (const call of core.calls.values()) for (const sp of core.supervisors(call)) this.releaseLeg(call, sp, 'ServerStopped', false);
    for (const device of core.dns.values()) if (device.monitor) this.dropConfig(device.monitor, 'ServerStopped', true);
  }

  /** S or A ended its contact-center session. */
  sessionEnded(dn: string): void {
    const own = this.core.dns.get(dn)?.monitor;
    if (own) this.dropConfig(own, 'SessionEnded', true);
    for (const cfg of [...(this.core.monitorsOf.get(dn) ?? [])]) this.dropConfig(cfg, 'SessionEnded', true);
  }

  private checkCapacity(supervisorDn: string, targetDn: string, mode: MonitorMode, ccId: string): Result {
    const others = (this.core.monitorsOf.get(targetDn) ?? []).filter((c) => c.supervisorDn !== supervisorDn);
    const max = this.core.cc(ccId).settings.supervision.maxSupervisorsPerAgent;
    if (others.length >= max) {
      return fail(
        ErrorCode.InUse,
        `Agent ${targetDn} is already monitored by supervisor ${others.map((c) => c.supervisorDn).join(', ')}` +
          ` (at most ${max} per agent); ask them to cancel monitoring, or raise supervision.maxSupervisorsPerAgent`,
      );
    }
    // a supervisor armed on the agent, or on one of its calls however it came there (following it
    // in Call scope, from a routing point), already coaching or barged in
    return this.checkExclusive(supervisorDn, this.core.liveCallsOf(targetDn), targetDn, mode);
  }

  /** another supervisor's live leg on the call in Coach or BargeIn, if there is one */
  private loudOn(call: Call, supervisorDn: string): Party | undefined {
    return this.core.supervisors(call).find((p) => p.dn !== supervisorDn && p.sup!.mode !== MonitorMode.ListenIn);
  }

  /**
   * At most one supervisor in Coach or BargeIn per agent and per call: another one on one of
   * `calls`, or armed on `agentDn`, refuses Coach and BargeIn. `agentDn` is the agent the leg
   * monitors (not the configuration's target, which may be a routing point whose other watchers
   * are elsewhere); undefined while a Call-scope leg waits for an agent.
   */
  private checkExclusive(supervisorDn: string, calls: readonly Call[], agentDn: string | undefined, mode: MonitorMode): Result {
    if (mode === MonitorMode.ListenIn) return okVoid;
    for (const call of calls) {
      const onCall = this.loudOn(call, supervisorDn);
      if (onCall) {
        return fail(
          ErrorCode.InUse,
          `Supervisor ${onCall.dn} is already in ${onCall.sup!.mode} on call ${call.uuid}; only one supervisor may coach or barge in: stay in ListenIn`,
        );
      }
    }
    const onAgent = agentDn === undefined ? undefined : (this.core.monitorsOf.get(agentDn) ?? []).find((c) => c.supervisorDn !== supervisorDn && c.mode !== MonitorMode.ListenIn);
    if (onAgent) {
      return fail(ErrorCode.InUse, `Supervisor ${onAgent.supervisorDn} is already in ${onAgent.mode} with agent ${agentDn}; only one supervisor may coach or barge in: stay in ListenIn`);
    }
    return okVoid;
  }

  /** Remove a configuration (releasing its leg first); audit Left and, when asked, Cancelled. */
  private dropConfig(cfg: MonitorConfig, reason: string, auditCancelled: boolean): void {
    const core = this.core;
    if (cfg.callUuid) {
      const call = core.calls.get(cfg.callUuid);
      const leg = call && this.legOf(call, cfg.supervisorDn);
      if (call && leg) this.releaseLeg(call, leg, reason, false);
    }
    cfg.callUuid = undefined;
    const supervisorDevice = core.dns.get(cfg.supervisorDn);
    if (supervisorDevice?.monitor === cfg) supervisorDevice.monitor = undefined;
    const list = core.monitorsOf.get(cfg.targetDn);
    if (list) {
      const i = list.indexOf(cfg);
      if (i >= 0) list.splice(i, 1);
    }
    for (const call of core.calls.values()) call.rpWatchers = call.rpWatchers.filter((w) => w !== cfg);
    if (auditCancelled) this.audit('Cancelled', cfg, { reason });
    core.touchDevice(cfg.supervisorDn);
  }

  // ------------------------------------------------------------------ joining

  private legOf(call: Call, supervisorDn: string): Party | undefined {
    return call.parties.find((p) => p.sup && p.dn === supervisorDn && p.state !== PartyState.Released);
  }

  private tryJoin(cfg: MonitorConfig, call: Call, agentDn: string): void {
    const core = this.core;
    if (cfg.span === MonitorSpan.NextCall && cfg.consumed) return;
    if (this.legOf(call, cfg.supervisorDn)) return;
    const refusal = this.auditAvailable && !this.auditAvailable() ? 'AuditUnavailable'
      : cfg.callUuid || core.liveCallsOf(cfg.supervisorDn).length > 0 ? 'SupervisorBusy'
      : this.joinLimit(cfg, call, agentDn);
    if (refusal) {
      this.audit('Skipped', cfg, { callUuid: call.uuid, agentDn, reason: refusal });
      // a skipped call does not count: a routing-point NextCall waits for the next one
      if (cfg.pendingCallUuid === call.uuid) cfg.pendingCallUuid = undefined;
      return;
    }
    const auto = core.cc(cfg.contactCenterId).settings.supervision.autoAnswer;
    const leg = core.addParty(call, cfg.supervisorDn, 'Extension', auto ? PartyState.Established : PartyState.Ringing, {
      sup: { config: cfg, mode: cfg.mode, monitoredDn: agentDn, monitoredUserMuted: false },
    });
    core.offer(call, leg, { from: agentDn, autoAnswer: auto, monitoring: true });
    cfg.callUuid = call.uuid;
    cfg.pendingCallUuid = undefined;
    if (cfg.span === MonitorSpan.NextCall) cfg.consumed = true;
    if (auto) this.audit('Joined', cfg, { callUuid: call.uuid, agentDn });
  }

  /**
   * Why joining would break a limit on the call itself (supervision.md 6), or undefined: the agent
   * already has maxSupervisorsPerAgent supervisors there (a routing point's watcher and one armed
   * on the agent both meet its call), or the join is in Coach or BargeIn and another supervisor on
   * the call is already in one.
   */
  private joinLimit(cfg: MonitorConfig, call: Call, agentDn: string): 'SupervisorLimit' | 'AnotherSupervisorLoud' | undefined {
    const max = this.core.cc(cfg.contactCenterId).settings.supervision.maxSupervisorsPerAgent;
    const ofAgent = this.core.supervisors(call).filter((p) => p.dn !== cfg.supervisorDn && p.sup!.monitoredDn === agentDn);
    if (ofAgent.length >= max) return 'SupervisorLimit';
    if (cfg.mode !== MonitorMode.ListenIn && this.loudOn(call, cfg.supervisorDn)) return 'AnotherSupervisorLoud';
    return undefined;
  }

  /** A call entered a routing point: mark it for the supervisors watching that routing point. */
  routingPointArrival(call: Call, rpDn: string): void {
    if (call.type === CallType.Consult) return; // consultations are not monitored
    for (const cfg of this.core.monitorsOf.get(rpDn) ?? []) {
      if (cfg.span === MonitorSpan.NextCall && (cfg.consumed || cfg.pendingCallUuid)) continue;
      if (cfg.callUuid || this.core.liveCallsOf(cfg.supervisorDn).length > 0) {
        this.audit('Skipped', cfg, { callUuid: call.uuid, reason: 'SupervisorBusy' });
        continue;
      }
      if (!call.rpWatchers.includes(cfg)) call.rpWatchers.push(cfg);
      if (cfg.span === MonitorSpan.NextCall) cfg.pendingCallUuid = call.uuid;
    }
  }

  /** An agent's leg became Established on a call: join the supervisors waiting for it. */
  connected(call: Call, party: Party): void {
    if (party.sup) return;
    // Call scope legs that lost their agent (call went through a routing point) follow the new one
    for (const sp of this.core.supervisors(call)) {
      if (sp.sup!.monitoredDn === undefined) {
        sp.sup!.monitoredDn = party.dn;
        this.core.touch(call);
      }
    }
    if (call.type === CallType.Consult) return;
    for (const cfg of [...(this.core.monitorsOf.get(party.dn) ?? [])]) {
      if (cfg.callUuid === call.uuid) continue;
      this.tryJoin(cfg, call, party.dn);
    }
    const watchers = call.rpWatchers;
    call.rpWatchers = [];
    for (const cfg of watchers) this.tryJoin(cfg, call, party.dn);
  }

  // ------------------------------------------------------------------ leaving

  /** An ordinary extension left a call: Agent scope releases its supervisors, Call scope follows. */
  partyLeft(call: Call, party: Party): void {
    for (const sp of this.core.supervisors(call)) {
      if (sp.sup!.monitoredDn !== party.dn) continue;
      if (sp.sup!.config.scope === MonitorScope.Agent) {
        this.releaseLeg(call, sp, 'AgentLeft', true);
      } else {
        const next = this.core
          .members(call)
          .filter((p) => p !== party && p.kind === 'Extension')
          .sort((a, b) => b.seq - a.seq)[0];
        sp.sup!.lastMonitoredDn = party.dn;
        sp.sup!.monitoredDn = next?.dn;
        sp.sup!.monitoredUserMuted = false;
        this.core.touch(call);
      }
    }
  }

  /** The call is ending: release every supervisor leg on it. */
  callEnding(call: Call): void {
    for (const sp of this.core.supervisors(call)) this.releaseLeg(call, sp, 'CallEnded', true);
    for (const cfg of call.rpWatchers) if (cfg.pendingCallUuid === call.uuid) cfg.pendingCallUuid = undefined;
    call.rpWatchers = [];
  }

  private releaseLeg(call: Call, sp: Party, reason: string, applySpan: boolean): void {
    const cfg = sp.sup!.config;
    this.core.clearTimers(sp);
    this.core.setState(call, sp, PartyState.Released);
    if (cfg.callUuid === call.uuid) cfg.callUuid = undefined;
    this.audit('Left', cfg, { callUuid: call.uuid, agentDn: sp.sup!.monitoredDn ?? sp.sup!.lastMonitoredDn, reason });
    if (applySpan && cfg.span === MonitorSpan.NextCall && cfg.consumed) this.dropConfig(cfg, reason, false);
  }

  // ------------------------------------------------------------------ operations on S's leg

  answer(call: Call, sp: Party): Result {
    this.core.setState(call, sp, PartyState.Established);
    this.audit('Joined', sp.sup!.config, { callUuid: call.uuid, agentDn: sp.sup!.monitoredDn });
    return okVoid;
  }

  hangup(call: Call, sp: Party, reason = 'SupervisorHungUp'): Result {
    this.releaseLeg(call, sp, reason, true);
    return okVoid;
  }

  switchMode(call: Call, sp: Party, op: keyof typeof SWITCH_TARGET): Result {
    const target = SWITCH_TARGET[op];
    const r = this.checkExclusive(sp.dn, [call], sp.sup!.monitoredDn, target);
    if (!r.ok) return r;
    this.applyMode(call, sp, target);
    return okVoid;
  }

  private applyMode(call: Call, sp: Party, mode: MonitorMode): void {
    const cfg = sp.sup!.config;
    sp.sup!.mode = mode;
    cfg.mode = mode;
    this.core.touch(call);
    this.core.touchDevice(sp.dn);
    this.audit('ModeChanged', cfg, { callUuid: call.uuid, agentDn: sp.sup!.monitoredDn });
  }

  muteMonitored(call: Call, sp: Party, on: boolean): Result {
    if (!sp.sup!.monitoredDn) return fail(ErrorCode.InvalidState, 'No agent is on the monitored call right now');
    sp.sup!.monitoredUserMuted = on;
    this.core.touch(call);
    this.audit(on ? 'MonitoredUserMuted' : 'MonitoredUserUnmuted', sp.sup!.config, { callUuid: call.uuid, agentDn: sp.sup!.monitoredDn });
    return okVoid;
  }

  // ------------------------------------------------------------------ audit

  private audit(event: MonitorAuditEvent, cfg: MonitorConfig, extra: { callUuid?: string; agentDn?: string; reason?: string } = {}): void {
    this.core.emit({
      kind: 'monitor',
      event,
      contactCenterId: cfg.contactCenterId,
      supervisorDn: cfg.supervisorDn,
      targetDn: cfg.targetDn,
      mode: cfg.mode,
      scope: cfg.scope,
      span: cfg.span,
      at: this.core.clock.now(),
      ...(extra.callUuid ? { callUuid: extra.callUuid } : {}),
      ...(extra.agentDn ? { agentDn: extra.agentDn } : {}),
      ...(extra.reason ? { reason: extra.reason } : {}),
    });
  }
}
