/**
 * B2BUA: digits an agent's phone sends in SIP INFO (application/dtmf-relay, for phones without
 * RFC 4733) become DtmfSent on the agent's call, under the same limit as RFC 4733 digits (media/dtmf.ts,
 * MAX_DIGITS_PER_SECOND): a flood of INFOs is answered 200 each, but at most that many digits a
 * second reach the switch. Fake SIP phones over loopback UDP.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor, withTrunkCustomer } from './b2bua-rig.js';
import { MAX_DIGITS_PER_SECOND } from '../../src/media/dtmf.js';

test('a flood of INFO digits: every INFO gets 200, at most MAX_DIGITS_PER_SECOND of them become DtmfSent', async () => {
  await withTrunkCustomer(async ({ rig, agent, customer }) => {
    const answered = await rig.answeredCall(customer, '5001');
    assert.equal(answered.response.status, 200);
    // the agent's phone sends the digits, on its nailed-up dialog (an agent's digits are DtmfSent in GWS)
    const digitsSent = () => rig.h.events.filter((e) => e.kind === 'call' && e.notificationType === 'DtmfSent' && e.dn === '5001').length;
    const info = (digit: string) =>
      agent.server.requestInDialog(agent.dialogs[0]!, 'INFO', {
        headers: [{ name: 'Content-Type', value: 'application/dtmf-relay' }],
        body: Buffer.from(`Signal=${digit}\r\nDuration=160\r\n`),
      });
    assert.equal((await info('5')).status, 200);
    await waitFor('one digit by INFO', () => digitsSent() === 1);
    const answers = await Promise.all(Array.from({ length: 3 * MAX_DIGITS_PER_SECOND }, (_, i) => info(String(i % 10))));
    assert.ok(answers.every((a) => a.status === 200), 'each INFO is answered');
    await waitFor(`${MAX_DIGITS_PER_SECOND} digits in all`, () => digitsSent() === MAX_DIGITS_PER_SECOND);
    // the INFOs are all answered and their facts handled in order: nothing more comes
    assert.equal((await info('9')).status, 200);
    assert.equal(digitsSent(), MAX_DIGITS_PER_SECOND, 'the rest of the flood and the INFO after it, within the same second, are dropped');
  });
});
