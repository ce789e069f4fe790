// Rule → SQL. The result is a boolean expression over `contacts c`, used as
//   FROM contacts c WHERE c.dealer_id = $dealer AND (<compiled>)
// Every user value is a bound parameter; identifiers come only from COLUMNS.
//
// Semantics worth knowing:
// - "today" is the dealer's local date, given by the caller (never now()).
// - `not` is the exact complement: NOT over SQL's unknown would drop contacts
//   whose field is empty, so it compiles to `(x) IS NOT TRUE`. Likewise `neq`
//   and `not_in` match contacts whose field is empty.
// - A vehicle.* comparison is true when any of the contact's vehicles matches;
//   `any_vehicle` asks that one vehicle meet every condition inside it.
// - Some conditions read columns derived onto the contact (its vehicle date
//   spans, its per-channel suppressed flags; see src/db/schema.ts) where that is
//   exactly the condition on the source rows; each such place says why.
import { sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Channel } from '../contacts/types';
import { contacts, vehicles } from '../db/schema';
import {
  FIELDS,
  parseRule,
  shiftDate,
  type Comparison,
  type FieldName,
  type HasTarget,
  type RelativeValue,
  type Rule,
  type Unit,
} from './rules';

export interface CompileContext {
  dealerId: string;
  /** The dealer's local date, YYYY-MM-DD. */
  today: string;
  /** The dealer's IANA time zone, for timestamp fields; looked up from dealers when absent. */
  timeZone?: string;
}

type Scope = 'contact' | 'vehicle';

type Column = AnyPgColumn;

/** `c."col"` / `v."col"`: the schema's column name under the query's alias. */
const ref = (alias: 'c' | 'v', col: Column) => sql`${sql.identifier(alias)}.${sql.identifier(col.name)}`;
const c = (col: Column) => ref('c', col);

/**
 * The whitelist: rule field → table alias and schema column. Nothing else is
 * ever named in SQL; tying it to the schema makes a renamed column a type error.
 */
const COLUMNS: { readonly [F in FieldName]: { alias: 'c' | 'v'; column: Column; timestamp?: true } } = {
  kind: { alias: 'c', column: contacts.kind },
  gender: { alias: 'c', column: contacts.gender },
  tier: { alias: 'c', column: contacts.tier },
  club: { alias: 'c', column: contacts.club },
  language: { alias: 'c', column: contacts.language },
  country: { alias: 'c', column: contacts.country },
  province: { alias: 'c', column: contacts.province },
  city: { alias: 'c', column: contacts.city },
  district: { alias: 'c', column: contacts.district },
  postcode: { alias: 'c', column: contacts.postcode },
  company: { alias: 'c', column: contacts.company },
  title: { alias: 'c', column: contacts.title },
  job_title: { alias: 'c', column: contacts.jobTitle },
  birthday: { alias: 'c', column: contacts.birthday },
  join_date: { alias: 'c', column: contacts.joinDate },
  created_at: { alias: 'c', column: contacts.createdAt, timestamp: true },
  fleet_size: { alias: 'c', column: contacts.fleetSize },
  'vehicle.make': { alias: 'v', column: vehicles.make },
  'vehicle.model': { alias: 'v', column: vehicles.model },
  'vehicle.vin': { alias: 'v', column: vehicles.vin },
  'vehicle.purchase_date': { alias: 'v', column: vehicles.purchaseDate },
  'vehicle.last_service_date': { alias: 'v', column: vehicles.lastServiceDate },
  'vehicle.insurance_expiry': { alias: 'v', column: vehicles.insuranceExpiry },
  'vehicle.mileage_km': { alias: 'v', column: vehicles.mileageKm },
};

/** Consent lives in one column per channel on the contact: granted | revoked | null (never asked). */
const CONSENT_COLUMNS: Record<Channel, Column> = {
  mail: contacts.mailConsent,
  sms: contacts.smsConsent,
  email: contacts.emailConsent,
};

/** Per channel: some suppression names the contact (kept by src/contacts/suppression.ts). */
const SUPPRESSED_COLUMNS: Record<Channel, Column> = {
  mail: contacts.mailSuppressed,
  sms: contacts.smsSuppressed,
  email: contacts.emailSuppressed,
};

/**
 * Vehicle date fields whose earliest and latest value over the contact's
 * vehicles (same dealer) are kept on the contact (src/contacts/vehicle-dates.ts).
 */
const VEHICLE_SPANS: Partial<Record<FieldName, { first: Column; last: Column }>> = {
  'vehicle.purchase_date': { first: contacts.firstPurchaseDate, last: contacts.lastPurchaseDate },
  'vehicle.insurance_expiry': { first: contacts.firstInsuranceExpiry, last: contacts.lastInsuranceExpiry },
};

