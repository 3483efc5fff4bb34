/**
 * The mixer clock: one drift-corrected 20 ms grid per mixer (media.md section 3.3).
 *
 * Guarantees: tick n is due at t0 + n × period on the monotonic clock (process.hrtime.bigint), so
 * errors never accumulate; each wake-up runs every tick that is due, in order (catching up after a
 * late wake-up), then re-aims one setTimeout at the next grid point. Never setInterval. One wake-up
 * runs at most `maxCatchUpTicks` ticks; if the clock is still behind after that (a stall), it drops
 * the backlog, jumps to the current grid point, counts the skipped ticks (`skippedTicks`) and yields
 * to I/O first, so tick numbers (and RTP timestamps derived from them) keep following real time and
 * sockets are never starved. `onTick` receives the tick number and how
 * late it ran, in ms.
 */

export interface TickClockOptions {
  onTick: (tick: number, latenessMs: number) => void;
  /** default 20 */
  periodMs?: number;
  /** default 10 (200 ms) */
  maxCatchUpTicks?: number;
}

export class TickClock {
  private readonly periodNs: bigint;
  private readonly maxCatchUpTicks: number;
  private startNs = 0n;
  private nextTick = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  skippedTicks = 0;

  constructor(private readonly options: TickClockOptions) {
    this.periodNs = BigInt(Math.round((options.periodMs ?? 20) * 1e6));
    this.maxCatchUpTicks = options.maxCatchUpTicks ?? 10;
  }

  get ticksRun(): number {
    return this.nextTick;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.startNs = process.hrtime.bigint();
    this.nextTick = 0;
    this.wake();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private dueNs(tick: number): bigint {
    return this.startNs + BigInt(tick) * this.periodNs;
  }

  private wake(): void {
    this.timer = undefined;
    if (!this.running) return;
    let now = process.hrtime.bigint();
    let ran = 0;
    while (this.running && this.dueNs(this.nextTick) <= now) {
      if (ran === this.maxCatchUpTicks) {
        // still behind: drop the backlog and yield to I/O before running the current grid point
        const current = Number((now - this.startNs) / this.periodNs);
        this.skippedTicks += current - this.nextTick;
        this.nextTick = current;
        break;
      }
      const tick = this.nextTick++;
      this.options.onTick(tick, Number(now - this.dueNs(tick)) / 1e6);
      ran++;
      now = process.hrtime.bigint();
    }
    if (!this.running) return;
    const waitMs = Number(this.dueNs(this.nextTick) - now) / 1e6;
    this.timer = setTimeout(() => this.wake(), Math.max(0, Math.ceil(waitMs)));
  }
}
