/**
 * The device operation table (POST /api/v2/me/devices/{id}): Do Not Disturb, forwarding and
 * supervisor monitoring (gws-voice-api.md 4.3, supervision.md section 1). Arming follows the
 * order of supervision.md: parameters (1/10), features (3), role (5), own device (6) and
 * session (2), target in the caller's contact center (6), not the caller's own device (2),
 * target in a group the caller supervises (5), the audit (13 while it cannot be written: supervision
 * is never started unrecorded), then the switch (19 when the target is taken).
 */
import { Role } from '../store/port.js';
import type { DeviceRecord } from '../store/port.js';
import { MonitorScope, MonitorSpan } from '../switch/model.js';
import type { MonitorMode } from '../switch/model.js';
import type { SwitchPort } from '../switch/port.js';
import { DomainError, ErrorCode } from '../errors.js';
import type { Result } from '../errors.js';
import type { Caller, GwsDeps } from './context.js';
import type { Gate } from './gates.js';
import { filterCapabilities } from './gates.js';
import type { Principal } from './gates.js';
import type { OperationRow, OperationTable } from './operations.js';
import { noParams, row } from './operations.js';
import { forwardDestination, oneOf, optionalString } from './params.js';
import type { Body } from './params.js';
import { gws, unwrap } from './reply.js';
import { lastSegment } from './urls.js';

export interface DeviceCtx {
  deps: GwsDeps;
  caller: Caller;
  device: DeviceRecord;
}

const VOICE: Gate = { features: ['api-voice'] };
/** the gate of every supervisor operation (the supervision extension routes use it too) */
export const SUPERVISOR: Gate = { features: ['api-voice', 'api-supervisor-monitoring'], role: Role.Supervisor };

/** why an On/Off operation is not offered now */
const NOT_NOW: Readonly<Record<string, string>> = {
  DoNotDisturbOn: 'Do Not Disturb is already on',
  DoNotDisturbOff: 'Do Not Disturb is already off',
  ForwardCallsOn: 'calls are already forwarded; send ForwardCallsOff first to change the destination',
  ForwardCallsOff: 'calls are not forwarded',
  CancelSupervisorMonitoring: 'no supervisor monitoring is configured on this device',
};

function requireCapability(ctx: DeviceCtx, name: string): void {
  const view = ctx.deps.sw.device(ctx.device.dn);
  const caps = deviceCapabilitiesFor(view?.capabilities ?? [], ctx.caller.who);
  if (!caps.includes(name)) {
    throw gws.invalidState(`${name} is not possible now: ${NOT_NOW[name] ?? 'not valid in the current state'}; possible now: ${caps.join(', ') || 'nothing'}`);
  }
}

interface MonitorParams {
  targetDeviceId?: string;
  phoneNumber?: string;
  scope: MonitorScope;
  span: MonitorSpan;
}

function parseMonitor(b: Body): MonitorParams {
  const uri = optionalString(b, 'targetDeviceUri');
  const phoneNumber = optionalString(b, 'phoneNumber')?.trim();
  if (!uri && !phoneNumber) {
    throw gws.missing('targetDeviceUri', "the URI of the agent's device (…/api/v2/devices/{id}), or give phoneNumber (an agent's or a routing point's DN)");
  }
  const targetDeviceId = uri ? lastSegment(uri.trim()) : undefined;
  if (uri !== undefined && !targetDeviceId) {
    throw gws.invalid(`Parameter 'targetDeviceUri' must be a device URI such as ".../api/v2/devices/{id}", got ${JSON.stringify(uri)}`);
  }
  return {
    targetDeviceId,
    phoneNumber: targetDeviceId ? undefined : phoneNumber,
    scope: oneOf(b, 'supervisorMonitoringScope', [MonitorScope.Agent, MonitorScope.Call], MonitorScope.Call),
    span: oneOf(b, 'supervisorMonitoringMode', [MonitorSpan.NextCall, MonitorSpan.AllCalls], MonitorSpan.AllCalls),
  };
}

