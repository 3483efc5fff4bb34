/**
 * REST fuzzer (issue 7 point 10): thousands of seeded requests through fastify.inject() against
 * every route the HTTP layer registered (read back from fastify, so new routes are included) and
 * every operationName each POST route accepts (read from the server's own refusal, which lists
 * them), with valid, mutated and hostile bodies, wrong types, huge strings, deep nesting, unknown
 * and repeated query parameters, wrong ids, other users' and other contact centers' ids, and bad or
 * missing credentials. Between requests the world moves: agents take simulated calls to routing
 * point 7000 and direct calls, and the virtual clock advances, so operations meet calls in many
 * states. Every response must be the GWS envelope (JSON, statusCode, errors with exactly
 * statusCode + statusMessage), never a 5xx, and must come within a bound; afterwards an
 * authenticated GET still works. FUZZ_SEED / FUZZ_COUNT vary the run; the seed is printed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InjectOptions } from 'fastify';
import { Api, basic, otherCenter } from '../api/harness.js';
import { demoContactCenter } from '../../src/config/demo.js';
import { withTimeout } from '../helpers/wait.js';
import {
  FailureLog,
  NASTY_STRINGS,
  Random,
  brief,
  encodePart,
  fuzzCount,
  fuzzSeed,
  gwsProblem,
  hostileString,
  hostileValue,
  mutateBody,
  nestedText,
  registeredRoutes,
} from './fuzz-kit.js';
import type { RegisteredRoute } from './fuzz-kit.js';

const SEED = fuzzSeed();
const COUNT = fuzzCount(5000);
/** a request that takes longer than this is a hang */
const ANSWER_BOUND_MS = 5000;
/** the world moves every this many requests */
const STIR_EVERY = 60;
/** bad credentials come from their own address, so that any per-address back-off never slows the good requests */
const BAD_AUTH_ADDRESS = '198.51.100.7';
const GOOD_ADDRESS = '127.0.0.1';

/** users whose credentials are sent; agent10 is only ever sent with wrong passwords */
const GOOD_USERS = ['agent1', 'agent2', 'agent3', 'agent4', 'supervisor1', 'supervisor2', 'admin', 'other1', 'othersup', 'otheradmin'] as const;
const VICTIM_USER = 'agent10';
const READY_AGENTS = ['agent1', 'agent2', 'agent3', 'agent4', 'other1'] as const;

/** What the fuzzer knows of the world: ids by kind, operation names by POST route, a session cookie. */
interface World {
  api: Api;
  routes: RegisteredRoute[];
  operations: Map<string, string[]>;
  ids: {
    users: string[];
    devices: string[];
    calls: string[];
    features: string[];
    voiceEnvironments: string[];
  };
  dns: string[];
  cookie: { value: string; csrf: string } | null;
}

/** Query parameters each route reads, and values worth sending them. */
const QUERY_PARAMETERS: Readonly<Record<string, readonly string[]>> = {
  '/api/v2/me': ['subresources', 'fields'],
  '/api/v2/me/devices': ['fields'],
  '/api/v2/me/calls': ['fields'],
  '/api/v2/devices': ['fields'],
  '/api/v2/contacts': ['filterParameters', 'offset', 'limit', 'order', 'roles', 'type', 'fields'],
  '/api/v2/supervision/audit': ['supervisor', 'agent', 'callUuid', 'from', 'to', 'offset', 'limit'],
};

