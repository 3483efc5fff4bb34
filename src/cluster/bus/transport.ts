/**
 * The bus transport: the little of a NATS connection the notification bus and the session relay
 * use (core publish and subscribe, no JetStream), as a structural type, so the bus imports no NATS
 * client and runs over an in-process transport in unit tests.
 *
 * Guarantees of both implementations, which the bus relies on:
 * - messages published by one connection on one subject reach each subscriber in publish order
 *   (NATS orders per publishing connection; the in-process transport delivers in a FIFO);
 * - a handler that throws is reported to `onError` and never breaks the connection;
 * - `subscribe` returns a stop function that is safe to call twice.
 */

/** What the bus needs of a NATS connection (nats.js 2.x `NatsConnection` and 3.x both fit). */
export interface NatsLike {
  publish(subject: string, payload?: Uint8Array): void;
  subscribe(subject: string, opts: { callback: (err: Error | null, msg: { data: Uint8Array }) => void }): { unsubscribe(): void };
}

export interface BusTransport {
  publish(subject: string, payload: Uint8Array): void;
  subscribe(subject: string, onMessage: (payload: Uint8Array) => void): () => void;
}

export type BusErrorSink = (err: unknown, what: string) => void;

/** The transport over a NATS connection. */
export function natsTransport(nc: NatsLike, onError: BusErrorSink): BusTransport {
  return {
    publish: (subject, payload) => {
      try {
        nc.publish(subject, payload);
      } catch (err) {
        onError(err, `publish on ${subject}`);
      }
    },
    subscribe: (subject, onMessage) => {
      const sub = nc.subscribe(subject, {
        callback: (err, msg) => {
          if (err) return onError(err, `subscription ${subject}`);
          try {
            onMessage(msg.data);
          } catch (handlerError) {
            onError(handlerError, `message on ${subject}`);
          }
        },
      });
      let stopped = false;
      return () => {
        if (stopped) return;
        stopped = true;
        try {
          sub.unsubscribe();
        } catch (err) {
          onError(err, `unsubscribe ${subject}`);
        }
      };
    },
  };
}

/**
 * An in-process transport (exact subjects only, no wildcards): several buses in one process share
 * one, as several nodes share a nats-server. Delivery is asynchronous (a microtask per message,
 * FIFO), like a network hop, so tests cannot depend on synchronous delivery.
 */
export class InProcessTransport implements BusTransport {
  private readonly handlers = new Map<string, Set<(payload: Uint8Array) => void>>();
  private readonly fifo: Array<() => void> = [];
  private draining = false;

  constructor(private readonly onError: BusErrorSink = () => {}) {}

  publish(subject: string, payload: Uint8Array): void {
    for (const h of [...(this.handlers.get(subject) ?? [])]) this.fifo.push(() => h(payload));
    if (!this.draining) {
      this.draining = true;
      queueMicrotask(() => this.drain());
    }
  }

  subscribe(subject: string, onMessage: (payload: Uint8Array) => void): () => void {
    // a wrapper per subscription, so the same handler subscribed twice is two subscriptions
    const handler = (payload: Uint8Array) => {
      if (!live) return;
      try {
        onMessage(payload);
      } catch (err) {
        this.onError(err, `message on ${subject}`);
      }
    };
    let live = true;
    let set = this.handlers.get(subject);
    if (!set) this.handlers.set(subject, (set = new Set()));
    set.add(handler);
    return () => {
      live = false;
      const s = this.handlers.get(subject);
      s?.delete(handler);
      if (s?.size === 0) this.handlers.delete(subject);
    };
  }

  /** how many subjects have a subscriber (tests check unsubscription) */
  subscribedSubjects(): string[] {
    return [...this.handlers.keys()];
  }

  private drain(): void {
    while (this.fifo.length > 0) this.fifo.shift()!();
    this.draining = false;
  }
}
