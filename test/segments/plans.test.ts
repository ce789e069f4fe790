// The compiled SQL must be able to use the indexes the schema ships, so counts
// stay fast at a million contacts: load a few thousand contacts, read the plans.
import { sql, type SQL } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db';
import { compileRule } from '../../src/segments/compile';
import type { Rule } from '../../src/segments/rules';
import { createTestApp, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';

describe.each(DB_KINDS)('segment query plans on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
    const db = t.deps.db.orm;
    const N = 6000;
    await db.execute(sql`
      INSERT INTO contacts (id, dealer_id, kind, birthday, postcode, created_at, updated_at)
      SELECT gen_random_uuid(), ${t.dealerId}::uuid, 'prior_owner',
             DATE '1970-01-01' + (i * 37 % 18000), lpad((i % 9000 + 100000)::text, 6, '0'), now(), now()
      FROM generate_series(1, ${N}::int) AS i`);
    await db.execute(sql`
      INSERT INTO vehicles (id, dealer_id, contact_id, vehicle_key, purchase_date, insurance_expiry, created_at, updated_at)
      SELECT gen_random_uuid(), c.dealer_id, c.id, c.id::text, DATE '2015-01-01' + (row_number() over () * 3 % 4000)::int,
             DATE '2025-01-01' + (row_number() over () * 7 % 1000)::int, now(), now()
      FROM contacts c WHERE c.dealer_id = ${t.dealerId}::uuid`);
    await db.execute(sql`ANALYZE contacts`);
    await db.execute(sql`ANALYZE vehicles`);
  });
  afterAll(() => t?.close());

  async function plan(rule: Rule): Promise<string> {
    const where = compileRule(rule, { dealerId: t.dealerId, today: '2026-03-01', timeZone: 'Asia/Shanghai' });
    const q: SQL = sql`EXPLAIN SELECT count(*) FROM contacts c WHERE c.dealer_id = ${t.dealerId}::uuid AND (${where})`;
    return t.deps.db.orm.transaction(async (tx) => {
      // Small tables tempt the planner into sequential scans; the question is whether an index *can* serve.
      await tx.execute(sql`SET LOCAL enable_seqscan = off`);
      const r = await rows<Record<string, string>>(tx, q);
      return r.map((x) => Object.values(x)[0]).join('\n');
    });
  }

  it('birthday month compiles to one month test (the shape an expression index would serve)', async () => {
    const p = await plan({ field: 'birthday', op: 'month_is', value: [3] });
    expect(p).toMatch(/EXTRACT\(month FROM birthday\) = ANY/i);
  });

  it('a postcode prefix is an index range', async () => {
    const p = await plan({ field: 'postcode', op: 'starts_with', value: '1050' });
    expect(p).toContain('contacts_postcode_idx');
    expect(p).toMatch(/~>=~/);
  });

  it('a vehicle date window searches the vehicle index', async () => {
    const p = await plan({ field: 'vehicle.insurance_expiry', op: 'within_next', value: { amount: 30, unit: 'day' } });
    expect(p).toContain('vehicles_contact_idx');
  });
});
