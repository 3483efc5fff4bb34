// The mixer clock: ticks numbered 0, 1, 2... in order on an absolute grid; after a blocked event
// loop every due tick is run (none lost); after a longer stall the backlog is dropped and counted,
// and numbering keeps following real time. Also: the switch's own media function feeds the mixer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TickClock } from '../../src/media/clock.js';
import { mixCallFrames } from '../../src/media/mix.js';
import { mediaMatrix } from '../../src/switch/media.js';
import { MonitorMode } from '../../src/switch/model.js';
import { withTimeout } from '../helpers/wait.js';

function recordTicks(options: { maxCatchUpTicks?: number } = {}) {
  const ticks: number[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const clock = new TickClock({
    ...options,
    onTick: (tick) => {
      ticks.push(tick);
      for (const waiter of [...waiters]) {
        if (ticks.length < waiter.count) continue;
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    },
  });
  const ticksRun = (count: number) =>
    withTimeout(new Promise<void>((resolve) => (ticks.length >= count ? resolve() : waiters.push({ count, resolve }))), 5000, `${count} ticks`);
  return { clock, ticks, ticksRun };
}

const block = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // hold the event loop, as a long GC pause or a busy neighbour would
  }
};

test('ticks run in order from 0, and every tick that fell due during a block is run', async () => {
  const { clock, ticks, ticksRun } = recordTicks();
  clock.start();
  try {
    await ticksRun(3);
    const started = ticks.length;
    block(130); // at least 6 more grid points fall due
    await ticksRun(started + 6);
    assert.deepEqual(ticks, ticks.map((_, index) => index), 'contiguous: nothing skipped, nothing twice');
    assert.equal(clock.skippedTicks, 0);
  } finally {
    clock.stop();
  }
});

test('after a stall longer than the catch-up limit, the backlog is dropped and counted', async () => {
  const { clock, ticks, ticksRun } = recordTicks({ maxCatchUpTicks: 3 });
  clock.start();
  try {
    await ticksRun(1);
    block(250); // about 12 ticks fall due; only 3 may be replayed in one wake-up
    await ticksRun(ticks.length + 5);
    assert.ok(clock.skippedTicks > 0, 'some ticks were skipped');
    for (let i = 1; i < ticks.length; i++) assert.ok(ticks[i] > ticks[i - 1], 'numbers only increase');
    assert.equal(ticks[ticks.length - 1] + 1, ticks.length + clock.skippedTicks, 'numbering counts the skipped ticks');
  } finally {
    clock.stop();
  }
});

test("the switch's media function (Coach) feeds the mixer as is", () => {
  const present = { present: true, muted: false, mutedByMonitor: false };
  const matrix = mediaMatrix([
    { phoneNumber: '+1555', ...present },
    { phoneNumber: '5001', ...present },
    { phoneNumber: '5101', ...present, supervisor: { mode: MonitorMode.Coach, monitoredPhoneNumber: '5001' } },
  ]);
  const frame = (value: number) => new Int16Array(160).fill(value);
  const mixed = mixCallFrames(matrix, new Map([['+1555', frame(1000)], ['5001', frame(100)], ['5101', frame(10)]]));
  assert.deepEqual(['+1555', '5001', '5101'].map((n) => mixed.get(n)![0]), [100, 1010, 1100]);
});
