/**
 * The console's CometD connection (the official `cometd` client, as any GWS desktop uses): one
 * long-polling handshake to /api/v2/notifications riding on the session cookie, subscriptions to /v2/me/* and,
 * for supervisors, /v2/supervision/agents and /v2/supervision/routing-points. Guarantees: subscriptions are made in the handshake
 * listener, so every re-handshake (a server restart, a lost session) subscribes again and calls
 * `onReady` to reload the state, with the start of the server's call state that the handshake
 * reply names (ext.switchStart, docs/compatibility.md); the connection state is reported at each /meta/connect and
 * /meta/handshake answer (so a "reconnecting" banner shows while the server cannot be reached);
 * the back-off is bounded so a restarted server is found again within a few seconds; a session
 * the server ended stops the client and says so (no endless retries).
 */
import { CometD } from 'cometd';
import type { Message } from 'cometd';

export type ConnectionState = 'offline' | 'connecting' | 'connected' | 'reconnecting';

export interface NotificationHandlers {
  onMessage(channel: string, data: any): void;
  onState(state: ConnectionState): void;
  /**
   * after every successful handshake (the first, and each re-handshake), with the reply's
   * ext.switchStart (undefined from a server that does not send it)
   */
  onReady(switchStart: string | undefined): void;
  /** the server ended this user's session (signed out elsewhere, or expired) */
  onSessionLost(): void;
  /** a handshake failed: the server is down, or the session is gone (a websocket refused with 401 says no more) */
  onHandshakeFailed(): void;
}

/** the error of the connect that the server answers when the user's HTTP session has ended */
const SESSION_ENDED = '402::session ended';

/** the longest pause between two attempts to reach the server (ms) */
const MAX_BACKOFF_MS = 2000;

export class Notifications {
  private cometd: CometD | undefined;

  start(channels: string[], handlers: NotificationHandlers): void {
    this.stop();
    const cometd = new CometD('switchboard-console');
    this.cometd = cometd;
    // long-polling only, as GWS desktops connect: a websocket closed under the client by a restart
    // or a reload makes Chrome log an error for the client's next send
    for (const transport of cometd.getTransportTypes()) if (transport !== 'long-polling') cometd.unregisterTransport(transport);
    cometd.configure({ url: `${location.origin}/api/v2/notifications`, logLevel: 'warn', backoffIncrement: 500, maxBackoff: MAX_BACKOFF_MS, maxNetworkDelay: 5000 });
    const deliver = (m: Message) => handlers.onMessage(m.channel, m.data);
    cometd.addListener('/meta/handshake', (m: Message) => {
      if (this.cometd !== cometd) return;
      if (!m.successful) {
        handlers.onState('reconnecting');
        handlers.onHandshakeFailed();
        return;
      }
      cometd.batch(() => {
        for (const channel of channels) cometd.subscribe(channel, deliver);
      });
      const switchStart = (m.ext as { switchStart?: unknown } | undefined)?.switchStart;
      handlers.onReady(typeof switchStart === 'string' ? switchStart : undefined);
    });
    cometd.addListener('/meta/connect', (m: Message) => {
      if (this.cometd !== cometd || cometd.isDisconnected()) return;
      if (String(m.error ?? '').startsWith(SESSION_ENDED)) {
        this.stop();
        handlers.onSessionLost();
        return;
      }
      handlers.onState(m.successful ? 'connected' : 'reconnecting');
    });
    handlers.onState('connecting');
    cometd.handshake();
  }

  stop(): void {
    const cometd = this.cometd;
    this.cometd = undefined;
    if (cometd && !cometd.isDisconnected()) cometd.disconnect();
  }
}
