/**
 * SIP URIs and name-addr values (RFC 3261 sections 19.1 and 20.10, grammar in 25.1).
 *
 * Guarantees: parsing never throws (a malformed value yields undefined); formatting a parsed value and
 * parsing it again gives the same value (round-trip stable); parameter names compare case-insensitively
 * (they are stored lower-cased), parameter values keep their case.
 */

/** `;name=value` parameters in order; a parameter without `=` has the value null. */
export type Params = Map<string, string | null>;

export interface SipUri {
  scheme: 'sip' | 'sips' | 'tel';
  /** as written, with any `;` parameters of its own (a telephone-subscriber's, RFC 3261 19.1.6) */
  user?: string;
  password?: string;
  /** host name, IPv4 address, or IPv6 reference with its brackets */
  host: string;
  port?: number;
  params: Params;
  /** the `?h=v&...` part, kept as written (without the `?`) */
  headers?: string;
}

/** A From/To/Contact/Route value: optional display name, the URI, and the header parameters after it. */
export interface NameAddr {
  displayName?: string;
  uri: SipUri;
  params: Params;
}

const SCHEMES: Record<string, SipUri['scheme']> = { sip: 'sip', sips: 'sips', tel: 'tel' };
const HOST_PATTERN = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?\.?|[0-9.]+)$/;

