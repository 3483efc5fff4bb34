/**
 * The baresip driver itself (test/helpers/baresip.ts): netstring framing of the control port, the
 * account lines it writes, and a real registration against Switchboard's SipServer on a free port —
 * the good password ends in REGISTER_OK, a wrong one fails at once with the registrar's answer (not
 * after the timeout), and an unregistered customer account never sends REGISTER; a phone whose start
 * fails while another is still starting leaves no baresip process behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../../src/switch/clock.js';
import { SipServer } from '../../src/sip/server.js';
import { ha1 } from '../../src/sip/digest.js';
import { NetstringReader, PhoneSet, accountLine, haveBaresip, netstring } from '../helpers/baresip.js';

test('netstrings: split across chunks, several per chunk, multi-byte payloads; malformed frames throw', () => {
  const reader = new NetstringReader();
  const framed = netstring('{"a":"é"}') + netstring('{}');
  const bytes = Buffer.from(framed);
  assert.deepEqual(reader.push(bytes.subarray(0, 5)), []);
  assert.deepEqual(reader.push(bytes.subarray(5)), ['{"a":"é"}', '{}']);
  assert.equal(netstring('é'), '2:é,');
  assert.throws(() => new NetstringReader().push(Buffer.from('x1:a,')), /bad length/);
  assert.throws(() => new NetstringReader().push(Buffer.from('1:ab')), /not followed by a comma/);
  assert.throws(() => new NetstringReader().push(Buffer.from('12345678901')), /no length prefix/);
});

test('account lines: registered agents authenticate and auto-answer; customers never register', () => {
  assert.equal(
    accountLine({ name: 'agent', user: '5001', toneHz: 1000, codec: 'PCMU', registrar: { port: 5555, password: 'demo' }, autoAnswer: true }),
    '<sip:5001@127.0.0.1:5555>;auth_pass=demo;regint=60;answermode=auto;audio_codecs=PCMU',
  );
  assert.equal(accountLine({ name: 'customer', user: '+15551234567', toneHz: 440, codec: 'PCMA' }), '<sip:+15551234567@127.0.0.1>;regint=0;audio_codecs=PCMA');
});

test('a real phone registers with the right password and fails at once with a wrong one', { timeout: 30_000 }, async () => {
  assert.ok(haveBaresip(), 'baresip and sox are required: run scripts/install-test-tools.sh');
  const realm = 'Demo';
  const server = await SipServer.start({
    host: '127.0.0.1',
    port: 0,
    clock: systemClock,
    defaultRealm: realm,
    digestAlgorithms: ['MD5'],
    lookup: {
      lookupExtension: (dn) => (dn === '5001' ? { realm, ha1: { MD5: ha1('MD5', dn, realm, 'demo'), 'SHA-256': ha1('SHA-256', dn, realm, 'demo') } } : undefined),
    },
    events: {},
  });
  const phones = new PhoneSet();
  try {
    const good = await phones.start({ name: 'good', user: '5001', toneHz: 1000, codec: 'PCMU', registrar: { port: server.port, password: 'demo' }, autoAnswer: true });
    await good.waitRegistered();
    assert.match(server.registrar.contactFor('5001')?.uri ?? '', new RegExp(`@127\\.0\\.0\\.1:${good.sipPort}`));

    const wrong = await phones.start({ name: 'wrong', user: '5001', toneHz: 1000, codec: 'PCMU', registrar: { port: server.port, password: 'wrong' } });
    // a timeout would reject with "timed out ... waiting for REGISTER_OK or REGISTER_FAIL" instead
    await assert.rejects(wrong.waitRegistered(8000), /registration failed: 403/);

    const customer = await phones.start({ name: 'customer', user: '+15551234567', toneHz: 440, codec: 'PCMU' });
    const info = await customer.command('reginfo');
    assert.ok(info.ok, info.data);
    assert.match(info.data, /sip:\+15551234567@127\.0\.0\.1/);
    assert.deepEqual(customer.events.filter((e) => e.type.startsWith('REGISTER_')), []);
  } finally {
    await phones.dispose();
    await server.close();
  }
});

test('a start that fails beside one still starting: dispose leaves no baresip process', { timeout: 30_000 }, async () => {
  assert.ok(haveBaresip(), 'baresip and sox are required: run scripts/install-test-tools.sh');
  const phones = new PhoneSet();
  const good = phones.start({ name: 'good', user: 'good', toneHz: 1000, codec: 'PCMU' });
  // baresip refuses this account line (create_ua: Invalid argument), so this start fails after the spawn
  const bad = phones.start({ name: 'bad', user: 'bad user>', toneHz: 440, codec: 'PCMU' });
  await assert.rejects(Promise.all([good, bad]), /phone bad did not start: uanew refused/);
  await phones.dispose();
  const phone = await good;
  assert.ok(phone.pid !== undefined);
  assert.equal(phone.hasExited, true, 'the phone that was still starting is stopped too');
  assert.throws(() => process.kill(phone.pid!, 0), /ESRCH/, `baresip ${phone.pid} is gone`);
});
