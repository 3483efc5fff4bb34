/**
 * The connection cap and who is closed first near it (docs/security.md section 3), and the Node
 * server timeouts derived from the configuration.
 *
 * Policy, exactly:
 *  1. Every accepted TCP connection is counted from 'connection' until it closes: keep-alive HTTP,
 *     held long-polls, websockets and connections lingering after an early error alike.
 *  2. A connection is *authenticated* once one request on it presented valid credentials (Basic, or
 *     the cookie of a live session) — a REST request, a CometD POST or a websocket upgrade. It stays so.
 *  3. When a connection arrives and more than `softMaxConnections` are open, every unauthenticated
 *     connection open for longer than `unauthenticatedGraceMs` is closed, oldest first.
 *  4. If more than `maxConnections` are still open, the oldest unauthenticated connection is closed
 *     (even within its grace). When that is the newcomer itself (every other one is authenticated),
 *     the newcomer is *refused*: its first request is answered 503 (GWS statusCode 4) and the
 *     connection closed; a refused connection that sends nothing is closed after `lingerMs`.
 *  Authenticated connections are never closed by this policy. Closing is `destroy()` (no answer: the
 *  connection may be in the middle of a request).
 *  5. At shutdown (`shutdown(graceMs)`, called by the app once the server stopped listening and the
 *     held long-polls were answered) every connection still open after `graceMs` is destroyed, so
 *     closing always settles: Node's server.close() spares connections with a request under way
 *     (a half-sent head or body, an unread body after an early answer) and stops checking their
 *     request timeouts, so without this one slow client held the shutdown for ever.
 * Guarantees: bookkeeping is O(1) per connection and per authentication; shedding visits only the
 * connections it closes (unauthenticated ones are kept in arrival order), plus one.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Config } from '../config/types.js';

/** Margin kept above the CometD hold so that a held long-poll is never cut as idle. */
export const IDLE_MARGIN_OVER_LONG_POLL_MS = 10_000;

/** How long connections still open at shutdown may finish what they are doing before being cut. */
export const SHUTDOWN_GRACE_MS = 2000;
/** During that grace, how often connections that became idle are closed. */
const SHUTDOWN_IDLE_SWEEP_MS = 50;

export interface ConnectionLimits {
  maxConnections: number;
  softMaxConnections: number;
  unauthenticatedGraceMs: number;
  /** how long a refused connection may stay without sending a request */
  refusedLingerMs: number;
}

/** The limits of the guard, with softMaxConnections defaulted to 75% of maxConnections. */
export function connectionLimits(config: Config): ConnectionLimits {
  const c = config.connections;
  return {
    maxConnections: c.maxConnections,
    softMaxConnections: c.softMaxConnections ?? Math.max(1, Math.floor(c.maxConnections * 0.75)),
    unauthenticatedGraceMs: c.unauthenticatedGraceMs,
    refusedLingerMs: c.lingerMs,
  };
}

/** Socket idle timeout actually applied: never below the CometD hold plus a margin. */
export function effectiveIdleTimeoutMs(config: Config): number {
  return Math.max(config.connections.idleTimeoutMs, config.cometd.timeoutMs + IDLE_MARGIN_OVER_LONG_POLL_MS);
}

/** The fastify/Node server options for the timeouts and the head size. */
export function serverTimeoutOptions(config: Config) {
  const c = config.connections;
  return {
    connectionTimeout: effectiveIdleTimeoutMs(config),
    keepAliveTimeout: c.keepAliveTimeoutMs,
    requestTimeout: c.requestTimeoutMs,
    http: {
      headersTimeout: c.headersTimeoutMs,
      requestTimeout: c.requestTimeoutMs,
      maxHeaderSize: c.maxHeaderBytes,
      // Node would answer a missing Host with an empty 400; http.ts answers it with the envelope
      requireHostHeader: false,
      // how often Node looks for requests over their timeouts: fine enough for the shortest one
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(c.headersTimeoutMs / 4))),
    },
  };
}

interface Entry {
  since: number;
}

export interface GuardLog {
  warn(o: object, msg: string): void;
  debug(o: object, msg: string): void;
}

