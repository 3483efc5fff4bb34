/**
 * The SIP endpoints: the B2BUA (work in progress: claims no leg yet, so the simulated endpoints serve all).
 */
import type { SwitchEvent } from '../../switch/model.js';
import type { AnswerOutcome, EndpointHost, Endpoints, LegKind, LegRef, Offer } from '../port.js';
import type { SipRequestHandler, SipServer } from '../../sip/server.js';
import type { RegistrarEvents } from '../../sip/registrar.js';
import type { ReceivedDigit } from '../../media/dtmf.js';
import type { SipEndpointsOptions } from './index.js';

export class SipEndpoints implements Endpoints {
  readonly name = 'sip';
  private host?: EndpointHost;
  private server?: SipServer;
  readonly handler: SipRequestHandler = { request: (transaction) => void transaction.reply(480) };
  readonly registrarEvents: RegistrarEvents = {};
  constructor(readonly options: SipEndpointsOptions) {}
  attach(host: EndpointHost): void { this.host = host; }
  attachServer(server: SipServer): void { this.server = server; }
  claims(_leg: { dn: string; kind: LegKind; contactCenterId: string }): boolean { return false; }
  deviceLoggedIn(_dn: string): void {}
  deviceLoggedOut(_dn: string): void {}
  onSwitchEvent(_event: SwitchEvent): void {}
  onDigit(_callId: string, _phoneNumber: string, _digit: ReceivedDigit): void {}
  offer(_leg: LegRef, _offer: Offer): void {}
  answer(_leg: LegRef): AnswerOutcome { return 'Answered'; }
  release(_leg: LegRef): void {}
  moveLeg(_from: LegRef, _to: LegRef): void {}
  setMedia(): void {}
  sendDtmf(): void {}
  record(): void {}
  stop(): void {}
  async close(): Promise<void> { void this.host; void this.server; }
}
