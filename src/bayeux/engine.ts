/**
 * The transport-independent heart of the Bayeux server: sessions, held /meta/connects, delivery
 * queues and session lifecycle (expiry, queue cap, disconnect, shutdown).
 *
 * Guarantees:
 * - at most one held connect per session; a newer one completes the older;
 * - a delivery is serialised once by the publisher and the same string is queued for every
 *   matching session; queued deliveries leave through the session's websocket (one frame per flush)
 *   or its held long-poll, flushed in a microtask so that a burst becomes one response;
 * - a session with nothing to carry its queue that exceeds `maxQueue` is dropped (its next connect
 *   gets 402 + handshake advice); a session with a carrier is flushed at once when it reaches the cap;
 * - a session with no held connect and no open websocket for `intervalMs + maxIntervalMs` after it
 *   was last answered is dropped by one unref'd sweep timer.
 */
import type { IncomingMessage } from 'node:http';
import { patternsMatching } from './channels.js';
import { type BayeuxMessage, type ConnectionType, META, frame, reply, sessionUnknown } from './messages.js';
import type { Log, ResolvedOptions } from './options.js';
import { type HeldConnect, Session, SessionRegistry, type WsLink } from './session.js';

/** Where a batch of messages came from. */
export interface Origin {
  transport: ConnectionType;
  /** the authenticated user of the request or of the websocket upgrade; null when not authenticated */
  userKey: string | null;
  /** the websocket the messages arrived on */
  link?: WsLink;
}

/** A /meta/connect accepted by the batch; the transport answers or holds it once the batch is done. */
export interface ConnectIntent {
  session: Session;
  request: BayeuxMessage;
  /** 0 = answer at once */
  holdMs: number;
  /** the websocket it came over; null for HTTP */
  link: WsLink | null;
}

/** How a held (or immediate) connect is answered. */
export type ConnectOutcome =
  /** normal answer, carrying the queued deliveries */
  | 'events'
  /** a newer connect of the same session replaced this one: answered empty */
  | 'superseded'
  /** the client disconnected */
  | 'disconnected'
  /** the session was removed by the server: 402 + handshake advice */
  | 'gone';

export type DropReason = 'disconnect' | 'expired' | 'queue_full' | 'user_disconnected' | 'server_closing';

export class BayeuxEngine {
  readonly registry = new SessionRegistry();
  /** open websockets, for disconnectUser and close */
  readonly links = new Set<WsLink>();
  closed = false;
  private readonly sweeper: NodeJS.Timeout;
  private readonly retryAdvice: { reconnect: 'retry'; interval: number; timeout: number };

  constructor(
    readonly opts: ResolvedOptions,
    readonly log: Log,
    readonly now: () => number = Date.now,
  ) {
    this.retryAdvice = { reconnect: 'retry', interval: opts.intervalMs, timeout: opts.timeoutMs };
    const window = opts.intervalMs + opts.maxIntervalMs;
    const period = Math.min(1000, Math.max(20, Math.floor(window / 2)));
    this.sweeper = setInterval(() => this.sweep(), period);
    this.sweeper.unref();
  }

  /** The user key of a request; a throwing hook counts as "not authenticated". */
  authenticate(req: IncomingMessage): string | null {
    try {
      const key = this.opts.authenticate(req);
      return typeof key === 'string' && key.length > 0 ? key : null;
    } catch (err) {
      this.log.warn({ err }, 'bayeux authenticate hook threw; request treated as unauthenticated');
      return null;
    }
  }

  handshakeAdvice(): object {
    return { ...this.retryAdvice, maxInterval: this.opts.maxIntervalMs };
  }

  /** The caller's session named by the message, bound to the websocket it came over; or null. */
  sessionFor(msg: BayeuxMessage, origin: Origin): Session | null {
    const s = this.registry.find(msg.clientId, origin.userKey);
    if (s && origin.link) this.bind(s, origin.link);
    return s;
  }

  createSession(userKey: string, link: WsLink | undefined): Session {
    const s = this.registry.create(userKey, this.now());
    if (link) this.bind(s, link);
    return s;
  }

  bind(s: Session, link: WsLink): void {
    if (s.ws === link) return;
    if (s.ws) s.ws.sessions.delete(s);
    s.ws = link;
    link.sessions.add(s);
    if (s.queue.length > 0) this.scheduleFlush(s);
  }

  connectReply(request: { id?: unknown }, s: Session, outcome: ConnectOutcome): string {
    const msg = request as BayeuxMessage;
    switch (outcome) {
      case 'events':
      case 'superseded':
        return reply(msg, { clientId: s.id, successful: true, advice: this.retryAdvice }, META.connect);
      case 'disconnected':
        return reply(msg, { clientId: s.id, successful: true, advice: { reconnect: 'none' } }, META.connect);
      case 'gone':
        return sessionUnknown({ ...msg, channel: META.connect });
    }
  }

