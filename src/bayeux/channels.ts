/**
 * Channel names and subscription patterns (Bayeux 1.0): validation, the /meta and /service
 * namespaces, and wildcard matching.
 *
 * A channel is "/" followed by one or more non-empty segments. A pattern is a channel whose last
 * segment may be "*" (exactly one more segment) or "**" (one or more segments); "/*" and "/**"
 * are valid patterns. Matching a published channel never needs a scan of the patterns:
 * `patternsMatching(channel)` lists every wildcard pattern that matches it, so a subscriber check
 * is a few Set lookups.
 */

/** Longest channel name or pattern, in characters. */
export const MAX_CHANNEL_LENGTH = 1024;
/** characters never allowed inside a segment: separators, wildcards, whitespace and controls */
const BAD_SEGMENT_CHAR = /[\s*\u0000-\u001f\u007f]/;

/** The shape of a name, or null when it is neither a channel nor a pattern. */
export type ChannelKind = 'channel' | 'wildcard' | 'deep-wildcard';

export function classify(name: unknown): ChannelKind | null {
  if (typeof name !== 'string' || name.length < 2 || name.length > MAX_CHANNEL_LENGTH || name[0] !== '/') return null;
  const segments = name.slice(1).split('/');
  const last = segments.length - 1;
  for (let i = 0; i < last; i++) {
    if (!validSegment(segments[i])) return null;
  }
  const tail = segments[last];
  if (tail === '*') return 'wildcard';
  if (tail === '**') return 'deep-wildcard';
  return validSegment(tail) ? 'channel' : null;
}

function validSegment(s: string): boolean {
  return s.length > 0 && !BAD_SEGMENT_CHAR.test(s);
}

/** A concrete channel name (no wildcard). */
export function isValidChannel(name: unknown): name is string {
  return classify(name) === 'channel';
}

/** A channel or a wildcard pattern. */
export function isValidPattern(name: unknown): name is string {
  return classify(name) !== null;
}

/** /meta/** (and "/meta" itself): protocol channels, never subscribed to nor published on by clients. */
export function isMeta(name: string): boolean {
  return name === '/meta' || name.startsWith('/meta/');
}

/** /service/**: request/response channels to the server; subscriptions to them are not recorded. */
export function isService(name: string): boolean {
  return name === '/service' || name.startsWith('/service/');
}

/** Does `pattern` (a channel or a wildcard pattern) match the concrete `channel`? */
export function matches(pattern: string, channel: string): boolean {
  if (pattern === channel) return true;
  const kind = classify(pattern);
  if (kind === 'channel' || kind === null) return false;
  const prefix = pattern.slice(0, kind === 'wildcard' ? -1 : -2); // keeps the trailing "/"
  if (!channel.startsWith(prefix) || channel.length === prefix.length) return false;
  return kind === 'deep-wildcard' || channel.indexOf('/', prefix.length) === -1;
}

/**
 * Every wildcard pattern that matches a concrete channel, e.g. for "/v2/me/calls":
 * ["/v2/me/*", "/v2/me/**", "/v2/**", "/**"].
 */
export function patternsMatching(channel: string): string[] {
  const out: string[] = [];
  let end = channel.lastIndexOf('/');
  out.push(channel.slice(0, end + 1) + '*');
  for (;;) {
    out.push(channel.slice(0, end + 1) + '**');
    if (end === 0) return out;
    end = channel.lastIndexOf('/', end - 1);
  }
}
