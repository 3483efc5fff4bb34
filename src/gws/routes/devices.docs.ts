/**
 * The reference data of the routes in devices.ts (api-docs/route-doc.ts): the caller's devices
 * and calls, device operations, Dial and call operations (the tables the routes dispatch to).
 */
import { CALL_OPERATIONS } from '../call-ops.js';
import type { RouteDoc } from '../api-docs/route-doc.js';
import { answerWith, collectionAnswer, FIELDS_QUERY } from '../api-docs/route-doc.js';
import { DEVICE_OPERATIONS, DIAL_OPERATIONS } from '../device-ops.js';

const DEVICE_ID = { id: 'a device id of the caller (GET /api/v2/me/devices)' };
const CALL_ID = { id: 'a call id of the caller (GET /api/v2/me/calls)' };

export const DEVICE_ROUTE_DOCS: readonly RouteDoc[] = [
  { method: 'GET', route: '/api/v2/me/devices', tag: 'Devices', summary: "The caller's devices", query: [FIELDS_QUERY], answer: collectionAnswer('devices', 'Device') },
  { method: 'GET', route: '/api/v2/me/devices/:id', tag: 'Devices', summary: 'One of the caller’s devices', pathParams: DEVICE_ID, answer: answerWith('device', 'Device') },
  {
    method: 'POST',
    route: '/api/v2/me/devices/:id',
    tag: 'Devices',
    summary: 'Device operations: Do Not Disturb, forwarding, supervisor monitoring',
    pathParams: DEVICE_ID,
    operations: DEVICE_OPERATIONS,
  },
  { method: 'POST', route: '/api/v2/me/devices/:id/calls', tag: 'Calls', summary: 'Make a call (Dial)', pathParams: DEVICE_ID, operations: DIAL_OPERATIONS },
  { method: 'GET', route: '/api/v2/me/calls', tag: 'Calls', summary: "The caller's calls", query: [FIELDS_QUERY], answer: collectionAnswer('calls', 'Call') },
  { method: 'GET', route: '/api/v2/me/calls/:id', tag: 'Calls', summary: 'One of the caller’s calls', pathParams: CALL_ID, answer: answerWith('call', 'Call') },
  { method: 'POST', route: '/api/v2/me/calls/:id', tag: 'Calls', summary: 'Call operations', pathParams: CALL_ID, operations: CALL_OPERATIONS },
];
