/**
 * The SIP transaction layer (RFC 3261 section 17, with the RFC 6026 "Accepted" states): client and server
 * transactions for INVITE and non-INVITE requests, matched by Via branch (RFC 3261 17.1.3 and 17.2.3).
 *
 * Guarantees:
 * - Every timer (A, B, D, E, F, G, H, I, J, K, plus L and M of RFC 6026) runs on the injected clock, so
 *   tests drive retransmissions and timeouts on a virtual clock; over a reliable transport (TCP) the
 *   retransmission timers are not started and D, I, J, K are zero, as section 17 says.
 * - A server INVITE transaction answers 100 Trying at once; retransmitted requests are absorbed and the
 *   last response re-sent; an INVITE answered 2xx is retransmitted (T1 doubling up to T2) until the ACK
 *   arrives or 64*T1 passes (the UAS core duty of RFC 3261 13.3.1.4, kept here so every UAS gets it).
 * - CANCEL: 200 to the CANCEL, 481 when no INVITE matches, and 487 to the INVITE if the TU has not sent
 *   a final response by the time its `cancelled` callback returns.
 * - A client transaction reports each response once (2xx retransmissions excepted, which the TU must ACK
 *   again), ACKs non-2xx finals itself, and reports a timeout or transport failure exactly once.
 * - Terminated transactions release their timers and leave the tables; nothing grows without bound.
 */
import { parseVia, parseCSeq } from './headers.js';
import { tagOf } from './uri.js';
import { MAX_FORWARDS, buildResponse, newTag, getHeader, getHeaders, type SipMessage, type SipRequest, type SipResponse } from './message.js';

/** The clock shape of src/switch/port.ts (`Clock`), restated structurally so the SIP stack stands alone. */
export interface SipClock {
  now(): number;
  /** run fn after ms; returns a cancel function */
  setTimer(ms: number, fn: () => void): () => void;
}

/** Where a message goes, or came from. `connectionId` pins a TCP message to one connection. */
export interface Destination {
  transport: 'udp' | 'tcp';
  address: string;
  port: number;
  connectionId?: number;
}

export interface TimerSettings {
  /** RTT estimate, default 500 ms */
  t1: number;
  /** longest interval for non-INVITE requests and INVITE responses, default 4 s */
  t2: number;
  /** longest time a message stays in the network, default 5 s */
  t4: number;
}

export const DEFAULT_TIMERS: TimerSettings = { t1: 500, t2: 4000, t4: 5000 };

/** sends bytes; returns false when the message could not be handed to the network */
export type SendFunction = (message: SipMessage, destination: Destination) => boolean;

/** The transaction user: the UA core above this layer. */
export interface TransactionUser {
  /** a new request (never an ACK or a CANCEL); answer through transaction.respond() */
  request(transaction: ServerTransaction): void;
  /** an ACK outside any transaction (the ACK of a 2xx); `invite` is the acknowledged transaction if known */
  ack(request: SipRequest, source: Destination, invite: ServerTransaction | undefined): void;
  /** a CANCEL matched this INVITE before its final response; 487 follows unless the TU answers here */
  cancelled(invite: ServerTransaction, cancel: SipRequest): void;
  /** a 2xx was never acknowledged within 64*T1 (the TU should end the dialog with BYE) */
  ackTimeout?(invite: ServerTransaction): void;
  /** a response that matched no client transaction (a late 2xx retransmission, say) */
  strayResponse?(response: SipResponse, source: Destination): void;
}

type ServerState = 'trying' | 'proceeding' | 'accepted' | 'completed' | 'confirmed' | 'terminated';
type ClientState = 'calling' | 'trying' | 'proceeding' | 'accepted' | 'completed' | 'terminated';

class TimerSet {
  private cancels = new Map<string, () => void>();
  constructor(private readonly clock: SipClock) {}
  start(name: string, ms: number, fn: () => void): void {
    this.stop(name);
    this.cancels.set(
      name,
      this.clock.setTimer(ms, () => {
        this.cancels.delete(name);
        fn();
      }),
    );
  }
  stop(name: string): void {
    this.cancels.get(name)?.();
    this.cancels.delete(name);
  }
  stopAll(): void {
    for (const cancel of this.cancels.values()) cancel();
    this.cancels.clear();
  }
  get size(): number {
    return this.cancels.size;
  }
}