const QUERY_VALUES: Readonly<Record<string, (random: Random, world: World) => string>> = {
  subresources: (r) => r.pick(['*', 'devices', 'calls,channels', 'features', 'settings', 'skills', 'devices,,calls', '']),
  fields: (r) => r.pick(['*', 'id', 'id,phoneNumber', 'nonexistent', '', ',,,', 'id,'.repeat(200)]),
  filterParameters: (r) => r.pick(['agent*', '*1', 'a*e*n*t', '*'.repeat(1 + r.int(30)), '*a'.repeat(1 + r.int(40)), '50*', '', 'é', '%', '\\', '(a+)+']),
  offset: (r) => r.pick(['0', '1', '5', '-1', '1.5', 'abc', '9007199254740993', '1e3', '']),
  limit: (r) => r.pick(['0', '1', '10', '1000', '1001', '-5', 'x', '']),
  order: (r) => r.pick(['Ascending', 'Descending', 'ascending', '']),
  roles: (r) => r.pick(['ROLE_AGENT', 'ROLE_SUPERVISOR,ROLE_ADMIN', 'ROLE_NOPE', '']),
  type: (r) => r.pick(['User', 'Group', 'User,Group', '']),
  supervisor: (r, w) => r.pick(['supervisor1', 'admin', 'nobody', ...w.ids.users.slice(0, 3)]),
  agent: (r, w) => r.pick(['agent1', 'other1', 'nobody', ...w.ids.users.slice(0, 3)]),
  callUuid: (r, w) => (w.ids.calls.length && r.chance(0.6) ? r.pick(w.ids.calls) : hostileString(r).slice(0, 100)),
  from: (r) => r.pick(['0', '1767258000000', '2026-01-01T09:00:00Z', 'yesterday', '-1', '1e20', '2026-13-45']),
  to: (r) => r.pick(['0', '1767258000000', '2026-01-02', 'tomorrow', '9'.repeat(30)]),
};

/** Plausible parameters for an operation, by parameter name: the fuzzer mixes them in and then mutates. */
function plausibleParameters(random: Random, world: World): Record<string, unknown> {
  const callUri = () => `http://127.0.0.1/api/v2/me/calls/${world.ids.calls.length ? random.pick(world.ids.calls) : 'none'}`;
  const table: Record<string, () => unknown> = {
    destination: () => ({ phoneNumber: random.pick(world.dns) }),
    phoneNumber: () => random.pick(world.dns),
    targetDeviceUri: () => `http://127.0.0.1/api/v2/devices/${random.pick(world.ids.devices)}`,
    supervisorMonitoringScope: () => random.pick(['Agent', 'Call', 'Nope']),
    supervisorMonitoringMode: () => random.pick(['NextCall', 'AllCalls', 'Nope']),
    userData: () => ({ key1: 'value', [random.text(5)]: random.int(100) }),
    digits: () => random.pick(['1', '123#', '*9', 'abc', '']),
    participant: () => random.pick(world.dns),
    key: () => random.pick(['key1', '__proto__', '']),
    consultCallUri: callUri,
    otherCallUri: callUri,
    reason: () => random.pick(['Break', 'Lunch', '', 'x'.repeat(300)]),
    workMode: () => random.pick(['ManualIn', 'AutoIn', 'Other']),
    wrapUpTime: () => random.pick([0, 5, -1, 1e9, '10']),
    channels: () => random.pick([['voice'], ['chat'], [], 'voice']),
    from: () => random.pick(['+15551234567', '+15550000001', '']),
    to: () => random.pick(['7000', '8000', ...world.dns]),
  };
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(table)) if (random.chance(0.25)) out[name] = table[name]();
  return out;
}

