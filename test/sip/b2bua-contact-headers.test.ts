/**
 * B2BUA: a phone that registers a Contact with URI headers (RFC 4475 3.3.14 regescrt:
 * `<sip:user@host?Route=%3C…%3E>`) is called at that Contact without them: the Request-URI of our
 * INVITE carries no headers (RFC 3261 19.1.1), and no Route of the registrant's choosing is added.
 * Real SIP over loopback UDP (b2bua-rig.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getHeaders } from '../../src/sip/message.js';
import { withoutUriHeaders } from '../../src/sip/uri.js';
import { Rig, waitFor } from './b2bua-rig.js';

test("a registered Contact's URI headers stay out of our INVITE to it", async () => {
  const rig = await Rig.start({ sip: { trunks: [{ name: 'loopback', host: '127.0.0.1' }] } });
  const agent = await rig.phone('5001');
  try {
    const contact = `<sip:5001@127.0.0.1:${agent.sipPort};transport=udp?Route=%3Csip:elsewhere.example.com%3E>`;
    assert.equal(await agent.register(undefined, 300, contact), 200);
    rig.h.loginReady('5001');
    // the nailed-up leg: our first INVITE to the phone's binding
    await waitFor('the INVITE to the phone', () => agent.lastInviteUri !== '');
    assert.equal(agent.lastInviteUri, `sip:5001@127.0.0.1:${agent.sipPort};transport=udp`);
    assert.deepEqual(getHeaders({ kind: 'request', method: 'INVITE', uri: '', headers: agent.lastInviteHeaders, body: Buffer.alloc(0) }, 'Route'), []);
  } finally {
    await rig.close(agent);
  }
});

test('withoutUriHeaders: only the headers part goes', () => {
  const table: [string, string][] = [
    ['sip:user@host.example.com?Route=%3Csip:sip.example.com%3E', 'sip:user@host.example.com'],
    ['sip:user@host:5070;transport=tcp?a=b&c=d', 'sip:user@host:5070;transport=tcp'],
    ['sip:us?er@host?h=1', 'sip:us?er@host'],
    ['sip:host.example.com?h=1', 'sip:host.example.com'],
    ['sip:user@host', 'sip:user@host'],
    ['tel:+15550100', 'tel:+15550100'],
  ];
  for (const [uri, expected] of table) assert.equal(withoutUriHeaders(uri), expected, uri);
});
