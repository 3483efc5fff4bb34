/**
 * The call model's call control, through the switch harness: two-step and single-step transfers and
 * conferences, swap, failed transfers, a customer leaving mid-transfer, user data, recording, mute
 * and DTMF; each step's events are compared line by line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from '../helpers/switch-harness.js';

const C = '+15551234';

function established(h: Harness): string {
  h.loginReady('5001', '5002', '5003');
  const { callUuid } = h.ok(h.sw.simulateInbound(C, '5001', { Account: '42' }));
  h.op('5001', callUuid, { name: 'Answer' });
  h.take();
  return callUuid;
}

/** agent1 consults agent2 from call x and agent2 answers; returns the consultation call */
function answeredConsult(h: Harness, x: string, name: 'InitiateTransfer' | 'InitiateConference'): string {
  h.op('5001', x, { name, destination: { phoneNumber: '5002' } });
  const y = h.sw.callsOf('5002')[0];
  h.op('5002', y, { name: 'Answer' });
  return y;
}

test('two-step transfer: Held, consult Dialing/Ringing, Established; complete: original Released then consult Released', () => {
  const h = new Harness();
  const x = established(h);
  h.op('5001', x, { name: 'InitiateTransfer', destination: { phoneNumber: '5002' }, userData: { Reason: 'billing' } });
  assert.deepEqual(h.take(), [
    '5001 call #1 StatusChange Held Inbound [+15551234]',
    '5001 call #2 StatusChange Dialing Consult [5002]',
    '5002 call #2 StatusChange Ringing Consult [5001]',
  ]);
  const y = h.sw.callsOf('5002')[0];
  assert.equal(h.sw.callView(y, '5002')!.parentCallUuid, x);
  assert.deepEqual(h.sw.callView(y, '5002')!.userData, { Account: '42', Reason: 'billing' });
  assert.ok(h.sw.callView(x, '5001')!.capabilities.includes('CompleteTransfer'));
  h.op('5002', y, { name: 'Answer' });
  assert.deepEqual(h.take(), [
    '5001 call #2 StatusChange Established Consult [5002]',
    '5002 call #2 StatusChange Established Consult [5001]',
    '5001 call #1 StatusChange Held Inbound [+15551234]', // capabilities changed: SwapCalls, CompleteConference
  ]);
  h.op('5001', y, { name: 'CompleteTransfer' });
  assert.deepEqual(h.take(), [
    '5001 call #1 StatusChange Released Inbound [+15551234,5002]',
    '5002 call #1 StatusChange Established Inbound [+15551234]',
    '5001 call #2 StatusChange Released Consult [5002]',
    '5002 call #2 StatusChange Released Consult [5001]',
  ]);
  assert.deepEqual(h.sw.callsOf('5002'), [x]);
  assert.deepEqual(h.sw.callView(x, '5002')!.userData, { Account: '42', Reason: 'billing' }, 'user data follows the call');
  assert.deepEqual(h.mediaOf(x), { [C]: ['5002'], '5002': [C] });
});

test('consult conference: consult Released first, then the original with all parties; owner removes one', () => {
  const h = new Harness();
  const x = established(h);
  const y = answeredConsult(h, x, 'InitiateConference');
  h.take();
  h.op('5001', y, { name: 'CompleteConference' });
  assert.deepEqual(h.take(), [
    '5001 call #2 StatusChange Released Consult [5002]',
    '5002 call #2 StatusChange Released Consult [5001]',
    '5001 call #1 StatusChange Established Inbound [+15551234,5002]',
    '5002 call #1 StatusChange Established Inbound [+15551234,5001]',
  ]);
  assert.ok(h.sw.callView(x, '5001')!.capabilities.includes('RemoveParticipantFromConference'));
  assert.ok(!h.sw.callView(x, '5002')!.capabilities.includes('RemoveParticipantFromConference'), 'only the owner');
  assert.ok(h.sw.callView(x, '5002')!.capabilities.includes('ClearCall'));
  h.op('5001', x, { name: 'RemoveParticipantFromConference', participant: '5002' });
  assert.deepEqual(h.take(), [
    '5001 call #1 ParticipantsUpdated Established Inbound [+15551234]',
    '5002 call #1 StatusChange Released Inbound [+15551234,5001]',
  ]);
});

test('single-step conference and ClearCall end the call for everyone', () => {
  const h = new Harness();
  const x = established(h);
  h.op('5001', x, { name: 'SingleStepConference', destination: { phoneNumber: '5002' } });
  h.op('5002', x, { name: 'Answer' });
  h.take();
  h.op('5002', x, { name: 'ClearCall' });
  const lines = h.take();
  assert.deepEqual(lines, [
    '5001 call #1 StatusChange Released Inbound [+15551234,5002]',
    '5002 call #1 StatusChange Released Inbound [+15551234,5001]',
  ]);
  assert.equal(h.sw.media(x), undefined);
});

test('swap calls: newly established call reported first', () => {
  const h = new Harness();
  const x = established(h);
  const y = answeredConsult(h, x, 'InitiateTransfer');
  h.take();
  h.op('5001', y, { name: 'SwapCalls', otherCallUuid: x });
  assert.deepEqual(h.take(), ['5001 call #1 StatusChange Established Inbound [+15551234]', '5001 call #2 StatusChange Held Consult [5002]']);
});

