// RFC 3261 section 17 transactions on the virtual clock: retransmission schedules (A, E, G and the 2xx
// retransmission), timeouts (B, F, H, L), cleanup timers (D, I, J, K, M), lost packets, 100 Trying,
// ACK handling and CANCEL -> 487. Nothing here touches a socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../src/switch/clock.js';
import {
  TransactionLayer,
  type Destination,
  type ServerTransaction,
  type TransactionUser,
} from '../../src/sip/transaction.js';
import { buildResponse, getHeader, type SipMessage, type SipRequest, type SipResponse } from '../../src/sip/message.js';

const PEER: Destination = { transport: 'udp', address: '127.0.0.1', port: 5070 };
const PEER_TCP: Destination = { transport: 'tcp', address: '127.0.0.1', port: 5070, connectionId: 1 };

function request(method: string, branch: string, sequence = 1, extra: [string, string][] = []): SipRequest {
  return {
    kind: 'request',
    method,
    uri: 'sip:5001@127.0.0.1',
    headers: [
      { name: 'Via', value: `SIP/2.0/UDP 127.0.0.1:5070;branch=${branch}` },
      { name: 'From', value: '<sip:5002@127.0.0.1>;tag=from1' },
      { name: 'To', value: '<sip:5001@127.0.0.1>' },
      { name: 'Call-ID', value: 'call-1' },
      { name: 'CSeq', value: `${sequence} ${method}` },
      ...extra.map(([name, value]) => ({ name, value })),
    ],
    body: Buffer.alloc(0),
  };
}

interface Harness {
  clock: VirtualClock;
  layer: TransactionLayer;
  sent: { message: SipMessage; at: number }[];
  events: string[];
  serverTransactions: ServerTransaction[];
  start: number;
}

function harness(user: Partial<TransactionUser> = {}, lose = () => false): Harness {
  const clock = new VirtualClock();
  const sent: Harness['sent'] = [];
  const events: string[] = [];
  const serverTransactions: ServerTransaction[] = [];
  const layer = new TransactionLayer(
    clock,
    (message) => {
      if (!lose()) sent.push({ message, at: clock.now() });
      return true;
    },
    {
      request: (transaction) => {
        serverTransactions.push(transaction);
        events.push(`request ${transaction.request.method}`);
        user.request?.(transaction);
      },
      ack: (ack, _source, invite) => events.push(`ack ${invite ? 'matched' : 'unmatched'}`),
      cancelled: (invite, cancel) => {
        events.push('cancelled');
        user.cancelled?.(invite, cancel);
      },
      ackTimeout: () => events.push('ackTimeout'),
      strayResponse: (response) => events.push(`stray ${response.status}`),
    },
  );
  return { clock, layer, sent, events, serverTransactions, start: clock.now() };
}

function describeSent(h: Harness): string[] {
  return h.sent.map(({ message, at }) =>
    `${at - h.start} ${message.kind === 'request' ? message.method : message.status}`,
  );
}

function response(to: SipRequest, status: number, toTag = 'totag'): SipResponse {
  return buildResponse(to, status, { toTag });
}

test('client non-INVITE over UDP, every packet lost: Timer E doubles to T2, Timer F times out once at 64*T1', () => {
  const h = harness();
  const outcomes: string[] = [];
  h.layer.sendRequest(request('OPTIONS', 'z9hG4bKe1'), PEER, {
    response: (r) => outcomes.push(`response ${r.status}`),
    timeout: (reason) => outcomes.push(reason),
  });
  h.clock.advance(40000);
  assert.deepEqual(describeSent(h).map((line) => Number(line.split(' ')[0])), [
    0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500,
  ]);
  assert.deepEqual(outcomes, ['timeout']);
  assert.equal(h.layer.size.clients, 0);
  assert.equal(h.clock.pendingTimers(), 0);
});

