/**
 * SIP over UDP and TCP on one port (RFC 3261 section 18, RFC 3581 rport), built on node:dgram and node:net.
 *
 * Guarantees:
 * - UDP and TCP listen on the same port number (port 0 picks a free one for both).
 * - Every received request gets `received` (and `rport` filled in when asked for) on its top Via, so the
 *   layers above route responses back to where the request really came from (RFC 3581 section 4).
 * - Responses go back over the connection the request came on while it is open, else to Via
 *   received/rport, else to the sent-by host and port (RFC 3261 18.2.2).
 * - TCP streams are framed by Content-Length with bounded buffers (StreamFramer); an unframeable stream,
 *   a peer that stops reading (more than `maxWriteBufferBytes` unsent) or an idle connection is closed,
 *   and so is one that holds part of a message for `messageTimeoutMs` (30 s) or that opens more than
 *   `maxConnectionsPerAddress` (128) from one address: stalled half-requests cannot use up the server's
 *   connections for the idle timeout.
 *   Connections are reused for requests to the same address and port, whichever side opened them.
 * - Nothing received can throw out of this module: parse problems reach the listener as values.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { parseMessage, serializeMessage, StreamFramer, getHeader, DEFAULT_LIMITS, type ParseLimits, type ParseResult, type SipMessage, type SipRequest } from './message.js';
import { parseVia, formatVia } from './headers.js';
import type { Destination } from './transaction.js';

export interface TransportOptions {
  host: string;
  /** 0 chooses a free port, the same for UDP and TCP */
  port: number;
  limits?: ParseLimits;
  /** most simultaneous TCP connections (default 1024) */
  maxConnections?: number;
  /** unsent bytes after which a TCP peer is considered stuck and cut (default 1 MiB) */
  maxWriteBufferBytes?: number;
  /** close TCP connections idle this long (default 10 minutes) */
  idleTimeoutMs?: number;
  /**
   * close a TCP connection that holds part of a message for this long (default 30 s): a peer that
   * sends half a request and stalls (slowloris) holds a connection for seconds, not for the idle timeout
   */
  messageTimeoutMs?: number;
  /** most simultaneous TCP connections from one address (default 128); more are closed at once */
  maxConnectionsPerAddress?: number;
}

export type TransportListener = (result: ParseResult, source: Destination) => void;

