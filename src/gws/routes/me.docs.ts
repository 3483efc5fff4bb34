/**
 * The reference data of the routes in me.ts (api-docs/route-doc.ts): GET and POST /api/v2/me and
 * the voice channel's agent-state operations. The operations are the tables the routes dispatch to.
 */
import type { RouteDoc } from '../api-docs/route-doc.js';
import { answerWith } from '../api-docs/route-doc.js';
import { ME_OPERATIONS } from '../me-ops.js';
import { SYSTEM_VOICE_OPERATIONS } from '../voice-ops.js';

export const ME_ROUTE_DOCS: readonly RouteDoc[] = [
  {
    method: 'GET',
    route: '/api/v2/me',
    tag: 'Me',
    summary: 'The caller: user, settings, and the subresources asked for',
    query: [{ name: 'subresources', kind: 'text', description: 'comma-separated: devices, calls, channels, settings, features, or *; others are ignored', example: 'devices,calls' }],
    answer: answerWith('user', 'User'),
  },
  {
    method: 'POST',
    route: '/api/v2/me',
    tag: 'Me',
    summary: 'Session operations (StartContactCenterSession, EndContactCenterSession) and whole-agent Ready/NotReady',
    operations: ME_OPERATIONS,
  },
  {
    method: 'POST',
    route: '/api/v2/me/channels/:channel',
    tag: 'Me',
    summary: 'Agent-state operations on the voice channel',
    pathParams: { channel: 'voice (the only channel Switchboard serves; others are statusCode 6)' },
    operations: SYSTEM_VOICE_OPERATIONS,
    customOperations:
      "the operationName of each custom agent state of the caller's contact center (GET /api/v2/settings/agent-states); they take no parameters",
  },
];
