/**
 * Golden files: compare generated text with test/golden/<name>; UPDATE_GOLDEN=1 rewrites them
 * (review the diff before committing). A missing golden file fails, so nothing is accepted silently.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', 'golden');

export function assertGolden(name: string, actual: string): void {
  const file = join(ROOT, name);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  assert.ok(existsSync(file), `golden file ${file} is missing: run with UPDATE_GOLDEN=1 and review it`);
  assert.equal(actual, readFileSync(file, 'utf8'), `output differs from ${file} (UPDATE_GOLDEN=1 rewrites it; review the diff)`);
}
