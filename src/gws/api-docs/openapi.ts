/**
 * The OpenAPI 3.1 document of the server, built from the RouteDocs (api-docs/catalogue.ts), the
 * operation tables they point at, the ParamSpecs of every operation (params.ts) and the schemas
 * (api-docs/schemas.ts). Nothing in it is written by hand twice: an operation's request schema is
 * its row's parameters through `KINDS[kind].schema`, the same table the parser uses.
 *
 * Guarantees: one path item per documented route, one operation per method; every operation row is
 * one `anyOf` branch of its path's request body, keyed by `operationName` (`const`, the canonical
 * spelling; the server also accepts other casings); unknown members are `additionalProperties:
 * false` while config.api.unknownParameters is "refuse" (the default); every answer but 200 is the
 * statusCode envelope (StatusError); routes readable without credentials say `security: []`; the
 * CometD channels and their messages are listed under `x-cometd-channels`.
 */
import type { Gate } from '../gates.js';
import type { OperationRow, OperationTable } from '../operations.js';
import { KINDS } from '../params.js';
import type { JsonSchema, ParamSpec } from '../params.js';
import type { RouteDoc } from './route-doc.js';
import { openApiPath, pathParameterNames } from './route-doc.js';
import { COMETD_CHANNELS, SCHEMAS } from './schemas.js';

export interface OpenApiInput {
  version: string;
  /** the public base URL (servers[0]) */
  baseUrl: string;
  routes: readonly RouteDoc[];
  unknownParameters: 'refuse' | 'warn';
}

/** The gate of an operation in words: "features api-voice; role ROLE_SUPERVISOR". */
export function gateWords(gate: Gate | undefined): string {
  if (!gate) return 'no feature or role needed';
  const features = (gate.features ?? []).map((f) => (typeof f === 'string' ? f : `one of ${f.join(' or ')}`));
  return [features.length ? `features ${features.join(', ')}` : '', gate.role ? `role ${gate.role}` : ''].filter(Boolean).join('; ');
}

/** The schema of one parameter as documented: its kind's schema, described. */
export function parameterSchema(spec: ParamSpec): JsonSchema {
  const out: JsonSchema = { ...KINDS[spec.kind].schema(spec), description: spec.description };
  if (spec.example !== undefined) out.examples = [spec.example];
  return out;
}

/** The request schema of one operation row. */
export function operationRequestSchema(name: string, row: OperationRow<never, unknown>, refuseUnknown: boolean): JsonSchema {
  const properties: Record<string, JsonSchema> = {
    operationName: { const: name, description: 'the operation (matched ignoring case; this is the canonical spelling)' },
  };
  for (const spec of row.params) {
    properties[spec.name] = parameterSchema(spec);
    for (const alias of spec.aliases ?? []) properties[alias] = { ...parameterSchema(spec), description: `the same as ${spec.name}` };
  }
  const out: JsonSchema = {
    title: name,
    description: `${row.summary}. Needs ${gateWords(row.gate)}.`,
    type: 'object',
    properties,
    required: ['operationName', ...row.params.filter((s) => s.required).map((s) => s.name)],
    additionalProperties: !refuseUnknown,
  };
  const rules = row.rules ?? [];
  if (rules.length) out.allOf = rules.map((rule) => ({ anyOf: rule.names.map((n) => ({ required: [n] })) }));
  return out;
}

function bodySchema(specs: readonly ParamSpec[], refuseUnknown: boolean): JsonSchema {
  return {
    type: 'object',
    properties: Object.fromEntries(specs.map((s) => [s.name, parameterSchema(s)])),
    required: specs.filter((s) => s.required).map((s) => s.name),
    additionalProperties: !refuseUnknown,
  };
}

