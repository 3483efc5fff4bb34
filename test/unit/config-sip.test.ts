/**
 * The telephony options of the configuration (spec/sip.md section 2): server.sip / server.media /
 * server.recordings with their environment variables, the per-contact-center `settings.sip` block
 * (trunks included) and the per-extension `sipPassword`, each accepted when right and reported with
 * its path when wrong.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, testConfig } from '../../src/config/load.js';
import { defaultSipSettings, sipSettingsOf, defaultContactCenterSettings } from '../../src/config/defaults.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-config-sip-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let fileCount = 0;
function file(content: unknown): string {
  const path = join(dir, `c${++fileCount}.json`);
  writeFileSync(path, JSON.stringify(content));
  return path;
}

function problemsOf(input: Parameters<typeof loadConfig>[0]): readonly string[] {
  try {
    loadConfig(input);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems;
  }
  assert.fail('configuration accepted');
}

const user = (extra: Record<string, unknown>) => ({ userName: 'ann', password: 'x', roles: ['ROLE_AGENT'], dn: '6001', ...extra });

describe('server.sip, server.media, server.recordings', () => {
  it('defaults: SIP on 5060 at the HTTP host, RTP 20000-20999, one mixer worker, ./data/recordings', () => {
    const config = loadConfig();
    assert.deepEqual(config.sip, { port: 5060, rtpPorts: { first: 20000, last: 20999 }, digestAlgorithms: ['SHA-256', 'MD5'] });
    assert.equal(config.sip.host, undefined, 'unset: the HTTP host is used');
    assert.equal(config.sip.advertisedHost, undefined, 'unset: the SIP host is advertised');
    assert.deepEqual(config.media, { workers: 1 });
    assert.deepEqual(config.recordings, { dir: './data/recordings' });
    assert.ok(Object.isFrozen(config.sip.rtpPorts));
  });

  it('reads the file keys, and the environment overrides them', () => {
    const path = file({
      server: {
        sip: { port: 5070, host: '0.0.0.0', advertisedHost: '192.0.2.10', rtpPorts: '30000-30099', digestAlgorithms: ['MD5'] },
        media: { workers: 2 },
        recordings: { dir: '/var/lib/switchboard/recordings' },
      },
    });
    const fromFile = loadConfig({ argv: ['--config', path] });
    assert.deepEqual(fromFile.sip, {
      port: 5070,
      host: '0.0.0.0',
      advertisedHost: '192.0.2.10',
      rtpPorts: { first: 30000, last: 30099 },
      digestAlgorithms: ['MD5'],
    });
    assert.deepEqual(fromFile.media, { workers: 2 });
    assert.deepEqual(fromFile.recordings, { dir: '/var/lib/switchboard/recordings' });

    const fromEnvironment = loadConfig({
      argv: ['--config', path],
      env: {
        SWITCHBOARD_SIP_PORT: '0',
        SWITCHBOARD_SIP_HOST: '127.0.0.1',
        SWITCHBOARD_SIP_ADVERTISED_HOST: '::1',
        SWITCHBOARD_RTP_PORTS: ' 40000 - 40011 ',
        SWITCHBOARD_MEDIA_WORKERS: '0',
        SWITCHBOARD_RECORDINGS_DIR: 'rec',
      },
    });
    assert.deepEqual(fromEnvironment.sip, {
      port: 0,
      host: '127.0.0.1',
      advertisedHost: '::1',
      rtpPorts: { first: 40000, last: 40011 },
      digestAlgorithms: ['MD5'],
    });
    assert.deepEqual(fromEnvironment.media, { workers: 0 });
    assert.deepEqual(fromEnvironment.recordings, { dir: 'rec' });
    assert.deepEqual(loadConfig({ env: { SWITCHBOARD_SIP_PORT: '' } }).sip.port, 5060, 'an empty variable is unset');
    assert.deepEqual(loadConfig({ argv: ['--config', file({ server: { sip: { rtpPorts: { first: 21000, last: 21001 } } } })] }).sip.rtpPorts, {
      first: 21000,
      last: 21001,
    });
  });

  it('reports every bad value with its path or variable', () => {
    const path = file({
      server: {
        sip: { port: 70000, host: 'phones.example', rtpPorts: '5-4', digestAlgorithms: ['MD5', 'SHA-512', 'MD5'], transport: 'tls' },
        media: { workers: -1 },
        recordings: { dir: '' },
      },
    });
    const problems = problemsOf({
      argv: ['--config', path],
      env: { SWITCHBOARD_SIP_PORT: 'five', SWITCHBOARD_RTP_PORTS: '20000', SWITCHBOARD_SIP_ADVERTISED_HOST: 'pbx', SWITCHBOARD_MEDIA_WORKERS: '65' },
    });
    const expected = [
      'server.sip.transport: unknown key; known keys: port, host, advertisedHost, rtpPorts, digestAlgorithms, invitesPerSecondPerSource, keepaliveMs, inviteTimeoutMs',
      'server.sip.port: must be an integer from 0 to 65535, got number 70000',
      'server.sip.host: "phones.example" is not an IP address (no DNS names: SIP hosts are written into Via, Contact and SDP as they are)',
      'server.sip.rtpPorts: port range 5-4 must lie within 1024-65535',
      'server.sip.digestAlgorithms[1]: must be one of SHA-256, MD5, got string "SHA-512"',
      'server.sip.digestAlgorithms[2]: "MD5" is listed twice',
      'server.media.workers: must be an integer from 0 to 64, got number -1',
      'server.recordings.dir: must not be empty',
      'env SWITCHBOARD_SIP_PORT: must be an integer from 0 to 65535, got "five"',
      'env SWITCHBOARD_SIP_ADVERTISED_HOST: "pbx" is not an IP address (no DNS names: SIP hosts are written into Via, Contact and SDP as they are)',
      'env SWITCHBOARD_RTP_PORTS: must be a range "first-last" such as "20000-20999", got "20000"',
      'env SWITCHBOARD_MEDIA_WORKERS: must be an integer from 0 to 64, got "65"',
    ];
    for (const problem of expected) assert.ok(problems.includes(problem), `missing problem: ${problem}\ngot:\n${problems.join('\n')}`);
    assert.equal(problems.length, expected.length, problems.join('\n'));
  });

  it('refuses an RTP range with fewer port pairs than media workers, unless SIP is off', () => {
    assert.deepEqual(problemsOf({ env: { SWITCHBOARD_RTP_PORTS: '20000-20003', SWITCHBOARD_MEDIA_WORKERS: '3' } }), [
      'sip.rtpPorts: 20000-20003 holds 2 RTP port pairs, fewer than the 3 media workers',
    ]);
    assert.equal(loadConfig({ env: { SWITCHBOARD_RTP_PORTS: '20000-20003', SWITCHBOARD_MEDIA_WORKERS: '2' } }).media.workers, 2);
    assert.equal(loadConfig({ env: { SWITCHBOARD_RTP_PORTS: '20000-20003', SWITCHBOARD_MEDIA_WORKERS: '3', SWITCHBOARD_SIP_PORT: '0' } }).sip.port, 0);
  });

  it('testConfig runs without SIP and mixes in the main thread unless asked', () => {
    assert.equal(testConfig().sip.port, 0);
    assert.equal(testConfig().media.workers, 0);
    assert.equal(testConfig({ sip: { ...testConfig().sip, port: 5999 } }).sip.port, 5999);
  });
});

describe('contact center settings.sip and users[].sipPassword', () => {
  it('fills the SIP defaults, merges a partial block and keeps trunks', () => {
    const path = file({
      contactCenters: [
        { name: 'Plain', users: [] },
        {
          name: 'Phones',
          settings: {
            sip: {
              agentPhoneMode: 'perCall',
              holdAudio: 'tone',
              trunks: [{ name: 'carrier', host: '192.0.2.1', port: 5060, outboundPrefix: '9' }, { name: 'inbound', host: '::1' }],
            },
          },
          users: [user({ sipPassword: 's3cret' })],
        },
      ],
    });
    const [plain, phones] = loadConfig({ argv: ['--config', path] }).contactCenters!;
    assert.deepEqual(plain.settings.sip, defaultSipSettings());
    assert.deepEqual(phones.settings.sip, {
      agentPhoneMode: 'perCall',
      unregisteredDevices: 'simulate',
      holdAudio: 'tone',
      trunks: [{ name: 'carrier', host: '192.0.2.1', port: 5060, outboundPrefix: '9' }, { name: 'inbound', host: '::1' }],
    });
    assert.equal(phones.users[0].sipPassword, 's3cret');
    assert.deepEqual(sipSettingsOf({ ...defaultContactCenterSettings(), sip: undefined }), defaultSipSettings(), 'settings stored before SIP get the defaults');
  });

  it('reports bad SIP settings, trunks and passwords with their paths', () => {
    const path = file({
      contactCenters: [
        {
          name: 'Bad',
          settings: {
            sip: {
              agentPhoneMode: 'always',
              unregisteredDevices: 'drop',
              holdAudio: 'music',
              trunks: [
                { name: 'a', host: 'carrier.example', port: 0 },
                { name: 'a', host: '192.0.2.1', outboundPrefix: '9-' },
                { host: '192.0.2.2', codec: 'G729' },
              ],
            },
          },
          users: [
            user({ sipPassword: '' }),
            { userName: 'bob', password: 'x', roles: ['ROLE_ADMIN'], sipPassword: 'p' },
            user({ userName: 'cat', dn: '6003', sipPassword: 'tab\there' }),
            user({ userName: 'dan', dn: '6004', sipPassword: 42 }),
          ],
        },
      ],
    });
    const problems = problemsOf({ argv: ['--config', path] });
    const at = 'contactCenters[0]';
    const expected = [
      `${at}.settings.sip.agentPhoneMode: must be one of nailedUp, perCall, got string "always"`,
      `${at}.settings.sip.unregisteredDevices: must be one of simulate, unavailable, got string "drop"`,
      `${at}.settings.sip.holdAudio: must be one of silence, tone, got string "music"`,
      `${at}.settings.sip.trunks[0].host: "carrier.example" is not an IP address (trunks are matched by the source address of their INVITEs; no DNS)`,
      `${at}.settings.sip.trunks[0].port: must be an integer from 1 to 65535, got number 0`,
      `${at}.settings.sip.trunks[1].outboundPrefix: "9-" must be 1 to 16 of the characters 0-9 * # +`,
      `${at}.settings.sip.trunks[2].name: is required`,
      `${at}.settings.sip.trunks[2].codec: unknown key; known keys: name, host, port, outboundPrefix`,
      `${at}.settings.sip.trunks[1].name: duplicate trunk "a" (also trunks[0])`,
      `${at}.users[3].sipPassword: must be a string, got number 42`,
      `${at}.users[0].sipPassword: must not be empty (omit it: the extension then cannot register)`,
      `${at}.users[1].sipPassword: needs a dn: a SIP password belongs to the user's extension`,
      `${at}.users[2].sipPassword: must not contain control characters`,
    ];
    for (const problem of expected) assert.ok(problems.includes(problem), `missing problem: ${problem}\ngot:\n${problems.join('\n')}`);
    assert.equal(problems.length, expected.length, problems.join('\n'));
  });
});
