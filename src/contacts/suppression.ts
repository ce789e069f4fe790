// Suppressions: the list no send can bypass. Keyed by the address itself
// (phone, email, household) or the contact, per channel or for all channels.
// Sends call `blockedSends` (a batch) or `suppressionFor` (one) at send time, not only when a segment is built:
// it reads the suppressions table, never the flags below.
//
// Each contact also carries a flag per channel (mail_suppressed, sms_suppressed,
// email_suppressed) for segment counts: true when some suppression of the
// dealer on that channel or 'all' names the contact (its id, phone, email or
// household: the matching rules of `namesRecipient`, which the send-time check
// uses). `refreshSuppressionFlags` is the one place that computes them; it runs
// in the transaction of every change to its inputs: a suppression added or
// lifted (here), a contact created or given another phone, email or household
// by an import (src/imports/merge.ts). Consent does not enter into them.
import { and, eq, sql, type SQL } from 'drizzle-orm';
import { rows, type Tx } from '../db';
import { suppressions } from '../db/schema';
import type { Clock } from '../lib/clock';
import { isUuid, uuidv7 } from '../lib/ids';
import { CHANNELS, type Channel, type SuppressionReason } from './types';

export type SuppressionChannel = Channel | 'all';
export type SuppressionTarget = 'contact' | 'phone' | 'email' | 'household';

export interface SuppressionInput {
  channel: SuppressionChannel;
  target: SuppressionTarget;
  value: string;
  reason: SuppressionReason;
  source: string;
  note?: string | null;
}

export type SuppressionRow = typeof suppressions.$inferSelect;

/** Add a suppression; an existing one for the same address and channel is kept (and returned). */
export async function suppress(db: Tx, clock: Clock, dealerId: string, s: SuppressionInput): Promise<{ row: SuppressionRow; created: boolean }> {
  return db.transaction(async (tx) => {
    await lockSuppressionFlags(tx, dealerId);
    const [row] = await tx
      .insert(suppressions)
      .values({ id: uuidv7(clock.now().getTime()), dealerId, ...s, note: s.note ?? null, createdAt: clock.now() })
      .onConflictDoNothing()
      .returning();
    if (row) {
      await refreshSuppressionFlags(tx, dealerId, { target: s.target, value: s.value });
      return { row, created: true };
    }
    const [existing] = await tx
      .select()
      .from(suppressions)
      .where(
        and(
          eq(suppressions.dealerId, dealerId),
          eq(suppressions.target, s.target),
          eq(suppressions.value, s.value),
          eq(suppressions.channel, s.channel),
        ),
      );
    return { row: existing!, created: false };
  });
}

/** Remove a suppression of the dealer and recompute the flags of the contacts it named; undefined when there was none. */
export async function liftSuppression(db: Tx, dealerId: string, id: string): Promise<SuppressionRow | undefined> {
  return db.transaction(async (tx) => {
    await lockSuppressionFlags(tx, dealerId);
    const [row] = await tx
      .delete(suppressions)
      .where(and(eq(suppressions.id, id), eq(suppressions.dealerId, dealerId)))
      .returning();
    if (row) await refreshSuppressionFlags(tx, dealerId, { target: row.target as SuppressionTarget, value: row.value });
    return row;
  });
}

export interface Reach {
  contactId: string;
  phone?: string | null;
  email?: string | null;
  householdKey?: string | null;
}

/**
 * The one matcher: a row of `suppressions` names the recipient whose id (as
 * text), phone, email and household key are these SQL values. A NULL address
 * names nothing.
 */
function namesRecipient(r: { contactId: SQL; phone: SQL; email: SQL; householdKey: SQL }): SQL {
  const by = (target: SQL, v: SQL) => sql`(${suppressions.target} = ${target} AND ${suppressions.value} = ${v})`;
  return sql`(${by(sql`'contact'`, r.contactId)} OR ${by(sql`'phone'`, r.phone)} OR ${by(sql`'email'`, r.email)} OR ${by(sql`'household'`, r.householdKey)})`;
}

/** Every suppression that applies to this recipient, on `channel` (with 'all') or on any channel. */
export async function suppressionsOf(db: Tx, dealerId: string, r: Reach, channel?: Channel): Promise<SuppressionRow[]> {
  const v = (s: string | null | undefined) => sql`${s || null}::text`;
  return db
    .select()
    .from(suppressions)
    .where(
      and(
        eq(suppressions.dealerId, dealerId),
        channel ? sql`${suppressions.channel} IN (${channel}::text, 'all')` : undefined,
        namesRecipient({ contactId: v(r.contactId), phone: v(r.phone), email: v(r.email), householdKey: v(r.householdKey) }),
      ),
    )
    .orderBy(sql`${suppressions.createdAt}`);
}

