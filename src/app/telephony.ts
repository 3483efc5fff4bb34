/**
 * Real telephony, composed (spec/sip.md sections 1-2): the media engine (mixers, in this thread or in
 * worker threads, RTP ports from sip.rtpPorts, recordings under recordings.dir), the SIP endpoints
 * (the B2BUA of src/endpoints/sip) installed under the call model through the endpoint selector, and
 * the SIP server (UDP and TCP on sip.host:sip.port) whose registrar reads the extensions' stored HA1
 * hashes from the provisioning snapshots. Built by src/app/app.ts only when SIP is on.
 *
 * Guarantees:
 * - Nothing binds before `start()`; a port that cannot be bound rejects with a SipBindError naming the
 *   address, and leaves nothing open.
 * - The registrar's realm for an extension is its contact center's name (what the store hashed the
 *   sipPassword with); an extension without a sipPassword, a routing point or an unknown DN gets no
 *   credentials, so it cannot register.
 * - `close()` ends the SIP endpoints' dialogs, then the SIP server, then the mixers; it is idempotent.
 * - A simulated party's test tone (POST /sim/v1/calls `tone`) is a virtual speaker of the call in the
 *   mixer from the moment it is assigned until the call's media ends.
 */
import { resolve } from 'node:path';
import { createSipEndpoints } from '../endpoints/sip/index.js';
import type { SipEndpointLookup, SipEndpointsHandle, SipEndpointsOptions } from '../endpoints/sip/index.js';
import type { EndpointHost, EndpointSelector } from '../endpoints/port.js';
import type { SimulatedEndpoints } from '../endpoints/simulated.js';
import { InProcessMediaEngine, WorkerMediaEngine } from '../media/workers.js';
import type { MediaEngine, MediaEngineOptions } from '../media/workers.js';
import type { DigestAlgorithm, StoredCredentials } from '../sip/digest.js';
import type { ExtensionLookup } from '../sip/registrar.js';
import { SipServer } from '../sip/server.js';
import type { Config } from '../config/types.js';
import { SIP_ENDPOINT_DEFAULTS, sipSettingsOf } from '../config/defaults.js';
import type { ContactCenterSnapshot } from '../store/port.js';
import type { Clock } from '../switch/port.js';
import type { Metrics } from './metrics.js';
import type { TelephonySink, TelephonySource } from './telephony-metrics.js';
import type { BindingStore } from '../sip/bindings.js';
import type { SipSettings, SwitchEvent } from '../switch/model.js';
import { byeRecorded, type ByeOutcome, type DialogJournal, type SipDialogRecord } from '../endpoints/sip/dialog-records.js';