test('client non-INVITE: 1xx makes E fire at T2; the final response is reported once; Timer K cleans up after T4', () => {
  const h = harness();
  const outcomes: number[] = [];
  const options = request('OPTIONS', 'z9hG4bKe2');
  h.layer.sendRequest(options, PEER, { response: (r) => outcomes.push(r.status) });
  h.clock.advance(100);
  h.layer.receiveResponse(response(options, 100), PEER);
  h.clock.advance(4000);
  assert.deepEqual(describeSent(h).map((line) => Number(line.split(' ')[0])), [0, 500, 4500].filter((t) => t <= 4100));
  h.layer.receiveResponse(response(options, 200), PEER);
  h.layer.receiveResponse(response(options, 200), PEER);
  assert.deepEqual(outcomes, [100, 200]);
  h.clock.advance(4999);
  assert.equal(h.layer.size.clients, 1, 'still completed until Timer K');
  h.clock.advance(1);
  assert.equal(h.layer.size.clients, 0);
  h.layer.receiveResponse(response(options, 200), PEER);
  assert.deepEqual(h.events, ['stray 200']);
});

test('client INVITE, no answer: Timer A doubles without a cap, Timer B at 64*T1 reports a timeout', () => {
  const h = harness();
  const outcomes: string[] = [];
  h.layer.sendRequest(request('INVITE', 'z9hG4bKa1'), PEER, {
    response: (r) => outcomes.push(String(r.status)),
    timeout: (reason) => outcomes.push(reason),
  });
  h.clock.advance(33000);
  assert.deepEqual(describeSent(h), ['0 INVITE', '500 INVITE', '1500 INVITE', '3500 INVITE', '7500 INVITE', '15500 INVITE', '31500 INVITE']);
  assert.deepEqual(outcomes, ['timeout']);
  assert.equal(h.clock.pendingTimers(), 0);
});

test('client INVITE over TCP: no retransmissions; 486 is ACKed on the same branch and D is zero', () => {
  const h = harness();
  const invite = request('INVITE', 'z9hG4bKa2');
  const outcomes: number[] = [];
  h.layer.sendRequest(invite, PEER_TCP, { response: (r) => outcomes.push(r.status) });
  h.clock.advance(20000);
  assert.deepEqual(describeSent(h), ['0 INVITE']);
  h.layer.receiveResponse(response(invite, 486), PEER_TCP);
  assert.deepEqual(describeSent(h), ['0 INVITE', '20000 ACK']);
  const ack = h.sent[1].message;
  assert.match(getHeader(ack, 'Via')!, /branch=z9hG4bKa2/);
  assert.equal(getHeader(ack, 'To'), '<sip:5001@127.0.0.1>;tag=totag');
  assert.equal(getHeader(ack, 'CSeq'), '1 ACK');
  h.clock.advance(0);
  assert.equal(h.layer.size.clients, 0);
  assert.deepEqual(outcomes, [486]);
});

test('client INVITE over UDP: a lost ACK is resent for each retransmitted final, which reaches the TU once', () => {
  const h = harness();
  const invite = request('INVITE', 'z9hG4bKa3');
  const outcomes: number[] = [];
  h.layer.sendRequest(invite, PEER, { response: (r) => outcomes.push(r.status) });
  h.layer.receiveResponse(response(invite, 180), PEER);
  h.clock.advance(5000);
  assert.deepEqual(describeSent(h), ['0 INVITE'], 'a provisional stops Timer A');
  h.layer.receiveResponse(response(invite, 603), PEER);
  h.layer.receiveResponse(response(invite, 603), PEER);
  assert.deepEqual(describeSent(h), ['0 INVITE', '5000 ACK', '5000 ACK']);
  assert.deepEqual(outcomes, [180, 603]);
  h.clock.advance(31999);
  assert.equal(h.layer.size.clients, 1);
  h.clock.advance(1);
  assert.equal(h.layer.size.clients, 0, 'Timer D (32 s) ends the transaction');
});

test('client INVITE: each 2xx retransmission reaches the TU while Accepted (Timer M), then none', () => {
  const h = harness();
  const invite = request('INVITE', 'z9hG4bKa4');
  const outcomes: number[] = [];
  h.layer.sendRequest(invite, PEER, { response: (r) => outcomes.push(r.status) });
  h.layer.receiveResponse(response(invite, 200), PEER);
  h.layer.receiveResponse(response(invite, 200), PEER);
  assert.deepEqual(outcomes, [200, 200]);
  h.clock.advance(32000);
  h.layer.receiveResponse(response(invite, 200), PEER);
  assert.deepEqual(outcomes, [200, 200]);
  assert.deepEqual(h.events, ['stray 200']);
});

