/**
 * Back-off after failed logins, per key (Auth uses one key per user name and one per source
 * address). A key that has failed `failuresBeforeBackoff` times, each failure less than `windowMs`
 * after the one before, is refused for a delay that doubles with each further failure, from
 * `baseDelayMs` up to `maxDelayMs`. Attempts refused during a back-off are not failures (they
 * neither lengthen nor renew it), so a flood cannot lock a user out for longer than `maxDelayMs`
 * after it stops. A success clears the key. At most `maxTracked` keys are remembered (the least
 * recently failed is forgotten first), so the memory it takes is bounded whatever the flood.
 * Pure bookkeeping on an injected clock: no timers, no I/O.
 */
import { LruMap } from './lru.js';

export interface BackoffPolicy {
  /** failures in a row (each within windowMs of the previous) before attempts are refused */
  failuresBeforeBackoff: number;
  /** a failure older than this before the next one starts the count again, ms */
  windowMs: number;
  /** first refusal delay, ms; doubled for every further failure */
  baseDelayMs: number;
  /** longest refusal delay, ms */
  maxDelayMs: number;
  /** keys remembered at most */
  maxTracked: number;
}

interface FailureRecord {
  failures: number;
  lastFailure: number;
  blockedUntil: number;
}

export class Backoff {
  private readonly records: LruMap<string, FailureRecord>;

  constructor(
    private readonly policy: BackoffPolicy,
    private readonly now: () => number,
  ) {
    this.records = new LruMap(policy.maxTracked);
  }

  /** ms before `key` may be tried again; 0 when it may be tried now */
  retryAfterMs(key: string): number {
    const record = this.records.peek(key);
    if (!record) return 0;
    return Math.max(0, record.blockedUntil - this.now());
  }

  recordFailure(key: string): void {
    const now = this.now();
    const previous = this.records.peek(key);
    const record: FailureRecord =
      previous && now - previous.lastFailure <= this.policy.windowMs ? previous : { failures: 0, lastFailure: now, blockedUntil: 0 };
    record.failures++;
    record.lastFailure = now;
    const beyond = record.failures - this.policy.failuresBeforeBackoff;
    if (beyond >= 0) {
      const delay = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** Math.min(beyond, 30));
      record.blockedUntil = now + delay;
    }
    this.records.set(key, record);
  }

  recordSuccess(key: string): void {
    this.records.delete(key);
  }

  /** failures counted for `key` now (0 once its window has passed) */
  failures(key: string): number {
    const record = this.records.peek(key);
    if (!record || this.now() - record.lastFailure > this.policy.windowMs) return 0;
    return record.failures;
  }
}
