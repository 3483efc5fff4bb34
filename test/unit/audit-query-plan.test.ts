/**
 * The audit query stays cheap however large the log grows (issue 7, point 2): 200 000 rows are
 * inserted in one transaction straight into the store's audit table, then, for every combination
 * of filters, the query plans (EXPLAIN QUERY PLAN, not timings) must search an index that starts
 * with the contact center, never scan the table, and walk in time order (no sort of every match:
 * a sort appears only over the bounded merge of the agent filter's two walks; with a callUuid the
 * call's few rows are filtered). The answers are
 * compared with a reference computed from the inserted rows, and the count stops at AUDIT_WINDOW.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { AUDIT_WINDOW } from '../../src/store/port.js';
import type { AuditEntry, AuditFilter } from '../../src/store/port.js';
import { migrate } from '../../src/store/schema.js';
import { SqliteAuditLog } from '../../src/store/sqlite-audit.js';

const ROWS = 200_000;
const CC = 'cc-plan';
const T0 = 1_700_000_000_000;

function rowOf(i: number): AuditEntry {
  const entry: AuditEntry = {
    at: T0 + Math.floor(i / 2) * 1000, // two rows per instant: (at, id) decides the order
    contactCenterId: i % 50 === 49 ? 'cc-other' : CC,
    event: 'Joined',
    supervisorUserId: `sup${i % 10}`,
    supervisorDn: `51${i % 10}`,
    targetDn: `50${i % 40}`,
    mode: 'ListenIn',
    scope: 'Call',
    span: 'AllCalls',
    callUuid: `call-${Math.floor(i / 4)}`,
  };
  if (i % 3 === 0) {
    entry.agentUserId = `agent${i % 7}`; // routing-point monitoring: the agent on the call
    entry.agentDn = `50${i % 7}`;
  } else {
    entry.targetUserId = `agent${i % 40}`;
  }
  return entry;
}

/** the filter, applied in plain code to the inserted rows (ids are 1-based insertion order) */
function reference(rows: AuditEntry[], f: AuditFilter): { total: number; ids: number[] } {
  const hits = rows.filter(
    (e) =>
      e.contactCenterId === f.contactCenterId &&
      (f.supervisorUserId === undefined || e.supervisorUserId === f.supervisorUserId) &&
      (f.agentUserId === undefined || e.targetUserId === f.agentUserId || e.agentUserId === f.agentUserId) &&
      (f.callUuid === undefined || e.callUuid === f.callUuid) &&
      (f.from === undefined || e.at >= f.from) &&
      (f.to === undefined || e.at <= f.to),
  );
  const reachable = hits.slice(0, AUDIT_WINDOW);
  return { total: reachable.length, ids: reachable.slice(f.offset, f.offset + f.limit).map((e) => e.id!) };
}

const OPTIONAL = {
  supervisorUserId: 'sup3',
  agentUserId: 'agent3',
  callUuid: 'call-4443',
  from: T0 + 20_000 * 1000,
  to: T0 + 60_000 * 1000,
} as const;
type Optional = keyof typeof OPTIONAL;
const KEYS = Object.keys(OPTIONAL) as Optional[];

/** every subset of the optional filters */
const SHAPES: Optional[][] = Array.from({ length: 1 << KEYS.length }, (_, mask) => KEYS.filter((_k, bit) => mask & (1 << bit)));

/** the index a shape must walk, written out independently of the store's own table */
function expectedIndexes(shape: Optional[]): string[] {
  if (shape.includes('callUuid')) return ['audit_call'];
  const sup = shape.includes('supervisorUserId');
  if (shape.includes('agentUserId')) return sup ? ['audit_supervisor_target', 'audit_supervisor_agent'] : ['audit_target', 'audit_agent'];
  return [sup ? 'audit_supervisor' : 'audit_cc_at'];
}

