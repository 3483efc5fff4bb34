/**
 * SWITCHBOARD_STANDBY (src/config/load.ts): a cluster node's hot standby is on unless the
 * environment says off; on/off in any case; anything else is a configuration problem naming the
 * variable; without SWITCHBOARD_NATS_URL it changes nothing (not a cluster node).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config/load.js';

const NATS = { SWITCHBOARD_NATS_URL: 'nats://127.0.0.1:4222' };

test('SWITCHBOARD_STANDBY: unset leaves the default (on), on/off are read, other values refused', () => {
  assert.equal(loadConfig({ argv: [], env: NATS }).cluster?.standby, undefined, 'unset: the node default (on)');
  assert.equal(loadConfig({ argv: [], env: { ...NATS, SWITCHBOARD_STANDBY: 'off' } }).cluster?.standby, false);
  assert.equal(loadConfig({ argv: [], env: { ...NATS, SWITCHBOARD_STANDBY: ' ON ' } }).cluster?.standby, true);
  assert.equal(loadConfig({ argv: [], env: { SWITCHBOARD_STANDBY: 'off' } }).cluster, undefined, 'no cluster without a NATS URL');
  assert.throws(
    () => loadConfig({ argv: [], env: { ...NATS, SWITCHBOARD_STANDBY: 'maybe' } }),
    (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.includes('env SWITCHBOARD_STANDBY') && p.includes('on, off')),
  );
});