/** A boolean SQL expression over alias `c` that is true for the rule's members. */
export function compileRule(rule: Rule, ctx: CompileContext): SQL {
  // Validate again: stored or programmatic rules reach SQL only in a known shape.
  parseRule(rule);
  return node(rule, ctx, 'contact');
}

function node(rule: Rule, ctx: CompileContext, scope: Scope): SQL {
  if ('and' in rule) return group(rule.and.map((r) => node(r, ctx, scope)), 'AND');
  if ('or' in rule) return group(rule.or.map((r) => node(r, ctx, scope)), 'OR');
  if ('not' in rule) return sql`((${node(rule.not, ctx, scope)}) IS NOT TRUE)`;
  if ('any_vehicle' in rule) return vehicleExists(node(rule.any_vehicle, ctx, 'vehicle'));
  if ('field' in rule) return comparison(rule, ctx, scope);
  if ('has' in rule) return has(rule.has);
  if ('consent' in rule) return consentGranted(rule.consent);
  if ('not_suppressed' in rule) return notSuppressed(rule.not_suppressed);
  if ('reachable' in rule) return reachable(rule.reachable);
  throw new Error('unreachable: unknown rule shape');
}

function group(parts: SQL[], op: 'AND' | 'OR'): SQL {
  return sql`(${sql.join(parts, op === 'AND' ? sql` AND ` : sql` OR `)})`;
}

/** True when any vehicle of the contact (same dealer) satisfies `pred` over alias `v`. */
function vehicleExists(pred: SQL): SQL {
  return sql`EXISTS (SELECT 1 FROM vehicles v WHERE v.contact_id = c.id AND v.dealer_id = c.dealer_id AND (${pred}))`;
}

function column(field: FieldName, ctx: CompileContext): SQL {
  const col = COLUMNS[field];
  const r = ref(col.alias, col.column);
  if (!col.timestamp) return r;
  // A timestamp compares as the dealer's local calendar date.
  const tz = ctx.timeZone ?? sql`(SELECT d.timezone FROM dealers d WHERE d.id = ${ctx.dealerId}::uuid)`;
  return sql`((${r} AT TIME ZONE ${tz})::date)`;
}

function comparison(rule: Comparison, ctx: CompileContext, scope: Scope): SQL {
  const spec = FIELDS[rule.field];
  const col = column(rule.field, ctx);
  let pred: SQL;
  switch (spec.type) {
    case 'text':
    case 'enum':
      pred = textPredicate(col, rule);
      break;
    case 'number':
      pred = numberPredicate(col, rule);
      break;
    case 'date':
      pred = datePredicate(col, rule, ctx.today);
      break;
  }
  const onVehicle = 'vehicle' in spec && spec.vehicle;
  if (!onVehicle || scope === 'vehicle') return pred;
  const span = VEHICLE_SPANS[rule.field];
  const interval = span ? dateInterval(rule, ctx.today) : undefined;
  return span && interval ? spanPredicate(span, interval, vehicleExists(pred)) : vehicleExists(pred);
}

/**
 * "Some vehicle's date d lies in the interval", read from the contact's span
 * [first, last] of that date (both null when no vehicle has one):
 * - d < x for some d  ⇔  first < x;   d > x for some d  ⇔  last > x;
 *   some d is known   ⇔  first IS NOT NULL.
 * - lo ≤ d ≤ hi for some d  ⇔  first or last lies in [lo, hi], or the span
 *   straddles the window (first < lo and hi < last) and one of the dates in
 *   between falls in it. Only that last case, rare (three or more dates), asks
 *   the vehicles, and the CASE keeps the question from being asked otherwise
 *   (a plain AND would still evaluate it when the span is null).
 * Where the EXISTS form is false the span form is false or null; both are
 * "not a member", and `not` compiles to IS NOT TRUE, so members are the same.
 */
function spanPredicate(span: { first: Column; last: Column }, iv: DateInterval, exists: SQL): SQL {
  const first = c(span.first);
  const last = c(span.last);
  if ('below' in iv) return sql`${first} < ${iv.below}::date`;
  if ('above' in iv) return sql`${last} > ${iv.above}::date`;
  if ('known' in iv) return sql`${first} IS NOT NULL`;
  const lo = sql`${iv.from}::date`;
  const hi = sql`${iv.to}::date`;
  return sql`(${first} BETWEEN ${lo} AND ${hi} OR ${last} BETWEEN ${lo} AND ${hi} OR CASE WHEN ${first} < ${lo} AND ${last} > ${hi} THEN ${exists} ELSE FALSE END)`;
}

// ── text ──────────────────────────────────────────────────────────────────────
/** LIKE treats %, _ and the escape character \ specially; match them literally. */
export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

