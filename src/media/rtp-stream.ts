/**
 * The outgoing RTP stream of one party, as its phone sees it: one SSRC and one line of sequence
 * numbers and timestamps, however many RTP legs carry it in turn. The B2BUA re-anchors a party's
 * media in another mixer call (a nailed-up leg joining a call, a supervisor following a transfer) or
 * renews its leg in another codec (a phone that answered PCMA), each time with a new leg on a new
 * port and a re-INVITE; the phone still hears one stream.
 *
 * Why (docs/telephony.md, "One RTP stream per dialogue"): a phone keeps one jitter buffer for the stream it is playing. When each
 * new leg started a stream of its own (a new SSRC and a random first sequence number), baresip 1.0
 * dropped every packet of the new stream as too late whenever its random sequence number was behind
 * the old stream's (log: "dropping 172 bytes ... (Connection timed out)"), for the rest of the call:
 * the PCMA supervisor of the real-phone tests sometimes heard nothing at all.
 *
 * Guarantees: every leg of one stream sends with the stream's SSRC; a leg's first packet continues
 * the stream's sequence numbers and timestamps from where the wall clock says the stream is (one
 * packet per 20 ms since the stream's origin) plus the leg's `offset`, and each later packet adds one
 * (and 160 samples per mixer tick). `successorOf` gives the next leg an offset LEG_OFFSET_STEP higher,
 * more than a leg can run ahead of the wall clock (one tick early at most, plus rounding), so a
 * successor never sends a sequence number its phone has already passed; the phone sees a gap of a
 * few numbers, which reads as lost packets. Limit: a wall clock stepped backwards between two legs of
 * one stream puts the successor behind by that step (its first packets are then dropped as late).
 */
import { randomInt } from 'node:crypto';

export const PACKET_MS = 20;
export const SAMPLES_PER_PACKET = 160;
/** how much further along each successive leg of a stream starts than the wall clock alone says */
export const LEG_OFFSET_STEP = 4;

/** Plain data (it crosses to the mixer workers). */
export interface RtpStreamIdentity {
  ssrc: number;
  sequenceBase: number;
  timestampBase: number;
  /** wall-clock ms (Date.now) of the stream's packet 0 */
  originMs: number;
  /** packets to add to the wall-clock position for this leg (see successorOf) */
  offset: number;
}

/** A new stream (random SSRC and bases, as RFC 3550 asks) starting now. */
export function newRtpStream(nowMs: number = Date.now()): RtpStreamIdentity {
  return { ssrc: randomInt(0, 2 ** 32), sequenceBase: randomInt(0, 2 ** 16), timestampBase: randomInt(0, 2 ** 32), originMs: nowMs, offset: 0 };
}

/** The identity the next leg of the same stream gets. */
export function successorOf(stream: RtpStreamIdentity): RtpStreamIdentity {
  return { ...stream, offset: stream.offset + LEG_OFFSET_STEP };
}

const FIELD_LIMITS: ReadonlyArray<[keyof RtpStreamIdentity, number]> = [
  ['ssrc', 2 ** 32 - 1],
  ['sequenceBase', 2 ** 16 - 1],
  ['timestampBase', 2 ** 32 - 1],
  ['originMs', Number.MAX_SAFE_INTEGER],
  ['offset', Number.MAX_SAFE_INTEGER],
];

/** Why `stream` (plain data, perhaps from another thread) is not a stream identity, or undefined. */
export function checkRtpStream(stream: RtpStreamIdentity): string | undefined {
  if (typeof stream !== 'object' || stream === null) return 'RTP stream is not an object';
  for (const [field, highest] of FIELD_LIMITS) {
    const value = stream[field];
    if (!Number.isInteger(value) || value < 0 || value > highest) return `RTP stream ${field} ${String(value)} is not a whole number from 0 to ${highest}`;
  }
  return undefined;
}

/** Where one leg is in its stream: the sequence number of its next packet and the timestamp of a tick. */
export class RtpStreamCursor {
  /** the stream position (packets since the origin) of the leg's first packet, fixed at first use */
  private startIndex: number | undefined;
  private firstTick = 0;
  private packets = 0;

  constructor(
    private readonly stream: RtpStreamIdentity,
    private readonly wallNow: () => number = Date.now,
  ) {}

  get ssrc(): number {
    return this.stream.ssrc;
  }

  /** The RTP timestamp of mixer tick `tick` (the first call fixes which tick is the leg's first). */
  timestampOf(tick: number): number {
    const start = this.start(tick);
    return (this.stream.timestampBase + (start + tick - this.firstTick) * SAMPLES_PER_PACKET) >>> 0;
  }

  /** The sequence number of the next packet (one more each call). */
  nextSequence(): number {
    const start = this.start(0);
    return (this.stream.sequenceBase + start + this.packets++) & 0xffff;
  }

  private start(tick: number): number {
    if (this.startIndex === undefined) {
      this.firstTick = tick;
      this.startIndex = Math.max(0, Math.ceil((this.wallNow() - this.stream.originMs) / PACKET_MS)) + this.stream.offset;
    }
    return this.startIndex;
  }
}
