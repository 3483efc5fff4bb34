/**
 * SIP follows the owner (docs/scale-out.md "SIP on cluster nodes"), end to end: two node processes
 * over a real nats-server and PostgreSQL (cluster-harness.ts), every node configured with the same
 * SIP address 127.0.0.1:<free port> (the cluster's, as a floating IP would be), and two real baresip
 * phones, agent1's 5001 (1000 Hz) and agent2's 5002 (2400 Hz), in per-call mode:
 *   1. only the owner binds the SIP address; both phones register there (the bindings go to the
 *      shared store); agent1 and agent2 log in over REST and CometD on the other node;
 *   2. phone 5001 dials 5002 by itself; 5002 rings and auto-answers; GWS shows the call Established
 *      for both agents; Goertzel on both recordings shows each phone hears the other;
 *   3. the owner is kill -9'd: the survivor owns the contact center within 5 s, binds the SIP address,
 *      sends a BYE for each dialog the dead owner recorded (both phones report the call closed), the
 *      agents' CometD clients get EventReleased, and GET /api/v2/me/calls is empty for both;
 *   4. without registering again, phone 5001 dials 5002 once more through the new owner (5002 rings
 *      from the registration kept in the store): Established in GWS, each phone hears the other, and
 *      the new owner's GET /metrics counts both registrations and both dialogs.
 * A SIGTERM test: the owner gives its lease back and BYEs its own dialogs as it closes; the next
 * owner binds the address, and 3 and 4 hold. A SIGSTOP test: the survivor owns the contact center
 * but finds the SIP address held and retries; on SIGCONT the old owner gives up and closes its SIP
 * (its BYEs end the phones' call), the new owner binds, and 3 and 4 hold. A nailed-up test (the
 * default phone mode): kill -9 BYEs the idle nailed-up legs and the new owner calls the logged-in
 * phones again; a GWS call on the new legs has audio both ways.
 * Guarantees: free ports only, every wait has a timeout that fails loudly, the phones and the node
 * processes are killed by PID in `finally`; the only timers are the audio windows of the recordings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { demoContactCenter } from '../../../src/config/demo.js';
import { SIP_BOUND, SIP_DIALOGS_ENDED, SIP_HELD, SIP_REJOINED } from '../../../src/app/owner-telephony.js';
import { LOST, OWNS, type NodeProcess } from '../../../scripts/cluster-demo-lib.js';
import { PhoneSet, freePortBlock, haveBaresip, type BaresipPhone } from '../../helpers/baresip.js';
import { describeResults, hearingAll, type Listening } from '../../helpers/baresip-hearing.js';
import { readWav } from '../../helpers/wav.js';
import { isCall } from '../../helpers/supervision-steps.js';
import type { UserHandle } from '../../helpers/e2e.js';
import { letAudioFlow } from '../../telephony/harness.js';
import { ClusterE2E, startCluster, type Cluster } from './cluster-harness.js';
import { connect } from 'nats';
import { SIP_DIALOGS_BUCKET } from '../../../src/cluster/kv-dialog-records.js';

const AGENT1 = { user: 'agent1', dn: '5001', toneHz: 1000 };
const AGENT2 = { user: 'agent2', dn: '5002', toneHz: 2400 };
const PHASE_MS = 2600;
const EVENT_TIMEOUT_MS = 15_000;
const TAKEOVER_LIMIT_MS = 5000;
const TONES = [
  { name: AGENT1.dn, toneHz: AGENT1.toneHz },
  { name: AGENT2.dn, toneHz: AGENT2.toneHz },
];

/** the n-th call (0-based) of a phone: its recording and when its audio began */
function listening(phone: BaresipPhone, name: string, index: number): Listening {
  const established = phone.events.filter((e) => e.type === 'CALL_ESTABLISHED')[index];
  assert.ok(established, `phone ${name} has no call #${index + 1}: ${phone.events.describe()}`);
  const rtp = phone.events.filter((e) => e.type === 'CALL_RTPESTAB' && e.receivedAt >= established.receivedAt - 1000)[0];
  const files = phone.recordings();
  assert.ok(files[index], `phone ${name} has no recording #${index + 1}: ${files.join(', ')}`);
  return { name, audio: readWav(files[index]), establishedAt: Math.max(established.receivedAt, rtp?.receivedAt ?? established.receivedAt) };
}

