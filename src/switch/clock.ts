/**
 * Clock and id sources for the switch: the real ones for the server, and a virtual clock plus a
 * counting id source for deterministic tests (a whole day of calls runs in milliseconds).
 */
import { randomBytes } from 'node:crypto';
import type { Clock, IdSource } from './port.js';

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return () => clearTimeout(t);
  },
};

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUV';

/** bytes drawn from the CSPRNG this many at a time: one getrandom per ~140 calls instead of two per call */
const RANDOM_POOL_BYTES = 4096;

/**
 * Random ids shaped like T-Server's (CallUUID: 32 upper-case alphanumerics; ConnID: 16 hex). Every
 * random byte comes from crypto.randomBytes, taken from a pool refilled RANDOM_POOL_BYTES at a time;
 * each byte is used once.
 */
export function randomIds(): IdSource {
  let seq = 0;
  let pool = Buffer.alloc(0);
  let at = 0;
  const take = (n: number): Buffer => {
    if (at + n > pool.length) {
      pool = randomBytes(RANDOM_POOL_BYTES);
      at = 0;
    }
    at += n;
    return pool.subarray(at - n, at);
  };
  return {
    callUuid() {
      const b = take(20);
      let s = '';
      for (let i = 0; i < 20; i++) s += ALNUM[b[i] & 31];
      seq = (seq + 1) % 0x1000000;
      return s + 'SB' + seq.toString(32).toUpperCase().padStart(10, '0');
    },
    connId() {
      return take(8).toString('hex');
    },
  };
}

/** Deterministic ids: 01SWITCHBOARD0000000000000000001, ...2, counting up. */
export function countingIds(prefix = '01SWITCHBOARD'): IdSource {
  let c = 0;
  let k = 0;
  return {
    callUuid() {
      c++;
      return prefix + c.toString().padStart(32 - prefix.length, '0');
    },
    connId() {
      k++;
      return k.toString(16).padStart(16, '0');
    },
  };
}

/** A clock that only moves when told to; timers fire in order during advance(). */
export class VirtualClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: { at: number; seq: number; fn: () => void; cancelled: boolean }[] = [];
  constructor(start = Date.UTC(2026, 0, 1, 9, 0, 0)) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  setTimer(ms: number, fn: () => void): () => void {
    const timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }
  /** move time forward by ms, firing due timers in time order */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers
        .filter((x) => !x.cancelled && x.at <= end)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = Math.max(this.t, due.at);
      due.fn();
    }
    this.t = end;
    this.timers = this.timers.filter((x) => !x.cancelled);
  }
  pendingTimers(): number {
    return this.timers.filter((x) => !x.cancelled).length;
  }
}
