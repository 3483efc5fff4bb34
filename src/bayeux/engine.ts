/**
 * The transport-independent heart of the Bayeux server: sessions, held /meta/connects, delivery
 * queues and session lifecycle (caps, expiry, queue cap, disconnect, shutdown).
 *
 * Guarantees:
 * - at most one held connect per session; a newer one completes the older;
 * - a connect answer carries the queued deliveries FIRST and the connect reply LAST (CometD's
 *   order: a client that starts its next connect on reading the reply has read the batch already);
 * - a delivery is serialised once and the same string is queued for every matching session; and
 *   one delivery round (everything published from the first delivery until the event loop's next
 *   check phase: the command, and the microtasks after it, such as a notifier's coalesced pass)
 *   serialises a given data object once per channel however many users it is published to: the
 *   serialised message is cached per (data object, channel) until the round ends. Rule for
 *   publishers: an object handed to `deliver` must not be changed in the same round (a change
 *   would not be seen by later recipients of that round); publish a new object; a data object that
 *   carries its own JSON text (json-text.ts) is put on the wire with that text, not serialised;
 * - queued deliveries leave through the session's websocket (one frame per flush) or its held
 *   connect, flushed once per round (setImmediate) for every session that received something, so
 *   that everything one command causes for a session (device, channel, team rows) becomes one frame
 *   or one response, one socket write; with the ack extension they leave only through connect
 *   replies (see ack.ts);
 * - a session with nothing to carry its queue that exceeds `maxQueue` is dropped (its next connect
 *   gets 402 + handshake advice); a session with a carrier is flushed at once when it reaches the cap;
 * - a session with no held connect for `intervalMs + maxIntervalMs` after it was last answered is
 *   dropped by one unref'd sweep timer, whatever its transport (an open websocket does not keep a
 *   session that stopped sending /meta/connect alive);
 * - a user holds at most `maxSessionsPerUser` sessions, a websocket carries at most
 *   `maxSessionsPerWebSocket`, a session at most `maxSubscriptionsPerSession` subscriptions (meta.ts
 *   refuses beyond); per-user work (delivery, disconnectUser) touches only that user's sessions and
 *   websockets, through per-user indexes;
 * - every entry point from the event loop (sweep timer, hold timer, round end, delivery)
 *   runs `guarded`: an exception is logged, what can be answered is answered, the server carries on.
 */
import type { IncomingMessage } from 'node:http';
import { AckState } from './ack.js';
import { patternsMatching } from './channels.js';
import { jsonTextOf } from './json-text.js';
import { type BayeuxMessage, CONNECT_FAILED, type ConnectionType, META, frame, reply, sessionUnknown } from './messages.js';
import { guarded, type Log, type ResolvedOptions } from './options.js';
import { type ConnectSender, type HeldConnect, Session, SessionRegistry, type WsLink } from './session.js';

/** Where a batch of messages came from. */
export interface Origin {
  transport: ConnectionType;
  /** the authenticated user of the request or of the websocket upgrade; null when not authenticated */
  userKey: string | null;
  /** the websocket the messages arrived on */
  link?: WsLink;
  /** the BAYEUX_BROWSER cookie of a long-poll request, when browser tracking is on */
  browser?: string | null;
}

/** A /meta/connect accepted by the batch; the transport answers or holds it once the batch is done. */
export interface ConnectIntent {
  session: Session;
  request: BayeuxMessage;
  /** 0 = answer at once */
  holdMs: number;
  /** the websocket it came over; null for HTTP */
  link: WsLink | null;
  /** the BAYEUX_BROWSER of a long-poll, else null */
  browser: string | null;
}

/** How a held (or immediate) connect is answered. */
export type ConnectOutcome =
  /** normal answer, carrying the queued deliveries */
  | 'events'
  /** the browser already holds its share of long-polls: answered at once, advice multiple-clients */
  | 'multiple-clients'
  /** a newer connect of the same session replaced this one: answered empty */
  | 'superseded'
  /** the client disconnected */
  | 'disconnected'
  /** the session was removed by the server: 402 + handshake advice */
  | 'gone'
  /** the user's presence was ended (logout): the queued deliveries, then 402 + handshake advice */
  | 'ended';

/**
 * One data object's serialised message on one channel, in this round; `next` is the same object on
 * another channel. A list rather than a Map per object: an object is nearly always published on one
 * channel, and a Map per object was one more allocation per delivery (≈ 0.04 µs, measured).
 */
