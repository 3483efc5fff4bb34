/**
 * The contacts wildcard matcher (src/gws/glob.ts) against a reference: a memoised recursive
 * definition of `*` matching, written independently, on random patterns and texts (fast-check,
 * fixed seed; FC_SEED / FC_RUNS to vary; fast-check prints the seed of a failing run).
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import fc from 'fast-check';
import { globMatches, wildcardMatcher } from '../../src/gws/glob.js';

const SEED = Number(process.env.FC_SEED ?? 20240607);
const RUNS = Number(process.env.FC_RUNS ?? 2000);

/** reference: does pattern[p..] match text[t..]? (memoised over (p, t)) */
function referenceMatches(pattern: string, text: string): boolean {
  const memo = new Map<number, boolean>();
  const at = (p: number, t: number): boolean => {
    const key = p * (text.length + 1) + t;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (p === pattern.length) result = t === text.length;
    else if (pattern[p] === '*') result = at(p + 1, t) || (t < text.length && at(p, t + 1));
    else result = t < text.length && pattern[p] === text[t] && at(p + 1, t + 1);
    memo.set(key, result);
    return result;
  };
  return at(0, 0);
}

const small = fc.constantFrom('a', 'b', '*');
const letters = fc.constantFrom('a', 'b');

test('globMatches agrees with the reference on random patterns over a small alphabet', () => {
  fc.assert(
    fc.property(fc.array(small, { maxLength: 12 }), fc.array(letters, { maxLength: 14 }), (p, t) => {
      const pattern = p.join('');
      const text = t.join('');
      assert.equal(globMatches(pattern, text), referenceMatches(pattern, text), `pattern ${JSON.stringify(pattern)} text ${JSON.stringify(text)}`);
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

test('a pattern built from a text (characters replaced by *) always matches it', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 20 }), fc.array(fc.boolean(), { maxLength: 20 }), (raw, cuts) => {
      const text = raw.replaceAll('*', '');
      const pattern = [...text].map((ch, i) => (cuts[i] ? '*' : ch)).join('');
      assert.ok(globMatches(pattern, text), `pattern ${JSON.stringify(pattern)} text ${JSON.stringify(text)}`);
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

test('wildcardMatcher: no * means a case-insensitive substring; * means the whole text; empty and * match all', () => {
  assert.ok(wildcardMatcher('GENT')('agent1'));
  assert.ok(!wildcardMatcher('gent')('supervisor'));
  assert.ok(wildcardMatcher('510*')('5101'));
  assert.ok(!wildcardMatcher('510*')('45101'));
  assert.ok(wildcardMatcher('*ONE')('Agent One'));
  assert.ok(wildcardMatcher('a.c*')('A.Cx'));
  assert.ok(!wildcardMatcher('a.c*')('abcx'), '. is a plain character, not a regex dot');
  assert.ok(wildcardMatcher('(x+)+*')('(x+)+y'), 'regex syntax is plain text');
  for (const all of [undefined, '', '*']) assert.ok(wildcardMatcher(all)('anything'));
});

test('twenty * against a long text: the answer, without backtracking (the stall itself: test/api/contacts-filter.test.ts)', () => {
  const pattern = '*a'.repeat(20) + '*b';
  const text = 'a'.repeat(60);
  assert.equal(globMatches(pattern, text), false);
  assert.equal(referenceMatches(pattern, text), false);
  assert.equal(globMatches(pattern, text + 'b'), true);
});
