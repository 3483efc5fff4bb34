/**
 * The logged switch: one contact center's call model on its owner node, with every input that can
 * change its state appended to the contact center's CommandLog before it is applied (contract.ts
 * explains the design). Guarantees:
 *   - inputs are applied one at a time in log order: port commands (with their arguments), timer
 *     firings (by creation number, skipped when cancelled meanwhile), endpoint facts and incoming
 *     calls that arrive from outside any command; each with the clock pinned to its logged time;
 *   - group commit: inputs that arrive while an append is in flight are appended together as one
 *     `batch` entry and then applied in arrival order (each with its own time and tape);
 *   - append before apply: a refused append is not applied; the switch is then lost (every later
 *     command answers `ownerUnavailable`, timers stop, `onLost` is told once) — that is fencing;
 *   - exception, written down: a phone's own INVITE (host.incoming / host.dial outside a command)
 *     needs its answer synchronously, so it is applied first and appended right after, and only
 *     when no other input is in flight (otherwise refused: the phone retries). If that append is
 *     refused the switch is lost as above; the phone's call never existed for the new owner;
 *   - `replayLog` builds a fresh call model from entries alone (virtual time, logged ids, the
 *     endpoint tape for what phones decided): the same log gives the same state, which the replay
 *     property test checks after every step; `open` takes ownership (owner entry), replays, then
 *     goes live: timers still pending are re-armed for what remains, and legs whose phones were on
 *     the old owner (stand-ins) are hung up through the log;
 *   - `replayMore` continues a replay from where it stopped (a hot standby's replica, standby.ts),
 *     and `open` with such a replica replays only the entries after it; the live endpoints are
 *     built only when the switch goes live, from the owner's options;
 *   - a log that cannot be written (NATS down) stores nothing and applies nothing: a command
 *     answers `ownerUnavailable` (retry), a timer's firing is tried again every TIMER_RETRY_MS,
 *     the switch stays the owner; only what was applied without being stored (an incoming call,
 *     an `observed` tape) makes it lost, since its state can no longer be vouched for;
 *   - over a synchronous log (MemoryCommandLog) every method answers synchronously, as the call
 *     model does; over JetStream commands answer with Promises. Queries never touch the log.
 *   - replay is silent: listeners added after `open` hear only what happens live.
 */
import type { Result } from '../errors.js';
import type { EndpointFact, EndpointHost, EndpointSelector, Endpoints, IncomingCall } from '../endpoints/port.js';
import { selectorOf } from '../endpoints/port.js';
import { CallModel } from '../switch/call-model.js';
import type { SwitchOptions } from '../switch/call-model.js';
import { silentLog } from '../switch/door.js';
import type { SwitchLog } from '../switch/door.js';
import type { CallView, ContactCenterTopology, DeviceView, MediaParty, SwitchEvent, UserData } from '../switch/model.js';
import { PartyState } from '../switch/model.js';
import type { AgentStateRequest, CallOperation, Clock, Destination, LoginRequest, MonitorRequest } from '../switch/port.js';
import type { SwitchAccess } from '../switch/port-access.js';
import type { UserDataLimits } from '../switch/user-data.js';
import { SerialQueue, isPromise, then } from './awaitable.js';
import type { Awaitable } from './awaitable.js';
import { ownerUnavailable } from './contract.js';
import type { AppendOutcome, CommandCall, CommandLog, CommandMethod, LogEntry, LoggedEntry, TapeItem } from './contract.js';
import { EndpointTape, tapedHost } from './endpoint-tape.js';
import { LogClock } from './log-clock.js';
import { loggedIds, newIdSeed } from './log-ids.js';

export interface LoggedSwitchOptions {
  ccId: string;
  /** this node's id (written in the owner entry) */
  node: string;
  log: CommandLog;
  /** the real clock (a VirtualClock in tests) */
  clock: Clock;
  switchLog?: SwitchLog;
  /** the live endpoints under the call model (SIP); default simulated only */
  endpoints?: SwitchOptions['endpoints'];
  auditAvailable?: () => boolean;
  userDataLimits?: UserDataLimits;
  /** told once when this node has lost the contact center (a refused append, or `relinquish`) */
  onLost?: (why: string) => void;
}

/** the log line of an append the log refused (another node wrote first: fencing); the input was not applied */
export const REFUSED_APPEND = 'cluster: the command log refused an append (another node wrote first); the input was not applied';