/** phone 5001 dials 5002; 5002 auto-answers; both agents see the call Established; returns its id */
async function phoneCall(phones: { a: BaresipPhone; b: BaresipPhone }, users: { a: UserHandle; b: UserHandle }, sipPort: number, index: number): Promise<string> {
  const established = (user: UserHandle) =>
    user.client.events.next((d) => isCall()(d) && d.data.call.state === 'Established', EVENT_TIMEOUT_MS, `${user.name}: call #${index + 1} Established`);
  const seen = Promise.all([established(users.a), established(users.b)]);
  await phones.a.dial(`sip:${AGENT2.dn}@127.0.0.1:${sipPort}`);
  const [a] = (await seen) as Array<{ data: { call: { id: string } } }>;
  await Promise.all([
    phones.a.waitEvent('CALL_ESTABLISHED', EVENT_TIMEOUT_MS),
    phones.b.waitEvent('CALL_ESTABLISHED', EVENT_TIMEOUT_MS),
  ]);
  return a.data.call.id;
}

/** a window of audio both ways (checked afterwards from the recordings: checkHearing) */
async function audioWindow(): Promise<{ startedAt: number; endedAt: number }> {
  const startedAt = Date.now();
  await letAudioFlow(PHASE_MS);
  return { startedAt, endedAt: Date.now() };
}

/** Goertzel on call #index of both phones: each hears the other, nobody hears itself */
function checkHearing(phones: { a: BaresipPhone; b: BaresipPhone }, index: number, window: { startedAt: number; endedAt: number }): string {
  const results = hearingAll(
    [listening(phones.a, AGENT1.dn, index), listening(phones.b, AGENT2.dn, index)],
    [{ name: `call #${index + 1}`, ...window, expected: { [AGENT1.dn]: [AGENT2.dn], [AGENT2.dn]: [AGENT1.dn] } }],
    TONES,
  );
  const table = describeResults(results);
  assert.equal(results.filter((r) => !r.ok).length, 0, `what the phones heard on call #${index + 1}:\n${table}`);
  return table;
}

/**
 * Resolves once `count` dialog records are in the cluster's KV bucket (watched, not polled): a phone
 * reports CALL_ESTABLISHED as it answers, a moment before the owner's record of that dialog is
 * written, and a kill -9 inside that moment leaves a dialog nobody can BYE (docs/scale-out.md).
 */
async function dialogRecordsWritten(cluster: Cluster, count: number): Promise<void> {
  const nc = await connect({ servers: cluster.nats.url });
  const timer = setTimeout(() => void nc.close(), EVENT_TIMEOUT_MS);
  const live = new Set<string>();
  try {
    const kv = await nc.jetstream().views.kv(SIP_DIALOGS_BUCKET, { history: 1 });
    for await (const entry of await kv.watch({ key: '>' })) {
      if (entry.operation === 'PUT') live.add(entry.key);
      else live.delete(entry.key);
      if (live.size >= count) return;
    }
    assert.fail(`only ${live.size} of ${count} SIP dialog records were written within ${EVENT_TIMEOUT_MS} ms`);
  } finally {
    clearTimeout(timer);
    await nc.close().catch(() => undefined);
  }
}

interface SipCluster {
  cluster: Cluster;
  sipPort: number;
  owner: NodeProcess;
  survivor: NodeProcess;
  phones: { a: BaresipPhone; b: BaresipPhone };
  users: { a: UserHandle; b: UserHandle };
  e: ClusterE2E;
}

/**
 * Two nodes sharing one SIP address, the owner bound (the other not), both phones registered, both
 * agents logged in (Ready) with REST and CometD through the node that is not the owner.
 */
async function startSipCluster(phoneSet: PhoneSet, keep: { cluster?: Cluster; e?: ClusterE2E }, agentPhoneMode: 'perCall' | 'nailedUp' = 'perCall'): Promise<SipCluster> {
  const sipPort = await freePortBlock(1);
  const rtpFirst = await freePortBlock(24);
  const demo = demoContactCenter();
  const contactCenter = { ...demo, settings: { ...demo.settings, sip: { ...demo.settings.sip!, agentPhoneMode } } };
  const cluster = await startCluster({
    nodes: 2,
    env: { SWITCHBOARD_SIP_PORT: String(sipPort), SWITCHBOARD_SIP_HOST: '127.0.0.1', SWITCHBOARD_RTP_PORTS: `${rtpFirst}-${rtpFirst + 23}`, SWITCHBOARD_MEDIA_WORKERS: '1' },
    // baresip 1.0 refuses SHA-256 digest challenges: MD5 only
    config: { server: { sip: { digestAlgorithms: ['MD5'] } }, contactCenters: [contactCenter] },
  });
  keep.cluster = cluster;
  const owner = cluster.owner();
  assert.ok(owner, 'a node owns the contact center');
  const survivor = cluster.nodes.find((n) => n !== owner) as NodeProcess;
  await owner.waitForLog((l) => l.msg === SIP_BOUND, EVENT_TIMEOUT_MS, 'the owner to bind the SIP address');
  assert.equal(survivor.logs.filter((l) => l.msg === SIP_BOUND).length, 0, 'a node that does not own the contact center binds no SIP');

  const registrar = { port: sipPort, password: 'demo' };
  const [a, b] = await Promise.all([
    phoneSet.start({ name: AGENT1.user, user: AGENT1.dn, toneHz: AGENT1.toneHz, codec: 'PCMU', registrar, autoAnswer: true }),
    phoneSet.start({ name: AGENT2.user, user: AGENT2.dn, toneHz: AGENT2.toneHz, codec: 'PCMU', registrar, autoAnswer: true }),
  ]);
  await Promise.all([a.waitRegistered(), b.waitRegistered()]);
  const e = new ClusterE2E(survivor, () => survivor);
  keep.e = e;
  const users = { a: await e.user(AGENT1.user, { ready: true }), b: await e.user(AGENT2.user, { ready: true }) };
  return { cluster, sipPort, owner, survivor, phones: { a, b }, users, e };
}

