/**
 * cookieValues (src/gws/sessions.ts) scans the Cookie header in place; on random headers built
 * from the characters that matter (separators, "=", quotes, spaces, tabs, the cookie name) it gives
 * what the plain split-trim-unquote reading of the header gives (the oracle below).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cookieValues } from '../../src/gws/sessions.js';

/** the reading the scan must match: split on ";", name before the first "=", trim, one pair of quotes off */
function oracle(header: string | undefined, name: string): string[] {
  if (!header) return [];
  return header
    .split(';')
    .filter((part) => part.includes('='))
    .filter((part) => part.slice(0, part.indexOf('=')).trim() === name)
    .map((part) => part.slice(part.indexOf('=') + 1).trim().replace(/^"(.*)"$/, '$1'));
}

test('cookieValues equals the split-trim-unquote reading on random headers', () => {
  const pieces = [';', '=', '"', ' ', '\t', '\u00a0', 'JSESSIONID', 'a', 'x1', '; ', '=""', '"v"'];
  let seed = 7;
  const next = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < 20_000; i++) {
    let header = '';
    const length = Math.floor(next() * 12);
    for (let k = 0; k < length; k++) header += pieces[Math.floor(next() * pieces.length)];
    assert.deepEqual(cookieValues(header, 'JSESSIONID'), oracle(header, 'JSESSIONID'), JSON.stringify(header));
  }
  assert.deepEqual(cookieValues('a=1; JSESSIONID=X; b=2; JSESSIONID="Y"', 'JSESSIONID'), ['X', 'Y']);
});