/** how long a timer whose firing the log could not take waits before it is tried again */
const TIMER_RETRY_MS = 500;

type Entry<K extends LogEntry['kind']> = Extract<LogEntry, { kind: K }>;

const jsonCopy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** How each kind of entry changes the switch (genesis, owner and observed change nothing). */
const APPLY: { [K in LogEntry['kind']]: (s: LoggedSwitch, e: Entry<K>) => unknown } = {
  genesis: () => undefined,
  owner: () => undefined,
  observed: () => undefined,
  command: (s, e) => s.callModel(e.call),
  // a timer cancelled by an earlier input of the same batch is skipped, live and in replay alike
  timer: (s, e) => void s.clock.fire(e.timer),
  fact: (s, e) => s.host.fact(e.fact),
  incoming: (s, e) => s.host.incoming(e.call, s.endpointsFor(e.by)),
  batch: () => {
    throw new Error('a batch is applied input by input (applyInputs)');
  },
};

/** an input waiting for its group's append */
interface Pending {
  make: (at: number) => LogEntry | undefined;
  unavailable: (why: string) => unknown;
  settled?: boolean;
  result?: unknown;
  resolve?: (v: unknown) => void;
  reject?: (err: unknown) => void;
}

const tapeKey = (seq: number, index: number | undefined) => (index === undefined ? `${seq}` : `${seq}:${index}`);

export class LoggedSwitch implements SwitchAccess {
  readonly model: CallModel;
  readonly clock: LogClock;
  readonly tape: EndpointTape;
  /** the call model's own endpoint host (the door for facts) */
  host!: EndpointHost;
  private readonly queue = new SerialQueue();
  /** inputs waiting for the next group commit, and whether one is queued */
  private readonly gathered: Pending[] = [];
  private groupScheduled = false;
  private lastSeq = 0;
  private lastAt = 0;
  private lost: string | undefined;
  private live = false;
  /** endpoints that served an outside incoming call, by name, while it is applied */
  private arrivingBy: Endpoints | undefined;
  /** the live endpoints, built by goLive (a replica built long before its takeover has none) */
  private liveSelector: EndpointSelector | undefined;
  private bindLive: (() => EndpointSelector) | undefined;
  /** how many entries the takeover that made this switch live replayed (its owner entry included) */
  replayedAtTakeover = 0;

  private constructor(
    /** replaced by the owner's options when a standby's replica takes over (`open` with a replica) */
    private options: LoggedSwitchOptions,
    idSeed: string,
  ) {
    this.clock = new LogClock(options.clock, (n) => this.background('timer', this.timerDue(n)));
    let tape: EndpointTape | undefined;
    this.model = new CallModel({
      clock: this.clock,
      ids: loggedIds(options.ccId, idSeed),
      log: options.switchLog ?? silentLog,
      auditAvailable: () => tape!.audit(options.auditAvailable)(),
      ...(options.userDataLimits ? { userDataLimits: options.userDataLimits } : {}),
      endpoints: (host, simulated) => {
        this.host = host;
        const taping = (tape = new EndpointTape(simulated, (f) => host.fact(f)));
        const outside = {
          fact: (f: EndpointFact) => this.background('fact', this.outsideFact(f)),
          incoming: (call: IncomingCall, by: Endpoints) => this.outsideIncoming(call, by),
          dial: (dn: string, destination: string) => this.outsideDial(dn, destination),
          timer: (ms: number, name: string, fn: () => void) =>
            this.options.clock.setTimer(ms, () => {
              try {
                fn();
              } catch (err) {
                (this.options.switchLog ?? silentLog).error({ err, timer: name }, 'endpoint timer failed');
              }
            }),
        };
        // the live endpoints are the owner's: built when going live, from the options then in force
        this.bindLive = () => (this.options.endpoints ? this.options.endpoints(tapedHost(host, taping, outside), simulated) : selectorOf(simulated));
        return taping.selector({ select: (leg) => this.liveSelector!.select(leg), all: () => this.liveSelector!.all() });
      },
    });
    this.tape = tape!;
  }

  // ================================================================ building

