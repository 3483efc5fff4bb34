/**
 * Data whose JSON text its publisher has already written. A publisher that can write the text of
 * a notification more cheaply than `JSON.stringify` (from fragments it keeps, say) attaches it to
 * the data object with `withJsonText`; the Bayeux engine then puts that text on the wire as the
 * message's `data` instead of serialising the object. The object itself stays a plain object, so
 * everything else that reads it (the cluster bus, test spies, `JSON.stringify`) sees the same value
 * as before: the text is kept under a symbol, which JSON ignores.
 *
 * Rule for publishers: the text must be exactly `JSON.stringify(data)` (tests of each publisher check
 * it on random values), and, as for any published object, neither may change after publication.
 */

const JSON_TEXT: unique symbol = Symbol('switchboard.jsonText');

interface WithText {
  [JSON_TEXT]?: string;
}

/** attach `text` (which must equal JSON.stringify(data)) to `data`, and return `data` */
export function withJsonText<T extends object>(data: T, text: string): T {
  Object.defineProperty(data, JSON_TEXT, { value: text, enumerable: false });
  return data;
}

/** the text attached to `data` by `withJsonText`, or undefined */
export function jsonTextOf(data: object): string | undefined {
  return (data as WithText)[JSON_TEXT];
}
