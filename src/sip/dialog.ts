/**
 * SIP dialogs (RFC 3261 section 12): the state a UAC or UAS keeps after a 2xx to an INVITE, and the
 * building of requests inside it (BYE, re-INVITE, REFER, NOTIFY, INFO, and the ACK of a 2xx).
 *
 * Guarantees:
 * - Identity is Call-ID + local tag + remote tag; the route set comes from Record-Route (reversed for a
 *   UAC, as received for a UAS), the remote target from Contact, and it is refreshed by re-INVITEs.
 * - In-dialog requests follow 12.2.1.1: loose routing (`;lr` on the first route) keeps the remote target
 *   as Request-URI with the whole route set as Route; strict routing moves the first route into the
 *   Request-URI and appends the remote target.
 * - The local CSeq grows by one per new request (ACK and CANCEL reuse their INVITE's number); a remote
 *   request whose CSeq is not above the last one is reported as out of order (the UAS answers 500).
 * - Requests are built without Via; the sender adds its own top Via with a fresh branch.
 */
import { MAX_FORWARDS, getHeader, getHeaders, type SipHeader, type SipRequest, type SipResponse } from './message.js';
import { parseNameAddr, parseUri, formatNameAddr, tagOf, type NameAddr } from './uri.js';
import { parseCSeq } from './headers.js';
import type { Destination } from './transaction.js';

/** Where a SIP URI points: its host (an IP address here, no DNS), port (default 5060) and transport. */
export function destinationOfUri(uriText: string): Destination | undefined {
  const uri = parseUri(uriText);
  if (!uri || uri.scheme === 'tel') return undefined;
  const host = uri.params.get('maddr') ?? uri.host;
  const transport = (uri.params.get('transport') ?? 'udp').toLowerCase();
  if (transport !== 'udp' && transport !== 'tcp') return undefined;
  return { transport, address: host.replace(/^\[|\]$/g, ''), port: uri.port ?? 5060 };
}

function withoutTag(value: NameAddr): string {
  const params = new Map(value.params);
  params.delete('tag');
  return formatNameAddr({ ...value, params });
}

function contactUriOf(message: SipRequest | SipResponse): string | undefined {
  const contact = getHeader(message, 'Contact');
  const parsed = contact === undefined ? undefined : parseNameAddr(contact);
  return parsed ? getUriText(contact!) : undefined;
}

/** the URI inside a name-addr, exactly as written */
function getUriText(nameAddr: string): string | undefined {
  const open = nameAddr.indexOf('<');
  if (open >= 0) {
    const close = nameAddr.indexOf('>', open);
    return close < 0 ? undefined : nameAddr.slice(open + 1, close);
  }
  const semicolon = nameAddr.indexOf(';');
  return (semicolon < 0 ? nameAddr : nameAddr.slice(0, semicolon)).trim();
}

export type DialogRole = 'uac' | 'uas';

export interface DialogState {
  role: DialogRole;
  callId: string;
  localTag: string;
  remoteTag: string;
  /** our party as name-addr without tag (From of our requests) */
  localUri: string;
  remoteUri: string;
  localSequence: number;
  remoteSequence?: number;
  /** Route values, in the order our requests carry them */
  routeSet: string[];
  remoteTarget: string;
  /** where requests go when no route set applies and the target is unreachable directly (NAT) */
  flow?: Destination;
}

export class Dialog implements DialogState {
  role!: DialogRole;
  callId!: string;
  localTag!: string;
  remoteTag!: string;
  localUri!: string;
  remoteUri!: string;
  localSequence!: number;
  remoteSequence?: number;
  routeSet!: string[];
  remoteTarget!: string;
  flow?: Destination;

  constructor(state: DialogState) {
    Object.assign(this, state);
  }

  get id(): string {
    return `${this.callId};${this.localTag};${this.remoteTag}`;
  }

  /**
   * The UAS side: built from the INVITE and the 2xx we answer with (which carries our To tag).
   * `flow` is where the INVITE came from, used to reach the peer when it has no route set.
   */
  static asUas(invite: SipRequest, response: SipResponse, flow?: Destination): Dialog | undefined {
    const from = parseNameAddr(getHeader(invite, 'From') ?? '');
    const to = parseNameAddr(getHeader(response, 'To') ?? '');
    const remoteTag = from?.params.get('tag');
    const localTag = to?.params.get('tag');
    const cseq = parseCSeq(getHeader(invite, 'CSeq') ?? '');
    const remoteTarget = contactUriOf(invite);
    const callId = getHeader(invite, 'Call-ID');
    if (!from || !to || !remoteTag || !localTag || !cseq || !remoteTarget || !callId) return undefined;
    return new Dialog({
      role: 'uas',
      callId,
      localTag,
      remoteTag,
      localUri: withoutTag(to),
      remoteUri: withoutTag(from),
      localSequence: Math.floor(Math.random() * 10000) + 1,
      remoteSequence: cseq.sequence,
      routeSet: getHeaders(invite, 'Record-Route'),
      remoteTarget,
      ...(flow ? { flow } : {}),
    });
  }

