/**
 * Which browser origins may use Switchboard with credentials (docs/security.md section 5).
 *
 * An Origin is allowed when it is exactly one of `allowedOrigins`, or it is the server's own origin:
 * the origin of the base URL (publicBaseUrl, or the address listened on), or the scheme of the base
 * URL followed by the request's own Host header (the same server reached under another name, e.g.
 * localhost instead of 127.0.0.1). Everything else is foreign: no Access-Control-Allow-* headers, a
 * refused preflight, a refused websocket upgrade. A request without Origin (non-browser clients) is
 * not a cross-origin request and is not judged here. The comparison is exact and case-sensitive
 * after the URL parser's normalisation of the configured values; "null" is always foreign.
 */
export class OriginPolicy {
  private readonly allowed: ReadonlySet<string>;

  constructor(
    allowedOrigins: readonly string[],
    /** the server's base URL, read at each check (it is known only once the server listens) */
    private readonly baseUrl: () => string,
  ) {
    this.allowed = new Set(allowedOrigins);
  }

  /** Whether a request carrying this Origin (and this Host) may be served with credentials. */
  allows(origin: string, host: string | undefined): boolean {
    if (this.allowed.has(origin)) return true;
    let base: URL;
    try {
      base = new URL(this.baseUrl());
    } catch {
      return false;
    }
    if (origin === base.origin) return true;
    if (!host) return false;
    let own: string;
    try {
      own = new URL(`${base.protocol}//${host}`).origin;
    } catch {
      return false;
    }
    return origin === own;
  }
}
