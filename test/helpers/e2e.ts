/**
 * End-to-end harness: the real app (HTTP, Bayeux, store, SimulatedSwitch) on an ephemeral port,
 * on a virtual clock with counting ids, driven through REST with fetch and the OFFICIAL CometD
 * client. Each user gets a handle with its device, its REST calls and its notification stream;
 * `streamOf` renders a stream with ports and generated ids normalised, for golden files.
 */
import assert from 'node:assert/strict';
import { createApp } from '../../src/app/app.js';
import type { App } from '../../src/app/app.js';
import { testConfig } from '../../src/config/load.js';
import { demoContactCenter } from '../../src/config/demo.js';
import { VirtualClock, countingIds } from '../../src/switch/clock.js';
import type { ContactCenterSettings } from '../../src/switch/model.js';
import type { ContactCenterSpec } from '../../src/store/port.js';
import { cheapHasher } from './cheap-hasher.js';
import { connectClient } from './cometd-client.js';
import type { Delivery, TestClient, TransportName } from './cometd-client.js';

export interface StartOptions {
  transport?: TransportName;
  settings?: Partial<Omit<ContactCenterSettings, 'supervision'>> & { supervision?: Partial<ContactCenterSettings['supervision']> };
  /** extra contact centers (e.g. to test cross-center isolation) */
  more?: ContactCenterSpec[];
  features?: string[];
}

export interface UserHandle {
  name: string;
  auth: string;
  dn: string;
  deviceId: string;
  client: TestClient;
  get(path: string): Promise<any>;
  post(path: string, body: unknown): Promise<any>;
  /** POST and expect statusCode 0 */
  do(path: string, body: unknown): Promise<void>;
  /** POST an operation on a call and expect statusCode 0 */
  callOp(callId: string, operationName: string, params?: Record<string, unknown>): Promise<void>;
  deviceOp(operationName: string, params?: Record<string, unknown>): Promise<any>;
  /** wait for the next notification (not yet taken) matching pred */
  next(pred: (d: Delivery) => boolean, what: string): Promise<Delivery>;
  /** wait for a CallStateChangeMessage of this call in a state */
  callEvent(callId: string, state: string, notificationType?: string): Promise<any>;
}

/** the demo contact center with the options' settings (merged over the demo's) and features */
export function demoCenterWith(opts: Pick<StartOptions, 'settings' | 'features'>): ContactCenterSpec {
  const demo = demoContactCenter();
  const settings: ContactCenterSettings = {
    ...demo.settings,
    ...(opts.settings ?? {}),
    supervision: { ...demo.settings.supervision, ...(opts.settings?.supervision ?? {}) },
  } as ContactCenterSettings;
  return { ...demo, settings, ...(opts.features ? { features: opts.features } : {}) };
}

export class E2E {
  readonly clock = new VirtualClock();
  app!: App;
  baseUrl!: string;
  readonly users = new Map<string, UserHandle>();
  private transport: TransportName = 'long-polling';

  static async start(opts: StartOptions = {}): Promise<E2E> {
    const e = new E2E();
    e.transport = opts.transport ?? 'long-polling';
    const config = testConfig({ contactCenters: [demoCenterWith(opts), ...(opts.more ?? [])] });
    e.app = await createApp(config, { clock: e.clock, ids: countingIds(), passwordHasher: cheapHasher });
    const { baseUrl } = await e.app.listen();
    e.baseUrl = baseUrl;
    return e;
  }

