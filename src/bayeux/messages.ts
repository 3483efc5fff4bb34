/**
 * Bayeux messages on the wire: the incoming message shape, turning a request body or a websocket
 * frame into a list of messages, the error strings (CometD's, for GWS fidelity) and the builders of
 * serialised replies. Replies are JSON strings so that a response is assembled by concatenation:
 * `frame(parts)` = "[" + parts.join(",") + "]".
 */

/** One incoming message; only `channel` is guaranteed (checked by `toMessages`). */
export interface BayeuxMessage {
  channel: string;
  id?: unknown;
  clientId?: unknown;
  advice?: unknown;
  subscription?: unknown;
  supportedConnectionTypes?: unknown;
  connectionType?: unknown;
  data?: unknown;
  ext?: unknown;
  [field: string]: unknown;
}

export const META = {
  handshake: '/meta/handshake',
  connect: '/meta/connect',
  subscribe: '/meta/subscribe',
  unsubscribe: '/meta/unsubscribe',
  disconnect: '/meta/disconnect',
} as const;

export const ERRORS = {
  badMessage: '400::bad_message',
  sessionUnknown: '402::session_unknown',
  handshakeDenied: '403::handshake_denied',
  publishDenied: '403::publish_denied',
  subscriptionMissing: '403::subscription_missing',
  subscriptionInvalid: '403::subscription_invalid',
  unknownMetaChannel: '404::unknown_meta_channel',
  serverClosing: '503::server_closing',
} as const;

export const SUPPORTED_CONNECTION_TYPES = ['long-polling', 'websocket'] as const;
export type ConnectionType = (typeof SUPPORTED_CONNECTION_TYPES)[number];

/** Most messages accepted in one request or frame. */
export const MAX_BATCH = 1000;

/**
 * A request body or frame as a list of messages, or null when it is not an object or a non-empty
 * array of objects that each have a string `channel`. Strings and Buffers are parsed as JSON first
 * (for hosts that hand over the raw body).
 */
export function toMessages(body: unknown): BayeuxMessage[] | null {
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    try {
      body = JSON.parse(body.toString());
    } catch {
      return null;
    }
  }
  const list = Array.isArray(body) ? body : [body];
  if (list.length === 0 || list.length > MAX_BATCH) return null;
  for (const m of list) {
    if (m === null || typeof m !== 'object' || Array.isArray(m) || typeof (m as { channel?: unknown }).channel !== 'string') {
      return null;
    }
  }
  return list as BayeuxMessage[];
}

/** Serialise a reply to `msg` on `channel`, echoing the request's `id` when it had one. */
export function reply(msg: BayeuxMessage, fields: Record<string, unknown>, channel: string = msg.channel): string {
  const out: Record<string, unknown> = msg.id !== undefined ? { id: msg.id, channel } : { channel };
  return JSON.stringify(Object.assign(out, fields));
}

/** The answer to a message naming a session that does not exist here (or is not the caller's). */
export function sessionUnknown(msg: BayeuxMessage, extra?: Record<string, unknown>): string {
  return reply(msg, { ...extra, successful: false, error: ERRORS.sessionUnknown, advice: { reconnect: 'handshake', interval: 0 } });
}

/** A JSON array from pre-serialised messages. */
export function frame(parts: readonly string[]): string {
  return '[' + parts.join(',') + ']';
}

/** The body of an HTTP 400 (unparseable or malformed request). */
export const BAD_MESSAGE_BODY = JSON.stringify([{ successful: false, error: ERRORS.badMessage }]);
/** The body of an HTTP 503 after close(). */
export const CLOSING_BODY = JSON.stringify([{ successful: false, error: ERRORS.serverClosing }]);
