/**
 * The reference data of the simulation API routes in sim.ts (api-docs/route-doc.ts), served when
 * config.simApi is on, for ROLE_ADMIN.
 */
import { TONE_RANGE_HZ } from '../media/mixer.js';
import type { RouteDoc } from './api-docs/route-doc.js';
import { answerWith } from './api-docs/route-doc.js';
import type { ParamSpec } from './params.js';
import { USER_DATA_OPTIONAL_PARAM } from './params.js';
import { SIM_CALL_OPERATIONS } from './sim.js';

/** the body of POST /sim/v1/calls, in the order sim.ts checks it */
export const SIM_CALL_BODY: readonly ParamSpec[] = [
  { name: 'from', kind: 'text', required: true, trim: true, expects: 'the external number calling, e.g. "+15551234567"', description: 'the external number calling', example: '+15551234567' },
  { name: 'to', kind: 'text', required: true, trim: true, expects: 'a DN or routing point of your contact center', description: 'a DN or routing point of your contact center', example: '5001' },
  USER_DATA_OPTIONAL_PARAM,
  {
    name: 'tone',
    kind: 'number',
    range: { lowest: TONE_RANGE_HZ.lowest, highest: TONE_RANGE_HZ.highest, unit: 'Hz' },
    description: "a test tone the customer plays into the call (with SIP on, heard by real phones through the call's mixer)",
    example: 440,
  },
];

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
