/** The reference data of the route in recordings.ts (api-docs/route-doc.ts): recordings as WAV. */
import type { RouteDoc } from '../api-docs/route-doc.js';

export const RECORDING_ROUTE_DOCS: readonly RouteDoc[] = [
  {
    method: 'GET',
    route: '/api/v2/recordings/:callUuid',
    tag: 'Supervision',
    summary: "A call's recording as audio/wav (ROLE_SUPERVISOR or ROLE_ADMIN of the call's contact center)",
    pathParams: { callUuid: 'the recorded call' },
    answer: { type: 'string', contentMediaType: 'audio/wav' },
    answerType: 'audio/wav',
  },
];