function authHeaders(random: Random, world: World): { headers: Record<string, string>; remoteAddress: string; label: string } {
  const good = (user: string) => ({ headers: { authorization: basic(user) }, remoteAddress: GOOD_ADDRESS, label: user });
  const bad = (headers: Record<string, string>, label: string) => ({ headers, remoteAddress: BAD_AUTH_ADDRESS, label });
  return random.weighted<() => ReturnType<typeof authHeaders>>([
    [40, () => good(random.pick(GOOD_USERS))],
    [3, () => bad({}, 'no credentials')],
    [1, () => bad({ authorization: basic(VICTIM_USER, 'wrong') }, 'wrong password')],
    [1, () => bad({ authorization: basic(`nobody${random.int(5)}`) }, 'unknown user')],
    [2, () => bad({ authorization: random.pick(['Basic', 'Basic ', 'Basic !!!!', 'Bearer x', 'Basic ' + Buffer.from('nocolon').toString('base64'), 'Basic ' + 'A'.repeat(5000), 'basic YWdlbnQxOmRlbW8=']) }, 'malformed Authorization')],
    [2, () => bad({ cookie: `JSESSIONID=${random.text(32, '0123456789abcdef')}` }, 'unknown cookie')],
    [1, () => bad({ cookie: random.pick(['JSESSIONID=', 'JSESSIONID', '=;=;', 'JSESSIONID=a; JSESSIONID=b', ';'.repeat(500)]) }, 'malformed cookie')],
    [3, () => (world.cookie ? { headers: { cookie: `JSESSIONID=${world.cookie.value}`, ...(random.chance(0.5) ? { 'x-csrf-token': random.chance(0.7) ? world.cookie.csrf : 'forged' } : {}) }, remoteAddress: GOOD_ADDRESS, label: 'cookie' } : good('agent1'))],
  ])();
}

function pathValue(random: Random, world: World, parameter: string, url: string): string {
  const byKind: Record<string, string[]> = {
    id: url.includes('/calls') ? world.ids.calls : url.includes('/users') ? world.ids.users : url.includes('/features') ? world.ids.features : url.includes('/voice-environments') ? world.ids.voiceEnvironments : url.includes('/contacts') ? world.ids.users : world.ids.devices,
    callUuid: world.ids.calls,
    channel: ['voice', 'chat', 'Voice'],
    group: ['agent-states', 'other'],
  };
  const known = byKind[parameter] ?? [];
  return random.weighted<() => string>([
    [6, () => (known.length ? random.pick(known) : 'none')],
    [1, () => random.pick(world.ids.devices.concat(world.ids.users, world.ids.calls))],
    [2, () => encodePart(random.pick(NASTY_STRINGS)) || 'x'],
    [1, () => encodePart(hostileString(random).slice(0, random.chance(0.9) ? 64 : 5000)) || 'x'],
    [1, () => random.pick(['%', '%zz', '%00', '%2F', '..', '%C0%AF', '%ED%A0%80'])],
  ])();
}

function queryString(random: Random, world: World, url: string): string {
  const known = QUERY_PARAMETERS[url] ?? [];
  const parts: string[] = [];
  for (const name of known) {
    if (!random.chance(0.35)) continue;
    const value = random.chance(0.85) ? QUERY_VALUES[name](random, world) : hostileString(random).slice(0, 3000);
    parts.push(`${name}=${encodePart(value)}`);
    if (random.chance(0.1)) parts.push(`${name}=${encodePart(value)}`);
  }
  if (random.chance(0.15)) parts.push(`${encodePart(random.pick(NASTY_STRINGS)) || 'x'}=${encodePart(hostileString(random).slice(0, 200))}`);
  if (random.chance(0.03)) parts.push(random.pick(['&&&', '=', '%', 'a=%zz', 'a[b]=1', '__proto__[x]=1', 'a='.repeat(2000)]));
  return parts.length ? `?${parts.join('&')}` : '';
}

interface Body {
  payload?: string;
  contentType?: string;
}

function body(random: Random, world: World, route: RegisteredRoute): Body {
  const names = world.operations.get(route.url) ?? [];
  const valid = (): Record<string, unknown> => ({
    ...(names.length ? { operationName: random.chance(0.93) ? random.pick(names) : random.pick([random.pick(names).toLowerCase(), 'NoSuchOperation', '']) } : {}),
    ...plausibleParameters(random, world),
  });
  const json = (value: unknown): Body => ({ payload: JSON.stringify(value) ?? 'null', contentType: 'application/json' });
  return random.weighted<() => Body>([
    [45, () => json(valid())],
    [25, () => json(mutateBody(random, valid()))],
    [4, () => json(hostileValue(random))],
    [2, () => ({ payload: nestedText(100 + random.int(20_000), random.chance(0.5) ? 'array' : 'object'), contentType: 'application/json' })],
    [2, () => ({ payload: JSON.stringify({ ...valid(), userData: { big: 'x'.repeat(60_000 + random.int(20_000)) } }), contentType: 'application/json' })],
    [2, () => ({ payload: random.pick(['{', '{"operationName":', '[1,2', 'nul', '{"a":1}}', '\u0000', '\ufeff{}', '{"operationName":"Ready"} trailing', '  ']), contentType: 'application/json' })],
    [2, () => ({ payload: JSON.stringify(valid()), contentType: random.pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'application/jsonx', 'APPLICATION/JSON', ';', 'application/json, text/html']) })],
    [2, () => ({ payload: JSON.stringify(valid()) })],
    [3, () => ({})],
  ])();
}