interface RoundMessage {
  readonly channel: string;
  readonly message: string;
  readonly next: RoundMessage | undefined;
}

/** What deliveries on one published channel reuse: the wildcard patterns matching it, and `{"channel":…,"data":` */
interface ChannelFacts {
  readonly wildcards: readonly string[];
  readonly messagePrefix: string;
}

/** distinct published channels whose facts are remembered (the cache is emptied beyond) */
const CHANNEL_CACHE_SIZE = 1024;

/** does a delivery on `channel` go to this session (subscribed to a matching pattern, not ending)? */
function receives(s: Session, channel: string, facts: ChannelFacts): boolean {
  return s.subscriptions.size > 0 && !s.ending && s.wants(channel, facts.wildcards);
}

/** queued messages out through a websocket, as one frame */
function sendQueue(link: WsLink, messages: string[]): void {
  if (link.sendMessages) link.sendMessages(messages);
  else link.send(frame(messages));
}

export type DropReason = 'disconnect' | 'expired' | 'queue_full' | 'user_disconnected' | 'server_closing';

/** Outcomes whose answer carries the queued deliveries. */
const CARRIES_EVENTS: Readonly<Record<ConnectOutcome, boolean>> = {
  events: true,
  'multiple-clients': true,
  superseded: false,
  disconnected: false,
  gone: false,
  ended: true,
};

export class BayeuxEngine {
  readonly registry: SessionRegistry;
  /** open websockets by user, for disconnectUser */
  private readonly linksByUser = new Map<string, Set<WsLink>>();
  /** held long-polls per BAYEUX_BROWSER */
  private readonly heldPerBrowser = new Map<string, number>();
  closed = false;
  private readonly sweeper: NodeJS.Timeout;
  private readonly retryAdvice: { reconnect: 'retry'; interval: number; timeout: number };
  private readonly multipleClientsAdvice: object;
  /** this round's serialised messages, by data object, then channel (see the rule above) */
  private round = new Map<object, RoundMessage>();
  /** sessions to flush at the end of this round, in the order they got their first delivery */
  private toFlush: Session[] = [];
  private roundEndScheduled = false;
  /** channel -> the wildcard patterns that match it */
  private readonly channels = new Map<string, ChannelFacts>();

