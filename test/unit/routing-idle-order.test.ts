/**
 * IdleOrder (the treap of Ready agents by idle time) against a sorted array with the old routing
 * sort (idleSince, then DN by localeCompare): random inserts, re-keys and removes over up to 300
 * agents with many equal idle times; after every operation the order, the size and the first
 * agent not skipped must be the array's. The DN order's shortcut for digit strings gives the sign
 * localeCompare gives, for digit strings and for any other strings. Seed fixed (FC_SEED, FC_RUNS).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { compareDns, IdleOrder } from '../../src/switch/routing-idle-order.js';

const SEED = Number(process.env.FC_SEED ?? 20261202);
const RUNS = Number(process.env.FC_RUNS ?? 150);

test('idle order: the old sort of candidates, kept incrementally', () => {
  const op = fc.record({ remove: fc.boolean(), agent: fc.nat(299), idleSince: fc.nat(20), skipEvery: fc.integer({ min: 1, max: 5 }) });
  fc.assert(
    fc.property(fc.array(op, { minLength: 1, maxLength: 400, size: 'max' }), (ops) => {
      const order = new IdleOrder();
      const model = new Map<string, number>();
      for (const { remove, agent, idleSince, skipEvery } of ops) {
        const dn = String(9000 + agent * 7); // DNs of 4 and 5 digits: localeCompare is not numeric order
        if (remove) {
          order.remove(dn);
          model.delete(dn);
        } else {
          order.insert({ dn, idleSince });
          model.set(dn, idleSince);
        }
        const expected = [...model].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0])).map(([d]) => d);
        assert.deepEqual(order.inOrder(), expected);
        assert.equal(order.size, expected.length);
        const skipped = (d: string) => Number(d) % skipEvery !== 0;
        assert.equal(order.first(skipped), expected.find((d) => !skipped(d)));
      }
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

test('DN order: the sign of localeCompare, by the digit shortcut for digit strings and by the collator for the rest', () => {
  const sign = (n: number): number => Math.sign(n);
  const digits = fc.stringMatching(/^[0-9]{1,8}$/);
  const any = fc.oneof(digits, fc.string({ maxLength: 8 }), fc.stringMatching(/^[0-9a-zA-Z+#*. -]{1,8}$/));
  fc.assert(
    fc.property(fc.oneof(fc.tuple(digits, digits), fc.tuple(any, any)), ([a, b]) => {
      const collated = a.localeCompare(b);
      // the collator's ties (strings it calls equal) are broken by code units; everything else is its sign
      if (collated !== 0) assert.equal(sign(compareDns(a, b)), sign(collated), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
      else assert.equal(sign(compareDns(a, b)), a === b ? 0 : a < b ? -1 : 1);
      assert.equal(sign(compareDns(a, b)) + sign(compareDns(b, a)), 0, "antisymmetric");
    }),
    { seed: SEED, numRuns: RUNS * 20 },
  );
  // prefixes, leading zeros and lengths, the cases where numeric and collated orders differ
  for (const [a, b] of [['1', '10'], ['10', '9'], ['0100', '100'], ['5001', '50010'], ['999', '1000']]) {
    assert.equal(sign(compareDns(a, b)), sign(a.localeCompare(b)), `${a} vs ${b}`);
  }
});
