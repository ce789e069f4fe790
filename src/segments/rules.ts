// The segment rule language: typed JSON that says who is in an audience.
// Rules are validated here (every bad path named) and compiled to
// parameterized SQL in compile.ts; no user text ever becomes SQL text.
//
//   Rule := { and: Rule[] } | { or: Rule[] }          1..50 children
//         | { not: Rule }                              the exact complement
//         | { field, op, value? }                      a field comparison
//         | { any_vehicle: Rule }                      one vehicle meets every vehicle.* condition inside
//         | { has: 'phone' | 'email' | 'postal_address' }
//         | { consent: Channel }                       consent for the channel is 'granted'
//         | { not_suppressed: Channel }                no suppression (channel or 'all') on id, phone, email or household
//         | { reachable: Channel }                     address + consent + not suppressed (mail: not revoked)
//
// Nesting is limited to 10 levels and 1000 nodes, so a rule stays cheap to plan.
import { z } from 'zod';
import { CHANNELS, CONTACT_KINDS, type Channel } from '../contacts/types';
import { AppError, formatPath } from '../lib/errors';

export const MAX_DEPTH = 10;
export const MAX_CHILDREN = 50;
export const MAX_NODES = 1000;
export const MAX_LIST = 1000;
export const MAX_TEXT = 500;

// ── fields ────────────────────────────────────────────────────────────────────
export type FieldType = 'text' | 'enum' | 'number' | 'date';

interface FieldSpec {
  readonly type: FieldType;
  /** Allowed values of an enum field. */
  readonly values?: readonly string[];
  /** A vehicle field: true when any of the contact's vehicles matches. */
  readonly vehicle?: true;
}

export const FIELDS = {
  kind: { type: 'enum', values: CONTACT_KINDS },
  gender: { type: 'enum', values: ['male', 'female'] },
  tier: { type: 'text' },
  club: { type: 'text' },
  language: { type: 'text' },
  country: { type: 'text' },
  province: { type: 'text' },
  city: { type: 'text' },
  district: { type: 'text' },
  postcode: { type: 'text' },
  company: { type: 'text' },
  /** Salutation as given (先生, 女士, Dr. …). */
  title: { type: 'text' },
  /** Position at a corporate account. */
  job_title: { type: 'text' },
  birthday: { type: 'date' },
  join_date: { type: 'date' },
  /** The dealer-local date the contact was created. */
  created_at: { type: 'date' },
  fleet_size: { type: 'number' },
  'vehicle.make': { type: 'text', vehicle: true },
  'vehicle.model': { type: 'text', vehicle: true },
  'vehicle.vin': { type: 'text', vehicle: true },
  'vehicle.purchase_date': { type: 'date', vehicle: true },
  'vehicle.last_service_date': { type: 'date', vehicle: true },
  'vehicle.insurance_expiry': { type: 'date', vehicle: true },
  'vehicle.mileage_km': { type: 'number', vehicle: true },
} as const satisfies Record<string, FieldSpec>;

export type FieldName = keyof typeof FIELDS;
export const FIELD_NAMES = Object.keys(FIELDS) as FieldName[];
const fieldSpec = (f: FieldName): FieldSpec => FIELDS[f];
export const isFieldName = (s: string): s is FieldName => Object.hasOwn(FIELDS, s);

