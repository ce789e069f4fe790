// The compiled SQL must be able to use the indexes the schema ships, so counts
// stay fast at a million contacts: load a few thousand contacts, read the plans.
import { sql, type SQL } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db';
import { compileRule } from '../../src/segments/compile';
import type { Rule } from '../../src/segments/rules';
import { createTestApp, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';
import { refreshDerived } from '../helpers/derived';

describe.each(DB_KINDS)('segment query plans on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
    const db = t.deps.db.orm;
    const N = 6000;
    await db.execute(sql`
      INSERT INTO contacts (id, dealer_id, kind, full_name, gender, birthday, phone_e164, email, country, province, city, district,
                            street, postcode, sms_consent, sms_consent_source, sms_consent_at, attributes, name_key, household_key,
                            source_import_id, created_at, updated_at)
      SELECT gen_random_uuid(), ${t.dealerId}::uuid, CASE WHEN i % 5 = 0 THEN 'club_member' ELSE 'prior_owner' END,
             '客户' || i, 'female', DATE '1970-01-01' + (i * 37 % 18000), '+86138' || lpad(i::text, 8, '0'),
             'user' || i || '@example.cn', 'CN', '福建省', '福州市', '鼓楼区', '五一北路' || i || '号' || (i % 30) || '栋' || (i % 9) || '0' || (i % 4) || '室',
             lpad((i % 9000 + 100000)::text, 6, '0'), CASE WHEN i % 4 = 0 THEN NULL ELSE 'granted' END, 'import:x', now(),
             jsonb_build_object('来源', '展厅', '销售顾问', '王' || (i % 50)), '客户' || i, md5(i::text), gen_random_uuid(), now(), now()
      FROM generate_series(1, ${N}::int) AS i`);
    // 2% of the phones suppressed for SMS.
    await db.execute(sql`
      INSERT INTO suppressions (id, dealer_id, channel, target, value, reason, source, created_at)
      SELECT gen_random_uuid(), dealer_id, 'sms', 'phone', phone_e164, 'unsubscribed', 'test', now()
      FROM contacts WHERE dealer_id = ${t.dealerId}::uuid AND right(phone_e164, 2) = '00'`);
    await db.execute(sql`
      INSERT INTO vehicles (id, dealer_id, contact_id, vehicle_key, purchase_date, insurance_expiry, created_at, updated_at)
      SELECT gen_random_uuid(), c.dealer_id, c.id, c.id::text, DATE '2015-01-01' + (row_number() over () * 3 % 4000)::int,
             DATE '2025-01-01' + (row_number() over () * 7 % 1000)::int, now(), now()
      FROM contacts c WHERE c.dealer_id = ${t.dealerId}::uuid`);
    await refreshDerived(db, t.dealerId);
    // VACUUM sets the visibility map, without which no plan is index-only.
    await db.execute(sql`VACUUM ANALYZE contacts`);
    await db.execute(sql`VACUUM ANALYZE vehicles`);
  });
  afterAll(() => t?.close());

  async function plan(rule: Rule): Promise<string> {
    const where = compileRule(rule, { dealerId: t.dealerId, today: '2026-03-01', timeZone: 'Asia/Shanghai' });
    const q: SQL = sql`EXPLAIN SELECT count(*) FROM contacts c WHERE c.dealer_id = ${t.dealerId}::uuid AND (${where})`;
    return t.deps.db.orm.transaction(async (tx) => {
      // Small tables tempt the planner into sequential scans; the question is whether an index *can* serve.
      await tx.execute(sql`SET LOCAL enable_seqscan = off`);
      await tx.execute(sql`SET LOCAL enable_bitmapscan = off`);
      const r = await rows<Record<string, string>>(tx, q);
      return r.map((x) => Object.values(x)[0]).join('\n');
    });
  }

  it('birthday month compiles to one month test, read from contacts_dealer_id_idx', async () => {
    const p = await plan({ field: 'birthday', op: 'month_is', value: [3] });
    expect(p).toMatch(/\(EXTRACT\(month FROM birthday\)\)::integer\)? = ANY/i);
    expect(p).toContain('Index Only Scan using contacts_dealer_id_idx');
  });

  it('prior owners who bought long ago, reachable by SMS: one range of contacts_sms_audience_idx, no vehicles, no suppressions', async () => {
    const p = await plan({
      and: [
        { field: 'kind', op: 'eq', value: 'prior_owner' },
        { field: 'vehicle.purchase_date', op: 'more_than_ago', value: { amount: 3, unit: 'year' } },
        { reachable: 'sms' },
      ],
    });
    expect(p).toContain('Index Only Scan using contacts_sms_audience_idx');
    // Everything is in the index condition or its predicate: nothing left to filter.
    expect(p).toMatch(/Index Cond: .*kind = 'prior_owner'.*first_purchase_date < /);
    expect(p).not.toContain('Filter');
    expect(p).not.toMatch(/vehicles|suppressions/);
  });

  it('birthday month or insurance due: one pass over contacts_dealer_id_idx, vehicles only in the straddling case', async () => {
    const p = await plan({
      or: [
        { and: [{ field: 'birthday', op: 'month_is', value: 3 }, { not_suppressed: 'sms' }] },
        { field: 'vehicle.insurance_expiry', op: 'within_next', value: { amount: 60, unit: 'day' } },
      ],
    });
    expect(p).toContain('Index Only Scan using contacts_dealer_id_idx');
    expect(p).toMatch(/CASE WHEN \(\(first_insurance_expiry < .*\) AND \(last_insurance_expiry > .*\)\) THEN .*SubPlan/);
    expect(p).not.toContain('suppressions');
  });

  it('a postcode prefix is an index range', async () => {
    const p = await plan({ field: 'postcode', op: 'starts_with', value: '1050' });
    expect(p).toContain('contacts_postcode_idx');
    expect(p).toMatch(/~>=~/);
  });

  it('a vehicle date with no span on the contact is asked of the vehicles, through an index', async () => {
    const p = await plan({ field: 'vehicle.last_service_date', op: 'within_last', value: { amount: 30, unit: 'day' } });
    expect(p).toMatch(/Index (Only )?Scan using vehicles_\w+ on vehicles v/);
  });
});
