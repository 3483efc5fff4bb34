/**
 * `atJobEnd(fn)`: run `fn` once the current job's synchronous run is over, in the microtask queue,
 * in order with every other microtask and promise reaction (what `queueMicrotask` does). It is
 * for the per-operation hot paths (the team notifier's coalesced flush, Bayeux's attached texts):
 * Node's `queueMicrotask` makes an AsyncResource and a bound function per call (65–100 ns here,
 * and their garbage), a reaction to a settled promise about 26 ns. The difference a caller must
 * respect: an exception thrown by `fn` becomes an unhandled rejection rather than an uncaught
 * exception, so `fn` must not throw (guard it).
 */
const SETTLED = Promise.resolve();

export function atJobEnd(fn: () => void): void {
  void SETTLED.then(fn);
}
