/**
 * The websocket frames the Bayeux server writes itself (src/bayeux/websocket.ts textFrame): each
 * length class of RFC 6455 (7-bit, 16-bit and 64-bit payload lengths) and multi-byte UTF-8 is
 * decoded by `ws`'s own Receiver (the parser every ws client uses) into the JSON array of the
 * messages, whole and unchanged.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as wsModule from 'ws';
import { textFrame } from '../../src/bayeux/websocket.js';

/** ws's frame parser (exported by its ES module, not declared by @types/ws) */
const Receiver = (wsModule as unknown as { Receiver: new (options: object) => NodeJS.EventEmitter & { write(chunk: Buffer): void } }).Receiver;

function decode(frame: Buffer): Promise<string> {
  const receiver = new Receiver({ isServer: false, maxPayload: 0, skipUTF8Validation: false });
  return new Promise((resolve, reject) => {
    receiver.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) reject(new Error('decoded as binary'));
      else resolve(data.toString('utf8'));
    });
    receiver.on('error', reject);
    receiver.write(frame);
  });
}

const message = (bytes: number, fill = 'x'): string => JSON.stringify({ channel: '/v2/me/devices', data: fill.repeat(bytes) });

for (const [name, messages] of [
  ['one short message (7-bit length)', [message(10)]],
  ['exactly 125 bytes of payload', [JSON.stringify('a'.repeat(123 - 2))]],
  ['exactly 126 bytes of payload (16-bit length)', [JSON.stringify('a'.repeat(124 - 2))]],
  ['several messages, 16-bit length', [message(300), message(40), message(2000)]],
  ['65,535 and more bytes (64-bit length)', [message(70_000), message(5)]],
  ['multi-byte UTF-8 (lengths counted in bytes)', [message(100, 'é'), message(50, '€'), message(10, '😀')]],
] as const) {
  test(`textFrame: ${name}`, async () => {
    const text = await decode(textFrame(messages));
    assert.equal(text, `[${messages.join(',')}]`);
    assert.deepEqual(JSON.parse(text), messages.map((m) => JSON.parse(m)));
  });
}
