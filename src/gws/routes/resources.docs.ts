/**
 * The reference data of the routes in resources.ts (api-docs/route-doc.ts): the resources that
 * `uri` fields point at.
 */
import type { RouteDoc } from '../api-docs/route-doc.js';
import { answerWith, collectionAnswer, FIELDS_QUERY } from '../api-docs/route-doc.js';

export const RESOURCE_ROUTE_DOCS: readonly RouteDoc[] = [
  {
    method: 'GET',
    route: '/api/v2/devices',
    tag: 'Resources',
    summary: "The contact center's extensions (ROLE_SUPERVISOR or ROLE_ADMIN)",
    query: [FIELDS_QUERY],
    answer: collectionAnswer('devices', 'Device'),
  },
  { method: 'GET', route: '/api/v2/devices/:id', tag: 'Resources', summary: "A device (another user's needs ROLE_SUPERVISOR or ROLE_ADMIN)", pathParams: { id: 'a device id' }, answer: answerWith('device', 'Device') },
  { method: 'GET', route: '/api/v2/users/:id', tag: 'Resources', summary: "A user (another user's needs ROLE_SUPERVISOR or ROLE_ADMIN)", pathParams: { id: 'a user id' }, answer: answerWith('user', 'User') },
  {
    method: 'GET',
    route: '/api/v2/voice-environments/:id',
    tag: 'Resources',
    summary: "The caller's voice environment (the simulated switch)",
    pathParams: { id: 'the voiceEnvironmentUri id of a device' },
    answer: answerWith('voiceEnvironment', { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, type: { type: 'string' }, uri: { type: 'string' } } }),
  },
];
