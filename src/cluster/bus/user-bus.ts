/**
 * Notifications across cluster nodes. The owner of a contact center renders each GWS notification
 * once (the ordinary Notifier and Team, given this bus as their Publisher) and publishes it on the
 * recipient's subject, `switchboard.user.<token>`; every node subscribes to a user's subject only
 * while it holds at least one of that user's CometD sessions (the Bayeux presence hook) and hands
 * what arrives to its local Bayeux server. Ending a user's CometD presence (logout) travels the same
 * subject, so it reaches whichever node holds the sessions.
 *
 * Guarantees:
 * - per user, notifications are delivered in the order the owner published them (one publishing
 *   connection, one subject: NATS keeps that order); a logout's disconnect, published by the node
 *   that served the logout after the owner answered it, arrives after the logout's own notifications
 *   (the owner published them on its connection before its reply; one nats-server routes in order);
 * - a node with none of a user's sessions receives nothing for them (no subscription), and drops its
 *   subscription when the user's last local session ends;
 * - the local Bayeux server is reached through `publishToUser`/`disconnectUser` only, so the rules
 *   of the single-node path (serialised once, queues, afterDelivery) apply unchanged on every node;
 * - a malformed message is reported to `onError` and dropped; nothing here throws into its caller.
 */
import { subjectToken } from '../contract.js';
import type { BayeuxServer } from '../../bayeux/port.js';
import type { Publisher } from '../../gws/notifier.js';
import type { BusErrorSink, BusTransport } from './transport.js';

export const USER_SUBJECT_PREFIX = 'switchboard.user.';

export const userSubject = (userKey: string): string => USER_SUBJECT_PREFIX + subjectToken(userKey);

export type DisconnectMode = 'now' | 'afterDelivery';

/** What travels on a user's subject. */
export type UserMessage =
  /** a notification: deliver `data` on `channel` */
  | { t: 'n'; c: string; d: unknown }
  /** end the user's CometD sessions */
  | { t: 'x'; m: DisconnectMode };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeUserMessage(m: UserMessage): Uint8Array {
  return encoder.encode(JSON.stringify(m));
}

export function decodeUserMessage(payload: Uint8Array): UserMessage | undefined {
  const m: unknown = JSON.parse(decoder.decode(payload));
  if (typeof m !== 'object' || m === null) return undefined;
  const o = m as Record<string, unknown>;
  if (o.t === 'n' && typeof o.c === 'string') return { t: 'n', c: o.c, d: o.d };
  if (o.t === 'x' && (o.m === 'now' || o.m === 'afterDelivery')) return { t: 'x', m: o.m };
  return undefined;
}

/** How the bus acts on each kind of message, on the node that holds the user's sessions. */
const DELIVER: { [K in UserMessage['t']]: (local: BayeuxServer, userKey: string, m: Extract<UserMessage, { t: K }>) => void } = {
  n: (local, userKey, m) => local.publishToUser(userKey, m.c, m.d),
  x: (local, userKey, m) => local.disconnectUser(userKey, m.m),
};

export class UserBus implements Publisher {
  /** user key -> stop function of its subscription, while a local session of the user exists */
  private readonly subscriptions = new Map<string, () => void>();
  private local: BayeuxServer | undefined;
  private closed = false;

  constructor(
    private readonly transport: BusTransport,
    private readonly onError: BusErrorSink,
  ) {}

  /** the hook to give BayeuxOptions.presence */
  readonly presence = (userKey: string, present: boolean): void => {
    if (this.closed) return;
    if (present) {
      if (this.subscriptions.has(userKey)) return;
      this.subscriptions.set(userKey, this.transport.subscribe(userSubject(userKey), (payload) => this.receive(userKey, payload)));
    } else {
      this.subscriptions.get(userKey)?.();
      this.subscriptions.delete(userKey);
    }
  };

  /**
   * Deliver through `local` from now on, and get the Bayeux server the rest of the node uses: the
   * local one, except that publishing to a user and ending a user's sessions go over the bus.
   */
  attach(local: BayeuxServer): BayeuxServer {
    this.local = local;
    return {
      handlePost: local.handlePost.bind(local),
      handleUpgrade: local.handleUpgrade.bind(local),
      sessionCount: local.sessionCount.bind(local),
      sessionsByTransport: local.sessionsByTransport.bind(local),
      serving: local.serving.bind(local),
      close: local.close.bind(local),
      publishToUser: (userKey, channel, data) => this.publishToUser(userKey, channel, data),
      // the user may be connected to another node: a publisher must assume someone listens
      hasSubscriber: () => true,
      disconnectUser: (userKey, mode) => this.disconnectUser(userKey, mode ?? 'now'),
    };
  }

  publishToUser(userKey: string, channel: string, data: unknown): void {
    this.send(userKey, { t: 'n', c: channel, d: data });
  }

  disconnectUser(userKey: string, mode: DisconnectMode = 'now'): void {
    this.send(userKey, { t: 'x', m: mode });
  }

  /** the users this node is subscribed for (diagnostics, tests) */
  subscribedUsers(): string[] {
    return [...this.subscriptions.keys()];
  }

  /** stop every subscription (shutdown) */
  close(): void {
    this.closed = true;
    for (const stop of this.subscriptions.values()) stop();
    this.subscriptions.clear();
  }

  private send(userKey: string, m: UserMessage): void {
    try {
      this.transport.publish(userSubject(userKey), encodeUserMessage(m));
    } catch (err) {
      this.onError(err, `publish to user ${userKey}`);
    }
  }

  private receive(userKey: string, payload: Uint8Array): void {
    const local = this.local;
    if (!local) return;
    let m: UserMessage | undefined;
    try {
      m = decodeUserMessage(payload);
    } catch (err) {
      return this.onError(err, `decode a message for user ${userKey}`);
    }
    if (!m) return this.onError(new Error('unknown message shape'), `message for user ${userKey}`);
    (DELIVER[m.t] as (l: BayeuxServer, u: string, msg: UserMessage) => void)(local, userKey, m);
  }
}