/** both agents get EventReleased of `call` */
function releasesOf(users: SipCluster['users'], call: string): Promise<unknown> {
  const released = (user: UserHandle) =>
    user.client.events.next((d) => isCall(call)(d) && d.data.call.state === 'Released', EVENT_TIMEOUT_MS, `${user.name}: EventReleased of the first call`);
  return Promise.all([released(users.a), released(users.b)]);
}

/** neither agent has a call in GET /api/v2/me/calls */
async function noCallsLeft({ e, users }: SipCluster): Promise<void> {
  for (const user of [users.a, users.b]) {
    const calls = await e.fetchJson('GET', '/api/v2/me/calls', user.auth);
    assert.equal(calls.json.statusCode, 0, JSON.stringify(calls.json));
    assert.deepEqual(calls.json.uris, [], `${user.name} has no call after the takeover: ${JSON.stringify(calls.json)}`);
  }
}

/** a second call through the new owner (no REGISTER since the first), with audio both ways, then both recordings checked */
async function secondCallAndHearing({ phones, users, sipPort, survivor }: SipCluster, phoneSet: PhoneSet, firstWindow: { startedAt: number; endedAt: number }): Promise<void> {
  const { a, b } = phones;
  const registersBefore = [a, b].map((p) => p.events.filter((ev) => ev.type === 'REGISTER_OK').length);
  await phoneCall(phones, users, sipPort, 1);
  const secondWindow = await audioWindow();
  // the new owner's SIP metrics: both registrations taken from the store, both dialogs of the call
  const metrics = await (await fetch(`${survivor.url}/metrics`)).text();
  assert.match(metrics, /^switchboard_sip_registrations 2$/m, 'the new owner counts both registrations');
  assert.match(metrics, /^switchboard_sip_active_dialogs 2$/m, "the new owner counts the call's two dialogs");
  const hangup = a.hangup();
  await Promise.all([hangup, a.waitEvent('CALL_CLOSED', EVENT_TIMEOUT_MS), b.waitEvent('CALL_CLOSED', EVENT_TIMEOUT_MS)]);
  await phoneSet.stopAll();
  console.log(checkHearing(phones, 0, firstWindow));
  console.log(checkHearing(phones, 1, secondWindow));
  assert.deepEqual(registersBefore, [1, 1], 'each phone registered once, before the takeover: the new owner rang 5002 from the registration in the store');
}

/**
 * The frame of both tests: the cluster, a first call with audio, then `failure` (what happens to the
 * owner, until the new owner serves the SIP address), then what must hold after it: both phones left
 * the call, both agents got EventReleased, no call is listed, and a second call with audio goes through
 * the new owner; everything is stopped in `finally`.
 */
async function aroundOwnerFailure(failure: (world: SipCluster) => Promise<void>): Promise<void> {
  assert.ok(haveBaresip(), 'baresip and sox are required: run scripts/install-test-tools.sh');
  const phoneSet = new PhoneSet();
  const keep: { cluster?: Cluster; e?: ClusterE2E } = {};
  try {
    const world = await startSipCluster(phoneSet, keep);
    const { phones, users } = world;
    const first = await phoneCall(phones, users, world.sipPort, 0);
    const firstWindow = await audioWindow();
    const releases = releasesOf(users, first);
    await failure(world);
    await Promise.all([phones.a.waitEvent('CALL_CLOSED', EVENT_TIMEOUT_MS), phones.b.waitEvent('CALL_CLOSED', EVENT_TIMEOUT_MS)]);
    await releases;
    await noCallsLeft(world);
    await secondCallAndHearing(world, phoneSet, firstWindow);
  } finally {
    await phoneSet.dispose();
    await keep.e?.close();
    await keep.cluster?.stop();
  }
}

