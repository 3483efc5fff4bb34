/**
 * Test rig for the B2BUA: a Switchboard SipServer on a free loopback port with the SIP endpoints
 * installed under a call model (the contract Harness, virtual switch clock), an in-process mixer,
 * and in-process fake SIP phones. A fake phone is another SipServer on its own free port (real SIP
 * over UDP: REGISTER with digest, INVITE/BYE/re-INVITE/REFER, answering INVITEs with SDP) plus one
 * UDP socket for its RTP. Everything a phone sees is logged as lines, and `waitFor` waits for a
 * condition with a timeout that fails loudly.
 *
 * Guarantees: free ports only; `close()` ends every phone, the endpoints, the server and the mixer.
 */
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../../src/switch/clock.js';
import { SipServer, type InviteResult } from '../../src/sip/server.js';
import type { ServerTransaction } from '../../src/sip/transaction.js';
import type { Dialog } from '../../src/sip/dialog.js';
import { getHeader, type SipHeader, type SipRequest, type SipResponse } from '../../src/sip/message.js';
import type { DialogJournal } from '../../src/endpoints/sip/dialog-records.js';
import { ha1 } from '../../src/sip/digest.js';
import { InProcessMediaEngine, type MediaEngine } from '../../src/media/workers.js';
import { createSipEndpoints, DEFAULT_SIP_SETTINGS, type SipContactCenterSettings, type SipEndpointsHandle } from '../../src/endpoints/sip/index.js';
import type { SipRequestHandler } from '../../src/sip/server.js';
import { Harness, defaultSettings, AGENTS, SUPERVISORS } from '../helpers/switch-harness.js';
import { withTimeout } from '../helpers/wait.js';
import type { ContactCenterSettings } from '../../src/switch/model.js';

export const REALM = 'cc1';
export const PASSWORD = 'demo';
const FAST_TIMERS = { t1: 50, t2: 400, t4: 500 };

/** Wait until `condition` holds (checked every 10 ms); fail with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, condition: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = condition();
    if (value) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function sdpOf(port: number, options: { codecs?: number[]; direction?: string } = {}): Buffer {
  const codecs = options.codecs ?? [0, 8];
  const names: Record<number, string> = { 0: 'PCMU', 8: 'PCMA' };
  return Buffer.from(
    [
      'v=0',
      `o=phone 1 ${Date.now() % 100000} IN IP4 127.0.0.1`,
      's=phone',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      `m=audio ${port} RTP/AVP ${[...codecs, 101].join(' ')}`,
      ...codecs.map((c) => `a=rtpmap:${c} ${names[c]}/8000`),
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-16',
      'a=ptime:20',
      `a=${options.direction ?? 'sendrecv'}`,
      '',
    ].join('\r\n'),
  );
}

/** How a fake phone calls: with digest credentials (default), its SDP, a delayed offer answered in the ACK, another Request-URI or From. */
export interface CallOptions {
  credentials?: boolean;
  sdp?: Buffer;
  /** an INVITE without SDP: the ACK answers the 200's offer */
  delayedOffer?: boolean;
  /** with delayedOffer, what the ACK carries instead of the phone's SDP */
  ackAnswer?: Buffer;
  /** the INVITE's Request-URI as a tel: URI (tel:<number>), as some trunks send, instead of sip:<number>@host */
  telUri?: boolean;
  /** the INVITE's Request-URI as written (sip:5-001@host;user=phone), instead of sip:<number>@host */
  requestUri?: string;
  /** the INVITE's From URI as written (<tel:+15550100>), instead of <sip:<user>@127.0.0.1> */
  from?: string;
  /** the INVITE's Max-Forwards (default 70) */
  maxForwards?: number;
}

export interface PhoneOptions {
  /** answer INVITEs with 200 at once (default true); false: ring (180) and wait */
  autoAnswer?: boolean;
  /** answer new INVITEs with this status instead (486, 603...) */
  refuseWith?: number;
  /** advertise Allow-Events: talk in the 180 and answer a NOTIFY talk by picking up */
  talk?: boolean;
  codecs?: number[];
  /** claim to be this user in From (a trunk customer), defaults to the DN */
  user?: string;
}

export class FakePhone {
  readonly log: string[] = [];
  /** every request the phone received, oldest first */
  readonly requests: SipRequest[] = [];
  /** dialogs the phone has, newest last */
  readonly dialogs: Dialog[] = [];
  readonly ringing: ServerTransaction[] = [];
  /** RTP packets received on the phone's media socket */
  rtpPackets = 0;
  lastRtpSource?: { address: string; port: number };
  lastInviteHeaders: SipHeader[] = [];
  lastInviteUri = '';
  /** the SDP of the 200 to the phone's last delayed-offer INVITE (our offer) */
  offerInOk = '';