function topVia(message: SipMessage) {
  const value = getHeader(message, 'Via');
  return value === undefined ? undefined : parseVia(value);
}

/** The key of RFC 3261 17.2.3: branch, sent-by and method (ACK matches its INVITE). */
export function serverKey(request: SipRequest): string | undefined {
  const via = topVia(request);
  if (!via) return undefined;
  const branch = via.params.get('branch');
  const method = request.method === 'ACK' ? 'INVITE' : request.method;
  if (branch) return `${branch}|${via.host}:${via.port ?? ''}|${method}`;
  // no branch (RFC 2543 peers, out of scope): a key that still separates requests safely
  return `nobranch|${getHeader(request, 'Call-ID')}|${getHeader(request, 'CSeq')}|${getHeader(request, 'From')}|${method}`;
}

/** The key of RFC 3261 17.1.3: branch of the top Via and the CSeq method. */
function clientKey(message: SipMessage): string | undefined {
  const branch = topVia(message)?.params.get('branch');
  const cseq = parseCSeq(getHeader(message, 'CSeq') ?? '');
  if (!branch || !cseq) return undefined;
  return `${branch}|${cseq.method === 'ACK' ? 'INVITE' : cseq.method}`;
}

/** the To tag a request already carries (an in-dialog request), if any */
function existingToTag(request: SipRequest): string | undefined {
  return tagOf(getHeader(request, 'To'));
}

function dialogAckKey(message: SipMessage): string | undefined {
  const cseq = parseCSeq(getHeader(message, 'CSeq') ?? '');
  const callId = getHeader(message, 'Call-ID');
  if (!cseq || !callId) return undefined;
  return `${callId}|${cseq.sequence}`;
}

export class ServerTransaction {
  state: ServerState;
  lastResponse?: SipResponse;
  /** the tag this UAS put (or will put) in To; set by the TU before its first non-100 response */
  localTag?: string;
  private readonly timers: TimerSet;
  private retransmitInterval: number;

  constructor(
    private readonly layer: TransactionLayer,
    readonly key: string,
    readonly request: SipRequest,
    /** where the request came from */
    readonly source: Destination,
    /** where responses go (Via received/rport applied) */
    readonly responseDestination: Destination,
  ) {
    this.timers = new TimerSet(layer.clock);
    this.retransmitInterval = layer.timers.t1;
    this.state = request.method === 'INVITE' ? 'proceeding' : 'trying';
  }

  get isInvite(): boolean {
    return this.request.method === 'INVITE';
  }

  get reliable(): boolean {
    return this.responseDestination.transport === 'tcp';
  }

  /** true once a final response was sent */
  get finished(): boolean {
    return this.state !== 'trying' && this.state !== 'proceeding';
  }

  /** Builds a response with buildResponse (adding this transaction's To tag) and sends it. */
  reply(status: number, options: Parameters<typeof buildResponse>[2] = {}): SipResponse {
    if (status > 100) this.localTag ??= existingToTag(this.request) ?? newTag();
    const response = buildResponse(this.request, status, { toTag: this.localTag, ...options });
    this.respond(response);
    return response;
  }

  /** Sends a response from the TU; ignored once a final response went out (RFC 3261 17.2). */
  respond(response: SipResponse): void {
    if (this.finished) return;
    this.lastResponse = response;
    this.layer.transmit(response, this.responseDestination);
    const { t1 } = this.layer.timers;
    if (response.status < 200) {
      if (this.state === 'trying') this.state = 'proceeding';
      return;
    }
    if (this.isInvite && response.status < 300) {
      // RFC 6026 Accepted: absorb INVITE retransmissions; the 2xx is retransmitted until the ACK
      this.state = 'accepted';
      this.layer.awaitAck(this);
      if (!this.reliable) this.timers.start('G2xx', t1, () => this.retransmitSuccess());
      this.timers.start('L', 64 * t1, () => {
        if (this.layer.stopAwaitingAck(this)) this.layer.user.ackTimeout?.(this);
        this.terminate();
      });
      return;
    }
    this.state = 'completed';
    if (this.isInvite) {
      if (!this.reliable) this.timers.start('G', t1, () => this.retransmitFinal());
      this.timers.start('H', 64 * t1, () => this.terminate());
    } else {
      this.timers.start('J', this.reliable ? 0 : 64 * t1, () => this.terminate());
    }
  }

