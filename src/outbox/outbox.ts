// The outbox: one row per delivery, claimed by dispatchers with FOR UPDATE
// SKIP LOCKED. A claim is a lease: a dispatcher that dies (even SIGKILL)
// leaves its rows in 'sending' until the lease runs out, then another claims
// them and sends again with the same delivery id, which the provider uses to
// recognise the retry. So every recipient gets one message.
import { sql } from 'drizzle-orm';
import { rows, type Tx } from '../db';

export interface OutboxRow {
  id: string;
  dealer_id: string;
  campaign_id: string;
  wave_id: string;
  contact_id: string;
  channel: 'mail' | 'sms' | 'email';
  template_version_id: string;
  token: string;
  status: string;
  attempts: number;
  claim_id: string;
}

export const FINAL_STATUSES = ['sent', 'delivered', 'failed', 'suppressed', 'skipped'] as const;

/**
 * Claim up to `limit` due deliveries of running campaigns: pending ones whose
 * time has come and sending ones whose lease ran out.
 */
export async function claimDue(db: Tx, now: Date, limit: number, leaseMs: number, claimId: string): Promise<OutboxRow[]> {
  const at = now.toISOString();
  const until = new Date(now.getTime() + leaseMs).toISOString();
  // A row taken over from a dead holder keeps its attempt count: attempts count
  // provider failures, and a crash is not one.
  return rows<OutboxRow>(
    db,
    sql`UPDATE outbox o SET status = 'sending', lease_until = ${until}::timestamptz, claim_id = ${claimId}::uuid,
          attempts = o.attempts + CASE WHEN o.status = 'pending' THEN 1 ELSE 0 END
        WHERE o.id IN (
          SELECT x.id FROM outbox x JOIN campaigns c ON c.id = x.campaign_id AND c.dealer_id = x.dealer_id
          WHERE c.status = 'running' AND x.next_attempt_at <= ${at}::timestamptz
            AND (x.status = 'pending' OR (x.status = 'sending' AND x.lease_until < ${at}::timestamptz))
          ORDER BY x.next_attempt_at, x.id
          LIMIT ${limit}
          FOR UPDATE OF x SKIP LOCKED)
        RETURNING o.id, o.dealer_id, o.campaign_id, o.wave_id, o.contact_id, o.channel, o.template_version_id, o.token, o.status, o.attempts, o.claim_id`,
  );
}

/** Only the holder of the claim finishes a delivery (a row reclaimed after its lease ran out is someone else's). */
export interface Claim {
  id: string;
  claim_id: string;
}
const mine = (c: Claim) => sql`id = ${c.id}::uuid AND status = 'sending' AND claim_id = ${c.claim_id}::uuid`;

export async function markSent(db: Tx, id: Claim, now: Date, providerRef: string, address: string, segments: number | null): Promise<void> {
  await db.execute(sql`UPDATE outbox SET status = 'sent', sent_at = ${now.toISOString()}::timestamptz, provider_ref = ${providerRef},
    address = ${address}, segments = ${segments}, lease_until = NULL, claim_id = NULL, reason = NULL WHERE ${mine(id)}`);
}

/** A final state other than sent: failed, suppressed or skipped, with the reason. */
export async function markFinal(db: Tx, id: Claim, status: 'failed' | 'suppressed' | 'skipped', reason: string): Promise<void> {
  await db.execute(sql`UPDATE outbox SET status = ${status}, reason = ${reason}, lease_until = NULL, claim_id = NULL WHERE ${mine(id)}`);
}

/** Back to pending until `at`; `countAttempt: false` for a hold (quiet hours) rather than a failure. */
export async function retryAt(db: Tx, id: Claim, at: Date, reason: string | null, countAttempt: boolean): Promise<void> {
  await db.execute(sql`UPDATE outbox SET status = 'pending', next_attempt_at = ${at.toISOString()}::timestamptz, reason = ${reason},
    lease_until = NULL, claim_id = NULL, attempts = attempts - ${countAttempt ? 0 : 1} WHERE ${mine(id)}`);
}

/** Another message reached this contact on this channel since `since` (the frequency cap)? */
export async function recentlySent(db: Tx, dealerId: string, contactId: string, channel: string, since: Date, exceptId: string): Promise<boolean> {
  const r = await rows<{ n: number }>(
    db,
    sql`SELECT count(*)::int AS n FROM outbox WHERE dealer_id = ${dealerId}::uuid AND contact_id = ${contactId}::uuid AND channel = ${channel}
        AND status IN ('sent', 'delivered') AND sent_at >= ${since.toISOString()}::timestamptz AND id <> ${exceptId}::uuid`,
  );
  return (r[0]?.n ?? 0) > 0;
}
