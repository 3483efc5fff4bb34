/**
 * GET /api/v2/openapi.json and GET /api/v2/docs: the API reference, public (no credentials: it
 * holds no user or contact-center data, only the API's shape, the same for every caller; see
 * docs/compatibility.md "API reference"). Both are built from the RouteDocs of the routes this
 * server actually registered (so /sim/v1 appears only where it is served), once per public base
 * URL, and answered with a short cache lifetime.
 *
 * `recordRoutes(app)` keeps fastify's route table as it is built (called by http.ts before any
 * route is added); `routeTableOf(app)` gives it to the coverage test.
 */
import type { FastifyInstance } from 'fastify';
import type { GwsDeps } from '../context.js';
import type { Router } from '../router.js';
import { JSON_CONTENT_TYPE } from '../reply.js';
import { OPENAPI_PATH, REFERENCE_PATH, routeCatalogue } from './catalogue.js';
import { openApiDocument } from './openapi.js';
import { referencePage } from './page.js';
import type { RouteDoc } from './route-doc.js';

/** one registered route: method and fastify pattern */
export interface RegisteredRoute {
  method: string;
  url: string;
}

const tables = new WeakMap<FastifyInstance, RegisteredRoute[]>();

/** Start recording the routes added to `app` from now on (HEAD routes fastify adds for GETs excluded). */
export function recordRoutes(app: FastifyInstance): readonly RegisteredRoute[] {
  const table: RegisteredRoute[] = [];
  app.addHook('onRoute', (options) => {
    for (const method of [options.method].flat()) {
      if (method !== 'HEAD') table.push({ method, url: options.url });
    }
  });
  tables.set(app, table);
  return table;
}

/** The routes recorded for `app` (empty when recordRoutes was not called). */
export function routeTableOf(app: FastifyInstance): readonly RegisteredRoute[] {
  return tables.get(app) ?? [];
}

/** routes that are no part of the API reference, and why */
export const UNDOCUMENTED_ROUTES: readonly (RegisteredRoute & { why: string })[] = [{ method: 'OPTIONS', url: '*', why: 'CORS preflight of every path' }];

const key = (r: { method: string; url?: string; route?: string }) => `${r.method} ${r.url ?? r.route}`;

/** The RouteDocs of the routes in `table`. */
export function documentedRoutes(table: readonly RegisteredRoute[]): RouteDoc[] {
  const registered = new Set(table.map(key));
  return routeCatalogue().filter((d) => registered.has(key(d)));
}

export function apiDocsRoutes(r: Router, deps: GwsDeps, table: readonly RegisteredRoute[]): void {
  const built = new Map<string, { json: string; html: string }>();
  const reference = () => {
    const base = deps.urls.base;
    let out = built.get(base);
    if (!out) {
      const input = { version: deps.version, routes: documentedRoutes(table), unknownParameters: deps.config.api.unknownParameters };
      out = { json: JSON.stringify(openApiDocument({ ...input, baseUrl: base })), html: referencePage(input) };
      built.set(base, out);
    }
    return out;
  };
  r.raw('GET', OPENAPI_PATH, (_req, reply) =>
    reply.code(200).header('Cache-Control', 'public, max-age=60').type(JSON_CONTENT_TYPE).send(reference().json),
  );
  r.raw('GET', REFERENCE_PATH, (_req, reply) =>
    reply.code(200).header('Cache-Control', 'public, max-age=60').type('text/html; charset=utf-8').send(reference().html),
  );
}
