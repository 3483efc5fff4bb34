/**
 * The notification texts written from fragments (src/gws/notification-text.ts) are exactly
 * JSON.stringify of the messages they are attached to, for every message kind written there
 * (device, voice channel), on random views, users, contact centers and strings (escapes, lone
 * surrogates); the same device record presented under another voice environment or number gets a
 * new text (fragments are checked, never stale); call messages with enough participants carry a text
 * spliced from participant texts (src/gws/call-text.ts), also exactly JSON.stringify of the message.
 * fast-check with a fixed seed (FC_SEED to change it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { jsonTextOf } from '../../src/bayeux/json-text.js';
import type { CenterEntry, Directory } from '../../src/gws/directory.js';
import { Notifier } from '../../src/gws/notifier.js';
import { makeUrls } from '../../src/gws/urls.js';
import type { AgentStateRecord, DeviceRecord, UserRecord } from '../../src/store/port.js';
import type { CallView, DeviceView, SwitchEvent } from '../../src/switch/model.js';
import { CallTexts, SPLICED_FROM } from '../../src/gws/call-text.js';
import { presentCall, presentParticipant } from '../../src/gws/present.js';
import { principalOf } from '../../src/gws/context.js';
import { deviceMessage, MemberTexts } from '../../src/gws/notification-text.js';

const SEED = Number(process.env.FC_SEED ?? 20261202);

/** strings with what JSON must escape: quotes, backslashes, controls, lone surrogates, non-ASCII */
const text = fc.string({ unit: fc.oneof(fc.constantFrom('a', 'Z', '5', ' ', '"', '\\', '\n', '\u0001', '\u2028', 'é', '😀'), fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c))), maxLength: 6 });
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const CAPABILITIES = ['Ready', 'NotReady', 'DoNotDisturbOn', 'ForwardCallsOff', 'ListenIn', 'Coach', 'BargeIn', 'CancelSupervisorMonitoring'];
const capabilities = fc.array(fc.oneof(fc.constantFrom(...CAPABILITIES), text), { maxLength: 6 });

interface World {
  directory: Directory;
  cc: CenterEntry;
  user: UserRecord;
  devices: DeviceRecord[];
}

/** a directory of one contact center: the devices given (the first belongs to the user), its agent states and features */
function world(dns: string[], agentStates: AgentStateRecord[], features: string[], roles: string[], voiceEnvironmentId: string, deviceIds: string[]): World {
  const devices: DeviceRecord[] = dns.map((dn, i) => ({ id: deviceIds[i] ?? `d${i}`, contactCenterId: 'cc', dn, kind: 'Extension', userId: i === 0 ? 'u1' : undefined }));
  const user = { id: 'u1', contactCenterId: 'cc', userName: 'u', firstName: 'U', lastName: 'One', roles, enabled: true } as unknown as UserRecord;
  const cc = { id: 'cc', features: new Set(features), voiceEnvironmentId, agentStates } as unknown as CenterEntry;
  const byDn = new Map(devices.map((d) => [d.dn, d]));
  const directory = {
    deviceByDn: (dn: string) => byDn.get(dn),
    user: (id: string) => (id === 'u1' ? user : undefined),
    ownerOf: (d: DeviceRecord) => (d.userId === 'u1' ? user : undefined),
    center: (id: string) => (id === 'cc' ? cc : undefined),
  } as unknown as Directory;
  return { directory, cc, user, devices };
}

const agentStateRecord = fc.record({
  id: fc.oneof(fc.constantFrom('S-READY', 'S-NOT-READY'), text),
  state: fc.constantFrom('Ready', 'NotReady'),
  displayName: text,
  workMode: maybe(fc.constantFrom('AfterCallWork', 'AuxWork')),
  reason: maybe(text),
  system: fc.boolean(),
  operationName: text,
  contactCenterId: fc.constant('cc'),
}) as fc.Arbitrary<AgentStateRecord>;