  /**
   * A fresh call model rebuilt from entries alone, not live (timers not armed, no ownership).
   * Throws when the entries do not replay (no genesis, or a tape that does not match).
   */
  static replayLog(entries: readonly LoggedEntry[], options: Omit<LoggedSwitchOptions, 'log' | 'node'> & Partial<LoggedSwitchOptions>): LoggedSwitch {
    const genesis = entries[0]?.entry;
    if (!genesis || genesis.kind !== 'genesis') throw new Error(`the log of ${options.ccId} does not start with its genesis entry`);
    const s = new LoggedSwitch({ log: nullLog, node: '', ...options }, genesis.idSeed);
    s.replayMore(entries);
    return s;
  }

  /**
   * Apply more entries in replay mode, after the last one applied (a standby following the log):
   * each input's `observed` tapes must be among `entries` (they follow their input in the log).
   * Throws, leaving the switch unusable, when the entries do not continue this replay: a sequence
   * not after the last one, a tape for an input applied already, or a tape that does not match.
   */
  replayMore(entries: readonly LoggedEntry[]): void {
    if (this.live) throw new Error(`the switch of ${this.options.ccId} is live: it replays nothing more`);
    const before = this.lastSeq;
    const tapes = new Map<string, TapeItem[]>();
    for (const { entry } of entries) {
      if (entry.kind !== 'observed') continue;
      if (entry.of <= before) throw new Error(`replay diverged: a tape for entry ${entry.of}, which was applied already without it`);
      tapes.set(tapeKey(entry.of, entry.index), entry.tape);
    }
    for (const { seq, entry } of entries) {
      if (seq <= this.lastSeq) throw new Error(`replay diverged: entry ${seq} does not come after ${this.lastSeq}`);
      this.lastSeq = seq;
      if (entry.kind === 'observed') continue;
      const inputs = entry.kind === 'batch' ? entry.entries : [entry];
      inputs.forEach((input, i) => {
        this.tape.play(tapes.get(tapeKey(seq, entry.kind === 'batch' ? i : undefined)));
        this.applyEntry(jsonCopy(input));
        this.tape.finish();
      });
      this.lastAt = Math.max(this.lastAt, entry.at);
    }
  }

  /**
   * Take ownership of the contact center: write the genesis entry when the log is empty, then an
   * owner entry after the last entry read (retried when someone else wrote meanwhile), replay
   * everything before it and go live.
   * With `replica` (a standby's switch, replayed up to its `sequence`, never live, built with the
   * same clock, switch log and audit check): only the entries after that sequence are read and
   * replayed into it, and it goes live with `options`. A replica that does not continue (see
   * replayMore) throws: the caller drops it and opens again without one (a full replay).
   */
  static open(options: LoggedSwitchOptions, attempts = 5, replica?: LoggedSwitch): Awaitable<LoggedSwitch> {
    const { log, ccId } = options;
    const at = () => options.clock.now();
    const from = replica?.lastSeq ?? 0;
    const attempt = (left: number): Awaitable<LoggedSwitch> =>
      then(log.read(ccId, from), (entries) => {
        if (left <= 0) throw new Error(`could not take the log of ${ccId}: other writers kept appending`);
        const last = entries.length ? entries[entries.length - 1].seq : from;
        if (!last) {
          return then(log.append(ccId, { kind: 'genesis', at: at(), idSeed: newIdSeed() }, 0), () => attempt(left - 1));
        }
        const owner: LogEntry = { kind: 'owner', at: Math.max(at(), lastTime(entries), replica?.lastAt ?? 0), node: options.node };
        return then(log.append(ccId, owner, last), (out) => {
          if (!out.ok) return attempt(left - 1);
          const tail = [...entries, { seq: out.seq, entry: owner }];
          const s = replica ? replica.adopt(options, tail) : LoggedSwitch.replayLog(tail, options);
          s.replayedAtTakeover = tail.length;
          s.goLive();
          return s;
        });
      });
    return attempt(attempts);
  }

  /** a replica becomes the owner's switch: the owner's options, then the tail of the log */
  private adopt(options: LoggedSwitchOptions, tail: readonly LoggedEntry[]): this {
    this.options = options;
    this.replayMore(tail);
    return this;
  }

  private goLive(): void {
    this.liveSelector = this.bindLive!();
    this.live = true;
    this.tape.goLive();
    this.clock.goLive();
    // the phones of the old owner's SIP legs are gone: hang those legs up, through the log
    for (const call of this.model.core.calls.values()) {
      if (call.ended) continue;
      for (const p of call.parties) {
        if (p.state !== PartyState.Released && this.tape.isStandIn(p.endpoint)) this.background('fact', this.outsideFact({ kind: 'HungUp', leg: { callUuid: call.uuid, dn: p.dn } }));
      }
    }
  }

