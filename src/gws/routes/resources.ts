/**
 * The resources that `uri` fields point at: GET /api/v2/devices[/{id}], /api/v2/users/{id} and
 * /api/v2/voice-environments/{id}. Scoped to the caller's contact center (another center's ids
 * answer like unknown ones, statusCode 6). Your own user and devices are always readable; other
 * users' and devices, and the device listing, need ROLE_SUPERVISOR or ROLE_ADMIN (statusCode 5),
 * as a supervisor needs its agents' devices to monitor them.
 */
import { Role } from '../../store/port.js';
import type { DeviceRecord, UserRecord } from '../../store/port.js';
import type { Caller, GwsDeps } from '../context.js';
import { presentDevice, presentUser } from '../present.js';
import { gws } from '../reply.js';
import type { Router } from '../router.js';
import { collection } from './common.js';

function mayReadOthers(caller: Caller): boolean {
  return caller.user.roles.includes(Role.Supervisor) || caller.user.roles.includes(Role.Admin);
}

function requireOthers(caller: Caller, what: string): void {
  if (!mayReadOthers(caller)) {
    throw gws.noPermission(`Reading ${what} of other users needs the role ROLE_SUPERVISOR or ROLE_ADMIN; read your own under /api/v2/me`);
  }
}

export function resourceRoutes(r: Router, deps: GwsDeps): void {
  const extensions = (caller: Caller): readonly DeviceRecord[] => caller.cc.devices.filter((d) => d.kind === 'Extension');
  const deviceJson = async (caller: Caller, d: DeviceRecord) => presentDevice(deps, caller.cc, d, await deps.sw.device(d.dn), caller.who);

  r.get('/api/v2/devices', async (req, _reply, caller) => {
    requireOthers(caller, 'the devices');
    return collection(req, 'devices', await Promise.all(extensions(caller).map((d) => deviceJson(caller, d))), (x) => deps.urls.device(String(x.id)));
  });

  r.get('/api/v2/devices/:id', async (req, _reply, caller) => {
    const { id } = req.params as { id: string };
    const d = extensions(caller).find((x) => x.id === id);
    if (!d) throw gws.notFound(`Device ${id} not found in your contact center`);
    if (d.userId !== caller.user.id) requireOthers(caller, 'the devices');
    return { device: await deviceJson(caller, d) };
  });

  r.get('/api/v2/users/:id', (req, _reply, caller) => {
    const { id } = req.params as { id: string };
    const u: UserRecord | undefined = caller.cc.users.find((x) => x.id === id);
    if (!u) throw gws.notFound(`User ${id} not found in your contact center`);
    if (u.id !== caller.user.id) requireOthers(caller, 'the profiles');
    return { user: presentUser(deps.urls, u, caller.cc) };
  });

  r.get('/api/v2/voice-environments/:id', (req, _reply, caller) => {
    const { id } = req.params as { id: string };
    if (id !== caller.cc.voiceEnvironmentId) throw gws.notFound(`Voice environment ${id} not found in your contact center`);
    return {
      voiceEnvironment: { id, name: 'SimulatedSwitch', type: 'Simulated', uri: deps.urls.voiceEnvironment(id), path: `/voice-environments/${id}` },
    };
  });
}
