/**
 * The INVITE flood bound of the SIP endpoints (docs/telephony.md, "INVITE floods"): at most
 * `perSecond` new INVITEs from one source address in one window of one second, on the injected
 * clock (never Date.now), so a virtual-clock test can walk through windows.
 *
 * Guarantees: the window of an address starts at its first INVITE and lasts 1000 ms; INVITEs past
 * the bound in that window are refused (`admit` is false) and counted in `dropped`; the table of
 * addresses is bounded (`maxTracked`, cleared when full: a flood from many addresses can only make
 * the bound forget, never grow memory).
 */
import type { Clock } from '../../switch/port.js';

export const INVITE_WINDOW_MS = 1000;

export class InviteRateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  /** INVITEs refused since start */
  dropped = 0;

  constructor(
    private readonly clock: Pick<Clock, 'now'>,
    readonly perSecond: number,
    private readonly maxTracked = 10_000,
  ) {}

  /** One new INVITE from `address`: may it go on? */
  admit(address: string): boolean {
    const now = this.clock.now();
    const window = this.windows.get(address);
    if (!window || now - window.start >= INVITE_WINDOW_MS) {
      if (this.windows.size >= this.maxTracked) this.windows.clear();
      this.windows.set(address, { start: now, count: 1 });
      return this.perSecond >= 1;
    }
    window.count++;
    if (window.count <= this.perSecond) return true;
    this.dropped++;
    return false;
  }

  /** the address's window just went past the bound (the first refusal of a window: log it once) */
  firstRefusal(address: string): boolean {
    return this.windows.get(address)?.count === this.perSecond + 1;
  }
}