  private retransmitSuccess(): void {
    if (this.state !== 'accepted' || !this.lastResponse) return;
    this.layer.transmit(this.lastResponse, this.responseDestination);
    this.retransmitInterval = Math.min(2 * this.retransmitInterval, this.layer.timers.t2);
    this.timers.start('G2xx', this.retransmitInterval, () => this.retransmitSuccess());
  }

  private retransmitFinal(): void {
    if (this.state !== 'completed' || !this.lastResponse) return;
    this.layer.transmit(this.lastResponse, this.responseDestination);
    this.retransmitInterval = Math.min(2 * this.retransmitInterval, this.layer.timers.t2);
    this.timers.start('G', this.retransmitInterval, () => this.retransmitFinal());
  }

  /** a retransmission of the request arrived */
  retransmitted(): void {
    if ((this.state === 'proceeding' || this.state === 'completed') && this.lastResponse) {
      this.layer.transmit(this.lastResponse, this.responseDestination);
    }
  }

  /** the ACK of a non-2xx final (same branch) */
  acknowledged(): void {
    if (this.state !== 'completed' || !this.isInvite) return;
    this.state = 'confirmed';
    this.timers.stop('G');
    this.timers.stop('H');
    this.timers.start('I', this.reliable ? 0 : this.layer.timers.t4, () => this.terminate());
  }

  /** the ACK of the 2xx (new branch) arrived: stop retransmitting */
  successAcknowledged(): void {
    this.timers.stop('G2xx');
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.timers.stopAll();
    this.layer.forgetServer(this);
  }
}

export interface ClientHandlers {
  /** every provisional and final response (a 2xx to an INVITE may come again: ACK each one) */
  response(response: SipResponse, transaction: ClientTransaction): void;
  /** Timer B/F fired or the transport failed; no final response will come */
  timeout?(reason: 'timeout' | 'transport', transaction: ClientTransaction): void;
}

export class ClientTransaction {
  state: ClientState;
  private readonly timers: TimerSet;
  private retransmitInterval: number;
  private ack?: SipRequest;
  private cancelRequested = false;

  constructor(
    private readonly layer: TransactionLayer,
    readonly key: string,
    readonly request: SipRequest,
    readonly destination: Destination,
    private readonly handlers: ClientHandlers,
  ) {
    this.timers = new TimerSet(layer.clock);
    this.retransmitInterval = layer.timers.t1;
    this.state = request.method === 'INVITE' ? 'calling' : 'trying';
  }

  get isInvite(): boolean {
    return this.request.method === 'INVITE';
  }

  get reliable(): boolean {
    return this.destination.transport === 'tcp';
  }

  /** the top Via branch */
  get branch(): string {
    return topVia(this.request)?.params.get('branch') ?? '';
  }

  start(): void {
    const { t1 } = this.layer.timers;
    if (!this.layer.transmit(this.request, this.destination)) {
      this.fail('transport');
      return;
    }
    if (this.isInvite) {
      if (!this.reliable) this.timers.start('A', t1, () => this.retransmitRequest());
      this.timers.start('B', 64 * t1, () => {
        if (this.state === 'calling') this.fail('timeout');
      });
    } else {
      if (!this.reliable) this.timers.start('E', t1, () => this.retransmitRequest());
      this.timers.start('F', 64 * t1, () => {
        if (this.state === 'trying' || this.state === 'proceeding') this.fail('timeout');
      });
    }
  }

  private retransmitRequest(): void {
    const { t2 } = this.layer.timers;
    if (this.isInvite) {
      if (this.state !== 'calling') return;
      this.layer.transmit(this.request, this.destination);
      this.retransmitInterval = 2 * this.retransmitInterval;
      this.timers.start('A', this.retransmitInterval, () => this.retransmitRequest());
      return;
    }
    if (this.state !== 'trying' && this.state !== 'proceeding') return;
    this.layer.transmit(this.request, this.destination);
    this.retransmitInterval = this.state === 'proceeding' ? t2 : Math.min(2 * this.retransmitInterval, t2);
    this.timers.start('E', this.retransmitInterval, () => this.retransmitRequest());
  }

  private fail(reason: 'timeout' | 'transport'): void {
    if (this.state === 'terminated') return;
    this.terminate();
    this.handlers.timeout?.(reason, this);
  }

