/**
 * The readable API reference served at GET /api/v2/docs: one server-rendered HTML page built
 * from the same data as the OpenAPI document (RouteDocs, operation rows and their ParamSpecs, the
 * schemas and CometD channels). Guarantees: no external asset (styles inline, no script, no font
 * or image fetched), every text from the data HTML-escaped, stable anchors (`#op-<route>-<name>`,
 * `#schema-<name>`) so other documents can link to an operation or a message shape.
 */
import { HTTP_STATUS_BY_STATUS_CODE } from '../../errors.js';
import type { OperationRow } from '../operations.js';
import { KINDS } from '../params.js';
import type { JsonSchema, ParamSpec } from '../params.js';
import { gateWords } from './openapi.js';
import type { RouteDoc } from './route-doc.js';
import { openApiPath } from './route-doc.js';
import { COMETD_CHANNELS, SCHEMAS, STATUS_CODES } from './schemas.js';

export interface PageInput {
  version: string;
  routes: readonly RouteDoc[];
  unknownParameters: 'refuse' | 'warn';
}

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c]);
const code = (s: string) => `<code>${escapeHtml(s)}</code>`;
const anchor = (s: string) => s.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '');

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '';
  return `<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function paramRows(specs: readonly ParamSpec[]): string[][] {
  return specs.map((s) => [
    code(s.name) + (s.aliases?.length ? ` (also ${s.aliases.map(code).join(', ')})` : ''),
    escapeHtml(s.kind === 'choice' ? 'string' : KINDS[s.kind].words),
    s.required ? 'yes' : 'no',
    s.values ? s.values.map(code).join(' | ') : '',
    s.default !== undefined ? code(s.default) : '',
    escapeHtml(s.description) + (s.example !== undefined ? ` <span class="example">e.g. ${code(JSON.stringify(s.example))}</span>` : ''),
  ]);
}

const PARAM_HEAD = ['parameter', 'type', 'required', 'allowed values', 'default', 'description'];

function operationSection(route: RouteDoc, name: string, row: OperationRow<never, unknown>): string {
  const rules = (row.rules ?? []).map((r) => `<p>At least one of ${r.names.map(code).join(', ')} is required.</p>`).join('');
  const params = row.params.length ? table(PARAM_HEAD, paramRows(row.params)) : '<p class="muted">No parameters besides operationName.</p>';
  return `<div class="operation" id="op-${anchor(route.route)}-${anchor(name)}"><h4>${escapeHtml(name)}</h4><p>${escapeHtml(row.summary)}. <span class="muted">Needs ${escapeHtml(gateWords(row.gate))}.</span></p>${rules}${params}</div>`;
}

function routeSection(route: RouteDoc): string {
  const path = openApiPath(route.route);
  const parts = [
    `<section class="route" id="route-${anchor(route.method)}-${anchor(route.route)}">`,
    `<h3><span class="method">${route.method}</span> ${code(path)}</h3>`,
    `<p>${escapeHtml(route.summary)}${route.description ? ` ${escapeHtml(route.description)}` : ''}</p>`,
    `<p class="muted">${route.public ? 'No credentials needed.' : 'Needs Basic credentials or the session cookie.'}${route.when ? ` Served when ${escapeHtml(route.when)}.` : ''}</p>`,
  ];
  if (route.pathParams) parts.push(table(['path parameter', 'description'], Object.entries(route.pathParams).map(([n, d]) => [code(n), escapeHtml(d)])));
  if (route.query?.length) parts.push(table(PARAM_HEAD.map((h) => (h === 'parameter' ? 'query parameter' : h)), paramRows(route.query)));
  if (route.body?.length) parts.push(`<p>JSON body:</p>${table(PARAM_HEAD, paramRows(route.body))}`);
  if (route.operations) {
    parts.push(`<p>JSON body ${code('{"operationName": "…", …}')} with one of these operations:</p>`);
    for (const [name, row] of Object.entries(route.operations)) parts.push(operationSection(route, name, row));
    if (route.customOperations) parts.push(`<p>Also: ${escapeHtml(route.customOperations)}.</p>`);
  }
  parts.push('</section>');
  return parts.join('\n');
}

/** a schema's type in words, with links to named schemas */
function typeWords(schema: JsonSchema): string {
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.split('/').pop() ?? '';
    return `<a href="#schema-${anchor(name)}">${escapeHtml(name)}</a>`;
  }
  if (schema.const !== undefined) return code(JSON.stringify(schema.const));
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => code(String(v))).join(' | ');
  if (schema.type === 'array' && schema.items) return `array of ${typeWords(schema.items as JsonSchema)}`;
  const alternatives = (schema.oneOf ?? schema.anyOf) as JsonSchema[] | undefined;
  if (alternatives) return alternatives.map(typeWords).join(' or ');
  return escapeHtml(Array.isArray(schema.type) ? schema.type.join(' or ') : String(schema.type ?? 'any'));
}

function schemaSection(name: string, schema: JsonSchema): string {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  const rows = Object.entries(properties).map(([p, s]) => [code(p), typeWords(s), required.has(p) ? 'yes' : 'no', escapeHtml(String(s.description ?? ''))]);
  return `<section class="schema" id="schema-${anchor(name)}"><h3>${escapeHtml(name)}</h3>${schema.description ? `<p>${escapeHtml(String(schema.description))}</p>` : ''}${table(['member', 'type', 'always', 'description'], rows)}</section>`;
}

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:70rem;padding:1rem 2rem;color:#1b1b1b}
code{font:13px ui-monospace,monospace;background:#f3f3f3;padding:0 .2em;border-radius:3px}
table{border-collapse:collapse;margin:.5rem 0 1rem;width:100%}th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#eee}.method{display:inline-block;min-width:3.5rem;font-weight:700;color:#0b5394}.muted{color:#555}.example{color:#555}
.route{border-top:2px solid #ddd;padding-top:.5rem}.operation{margin-left:1rem}h4{margin:.75rem 0 .25rem}nav ul{columns:2}`;

