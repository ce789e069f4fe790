// Segments end to end on every database kind: exact member sets for every op
// family over a small, hand-made contact list; relative dates against the fixed
// clock (T0 = 2026-03-01T02:00Z, i.e. 2026-03-01 10:00 in Asia/Shanghai);
// reachability; tenancy; the CRUD API with idempotency and pagination.
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db';
import { contacts, suppressions, vehicles } from '../../src/db/schema';
import { uuidv7 } from '../../src/lib/ids';
import { segmentContactIds } from '../../src/segments/service';
import type { Rule } from '../../src/segments/rules';
import { createTestApp, T0, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';
import { derivedDrift, refreshDerived } from '../helpers/derived';

type NewContact = typeof contacts.$inferInsert;
type NewVehicle = typeof vehicles.$inferInsert;

const OLD = new Date('2025-06-01T00:00:00Z');
const EVIL = "'; DROP TABLE contacts; --";

describe.each(DB_KINDS)('segments on %s', (kind) => {
  let t: TestApp;
  let other: { dealerId: string; token: string };
  /** fixture name → contact id, and back */
  const ids = new Map<string, string>();
  const names = new Map<string, string>();

  async function addContacts(dealerId: string, list: Record<string, Partial<NewContact>>) {
    for (const [name, over] of Object.entries(list)) {
      const id = uuidv7();
      ids.set(name, id);
      names.set(id, name);
      const row: NewContact = { id, dealerId, kind: 'prior_owner', fullName: name, createdAt: OLD, updatedAt: OLD, ...over };
      await t.deps.db.orm.insert(contacts).values(row);
    }
  }
  async function addVehicle(dealerId: string, owner: string, v: Partial<NewVehicle>) {
    const id = uuidv7();
    await t.deps.db.orm
      .insert(vehicles)
      .values({ id, dealerId, contactId: ids.get(owner)!, vehicleKey: id, createdAt: OLD, updatedAt: OLD, ...v });
  }
  async function suppress(dealerId: string, channel: string, target: string, value: string) {
    await t.deps.db.orm
      .insert(suppressions)
      .values({ id: uuidv7(), dealerId, channel, target, value, reason: 'unsubscribed', source: 'test', createdAt: OLD });
  }

  beforeAll(async () => {
    t = await createTestApp(kind);
    other = await t.addDealer('另一家4S店');
    const A = t.dealerId;
    await addContacts(A, {
      alice: {
        gender: 'female', tier: 'gold', language: 'zh', country: 'CN', province: '福建', city: '福州', district: '鼓楼',
        street: '五一路1号', postcode: '350001', phone: '+8613800000001', email: 'alice@example.cn', birthday: '1980-03-15',
        householdKey: 'hh-alice', mailConsent: 'granted', smsConsent: 'granted', emailConsent: 'granted',
        createdAt: new Date('2026-02-28T17:00:00Z'), // 2026-03-01 01:00 in Shanghai
      },
      bob: {
        gender: 'male', province: '福建', city: '厦门', street: '湖滨路2号', postcode: '361000', phone: '+8613800000002',
        email: 'bob@example.cn', birthday: '1975-12-30', householdKey: 'hh-bob', smsConsent: 'revoked', emailConsent: 'granted',
        createdAt: new Date('2026-02-28T15:00:00Z'), // 2026-02-28 23:00 in Shanghai
      },
      corp: {
        kind: 'corporate', company: '福州运输有限公司', jobTitle: '车队经理', fleetSize: 25, province: '福建', city: '福州',
        postcode: '350100', email: 'fleet@trans.cn', emailConsent: 'granted',
      },
      club: {
        kind: 'club_member', gender: 'female', club: 'BMW车友会', tier: 'diamond', joinDate: '2025-03-10', birthday: '1990-01-02',
        city: '福州', street: '某路3号', postcode: '35_001', phone: '+8613800000004', smsConsent: 'granted',
      },
      prospect: { kind: 'prospect', language: 'en', birthday: '2000-02-29', company: '100% Motors' },
      carol: {
        gender: 'female', title: '女士', city: '福州', street: '东街4号', postcode: '350002', phone: '+8613800000006',
        email: 'carol@example.cn', birthday: '1985-03-01', householdKey: 'hh-shared', mailConsent: 'revoked',
        smsConsent: 'granted', emailConsent: 'granted',
      },
      dave: {
        gender: 'male', street: '东街4号', postcode: '350002', phone: '+8613800000007', email: 'dave@example.cn',
        birthday: '1970-02-28', householdKey: 'hh-shared', smsConsent: 'granted', emailConsent: 'granted',
      },
    });
    await addVehicle(A, 'alice', {
      make: 'BMW', model: 'X5', vin: 'WBA00000000000001', purchaseDate: '2022-05-01', lastServiceDate: '2025-12-01',
      insuranceExpiry: '2026-04-10', mileageKm: 60000,
    });
    await addVehicle(A, 'bob', {
      make: 'Toyota', model: 'Camry', vin: 'JT000000000000002', purchaseDate: '2024-06-01', lastServiceDate: '2026-02-20',
      insuranceExpiry: '2026-06-15', mileageKm: 20000,
    });
    await addVehicle(A, 'bob', { make: 'Honda', model: 'Accord', purchaseDate: '2019-01-01', mileageKm: 150000 });
    await addVehicle(A, 'carol', {
      make: 'BMW', model: '3系', vin: 'WBA00000000000003', purchaseDate: '2023-03-01', insuranceExpiry: '2026-03-01', mileageKm: 30000,
    });

    await suppress(A, 'sms', 'phone', '+8613800000004'); // club, by phone, sms only
    await suppress(A, 'email', 'email', 'bob@example.cn'); // bob, by email
    await suppress(A, 'all', 'household', 'hh-shared'); // carol and dave, every channel
    await suppress(A, 'mail', 'contact', ids.get('corp')!); // corp, by contact id
    await suppress(A, 'mail', 'phone', '+8613800000001'); // alice, mail only

    // The other dealer: lookalikes that must never be counted for A, and a
    // suppression of alice's email that must not apply to A's alice.
    const B = other.dealerId;
    await addContacts(B, {
      'b-alice': {
        city: '福州', postcode: '350001', birthday: '1980-03-15', phone: '+8613800000001', email: 'alice@example.cn',
        street: '五一路1号', smsConsent: 'granted', emailConsent: 'granted', fleetSize: 99,
      },
    });
    await addVehicle(B, 'b-alice', { make: 'BMW', purchaseDate: '2020-01-01', insuranceExpiry: '2026-03-10' });
    // A vehicle row of B pointing at A's contact (bad data): the dealer check on vehicles ignores it.
    await addVehicle(B, 'prospect', { make: 'Tesla', purchaseDate: '2018-01-01' });
    await suppress(B, 'all', 'email', 'alice@example.cn');
    // The fixtures went straight into the tables: bring the contacts' derived
    // columns (vehicle date spans, suppressed flags) in step, as the service does.
    await refreshDerived(t.deps.db.orm, A);
    await refreshDerived(t.deps.db.orm, B);
    expect(await derivedDrift(t.deps.db.orm)).toEqual([]);
  });
  afterAll(() => t?.close());
  afterEach(() => t.clock.set(T0));

  async function preview(rule: unknown, token?: string) {
    const res = await t.req('POST', '/v1/segments/preview', { body: { rule, limit: 100 }, token });
    const body = (await res.json()) as { count: number; sample: { id: string }[] } & { error?: unknown };
    expect(res.status, JSON.stringify(body)).toBe(200);
    return body;
  }
  /** Fixture names of the members, sorted; also checks that count agrees with the sample. */
  async function members(rule: unknown, token?: string): Promise<string[]> {
    const body = await preview(rule, token);
    expect(body.count).toBe(body.sample.length);
    return body.sample.map((s) => names.get(s.id) ?? s.id).sort();
  }
  const f = (field: string, op: string, value?: unknown) => (value === undefined ? { field, op } : { field, op, value });
  const ago = (amount: number, unit: string) => ({ amount, unit });
  const everyone = ['alice', 'bob', 'carol', 'club', 'corp', 'dave', 'prospect'];
  const except = (...xs: string[]) => everyone.filter((x) => !xs.includes(x));

  // ── op families ─────────────────────────────────────────────────────────────
  it('text and enum ops', async () => {
    expect(await members(f('kind', 'eq', 'prior_owner'))).toEqual(['alice', 'bob', 'carol', 'dave']);
    expect(await members(f('kind', 'neq', 'prior_owner'))).toEqual(['club', 'corp', 'prospect']);
    expect(await members(f('kind', 'in', ['corporate', 'club_member']))).toEqual(['club', 'corp']);
    expect(await members(f('kind', 'not_in', ['prior_owner', 'prospect']))).toEqual(['club', 'corp']);
    expect(await members(f('gender', 'eq', 'female'))).toEqual(['alice', 'carol', 'club']);
    expect(await members(f('gender', 'is_empty'))).toEqual(['corp', 'prospect']);
    expect(await members(f('city', 'eq', '福州'))).toEqual(['alice', 'carol', 'club', 'corp']);
    // neq / not_in are the complement of eq / in: an empty city counts as "not 福州".
    expect(await members(f('city', 'neq', '福州'))).toEqual(['bob', 'dave', 'prospect']);
    expect(await members(f('city', 'not_in', ['福州', '厦门']))).toEqual(['dave', 'prospect']);
    expect(await members(f('city', 'is_empty'))).toEqual(['dave', 'prospect']);
    expect(await members(f('city', 'is_not_empty'))).toEqual(['alice', 'bob', 'carol', 'club', 'corp']);
    expect(await members(f('province', 'in', ['福建']))).toEqual(['alice', 'bob', 'corp']);
    expect(await members(f('district', 'eq', '鼓楼'))).toEqual(['alice']);
    expect(await members(f('country', 'eq', 'CN'))).toEqual(['alice']);
    expect(await members(f('postcode', 'starts_with', '350'))).toEqual(['alice', 'carol', 'corp', 'dave']);
    expect(await members(f('postcode', 'starts_with', '3500'))).toEqual(['alice', 'carol', 'dave']);
    // LIKE metacharacters in the prefix match literally.
    expect(await members(f('postcode', 'starts_with', '35_'))).toEqual(['club']);
    expect(await members(f('postcode', 'starts_with', '%'))).toEqual([]);
    expect(await members(f('company', 'contains', '运输'))).toEqual(['corp']);
    expect(await members(f('company', 'contains', '100%'))).toEqual(['prospect']);
    expect(await members(f('company', 'contains', 'motors'))).toEqual(['prospect']);
    expect(await members(f('tier', 'in', ['gold', 'diamond']))).toEqual(['alice', 'club']);
    expect(await members(f('club', 'starts_with', 'BMW'))).toEqual(['club']);
    expect(await members(f('title', 'eq', '女士'))).toEqual(['carol']);
    expect(await members(f('job_title', 'contains', '车队'))).toEqual(['corp']);
    expect(await members(f('language', 'eq', 'en'))).toEqual(['prospect']);
  });

  it('vehicle text ops match when any vehicle matches', async () => {
    expect(await members(f('vehicle.make', 'eq', 'BMW'))).toEqual(['alice', 'carol']);
    expect(await members(f('vehicle.model', 'in', ['Camry', 'X9']))).toEqual(['bob']);
    expect(await members(f('vehicle.vin', 'is_empty'))).toEqual(['bob']);
    expect(await members(f('vehicle.vin', 'starts_with', 'WBA'))).toEqual(['alice', 'carol']);
    expect(await members(f('vehicle.make', 'neq', 'BMW'))).toEqual(['bob']);
    expect(await members({ not: f('vehicle.make', 'eq', 'BMW') })).toEqual(except('alice', 'carol'));
    // Another dealer's vehicle row never counts, even when it points at our contact.
    expect(await members(f('vehicle.make', 'eq', 'Tesla'))).toEqual([]);
  });

  it('number ops', async () => {
    expect(await members(f('fleet_size', 'gte', 10))).toEqual(['corp']);
    expect(await members(f('fleet_size', 'gt', 25))).toEqual([]);
    expect(await members(f('fleet_size', 'lte', 25))).toEqual(['corp']);
    expect(await members(f('fleet_size', 'lt', 25))).toEqual([]);
    expect(await members(f('fleet_size', 'eq', 25))).toEqual(['corp']);
    expect(await members(f('fleet_size', 'neq', 25))).toEqual(except('corp'));
    expect(await members(f('fleet_size', 'between', [1, 30]))).toEqual(['corp']);
    expect(await members(f('fleet_size', 'is_empty'))).toEqual(except('corp'));
    expect(await members(f('fleet_size', 'is_not_empty'))).toEqual(['corp']);
    expect(await members(f('vehicle.mileage_km', 'gt', 100000))).toEqual(['bob']);
    expect(await members(f('vehicle.mileage_km', 'lt', 25000))).toEqual(['bob']);
    expect(await members(f('vehicle.mileage_km', 'between', [25000, 60000]))).toEqual(['alice', 'carol']);
    expect(await members(f('vehicle.mileage_km', 'eq', 30000))).toEqual(['carol']);
    expect(await members(f('vehicle.mileage_km', 'gte', 2.5))).toEqual(['alice', 'bob', 'carol']);
  });

  it('absolute date ops', async () => {
    expect(await members(f('birthday', 'on', '1985-03-01'))).toEqual(['carol']);
    expect(await members(f('birthday', 'before', '1980-01-01'))).toEqual(['bob', 'dave']);
    expect(await members(f('birthday', 'after', '1989-12-31'))).toEqual(['club', 'prospect']);
    expect(await members(f('birthday', 'between', ['1980-01-01', '1990-01-02']))).toEqual(['alice', 'carol', 'club']);
    expect(await members(f('birthday', 'is_empty'))).toEqual(['corp']);
    expect(await members(f('birthday', 'is_not_empty'))).toEqual(except('corp'));
    expect(await members(f('join_date', 'after', '2025-01-01'))).toEqual(['club']);
    expect(await members(f('vehicle.purchase_date', 'before', '2020-01-01'))).toEqual(['bob']);
    expect(await members(f('vehicle.insurance_expiry', 'is_empty'))).toEqual(['bob']);
  });

  it('birthday in month M (one month or several)', async () => {
    expect(await members(f('birthday', 'month_is', 3))).toEqual(['alice', 'carol']);
    expect(await members(f('birthday', 'month_is', [12, 1]))).toEqual(['bob', 'club']);
    expect(await members(f('birthday', 'month_is', [2]))).toEqual(['dave', 'prospect']);
    expect(await members(f('vehicle.purchase_date', 'month_is', 5))).toEqual(['alice']);
  });

  it('relative dates against the dealer-local today (2026-03-01)', async () => {
    // Purchased more than 3 years ago: before 2023-03-01 (carol bought on that day: not more than).
    expect(await members(f('vehicle.purchase_date', 'more_than_ago', ago(3, 'year')))).toEqual(['alice', 'bob']);
    // Insurance expires within 60 days: 2026-03-01 ..= 2026-04-30, today included.
    expect(await members(f('vehicle.insurance_expiry', 'within_next', ago(60, 'day')))).toEqual(['alice', 'carol']);
    expect(await members(f('vehicle.insurance_expiry', 'more_than_ahead', ago(2, 'month')))).toEqual(['bob']);
    expect(await members(f('vehicle.last_service_date', 'within_last', ago(30, 'day')))).toEqual(['bob']);
    expect(await members(f('vehicle.last_service_date', 'less_than_ago', ago(30, 'day')))).toEqual(['bob']);
    expect(await members(f('vehicle.last_service_date', 'more_than_ago', ago(60, 'day')))).toEqual(['alice']);
    expect(await members(f('join_date', 'within_last', ago(1, 'year')))).toEqual(['club']);
    expect(await members(f('join_date', 'within_last', ago(2, 'week')))).toEqual([]);
    // created_at is compared as the dealer's local date, not UTC.
    expect(await members(f('created_at', 'on', '2026-03-01'))).toEqual(['alice']);
    expect(await members(f('created_at', 'on', '2026-02-28'))).toEqual(['bob']);
    expect(await members(f('created_at', 'within_last', ago(0, 'day')))).toEqual(['alice']);
  });

  it('today is the dealer-local date, not the UTC one', async () => {
    // 2026-04-09T17:00Z is already 2026-04-10 in Shanghai: alice's insurance expires "today".
    t.clock.set(new Date('2026-04-09T17:00:00Z'));
    expect(await members(f('vehicle.insurance_expiry', 'within_next', ago(0, 'day')))).toEqual(['alice']);
    t.clock.set(new Date('2026-04-09T15:00:00Z')); // 23:00 on the 9th in Shanghai
    expect(await members(f('vehicle.insurance_expiry', 'within_next', ago(0, 'day')))).toEqual([]);
  });

  it('birthday anniversaries, across New Year and on 29 February', async () => {
    const anniv = (days: number) => f('birthday', 'anniversary_within_next', ago(days, 'day'));
    expect(await members(anniv(14))).toEqual(['alice', 'carol']); // 03-01 (today) and 03-15
    expect(await members(anniv(0))).toEqual(['carol']);
    // 2026-12-25 + 10 days = 2027-01-04: wraps to January.
    t.clock.set(new Date('2026-12-25T02:00:00Z'));
    expect(await members(anniv(10))).toEqual(['bob', 'club']); // 12-30 and 01-02
    expect(await members(anniv(5))).toEqual(['bob']);
    // A 29 February birthday is celebrated on 28 February in a common year.
    t.clock.set(new Date('2027-02-20T02:00:00Z'));
    expect(await members(anniv(8))).toEqual(['dave', 'prospect']);
    expect(await members(anniv(7))).toEqual([]);
    // …and on the day itself in a leap year.
    t.clock.set(new Date('2028-02-28T02:00:00Z'));
    expect(await members(anniv(0))).toEqual(['dave']);
    t.clock.set(new Date('2028-02-29T02:00:00Z'));
    expect(await members(anniv(0))).toEqual(['prospect']);
    // A window of a year or more holds every known birthday.
    expect(await members(anniv(366))).toEqual(except('corp'));
  });

  // ── reachability ────────────────────────────────────────────────────────────
  it('has an address', async () => {
    expect(await members({ has: 'phone' })).toEqual(['alice', 'bob', 'carol', 'club', 'dave']);
    expect(await members({ has: 'email' })).toEqual(['alice', 'bob', 'carol', 'corp', 'dave']);
    expect(await members({ has: 'postal_address' })).toEqual(['alice', 'bob', 'carol', 'club', 'dave']);
  });

  it('consent', async () => {
    expect(await members({ consent: 'sms' })).toEqual(['alice', 'carol', 'club', 'dave']);
    expect(await members({ consent: 'email' })).toEqual(['alice', 'bob', 'carol', 'corp', 'dave']);
    expect(await members({ consent: 'mail' })).toEqual(['alice']);
  });

  it('not suppressed: by phone, email, household, contact id and channel all', async () => {
    // sms: club by phone (sms), carol and dave by household (all).
    expect(await members({ not_suppressed: 'sms' })).toEqual(['alice', 'bob', 'corp', 'prospect']);
    // email: bob by email, carol and dave by household; B's suppression of alice's email is B's alone.
    expect(await members({ not_suppressed: 'email' })).toEqual(['alice', 'club', 'corp', 'prospect']);
    // mail: corp by contact id, alice by phone (mail), carol and dave by household.
    expect(await members({ not_suppressed: 'mail' })).toEqual(['bob', 'club', 'prospect']);
  });

  it('reachable = address and consent and not suppressed', async () => {
    expect(await members({ reachable: 'sms' })).toEqual(['alice']);
    expect(await members({ reachable: 'email' })).toEqual(['alice', 'corp']);
    // Mail needs no opt-in, only no revocation: carol revoked; alice and dave are suppressed.
    expect(await members({ reachable: 'mail' })).toEqual(['bob', 'club']);
  });

  // ── combinators ─────────────────────────────────────────────────────────────
  it('and, or, not', async () => {
    const priorOwner = f('kind', 'eq', 'prior_owner');
    const fuzhou = f('city', 'eq', '福州');
    expect(await members({ and: [priorOwner, fuzhou] })).toEqual(['alice', 'carol']);
    expect(await members({ or: [f('fleet_size', 'gte', 10), f('tier', 'eq', 'diamond')] })).toEqual(['club', 'corp']);
    expect(await members({ not: { or: [f('fleet_size', 'gte', 10), f('tier', 'eq', 'diamond')] } })).toEqual(except('club', 'corp'));
    // not over a field that is empty for some contacts is still the exact complement.
    expect(await members({ not: f('tier', 'eq', 'gold') })).toEqual(except('alice'));
    expect(await members({ not: { not: fuzhou } })).toEqual(['alice', 'carol', 'club', 'corp']);
    expect(
      await members({
        and: [priorOwner, { or: [f('birthday', 'month_is', 3), f('vehicle.make', 'eq', 'Toyota')] }, { not: { has: 'postal_address' } }],
      }),
    ).toEqual([]);
    expect(await members({ and: [priorOwner, { reachable: 'email' }, f('vehicle.purchase_date', 'more_than_ago', ago(3, 'year'))] })).toEqual([
      'alice',
    ]);
  });

  it('any_vehicle asks one vehicle to meet every condition', async () => {
    const toyota = f('vehicle.make', 'eq', 'Toyota');
    const old = f('vehicle.purchase_date', 'more_than_ago', ago(3, 'year'));
    // bob has a Toyota (2024) and an old Honda (2019): separate conditions match him…
    expect(await members({ and: [toyota, old] })).toEqual(['bob']);
    // …but no single vehicle of his is an old Toyota.
    expect(await members({ any_vehicle: { and: [toyota, old] } })).toEqual([]);
    expect(await members({ any_vehicle: { and: [f('vehicle.make', 'eq', 'BMW'), old] } })).toEqual(['alice']);
    expect(await members({ any_vehicle: { not: f('vehicle.make', 'eq', 'BMW') } })).toEqual(['bob']);
  });

  // ── tenancy and safety ──────────────────────────────────────────────────────
  it("never counts another dealer's contacts", async () => {
    const rule = { and: [f('city', 'eq', '福州'), f('birthday', 'month_is', 3)] };
    expect(await members(rule)).toEqual(['alice', 'carol']);
    expect(await members(rule, other.token)).toEqual(['b-alice']);
    expect(await members(f('fleet_size', 'eq', 99))).toEqual([]);
    expect(await members({ has: 'phone' }, other.token)).toEqual(['b-alice']);
    // B suppressed alice's email on every channel: that counts for B's contact only.
    expect(await members({ not_suppressed: 'sms' }, other.token)).toEqual([]);
    expect(await members({ not_suppressed: 'sms' })).toContain('alice');
  });

  it('treats SQL in values as plain data', async () => {
    const before = await rows<{ n: number | string }>(t.deps.db.orm, sql`SELECT count(*) AS n FROM contacts`);
    for (const rule of [
      f('city', 'eq', EVIL),
      f('city', 'neq', EVIL),
      f('postcode', 'starts_with', EVIL),
      f('company', 'contains', EVIL),
      f('tier', 'in', [EVIL, "x') OR 1=1 --"]),
      f('vehicle.model', 'eq', EVIL),
      { and: [f('city', 'eq', "福州' OR '1'='1"), f('kind', 'eq', 'prior_owner')] },
    ]) {
      const body = await preview(rule);
      expect(body.count).toBeLessThanOrEqual(7);
    }
    expect(await members(f('city', 'eq', "福州' OR '1'='1"))).toEqual([]);
    expect(await members(f('city', 'neq', EVIL))).toEqual(everyone);
    // A field name is never SQL either.
    const res = await t.req('POST', '/v1/segments/preview', { body: { rule: f('city; DROP TABLE contacts; --', 'eq', 'x') } });
    expect(res.status).toBe(400);
    const after = await rows<{ n: number | string }>(t.deps.db.orm, sql`SELECT count(*) AS n FROM contacts`);
    expect(Number(after[0]!.n)).toBe(Number(before[0]!.n));
  });

  it('gives campaigns the member ids as SQL', async () => {
    const q = segmentContactIds(t.deps.db.orm, t.dealerId, { reachable: 'email' } as Rule, '2026-03-01');
    const got = await rows<{ id: string }>(t.deps.db.orm, q);
    expect(got.map((r) => names.get(r.id)).sort()).toEqual(['alice', 'corp']);
    const q2 = segmentContactIds(t.deps.db.orm, t.dealerId, f('birthday', 'anniversary_within_next', ago(3, 'day')) as Rule, '2026-12-29');
    expect((await rows<{ id: string }>(t.deps.db.orm, q2)).map((r) => names.get(r.id)).sort()).toEqual(['bob']);
  });

  // ── the API ─────────────────────────────────────────────────────────────────
  describe('API', () => {
    const rule = { and: [f('kind', 'eq', 'prior_owner'), f('vehicle.purchase_date', 'more_than_ago', ago(3, 'year'))] };
    type Seg = { id: string; name: string; description: string | null; rule: unknown; archived: boolean; createdAt: string; updatedAt: string };

    async function create(body: unknown, opts: { token?: string; key?: string } = {}) {
      const headers = opts.key ? { 'idempotency-key': opts.key } : undefined;
      return t.req('POST', '/v1/segments', { body: body as object, token: opts.token, headers });
    }

    it('creates, reads, previews, updates and archives a segment', async () => {
      const res = await create({ name: '换购意向老客户', description: '购车三年以上', rule });
      expect(res.status).toBe(201);
      const seg = (await res.json()) as Seg;
      expect(seg).toMatchObject({ name: '换购意向老客户', description: '购车三年以上', rule, archived: false, createdAt: T0.toISOString() });

      const got = await t.req('GET', `/v1/segments/${seg.id}`);
      expect(got.status).toBe(200);
      expect(await got.json()).toEqual(seg);

      const pv = await t.req('GET', `/v1/segments/${seg.id}/preview?limit=1`);
      expect(pv.status).toBe(200);
      const pvBody = (await pv.json()) as { count: number; sample: Record<string, unknown>[] };
      expect(pvBody.count).toBe(2);
      expect(pvBody.sample).toEqual([
        {
          id: [ids.get('alice')!, ids.get('bob')!].sort()[0],
          kind: 'prior_owner',
          fullName: expect.any(String),
          company: null,
          phone: expect.any(String),
          email: expect.any(String),
          city: expect.any(String),
          postcode: expect.any(String),
          tier: expect.toBeOneOf(['gold', null]),
        },
      ]);
      const zero = (await (await t.req('GET', `/v1/segments/${seg.id}/preview?limit=0`)).json()) as { count: number; sample: unknown[] };
      expect(zero).toEqual({ count: 2, sample: [] });
      expect((await t.req('GET', `/v1/segments/${seg.id}/preview?limit=101`)).status).toBe(400);

      t.clock.advance(60_000);
      const put = await t.req('PUT', `/v1/segments/${seg.id}`, { body: { name: '福州老客户', rule: f('city', 'eq', '福州') } });
      expect(put.status).toBe(200);
      const updated = (await put.json()) as Seg;
      expect(updated).toMatchObject({ id: seg.id, name: '福州老客户', description: '购车三年以上', rule: f('city', 'eq', '福州') });
      expect(updated.updatedAt).toBe(new Date(T0.getTime() + 60_000).toISOString());
      const pv2 = (await (await t.req('GET', `/v1/segments/${seg.id}/preview`)).json()) as { count: number };
      expect(pv2.count).toBe(4);

      const badPut = await t.req('PUT', `/v1/segments/${seg.id}`, { body: { rule: { or: [f('city', 'eq', 'x'), f('city', 'between', 1)] } } });
      expect(badPut.status).toBe(400);
      expect(((await badPut.json()) as { error: { code: string; details: { path: string }[] } }).error).toMatchObject({
        code: 'invalid_rule',
        details: [{ path: 'rule.or[1].op' }],
      });

      const del = await t.req('DELETE', `/v1/segments/${seg.id}`);
      expect(del.status).toBe(200);
      expect(((await del.json()) as Seg).archived).toBe(true);
      expect((await t.req('DELETE', `/v1/segments/${seg.id}`)).status).toBe(200);
      expect((await t.req('PUT', `/v1/segments/${seg.id}`, { body: { name: 'x' } })).status).toBe(409);
      // Archived segments stay readable but leave the default list.
      expect((await t.req('GET', `/v1/segments/${seg.id}`)).status).toBe(200);
      const list = (await (await t.req('GET', '/v1/segments?limit=500')).json()) as { data: Seg[] };
      expect(list.data.map((s) => s.id)).not.toContain(seg.id);
      const all = (await (await t.req('GET', '/v1/segments?limit=500&archived=true')).json()) as { data: Seg[] };
      expect(all.data.find((s) => s.id === seg.id)?.archived).toBe(true);
    });

    it('validates a rule without saving it', async () => {
      const ok = await t.req('POST', '/v1/segments/validate', { body: { rule } });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ valid: true });
      const bad = await t.req('POST', '/v1/segments/validate', {
        body: { rule: { and: [f('city', 'eq', 'x'), f('city', 'gt', 3), f('nope', 'eq', 1)] } },
      });
      expect(bad.status).toBe(400);
      const err = ((await bad.json()) as { error: { code: string; details: { path: string; message: string }[] } }).error;
      expect(err.code).toBe('invalid_rule');
      expect(err.details.map((d) => d.path)).toEqual(['rule.and[1].op', 'rule.and[2].field']);
      expect(err.details[1]!.message).toMatch(/^unknown field "nope"; known fields: /);
      const missing = await t.req('POST', '/v1/segments/validate', { body: {} });
      expect(((await missing.json()) as { error: { code: string; details: unknown } }).error).toMatchObject({
        code: 'invalid_rule',
        details: [{ path: 'rule', message: 'a rule is required' }],
      });
    });

    it('refuses a bad create with the exact path', async () => {
      const res = await create({ name: 'x', rule: { and: [f('kind', 'eq', 'prior_owner'), f('kind', 'eq', 'dealer')] } });
      expect(res.status).toBe(400);
      const err = ((await res.json()) as { error: { code: string; details: { path: string }[] } }).error;
      expect(err).toMatchObject({ code: 'invalid_rule', details: [{ path: 'rule.and[1].value' }] });
      const noName = await create({ name: '  ', rule });
      expect(noName.status).toBe(400);
      expect(((await noName.json()) as { error: { code: string; details: { path: string }[] } }).error).toMatchObject({
        code: 'validation_error',
        details: [{ path: 'name' }],
      });
      const longName = await create({ name: 'x'.repeat(201), rule });
      expect(longName.status).toBe(400);
    });

    it('replays an Idempotency-Key and refuses it for another body', async () => {
      const body = { name: '新春贺卡名单', rule: f('birthday', 'month_is', [1, 2]) };
      const first = await create(body, { key: 'seg-key-1' });
      expect(first.status).toBe(201);
      const a = (await first.json()) as Seg;
      // Same body, keys in another order: the same request.
      const again = await create({ rule: body.rule, name: body.name }, { key: 'seg-key-1' });
      expect(again.status).toBe(201);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(await again.json()).toEqual(a);
      const clash = await create({ ...body, name: '别的名单' }, { key: 'seg-key-1' });
      expect(clash.status).toBe(422);
      expect(((await clash.json()) as { error: { code: string } }).error.code).toBe('idempotency_key_reused');
      const [{ n }] = (await rows<{ n: number | string }>(
        t.deps.db.orm,
        sql`SELECT count(*) AS n FROM segments WHERE dealer_id = ${t.dealerId}::uuid AND name = ${body.name}`,
      )) as [{ n: number | string }];
      expect(Number(n)).toBe(1);
    });

    it('pages through more segments than the limit, newest first', async () => {
      const d = await t.addDealer('分页测试店');
      const made: string[] = [];
      for (let i = 0; i < 7; i++) {
        const res = await create({ name: `segment ${i}`, rule: f('city', 'eq', `c${i}`) }, { token: d.token });
        made.push(((await res.json()) as Seg).id);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await t.req('GET', `/v1/segments?limit=3${cursor ? `&cursor=${cursor}` : ''}`, { token: d.token });
        expect(res.status).toBe(200);
        const p = (await res.json()) as { data: Seg[]; nextCursor: string | null };
        expect(p.data.length).toBeLessThanOrEqual(3);
        seen.push(...p.data.map((s) => s.id));
        cursor = p.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      expect(pages).toBe(3);
      expect(seen).toEqual([...made].sort().reverse());
      expect((await t.req('GET', '/v1/segments?cursor=not-a-cursor', { token: d.token })).status).toBe(400);
    });

    it("keeps each dealer's segments to itself", async () => {
      const res = await create({ name: 'B 的名单', rule }, { token: other.token });
      const seg = (await res.json()) as Seg;
      for (const [method, path, body] of [
        ['GET', `/v1/segments/${seg.id}`],
        ['GET', `/v1/segments/${seg.id}/preview`],
        ['PUT', `/v1/segments/${seg.id}`, { name: 'mine now' }],
        ['DELETE', `/v1/segments/${seg.id}`],
      ] as const) {
        const r = await t.req(method, path, body ? { body } : {});
        expect(r.status, `${method} ${path}`).toBe(404);
        expect(((await r.json()) as { error: { code: string } }).error.code).toBe('not_found');
      }
      const list = (await (await t.req('GET', '/v1/segments?limit=500&archived=true')).json()) as { data: Seg[] };
      expect(list.data.map((s) => s.id)).not.toContain(seg.id);
      expect((await t.req('GET', `/v1/segments/${seg.id}`, { token: other.token })).status).toBe(200);
    });

    it('answers 404 for an id that is not a UUID', async () => {
      for (const path of ['/v1/segments/123', '/v1/segments/not-a-uuid/preview']) {
        const r = await t.req('GET', path);
        expect(r.status).toBe(404);
        expect(((await r.json()) as { error: { code: string } }).error.code).toBe('not_found');
      }
      expect((await t.req('DELETE', '/v1/segments/abc')).status).toBe(404);
      expect((await t.req('PUT', '/v1/segments/abc', { body: { name: 'x' } })).status).toBe(404);
    });

    it('lets managers read and preview but not write; printers see nothing', async () => {
      const manager = await t.addDealer('经理店', 'manager');
      const printer = await t.addDealer('印刷厂', 'printer');
      expect((await t.req('GET', '/v1/segments', { token: manager.token })).status).toBe(200);
      expect((await t.req('POST', '/v1/segments/preview', { body: { rule }, token: manager.token })).status).toBe(200);
      expect((await t.req('POST', '/v1/segments/validate', { body: { rule }, token: manager.token })).status).toBe(200);
      expect((await create({ name: 'x', rule }, { token: manager.token })).status).toBe(403);
      expect((await t.req('GET', '/v1/segments', { token: printer.token })).status).toBe(403);
      expect((await t.req('POST', '/v1/segments/preview', { body: { rule }, token: printer.token })).status).toBe(403);
    });

    it('bounds the preview sample', async () => {
      const r = await t.req('POST', '/v1/segments/preview', { body: { rule: f('kind', 'eq', 'prior_owner') } });
      const body = (await r.json()) as { count: number; sample: { id: string }[] };
      expect(body.count).toBe(4);
      expect(body.sample.map((s) => s.id)).toEqual(['alice', 'bob', 'carol', 'dave'].map((n) => ids.get(n)!).sort());
      const two = (await (await t.req('POST', '/v1/segments/preview', { body: { rule: f('kind', 'eq', 'prior_owner'), limit: 2 } })).json()) as {
        count: number;
        sample: unknown[];
      };
      expect(two.count).toBe(4);
      expect(two.sample).toHaveLength(2);
      expect((await t.req('POST', '/v1/segments/preview', { body: { rule, limit: 101 } })).status).toBe(400);
    });
  });
});