test('server INVITE: 100 Trying at once, retransmissions answered with the last provisional, 2xx retransmitted until the ACK', () => {
  const h = harness();
  const invite = request('INVITE', 'z9hG4bKs1');
  h.layer.receiveRequest(invite, PEER, PEER);
  assert.deepEqual(describeSent(h), ['0 100']);
  const transaction = h.serverTransactions[0];
  transaction.reply(180);
  h.layer.receiveRequest(invite, PEER, PEER);
  assert.deepEqual(describeSent(h), ['0 100', '0 180', '0 180']);
  assert.deepEqual(h.events, ['request INVITE'], 'the retransmission did not reach the TU');
  transaction.reply(200);
  h.clock.advance(11600);
  assert.deepEqual(describeSent(h).slice(3), ['0 200', '500 200', '1500 200', '3500 200', '7500 200', '11500 200']);
  h.layer.receiveRequest(request('ACK', 'z9hG4bKnewbranch'), PEER, PEER);
  assert.deepEqual(h.events, ['request INVITE', 'ack matched']);
  h.clock.advance(10000);
  assert.equal(h.sent.length, 9, 'no 2xx after the ACK');
  h.clock.advance(20000);
  assert.equal(h.layer.size.servers, 0, 'Timer L ended the Accepted state');
  assert.ok(!h.events.includes('ackTimeout'));
  assert.match(getHeader(h.sent[1].message, 'To')!, /;tag=/);
  assert.equal(getHeader(h.sent[1].message, 'To'), getHeader(h.sent[3].message, 'To'), 'one To tag for the whole transaction');
});

test('server INVITE: a 2xx never acknowledged ends with ackTimeout after 64*T1', () => {
  const h = harness();
  h.layer.receiveRequest(request('INVITE', 'z9hG4bKs2'), PEER, PEER);
  h.serverTransactions[0].reply(200);
  h.clock.advance(32000);
  assert.deepEqual(h.events, ['request INVITE', 'ackTimeout']);
  assert.deepEqual(h.layer.size, { servers: 0, clients: 0, awaitingAck: 0 });
});

test('server INVITE: a non-2xx final is retransmitted by Timer G (capped at T2) until the ACK; Timer I then ends it', () => {
  const h = harness();
  const invite = request('INVITE', 'z9hG4bKs3');
  h.layer.receiveRequest(invite, PEER, PEER);
  h.serverTransactions[0].reply(486);
  h.clock.advance(12000);
  assert.deepEqual(describeSent(h), ['0 100', '0 486', '500 486', '1500 486', '3500 486', '7500 486', '11500 486']);
  h.layer.receiveRequest(request('ACK', 'z9hG4bKs3'), PEER, PEER);
  assert.equal(h.serverTransactions[0].state, 'confirmed');
  assert.deepEqual(h.events, ['request INVITE'], 'the ACK of a non-2xx stays in the transaction');
  h.clock.advance(5000);
  assert.equal(h.layer.size.servers, 0);
  assert.equal(h.sent.length, 7);
});

test('server INVITE: without an ACK Timer H ends the completed transaction at 64*T1', () => {
  const h = harness();
  h.layer.receiveRequest(request('INVITE', 'z9hG4bKs4'), PEER, PEER);
  h.serverTransactions[0].reply(404);
  h.clock.advance(31999);
  assert.equal(h.layer.size.servers, 1);
  h.clock.advance(1);
  assert.equal(h.layer.size.servers, 0);
});

