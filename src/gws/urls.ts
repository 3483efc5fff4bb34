/**
 * Builders for the `uri` and `path` fields of GWS resources (gws-voice-api.md 1.2): `uri` is
 * absolute, built on the public base URL (known only once the server listens, hence the getter);
 * `path` is relative to /api/v2 and drops `/me`.
 */

export interface Urls {
  /** e.g. http://127.0.0.1:8080 (no trailing slash) */
  readonly base: string;
  api(path: string): string;
  user(id: string): string;
  device(id: string): string;
  call(id: string): string;
  voiceEnvironment(id: string): string;
  feature(id: string): string;
  contact(id: string): string;
}

export function makeUrls(base: () => string): Urls {
  const api = (path: string) => `${base()}/api/v2${path}`;
  return {
    get base() {
      return base();
    },
    api,
    user: (id) => api(`/users/${id}`),
    device: (id) => api(`/devices/${id}`),
    call: (id) => api(`/me/calls/${id}`),
    voiceEnvironment: (id) => api(`/voice-environments/${id}`),
    feature: (id) => api(`/features/${id}`),
    contact: (id) => api(`/contacts/${id}`),
  };
}

/** The last non-empty path segment of an absolute or relative URI ("…/calls/ABC" → "ABC"). */
export function lastSegment(uri: string): string {
  const noQuery = uri.split(/[?#]/, 1)[0];
  const parts = noQuery.split('/').filter((p) => p.length > 0);
  const last = parts.length ? parts[parts.length - 1] : '';
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}
