/**
 * The meta channels (/meta/handshake, connect, subscribe, unsubscribe, disconnect) and client
 * publishes, processed for one batch of messages whatever the transport.
 *
 * `processBatch` answers every message in order as serialised replies and returns at most one
 * /meta/connect intent, which the transport answers or holds after the other replies were collected
 * (so a long-poll answers "replies first, then the connect reply, then deliveries").
 * Every reply echoes the request's `id`. Unknown `ext` fields are ignored; no extension is advertised.
 */
import { classify, isMeta, isService } from './channels.js';
import type { BayeuxEngine, ConnectIntent, Origin } from './engine.js';
import {
  type BayeuxMessage,
  ERRORS,
  META,
  SUPPORTED_CONNECTION_TYPES,
  reply,
  sessionUnknown,
} from './messages.js';

export interface BatchOutput {
  replies: string[];
  connect: ConnectIntent | null;
}

export function processBatch(engine: BayeuxEngine, messages: BayeuxMessage[], origin: Origin): BatchOutput {
  const out: BatchOutput = { replies: [], connect: null };
  const handshake = messages.find((m) => m.channel === META.handshake);
  if (handshake) {
    // A client must not batch anything with its handshake; the server ignores what it does batch.
    if (messages.length > 1) engine.log.debug({ ignored: messages.length - 1 }, 'bayeux: messages batched with a handshake ignored');
    out.replies.push(handleHandshake(engine, handshake, origin));
    return out;
  }
  for (const m of messages) {
    switch (m.channel) {
      case META.connect:
        handleConnect(engine, m, origin, out);
        break;
      case META.subscribe:
        out.replies.push(handleSubscription(engine, m, origin, true));
        break;
      case META.unsubscribe:
        out.replies.push(handleSubscription(engine, m, origin, false));
        break;
      case META.disconnect:
        out.replies.push(handleDisconnect(engine, m, origin));
        break;
      default:
        if (isMeta(m.channel)) {
          out.replies.push(reply(m, { successful: false, error: ERRORS.unknownMetaChannel }));
        } else {
          // GWS clients only listen: publishes to broadcast and /service channels are refused.
          engine.log.debug({ channel: m.channel }, 'bayeux: client publish refused');
          out.replies.push(reply(m, { successful: false, error: ERRORS.publishDenied }));
        }
    }
  }
  return out;
}

function handleHandshake(engine: BayeuxEngine, m: BayeuxMessage, origin: Origin): string {
  if (engine.closed) {
    return reply(m, { successful: false, error: ERRORS.serverClosing, advice: { reconnect: 'handshake', interval: engine.opts.intervalMs } });
  }
  if (origin.userKey === null) {
    engine.log.debug({ transport: origin.transport }, 'bayeux handshake denied: not authenticated');
    return reply(m, { successful: false, error: ERRORS.handshakeDenied, advice: { reconnect: 'none' } });
  }
  const offered = m.supportedConnectionTypes;
  if (Array.isArray(offered) && !offered.some((t) => (SUPPORTED_CONNECTION_TYPES as readonly unknown[]).includes(t))) {
    const types = offered.filter((t) => typeof t === 'string').join(',');
    return reply(m, {
      successful: false,
      error: `301:${types}:unsupported_connection_types`,
      supportedConnectionTypes: SUPPORTED_CONNECTION_TYPES,
      advice: { reconnect: 'none' },
    });
  }
  const s = engine.createSession(origin.userKey, origin.link);
  engine.log.debug({ session: s.tag, user: s.userKey, transport: origin.transport }, 'bayeux handshake');
  return reply(m, {
    successful: true,
    clientId: s.id,
    version: '1.0',
    minimumVersion: '1.0',
    supportedConnectionTypes: SUPPORTED_CONNECTION_TYPES,
    advice: engine.handshakeAdvice(),
  });
}

function handleConnect(engine: BayeuxEngine, m: BayeuxMessage, origin: Origin, out: BatchOutput): void {
  const s = engine.sessionFor(m, origin);
  if (!s) {
    out.replies.push(sessionUnknown(m));
    return;
  }
  // One outstanding connect per session: an older one (held, or earlier in this batch) is completed.
  if (out.connect) out.replies.push(engine.connectReply(out.connect.request, out.connect.session, 'superseded'));
  engine.completeHeld(s, 'superseded');
  const advice = m.advice as { timeout?: unknown } | undefined;
  const asked = advice && typeof advice.timeout === 'number' && advice.timeout >= 0 ? advice.timeout : undefined;
  const holdMs = asked === undefined ? engine.opts.timeoutMs : Math.min(asked, engine.opts.timeoutMs);
  out.connect = { session: s, request: m, holdMs, link: origin.link ?? null };
}

function handleSubscription(engine: BayeuxEngine, m: BayeuxMessage, origin: Origin, subscribe: boolean): string {
  const s = engine.sessionFor(m, origin);
  const echo = { subscription: m.subscription };
  if (!s) return sessionUnknown(m, echo);
  const sub = m.subscription;
  const list = typeof sub === 'string' ? [sub] : Array.isArray(sub) ? sub : [];
  if (list.length === 0) return reply(m, { ...echo, clientId: s.id, successful: false, error: ERRORS.subscriptionMissing });
  for (const p of list) {
    if (classify(p) === null || isMeta(p as string)) {
      return reply(m, { ...echo, clientId: s.id, successful: false, error: ERRORS.subscriptionInvalid });
    }
  }
  for (const p of list as string[]) {
    if (isService(p)) continue; // /service/** subscriptions are acknowledged, never recorded
    if (subscribe) s.subscriptions.add(p);
    else s.subscriptions.delete(p);
  }
  engine.log.debug({ session: s.tag, subscription: sub, subscribe }, subscribe ? 'bayeux subscribe' : 'bayeux unsubscribe');
  return reply(m, { ...echo, clientId: s.id, successful: true });
}

function handleDisconnect(engine: BayeuxEngine, m: BayeuxMessage, origin: Origin): string {
  const s = engine.sessionFor(m, origin);
  if (!s) return sessionUnknown(m);
  engine.drop(s, 'disconnect', 'disconnected');
  return reply(m, { clientId: s.id, successful: true });
}
