/**
 * API test harness: the real app (store ':memory:', SimulatedSwitch on a VirtualClock with counting
 * ids) driven through fastify.inject(), never a socket. `call()` returns status, headers and the
 * parsed JSON body, and asserts the GWS envelope invariants on every response: JSON content type,
 * a numeric statusCode, errors with only statusCode + statusMessage, never HTTP 500.
 */
import assert from 'node:assert/strict';
import { createApp } from '../../src/app/app.js';
import type { App } from '../../src/app/app.js';
import type { Config } from '../../src/config/types.js';
import { testConfig } from '../../src/config/load.js';
import { demoContactCenter } from '../../src/config/demo.js';
import type { ContactCenterSpec } from '../../src/store/port.js';
import { VirtualClock, countingIds } from '../../src/switch/clock.js';
import { cheapHasher } from '../helpers/cheap-hasher.js';

export const basic = (user: string, password = 'demo') => 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');

export function apiConfig(over: Partial<Config> = {}): Config {
  return testConfig({ contactCenters: [demoContactCenter()], ...over });
}

/** a second contact center, for isolation tests: user other1 (agent, 6001), othersup (supervisor, 6101), otheradmin */
export function otherCenter(): ContactCenterSpec {
  const demo = demoContactCenter();
  return {
    ...demo,
    name: 'Other',
    agentStates: [],
    users: [
      { userName: 'other1', password: 'demo', firstName: 'Other', lastName: 'One', roles: ['ROLE_AGENT'], dn: '6001' },
      { userName: 'othersup', password: 'demo', firstName: 'Other', lastName: 'Sup', roles: ['ROLE_AGENT', 'ROLE_SUPERVISOR'], dn: '6101' },
      { userName: 'otheradmin', password: 'demo', roles: ['ROLE_ADMIN'] },
    ],
    routingPoints: [{ number: '8000' }],
    agentGroups: [],
  };
}

export interface Res {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  json: any;
}

export interface CallOpts {
  auth?: string;
  cookie?: string;
  headers?: Record<string, string>;
  /** raw payload (string) instead of JSON-encoding body */
  payload?: string;
  contentType?: string;
}

export class Api {
  readonly clock = new VirtualClock();
  app!: App;

  static async start(over: Partial<Config> = {}): Promise<Api> {
    const a = new Api();
    a.app = await createApp(apiConfig(over), { clock: a.clock, ids: countingIds(), passwordHasher: cheapHasher });
    return a;
  }

  async call(method: string, url: string, body?: unknown, o: CallOpts = {}): Promise<Res> {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.auth) headers.authorization = o.auth;
    if (o.cookie) headers.cookie = o.cookie;
    let payload: string | undefined = o.payload;
    if (body !== undefined && payload === undefined) payload = JSON.stringify(body);
    if (payload !== undefined && o.contentType !== '') headers['content-type'] = o.contentType ?? 'application/json';
    const r = await this.app.fastify.inject({ method: method as any, url, headers, payload });
    assert.notEqual(r.statusCode, 500, `HTTP 500 for ${method} ${url}: ${r.body}`);
    const ct = String(r.headers['content-type'] ?? '');
    assert.match(ct, /^application\/json/, `${method} ${url}: content-type ${ct}`);
    const json = JSON.parse(r.body);
    assert.equal(typeof json.statusCode, 'number', `${method} ${url}: statusCode missing in ${r.body}`);
    if (json.statusCode !== 0) {
      assert.deepEqual(Object.keys(json).sort(), ['statusCode', 'statusMessage'], `${method} ${url}: error body ${r.body}`);
      assert.equal(typeof json.statusMessage, 'string');
    }
    return { status: r.statusCode, headers: r.headers, json };
  }

  get(url: string, auth: string, o: CallOpts = {}): Promise<Res> {
    return this.call('GET', url, undefined, { ...o, auth });
  }

  post(url: string, body: unknown, auth: string, o: CallOpts = {}): Promise<Res> {
    return this.call('POST', url, body, { ...o, auth });
  }

  /** POST and expect statusCode 0 */
  async ok(url: string, body: unknown, auth: string): Promise<any> {
    const r = await this.post(url, body, auth);
    assert.equal(r.json.statusCode, 0, `${url} ${JSON.stringify(body)} -> ${JSON.stringify(r.json)}`);
    return r.json;
  }

  async deviceOf(user: string): Promise<{ id: string; phoneNumber: string }> {
    const r = await this.get('/api/v2/me/devices?fields=*', basic(user));
    assert.equal(r.json.statusCode, 0);
    return r.json.devices[0];
  }

  async startSession(user: string, ready = false): Promise<void> {
    await this.ok('/api/v2/me', { operationName: 'StartContactCenterSession', channels: ['voice'] }, basic(user));
    if (ready) await this.ok('/api/v2/me/channels/voice', { operationName: 'Ready' }, basic(user));
  }

  /**
   * A long-polling CometD session of `user` subscribed to `subscription`, through fastify.inject:
   * for tests of messages that need a subscriber (the team notifier renders no row that no session
   * would receive). `drain()` takes what is queued (a /meta/connect answered at once), so a long
   * test stays under the session's queue cap.
   */
  async cometd(user: string, subscription: string): Promise<CometdSession> {
    const auth = basic(user);
    const send = async (path: string, messages: object[]): Promise<any[]> => {
      const r = await this.app.fastify.inject({ method: 'POST', url: `/api/v2/notifications${path}`, headers: { authorization: auth, 'content-type': 'application/json' }, payload: JSON.stringify(messages) });
      assert.equal(r.statusCode, 200, `CometD ${path} for ${user}: HTTP ${r.statusCode} ${r.body}`);
      return JSON.parse(r.body);
    };
    const [hs] = await send('/handshake', [{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] }]);
    assert.equal(hs.successful, true, `handshake for ${user}: ${JSON.stringify(hs)}`);
    const clientId: string = hs.clientId;
    const meta = async (channel: string, extra: object) => {
      const answer = await send('', [{ channel, clientId, ...extra }]);
      const reply = answer.find((m) => m.channel === channel);
      assert.equal(reply?.successful, true, `${channel} for ${user}: ${JSON.stringify(answer)}`);
      return answer;
    };
    await meta('/meta/subscribe', { subscription });
    return {
      unsubscribe: async () => void (await meta('/meta/unsubscribe', { subscription })),
      subscribe: async () => void (await meta('/meta/subscribe', { subscription })),
      drain: async () => (await meta('/meta/connect', { connectionType: 'long-polling', advice: { timeout: 0 } })).filter((m) => !String(m.channel).startsWith('/meta/')),
    };
  }

  close(): Promise<void> {
    return this.app.close();
  }
}

/** a test's CometD session (Api.cometd) */
export interface CometdSession {
  unsubscribe(): Promise<void>;
  subscribe(): Promise<void>;
  /** the deliveries queued since the last drain */
  drain(): Promise<{ channel: string; data: any }[]>;
}

/** expect a GWS error */
export function expectError(r: Res, statusCode: number, httpStatus: number, message?: RegExp): void {
  assert.equal(r.json.statusCode, statusCode, `expected statusCode ${statusCode}, got ${JSON.stringify(r.json)}`);
  assert.equal(r.status, httpStatus, `expected HTTP ${httpStatus}, got ${r.status} ${JSON.stringify(r.json)}`);
  if (message) assert.match(r.json.statusMessage, message);
}
