/**
 * Operations on /api/v2/me (gws-voice-api.md 4.1): StartContactCenterSession logs the caller's
 * device (or the device at `place`, chosen by `devicePath` when the place has several) in on the
 * switch; EndContactCenterSession logs it out, gives devices back to their provisioned owners and
 * invalidates the HTTP session (the cookie is cleared). Ready and NotReady are accepted here too.
 *
 * Hot-desking (docs/compatibility.md): a user may start a session at another user's place when
 * nobody is logged in on its device; the device is theirs until they end the session or start one
 * elsewhere. Its provisioned owner is never locked out: whenever nobody is logged in on the
 * owner's device, the owner's StartContactCenterSession (with or without their place) takes it
 * back from the borrower, who returns to their own devices.
 */
import type { FastifyReply } from 'fastify';
import { Role } from '../store/port.js';
import type { DeviceRecord } from '../store/port.js';
import type { Caller, GwsDeps } from './context.js';
import type { Gate } from './gates.js';
import type { OperationRow, OperationTable } from './operations.js';
import { NO_PARAMS, noValues, rowOf } from './operations.js';
import type { ParamSpec, ParamValues } from './params.js';
import { gws, unwrap } from './reply.js';
import { myDevices, myVoiceDevice } from './routes/common.js';
import { clearedSessionCookie } from './sessions.js';
import { lastSegment } from './urls.js';
import { ME_STATE_OPERATIONS } from './voice-ops.js';
import type { VoiceCtx } from './voice-ops.js';

export interface MeCtx {
  deps: GwsDeps;
  caller: Caller;
  reply: FastifyReply;
}

const VOICE: Gate = { features: ['api-voice'] };

interface StartParams {
  place?: string;
  devicePath?: string;
  loginCode?: string;
  queue?: string;
}

/** StartContactCenterSession (gws-voice-api.md 4.1) */
const START_PARAMS = [
  {
    name: 'channels',
    kind: 'textList',
    required: true,
    expects: 'an array of channel names such as ["voice"]',
    mustInclude: { value: 'voice', why: 'Switchboard serves the voice channel only' },
    description: 'the channels to log in on; must include "voice" (other channels are accepted and not served)',
    example: ['voice'],
  },
  { name: 'place', kind: 'text', trim: true, description: "the place to log in at (its name); default: the user's own devices", example: 'Place_5001' },
  { name: 'devicePath', kind: 'text', trim: true, description: 'which device (…/devices/{id}) when the place or the user has several' },
  { name: 'loginCode', kind: 'text', description: 'the agent login id to use on the switch' },
  { name: 'queue', kind: 'text', description: 'the ACD queue of the login request' },
] as const satisfies readonly ParamSpec[];

/**
 * EndContactCenterSession takes no parameter of its own, but desktops that send the same body as
 * for StartContactCenterSession (`channels`) must not be refused: GWS ends every channel anyway.
 */
const END_PARAMS = [
  {
    name: 'channels',
    kind: 'textList',
    expects: 'an array of channel names such as ["voice"]',
    description: 'accepted for symmetry with StartContactCenterSession and ignored: the session ends on every channel',
    example: ['voice'],
  },
] as const satisfies readonly ParamSpec[];

function startParams(v: ParamValues<typeof START_PARAMS>): StartParams {
  return { place: v.place, devicePath: v.devicePath, loginCode: v.loginCode, queue: v.queue };
}

/** the device the session logs in on */
function chooseDevice(ctx: MeCtx, p: StartParams): { device: DeviceRecord; moved: boolean } {
  const { deps, caller } = ctx;
  const own = myDevices(deps, caller);
  // nothing assigned now (another user holds our place): our provisioned place, to take back
  let candidates = own.length > 0 ? own : deps.directory.provisionedExtensionsOf(caller.user.id);
  let where = 'your devices';
  if (p.place) {
    const place = caller.cc.placesByName.get(p.place.toLowerCase());
    if (!place) throw gws.notFound(`Place '${p.place}' not found in your contact center`);
    candidates = place.deviceIds.map((id) => deps.directory.deviceInCenter(caller.cc.id, id)).filter((d): d is DeviceRecord => !!d && d.kind === 'Extension');
    where = `place '${place.name}'`;
  }
  let device: DeviceRecord | undefined;
  if (p.devicePath) {
    const id = lastSegment(p.devicePath);
    device = candidates.find((d) => d.id === id);
    if (!device) throw gws.notFound(`Device '${p.devicePath}' is not one of ${where}`);
  } else if (candidates.length === 0) {
    throw gws.invalidState(
      p.place ? `Place '${p.place}' has no device to log in on` : `You have no device to log in on: give a place that has one, or ask an administrator to give you an extension`,
    );
  } else if (candidates.length > 1) {
    throw gws.invalidState(`${where[0].toUpperCase()}${where.slice(1)} hold several devices: say which one with devicePath (…/devices/{id})`);
  } else {
    device = candidates[0];
  }
  return { device, moved: device.userId !== caller.user.id && !own.some((d) => d.id === device!.id) };
}

