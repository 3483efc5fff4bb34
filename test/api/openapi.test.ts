/**
 * The API reference (GET /api/v2/openapi.json and /api/v2/docs): the document is valid OpenAPI
 * 3.1 (checked by @seriousme/openapi-schema-validator, and every schema in it compiled by Ajv's
 * JSON Schema 2020-12), readable without credentials; every route fastify registered is documented
 * and every documented route is registered; every operation of every table is in the document and
 * on the page with each of its parameters; real answers and real notifications validate against the
 * documented schemas; the page is self-contained HTML.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { CALL_OPERATIONS } from '../../src/gws/call-ops.js';
import { DEVICE_OPERATIONS, DIAL_OPERATIONS } from '../../src/gws/device-ops.js';
import { ME_OPERATIONS } from '../../src/gws/me-ops.js';
import { SYSTEM_VOICE_OPERATIONS } from '../../src/gws/voice-ops.js';
import { NOTIFICATIONS_PATH } from '../../src/gws/http.js';
import { routeCatalogue } from '../../src/gws/api-docs/catalogue.js';
import { openApiPath } from '../../src/gws/api-docs/route-doc.js';
import { routeTableOf, UNDOCUMENTED_ROUTES } from '../../src/gws/api-docs/routes.js';
import { CALL_OPERATION_NAMES } from '../../src/switch/handlers.js';
import { Api, basic } from './harness.js';

let api: Api;
let doc: any;
let published: { channel: string; data: any }[] = [];

before(async () => {
  api = await Api.start();
  api.app.bayeux.publishToUser = (_user, channel, data) => {
    published.push({ channel, data: JSON.parse(JSON.stringify(data)) });
  };
  const r = await api.app.fastify.inject({ method: 'GET', url: '/api/v2/openapi.json' });
  assert.equal(r.statusCode, 200, r.body);
  doc = JSON.parse(r.body);
});
after(() => api.close());

/** an Ajv that knows the document's components, for answers and messages */
function componentValidator() {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema({ $id: 'doc', components: doc.components }, 'doc');
  return (schema: object, value: unknown, what: string) => {
    const validate = ajv.compile({ $id: `check-${Math.random()}`, ...rebase(schema) });
    assert.ok(validate(value), `${what} does not match its schema: ${JSON.stringify(validate.errors)}\n${JSON.stringify(value).slice(0, 400)}`);
  };
}

/** '#/components/…' refs of an inline schema pointed at the 'doc' schema */
function rebase(schema: object): any {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/'));
}

const schemaOf = (path: string, method = 'get') => doc.paths[path][method].responses['200'].content['application/json'].schema;

test('the document is valid OpenAPI 3.1 and readable without credentials', async () => {
  const validator = new Validator();
  const result = await validator.validate(structuredClone(doc));
  assert.ok(result.valid, `invalid OpenAPI: ${String(JSON.stringify(result.errors)).slice(0, 2000)}`);
  assert.equal(validator.version, '3.1');
  const broken = structuredClone(doc);
  delete broken.info;
  assert.equal((await new Validator().validate(broken)).valid, false, 'the validator refuses a document without info');
  assert.equal(doc.openapi, '3.1.0');
  // every schema it holds is a valid JSON Schema 2020-12 (strict Ajv: unknown keywords are errors)
  const strict = new Ajv2020({ strict: true, strictTypes: false, strictRequired: false, allowUnionTypes: true, validateFormats: false, keywords: ['example'] });
  strict.addSchema({ $id: 'doc', $defs: {} }, 'doc-root');
  for (const [name, schema] of Object.entries(doc.components.schemas)) strict.addSchema(rebase(schema as object), `doc#/components/schemas/${name}`);
  for (const [name, schema] of Object.entries(doc.components.schemas)) {
    assert.doesNotThrow(() => strict.compile(rebase(schema as object)), `schema ${name}`);
  }
  for (const [path, item] of Object.entries<any>(doc.paths)) {
    for (const [method, operation] of Object.entries<any>(item)) {
      const body = operation.requestBody?.content['application/json']?.schema;
      if (body) assert.doesNotThrow(() => strict.compile(rebase(body)), `request body of ${method} ${path}`);
    }
  }
  assert.equal(doc.paths['/api/v2/openapi.json'].get.security.length, 0, 'the document says it is public');
  const docs = await api.app.fastify.inject({ method: 'GET', url: '/api/v2/docs' });
  assert.equal(docs.statusCode, 200);
  assert.match(String(docs.headers['content-type']), /^text\/html/);
});

