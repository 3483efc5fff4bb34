/**
 * Values of the switch port and of operation rows that may be ready now or later: the local call
 * model answers synchronously, a cluster node's forwarding port with Promises
 * (src/switch/port-access.ts). Guarantee: `thenNow` hands a ready value to its continuation in the
 * same tick (no microtask, no Promise allocated; a throw is synchronous), and a thenable exactly as
 * `await` would (its rejection rejects the result). The HTTP layer's command path (router.ts,
 * operations.ts, voice-ops.ts) uses it so that a command the switch answers at once is answered at
 * once; callers must accept either form (fastify does: a handler may return a value or a Promise).
 */
import type { Awaitable } from '../switch/port-access.js';

export type { Awaitable };

export function isThenable<T>(value: Awaitable<T>): value is Promise<T> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';
}

/** `next(value)`, now when the value is ready, else once it resolves. */
export function thenNow<T, U>(value: Awaitable<T>, next: (ready: T) => Awaitable<U>): Awaitable<U> {
  return isThenable(value) ? value.then(next) : next(value);
}
