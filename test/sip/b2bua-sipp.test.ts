/**
 * Black-box B2BUA tests with sipp (Debian sip-tester) against the SIP endpoints under a call model, on
 * free ports: a phone (sipp as 5001, digest-challenged) dials 5002, plays RFC 4733 DTMF from
 * /usr/share/sip-tester/dtmf_2833_1.pcap, holds and retrieves with re-INVITEs and hangs up with BYE, and
 * each step shows up in GWS as the operation would (Dialing, Established, DtmfSent 1, Held, Established,
 * Released); an INVITE from neither a DN nor a trunk gets 403. Fails when sipp is missing (the
 * project's install script installs it; CI has it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rig, waitFor } from './b2bua-rig.js';
import { runSipp } from './sipp.js';

test('sipp phone 5001: digest, Dial 5002, DTMF, hold, retrieve, BYE show up in GWS', async () => {
  const rig = await Rig.start({ sip: { agentPhoneMode: 'perCall' } });
  const registered = await rig.phone('5001'); // a live registration of 5001, so SIP serves its legs
  try {
    assert.equal(await registered.register(), 200);
    rig.h.loginReady('5001', '5002');
    rig.h.take();
    const sipp = runSipp(rig.server.port, 'b2bua-phone-call', '5002');
    let ended: { code: number | null; errors: string } | undefined;
    void sipp.then((r) => (ended = r));
    await waitFor('5002 rings (or sipp ends)', () => rig.h.sw.callsOf('5002').length === 1 || ended, 15000);
    assert.equal(ended, undefined, `sipp ended before 5002 rang: ${ended?.errors} ${rig.logs.join('\n')}`);
    rig.h.op('5002', rig.h.callOf('5002'), { name: 'Answer' });
    const result = await sipp;
    assert.equal(result.code, 0, result.errors);
    await waitFor('released', () => rig.h.sw.callsOf('5001').length === 0);
    const lines = rig.h.take().filter((line) => line.startsWith('5001 '));
    assert.deepEqual(lines, [
      '5001 call #1 StatusChange Dialing Internal [5002]',
      '5001 call #1 StatusChange Established Internal [5002]',
      '5001 call #1 DtmfSent Established Internal [5002] digits=1',
      '5001 call #1 StatusChange Held Internal [5002]',
      '5001 call #1 StatusChange Established Internal [5002]',
      '5001 call #1 StatusChange Released Internal [5002]',
    ]);
  } finally {
    await rig.close(registered);
  }
});

test('sipp: an INVITE from neither a provisioned DN nor a trunk gets 403 and starts no call', async () => {
  const rig = await Rig.start();
  try {
    const result = await runSipp(rig.server.port, 'b2bua-unauthenticated', '7000');
    assert.equal(result.code, 0, result.errors);
    assert.deepEqual(rig.h.take(), []);
  } finally {
    await rig.close();
  }
});
