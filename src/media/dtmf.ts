/**
 * RFC 4733 telephone-events (DTMF): the 4-byte event payload, a receiver that turns a leg's event
 * packets into one report per key press, and a sender that plays digits as event packets, one per
 * 20 ms mixer tick.
 *
 * Receiver guarantees: an event is identified by (SSRC, RTP timestamp) (RFC 4733 section 2.5.1.3);
 * it is reported once, when its first end packet arrives; the end packet's retransmissions and any
 * late packet of that event are ignored; an event that never sent an end packet is reported (with
 * `ended: false`) as soon as the next event starts, so a lost end does not lose the digit; at most
 * MAX_DIGITS_PER_SECOND digits are reported in any one second of the receiver's clock (`DigitRate`,
 * which the B2BUA also applies to SIP INFO digits), the rest are counted (`droppedDigits`) and
 * dropped, so that a party sending events as fast as it can (each one a GWS notification to the
 * agent and every supervisor) cannot flood the switch.
 * Sender guarantees: each digit is one event: a first packet with the marker bit, then one packet
 * per tick with the duration so far (160 samples more each tick, all with the event's start
 * timestamp), then three end packets carrying the final duration (section 2.5.1.4); the next digit
 * starts after a pause of `pauseTicks` ticks, during which the leg carries audio again.
 */

export const DTMF_DIGITS = '0123456789*#ABCD';
const SAMPLES_PER_TICK = 160;
const END_PACKETS = 3;

export interface TelephoneEvent {
  /** 0-15 for DTMF */
  event: number;
  end: boolean;
  /** 0-63, in -dBm0 */
  volume: number;
  /** in RTP timestamp units (samples at 8 kHz) */
  duration: number;
}

export function parseTelephoneEvent(payload: Uint8Array): TelephoneEvent | undefined {
  if (payload.length < 4) return undefined;
  return {
    event: payload[0],
    end: (payload[1] & 0x80) !== 0,
    volume: payload[1] & 0x3f,
    duration: (payload[2] << 8) | payload[3],
  };
}

export function writeTelephoneEvent(target: Uint8Array, offset: number, event: TelephoneEvent): void {
  target[offset] = event.event;
  target[offset + 1] = (event.end ? 0x80 : 0) | (event.volume & 0x3f);
  target[offset + 2] = (event.duration >> 8) & 0xff;
  target[offset + 3] = event.duration & 0xff;
}

/** The DTMF digit of an event code, or undefined for other telephone events (flash, tones). */
export function digitOfEvent(event: number): string | undefined {
  return event < DTMF_DIGITS.length ? DTMF_DIGITS[event] : undefined;
}

/** Why `digits` cannot be sent, or undefined when every character is a DTMF digit. */
export function checkDtmfDigits(digits: string): string | undefined {
  if (digits.length === 0) return 'no DTMF digits given';
  if (digits.length > 64) return 'at most 64 DTMF digits at once';
  for (const character of digits) {
    if (!DTMF_DIGITS.includes(character.toUpperCase())) return `'${character}' is not a DTMF digit (0-9, *, #, A-D)`;
  }
  return undefined;
}

export interface ReceivedDigit {
  digit: string;
  /** the last duration seen, in samples */
  duration: number;
  volume: number;
  /** false when the event was closed by the start of the next one, its end packets lost */
  ended: boolean;
}

interface OpenEvent {
  ssrc: number;
  timestamp: number;
  event: TelephoneEvent;
  reported: boolean;
}

/**
 * The most digits one leg reports per second. A person presses at most about 10 keys a second, and
 * RFC 4733's shortest tones (40 ms on, 40 ms off) make 12.5; an automatic sender has room to spare.
 */
export const MAX_DIGITS_PER_SECOND = 20;

/** At most MAX_DIGITS_PER_SECOND digits in any 1,000 ms: the times of the last ones, in a ring. */
export class DigitRate {
  private readonly times = new Float64Array(MAX_DIGITS_PER_SECOND).fill(-Infinity);
  private next = 0;
  /** digits refused so far */
  dropped = 0;

  /** `now`: milliseconds of a monotonic clock (default performance.now) */
  constructor(private readonly now: () => number = () => performance.now()) {}

  /** May one more digit pass now? (The slot it would take holds the time of the MAX_DIGITS_PER_SECOND-th latest.) */
  admit(): boolean {
    const now = this.now();
    if (now - this.times[this.next]! < 1000) {
      this.dropped++;
      return false;
    }
    this.times[this.next] = now;
    this.next = (this.next + 1) % MAX_DIGITS_PER_SECOND;
    return true;
  }
}