const worldArb = fc.record({
  dns: fc.uniqueArray(fc.oneof(fc.constantFrom('5001', '5002', '5101', '+15550100001'), text), { minLength: 1, maxLength: 5 }),
  agentStates: fc.array(agentStateRecord, { maxLength: 4 }),
  features: fc.subarray(['api-voice', 'api-supervisor-monitoring', 'api-supervisor-agent-control', 'api-voice-recording']),
  roles: fc.subarray(['ROLE_AGENT', 'ROLE_SUPERVISOR', 'ROLE_ADMIN']),
  voiceEnvironmentId: text,
  deviceIds: fc.array(text, { maxLength: 5 }),
});

const agentState = fc.record({
  state: fc.constantFrom('Ready', 'NotReady', 'LoggedOut', 'LoggedIn'),
  workMode: maybe(fc.constantFrom('AfterCallWork', 'AuxWork', 'ManualIn', 'AutoIn')),
  reason: maybe(text),
  stateId: maybe(fc.oneof(fc.constantFrom('S-READY', 'S-NOT-READY'), text)),
}, { requiredKeys: ['state'] });

const deviceView = (dn: string): fc.Arbitrary<DeviceView> =>
  fc.record({
    dn: fc.constant(dn),
    contactCenterId: fc.constant('cc'),
    loggedIn: fc.boolean(),
    agentState,
    dnd: fc.boolean(),
    forwardTo: maybe(text),
    capabilities,
    monitoring: maybe(fc.record({
      state: fc.constantFrom('ListenIn', 'Coach', 'BargeIn'),
      mode: fc.constantFrom('NextCall', 'AllCalls'),
      scope: fc.constantFrom('Agent', 'Call'),
      targetDn: fc.oneof(fc.constantFrom('5001', '5002'), text),
      targetIsRoutingPoint: fc.boolean(),
    })),
  }, { requiredKeys: ['dn', 'contactCenterId', 'loggedIn', 'agentState', 'dnd', 'capabilities'] }) as fc.Arbitrary<DeviceView>;

interface Published {
  channel: string;
  data: object;
}

function notifierOf(w: World, base: string): { notifier: Notifier; published: Published[] } {
  const published: Published[] = [];
  const notifier = new Notifier(
    { urls: makeUrls(() => base), directory: w.directory },
    { publishToUser: (_user, channel, data) => void published.push({ channel, data: data as object }) },
    { error: (o) => assert.fail(`notification failed: ${JSON.stringify(o)}`) },
  );
  return { notifier, published };
}

function assertTexts(published: Published[], expected: number): void {
  assert.equal(published.length, expected);
  for (const p of published) {
    const written = jsonTextOf(p.data);
    assert.notEqual(written, undefined, `${p.channel}: no text attached`);
    assert.equal(written, JSON.stringify(p.data), p.channel);
  }
}

test('device and voice channel messages: the text is JSON.stringify of the message', () => {
  fc.assert(
    fc.property(worldArb, text, fc.array(fc.tuple(fc.boolean(), fc.boolean()), { minLength: 1, maxLength: 4 }), fc.gen(), (spec, base, events, gen) => {
      const w = world(spec.dns, spec.agentStates, spec.features, spec.roles, spec.voiceEnvironmentId, spec.deviceIds);
      const { notifier, published } = notifierOf(w, base);
      let expected = 0;
      for (const [agentStateChanged, otherDevice] of events) {
        const device = otherDevice ? w.devices[w.devices.length - 1] : w.devices[0];
        const event: SwitchEvent = { kind: 'device', dn: device.dn, userId: 'u1', agentStateChanged, view: gen(deviceView, device.dn) };
        notifier.onEvent(event);
        expected += agentStateChanged ? 2 : 1;
      }
      assertTexts(published, expected);
    }),
    { seed: SEED, numRuns: 500 },
  );
});