  /**
   * Answer a connect intent now (timeout 0, deliveries waiting, session already gone) or hold it.
   * `send` receives [connect reply, ...deliveries]. Returns the held connect, if held.
   */
  finishConnect(intent: ConnectIntent, send: (parts: string[]) => void): HeldConnect | null {
    const s = intent.session;
    if (!s.alive) {
      send([this.connectReply(intent.request, s, 'gone')]);
      return null;
    }
    if (intent.holdMs <= 0 || s.queue.length > 0 || this.closed) {
      s.lastActive = this.now();
      send([this.connectReply(intent.request, s, 'events'), ...s.takeQueue()]);
      return null;
    }
    if (s.held) this.completeHeld(s, 'superseded');
    const timer = setTimeout(() => this.completeHeld(s, 'events'), intent.holdMs);
    timer.unref();
    const held: HeldConnect = { session: s, request: intent.request, link: intent.link, timer, send };
    s.held = held;
    this.log.debug({ session: s.tag, holdMs: intent.holdMs }, 'bayeux connect held');
    return held;
  }

  /** Answer the session's held connect, if any. */
  completeHeld(s: Session, outcome: ConnectOutcome): void {
    const held = s.held;
    if (!held) return;
    clearTimeout(held.timer);
    s.held = null;
    s.lastActive = this.now();
    const parts = [this.connectReply(held.request, s, outcome)];
    if (outcome === 'events') for (const m of s.takeQueue()) parts.push(m);
    try {
      held.send(parts);
    } catch (err) {
      this.log.warn({ err, session: s.tag }, 'bayeux: could not answer a held connect');
    }
  }

  /** The carrier of a held connect went away (HTTP request aborted, websocket closed). */
  abandon(held: HeldConnect): void {
    const s = held.session;
    if (s.held !== held) return;
    clearTimeout(held.timer);
    s.held = null;
    s.lastActive = this.now();
  }

  /** A websocket closed: its sessions lose their carrier and start to age. */
  unlink(link: WsLink): void {
    this.links.delete(link);
    for (const s of link.sessions) {
      if (s.ws === link) s.ws = null;
      if (s.held && s.held.link === link) this.abandon(s.held);
      s.lastActive = this.now();
    }
    link.sessions.clear();
  }

  /** Queue one pre-serialised delivery for every session of `userKey` subscribed to `channel`. */
  deliver(userKey: string, channel: string, data: unknown): number {
    if (this.closed) return 0;
    const sessions = this.registry.ofUser(userKey);
    if (!sessions) return 0;
    let wildcards: string[] | null = null;
    let message: string | null = null;
    let count = 0;
    for (const s of [...sessions]) {
      if (s.subscriptions.size === 0) continue;
      wildcards ??= patternsMatching(channel);
      if (!s.wants(channel, wildcards)) continue;
      message ??= JSON.stringify({ channel, data });
      this.enqueue(s, message);
      count++;
    }
    return count;
  }

  private carrier(s: Session): boolean {
    return (s.ws !== null && s.ws.isOpen()) || s.held !== null;
  }

  enqueue(s: Session, message: string): void {
    s.queue.push(message);
    if (this.carrier(s)) {
      if (s.queue.length >= this.opts.maxQueue) this.flush(s);
      else this.scheduleFlush(s);
    } else if (s.queue.length > this.opts.maxQueue) {
      this.log.warn({ session: s.tag, user: s.userKey, maxQueue: this.opts.maxQueue }, 'bayeux session queue overflow; session dropped');
      this.drop(s, 'queue_full', 'gone');
    }
  }

  private scheduleFlush(s: Session): void {
    if (s.flushScheduled) return;
    s.flushScheduled = true;
    queueMicrotask(() => {
      s.flushScheduled = false;
      this.flush(s);
    });
  }

  /** Send the queue out through the websocket, else through the held connect. */
  flush(s: Session): void {
    if (!s.alive || s.queue.length === 0) return;
    if (s.ws && s.ws.isOpen()) s.ws.send(frame(s.takeQueue()));
    else if (s.held) this.completeHeld(s, 'events');
  }

  /** Remove a session; its held connect (if any) is answered with `outcome`. */
  drop(s: Session, reason: DropReason, outcome: ConnectOutcome): void {
    if (!s.alive) return;
    s.alive = false;
    this.registry.remove(s);
    this.completeHeld(s, outcome);
    s.queue = [];
    s.subscriptions.clear();
    if (s.ws) {
      s.ws.sessions.delete(s);
      s.ws = null;
    }
    this.log.debug({ session: s.tag, user: s.userKey, reason }, 'bayeux session removed');
  }

  /** Drop every session of a user and close the user's websockets (they were authenticated once, at upgrade). */
  disconnectUser(userKey: string): void {
    const sessions = this.registry.ofUser(userKey);
    if (sessions) for (const s of [...sessions]) this.drop(s, 'user_disconnected', 'gone');
    for (const link of [...this.links]) {
      if (link.userKey === userKey) link.close(1008, 'session ended');
    }
  }

  sweep(): void {
    const now = this.now();
    const limit = this.opts.intervalMs + this.opts.maxIntervalMs;
    for (const s of this.registry.all()) {
      if (s.held || (s.ws && s.ws.isOpen())) continue;
      if (now - s.lastActive > limit) this.drop(s, 'expired', 'gone');
    }
  }

  /** Stop the sweeper and drop every session, answering held connects with handshake advice. */
  shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweeper);
    for (const s of [...this.registry.all()]) this.drop(s, 'server_closing', 'gone');
  }
}
