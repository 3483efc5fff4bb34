/**
 * The reference data of the simulation API routes in sim.ts (api-docs/route-doc.ts), served when
 * config.simApi is on, for ROLE_ADMIN.
 */
import type { RouteDoc } from './api-docs/route-doc.js';
import { answerWith } from './api-docs/route-doc.js';
import { SIM_CALL_BODY, SIM_CALL_OPERATIONS } from './sim.js';

const SIM = { tag: 'Simulation', when: 'server.simApi (default on)' } as const;

export const SIM_ROUTE_DOCS: readonly RouteDoc[] = [
  {
    ...SIM,
    method: 'POST',
    route: '/sim/v1/calls',
    summary: 'A customer calls a DN or routing point (ROLE_ADMIN)',
    body: SIM_CALL_BODY,
    answer: answerWith('callUuid', { type: 'string' }),
  },
  {
    ...SIM,
    method: 'POST',
    route: '/sim/v1/calls/:callUuid',
    summary: 'Simulated outside world of a call (ROLE_ADMIN)',
    pathParams: { callUuid: 'a call of your contact center' },
    operations: SIM_CALL_OPERATIONS,
  },
  {
    ...SIM,
    method: 'GET',
    route: '/sim/v1/calls/:callUuid/media',
    summary: 'Who hears whom on a call (ROLE_ADMIN)',
    pathParams: { callUuid: 'a call of your contact center' },
    answer: answerWith('parties', { type: 'array', items: { $ref: '#/components/schemas/MediaParty' } }),
  },
];