test('device messages from shared frozen values (userStates, capability lists), repeated: every text is JSON.stringify of its message', () => {
  // as the switch renders them: a few frozen capability lists, a few agent states, repeated
  const frozenLists = [['NotReady', 'DoNotDisturbOn'], ['Ready', 'DoNotDisturbOff', 'ListenIn'], ['ForwardCallsOff'], []].map((l) => Object.freeze(l));
  const repeatedView = (dn: string): fc.Arbitrary<DeviceView> =>
    fc.record({
      dn: fc.constant(dn),
      contactCenterId: fc.constant('cc'),
      loggedIn: fc.boolean(),
      agentState: fc.constantFrom({ state: 'Ready' }, { state: 'NotReady' }, { state: 'NotReady', reason: 'Lunch' }, { state: 'NotReady', workMode: 'AfterCallWork' }),
      dnd: fc.boolean(),
      forwardTo: maybe(fc.constantFrom('5002', '"quoted"')),
      capabilities: fc.constantFrom(...frozenLists),
      monitoring: maybe(fc.constant({ state: 'ListenIn', mode: 'NextCall', scope: 'Agent', targetDn: '5002', targetIsRoutingPoint: false })),
    }, { requiredKeys: ['dn', 'contactCenterId', 'loggedIn', 'agentState', 'dnd', 'capabilities'] }) as fc.Arbitrary<DeviceView>;
  fc.assert(
    fc.property(worldArb, fc.array(fc.tuple(fc.boolean(), fc.nat(3)), { minLength: 2, maxLength: 30 }), fc.gen(), (spec, events, gen) => {
      const w = world(spec.dns, spec.agentStates, spec.features, spec.roles, spec.voiceEnvironmentId, spec.deviceIds);
      const { notifier, published } = notifierOf(w, 'http://kept');
      for (const [agentStateChanged, which] of events) {
        const device = w.devices[which % w.devices.length];
        notifier.onEvent({ kind: 'device', dn: device.dn, userId: 'u1', agentStateChanged, view: gen(repeatedView, device.dn) });
      }
      assertTexts(published, events.reduce((n, [changed]) => n + (changed ? 2 : 1), 0));
    }),
    { seed: SEED, numRuns: 300 },
  );
});

test('a device presented again under another voice environment or number gets a new text', () => {
  const w = world(['5001'], [], ['api-voice'], ['ROLE_AGENT'], 'env-1', ['dev-1']);
  const view: DeviceView = { dn: '5001', contactCenterId: 'cc', loggedIn: true, agentState: { state: 'Ready' }, dnd: false, capabilities: ['NotReady'] };
  const first = notifierOf(w, 'http://a');
  first.notifier.onEvent({ kind: 'device', dn: '5001', userId: 'u1', agentStateChanged: false, view });
  (w.cc as { voiceEnvironmentId: string }).voiceEnvironmentId = 'env-2';
  const second = notifierOf(w, 'http://b');
  second.notifier.onEvent({ kind: 'device', dn: '5001', userId: 'u1', agentStateChanged: false, view });
  w.devices[0].dn = '5009';
  (w.directory as unknown as { deviceByDn: (dn: string) => DeviceRecord | undefined }).deviceByDn = (dn) => (dn === '5009' ? w.devices[0] : undefined);
  second.notifier.onEvent({ kind: 'device', dn: '5009', userId: 'u1', agentStateChanged: false, view: { ...view, dn: '5009' } });
  assertTexts(first.published, 1);
  assertTexts(second.published, 2);
  assert.match(jsonTextOf(second.published[0].data)!, /http:\/\/b\/api\/v2\/voice-environments\/env-2/);
  assert.match(jsonTextOf(second.published[1].data)!, /"phoneNumber":"5009"/);
});

const callView = (dns: string[]): fc.Arbitrary<CallView> =>
  fc.record({
    callUuid: text,
    connId: text,
    state: fc.constantFrom('Ringing', 'Dialing', 'Established', 'Held', 'Released'),
    callType: fc.constantFrom('Inbound', 'Outbound', 'Internal', 'Consult'),
    ani: maybe(text),
    dnis: text,
    participants: fc.array(fc.oneof(fc.constantFrom(...dns), text), { maxLength: 3 * SPLICED_FROM }),
    userData: fc.dictionary(text, fc.oneof(text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(text, { maxLength: 2 }))),
    duration: fc.nat(),
    muted: fc.boolean(),
    recordingState: maybe(fc.constantFrom('Recording', 'Paused', 'Stopped')),
    supervisorListeningIn: fc.boolean(),
    monitoredUserMuted: fc.boolean(),
    monitoring: fc.boolean(),
    parentCallUuid: maybe(text),
    capabilities,
  }, { requiredKeys: ['callUuid', 'connId', 'state', 'callType', 'dnis', 'participants', 'userData', 'duration', 'muted', 'supervisorListeningIn', 'monitoredUserMuted', 'monitoring', 'capabilities'] }) as fc.Arbitrary<CallView>;

