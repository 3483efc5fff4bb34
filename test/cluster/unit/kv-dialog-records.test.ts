/**
 * The cluster's SIP dialog records on a real nats-server (src/cluster/kv-dialog-records.ts): what one
 * connection (the owner) saves, another (the next owner) lists, per contact center, with Call-IDs
 * that no subject could carry as they are; removed records are not listed; a value that is not a
 * record is skipped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'nats';
import { KvDialogRecords, SIP_DIALOGS_BUCKET } from '../../../src/cluster/kv-dialog-records.js';
import type { SipDialogRecord } from '../../../src/endpoints/sip/dialog-records.js';
import { subjectToken } from '../../../src/cluster/contract.js';
import { startTestNats } from '../../helpers/nats.js';

function record(contactCenterId: string, callId: string, party: string): SipDialogRecord {
  return {
    contactCenterId,
    party,
    role: 'perCall',
    legs: [{ callUuid: 'CALL1', dn: party }],
    dialog: {
      role: 'uac',
      callId,
      localTag: 'ours',
      remoteTag: 'theirs',
      localUri: '<sip:switchboard@127.0.0.1>',
      remoteUri: `<sip:${party}@127.0.0.1>`,
      localSequence: 7,
      routeSet: [],
      remoteTarget: `sip:${party}@127.0.0.1:5099`,
    },
    recordedAt: 1,
  };
}

test('dialog records in the KV bucket: saved by one connection, listed per contact center by another, removed ones gone', async () => {
  const nats = await startTestNats();
  const owner = await connect({ servers: nats.url });
  const next = await connect({ servers: nats.url });
  try {
    const written = await KvDialogRecords.open(owner);
    const a = record('cc 1', 'a1b2@127.0.0.1', '5001');
    const b = record('cc 1', 'x.y*z>@host', '5002');
    await written.save(a);
    await written.save(b);
    await written.save(record('cc.2', 'other@127.0.0.1', '6001'));
    const kv = await owner.jetstream().views.kv(SIP_DIALOGS_BUCKET);
    await kv.put(`${subjectToken('cc 1')}.${subjectToken('junk')}`, new TextEncoder().encode('not json'));

    const read = await KvDialogRecords.open(next);
    const listed = await read.list('cc 1');
    assert.deepEqual(listed.map((r) => r.dialog.callId).sort(), [a.dialog.callId, b.dialog.callId].sort());
    assert.deepEqual(listed.find((r) => r.party === '5001'), a, 'a record comes back as it was saved');
    assert.deepEqual((await read.list('cc.2')).map((r) => r.party), ['6001']);

    await read.remove('cc 1', a.dialog.callId);
    assert.deepEqual((await written.list('cc 1')).map((r) => r.party), ['5002']);
    assert.deepEqual(await read.list('nobody'), []);
  } finally {
    await owner.close();
    await next.close();
    await nats.stop();
  }
});