  /** a response whose branch and method match */
  received(response: SipResponse): void {
    const { t1, t2, t4 } = this.layer.timers;
    if (this.isInvite) {
      if (response.status < 200) {
        if (this.state === 'calling' || this.state === 'proceeding') {
          this.state = 'proceeding';
          this.timers.stop('A');
          this.timers.stop('B');
          this.handlers.response(response, this);
          if (this.cancelRequested) this.sendCancel();
        }
        return;
      }
      if (response.status < 300) {
        if (this.state === 'calling' || this.state === 'proceeding') {
          this.state = 'accepted';
          this.timers.stopAll();
          this.timers.start('M', 64 * t1, () => this.terminate());
        }
        if (this.state === 'accepted') this.handlers.response(response, this);
        return;
      }
      if (this.state === 'calling' || this.state === 'proceeding') {
        this.state = 'completed';
        this.timers.stopAll();
        this.ack = buildNon2xxAck(this.request, response);
        this.layer.transmit(this.ack, this.destination);
        this.timers.start('D', this.reliable ? 0 : Math.max(32000, 64 * t1), () => this.terminate());
        this.handlers.response(response, this);
      } else if (this.state === 'completed' && this.ack) {
        this.layer.transmit(this.ack, this.destination);
      }
      return;
    }
    if (this.state !== 'trying' && this.state !== 'proceeding') return;
    if (response.status < 200) {
      if (this.state === 'trying') {
        this.state = 'proceeding';
        if (!this.reliable) this.retransmitInterval = t2;
      }
      this.handlers.response(response, this);
      return;
    }
    this.state = 'completed';
    this.timers.stopAll();
    this.timers.start('K', this.reliable ? 0 : t4, () => this.terminate());
    this.handlers.response(response, this);
  }

  /**
   * Cancels a pending INVITE (RFC 3261 9.1): the CANCEL goes out once a provisional response arrived;
   * if no final response follows within 64*T1 the transaction times out.
   */
  cancel(): void {
    if (!this.isInvite || this.cancelRequested) return;
    if (this.state !== 'calling' && this.state !== 'proceeding') return;
    this.cancelRequested = true;
    if (this.state === 'proceeding') this.sendCancel();
  }

  private sendCancel(): void {
    const cancel = buildCancel(this.request);
    this.layer.sendRequest(cancel, this.destination, { response: () => undefined });
    this.timers.start('cancel', 64 * this.layer.timers.t1, () => {
      if (this.state === 'calling' || this.state === 'proceeding') this.fail('timeout');
    });
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.timers.stopAll();
    this.layer.forgetClient(this);
  }
}

/** The ACK for a non-2xx final response (RFC 3261 17.1.1.3): same branch, To from the response. */
export function buildNon2xxAck(invite: SipRequest, response: SipResponse): SipRequest {
  const cseq = parseCSeq(getHeader(invite, 'CSeq') ?? '');
  const headers = [
    { name: 'Via', value: getHeader(invite, 'Via') ?? '' },
    { name: 'Max-Forwards', value: String(MAX_FORWARDS) },
    { name: 'From', value: getHeader(invite, 'From') ?? '' },
    { name: 'To', value: getHeader(response, 'To') ?? '' },
    { name: 'Call-ID', value: getHeader(invite, 'Call-ID') ?? '' },
    { name: 'CSeq', value: `${cseq?.sequence ?? 0} ACK` },
    ...getHeaders(invite, 'Route').map((value) => ({ name: 'Route', value })),
  ];
  return { kind: 'request', method: 'ACK', uri: invite.uri, headers, body: Buffer.alloc(0) };
}

/** The CANCEL of a request (RFC 3261 9.1): same Request-URI, top Via, From, To, Call-ID, CSeq number. */
export function buildCancel(request: SipRequest): SipRequest {
  const cseq = parseCSeq(getHeader(request, 'CSeq') ?? '');
  const headers = [
    { name: 'Via', value: getHeader(request, 'Via') ?? '' },
    { name: 'Max-Forwards', value: String(MAX_FORWARDS) },
    { name: 'From', value: getHeader(request, 'From') ?? '' },
    { name: 'To', value: getHeader(request, 'To') ?? '' },
    { name: 'Call-ID', value: getHeader(request, 'Call-ID') ?? '' },
    { name: 'CSeq', value: `${cseq?.sequence ?? 0} CANCEL` },
    ...getHeaders(request, 'Route').map((value) => ({ name: 'Route', value })),
  ];
  return { kind: 'request', method: 'CANCEL', uri: request.uri, headers, body: Buffer.alloc(0) };
}