test('call messages: a spliced text is JSON.stringify of the message, and a long participants list always gets one', () => {
  fc.assert(
    fc.property(worldArb, text, fc.array(fc.tuple(fc.boolean(), fc.option(fc.dictionary(text, fc.oneof(text, fc.integer())), { nil: undefined }), fc.constantFrom('StatusChange', 'AttachedDataChanged', 'Error', 'DtmfSent')), { minLength: 1, maxLength: 4 }), fc.gen(), (spec, base, events, gen) => {
      const w = world(spec.dns, spec.agentStates, spec.features, spec.roles, spec.voiceEnvironmentId, spec.deviceIds);
      const { notifier, published } = notifierOf(w, base);
      const dns = w.devices.map((d) => d.dn);
      // one emission (the same synchronous run): the messages share participant objects and texts
      for (const [otherDevice, extensions, notificationType] of events) {
        const device = otherDevice ? w.devices[w.devices.length - 1] : w.devices[0];
        const view = gen(callView, dns);
        notifier.onEvent({ kind: 'call', dn: device.dn, userId: 'u1', callUuid: view.callUuid, notificationType, view, extensions, errorCode: 7, errorMessage: 'e"\u2028', digits: '12#' } as SwitchEvent);
      }
      for (const p of published) {
        const written = jsonTextOf(p.data);
        const listed = ((p.data as { call: { participants: unknown[] } }).call.participants).length;
        if (listed >= SPLICED_FROM) assert.notEqual(written, undefined, `${listed} participants and no text`);
        if (written !== undefined) assert.equal(written, JSON.stringify(p.data));
      }
    }),
    { seed: SEED, numRuns: 400 },
  );
});

/** what one step of a leg may change: user data and duration most often, any other member sometimes */
const legStep = (dns: string[]) =>
  fc.record({
    userData: maybe(fc.dictionary(text, fc.oneof(text, fc.integer(), fc.array(text, { maxLength: 2 })), { maxKeys: 3 }) as fc.Arbitrary<CallView['userData']>),
    duration: maybe(fc.nat()),
    other: maybe(fc.constantFrom<keyof CallView>('state', 'participants', 'capabilities', 'ani', 'dnis', 'muted', 'recordingState', 'supervisorListeningIn', 'monitoring', 'parentCallUuid', 'connId')),
    otherView: callView(dns),
    device: fc.nat(1),
    // the directory gains or loses a device for +15550100001 (its participant's e164Number changes)
    flip: fc.boolean(),
  });

test("a leg's messages, each in its own job: every message of the plain shape carries a text, always JSON.stringify of the message", async () => {
  await fc.assert(
    fc.asyncProperty(worldArb, text, fc.array(legStep(['5001', '5002', '+15550100001', '"q"']), { minLength: 2, maxLength: 12 }), fc.gen(), async (spec, base, steps, gen) => {
      const w = world(spec.dns, spec.agentStates, spec.features, spec.roles, spec.voiceEnvironmentId, spec.deviceIds);
      // the attached text lasts until the job ends: read it as it is published
      const published: { data: object; written: string | undefined }[] = [];
      const notifier = new Notifier(
        { urls: makeUrls(() => base), directory: w.directory },
        { publishToUser: (_user, _channel, data) => void published.push({ data: data as object, written: jsonTextOf(data as object) }) },
        { error: (o) => assert.fail(`notification failed: ${JSON.stringify(o)}`) },
      );
      let view = gen(callView, w.devices.map((d) => d.dn));
      view = { ...view, participants: [...view.participants, '+15550100001'] };
      const deviceByDn = w.directory.deviceByDn.bind(w.directory);
      let flipped = false;
      for (const step of steps) {
        if (step.flip) {
          flipped = !flipped;
          const extra = { ...w.devices[0], id: 'extra', dn: '+15550100001' };
          (w.directory as unknown as { deviceByDn: (dn: string) => DeviceRecord | undefined }).deviceByDn = (dn) => (flipped && dn === '+15550100001' ? extra : deviceByDn(dn));
        }
        const next: CallView = { ...view, participants: [...view.participants], capabilities: [...view.capabilities] };
        if (step.userData !== undefined) next.userData = step.userData;
        if (step.duration !== undefined) next.duration = step.duration;
        if (step.other !== undefined) (next as unknown as Record<string, unknown>)[step.other] = step.otherView[step.other];
        view = next;
        const device = w.devices[step.device % w.devices.length];
        notifier.onEvent({ kind: 'call', dn: device.dn, userId: 'u1', callUuid: view.callUuid, notificationType: 'AttachedDataChanged', view } as SwitchEvent);
        // the next step in another job: the emission's participant objects are forgotten
        await new Promise((resolve) => setImmediate(resolve));
      }
      assert.equal(published.length, steps.length);
      for (const { data, written } of published) {
        assert.notEqual(written, undefined, 'a call message of the plain shape without a text');
        assert.equal(written, JSON.stringify(data));
      }
    }),
    { seed: SEED, numRuns: 300 },
  );
});

