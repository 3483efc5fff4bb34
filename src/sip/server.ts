/**
 * SipServer: the SIP user agent Switchboard runs on one host:port. It wires transport -> codec ->
 * transactions -> registrar/OPTIONS, hands every other request to an injected handler (the B2BUA), and
 * offers a UAC API (requests, INVITEs with dialogs, in-dialog requests, digest answers to 401/407).
 *
 * Guarantees:
 * - Malformed SIP is answered 400 (513 when oversized) when its Via still allows routing a response, and
 *   dropped otherwise; a throwing handler gets its request answered 500; nothing received can crash it.
 * - REGISTER goes to the registrar, OPTIONS is answered 200 with Allow/Accept/Supported. In this order:
 *   a blocked source address gets 403 for everything but requests inside a dialog and CANCEL, methods
 *   outside `ALLOWED_METHODS` get 405 with Allow (whatever their Request-URI), a Request-URI of another
 *   scheme than sip:, sips: or tel: gets 416 and an unreadable one 400, an unsupported Require
 *   (100rel included) gets 420 with Unsupported.
 * - INVITE, ACK, BYE, CANCEL (after the transaction layer's 200/487), REFER, NOTIFY and INFO reach the
 *   handler; without a handler INVITE gets 480 and the others 481.
 * - Every request we send gets our own top Via (sent-by = advertised host and port, fresh branch, rport).
 */
import { SipTransport, responseDestination } from './transport.js';
import {
  TransactionLayer,
  type ClientTransaction,
  type Destination,
  type ServerTransaction,
  type SipClock,
  type TimerSettings,
} from './transaction.js';
import {
  buildResponse,
  getHeader,
  getHeaders,
  MAX_FORWARDS,
  newBranch,
  newCallId,
  newTag,
  prependHeader,
  PARSE_FAILURE_REASON,
  type ParseLimits,
  type ParseResult,
  type SipHeader,
  type SipRequest,
  type SipResponse,
} from './message.js';
import { parseVia } from './headers.js';
import { DigestServer, chooseChallenge, answerChallenge, type DigestAlgorithm } from './digest.js';
import { Registrar, type ExtensionLookup, type RegistrarEvents, type SipLog } from './registrar.js';
import { Dialog, destinationOfUri } from './dialog.js';
import { hasKnownScheme, parseUri, tagOf } from './uri.js';
import type { BindingPersistence } from './bindings.js';

/** a request within a dialog: its To has a tag (ACK and CANCEL never reach the request handler: the transaction layer takes them) */
function insideDialog(request: SipRequest): boolean {
  return tagOf(getHeader(request, 'To')) !== undefined;
}

/** Methods this server accepts; OPTIONS and REGISTER it answers itself. */
export const ALLOWED_METHODS = ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'REGISTER', 'REFER', 'NOTIFY', 'INFO'];
/** Methods handed to the handler. */
const HANDLED_METHODS = new Set(['INVITE', 'BYE', 'REFER', 'NOTIFY', 'INFO']);
/** What happens to a handled request when there is no handler. */
const NO_HANDLER_STATUS: Record<string, number> = { INVITE: 480, BYE: 481, REFER: 481, NOTIFY: 481, INFO: 481 };

/** The B2BUA side of the server. */
export interface SipRequestHandler {
  /** INVITE, BYE, REFER, NOTIFY, INFO: answer through transaction.reply()/respond() or server.acceptInvite() */
  request(transaction: ServerTransaction, server: SipServer): void;
  /** the ACK of a 2xx (dialog level) */
  ack?(request: SipRequest, source: Destination): void;
  /** a CANCEL arrived for this INVITE before its final response (487 follows unless answered here) */
  cancelled?(invite: ServerTransaction, cancel: SipRequest): void;
  /** our 2xx to this INVITE was never acknowledged */
  ackTimeout?(invite: ServerTransaction): void;
}

