/**
 * Issue 2's end-to-end scenario with the official CometD client, over long-polling and websocket:
 * an agent starts a session and goes Ready; a customer calls routing point 7000; the call reaches
 * the agent, is answered, held, retrieved and hung up. The whole notification stream is asserted
 * against one golden file: both transports must deliver exactly the same messages.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { E2E } from '../helpers/e2e.js';
import { assertGolden } from '../helpers/golden.js';

for (const transport of ['long-polling', 'websocket'] as const) {
  test(`foundation scenario over ${transport}`, async () => {
    const e = await E2E.start({ transport });
    try {
      const a = await e.user('agent1', { ready: true });
      const callId = await e.simCall('+15551234567', '7000', { Account: 'A-100' });
      const ringing = await a.callEvent(callId, 'Ringing');
      assert.equal(ringing.call.callType, 'Inbound');
      assert.ok(ringing.call.capabilities.includes('Answer'));
      await a.callOp(callId, 'Answer');
      await a.callEvent(callId, 'Established');
      await a.callOp(callId, 'Hold');
      await a.callEvent(callId, 'Held');
      await a.callOp(callId, 'Retrieve');
      await a.callEvent(callId, 'Established');
      const listed = await a.get('/api/v2/me/calls?fields=*');
      assert.deepEqual(listed.calls.map((c: { id: string }) => c.id), [callId]);
      await a.callOp(callId, 'Hangup');
      const released = await a.callEvent(callId, 'Released');
      assert.deepEqual(released.call.capabilities, []);
      assert.deepEqual((await a.get('/api/v2/me/calls')).uris, []);
      assertGolden('e2e/foundation-agent1.json', e.streamOf('agent1'));
    } finally {
      await e.close();
    }
  });
}
