/**
 * Attended transfer from outside the process, with sipp: phone 5001 (per-call mode) is played by two
 * sipp instances, one per dialog (sipp maps messages to calls by Call-ID, so one instance cannot hold
 * two dialogs). Call A dials 5002 and holds it; call B dials 5003 (a consultation of A in GWS); B tells
 * A its dialog identifiers in a MESSAGE over loopback (the "phone" talking to itself, nothing
 * Switchboard sees); A sends REFER with Refer-To <sip:5003@...?Replaces=B> and must get 202, a NOTIFY
 * whose sipfrag is 200, and the BYE of A, while B gets its BYE. GWS must show the same event lines
 * as a GWS CompleteTransfer of the same calls (driven here with an in-process fake phone), and 5002
 * and 5003 end on the original call.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rig, waitFor } from './b2bua-rig.js';
import { freeUdpPort, runSipp, type SippResult } from './sipp.js';

const PER_CALL = { sip: { agentPhoneMode: 'perCall' as const } };

/** Wait for `condition`, failing at once with sipp's errors if `instance` ended first. */
async function before(what: string, condition: () => boolean, instance: { ended?: SippResult }, logs: string[]): Promise<void> {
  await waitFor(`${what} (or sipp ends)`, () => condition() || instance.ended !== undefined, 15000);
  assert.equal(instance.ended, undefined, `sipp ended before ${what}: ${instance.ended?.errors}\n${logs.join('\n')}`);
}

function track(run: Promise<SippResult>): { run: Promise<SippResult>; ended?: SippResult } {
  const instance: { run: Promise<SippResult>; ended?: SippResult } = { run };
  void run.then((result) => (instance.ended = result));
  return instance;
}

test('sipp phone: REFER with Replaces of the consultation shows up in GWS as CompleteTransfer, NOTIFY sipfrag 200', async () => {
  // the reference: the same calls from an in-process phone, completed by the GWS operation
  const reference = await Rig.start(PER_CALL);
  const fake = await reference.phone('5001');
  let expected: string[];
  try {
    assert.equal(await fake.register(), 200);
    reference.h.loginReady('5001', '5002', '5003');
    const first = fake.call('5002');
    await waitFor('5002 rings', () => reference.h.sw.callsOf('5002').length === 1);
    const original = reference.h.callOf('5002');
    reference.h.op('5002', original, { name: 'Answer' });
    const callA = (await first).dialog!;
    assert.equal((await fake.hold(callA)).status, 200);
    await waitFor('Held', () => reference.h.sw.callView(original, '5001')?.state === 'Held');
    const second = fake.call('5003');
    await waitFor('5003 rings', () => reference.h.sw.callsOf('5003').length === 1);
    reference.h.take();
    reference.h.op('5003', reference.h.callOf('5003'), { name: 'Answer' });
    assert.equal((await second).response.status, 200);
    reference.h.op('5001', original, { name: 'CompleteTransfer' });
    await waitFor('5001 is out of both calls', () => reference.h.sw.callsOf('5001').length === 0);
    expected = reference.h.take();
  } finally {
    await reference.close(fake);
  }
  assert.ok(expected.length > 0);

  const rig = await Rig.start(PER_CALL);
  const registered = await rig.phone('5001'); // a live registration of 5001, so SIP serves its legs
  try {
    assert.equal(await registered.register(), 200);
    rig.h.loginReady('5001', '5002', '5003');
    rig.h.take();
    const transferorPort = await freeUdpPort();
    const transferorCallId = 'xfer-a-1@127.0.0.1';
    const a = track(runSipp(rig.server.port, 'b2bua-attended-transferor', '5002', { localPort: transferorPort, extra: ['-cid_str', 'xfer-a-%u@%s'] }));
    await before('5002 rings', () => rig.h.sw.callsOf('5002').length === 1, a, rig.logs);
    const original = rig.h.callOf('5002');
    rig.h.op('5002', original, { name: 'Answer' });
    await before('call A is Held', () => rig.h.sw.callView(original, '5001')?.state === 'Held', a, rig.logs);

    const b = track(
      runSipp(rig.server.port, 'b2bua-attended-consult', '5003', {
        extra: ['-cid_str', 'xfer-b-%u', '-key', 'transferor_port', String(transferorPort), '-key', 'transferor_call_id', transferorCallId, '-key', 'switchboard_port', String(rig.server.port)],
      }),
    );
    await before('5003 rings', () => rig.h.sw.callsOf('5003').length === 1, b, rig.logs);
    const consult = rig.h.callOf('5003');
    assert.equal(rig.h.sw.callView(consult, '5001')?.callType, 'Consult', 'the phone dialled with one held call: a consultation');
    rig.h.take();
    rig.h.op('5003', consult, { name: 'Answer' });

    const [resultA, resultB] = await Promise.all([a.run, b.run]);
    assert.equal(resultA.code, 0, `transferor: ${resultA.errors}\n${rig.logs.join('\n')}`);
    assert.equal(resultB.code, 0, `consultation: ${resultB.errors}\n${rig.logs.join('\n')}`);
    await waitFor('5001 is out of both calls', () => rig.h.sw.callsOf('5001').length === 0);
    assert.deepEqual(rig.h.take(), expected, 'from the answer of 5003 on: the same GWS events as Answer then CompleteTransfer');
    assert.deepEqual(rig.h.sw.callsOf('5002'), [original]);
    assert.deepEqual(rig.h.sw.callsOf('5003'), [original], '5003 is on the original call with 5002');
  } finally {
    await rig.close(registered);
  }
});