export interface SipServerOptions {
  host: string;
  /** 0 picks a free port */
  port: number;
  /** address written into Via, Contact (defaults to host) */
  advertisedHost?: string;
  clock: SipClock;
  lookup: ExtensionLookup;
  /** realm for challenges to DNs the lookup does not know (the contact center's name in Switchboard) */
  defaultRealm: string;
  handler?: SipRequestHandler;
  events?: RegistrarEvents;
  log?: SipLog;
  timers?: Partial<TimerSettings>;
  limits?: ParseLimits;
  /** option tags we implement (for Require checks and Supported); default none */
  supportedExtensions?: string[];
  userAgent?: string;
  /** digest challenges offered, in order (see DigestServerOptions.algorithms) */
  digestAlgorithms?: readonly DigestAlgorithm[];
  /** counts for the metrics (src/app/telephony-metrics.ts) */
  observer?: SipObserver;
  /** the registrar's bindings are saved and removed through this (registrations across restarts) */
  bindings?: BindingPersistence;
}

/** What the server reports for metrics: each final answer once, and what it refused before handling. */
export interface SipObserver {
  answered(method: string, status: number): void;
  dropped(reason: 'malformed_answered' | 'malformed_dropped' | 'blocked'): void;
}

/** at most one "malformed SIP" log line per source address per this many ms (never one per packet) */
const MALFORMED_LOG_EVERY_MS = 60_000;

export interface OutgoingRequest {
  method: string;
  uri: string;
  /** To value (defaults to `<uri>`) */
  to?: string;
  /** From value without tag (defaults to `<sip:switchboard@advertised host>`) */
  from?: string;
  headers?: SipHeader[];
  body?: Buffer;
  /** where to send (defaults to the URI's host, port and transport) */
  destination?: Destination;
  /** credentials for a 401/407 challenge (one retry) */
  credentials?: { username: string; password: string };
  /** the Contact to send on an INVITE, REGISTER or SUBSCRIBE (default: this server's own) */
  contact?: string;
  /** the Max-Forwards to send (default MAX_FORWARDS, 70; a B2BUA passes on what it received, less one: RFC 3261 16.6 step 3's loop guard) */
  maxForwards?: number;
  /** every provisional response */
  provisional?(response: SipResponse): void;
  /**
   * INVITE without an offer (RFC 3261 13.2.1): the SDP answer to the 2xx's offer, sent in the ACK
   * (as application/sdp)
   */
  ackBody?(response: SipResponse): Buffer;
}

export interface InviteResult {
  response: SipResponse;
  /** set for a 2xx; the ACK is already sent */
  dialog?: Dialog;
}

/** A 408 made up locally when a transaction times out (RFC 3261 8.1.3.1), 503 for a transport failure. */
function localFailure(request: SipRequest, reason: 'timeout' | 'transport'): SipResponse {
  return buildResponse(request, reason === 'timeout' ? 408 : 503);
}

/** the user part of a name-addr or URI, for log lines (undefined when there is none) */
function parseUserOf(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const open = text.indexOf('<');
  const uri = open >= 0 ? text.slice(open + 1, text.indexOf('>', open) >>> 0) : text;
  return /^(?:sips?|tel):([^@;>]+)/i.exec(uri.trim())?.[1];
}

export class SipServer {
  private transport!: SipTransport;
  readonly layer: TransactionLayer;
  readonly registrar: Registrar;
  readonly digest: DigestServer;
  private readonly advertisedHost: string;
  private readonly supported: string[];
  /** dialogs we created as UAC whose 2xx retransmissions need our ACK again */
  private readonly acksByDialog = new Map<string, { ack: SipRequest; destination: Destination }>();
  /** counters for tests and metrics */
  readonly stats = { malformedAnswered: 0, malformedDropped: 0, handlerErrors: 0 };
  /** final responses already counted (a retransmission sends the same object again) */
  private readonly counted = new WeakSet<SipResponse>();
  /** source address -> when its last malformed message was logged */
  private readonly malformedLogged = new Map<string, number>();

