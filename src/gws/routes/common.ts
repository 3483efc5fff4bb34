/**
 * Helpers the route files share: the caller's devices and calls (scoped to the caller, so another
 * user's or another contact center's ids answer exactly like unknown ones: statusCode 6), and the
 * GWS collection convention (`uris` by default, full objects with `?fields=*` or a field list).
 */
import type { FastifyRequest } from 'fastify';
import type { DeviceRecord } from '../../store/port.js';
import type { CallView } from '../../switch/model.js';
import type { Caller, GwsDeps } from '../context.js';
import type { Json } from '../present.js';
import { presentCall, presentDevice } from '../present.js';
import { gws } from '../reply.js';

export function query(req: FastifyRequest): Record<string, string | string[] | undefined> {
  return (req.query ?? {}) as Record<string, string | string[] | undefined>;
}

/** one query parameter as a string (the last one when repeated) */
export function queryString(req: FastifyRequest, name: string): string | undefined {
  const v = query(req)[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

export function myDevices(deps: GwsDeps, caller: Caller): DeviceRecord[] {
  return deps.directory.devicesOf(caller.user.id);
}

export function myDevice(deps: GwsDeps, caller: Caller, id: string): DeviceRecord {
  const d = myDevices(deps, caller).find((x) => x.id === id);
  if (!d) throw gws.notFound(`Device ${id} is not one of your devices`);
  return d;
}

/** the caller's voice device (the first assigned), or statusCode 2 */
export function myVoiceDevice(deps: GwsDeps, caller: Caller): DeviceRecord {
  const d = myDevices(deps, caller)[0];
  if (!d) throw gws.invalidState(`User ${caller.user.userName} has no voice device: ask an administrator to give the user an extension (dn)`);
  return d;
}

export async function deviceJson(deps: GwsDeps, caller: Caller, d: DeviceRecord): Promise<Json> {
  return presentDevice(deps, caller.cc, d, await deps.sw.device(d.dn), caller.who);
}

export interface MyCall {
  dn: string;
  view: CallView;
}

export async function myCalls(deps: GwsDeps, caller: Caller): Promise<MyCall[]> {
  const out: MyCall[] = [];
  for (const d of myDevices(deps, caller)) {
    for (const uuid of await deps.sw.callsOf(d.dn)) {
      const view = await deps.sw.callView(uuid, d.dn);
      if (view) out.push({ dn: d.dn, view });
    }
  }
  return out;
}

export async function myCall(deps: GwsDeps, caller: Caller, callId: string): Promise<MyCall> {
  for (const d of myDevices(deps, caller)) {
    const view = await deps.sw.callView(callId, d.dn);
    if (view && view.state !== 'Released') return { dn: d.dn, view };
  }
  throw gws.notFound(`Call ${callId} is not one of your calls`);
}

export function callJson(deps: GwsDeps, caller: Caller, c: MyCall): Json {
  return presentCall(deps, c.dn, c.view, caller.who);
}

/** `?fields=*` → whole objects; `?fields=a,b` → those members (and id); absent → undefined */
export function fieldsOf(req: FastifyRequest): '*' | string[] | undefined {
  const f = queryString(req, 'fields');
  if (f === undefined) return undefined;
  const list = f.split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length === 0 || list.includes('*')) return '*';
  return list;
}

/** a GWS collection: {uris:[...]} or {<plural>:[...]} */
export function collection(req: FastifyRequest, plural: string, items: Json[], uriOf: (x: Json) => string): Json {
  const fields = fieldsOf(req);
  if (!fields) return { uris: items.map(uriOf) };
  if (fields === '*') return { [plural]: items };
  return { [plural]: items.map((x) => pick(x, fields)) };
}

export function pick(x: Json, fields: string[]): Json {
  const out: Json = { id: x.id };
  for (const f of fields) if (f in x) out[f] = x[f];
  return out;
}
