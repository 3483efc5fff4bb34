/**
 * The "me" resource (gws-voice-api.md 1.7, 4.1, 4.2): GET /api/v2/me with optional
 * subresources nested inside `user` (devices, calls, channels, features; settings always),
 * POST /api/v2/me (session and whole-agent state operations) and POST /api/v2/me/channels/voice
 * (agent-state operations, including the contact center's custom states). A GET without
 * subresources answers with a text kept per user record (it holds no live state: see plainAnswers).
 */
import type { Caller, GwsDeps } from '../context.js';
import type { CenterEntry } from '../directory.js';
import type { UserRecord } from '../../store/port.js';
import { ME_OPERATIONS } from '../me-ops.js';
import { dispatch, parameterPolicy } from '../operations.js';
import type { Json } from '../present.js';
import { presentFeature, presentUser, presentVoiceChannel } from '../present.js';
import { AnswerText, gws } from '../reply.js';
import type { Router } from '../router.js';
import { voiceOperations } from '../voice-ops.js';
import { callJson, deviceJson, myCalls, myDevices, myVoiceDevice, query } from './common.js';

/**
 * The subresources GET /api/v2/me nests on request. `settings` is one too in GWS, but every answer
 * carries it already, so asking for it adds nothing (like the GWS subresources not served here:
 * skills, chats, ...), and such a GET is a plain one.
 */
const SUBRESOURCES = ['devices', 'calls', 'channels', 'features'] as const;
type Subresource = (typeof SUBRESOURCES)[number];

/** what the query asks to nest (empty: the plain answer) */
function requested(raw: string | string[] | undefined): Set<Subresource | '*'> {
  const out = new Set<Subresource | '*'>();
  if (raw === undefined) return out;
  for (const item of (Array.isArray(raw) ? raw : [raw]).flatMap((s) => s.split(','))) {
    const name = item.trim();
    if (name === '*' || (SUBRESOURCES as readonly string[]).includes(name)) out.add(name as Subresource | '*');
  }
  return out;
}

export function meRoutes(r: Router, deps: GwsDeps): void {
  /**
   * The answer of a GET /api/v2/me without subresources, kept per user record: it depends only on
   * the record, its contact center's entry and the server's base URL, and the directory replaces
   * records and entries when provisioning is loaded again, never changes them (directory.ts), so a
   * kept answer is the current one while its entry is the caller's and the base URL the same (it
   * changes once, when the server learns its port). Written once, not per request.
   */
  const plainAnswers = new WeakMap<UserRecord, { cc: CenterEntry; base: string; answer: AnswerText }>();
  r.get('/api/v2/me', (req, _reply, caller) => {
    const subs = requested(query(req).subresources);
    if (subs.size === 0) {
      const base = deps.urls.base;
      const kept = plainAnswers.get(caller.user);
      if (kept?.cc === caller.cc && kept.base === base) return kept.answer;
      const answer = AnswerText.of({ user: presentUser(deps.urls, caller.user, caller.cc) });
      plainAnswers.set(caller.user, { cc: caller.cc, base, answer });
      return answer;
    }
    return withSubresources(caller, subs);
  });

  async function withSubresources(caller: Caller, subs: Set<Subresource | '*'>): Promise<Record<string, unknown>> {
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
  }

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
