// Black-box SIP tests with sipp (Debian sip-tester, installed by scripts/install-test-tools.sh) against a
// SipServer on a free UDP port: REGISTER with digest (good password 200, wrong password 403), OPTIONS 200,
// and INVITE -> 180 -> CANCEL -> 487 against a tiny handler that only rings. Fails when sipp is missing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../../src/switch/clock.js';
import { SipServer } from '../../src/sip/server.js';
import { ha1 } from '../../src/sip/digest.js';
import { runSipp } from './sipp.js';

const REALM = 'Demo';
const events: string[] = [];
const handled: string[] = [];

let server: SipServer;

before(async () => {
  server = await SipServer.start({
    host: '127.0.0.1',
    port: 0,
    clock: systemClock,
    defaultRealm: REALM,
    // sipp 3.6 answers only the first challenge and only knows MD5: both are offered, MD5 first
    digestAlgorithms: ['MD5', 'SHA-256'],
    lookup: {
      lookupExtension: (dn) =>
        dn === '5001' ? { realm: REALM, ha1: { MD5: ha1('MD5', dn, REALM, 'demo'), 'SHA-256': ha1('SHA-256', dn, REALM, 'demo') } } : undefined,
    },
    events: { registered: (dn) => events.push(`registered ${dn}`) },
    handler: {
      // rings and waits: only a CANCEL ends it (the transaction layer then answers 487)
      request(transaction) {
        handled.push(transaction.request.method);
        if (transaction.request.method === 'INVITE') transaction.reply(180);
        else transaction.reply(200);
      },
      cancelled: () => handled.push('CANCELLED'),
    },
  });
});

after(async () => {
  await server.close();
});

/** Runs one sipp call of a scenario against the server; resolves with sipp's exit code and its error log. */
const sipp = (scenario: string, extra: string[]) => runSipp(server.port, scenario, undefined, { extra });

test('sipp: REGISTER 5001 with password demo is challenged and then accepted', async () => {
  const result = await sipp('register-auth', ['-s', '5001', '-au', '5001', '-ap', 'demo']);
  assert.equal(result.code, 0, result.errors);
  assert.equal(server.registrar.isRegistered('5001'), true);
  assert.deepEqual(events, ['registered 5001']);
});

test('sipp: REGISTER with a wrong password gets 403 and no binding for that contact', async () => {
  const before = server.registrar.bindings('5001').length;
  const result = await sipp('register-wrong-password', ['-s', '5001', '-au', '5001', '-ap', 'not-demo']);
  assert.equal(result.code, 0, result.errors);
  assert.equal(server.registrar.bindings('5001').length, before);
});

test('sipp: OPTIONS gets 200 with Allow listing INVITE', async () => {
  const result = await sipp('options', []);
  assert.equal(result.code, 0, result.errors);
});

test('sipp: INVITE rings, CANCEL gets 200 and the INVITE 487', async () => {
  const result = await sipp('invite-cancel', ['-s', '5002']);
  assert.equal(result.code, 0, result.errors);
  assert.ok(handled.includes('INVITE'));
  assert.ok(handled.includes('CANCELLED'));
});
