/**
 * The cluster contract: what the cluster core (H7: logged switch, command log, lease, command
 * server and forwarding port) offers the node wiring (H8: app, bus, proxy, demo). Read this first.
 *
 * Design (issue 11, points 2 and 3):
 *   - One owner per contact center. Each contact center's switch (one `CallModel`) runs on exactly
 *     one node at a time, the holder of its `OwnershipLease` (NATS KV, bucket TTL, renewed with a
 *     revision-checked update). Other nodes reach it through an `AsyncSwitchPort` that forwards every
 *     method by request/reply on the contact center's command subject (`subjects.command`).
 *   - The log is the authority, the lease is a hint. Every input that can change the switch's
 *     state — a port command with its arguments, a timer firing (timers numbered in creation
 *     order), an endpoint fact or incoming call from outside a command — is appended to the contact
 *     center's `CommandLog` BEFORE it is applied, with the sequence the owner last saw as the
 *     expected last sequence (JetStream: Nats-Expected-Last-Subject-Sequence). A refused append
 *     means somebody else wrote: the input is not applied, the node has lost ownership, and the
 *     caller gets `ownerUnavailable` (retry). This is the fencing: a stale owner (paused past its
 *     lease) cannot change the state, whatever it believes about its lease.
 *   - Taking over = appending an `owner` entry first (with the last sequence read), then replaying
 *     every entry before it into a fresh CallModel on a virtual clock pinned to each entry's time,
 *     with the same deterministic ids (seeded by the log's `genesis` entry). The timers still
 *     pending at the end are re-armed on the real clock for what remains of their delay.
 *   - Determinism: given the log, the switch is a pure function (clock, ids and inputs injected:
 *     src/switch/clock.ts). What the endpoints below the switch decided that is not a function of
 *     the log (which endpoints serve a leg, a synchronous answer outcome) is appended as an
 *     `observed` entry right after the input that produced it; the replay reads it back.
 *
 * Every type here is plain JSON (an entry goes on the wire as JSON), and `seq` is the log's own
 * sequence number (JetStream's stream sequence): opaque, increasing, 0 = empty log. A log may
 * answer synchronously (the in-memory one): the logged switch is then as synchronous as the call
 * model, which is what the replay property test relies on.
 */
import { ERROR_TABLE, ErrorCode, fail } from '../errors.js';
import type { Result } from '../errors.js';
import type { AnswerOutcome, EndpointFact, IncomingCall } from '../endpoints/port.js';
import type { SwitchPort } from '../switch/port.js';
import type { Awaitable } from '../switch/port-access.js';

// ====================================================================== the async port

/** The SwitchPort methods that go over the wire (everything but listening and stopping). */
export type RemoteMethod = Exclude<keyof SwitchPort, 'onEvent' | 'stop'>;

/** The SwitchPort methods that can change state: these are logged. The others are queries. */
export const COMMAND_METHODS = [
  'configure',
  'login',
  'logout',
  'setAgentState',
  'setDoNotDisturb',
  'setForward',
  'dial',
  'callOperation',
  'monitor',
  'cancelMonitoring',
  'simulateInbound',
  'simulateExternalHangup',
] as const satisfies readonly RemoteMethod[];
export type CommandMethod = (typeof COMMAND_METHODS)[number];

export const QUERY_METHODS = ['media', 'device', 'callsOf', 'callView', 'callContactCenter'] as const satisfies readonly RemoteMethod[];
export type QueryMethod = (typeof QUERY_METHODS)[number];

// compile-time check: every remote method is either a command or a query
type Unclassified = Exclude<RemoteMethod, CommandMethod | QueryMethod>;
const _everyMethodClassified: Unclassified extends never ? true : never = true;
void _everyMethodClassified;

/**
 * The switch port with every remote method returning a Promise: what a non-owner node gets for a
 * contact center (the forwarding client) and what a logged switch offers (append, then apply).
 * `onEvent` and `stop` stay local: a forwarding port hears nothing (notifications come on the bus).
 */
export type AsyncSwitchPort = {
  [K in RemoteMethod]: (...args: Parameters<SwitchPort[K]>) => Promise<ReturnType<SwitchPort[K]>>;
} & Pick<SwitchPort, 'onEvent' | 'stop'>;

/** One port call as data: what the command server receives and what a command entry records. */
export type PortCall<K extends RemoteMethod = RemoteMethod> = {
  [M in K]: { method: M; args: Parameters<SwitchPort[M]> };
}[K];

/** A command's call, as logged. */
export type CommandCall = PortCall<CommandMethod>;

// ====================================================================== the log

/** One input, as appended to a contact center's log. `at`: the switch clock's time when applied. */
export type LogEntry =
  /** first entry of a log: the seed of the deterministic id source */
  | { kind: 'genesis'; at: number; idSeed: string }
  /** a node took ownership (fencing marker; changes no state) */
  | { kind: 'owner'; at: number; node: string }
  /** a port command with its arguments */
  | { kind: 'command'; at: number; call: CommandCall }
  /** the timer created n-th (0-based, counted from the log's start) fired */
  | { kind: 'timer'; at: number; timer: number }
  /** an endpoint fact fed from outside any command (a SIP event) */
  | { kind: 'fact'; at: number; fact: EndpointFact }
  /** a call from outside fed from outside any command (a trunk INVITE), served by endpoints `by` */
  | { kind: 'incoming'; at: number; call: IncomingCall; by: string }
  /** inputs gathered while the previous append was in flight, applied in this order (group commit) */
  | { kind: 'batch'; at: number; entries: LogEntry[] }
  /**
   * what the endpoints decided while entry `of` (input `index` of a batch) was applied, in order
   * (only when not the replay's default)
   */
  | { kind: 'observed'; of: number; index?: number; tape: TapeItem[] };

