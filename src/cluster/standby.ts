/**
 * Hot standby (docs/scale-out.md "Hot standby"): a node that watches a contact center it does not
 * own keeps a replica of its switch by following the log (log-tail.ts) and replaying each entry as
 * it is stored, exactly as a takeover replays (LoggedSwitch.replayMore: virtual clock pinned to each
 * entry, logged ids, the endpoint tape). A takeover from the replica reads and replays only the
 * entries it has not applied yet, so its time no longer grows with the log. Guarantees:
 *   - an input is applied once every `observed` tape of it has been seen: when the next input (or
 *     owner entry) arrives, or at `settle()`; until then it is held (the takeover reads it again);
 *   - the replica is never live: no timer armed, no endpoint touched, no listener, no append;
 *   - a replica that throws (a replay that diverges, a tail that breaks) is dropped, logged once,
 *     and its contact center falls back to a full replay at the next takeover (`Standbys.open`),
 *     as does a takeover whose tail does not continue the replica;
 *   - after a takeover the replica is the owner's switch; when this node stops owning the contact
 *     center a new standby starts from the beginning of the log (the lost switch was live: its
 *     endpoints and timers are not a replica's), so a node that joins late or loses ownership
 *     catches up in the background by replaying the whole log once, off the takeover's path.
 */
import type { CommandLog, LoggedEntry } from './contract.js';
import { canFollow, type FollowableLog } from './log-tail.js';
import { LoggedSwitch, type LoggedSwitchOptions } from './logged-switch.js';

/** what a replica is built with: the owner's options without ownership (those come at takeover) */
export type ReplicaOptions = Omit<LoggedSwitchOptions, 'log' | 'node' | 'onLost' | 'endpoints'>;

export interface StandbyLog {
  info(o: object, m: string): void;
  warn(o: object, m: string): void;
}

/** One contact center's replica, following its log. */
export class Standby {
  private replica: LoggedSwitch | undefined;
  /** the last input received and the tapes after it, not applied yet */
  private held: LoggedEntry[] = [];
  private received = 0;
  private dropped: string | undefined;
  private following = true;
  private readonly stopFollowing: () => void;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly log: FollowableLog,
    private readonly options: ReplicaOptions,
    private readonly warn: StandbyLog['warn'],
  ) {
    this.stopFollowing = log.follow(options.ccId, 0, (e) => this.receive(e), (err) => this.drop(`its log tail broke: ${String(err)}`));
  }

  /** the sequence of the last entry applied to the replica (0: none yet) */
  get sequence(): number {
    return this.replica?.sequence ?? 0;
  }

  /** the sequence of the last entry received (applied or held) */
  get receivedSequence(): number {
    return this.received;
  }

  /** why the replica was dropped, or undefined while it is sound */
  get droppedBecause(): string | undefined {
    return this.dropped;
  }

  /** the replica itself (tests compare it with the owner; do not drive it) */
  get switch(): LoggedSwitch | undefined {
    return this.replica;
  }

  /**
   * apply the held input now, when its owner is known to be done with it (tests over the
   * synchronous log, between steps); a tape for it that arrives later drops the replica
   */
  settle(): void {
    this.guard(() => this.applyHeld());
  }

  /** hear each entry received, after it is applied or held (tests wait on it); returns a stop function */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** stop following and hand the replica over for a takeover; undefined when there is none sound */
  take(): LoggedSwitch | undefined {
    this.halt();
    return this.dropped ? undefined : this.replica;
  }

  /** stop following and free the replica */
  stop(): void {
    this.halt();
    this.replica?.stop();
    this.replica = undefined;
  }

  private halt(): void {
    if (!this.following) return;
    this.following = false;
    this.stopFollowing();
  }

  private receive(e: LoggedEntry): void {
    if (!this.following || this.dropped || e.seq <= this.received) return;
    this.received = e.seq;
    this.guard(() => {
      if (e.entry.kind !== 'observed') this.applyHeld();
      this.held.push(e);
    });
    for (const listener of [...this.listeners]) listener();
  }

  private applyHeld(): void {
    if (!this.held.length) return;
    const chunk = this.held;
    this.held = [];
    if (this.replica) this.replica.replayMore(chunk);
    else this.replica = LoggedSwitch.replayLog(chunk, this.options);
  }

  private guard(fn: () => void): void {
    if (this.dropped) return;
    try {
      fn();
    } catch (err) {
      this.drop(err instanceof Error ? err.message : String(err));
    }
  }

  private drop(why: string): void {
    if (this.dropped) return;
    this.dropped = why;
    this.halt();
    this.replica?.stop();
    this.replica = undefined;
    this.held = [];
    this.warn({ ccId: this.options.ccId, why }, 'cluster: the standby replica was dropped; the next takeover replays the whole log');
  }
}

export interface StandbysOptions {
  log: CommandLog;
  /** the replica's options for a contact center (clock, switch log and audit check of the node) */
  replica(ccId: string): ReplicaOptions;
  /** false: no replicas, every takeover replays the whole log */
  enabled: boolean;
  logger: StandbyLog;
}

/** A node's standbys, one per contact center it watches without owning it. */
export class Standbys {
  private readonly standbys = new Map<string, Standby>();
  private closed = false;

  constructor(private readonly options: StandbysOptions) {}

  /** start following ccId (no-op when disabled, closed, already following, or the log has no tail) */
  watch(ccId: string): void {
    const { log, enabled, replica, logger } = this.options;
    if (!enabled || this.closed || this.standbys.has(ccId) || !canFollow(log)) return;
    this.standbys.set(ccId, new Standby(log, replica(ccId), (o, m) => logger.warn(o, m)));
  }

  /** the standby of ccId, if any (tests and the bench) */
  of(ccId: string): Standby | undefined {
    return this.standbys.get(ccId);
  }

  /**
   * Take ccId over: from its standby's replica when there is a sound one (only the tail is
   * replayed), otherwise, or when that fails, a full replay. Logs how many entries were replayed.
   */
  async open(options: LoggedSwitchOptions): Promise<LoggedSwitch> {
    const { ccId } = options;
    const standby = this.standbys.get(ccId);
    this.standbys.delete(ccId);
    const replica = standby?.take();
    if (replica) {
      try {
        return this.opened(await LoggedSwitch.open(options, 5, replica), ccId, true);
      } catch (err) {
        replica.stop();
        this.options.logger.warn({ err, ccId }, 'cluster: the standby replica could not take over; replaying the whole log');
      }
    }
    return this.opened(await LoggedSwitch.open(options), ccId, false);
  }

  /** stop every standby (the node is closing) */
  close(): void {
    this.closed = true;
    for (const standby of this.standbys.values()) standby.stop();
    this.standbys.clear();
  }

  private opened(sw: LoggedSwitch, ccId: string, fromStandby: boolean): LoggedSwitch {
    this.options.logger.info({ ccId, replayed: sw.replayedAtTakeover, fromStandby }, TAKEOVER_REPLAYED);
    return sw;
  }
}

/** the log line of every takeover, with `replayed` (entries) and `fromStandby` (tests read it) */
export const TAKEOVER_REPLAYED = 'cluster: takeover replayed the log';
