/**
 * Data whose JSON text its publisher has already written. A publisher that can write the text of
 * a notification more cheaply than `JSON.stringify` (from fragments it keeps, say) attaches it to
 * the data object with `withJsonText` and publishes the object at once; the Bayeux engine then puts
 * that text on the wire as the message's `data` instead of serialising the object. The object itself
 * is not touched, so everything else that reads it (the cluster bus, test spies, `JSON.stringify`,
 * deep equality) sees the same plain value as before.
 *
 * Guarantees and rules:
 * - the text is exactly `JSON.stringify(data)` (the publisher's duty: tests of each publisher check
 *   it on random values), and, as for any published object, neither may change after publication;
 * - a text is kept only until the current job's microtasks have run (a Map emptied by one
 *   microtask per job, not a property written on the object: `Object.defineProperty` of a hidden
 *   property cost about 0.3 µs per message, three times this map; a fresh Map per job, since one
 *   long-lived Map holding each job's young objects measured slower): a publisher attaches and
 *   publishes in the same synchronous run. Data published later, or by another path (a message
 *   relayed between cluster nodes), has no text and is serialised as before: the same bytes.
 */
import { atJobEnd } from '../microtask.js';

/** the texts attached in the current job (null when none is) */
let texts: Map<object, string> | null = null;

function forget(current: Map<object, string>): void {
  if (texts === current) texts = null;
}

/** attach `text` (which must equal JSON.stringify(data)) to `data` for this job, and return `data` */
export function withJsonText<T extends object>(data: T, text: string): T {
  if (texts === null) {
    const current = (texts = new Map());
    atJobEnd(() => forget(current));
  }
  texts.set(data, text);
  return data;
}

/** the text attached to `data` by `withJsonText` in this job, or undefined */
export function jsonTextOf(data: object): string | undefined {
  return texts === null ? undefined : texts.get(data);
}