  private constructor(private readonly options: SipServerOptions) {
    this.advertisedHost = options.advertisedHost ?? options.host;
    this.supported = options.supportedExtensions ?? [];
    this.digest = new DigestServer({ clock: options.clock, ...(options.digestAlgorithms ? { algorithms: options.digestAlgorithms } : {}) });
    this.registrar = new Registrar({
      clock: options.clock,
      lookup: options.lookup,
      digest: this.digest,
      defaultRealm: options.defaultRealm,
      ...(options.events ? { events: options.events } : {}),
      ...(options.log ? { log: options.log } : {}),
      ...(options.bindings ? { persistence: options.bindings } : {}),
    });
    this.layer = new TransactionLayer(
      options.clock,
      (message, destination) => {
        if (message.kind === 'response' && message.status >= 200 && !this.counted.has(message)) {
          this.counted.add(message);
          this.options.observer?.answered(getHeader(message, 'CSeq')?.trim().split(/\s+/)[1] ?? 'other', message.status);
        }
        return this.transport.send(message, destination);
      },
      {
        request: (transaction) => this.onRequest(transaction),
        ack: (request, source) => this.options.handler?.ack?.(request, source),
        cancelled: (invite, cancel) => this.options.handler?.cancelled?.(invite, cancel),
        ackTimeout: (invite) => this.options.handler?.ackTimeout?.(invite),
        strayResponse: (response) => this.onStrayResponse(response),
      },
      options.timers,
    );
  }

  static async start(options: SipServerOptions): Promise<SipServer> {
    const server = new SipServer(options);
    server.transport = await SipTransport.listen(
      { host: options.host, port: options.port, ...(options.limits ? { limits: options.limits } : {}) },
      (result, source) => server.onMessage(result, source),
    );
    return server;
  }

  get port(): number {
    return this.transport.port;
  }

  /** `<sip:user@advertised-host:port>` for Contact headers */
  contact(user = 'switchboard', transport: 'udp' | 'tcp' = 'udp'): string {
    return `<sip:${user}@${this.advertisedHost}:${this.port}${transport === 'tcp' ? ';transport=tcp' : ''}>`;
  }

  // ---- incoming ----------------------------------------------------------------------------------

  private onMessage(result: ParseResult, source: Destination): void {
    if (!result.ok) {
      const partial = result.partial;
      this.logMalformed(source, result.status, result.error);
      if (partial?.kind === 'request' && partial.method !== 'ACK' && parseVia(getHeader(partial, 'Via') ?? '')) {
        this.stats.malformedAnswered++;
        this.options.observer?.dropped('malformed_answered');
        const response = buildResponse(partial, result.status, {
          reason: `${PARSE_FAILURE_REASON[result.status]} (${result.error})`,
          toTag: newTag(),
        });
        this.transport.send(response, responseDestination(partial, source));
      } else {
        this.stats.malformedDropped++;
        this.options.observer?.dropped('malformed_dropped');
      }
      return;
    }
    const message = result.message;
    if (message.kind === 'response') this.layer.receiveResponse(message, source);
    else this.layer.receiveRequest(message, source, responseDestination(message, source));
  }

  private onRequest(transaction: ServerTransaction): void {
    const request = transaction.request;
    try {
      // a blocked address still ends and changes the calls it has (a hang-up must not be lost):
      // requests inside a dialog (a To tag; unknown dialogs get 481 above us) pass, as CANCEL does
      // (the transaction layer answers it before this)
      if (this.registrar.isBlocked(transaction.source.address) && !insideDialog(request)) {
        this.options.observer?.dropped('blocked');
        transaction.reply(403, { reason: 'Forbidden (blocked)' });
        return;
      }
      // the method first (RFC 3261 8.2.1), then the Request-URI (8.2.2.1): an unknown method gets 405
      // whatever its URI; ACKs never reach this (they are not answered)
      if (!ALLOWED_METHODS.includes(request.method)) {
        transaction.reply(405, { headers: [{ name: 'Allow', value: ALLOWED_METHODS.join(', ') }] });
        return;
      }
      if (!hasKnownScheme(request.uri)) {
        transaction.reply(416, { reason: 'Unsupported URI Scheme (use sip:, sips: or tel:)' });
        return;
      }
      if (!parseUri(request.uri)) {
        transaction.reply(400, { reason: 'Bad Request (unreadable Request-URI)' });
        return;
      }
      const unsupported = getHeaders(request, 'Require').filter((tag) => !this.supported.includes(tag.toLowerCase()));
      if (unsupported.length > 0) {
        transaction.reply(420, { headers: [{ name: 'Unsupported', value: unsupported.join(', ') }] });
        return;
      }
      if (request.method === 'REGISTER') {
        const dn = parseUserOf(getHeader(request, 'To'));
        const before = new Set(dn ? this.registrar.bindings(dn).map((b) => b.uri) : []);
        const response = this.registrar.handleRegister(request, transaction.source);
        if (response.status === 403) this.logAuthenticationFailed(request, transaction.source);
        if (response.status === 200 && dn) this.logBindingChanges(dn, before, transaction.source);
        transaction.respond(response);
        return;
      }
      if (request.method === 'OPTIONS') {
        transaction.reply(200, { headers: this.capabilityHeaders() });
        return;
      }
      const handler = this.options.handler;
      if (!handler || !HANDLED_METHODS.has(request.method)) {
        transaction.reply(NO_HANDLER_STATUS[request.method] ?? 501);
        return;
      }
      this.logRequestIn(request, transaction.source);
      handler.request(transaction, this);
    } catch (error) {
      this.stats.handlerErrors++;
      this.options.log?.('warn', 'SIP request handler failed', { method: request.method, error: String(error) });
      transaction.reply(500);
    }
  }