function arm(ctx: DeviceCtx, p: MonitorParams, mode: MonitorMode): void {
  const { deps, caller, device } = ctx;
  const view = deps.sw.device(device.dn);
  if (!view?.loggedIn) {
    throw gws.invalidState('No contact-center session on this device: POST StartContactCenterSession to /api/v2/me first');
  }
  const target = p.targetDeviceId
    ? deps.directory.deviceInCenter(caller.cc.id, p.targetDeviceId)
    : deps.directory.deviceByNumber(caller.cc.id, p.phoneNumber!);
  const named = p.targetDeviceId ? `device ${p.targetDeviceId}` : `phone number ${p.phoneNumber}`;
  if (!target) throw gws.notFound(`No agent device or routing point with ${named} in your contact center`);
  if (target.id === device.id) throw gws.invalidState('A supervisor cannot monitor their own device');
  if (target.kind === 'RoutingPoint') {
    if (!deps.directory.supervisesRoutingPoint(caller.cc, caller.user.id, target.dn)) {
      throw gws.noPermission(`Routing point ${target.dn} distributes to agent groups you do not supervise`);
    }
  } else {
    const agent = deps.directory.ownerOf(target);
    if (!deps.directory.supervisesAgent(caller.cc, caller.user.id, agent?.id)) {
      throw gws.noPermission(`${agent ? `Agent ${agent.userName}` : 'The device'} (${target.dn}) is not in an agent group you supervise`);
    }
  }
  const auditFault = deps.auditFault?.();
  if (auditFault) throw new DomainError(ErrorCode.AuditUnwritable, `${mode} is refused: ${auditFault}. Supervision resumes once the audit can be written`);
  unwrap(deps.sw.monitor(device.dn, { mode, scope: p.scope, span: p.span, targetDn: target.dn }));
}

/** A presence operation (DND, forwarding): legal when listed in the device's capabilities. */
function presence<P>(parse: (b: Body) => P, apply: (sw: SwitchPort, dn: string, p: P) => Result): OperationRow<DeviceCtx, P> {
  return row<DeviceCtx, P>({
    gate: VOICE,
    parse,
    run: (ctx, p, name) => {
      requireCapability(ctx, name);
      unwrap(apply(ctx.deps.sw, ctx.device.dn, p));
    },
  });
}

export const DEVICE_OPERATIONS: OperationTable<DeviceCtx> = {
  DoNotDisturbOn: presence(noParams, (sw, dn) => sw.setDoNotDisturb(dn, true)),
  DoNotDisturbOff: presence(noParams, (sw, dn) => sw.setDoNotDisturb(dn, false)),
  ForwardCallsOn: presence(forwardDestination, (sw, dn, destination) => sw.setForward(dn, destination)),
  ForwardCallsOff: presence(noParams, (sw, dn) => sw.setForward(dn, null)),
  ListenIn: row<DeviceCtx, MonitorParams>({ gate: SUPERVISOR, parse: parseMonitor, run: (ctx, p) => arm(ctx, p, 'ListenIn') }),
  Coach: row<DeviceCtx, MonitorParams>({ gate: SUPERVISOR, parse: parseMonitor, run: (ctx, p) => arm(ctx, p, 'Coach') }),
  BargeIn: row<DeviceCtx, MonitorParams>({ gate: SUPERVISOR, parse: parseMonitor, run: (ctx, p) => arm(ctx, p, 'BargeIn') }),
  CancelSupervisorMonitoring: row<DeviceCtx, undefined>({
    gate: SUPERVISOR,
    parse: noParams,
    run: (ctx, _p, name) => {
      requireCapability(ctx, name);
      unwrap(ctx.deps.sw.cancelMonitoring(ctx.device.dn));
    },
  }),
};

/** A device's capabilities as this principal may use them (supervisor ones only for supervisors). */
export function deviceCapabilitiesFor(caps: readonly string[], who: Principal): string[] {
  return filterCapabilities(caps, DEVICE_OPERATIONS, who);
}
