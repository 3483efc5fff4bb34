/**
 * What a route module says about its routes for the API reference: one `RouteDoc` per route it
 * registers, exported from a `<module>.docs.ts` file beside it. The OpenAPI document and the
 * reference page are built from these and from the operation tables they point at; the coverage
 * test (test/api/openapi.test.ts) checks them against fastify's route table both ways, so a route
 * added without its RouteDoc (or a RouteDoc without its route) fails the tests.
 *
 * To document a new route: add a RouteDoc to the docs file beside its module (or create one and
 * list it in api-docs/catalogue.ts). `route` is the pattern exactly as registered (`:id`, `*`).
 */
import type { Method } from '../router.js';
import type { OperationTable } from '../operations.js';
import type { JsonSchema, ParamSpec } from '../params.js';

export interface RouteDoc {
  method: Method;
  /** the fastify pattern as registered, e.g. /api/v2/me/calls/:id */
  route: string;
  /** the group on the reference page and in OpenAPI */
  tag: string;
  summary: string;
  description?: string;
  /** readable without credentials (default: Basic or the session cookie needed) */
  public?: boolean;
  /** each :name of the route, described */
  pathParams?: Readonly<Record<string, string>>;
  /** query parameters (kinds text and choice) */
  query?: readonly ParamSpec[];
  /** a POST of {operationName, ...}: the resource's operation table */
  operations?: OperationTable<never>;
  /** besides the table: operations a contact center defines (its custom agent states) */
  customOperations?: string;
  /** a JSON body that is not an operation */
  body?: readonly ParamSpec[];
  /** the 200 answer's schema (default: the StatusOk envelope) */
  answer?: JsonSchema;
  /** the 200 answer's media type (default application/json) */
  answerType?: string;
  /** the configuration that serves the route, when not always */
  when?: string;
}

/** The OpenAPI path of a fastify pattern: `:id` → `{id}`, a final `*` → `{path}`. */
export function openApiPath(route: string): string {
  return route
    .split('/')
    .map((segment) => (segment.startsWith(':') ? `{${segment.slice(1)}}` : segment === '*' ? '{path}' : segment))
    .join('/');
}

/** the names of a pattern's path parameters */
export function pathParameterNames(route: string): string[] {
  return route.split('/').flatMap((segment) => (segment.startsWith(':') ? [segment.slice(1)] : segment === '*' ? ['path'] : []));
}

/** `?fields`: the GWS collection convention (src/gws/routes/common.ts) */
export const FIELDS_QUERY: ParamSpec = {
  name: 'fields',
  kind: 'text',
  description: 'absent: the members as `uris`; `*`: whole objects; `a,b`: those members (and id)',
  example: '*',
};

const schemaRef = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

/** the answer of a GWS collection: `uris`, or the members under `plural` */
export function collectionAnswer(plural: string, item: string): JsonSchema {
  return {
    type: 'object',
    properties: {
      statusCode: { const: 0 },
      uris: { type: 'array', items: { type: 'string' } },
      [plural]: { type: 'array', items: schemaRef(item) },
    },
    required: ['statusCode'],
  };
}

/** the answer `{statusCode: 0, <member>: <schema>}` */
export function answerWith(member: string, schema: string | JsonSchema): JsonSchema {
  return {
    type: 'object',
    properties: { statusCode: { const: 0 }, [member]: typeof schema === 'string' ? schemaRef(schema) : schema },
    required: ['statusCode', member],
  };
}