  /** INVITE (new calls) and BYE in, one info line each (transactions absorb retransmissions before this). */
  private logRequestIn(request: SipRequest, source: Destination): void {
    if (request.method !== 'INVITE' && request.method !== 'BYE') return;
    const inDialog = /;\s*tag=/i.test(getHeader(request, 'To') ?? '');
    if (request.method === 'INVITE' && inDialog) return;
    this.options.log?.('info', `SIP ${request.method} in`, {
      callId: getHeader(request, 'Call-ID'),
      from: parseUserOf(getHeader(request, 'From')),
      to: parseUserOf(request.uri),
      source: `${source.address}:${source.port}`,
    });
  }

  /** New and removed bindings of a REGISTER, one info line each (a refresh of a known contact logs nothing). */
  private logBindingChanges(dn: string, before: Set<string>, source: Destination): void {
    const after = new Set(this.registrar.bindings(dn).map((b) => b.uri));
    for (const uri of after) if (!before.has(uri)) this.options.log?.('info', 'SIP registration', { dn, contact: uri, source: `${source.address}:${source.port}` });
    for (const uri of before) if (!after.has(uri)) this.options.log?.('info', 'SIP registration removed', { dn, contact: uri });
  }

  /** A refused REGISTER or INVITE (wrong credentials, or from a blocked address): one warn line. */
  private logAuthenticationFailed(request: SipRequest, source: Destination): void {
    this.options.log?.('warn', 'SIP authentication failed', {
      method: request.method,
      dn: parseUserOf(request.method === 'REGISTER' ? getHeader(request, 'To') : getHeader(request, 'From')),
      source: `${source.address}:${source.port}`,
    });
  }

  /** Malformed SIP is logged (warn) at most once per source address per minute, with the first reason. */
  private logMalformed(source: Destination, status: number, error: string): void {
    const now = this.options.clock.now();
    const last = this.malformedLogged.get(source.address);
    if (last !== undefined && now - last < MALFORMED_LOG_EVERY_MS) return;
    if (this.malformedLogged.size >= 10_000) this.malformedLogged.clear();
    this.malformedLogged.set(source.address, now);
    this.options.log?.('warn', 'malformed SIP dropped or refused (logged once a minute per source)', { source: source.address, status, error: error.slice(0, 200) });
  }

  private capabilityHeaders(): SipHeader[] {
    const headers = [
      { name: 'Allow', value: ALLOWED_METHODS.join(', ') },
      { name: 'Accept', value: 'application/sdp' },
      { name: 'Accept-Language', value: 'en' },
    ];
    if (this.supported.length > 0) headers.push({ name: 'Supported', value: this.supported.join(', ') });
    if (this.options.userAgent) headers.push({ name: 'Server', value: this.options.userAgent });
    return headers;
  }

  /** Challenge or verify a request as coming from a DN (phones dialling out). */
  authenticate(transaction: ServerTransaction, dn: string) {
    const outcome = this.registrar.authenticate(transaction.request, transaction.source, dn);
    if (!outcome.ok && outcome.response.status === 403) this.logAuthenticationFailed(transaction.request, transaction.source);
    return outcome;
  }

