/**
 * The keepalive of the SIP endpoints (docs/telephony.md, "Vanished phones"): every `everyMs` the
 * probe runs once (it sends in-dialog OPTIONS to every established dialog), on the injected clock's
 * timers (never setTimeout directly), so a virtual-clock test sees every round.
 *
 * Guarantees: `everyMs` 0 schedules nothing; rounds never overlap in scheduling (the next one is
 * armed after the probe returns, whatever it throws: a throwing probe is reported to `onError`);
 * after `stop()` no round runs.
 */
import type { Clock } from '../../switch/port.js';

export class Keepalive {
  private cancel?: () => void;
  private stopped = false;
  /** rounds run since start */
  rounds = 0;

  constructor(
    private readonly clock: Pick<Clock, 'setTimer'>,
    readonly everyMs: number,
    private readonly probe: () => void,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {
    this.arm();
  }

  private arm(): void {
    if (this.stopped || this.everyMs <= 0) return;
    this.cancel = this.clock.setTimer(this.everyMs, () => {
      this.cancel = undefined;
      if (this.stopped) return;
      this.rounds++;
      try {
        this.probe();
      } catch (error) {
        this.onError(error);
      }
      this.arm();
    });
  }

  stop(): void {
    this.stopped = true;
    this.cancel?.();
    this.cancel = undefined;
  }
}
