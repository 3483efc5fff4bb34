/**
 * SIP over TCP against stalled and piled-up connections (src/sip/transport.ts): a connection that
 * holds part of a message past `messageTimeoutMs` is closed, and connections from one address beyond
 * `maxConnectionsPerAddress` are closed at once, while the ones within the limit keep serving.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { SipTransport } from '../../src/sip/transport.js';
import type { ParseResult } from '../../src/sip/message.js';
import { withTimeout } from '../helpers/wait.js';

const OPTIONS = (branch: string) =>
  `OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK${branch}\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:x@h>\r\nCall-ID: ${branch}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`;

async function connected(port: number): Promise<{ socket: net.Socket; closed: Promise<void> }> {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.on('error', () => undefined);
  return { socket, closed: new Promise<void>((resolve) => socket.once('close', () => resolve())) };
}

test('a half-sent message is given messageTimeoutMs, and one address gets maxConnectionsPerAddress connections', async () => {
  const received: ParseResult[] = [];
  let onMessage: (() => void) | undefined;
  const transport = await SipTransport.listen({ host: '127.0.0.1', port: 0, messageTimeoutMs: 300, maxConnectionsPerAddress: 3 }, (result) => {
    received.push(result);
    onMessage?.();
  });
  const sockets: net.Socket[] = [];
  try {
    const stalled = await connected(transport.port);
    sockets.push(stalled.socket);
    stalled.socket.write(OPTIONS('half').slice(0, 40));
    await withTimeout(stalled.closed, 5000, 'the stalled connection closed by the server');

    const kept = [await connected(transport.port), await connected(transport.port), await connected(transport.port)];
    sockets.push(...kept.map((c) => c.socket));
    const extra = await connected(transport.port);
    sockets.push(extra.socket);
    await withTimeout(extra.closed, 5000, 'the fourth connection from 127.0.0.1 closed at once');
    const delivered = new Promise<void>((resolve) => (onMessage = resolve));
    kept[2].socket.write(OPTIONS('whole'));
    await withTimeout(delivered, 5000, 'a whole message on a connection within the limit');
    assert.ok(received.at(-1)?.ok, 'parsed');
  } finally {
    for (const socket of sockets) socket.destroy();
    await transport.close();
  }
});