/** The suppression that blocks a send on `channel` to this recipient, if any. */
export async function suppressionFor(db: Tx, dealerId: string, channel: Channel, r: Reach): Promise<SuppressionRow | undefined> {
  return (await suppressionsOf(db, dealerId, r, channel))[0];
}

/**
 * The send-time check for a batch of deliveries: for each (keyed) recipient and
 * channel, the reason of the oldest suppression that blocks it. One query for
 * the batch, with the same matcher as `suppressionFor`.
 */
export async function blockedSends(db: Tx, dealerId: string, sends: readonly (Reach & { key: string; channel: Channel })[]): Promise<Map<string, string>> {
  if (sends.length === 0) return new Map();
  const col = (f: (s: (typeof sends)[number]) => string | null | undefined) => sql.param(sends.map((s) => f(s) || null));
  const found = await rows<{ key: string; reason: string }>(
    db,
    sql`SELECT DISTINCT ON (t.key) t.key, ${suppressions.reason} AS reason
        FROM unnest(${col((s) => s.key)}::text[], ${col((s) => s.channel)}::text[], ${col((s) => s.contactId)}::text[],
                    ${col((s) => s.phone)}::text[], ${col((s) => s.email)}::text[], ${col((s) => s.householdKey)}::text[])
          AS t(key, channel, contact_id, phone, email, household_key)
        JOIN ${suppressions} ON ${suppressions.dealerId} = ${dealerId}::uuid AND ${suppressions.channel} IN (t.channel, 'all')
          AND ${namesRecipient({ contactId: sql`t.contact_id`, phone: sql`t.phone`, email: sql`t.email`, householdKey: sql`t.household_key` })}
        ORDER BY t.key, ${suppressions.createdAt}`,
  );
  return new Map(found.map((r) => [r.key, r.reason]));
}

// ── the per-channel flags on contacts ─────────────────────────────────────────
/**
 * Serializes, per dealer, the transactions that change the flags' inputs.
 * Without it a suppression added while an import batch inserts a contact with
 * that phone could be missed by both: each reads before the other commits.
 * Taken first in the transaction (before any contact row lock), so it cannot
 * deadlock against the row locks an import batch takes.
 */
export async function lockSuppressionFlags(tx: Tx, dealerId: string): Promise<void> {
  await tx.execute(sql`SELECT FROM ${suppressionFlagsLock(dealerId)}`);
}

/** The lock as an SQL function call, for a caller to take it within a statement it runs anyway. */
export function suppressionFlagsLock(dealerId: string): SQL {
  return sql`pg_advisory_xact_lock(hashtextextended(${`suppression-flags:${dealerId}`}::text, 0))`;
}

/** A contact just inserted (every flag false), with the addresses written. */
export interface InsertedContact {
  id: string;
  phone: string | null;
  email: string | null;
  householdKey: string | null;
}

/** Which contacts of the dealer to recompute. */
export type FlagScope =
  /** these contacts (e.g. given another phone, email or household) */
  | { contactIds: readonly string[] }
  /**
   * contacts just inserted in this transaction: only those whose id or an
   * address is the value of some suppression are recomputed (no suppression
   * names the rest, so their flags stay false), which spares an import batch a
   * read of every row it wrote
   */
  | { inserted: readonly InsertedContact[] }
  /** the contacts this address names (a suppression added or lifted) */
  | { target: SuppressionTarget; value: string }
  /** every contact (after suppressions were written in bulk, or to repair) */
  | 'dealer';

const FLAG_COLUMNS = CHANNELS.map((ch) => sql.identifier(`${ch}_suppressed`));

/**
 * The matcher above, as equi-joins (one per target) from contact rows `t` to
 * the dealer's suppressions `s`, so a whole batch of contacts is matched at
 * once: each (contact, suppression channel) pair where s names t. A contact-id
 * suppression compares as a uuid so either side can drive the join through an
 * index; `s.value = t.id::text` means the same, t.id::text being the canonical
 * lower-case form (the CASE keeps any other value from reaching the cast).
 */
function namedPairs(contactRows: SQL, dealer: SQL, where: SQL = sql`TRUE`): SQL {
  const join = (target: SuppressionTarget, cond: SQL) =>
    sql`SELECT t.id, s.channel FROM ${contactRows} t
        JOIN suppressions s ON s.dealer_id = ${dealer} AND s.target = ${sql.raw(`'${target}'`)} AND ${cond}
        WHERE ${where}`;
  return sql.join(
    [
      join('contact', sql`t.id = (CASE WHEN s.value ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN s.value::uuid END)`),
      join('phone', sql`s.value = t.phone_e164`),
      join('email', sql`s.value = t.email`),
      join('household', sql`s.value = t.household_key`),
    ],
    sql` UNION ALL `,
  );
}

