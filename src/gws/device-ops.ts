/**
 * The device operation tables: POST /api/v2/me/devices/{id} (Do Not Disturb, forwarding and
 * supervisor monitoring) and Dial on POST /api/v2/me/devices/{id}/calls (gws-voice-api.md 4.3 and
 * 4.4, supervision.md section 1); each row's parameters are data (ParamSpec, params.ts), which the
 * reader and the API reference share. Arming follows the order of supervision.md: parameters (1/10), features (3), role (5), own device (6) and
 * session (2), target in the caller's contact center (6), not the caller's own device (2),
 * target in a group the caller supervises (5), the audit (13 while it cannot be written: supervision
 * is never started unrecorded), then the switch (19 when the target is taken).
 */
import { Role } from '../store/port.js';
import type { DeviceRecord } from '../store/port.js';
import { MonitorScope, MonitorSpan } from '../switch/model.js';
import type { MonitorMode } from '../switch/model.js';
import type { SwitchAccess, Awaitable } from '../switch/port-access.js';
import { DomainError, ErrorCode } from '../errors.js';
import type { Result } from '../errors.js';
import type { Caller, GwsDeps } from './context.js';
import type { Gate } from './gates.js';
import { filterCapabilities } from './gates.js';
import type { Principal } from './gates.js';
import type { OperationRow, OperationTable } from './operations.js';
import { NO_PARAMS, noValues, rowOf } from './operations.js';
import { DESTINATION_PARAM, deviceIdOf, LOCATION_PARAM, USER_DATA_OPTIONAL_PARAM } from './params.js';
import type { AnyOfRule, ParamSpec, ParamValues } from './params.js';
import { gws, unwrap } from './reply.js';

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

