/**
 * The console's state, as Preact signals, and the actions that change it. The state is always
 * rebuilt from the server (GET /api/v2/me, the agent-states settings, the team resource) after
 * sign-in, a reload and every CometD (re-)handshake, then kept current by the notifications alone:
 * no polling. Guarantees: a failed action shows the server's statusMessage in `notice` and never
 * throws out of an event handler; times shown as ticking (call duration, time in state) are the
 * server's figure plus the time since it was received.
 *
 * Rule for every asynchronous path here: a session has a generation (`sessionGeneration`), bumped
 * each time the page goes back to the sign-in form. An answer that arrives for an
 * earlier generation is dropped (it must not bring back a user or overwrite the sign-in form's
 * reason), and a statusCode 20 (not signed in) from any request of a signed-in page is the session
 * ending, shown with one reason whichever request noticed it first.
 */
import { computed, signal } from '@preact/signals';
import { ApiError, forgetSession, get, me, post, signIn as apiSignIn } from './api.js';
import type { Json } from './api.js';
import type { ConnectionState } from './notifications.js';
import { Notifications } from './notifications.js';

export type View = 'agent' | 'team' | 'audit';

/** a resource as received, with the local time of its receipt (for ticking figures) */
export interface Received {
  value: Json;
  at: number;
}

export const user = signal<Json | null>(null);
export const device = signal<Json | null>(null);
export const calls = signal<Received[]>([]);
export const agentStates = signal<Json[]>([]);
export const team = signal<Received[]>([]);
export const routingPoints = signal<Received[]>([]);
export const connection = signal<ConnectionState>('offline');
export const notice = signal<{ kind: 'error' | 'info'; text: string } | null>(null);
export const view = signal<View>('agent');
export const now = signal(Date.now());
/** who hears whom on the supervisor's own monitoring call */
export const hearing = signal<{ callUuid: string; parties: { phoneNumber: string; hears: string[] }[] } | null>(null);
/** the extensions of the contact center's supervisors (for the agent's indicator), DN -> name */
export const supervisorNumbers = signal<Map<string, string>>(new Map());
/** true until the first check of an existing session is done */
export const starting = signal(true);

export const isSupervisor = computed(() => Boolean(user.value?.roles?.includes('ROLE_SUPERVISOR')));
export const monitoringCall = computed(() => calls.value.find((c) => c.value.monitoring === true && c.value.state !== 'Released'));

const TEAM_CHANNEL = '/v2/supervision/agents';
const ROUTING_POINTS_CHANNEL = '/v2/supervision/routing-points';
const notifications = new Notifications();
let ticker: ReturnType<typeof setInterval> | undefined;

/** seconds of a ticking figure: the server's value plus the time since it was received */
export function ticking(seconds: unknown, receivedAt: number): number {
  const base = Number(seconds) || 0;
  return Math.max(0, base + Math.floor((now.value - receivedAt) / 1000));
}

export function formatSeconds(total: number): string {
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
}

/** the generation of the page's session: see the rule at the top of this file */
let sessionGeneration = 0;

/** thrown inside an action whose session ended while it waited: dropped without a notice */
class StaleSession extends Error {}

/** resolve `answer`, or throw StaleSession if the session of `generation` has ended meanwhile */
async function sameSession<T>(generation: number, answer: Promise<T>): Promise<T> {
  const value = await answer;
  if (generation !== sessionGeneration) throw new StaleSession();
  return value;
}

/** run an action; its failure becomes the notice (the server's message) */
export async function act(what: () => Promise<unknown>, done?: string): Promise<boolean> {
  const generation = sessionGeneration;
  try {
    await what();
    if (generation !== sessionGeneration) return false;
    notice.value = done ? { kind: 'info', text: done } : null;
    return true;
  } catch (err) {
    if (err instanceof StaleSession || generation !== sessionGeneration) return false;
    if (err instanceof ApiError && err.statusCode === 20 && user.value) {
      sessionLost();
      return false;
    }
    notice.value = { kind: 'error', text: err instanceof ApiError ? err.message : String(err) };
    // refused as not possible now (2) or as naming what no longer exists (6): what the page shows is
    // stale (a notification may be late), so it is read again from the server
    if (err instanceof ApiError && STALE_VIEW_CODES.has(err.statusCode)) void reload().catch(() => undefined);
    return false;
  }
}

/** the GWS statusCodes of a refusal that says the page's view is out of date (InvalidState, NotFound) */
const STALE_VIEW_CODES: ReadonlySet<number> = new Set([2, 6]);

/** a call's newest view: in its place in the list (cards never reorder), new calls last, released ones gone */
function upsertCall(call: Json): void {
  if (call.state === 'Released') {
    calls.value = calls.value.filter((c) => c.value.id !== call.id);
    return;
  }
  const received = { value: call, at: Date.now() };
  const found = calls.value.some((c) => c.value.id === call.id);
  calls.value = found ? calls.value.map((c) => (c.value.id === call.id ? received : c)) : [...calls.value, received];
}