/** The inserted contacts whose id, phone, email or household is the value of some suppression of the dealer (any channel). */
async function possiblyNamed(tx: Tx, dealer: SQL, inserted: readonly InsertedContact[]): Promise<string[]> {
  if (inserted.length === 0) return [];
  // A dealer without suppressions (a first import, often) is done in one probe.
  if (!(await rows(tx, sql`SELECT 1 AS one FROM suppressions WHERE dealer_id = ${dealer} LIMIT 1`)).length) return [];
  const SEP = '\u0001';
  const idsByKey = new Map<string, string[]>();
  const add = (target: SuppressionTarget, value: string | null, id: string) => {
    if (!value) return;
    const k = `${target}${SEP}${value}`;
    const ids = idsByKey.get(k);
    if (ids) ids.push(id);
    else idsByKey.set(k, [id]);
  };
  for (const c of inserted) {
    add('contact', c.id, c.id);
    add('phone', c.phone, c.id);
    add('email', c.email, c.id);
    add('household', c.householdKey, c.id);
  }
  const pairs = [...idsByKey.keys()].map((k) => k.split(SEP) as [string, string]);
  const hits = await rows<{ target: string; value: string }>(
    tx,
    sql`SELECT DISTINCT s.target, s.value FROM suppressions s
        JOIN unnest(${sql.param(pairs.map((p) => p[0]))}::text[], ${sql.param(pairs.map((p) => p[1]))}::text[]) AS k(target, value)
          ON s.target = k.target AND s.value = k.value
        WHERE s.dealer_id = ${dealer}`,
  );
  return [...new Set(hits.flatMap((h) => idsByKey.get(`${h.target}${SEP}${h.value}`) ?? []))];
}

/**
 * Recompute mail_suppressed, sms_suppressed and email_suppressed for the
 * contacts in scope, from the suppressions table. Writes only the contacts whose
 * flags change; returns how many did. Call under lockSuppressionFlags().
 */
export async function refreshSuppressionFlags(tx: Tx, dealerId: string, scope: FlagScope): Promise<number> {
  const dealer = sql`${dealerId}::uuid`;
  let inScope: SQL;
  if (scope === 'dealer') {
    // The contacts flagged now, and those some suppression names.
    inScope = sql`(t.mail_suppressed OR t.sms_suppressed OR t.email_suppressed
      OR t.id IN (SELECT n.id FROM (${namedPairs(sql`contacts`, dealer, sql`t.dealer_id = ${dealer}`)}) n))`;
  } else if ('inserted' in scope) {
    const ids = await possiblyNamed(tx, dealer, scope.inserted);
    return ids.length ? refreshSuppressionFlags(tx, dealerId, { contactIds: ids }) : 0;
  } else if ('contactIds' in scope) {
    if (scope.contactIds.length === 0) return 0;
    inScope = sql`t.id = ANY(${sql.param([...scope.contactIds])}::uuid[])`;
  } else {
    const v = sql`${scope.value}::text`;
    switch (scope.target) {
      case 'contact':
        if (!isUuid(scope.value)) return 0;
        inScope = sql`t.id = ${v}::uuid`;
        break;
      case 'phone':
        inScope = sql`t.phone_e164 = ${v}`;
        break;
      case 'email':
        inScope = sql`t.email = ${v}`;
        break;
      case 'household':
        inScope = sql`t.household_key = ${v}`;
        break;
    }
  }
  const list = (f: (col: (typeof FLAG_COLUMNS)[number], i: number) => SQL) => sql.join(FLAG_COLUMNS.map(f), sql`, `);
  /** Channel i is suppressed: some pair n names it or 'all'. */
  const flag = (i: number) => sql`coalesce(bool_or(n.channel IN (${sql.raw(`'${CHANNELS[i]}'`)}, 'all')), false)`;
  const changed = await rows<{ id: string }>(
    tx,
    sql`
    WITH scope AS MATERIALIZED (
      SELECT t.id, t.phone_e164, t.email, t.household_key, ${list((col) => sql`t.${col}`)} FROM contacts t
      WHERE t.dealer_id = ${dealer} AND ${inScope}
    ), f AS (
      -- Only the contacts whose flags change go on to the UPDATE.
      SELECT t.id, ${list((col, i) => sql`${flag(i)} AS ${col}`)}
      FROM scope t LEFT JOIN (${namedPairs(sql`scope`, dealer)}) n ON n.id = t.id
      GROUP BY t.id, ${list((col) => sql`t.${col}`)}
      HAVING (${list((col) => sql`t.${col}`)}) IS DISTINCT FROM (${list((_, i) => flag(i))})
    )
    UPDATE contacts c SET ${list((col) => sql`${col} = f.${col}`)}
    FROM f
    WHERE c.id = f.id AND c.dealer_id = ${dealer}
      AND (${list((col) => sql`c.${col}`)}) IS DISTINCT FROM (${list((col) => sql`f.${col}`)})
    RETURNING c.id`,
  );
  return changed.length;
}