  private constructor(
    readonly dn: string,
    readonly server: SipServer,
    readonly rtp: dgram.Socket,
    readonly switchboardPort: number,
    readonly options: PhoneOptions,
  ) {
    rtp.on('message', (_message, source) => {
      this.rtpPackets++;
      this.lastRtpSource = { address: source.address, port: source.port };
    });
  }

  static async start(dn: string, switchboardPort: number, options: PhoneOptions = {}): Promise<FakePhone> {
    const rtp = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => rtp.bind(0, '127.0.0.1', () => resolve()));
    let phone: FakePhone | undefined;
    const handler: SipRequestHandler = { request: (transaction) => phone!.onRequest(transaction) };
    const server = await SipServer.start({
      host: '127.0.0.1',
      port: 0,
      clock: systemClock,
      defaultRealm: 'phone',
      lookup: { lookupExtension: () => undefined },
      handler,
      timers: FAST_TIMERS,
    });
    phone = new FakePhone(dn, server, rtp, switchboardPort, options);
    return phone;
  }

  get rtpPort(): number {
    return (this.rtp.address() as AddressInfo).port;
  }

  get sipPort(): number {
    return this.server.port;
  }

  private get switchboardUri(): string {
    return `sip:127.0.0.1:${this.switchboardPort}`;
  }

  /** REGISTER as the DN; `contact` replaces the phone's own Contact (written as given) */
  async register(password = PASSWORD, expires = 300, contact?: string): Promise<number> {
    const aor = `<sip:${this.dn}@127.0.0.1>`;
    const { response } = await this.server.request({
      method: 'REGISTER',
      uri: this.switchboardUri,
      to: aor,
      from: aor,
      headers: [{ name: 'Expires', value: String(expires) }],
      credentials: { username: this.dn, password },
      ...(contact !== undefined ? { contact } : {}),
    });
    return response.status;
  }

  /**
   * Dial a number from the phone (digest as the DN), or as a customer without credentials. With
   * `delayedOffer` the INVITE has no SDP and the ACK answers the 200's offer (in the phone's codecs).
   */
  call(number: string, options: CallOptions = {}): Promise<InviteResult> {
    const user = this.options.user ?? this.dn;
    const answer = (response: SipResponse) => {
      this.offerInOk = response.body.toString();
      return options.ackAnswer ?? sdpOf(this.rtpPort, { codecs: this.options.codecs });
    };
    const requestUri = options.requestUri ?? (options.telUri ? `tel:${number}` : undefined);
    return this.server.request({
      method: 'INVITE',
      ...(requestUri !== undefined
        ? { uri: requestUri, destination: { transport: 'udp' as const, address: '127.0.0.1', port: this.switchboardPort } }
        : { uri: `sip:${number}@127.0.0.1:${this.switchboardPort}` }),
      from: `<${options.from ?? `sip:${user}@127.0.0.1`}>`,
      ...(options.maxForwards !== undefined ? { maxForwards: options.maxForwards } : {}),
      ...(options.delayedOffer
        ? { ackBody: answer }
        : { headers: [{ name: 'Content-Type', value: 'application/sdp' }], body: options.sdp ?? sdpOf(this.rtpPort, { codecs: this.options.codecs }) }),
      ...(options.credentials === false ? {} : { credentials: { username: this.dn, password: PASSWORD } }),
      provisional: (response) => this.log.push(`provisional ${response.status}`),
    });
  }

  hold(dialog: Dialog, direction = 'sendonly') {
    return this.server.requestInDialog(dialog, 'INVITE', {
      headers: [{ name: 'Content-Type', value: 'application/sdp' }],
      body: sdpOf(this.rtpPort, { codecs: this.options.codecs, direction }),
    });
  }

  hangUp(dialog: Dialog) {
    return this.server.requestInDialog(dialog, 'BYE');
  }

  refer(dialog: Dialog, referTo: string) {
    return this.server.requestInDialog(dialog, 'REFER', { headers: [{ name: 'Refer-To', value: referTo }] });
  }

  /** Send RFC 4733 events for one digit to `destination` (start, then three end packets). */
  sendDigit(digit: number, destination: { address: string; port: number }): void {
    const ssrc = 0x1234abcd;
    const timestamp = 8000;
    for (let index = 0; index < 6; index++) {
      const packet = Buffer.alloc(16);
      packet[0] = 0x80;
      packet[1] = 101 | (index === 0 ? 0x80 : 0);
      packet.writeUInt16BE(100 + index, 2);
      packet.writeUInt32BE(timestamp, 4);
      packet.writeUInt32BE(ssrc, 8);
      packet[12] = digit;
      packet[13] = (index >= 3 ? 0x80 : 0) | 10;
      packet.writeUInt16BE(160 * (index + 1), 14);
      this.rtp.send(packet, destination.port, destination.address);
    }
  }

  /** The media address Switchboard gave this phone in its newest SDP. */
  switchboardMedia?: { address: string; port: number };

  private onRequest(transaction: ServerTransaction): void {
    const request = transaction.request;
    this.log.push(`${request.method}`);
    this.requests.push(request);
    const hasTag = /;\s*tag=/i.test(getHeader(request, 'To') ?? '');
    this.noteSdp(request.body);
    if (request.method === 'INVITE' && !hasTag) {
      this.lastInviteHeaders = request.headers;
      this.lastInviteUri = request.uri;
      if (this.options.refuseWith) {
        transaction.reply(this.options.refuseWith);
        return;
      }
      if (this.options.autoAnswer === false || this.options.talk) {
        transaction.reply(180, {
          headers: [
            { name: 'Contact', value: this.server.contact(this.dn) },
            ...(this.options.talk ? [{ name: 'Allow-Events', value: 'talk, hold' }] : []),
          ],
        });
        this.ringing.push(transaction);
        return;
      }
      this.pickUp(transaction);
      return;
    }
    if (request.method === 'INVITE') {
      transaction.reply(200, {
        headers: [
          { name: 'Contact', value: this.server.contact(this.dn) },
          { name: 'Content-Type', value: 'application/sdp' },
        ],
        body: sdpOf(this.rtpPort, { codecs: this.options.codecs }),
      });
      return;
    }
    if (request.method === 'NOTIFY' && /talk/i.test(getHeader(request, 'Event') ?? '')) {
      transaction.reply(200);
      const ringing = this.ringing.shift();
      if (ringing) this.pickUp(ringing);
      return;
    }
    if (request.method === 'BYE') {
      const callId = getHeader(request, 'Call-ID');
      const index = this.dialogs.findIndex((d) => d.callId === callId);
      if (index >= 0) this.dialogs.splice(index, 1);
    }
    transaction.reply(200);
  }

  /** Answer a ringing INVITE with 200 and our SDP. */
  pickUp(transaction: ServerTransaction): void {
    const dialog = this.server.acceptInvite(transaction, {
      contactUser: this.dn,
      body: sdpOf(this.rtpPort, { codecs: this.options.codecs }),
    });
    if (dialog) this.dialogs.push(dialog);
  }

  private noteSdp(body: Buffer): void {
    const text = body.toString('utf8');
    const port = /m=audio (\d+)/.exec(text);
    const address = /c=IN IP4 ([0-9.]+)/.exec(text);
    if (port && address) this.switchboardMedia = { address: address[1]!, port: Number(port[1]) };
  }

  count(line: string): number {
    return this.log.filter((l) => l === line).length;
  }

  async close(): Promise<void> {
    await this.server.close();
    await new Promise<void>((resolve) => this.rtp.close(() => resolve()));
  }
}