function operationsBody(doc: RouteDoc, refuseUnknown: boolean): JsonSchema {
  const table: OperationTable<never> = doc.operations ?? {};
  const branches = Object.entries(table).map(([name, row]) => operationRequestSchema(name, row, refuseUnknown));
  if (doc.customOperations) {
    branches.push({
      title: 'custom agent state',
      description: doc.customOperations,
      type: 'object',
      properties: { operationName: { type: 'string' } },
      required: ['operationName'],
      additionalProperties: !refuseUnknown,
    });
  }
  return { anyOf: branches };
}

const ERROR_RESPONSE = { $ref: '#/components/responses/StatusError' };

function operationId(doc: RouteDoc): string {
  const words = openApiPath(doc.route)
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1));
  return `${doc.method.toLowerCase()}${words.join('')}`;
}

function operationObject(doc: RouteDoc, refuseUnknown: boolean): JsonSchema {
  const parameters: JsonSchema[] = [
    ...pathParameterNames(doc.route).map((name) => ({
      name,
      in: 'path',
      required: true,
      description: doc.pathParams?.[name] ?? name,
      schema: { type: 'string' },
    })),
    ...(doc.query ?? []).map((spec) => ({ name: spec.name, in: 'query', required: false, description: spec.description, schema: KINDS[spec.kind].schema(spec) })),
  ];
  const description = [doc.description, doc.when ? `Served when ${doc.when}.` : ''].filter(Boolean).join(' ');
  const out: JsonSchema = {
    tags: [doc.tag],
    summary: doc.summary,
    ...(description ? { description } : {}),
    operationId: operationId(doc),
    ...(parameters.length ? { parameters } : {}),
  };
  if (doc.operations || doc.body) {
    out.requestBody = {
      required: true,
      content: { 'application/json': { schema: doc.operations ? operationsBody(doc, refuseUnknown) : bodySchema(doc.body ?? [], refuseUnknown) } },
    };
  }
  const answerType = doc.answerType ?? 'application/json';
  out.responses = {
    '200': { description: 'accepted / the resource', content: { [answerType]: { schema: doc.answer ?? { $ref: '#/components/schemas/StatusOk' } } } },
    '4XX': ERROR_RESPONSE,
    '5XX': ERROR_RESPONSE,
  };
  if (doc.public) out.security = [];
  return out;
}

/** The whole document. */
export function openApiDocument(input: OpenApiInput): JsonSchema {
  const refuseUnknown = input.unknownParameters === 'refuse';
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const doc of input.routes) {
    const item = (paths[openApiPath(doc.route)] ??= {});
    item[doc.method.toLowerCase()] = operationObject(doc, refuseUnknown);
  }
  const tags = [...new Set(input.routes.map((d) => d.tag))].map((name) => ({ name }));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Switchboard: Genesys Web Services v2 Voice API',
      version: input.version,
      description:
        'REST under /api/v2 (JSON bodies; every answer is {statusCode, ...}, refusals {statusCode, statusMessage}) and CometD notifications at /api/v2/notifications (see x-cometd-channels). ' +
        'Operation POSTs carry {"operationName": "...", ...parameters}; names of parameters are case-sensitive, operationName is not. ' +
        `Unknown parameters are ${refuseUnknown ? 'refused with statusCode 1' : 'logged and ignored (api.unknownParameters "warn")'}. The readable reference: /api/v2/docs.`,
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: input.baseUrl }],
    security: [{ basicAuth: [] }, { sessionCookie: [] }],
    tags,
    paths,
    components: {
      schemas: SCHEMAS,
      responses: {
        StatusError: {
          description: 'a refusal: the GWS statusCode envelope',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/StatusError' } } },
        },
      },
      securitySchemes: {
        basicAuth: { type: 'http', scheme: 'basic', description: 'user name and password; the first authenticated answer sets the JSESSIONID cookie' },
        sessionCookie: { type: 'apiKey', in: 'cookie', name: 'JSESSIONID', description: 'the session cookie (cookie-only POSTs need the X-CSRF-TOKEN header from GET /api/v2/me)' },
      },
    },
    'x-cometd-channels': COMETD_CHANNELS.map((c) => ({ ...c, schema: { $ref: `#/components/schemas/${c.messageType}` } })),
  };
}
