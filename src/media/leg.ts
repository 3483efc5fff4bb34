/**
 * An RTP leg: one UDP socket (an even port from the allocator) carrying one party's G.711 audio and
 * RFC 4733 events, with symmetric latching and a jitter queue.
 *
 * Latching (symmetric RTP, RFC 4961): until a packet arrives, the leg sends to the address of the
 * SDP (`remote`); the first valid RTP packet (version 2, the leg's codec or telephone-event payload
 * type) latches the leg to its source address and port, and from then on audio goes there. Packets
 * from any other source are dropped while the latched source is alive: once latched, the socket is
 * connect()ed to the source, so the kernel drops them (cheaper sends, no per-packet address
 * lookup); packets that slip in before the connection completes count in `stats.foreignDropped`.
 * The SDP address comes first: a packet from the SDP's address and port latches at once, even over
 * a live latched source, and only a latch to it (or, with no SDP address, to the first source) is
 * connect()ed; a leg latched elsewhere (NAT) checks each packet's source itself. So a stranger who
 * sprays the port range before the call's own party speaks holds the leg only until that party's
 * first packet (a party behind NAT, whose SDP address is not its source, is latched as before).
 * Re-latch rule: when the latched source has been silent for `relatchAfterMs` (default 2000 ms),
 * the leg lets go of it (checked on every send, i.e. every tick) and the next valid packet from any
 * source latches anew (a phone that changed port after a NAT rebinding or a re-INVITE); audio
 * keeps going to the old source meanwhile. `setRemote` (new SDP) clears the latch. Letting go
 * re-opens the socket on the same port instead of disconnect(), because some kernels (gVisor)
 * unbind a UDP socket on disconnect; the sends of the one or two ticks that takes are skipped
 * (`stats.unsentRebinding`).
 *
 * Receiving: SSRC changes and sequence jumps (more than 100 apart) are a new stream: the partial
 * frame is dropped and the stream is followed. Duplicates and packets up to 100 behind the newest
 * are dropped as late. Payloads of any length are re-chunked into 160-sample frames (jitter.ts).
 * Both G.711 laws are decoded by the packet's payload type, so a phone that switches law still plays.
 * Sending: one packet per mixer tick, payload encoded in the leg's own codec, in the RTP stream the
 * leg carries (rtp-stream.ts: the stream's SSRC; sequence +1 per packet and timestamp +160 per tick,
 * continuing where the party's previous leg left off; a stream of its own, with a random SSRC and
 * bases, when none is given). Nothing allocates per packet
 * on the send path (16 send buffers per leg, used in turn, so a packet dgram has not sent yet is
 * never overwritten). Malformed input is counted, never thrown.
 */
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { encodeInto, lawForCodec, lawForPayloadType } from './g711.js';
import type { CodecName, G711Law } from './g711.js';
import { FRAME_SAMPLES, JitterQueue } from './jitter.js';
import { DtmfReceiver } from './dtmf.js';
import type { OutgoingEventPacket, ReceivedDigit } from './dtmf.js';
import { RTP_FIXED_HEADER_BYTES, emptyRtpFields, readRtpFields, sequenceDistance, writeRtpFixedHeader } from './rtp.js';
import type { RtpPortAllocator } from './ports.js';
import { RtpStreamCursor, newRtpStream } from './rtp-stream.js';
import type { RtpStreamIdentity } from './rtp-stream.js';

export interface RemoteAddress {
  address: string;
  port: number;
}

export interface RtpLegOptions {
  codec: CodecName;
  /** the negotiated telephone-event payload type (96-127), if any */
  telephoneEventPayloadType?: number;
  /** where to send before latching (the SDP connection address and media port) */
  remote?: RemoteAddress;
  /** silence of the latched source after which another source may latch; default 2000 ms */
  relatchAfterMs?: number;
  /** jitter queue capacity in frames; default 4 */
  jitterFrames?: number;
  /** local address to bind; default 127.0.0.1 */
  bindAddress?: string;
  /** monotonic milliseconds (injectable for tests); default performance.now */
  now?: () => number;
  /** the outgoing stream this leg carries (rtp-stream.ts); default: a stream of its own, starting now */
  stream?: RtpStreamIdentity;
  /** wall-clock milliseconds, for the stream position (injectable for tests); default Date.now */
  wallNow?: () => number;
  onDigit?: (digit: ReceivedDigit) => void;
  onLatched?: (source: RemoteAddress) => void;
  /** called after every datagram the leg has handled, accepted or dropped (tests, statistics) */
  onDatagram?: () => void;
}

