/**
 * The RTP port allocator: hands out even UDP ports from a configured range (RFC 3550 section 11:
 * RTP on an even port, RTCP on the odd port above it, so each allocation reserves the pair) and
 * takes them back when a leg closes.
 *
 * Guarantees: a port is never handed out twice while it is allocated; allocation goes round the
 * range (a just-released port is reused last, so late packets of a closed leg do not reach a new
 * one); `split` divides a range into disjoint sub-ranges, one per mixer worker, so workers never
 * compete for a port. Binding is the caller's job: a port that turns out to be taken by another
 * process is released again by the caller and the next one is tried (see leg.ts).
 */

export interface PortRange {
  /** first port of the range (rounded up to even) */
  first: number;
  /** last port of the range, inclusive */
  last: number;
}

export function validatePortRange(range: PortRange): string | undefined {
  const { first, last } = range;
  if (!Number.isInteger(first) || !Number.isInteger(last)) return 'port range bounds must be integers';
  if (first < 1024 || last > 65535) return `port range ${first}-${last} must lie within 1024-65535`;
  if (last - first < 1) return `port range ${first}-${last} holds no RTP/RTCP pair`;
  return undefined;
}

/** Divide `range` into `parts` disjoint ranges of whole even/odd pairs. */
export function splitPortRange(range: PortRange, parts: number): PortRange[] {
  const first = range.first + (range.first % 2);
  const pairs = Math.floor((range.last - first + 1) / 2);
  if (parts < 1 || pairs < parts) throw new RangeError(`cannot split ${pairs} port pairs into ${parts} ranges`);
  const result: PortRange[] = [];
  let start = first;
  for (let part = 0; part < parts; part++) {
    const share = Math.floor(pairs / parts) + (part < pairs % parts ? 1 : 0);
    result.push({ first: start, last: start + 2 * share - 1 });
    start += 2 * share;
  }
  return result;
}

export class RtpPortAllocator {
  private readonly first: number;
  private readonly pairs: number;
  private readonly used: Uint8Array;
  private next = 0;
  private allocatedCount = 0;

  constructor(range: PortRange) {
    const problem = validatePortRange(range);
    if (problem) throw new RangeError(problem);
    this.first = range.first + (range.first % 2);
    this.pairs = Math.floor((range.last - this.first + 1) / 2);
    if (this.pairs < 1) throw new RangeError(`port range ${range.first}-${range.last} holds no RTP/RTCP pair`);
    this.used = new Uint8Array(this.pairs);
  }

  get capacity(): number {
    return this.pairs;
  }

  get allocated(): number {
    return this.allocatedCount;
  }

  /** The next free even port, or undefined when the whole range is allocated. */
  allocate(): number | undefined {
    for (let tried = 0; tried < this.pairs; tried++) {
      const index = this.next;
      this.next = (this.next + 1) % this.pairs;
      if (this.used[index] === 0) {
        this.used[index] = 1;
        this.allocatedCount++;
        return this.first + 2 * index;
      }
    }
    return undefined;
  }

  release(port: number): void {
    const index = (port - this.first) / 2;
    if (!Number.isInteger(index) || index < 0 || index >= this.pairs || this.used[index] === 0) return;
    this.used[index] = 0;
    this.allocatedCount--;
  }
}
