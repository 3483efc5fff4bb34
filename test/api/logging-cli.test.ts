/**
 * The command line: `--version` prints the package version and exits 0; `--log-format pretty`
 * (and SWITCHBOARD_LOG_FORMAT=pretty) turns the JSON records into readable lines; a bad format is
 * refused as a configuration problem (exit 1).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ExampleProcess, ROOT } from '../examples/example-process.js';

const VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
const SERVER_ENV = { PORT: '0', SWITCHBOARD_DB: ':memory:', SWITCHBOARD_SIP_PORT: '0', SWITCHBOARD_LOG_LEVEL: 'info' };

test('--version prints the version and exits 0', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--version'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `switchboard ${VERSION}\n`);
});

test('--log-format pretty writes readable lines; an unknown format is a configuration problem', async () => {
  const server = new ExampleProcess('src/cli/main.ts', { ...SERVER_ENV, NODE_OPTIONS: '--import tsx' }, ['--log-format', 'pretty']);
  try {
    const line = await server.waitFor(/^\d\d:\d\d:\d\d\.\d{3} INFO  Server listening at http:\/\/127\.0\.0\.1:\d+$/, 'a pretty log line', 30_000);
    assert.ok(!line.startsWith('{'));
    // the signal handlers exist once the banner is out
    await server.waitFor(/^Switchboard \S+ listening on /, 'the banner', 30_000);
  } finally {
    assert.equal(await server.stop(), 0);
  }
  const bad = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...SERVER_ENV, SWITCHBOARD_LOG_FORMAT: 'fancy' } });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /env SWITCHBOARD_LOG_FORMAT: must be one of json, pretty/);
});