  /**
   * Answers an INVITE 200 with our Contact (and its Record-Route copied) and returns the UAS dialog.
   * The transaction layer retransmits the 200 until the ACK arrives.
   */
  acceptInvite(transaction: ServerTransaction, options: { body?: Buffer; headers?: SipHeader[]; contactUser?: string } = {}): Dialog | undefined {
    const headers: SipHeader[] = [
      ...getHeaders(transaction.request, 'Record-Route').map((value) => ({ name: 'Record-Route', value })),
      { name: 'Contact', value: this.contact(options.contactUser, transaction.source.transport) },
      ...(options.body && options.body.length > 0 ? [{ name: 'Content-Type', value: 'application/sdp' }] : []),
      ...(options.headers ?? []),
    ];
    const response = transaction.reply(200, { headers, ...(options.body ? { body: options.body } : {}) });
    return Dialog.asUas(transaction.request, response, transaction.responseDestination);
  }

  // ---- outgoing ----------------------------------------------------------------------------------

  /** Adds our top Via (fresh branch, rport) to a request for `destination`. */
  private stampVia(request: SipRequest, destination: Destination, branch = newBranch()): void {
    prependHeader(
      request,
      'Via',
      `SIP/2.0/${destination.transport.toUpperCase()} ${this.advertisedHost}:${this.port};branch=${branch};rport`,
    );
  }

  /** Sends a request (Via added here) in a client transaction. */
  sendRequest(
    request: SipRequest,
    destination: Destination,
    handlers: Parameters<TransactionLayer['sendRequest']>[2],
  ): ClientTransaction {
    this.stampVia(request, destination);
    return this.layer.sendRequest(request, destination, handlers);
  }

  private buildOutOfDialog(outgoing: OutgoingRequest, callId: string, sequence: number, fromTag: string): SipRequest {
    const headers: SipHeader[] = [
      { name: 'Max-Forwards', value: String(outgoing.maxForwards ?? MAX_FORWARDS) },
      { name: 'From', value: `${outgoing.from ?? `<sip:switchboard@${this.advertisedHost}>`};tag=${fromTag}` },
      { name: 'To', value: outgoing.to ?? `<${outgoing.uri}>` },
      { name: 'Call-ID', value: callId },
      { name: 'CSeq', value: `${sequence} ${outgoing.method}` },
    ];
    if (outgoing.method === 'INVITE' || outgoing.method === 'REGISTER' || outgoing.method === 'SUBSCRIBE') {
      headers.push({ name: 'Contact', value: outgoing.contact ?? this.contact() });
    }
    if (this.options.userAgent) headers.push({ name: 'User-Agent', value: this.options.userAgent });
    headers.push(...(outgoing.headers ?? []));
    return { kind: 'request', method: outgoing.method, uri: outgoing.uri, headers, body: outgoing.body ?? Buffer.alloc(0) };
  }

  /**
   * Sends an out-of-dialog request and resolves with its final response (408/503 made up locally on
   * timeout or transport failure). A 401/407 is answered once when credentials are given. For INVITE,
   * a 2xx is ACKed and its dialog returned.
   */
  request(outgoing: OutgoingRequest): Promise<InviteResult> {
    const destination = outgoing.destination ?? destinationOfUri(outgoing.uri);
    if (!destination) return Promise.reject(new Error(`cannot send to ${outgoing.uri}: not a reachable sip: URI`));
    const callId = newCallId(this.advertisedHost);
    const fromTag = newTag();
    return new Promise((resolve) => {
      const attempt = (sequence: number, authorization?: SipHeader) => {
        const request = this.buildOutOfDialog(outgoing, callId, sequence, fromTag);
        if (authorization) request.headers.push(authorization);
        let settled = false;
        const transaction = this.sendRequest(request, destination, {
          response: (response) => {
            if (response.status < 200) {
              outgoing.provisional?.(response);
              return;
            }
            if (outgoing.method === 'INVITE' && response.status < 300) {
              const dialog = this.acknowledge(request, response, destination, outgoing.ackBody?.(response));
              if (!settled) resolve(dialog ? { response, dialog } : { response });
              settled = true;
              return;
            }
            if (settled) return;
            settled = true;
            const challengeHeader = response.status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate';
            const challenge = (response.status === 401 || response.status === 407) && !authorization && outgoing.credentials
              ? chooseChallenge(getHeaders(response, challengeHeader))
              : undefined;
            if (challenge && outgoing.credentials) {
              const value = answerChallenge(challenge, {
                ...outgoing.credentials,
                method: outgoing.method,
                uri: outgoing.uri,
              });
              attempt(sequence + 1, { name: response.status === 401 ? 'Authorization' : 'Proxy-Authorization', value });
              return;
            }
            resolve({ response });
          },
          timeout: (reason) => {
            if (settled) return;
            settled = true;
            this.options.log?.('warn', `SIP ${outgoing.method} out ${reason === 'timeout' ? 'timed out' : 'could not be sent'}`, { callId, uri: outgoing.uri });
            resolve({ response: localFailure(request, reason) });
          },
        });
        this.pendingInvites.set(callId, transaction);
      };
      attempt(1);
    }).finally(() => this.pendingInvites.delete(callId)) as Promise<InviteResult>;
  }

