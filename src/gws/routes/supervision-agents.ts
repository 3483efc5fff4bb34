/**
 * The supervision team extension (docs/compatibility.md "Supervision team"), for supervisors only:
 *
 * - GET /api/v2/supervision/agents: the agents the caller may monitor (Team.teamOf), GWS
 *   collection style (`uris` by default, rows with `?fields=*` or a field list);
 * - GET /api/v2/supervision/routing-points: the routing points the caller may monitor, each with
 *   the calls waiting there (oldest first) and the longest wait;
 * - GET /api/v2/supervision/calls/{callUuid}/media: who hears whom on a call (the switch's one media
 *   function, as /sim/v1 gives it) for a call on which an agent of the caller's team, or the caller,
 *   has a leg.
 *
 * Guarantees: the supervisor gate of every supervisor operation (statusCode 3 without the
 * supervisor features, 5 without ROLE_SUPERVISOR); a call of another contact center or an unknown
 * one is statusCode 6; a call of the caller's contact center with no agent of the caller's team on
 * it is statusCode 5, as arming on such an agent is.
 */
import { SUPERVISOR } from '../device-ops.js';
import type { Caller, GwsDeps } from '../context.js';
import { checkGate } from '../gates.js';
import { gws } from '../reply.js';
import type { Router } from '../router.js';
import type { Team } from '../team-notifier.js';
import { collection } from './common.js';

function teamOrFail(deps: GwsDeps): Team {
  if (!deps.team) throw gws.notFound('The supervision team extension is not available on this server');
  return deps.team;
}

function supervisorOnly(caller: Caller, what: string): void {
  checkGate(SUPERVISOR, caller.who, what);
}

export function supervisionAgentRoutes(r: Router, deps: GwsDeps): void {
  r.get('/api/v2/supervision/agents', async (req, _reply, caller) => {
    supervisorOnly(caller, 'GET /api/v2/supervision/agents');
    const team = teamOrFail(deps);
    const rows = await Promise.all(team.teamOf(caller.cc, caller.user.id).map((agent) => team.row(caller.cc, agent, caller.user)));
    return collection(req, 'agents', rows, (x) => String(x.uri));
  });

  r.get('/api/v2/supervision/routing-points', async (_req, _reply, caller) => {
    supervisorOnly(caller, 'GET /api/v2/supervision/routing-points');
    return { routingPoints: await teamOrFail(deps).routingPointsOf(caller.cc, caller.user.id) };
  });

  r.get('/api/v2/supervision/calls/:callUuid/media', async (req, _reply, caller) => {
    const { callUuid } = req.params as { callUuid: string };
    supervisorOnly(caller, 'GET /api/v2/supervision/calls/{callUuid}/media');
    const team = teamOrFail(deps);
    const parties = (await deps.sw.callContactCenter(callUuid)) === caller.cc.id ? await deps.sw.media(callUuid) : undefined;
    if (!parties) throw gws.notFound(`Call ${callUuid} not found`);
    const mine = new Set(deps.directory.devicesOf(caller.user.id).map((d) => d.dn));
    const teamDns = new Set(team.teamOf(caller.cc, caller.user.id).flatMap((u) => deps.directory.devicesOf(u.id).map((d) => d.dn)));
    const party = new Set(parties.map((p) => p.phoneNumber));
    let allowed = false;
    for (const dn of [...mine, ...teamDns]) if (party.has(dn) || (await deps.sw.callView(callUuid, dn)) !== undefined) allowed = true;
    if (!allowed) throw gws.noPermission(`Call ${callUuid} has no agent of the groups you supervise on it`);
    return { parties };
  });
}
