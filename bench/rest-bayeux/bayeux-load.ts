/**
 * The clients of the "Bayeux vs Faye" rows, in their own process: one websocket session per user
 * (u1…uN), our minimal Bayeux client (bench/bayeux-client.ts) against our server, Faye's own node
 * client (websocket transport) against Faye. Counts deliveries; tells the parent `progress`
 * (rounds fully delivered, by count) every few rounds and `done` once `expect`'s total arrived.
 * A pass may poll (the event loop never blocks until the pass's deliveries are in), so that no
 * server pays for waking this process on its writes (http-load.ts `run` says why that matters).
 */
import { createRequire } from 'node:module';
import { connectWebSocket, type BenchClient } from '../bayeux-client.js';
import { notifyParent, pollWhile, serve } from './child.js';

const basic = (u: string): string => 'Basic ' + Buffer.from(`${u}:x`).toString('base64');
const userName = (i: number): string => `u${i + 1}`;
const PROGRESS_STEP = 2;

let users = 0;
let count = 0;
let target = Infinity;
let firstRound = 0;
let reported = -1;
/** passes counted so far (a polling chain stops when a newer pass starts) */
let passes = 0;
const closers: (() => Promise<void> | void)[] = [];

function onDelivery(): void {
  count++;
  const round = firstRound + Math.floor(count / users) - 1;
  if (round >= reported + PROGRESS_STEP) {
    reported = round;
    notifyParent('progress', { round });
  }
  if (count === target) notifyParent('done', { count });
}

async function openOurs(baseUrl: string, n: number): Promise<void> {
  for (let i = 0; i < n; i += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, n - i) }, (_, k) => connectWebSocket(baseUrl, basic(userName(i + k)), '/v2/me/devices')));
    for (const c of batch) {
      c.onEvent = onDelivery;
      closers.push(() => c.close());
    }
  }
}

async function openFaye(baseUrl: string, n: number): Promise<void> {
  const faye = createRequire(import.meta.url)('faye');
  for (let i = 0; i < n; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, n - i) }, async (_, k) => {
        const client = new faye.Client(`${baseUrl}/faye`, { timeout: 30 });
        client.disable('autodisconnect');
        const subscription = client.subscribe(`/users/${userName(i + k)}`, onDelivery);
        await new Promise<void>((resolve, reject) => {
          subscription.callback(() => resolve());
          subscription.errback((e: unknown) => reject(new Error(`faye subscribe failed: ${JSON.stringify(e)}`)));
        });
        closers.push(() => client.disconnect());
      }),
    );
  }
}

serve({
  open: async (m: { kind: 'ours' | 'faye'; baseUrl: string; users: number }) => {
    users = m.users;
    await (m.kind === 'faye' ? openFaye(m.baseUrl, m.users) : openOurs(m.baseUrl, m.users));
    return { opened: closers.length };
  },
  /** count the next `total` deliveries; with `poll` the process never sleeps until they have arrived (as http-load.ts `run`) */
  expect: (m: { total: number; firstRound: number; poll: boolean }) => {
    count = 0;
    target = m.total;
    firstRound = m.firstRound;
    reported = m.firstRound - 1;
    if (m.poll) {
      // until this pass's deliveries are in, a newer pass starts, or a minute has gone (a lost delivery fails the parent's wait anyway)
      const pass = ++passes;
      const giveUp = performance.now() + 60_000;
      pollWhile(() => count < target && pass === passes && performance.now() < giveUp);
    }
    return {};
  },
  close: async () => {
    await Promise.all(closers.map((c) => c()));
    closers.length = 0;
    return {};
  },
});
notifyParent('ready');
