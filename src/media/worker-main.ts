/**
 * The entry of one mixer worker (started by WorkerMediaEngine in workers.ts): builds a mixer from
 * the worker data, carries out each command message in arrival order and replies with its result or
 * its error message; reports received DTMF digits as events. Nothing a command carries can crash
 * the worker: every failure becomes an error reply.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { executeMediaCommand } from './commands.js';
import { mixerFromSetup } from './workers.js';
import type { WorkerReply, WorkerRequest, WorkerSetup } from './workers.js';

const port = parentPort;
if (!port) throw new Error('worker-main.ts runs only as a media worker');

const post = (message: WorkerReply) => port.postMessage(message);
const { mixer, statistics } = mixerFromSetup(workerData as WorkerSetup, {
  onDigit: (callId, phoneNumber, digit) => post({ kind: 'digit', callId, phoneNumber, digit: { ...digit } }),
});

// one command at a time, in order: a later command of a call never overtakes an earlier one
let queue: Promise<void> = Promise.resolve();
port.on('message', (request: WorkerRequest) => {
  queue = queue.then(async () => {
    try {
      const result = await executeMediaCommand(mixer, request.command, statistics);
      post({ kind: 'reply', id: request.id, ok: true, result });
    } catch (error) {
      post({ kind: 'reply', id: request.id, ok: false, message: error instanceof Error ? error.message : String(error) });
    }
  });
});
