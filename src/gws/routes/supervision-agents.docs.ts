/** The reference data of the routes in supervision-agents.ts (api-docs/route-doc.ts): the team extension. */
import type { RouteDoc } from '../api-docs/route-doc.js';
import { answerWith, collectionAnswer, FIELDS_QUERY } from '../api-docs/route-doc.js';

export const SUPERVISION_AGENT_ROUTE_DOCS: readonly RouteDoc[] = [
  {
    method: 'GET',
    route: '/api/v2/supervision/agents',
    tag: 'Supervision',
    summary: 'Supervisors: the agents of the groups they supervise, with state, calls and monitoring (Switchboard extension)',
    query: [FIELDS_QUERY],
    answer: collectionAnswer('agents', 'SupervisedAgent'),
  },
  {
    method: 'GET',
    route: '/api/v2/supervision/routing-points',
    tag: 'Supervision',
    summary: 'Supervisors: the routing points they may monitor, with the calls waiting there (oldest first) and the longest wait',
    answer: answerWith('routingPoints', { type: 'array', items: { $ref: '#/components/schemas/SupervisedRoutingPoint' } }),
  },
  {
    method: 'GET',
    route: '/api/v2/supervision/calls/:callUuid/media',
    tag: 'Supervision',
    summary: "Supervisors: who hears whom on a call of their team's agents",
    pathParams: { callUuid: 'the call' },
    answer: answerWith('parties', { type: 'array', items: { $ref: '#/components/schemas/MediaParty' } }),
  },
];
