/**
 * LruMap (src/gws/lru.ts: the credential cache's bounded map) against a model that keeps the use
 * order the plain way, a Map whose every use deletes and re-sets the key: random gets, peeks,
 * sets, deletes and deleteWhere over a few keys and small capacities, so that entries are used,
 * evicted and set again many times; after every step the values, the size and the whole use order
 * must be the model's. Seed fixed (FC_SEED, FC_RUNS).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { LruMap } from '../../src/gws/lru.js';

const SEED = Number(process.env.FC_SEED ?? 20261207);
const RUNS = Number(process.env.FC_RUNS ?? 200);

/** the model: a Map in use order, oldest first */
class ModelLru {
  readonly entries = new Map<string, number>();
  constructor(private readonly capacity: number) {}
  get(key: string): number | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }
  set(key: string, value: number): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}

test('LruMap: the same values, size and use order as a delete-and-set Map', () => {
  const key = fc.nat(9).map((n) => `k${n}`);
  const op = fc.record({ kind: fc.constantFrom('get', 'peek', 'set', 'delete', 'deleteWhere'), key, value: fc.nat(5) });
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 6 }), fc.array(op, { maxLength: 200 }), (capacity, ops) => {
      const lru = new LruMap<string, number>(capacity);
      const model = new ModelLru(capacity);
      for (const { kind, key: k, value } of ops) {
        if (kind === 'get') assert.equal(lru.get(k), model.get(k));
        else if (kind === 'peek') assert.equal(lru.peek(k), model.entries.get(k));
        else if (kind === 'set') {
          lru.set(k, value);
          model.set(k, value);
        } else if (kind === 'delete') assert.equal(lru.delete(k), model.entries.delete(k));
        else {
          lru.deleteWhere((v) => v === value);
          for (const [mk, mv] of model.entries) if (mv === value) model.entries.delete(mk);
        }
        assert.equal(lru.size, model.entries.size);
        assert.deepEqual(lru.keysByUse(), [...model.entries.keys()]);
        for (let n = 0; n < 10; n++) assert.equal(lru.has(`k${n}`), model.entries.has(`k${n}`));
      }
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

test('LruMap: a full map evicts exactly the least recently used entry', () => {
  const lru = new LruMap<string, number>(3);
  lru.set('a', 1);
  lru.set('b', 2);
  lru.set('c', 3);
  assert.equal(lru.get('a'), 1);
  lru.set('d', 4);
  assert.deepEqual(lru.keysByUse(), ['c', 'a', 'd']);
  assert.equal(lru.peek('b'), undefined);
  assert.equal(lru.peek('c'), 3);
  assert.deepEqual(lru.keysByUse(), ['c', 'a', 'd'], 'peek is not a use');
  assert.throws(() => new LruMap(0), RangeError);
});
