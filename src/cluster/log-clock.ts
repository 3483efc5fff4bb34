/**
 * The clock a logged switch gives its call model. Guarantees:
 *   - while an entry is applied, now() is that entry's time (`at`), live and in replay alike, so
 *     the call model computes the same state from the same log;
 *   - timers are numbered in creation order from the start of the log (0, 1, 2 ...); the same
 *     inputs create the same timers with the same numbers, so a replay fires "timer n" exactly;
 *   - live, a due timer is not run: it is handed to `onDue(n)` (the logged switch appends it to
 *     the log first, then calls `fire(n)`); in replay nothing is scheduled until `goLive()`, which
 *     arms every pending timer on the real clock for what remains of its delay;
 *   - outside an entry, now() is the real clock's (queries, such as durations).
 */
import type { Clock } from '../switch/port.js';

interface NumberedTimer {
  due: number;
  fn: () => void;
  cancelReal?: () => void;
}

export class LogClock implements Clock {
  private pinned: number | undefined;
  private created = 0;
  private readonly pending = new Map<number, NumberedTimer>();
  private live = false;
  private stopped = false;

  constructor(
    private readonly real: Clock,
    private readonly onDue: (timer: number) => void,
  ) {}

  now(): number {
    return this.pinned ?? this.real.now();
  }

  /** run fn with now() pinned to `at` */
  at<T>(at: number, fn: () => T): T {
    const before = this.pinned;
    this.pinned = at;
    try {
      return fn();
    } finally {
      this.pinned = before;
    }
  }

  setTimer(ms: number, fn: () => void): () => void {
    const n = this.created++;
    const timer: NumberedTimer = { due: this.now() + Math.max(0, ms), fn };
    this.pending.set(n, timer);
    if (this.live) this.arm(n, timer);
    return () => {
      timer.cancelReal?.();
      this.pending.delete(n);
    };
  }

  /** whether timer n is still pending (not fired, not cancelled) */
  isPending(n: number): boolean {
    return this.pending.has(n);
  }

  /** run timer n (the caller has logged it); false when it is no longer pending */
  fire(n: number): boolean {
    const timer = this.pending.get(n);
    if (!timer) return false;
    this.pending.delete(n);
    timer.cancelReal?.();
    timer.fn();
    return true;
  }

  /** start handing due timers to onDue: every pending one is armed for what remains of it */
  goLive(): void {
    if (this.live || this.stopped) return;
    this.live = true;
    // overdue ones fire in the order they were due
    const byDue = [...this.pending].sort(([a, x], [b, y]) => x.due - y.due || a - b);
    for (const [n, timer] of byDue) this.arm(n, timer);
  }

  /** hand timer n to onDue again after `ms` (its firing could not be logged) */
  retry(n: number, ms: number): void {
    const timer = this.pending.get(n);
    if (!timer || !this.live) return;
    timer.cancelReal?.();
    this.arm(n, timer, ms);
  }

  /** no timer reaches onDue any more (the switch stopped or lost ownership) */
  stop(): void {
    this.stopped = true;
    this.live = false;
    for (const timer of this.pending.values()) timer.cancelReal?.();
  }

  pendingTimers(): number {
    return this.pending.size;
  }

  private arm(n: number, timer: NumberedTimer, ms = Math.max(0, timer.due - this.real.now())): void {
    timer.cancelReal = this.real.setTimer(ms, () => {
      timer.cancelReal = undefined;
      if (!this.stopped && this.pending.has(n)) this.onDue(n);
    });
  }
}