const METHODS_OFF_ROUTE = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'] as const;

/** One request of the fuzz, from its case number alone (plus what the world knows). */
function generate(index: number, world: World): { options: InjectOptions; label: string } {
  const random = Random.forCase(SEED, 'rest', index);
  const route = random.pick(world.routes);
  const method = random.chance(0.93) ? route.method : random.pick(METHODS_OFF_ROUTE);
  let path = route.url === '*' ? random.pick(['/', '/api/v2/me', '/api/v2/nowhere', '/api/v2/notifications', '/sim/v1/calls']) : route.url.replace(/:(\w+)/g, (_, parameter: string) => pathValue(random, world, parameter, route.url)).replace(/\*$/, () => random.pick(['', 'x', 'a/b/c', '%2e%2e']));
  if (random.chance(0.03)) path = random.pick([path + '/', path + '//', path + '/extra', path.toUpperCase(), path + '/..', path.replace('/api/v2', '/api/v1')]);
  const url = path + queryString(random, world, route.url);
  const auth = authHeaders(random, world);
  const headers: Record<string, string> = { ...auth.headers };
  const b = method === 'GET' || method === 'HEAD' ? (random.chance(0.05) ? body(random, world, route) : {}) : body(random, world, route);
  if (b.contentType) headers['content-type'] = b.contentType;
  if (random.chance(0.05)) headers.origin = random.pick(['http://evil.example', 'null', 'http://127.0.0.1:3000']);
  if (random.chance(0.03)) headers['x-request-id'] = random.pick(['abc', 'x'.repeat(100), '\u00e9', 'a b']);
  if (random.chance(0.02)) headers.accept = random.pick(['text/html', '*/*', 'application/xml']);
  return {
    options: { method: method as InjectOptions['method'], url, headers, payload: b.payload, remoteAddress: auth.remoteAddress },
    label: `case ${index}: ${method} ${brief(url, 200)} as ${auth.label}${b.payload !== undefined ? ` body ${brief(b.payload, 300)}` : ''}${b.contentType ? ` (${b.contentType})` : ''}`,
  };
}

/** The operation names a POST route accepts, from the refusal of an unknown one ("valid operations are A, B"). */
async function operationNames(api: Api, url: string): Promise<string[]> {
  const r = await api.app.fastify.inject({ method: 'POST', url, headers: { authorization: basic('admin'), 'content-type': 'application/json' }, payload: '{"operationName":"NoSuchOperation"}' });
  const message = String(JSON.parse(r.body).statusMessage ?? '');
  const m = /valid operations are (.+)$/.exec(message);
  return m ? m[1].split(',').map((s) => s.trim()).filter(Boolean) : [];
}

