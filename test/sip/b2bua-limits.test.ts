/**
 * The SIP endpoints' flood bound and keepalive on the virtual clock (docs/telephony.md, "INVITE
 * floods" and "Vanished phones"), and their configuration keys (server.sip.invitesPerSecondPerSource,
 * keepaliveMs, inviteTimeoutMs): defaults when unset, bounds checked like the other keys.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../../src/switch/clock.js';
import { InviteRateLimiter } from '../../src/endpoints/sip/invite-rate.js';
import { Keepalive } from '../../src/endpoints/sip/keepalive.js';
import { loadConfig, ConfigError } from '../../src/config/load.js';
import { sipEndpointOptionsOf } from '../../src/app/telephony.js';
import { SIP_ENDPOINT_DEFAULTS } from '../../src/config/defaults.js';

test('flood bound: N INVITEs per address per 1000 ms window on the injected clock; other addresses and the next window are free', () => {
  const clock = new VirtualClock();
  const limiter = new InviteRateLimiter(clock, 3);
  const burst = () => [1, 2, 3, 4, 5].map(() => limiter.admit('192.0.2.1'));
  assert.deepEqual(burst(), [true, true, true, false, false]);
  assert.equal(limiter.dropped, 2);
  assert.equal(limiter.admit('192.0.2.2'), true, 'another source has its own window');
  clock.advance(999);
  assert.equal(limiter.admit('192.0.2.1'), false, 'still the same window at 999 ms');
  clock.advance(1);
  assert.deepEqual(burst(), [true, true, true, false, false], 'a new window at 1000 ms');
  assert.equal(limiter.dropped, 5);
});

test('flood bound: the table of addresses is bounded (cleared when full, never grows)', () => {
  const clock = new VirtualClock();
  const limiter = new InviteRateLimiter(clock, 1, 4);
  for (let i = 0; i < 4; i++) assert.equal(limiter.admit(`198.51.100.${i}`), true);
  assert.equal(limiter.admit('198.51.100.0'), false);
  assert.equal(limiter.admit('198.51.100.9'), true, 'a fifth address clears the table');
  assert.equal(limiter.admit('198.51.100.0'), true, 'and the first address was forgotten');
});

test('keepalive: one probe round every everyMs on the injected clock, none after stop, none when 0; a throwing probe keeps the schedule', () => {
  const clock = new VirtualClock();
  const rounds: number[] = [];
  const errors: unknown[] = [];
  const keepalive = new Keepalive(clock, 30_000, () => {
    rounds.push(clock.now());
    if (rounds.length === 2) throw new Error('probe failed');
  }, (error) => errors.push(error));
  const start = clock.now();
  clock.advance(29_999);
  assert.equal(rounds.length, 0);
  clock.advance(1);
  assert.deepEqual(rounds, [start + 30_000]);
  clock.advance(60_000);
  assert.deepEqual(rounds, [start + 30_000, start + 60_000, start + 90_000]);
  assert.equal(errors.length, 1);
  keepalive.stop();
  clock.advance(300_000);
  assert.equal(rounds.length, 3);
  assert.equal(keepalive.rounds, 3);

  let never = 0;
  new Keepalive(clock, 0, () => never++);
  clock.advance(3_600_000);
  assert.equal(never, 0);
});

const folder = mkdtempSync(join(tmpdir(), 'switchboard-sip-limits-'));
test.after(() => rmSync(folder, { recursive: true, force: true }));
function configFile(sip: Record<string, unknown>): string {
  const path = join(folder, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify({ server: { sip } }));
  return path;
}

test('configuration: unset keys are the defaults; set keys reach the SIP endpoints; out-of-range values are refused with their path', () => {
  assert.deepEqual(sipEndpointOptionsOf(loadConfig({ env: {} }).sip), { ...SIP_ENDPOINT_DEFAULTS });
  assert.deepEqual(SIP_ENDPOINT_DEFAULTS, { invitesPerSecondPerSource: 20, keepaliveMs: 30_000, inviteTimeoutMs: 60_000 });
  const set = loadConfig({ argv: ['--config', configFile({ invitesPerSecondPerSource: 5, keepaliveMs: 0, inviteTimeoutMs: 20_000 })], env: {} });
  assert.deepEqual(sipEndpointOptionsOf(set.sip), { invitesPerSecondPerSource: 5, keepaliveMs: 0, inviteTimeoutMs: 20_000 });

  const bad = configFile({ invitesPerSecondPerSource: 0, keepaliveMs: 500, inviteTimeoutMs: 'soon' });
  let problems: string[] = [];
  try {
    loadConfig({ argv: ['--config', bad], env: {} });
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    problems = [...error.problems];
  }
  assert.deepEqual(problems.sort(), [
    'server.sip.inviteTimeoutMs: must be an integer from 1000 to 3600000, got string "soon"',
    'server.sip.invitesPerSecondPerSource: must be an integer from 1 to 100000, got number 0',
    'server.sip.keepaliveMs: must be 0 (never) or at least 1000, got 500',
  ]);
});
