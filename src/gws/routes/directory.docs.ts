/**
 * The reference data of the routes in directory.ts (api-docs/route-doc.ts): settings, features,
 * contacts and the public version probe.
 */
import type { RouteDoc } from '../api-docs/route-doc.js';
import { answerWith } from '../api-docs/route-doc.js';

export const DIRECTORY_ROUTE_DOCS: readonly RouteDoc[] = [
  {
    method: 'GET',
    route: '/api/v2/settings/:group',
    tag: 'Directory',
    summary: "The contact center's agent-state definitions",
    pathParams: { group: 'agent-states (the only group served; others are statusCode 6)' },
    answer: answerWith('settings', { type: 'array', items: { $ref: '#/components/schemas/AgentStateSetting' } }),
  },
  { method: 'GET', route: '/api/v2/features', tag: 'Directory', summary: "The contact center's features", answer: answerWith('features', { type: 'array', items: { $ref: '#/components/schemas/Feature' } }) },
  { method: 'GET', route: '/api/v2/features/:id', tag: 'Directory', summary: 'One feature', pathParams: { id: 'a feature id such as api-voice' }, answer: answerWith('feature', 'Feature') },
  {
    method: 'GET',
    route: '/api/v2/contacts',
    tag: 'Directory',
    summary: 'The users of the contact center, with their availability',
    query: [
      { name: 'filterParameters', kind: 'text', description: '`*` wildcards, else a case-insensitive substring of names, userName or DN (at most 200 characters)' },
      { name: 'roles', kind: 'text', description: 'comma-separated roles, e.g. ROLE_AGENT' },
      { name: 'type', kind: 'text', description: 'User (the directory holds users only; other types find nothing)' },
      { name: 'offset', kind: 'text', description: 'whole number; default 0' },
      { name: 'limit', kind: 'text', description: 'whole number; default all' },
      { name: 'order', kind: 'choice', values: ['Ascending', 'Descending'], default: 'Ascending', description: 'by name' },
    ],
    answer: {
      type: 'object',
      properties: { statusCode: { const: 0 }, totalCount: { type: 'integer' }, contacts: { type: 'array', items: { $ref: '#/components/schemas/Contact' } } },
      required: ['statusCode', 'totalCount', 'contacts'],
    },
  },
  { method: 'GET', route: '/api/v2/contacts/:id', tag: 'Directory', summary: 'One contact', pathParams: { id: 'a user id' }, answer: answerWith('contact', 'Contact') },
  {
    method: 'GET',
    route: '/api/v2/diagnostics/version',
    tag: 'Server',
    summary: 'The server version (no credentials needed)',
    public: true,
    answer: {
      type: 'object',
      properties: { statusCode: { const: 0 }, version: { type: 'string' }, product: { type: 'string' }, api: { type: 'string' }, node: { type: 'string' } },
      required: ['statusCode', 'version'],
    },
  },
];