async function discover(api: Api): Promise<World> {
  const routes = registeredRoutes(api.app.fastify).filter((r) => !r.url.startsWith('/api/v2/notifications'));
  const world: World = { api, routes, operations: new Map(), ids: { users: [], devices: [], calls: [], features: [], voiceEnvironments: [] }, dns: [], cookie: null };
  for (const user of GOOD_USERS) {
    const me = await api.get('/api/v2/me?subresources=*', basic(user));
    assert.equal(me.json.statusCode, 0, `GET /me as ${user}`);
    world.ids.users.push(me.json.user.id);
    for (const device of me.json.user.devices ?? []) {
      world.ids.devices.push(device.id);
      world.dns.push(device.phoneNumber);
      world.ids.voiceEnvironments.push(String(device.voiceEnvironmentUri).split('/').pop()!);
    }
    for (const feature of me.json.user.features ?? []) world.ids.features.push(feature.id);
  }
  world.dns.push('7000', '8000', '+15551234567', '0', '');
  world.ids.features = [...new Set(world.ids.features)];
  world.ids.voiceEnvironments = [...new Set(world.ids.voiceEnvironments)];
  // operation names: one probe per POST route, with a path made of known ids
  for (const route of routes.filter((r) => r.method === 'POST')) {
    const url = route.url.replace(/:(\w+)/g, (_, parameter: string) => (parameter === 'channel' ? 'voice' : world.ids.devices[0]));
    world.operations.set(route.url, await operationNames(api, url));
  }
  // a cookie session of agent1, with its CSRF token
  const login = await api.app.fastify.inject({ method: 'GET', url: '/api/v2/me', headers: { authorization: basic('agent1') } });
  const cookie = /JSESSIONID=([^;]+)/.exec(String(login.headers['set-cookie'] ?? ''));
  if (cookie) world.cookie = { value: cookie[1], csrf: String(login.headers['x-csrf-token']) };
  // agents at work, supervisors logged in
  for (const agent of READY_AGENTS) await api.startSession(agent, true);
  await api.startSession('supervisor1');
  await api.startSession('othersup');
  return world;
}

