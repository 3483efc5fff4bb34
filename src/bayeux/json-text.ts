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
 * - a text is kept only until the current job's microtasks have run (emptied by one microtask per
 *   job that attached something; not a property written on the object: `Object.defineProperty` of
 *   a hidden property cost about 0.3 µs per message, three times a Map): a publisher attaches and
 *   publishes in the same synchronous run. Data published later, or by another path (a message
 *   relayed between cluster nodes), has no text and is serialised as before: the same bytes.
 */
import { atJobEnd } from '../microtask.js';

/**
 * The texts attached in the current job. The first SCANNED of them sit in two arrays kept for the
 * process's life (a lookup scans them from the end: a publisher publishes what it has just
 * attached, so it is found first); only a job that attaches more gets a Map for the rest. A Map per
 * job cost a Map, its table and a closure for every operation; one Map kept for the process's life
 * measured slower still (an old Map holding each job's young objects).
 */
const SCANNED = 16;
const attachedData: (object | undefined)[] = new Array(SCANNED).fill(undefined);
const attachedTexts: (string | undefined)[] = new Array(SCANNED).fill(undefined);
let attachedCount = 0;
let beyondScanned: Map<object, string> | null = null;

function forget(): void {
  for (let i = 0; i < attachedCount && i < SCANNED; i++) {
    attachedData[i] = undefined;
    attachedTexts[i] = undefined;
  }
  attachedCount = 0;
  beyondScanned = null;
}

/** attach `text` (which must equal JSON.stringify(data)) to `data` for this job, and return `data` */
export function withJsonText<T extends object>(data: T, text: string): T {
  if (attachedCount === 0) atJobEnd(forget);
  if (attachedCount < SCANNED) {
    attachedData[attachedCount] = data;
    attachedTexts[attachedCount] = text;
  } else {
    (beyondScanned ??= new Map()).set(data, text);
  }
  attachedCount++;
  return data;
}

/** the text attached to `data` by `withJsonText` in this job, or undefined */
export function jsonTextOf(data: object): string | undefined {
  if (beyondScanned !== null) {
    const text = beyondScanned.get(data);
    if (text !== undefined) return text;
  }
  for (let i = Math.min(attachedCount, SCANNED) - 1; i >= 0; i--) if (attachedData[i] === data) return attachedTexts[i];
  return undefined;
}