// ── operators ─────────────────────────────────────────────────────────────────
export const TEXT_OPS = ['eq', 'neq', 'in', 'not_in', 'starts_with', 'contains', 'is_empty', 'is_not_empty'] as const;
/** Enums compare whole values only. */
export const ENUM_OPS = ['eq', 'neq', 'in', 'not_in', 'is_empty', 'is_not_empty'] as const;
export const NUMBER_OPS = ['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'between', 'is_empty', 'is_not_empty'] as const;
export const DATE_OPS = [
  'on',
  'before',
  'after',
  'between',
  'is_empty',
  'is_not_empty',
  'more_than_ago',
  'less_than_ago',
  'within_last',
  'within_next',
  'more_than_ahead',
  'month_is',
  'anniversary_within_next',
] as const;

export type TextOp = (typeof TEXT_OPS)[number];
export type NumberOp = (typeof NUMBER_OPS)[number];
export type DateOp = (typeof DATE_OPS)[number];
export type Op = TextOp | NumberOp | DateOp;

const OPS_BY_TYPE: Record<FieldType, readonly Op[]> = { text: TEXT_OPS, enum: ENUM_OPS, number: NUMBER_OPS, date: DATE_OPS };
export const opsFor = (f: FieldName): readonly Op[] => OPS_BY_TYPE[fieldSpec(f).type];

// ── values ────────────────────────────────────────────────────────────────────
export const UNITS = ['day', 'week', 'month', 'year'] as const;
export type Unit = (typeof UNITS)[number];
export interface RelativeValue {
  amount: number;
  unit: Unit;
}

/** Caps that keep relative dates within a century. */
const MAX_AMOUNT: Record<Unit, number> = { day: 36_600, week: 5_220, month: 1_200, year: 100 };
/** An anniversary window longer than a year would match every known date. */
const MAX_ANNIVERSARY: Record<Unit, number> = { day: 366, week: 52, month: 12, year: 1 };

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
export function isIsoDate(s: string): boolean {
  const m = ISO_DATE.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (y < 1 || mo < 1 || mo > 12 || d < 1) return false;
  return d <= daysInMonth(y, mo);
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

const text = z.string().min(1).max(MAX_TEXT);
const isoDate = z.string().refine(isIsoDate, 'not a calendar date');
const month = z.int().min(1).max(12);

export type ValueKind = 'none' | 'text' | 'textList' | 'number' | 'numberRange' | 'date' | 'dateRange' | 'relative' | 'months' | 'anniversary';

/** The shape of `value` each kind expects: a zod schema and the words for an error message. */
const VALUE_SHAPES: Record<Exclude<ValueKind, 'none'>, { schema: z.ZodType; expected: string }> = {
  text: { schema: text, expected: `a non-empty string of at most ${MAX_TEXT} characters` },
  textList: {
    schema: z.array(text).min(1).max(MAX_LIST),
    expected: `an array of 1 to ${MAX_LIST} non-empty strings`,
  },
  number: { schema: z.number().finite(), expected: 'a number' },
  numberRange: {
    schema: z.tuple([z.number().finite(), z.number().finite()]).refine(([a, b]) => a <= b, 'the first number is larger than the second'),
    expected: 'an array of two numbers [low, high] with low ≤ high',
  },
  date: { schema: isoDate, expected: 'an ISO date "YYYY-MM-DD"' },
  dateRange: {
    schema: z.tuple([isoDate, isoDate]).refine(([a, b]) => a <= b, 'the first date is after the second'),
    expected: 'an array of two ISO dates ["YYYY-MM-DD", "YYYY-MM-DD"], earliest first',
  },
  relative: {
    schema: z
      .strictObject({ amount: z.int().min(0), unit: z.enum(UNITS) })
      .refine((v) => v.amount <= MAX_AMOUNT[v.unit], 'the amount is more than 100 years'),
    expected: '{"amount": n, "unit": "day"|"week"|"month"|"year"} with n a whole number ≥ 0',
  },
  months: {
    schema: z.union([month, z.array(month).min(1).max(12)]),
    expected: 'a month 1..12 or an array of months',
  },
  anniversary: {
    schema: z
      .strictObject({ amount: z.int().min(0), unit: z.enum(['day', 'week', 'month']) })
      .refine((v) => v.amount <= MAX_ANNIVERSARY[v.unit], 'the window is longer than a year'),
    expected: '{"amount": n, "unit": "day"} with n from 0 to 366 (weeks and months also work, up to a year)',
  },
};

/** Which value an operator takes on a field of a given type. */
export function valueKind(type: FieldType, op: Op): ValueKind {
  switch (op) {
    case 'is_empty':
    case 'is_not_empty':
      return 'none';
    case 'in':
    case 'not_in':
      return 'textList';
    case 'starts_with':
    case 'contains':
      return 'text';
    case 'eq':
    case 'neq':
      return type === 'number' ? 'number' : 'text';
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte':
      return 'number';
    case 'between':
      return type === 'number' ? 'numberRange' : 'dateRange';
    case 'on':
    case 'before':
    case 'after':
      return 'date';
    case 'more_than_ago':
    case 'less_than_ago':
    case 'within_last':
    case 'within_next':
    case 'more_than_ahead':
      return 'relative';
    case 'month_is':
      return 'months';
    case 'anniversary_within_next':
      return 'anniversary';
  }
}

// ── the rule types ────────────────────────────────────────────────────────────
export type ComparisonValue =
  | string
  | number
  | string[]
  | number[]
  | [number, number]
  | [string, string]
  | RelativeValue;

export interface Comparison {
  field: FieldName;
  op: Op;
  value?: ComparisonValue;
}

export const HAS_TARGETS = ['phone', 'email', 'postal_address'] as const;
export type HasTarget = (typeof HAS_TARGETS)[number];

export type Rule =
  | { and: Rule[] }
  | { or: Rule[] }
  | { not: Rule }
  | Comparison
  | { any_vehicle: Rule }
  | { has: HasTarget }
  | { consent: Channel }
  | { not_suppressed: Channel }
  | { reachable: Channel };

const COMBINATORS = ['and', 'or', 'not', 'any_vehicle'] as const;
const ATOMS = { has: HAS_TARGETS, consent: CHANNELS, not_suppressed: CHANNELS, reachable: CHANNELS } as const;
const RULE_KEYS = [...COMBINATORS, ...Object.keys(ATOMS), 'field'];
const RULE_SHAPES =
  '{"and": [...]}, {"or": [...]}, {"not": {...}}, {"field", "op", "value"}, {"any_vehicle": {...}}, ' +
  '{"has": ...}, {"consent": ...}, {"not_suppressed": ...} or {"reachable": ...}';

// ── validation ────────────────────────────────────────────────────────────────
export interface RuleIssue {
  path: PropertyKey[];
  message: string;
  /** A comparison's value missing or of the wrong shape: what it takes (pages say it in their language), and zod's reason for a wrong part. */
  value?: { kind: Exclude<ValueKind, 'none'>; missing: boolean; reason?: string };
}

const MAX_ISSUES = 50;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (xs: readonly string[]) => xs.join(', ');

/** Every problem with a rule, each at its path below the rule (empty when valid). */
export function ruleIssues(raw: unknown): RuleIssue[] {
  const issues: RuleIssue[] = [];
  const state = { nodes: 0 };
  const add = (path: PropertyKey[], message: string, value?: RuleIssue['value']) => {
    if (issues.length < MAX_ISSUES) issues.push(value ? { path, message, value } : { path, message });
  };

  const walk = (v: unknown, path: PropertyKey[], depth: number, inVehicle: boolean): void => {
    if (issues.length >= MAX_ISSUES) return;
    if (v === undefined) return add(path, 'a rule is required');
    if (!isObject(v)) return add(path, `expected a rule object: ${RULE_SHAPES}`);
    if (depth > MAX_DEPTH) return add(path, `rules may nest at most ${MAX_DEPTH} levels deep`);
    if (++state.nodes > MAX_NODES) {
      if (state.nodes === MAX_NODES + 1) add(path, `a rule may have at most ${MAX_NODES} conditions`);
      return;
    }
    const keys = Object.keys(v);
    if ('field' in v) return comparison(v, path, inVehicle);
    const known = keys.filter((k) => RULE_KEYS.includes(k));
    if (known.length !== 1) {
      if (known.length === 0) return add(path, `unknown rule ${keys.length ? `key "${keys[0]}"` : '{}'}; expected ${RULE_SHAPES}`);
      return add(path, `a rule object has exactly one of ${list(known)}; wrap them in {"and": [...]}`);
    }
    const key = known[0]!;
    for (const k of keys) if (k !== key) add([...path, k], `unknown key "${k}" next to "${key}"`);
    const body = v[key];
    const at = [...path, key];

    if (key === 'and' || key === 'or') {
      if (!Array.isArray(body)) return add(at, `"${key}" takes an array of 1 to ${MAX_CHILDREN} rules`);
      if (body.length === 0) return add(at, `"${key}" needs at least one rule`);
      if (body.length > MAX_CHILDREN) return add(at, `"${key}" takes at most ${MAX_CHILDREN} rules; nest groups for more`);
      body.forEach((child, i) => walk(child, [...at, i], depth + 1, inVehicle));
      return;
    }
    if (key === 'not') return walk(body, at, depth + 1, inVehicle);
    if (key === 'any_vehicle') {
      if (inVehicle) return add(at, '"any_vehicle" cannot be nested inside "any_vehicle"');
      return walk(body, at, depth + 1, true);
    }
    // has / consent / not_suppressed / reachable
    const allowed = ATOMS[key as keyof typeof ATOMS];
    if (inVehicle) return add(at, `"${key}" is about the contact; inside "any_vehicle" only vehicle.* fields may be used`);
    if (typeof body !== 'string' || !(allowed as readonly string[]).includes(body)) {
      return add(at, `"${key}" must be one of ${list(allowed)}`);
    }
  };

  const comparison = (v: Record<string, unknown>, path: PropertyKey[], inVehicle: boolean): void => {
    for (const k of Object.keys(v)) {
      if (k !== 'field' && k !== 'op' && k !== 'value') add([...path, k], `unknown key "${k}"; a comparison has field, op and value`);
    }
    const f = v.field;
    if (typeof f !== 'string' || !isFieldName(f)) {
      const shown = typeof f === 'string' ? `unknown field "${f.slice(0, 100)}"` : 'field must be a string';
      return add([...path, 'field'], `${shown}; known fields: ${list(FIELD_NAMES)}`);
    }
    const spec = fieldSpec(f);
    if (inVehicle && !spec.vehicle) {
      return add([...path, 'field'], `"${f}" is a contact field; inside "any_vehicle" only vehicle.* fields may be used`);
    }
    const ops = opsFor(f);
    const op = v.op;
    if (typeof op !== 'string' || !(ops as readonly string[]).includes(op)) {
      const shown = typeof op === 'string' ? `op "${op.slice(0, 100)}" is not allowed` : 'op must be a string';
      return add([...path, 'op'], `${shown} for ${spec.type} field "${f}"; allowed ops: ${list(ops)}`);
    }
    const kind = valueKind(spec.type, op as Op);
    const valuePath = [...path, 'value'];
    if (kind === 'none') {
      if (v.value !== undefined) add(valuePath, `"${op}" takes no value`);
      return;
    }
    if (v.value === undefined) return add(valuePath, `"${op}" needs a value: ${VALUE_SHAPES[kind].expected}`, { kind, missing: true });
    const shape = VALUE_SHAPES[kind];
    const r = shape.schema.safeParse(v.value);
    if (!r.success) {
      const first = r.error.issues[0]!;
      // The whole shape is wrong: say what is expected; a part is wrong: say which part and why.
      const wholeWrong = first.path.length === 0 && (first.code === 'invalid_type' || first.code === 'invalid_union');
      const message = wholeWrong
        ? `value must be ${shape.expected}`
        : `value must be ${shape.expected}: ${first.message}`;
      return add([...valuePath, ...first.path], message, wholeWrong ? { kind, missing: false } : { kind, missing: false, reason: first.message });
    }
    if (spec.type === 'enum') {
      const allowed = spec.values!;
      const bad = (s: unknown) => typeof s === 'string' && !allowed.includes(s);
      const msg = (s: string) => `"${s.slice(0, 100)}" is not a valid ${f}; expected one of ${list(allowed)}`;
      if (Array.isArray(v.value)) v.value.forEach((s, i) => bad(s) && add([...valuePath, i], msg(s as string)));
      else if (bad(v.value)) add(valuePath, msg(v.value as string));
    }
  };

  walk(raw, [], 1, false);
  return issues;
}

export function invalidRule(issues: RuleIssue[], prefix = 'rule'): AppError {
  const details = issues.map((i) => ({ path: formatPath(i.path, prefix), message: i.message }));
  const first = details[0];
  return new AppError(
    400,
    'invalid_rule',
    first ? `the segment rule is not valid: ${first.path}: ${first.message}` : 'the segment rule is not valid',
    details,
  );
}

/** A valid Rule, or a 400 invalid_rule naming every bad path (as `rule.and[1].op`). */
export function parseRule(raw: unknown, prefix = 'rule'): Rule {
  const issues = ruleIssues(raw);
  if (issues.length) throw invalidRule(issues, prefix);
  return raw as Rule;
}

/** The rule as a zod schema, for composing into request schemas; issues carry their paths. */
export const ruleSchema = z.custom<Rule>().superRefine((v, ctx) => {
  for (const i of ruleIssues(v)) ctx.addIssue({ code: 'custom', message: i.message, path: i.path });
});

// ── relative dates ────────────────────────────────────────────────────────────
/**
 * `date` moved by n units (n may be negative), calendar-style: a month or year
 * step that lands past the month's end clamps to its last day, as PostgreSQL
 * does (2026-03-31 − 1 month = 2026-02-28).
 */
export function shiftDate(date: string, n: number, unit: Unit): string {
  const m = ISO_DATE.exec(date);
  if (!m) throw new Error(`not an ISO date: ${date}`);
  let y = Number(m[1]);
  let mo = Number(m[2]);
  let d = Number(m[3]);
  if (unit === 'day' || unit === 'week') {
    const t = new Date(Date.UTC(y, mo - 1, d));
    t.setUTCDate(t.getUTCDate() + n * (unit === 'week' ? 7 : 1));
    return t.toISOString().slice(0, 10);
  }
  const months = unit === 'year' ? n * 12 : n;
  const total = y * 12 + (mo - 1) + months;
  y = Math.floor(total / 12);
  mo = (total % 12) + 1;
  d = Math.min(d, daysInMonth(y, mo));
  return `${String(y).padStart(4, '0')}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}