/** The SIP port could not be bound (in use, not allowed, address not on this machine). */
export class SipBindError extends Error {
  readonly code: string | undefined;
  constructor(
    readonly host: string,
    readonly port: number,
    cause: unknown,
  ) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    super(`cannot listen for SIP on ${host}:${port}${code ? ` (${code})` : ''}: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'SipBindError';
    this.code = code;
  }
}

export type TelephonyLog = (level: 'info' | 'warn', message: string, fields?: Record<string, unknown>) => void;

/** What SIP needs to know of provisioning, read from the snapshots at start-up. */
export class TelephonyDirectory implements SipEndpointLookup, ExtensionLookup {
  private readonly dns = new Map<string, { contactCenterId: string; kind: 'Extension' | 'RoutingPoint'; credentials?: StoredCredentials }>();
  private readonly sipSettings = new Map<string, SipSettings>();
  private readonly names: string[] = [];

  load(snapshot: ContactCenterSnapshot): void {
    const id = snapshot.contactCenter.id;
    this.names.push(snapshot.contactCenter.name);
    this.sipSettings.set(id, sipSettingsOf(snapshot.contactCenter.settings));
    for (const device of snapshot.devices) {
      const credentials: StoredCredentials | undefined = device.sip
        ? { realm: device.sip.realm, ha1: { MD5: device.sip.ha1Md5, 'SHA-256': device.sip.ha1Sha256 } }
        : undefined;
      this.dns.set(device.dn, { contactCenterId: id, kind: device.kind, ...(credentials ? { credentials } : {}) });
    }
  }

  dn(number: string): { contactCenterId: string; kind: 'Extension' | 'RoutingPoint' } | undefined {
    const entry = this.dns.get(number);
    return entry && { contactCenterId: entry.contactCenterId, kind: entry.kind };
  }

  settings(contactCenterId: string): SipSettings | undefined {
    return this.sipSettings.get(contactCenterId);
  }

  /** the registrar's lookup: only extensions with a stored sipPassword may register */
  lookupExtension(dn: string): StoredCredentials | undefined {
    const entry = this.dns.get(dn);
    return entry?.kind === 'Extension' ? entry.credentials : undefined;
  }

  /** the realm challenged for DNs nobody provisioned: the first contact center's name */
  get defaultRealm(): string {
    return this.names[0] ?? 'Switchboard';
  }
}

export interface TelephonyOptions {
  config: Config;
  clock: Clock;
  log: TelephonyLog;
  /** bind SIP (and RTP) to free ports instead of sip.port and sip.rtpPorts (tests) */
  ephemeralPorts?: boolean;
  userAgent?: string;
  /** told of every confirmed and ended SIP dialog (a cluster node keeps them for the next owner) */
  dialogs?: DialogJournal;
}

/** The SIP endpoints' server-wide options from the configuration (unset keys: SIP_ENDPOINT_DEFAULTS). */
export function sipEndpointOptionsOf(sip: Config['sip']): Pick<SipEndpointsOptions, 'invitesPerSecondPerSource' | 'keepaliveMs' | 'inviteTimeoutMs'> {
  return {
    invitesPerSecondPerSource: sip.invitesPerSecondPerSource ?? SIP_ENDPOINT_DEFAULTS.invitesPerSecondPerSource,
    keepaliveMs: sip.keepaliveMs ?? SIP_ENDPOINT_DEFAULTS.keepaliveMs,
    inviteTimeoutMs: sip.inviteTimeoutMs ?? SIP_ENDPOINT_DEFAULTS.inviteTimeoutMs,
  };
}

/** A wildcard listen address cannot be written into Contact or SDP: say the loopback one instead. */
function advertisable(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

export class Telephony {
  readonly directory = new TelephonyDirectory();
  readonly media: MediaEngine;
  readonly endpoints: SipEndpointsHandle;
  readonly host: string;
  readonly advertisedHost: string;
  private server?: SipServer;
  private closing?: Promise<void>;
  /** where the registrar's bindings are kept across restarts (useBindingStore) */
  private bindingStore?: BindingStore;
  /** binding writes, one after the other (a removal never overtakes the save before it) */
  private bindingWrites: Promise<void> = Promise.resolve();
  /** the metrics' sink (observeMetrics), fed by the SIP server */
  private metricsSink?: TelephonySink;
  /** calls given a test tone, for removal when their media ends */
  private readonly tonedCalls = new Set<string>();

  constructor(private readonly options: TelephonyOptions) {
    const { config } = options;
    this.host = config.sip.host ?? config.host;
    this.advertisedHost = config.sip.advertisedHost ?? advertisable(this.host);
    const mediaOptions: MediaEngineOptions = {
      ...(options.ephemeralPorts ? {} : { portRange: { ...config.sip.rtpPorts } }),
      bindAddress: this.host,
      recordingsFolder: resolve(config.recordings.dir),
      onDigit: (callId, phoneNumber, digit) => this.endpoints.onDigit(callId, phoneNumber, digit),
    };
    this.media = config.media.workers === 0 ? new InProcessMediaEngine(mediaOptions) : new WorkerMediaEngine({ ...mediaOptions, workers: config.media.workers });
    this.endpoints = createSipEndpoints({
      media: this.media,
      lookup: this.directory,
      advertisedHost: this.advertisedHost,
      log: options.log,
      clock: options.clock,
      ...sipEndpointOptionsOf(config.sip),
      ...(options.dialogs ? { dialogs: options.dialogs } : {}),
    });
  }

  /** the call model's `endpoints` option: SIP where it claims a leg, the simulated endpoints elsewhere */
  readonly install = (host: EndpointHost, simulated: SimulatedEndpoints): EndpointSelector => this.endpoints.install(host, simulated);

  /** Keep the registrar's bindings in `store` and take the live ones back at start (before start). */
  useBindingStore(store: BindingStore | undefined): void {
    this.bindingStore = store;
  }

  private writeBinding(what: string, write: () => Promise<void>): void {
    this.bindingWrites = this.bindingWrites.then(write).catch((error: unknown) => this.options.log('warn', `${what} failed`, { error: String(error) }));
  }

  /** Register the telephony's metrics in the app's registry (before start). */
  observeMetrics(metrics: Metrics): void {
    this.feedMetrics(metrics.telephony(this.metricsSource));
  }

  /** what the SIP metrics read from this telephony */
  readonly metricsSource: TelephonySource = {
    registrations: () => this.server?.registrar.registeredCount ?? 0,
    activeDialogs: () => this.endpoints.activeDialogs(),
    rtpLegs: () => this.endpoints.mediaLegs(),
    mixerStats: (reset) => this.media.stats(reset),
  };

  /** where the SIP server's answers and drops are counted (a sink registered once for several telephonies: owner-telephony.ts) */
  feedMetrics(sink: TelephonySink): void {
    this.metricsSink = sink;
  }

  /** the SIP port actually bound (after start) */
  get port(): number | undefined {
    return this.server?.port;
  }

  /** a DN has a live SIP registration */
  isRegistered(dn: string): boolean {
    return this.server?.registrar.isRegistered(dn) ?? false;
  }

  /** Binds UDP and TCP and joins the server to the SIP endpoints. */
  async start(): Promise<{ host: string; port: number }> {
    if (this.server) return { host: this.host, port: this.server.port };
    const { config, clock, log } = this.options;
    const port = this.options.ephemeralPorts ? 0 : config.sip.port;
    const store = this.bindingStore;
    const kept = store
      ? await store.liveBindings(clock.now()).catch((error: unknown) => {
          log('warn', 'reading the kept SIP registrations failed: phones register again', { error: String(error) });
          return [];
        })
      : [];
    try {
      this.server = await SipServer.start({
        host: this.host,
        port,
        advertisedHost: this.advertisedHost,
        clock,
        lookup: this.directory,
        defaultRealm: this.directory.defaultRealm,
        handler: this.endpoints.handler,
        events: this.endpoints.registrarEvents,
        log,
        digestAlgorithms: [...config.sip.digestAlgorithms] as DigestAlgorithm[],
        // INVITE with Replaces (RFC 3891) is understood, so `Require: replaces` is accepted
        supportedExtensions: ['replaces'],
        ...(store
          ? {
              bindings: {
                saved: (binding) => this.writeBinding('saving a SIP registration', () => store.saveBinding(binding)),
                removed: (dn, uri) => this.writeBinding('removing a SIP registration', () => store.deleteBinding(dn, uri)),
              },
            }
          : {}),
        observer: {
          answered: (method, status) => this.metricsSink?.answered(method, status),
          dropped: (reason) => this.metricsSink?.dropped(reason),
        },
        ...(this.options.userAgent ? { userAgent: this.options.userAgent } : {}),
      });
    } catch (error) {
      throw new SipBindError(this.host, port, error);
    }
    this.endpoints.attachServer(this.server);
    if (kept.length > 0) log('info', 'SIP registrations kept from before the restart', { restored: this.server.registrar.restore(kept), stored: kept.length });
    return { host: this.host, port: this.server.port };
  }

  /** BYE dialogs another process had (a dead owner's: dialog-records.ts) from this SIP server; after start */
  endRecordedDialogs(records: readonly SipDialogRecord[]): Promise<ByeOutcome[]> {
    if (!this.server) return Promise.reject(new Error('SIP is not started'));
    return byeRecorded(this.server, records);
  }

  /** The switch's events: logins and logouts to the SIP endpoints; the end of a toned call's media. */
  readonly onSwitchEvent = (event: SwitchEvent): void => {
    this.endpoints.onSwitchEvent(event);
    if (event.kind === 'media' && event.parties.length === 0 && this.tonedCalls.delete(event.callUuid)) {
      this.mediaCommand(this.media.execute({ type: 'removeCall', callId: event.callUuid }), 'removing a toned call');
    }
  };

  /** A simulated party of a call carries a test tone into the mixer (heard by whoever hears that party). */
  assignTone(callUuid: string, phoneNumber: string, frequencyHz: number): void {
    this.tonedCalls.add(callUuid);
    this.mediaCommand(this.media.execute({ type: 'setTone', callId: callUuid, phoneNumber, frequencyHz }), 'setting a test tone');
  }

  private mediaCommand(pending: Promise<unknown>, what: string): void {
    pending.catch((error: unknown) => this.options.log('warn', `${what} failed`, { error: String(error) }));
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.endpoints.close().catch((error: unknown) => this.options.log('warn', 'closing the SIP endpoints failed', { error: String(error) }));
      await this.server?.close();
      await this.bindingWrites;
      await this.media.close();
    })();
    return this.closing;
  }
}
