/**
 * The switch's marks (src/switch/marks.ts) against the Set and Map they replace, on random
 * workloads: MarkQueue hands keys over in the order a Map iterated while its entries are taken out
 * would (a key marked again after it was taken comes again after the others, a key marked twice
 * keeps its place and its strongest level); MarkSet holds what a Set holds. Keys are few, so that
 * the same keys are marked, taken, forgotten and marked again many times. Seed fixed (FC_SEED, FC_RUNS).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MarkQueue, MarkSet } from '../../src/switch/marks.js';

const SEED = Number(process.env.FC_SEED ?? 20261207);
const RUNS = Number(process.env.FC_RUNS ?? 2000);

const key = fc.nat(7).map((n) => `k${n}`);

test('MarkQueue: marking order, strongest level, taken before handed over, forget', () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('mark' as const), key, level: fc.nat(2) }),
    fc.record({ kind: fc.constant('take' as const), key, level: fc.constant(0) }),
    fc.record({ kind: fc.constant('forget' as const), key, level: fc.constant(0) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
      const marks = new MarkQueue<string>();
      // the model: a Map in insertion order, taken from its front
      const model = new Map<string, number>();
      for (const { kind, key: k, level } of ops) {
        if (kind === 'mark') {
          marks.mark(k, level);
          model.set(k, Math.max(model.get(k) ?? -1, level));
        } else if (kind === 'forget') {
          marks.forget(k);
          model.delete(k);
        } else {
          const taken = marks.takeNext();
          const first = model.keys().next();
          if (first.done) {
            assert.equal(taken, undefined);
          } else {
            assert.equal(taken, first.value);
            assert.equal(marks.takenLevel, model.get(first.value));
            model.delete(first.value);
          }
        }
        assert.equal(marks.size, model.size);
        for (let n = 0; n < 8; n++) assert.equal(marks.has(`k${n}`), model.has(`k${n}`));
      }
      // what is left comes out in the model's order, then nothing
      for (const [k, level] of model) {
        assert.equal(marks.takeNext(), k);
        assert.equal(marks.takenLevel, level);
      }
      assert.equal(marks.takeNext(), undefined);
      assert.equal(marks.size, 0);
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

test('MarkQueue: a key forgotten and marked again comes after the others, as a Map would have it', () => {
  const marks = new MarkQueue<string>();
  marks.mark('a');
  marks.mark('b');
  marks.forget('a');
  marks.mark('a');
  assert.deepEqual([marks.takeNext(), marks.takeNext(), marks.takeNext()], ['b', 'a', undefined]);
});

test('MarkQueue: a key marked again while the marks are taken out comes again after the others', () => {
  const marks = new MarkQueue<string>();
  for (const k of ['a', 'b', 'c']) marks.mark(k);
  const seen: string[] = [];
  for (let k = marks.takeNext(); k !== undefined; k = marks.takeNext()) {
    seen.push(k);
    if (k === 'a' && seen.length === 1) marks.mark('a');
    if (k === 'b') marks.mark('d');
  }
  assert.deepEqual(seen, ['a', 'b', 'c', 'a', 'd']);
});

test('MarkSet: holds what a Set holds, each key once', () => {
  const op = fc.record({ kind: fc.constantFrom('add', 'delete', 'forget'), key });
  fc.assert(
    fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
      const marks = new MarkSet<string>();
      const model = new Set<string>();
      for (const { kind, key: k } of ops) {
        if (kind === 'add') {
          marks.add(k);
          model.add(k);
        } else if (kind === 'delete') {
          assert.equal(marks.delete(k), model.delete(k));
        } else {
          marks.forget(k);
          model.delete(k);
        }
        assert.equal(marks.size, model.size);
        const held = Array.from({ length: marks.size }, (_, i) => marks.at(i));
        assert.deepEqual(new Set(held), model);
        assert.equal(held.length, model.size);
        for (let n = 0; n < 8; n++) assert.equal(marks.has(`k${n}`), model.has(`k${n}`));
      }
    }),
    { seed: SEED, numRuns: RUNS },
  );
});