async function requireCapability(ctx: DeviceCtx, name: string): Promise<void> {
  const view = await ctx.deps.sw.device(ctx.device.dn);
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

/** ListenIn, Coach and BargeIn: who to monitor, and for how long (supervision.md section 1) */
const MONITOR_PARAMS = [
  {
    name: 'targetDeviceUri',
    kind: 'deviceUri',
    description: "the agent's device (…/api/v2/devices/{id}); wins over phoneNumber when both are given",
    example: 'http://127.0.0.1:8080/api/v2/devices/4f0c…',
  },
  { name: 'phoneNumber', kind: 'text', trim: true, description: "an agent's or a routing point's DN, instead of targetDeviceUri", example: '5001' },
  {
    name: 'supervisorMonitoringScope',
    kind: 'choice',
    values: [MonitorScope.Agent, MonitorScope.Call],
    default: MonitorScope.Call,
    description: 'Agent: follow only the agent (released with the agent when the call is transferred away); Call: follow the whole call wherever it goes (a routing point takes Call only)',
  },
  {
    name: 'supervisorMonitoringMode',
    kind: 'choice',
    values: [MonitorSpan.NextCall, MonitorSpan.AllCalls],
    default: MonitorSpan.AllCalls,
    description: "NextCall: monitoring ends after one call; AllCalls: until CancelSupervisorMonitoring",
  },
] as const satisfies readonly ParamSpec[];

const MONITOR_RULES: readonly AnyOfRule[] = [
  { names: ['targetDeviceUri', 'phoneNumber'], expects: "the URI of the agent's device (…/api/v2/devices/{id}), or give phoneNumber (an agent's or a routing point's DN)" },
];

function monitorParams(v: ParamValues<typeof MONITOR_PARAMS>): MonitorParams {
  const targetDeviceId = v.targetDeviceUri !== undefined ? deviceIdOf(v.targetDeviceUri, 'targetDeviceUri') : undefined;
  return { targetDeviceId, phoneNumber: targetDeviceId ? undefined : v.phoneNumber, scope: v.supervisorMonitoringScope, span: v.supervisorMonitoringMode };
}

async function arm(ctx: DeviceCtx, p: MonitorParams, mode: MonitorMode): Promise<void> {
  const { deps, caller, device } = ctx;
  const view = await deps.sw.device(device.dn);
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
  unwrap(await deps.sw.monitor(device.dn, { mode, scope: p.scope, span: p.span, targetDn: target.dn }));
}

const deviceRow = rowOf<DeviceCtx>();

/** A presence operation (DND, forwarding): legal when listed in the device's capabilities. */
function presence<const L extends readonly ParamSpec[], P>(
  summary: string,
  params: L,
  build: (v: ParamValues<L>) => P,
  apply: (sw: SwitchAccess, dn: string, p: P) => Awaitable<Result>,
): OperationRow<DeviceCtx, P> {
  return deviceRow({
    gate: VOICE,
    summary,
    params,
    build,
    run: async (ctx, p, name) => {
      await requireCapability(ctx, name);
      unwrap(await apply(ctx.deps.sw, ctx.device.dn, p));
    },
  });
}

const monitorRow = (mode: MonitorMode, summary: string) =>
  deviceRow({ gate: SUPERVISOR, summary, params: MONITOR_PARAMS, rules: MONITOR_RULES, build: monitorParams, run: (ctx, p) => arm(ctx, p, mode) });

const FORWARD_PARAMS = [
  {
    name: 'destination',
    kind: 'phoneNumber',
    required: true,
    description: 'where calls go: a phone number string such as "5001" (also accepted: {"phoneNumber": "5001"})',
    example: '5001',
  },
] as const satisfies readonly ParamSpec[];

export const DEVICE_OPERATIONS: OperationTable<DeviceCtx> = {
  DoNotDisturbOn: presence('Refuse calls to this device', NO_PARAMS, noValues, (sw, dn) => sw.setDoNotDisturb(dn, true)),
  DoNotDisturbOff: presence('Take calls again', NO_PARAMS, noValues, (sw, dn) => sw.setDoNotDisturb(dn, false)),
  ForwardCallsOn: presence('Forward calls to another number', FORWARD_PARAMS, (v) => v.destination, (sw, dn, destination) => sw.setForward(dn, destination)),
  ForwardCallsOff: presence('Stop forwarding', NO_PARAMS, noValues, (sw, dn) => sw.setForward(dn, null)),
  ListenIn: monitorRow('ListenIn', "Supervisor: listen silently to an agent's (or a routing point's) calls"),
  Coach: monitorRow('Coach', "Supervisor: join an agent's calls heard by the agent only"),
  BargeIn: monitorRow('BargeIn', "Supervisor: join an agent's calls heard by every party"),
  CancelSupervisorMonitoring: deviceRow({
    gate: SUPERVISOR,
    summary: 'Supervisor: end the monitoring configured on this device',
    params: NO_PARAMS,
    build: noValues,
    run: async (ctx, _p, name) => {
      await requireCapability(ctx, name);
      unwrap(await ctx.deps.sw.cancelMonitoring(ctx.device.dn));
    },
  }),
};

interface DialCtx {
  deps: GwsDeps;
  dn: string;
}

/** POST /api/v2/me/devices/{id}/calls (gws-voice-api.md 4.4) */
export const DIAL_OPERATIONS: OperationTable<DialCtx> = {
  Dial: rowOf<DialCtx>()({
    gate: VOICE,
    summary: 'Make a call from this device',
    params: [DESTINATION_PARAM, USER_DATA_OPTIONAL_PARAM, LOCATION_PARAM],
    build: (v) => ({ destination: v.destination, userData: v.userData }),
    run: async (ctx, p) => void unwrap(await ctx.deps.sw.dial(ctx.dn, p.destination, p.userData)),
  }),
};

/** A device's capabilities as this principal may use them (supervisor ones only for supervisors). */
export function deviceCapabilitiesFor(caps: readonly string[], who: Principal): string[] {
  return filterCapabilities(caps, DEVICE_OPERATIONS, who);
}