export interface RtpLegStats {
  packetsIn: number;
  packetsOut: number;
  malformedDropped: number;
  foreignDropped: number;
  unknownPayloadDropped: number;
  lateDropped: number;
  unsentNoRemote: number;
  unsentRebinding: number;
  streamRestarts: number;
}

const REORDER_WINDOW = 100;
/** more than the clock's largest catch-up burst (10 ticks) */
const SEND_BUFFERS = 16;

export class RtpLeg {
  readonly stats: RtpLegStats = {
    packetsIn: 0,
    packetsOut: 0,
    malformedDropped: 0,
    foreignDropped: 0,
    unknownPayloadDropped: 0,
    lateDropped: 0,
    unsentNoRemote: 0,
    unsentRebinding: 0,
    streamRestarts: 0,
  };
  readonly jitter: JitterQueue;
  private readonly law: G711Law;
  /**
   * Send buffers, used in turn: dgram may still hold a buffer after send() returns (an address
   * lookup defers the send to the next turn; a full socket queues it), so a buffer is written
   * again only SEND_BUFFERS packets later, more than a catch-up burst of the clock can send in one
   * go. Buffers, so dgram sends them without wrapping them first.
   */
  private readonly sendBuffers = Array.from({ length: SEND_BUFFERS }, () => Buffer.alloc(RTP_FIXED_HEADER_BYTES + FRAME_SAMPLES));
  private nextSendBuffer = 0;
  private readonly fields = emptyRtpFields();
  private readonly stream: RtpStreamCursor;
  private readonly dtmf = new DtmfReceiver(() => this.now());
  private readonly now: () => number;
  private readonly relatchAfterMs: number;
  private remote: RemoteAddress | undefined;
  private latched: RemoteAddress | undefined;
  private latchedHeardAt = 0;
  /** the socket is connect()ed to `latched` (or being connected) */
  private connection: 'none' | 'connecting' | 'connected' = 'none';
  /** undefined while the socket is being re-opened */
  private socket: dgram.Socket | undefined;
  private rebinding = false;
  private readonly bindAddress: string;
  private streamSsrc: number | undefined;
  private newestSequence = 0;
  private closed = false;

  private constructor(
    socket: dgram.Socket,
    readonly localPort: number,
    private readonly allocator: RtpPortAllocator | undefined,
    private readonly options: RtpLegOptions,
  ) {
    this.law = lawForCodec(options.codec);
    this.jitter = new JitterQueue(options.jitterFrames ?? 4);
    this.now = options.now ?? (() => performance.now());
    this.relatchAfterMs = options.relatchAfterMs ?? 2000;
    this.remote = options.remote;
    this.bindAddress = options.bindAddress ?? '127.0.0.1';
    const wallNow = options.wallNow ?? Date.now;
    this.stream = new RtpStreamCursor(options.stream ?? newRtpStream(wallNow()), wallNow);
    this.attach(socket);
  }

  private attach(socket: dgram.Socket): void {
    this.socket = socket;
    socket.on('message', (message, source) => {
      if (socket !== this.socket) return;
      this.receive(message, source);
      this.options.onDatagram?.();
    });
    socket.on('error', () => {
      // a send to an unreachable port reports ICMP errors here; the leg keeps running
    });
  }

