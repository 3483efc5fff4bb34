/**
 * Read-only directory resources of the caller's contact center: agent-state settings, features,
 * contacts (gws-voice-api.md 1.6, 1.8, client-expectations.md 3) and the public version probe.
 */
import { agentStateSetting } from '../agent-states.js';
import { MAX_PATTERN_LENGTH, wildcardMatcher } from '../glob.js';
import type { GwsDeps } from '../context.js';
import { presentContact, presentFeature } from '../present.js';
import type { Json } from '../present.js';
import type { UserRecord } from '../../store/port.js';
import { gws, sendOk } from '../reply.js';
import type { Router } from '../router.js';
import { query, queryString } from './common.js';

function nonNegativeInt(raw: string | undefined, name: string, dflt: number, max = Number.MAX_SAFE_INTEGER): number {
  if (raw === undefined || raw === '') return dflt;
  if (!/^\d+$/.test(raw) || Number(raw) > max) throw gws.invalid(`Query parameter '${name}' must be a whole number between 0 and ${max}, got '${raw}'`);
  return Number(raw);
}

function listParam(raw: string | string[] | undefined): string[] {
  return (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
}

/** the contacts filter: '*' wildcards, otherwise a case-insensitive substring (src/gws/glob.ts) */
function contactFilter(pattern: string | undefined): (text: string) => boolean {
  if (pattern !== undefined && pattern.length > MAX_PATTERN_LENGTH) {
    throw gws.invalid(`Query parameter 'filterParameters' must be at most ${MAX_PATTERN_LENGTH} characters, got ${pattern.length}`);
  }
  return wildcardMatcher(pattern);
}

export function directoryRoutes(r: Router, deps: GwsDeps): void {
  r.get('/api/v2/settings/:group', (req, _reply, caller) => {
    const { group } = req.params as { group: string };
    if (group !== 'agent-states') throw gws.notFound(`Settings group '${group}' not found; Switchboard serves 'agent-states'`);
    return { settings: caller.cc.agentStates.map(agentStateSetting) };
  });

  r.get('/api/v2/features', (_req, _reply, caller) => ({
    features: [...caller.cc.features].sort().map((id) => presentFeature(deps.urls, id)),
  }));

  r.get('/api/v2/features/:id', (req, _reply, caller) => {
    const { id } = req.params as { id: string };
    if (!caller.cc.features.has(id)) throw gws.notFound(`Feature '${id}' not found in your contact center`);
    return { feature: presentFeature(deps.urls, id) };
  });

  r.get('/api/v2/contacts', async (req, _reply, caller) => {
    const q = query(req);
    const roles = listParam(q.roles);
    const types = listParam(q.type);
    if (types.some((t) => t !== 'User')) {
      // Switchboard's directory holds users only
      return { totalCount: 0, contacts: [] };
    }
    const match = contactFilter(queryString(req, 'filterParameters'));
    const offset = nonNegativeInt(queryString(req, 'offset'), 'offset', 0);
    const limit = nonNegativeInt(queryString(req, 'limit'), 'limit', Number.MAX_SAFE_INTEGER);
    const order = queryString(req, 'order') ?? 'Ascending';
    if (order !== 'Ascending' && order !== 'Descending') throw gws.invalid(`Query parameter 'order' must be Ascending or Descending, got '${order}'`);
    const all: Json[] = [];
    for (const user of caller.cc.users) {
      if (!user.enabled) continue;
      if (roles.length && !roles.some((x) => (user.roles as string[]).includes(x))) continue;
      const devices = deps.directory.devicesOf(user.id);
      const names = [user.userName, user.firstName, user.lastName, `${user.firstName} ${user.lastName}`, ...devices.map((d) => d.dn)];
      if (!names.some(match)) continue;
      all.push(await contactOf(user));
    }
    all.sort((a, b) => String(a.name).localeCompare(String(b.name)) * (order === 'Descending' ? -1 : 1));
    return { totalCount: all.length, contacts: all.slice(offset, offset + limit) };
  });

  /** the `uri` of a contact: one user of the caller's contact center */
  r.get('/api/v2/contacts/:id', async (req, _reply, caller) => {
    const { id } = req.params as { id: string };
    const user = caller.cc.users.find((u) => u.id === id && u.enabled);
    if (!user) throw gws.notFound(`Contact ${id} not found in your contact center`);
    return { contact: await contactOf(user) };
  });

  async function contactOf(user: UserRecord): Promise<Json> {
    const cc = deps.directory.center(user.contactCenterId)!;
    const devices = deps.directory.devicesOf(user.id);
    const view = devices[0] ? await deps.sw.device(devices[0].dn) : undefined;
    let onCall = false;
    for (const d of devices) if ((await deps.sw.callsOf(d.dn)).length > 0) onCall = true;
    return presentContact(deps.urls, cc, user, devices, { view, onCall });
  }

  r.raw('GET', '/api/v2/diagnostics/version', (_req, reply) =>
    sendOk(reply, { version: deps.version, product: 'Switchboard', api: 'GWS v2 Voice API', node: process.version }),
  );
}