/** The whole page. */
export function referencePage(input: PageInput): string {
  const tags = [...new Set(input.routes.map((r) => r.tag))];
  const messages = new Set(COMETD_CHANNELS.map((c) => c.messageType));
  const nav = tags
    .map((t) => `<li><a href="#tag-${anchor(t)}">${escapeHtml(t)}</a></li>`)
    .concat(['<li><a href="#status-codes">statusCodes</a></li>', '<li><a href="#cometd">CometD channels and notifications</a></li>', '<li><a href="#schemas">Resource shapes</a></li>'])
    .join('');
  const body = [
    `<h1>Switchboard API reference</h1>`,
    `<p>Genesys Web Services v2 Voice API, Switchboard ${escapeHtml(input.version)}. The same data as the OpenAPI 3.1 document at <a href="/api/v2/openapi.json">/api/v2/openapi.json</a>.</p>`,
    `<p>Every answer is JSON ${code('{"statusCode": 0, …}')}; a refusal is ${code('{"statusCode": n, "statusMessage": "…"}')}. Operation requests are POSTs of ${code('{"operationName": "…", …parameters}')}, checked in this order: body, operationName, unknown parameters, parameters, features, role, resource, state. ` +
      `Parameter names and values are case-sensitive; only operationName is matched ignoring case. Unknown parameters are ${
        input.unknownParameters === 'refuse' ? 'refused with statusCode 1, naming them and the accepted ones' : 'logged and ignored (api.unknownParameters is "warn")'
      }.</p>`,
    `<nav><ul>${nav}</ul></nav>`,
    ...tags.flatMap((t) => [`<h2 id="tag-${anchor(t)}">${escapeHtml(t)}</h2>`, ...input.routes.filter((r) => r.tag === t).map(routeSection)]),
    `<h2 id="status-codes">statusCodes</h2>`,
    table(['statusCode', 'HTTP status'], STATUS_CODES.map((c) => [String(c), String(HTTP_STATUS_BY_STATUS_CODE[c] ?? '')])),
    `<h2 id="cometd">CometD channels and notifications</h2>`,
    `<p>Handshake, connect and subscribe with Bayeux 1.0 at ${code('/api/v2/notifications')} (long-polling or websocket), with the same credentials as REST. Each delivery is ${code('{"channel": "…", "data": {"messageType": "…", …}}')}.</p>`,
    table(['channel', 'messageType', 'what it carries'], COMETD_CHANNELS.map((c) => [code(c.channel), `<a href="#schema-${anchor(c.messageType)}">${escapeHtml(c.messageType)}</a>`, escapeHtml(c.description)])),
    ...Object.entries(SCHEMAS).filter(([n]) => messages.has(n) || n === 'BayeuxMessage').map(([n, s]) => schemaSection(n, s)),
    `<h2 id="schemas">Resource shapes</h2>`,
    ...Object.entries(SCHEMAS).filter(([n]) => !messages.has(n) && n !== 'BayeuxMessage').map(([n, s]) => schemaSection(n, s)),
  ];
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><link rel="icon" href="data:,"><title>Switchboard API reference</title><style>${STYLE}</style></head><body>${body.join('\n')}</body></html>`;
}