test('SIP follows the owner: kill -9 of the owner ends its SIP calls with BYE, releases them in GWS, and the new owner carries the registrations', { timeout: 240_000 }, () =>
  aroundOwnerFailure(async ({ owner, survivor }) => {
    // the owner dies: the survivor takes the lease, binds SIP, BYEs the dead owner's dialogs
    const killedAt = Date.now();
    owner.signal('SIGKILL');
    const owns = await survivor.waitForLog((l) => l.msg === OWNS && Number(l.time) >= killedAt - 1000, TAKEOVER_LIMIT_MS + 2000, 'the survivor to own the contact center');
    const takeoverMs = Number(owns.time) - killedAt;
    console.log(`takeover by ${survivor.id} ${takeoverMs} ms after kill -9`);
    assert.ok(takeoverMs <= TAKEOVER_LIMIT_MS, `the survivor owns the contact center within ${TAKEOVER_LIMIT_MS} ms (took ${takeoverMs})`);
    const bound = await survivor.waitForLog((l) => l.msg === SIP_BOUND, EVENT_TIMEOUT_MS, 'the survivor to bind the SIP address');
    const ended = await survivor.waitForLog((l) => l.msg === SIP_DIALOGS_ENDED, EVENT_TIMEOUT_MS, "the survivor to BYE the dead owner's dialogs");
    console.log(`SIP bound ${Number(bound.time) - killedAt} ms after kill -9 (attempt ${String(bound.attempts)}); BYEs answered ${Number(ended.time) - killedAt} ms after: ${JSON.stringify(ended.dialogs)}`);
    const byes = ended.dialogs as Array<{ party: string; status?: number }>;
    assert.deepEqual(byes.map((d) => d.party).sort(), [AGENT1.dn, AGENT2.dn], 'a BYE for the dialog of each phone');
    assert.ok(byes.every((d) => d.status === 200), `each phone answers its BYE with 200: ${JSON.stringify(byes)}`);
  }),
);

test('SIP follows the owner: a SIGSTOPped owner holds the SIP address; the new owner binds it once the resumed one gives up', { timeout: 240_000 }, () =>
  aroundOwnerFailure(async ({ owner, survivor }) => {
    const stoppedAt = Date.now();
    owner.signal('SIGSTOP');
    await survivor.waitForLog((l) => l.msg === OWNS && Number(l.time) >= stoppedAt, TAKEOVER_LIMIT_MS + 2000, 'the survivor to own the contact center');
    // the paused owner still holds the SIP address: the new owner keeps trying
    await survivor.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith(SIP_HELD), EVENT_TIMEOUT_MS, 'the survivor to find the SIP address held');
    assert.equal(survivor.logs.filter((l) => l.msg === SIP_BOUND).length, 0, 'the new owner cannot bind while the paused owner holds the address');
    const resumedAt = Date.now();
    owner.signal('SIGCONT');
    // the resumed owner gives the contact center up and closes its SIP (its own BYEs end the phones' call)
    await owner.waitForLog((l) => l.msg === LOST && Number(l.time) >= resumedAt, EVENT_TIMEOUT_MS, 'the resumed owner to give the contact center up');
    const bound = await survivor.waitForLog((l) => l.msg === SIP_BOUND, EVENT_TIMEOUT_MS, 'the new owner to bind the SIP address');
    console.log(`SIGSTOP: the new owner bound SIP ${Number(bound.time) - resumedAt} ms after SIGCONT, attempt ${String(bound.attempts)}`);
    assert.ok(Number(bound.attempts) > 1, 'the bind was retried');
  }),
);

test('SIP follows the owner: SIGTERM of the owner ends its own SIP calls and frees the address; the next owner binds it', { timeout: 240_000 }, () =>
  aroundOwnerFailure(async ({ owner, survivor }) => {
    const stoppedAt = Date.now();
    await owner.stop();
    const owns = await survivor.waitForLog((l) => l.msg === OWNS && Number(l.time) >= stoppedAt, TAKEOVER_LIMIT_MS, 'the survivor to own the contact center');
    const bound = await survivor.waitForLog((l) => l.msg === SIP_BOUND && Number(l.time) >= stoppedAt, EVENT_TIMEOUT_MS, 'the survivor to bind the SIP address');
    console.log(`SIGTERM: the survivor owned the contact center ${Number(owns.time) - stoppedAt} ms and bound SIP ${Number(bound.time) - stoppedAt} ms after the signal (attempt ${String(bound.attempts)})`);
  }),
);