export interface RigOptions {
  sip?: Partial<SipContactCenterSettings>;
  settings?: Partial<ContactCenterSettings>;
  invitesPerSecondPerSource?: number;
  keepaliveMs?: number;
  /** the SIP endpoints' dialog journal (dialog-records.ts) */
  dialogs?: DialogJournal;
}

/**
 * A rig with the `loopback` trunk, agent 5001's phone registered, 5001 and 5002 logged in and Ready,
 * and a customer's phone (+15551234) that calls in over the trunk; `body` runs, then all is closed.
 */
export async function withTrunkCustomer(body: (s: { rig: Rig; agent: FakePhone; customer: FakePhone }) => Promise<void>, customerCodecs?: number[]): Promise<void> {
  const rig = await Rig.start({ sip: { trunks: [{ name: 'loopback', host: '127.0.0.1' }] } });
  const agent = await rig.phone('5001');
  const customer = await rig.phone('cust', { user: '+15551234', ...(customerCodecs ? { codecs: customerCodecs } : {}) });
  try {
    if ((await agent.register()) !== 200) throw new Error("5001's phone did not register");
    rig.h.loginReady('5001', '5002');
    rig.h.take();
    await body({ rig, agent, customer });
  } finally {
    await rig.close(agent, customer);
  }
}

/** Switchboard: a SipServer with the SIP endpoints under a call model (the contract Harness). */
export class Rig {
  readonly logs: string[] = [];
  digits: string[] = [];
  private constructor(
    readonly server: SipServer,
    readonly media: InProcessMediaEngine,
    readonly sip: SipEndpointsHandle,
    readonly h: Harness,
    private readonly delegate: { current?: SipEndpointsHandle },
  ) {}