  constructor(
    readonly opts: ResolvedOptions,
    readonly log: Log,
    readonly now: () => number = Date.now,
  ) {
    this.registry = new SessionRegistry(opts.presence);
    this.retryAdvice = { reconnect: 'retry', interval: opts.intervalMs, timeout: opts.timeoutMs };
    this.multipleClientsAdvice = { reconnect: 'retry', interval: opts.multiSessionIntervalMs, timeout: opts.timeoutMs, 'multiple-clients': true };
    const window = opts.intervalMs + opts.maxIntervalMs;
    const period = Math.min(1000, Math.max(20, Math.floor(window / 2)));
    this.sweeper = setInterval(() => guarded(this.log, 'session sweep', () => this.sweep()), period);
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

  /** Why a new session of `userKey` (over `link`, if any) is refused, or null when it is allowed. */
  handshakeRefusal(userKey: string, link: WsLink | undefined): string | null {
    const perUser = this.opts.maxSessionsPerUser;
    if ((this.registry.ofUser(userKey)?.size ?? 0) >= perUser) {
      return `403::session limit reached: this user already holds ${perUser} CometD sessions; disconnect unused clients, then handshake again`;
    }
    const perSocket = this.opts.maxSessionsPerWebSocket;
    if (link && link.sessions.size >= perSocket) {
      return `403::session limit reached: this websocket already carries ${perSocket} CometD sessions; open another connection`;
    }
    return null;
  }

  /** The caller's session named by the message, bound to the websocket it came over; or null. */
  sessionFor(msg: BayeuxMessage, origin: Origin): Session | null {
    const s = this.registry.find(msg.clientId, origin.userKey);
    if (s && origin.link) this.bind(s, origin.link);
    return s;
  }

  /**
   * The session a /meta/connect names. A session being ended after delivery (logout, expiry) is
   * found by its clientId alone: the request no longer authenticates (its cookie died with the HTTP
   * session), and the clientId (160 random bits) proves it is that client, come for what was queued
   * for it before the end and for its `402::session ended` reply.
   */
  sessionForConnect(msg: BayeuxMessage, origin: Origin): Session | null {
    return this.sessionFor(msg, origin) ?? this.registry.ending(msg.clientId);
  }

  createSession(userKey: string, link: WsLink | undefined, ack: boolean): Session {
    const s = this.registry.create(userKey, this.now());
    if (ack) s.ack = new AckState();
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

  /** A connect arrived for an ack session: unacknowledged deliveries go back to the queue's front. */
  acknowledge(s: Session, ext: unknown): void {
    if (!s.ack) return;
    const resend = s.ack.acknowledge(ext);
    if (resend.length > 0) s.queue = resend.concat(s.queue);
  }

  /** The answer to a connect: the deliveries it carries and its reply (serialised). */
  connectAnswer(request: { id?: unknown }, s: Session, outcome: ConnectOutcome): { events: string[]; connectReply: string } {
    const msg = request as BayeuxMessage;
    const events = CARRIES_EVENTS[outcome] ? s.takeQueue() : [];
    const ext = s.ack && CARRIES_EVENTS[outcome] ? { ext: { ack: s.ack.send(events) } } : {};
    const fields: Record<ConnectOutcome, () => string> = {
      events: () => reply(msg, { clientId: s.id, successful: true, advice: this.retryAdvice, ...ext }, META.connect),
      'multiple-clients': () => reply(msg, { clientId: s.id, successful: true, advice: this.multipleClientsAdvice, ...ext }, META.connect),
      superseded: () => reply(msg, { clientId: s.id, successful: true, advice: this.retryAdvice }, META.connect),
      disconnected: () => reply(msg, { clientId: s.id, successful: true, advice: { reconnect: 'none' } }, META.connect),
      gone: () => sessionUnknown({ ...msg, channel: META.connect }),
      ended: () =>
        reply(msg, { clientId: s.id, successful: false, error: '402::session ended: the user signed out or the HTTP session expired; authenticate and handshake again', advice: { reconnect: 'handshake', interval: 0 }, ...ext }, META.connect),
    };
    return { events, connectReply: fields[outcome]() };
  }

  /** Answer `request` with `outcome` through `send`; if building or sending fails, a generic failure reply is tried. */
  private answer(request: { id?: unknown }, s: Session, outcome: ConnectOutcome, send: ConnectSender): void {
    guarded(
      this.log,
      'connect answer',
      () => {
        const { events, connectReply } = this.connectAnswer(request, s, outcome);
        send(events, connectReply);
      },
      () => send([], CONNECT_FAILED),
    );
  }

  /**
   * Answer a connect intent now (timeout 0, deliveries waiting, session already gone, browser over
   * its share of long-polls) or hold it. Returns the held connect, if held.
   */
  finishConnect(intent: ConnectIntent, send: ConnectSender): HeldConnect | null {
    const s = intent.session;
    if (!s.alive) {
      this.answer(intent.request, s, 'gone', send);
      return null;
    }
    if (s.ending) {
      this.answer(intent.request, s, 'ended', send);
      this.drop(s, 'user_disconnected', 'gone');
      return null;
    }
    if (intent.holdMs <= 0 || s.queue.length > 0 || this.closed) {
      s.lastActive = this.now();
      this.answer(intent.request, s, 'events', send);
      return null;
    }
    if (s.held) this.completeHeld(s, 'superseded');
    const browser = this.countBrowser(intent.browser);
    if (browser === false) {
      s.lastActive = this.now();
      this.log.debug({ session: s.tag }, 'bayeux connect not held: multiple clients in one browser');
      this.answer(intent.request, s, 'multiple-clients', send);
      return null;
    }
    const timer = setTimeout(() => guarded(this.log, 'hold timer', () => this.completeHeld(s, 'events')), intent.holdMs);
    timer.unref();
    const held: HeldConnect = { session: s, request: intent.request, link: intent.link, timer, browser, send };
    s.held = held;
    this.log.debug({ session: s.tag, holdMs: intent.holdMs }, 'bayeux connect held');
    return held;
  }

  /** Count one more held long-poll for `browser`: the browser to release later, null when not counted, false when over the limit. */
  private countBrowser(browser: string | null): string | null | false {
    const max = this.opts.maxSessionsPerBrowser;
    if (max <= 0 || browser === null) return null;
    const count = this.heldPerBrowser.get(browser) ?? 0;
    if (count >= max) return false;
    this.heldPerBrowser.set(browser, count + 1);
    return browser;
  }

  /** A held connect ends (answered or abandoned): its timer and its browser share are released. */
  private release(held: HeldConnect): void {
    const s = held.session;
    clearTimeout(held.timer);
    if (s.held === held) s.held = null;
    s.lastActive = this.now();
    if (held.browser !== null) {
      const left = (this.heldPerBrowser.get(held.browser) ?? 1) - 1;
      if (left > 0) this.heldPerBrowser.set(held.browser, left);
      else this.heldPerBrowser.delete(held.browser);
    }
  }

  /** Answer the session's held connect, if any. */
  completeHeld(s: Session, outcome: ConnectOutcome): void {
    const held = s.held;
    if (!held) return;
    this.release(held);
    this.answer(held.request, s, outcome, held.send);
  }

  /** The carrier of a held connect went away (HTTP request aborted, websocket closed). */
  abandon(held: HeldConnect): void {
    if (held.session.held !== held) return;
    this.release(held);
  }

  /** A websocket opened for `link.userKey`. */
  addLink(link: WsLink): void {
    let set = this.linksByUser.get(link.userKey);
    if (!set) this.linksByUser.set(link.userKey, (set = new Set()));
    set.add(link);
  }

  /** A websocket closed: its sessions lose their carrier and start to age. */
  unlink(link: WsLink): void {
    const set = this.linksByUser.get(link.userKey);
    if (set) {
      set.delete(link);
      if (set.size === 0) this.linksByUser.delete(link.userKey);
    }
    for (const s of link.sessions) {
      guarded(this.log, 'websocket unlink', () => {
        if (s.ws === link) s.ws = null;
        if (s.held && s.held.link === link) this.abandon(s.held);
        s.lastActive = this.now();
      });
    }
    link.sessions.clear();
  }

  /** Queue one delivery for every session of `userKey` subscribed to `channel`; how many were queued. */
  deliver(userKey: string, channel: string, data: unknown): number {
    if (this.closed) return 0;
    const sessions = this.registry.ofUser(userKey);
    if (!sessions) return 0;
    let facts: ChannelFacts | null = null;
    let message: string | null = null;
    let count = 0;
    // iterating the live set is safe: a session dropped on the way (queue overflow) is deleted from it
    for (const s of sessions) {
      try {
        facts ??= this.channelFacts(channel);
        if (!receives(s, channel, facts)) continue;
        message ??= this.serialised(channel, facts, data);
        this.enqueue(s, message);
        count++;
      } catch (err) {
        this.log.warn({ err, entryPoint: 'delivery' }, 'bayeux: delivery failed');
      }
    }
    if (count > 0) this.opts.metrics.queued?.(count);
    return count;
  }

  /**
   * Would a delivery to `userKey` on `channel` now be queued for at least one session (the sessions
   * `deliver` picks)? For publishers that need not build a message nobody would receive.
   */
  hasSubscriber(userKey: string, channel: string): boolean {
    if (this.closed) return false;
    const sessions = this.registry.ofUser(userKey);
    if (!sessions) return false;
    const facts = this.channelFacts(channel);
    for (const s of sessions) if (receives(s, channel, facts)) return true;
    return false;
  }

  /** `{channel, data}` as JSON, once per (data object, channel) in this delivery round */
  private serialised(channel: string, facts: ChannelFacts, data: unknown): string {
    if (data === null || typeof data !== 'object') return JSON.stringify({ channel, data });
    const first = this.round.get(data);
    for (let cached = first; cached !== undefined; cached = cached.next) if (cached.channel === channel) return cached.message;
    const text = jsonTextOf(data);
    const message = text === undefined ? JSON.stringify({ channel, data }) : facts.messagePrefix + text + '}';
    this.round.set(data, { channel, message, next: first });
    this.scheduleRoundEnd();
    return message;
  }

  /** the facts of a published channel (a bounded cache: published channels are few) */
  private channelFacts(channel: string): ChannelFacts {
    let found = this.channels.get(channel);
    if (found === undefined) {
      if (this.channels.size >= CHANNEL_CACHE_SIZE) this.channels.clear();
      found = { wildcards: patternsMatching(channel), messagePrefix: `{"channel":${JSON.stringify(channel)},"data":` };
      this.channels.set(channel, found);
    }
    return found;
  }

  /** Is something there to carry the queue out soon (an open websocket, without ack; a held connect)? */
  private carrier(s: Session): boolean {
    return s.held !== null || (s.ack === null && s.ws !== null && s.ws.isOpen());
  }

  enqueue(s: Session, message: string): void {
    s.queue.push(message);
    const pending = s.queue.length + (s.ack?.pending ?? 0);
    if (this.carrier(s)) {
      if (s.queue.length >= this.opts.maxQueue) this.flush(s);
      else this.scheduleFlush(s);
    } else if (pending > this.opts.maxQueue) {
      this.log.warn({ session: s.tag, user: s.userKey, maxQueue: this.opts.maxQueue }, 'bayeux session queue overflow; session dropped');
      this.drop(s, 'queue_full', 'gone');
    }
  }

  private scheduleFlush(s: Session): void {
    if (s.flushScheduled) return;
    s.flushScheduled = true;
    this.toFlush.push(s);
    this.scheduleRoundEnd();
  }

  /** The round ends in the next check phase: every session that got something is flushed, the serialisation cache is cleared. */
  private scheduleRoundEnd(): void {
    if (this.roundEndScheduled) return;
    this.roundEndScheduled = true;
    setImmediate(this.endRound);
  }

  private readonly endRound = (): void => {
    this.roundEndScheduled = false;
    this.round = new Map();
    const sessions = this.toFlush;
    this.toFlush = [];
    for (const s of sessions) {
      s.flushScheduled = false;
      try {
        this.flush(s);
      } catch (err) {
        this.log.warn({ err, entryPoint: 'queue flush' }, 'bayeux: queue flush failed');
      }
    }
  };

  /** Send the queue out through the websocket (not with ack), else through the held connect. */
  flush(s: Session): void {
    if (!s.alive || s.queue.length === 0) return;
    if (s.ack === null && s.ws && s.ws.isOpen()) sendQueue(s.ws, s.takeQueue());
    else if (s.held) this.completeHeld(s, 'events');
  }

  /** Remove a session; its held connect (if any) is answered with `outcome`. */
  drop(s: Session, reason: DropReason, outcome: ConnectOutcome): void {
    if (!s.alive) return;
    s.alive = false;
    this.registry.remove(s);
    this.completeHeld(s, outcome);
    this.opts.metrics.dropped?.(reason, s.queue.length);
    s.queue = [];
    s.subscriptions.clear();
    if (s.ws) {
      s.ws.sessions.delete(s);
      s.ws = null;
    }
    this.log.debug({ session: s.tag, user: s.userKey, reason }, 'bayeux session removed');
  }

  /**
   * End a user's CometD presence. `now`: every session is dropped at once (a held connect, long-poll
   * or websocket, is answered 402 + handshake advice, and what was queued is discarded).
   * `afterDelivery` (logout, HTTP session expiry): what was already queued for the user is still
   * delivered, in order, and nothing published later is: a held connect is answered with the queue
   * and a 402 + handshake reply, a websocket gets the queue as a last frame; a long-poll session
   * between two connects is marked ending, answered that way at its next connect, and otherwise
   * expires like any silent session. Then the user's websockets are closed (they were
   * authenticated once, at upgrade).
   */
  disconnectUser(userKey: string, mode: 'now' | 'afterDelivery' = 'now'): void {
    const sessions = this.registry.ofUser(userKey);
    if (sessions) {
      for (const s of [...sessions]) {
        guarded(this.log, 'disconnect user', () => {
          if (mode === 'now') return this.drop(s, 'user_disconnected', 'gone');
          s.ending = true;
          if (s.held) {
            this.completeHeld(s, 'ended');
            this.drop(s, 'user_disconnected', 'gone');
          } else if (s.ack === null && s.ws && s.ws.isOpen()) {
            if (s.queue.length > 0) sendQueue(s.ws, s.takeQueue());
            this.drop(s, 'user_disconnected', 'gone');
          }
        });
      }
    }
    const links = this.linksByUser.get(userKey);
    if (links) for (const link of [...links]) guarded(this.log, 'disconnect user', () => link.close(1008, 'session ended'));
  }

  sweep(): void {
    const now = this.now();
    const limit = this.opts.intervalMs + this.opts.maxIntervalMs;
    // deleting from a Map while iterating it is safe: no copy of every session per sweep
    for (const s of this.registry.all()) {
      guarded(this.log, 'session sweep', () => {
        if (s.held) return;
        if (now - s.lastActive > limit) this.drop(s, 'expired', 'gone');
      });
    }
  }

  /** Stop the sweeper and drop every session, answering held connects with handshake advice. */
  shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweeper);
    for (const s of [...this.registry.all()]) guarded(this.log, 'shutdown', () => this.drop(s, 'server_closing', 'gone'));
  }
}
