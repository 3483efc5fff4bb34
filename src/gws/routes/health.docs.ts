/** The reference data of the routes in health.ts (api-docs/route-doc.ts): liveness, readiness, metrics. */
import type { RouteDoc } from '../api-docs/route-doc.js';
import { READINESS_PATH } from './health.js';

export const HEALTH_ROUTE_DOCS: readonly RouteDoc[] = [
  {
    method: 'GET',
    route: '/healthz',
    tag: 'Server',
    summary: 'Liveness: the process is up and answering, always 200 {"status":"up"} (not the GWS envelope)',
    public: true,
    answer: { type: 'object', properties: { status: { const: 'up' } }, required: ['status'] },
  },
  {
    method: 'GET',
    route: READINESS_PATH,
    tag: 'Server',
    summary: 'Readiness for a load balancer: 200 {"status":"ready"}, or 503 {"status":"not ready","reason":"…"} (not the GWS envelope)',
    public: true,
    answer: { type: 'object', properties: { status: { type: 'string', enum: ['ready', 'not ready'] }, reason: { type: 'string' } }, required: ['status'] },
  },
  {
    method: 'GET',
    route: '/metrics',
    tag: 'Server',
    summary: 'Prometheus text exposition: HTTP requests, CometD sessions, notifications, calls, agents, supervision, store latency, event loop, process',
    public: true,
    when: 'server.metricsEnabled (default on)',
    answer: { type: 'string' },
    answerType: 'text/plain',
  },
];