test('SIP follows the owner, nailed-up phones: kill -9 of the owner BYEs the idle nailed-up legs, the new owner calls the logged-in phones again and a GWS call has audio', { timeout: 240_000 }, async () => {
  assert.ok(haveBaresip(), 'baresip and sox are required: run scripts/install-test-tools.sh');
  const phoneSet = new PhoneSet();
  const keep: { cluster?: Cluster; e?: ClusterE2E } = {};
  try {
    const { owner, survivor, phones, users } = await startSipCluster(phoneSet, keep, 'nailedUp');
    const { a, b } = phones;
    // logging in called each phone once (its nailed-up leg, auto-answered)
    await Promise.all([a.waitEvent('CALL_ESTABLISHED', EVENT_TIMEOUT_MS), b.waitEvent('CALL_ESTABLISHED', EVENT_TIMEOUT_MS)]);
    await dialogRecordsWritten(keep.cluster!, 2);
    owner.signal('SIGKILL');
    const ended = await survivor.waitForLog((l) => l.msg === SIP_DIALOGS_ENDED, TAKEOVER_LIMIT_MS + EVENT_TIMEOUT_MS, "the survivor to BYE the dead owner's nailed-up legs");
    const byes = ended.dialogs as Array<{ party: string; role: string; status?: number }>;
    assert.deepEqual(byes.map((d) => `${d.party} ${d.role} ${d.status}`).sort(), [`${AGENT1.dn} nailed 200`, `${AGENT2.dn} nailed 200`]);
    await Promise.all([a.waitEvent('CALL_CLOSED', EVENT_TIMEOUT_MS), b.waitEvent('CALL_CLOSED', EVENT_TIMEOUT_MS)]);
    const rejoined = await survivor.waitForLog((l) => l.msg === SIP_REJOINED, EVENT_TIMEOUT_MS, 'the new SIP endpoints to learn who is logged in');
    assert.deepEqual([...(rejoined.dns as string[])].sort(), [AGENT1.dn, AGENT2.dn]);
    // both phones get a new nailed-up leg from the new owner, with no call and no REGISTER
    await Promise.all([a.waitEvent('CALL_ESTABLISHED', EVENT_TIMEOUT_MS), b.waitEvent('CALL_ESTABLISHED', EVENT_TIMEOUT_MS)]);
    assert.deepEqual([a, b].map((p) => p.events.filter((ev) => ev.type === 'REGISTER_OK').length), [1, 1]);

    // agent1 dials agent2 through GWS, agent2 answers through GWS: the call rides on the new legs
    await users.a.do(`/api/v2/me/devices/${users.a.deviceId}/calls`, { operationName: 'Dial', destination: { phoneNumber: AGENT2.dn } });
    const ringing = (await users.b.client.events.next((d) => isCall()(d) && d.data.call.state === 'Ringing', EVENT_TIMEOUT_MS, 'agent2: the call rings')) as { data: { call: { id: string } } };
    const call = ringing.data.call.id;
    await users.b.callOp(call, 'Answer');
    await users.a.client.events.next((d) => isCall(call)(d) && d.data.call.state === 'Established', EVENT_TIMEOUT_MS, 'agent1: Established');
    const window = await audioWindow();
    await users.a.callOp(call, 'Hangup');
    // logging out ends each nailed-up leg (BYE): the recordings end there
    await users.a.do('/api/v2/me', { operationName: 'EndContactCenterSession' });
    await users.b.do('/api/v2/me', { operationName: 'EndContactCenterSession' });
    const closed = await Promise.all([a.waitEvent('CALL_CLOSED', EVENT_TIMEOUT_MS), b.waitEvent('CALL_CLOSED', EVENT_TIMEOUT_MS)]);
    await phoneSet.stopAll();
    // a nailed-up leg may get its first packet only when it joins a call: each recording is aligned on its end
    const listenings = [a, b].map((phone, i): Listening => ({ ...listening(phone, [AGENT1.dn, AGENT2.dn][i]!, 1), closedAt: closed[i]!.receivedAt }));
    const results = hearingAll(listenings, [{ name: 'GWS call on the new nailed-up legs', ...window, expected: { [AGENT1.dn]: [AGENT2.dn], [AGENT2.dn]: [AGENT1.dn] } }], TONES);
    const table = describeResults(results);
    assert.equal(results.filter((r) => !r.ok).length, 0, `what the phones heard:\n${table}`);
    console.log(table);
  } finally {
    await phoneSet.dispose();
    await keep.e?.close();
    await keep.cluster?.stop();
  }
});