export class DtmfReceiver {
  private current: OpenEvent | undefined;
  private readonly rate: DigitRate;

  /** `now`: milliseconds of a monotonic clock (default performance.now) */
  constructor(now: () => number = () => performance.now()) {
    this.rate = new DigitRate(now);
  }

  /** digits not reported because MAX_DIGITS_PER_SECOND was reached */
  get droppedDigits(): number {
    return this.rate.dropped;
  }

  /** Feed one telephone-event packet; `report` is called for each digit that completes. */
  receive(
    packet: { ssrc: number; timestamp: number; payload: Uint8Array },
    report: (digit: ReceivedDigit) => void,
  ): void {
    const event = parseTelephoneEvent(packet.payload);
    if (!event) return;
    const current = this.current;
    if (current && current.ssrc === packet.ssrc && current.timestamp === packet.timestamp) {
      if (current.reported) return; // retransmitted end, or a late packet of a finished event
      current.event = event;
    } else {
      if (current && !current.reported) this.reportOnce(current, false, report);
      this.current = { ssrc: packet.ssrc, timestamp: packet.timestamp, event, reported: false };
    }
    if (event.end) this.reportOnce(this.current!, true, report);
  }

  private reportOnce(open: OpenEvent, ended: boolean, report: (digit: ReceivedDigit) => void): void {
    open.reported = true;
    const digit = digitOfEvent(open.event.event);
    if (digit === undefined || !this.rate.admit()) return;
    report({ digit, duration: open.event.duration, volume: open.event.volume, ended });
  }
}

export interface OutgoingEventPacket {
  /** the 4-byte payload; a buffer owned by the sender, valid until the next call */
  payload: Uint8Array;
  /** the event's start timestamp (the same for every packet of one event) */
  timestamp: number;
  marker: boolean;
}

export interface DtmfSenderOptions {
  /** length of each tone, ms (rounded to whole 20 ms ticks); default 100 */
  durationMs?: number;
  /** silence between digits, in ticks; default 3 (60 ms) */
  pauseTicks?: number;
  /** volume in -dBm0; default 10 */
  volume?: number;
}

export class DtmfSender {
  private readonly payload = new Uint8Array(4);
  private readonly queue: number[] = [];
  private readonly durationSamples: number;
  private readonly pauseTicks: number;
  private readonly volume: number;
  private active: { event: number; timestamp: number; elapsed: number; endsSent: number } | undefined;
  private pauseLeft = 0;

  constructor(options: DtmfSenderOptions = {}) {
    const ticks = Math.max(2, Math.round((options.durationMs ?? 100) / 20));
    this.durationSamples = ticks * SAMPLES_PER_TICK;
    this.pauseTicks = options.pauseTicks ?? 3;
    this.volume = options.volume ?? 10;
  }

  /** Queue digits (checked with `checkDtmfDigits`; throws RangeError on a bad digit). */
  enqueue(digits: string): void {
    const problem = checkDtmfDigits(digits);
    if (problem) throw new RangeError(problem);
    for (const character of digits.toUpperCase()) this.queue.push(DTMF_DIGITS.indexOf(character));
  }

  get busy(): boolean {
    return this.active !== undefined || this.queue.length > 0 || this.pauseLeft > 0;
  }

  /** The event packet to send on this tick instead of audio, or undefined to send audio. */
  next(tickTimestamp: number): OutgoingEventPacket | undefined {
    if (!this.active) {
      if (this.pauseLeft > 0) {
        this.pauseLeft--;
        return undefined;
      }
      const event = this.queue.shift();
      if (event === undefined) return undefined;
      this.active = { event, timestamp: tickTimestamp, elapsed: 0, endsSent: 0 };
    }
    const active = this.active;
    const marker = active.elapsed === 0;
    active.elapsed = Math.min(active.elapsed + SAMPLES_PER_TICK, this.durationSamples);
    const end = active.elapsed >= this.durationSamples;
    writeTelephoneEvent(this.payload, 0, { event: active.event, end, volume: this.volume, duration: active.elapsed });
    if (end && ++active.endsSent === END_PACKETS) {
      this.active = undefined;
      this.pauseLeft = this.pauseTicks;
    }
    return { payload: this.payload, timestamp: active.timestamp, marker };
  }
}
