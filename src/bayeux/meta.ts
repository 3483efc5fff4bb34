/**
 * The meta channels (/meta/handshake, connect, subscribe, unsubscribe, disconnect) and client
 * publishes, processed for one batch of messages whatever the transport.
 *
 * `processBatch` answers every message in order as serialised replies and returns at most one
 * /meta/connect intent, which the transport answers or holds after the other replies were collected
 * (a long-poll answers "deliveries, then the other replies, then the connect reply").
 * Every message is checked first (messages.ts `invalidField`): one with a field of the wrong type or
 * size is refused at once with a 400 error, and its id is echoed only when valid. Every other reply
 * echoes the request's `id`. Unknown `ext` fields are ignored; the `ack` extension is advertised to a
 * handshake that asks for it (ack.ts), and every successful handshake reply carries the host's own
 * ext members (BayeuxOptions.handshakeExt) beside it. Handshakes beyond the per-user or per-websocket session cap,
 * and subscribes beyond the per-session subscription cap, are refused with an error that says why.
 */
import { AckState } from './ack.js';
import { classify, isMeta, isService } from './channels.js';
import type { BayeuxEngine, ConnectIntent, Origin } from './engine.js';
import {
  type BayeuxMessage,
  ERRORS,
  META,
  SUPPORTED_CONNECTION_TYPES,
  invalidField,
  invalidReply,
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
    const invalid = invalidField(handshake);
    out.replies.push(invalid === null ? handleHandshake(engine, handshake, origin) : invalidReply(handshake, invalid, { advice: { reconnect: 'none' } }));
    return out;
  }
  for (const m of messages) {
    const invalid = invalidField(m);
    if (invalid !== null) {
      engine.log.debug({ channel: m.channel.slice(0, 64), error: invalid }, 'bayeux: message refused');
      out.replies.push(invalidReply(m, invalid));
      continue;
    }
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
  const refusal = engine.handshakeRefusal(origin.userKey, origin.link);
  if (refusal !== null) {
    engine.log.warn({ user: origin.userKey, transport: origin.transport, error: refusal }, 'bayeux handshake refused: session cap');
    return reply(m, { successful: false, error: refusal, advice: { reconnect: 'none' } });
  }
  const ack = AckState.requested(m.ext);
  const s = engine.createSession(origin.userKey, origin.link, ack);
  engine.log.debug({ session: s.tag, user: s.userKey, transport: origin.transport, ack }, 'bayeux handshake');
  const ext = { ...engine.opts.handshakeExt, ...(ack ? { ack: true } : {}) };
  return reply(m, {
    successful: true,
    clientId: s.id,
    version: '1.0',
    minimumVersion: '1.0',
    supportedConnectionTypes: SUPPORTED_CONNECTION_TYPES,
    advice: engine.handshakeAdvice(),
    ...(Object.keys(ext).length > 0 ? { ext } : {}),
  });
}

function handleConnect(engine: BayeuxEngine, m: BayeuxMessage, origin: Origin, out: BatchOutput): void {
  const s = engine.sessionForConnect(m, origin);
  if (!s) {
    out.replies.push(sessionUnknown(m));
    return;
  }
  // One outstanding connect per session: an older one (held, or earlier in this batch) is completed.
  if (out.connect) out.replies.push(engine.connectAnswer(out.connect.request, out.connect.session, 'superseded').connectReply);
  engine.completeHeld(s, 'superseded');
  engine.acknowledge(s, m.ext);
  const advice = m.advice as { timeout?: number } | undefined; // checked by invalidField
  const asked = advice?.timeout;
  const holdMs = asked === undefined ? engine.opts.timeoutMs : Math.min(asked, engine.opts.timeoutMs);
  out.connect = { session: s, request: m, holdMs, link: origin.link ?? null, browser: origin.browser ?? null };
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
  // /service/** subscriptions are acknowledged, never recorded
  const recorded = (list as string[]).filter((p) => !isService(p));
  if (subscribe) {
    const max = engine.opts.maxSubscriptionsPerSession;
    const added = new Set(recorded.filter((p) => !s.subscriptions.has(p))).size;
    if (s.subscriptions.size + added > max) {
      engine.log.warn({ session: s.tag, user: s.userKey, max }, 'bayeux subscribe refused: subscription cap');
      return reply(m, {
        ...echo,
        clientId: s.id,
        successful: false,
        error: `403::subscription limit reached: a session may hold ${max} subscriptions; unsubscribe from some channels first`,
      });
    }
  }
  for (const p of recorded) {
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