function plainAddress(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

function addressKey(destination: { address: string; port: number }): string {
  return `${destination.address}|${destination.port}`;
}

/**
 * Applies RFC 3581 / RFC 3261 18.2.1 to a received request: `received` when the sent-by host is not the
 * source address (always when rport is asked for), and the source port into an empty `rport`.
 */
export function stampReceived(request: SipRequest, source: Destination): void {
  const values = request.headers;
  const index = values.findIndex((header) => header.name === 'Via');
  if (index < 0) return;
  const via = parseVia(values[index].value);
  if (!via) return;
  const rportAsked = via.params.has('rport');
  if (via.host.replace(/^\[|\]$/g, '') !== source.address || rportAsked) via.params.set('received', source.address);
  if (rportAsked && via.params.get('rport') === null) via.params.set('rport', String(source.port));
  values[index] = { name: 'Via', value: formatVia(via) };
}

/** Where the responses to a (stamped) request go, per RFC 3261 18.2.2 and RFC 3581. */
export function responseDestination(request: SipMessage, source: Destination): Destination {
  const via = parseVia(getHeader(request, 'Via') ?? '');
  if (!via) return source;
  const received = via.params.get('received');
  if (source.transport === 'tcp') {
    // the request's own connection first; if it closed, a new one to the sent-by port (RFC 3261 18.2.2)
    return { transport: 'tcp', address: received ?? source.address, port: via.port ?? 5060, connectionId: source.connectionId! };
  }
  const rport = via.params.get('rport');
  const port = rport && /^[0-9]+$/.test(rport) ? Number(rport) : via.port ?? 5060;
  const address = received ?? via.host.replace(/^\[|\]$/g, '');
  return { transport: 'udp', address, port };
}

export class SipTransport {
  private udp!: dgram.Socket;
  private tcp!: net.Server;
  private readonly connections = new Map<number, net.Socket>();
  private readonly byAddress = new Map<string, number>();
  /** open TCP connections per remote address (maxConnectionsPerAddress) */
  private readonly perAddress = new Map<string, number>();
  private nextConnectionId = 1;
  private readonly limits: ParseLimits;
  port = 0;

  private constructor(
    private readonly options: TransportOptions,
    private readonly listener: TransportListener,
  ) {
    this.limits = options.limits ?? DEFAULT_LIMITS;
  }

  /** Binds UDP and TCP on host:port and starts delivering messages to `listener`. */
  static async listen(options: TransportOptions, listener: TransportListener): Promise<SipTransport> {
    const transport = new SipTransport(options, listener);
    let lastError: unknown;
    for (let attempt = 0; attempt < (options.port === 0 ? 8 : 1); attempt++) {
      try {
        await transport.bind(options.port);
        return transport;
      } catch (error) {
        lastError = error;
        await transport.close();
      }
    }
    throw lastError;
  }

  private async bind(port: number): Promise<void> {
    const family = net.isIPv6(this.options.host) ? 'udp6' : 'udp4';
    this.udp = dgram.createSocket({ type: family, reuseAddr: false });
    this.udp.on('message', (data, info) =>
      this.deliver(data, { transport: 'udp', address: plainAddress(info.address), port: info.port }, false),
    );
    this.udp.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      this.udp.once('error', reject);
      this.udp.bind(port, this.options.host, () => {
        this.udp.off('error', reject);
        resolve();
      });
    });
    this.port = this.udp.address().port;
    this.tcp = net.createServer((socket) => this.adopt(socket));
    this.tcp.maxConnections = this.options.maxConnections ?? 1024;
    this.tcp.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      this.tcp.once('error', reject);
      this.tcp.listen(this.port, this.options.host, () => {
        this.tcp.off('error', reject);
        resolve();
      });
    });
  }

  private deliver(data: Buffer, source: Destination, stream: boolean): void {
    let result: ParseResult;
    try {
      result = parseMessage(data, { limits: this.limits, stream });
    } catch {
      return;
    }
    const request = result.ok ? result.message : result.partial;
    if (request?.kind === 'request') stampReceived(request, source);
    try {
      this.listener(result, source);
    } catch {
      // the listener owns its errors; the transport keeps running
    }
  }

  private adopt(socket: net.Socket): number {
    const id = this.nextConnectionId++;
    const remote = { address: plainAddress(socket.remoteAddress), port: socket.remotePort ?? 0 };
    this.connections.set(id, socket);
    const fromAddress = (this.perAddress.get(remote.address) ?? 0) + 1;
    this.perAddress.set(remote.address, fromAddress);
    // one too many from this address: closed at once (its close handler below still counts it out)
    if (remote.address && fromAddress > (this.options.maxConnectionsPerAddress ?? 128)) socket.destroy();
    let partialTimer: NodeJS.Timeout | undefined;
    if (remote.port) this.byAddress.set(addressKey(remote), id);
    const framer = new StreamFramer(this.limits);
    socket.setNoDelay(true);
    socket.setTimeout(this.options.idleTimeoutMs ?? 600_000, () => socket.destroy());
    socket.on('data', (chunk) => {
      const source: Destination = { transport: 'tcp', address: remote.address, port: remote.port, connectionId: id };
      for (const frame of framer.push(chunk)) {
        if (frame.kind === 'message') this.deliver(frame.frame, source, true);
        else if (frame.kind === 'fatal') {
          socket.destroy();
          return;
        }
      }
      // part of a message waits for the rest: it must come within messageTimeoutMs
      if (framer.bufferedBytes === 0) {
        clearTimeout(partialTimer);
        partialTimer = undefined;
      } else partialTimer ??= setTimeout(() => socket.destroy(), this.options.messageTimeoutMs ?? 30_000).unref();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(partialTimer);
      const left = (this.perAddress.get(remote.address) ?? 1) - 1;
      if (left > 0) this.perAddress.set(remote.address, left);
      else this.perAddress.delete(remote.address);
      this.connections.delete(id);
      if (this.byAddress.get(addressKey(remote)) === id) this.byAddress.delete(addressKey(remote));
    });
    return id;
  }

  private connectionFor(destination: Destination): net.Socket | undefined {
    if (destination.connectionId !== undefined) {
      const pinned = this.connections.get(destination.connectionId);
      if (pinned && !pinned.destroyed) return pinned;
    }
    const reused = this.byAddress.get(addressKey(destination));
    const socket = reused === undefined ? undefined : this.connections.get(reused);
    if (socket && !socket.destroyed) return socket;
    if (this.connections.size >= (this.options.maxConnections ?? 1024)) return undefined;
    const fresh = net.connect({ host: destination.address, port: destination.port, localAddress: this.options.host });
    const id = this.adoptOutgoing(fresh, destination);
    return this.connections.get(id);
  }

  private adoptOutgoing(socket: net.Socket, destination: Destination): number {
    // remoteAddress is unknown until connected; register under the destination right away
    const id = this.adopt(socket);
    this.byAddress.set(addressKey(destination), id);
    socket.on('close', () => {
      if (this.byAddress.get(addressKey(destination)) === id) this.byAddress.delete(addressKey(destination));
    });
    return id;
  }

  /** Sends a message; false when it could not be handed to the network. */
  send(message: SipMessage, destination: Destination): boolean {
    const bytes = serializeMessage(message);
    if (destination.transport === 'udp') {
      if (!this.udp || bytes.length > this.limits.maxMessageBytes) return false;
      try {
        this.udp.send(bytes, destination.port, destination.address);
        return true;
      } catch {
        return false;
      }
    }
    const socket = this.connectionFor(destination);
    if (!socket) return false;
    if (socket.writableLength > (this.options.maxWriteBufferBytes ?? 1 << 20)) {
      socket.destroy();
      return false;
    }
    socket.write(bytes);
    return true;
  }

  get openConnections(): number {
    return this.connections.size;
  }

  async close(): Promise<void> {
    for (const socket of this.connections.values()) socket.destroy();
    this.connections.clear();
    this.byAddress.clear();
    const udp = this.udp;
    const tcp = this.tcp;
    await Promise.all([
      udp ? new Promise<void>((resolve) => { try { udp.close(() => resolve()); } catch { resolve(); } }) : undefined,
      tcp ? new Promise<void>((resolve) => { try { tcp.close(() => resolve()); } catch { resolve(); } }) : undefined,
    ]);
  }
}
