/**
 * examples/agent-desktop.mjs against a real server: it logs in, connects the official CometD client
 * over websocket with the session cookie (the Node adapter's caveat), goes Ready, and answers a call
 * the simulation sends to its DN; the server agrees (the call is Established for agent1).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExampleProcess, startServer } from './example-process.js';

const ADMIN = 'Basic ' + Buffer.from('admin:demo').toString('base64');
const AGENT = 'Basic ' + Buffer.from('agent1:demo').toString('base64');

test('the agent desktop example goes Ready over websocket and answers a ringing call', async () => {
  const { app, baseUrl } = await startServer();
  const desktop = new ExampleProcess('examples/agent-desktop.mjs', { SWITCHBOARD_URL: baseUrl });
  try {
    await desktop.waitFor(/^agent1: ready true over websocket$/, 'Ready over websocket');
    const sim = await (await fetch(`${baseUrl}/sim/v1/calls`, { method: 'POST', headers: { Authorization: ADMIN, 'Content-Type': 'application/json' }, body: JSON.stringify({ from: '+15551234567', to: '5001' }) })).json();
    assert.equal(sim.statusCode, 0, JSON.stringify(sim));
    await desktop.waitFor(new RegExp(`CallStateChangeMessage \\S+ Established ${sim.callUuid}$`), 'the answered call');
    const call = await (await fetch(`${baseUrl}/api/v2/me/calls/${sim.callUuid}`, { headers: { Authorization: AGENT } })).json();
    assert.equal(call.call.state, 'Established');
  } finally {
    assert.equal(await desktop.stop(), 0, 'the example exits cleanly on SIGTERM');
    await app.close();
  }
});
