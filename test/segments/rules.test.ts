// The rule language without a database: validation paths and messages, date
// arithmetic, and the shape of the compiled SQL (values only ever as parameters).
import { PgDialect } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/lib/errors';
import { compileRule, escapeLike } from '../../src/segments/compile';
import { parseRule, ruleIssues, ruleSchema, shiftDate, type Rule } from '../../src/segments/rules';

const dialect = new PgDialect();
const ctx = { dealerId: '00000000-0000-7000-8000-000000000000', today: '2026-03-01', timeZone: 'Asia/Shanghai' };
const render = (rule: unknown) => dialect.sqlToQuery(compileRule(rule as Rule, ctx));

/** The details of the invalid_rule error a rule raises. */
function details(rule: unknown): { path: string; message: string }[] {
  try {
    parseRule(rule);
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    const err = e as AppError;
    expect(err.status).toBe(400);
    expect(err.code).toBe('invalid_rule');
    return err.details as { path: string; message: string }[];
  }
  throw new Error('rule was accepted');
}
const paths = (rule: unknown) => details(rule).map((d) => d.path);

const city = { field: 'city', op: 'eq', value: '福州' };

describe('rule validation', () => {
  it('accepts every op family', () => {
    const ok: unknown[] = [
      city,
      { field: 'kind', op: 'in', value: ['prior_owner', 'corporate'] },
      { field: 'postcode', op: 'starts_with', value: '350' },
      { field: 'company', op: 'contains', value: '运输' },
      { field: 'tier', op: 'is_empty' },
      { field: 'fleet_size', op: 'between', value: [10, 20] },
      { field: 'vehicle.mileage_km', op: 'gte', value: 100000 },
      { field: 'birthday', op: 'month_is', value: 3 },
      { field: 'birthday', op: 'month_is', value: [12, 1] },
      { field: 'birthday', op: 'anniversary_within_next', value: { amount: 7, unit: 'day' } },
      { field: 'vehicle.purchase_date', op: 'more_than_ago', value: { amount: 3, unit: 'year' } },
      { field: 'vehicle.insurance_expiry', op: 'within_next', value: { amount: 60, unit: 'day' } },
      { field: 'join_date', op: 'between', value: ['2025-01-01', '2025-12-31'] },
      { field: 'created_at', op: 'on', value: '2026-03-01' },
      { has: 'postal_address' },
      { consent: 'sms' },
      { not_suppressed: 'email' },
      { reachable: 'mail' },
      { any_vehicle: { and: [{ field: 'vehicle.make', op: 'eq', value: 'BMW' }, { field: 'vehicle.vin', op: 'is_not_empty' }] } },
      { not: { or: [city, { and: [{ consent: 'email' }] }] } },
    ];
    for (const r of ok) expect(ruleIssues(r), JSON.stringify(r)).toEqual([]);
  });

  it('names the exact path of a wrong op and lists the allowed ones', () => {
    const d = details({ and: [city, { field: 'city', op: 'lt', value: 'x' }] });
    expect(d).toEqual([
      {
        path: 'rule.and[1].op',
        message: 'op "lt" is not allowed for text field "city"; allowed ops: eq, neq, in, not_in, starts_with, contains, is_empty, is_not_empty',
      },
    ]);
  });

  it('lists the known fields for an unknown one', () => {
    const [d] = details({ or: [city, { not: { field: 'foo', op: 'eq', value: 1 } }] });
    expect(d!.path).toBe('rule.or[1].not.field');
    expect(d!.message).toMatch(/^unknown field "foo"; known fields: kind, gender, tier, .*vehicle\.mileage_km$/);
  });

  it('says what value is expected', () => {
    expect(details({ field: 'fleet_size', op: 'gt', value: '10' })).toEqual([{ path: 'rule.value', message: 'value must be a number' }]);
    expect(details({ field: 'birthday', op: 'on', value: '2026-02-30' })[0]).toMatchObject({
      path: 'rule.value',
      message: expect.stringContaining('an ISO date "YYYY-MM-DD"'),
    });
    expect(details({ field: 'birthday', op: 'before', value: 20260101 })[0]!.message).toContain('an ISO date');
    expect(details({ field: 'vehicle.purchase_date', op: 'more_than_ago', value: 3 })).toEqual([
      {
        path: 'rule.value',
        message: 'value must be {"amount": n, "unit": "day"|"week"|"month"|"year"} with n a whole number ≥ 0',
      },
    ]);
    expect(paths({ field: 'vehicle.purchase_date', op: 'more_than_ago', value: { amount: 3, unit: 'decade' } })).toEqual(['rule.value.unit']);
    expect(paths({ field: 'vehicle.purchase_date', op: 'within_last', value: { amount: -1, unit: 'day' } })).toEqual(['rule.value.amount']);
    expect(paths({ field: 'birthday', op: 'month_is', value: [3, 13] })).toEqual(['rule.value[1]']);
    expect(paths({ field: 'birthday', op: 'anniversary_within_next', value: { amount: 400, unit: 'day' } })).toEqual(['rule.value']);
    expect(details({ field: 'fleet_size', op: 'between', value: [20, 10] })[0]!.message).toContain('[low, high]');
    expect(details({ field: 'join_date', op: 'between', value: ['2026-01-02', '2026-01-01'] })[0]!.message).toContain('earliest first');
    expect(paths({ field: 'city', op: 'in', value: ['福州', 7, ''] })).toEqual(['rule.value[1]']);
    expect(details({ field: 'city', op: 'in', value: [] })[0]!.message).toContain('an array of 1 to 1000 non-empty strings');
    expect(paths({ field: 'city', op: 'in', value: Array.from({ length: 1001 }, (_, i) => `c${i}`) })).toEqual(['rule.value']);
    expect(details({ field: 'city', op: 'eq' })).toEqual([
      { path: 'rule.value', message: '"eq" needs a value: a non-empty string of at most 500 characters' },
    ]);
    expect(details({ field: 'city', op: 'is_empty', value: 'x' })).toEqual([{ path: 'rule.value', message: '"is_empty" takes no value' }]);
  });

  it('checks enum values, item by item', () => {
    expect(details({ field: 'kind', op: 'eq', value: 'vip' })).toEqual([
      { path: 'rule.value', message: '"vip" is not a valid kind; expected one of prior_owner, corporate, club_member, prospect' },
    ]);
    expect(paths({ field: 'kind', op: 'not_in', value: ['corporate', 'dealer', 'x'] })).toEqual(['rule.value[1]', 'rule.value[2]']);
    expect(details({ field: 'gender', op: 'starts_with', value: 'f' })[0]).toMatchObject({
      path: 'rule.op',
      message: expect.stringContaining('allowed ops: eq, neq, in, not_in, is_empty, is_not_empty'),
    });
  });

  it('rejects malformed structure with paths', () => {
    expect(paths('city = 1')).toEqual(['rule']);
    expect(paths(undefined)).toEqual(['rule']);
    expect(paths({ and: [] })).toEqual(['rule.and']);
    expect(paths({ and: city })).toEqual(['rule.and']);
    expect(paths({ or: Array.from({ length: 51 }, () => city) })).toEqual(['rule.or']);
    expect(paths({ and: [city, null] })).toEqual(['rule.and[1]']);
    expect(details({ andd: [city] })[0]!.message).toContain('unknown rule key "andd"');
    expect(paths({ and: [city], or: [city] })).toEqual(['rule']);
    expect(paths({ field: 'city', op: 'eq', value: 'x', extra: 1 })).toEqual(['rule.extra']);
    expect(paths({ has: 'fax' })).toEqual(['rule.has']);
    expect(paths({ consent: 'pigeon' })).toEqual(['rule.consent']);
    expect(paths({ reachable: 1 })).toEqual(['rule.reachable']);
    expect(paths({ any_vehicle: { field: 'city', op: 'eq', value: 'x' } })).toEqual(['rule.any_vehicle.field']);
    expect(paths({ any_vehicle: { consent: 'sms' } })).toEqual(['rule.any_vehicle.consent']);
    expect(paths({ any_vehicle: { any_vehicle: { field: 'vehicle.make', op: 'eq', value: 'x' } } })).toEqual(['rule.any_vehicle.any_vehicle']);
  });

  it('limits nesting to 10 levels', () => {
    const nest = (n: number): unknown => (n === 1 ? city : { not: nest(n - 1) });
    expect(ruleIssues(nest(10))).toEqual([]);
    expect(details(nest(11))).toEqual([
      { path: 'rule' + '.not'.repeat(10), message: 'rules may nest at most 10 levels deep' },
    ]);
  });

  it('reports several problems at once', () => {
    expect(paths({ and: [{ field: 'nope', op: 'eq', value: 1 }, city, { field: 'fleet_size', op: 'gt' }] })).toEqual([
      'rule.and[0].field',
      'rule.and[2].value',
    ]);
  });

  it('works as a zod schema inside a body schema', async () => {
    const { z } = await import('zod');
    const body = z.object({ rule: ruleSchema });
    const r = body.safeParse({ rule: { and: [city, { field: 'city', op: 'lt', value: 'x' }] } });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path)).toEqual([['rule', 'and', 1, 'op']]);
    expect(body.safeParse({ rule: city }).success).toBe(true);
  });
});