async function start(ctx: MeCtx, p: StartParams): Promise<void> {
  const { deps, caller } = ctx;
  const { device, moved } = chooseDevice(ctx, p);
  const current = await deps.sw.device(device.dn);
  if (current?.loggedIn && current.userId && current.userId !== caller.user.id) {
    throw gws.inUse(`Device ${device.dn} is in use by another user's contact-center session`);
  }
  // a borrower who is not logged in on our device (checked above) gives it back
  const borrower = deps.directory.borrowerOf(device);
  const takenBack = borrower !== undefined && borrower.id !== caller.user.id;
  // another user's device still carrying calls (its owner ended the session mid-call): taking it
  // would hand those calls, and their user data, to this user
  if ((moved || takenBack) && (await deps.sw.callsOf(device.dn)).length > 0) {
    throw gws.inUse(`Device ${device.dn} still has calls in progress; log in there once they have ended`);
  }
  // leaving another device of ours for this one: log out there first
  for (const d of myDevices(deps, caller)) {
    const v = d.id === device.id ? undefined : await deps.sw.device(d.dn);
    if (v?.loggedIn && v.userId === caller.user.id) unwrap(await deps.sw.logout(d.dn));
  }
  if (takenBack) deps.directory.release(borrower.id);
  if (moved) deps.directory.assign(caller.user.id, [device.id]);
  else if (device.userId === caller.user.id) deps.directory.release(caller.user.id); // back at our own place
  const r = await deps.sw.login(device.dn, {
    userId: caller.user.id,
    isAgent: caller.user.roles.includes(Role.Agent),
    ...(p.loginCode ? { loginCode: p.loginCode } : {}),
    ...(p.queue ? { queue: p.queue } : {}),
  });
  if (!r.ok && moved) deps.directory.release(caller.user.id);
  unwrap(r);
}

async function end(ctx: MeCtx): Promise<void> {
  const { deps, caller, reply } = ctx;
  for (const d of myDevices(deps, caller)) {
    const v = await deps.sw.device(d.dn);
    if (v?.loggedIn && v.userId === caller.user.id) unwrap(await deps.sw.logout(d.dn));
  }
  deps.directory.release(caller.user.id);
  deps.sessions.invalidate(caller.session.id);
  // the contact-center session is over: so are the user's event streams (websocket included),
  // once the notifications of this logout, already queued, have been delivered
  deps.bayeux?.disconnectUser(caller.user.id, 'afterDelivery');
  reply.header('Set-Cookie', clearedSessionCookie());
}

function onVoiceDevice(r: OperationRow<VoiceCtx, any>): OperationRow<MeCtx, any> {
  return {
    ...r,
    run: (ctx, params, name) => r.run({ sw: ctx.deps.sw, cc: ctx.caller.cc, dn: myVoiceDevice(ctx.deps, ctx.caller).dn }, params, name),
  };
}

const meRow = rowOf<MeCtx>();

export const ME_OPERATIONS: OperationTable<MeCtx> = {
  StartContactCenterSession: meRow({
    gate: VOICE,
    summary: "Log in on the switch: on the user's device, or at a place (hot-desking)",
    params: START_PARAMS,
    build: startParams,
    run: start,
  }),
  EndContactCenterSession: meRow({
    summary: 'Log out everywhere, give borrowed devices back and end the HTTP session (the last request of a session)',
    params: END_PARAMS,
    build: noValues,
    run: (ctx) => end(ctx),
  }),
  Ready: onVoiceDevice(ME_STATE_OPERATIONS.Ready),
  NotReady: onVoiceDevice(ME_STATE_OPERATIONS.NotReady),
};