  // ================================================================ the log

  /** the last sequence this switch wrote or replayed */
  get sequence(): number {
    return this.lastSeq;
  }

  /** why this node no longer owns the contact center, or undefined while it does */
  get lostBecause(): string | undefined {
    return this.lost;
  }

  /** stop applying anything (the lease was lost or given up); the state stays readable */
  relinquish(why: string): void {
    this.lose(why);
  }

  private lose(why: string): void {
    if (this.lost) return;
    this.lost = why;
    this.clock.stop();
    this.options.onLost?.(why);
  }

  /** an input nobody waits for: a failure is logged, never an unhandled rejection */
  private background(what: string, r: Awaitable<unknown>): void {
    if (isPromise(r)) r.catch((err: unknown) => (this.options.switchLog ?? silentLog).error({ err, contactCenterId: this.options.ccId, input: what }, 'cluster: an input failed'));
  }

  private nextAt(): number {
    this.lastAt = Math.max(this.lastAt, this.options.clock.now());
    return this.lastAt;
  }

  /** apply one entry with the clock pinned to its time */
  private applyEntry(entry: LogEntry): unknown {
    const at = entry.kind === 'observed' ? this.clock.now() : entry.at;
    return this.clock.at(at, () => (APPLY[entry.kind] as (s: LoggedSwitch, e: LogEntry) => unknown)(this, entry));
  }

  /**
   * apply the inputs of the entry stored at `seq` live, one by one, taping what the endpoints
   * decide; the tapes (if any) are appended right after, each naming its input
   */
  private applyInputs(inputs: readonly LogEntry[], seq: number, batched: boolean): Awaitable<unknown[]> {
    const results: unknown[] = [];
    const tapes: { index: number; tape: TapeItem[] }[] = [];
    inputs.forEach((input, index) => {
      this.tape.begin();
      try {
        results.push(this.applyEntry(input));
      } finally {
        const tape = this.tape.end();
        if (tape) tapes.push({ index, tape });
      }
    });
    const appendTapes = (i: number): Awaitable<unknown[]> => {
      if (i >= tapes.length) return results;
      const { index, tape } = tapes[i];
      return then(this.append({ kind: 'observed', of: seq, tape, ...(batched ? { index } : {}) }), (stored) => {
        // the input is in the log but what the phones decided is not: a replay would differ
        if (stored === 'unwritten') this.lose('what the endpoints decided could not be written to the command log');
        return stored === true ? appendTapes(i + 1) : results;
      });
    };
    return appendTapes(0);
  }

  /**
   * append after the last sequence: true when stored; false (and lost) when refused; 'unwritten'
   * when the log could not be reached (nothing stored, nothing applied, still the owner)
   */
  private append(entry: LogEntry): Awaitable<boolean | 'unwritten'> {
    if (this.lost) return false;
    const unwritten = (err: unknown): 'unwritten' => {
      (this.options.switchLog ?? silentLog).error({ err, contactCenterId: this.options.ccId, entry: entry.kind }, 'cluster: the command log could not be written');
      return 'unwritten';
    };
    let appended: Awaitable<AppendOutcome>;
    try {
      appended = this.options.log.append(this.options.ccId, entry, this.lastSeq);
    } catch (err) {
      return unwritten(err);
    }
    const settle = (out: AppendOutcome): boolean => {
      if (!out.ok) {
        // logged even when the switch was already given up (e.g. its lease renewal failed first): the refusal is the fencing at work
        (this.options.switchLog ?? silentLog).error(
          { contactCenterId: this.options.ccId, entry: entry.kind, expectedLastSeq: this.lastSeq, lastSeq: out.lastSeq },
          REFUSED_APPEND,
        );
        this.lose(`the log of ${this.options.ccId} moved on to sequence ${out.lastSeq} (another node owns it now)`);
        return false;
      }
      this.lastSeq = out.seq;
      return true;
    };
    return isPromise(appended) ? appended.then(settle, unwritten) : settle(appended);
  }