/** Splits `a;b=c;d` style text at `separator`, ignoring separators inside double quotes. */
export function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let inQuotes = false;
  for (let index = 0; index < text.length; index++) {
    const character = text[index];
    if (character === '\\' && inQuotes) {
      index++;
    } else if (character === '"') {
      inQuotes = !inQuotes;
    } else if (character === separator && !inQuotes) {
      parts.push(text.slice(start, index));
      start = index + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** Parses `;a=1;b;c="x y"` (the leading `;` already removed, i.e. `a=1;b;...`). */
export function parseParams(text: string): Params | undefined {
  const params: Params = new Map();
  if (text.trim() === '') return params;
  for (const piece of splitOutsideQuotes(text, ';')) {
    const equals = piece.indexOf('=');
    const name = (equals < 0 ? piece : piece.slice(0, equals)).trim().toLowerCase();
    if (name === '' || !/^[a-z0-9\-.!%*_+`'~]+$/.test(name)) return undefined;
    const value = equals < 0 ? null : piece.slice(equals + 1).trim();
    if (value !== null && /[\s]/.test(value) && !value.startsWith('"')) return undefined;
    params.set(name, value);
  }
  return params;
}

export function formatParams(params: Params): string {
  let text = '';
  for (const [name, value] of params) text += value === null ? `;${name}` : `;${name}=${value}`;
  return text;
}

/** Parses `host[:port]`, with IPv6 references in brackets. */
export function parseHostPort(text: string): { host: string; port?: number } | undefined {
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return undefined;
    host = text.slice(0, close + 1);
    const rest = text.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return undefined;
      portText = rest.slice(1);
    }
  } else {
    const colon = text.indexOf(':');
    host = colon < 0 ? text : text.slice(0, colon);
    portText = colon < 0 ? undefined : text.slice(colon + 1);
  }
  if (!HOST_PATTERN.test(host)) return undefined;
  if (portText === undefined) return { host };
  if (!/^[0-9]{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port < 1 || port > 65535) return undefined;
  return { host, port };
}

/** Whether a URI's scheme is one we read (sip:, sips:, tel:); any other gets 416 as a Request-URI (RFC 3261 8.2.2.1). */
export function hasKnownScheme(text: string): boolean {
  const colon = text.indexOf(':');
  return colon > 0 && SCHEMES[text.slice(0, colon).toLowerCase()] !== undefined;
}

/** RFC 3966 visual-separator: `-`, `.`, `(` and `)` carry no digits. */
function withoutVisualSeparators(number: string): string {
  return number.replace(/[-.()]/g, '');
}

/**
 * The number a URI names, without its visual separators (RFC 3966 5.1.1): a tel: URI's number, or a
 * sip: URI's user part up to its own parameters when the URI says user=phone (RFC 3261 19.1.6: the
 * user part is then a telephone-subscriber). Any other sip: URI's user part is kept as written (a SIP
 * user name may contain dots).
 */
export function numberOf(uri: SipUri): string | undefined {
  if (uri.scheme === 'tel') return withoutVisualSeparators(uri.host);
  if (uri.user === undefined || uri.params.get('user')?.toLowerCase() !== 'phone') return uri.user;
  return withoutVisualSeparators(uri.user.split(';')[0]!);
}

/** Parses a sip:, sips: or tel: URI. */
export function parseUri(text: string): SipUri | undefined {
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  const scheme = SCHEMES[text.slice(0, colon).toLowerCase()];
  if (!scheme) return undefined;
  let rest = text.slice(colon + 1);
  if (rest === '' || /[\s<>"]/.test(rest)) return undefined;
  // one '@' at most: neither a user part (escaped %40), a host, a parameter nor a header holds one
  if (rest.indexOf('@') !== rest.lastIndexOf('@')) return undefined;
  let headers: string | undefined;
  // a user part may hold '?' (user-unreserved, RFC 3261 25.1): the headers start after the '@'
  const question = rest.indexOf('?', Math.max(0, rest.indexOf('@')));
  if (question >= 0) {
    headers = rest.slice(question + 1);
    rest = rest.slice(0, question);
  }
  if (scheme === 'tel') {
    const semicolon = rest.indexOf(';');
    const number = semicolon < 0 ? rest : rest.slice(0, semicolon);
    const params = semicolon < 0 ? new Map() : parseParams(rest.slice(semicolon + 1));
    if (!params || !/^\+?[0-9A-Fa-f*#().\-pw]+$/.test(number)) return undefined;
    return { scheme, host: number, params, ...(headers !== undefined ? { headers } : {}) };
  }
  let user: string | undefined;
  let password: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const userInfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const userColon = userInfo.indexOf(':');
    user = userColon < 0 ? userInfo : userInfo.slice(0, userColon);
    if (userColon >= 0) password = userInfo.slice(userColon + 1);
    if (user === '') return undefined;
  }
  const semicolon = rest.indexOf(';');
  const hostPort = parseHostPort(semicolon < 0 ? rest : rest.slice(0, semicolon));
  if (!hostPort) return undefined;
  const params = semicolon < 0 ? new Map() : parseParams(rest.slice(semicolon + 1));
  if (!params) return undefined;
  const uri: SipUri = { scheme, host: hostPort.host, params };
  if (user !== undefined) uri.user = user;
  if (password !== undefined) uri.password = password;
  if (hostPort.port !== undefined) uri.port = hostPort.port;
  if (headers !== undefined) uri.headers = headers;
  return uri;
}

/**
 * A URI fit for a Request-URI: the text without its headers part (`?Route=…`), which RFC 3261
 * 19.1.1 does not allow there. A Contact registered with headers (RFC 4475 3.3.14 regescrt) must
 * not have our INVITEs carry them, nor, as 19.1.5 would have it, add header fields (a Route) of the
 * registrant's choosing. The headers start at the first '?' after the '@' (a user part may hold '?').
 */
export function withoutUriHeaders(text: string): string {
  const question = text.indexOf('?', Math.max(text.indexOf(':'), text.indexOf('@')));
  return question < 0 ? text : text.slice(0, question);
}

export function formatUri(uri: SipUri): string {
  let text = uri.scheme + ':';
  if (uri.user !== undefined) text += uri.user + (uri.password !== undefined ? ':' + uri.password : '') + '@';
  text += uri.host;
  if (uri.port !== undefined) text += ':' + uri.port;
  text += formatParams(uri.params);
  if (uri.headers !== undefined) text += '?' + uri.headers;
  return text;
}

/** Index of the quote closing the quoted string that starts at 0, skipping backslash escapes; -1 if none. */
function closingQuote(text: string): number {
  let index = 1;
  for (;;) {
    const quote = text.indexOf('"', index);
    if (quote < 0) return -1;
    let backslashes = 0;
    for (let back = quote - 1; back > 0 && text.charCodeAt(back) === 92; back--) backslashes++;
    if (backslashes % 2 === 0) return quote;
    index = quote + 1;
  }
}

/**
 * Parses `"Name" <sip:a@b;lr>;tag=x`, `Name <sip:...>` or the bare addr-spec form `sip:a@b;tag=x`
 * (where, per RFC 3261 20.10, the parameters after the URI are header parameters).
 */
export function parseNameAddr(text: string): NameAddr | undefined {
  const trimmed = text.trim();
  let displayName: string | undefined;
  let rest = trimmed;
  if (rest.startsWith('"')) {
    const close = closingQuote(rest);
    if (close < 0) return undefined;
    const quoted = rest.slice(1, close);
    displayName = quoted.includes('\\') ? quoted.replace(/\\(.)/g, '$1') : quoted;
    rest = rest.slice(close + 1).trimStart();
    if (!rest.startsWith('<')) return undefined;
  }
  const open = rest.indexOf('<');
  if (open >= 0) {
    const close = rest.indexOf('>', open);
    if (close < 0) return undefined;
    if (displayName === undefined) {
      const plain = rest.slice(0, open).trim();
      if (plain !== '') {
        if (!/^[A-Za-z0-9\-.!%*_+`'~ ]+$/.test(plain)) return undefined;
        displayName = plain;
      }
    }
    const uri = parseUri(rest.slice(open + 1, close));
    if (!uri) return undefined;
    const after = rest.slice(close + 1).trim();
    if (after !== '' && !after.startsWith(';')) return undefined;
    const params = after === '' ? new Map() : parseParams(after.slice(1));
    if (!params) return undefined;
    return { ...(displayName !== undefined ? { displayName } : {}), uri, params };
  }
  // SEMI is SWS ";" SWS (RFC 3261 25.1): LWS may come between the addr-spec and its parameters
  const semicolon = rest.indexOf(';');
  const uri = parseUri(semicolon < 0 ? rest : rest.slice(0, semicolon).replace(/[ \t]+$/, ''));
  if (!uri || uri.headers !== undefined) return undefined;
  const params = semicolon < 0 ? new Map() : parseParams(rest.slice(semicolon + 1));
  if (!params) return undefined;
  return { uri, params };
}

/** Always writes the `<...>` form, which is unambiguous whatever the URI's own parameters. */
export function formatNameAddr(value: NameAddr): string {
  const name =
    value.displayName !== undefined ? `"${value.displayName.replace(/(["\\])/g, '\\$1')}" ` : '';
  return `${name}<${formatUri(value.uri)}>${formatParams(value.params)}`;
}

/** The `tag` parameter of a From or To value (a name-addr), or undefined when there is none. */
export function tagOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return parseNameAddr(value)?.params.get('tag') ?? undefined;
}