test('a participant is one shared frozen object per number and directory answer, and follows the directory', () => {
  const w = world(['5001'], [], ['api-voice'], ['ROLE_AGENT'], 'env', ['dev-1']);
  const external = presentParticipant(w.directory, '+15550100009');
  assert.deepEqual(external, { phoneNumber: '+15550100009', digits: '+15550100009', formattedPhoneNumber: '+15550100009', e164Number: '+15550100009' });
  assert.equal(presentParticipant(w.directory, '+15550100009'), external, 'the same number: the same object');
  assert.ok(Object.isFrozen(external));
  assert.equal(presentParticipant(w.directory, '5001').e164Number, '', 'a DN of the directory');
  // the directory gains a device for the number: the participant shows it as internal, and loses it again
  const deviceByDn = w.directory.deviceByDn.bind(w.directory);
  (w.directory as unknown as { deviceByDn: (dn: string) => DeviceRecord | undefined }).deviceByDn = (dn) => (dn === '+15550100009' ? w.devices[0] : deviceByDn(dn));
  assert.equal(presentParticipant(w.directory, '+15550100009').e164Number, '');
  (w.directory as unknown as { deviceByDn: (dn: string) => DeviceRecord | undefined }).deviceByDn = deviceByDn;
  assert.equal(presentParticipant(w.directory, '+15550100009'), external);
});

test("an owner's objects written member by member (MemberTexts): every text is JSON.stringify of its object, members repeated or not", () => {
  // members drawn from a few values (so most repeat, by identity or as equal copies) and a few keys (so shapes change too)
  const leaf = fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null), fc.double());
  const value = fc.oneof(leaf, fc.array(leaf, { maxLength: 3 }), fc.dictionary(fc.constantFrom('a', 'b', '"'), fc.oneof(leaf, fc.array(leaf, { maxLength: 2 })), { maxKeys: 3 }));
  const objects = fc.array(fc.tuple(fc.constantFrom('id', 'name', 'calls', 'device', '"x"'), fc.nat(3), fc.boolean()), { minLength: 0, maxLength: 6 });
  fc.assert(
    fc.property(fc.array(value, { minLength: 4, maxLength: 4 }), fc.array(objects, { minLength: 1, maxLength: 15 }), fc.nat(1), (pool, sequence, owners) => {
      const texts = new MemberTexts();
      const ownerRecords = [{}, {}];
      for (const members of sequence) {
        const o: Record<string, unknown> = {};
        for (const [key, which, copy] of members) o[key] = copy ? structuredClone(pool[which]) : pool[which];
        const owner = ownerRecords[(members.length + owners) % 2];
        assert.equal(texts.text(owner, o), JSON.stringify(o));
      }
    }),
    { seed: SEED, numRuns: 500 },
  );
});