  /**
   * one input through the queue: append, then apply; `unavailable` answers when it cannot be
   * (why: the switch is lost or not live yet, or the log could not be written)
   */
  private input<T>(make: (at: number) => LogEntry | undefined, unavailable: (why: string) => T): Awaitable<T> {
    const p: Pending = { make, unavailable };
    this.gathered.push(p);
    if (!this.groupScheduled) {
      this.groupScheduled = true;
      this.background('group', this.queue.run(() => this.commitGroup()));
    }
    if (p.settled) return p.result as T;
    return new Promise<T>((resolve, reject) => {
      p.resolve = resolve as (v: unknown) => void;
      p.reject = reject;
    });
  }

  /**
   * Group commit: every input gathered while the previous append was in flight goes into one
   * entry (a `batch` when there are several), appended once, then applied in arrival order.
   */
  private commitGroup(): Awaitable<void> {
    this.groupScheduled = false;
    const group = this.gathered.splice(0);
    const settle = (p: Pending, v: unknown) => {
      p.settled = true;
      p.result = v;
      p.resolve?.(v);
    };
    const refuseAll = (members: readonly Pending[], why: string) => members.forEach((p) => settle(p, p.unavailable(why)));
    if (this.lost || !this.live) return refuseAll(group, this.lost ?? 'this node does not own it yet');
    const members: { p: Pending; entry: LogEntry }[] = [];
    for (const p of group) {
      const made = p.make(this.nextAt());
      if (made) members.push({ p, entry: jsonCopy(made) });
      else settle(p, p.unavailable('nothing to do'));
    }
    if (!members.length) return;
    const inputs = members.map((m) => m.entry);
    const batched = inputs.length > 1;
    const entry: LogEntry = batched ? { kind: 'batch', at: this.lastAt, entries: inputs } : inputs[0];
    const fail = (err: unknown) => {
      for (const m of members) if (!m.p.settled) (m.p.reject ?? ((e: unknown) => { throw e; }))(err);
    };
    try {
      const done = then(this.append(entry), (stored) => {
        if (stored !== true) return refuseAll(members.map((m) => m.p), stored === 'unwritten' ? 'its command log cannot be written now' : this.lost!);
        return then(this.applyInputs(inputs, this.lastSeq, batched), (results) => members.forEach((m, i) => settle(m.p, results[i])));
      });
      return isPromise(done) ? done.catch(fail) : done;
    } catch (err) {
      fail(err);
    }
  }

  private command<T>(call: CommandCall): Awaitable<Result<T>> {
    return this.input<Result<T>>(
      (at) => ({ kind: 'command', at, call }),
      (why) => ownerUnavailable(this.options.ccId, why),
    );
  }

  /** a logged command applied to the call model */
  callModel(call: CommandCall): unknown {
    const method = this.model[call.method as CommandMethod] as (...args: unknown[]) => unknown;
    return method.apply(this.model, call.args);
  }

  private timerDue(n: number): Awaitable<void> {
    return this.input<void>(
      (at) => (this.clock.isPending(n) ? { kind: 'timer', at, timer: n } : undefined),
      // a firing the log could not take is tried again (a lost switch's clock is stopped)
      () => this.clock.retry(n, TIMER_RETRY_MS),
    );
  }

  private outsideFact(f: EndpointFact): Awaitable<void> {
    return this.input<void>(
      (at) => ({ kind: 'fact', at, fact: f }),
      (why) => (this.options.switchLog ?? silentLog).error({ fact: f.kind, contactCenterId: this.options.ccId, why }, 'cluster: an endpoint fact was not applied'),
    );
  }

  /** a phone's own INVITE: applied now (it needs the answer now), appended right after */
  private outsideNow(entry: LogEntry): Result<{ callUuid: string }> {
    const refused = (why: string) => ownerUnavailable(this.options.ccId, why);
    if (this.lost || !this.live) return refused(this.lost ?? 'this node does not own it yet');
    if (!this.queue.idle) return refused('another input is being logged');
    let result: Result<{ callUuid: string }> = refused('not applied');
    this.background('incoming', this.queue.run(() => {
      const copy = jsonCopy(entry);
      this.tape.begin();
      try {
        result = this.applyEntry(copy) as Result<{ callUuid: string }>;
      } catch (err) {
        this.tape.end();
        throw err;
      }
      const tape = this.tape.end();
      return then(this.append(copy), (stored) => {
        // applied but not stored: this node can no longer vouch for its state
        if (stored === 'unwritten') this.lose('an incoming call could not be written to the command log');
        return stored === true && tape ? then(this.append({ kind: 'observed', of: this.lastSeq, tape }), () => undefined) : undefined;
      });
    }));
    return result;
  }