function upsertAgent(row: Json): void {
  const at = Date.now();
  const found = team.value.some((r) => r.value.id === row.id);
  team.value = found ? team.value.map((r) => (r.value.id === row.id ? { value: row, at } : r)) : [...team.value, { value: row, at }];
}

/** the notification table: one handler per messageType */
const MESSAGE_HANDLERS: Record<string, (data: Json) => void> = {
  DeviceStateChangeMessage: (data) => {
    const mine = (data.devices as Json[] | undefined)?.find((d) => d.id === device.value?.id) ?? data.devices?.[0];
    if (mine) device.value = mine;
  },
  CallStateChangeMessage: (data) => {
    if (data.call) upsertCall(data.call);
    const hear = hearing.value;
    // the graph follows the call it shows, and starts with the first notification of a monitoring
    // call: that notification may arrive before or after the REST answer that started monitoring
    const startsMonitoring = data.call?.monitoring === true && data.call.state !== 'Released' && hear?.callUuid !== data.call.id;
    if (startsMonitoring) void refreshHearing(String(data.call.id));
    else if (hear && data.call?.id === hear.callUuid) void refreshHearing(hear.callUuid);
  },
  SupervisedAgentStateChangeMessage: (data) => {
    const rows = (data.agents as Json[] | undefined) ?? [];
    for (const row of rows) upsertAgent(row);
    // an agent's hold, retrieve or consultation changes who hears whom on the call the graph shows,
    // and reaches the supervisor only as the agent's team row (not on the supervisor's own call)
    const hear = hearing.value;
    const onShownCall = (call: Json) => call.id === hear?.callUuid || call.callUuid === hear?.callUuid;
    if (hear && rows.some((row) => ((row.calls as Json[] | undefined) ?? []).some(onShownCall))) void refreshHearing(hear.callUuid);
  },
  SupervisedRoutingPointStateChangeMessage: (data) => {
    const at = Date.now();
    for (const point of (data.routingPoints as Json[] | undefined) ?? []) {
      const found = routingPoints.value.some((r) => r.value.id === point.id);
      routingPoints.value = found ? routingPoints.value.map((r) => (r.value.id === point.id ? { value: point, at } : r)) : [...routingPoints.value, { value: point, at }];
    }
  },
};

function onMessage(_channel: string, data: Json): void {
  MESSAGE_HANDLERS[String(data?.messageType)]?.(data);
}

/** read everything again from the server (answers of an ended session are dropped) */
export async function reload(): Promise<void> {
  const generation = sessionGeneration;
  const answer = await sameSession(generation, me());
  applyMe(answer.user);
  const states = await sameSession(generation, get('/api/v2/settings/agent-states'));
  agentStates.value = Array.isArray(states.settings) ? states.settings : [];
  const supervisors = await sameSession(generation, get('/api/v2/contacts?roles=ROLE_SUPERVISOR'));
  const numbers = new Map<string, string>();
  for (const c of (supervisors.contacts as Json[]) ?? []) for (const p of (c.phoneNumbers as Json[]) ?? []) numbers.set(String(p.phoneNumber), String(c.name));
  supervisorNumbers.value = numbers;
  if (isSupervisor.value) {
    const rows = await sameSession(generation, get('/api/v2/supervision/agents?fields=*'));
    const at = Date.now();
    team.value = ((rows.agents as Json[]) ?? []).map((value) => ({ value, at }));
    const points = await sameSession(generation, get('/api/v2/supervision/routing-points'));
    routingPoints.value = ((points.routingPoints as Json[]) ?? []).map((value) => ({ value, at }));
  }
  const monitored = monitoringCall.value;
  if (monitored) await refreshHearing(monitored.value.id);
  else hearing.value = null;
}

function applyMe(u: Json): void {
  user.value = u;
  device.value = u.devices?.[0] ?? null;
  const at = Date.now();
  calls.value = ((u.calls as Json[]) ?? []).filter((c) => c.state !== 'Released').map((value) => ({ value, at }));
}

export async function refreshHearing(callUuid: string): Promise<void> {
  const generation = sessionGeneration;
  try {
    const answer = await get(`/api/v2/supervision/calls/${encodeURIComponent(callUuid)}/media`);
    if (generation !== sessionGeneration) return;
    hearing.value = { callUuid, parties: answer.parties };
  } catch (err) {
    if (generation !== sessionGeneration) return;
    // the call has ended, or is no longer one the supervisor may see
    if (err instanceof ApiError && hearing.value?.callUuid === callUuid) hearing.value = null;
  }
}

