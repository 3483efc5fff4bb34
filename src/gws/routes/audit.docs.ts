/** The reference data of the route in audit.ts (api-docs/route-doc.ts): the supervision audit. */
import type { RouteDoc } from '../api-docs/route-doc.js';

export const AUDIT_ROUTE_DOCS: readonly RouteDoc[] = [
  {
    method: 'GET',
    route: '/api/v2/supervision/audit',
    tag: 'Supervision',
    summary: "The supervision audit: a supervisor's own entries, or (admins) the contact center's",
    query: [
      { name: 'supervisor', kind: 'text', description: 'userName or id' },
      { name: 'agent', kind: 'text', description: 'userName or id' },
      { name: 'callUuid', kind: 'text', description: 'one call' },
      { name: 'from', kind: 'text', description: 'epoch ms or ISO 8601' },
      { name: 'to', kind: 'text', description: 'epoch ms or ISO 8601' },
      { name: 'offset', kind: 'text', description: 'whole number; default 0' },
      { name: 'limit', kind: 'text', description: '1-1000; default 100' },
    ],
    answer: {
      type: 'object',
      properties: {
        statusCode: { const: 0 },
        totalCount: { type: 'integer' },
        offset: { type: 'integer' },
        limit: { type: 'integer' },
        entries: { type: 'array', items: { $ref: '#/components/schemas/AuditEntry' } },
      },
      required: ['statusCode', 'totalCount', 'entries'],
    },
  },
];