function textPredicate(col: SQL, r: Comparison): SQL {
  switch (r.op) {
    case 'eq':
      return sql`${col} = ${str(r.value)}::text`;
    case 'neq':
      return sql`${col} IS DISTINCT FROM ${str(r.value)}::text`;
    case 'in':
      return sql`${col} = ANY(${sql.param(strs(r.value))}::text[])`;
    case 'not_in':
      return sql`((${col} = ANY(${sql.param(strs(r.value))}::text[])) IS NOT TRUE)`;
    case 'starts_with':
      // LIKE (not ILIKE) with a constant prefix can use the text_pattern_ops index.
      return sql`${col} LIKE ${escapeLike(str(r.value))}::text || '%'`;
    case 'contains':
      // Substring search, case-insensitive; strpos needs no escaping.
      return sql`strpos(lower(${col}), lower(${str(r.value)}::text)) > 0`;
    case 'is_empty':
      return sql`(${col} IS NULL OR ${col} = '')`;
    case 'is_not_empty':
      return sql`${col} <> ''`;
    default:
      throw badOp(r);
  }
}

// ── numbers ───────────────────────────────────────────────────────────────────
function numberPredicate(col: SQL, r: Comparison): SQL {
  switch (r.op) {
    case 'eq':
      return sql`${col} = ${num(r.value)}::numeric`;
    case 'neq':
      return sql`${col} IS DISTINCT FROM ${num(r.value)}::numeric`;
    case 'lt':
      return sql`${col} < ${num(r.value)}::numeric`;
    case 'lte':
      return sql`${col} <= ${num(r.value)}::numeric`;
    case 'gt':
      return sql`${col} > ${num(r.value)}::numeric`;
    case 'gte':
      return sql`${col} >= ${num(r.value)}::numeric`;
    case 'between': {
      const [lo, hi] = pair(r.value, 'number');
      return sql`${col} BETWEEN ${lo}::numeric AND ${hi}::numeric`;
    }
    case 'is_empty':
      return sql`${col} IS NULL`;
    case 'is_not_empty':
      return sql`${col} IS NOT NULL`;
    default:
      throw badOp(r);
  }
}

// ── dates ─────────────────────────────────────────────────────────────────────
/** A date op that is an interval test: d < below, d > above, from ≤ d ≤ to, or d known. */
type DateInterval = { below: string } | { above: string } | { from: string; to: string } | { known: true };

/** The interval a date comparison tests, with relative dates resolved against today; undefined for the other ops. */
function dateInterval(r: Comparison, today: string): DateInterval | undefined {
  switch (r.op) {
    case 'on': {
      const x = str(r.value);
      return { from: x, to: x };
    }
    case 'before':
      return { below: str(r.value) };
    case 'after':
      return { above: str(r.value) };
    case 'between': {
      const [from, to] = pair(r.value, 'string');
      return { from, to };
    }
    case 'is_not_empty':
      return { known: true };
    case 'more_than_ago': {
      const v = rel(r.value);
      return { below: shiftDate(today, -v.amount, v.unit) };
    }
    case 'less_than_ago':
    case 'within_last': {
      const v = rel(r.value);
      return { from: shiftDate(today, -v.amount, v.unit), to: today };
    }
    case 'within_next': {
      const v = rel(r.value);
      return { from: today, to: shiftDate(today, v.amount, v.unit) };
    }
    case 'more_than_ahead': {
      const v = rel(r.value);
      return { above: shiftDate(today, v.amount, v.unit) };
    }
    default:
      return undefined;
  }
}

function datePredicate(col: SQL, r: Comparison, today: string): SQL {
  const d = (s: string) => sql`${s}::date`;
  const iv = dateInterval(r, today);
  if (iv) {
    if ('below' in iv) return sql`${col} < ${d(iv.below)}`;
    if ('above' in iv) return sql`${col} > ${d(iv.above)}`;
    if ('known' in iv) return sql`${col} IS NOT NULL`;
    return iv.from === iv.to ? sql`${col} = ${d(iv.from)}` : sql`${col} BETWEEN ${d(iv.from)} AND ${d(iv.to)}`;
  }
  switch (r.op) {
    case 'is_empty':
      return sql`${col} IS NULL`;
    case 'month_is':
      // On birthday, this exact expression is stored in contacts_dealer_id_idx.
      return sql`${monthOf(col)} = ANY(${sql.param(months(r.value))}::int[])`;
    case 'anniversary_within_next':
      return anniversaryWithin(col, rel(r.value), today);
    default:
      throw badOp(r);
  }
}

/** The month (1–12) of a date, as an int: cheaper to compare than extract's numeric. */
const monthOf = (col: SQL) => sql`(extract(month from ${col}))::int`;

