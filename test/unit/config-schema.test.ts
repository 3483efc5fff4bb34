/**
 * config/schema.json: generated from the configuration checker and up to date; a real JSON Schema
 * validator (Ajv, draft 2020-12) accepts the sample configuration and refuses what loadConfig
 * refuses (unknown keys, wrong types, out-of-range integers, values outside an enum), and the
 * sample's "$schema" pointer is accepted by the loader.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Ajv2020 from 'ajv/dist/2020.js';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { configSchema, configSchemaText } from '../../src/config/schema.js';

const ROOT = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', '..');
const SAMPLE = JSON.parse(readFileSync(join(ROOT, 'config', 'sample.json'), 'utf8'));

test('config/schema.json is what the generator writes now (npm run config-schema)', () => {
  assert.equal(readFileSync(join(ROOT, 'config', 'schema.json'), 'utf8'), configSchemaText(), 'config/schema.json is out of date: run npm run config-schema');
});

test('the schema accepts the sample and refuses what the loader refuses', () => {
  const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({ allErrors: true, strict: false });
  const validate = ajv.compile(configSchema());
  assert.equal(validate(SAMPLE), true, JSON.stringify(validate.errors));
  const folder = mkdtempSync(join(tmpdir(), 'switchboard-schema-'));
  try {
    const bad = [
      { server: { port: 'eighty' } },
      { server: { port: 70000 } },
      { server: { hots: '127.0.0.1' } },
      { server: { logFormat: 'fancy' } },
      { server: { cometd: { timeoutMs: 0 } } },
      { contactCenters: [{ name: 'X', users: [{ userName: 'a', password: 'p', roles: ['ROLE_AGENT'], nickname: 'n' }] }] },
      { contactCenters: [{ users: [] }] },
    ];
    for (const [index, file] of bad.entries()) {
      assert.equal(validate(file), false, `the schema accepts bad file ${index}: ${JSON.stringify(file)}`);
      const path = join(folder, `bad-${index}.json`);
      writeFileSync(path, JSON.stringify(file));
      assert.throws(() => loadConfig({ argv: ['--config', path] }), ConfigError, `the loader accepts bad file ${index}`);
    }
    const withComments = { '//': 'a comment', server: { '//': 'another', port: 8081 } };
    assert.equal(validate(withComments), true, JSON.stringify(validate.errors));
    const path = join(folder, 'good.json');
    writeFileSync(path, JSON.stringify({ $schema: './schema.json', ...withComments }));
    assert.equal(loadConfig({ argv: ['--config', path] }).port, 8081);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});
