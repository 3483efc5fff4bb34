/**
 * Devices and calls of the caller (gws-voice-api.md 4.3-4.5, 4.7): listings, single resources,
 * device operations, Dial, and call operations. Ids that are not the caller's (another user's,
 * another contact center's, or unknown) all answer statusCode 6.
 */
import { CALL_OPERATIONS } from '../call-ops.js';
import type { GwsDeps } from '../context.js';
import { DEVICE_OPERATIONS, DIAL_OPERATIONS } from '../device-ops.js';
import { dispatch, parameterPolicy } from '../operations.js';
import type { Router } from '../router.js';
import { callJson, collection, deviceJson, myCall, myCalls, myDevice, myDevices } from './common.js';

export function deviceRoutes(r: Router, deps: GwsDeps): void {
  r.get('/api/v2/me/devices', async (req, _reply, caller) =>
    collection(req, 'devices', await Promise.all(myDevices(deps, caller).map((d) => deviceJson(deps, caller, d))), (x) => deps.urls.device(String(x.id))),
  );

  r.get('/api/v2/me/devices/:id', async (req, _reply, caller) => {
    const { id } = req.params as { id: string };
    return { device: await deviceJson(deps, caller, myDevice(deps, caller, id)) };
  });

  r.post('/api/v2/me/devices/:id', (req, _reply, caller) => {
    const { id } = req.params as { id: string };
    return dispatch(DEVICE_OPERATIONS, '/api/v2/me/devices/{id}', req.body, caller.who, () => ({
      deps,
      caller,
      device: myDevice(deps, caller, id),
    }), parameterPolicy(deps.config, req.log));
  });

  r.post('/api/v2/me/devices/:id/calls', (req, _reply, caller) => {
    const { id } = req.params as { id: string };
    return dispatch(DIAL_OPERATIONS, '/api/v2/me/devices/{id}/calls', req.body, caller.who, () => ({
      deps,
      dn: myDevice(deps, caller, id).dn,
    }), parameterPolicy(deps.config, req.log));
  });

  r.get('/api/v2/me/calls', async (req, _reply, caller) =>
    collection(req, 'calls', (await myCalls(deps, caller)).map((c) => callJson(deps, caller, c)), (x) => String(x.uri)),
  );

  r.get('/api/v2/me/calls/:id', async (req, _reply, caller) => {
    const { id } = req.params as { id: string };
    return { call: callJson(deps, caller, await myCall(deps, caller, id)) };
  });

  r.post('/api/v2/me/calls/:id', (req, _reply, caller) => {
    const { id } = req.params as { id: string };
    return dispatch(CALL_OPERATIONS, '/api/v2/me/calls/{id}', req.body, caller.who, async () => {
      const c = await myCall(deps, caller, id);
      return { sw: deps.sw, who: caller.who, dn: c.dn, callUuid: id };
    }, parameterPolicy(deps.config, req.log));
  });
}