  private outsideIncoming(call: IncomingCall, by: Endpoints): Result<{ callUuid: string }> {
    this.arrivingBy = by;
    try {
      return this.outsideNow({ kind: 'incoming', at: this.nextAt(), call, by: by.name });
    } finally {
      this.arrivingBy = undefined;
    }
  }

  private outsideDial(dn: string, destination: string): Result<{ callUuid: string }> {
    return this.outsideNow({ kind: 'command', at: this.nextAt(), call: { method: 'dial', args: [dn, { phoneNumber: destination }] } });
  }

  /** the endpoints an incoming entry names: live, the ones that brought the call */
  endpointsFor(name: string): Endpoints {
    return this.tape.endpointsNamed(name, this.arrivingBy);
  }

  // ================================================================ the port: commands

  configure(cc: ContactCenterTopology): Awaitable<void> {
    return then(this.command<void>({ method: 'configure', args: [cc] }), () => undefined);
  }
  login(dn: string, req: LoginRequest): Awaitable<Result> {
    return this.command({ method: 'login', args: [dn, req] });
  }
  logout(dn: string): Awaitable<Result> {
    return this.command({ method: 'logout', args: [dn] });
  }
  setAgentState(dn: string, req: AgentStateRequest): Awaitable<Result> {
    return this.command({ method: 'setAgentState', args: [dn, req] });
  }
  setDoNotDisturb(dn: string, on: boolean): Awaitable<Result> {
    return this.command({ method: 'setDoNotDisturb', args: [dn, on] });
  }
  setForward(dn: string, destination: string | null): Awaitable<Result> {
    return this.command({ method: 'setForward', args: [dn, destination] });
  }
  dial(dn: string, destination: Destination, userData?: UserData): Awaitable<Result<{ callUuid: string }>> {
    return this.command({ method: 'dial', args: userData === undefined ? [dn, destination] : [dn, destination, userData] });
  }
  callOperation(dn: string, callUuid: string, op: CallOperation): Awaitable<Result> {
    return this.command({ method: 'callOperation', args: [dn, callUuid, op] });
  }
  monitor(supervisorDn: string, req: MonitorRequest): Awaitable<Result> {
    return this.command({ method: 'monitor', args: [supervisorDn, req] });
  }
  cancelMonitoring(supervisorDn: string): Awaitable<Result> {
    return this.command({ method: 'cancelMonitoring', args: [supervisorDn] });
  }
  simulateInbound(from: string, to: string, userData?: UserData): Awaitable<Result<{ callUuid: string }>> {
    return this.command({ method: 'simulateInbound', args: userData === undefined ? [from, to] : [from, to, userData] });
  }
  simulateExternalHangup(callUuid: string, phoneNumber?: string): Awaitable<Result> {
    return this.command({ method: 'simulateExternalHangup', args: phoneNumber === undefined ? [callUuid] : [callUuid, phoneNumber] });
  }

  // ================================================================ the port: queries

  media(callUuid: string): MediaParty[] | undefined {
    return this.model.media(callUuid);
  }
  device(dn: string): DeviceView | undefined {
    return this.model.device(dn);
  }
  callsOf(dn: string): string[] {
    return this.model.callsOf(dn);
  }
  callView(callUuid: string, dn: string): CallView | undefined {
    return this.model.callView(callUuid, dn);
  }
  callContactCenter(callUuid: string): string | undefined {
    return this.model.callContactCenter(callUuid);
  }
  onEvent(listener: (e: SwitchEvent) => void): () => void {
    return this.model.onEvent(listener);
  }
  stop(): void {
    this.clock.stop();
    this.model.stop();
  }
}

function lastTime(entries: readonly LoggedEntry[]): number {
  let t = 0;
  for (const { entry } of entries) if (entry.kind !== 'observed') t = Math.max(t, entry.at);
  return t;
}

/** the log of a switch that only replays: it never appends */
const nullLog: CommandLog = {
  append: (_cc, _e, expected) => ({ ok: false, lastSeq: expected }),
  read: () => [],
  lastSeq: () => 0,
  close: async () => undefined,
};
