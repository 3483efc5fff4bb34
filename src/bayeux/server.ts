/**
 * createBayeuxServer: Switchboard's own Bayeux 1.0 (CometD) server, long-polling and websocket,
 * behind the BayeuxServer port (port.ts). The host routes POSTs and upgrades of the mount point
 * (and of any single segment after it) here; this module only composes the engine and transports.
 * The calls of the host (publishToUser, disconnectUser) never throw: a failure is logged.
 */
import { BayeuxEngine } from './engine.js';
import { LongPollingTransport } from './long-polling.js';
import { entryPointFailed, guarded, makeLog, resolveOptions } from './options.js';
import type { BayeuxOptions, BayeuxServer } from './port.js';
import { WebSocketTransport } from './websocket.js';

export type { BayeuxOptions, BayeuxServer, RefusalRenderer } from './port.js';

export function createBayeuxServer(opts: BayeuxOptions): BayeuxServer {
  const engine = new BayeuxEngine(resolveOptions(opts), makeLog(opts.log));
  const lp = new LongPollingTransport(engine);
  const ws = new WebSocketTransport(engine);
  let closing: Promise<void> | null = null;

  return {
    handlePost: (req, res, body) => lp.handlePost(req, res, body),
    handleUpgrade: (req, socket, head) => ws.handleUpgrade(req, socket, head),
    // the hot path: guarded() inlined, no closure per publication
    publishToUser: (userKey, channel, data) => {
      try {
        engine.deliver(userKey, channel, data);
      } catch (err) {
        entryPointFailed(engine.log, 'publishToUser', err);
      }
    },
    // a failure answers true: the caller then builds the message, and publishToUser decides
    hasSubscriber: (userKey, channel) => {
      try {
        return engine.hasSubscriber(userKey, channel);
      } catch (err) {
        entryPointFailed(engine.log, 'hasSubscriber', err);
        return true;
      }
    },
    disconnectUser: (userKey, mode) => {
      guarded(engine.log, 'disconnectUser', () => engine.disconnectUser(userKey, mode));
    },
    sessionCount: () => engine.registry.size,
    sessionsByTransport: () => {
      const counts = { 'long-polling': 0, websocket: 0 };
      for (const s of engine.registry.all()) counts[s.ws !== null && s.ws.isOpen() ? 'websocket' : 'long-polling']++;
      return counts;
    },
    serving: () => closing === null,
    close: () => {
      closing ??= (async () => {
        engine.shutdown();
        await Promise.all([lp.close(), ws.close()]);
        engine.log.debug({}, 'bayeux server closed');
      })();
      return closing;
    },
  };
}
