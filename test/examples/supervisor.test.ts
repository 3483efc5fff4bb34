/**
 * examples/supervisor.mjs against a real server: it arms ListenIn on agent1's DN, and when a call to
 * agent1 is answered it prints its own monitoring leg of that call (Established, monitoring=true).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExampleProcess, startServer } from './example-process.js';

const ADMIN = 'Basic ' + Buffer.from('admin:demo').toString('base64');
const AGENT = 'Basic ' + Buffer.from('agent1:demo').toString('base64');

async function post(baseUrl: string, path: string, auth: string, body: unknown): Promise<any> {
  const r = await fetch(baseUrl + path, { method: 'POST', headers: { Authorization: auth, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return r.json();
}

test('the supervisor example arms ListenIn and prints the monitored call', async () => {
  const { app, baseUrl } = await startServer();
  const supervisor = new ExampleProcess('examples/supervisor.mjs', { SWITCHBOARD_URL: baseUrl, TARGET_DN: '5001' });
  try {
    await supervisor.waitFor(/^supervisor1: armed ListenIn on 5001$/, 'armed');
    assert.equal((await post(baseUrl, '/api/v2/me', AGENT, { operationName: 'StartContactCenterSession', channels: ['voice'] })).statusCode, 0);
    assert.equal((await post(baseUrl, '/api/v2/me/channels/voice', AGENT, { operationName: 'Ready' })).statusCode, 0);
    const sim = await post(baseUrl, '/sim/v1/calls', ADMIN, { from: '+15551234567', to: '5001' });
    assert.equal(sim.statusCode, 0, JSON.stringify(sim));
    assert.equal((await post(baseUrl, `/api/v2/me/calls/${sim.callUuid}`, AGENT, { operationName: 'Answer' })).statusCode, 0);
    await supervisor.waitFor(new RegExp(`CallStateChangeMessage \\S+ Established ${sim.callUuid} monitoring=true$`), 'the supervisor joined the call');
  } finally {
    assert.equal(await supervisor.stop(), 0, 'the example exits cleanly on SIGTERM');
    await app.close();
  }
});