describe('relative dates', () => {
  it('shifts like PostgreSQL, clamping to the month end', () => {
    expect(shiftDate('2026-03-01', -3, 'year')).toBe('2023-03-01');
    expect(shiftDate('2026-03-31', -1, 'month')).toBe('2026-02-28');
    expect(shiftDate('2024-02-29', 1, 'year')).toBe('2025-02-28');
    expect(shiftDate('2026-03-01', 60, 'day')).toBe('2026-04-30');
    expect(shiftDate('2026-12-25', 10, 'day')).toBe('2027-01-04');
    expect(shiftDate('2026-01-05', -2, 'week')).toBe('2025-12-22');
    expect(shiftDate('2026-01-31', 13, 'month')).toBe('2027-02-28');
  });
});

describe('compiled SQL', () => {
  it('binds every user value as a parameter', () => {
    const evil = "'; DROP TABLE contacts; --";
    const q = render({
      or: [
        { field: 'city', op: 'eq', value: evil },
        { field: 'postcode', op: 'starts_with', value: evil },
        { field: 'company', op: 'contains', value: evil },
        { field: 'tier', op: 'not_in', value: [evil] },
        { any_vehicle: { field: 'vehicle.model', op: 'neq', value: evil } },
      ],
    });
    expect(q.sql).not.toContain('DROP');
    expect(q.params).toContain(evil);
    expect(q.params).toContain(escapeLike(evil));
    expect(q.params).toContainEqual([evil]);
  });

  it('uses index-friendly forms', () => {
    expect(render({ field: 'birthday', op: 'month_is', value: [3] }).sql).toBe('(extract(month from "c"."birthday"))::int = ANY($1::int[])');
    const sw = render({ field: 'postcode', op: 'starts_with', value: '35_0%' });
    expect(sw.sql).toBe(`"c"."postcode" LIKE $1::text || '%'`);
    expect(sw.params).toEqual(['35\\_0\\%']);
    // "Some vehicle bought before X" is "the first purchase is before X": one column of the contact.
    const d = render({ field: 'vehicle.purchase_date', op: 'more_than_ago', value: { amount: 3, unit: 'year' } });
    expect(d.sql).toBe('"c"."first_purchase_date" < $1::date');
    expect(d.params).toEqual(['2023-03-01']);
    expect(render({ field: 'vehicle.purchase_date', op: 'after', value: '2024-01-01' }).sql).toBe('"c"."last_purchase_date" > $1::date');
    expect(render({ field: 'vehicle.insurance_expiry', op: 'is_not_empty' }).sql).toBe('"c"."first_insurance_expiry" IS NOT NULL');
    // A window reads the span, and the vehicles only when the span straddles it.
    const w = render({ field: 'vehicle.insurance_expiry', op: 'within_next', value: { amount: 60, unit: 'day' } });
    expect(w.sql).toBe(
      '("c"."first_insurance_expiry" BETWEEN $1::date AND $2::date OR "c"."last_insurance_expiry" BETWEEN $3::date AND $4::date' +
        ' OR CASE WHEN "c"."first_insurance_expiry" < $5::date AND "c"."last_insurance_expiry" > $6::date' +
        ' THEN EXISTS (SELECT 1 FROM vehicles v WHERE v.contact_id = c.id AND v.dealer_id = c.dealer_id' +
        ' AND ("v"."insurance_expiry" BETWEEN $7::date AND $8::date)) ELSE FALSE END)',
    );
    expect(w.params).toEqual(['2026-03-01', '2026-04-30', '2026-03-01', '2026-04-30', '2026-03-01', '2026-04-30', '2026-03-01', '2026-04-30']);
    // Tests that are not an interval (a month, an empty date) and other vehicle fields ask the vehicles.
    expect(render({ field: 'vehicle.purchase_date', op: 'month_is', value: 5 }).sql).toMatch(/^EXISTS \(SELECT 1 FROM vehicles v /);
    expect(render({ field: 'vehicle.insurance_expiry', op: 'is_empty' }).sql).toMatch(/^EXISTS \(SELECT 1 FROM vehicles v /);
    expect(render({ field: 'vehicle.last_service_date', op: 'before', value: '2024-01-01' }).sql).toMatch(/^EXISTS \(SELECT 1 FROM vehicles v /);
    // Inside any_vehicle every condition is on one vehicle row.
    expect(render({ any_vehicle: { field: 'vehicle.purchase_date', op: 'before', value: '2020-01-01' } }).sql).toBe(
      'EXISTS (SELECT 1 FROM vehicles v WHERE v.contact_id = c.id AND v.dealer_id = c.dealer_id AND ("v"."purchase_date" < $1::date))',
    );
    // Suppression is the contact's flag for the channel.
    expect(render({ not_suppressed: 'sms' }).sql).toBe('NOT "c"."sms_suppressed"');
  });

  it('never reads the database clock', () => {
    const q = render({
      and: [
        { field: 'created_at', op: 'within_last', value: { amount: 1, unit: 'week' } },
        { field: 'birthday', op: 'anniversary_within_next', value: { amount: 30, unit: 'day' } },
        { field: 'vehicle.insurance_expiry', op: 'within_next', value: { amount: 2, unit: 'month' } },
      ],
    });
    expect(q.sql.toLowerCase()).not.toMatch(/now\(\)|current_date|current_timestamp|localtimestamp/);
    expect(q.params).toEqual(expect.arrayContaining(['2026-02-22', '2026-03-01', '2026-05-01', 'Asia/Shanghai']));
  });

  it('refuses an invalid rule even when called directly', () => {
    expect(() => render({ field: 'city; DROP TABLE contacts', op: 'eq', value: 'x' })).toThrow(AppError);
  });
});