/** Move the world: a new simulated call now and then, time passes, and the call ids are refreshed. */
async function stir(world: World, step: number): Promise<void> {
  const random = Random.forCase(SEED, 'stir', step);
  const { api } = world;
  const admin = random.chance(0.8) ? 'admin' : 'otheradmin';
  const to = admin === 'admin' ? random.pick(['7000', '7000', '5001', '5002', '5003']) : '8000';
  await api.app.fastify.inject({ method: 'POST', url: '/sim/v1/calls', headers: { authorization: basic(admin), 'content-type': 'application/json' }, payload: JSON.stringify({ from: `+1555000${random.int(9000) + 1000}`, to }) });
  api.clock.advance(random.int(20_000));
  const calls = new Set<string>();
  for (const user of [...READY_AGENTS, 'supervisor1']) {
    const r = await api.get('/api/v2/me/calls', basic(user));
    for (const call of r.json.calls ?? []) calls.add(call.id);
  }
  // keep the old ids too (released calls are "wrong ids" worth sending), bounded
  world.ids.calls = [...calls, ...world.ids.calls.filter((id) => !calls.has(id))].slice(0, 40);
  // agents that the fuzz logged out or made NotReady come back now and then
  if (random.chance(0.3)) {
    const agent = random.pick(READY_AGENTS);
    await api.post('/api/v2/me', { operationName: 'StartContactCenterSession', channels: ['voice'] }, basic(agent));
    await api.post('/api/v2/me/channels/voice', { operationName: 'Ready' }, basic(agent));
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** inject() resolves dot segments before the server sees a URL (/readyz/.. reaches it as /) */
function resolvedPath(url: string): string {
  try {
    return new URL(url, 'http://fuzz.invalid').pathname;
  } catch {
    return url;
  }
}

/** GET /api/v2/openapi.json and /api/v2/docs (with a query or a trailing slash) */
const API_REFERENCE_PATH = /^\/api\/v2\/(?:openapi\.json|docs)\/?(?:[?#]|$)/;

/** The web console's pages and assets (src/gws/routes/console.ts): HTML, CSS and JS when served. */
/** The Prometheus scrape path, as requested or once its dot segments are resolved. */
const METRICS_PATH_PATTERN = /^\/metrics(?:[?#]|$)/;
const CONSOLE_PATH = /^\/(?:console(?:[/?#]|$)|(?:[?#]|$))/;

/**
 * What is wrong with an answer, by where the request went: the GWS API (and /sim/v1) answers the
 * envelope; the console serves its files, and any refusal of its is JSON (a console not built is a
 * deliberate 503 in JSON); elsewhere (health probes such as /readyz) JSON without 5xx, not
 * necessarily the envelope.
 */
function problemOf(url: string, method: string, status: number, contentType: string, body: string): string {
  // the API reference (src/gws/api-docs/routes.ts): an OpenAPI document and an HTML page, not envelopes
  if (API_REFERENCE_PATH.test(url) && status === 200) return '';
  // GET /metrics (src/gws/routes/health.ts): the Prometheus text exposition when served; refusals stay JSON
  if (METRICS_PATH_PATTERN.test(resolvedPath(url)) && status === 200 && /^text\/plain/.test(contentType)) return '';
  if (/^\/(api\/v2|sim\/v1)\//.test(url)) return gwsProblem(status, contentType, body, method);
  const json = method === 'HEAD' || isJson(body);
  if (CONSOLE_PATH.test(url) || CONSOLE_PATH.test(resolvedPath(url))) {
    if (status >= 500 && !(status === 503 && json)) return `HTTP ${status}`;
    return status >= 400 && !json ? `refusal is not JSON (HTTP ${status})` : '';
  }
  if (status >= 500) return `HTTP ${status}`;
  return json ? '' : `body is not JSON (HTTP ${status})`;
}

test(`REST fuzz: ${COUNT} seeded requests over every route and operation (FUZZ_SEED=${SEED})`, async () => {
  console.log(`# rest fuzz: FUZZ_SEED=${SEED} FUZZ_COUNT=${COUNT}`);
  const api = await Api.start({ contactCenters: [demoContactCenter(), otherCenter()] });
  const failures = new FailureLog('REST fuzz', SEED);
  try {
    const world = await discover(api);
    assert.ok(world.routes.length >= 20, `expected the GWS routes, found ${world.routes.length}`);
    // POST routes that take no operationName (e.g. POST /sim/v1/calls) are fuzzed with plausible parameters only
    const withOperations = [...world.operations].filter(([, names]) => names.length > 0);
    assert.ok(withOperations.length >= 6, `operation names found for only ${withOperations.map(([url]) => url).join(', ')}`);
    console.log(`# rest fuzz: ${world.routes.length} routes; operations: ${withOperations.map(([url, names]) => `${url} ${names.length}`).join(', ')}`);
    const statuses = new Map<number, number>();
    for (let index = 0; index < COUNT; index++) {
      if (index % STIR_EVERY === 0) await stir(world, index / STIR_EVERY);
      const { options, label } = generate(index, world);
      const routeKind = `${options.method} ${world.routes.find((r) => new RegExp(`^${r.url.replace(/:\w+/g, '[^/]+').replace(/\*$/, '.*')}/?$`).test(String(options.url).split('?')[0]))?.url ?? '(other path)'}`;
      let response;
      try {
        response = await withTimeout(api.app.fastify.inject(options), ANSWER_BOUND_MS, label);
      } catch (err) {
        const message = (err as Error).message;
        failures.add(`${routeKind}: ${/timed out/.test(message) ? 'no answer (hang)' : `inject failed: ${message.slice(0, 80)}`}`, label);
        continue;
      }
      statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
      const problem = problemOf(String(options.url), String(options.method), response.statusCode, String(response.headers['content-type'] ?? ''), response.body);
      if (problem) failures.add(`${routeKind}: ${problem}`, `${label} -> ${brief(response.body, 300)}`);
    }
    console.log(`# rest fuzz: HTTP statuses ${[...statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`).join(' ')}`);
    // alive and serving
    const after = await api.get('/api/v2/me?subresources=*', basic('agent1'));
    assert.equal(after.status, 200);
    assert.equal(after.json.statusCode, 0);
    failures.assertNone();
  } finally {
    await api.close();
  }
});