export class ConnectionGuard {
  /** unauthenticated connections, in arrival order (a Map iterates in insertion order) */
  private readonly unauthenticated = new Map<Socket, Entry>();
  private readonly authenticated = new Set<Socket>();
  private readonly refusedSockets = new WeakSet<Socket>();
  /** connections closed by the policy since start, for logs and tests */
  shed = 0;
  /** set by shutdown(): resolves it when the last counted connection closes */
  private whenEmpty: (() => void) | null = null;
  private shuttingDown: Promise<void> | null = null;
  private server: Server | null = null;

  constructor(
    private readonly limits: ConnectionLimits,
    private readonly log: GuardLog,
    private readonly now: () => number = Date.now,
  ) {}

  attach(server: Server): void {
    this.server = server;
    server.on('connection', (socket: Socket) => {
      try {
        this.admit(socket);
      } catch (err) {
        // a bookkeeping failure must not take the process down; the connection is served as usual
        this.log.warn({ err }, 'connection guard failed on a new connection');
      }
    });
  }

  get size(): number {
    return this.unauthenticated.size + this.authenticated.size;
  }

  /** The connection presented valid credentials: never closed by the policy from now on. */
  markAuthenticated(socket: Socket | undefined | null): void {
    if (!socket || !this.unauthenticated.delete(socket)) return;
    this.authenticated.add(socket);
  }

  isAuthenticated(socket: Socket): boolean {
    return this.authenticated.has(socket);
  }

  /** The connection was refused at the cap: its request is to be answered 503 and closed. */
  refused(socket: Socket | undefined | null): boolean {
    return !!socket && this.refusedSockets.has(socket);
  }

  admit(socket: Socket): void {
    const now = this.now();
    this.unauthenticated.set(socket, { since: now });
    socket.once('close', () => {
      this.unauthenticated.delete(socket);
      this.authenticated.delete(socket);
      if (this.size === 0) this.whenEmpty?.();
    });
    if (this.size <= this.limits.softMaxConnections) return;
    this.shedStale(now);
    if (this.size <= this.limits.maxConnections) return;
    const oldest = this.unauthenticated.keys().next().value as Socket;
    if (oldest === socket) this.refuse(socket);
    else this.close(oldest, 'connection cap reached: oldest unauthenticated connection closed');
  }

  private shedStale(now: number): void {
    for (const [socket, entry] of this.unauthenticated) {
      if (now - entry.since <= this.limits.unauthenticatedGraceMs) return;
      this.close(socket, 'over the soft connection limit: unauthenticated connection past its grace closed');
    }
  }

  private close(socket: Socket, why: string): void {
    this.unauthenticated.delete(socket);
    this.shed++;
    this.log.debug({ remote: socket.remoteAddress, open: this.size }, why);
    socket.destroy();
  }

  /**
   * Resolves once every counted connection is closed; those still open after `graceMs` are
   * destroyed. Call after the server stopped accepting (server.close()), never rejects.
   */
  shutdown(graceMs: number): Promise<void> {
    this.shuttingDown ??= new Promise<void>((resolve) => {
      const deadline = setTimeout(() => {
        clearInterval(idleSweep);
        const left = [...this.unauthenticated.keys(), ...this.authenticated];
        if (left.length > 0) this.log.debug({ open: left.length }, 'shutdown: connections still open after the grace destroyed');
        for (const socket of left) socket.destroy();
      }, graceMs);
      // server.close() closed the idle connections once; one whose request is answered meanwhile
      // becomes idle keep-alive and is closed at the next sweep, not kept to the deadline
      const idleSweep = setInterval(() => this.server?.closeIdleConnections(), SHUTDOWN_IDLE_SWEEP_MS);
      this.whenEmpty = () => {
        clearTimeout(deadline);
        clearInterval(idleSweep);
        this.whenEmpty = null;
        resolve();
      };
      if (this.size === 0) this.whenEmpty();
    });
    return this.shuttingDown;
  }

  private refuse(socket: Socket): void {
    this.refusedSockets.add(socket);
    this.shed++;
    this.log.warn({ remote: socket.remoteAddress, open: this.size, max: this.limits.maxConnections }, 'connection cap reached and every connection authenticated: new connection refused');
    const timer = setTimeout(() => socket.destroy(), this.limits.refusedLingerMs);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  }
}