test('a transfer that fails: busy destination reports Error, original stays held and can be retrieved', () => {
  const h = new Harness();
  const x = established(h);
  h.ok(h.sw.dial('5003', { phoneNumber: '5002' }));
  h.take();
  h.op('5001', x, { name: 'InitiateTransfer', destination: { phoneNumber: '5002' } });
  assert.deepEqual(h.take(), [
    '5001 call #1 StatusChange Held Inbound [+15551234]',
    '5001 call #3 StatusChange Dialing Consult [5002]',
    '5001 call #3 Error Dialing Consult [5002] error=1002',
    '5001 call #3 StatusChange Released Consult [5002]',
    '5001 call #1 StatusChange Held Inbound [+15551234]', // CompleteTransfer is gone again
  ]);
  h.op('5001', x, { name: 'Retrieve' });
  assert.equal(h.sw.callView(x, '5001')!.state, 'Established');
  h.op('5001', x, { name: 'SingleStepTransfer', destination: { phoneNumber: '5002' } });
  assert.deepEqual(h.take().slice(-1), ['5001 call #1 Error Established Inbound [+15551234] error=1002']);
  assert.equal(h.sw.callView(x, '5001')!.state, 'Established', 'call unchanged after a failed single-step transfer');
});

test('the customer hangs up in the middle of a transfer: Error on the consultation call', () => {
  const h = new Harness();
  const x = established(h);
  const y = answeredConsult(h, x, 'InitiateTransfer');
  h.take();
  h.ok(h.sw.simulateExternalHangup(x));
  const lines = h.take();
  assert.deepEqual(lines.slice(0, 1), ['5001 call #1 StatusChange Released Inbound [+15551234]']);
  assert.ok(lines.some((l) => l.startsWith('5001 call #2 Error Established Consult [5002] error=1006')), lines.join('\n'));
  assert.ok(!h.sw.callView(y, '5001')!.capabilities.includes('CompleteTransfer'));
});

test('user data, recording, mute and DTMF', () => {
  const h = new Harness();
  const x = established(h);
  h.op('5001', x, { name: 'UpdateUserData', userData: { A: 1 } });
  h.op('5001', x, { name: 'DeleteUserDataPair', key: 'Account' });
  h.op('5001', x, { name: 'StartCallRecording' });
  h.op('5001', x, { name: 'PauseCallRecording' });
  h.op('5001', x, { name: 'MuteCall' });
  h.op('5001', x, { name: 'SendDtmf', digits: '12#' });
  h.op('5001', x, { name: 'DeleteUserData' });
  assert.deepEqual(h.take(), [
    '5001 call #1 AttachedDataChanged Established Inbound [+15551234]',
    '5001 call #1 AttachedDataChanged Established Inbound [+15551234]',
    '5001 call #1 CallRecordingStateChange Established Inbound [+15551234] rec=Recording',
    '5001 call #1 CallRecordingStateChange Established Inbound [+15551234] rec=Paused',
    '5001 call #1 StatusChange Established Inbound [+15551234] mute rec=Paused',
    '5001 call #1 DtmfSent Established Inbound [+15551234] mute rec=Paused digits=12#',
    '5001 call #1 AttachedDataChanged Established Inbound [+15551234] mute rec=Paused',
  ]);
  const v = h.sw.callView(x, '5001')!;
  assert.deepEqual(v.userData, {});
  assert.ok(v.capabilities.includes('ResumeCallRecording') && v.capabilities.includes('UnmuteCall'));
  assert.deepEqual(h.mediaOf(x), { [C]: [], '5001': [C] });
});

test('transfer to a routing point and conference with an external number', () => {
  const h = new Harness();
  const x = established(h);
  // 5001 busy on x; the routing point offers the call to the longest-idle free agent (5002)
  h.op('5001', x, { name: 'SingleStepTransfer', destination: { phoneNumber: '7000' } });
  assert.deepEqual(h.sw.callsOf('5002'), [x]);
  assert.deepEqual(h.sw.callsOf('5001'), []);
  h.op('5002', x, { name: 'Answer' });
  h.op('5002', x, { name: 'InitiateConference', destination: { phoneNumber: '+442070000000' } });
  const y = h.sw.callsOf('5002').find((u) => u !== x)!;
  assert.equal(h.sw.callView(y, '5002')!.state, 'Dialing');
  h.clock.advance(1000); // the external number answers
  assert.equal(h.sw.callView(y, '5002')!.state, 'Established');
  h.op('5002', y, { name: 'CompleteConference' });
  assert.deepEqual(h.mediaOf(x), {
    [C]: ['5002', '+442070000000'],
    '5002': [C, '+442070000000'],
    '+442070000000': [C, '5002'],
  });
  h.take();
  h.op('5002', x, { name: 'InitiateTransfer', destination: { phoneNumber: '7000' } });
  const z = h.sw.callsOf('5003')[0];
  assert.equal(h.sw.callView(z, '5003')!.callType, 'Consult');
  h.op('5002', x, { name: 'CompleteTransfer' });
  h.op('5003', x, { name: 'Answer' });
  assert.deepEqual(Object.keys(h.mediaOf(x)).sort(), [C, '+442070000000', '5003'].sort());
});
