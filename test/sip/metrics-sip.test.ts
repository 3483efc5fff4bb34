/**
 * Operability of SIP (docs/telephony.md "Operability"): the app with SIP on answers GET /metrics with
 * the telephony's metrics in the one registry (registrations, active dialogs, RTP legs, answered
 * requests by method and status class, messages dropped before handling, mixer tick lateness, RTP
 * packets dropped), and
 * logs registration, failed authentication and malformed SIP as structured lines through the app's
 * logger, at info / warn, with malformed SIP logged once per source however many packets come.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/app/app.js';
import { SipServer } from '../../src/sip/server.js';
import { systemClock } from '../../src/switch/clock.js';
import { cheapHasher } from '../helpers/cheap-hasher.js';
import { apiConfig, basic } from '../api/harness.js';
import { FakePhone, waitFor } from './b2bua-rig.js';

const folder = mkdtempSync(join(tmpdir(), 'switchboard-sip-metrics-'));
test.after(() => rmSync(folder, { recursive: true, force: true }));

/** the value of one sample line of the exposition (undefined when absent) */
function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

test('GET /metrics has the SIP and mixer metrics; registration, failed authentication and malformed SIP are logged once each', async () => {
  const logs: Array<Record<string, unknown>> = [];
  const app = await createApp({ ...apiConfig({ recordings: { dir: folder } }), logLevel: 'info' }, {
    sipEphemeralPorts: true,
    passwordHasher: cheapHasher,
    logStream: { write: (line: string) => logs.push(JSON.parse(line)) },
  });
  const { sipPort } = await app.listen();
  const phone = await SipServer.start({ host: '127.0.0.1', port: 0, clock: systemClock, lookup: { lookupExtension: () => undefined }, defaultRealm: 'phone' });
  const raw = dgram.createSocket('udp4');
  try {
    const register = (dn: string, password: string) =>
      phone.request({
        method: 'REGISTER',
        uri: `sip:127.0.0.1:${sipPort}`,
        to: `<sip:${dn}@127.0.0.1>`,
        from: `<sip:${dn}@127.0.0.1>`,
        headers: [{ name: 'Expires', value: '120' }],
        credentials: { username: dn, password },
      });
    assert.equal((await register('5001', 'demo')).response.status, 200);
    assert.equal((await register('5002', 'wrong')).response.status, 403);
    await new Promise<void>((resolve) => raw.bind(0, '127.0.0.1', () => resolve()));
    for (let i = 0; i < 3; i++) raw.send(Buffer.from('NOT SIP AT ALL\r\n\r\n'), sipPort!, '127.0.0.1');
    await waitFor('the malformed datagrams are counted', () => app.telephony && logs.some((l) => String(l.msg).startsWith('malformed SIP')));

    const response = await app.fastify.inject({ method: 'GET', url: '/metrics' });
    assert.equal(response.statusCode, 200);
    const text = response.body;
    assert.equal(sample(text, 'switchboard_sip_registrations'), 1);
    assert.equal(sample(text, 'switchboard_sip_active_dialogs'), 0);
    assert.equal(sample(text, 'switchboard_rtp_legs'), 0);
    assert.equal(sample(text, 'switchboard_sip_requests_total', 'method="REGISTER",outcome="2xx"'), 1);
    // 5001's first REGISTER was challenged (401), 5002's too, then refused (403)
    assert.equal(sample(text, 'switchboard_sip_requests_total', 'method="REGISTER",outcome="4xx"'), 3);
    const dropped = sample(text, 'switchboard_sip_dropped_total', 'reason="malformed_dropped"');
    assert.ok(dropped !== undefined && dropped >= 1, `malformed_dropped ${dropped}`);
    assert.ok(sample(text, 'switchboard_mixer_tick_lateness_seconds', 'worker="0",quantile="0.99"') !== undefined, 'mixer lateness per worker');
    assert.equal(sample(text, 'switchboard_mixer_skipped_ticks', 'worker="0"') !== undefined, true);

    // agent1 logs in: the nailed-up INVITE goes out (logged with its Call-ID), the phone answers it
    const agentPhone = await FakePhone.start('5001', sipPort!);
    try {
      assert.equal(await agentPhone.register('demo', 120), 200);
      const login = await app.fastify.inject({
        method: 'POST',
        url: '/api/v2/me',
        payload: { operationName: 'StartContactCenterSession', channels: ['voice'] },
        headers: { authorization: basic('agent1') },
      });
      assert.equal(login.json().statusCode, 0);
      await waitFor('the nailed leg is up on both sides', () => agentPhone.dialogs.length === 1 && app.telephony!.endpoints.activeDialogs() === 1);
      const during = (await app.fastify.inject({ method: 'GET', url: '/metrics' })).body;
      assert.equal(sample(during, 'switchboard_sip_active_dialogs'), 1);
      assert.equal(sample(during, 'switchboard_rtp_legs'), 1);
      // a malformed RTP packet to the nailed leg's port is dropped and counted
      assert.equal(sample(during, 'switchboard_rtp_packets_dropped', 'worker="0"'), 0);
      agentPhone.rtp.send(Buffer.from([0x12, 0x34]), agentPhone.switchboardMedia!.port, '127.0.0.1');
      let dropped = 0;
      await waitFor('the RTP drop is counted', () => {
        void app.fastify.inject({ method: 'GET', url: '/metrics' }).then((r) => (dropped = sample(r.body, 'switchboard_rtp_packets_dropped', 'worker="0"') ?? 0));
        return dropped >= 1;
      });
      const inviteOut = logs.find((l) => l.component === 'sip' && l.msg === 'SIP INVITE out');
      assert.equal(inviteOut?.level, 30);
      assert.equal(inviteOut?.dn, '5001');
      assert.equal(inviteOut?.role, 'nailed');
      assert.match(String(inviteOut?.callId), /@/);
    } finally {
      await agentPhone.close();
    }

    const sipLines = logs.filter((l) => l.component === 'sip');
    const registered = sipLines.find((l) => l.msg === 'SIP registration');
    assert.equal(registered?.level, 30, 'info');
    assert.equal(registered?.dn, '5001');
    const failed = sipLines.filter((l) => l.msg === 'SIP authentication failed');
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.level, 40, 'warn');
    assert.equal(failed[0]!.dn, '5002');
    assert.equal(sipLines.filter((l) => String(l.msg).startsWith('malformed SIP')).length, 1, 'one line for three malformed datagrams');
  } finally {
    raw.close();
    await phone.close();
    await app.close();
  }
});
