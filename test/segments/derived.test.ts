// Segment members computed from the contacts' derived columns (vehicle date
// spans, per-channel suppressed flags) are exactly the members of the rule as
// written over the source rows: "some vehicle of the contact, of the same
// dealer, has a date that …" and "no suppression of the dealer on the channel
// or 'all' names the contact's id, phone, email or household".
//
// A seeded, generated list (several vehicles per contact, spans that straddle
// the windows, dates on the windows' edges, missing dates, another dealer's
// rows pointing at ours, shared households) and a few hundred generated rules.
// The expected members come from reference SQL over vehicles and suppressions,
// written here, combined with and / or / not as sets.
import { sql, type SQL } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, type Tx } from '../../src/db';
import { liftSuppression, suppress, type SuppressionChannel, type SuppressionTarget } from '../../src/contacts/suppression';
import { contacts, vehicles } from '../../src/db/schema';
import { uuidv7 } from '../../src/lib/ids';
import { compileRule } from '../../src/segments/compile';
import { shiftDate, type Rule, type Unit } from '../../src/segments/rules';
import { countMembers } from '../../src/segments/service';
import { createTestApp, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';
import { derivedDrift, refreshDerived } from '../helpers/derived';

const TODAY = '2026-03-01';
const TZ = 'Asia/Shanghai';

/** A small deterministic PRNG (mulberry32), so every run sees the same list and rules. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
    chance: (p: number) => next() < p,
  };
}

/** Dates around TODAY, dense enough that windows' edges are hit often. */
const DATES = Array.from({ length: 40 }, (_, i) => shiftDate('2025-12-20', i * 4, 'day'));

const VEHICLE_DATE_FIELDS = ['vehicle.purchase_date', 'vehicle.insurance_expiry'] as const;
const COLUMN = { 'vehicle.purchase_date': 'purchase_date', 'vehicle.insurance_expiry': 'insurance_expiry' } as const;
const CHANNELS = ['mail', 'sms', 'email'] as const;

describe.each(DB_KINDS)('derived columns give the same members as the source rows, on %s', (kind) => {
  let t: TestApp;
  let db: Tx;
  let A: string;
  let all: Set<string>;
  const rnd = prng(20260301);

  beforeAll(async () => {
    t = await createTestApp(kind);
    db = t.deps.db.orm;
    A = t.dealerId;
    const B = (await t.addDealer('另一家')).dealerId;
    const phones = Array.from({ length: 30 }, (_, i) => `+86138000000${String(i).padStart(2, '0')}`);
    const emails = Array.from({ length: 20 }, (_, i) => `p${i}@example.cn`);
    const households = Array.from({ length: 15 }, (_, i) => `hh-${i}`);
    const ids: string[] = [];
    const contactRows: (typeof contacts.$inferInsert)[] = [];
    for (let i = 0; i < 90; i++) {
      const id = uuidv7();
      ids.push(id);
      contactRows.push({
        id,
        dealerId: A,
        kind: rnd.pick(['prior_owner', 'prior_owner', 'club_member', 'prospect']),
        fullName: `c${i}`,
        phone: rnd.chance(0.8) ? rnd.pick(phones) : null,
        email: rnd.chance(0.5) ? rnd.pick(emails) : null,
        householdKey: rnd.chance(0.7) ? rnd.pick(households) : null,
        street: rnd.chance(0.7) ? `路${i}号` : null,
        postcode: '350001',
        smsConsent: rnd.pick(['granted', 'granted', 'revoked', null]),
        emailConsent: rnd.pick(['granted', 'revoked', null]),
        mailConsent: rnd.pick(['granted', 'revoked', null]),
        createdAt: t.clock.now(),
        updatedAt: t.clock.now(),
      });
    }
    // The other dealer has contacts with the same addresses.
    for (let i = 0; i < 10; i++) {
      contactRows.push({
        id: uuidv7(), dealerId: B, kind: 'prior_owner', fullName: `b${i}`, phone: rnd.pick(phones), email: rnd.pick(emails),
        householdKey: rnd.pick(households), createdAt: t.clock.now(), updatedAt: t.clock.now(),
      });
    }
    await db.insert(contacts).values(contactRows);

    const vehicleRows: (typeof vehicles.$inferInsert)[] = [];
    const addVehicle = (dealerId: string, contactId: string) => {
      const id = uuidv7();
      vehicleRows.push({
        id, dealerId, contactId, vehicleKey: id, make: 'M',
        purchaseDate: rnd.chance(0.85) ? rnd.pick(DATES) : null,
        insuranceExpiry: rnd.chance(0.75) ? rnd.pick(DATES) : null,
        createdAt: t.clock.now(), updatedAt: t.clock.now(),
      });
    };
    for (const id of ids) {
      // 0 to 4 vehicles: with three or more the span can straddle a window with nothing inside it.
      const n = rnd.pick([0, 1, 1, 2, 3, 4]);
      for (let k = 0; k < n; k++) addVehicle(A, id);
    }
    // Bad data: the other dealer's vehicles pointing at our contacts never count.
    for (let k = 0; k < 15; k++) addVehicle(B, rnd.pick(ids));
    await db.insert(vehicles).values(vehicleRows);
    // Vehicles arrive only through the import, which keeps the spans; fixtures need them refreshed.
    await refreshDerived(db, A);
    await refreshDerived(db, B);

    // Suppressions through the service, which keeps the flags: added, a few lifted again.
    const added: { dealerId: string; id: string }[] = [];
    for (let k = 0; k < 40; k++) {
      const dealerId = k % 8 === 7 ? B : A;
      const target = rnd.pick<SuppressionTarget>(['contact', 'phone', 'phone', 'email', 'household']);
      const value =
        target === 'contact' ? rnd.pick(ids) : target === 'phone' ? rnd.pick(phones) : target === 'email' ? rnd.pick(emails) : rnd.pick(households);
      const channel = rnd.pick<SuppressionChannel>(['mail', 'sms', 'email', 'all']);
      const r = await suppress(db, t.clock, dealerId, { channel, target, value, reason: 'do_not_contact', source: 'test' });
      if (r.created) added.push({ dealerId, id: r.row.id });
    }
    for (const s of added.filter((_, i) => i % 4 === 0)) expect(await liftSuppression(db, s.dealerId, s.id)).toBeDefined();
    all = new Set(ids);
  });
  afterAll(() => t?.close());

  // ── the reference: the rules' meaning over the source rows ──────────────────
  const members = async (where: SQL): Promise<Set<string>> =>
    new Set((await rows<{ id: string }>(db, sql`SELECT c.id FROM contacts c WHERE c.dealer_id = ${A}::uuid AND (${where})`)).map((r) => r.id));

  function vehicleTest(col: string, op: string, value: unknown): SQL | undefined {
    const v = sql.identifier(col);
    const d = (s: string) => sql`${s}::date`;
    const r = value as { amount: number; unit: Unit };
    switch (op) {
      case 'on':
        return sql`v.${v} = ${d(value as string)}`;
      case 'before':
        return sql`v.${v} < ${d(value as string)}`;
      case 'after':
        return sql`v.${v} > ${d(value as string)}`;
      case 'between': {
        const [lo, hi] = value as [string, string];
        return sql`v.${v} >= ${d(lo)} AND v.${v} <= ${d(hi)}`;
      }
      case 'is_empty':
        return sql`v.${v} IS NULL`;
      case 'is_not_empty':
        return sql`v.${v} IS NOT NULL`;
      case 'more_than_ago':
        return sql`v.${v} < ${d(shiftDate(TODAY, -r.amount, r.unit))}`;
      case 'less_than_ago':
      case 'within_last':
        return sql`v.${v} >= ${d(shiftDate(TODAY, -r.amount, r.unit))} AND v.${v} <= ${d(TODAY)}`;
      case 'within_next':
        return sql`v.${v} >= ${d(TODAY)} AND v.${v} <= ${d(shiftDate(TODAY, r.amount, r.unit))}`;
      case 'more_than_ahead':
        return sql`v.${v} > ${d(shiftDate(TODAY, r.amount, r.unit))}`;
    }
    return undefined;
  }

  const suppressedBy = (ch: string) => sql`EXISTS (
    SELECT 1 FROM suppressions s WHERE s.dealer_id = c.dealer_id AND s.channel IN (${ch}::text, 'all')
      AND ((s.target = 'contact' AND s.value = c.id::text) OR (s.target = 'phone' AND s.value = c.phone_e164)
        OR (s.target = 'email' AND s.value = c.email) OR (s.target = 'household' AND s.value = c.household_key)))`;

  const cache = new Map<string, Set<string>>();
  async function expected(rule: Rule): Promise<Set<string>> {
    if ('and' in rule) {
      const parts = await Promise.all(rule.and.map(expected));
      return new Set([...all].filter((id) => parts.every((p) => p.has(id))));
    }
    if ('or' in rule) {
      const parts = await Promise.all(rule.or.map(expected));
      return new Set([...all].filter((id) => parts.some((p) => p.has(id))));
    }
    if ('not' in rule) {
      const inner = await expected(rule.not);
      return new Set([...all].filter((id) => !inner.has(id)));
    }
    const key = JSON.stringify(rule);
    const hit = cache.get(key);
    if (hit) return hit;
    let where: SQL;
    if ('field' in rule && rule.field in COLUMN) {
      const test = vehicleTest(COLUMN[rule.field as keyof typeof COLUMN], rule.op, rule.value)!;
      where = sql`EXISTS (SELECT 1 FROM vehicles v WHERE v.contact_id = c.id AND v.dealer_id = c.dealer_id AND ${test})`;
    } else if ('not_suppressed' in rule) {
      where = sql`NOT ${suppressedBy(rule.not_suppressed)}`;
    } else if ('reachable' in rule) {
      const ch = rule.reachable;
      const address =
        ch === 'mail' ? sql`c.street <> '' AND c.postcode <> ''` : ch === 'sms' ? sql`c.phone_e164 <> ''` : sql`c.email <> ''`;
      const permission = ch === 'mail' ? sql`c.mail_consent IS DISTINCT FROM 'revoked'` : sql`c.${sql.identifier(`${ch}_consent`)} = 'granted'`;
      where = sql`${address} AND ${permission} AND NOT ${suppressedBy(ch)}`;
    } else {
      // Conditions the derived columns do not touch: the compiler's own SQL is the reference.
      where = compileRule(rule, { dealerId: A, today: TODAY, timeZone: TZ });
    }
    const got = await members(where);
    cache.set(key, got);
    return got;
  }

  async function actual(rule: Rule): Promise<{ ids: Set<string>; count: number }> {
    const ids = await members(compileRule(rule, { dealerId: A, today: TODAY, timeZone: TZ }));
    const count = await countMembers(db, A, rule, { today: TODAY, timeZone: TZ });
    return { ids, count };
  }

  // ── generated rules ─────────────────────────────────────────────────────────
  const rel = (): { amount: number; unit: Unit } =>
    rnd.pick([
      { amount: 0, unit: 'day' as Unit },
      { amount: 12, unit: 'day' as Unit },
      { amount: 60, unit: 'day' as Unit },
      { amount: 3, unit: 'week' as Unit },
      { amount: 2, unit: 'month' as Unit },
      { amount: 1, unit: 'year' as Unit },
    ]);
  function vehicleAtom(): Rule {
    const field = rnd.pick(VEHICLE_DATE_FIELDS);
    const op = rnd.pick([
      'on', 'before', 'after', 'between', 'is_empty', 'is_not_empty',
      'more_than_ago', 'less_than_ago', 'within_last', 'within_next', 'more_than_ahead',
    ] as const);
    let value: unknown;
    if (op === 'on' || op === 'before' || op === 'after') value = rnd.pick(DATES);
    else if (op === 'between') {
      const a = rnd.pick(DATES);
      const b = rnd.pick(DATES);
      value = a <= b ? [a, b] : [b, a];
    } else if (op !== 'is_empty' && op !== 'is_not_empty') value = rel();
    return (value === undefined ? { field, op } : { field, op, value }) as Rule;
  }
  function atom(): Rule {
    const k = rnd.int(10);
    if (k < 5) return vehicleAtom();
    if (k < 7) return { not_suppressed: rnd.pick(CHANNELS) };
    if (k < 8) return { reachable: rnd.pick(CHANNELS) };
    if (k < 9) return { field: 'kind', op: 'eq', value: rnd.pick(['prior_owner', 'club_member']) } as Rule;
    return { has: rnd.pick(['phone', 'email'] as const) };
  }
  function rule(depth: number): Rule {
    if (depth === 0 || rnd.chance(0.35)) return atom();
    const k = rnd.int(3);
    if (k === 2) return { not: rule(depth - 1) };
    const children = Array.from({ length: 2 + rnd.int(2) }, () => rule(depth - 1));
    return k === 0 ? { and: children } : { or: children };
  }

  it('the fixtures are in step, and not trivially: spans straddle windows, flags are set and cleared', async () => {
    expect(await derivedDrift(db)).toEqual([]);
    const [s] = await rows<{ straddling: number | string; flagged: number | string; unflagged: number | string; no_span: number | string }>(
      db,
      sql`SELECT count(*) FILTER (WHERE first_insurance_expiry < last_insurance_expiry) AS straddling,
                 count(*) FILTER (WHERE sms_suppressed OR email_suppressed OR mail_suppressed) AS flagged,
                 count(*) FILTER (WHERE NOT (sms_suppressed OR email_suppressed OR mail_suppressed)) AS unflagged,
                 count(*) FILTER (WHERE first_purchase_date IS NULL) AS no_span
          FROM contacts WHERE dealer_id = ${A}::uuid`,
    );
    expect(Number(s!.straddling)).toBeGreaterThan(5);
    expect(Number(s!.flagged)).toBeGreaterThan(5);
    expect(Number(s!.unflagged)).toBeGreaterThan(5);
    expect(Number(s!.no_span)).toBeGreaterThan(5);
  });

  it('every vehicle date op on both spans, against the EXISTS over vehicles', async () => {
    let nonEmpty = 0;
    for (let i = 0; i < 120; i++) {
      const r = vehicleAtom();
      const want = await expected(r);
      const got = await actual(r);
      expect([...got.ids].sort(), JSON.stringify(r)).toEqual([...want].sort());
      expect(got.count, JSON.stringify(r)).toBe(want.size);
      if (want.size > 0 && want.size < all.size) nonEmpty++;
    }
    // Most of the generated conditions split the list (neither nobody nor everybody).
    expect(nonEmpty).toBeGreaterThan(60);
  });

  it('windows whose only matching date is strictly inside a straddling span', async () => {
    // A contact with dates d1 < d2 < d3: the window [d2, d2] matches through the vehicles alone.
    const [c] = await rows<{ id: string; dates: string[] }>(
      db,
      sql`SELECT c.id, array_agg(v.insurance_expiry::text ORDER BY v.insurance_expiry) AS dates
          FROM contacts c JOIN vehicles v ON v.contact_id = c.id AND v.dealer_id = c.dealer_id
          WHERE c.dealer_id = ${A}::uuid AND v.insurance_expiry IS NOT NULL
          GROUP BY c.id HAVING count(DISTINCT v.insurance_expiry) >= 3 ORDER BY c.id LIMIT 1`,
    );
    expect(c, 'the list has a contact with three insurance dates').toBeDefined();
    const dates = typeof c!.dates === 'string' ? (c!.dates as string).replace(/[{}]/g, '').split(',') : c!.dates;
    const middle = dates.find((d) => d > dates[0]! && d < dates[dates.length - 1]!)!;
    const r = { field: 'vehicle.insurance_expiry', op: 'on', value: middle } as Rule;
    const got = await actual(r);
    expect(got.ids.has(c!.id)).toBe(true);
    expect([...got.ids].sort()).toEqual([...(await expected(r))].sort());
  });

  it('suppression and reachability per channel, against the suppressions table', async () => {
    for (const ch of CHANNELS) {
      for (const r of [{ not_suppressed: ch }, { reachable: ch }, { not: { not_suppressed: ch } }] as Rule[]) {
        const want = await expected(r);
        const got = await actual(r);
        expect([...got.ids].sort(), JSON.stringify(r)).toEqual([...want].sort());
        expect(got.count).toBe(want.size);
      }
    }
  });

  it('generated rules with and / or / not over all of these', async () => {
    for (let i = 0; i < 150; i++) {
      const r = rule(3);
      const want = await expected(r);
      const got = await actual(r);
      expect([...got.ids].sort(), JSON.stringify(r)).toEqual([...want].sort());
      expect(got.count, JSON.stringify(r)).toBe(want.size);
    }
  });
});
