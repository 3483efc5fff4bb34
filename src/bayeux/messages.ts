/**
 * Bayeux messages on the wire: the incoming message shape, turning a request body or a websocket
 * frame into a list of messages, the error strings (CometD's, for GWS fidelity) and the builders of
 * serialised replies. Replies are JSON strings so that a response is assembled by concatenation:
 * `frame(parts)` = "[" + parts.join(",") + "]".
 *
 * Guarantee: `invalidField` checks, by type and size, every field of an incoming message that the
 * server echoes or uses (id, channel, clientId, subscription, ext, advice, supportedConnectionTypes),
 * so that a reply can always be serialised (no deep or huge value is ever echoed).
 */
import { MAX_CHANNEL_LENGTH } from './channels.js';

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

/** Size limits of echoed or used fields. */
export const LIMITS = {
  /** characters of a string id (JS clients send "1", "2", …; Java clients numbers) */
  idLength: 256,
  /** characters of a channel name */
  channelLength: MAX_CHANNEL_LENGTH,
  /** characters of a clientId (ours are 40) */
  clientIdLength: 128,
  /** channels in one subscribe or unsubscribe message */
  subscriptionsPerMessage: 100,
  /** entries of supportedConnectionTypes and characters of each */
  connectionTypes: 16,
  connectionTypeLength: 64,
} as const;

const isPlainObject = (v: unknown): boolean => v !== null && typeof v === 'object' && !Array.isArray(v);
const isOptionalNonNegative = (v: unknown): boolean => v === undefined || (typeof v === 'number' && Number.isFinite(v) && v >= 0);

/** One field check: the error string when the field of `m` is unacceptable, else null. */
type FieldCheck = (m: BayeuxMessage) => string | null;

const FIELD_CHECKS: readonly FieldCheck[] = [
  (m) =>
    m.id === undefined || (typeof m.id === 'number' && Number.isFinite(m.id)) || typeof m.id === 'string'
      ? null
      : '400::id must be a string or number',
  (m) => (typeof m.id === 'string' && m.id.length > LIMITS.idLength ? `400::id must be at most ${LIMITS.idLength} characters` : null),
  (m) => (m.clientId === undefined || typeof m.clientId === 'string' ? null : '400::clientId must be a string'),
  (m) => (typeof m.clientId === 'string' && m.clientId.length > LIMITS.clientIdLength ? `400::clientId must be at most ${LIMITS.clientIdLength} characters` : null),
  (m) => {
    const sub = m.subscription;
    if (sub === undefined || typeof sub === 'string') return null;
    if (!Array.isArray(sub) || !sub.every((p) => typeof p === 'string')) return '400::subscription must be a channel or an array of channels';
    return sub.length > LIMITS.subscriptionsPerMessage ? `400::at most ${LIMITS.subscriptionsPerMessage} channels per subscription message` : null;
  },
  (m) => (typeof m.subscription === 'string' && m.subscription.length > LIMITS.channelLength ? `400::subscription must be at most ${LIMITS.channelLength} characters` : null),
  (m) => (m.ext === undefined || isPlainObject(m.ext) ? null : '400::ext must be an object'),
  (m) => {
    if (m.advice === undefined) return null;
    if (!isPlainObject(m.advice)) return '400::advice must be an object';
    const advice = m.advice as { timeout?: unknown; interval?: unknown };
    return isOptionalNonNegative(advice.timeout) && isOptionalNonNegative(advice.interval)
      ? null
      : '400::advice.timeout and advice.interval must be non-negative numbers';
  },
  (m) => {
    const types = m.supportedConnectionTypes;
    if (types === undefined) return null;
    const ok =
      Array.isArray(types) &&
      types.length <= LIMITS.connectionTypes &&
      types.every((t) => typeof t === 'string' && t.length <= LIMITS.connectionTypeLength);
    return ok ? null : `400::supportedConnectionTypes must be an array of at most ${LIMITS.connectionTypes} short strings`;
  },
];

/** The Bayeux error for the first unacceptable field of `m`, or null when every field is fine. */
export function invalidField(m: BayeuxMessage): string | null {
  for (const check of FIELD_CHECKS) {
    const error = check(m);
    if (error !== null) return error;
  }
  return null;
}

/** The refusal of a message with an unacceptable field: the id is echoed only when it is valid. */
export function invalidReply(m: BayeuxMessage, error: string, extra: Record<string, unknown> = {}): string {
  const idOk = (typeof m.id === 'string' && m.id.length <= LIMITS.idLength) || (typeof m.id === 'number' && Number.isFinite(m.id));
  const out: Record<string, unknown> = idOk ? { id: m.id, channel: m.channel } : { channel: m.channel };
  return JSON.stringify(Object.assign(out, extra, { successful: false, error }));
}

/**
 * A request body or frame as a list of messages, or null when it is not an object or a non-empty
 * array of objects that each have a string `channel` of at most LIMITS.channelLength characters. Strings and Buffers are parsed as JSON first
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
    if (m === null || typeof m !== 'object' || Array.isArray(m) || typeof (m as { channel?: unknown }).channel !== 'string' || (m as { channel: string }).channel.length > LIMITS.channelLength) {
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

/** A connect reply that can always be sent, for when building the real one failed. */
export const CONNECT_FAILED = JSON.stringify({ channel: META.connect, successful: false, error: '500::server_error', advice: { reconnect: 'handshake', interval: 0 } });

/** The body of an HTTP 400 (unparseable or malformed request). */
export const BAD_MESSAGE_BODY = JSON.stringify([{ successful: false, error: ERRORS.badMessage }]);
/** The body of an HTTP 503 after close(). */
export const CLOSING_BODY = JSON.stringify([{ successful: false, error: ERRORS.serverClosing }]);
