/**
 * The admission queue in front of password verification (scrypt is deliberately slow, so a flood
 * of wrong passwords must not decide who logs in). Guarantees:
 *   - at most `concurrency` verifications run at once;
 *   - two lanes: `trusted` (a user name that has logged in from this source address before) is
 *     always served before `normal`, so a flood of unknown attempts cannot delay a known user;
 *   - inside a lane, the waiting source served least recently goes next (a source never served, or
 *     idle since, goes first), so one source's flood delays another source's first attempt by at
 *     most one verification per other busy source, never by the length of the flood;
 *   - bounded: a source may hold at most `maxPerSource` queued-or-running verifications and the
 *     queue at most `maxQueued` waiting ones; beyond that `run` rejects at once with
 *     VerificationQueueFull (nothing is hashed), which the caller answers as a refusal.
 * It knows nothing of users or passwords: it orders opaque tasks.
 */

export const Lane = { Trusted: 'trusted', Normal: 'normal' } as const;
export type Lane = (typeof Lane)[keyof typeof Lane];
const LANE_ORDER: readonly Lane[] = [Lane.Trusted, Lane.Normal];

export interface VerificationQueueOptions {
  concurrency: number;
  maxPerSource: number;
  maxQueued: number;
}

export class VerificationQueueFull extends Error {
  constructor(readonly reason: 'source' | 'total') {
    super(reason === 'source' ? 'too many verifications pending from this address' : 'too many verifications pending');
    this.name = 'VerificationQueueFull';
  }
}

interface Job {
  source: string;
  start: () => void;
}

export class VerificationQueue {
  /** per lane: source -> its waiting jobs */
  private readonly lanes = new Map<Lane, Map<string, Job[]>>(LANE_ORDER.map((lane) => [lane, new Map()]));
  /** queued + running jobs per source */
  private readonly perSource = new Map<string, number>();
  /** source -> turn number of its latest start (forgotten when the source holds nothing) */
  private readonly lastServed = new Map<string, number>();
  private turn = 0;
  private running = 0;
  private queued = 0;

  constructor(private readonly options: VerificationQueueOptions) {}

  /** run `task` when admitted; rejects with VerificationQueueFull when the source or the queue is full */
  run<T>(source: string, lane: Lane, task: () => Promise<T>): Promise<T> {
    const held = this.perSource.get(source) ?? 0;
    if (held >= this.options.maxPerSource) return Promise.reject(new VerificationQueueFull('source'));
    if (this.running >= this.options.concurrency && this.queued >= this.options.maxQueued) {
      return Promise.reject(new VerificationQueueFull('total'));
    }
    this.perSource.set(source, held + 1);
    return new Promise<T>((resolve, reject) => {
      const job: Job = {
        source,
        start: () => {
          this.running++;
          this.lastServed.set(source, ++this.turn);
          let result: Promise<T>;
          try {
            result = task();
          } catch (err) {
            result = Promise.reject(err);
          }
          result.then(resolve, reject).finally(() => this.finish(source));
        },
      };
      if (this.running < this.options.concurrency) {
        job.start();
        return;
      }
      const waiting = this.lanes.get(lane)!;
      const jobs = waiting.get(source);
      if (jobs) jobs.push(job);
      else waiting.set(source, [job]);
      this.queued++;
    });
  }

  /** verifications running now */
  get active(): number {
    return this.running;
  }

  /** verifications waiting for a slot */
  get waiting(): number {
    return this.queued;
  }

  private finish(source: string): void {
    this.running--;
    const held = (this.perSource.get(source) ?? 1) - 1;
    if (held > 0) this.perSource.set(source, held);
    else {
      this.perSource.delete(source);
      this.lastServed.delete(source);
    }
    this.dispatch();
  }

  private dispatch(): void {
    while (this.running < this.options.concurrency) {
      const job = this.next();
      if (!job) return;
      job.start();
    }
  }

  /** the next job: first lane with work, its least recently served source, that source's oldest job */
  private next(): Job | undefined {
    for (const lane of LANE_ORDER) {
      const waiting = this.lanes.get(lane)!;
      let chosen: string | undefined;
      let chosenTurn = Infinity;
      for (const source of waiting.keys()) {
        const turn = this.lastServed.get(source) ?? 0;
        if (turn < chosenTurn) {
          chosen = source;
          chosenTurn = turn;
        }
      }
      if (chosen === undefined) continue;
      const jobs = waiting.get(chosen)!;
      const job = jobs.shift()!;
      if (jobs.length === 0) waiting.delete(chosen);
      this.queued--;
      return job;
    }
    return undefined;
  }
}