  static async start(options: RigOptions = {}): Promise<Rig> {
    const sipSettings: SipContactCenterSettings = { ...DEFAULT_SIP_SETTINGS, ...options.sip };
    const delegate: { current?: SipEndpointsHandle } = {};
    let rig: Rig | undefined;
    const media = new InProcessMediaEngine({ onDigit: (callId, phoneNumber, digit) => delegate.current?.onDigit(callId, phoneNumber, digit) });
    const dns = [...AGENTS, ...SUPERVISORS];
    const server = await SipServer.start({
      host: '127.0.0.1',
      port: 0,
      clock: systemClock,
      defaultRealm: REALM,
      digestAlgorithms: ['MD5'],
      timers: FAST_TIMERS,
      supportedExtensions: ['replaces'],
      lookup: {
        lookupExtension: (dn) =>
          dns.includes(dn) ? { realm: REALM, ha1: { MD5: ha1('MD5', dn, REALM, PASSWORD), 'SHA-256': ha1('SHA-256', dn, REALM, PASSWORD) } } : undefined,
      },
      handler: {
        request: (transaction, s) => delegate.current?.handler.request(transaction, s),
        ack: (request, source) => delegate.current?.handler.ack?.(request, source),
        cancelled: (invite, cancel) => delegate.current?.handler.cancelled?.(invite, cancel),
        ackTimeout: (invite) => delegate.current?.handler.ackTimeout?.(invite),
      },
      events: {
        registered: (dn) => delegate.current?.registrarEvents.registered?.(dn),
        unregistered: (dn) => delegate.current?.registrarEvents.unregistered?.(dn),
      },
    });
    const h = Rig.harness(server, media, delegate, sipSettings, options, (line) => rig?.logs.push(line));
    rig = new Rig(server, media, delegate.current!, h, delegate);
    return rig;
  }

  /** The mixer refuses every new RTP leg of `phoneNumber` from now on, as when the port range is used up. */
  refuseLegsOf(phoneNumber: string): void {
    const execute = this.media.execute.bind(this.media);
    this.media.execute = ((command: Parameters<typeof execute>[0]) =>
      command.type === 'addLeg' && command.phoneNumber === phoneNumber ? Promise.reject(new Error('no free RTP port in the configured range')) : execute(command)) as typeof this.media.execute;
  }

  /**
   * A customer's call to `dn` (as a trunk's caller unless told otherwise), ringing in GWS and answered
   * there: the customer's final answer (with its dialog on a 200).
   */
  async answeredCall(customer: FakePhone, dn = '5001', options: CallOptions = {}): Promise<InviteResult> {
    const calling = customer.call(dn, { credentials: false, ...options });
    await waitFor(`${dn} rings`, () => this.h.sw.callsOf(dn).length === 1);
    this.h.op(dn, this.h.callOf(dn), { name: 'Answer' });
    return withTimeout(calling, 5000, "the customer's final answer");
  }

  /** A new switch (harness) with fresh SIP endpoints on the same server and mixer. */
  static harness(
    server: SipServer,
    media: MediaEngine,
    delegate: { current?: SipEndpointsHandle },
    sipSettings: SipContactCenterSettings,
    options: RigOptions,
    log: (line: string) => void,
    contractSettings?: ContactCenterSettings,
  ): Harness {
    const sip = createSipEndpoints({
      media,
      advertisedHost: '127.0.0.1',
      lookup: {
        dn: (number) =>
          AGENTS.includes(number) || SUPERVISORS.includes(number)
            ? { contactCenterId: 'cc1', kind: 'Extension' }
            : number === '7000'
              ? { contactCenterId: 'cc1', kind: 'RoutingPoint' }
              : undefined,
        settings: () => sipSettings,
        contactCenterIds: () => ['cc1'],
      },
      log: (level, message, fields) => log(`${level} ${message} ${JSON.stringify(fields ?? {})}`),
      ...(options.invitesPerSecondPerSource !== undefined ? { invitesPerSecondPerSource: options.invitesPerSecondPerSource } : {}),
      keepaliveMs: options.keepaliveMs ?? 0,
      ...(options.dialogs ? { dialogs: options.dialogs } : {}),
    });
    sip.attachServer(server);
    delegate.current = sip;
    const h = new Harness(contractSettings ?? defaultSettings(options.settings ?? {}), {
      endpoints: (host, simulated) => sip.install(host, simulated),
    });
    h.sw.onEvent((event) => sip.onSwitchEvent(event));
    return h;
  }

  phone(dn: string, options: PhoneOptions = {}): Promise<FakePhone> {
    return FakePhone.start(dn, this.server.port, options);
  }

  async close(...phones: FakePhone[]): Promise<void> {
    await this.sip.close();
    this.delegate.current = undefined;
    for (const phone of phones) await phone.close();
    await this.server.close();
    await this.media.close();
  }
}
