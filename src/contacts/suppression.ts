// Suppressions: the list no send can bypass. Keyed by the address itself
// (phone, email, household) or the contact, per channel or for all channels.
// Sends call `suppressionFor` at send time, not only when a segment is built.
import { and, eq, inArray, or, sql } from 'drizzle-orm';
import type { Tx } from '../db';
import { suppressions } from '../db/schema';
import type { Clock } from '../lib/clock';
import { uuidv7 } from '../lib/ids';
import type { Channel, SuppressionReason } from './types';

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

/** Add a suppression; an existing one for the same address and channel is kept (and returned). */
export async function suppress(db: Tx, clock: Clock, dealerId: string, s: SuppressionInput) {
  const [row] = await db
    .insert(suppressions)
    .values({ id: uuidv7(clock.now().getTime()), dealerId, ...s, note: s.note ?? null, createdAt: clock.now() })
    .onConflictDoNothing()
    .returning();
  if (row) return { row, created: true };
  const [existing] = await db
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
}

export interface Reach {
  contactId: string;
  phone?: string | null;
  email?: string | null;
  householdKey?: string | null;
}

/** Every suppression that applies to this recipient, on `channel` (with 'all') or on any channel. */
export async function suppressionsOf(db: Tx, dealerId: string, r: Reach, channel?: Channel) {
  const targets = [and(eq(suppressions.target, 'contact'), eq(suppressions.value, r.contactId))];
  if (r.phone) targets.push(and(eq(suppressions.target, 'phone'), eq(suppressions.value, r.phone)));
  if (r.email) targets.push(and(eq(suppressions.target, 'email'), eq(suppressions.value, r.email)));
  if (r.householdKey) targets.push(and(eq(suppressions.target, 'household'), eq(suppressions.value, r.householdKey)));
  return db
    .select()
    .from(suppressions)
    .where(
      and(eq(suppressions.dealerId, dealerId), channel ? inArray(suppressions.channel, [channel, 'all']) : undefined, or(...targets)),
    )
    .orderBy(sql`${suppressions.createdAt}`);
}

/** The suppression that blocks a send on `channel` to this recipient, if any. */
export async function suppressionFor(db: Tx, dealerId: string, channel: Channel, r: Reach) {
  return (await suppressionsOf(db, dealerId, r, channel))[0];
}
