/**
 * Dialog records (src/endpoints/sip/dialog-records.ts), with the B2BUA rig's fake phones over loopback
 * UDP: a confirmed dialog (a nailed-up leg at login, a phone's own call) is recorded with the identity
 * an in-dialog request needs, exactly as the phone sees the dialog; an ended dialog's record is
 * removed; and a BYE built from a record alone, sent from another SIP server (a new owner's), is
 * accepted by the phone as a request of that dialog (same Call-ID, tags swapped, CSeq above every
 * request the first server sent in it), so the phone leaves the call.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SipServer } from '../../src/sip/server.js';
import { Dialog } from '../../src/sip/dialog.js';
import { systemClock } from '../../src/switch/clock.js';
import { getHeader } from '../../src/sip/message.js';
import { parseCSeq } from '../../src/sip/headers.js';
import { BYE_CSEQ_STEP, MemoryDialogRecords, byeRecorded, journalOf } from '../../src/endpoints/sip/dialog-records.js';
import { Rig, waitFor } from './b2bua-rig.js';

const cseqOf = (request: { headers: { name: string; value: string }[] }) => parseCSeq(getHeader(request as never, 'CSeq') ?? '')?.sequence ?? -1;

test('a confirmed dialog is recorded as the phone sees it, removed when it ends, and a BYE from the record alone ends it on the phone', async () => {
  const store = new MemoryDialogRecords();
  const journal = journalOf(store, (what, error) => assert.fail(`${what}: ${String(error)}`));
  const rig = await Rig.start({ dialogs: journal });
  const agent = await rig.phone('5001');
  const other = await rig.phone('5002');
  const newOwner = await SipServer.start({
    host: '127.0.0.1',
    port: 0,
    clock: systemClock,
    defaultRealm: 'cc1',
    lookup: { lookupExtension: () => undefined },
    handler: { request: (transaction) => transaction.reply(481) },
  });
  try {
    assert.equal(await agent.register(), 200);
    assert.equal(await other.register(), 200);
    rig.h.loginReady('5001', '5002');
    await waitFor('both nailed legs are up', () => agent.dialogs.length === 1 && other.dialogs.length === 1);
    await journal.flushed();
    const records = await store.list('cc1');
    assert.deepEqual(records.map((r) => `${r.party} ${r.role}`).sort(), ['5001 nailed', '5002 nailed']);
    const record = records.find((r) => r.party === '5001')!;
    const phoneSide = agent.dialogs[0]!;
    assert.equal(record.contactCenterId, 'cc1');
    assert.equal(record.dialog.callId, phoneSide.callId);
    assert.equal(record.dialog.localTag, phoneSide.remoteTag, 'our tag is the one the phone holds as remote');
    assert.equal(record.dialog.remoteTag, phoneSide.localTag);
    assert.equal(record.dialog.localSequence, phoneSide.remoteSequence, "the recorded CSeq is our INVITE's");
    assert.match(record.dialog.remoteTarget, new RegExp(`:${agent.sipPort}\\b`), "the remote target is the phone's contact");
    assert.deepEqual(await store.list('another'), [], 'records are per contact center');

    // the dialog ends normally (logout BYEs the nailed leg): its record goes
    rig.h.ok(rig.h.sw.logout('5002'));
    await waitFor('logout BYEs 5002', () => other.count('BYE') === 1);
    await journal.flushed();
    assert.deepEqual((await store.list('cc1')).map((r) => r.party), ['5001']);

    // our CSeq moves on after the record (in-dialog requests the record does not see: keepalives, re-INVITEs)
    const requestsBefore = agent.requests.length;
    const options = await rig.server.requestInDialog(new Dialog({ ...record.dialog, localSequence: record.dialog.localSequence + 5 }), 'OPTIONS');
    assert.equal(options.status, 200, 'the phone answers OPTIONS in the dialog');
    const lastSent = Math.max(...agent.requests.slice(requestsBefore).map(cseqOf));

    // a new owner, from the record alone
    const [outcome] = await byeRecorded(newOwner, await store.list('cc1'));
    assert.ok(outcome && 'status' in outcome && outcome.status === 200, `the phone answers the BYE: ${JSON.stringify(outcome)}`);
    const bye = agent.requests.at(-1)!;
    assert.equal(bye.method, 'BYE');
    assert.equal(getHeader(bye, 'Call-ID'), phoneSide.callId);
    assert.ok(phoneSide.matches(bye), 'the BYE carries the dialog\'s tags as the phone expects');
    assert.equal(cseqOf(bye), record.dialog.localSequence + BYE_CSEQ_STEP);
    assert.ok(cseqOf(bye) > lastSent, `the BYE's CSeq ${cseqOf(bye)} is above the last one sent in the dialog (${lastSent})`);
    assert.equal(agent.dialogs.length, 0, 'the phone left the call');
  } finally {
    await newOwner.close();
    await rig.close(agent, other);
  }
});
