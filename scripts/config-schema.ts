/**
 * `npm run config-schema`: writes config/schema.json, the JSON Schema of the configuration file,
 * generated from the configuration checker (src/config/schema.ts). `--check` writes nothing and
 * exits 1 when the file is missing or out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configSchemaText } from '../src/config/schema.js';

const file = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', 'config', 'schema.json');
const text = configSchemaText();
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    // missing: out of date
  }
  if (current !== text) {
    console.error('config/schema.json is out of date: run npm run config-schema');
    process.exit(1);
  }
} else {
  writeFileSync(file, text);
  console.log(`wrote ${file}`);
}
