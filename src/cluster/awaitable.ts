/**
 * Values that are ready now or later, chained without giving up "now": `then(v, f)` calls f at
 * once when v is a plain value, and only waits when v is a Promise. The logged switch uses it so
 * that over a synchronous log (the in-memory one) it is exactly as synchronous as the call model it
 * wraps, and over JetStream it is asynchronous; the same code path serves both.
 */
import type { Awaitable } from '../switch/port-access.js';

export type { Awaitable };

export function isPromise<T>(v: Awaitable<T>): v is Promise<T> {
  return v instanceof Promise;
}

export function then<T, R>(v: Awaitable<T>, f: (value: T) => Awaitable<R>): Awaitable<R> {
  return isPromise(v) ? v.then(f) : f(v);
}

/**
 * One job at a time, in arrival order. A job that finishes synchronously while nothing is queued
 * runs and answers synchronously; otherwise the caller gets a Promise.
 */
export class SerialQueue {
  private busy = false;
  private readonly waiting: (() => void)[] = [];

  get idle(): boolean {
    return !this.busy;
  }

  run<T>(job: () => Awaitable<T>): Awaitable<T> {
    if (!this.busy) {
      this.busy = true;
      return this.start(job);
    }
    return new Promise<T>((resolve, reject) => {
      this.waiting.push(() => {
        try {
          const r = this.start(job);
          if (isPromise(r)) r.then(resolve, reject);
          else resolve(r);
        } catch (err) {
          reject(err);
        }
      });
    });
  }

  /** runs job while holding the queue; hands the queue on when it is done */
  private start<T>(job: () => Awaitable<T>): Awaitable<T> {
    let r: Awaitable<T>;
    try {
      r = job();
    } catch (err) {
      this.next();
      throw err;
    }
    if (!isPromise(r)) {
      this.next();
      return r;
    }
    return r.finally(() => this.next());
  }

  private next(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.busy = false;
  }
}