/**
 * The date's next anniversary (on or after today) falls within [today, today + n].
 * Compared by month and day, so the year of birth does not matter; a window that
 * crosses New Year wraps. A 29 February date is celebrated on 28 February in
 * common years. The month test in front lets the birthday-month index narrow rows.
 */
export function anniversaryWithin(col: SQL, v: Pick<RelativeValue, 'amount'> & { unit: Unit }, today: string): SQL {
  const end = shiftDate(today, v.amount, v.unit);
  if (end >= shiftDate(today, 1, 'year')) return sql`${col} IS NOT NULL`;
  const [ty, tm, td] = ymd(today);
  const [ey, em, ed] = ymd(end);
  const startKey = tm * 100 + td;
  const endKey = em * 100 + ed;
  const wraps = ey > ty;

  const monthsTouched: number[] = [];
  for (let y = ty, m = tm; y < ey || (y === ey && m <= em); m === 12 ? ((m = 1), y++) : m++) monthsTouched.push(m);

  let feb29 = false;
  for (const y of wraps ? [ty, ey] : [ty]) {
    const observed = `${String(y).padStart(4, '0')}-02-${isLeap(y) ? '29' : '28'}`;
    if (observed >= today && observed <= end) feb29 = true;
  }

  const month = monthOf(col);
  const day = sql`(extract(day from ${col}))::int`;
  const key = sql`(${month} * 100 + ${day})`;
  const inWindow = wraps
    ? sql`(${key} >= ${startKey}::int OR ${key} <= ${endKey}::int)`
    : sql`${key} BETWEEN ${startKey}::int AND ${endKey}::int`;
  return sql`(${month} = ANY(${sql.param(monthsTouched)}::int[]) AND CASE WHEN ${month} = 2 AND ${day} = 29 THEN ${feb29 ? sql`TRUE` : sql`FALSE`} ELSE ${inWindow} END)`;
}

const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
function ymd(s: string): [number, number, number] {
  const [y, m, d] = s.split('-').map(Number);
  return [y!, m!, d!];
}

// ── contact reachability ──────────────────────────────────────────────────────
function has(target: HasTarget): SQL {
  switch (target) {
    case 'phone':
      return sql`${c(contacts.phone)} <> ''`;
    case 'email':
      return sql`${c(contacts.email)} <> ''`;
    case 'postal_address':
      return sql`(${c(contacts.street)} <> '' AND ${c(contacts.postcode)} <> '')`;
  }
}

function consentGranted(channel: Channel): SQL {
  return sql`${c(CONSENT_COLUMNS[channel])} = 'granted'`;
}

/**
 * No suppression of this dealer on the channel (or 'all') names the contact's
 * id, phone, email or household: the contact's flag for the channel, which
 * src/contacts/suppression.ts keeps equal to exactly that in every transaction
 * that changes a suppression or a contact's addresses.
 */
function notSuppressed(channel: Channel): SQL {
  return sql`NOT ${c(SUPPRESSED_COLUMNS[channel])}`;
}

/** The channel's address, permission and no suppression. */
function reachable(channel: Channel): SQL {
  if (channel === 'mail') {
    // Postal marketing to a dealer's own customers needs no opt-in, only no
    // opt-out: mail is permitted unless the contact revoked mail consent.
    const notRevoked = sql`${c(CONSENT_COLUMNS.mail)} IS DISTINCT FROM 'revoked'`;
    return sql`(${has('postal_address')} AND ${notRevoked} AND ${notSuppressed('mail')})`;
  }
  const address = has(channel === 'sms' ? 'phone' : 'email');
  return sql`(${address} AND ${consentGranted(channel)} AND ${notSuppressed(channel)})`;
}

// ── value narrowing (rules are validated before compiling) ────────────────────
function badOp(r: Comparison): Error {
  return new Error(`unreachable: op ${r.op} on ${r.field}`);
}
function str(v: unknown): string {
  if (typeof v !== 'string') throw new Error('expected a string value');
  return v;
}
function strs(v: unknown): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new Error('expected a string array');
  return v as string[];
}
function num(v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error('expected a number');
  return v;
}
function pair<T extends 'number' | 'string'>(v: unknown, type: T): [T extends 'number' ? number : string, T extends 'number' ? number : string] {
  if (!Array.isArray(v) || v.length !== 2 || v.some((x) => typeof x !== type)) throw new Error(`expected two ${type}s`);
  return v as never;
}
function rel(v: unknown): RelativeValue {
  const r = v as RelativeValue;
  if (typeof r !== 'object' || r === null || typeof r.amount !== 'number' || typeof r.unit !== 'string') {
    throw new Error('expected {amount, unit}');
  }
  return r;
}
function months(v: unknown): number[] {
  const ms = Array.isArray(v) ? v : [v];
  if (!ms.every((m) => Number.isInteger(m))) throw new Error('expected months');
  return [...new Set(ms as number[])];
}
