/**
 * Every RouteDoc of the server, in reference order: the docs files beside the route modules, the
 * CometD endpoint and the reference's own routes. The coverage test (test/api/openapi.test.ts)
 * holds this list equal to fastify's route table; a route module's docs file is listed here once.
 */
import { AUDIT_ROUTE_DOCS } from '../routes/audit.docs.js';
import { CONSOLE_ROUTE_DOCS } from '../routes/console.docs.js';
import { DEVICE_ROUTE_DOCS } from '../routes/devices.docs.js';
import { DIRECTORY_ROUTE_DOCS } from '../routes/directory.docs.js';
import { HEALTH_ROUTE_DOCS } from '../routes/health.docs.js';
import { ME_ROUTE_DOCS } from '../routes/me.docs.js';
import { RECORDING_ROUTE_DOCS } from '../routes/recordings.docs.js';
import { RESOURCE_ROUTE_DOCS } from '../routes/resources.docs.js';
import { SUPERVISION_AGENT_ROUTE_DOCS } from '../routes/supervision-agents.docs.js';
import { SIM_ROUTE_DOCS } from '../sim.docs.js';
import type { RouteDoc } from './route-doc.js';

export const OPENAPI_PATH = '/api/v2/openapi.json';
export const REFERENCE_PATH = '/api/v2/docs';
/** http.ts NOTIFICATIONS_PATH (not imported: http.ts imports this module); the coverage test keeps them equal */
const COMETD_PATH = '/api/v2/notifications';

const bayeuxMessages = { type: 'array', items: { $ref: '#/components/schemas/BayeuxMessage' } };

const NOTIFICATION_DOCS: readonly RouteDoc[] = [
  {
    method: 'POST',
    route: COMETD_PATH,
    tag: 'Notifications',
    summary: 'CometD (Bayeux 1.0) long-polling: handshake, connect, subscribe, unsubscribe, disconnect',
    description:
      'The body is an array of Bayeux messages, the answer too. Websocket: upgrade GET on the same path. Credentials as for REST (Basic or the session cookie); exempt from CSRF, a foreign Origin is refused. A successful handshake reply carries ext.switchStart, which changes only when the call state starts afresh (a client that handshakes again tells a server restart by it). See x-cometd-channels for what is delivered.',
    answer: bayeuxMessages,
  },
  {
    method: 'POST',
    route: `${COMETD_PATH}/*`,
    tag: 'Notifications',
    summary: 'The same, with the meta channel in the path (/api/v2/notifications/handshake, …/connect), as CometD clients send it',
    pathParams: { path: 'the meta channel without /meta/, e.g. handshake or connect' },
    answer: bayeuxMessages,
  },
];

const REFERENCE_DOCS: readonly RouteDoc[] = [
  {
    method: 'GET',
    route: OPENAPI_PATH,
    tag: 'Reference',
    summary: 'This API as an OpenAPI 3.1 document (no credentials needed: it holds no user data, only what the reference page shows)',
    public: true,
    answer: { type: 'object', description: 'an OpenAPI 3.1 document' },
  },
  {
    method: 'GET',
    route: REFERENCE_PATH,
    tag: 'Reference',
    summary: 'This API as a readable page (HTML, no external assets; no credentials needed)',
    public: true,
    answer: { type: 'string' },
    answerType: 'text/html',
  },
];

/** every RouteDoc, in reference order */
export function routeCatalogue(): readonly RouteDoc[] {
  return [
    ...ME_ROUTE_DOCS,
    ...DEVICE_ROUTE_DOCS,
    ...DIRECTORY_ROUTE_DOCS,
    ...RESOURCE_ROUTE_DOCS,
    ...AUDIT_ROUTE_DOCS,
    ...SUPERVISION_AGENT_ROUTE_DOCS,
    ...RECORDING_ROUTE_DOCS,
    ...NOTIFICATION_DOCS,
    ...HEALTH_ROUTE_DOCS,
    ...SIM_ROUTE_DOCS,
    ...REFERENCE_DOCS,
    ...CONSOLE_ROUTE_DOCS,
  ];
}