  /**
   * Open a leg on the next free port of `allocator` (ports taken by other processes are skipped),
   * or on an ephemeral port when no allocator is given. Rejects when the range is exhausted.
   */
  static async open(allocator: RtpPortAllocator | undefined, options: RtpLegOptions): Promise<RtpLeg> {
    const address = options.bindAddress ?? '127.0.0.1';
    const attempts = allocator ? allocator.capacity : 1;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const port = allocator ? allocator.allocate() : 0;
      if (port === undefined) break;
      try {
        const socket = await bindUdp(port, address);
        return new RtpLeg(socket, (socket.address() as AddressInfo).port, allocator, options);
      } catch (error) {
        if (allocator) allocator.release(port);
        if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
        throw error;
      }
    }
    throw new Error('no free RTP port in the configured range');
  }

  get codec(): CodecName {
    return this.law.name;
  }

  /** Where audio goes now: the latched source, else the SDP address. */
  get destination(): RemoteAddress | undefined {
    return this.latched ?? this.remote;
  }

  /** False only while the socket is being re-opened after letting go of a latched source. */
  get socketOpen(): boolean {
    return this.socket !== undefined;
  }

  /** The socket is connected to the latched source (the kernel drops other sources). */
  get connectedToSource(): boolean {
    return this.connection === 'connected';
  }

  get latchedSource(): RemoteAddress | undefined {
    return this.latched;
  }

  /** A new SDP address (re-INVITE): send there, and latch again on the next packet. */
  setRemote(remote: RemoteAddress | undefined): void {
    this.remote = remote;
    this.latched = undefined;
    this.disconnect();
  }

  get queuedFrames(): number {
    return this.jitter.length;
  }

  /** The next 20 ms frame of this party's audio, or null for silence. */
  takeFrame(): Int16Array | null {
    return this.jitter.take();
  }

  /** Send one frame of linear audio for mixer tick `tick`. */
  sendAudio(pcm: Int16Array, tick: number): void {
    const buffer = this.takeSendBuffer();
    const start = this.writeHeader(buffer, false, this.law.payloadType, this.timestampOf(tick));
    encodeInto(this.law, pcm, buffer, start, FRAME_SAMPLES);
    this.transmit(buffer);
  }

  /** Send one telephone-event packet in place of this tick's audio. */
  sendEvent(packet: OutgoingEventPacket): void {
    const payloadType = this.options.telephoneEventPayloadType;
    if (payloadType === undefined) return;
    const buffer = this.takeSendBuffer();
    const start = this.writeHeader(buffer, packet.marker, payloadType, packet.timestamp);
    buffer.set(packet.payload, start);
    this.transmit(buffer.subarray(0, start + packet.payload.length));
  }

  /** The RTP timestamp of mixer tick `tick` on this leg. */
  timestampOf(tick: number): number {
    return this.stream.timestampOf(tick);
  }

  get canSendEvents(): boolean {
    return this.options.telephoneEventPayloadType !== undefined;
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    const socket = this.socket;
    this.socket = undefined;
    return new Promise((resolve) => {
      const done = () => {
        this.allocator?.release(this.localPort);
        resolve();
      };
      if (socket) socket.close(done);
      else done(); // re-opening: the bind in flight sees `closed` and closes its socket
    });
  }

  private takeSendBuffer(): Buffer {
    const buffer = this.sendBuffers[this.nextSendBuffer];
    this.nextSendBuffer = (this.nextSendBuffer + 1) % SEND_BUFFERS;
    return buffer;
  }

  private writeHeader(buffer: Buffer, marker: boolean, payloadType: number, timestamp: number): number {
    return writeRtpFixedHeader(buffer, 0, marker, payloadType, this.stream.nextSequence(), timestamp, this.stream.ssrc);
  }

  private transmit(bytes: Uint8Array): void {
    if (this.closed) return;
    if (this.connection === 'connected' && this.now() - this.latchedHeardAt >= this.relatchAfterMs) this.reopen();
    const socket = this.socket;
    if (!socket) {
      this.stats.unsentRebinding++;
      if (!this.rebinding) this.reopen(); // an earlier re-open failed: try again
      return;
    }
    if (this.connection === 'connected') {
      socket.send(bytes);
      this.stats.packetsOut++;
      return;
    }
    const destination = this.destination;
    if (!destination) {
      this.stats.unsentNoRemote++;
      return;
    }
    socket.send(bytes, destination.port, destination.address);
    this.stats.packetsOut++;
  }

  /**
   * connect() the socket to the latched source. One connect at a time: while one is in flight, a
   * newer latch just sends by address; the callback keeps the connection only if its target is
   * still the latched source, and lets go of it otherwise.
   */
  private connect(to: RemoteAddress): void {
    const socket = this.socket;
    if (!socket || this.connection === 'connecting') return;
    if (this.connection === 'connected') {
      this.reopen(); // the new socket connects on the next latch
      return;
    }
    this.connection = 'connecting';
    socket.connect(to.port, to.address, (error?: Error) => {
      if (this.closed || socket !== this.socket) return;
      if (error) this.connection = 'none';
      else if (this.latched === to && this.connection === 'connecting') this.connection = 'connected';
      else this.reopen();
    });
  }

  /** Let go of a connected (or connecting) socket: a fresh unconnected socket on the same port. */
  private disconnect(): void {
    if (this.connection !== 'none') this.reopen();
  }

  private reopen(): void {
    if (this.closed || this.rebinding) return;
    const old = this.socket;
    this.socket = undefined;
    this.connection = 'none';
    this.rebinding = true;
    const rebind = () =>
      bindUdp(this.localPort, this.bindAddress).then(
        (socket) => {
          this.rebinding = false;
          if (this.closed) socket.close();
          else this.attach(socket);
        },
        () => {
          this.rebinding = false; // the next send tries again
        },
      );
    if (old) old.close(rebind);
    else void rebind();
  }

  private receive(message: Buffer, source: dgram.RemoteInfo): void {
    const fields = this.fields;
    if (readRtpFields(message, fields) !== undefined) {
      this.stats.malformedDropped++;
      return;
    }
    const isEvent = fields.payloadType === this.options.telephoneEventPayloadType;
    const law = isEvent ? undefined : lawForPayloadType(fields.payloadType);
    if (!isEvent && !law) {
      this.stats.unknownPayloadDropped++;
      return;
    }
    if (!this.acceptSource(source)) {
      this.stats.foreignDropped++;
      return;
    }
    this.stats.packetsIn++;
    if (this.streamSsrc !== fields.ssrc) {
      this.restartStream(fields.ssrc, fields.sequenceNumber);
    } else {
      const distance = sequenceDistance(this.newestSequence, fields.sequenceNumber);
      if (distance <= 0 && distance > -REORDER_WINDOW) {
        this.stats.lateDropped++;
        return;
      }
      if (distance > REORDER_WINDOW || distance <= -REORDER_WINDOW) this.restartStream(fields.ssrc, fields.sequenceNumber);
      this.newestSequence = fields.sequenceNumber;
    }
    if (isEvent) {
      const packet = { ssrc: fields.ssrc, timestamp: fields.timestamp, payload: message.subarray(fields.payloadStart, fields.payloadEnd) };
      this.dtmf.receive(packet, (digit) => this.options.onDigit?.(digit));
      return;
    }
    this.jitter.pushCodes(law!.decodeTable, message, fields.payloadStart, fields.payloadEnd - fields.payloadStart);
  }

  private restartStream(ssrc: number, sequence: number): void {
    if (this.streamSsrc !== undefined) this.stats.streamRestarts++;
    this.streamSsrc = ssrc;
    this.newestSequence = sequence;
    this.jitter.reset();
  }

  /** The latching rule (see the file comment); true when the packet's source is the leg's peer. */
  private acceptSource(source: dgram.RemoteInfo): boolean {
    const now = this.now();
    const latched = this.latched;
    if (latched && latched.address === source.address && latched.port === source.port) {
      this.latchedHeardAt = now;
      return true;
    }
    const fromSdp = this.remote !== undefined && this.remote.address === source.address && this.remote.port === source.port;
    if (latched && !fromSdp && now - this.latchedHeardAt < this.relatchAfterMs) return false;
    this.latched = { address: source.address, port: source.port };
    this.latchedHeardAt = now;
    // connected (the kernel drops every other source) only to the SDP's own address, or when there
    // is none: a source elsewhere (a phone behind NAT, or someone spraying the port range) stays
    // unconnected, so that the SDP address can still take the leg back
    if (fromSdp || this.remote === undefined) this.connect(this.latched);
    this.streamSsrc = undefined;
    this.options.onLatched?.(this.latched);
    return true;
  }
}

function bindUdp(port: number, address: string): Promise<dgram.Socket> {
  const socket = dgram.createSocket({ type: 'udp4' });
  return new Promise((resolve, reject) => {
    socket.once('error', (error) => {
      socket.close();
      reject(error);
    });
    socket.bind(port, address, () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });
}
