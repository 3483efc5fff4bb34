/**
 * One Bayeux session (a handshaken client) and the registry of live sessions.
 *
 * A session belongs to the user key it handshook with; `SessionRegistry.find` answers only for that
 * user, so a clientId that leaked to another user is worth nothing. The registry keeps a per-user
 * index so that publishing to a user touches only that user's sessions.
 */
import { randomBytes } from 'node:crypto';
import type { AckState } from './ack.js';

/** The websocket a session currently talks over (see websocket.ts). */
export interface WsLink {
  readonly userKey: string;
  /** sessions whose messages arrived over this socket */
  readonly sessions: Set<Session>;
  isOpen(): boolean;
  /** send one frame (a JSON array); a no-op once the socket is closing */
  send(frame: string): void;
  /** send pre-serialised messages as one frame (their JSON array); a no-op once the socket is closing;
   *  when absent, `send(frame(messages))` is used */
  sendMessages?(messages: readonly string[]): void;
  close(code: number, reason: string): void;
}

/** A /meta/connect waiting for events or its timeout. */
export interface HeldConnect {
  readonly session: Session;
  /** the connect request, for its id */
  readonly request: { id?: unknown };
  /** the websocket it came over; null for a long-poll */
  readonly link: WsLink | null;
  readonly timer: NodeJS.Timeout;
  /** the BAYEUX_BROWSER of a long-poll counted against maxSessionsPerBrowser, else null */
  readonly browser: string | null;
  /** writes the answer (the deliveries first, the connect reply last) to wherever the connect came from */
  readonly send: ConnectSender;
}

/** Writes a connect answer: `events` first, then `connectReply` last (CometD's order). */
export type ConnectSender = (events: string[], connectReply: string) => void;

export class Session {
  /** patterns (channels or wildcards) this session subscribed to */
  readonly subscriptions = new Set<string>();
  /** pre-serialised deliveries waiting for a connect or a websocket flush */
  queue: string[] = [];
  held: HeldConnect | null = null;
  ws: WsLink | null = null;
  /** when the session last showed life without holding anything: handshake, connect reply, socket loss */
  lastActive: number;
  alive = true;
  /** the user's presence is being ended after delivery (disconnectUser afterDelivery): no new deliveries */
  ending = false;
  flushScheduled = false;
  /** the ack extension, when the client asked for it at handshake */
  ack: AckState | null = null;

  constructor(
    readonly id: string,
    readonly userKey: string,
    now: number,
  ) {
    this.lastActive = now;
  }

  takeQueue(): string[] {
    const q = this.queue;
    this.queue = [];
    return q;
  }

  /** Does any subscription match `channel`, given the wildcard patterns that match it? */
  wants(channel: string, wildcards: readonly string[]): boolean {
    const subs = this.subscriptions;
    if (subs.size === 0) return false;
    if (subs.has(channel)) return true;
    for (const p of wildcards) if (subs.has(p)) return true;
    return false;
  }

  /** A short, non-secret tag for logs. */
  get tag(): string {
    return this.id.slice(0, 8);
  }
}

/** 160 random bits as 40 hex characters. */
export function newClientId(): string {
  return randomBytes(20).toString('hex');
}

export class SessionRegistry {
  private readonly byId = new Map<string, Session>();
  private readonly byUser = new Map<string, Set<Session>>();

  /** onPresence is told when a user's first session is created and when their last one is removed */
  constructor(private readonly onPresence: (userKey: string, present: boolean) => void = () => {}) {}

  create(userKey: string, now: number): Session {
    const s = new Session(newClientId(), userKey, now);
    this.byId.set(s.id, s);
    let set = this.byUser.get(userKey);
    const first = !set;
    if (!set) this.byUser.set(userKey, (set = new Set()));
    set.add(s);
    if (first) this.onPresence(userKey, true);
    return s;
  }

  /** The session named by `clientId` if it exists and belongs to `userKey`; otherwise null. */
  find(clientId: unknown, userKey: string | null): Session | null {
    if (typeof clientId !== 'string' || userKey === null) return null;
    const s = this.byId.get(clientId);
    return s && s.userKey === userKey ? s : null;
  }

  /** The session named by `clientId`, whoever asks: only for a session being ended after delivery. */
  ending(clientId: unknown): Session | null {
    if (typeof clientId !== 'string') return null;
    const s = this.byId.get(clientId);
    return s && s.ending ? s : null;
  }

  remove(s: Session): void {
    if (this.byId.get(s.id) !== s) return;
    this.byId.delete(s.id);
    const set = this.byUser.get(s.userKey);
    if (set) {
      set.delete(s);
      if (set.size === 0) {
        this.byUser.delete(s.userKey);
        this.onPresence(s.userKey, false);
      }
    }
  }

  ofUser(userKey: string): ReadonlySet<Session> | undefined {
    return this.byUser.get(userKey);
  }

  all(): IterableIterator<Session> {
    return this.byId.values();
  }

  get size(): number {
    return this.byId.size;
  }
}
