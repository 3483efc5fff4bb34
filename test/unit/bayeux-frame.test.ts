/**
 * The websocket frames the Bayeux server writes itself (src/bayeux/websocket.ts textFrame): each
 * length class of RFC 6455 (7-bit, 16-bit and 64-bit payload lengths) and multi-byte UTF-8 is
 * decoded by `ws`'s own Receiver (the parser every ws client uses) into the JSON array of the
 * messages, whole and unchanged, from the bytes `socket.write(frame, 'latin1')` puts on the wire:
 * a frame of ASCII messages is a latin1 string, any other a Buffer.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as wsModule from 'ws';
import { textFrame } from '../../src/bayeux/websocket.js';

/** ws's frame parser (exported by its ES module, not declared by @types/ws) */
const Receiver = (wsModule as unknown as { Receiver: new (options: object) => NodeJS.EventEmitter & { write(chunk: Buffer): void } }).Receiver;

function decode(frame: string | Buffer): Promise<string> {
  const receiver = new Receiver({ isServer: false, maxPayload: 0, skipUTF8Validation: false });
  return new Promise((resolve, reject) => {
    receiver.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) reject(new Error('decoded as binary'));
      else resolve(data.toString('utf8'));
    });
    receiver.on('error', reject);
    receiver.write(typeof frame === 'string' ? Buffer.from(frame, 'latin1') : frame);
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
  ['ASCII messages and one multi-byte character', [message(200), message(1, 'é'), message(30)]],
  ['multi-byte UTF-8, 64-bit length', [message(40_000, 'é')]],
  ['latin1 but not ASCII (é is two UTF-8 bytes)', [message(3, '\u00e9\u00ff')]],
] as const) {
  test(`textFrame: ${name}`, async () => {
    const frame = textFrame(messages);
    assert.equal(typeof frame === 'string', messages.every((m) => /^[\x00-\x7f]*$/.test(m)), 'a latin1 string exactly when every message is ASCII');
    const text = await decode(frame);
    assert.equal(text, `[${messages.join(',')}]`);
    assert.deepEqual(JSON.parse(text), messages.map((m) => JSON.parse(m)));
  });
}
