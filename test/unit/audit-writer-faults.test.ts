/**
 * The audit writer under storage faults (issue 7, point 8): with the disk full, entries of
 * acknowledged supervision actions are held in order, not lost; the fault is logged once (not
 * per entry) and reported by fault()/available(); when the store takes writes again every held
 * entry is written, in order, and recovery is logged once. Also: the bound of the queue, an
 * invalid entry that can never be written, and what close() does with entries still held.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { AuditWriter } from '../../src/app/audit-writer.js';
import { Directory } from '../../src/gws/directory.js';
import { openStore } from '../../src/store/sqlite.js';
import type { MonitorEvent } from '../../src/switch/model.js';
import { FaultyStore, sqliteError } from '../helpers/faulty-store.js';
import { waitFor } from '../helpers/wait.js';

interface Line {
  level: 'error' | 'warn';
  o: object;
  msg?: string;
}

function recorder(): { lines: Line[]; log: { error(o: object, m?: string): void; warn(o: object, m?: string): void } } {
  const lines: Line[] = [];
  return { lines, log: { error: (o, msg) => lines.push({ level: 'error', o, msg }), warn: (o, msg) => lines.push({ level: 'warn', o, msg }) } };
}

function monitorEvent(i: number): MonitorEvent {
  return { kind: 'monitor', event: 'Armed', contactCenterId: 'cc', supervisorDn: '5101', targetDn: '5001', mode: 'ListenIn', scope: 'Call', span: 'AllCalls', at: 1000 + i, callUuid: `call-${i}` };
}

async function stored(faulty: FaultyStore): Promise<string[]> {
  const r = await faulty.inner.query({ contactCenterId: 'cc', offset: 0, limit: 1000 });
  return r.entries.map((e) => e.callUuid!);
}

test('disk full: 60 acknowledged entries are held, the fault is logged once, all 60 are written in order on recovery', async () => {
  const faulty = new FaultyStore(openStore(':memory:'));
  const { lines, log } = recorder();
  const writer = new AuditWriter(faulty.store, new Directory(), log, { retryMs: 5 });
  try {
    assert.equal(writer.fault(), undefined);
    faulty.full = true;
    for (let i = 0; i < 60; i++) writer.onEvent(monitorEvent(i));
    await waitFor(() => faulty.refused >= 3, { on: faulty, what: 'three refused attempts (first try and two retries)' });
    assert.equal(writer.available(), false);
    assert.match(writer.fault()!, /disk holding the database is full \(SQLITE_FULL\); 60 entries held in memory/);
    assert.equal(lines.length, 1, `one log line for the fault, not one per entry or retry: ${JSON.stringify(lines)}`);
    assert.equal(lines[0].level, 'error');
    assert.match(lines[0].msg!, /supervision is refused/);
    await writer.drain(); // does not wait for a store that refuses writes

    faulty.full = false;
    await waitFor(() => writer.held === 0, { on: faulty, what: 'every held entry written' });
    assert.deepEqual(await stored(faulty), Array.from({ length: 60 }, (_, i) => `call-${i}`));
    assert.equal(writer.available(), true);
    assert.equal(lines.length, 2);
    assert.equal(lines[1].level, 'warn');
    assert.match(lines[1].msg!, /writable again/);
  } finally {
    await writer.close();
    await faulty.inner.close();
  }
});

test('the queue is bounded: past maxPending new entries are dropped, counted and logged once; the fault says so', async () => {
  const faulty = new FaultyStore(openStore(':memory:'));
  const { lines, log } = recorder();
  const writer = new AuditWriter(faulty.store, new Directory(), log, { retryMs: 60_000, maxPending: 5 });
  try {
    faulty.full = true;
    for (let i = 0; i < 8; i++) writer.onEvent(monitorEvent(i));
    await waitFor(() => faulty.refused >= 1, { on: faulty, what: 'a refused attempt' });
    assert.equal(writer.held, 5);
    assert.match(writer.fault()!, /5 entries held in memory, 3 lost/);
    assert.equal(lines.filter((l) => /queue full/.test(l.msg ?? '')).length, 1);
  } finally {
    faulty.full = false;
    await writer.close();
    assert.deepEqual(await stored(faulty), ['call-0', 'call-1', 'call-2', 'call-3', 'call-4'], 'close() writes what it can');
    await faulty.inner.close();
  }
});

test('an entry the store rejects as invalid is logged and dropped; the next ones are written; no fault', async () => {
  const inner = openStore(':memory:');
  let first = true;
  const store = {
    append: async (e: Parameters<typeof inner.append>[0]) => {
      if (first) {
        first = false;
        throw sqliteError('SQLITE_CONSTRAINT_NOTNULL', 'NOT NULL constraint failed');
      }
      return inner.append(e);
    },
    query: inner.query.bind(inner),
  };
  const { lines, log } = recorder();
  const writer = new AuditWriter(store, new Directory(), log, { retryMs: 5 });
  writer.onEvent(monitorEvent(1));
  writer.onEvent(monitorEvent(2));
  await writer.drain();
  assert.equal(writer.fault(), undefined);
  assert.deepEqual((await inner.query({ contactCenterId: 'cc', offset: 0, limit: 10 })).entries.map((e) => e.callUuid), ['call-2']);
  assert.equal(lines.length, 1);
  assert.match(lines[0].msg!, /invalid; dropped/);
  await writer.close();
  await inner.close();
});

test('close() while the disk is still full logs the held entries in full (the only copy left)', async () => {
  const faulty = new FaultyStore(openStore(':memory:'));
  const { lines, log } = recorder();
  const writer = new AuditWriter(faulty.store, new Directory(), log, { retryMs: 60_000 });
  faulty.full = true;
  writer.onEvent(monitorEvent(7));
  await waitFor(() => faulty.refused >= 1, { on: faulty, what: 'a refused attempt' });
  await writer.close();
  const last = lines[lines.length - 1];
  assert.match(last.msg!, /1 supervision audit entries could not be written before shutdown/);
  assert.equal((last.o as { entries: { callUuid: string }[] }).entries[0].callUuid, 'call-7');
  await faulty.inner.close();
});