export type LogEntryKind = LogEntry['kind'];

/** A leg effect whose call and outcome the tape records (call-wide effects are not taped). */
export type TapedEffect = 'offer' | 'answer' | 'release' | 'moveLeg' | 'sendDtmf';

/**
 * One thing the world below the switch decided while an entry was applied, in the order it
 * happened: which endpoints serve a leg (every selection), a leg effect on endpoints that are not
 * the simulated ones (with Answer's outcome), a fact those endpoints fed from inside an effect, and
 * whether the supervision audit could be written. The replay's default: simulated, audit true.
 */
export type TapeItem =
  | { k: 'select'; name: string }
  | { k: 'effect'; name: string; effect: TapedEffect; outcome?: AnswerOutcome }
  | { k: 'fact'; fact: EndpointFact }
  | { k: 'audit'; ok: boolean };

/** An entry with its sequence number. */
export interface LoggedEntry {
  seq: number;
  entry: LogEntry;
}

/** Outcome of an append: the new sequence, or refused because the log's last sequence differs. */
export type AppendOutcome = { ok: true; seq: number } | { ok: false; lastSeq: number };

/** One append-only log per contact center, with optimistic concurrency. */
export interface CommandLog {
  /**
   * Append `entry` if the contact center's last sequence is `expectedLastSeq` (0: empty log);
   * otherwise refuse and say what the last sequence is. Never appends on refusal.
   */
  append(ccId: string, entry: LogEntry, expectedLastSeq: number): Awaitable<AppendOutcome>;
  /** every entry with seq > afterSeq, oldest first, up to the last one at the time of the call */
  read(ccId: string, afterSeq?: number): Awaitable<LoggedEntry[]>;
  /** the last sequence of the contact center's log (0 when empty) */
  lastSeq(ccId: string): Awaitable<number>;
  close(): Promise<void>;
}

// ====================================================================== the lease

/** Proof of holding a contact center's lease; `revision` is what a renewal must match. */
export interface LeaseGrant {
  ccId: string;
  node: string;
  revision: number;
}

/** Who owns each contact center. Held for `ttlMs` after the last acquire or renew. */
export interface OwnershipLease {
  readonly ttlMs: number;
  /** take the lease if nobody holds it (or `node` already does); undefined when someone else does */
  acquire(ccId: string, node: string): Promise<LeaseGrant | undefined>;
  /** extend it; undefined when it was lost (expired and taken, or revision moved) */
  renew(grant: LeaseGrant): Promise<LeaseGrant | undefined>;
  /** give it up (shutdown), so another node can take over at once */
  release(grant: LeaseGrant): Promise<void>;
  /** the current owner's node id, or undefined */
  owner(ccId: string): Promise<string | undefined>;
  /** hear every change of owner (undefined: released or expired); returns a stop function */
  observe(listener: (ccId: string, owner: string | undefined) => void): () => void;
  close(): Promise<void>;
}

// ====================================================================== subjects and wire

/** A contact-center id as one NATS subject token (subjects forbid '.', '*', '>' and spaces). */
export function subjectToken(ccId: string): string {
  return Buffer.from(ccId, 'utf8').toString('base64url');
}

/** NATS names used by the core (the bus's per-user subjects are H8's, under `switchboard.user.`). */
export const subjects = {
  /** the owner's command server for a contact center (request/reply) */
  command: (ccId: string) => `switchboard.cmd.${subjectToken(ccId)}`,
  /** a contact center's log in the `logStream` stream */
  log: (ccId: string) => `switchboard.log.${subjectToken(ccId)}`,
  logStream: 'SWITCHBOARD_LOG',
  logWildcard: 'switchboard.log.*',
  /** KV bucket of leases, key = subjectToken(ccId) */
  leaseBucket: 'switchboard-owners',
} as const;

/** A request to the owner's command server. */
export type RemoteRequest = PortCall;

/**
 * A reply: the method's return value (a Result travels as { ok, value } or
 * { ok: false, error: { code, message } }), or the reason the owner could not answer.
 */
export type RemoteReply = { value: unknown } | { unavailable: string };

const RETRY_AFTER_SEC = ERROR_TABLE.Unavailable.retryAfterSec;

/**
 * The answer to a command the node cannot apply now (not the owner, lost ownership, no owner
 * reachable): nothing was applied. GWS statusCode 4, HTTP 503 with Retry-After (src/errors.ts).
 */
export function ownerUnavailable(ccId: string, why: string): Result<never> {
  return fail(ErrorCode.Unavailable, `The switch of contact center ${ccId} is moving to another node or out of reach (${why}): nothing was changed; retry in ${RETRY_AFTER_SEC} seconds`);
}

/** The answer to a command the owner received but did not answer in time: it may have been applied. */
export function ownerSilent(ccId: string, method: string, timeoutMs: number): Result<never> {
  return fail(
    ErrorCode.Unavailable,
    `The owner of contact center ${ccId} did not answer ${method} within ${timeoutMs} ms: it may have been applied; look (GET) before retrying, in ${RETRY_AFTER_SEC} seconds`,
  );
}
