/**
 * The SwitchPort contract suite (test/helpers/switch-contract.ts) against the call model with the SIP
 * endpoints serving every extension: each agent and supervisor DN is an in-process fake SIP phone
 * registered over loopback UDP (digest), so every leg of an extension is claimed by the SIP endpoints
 * (nailed-up mode: the login INVITEs the phone with auto-answer, calls are mixer changes). The contract
 * must hold unchanged: the SIP endpoints answer synchronously where a nailed leg exists and never
 * throw into the switch (an effect that throws would fail every scenario through Harness.take).
 * Afterwards the phones must have received real auto-answer INVITEs.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { runSwitchContract } from '../helpers/switch-contract.js';
import { AGENTS, SUPERVISORS } from '../helpers/switch-harness.js';
import { systemClock } from '../../src/switch/clock.js';
import { SipServer } from '../../src/sip/server.js';
import { ha1 } from '../../src/sip/digest.js';
import type { MediaEngine } from '../../src/media/workers.js';
import type { MediaCommand } from '../../src/media/commands.js';
import { DEFAULT_SIP_SETTINGS, type SipEndpointsHandle } from '../../src/endpoints/sip/index.js';
import { FakePhone, PASSWORD, REALM, Rig, waitFor } from './b2bua-rig.js';

const delegate: { current?: SipEndpointsHandle } = {};
/** closing of the endpoints of earlier scenarios (each new harness ends the previous one's dialogs) */
const closing: Promise<void>[] = [];
const logs: string[] = [];
/**
 * The mixer is replaced by a recorder of media commands here (the property test opens and drops
 * thousands of legs; the real mixer with real RTP sockets is exercised by test/sip/b2bua-*.test.ts).
 * It keeps the mixer's one rule that matters for the B2BUA: at most one leg per party and call.
 */
class RecordingMediaEngine implements MediaEngine {
  private nextPort = 30000;
  readonly legs = new Set<string>();
  readonly refused: string[] = [];
  async execute(command: MediaCommand): Promise<never> {
    const key = 'phoneNumber' in command ? `${command.callId}|${command.phoneNumber}` : '';
    if (command.type === 'addLeg') {
      if (this.legs.has(key)) this.refused.push(`second leg ${key}`);
      this.legs.add(key);
      return { port: (this.nextPort += 2) } as never;
    }
    if (command.type === 'removeLeg') this.legs.delete(key);
    if (command.type === 'removeCall') for (const leg of [...this.legs]) if (leg.startsWith(`${command.callId}|`)) this.legs.delete(leg);
    return undefined as never;
  }
  async stats() {
    return [];
  }
  async close() {}
}
/** one per scenario: call ids restart with each harness, and mixer calls are named by call id */
const engines: RecordingMediaEngine[] = [];
const dns = [...AGENTS, ...SUPERVISORS];
const server = await SipServer.start({
  host: '127.0.0.1',
  port: 0,
  clock: systemClock,
  defaultRealm: REALM,
  digestAlgorithms: ['MD5'],
  timers: { t1: 50, t2: 400, t4: 500 },
  lookup: {
    lookupExtension: (dn) => (dns.includes(dn) ? { realm: REALM, ha1: { MD5: ha1('MD5', dn, REALM, PASSWORD), 'SHA-256': ha1('SHA-256', dn, REALM, PASSWORD) } } : undefined),
  },
  handler: {
    request: (transaction, s) => delegate.current?.handler.request(transaction, s) ?? void transaction.reply(481),
    ack: (request, source) => delegate.current?.handler.ack?.(request, source),
    cancelled: (invite, cancel) => delegate.current?.handler.cancelled?.(invite, cancel),
    ackTimeout: (invite) => delegate.current?.handler.ackTimeout?.(invite),
  },
});
const phones = await Promise.all(dns.map((dn) => FakePhone.start(dn, server.port)));

before(async () => {
  for (const phone of phones) assert.equal(await phone.register(), 200, `${phone.dn} registers`);
  for (const dn of dns) assert.ok(server.registrar.isRegistered(dn));
});

after(async () => {
  if (delegate.current) closing.push(delegate.current.close());
  await Promise.all(closing);
  for (const phone of phones) await phone.close();
  await server.close();
});

runSwitchContract('SIP endpoints (fake SIP phones over loopback UDP)', (settings) => {
  if (delegate.current) closing.push(delegate.current.close());
  const media = new RecordingMediaEngine();
  engines.push(media);
  return Rig.harness(server, media, delegate, DEFAULT_SIP_SETTINGS, {}, (line) => logs.push(line), settings);
});

test('the SIP endpoints really served the contract: the phones got auto-answer INVITEs', async () => {
  const phone = phones.find((p) => p.dn === '5001')!;
  await waitFor('5001 got an INVITE', () => phone.log.includes('INVITE'));
  const callInfo = phone.lastInviteHeaders.find((header) => header.name === 'Call-Info')?.value ?? '';
  assert.match(callInfo, /answer-after=0/);
  assert.deepEqual(engines.flatMap((engine) => engine.refused), [], 'never two legs of one party in one mixer call');
  assert.deepEqual(logs.filter((line) => line.startsWith('warn') && !/did not take|not carried out|vanished/.test(line)), []);
});