/** the notice after a reconnect that found the voice session gone and the server started anew */
export const SERVER_RESTARTED = 'The server restarted: your voice session and any calls in progress ended. Start your voice session again.';
/** the notice after a reconnect that found the voice session gone on the same start of the server */
export const VOICE_SESSION_ENDED_WHILE_DISCONNECTED = 'Your voice session ended while the console was disconnected. Start it again.';

/**
 * Why a voice session that was there before a re-handshake is not after it, from the start of the
 * server's call state named by the handshake before and by this one (docs/console.md,
 * "Reconnecting"): another start ended every voice session (a single server keeps no call state
 * across a restart); the same start (or a server that does not name it) means the session was
 * ended some other way while the console heard nothing, e.g. signed out and in again in another tab.
 */
function voiceSessionGoneNotice(startBefore: string | undefined, startNow: string | undefined): string {
  const restarted = startBefore !== undefined && startNow !== undefined && startBefore !== startNow;
  return restarted ? SERVER_RESTARTED : VOICE_SESSION_ENDED_WHILE_DISCONNECTED;
}

function connect(): void {
  const channels = ['/v2/me/*'];
  if (isSupervisor.value) channels.push(TEAM_CHANNEL, ROUTING_POINTS_CHANNEL);
  /** whether this connection has handshaken yet, and the start of the call state its last handshake named */
  let handshaken = false;
  let lastSwitchStart: string | undefined;
  notifications.start(channels, {
    onMessage,
    onState: (state) => {
      connection.value = state;
    },
    onReady: (switchStart) => {
      // a voice session that was there before a re-handshake and is not after it ended while the
      // console heard nothing: say why (a restart, or something else), rather than leave the agent
      // to wonder where the session and the calls went
      const rehandshake = handshaken;
      const startBefore = lastSwitchStart;
      handshaken = true;
      lastSwitchStart = switchStart;
      const hadVoiceSession = device.value?.deviceState === 'Active';
      void act(reload).then((ok) => {
        if (ok && rehandshake && hadVoiceSession && device.value?.deviceState !== 'Active') {
          notice.value = { kind: 'error', text: voiceSessionGoneNotice(startBefore, switchStart) };
        }
      });
    },
    onSessionLost: sessionLost,
    onHandshakeFailed: () => {
      // one REST probe per failed streak: 20 means the session is gone, anything else a server away
      if (probing) return;
      probing = true;
      const generation = sessionGeneration;
      me()
        .then(() => undefined, (err: unknown) => {
          if (generation === sessionGeneration && err instanceof ApiError && err.statusCode === 20) sessionLost();
        })
        .finally(() => {
          probing = false;
        });
    },
  });
  ticker ??= setInterval(() => {
    now.value = Date.now();
  }, 1000);
}

/**
 * Set while signed in: the session cookie is HttpOnly, so this is how a reload knows to resume it
 * (without it the page would ask GET /api/v2/me and log a 401 on every visit of the sign-in form).
 */
const SIGNED_IN_KEY = 'switchboard-console.signedIn';

function remember(signedIn: boolean): void {
  try {
    if (signedIn) localStorage.setItem(SIGNED_IN_KEY, '1');
    else localStorage.removeItem(SIGNED_IN_KEY);
  } catch {
    // storage disabled: a reload shows the sign-in form
  }
}

function remembered(): boolean {
  try {
    return localStorage.getItem(SIGNED_IN_KEY) === '1';
  } catch {
    return false;
  }
}

/** at page load: an existing session (the cookie) signs the user in again */
export async function resume(): Promise<void> {
  try {
    if (!remembered()) return;
    const answer = await me();
    applyMe(answer.user);
    connect();
  } catch {
    // the session has ended: the sign-in form shows
    remember(false);
  } finally {
    starting.value = false;
  }
}

export async function signIn(userName: string, password: string): Promise<boolean> {
  return act(async () => {
    const answer = await apiSignIn(userName, password);
    applyMe(answer.user);
    remember(true);
    view.value = 'agent';
    connect();
  });
}

/** end the contact-center session (and so the HTTP session) and show the sign-in form */
export async function signOut(): Promise<void> {
  notifications.stop();
  await act(() => post('/api/v2/me', { operationName: 'EndContactCenterSession' }));
  clearLocalState();
}

let probing = false;

function sessionLost(): void {
  clearLocalState();
  notice.value = { kind: 'error', text: 'Your session has ended: sign in again' };
}

/** back to the sign-in form: nothing of the last user stays in the page */
function clearLocalState(): void {
  sessionGeneration += 1;
  notifications.stop();
  forgetSession();
  remember(false);
  if (ticker) clearInterval(ticker);
  ticker = undefined;
  user.value = null;
  device.value = null;
  calls.value = [];
  team.value = [];
  routingPoints.value = [];
  hearing.value = null;
  connection.value = 'offline';
}
