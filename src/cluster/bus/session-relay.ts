/**
 * HTTP sessions on any node (cluster decision, docs/scale-out.md "HTTP sessions"): sessions are kept
 * in the shared store (PostgreSQL) as on a single node, and every node keeps every live session in
 * memory, because the CometD authenticate hook is synchronous. A node learns the sessions other
 * nodes create, use and end from the subject `switchboard.sessions`: the store its Sessions write to
 * is wrapped here, so each save, touch and delete is also published; what arrives from the other
 * nodes is applied to the local Sessions in memory (adopt, touched, forget). A starting node
 * subscribes first and then loads the live sessions from the store (Sessions.restore), so a session
 * created in between is not missed.
 *
 * Guarantees:
 * - a session created on one node authenticates on every node once the message has arrived (one
 *   NATS hop, well under the time a client takes to use its new cookie elsewhere; with a sticky
 *   load balancer a client stays on its node anyway until that node dies);
 * - a logout on one node ends the session on every node (the CometD sessions of that user end
 *   through the user bus: user-bus.ts);
 * - a node that starts with a changed password (it wrote the new credentials and ended the user's
 *   stored sessions) says so (`passwordsChanged`): every running node then reads the user's stored
 *   credentials again, and ends the user's sessions and cached credentials (Auth.passwordChanged),
 *   so the old password stops working on the whole cluster, not only on the restarted node;
 * - a node ignores its own messages; the store is written once, by the node where it happened;
 * - only the SHA-256 of a session id travels, as only it is stored.
 */
import type { SessionStore, StoredSession } from '../../store/port.js';
import type { BusErrorSink, BusTransport } from './transport.js';

export const SESSIONS_SUBJECT = 'switchboard.sessions';
/** user names per `passwords` message: 1,000 names of up to 64 characters stay under NATS's 1 MB payload */
export const PASSWORD_NAMES_PER_MESSAGE = 1000;

export type SessionChange =
  | { op: 'save'; session: StoredSession }
  | { op: 'touch'; idHash: string; lastSeen: number }
  | { op: 'delete'; idHash: string }
  | { op: 'passwords'; userNames: string[] };

/** What the relay changes in a node's in-memory sessions (src/gws/sessions.ts). */
export interface SessionMemory {
  adopt(s: StoredSession): void;
  touched(idHash: string, lastSeen: number): void;
  forget(idHash: string): void;
  /** another node stored new passwords for these users and ended their stored sessions */
  passwordsChanged(userNames: readonly string[]): void;
}

const APPLY: { [K in SessionChange['op']]: (memory: SessionMemory, change: Extract<SessionChange, { op: K }>) => void } = {
  save: (memory, c) => memory.adopt(c.session),
  touch: (memory, c) => memory.touched(c.idHash, c.lastSeen),
  delete: (memory, c) => memory.forget(c.idHash),
  passwords: (memory, c) => memory.passwordsChanged(Array.isArray(c.userNames) ? c.userNames.filter((n) => typeof n === 'string') : []),
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class SessionRelay {
  private stop: (() => void) | undefined;

  constructor(
    private readonly node: string,
    private readonly transport: BusTransport,
    private readonly onError: BusErrorSink,
  ) {}

  /** the store to give this node's Sessions: writes go to `store` and are published */
  wrap(store: SessionStore): SessionStore {
    return {
      saveSession: (session) => this.after(store.saveSession(session), { op: 'save', session }),
      touchSession: (idHash, lastSeen) => this.after(store.touchSession(idHash, lastSeen), { op: 'touch', idHash, lastSeen }),
      deleteSession: (idHash) => this.after(store.deleteSession(idHash), { op: 'delete', idHash }),
      deleteSessionsSeenBefore: (cutoff) => store.deleteSessionsSeenBefore(cutoff),
      sessionsSeenSince: (since) => store.sessionsSeenSince(since),
    };
  }

  /** apply the other nodes' changes to `memory` from now on */
  listen(memory: SessionMemory): void {
    this.stop?.();
    this.stop = this.transport.subscribe(SESSIONS_SUBJECT, (payload) => {
      const message = JSON.parse(decoder.decode(payload)) as { from: string; change: SessionChange };
      if (message.from === this.node) return;
      const apply = APPLY[message.change?.op] as ((m: SessionMemory, c: SessionChange) => void) | undefined;
      if (!apply) return this.onError(new Error(`unknown session change ${String(message.change?.op)}`), 'session relay');
      apply(memory, message.change);
    });
  }

  /**
   * Tell the other nodes that these users' passwords changed (the store already has the new
   * credentials), PASSWORD_NAMES_PER_MESSAGE names a message, well below NATS's largest payload.
   */
  passwordsChanged(userNames: readonly string[]): void {
    for (let at = 0; at < userNames.length; at += PASSWORD_NAMES_PER_MESSAGE) {
      void this.after(Promise.resolve(), { op: 'passwords', userNames: userNames.slice(at, at + PASSWORD_NAMES_PER_MESSAGE) });
    }
  }

  close(): void {
    this.stop?.();
    this.stop = undefined;
  }

  /** publish once the local store has the change (a node that adopts it may then rely on the store too) */
  private async after(write: Promise<void>, change: SessionChange): Promise<void> {
    await write;
    try {
      this.transport.publish(SESSIONS_SUBJECT, encoder.encode(JSON.stringify({ from: this.node, change })));
    } catch (err) {
      this.onError(err, 'session relay publish');
    }
  }
}