  /** client INVITE transactions still waiting for a final response, by Call-ID (for cancel) */
  private readonly pendingInvites = new Map<string, ClientTransaction>();

  /** Cancels a pending INVITE we sent (RFC 3261 9.1); its promise then resolves with the 487. */
  cancel(callId: string): boolean {
    const transaction = this.pendingInvites.get(callId);
    if (!transaction || !transaction.isInvite) return false;
    transaction.cancel();
    return true;
  }

  /** Call-IDs of INVITEs we sent that are still pending */
  get pendingInviteCallIds(): string[] {
    return [...this.pendingInvites.keys()];
  }

  /** ACKs a 2xx (new branch, outside the transaction, RFC 3261 13.2.2.4) and returns its dialog. */
  private acknowledge(invite: SipRequest, response: SipResponse, destination: Destination, body?: Buffer): Dialog | undefined {
    const dialog = Dialog.asUac(invite, response);
    if (!dialog) return undefined;
    const known = this.acksByDialog.get(dialog.id);
    if (known) {
      this.transport.send(known.ack, known.destination);
      return dialog;
    }
    const sequence = Number((getHeader(invite, 'CSeq') ?? '0').split(' ')[0]);
    const ack = dialog.createRequest('ACK', { ackSequence: sequence, ...(body ? { body, headers: [{ name: 'Content-Type', value: 'application/sdp' }] } : {}) });
    const next = dialog.nextHop() ?? destination;
    this.stampVia(ack, next);
    this.transport.send(ack, next);
    this.acksByDialog.set(dialog.id, { ack, destination: next });
    this.options.clock.setTimer(64 * this.layer.timers.t1, () => this.acksByDialog.delete(dialog.id));
    return dialog;
  }

  private onStrayResponse(response: SipResponse): void {
    // a 2xx retransmitted after the client transaction ended still needs its ACK again
    if (response.status < 200 || response.status >= 300) return;
    for (const [id, known] of this.acksByDialog) {
      if (id.startsWith(`${getHeader(response, 'Call-ID')};`)) this.transport.send(known.ack, known.destination);
    }
  }

  /** Sends a request inside a dialog (BYE, re-INVITE, REFER, NOTIFY, INFO) and resolves with the final response. */
  requestInDialog(dialog: Dialog, method: string, options: { headers?: SipHeader[]; body?: Buffer } = {}): Promise<SipResponse> {
    const request = dialog.createRequest(method, { ...options, contact: this.contact() });
    const destination = dialog.nextHop();
    if (!destination) return Promise.resolve(localFailure(request, 'transport'));
    if (method === 'BYE') this.options.log?.('info', 'SIP BYE out', { callId: dialog.callId });
    return new Promise((resolve) => {
      this.sendRequest(request, destination, {
        response: (response) => {
          if (response.status < 200) return;
          if (method === 'INVITE') {
            dialog.receiveTargetRefreshResponse(response);
            if (response.status < 300) {
              const ack = dialog.createRequest('ACK', { ackSequence: dialog.localSequence });
              this.stampVia(ack, destination);
              this.transport.send(ack, destination);
            }
          }
          resolve(response);
        },
        timeout: (reason) => {
          this.options.log?.('warn', `SIP ${method} in dialog ${reason === 'timeout' ? 'timed out' : 'could not be sent'}`, { callId: dialog.callId });
          resolve(localFailure(request, reason));
        },
      });
    });
  }

  async close(): Promise<void> {
    this.layer.close();
    this.registrar.close();
    this.acksByDialog.clear();
    await this.transport.close();
  }
}