  /** The UAC side: built from our INVITE and the 2xx (or a provisional with a To tag) we got. */
  static asUac(invite: SipRequest, response: SipResponse): Dialog | undefined {
    const from = parseNameAddr(getHeader(invite, 'From') ?? '');
    const to = parseNameAddr(getHeader(response, 'To') ?? '');
    const localTag = from?.params.get('tag');
    const remoteTag = to?.params.get('tag');
    const cseq = parseCSeq(getHeader(invite, 'CSeq') ?? '');
    const remoteTarget = contactUriOf(response);
    const callId = getHeader(invite, 'Call-ID');
    if (!from || !to || !remoteTag || !localTag || !cseq || !remoteTarget || !callId) return undefined;
    return new Dialog({
      role: 'uac',
      callId,
      localTag,
      remoteTag,
      localUri: withoutTag(from),
      remoteUri: withoutTag(to),
      localSequence: cseq.sequence,
      routeSet: getHeaders(response, 'Record-Route').reverse(),
      remoteTarget,
    });
  }

  /** Does this message belong to this dialog (RFC 3261 12.2.2: Call-ID, and tags seen from our side)? */
  matches(message: SipRequest | SipResponse): boolean {
    if (getHeader(message, 'Call-ID') !== this.callId) return false;
    const fromTag = tagOf(getHeader(message, 'From'));
    const toTag = tagOf(getHeader(message, 'To'));
    if (message.kind === 'request') return fromTag === this.remoteTag && toTag === this.localTag;
    return fromTag === this.localTag && toTag === this.remoteTag;
  }

  /**
   * A request from the peer inside this dialog: checks the CSeq order and refreshes the remote target
   * for target-refresh requests. Returns false when the request is out of order (answer 500).
   */
  receiveRequest(request: SipRequest): boolean {
    const cseq = parseCSeq(getHeader(request, 'CSeq') ?? '');
    if (!cseq) return false;
    if (request.method === 'ACK' || request.method === 'CANCEL') return true;
    if (this.remoteSequence !== undefined && cseq.sequence <= this.remoteSequence) return false;
    this.remoteSequence = cseq.sequence;
    if (request.method === 'INVITE' || request.method === 'UPDATE') {
      const target = contactUriOf(request);
      if (target) this.remoteTarget = target;
    }
    return true;
  }

  /** A 2xx to our re-INVITE refreshes the remote target. */
  receiveTargetRefreshResponse(response: SipResponse): void {
    const target = contactUriOf(response);
    if (target && response.status >= 200 && response.status < 300) this.remoteTarget = target;
  }

  private requestUriAndRoutes(): { uri: string; routes: string[] } {
    if (this.routeSet.length === 0) return { uri: this.remoteTarget, routes: [] };
    const firstUri = getUriText(this.routeSet[0]) ?? '';
    const looseRouting = parseUri(firstUri)?.params.has('lr') ?? false;
    if (looseRouting) return { uri: this.remoteTarget, routes: [...this.routeSet] };
    return { uri: firstUri, routes: [...this.routeSet.slice(1), `<${this.remoteTarget}>`] };
  }

  /** Where the next request of this dialog goes: the first route, else the remote target (or the flow). */
  nextHop(): Destination | undefined {
    if (this.routeSet.length > 0) return destinationOfUri(getUriText(this.routeSet[0]) ?? '');
    return this.flow ?? destinationOfUri(this.remoteTarget);
  }

  /**
   * Builds an in-dialog request (no Via). ACK must be given the INVITE's sequence number; every other
   * method takes the next local sequence number.
   */
  createRequest(
    method: string,
    options: { headers?: SipHeader[]; body?: Buffer; contact?: string; ackSequence?: number } = {},
  ): SipRequest {
    const sequence = method === 'ACK' ? (options.ackSequence ?? this.localSequence) : ++this.localSequence;
    const { uri, routes } = this.requestUriAndRoutes();
    const headers: SipHeader[] = [
      { name: 'Max-Forwards', value: String(MAX_FORWARDS) },
      { name: 'From', value: `${this.localUri};tag=${this.localTag}` },
      { name: 'To', value: `${this.remoteUri};tag=${this.remoteTag}` },
      { name: 'Call-ID', value: this.callId },
      { name: 'CSeq', value: `${sequence} ${method}` },
      ...routes.map((value) => ({ name: 'Route', value })),
    ];
    if (options.contact && (method === 'INVITE' || method === 'UPDATE' || method === 'REFER' || method === 'NOTIFY')) {
      headers.push({ name: 'Contact', value: options.contact });
    }
    if (options.headers) headers.push(...options.headers);
    return { kind: 'request', method, uri, headers, body: options.body ?? Buffer.alloc(0) };
  }
}