  async fetchJson(method: string, path: string, auth: string, body?: unknown): Promise<{ status: number; json: any }> {
    const res = await fetch(this.baseUrl + path, {
      method,
      headers: { Authorization: auth, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: await res.json() };
  }

  /** where `name`'s CometD client connects (a cluster harness puts users on different nodes) */
  notificationsUrl(_name: string): string {
    return this.baseUrl + '/api/v2/notifications';
  }

  /** GET /me, find the device, connect the official client, subscribe /v2/me/*; optionally start a session and go Ready */
  async user(name: string, opts: { session?: boolean; ready?: boolean; password?: string } = {}): Promise<UserHandle> {
    const auth = 'Basic ' + Buffer.from(`${name}:${opts.password ?? 'demo'}`).toString('base64');
    const me = await this.fetchJson('GET', '/api/v2/me?subresources=*', auth);
    assert.equal(me.json.statusCode, 0, `GET /me for ${name}: ${JSON.stringify(me.json)}`);
    const dev = me.json.user.devices?.[0];
    const client = await connectClient({ url: this.notificationsUrl(name), transport: this.transport, headers: { Authorization: auth }, name });
    await client.subscribe('/v2/me/*');
    const self = this;
    const h: UserHandle = {
      name,
      auth,
      dn: dev?.phoneNumber,
      deviceId: dev?.id,
      client,
      get: async (path) => (await self.fetchJson('GET', path, auth)).json,
      post: async (path, body) => (await self.fetchJson('POST', path, auth, body)).json,
      async do(path, body) {
        const r = await self.fetchJson('POST', path, auth, body);
        assert.equal(r.json.statusCode, 0, `${name} POST ${path} ${JSON.stringify(body)} -> ${JSON.stringify(r.json)}`);
      },
      callOp: (callId, operationName, params = {}) => h.do(`/api/v2/me/calls/${callId}`, { operationName, ...params }),
      async deviceOp(operationName, params = {}) {
        return (await self.fetchJson('POST', `/api/v2/me/devices/${h.deviceId}`, auth, { operationName, ...params })).json;
      },
      next: (pred, what) => client.events.next(pred, 5000, `${name}: ${what}`),
      async callEvent(callId, state, notificationType) {
        const d = await client.events.next(
          (x) => x.data?.messageType === 'CallStateChangeMessage' && x.data.call?.id === callId && x.data.call.state === state && (!notificationType || x.data.notificationType === notificationType),
          5000,
          `${name}: call ${callId} ${notificationType ?? ''} ${state}`,
        );
        return d.data;
      },
    };
    this.users.set(name, h);
    if (opts.session || opts.ready) {
      await h.do('/api/v2/me', { operationName: 'StartContactCenterSession', channels: ['voice'] });
      await h.next((d) => d.data?.messageType === 'DeviceStateChangeMessage' && d.data.devices[0].deviceState === 'Active', 'session active');
    }
    if (opts.ready) {
      await h.do('/api/v2/me/channels/voice', { operationName: 'Ready' });
      await h.next((d) => d.data?.messageType === 'DeviceStateChangeMessage' && d.data.devices[0].userState.state === 'Ready', 'Ready');
    }
    return h;
  }

  /** the credentials of the simulation API's requests (the admin of the contact center the test drives) */
  adminAuth = 'Basic ' + Buffer.from('admin:demo').toString('base64');

  async simCall(from: string, to: string, userData?: Record<string, unknown>): Promise<string> {
    const r = await this.fetchJson('POST', '/sim/v1/calls', this.adminAuth, { from, to, ...(userData ? { userData } : {}) });
    assert.equal(r.json.statusCode, 0, JSON.stringify(r.json));
    return r.json.callUuid;
  }

  async simHangup(callUuid: string, phoneNumber?: string): Promise<void> {
    const r = await this.fetchJson('POST', `/sim/v1/calls/${callUuid}`, this.adminAuth, { operationName: 'Hangup', ...(phoneNumber ? { phoneNumber } : {}) });
    assert.equal(r.json.statusCode, 0, JSON.stringify(r.json));
  }

  /** who hears whom, as {phoneNumber: [heard...]} */
  async media(callUuid: string): Promise<Record<string, string[]>> {
    const r = await this.fetchJson('GET', `/sim/v1/calls/${callUuid}/media`, this.adminAuth);
    assert.equal(r.json.statusCode, 0, JSON.stringify(r.json));
    return Object.fromEntries(r.json.parties.map((p: { phoneNumber: string; hears: string[] }) => [p.phoneNumber, p.hears]));
  }

  /** A user's whole notification stream so far, normalised for a golden file. */
  streamOf(name: string): string {
    const h = this.users.get(name)!;
    const ids = new Map<string, string>();
    const text = JSON.stringify(h.client.events.items, null, 1)
      .split(this.baseUrl).join('http://switchboard')
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\b[0-9a-f]{32}\b/g, (m) => {
        if (!ids.has(m)) ids.set(m, `<id${ids.size + 1}>`);
        return ids.get(m)!;
      });
    return text + '\n';
  }

  async close(): Promise<void> {
    for (const h of this.users.values()) await h.client.disconnect().catch(() => {});
    await this.app.close();
  }
}
