/**
 * The harness's own proof, with no Switchboard: two real baresip phones call each other directly
 * (customer 440 Hz dials agent 1000 Hz, auto-answer), talk, then the customer mutes. Goertzel on each
 * phone's recording must find exactly the other party's tone while both talk, and the agent must hear
 * nothing while the customer is muted (so "not heard" is proven on a real recording too), with each
 * recording's timeline matching the wall clock. If this fails, the supervision-audio test cannot be
 * trusted either. Takes about 8 s.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PhoneSet, haveBaresip } from '../helpers/baresip.js';
import { assertHearing, letAudioFlow, listeningOf } from './harness.js';

const PARTIES = [
  { name: 'customer', toneHz: 440 },
  { name: 'agent', toneHz: 1000 },
];

test('two baresip phones hear each other\'s tone, never their own, and silence when muted', async () => {
  assert.ok(haveBaresip(), 'baresip and sox are required: run scripts/install-test-tools.sh');
  const phones = new PhoneSet();
  try {
    const agent = await phones.start({ name: 'agent', user: 'agent', toneHz: 1000, codec: 'PCMU', autoAnswer: true });
    const customer = await phones.start({ name: 'customer', user: 'customer', toneHz: 440, codec: 'PCMU' });

    await customer.dial(agent.directUri);
    const [customerUp, agentUp] = await Promise.all([customer.waitEvent('CALL_ESTABLISHED'), agent.waitEvent('CALL_ESTABLISHED')]);
    const talking = Math.max(customerUp.receivedAt, agentUp.receivedAt);
    await letAudioFlow(2500);
    await customer.command('mute');
    const muted = Date.now();
    await letAudioFlow(2500);
    await customer.hangup();
    const [customerClosed, agentClosed] = await Promise.all([customer.waitEvent('CALL_CLOSED'), agent.waitEvent('CALL_CLOSED')]);
    await phones.stopAll();

    const table = assertHearing(
      [listeningOf(customer, 'customer'), listeningOf(agent, 'agent')],
      [
        { name: 'talking', startedAt: talking, endedAt: muted, expected: { customer: ['agent'], agent: ['customer'] } },
        { name: 'customer muted', startedAt: muted, endedAt: customerClosed.receivedAt, expected: { customer: ['agent'], agent: [] } },
      ],
      PARTIES,
      { customer: customerClosed.receivedAt, agent: agentClosed.receivedAt },
    );
    console.log(table);
  } finally {
    await phones.dispose();
  }
});