test('every route fastify registered is documented, and every documented route is registered', () => {
  const table = routeTableOf(api.app.fastify);
  assert.ok(table.length > 20, `the route table was recorded (${table.length} routes)`);
  const undocumented = new Set(UNDOCUMENTED_ROUTES.map((r) => `${r.method} ${r.url}`));
  const registered = new Set(table.map((r) => `${r.method} ${r.url}`).filter((k) => !undocumented.has(k)));
  const catalogue = new Set(routeCatalogue().map((d) => `${d.method} ${d.route}`));
  const inDocument = new Set(Object.entries<any>(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`)));
  for (const route of registered) {
    assert.ok(catalogue.has(route), `route ${route} has no RouteDoc: add one to the docs file beside its module (src/gws/api-docs/route-doc.ts)`);
    const [method, url] = route.split(' ');
    assert.ok(inDocument.has(`${method} ${openApiPath(url)}`), `route ${route} is missing from openapi.json`);
  }
  for (const route of catalogue) assert.ok(registered.has(route), `RouteDoc ${route} documents a route the server does not register`);
  assert.equal(inDocument.size, registered.size, 'one documented operation per registered route');
  assert.ok(catalogue.has(`POST ${NOTIFICATIONS_PATH}`), 'the CometD path of the docs is the one http.ts serves');
});

test('every operation of every table is documented with each of its parameters, in the document and on the page', async () => {
  const page = (await api.app.fastify.inject({ method: 'GET', url: '/api/v2/docs' })).body;
  const tables: [string, Record<string, any>][] = [
    ['/api/v2/me', ME_OPERATIONS],
    ['/api/v2/me/channels/{channel}', SYSTEM_VOICE_OPERATIONS],
    ['/api/v2/me/devices/{id}', DEVICE_OPERATIONS],
    ['/api/v2/me/devices/{id}/calls', DIAL_OPERATIONS],
    ['/api/v2/me/calls/{id}', CALL_OPERATIONS],
  ];
  assert.deepEqual(Object.keys(CALL_OPERATIONS), [...CALL_OPERATION_NAMES], 'the call table follows the switch union');
  for (const [path, table] of tables) {
    const branches: any[] = doc.paths[path].post.requestBody.content['application/json'].schema.anyOf;
    for (const [name, row] of Object.entries(table)) {
      const branch = branches.find((b) => b.properties.operationName.const === name);
      assert.ok(branch, `${name} is documented on ${path}`);
      assert.equal(branch.additionalProperties, false, 'unknown parameters are refused by default, and documented so');
      const documented = Object.keys(branch.properties).sort();
      const accepted = ['operationName', ...row.params.flatMap((s: any) => [s.name, ...(s.aliases ?? [])])].sort();
      assert.deepEqual(documented, accepted, `${name}: documented parameters = accepted parameters`);
      for (const spec of row.params) {
        assert.equal(branch.required.includes(spec.name), Boolean(spec.required), `${name}.${spec.name} required`);
        if (spec.values) assert.deepEqual(branch.properties[spec.name].enum, [...spec.values], `${name}.${spec.name} values`);
        assert.ok(page.includes(`<code>${spec.name}</code>`), `the page shows ${name}.${spec.name}`);
      }
      assert.ok(page.includes(`<h4>${name}</h4>`), `the page shows ${name}`);
    }
    assert.equal(branches.filter((b) => b.properties.operationName.const !== undefined).length, Object.keys(table).length, `${path}: nothing extra documented`);
  }
});

test('the page is self-contained HTML with the CometD channels and the notification shapes', async () => {
  const r = await api.app.fastify.inject({ method: 'GET', url: '/api/v2/docs' });
  const page = r.body;
  assert.match(page, /^<!doctype html>/);
  // the one <link> is an empty inline icon (so a browser asks for no /favicon.ico)
  assert.ok(page.includes('<link rel="icon" href="data:,">'), 'an empty inline icon');
  assert.doesNotMatch(page.replace('<link rel="icon" href="data:,">', ''), /<script|<link|<img|@import|url\(/i, 'no script, stylesheet, image or font fetched');
  assert.doesNotMatch(page, /(src|href)="(https?:)?\/\//i, 'no external reference');
  for (const channel of ['/v2/me/calls', '/v2/me/devices', '/v2/me/channels']) assert.ok(page.includes(`<code>${channel}</code>`), channel);
  for (const message of ['CallStateChangeMessage', 'DeviceStateChangeMessage', 'ChannelStateChangeMessageV2']) {
    assert.ok(page.includes(`id="schema-${message}"`), `${message} shape`);
    assert.ok(doc.components.schemas[message], `${message} schema in the document`);
  }
  assert.ok(doc['x-cometd-channels'].some((c: any) => c.channel === '/v2/me/calls' && c.schema.$ref === '#/components/schemas/CallStateChangeMessage'));
});

test('real answers and real notifications match the documented schemas', async () => {
  const check = componentValidator();
  await api.startSession('agent1', true);
  await api.startSession('agent2', true);
  const device = await api.deviceOf('agent1');
  const target = await api.deviceOf('agent2');
  published = [];
  await api.ok(`/api/v2/me/devices/${device.id}/calls`, { operationName: 'Dial', destination: { phoneNumber: target.phoneNumber }, userData: { order: 7 } }, basic('agent1'));
  const calls = await api.get('/api/v2/me/calls?fields=*', basic('agent2'));
  const callId = calls.json.calls[0].id;
  await api.ok(`/api/v2/me/calls/${callId}`, { operationName: 'Answer' }, basic('agent2'));
  await api.ok(`/api/v2/me/calls/${callId}`, { operationName: 'SendDtmf', digits: '12#' }, basic('agent2'));
  await api.ok(`/api/v2/me/devices/${device.id}`, { operationName: 'ForwardCallsOn', destination: '5009' }, basic('agent1'));
  const answers: [string, string][] = [
    ['/api/v2/me?subresources=*', '/api/v2/me'],
    ['/api/v2/me/calls?fields=*', '/api/v2/me/calls'],
    [`/api/v2/me/calls/${callId}`, '/api/v2/me/calls/{id}'],
    ['/api/v2/me/devices?fields=*', '/api/v2/me/devices'],
    [`/api/v2/me/devices/${target.id}`, '/api/v2/me/devices/{id}'],
    ['/api/v2/settings/agent-states', '/api/v2/settings/{group}'],
    ['/api/v2/features', '/api/v2/features'],
    ['/api/v2/contacts', '/api/v2/contacts'],
  ];
  for (const [url, path] of answers) {
    const r = await api.get(url, basic('agent2'));
    assert.equal(r.json.statusCode, 0, url);
    check(schemaOf(path), r.json, `GET ${url}`);
  }
  const refused = await api.post(`/api/v2/me/calls/${callId}`, { operationName: 'Nope' }, basic('agent2'));
  check(doc.components.schemas.StatusError, refused.json, 'a refusal');
  const types = new Set(published.map((p) => p.data.messageType));
  for (const type of ['CallStateChangeMessage', 'DeviceStateChangeMessage']) assert.ok(types.has(type), `a ${type} was published`);
  const channels = new Map<string, string>(doc['x-cometd-channels'].map((c: any) => [c.channel, c.messageType]));
  for (const p of published) {
    assert.equal(channels.get(p.channel), p.data.messageType, `${p.channel} carries ${p.data.messageType} as documented`);
    check({ $ref: `#/components/schemas/${p.data.messageType}` }, p.data, `${p.data.messageType} on ${p.channel}`);
  }
  assert.ok(published.some((p) => p.data.notificationType === 'DtmfSent' && p.data.digits === '12#'));
});
