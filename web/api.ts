/**
 * The console's REST client: the GWS way a browser desktop talks to Switchboard. Sign-in sends HTTP
 * Basic once (GET /api/v2/me); the server answers with the HttpOnly session cookie and the CSRF
 * token (X-CSRF-TOKEN), and every later request rides on the cookie alone, POSTs carrying the
 * token. Guarantees: every answer is checked for the GWS envelope; anything but statusCode 0 is
 * thrown as an ApiError with the server's own statusMessage, and an unreachable server is an
 * ApiError too (statusCode -1), never an unhandled rejection of another kind.
 */

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export type Json = Record<string, any>;

let csrfToken: string | undefined;

function basic(userName: string, password: string): string {
  const bytes = new TextEncoder().encode(`${userName}:${password}`);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return `Basic ${btoa(binary)}`;
}

export async function request(method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Json> {
  const sent: Record<string, string> = { Accept: 'application/json', ...headers };
  if (body !== undefined) sent['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) sent['X-CSRF-TOKEN'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, { method, headers: sent, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  } catch {
    throw new ApiError(-1, 'The server cannot be reached');
  }
  const token = response.headers.get('X-CSRF-TOKEN');
  if (token) csrfToken = token;
  let json: Json;
  try {
    json = (await response.json()) as Json;
  } catch {
    throw new ApiError(-1, `The server answered HTTP ${response.status} without a GWS body`);
  }
  if (typeof json.statusCode !== 'number') throw new ApiError(-1, `The server answered HTTP ${response.status} without a statusCode`);
  if (json.statusCode !== 0) throw new ApiError(json.statusCode, String(json.statusMessage ?? `statusCode ${json.statusCode}`));
  return json;
}

export const get = (path: string) => request('GET', path);
export const post = (path: string, body: unknown) => request('POST', path, body);
/** the path of one of the user's calls, where its operations are posted */
export const callPath = (callId: unknown) => `/api/v2/me/calls/${encodeURIComponent(String(callId))}`;

/** the signed-in user with devices, calls and channels, or an ApiError (statusCode 20 when not signed in) */
export function me(): Promise<Json> {
  return get('/api/v2/me?subresources=*');
}

/** sign in with a user name and password: the session cookie and the CSRF token come back */
export function signIn(userName: string, password: string): Promise<Json> {
  return request('GET', '/api/v2/me?subresources=*', undefined, { Authorization: basic(userName, password) });
}

/** forget the CSRF token (after sign-out) */
export function forgetSession(): void {
  csrfToken = undefined;
}
