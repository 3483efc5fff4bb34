/**
 * The audit's cost guarantee on PostgreSQL (the SQLite twin is test/unit/audit-query-plan.test.ts):
 * with 200,000 rows (made by generate_series, then ANALYZE), every combination of filters is
 * answered through an index of the audit table, never a sequential scan of it (EXPLAIN, not
 * timings); PostgreSQL takes no index hints, so this checks that its planner picks the indexes the
 * SQL was written for. The answers equal a plain-code reference over a sample of the same rows.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import type { AuditFilter } from '../../src/store/port.js';
import { POSTGRES } from '../../src/store/sql/dialect.js';
import { auditQueryParams, auditQuerySql, auditRecentOfSupervisorSql, auditRecentParams } from '../../src/store/sql/audit.js';
import { bind, compile } from '../../src/store/sql/dialect.js';
import { PostgresStore } from '../../src/store/postgres.js';
import { FingerprintKey } from '../../src/provisioning/fingerprint.js';
import { startPostgres, type PostgresServer } from '../helpers/postgres.js';

const ROWS = 200_000;
const CC = 'cc-plan';
const T0 = 1_700_000_000_000;
const OPTIONAL = { supervisorUserId: 'sup3', agentUserId: 'agent3', callUuid: 'call-4443', from: T0 + 20_000_000, to: T0 + 60_000_000 } as const;
type Optional = keyof typeof OPTIONAL;
const KEYS = Object.keys(OPTIONAL) as Optional[];
const SHAPES: Optional[][] = Array.from({ length: 1 << KEYS.length }, (_, mask) => KEYS.filter((_k, bit) => mask & (1 << bit)));

let server: PostgresServer;
let client: pg.Client;
let store: PostgresStore;

before(async () => {
  server = await startPostgres();
  const url = await server.createDatabase();
  store = new PostgresStore(url, { fingerprintKey: FingerprintKey.ephemeral() });
  await store.ready;
  client = new pg.Client({ connectionString: url });
  await client.connect();
  // the rows of the SQLite plan test: two per instant, every 50th of another contact center,
  // a third with the agent on the call instead of a target
  await client.query(`
    INSERT INTO audit (at, contact_center_id, event, supervisor_user_id, supervisor_dn, target_user_id, target_dn,
                       agent_user_id, agent_dn, call_uuid, mode, scope, span)
    SELECT ${T0} + (i / 2) * 1000, CASE WHEN i % 50 = 49 THEN 'cc-other' ELSE '${CC}' END, 'Joined',
           'sup' || (i % 10), '51' || (i % 10),
           CASE WHEN i % 3 = 0 THEN NULL ELSE 'agent' || (i % 40) END, '50' || (i % 40),
           CASE WHEN i % 3 = 0 THEN 'agent' || (i % 7) END, CASE WHEN i % 3 = 0 THEN '50' || (i % 7) END,
           'call-' || (i / 4), 'ListenIn', 'Call', 'AllCalls'
    FROM generate_series(0, ${ROWS - 1}) AS i`);
  await client.query('ANALYZE audit');
});
after(async () => {
  await client?.end();
  await store?.close();
  await server?.stop();
});

describe('audit queries over 200 000 rows on PostgreSQL', () => {
  for (const shape of SHAPES) {
    const filter: AuditFilter = { contactCenterId: CC, offset: 0, limit: 100 };
    for (const k of shape) (filter as unknown as Record<string, unknown>)[k] = OPTIONAL[k];
    const name = shape.join(' + ') || 'no filter';
    it(`${name}: an index of audit, never a sequential scan`, async () => {
      const sql = auditQuerySql(POSTGRES, filter);
      const { params } = auditQueryParams(filter);
      for (const [statement, text] of Object.entries(sql)) {
        const c = compile(POSTGRES, text);
        const plan = (await client.query(`EXPLAIN ${c.text}`, bind(c, params))).rows.map((r) => r['QUERY PLAN'] as string);
        const where = `${statement} plan of ${name}:\n  ${plan.join('\n  ')}`;
        assert.ok(!plan.some((l) => /Seq Scan on audit/.test(l)), `a sequential scan in the ${where}`);
        assert.ok(plan.some((l) => /Index (Only )?Scan( Backward)? using audit_\w+ on audit|Bitmap Index Scan on audit_/.test(l)), `no audit index in the ${where}`);
      }
    });
  }

  it("one supervisor's newest entries (the start-up check): a backward index scan, and the pages join up", async () => {
    const c = compile(POSTGRES, auditRecentOfSupervisorSql(POSTGRES));
    const first = await store.recentOfSupervisor(CC, 'sup3', 300);
    const last = first[first.length - 1];
    const plan = (await client.query(`EXPLAIN ${c.text}`, bind(c, auditRecentParams(CC, 'sup3', 300, { at: last.at, id: last.id! })))).rows.map((r) => r['QUERY PLAN'] as string);
    const where = `plan:\n  ${plan.join('\n  ')}`;
    assert.ok(!plan.some((l) => /Seq Scan on audit|Sort/.test(l)), `a sequential scan or a sort in the ${where}`);
    assert.ok(plan.some((l) => /Index Scan Backward using audit_supervisor on audit/.test(l)), where);
    const second = await store.recentOfSupervisor(CC, 'sup3', 300, { at: last.at, id: last.id! });
    const want = await client.query(`SELECT id FROM audit WHERE contact_center_id = $1 AND supervisor_user_id = 'sup3' ORDER BY at DESC, id DESC LIMIT 600`, [CC]);
    assert.deepEqual([...first, ...second].map((e) => e.id), want.rows.map((r) => Number(r.id)));
  });

  it('answers as a plain filter of the same rows does', async () => {
    const got = await store.query({ contactCenterId: CC, agentUserId: 'agent3', supervisorUserId: 'sup3', offset: 5, limit: 50 });
    const want = await client.query(
      `SELECT id FROM audit WHERE contact_center_id = $1 AND supervisor_user_id = 'sup3' AND (target_user_id = 'agent3' OR agent_user_id = 'agent3')
       ORDER BY at, id LIMIT 50 OFFSET 5`,
      [CC],
    );
    assert.deepEqual(got.entries.map((e) => e.id), want.rows.map((r) => Number(r.id)));
    assert.equal((await store.query({ contactCenterId: CC, offset: 0, limit: 1 })).total, 10_000, 'the count stops at the window');
  });
});