describe('audit queries over 200 000 rows', () => {
  const db = new Database(':memory:');
  let log: SqliteAuditLog;
  const rows: AuditEntry[] = [];

  before(() => {
    migrate(db);
    log = new SqliteAuditLog(db);
    db.transaction(() => {
      for (let i = 0; i < ROWS; i++) {
        const entry = rowOf(i);
        entry.id = log.append(entry);
        rows.push(entry);
      }
    })();
  });

  for (const shape of SHAPES) {
    const filter: AuditFilter = { contactCenterId: CC, offset: 0, limit: 100 };
    for (const k of shape) (filter as unknown as Record<string, unknown>)[k] = OPTIONAL[k];
    const name = shape.join(' + ') || 'no filter';

    it(`${name}: searches ${expectedIndexes(shape).join(' and ')} in time order, never the whole table`, () => {
      const plans = log.explain(filter);
      for (const [statement, plan] of Object.entries(plans)) {
        const where = `${statement} plan of ${name}:\n  ${plan.join('\n  ')}`;
        assert.ok(!plan.some((l) => /^SCAN audit\b/.test(l)), `a table scan in the ${where}`);
        const searches = plan.filter((l) => /^SEARCH audit USING (COVERING )?INDEX /.test(l));
        assert.deepEqual(searches.map((l) => /INDEX (\w+)/.exec(l)![1]), expectedIndexes(shape), where);
        for (const l of searches) assert.match(l, /\(contact_center_id=\?/, where);
        const merged = shape.includes('agentUserId') && !shape.includes('callUuid');
        if (!merged) {
          assert.ok(!plan.some((l) => l.includes('TEMP B-TREE')), `a sort of every match in the ${where}`);
        } else {
          // each walk is a LIMITed co-routine in (at, id) order; only their bounded outputs are sorted
          for (const l of searches) assert.match(plan[plan.indexOf(l) - 1], /^CO-ROUTINE/, where);
        }
      }
    });
  }

  it("one supervisor's newest entries (the start-up check): a backward walk of audit_supervisor, page after page", () => {
    const plan = log.explainRecent();
    const where = `plan:\n  ${plan.join('\n  ')}`;
    assert.ok(!plan.some((l) => /^SCAN audit\b/.test(l) || l.includes('TEMP B-TREE')), `a scan or a sort in the ${where}`);
    const searches = plan.filter((l) => /^SEARCH audit/.test(l));
    assert.equal(searches.length, 1, where);
    assert.match(searches[0], /USING INDEX audit_supervisor \(contact_center_id=\? AND supervisor_user_id=\? AND at<\?\)/, where);
    const want = rows.filter((e) => e.contactCenterId === CC && e.supervisorUserId === 'sup3').reverse().map((e) => e.id);
    const got: number[] = [];
    let page = log.recentOfSupervisor(CC, 'sup3', 5000);
    while (page.length > 0) {
      got.push(...page.map((e) => e.id!));
      const last = page[page.length - 1];
      page = log.recentOfSupervisor(CC, 'sup3', 5000, { at: last.at, id: last.id! });
    }
    assert.deepEqual(got, want);
  });

  it('answers as the reference does, pages included, and counts at most AUDIT_WINDOW', () => {
    const cases: AuditFilter[] = [
      { contactCenterId: CC, offset: 0, limit: 100 },
      { contactCenterId: CC, offset: AUDIT_WINDOW - 50, limit: 100 },
      { contactCenterId: CC, offset: AUDIT_WINDOW, limit: 100 },
      { contactCenterId: CC, agentUserId: 'agent3', offset: 137, limit: 250 },
      { contactCenterId: CC, agentUserId: 'agent3', supervisorUserId: 'sup3', offset: 5, limit: 1000 },
      { contactCenterId: CC, agentUserId: 'agent5', from: T0 + 90_000_000, offset: 0, limit: 1000 },
      { contactCenterId: CC, supervisorUserId: 'sup4', from: T0 + 50_000_000, to: T0 + 52_000_000, offset: 10, limit: 1000 },
      { contactCenterId: CC, callUuid: 'call-4443', offset: 0, limit: 10 },
      { contactCenterId: CC, callUuid: 'call-4443', agentUserId: 'agent3', offset: 0, limit: 10 },
      { contactCenterId: 'cc-other', offset: 0, limit: 10 },
      { contactCenterId: 'cc-none', offset: 0, limit: 10 },
    ];
    for (const f of cases) {
      const got = log.query(f);
      const want = reference(rows, f);
      assert.deepEqual({ total: got.total, ids: got.entries.map((e) => e.id) }, want, JSON.stringify(f));
    }
    assert.equal(log.query({ contactCenterId: CC, offset: 0, limit: 1 }).total, AUDIT_WINDOW, 'the count stops at the window');
  });
});
