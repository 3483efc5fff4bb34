/**
 * The "me" resource (gws-voice-api.md 1.7, 4.1, 4.2): GET /api/v2/me with optional
 * subresources nested inside `user` (devices, calls, channels, features; settings always),
 * POST /api/v2/me (session and whole-agent state operations) and POST /api/v2/me/channels/voice
 * (agent-state operations, including the contact center's custom states).
 */
import type { GwsDeps } from '../context.js';
import { ME_OPERATIONS } from '../me-ops.js';
import { dispatch, parameterPolicy } from '../operations.js';
import type { Json } from '../present.js';
import { presentFeature, presentUser, presentVoiceChannel } from '../present.js';
import { gws } from '../reply.js';
import type { Router } from '../router.js';
import { voiceOperations } from '../voice-ops.js';
import { callJson, deviceJson, myCalls, myDevices, myVoiceDevice, query } from './common.js';

/** the subresources GET /api/v2/me can nest, and how each is built */
const SUBRESOURCES = ['devices', 'calls', 'channels', 'settings', 'features'] as const;
type Subresource = (typeof SUBRESOURCES)[number];

function requested(raw: string | string[] | undefined): Set<Subresource | '*'> {
  const out = new Set<Subresource | '*'>();
  const list = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).flatMap((s) => s.split(','));
  for (const item of list.map((s) => s.trim())) {
    if (item === '*') out.add('*');
    else if ((SUBRESOURCES as readonly string[]).includes(item)) out.add(item as Subresource);
    // other GWS subresources (skills, chats, ...) are not served: ignored
  }
  return out;
}

export function meRoutes(r: Router, deps: GwsDeps): void {
  r.get('/api/v2/me', async (req, _reply, caller) => {
    const subs = requested(query(req).subresources);
    const all = subs.has('*');
    const user: Json = presentUser(deps.urls, caller.user, caller.cc);
    const devices = myDevices(deps, caller);
    if (all || subs.has('devices')) user.devices = await Promise.all(devices.map((d) => deviceJson(deps, caller, d)));
    if (all || subs.has('calls')) user.calls = (await myCalls(deps, caller)).map((c) => callJson(deps, caller, c));
    if (all || subs.has('channels')) {
      user.channels = devices.length ? [presentVoiceChannel(caller.cc, await deps.sw.device(devices[0].dn))] : [];
    }
    if (all || subs.has('features')) user.features = [...caller.cc.features].sort().map((id) => presentFeature(deps.urls, id));
    if (all) user.chats = [];
    return { user };
  });

  const postMe = (url: string) =>
    r.post(url, (req, reply, caller) =>
      dispatch(ME_OPERATIONS, '/api/v2/me', req.body, caller.who, () => ({ deps, caller, reply }), parameterPolicy(deps.config, req.log)),
    );
  postMe('/api/v2/me');

  r.post('/api/v2/me/channels/:channel', (req, _reply, caller) => {
    const { channel } = req.params as { channel: string };
    if (channel !== 'voice') throw gws.notFound(`Channel '${channel}' not found: Switchboard serves the voice channel only`);
    return dispatch(voiceOperations(caller.cc), '/api/v2/me/channels/voice', req.body, caller.who, () => ({
      sw: deps.sw,
      cc: caller.cc,
      dn: myVoiceDevice(deps, caller).dn,
    }), parameterPolicy(deps.config, req.log));
  });
}
