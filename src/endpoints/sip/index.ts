/**
 * The SIP endpoints (the B2BUA under the call model, spec/sip.md sections 3-5): how the app builds
 * them and wires them to the SIP server, the media engine and the switch.
 *
 * Wiring, in order (src/app does it):
 *   const sip = createSipEndpoints({ media, log, lookup, advertisedHost });
 *   const server = await SipServer.start({ ..., handler: sip.handler, events: sip.registrarEvents });
 *   sip.attachServer(server);
 *   new CallModel({ ..., endpoints: (host, simulated) => sip.install(host, simulated) });
 *   switch.onEvent(sip.onSwitchEvent);           // logins and logouts (nailed-up legs)
 *   MediaEngineOptions.onDigit -> sip.onDigit     // RFC 4733 digits received on a leg
 *   ... sip.close() before server.close() and media.close()
 *
 * Guarantees: a leg is served by SIP only when `claims` says so (a DN with a live registration, or an
 * external number on a contact center with a trunk that has a port, or the customer of a call that
 * came in over a trunk); every other leg keeps the simulated endpoints, so with no phone registered
 * the switch behaves exactly as without SIP. Nothing received over SIP or RTP can throw out of here.
 */
import type { SipSettings, SwitchEvent, TrunkSettings } from '../../switch/model.js';
import type { Clock } from '../../switch/port.js';
import { defaultSipSettings } from '../../config/defaults.js';
import type { EndpointHost, EndpointRule, EndpointSelector, Endpoints, LegKind } from '../port.js';
import { selectorOf } from '../port.js';
import type { SimulatedEndpoints } from '../simulated.js';
import type { SipRequestHandler, SipServer } from '../../sip/server.js';
import type { RegistrarEvents } from '../../sip/registrar.js';
import type { MediaEngine } from '../../media/workers.js';
import type { ReceivedDigit } from '../../media/dtmf.js';
import { SipEndpoints } from './b2bua.js';
import type { DialogJournal } from './dialog-records.js';

/** A trunk of a contact center (sip.md section 2, settings block `sip.trunks`). */
/** A trunk and the `sip` settings block of a contact center: the call model's types (one source). */
export type SipTrunk = TrunkSettings;
export type SipContactCenterSettings = SipSettings;

/** The settings of a contact center that has no `sip` block. */
export const DEFAULT_SIP_SETTINGS: SipContactCenterSettings = defaultSipSettings();

/** What the SIP endpoints need to know of provisioning. */
export interface SipEndpointLookup {
  /** the contact center and kind of a DN of this switch (undefined: not a DN here) */
  dn(number: string): { contactCenterId: string; kind: 'Extension' | 'RoutingPoint' } | undefined;
  /** the `sip` settings of a contact center (defaults when it has none) */
  settings(contactCenterId: string): SipContactCenterSettings | undefined;
  /** every contact center (to recognise a trunk whose call names an unknown number: 404, not 403) */
  contactCenterIds?(): string[];
}

export type SipEndpointLog = (level: 'info' | 'warn', message: string, fields?: Record<string, unknown>) => void;

export interface SipEndpointsOptions {
  media: MediaEngine;
  lookup: SipEndpointLookup;
  /** address written into SDP (c=) and used as our host in headers; the SIP server's advertised host */
  advertisedHost: string;
  log?: SipEndpointLog;
  /** the clock of the flood limiter and the keepalive (default the system clock) */
  clock?: Clock;
  /** INVITEs accepted per source address per second before 503 + Retry-After (config sip.invitesPerSecondPerSource, SIP_ENDPOINT_DEFAULTS) */
  invitesPerSecondPerSource?: number;
  /** how often established dialogs are probed with OPTIONS (config sip.keepaliveMs; 0 = never) */
  keepaliveMs?: number;
  /** ms a per-call or trunk INVITE may ring before it is cancelled (config sip.inviteTimeoutMs) */
  inviteTimeoutMs?: number;
  /** told of every confirmed and ended dialog (cluster nodes keep them for the next owner: dialog-records.ts) */
  dialogs?: DialogJournal;
}

export interface SipEndpointsHandle {
  /** the endpoints port implementation (effects) */
  readonly endpoints: Endpoints;
  /** the selector rule: does SIP serve this leg? */
  claims(leg: { dn: string; kind: LegKind; contactCenterId: string }): boolean;
  readonly rule: EndpointRule;
  /** the SIP server's request handler (give it to SipServer.start) */
  readonly handler: SipRequestHandler;
  /** the registrar's events (give them to SipServer.start) */
  readonly registrarEvents: RegistrarEvents;
  /** once the SIP server runs */
  attachServer(server: SipServer): void;
  /** the call model's `endpoints` option: attach the host and return the selector */
  install(host: EndpointHost, simulated: SimulatedEndpoints): EndpointSelector;
  /** a DN logged in / out (nailed-up legs); `onSwitchEvent` calls these from device events */
  deviceLoggedIn(dn: string): void;
  deviceLoggedOut(dn: string): void;
  /** the switch's event listener (device events: logins and logouts) */
  onSwitchEvent(event: SwitchEvent): void;
  /** the media engine's onDigit */
  onDigit(callId: string, phoneNumber: string, digit: ReceivedDigit): void;
  /** BYE every dialog, drop every media leg */
  close(): Promise<void>;
  /** for the metrics: SIP dialogs that are up, RTP legs open */
  activeDialogs(): number;
  mediaLegs(): number;
}

export function createSipEndpoints(options: SipEndpointsOptions): SipEndpointsHandle {
  const endpoints = new SipEndpoints(options);
  const rule: EndpointRule = { endpoints, serves: (leg) => endpoints.claims(leg) };
  return {
    endpoints,
    rule,
    claims: (leg) => endpoints.claims(leg),
    handler: endpoints.handler,
    registrarEvents: endpoints.registrarEvents,
    attachServer: (server) => endpoints.attachServer(server),
    install: (host, simulated) => {
      endpoints.attach(host);
      return selectorOf(simulated, [rule]);
    },
    deviceLoggedIn: (dn) => endpoints.deviceLoggedIn(dn),
    deviceLoggedOut: (dn) => endpoints.deviceLoggedOut(dn),
    onSwitchEvent: (event) => endpoints.onSwitchEvent(event),
    onDigit: (callId, phoneNumber, digit) => endpoints.onDigit(callId, phoneNumber, digit),
    close: () => endpoints.close(),
    activeDialogs: () => endpoints.activeDialogs,
    mediaLegs: () => endpoints.mediaLegs,
  };
}