test('server non-INVITE with a lost response: the retransmitted request gets the response again; Timer J ends it', () => {
  let drop = true;
  const h = harness({}, () => {
    const lost = drop;
    drop = false;
    return lost;
  });
  const options = request('OPTIONS', 'z9hG4bKs5');
  h.layer.receiveRequest(options, PEER, PEER);
  h.serverTransactions[0].reply(200);
  assert.equal(h.sent.length, 0, 'the first 200 was lost');
  h.clock.advance(500);
  h.layer.receiveRequest(options, PEER, PEER);
  assert.deepEqual(describeSent(h), ['500 200']);
  assert.deepEqual(h.events, ['request OPTIONS']);
  h.clock.advance(32000);
  assert.equal(h.layer.size.servers, 0);
  h.layer.receiveRequest(options, PEER, PEER);
  assert.deepEqual(h.events, ['request OPTIONS', 'request OPTIONS'], 'after Timer J it is a new request');
});

test('server non-INVITE over TCP: Timer J is zero', () => {
  const h = harness();
  h.layer.receiveRequest(request('OPTIONS', 'z9hG4bKs6'), PEER_TCP, PEER_TCP);
  h.serverTransactions[0].reply(200);
  h.clock.advance(0);
  assert.equal(h.layer.size.servers, 0);
});

test('CANCEL: 200 to the CANCEL and 487 to the ringing INVITE; a CANCEL matching nothing gets 481', () => {
  const h = harness();
  const invite = request('INVITE', 'z9hG4bKc1');
  h.layer.receiveRequest(invite, PEER, PEER);
  h.serverTransactions[0].reply(180);
  h.layer.receiveRequest(request('CANCEL', 'z9hG4bKc1'), PEER, PEER);
  assert.deepEqual(describeSent(h), ['0 100', '0 180', '0 200', '0 487']);
  assert.equal(getHeader(h.sent[2].message, 'CSeq'), '1 CANCEL');
  assert.equal(getHeader(h.sent[3].message, 'CSeq'), '1 INVITE');
  assert.deepEqual(h.events, ['request INVITE', 'cancelled']);
  h.layer.receiveRequest(request('ACK', 'z9hG4bKc1'), PEER, PEER);
  assert.equal(h.serverTransactions[0].state, 'confirmed');
  h.layer.receiveRequest(request('CANCEL', 'z9hG4bKother'), PEER, PEER);
  assert.equal(describeSent(h).at(-1), '0 481');
});

test('CANCEL after the final response only gets 200; a TU answering inside cancelled() suppresses the 487', () => {
  const h = harness({ cancelled: (invite) => invite.reply(486) });
  h.layer.receiveRequest(request('INVITE', 'z9hG4bKc2'), PEER, PEER);
  h.layer.receiveRequest(request('CANCEL', 'z9hG4bKc2'), PEER, PEER);
  assert.deepEqual(describeSent(h), ['0 100', '0 200', '0 486']);
  const late = harness();
  late.layer.receiveRequest(request('INVITE', 'z9hG4bKc3'), PEER, PEER);
  late.serverTransactions[0].reply(200);
  late.layer.receiveRequest(request('CANCEL', 'z9hG4bKc3'), PEER, PEER);
  assert.deepEqual(describeSent(late), ['0 100', '0 200', '0 200']);
  assert.equal(getHeader(late.sent[2].message, 'CSeq'), '1 CANCEL');
});

test('client cancel: held back until a provisional arrives, then CANCEL on the same branch', () => {
  const h = harness();
  const invite = request('INVITE', 'z9hG4bKc4');
  const outcomes: number[] = [];
  const transaction = h.layer.sendRequest(invite, PEER, { response: (r) => outcomes.push(r.status) });
  transaction.cancel();
  assert.deepEqual(describeSent(h), ['0 INVITE']);
  h.layer.receiveResponse(response(invite, 180), PEER);
  assert.deepEqual(describeSent(h), ['0 INVITE', '0 CANCEL']);
  assert.match(getHeader(h.sent[1].message, 'Via')!, /branch=z9hG4bKc4/);
  h.layer.receiveResponse(response(h.sent[1].message as SipRequest, 200), PEER);
  h.layer.receiveResponse(response(invite, 487), PEER);
  assert.deepEqual(outcomes, [180, 487]);
  assert.equal(describeSent(h).at(-1), '0 ACK');
});
