/**
 * The `cometd` options of issue 7 (session and subscription caps, BAYEUX_BROWSER handling) travel
 * from the configuration file into the Bayeux server: read and range-checked by loadConfig, left
 * unset (so the Bayeux defaults of src/bayeux/options.ts apply) when the file does not name them.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { DEFAULTS, resolveOptions } from '../../src/bayeux/options.js';

const dir = mkdtempSync(join(tmpdir(), 'bayeux-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
function configFile(cometd: object): string {
  const path = join(dir, `c${++files}.json`);
  writeFileSync(path, JSON.stringify({ server: { cometd } }));
  return path;
}
const problemsOf = (cometd: object): string[] => {
  try {
    loadConfig({ argv: ['--config', configFile(cometd)] });
    return [];
  } catch (err) {
    return String((err as Error).message).split('\n').filter((l) => l.includes('cometd'));
  }
};

describe('cometd caps in the configuration', () => {
  it('reads the caps from the file and hands them to the Bayeux server', () => {
    const c = loadConfig({ argv: ['--config', configFile({ maxSessionsPerUser: 7, maxSessionsPerWebSocket: 2, maxSubscriptionsPerSession: 9, maxSessionsPerBrowser: 1, multiSessionIntervalMs: 1500 })] });
    const o = resolveOptions({ ...c.cometd, authenticate: () => null });
    assert.deepEqual(
      [o.maxSessionsPerUser, o.maxSessionsPerWebSocket, o.maxSubscriptionsPerSession, o.maxSessionsPerBrowser, o.multiSessionIntervalMs],
      [7, 2, 9, 1, 1500],
    );
  });

  it('leaves them to the Bayeux defaults when unset', () => {
    const o = resolveOptions({ ...loadConfig({}).cometd, authenticate: () => null });
    assert.deepEqual(
      [o.maxSessionsPerUser, o.maxSessionsPerWebSocket, o.maxSubscriptionsPerSession, o.maxSessionsPerBrowser, o.multiSessionIntervalMs],
      [DEFAULTS.maxSessionsPerUser, DEFAULTS.maxSessionsPerWebSocket, DEFAULTS.maxSubscriptionsPerSession, DEFAULTS.maxSessionsPerBrowser, DEFAULTS.multiSessionIntervalMs],
    );
  });

  it('reports values out of range with their path', () => {
    const problems = problemsOf({ maxSessionsPerUser: 0, maxSubscriptionsPerSession: 'many' });
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.match(problems[0], /server\.cometd\.maxSessionsPerUser: must be an integer from 1 to 100000/);
    assert.match(problems[1], /server\.cometd\.maxSubscriptionsPerSession: must be an integer from 1 to 100000/);
  });
});
