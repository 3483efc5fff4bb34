/**
 * The per-leg input (jitter) queue with re-chunking: decoded samples arrive in packets of any
 * length (10, 20, 30 ms or odd sizes) and leave as 160-sample (20 ms at 8 kHz) frames, one per
 * mixer tick.
 *
 * Guarantees: at most `capacity` whole frames wait (4 by default, media.md section 3.3); when a new
 * frame completes on a full queue the oldest frame is dropped (counted in `droppedFrames`), so the
 * delay through a leg is bounded at capacity × 20 ms; an empty queue yields null, which the mixer
 * treats as silence. A partial frame waits for the next packet; `reset()` (SSRC change, re-latch)
 * discards it. All storage is allocated once: `take()` returns one of the queue's own frame buffers,
 * valid until the queue is written again (the mixer consumes it within the same tick).
 */

export const FRAME_SAMPLES = 160;

export class JitterQueue {
  private readonly slots: Int16Array[];
  private readonly pending = new Int16Array(FRAME_SAMPLES);
  private pendingLength = 0;
  private head = 0;
  private count = 0;
  droppedFrames = 0;

  constructor(readonly capacity = 4) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('jitter queue capacity must be >= 1');
    this.slots = Array.from({ length: capacity }, () => new Int16Array(FRAME_SAMPLES));
  }

  /** Whole frames waiting. */
  get length(): number {
    return this.count;
  }

  /** Decode `codes[offset..offset+count)` through `decodeTable` into the queue. */
  pushCodes(decodeTable: Int16Array, codes: Uint8Array, offset = 0, count = codes.length - offset): void {
    for (let i = 0; i < count; i++) {
      this.pending[this.pendingLength++] = decodeTable[codes[offset + i]];
      if (this.pendingLength === FRAME_SAMPLES) this.commit();
    }
  }

  /** Push linear samples (tests, tone sources). */
  pushSamples(samples: Int16Array): void {
    for (let i = 0; i < samples.length; i++) {
      this.pending[this.pendingLength++] = samples[i];
      if (this.pendingLength === FRAME_SAMPLES) this.commit();
    }
  }

  /** The oldest whole frame, or null when none is waiting (play silence). */
  take(): Int16Array | null {
    if (this.count === 0) return null;
    const frame = this.slots[this.head];
    this.head = (this.head + 1) % this.capacity;
    this.count--;
    return frame;
  }

  /** Forget the partial frame (the stream changed); whole frames already queued still play. */
  reset(): void {
    this.pendingLength = 0;
  }

  private commit(): void {
    if (this.count === this.capacity) {
      this.head = (this.head + 1) % this.capacity;
      this.count--;
      this.droppedFrames++;
    }
    this.slots[(this.head + this.count) % this.capacity].set(this.pending);
    this.count++;
    this.pendingLength = 0;
  }
}
