/** The reference data of the routes in console.ts (api-docs/route-doc.ts): the web console's files. */
import type { RouteDoc } from '../api-docs/route-doc.js';

const CONSOLE = { tag: 'Console', public: true, answerType: 'text/html', answer: { type: 'string' } } as const;

export const CONSOLE_ROUTE_DOCS: readonly RouteDoc[] = [
  { ...CONSOLE, method: 'GET', route: '/', summary: 'The web console (docs/console.md); 503 with the build command while it is not built' },
  { ...CONSOLE, method: 'GET', route: '/console', summary: 'The web console, as at /' },
  {
    ...CONSOLE,
    method: 'GET',
    route: '/console/assets/:file',
    summary: "The console's content-hashed scripts, styles and images (cached for a year)",
    pathParams: { file: 'a plain file name of the build' },
    answerType: 'application/octet-stream',
  },
];
