/**
 * What a cluster node runs after a NATS reconnect (AfterReconnect in src/cluster/node/node.ts):
 * retried until it succeeds, one more run for reconnects during a run (not one each), a reconnect
 * during the node's start (before any listener) runs the first listener registered, and close
 * waits for a run under way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AfterReconnect } from '../../../src/cluster/node/node.js';
import { EventCollector } from '../../helpers/wait.js';

const quiet = { warn: () => {} };

test('a failing read is retried until it succeeds', async () => {
  const runs = new EventCollector<string>('runs');
  let failures = 1;
  const after = new AfterReconnect(quiet);
  after.add(async () => {
    if (failures-- > 0) {
      runs.push('failed');
      throw new Error('store unreachable');
    }
    runs.push('done');
  });
  after.reconnected();
  await runs.next((r) => r === 'failed', 2000, 'the first attempt');
  await runs.next((r) => r === 'done', 5000, 'the retry');
  after.close();
});

test('reconnects during a run make one more run, not one each', async () => {
  const runs = new EventCollector<number>('runs');
  let release: () => void = () => {};
  let count = 0;
  const after = new AfterReconnect(quiet);
  after.add(async () => {
    count++;
    runs.push(count);
    if (count === 1) await new Promise<void>((resolve) => (release = resolve));
  });
  after.reconnected();
  await runs.next((n) => n === 1, 2000, 'the first run');
  after.reconnected();
  after.reconnected();
  after.reconnected();
  release();
  await runs.next((n) => n === 2, 2000, 'one more run');
  after.reconnected();
  await runs.next((n) => n === 3, 2000, 'a later reconnect runs again');
  assert.equal(count, 3);
  after.close();
});

test('a reconnect before any listener runs the first one registered', async () => {
  const runs = new EventCollector<string>('runs');
  const after = new AfterReconnect(quiet);
  after.reconnected();
  after.add(async () => void runs.push('ran'));
  await runs.next((r) => r === 'ran', 2000, 'the late listener');
  after.close();
});

test('close waits for a run under way (so it does not read a store being closed), and then nothing runs', async () => {
  const runs = new EventCollector<string>('runs');
  let release: () => void = () => {};
  const after = new AfterReconnect(quiet);
  after.add(async () => {
    runs.push('started');
    await new Promise<void>((resolve) => (release = resolve));
    runs.push('finished');
  });
  after.reconnected();
  await runs.next((r) => r === 'started', 2000, 'the run');
  let closed = false;
  const closing = after.close().then(() => (closed = true));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(closed, false, 'close waits for the run');
  release();
  await closing;
  assert.deepEqual(runs.items, ['started', 'finished']);
  after.reconnected();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(runs.items, ['started', 'finished'], 'no run after close');
});