export class TransactionLayer {
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly clients = new Map<string, ClientTransaction>();
  /** INVITEs answered 2xx and not yet acknowledged, by Call-ID and CSeq number */
  private readonly awaitingAck = new Map<string, ServerTransaction>();
  readonly timers: TimerSettings;

  constructor(
    readonly clock: SipClock,
    private readonly send: SendFunction,
    readonly user: TransactionUser,
    timers: Partial<TimerSettings> = {},
  ) {
    this.timers = { ...DEFAULT_TIMERS, ...timers };
  }

  /** counts, for tests and metrics */
  get size(): { servers: number; clients: number; awaitingAck: number } {
    return { servers: this.servers.size, clients: this.clients.size, awaitingAck: this.awaitingAck.size };
  }

  transmit(message: SipMessage, destination: Destination): boolean {
    try {
      return this.send(message, destination);
    } catch {
      return false;
    }
  }

  /**
   * A request from the network. `responseDestination` is where its responses go (the transport works
   * it out from the Via, RFC 3261 18.2.2 and RFC 3581).
   */
  receiveRequest(request: SipRequest, source: Destination, responseDestination: Destination): void {
    const key = serverKey(request);
    if (!key) return;
    const existing = this.servers.get(key);
    if (request.method === 'ACK') {
      if (existing && existing.state !== 'accepted') {
        existing.acknowledged();
        return;
      }
      const ackKey = dialogAckKey(request);
      const invite = ackKey === undefined ? undefined : this.awaitingAck.get(ackKey);
      if (invite) {
        this.awaitingAck.delete(ackKey!);
        invite.successAcknowledged();
      }
      this.user.ack(request, source, invite ?? existing);
      return;
    }
    if (existing) {
      existing.retransmitted();
      return;
    }
    const transaction = new ServerTransaction(this, key, request, source, responseDestination);
    this.servers.set(key, transaction);
    if (request.method === 'CANCEL') {
      this.handleCancel(transaction);
      return;
    }
    if (transaction.isInvite) transaction.reply(100);
    this.user.request(transaction);
  }

  private handleCancel(cancel: ServerTransaction): void {
    const inviteKey = cancel.key.replace(/\|CANCEL$/, '|INVITE');
    const invite = this.servers.get(inviteKey);
    if (!invite) {
      cancel.reply(481);
      return;
    }
    if (!invite.localTag) invite.localTag = existingToTag(invite.request) ?? newTag();
    cancel.localTag = invite.localTag;
    cancel.reply(200);
    if (invite.finished) return;
    this.user.cancelled(invite, cancel.request);
    if (!invite.finished) invite.reply(487);
  }

  /** A response from the network. */
  receiveResponse(response: SipResponse, source: Destination): void {
    const key = clientKey(response);
    const transaction = key === undefined ? undefined : this.clients.get(key);
    if (transaction) transaction.received(response);
    else this.user.strayResponse?.(response, source);
  }

  /** Starts a client transaction; the request must carry its top Via with a fresh branch. */
  sendRequest(request: SipRequest, destination: Destination, handlers: ClientHandlers): ClientTransaction {
    const key = clientKey(request) ?? `invalid|${Math.random()}`;
    const transaction = new ClientTransaction(this, key, request, destination, handlers);
    this.clients.set(key, transaction);
    transaction.start();
    return transaction;
  }

  awaitAck(transaction: ServerTransaction): void {
    const key = dialogAckKey(transaction.request);
    if (key) this.awaitingAck.set(key, transaction);
  }

  /** true if the transaction was still waiting for its ACK */
  stopAwaitingAck(transaction: ServerTransaction): boolean {
    const key = dialogAckKey(transaction.request);
    if (key && this.awaitingAck.get(key) === transaction) {
      this.awaitingAck.delete(key);
      return true;
    }
    return false;
  }

  forgetServer(transaction: ServerTransaction): void {
    if (this.servers.get(transaction.key) === transaction) this.servers.delete(transaction.key);
    this.stopAwaitingAck(transaction);
  }

  forgetClient(transaction: ClientTransaction): void {
    if (this.clients.get(transaction.key) === transaction) this.clients.delete(transaction.key);
  }

  /** Stops every transaction (server shutdown). */
  close(): void {
    for (const transaction of [...this.servers.values()]) transaction.terminate();
    for (const transaction of [...this.clients.values()]) transaction.terminate();
  }
}