test('a frozen participants list is presented once per directory generation, and again after a load', () => {
  const w = world(['5001'], [], ['api-voice'], ['ROLE_AGENT'], 'env', ['dev-1']);
  const directory = w.directory as unknown as { generation: number; deviceByDn: (dn: string) => DeviceRecord | undefined };
  directory.generation = 1;
  const numbers = Object.freeze(['+15550100009', '5001', '+15550100002', '+15550100003', '+15550100004', '+15550100005']);
  const view: CallView = {
    callUuid: 'c1', connId: 'k1', state: 'Established', callType: 'Inbound', dnis: '5001', participants: numbers, userData: {}, duration: 0,
    muted: false, supervisorListeningIn: false, monitoredUserMuted: false, monitoring: false, capabilities: [],
  };
  const deps = { urls: makeUrls(() => 'http://x'), directory: w.directory };
  const who = principalOf(w.user, w.cc);
  const first = presentCall(deps, '5001', view, who).participants as { e164Number: string }[];
  assert.equal(presentCall(deps, '5001', view, who).participants, first, 'the same frozen list: the same presented list');
  assert.ok(Object.isFrozen(first));
  assert.equal(first[0].e164Number, '+15550100009');
  // a load gives +15550100009 a device: the next presentation reads the directory again
  const deviceByDn = directory.deviceByDn.bind(directory);
  directory.deviceByDn = (dn) => (dn === '+15550100009' ? w.devices[0] : deviceByDn(dn));
  directory.generation = 2;
  const second = presentCall(deps, '5001', view, who).participants as { e164Number: string }[];
  assert.notEqual(second, first);
  assert.equal(second[0].e164Number, '');
  // a list the switch did not freeze is presented afresh every time
  const open = presentCall(deps, '5001', { ...view, participants: [...numbers] }, who).participants;
  assert.notEqual(presentCall(deps, '5001', { ...view, participants: [...numbers] }, who).participants, open);
});

test("kept call segments: texts stay exact across keepOnly (which forgets the calls a team row no longer shows); another shape gets none", () => {
  const texts = new CallTexts();
  const owner = {};
  const callOf = (uuid: string, step: number): Record<string, unknown> => ({ id: uuid, callUuid: uuid, state: 'Established', participants: [], userData: { Step: step }, duration: '1', mute: 'Off' });
  const a = callOf('a', 1);
  const b = callOf('b', 1);
  assert.equal(texts.callText(owner, a), JSON.stringify(a));
  assert.equal(texts.callText(owner, b), JSON.stringify(b));
  texts.keepOnly(owner, [b]);
  // 'a' is written afresh (and still exactly), 'b' from its kept segments
  const a2 = callOf('a', 2);
  const b2 = callOf('b', 2);
  assert.equal(texts.callText(owner, a2), JSON.stringify(a2));
  assert.equal(texts.callText(owner, b2), JSON.stringify(b2));
  // a call of another shape is no kept text (the caller serialises it)
  assert.equal(texts.callText(owner, { callUuid: 'c', duration: 'soon' }), undefined);
});

test('a kept device message text is reused only with the same fragments: another voice environment or number with the very same frozen states gets its own text', () => {
  const device: DeviceRecord = { id: 'd1', contactCenterId: 'cc', dn: '5001', kind: 'Extension', userId: 'u1' };
  const userState = Object.freeze({ id: 'ready', displayName: 'Ready', state: 'Ready' });
  const capabilities = Object.freeze(['Dial', 'DoNotDisturbOn']);
  const channels = Object.freeze(['voice']);
  const presented = (voiceEnvironmentUri: string, dn: string): Record<string, unknown> => ({
    id: 'd1',
    deviceState: 'Active',
    userState,
    phoneNumber: dn,
    e164Number: dn,
    telephonyNetwork: 'Private',
    doNotDisturb: 'Off',
    voiceEnvironmentUri,
    capabilities,
    channels,
  });
  const steps: [string, string][] = [['http://a/v/1', '5001'], ['http://a/v/1', '5001'], ['http://b/v/2', '5001'], ['http://b/v/2', '5009'], ['http://a/v/1', '5001']];
  const texts = new Set<string>();
  for (const [uri, dn] of steps) {
    const message = deviceMessage(device, presented(uri, dn));
    const text = jsonTextOf(message);
    assert.equal(text, JSON.stringify(message), `${uri} ${dn}`);
    texts.add(text!);
  }
  assert.equal(texts.size, 3, 'three distinct presentations, three texts');
});
