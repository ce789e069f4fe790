// Segments: named, saved rules with live counts. Membership is never stored
// here; campaigns freeze it at launch through segmentContactIds().
import { and, desc, eq, lt, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { one, rows, type Tx } from '../db';
import { segments } from '../db/schema';
import { getDealer } from '../dealers';
import type { Deps } from '../http/context';
import { localDate } from '../lib/clock';
import { AppError, notFound } from '../lib/errors';
import { isUuid, uuidv7 } from '../lib/ids';
import { compileRule, type CompileContext } from './compile';
import { parseRule, type Rule } from './rules';

export type SegmentRow = typeof segments.$inferSelect;

// ── request bodies (the rule is checked separately so its errors are invalid_rule) ──
const name = z.string().trim().min(1, 'name must not be empty').max(200);
const description = z.string().max(2000).nullable();

export const createSegmentBody = z.object({
  name,
  description: description.optional(),
  rule: z.unknown().optional(),
});

export const updateSegmentBody = z
  .object({ name: name.optional(), description: description.optional(), rule: z.unknown().optional() })
  .refine((b) => b.name !== undefined || b.description !== undefined || b.rule !== undefined, {
    message: 'send at least one of name, description, rule',
  });

export const PREVIEW_DEFAULT = 20;
export const PREVIEW_MAX = 100;
const previewLimit = z.coerce.number().int().min(0).max(PREVIEW_MAX).default(PREVIEW_DEFAULT);
export const previewBody = z.object({ rule: z.unknown().optional(), limit: previewLimit });
export const previewQuery = z.object({ limit: previewLimit });

export interface NewSegment {
  name: string;
  description?: string | null;
  rule: Rule;
}

// ── the dealer's day ──────────────────────────────────────────────────────────
/** "today" and the time zone for relative-date rules: the dealer's local calendar. */
export async function dealerCalendar(deps: Deps, dealerId: string): Promise<{ today: string; timeZone: string }> {
  const dealer = await getDealer(deps.db.orm, dealerId);
  if (!dealer) throw notFound('dealer');
  return { today: localDate(deps.clock.now(), dealer.timezone), timeZone: dealer.timezone };
}

// ── membership SQL ────────────────────────────────────────────────────────────
function membersWhere(dealerId: string, rule: Rule, ctx: Omit<CompileContext, 'dealerId'>): SQL {
  return sql`c.dealer_id = ${dealerId}::uuid AND (${compileRule(rule, { ...ctx, dealerId })})`;
}

/**
 * `SELECT c.id FROM contacts c WHERE <dealer and rule>` as SQL, for campaigns to
 * freeze an audience (e.g. INSERT … SELECT). `today` is the dealer's local date.
 */
export function segmentContactIds(_db: Tx, dealerId: string, rule: Rule, today: string): SQL {
  return sql`SELECT c.id FROM contacts c WHERE ${membersWhere(dealerId, parseRule(rule), { today })}`;
}

/**
 * Planner settings for one count, scoped to its transaction (set_config(…, true)
 * is SET LOCAL). Measured on the 2-core bench machine with a million contacts:
 * - jit off: with OR-ed subplans the cost estimate crosses jit_above_cost and
 *   LLVM compilation alone took 1.4 s, longer than the query.
 * - custom plans always: the count is a prepared statement whose parameters
 *   (dates, prefixes, lists) decide the plan; a cached generic plan would guess.
 * - no parallel workers: on two cores the leader waits on workers that compete
 *   with it; with the segment indexes the replacement rule ran 3–5x and the
 *   care rule 1.1–1.4x slower in parallel (the club rule the same). Without
 *   those indexes a parallel seq scan wins instead: ship this with them.
 * - random_page_cost 1.1: the segment indexes and tables are memory-resident, and
 *   at the default 4 the planner reads the whole contacts table for a rule that
 *   must look at every contact (birthday month or insurance due: ~0.5 s) rather
 *   than the narrow contacts_dealer_id_idx (~0.15–0.2 s).
 * - work_mem: a hash of a few hundred thousand member or vehicle ids spills to
 *   disk at the 4MB default.
 */
const COUNT_SETTINGS = sql`SELECT set_config('jit', 'off', true), set_config('plan_cache_mode', 'force_custom_plan', true),
  set_config('max_parallel_workers_per_gather', '0', true), set_config('random_page_cost', '1.1', true),
  set_config('work_mem', '32MB', true)`;

export async function countMembers(db: Tx, dealerId: string, rule: Rule, ctx: Omit<CompileContext, 'dealerId'>): Promise<number> {
  const q = sql`SELECT count(*) AS count FROM contacts c WHERE ${membersWhere(dealerId, rule, ctx)}`;
  const r = await db.transaction(async (tx) => {
    await tx.execute(COUNT_SETTINGS);
    return one<{ count: number | string }>(tx, q);
  });
  return Number(r?.count ?? 0);
}

export interface SampleContact {
  id: string;
  kind: string;
  fullName: string | null;
  company: string | null;
  phone: string | null;
  email: string | null;
  city: string | null;
  postcode: string | null;
  tier: string | null;
}

export async function sampleMembers(
  db: Tx,
  dealerId: string,
  rule: Rule,
  ctx: Omit<CompileContext, 'dealerId'>,
  limit: number,
): Promise<SampleContact[]> {
  if (limit <= 0) return [];
  return rows<SampleContact>(
    db,
    sql`SELECT c.id, c.kind, c.full_name AS "fullName", c.company, c.phone_e164 AS phone, c.email, c.city, c.postcode, c.tier
        FROM contacts c WHERE ${membersWhere(dealerId, rule, ctx)}
        ORDER BY c.id LIMIT ${limit}::int`,
  );
}

/** Live count and a sample of the first members by id. */
export async function previewRule(deps: Deps, dealerId: string, rawRule: unknown, limit = PREVIEW_DEFAULT) {
  const rule = parseRule(rawRule);
  const ctx = await dealerCalendar(deps, dealerId);
  const db = deps.db.orm;
  const count = await countMembers(db, dealerId, rule, ctx);
  const sample = count === 0 ? [] : await sampleMembers(db, dealerId, rule, ctx, limit);
  return { count, sample };
}

// ── saved segments ────────────────────────────────────────────────────────────
export async function createSegment(deps: Deps, dealerId: string, input: NewSegment): Promise<SegmentRow> {
  const rule = parseRule(input.rule);
  const now = deps.clock.now();
  const [row] = await deps.db.orm
    .insert(segments)
    .values({
      // Wall-clock ids keep list order = creation order even under a fixed test clock.
      id: uuidv7(),
      dealerId,
      name: input.name,
      description: input.description ?? null,
      rule,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  return row!;
}

export async function getSegment(deps: Deps, dealerId: string, id: string): Promise<SegmentRow> {
  if (!isUuid(id)) throw notFound('segment');
  const [row] = await deps.db.orm.select().from(segments).where(and(eq(segments.id, id), eq(segments.dealerId, dealerId)));
  if (!row) throw notFound('segment');
  return row;
}

export async function listSegments(
  deps: Deps,
  dealerId: string,
  opts: { limit: number; after?: string; includeArchived?: boolean },
): Promise<SegmentRow[]> {
  return deps.db.orm
    .select()
    .from(segments)
    .where(
      and(
        eq(segments.dealerId, dealerId),
        opts.includeArchived ? undefined : eq(segments.archived, false),
        opts.after ? lt(segments.id, opts.after) : undefined,
      ),
    )
    .orderBy(desc(segments.id))
    .limit(opts.limit + 1);
}

export async function updateSegment(
  deps: Deps,
  dealerId: string,
  id: string,
  patch: { name?: string; description?: string | null; rule?: unknown },
): Promise<SegmentRow> {
  const rule = patch.rule === undefined ? undefined : parseRule(patch.rule);
  const current = await getSegment(deps, dealerId, id);
  if (current.archived) throw new AppError(409, 'segment_archived', 'an archived segment cannot be changed');
  const [row] = await deps.db.orm
    .update(segments)
    .set({
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      ...(rule !== undefined ? { rule } : {}),
      updatedAt: deps.clock.now(),
    })
    .where(and(eq(segments.id, current.id), eq(segments.dealerId, dealerId), eq(segments.archived, false)))
    .returning();
  if (!row) throw new AppError(409, 'segment_archived', 'an archived segment cannot be changed');
  return row;
}

/** Archive (soft delete): campaigns that froze this segment keep their audience. Repeating it is harmless. */
export async function archiveSegment(deps: Deps, dealerId: string, id: string): Promise<SegmentRow> {
  const current = await getSegment(deps, dealerId, id);
  if (current.archived) return current;
  const [row] = await deps.db.orm
    .update(segments)
    .set({ archived: true, updatedAt: deps.clock.now() })
    .where(and(eq(segments.id, current.id), eq(segments.dealerId, dealerId)))
    .returning();
  return row!;
}

export async function previewSegment(deps: Deps, dealerId: string, id: string, limit = PREVIEW_DEFAULT) {
  const seg = await getSegment(deps, dealerId, id);
  return previewRule(deps, dealerId, seg.rule, limit);
}

export function presentSegment(row: SegmentRow) {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    rule: row.rule as Rule,
    archived: row.archived,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

// ── idempotency ───────────────────────────────────────────────────────────────
/** JSON with object keys sorted at every level: equal bodies hash equally whatever their key order. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
