// The outbox: one row per delivery, claimed by dispatchers with FOR UPDATE
// SKIP LOCKED. A claim is a lease: a dispatcher that dies (even SIGKILL)
// leaves its rows in 'sending' until the lease runs out, then another claims
// them and sends again with the same delivery id, which the provider uses to
// recognise the retry. So every recipient gets one message.
import { sql } from 'drizzle-orm';
import { rows, type Tx } from '../db';
import { trackingToken, uuidv7 } from '../lib/ids';

export interface OutboxRow {
  id: string;
  dealer_id: string;
  campaign_id: string;
  wave_id: string;
  contact_id: string;
  channel: 'mail' | 'sms' | 'email';
  template_version_id: string;
  variant: string | null;
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
        RETURNING o.id, o.dealer_id, o.campaign_id, o.wave_id, o.contact_id, o.channel, o.template_version_id, o.variant, o.token, o.status, o.attempts, o.claim_id`,
  );
}

/**
 * Push out to `until` the lease of those of `ids` still held by `claimId`: a
 * holder still at work (a slow provider, a loaded machine) keeps its rows, and
 * only one that died loses them.
 */
export async function extendLease(db: Tx, ids: readonly string[], claimId: string, until: Date): Promise<void> {
  if (ids.length === 0) return;
  await db.execute(sql`UPDATE outbox SET lease_until = ${until.toISOString()}::timestamptz
    WHERE id = ANY(${sql.param([...ids])}::uuid[]) AND claim_id = ${claimId}::uuid AND status = 'sending'`);
}

/** Only the holder of the claim finishes a delivery (a row reclaimed after its lease ran out is someone else's). */
export interface Claim {
  id: string;
  claim_id: string;
}

/** What became of a claimed delivery. */
export type Outcome =
  | { claim: Claim; status: 'sent'; at: Date; providerRef: string; address: string; segments: number | null }
  | { claim: Claim; status: 'failed' | 'suppressed' | 'skipped'; reason: string }
  /** Back to pending until `at`; `countAttempt: false` for a hold (quiet hours, a paused campaign) rather than a failure. */
  | { claim: Claim; status: 'pending'; at: Date; reason: string | null; countAttempt: boolean };

/**
 * Record many outcomes in one statement. Only rows still held by the claim that
 * produced the outcome change. A dispatcher that dies before recording leaves
 * its rows 'sending' until their lease runs out; they are then sent again with
 * the same delivery id, which the provider recognises.
 */
export async function recordOutcomes(db: Tx, outcomes: readonly Outcome[]): Promise<void> {
  if (outcomes.length === 0) return;
  const col = <T>(f: (o: Outcome) => T) => sql.param(outcomes.map(f));
  // Times travel as ISO text (postgres.js has no timestamptz[] encoder).
  const iso = (d: Date | undefined) => (d ? d.toISOString() : null);
  await db.execute(sql`
    UPDATE outbox o SET
      status = v.status,
      reason = v.reason,
      sent_at = coalesce(v.sent_at::timestamptz, o.sent_at),
      provider_ref = coalesce(v.provider_ref, o.provider_ref),
      address = coalesce(v.address, o.address),
      segments = coalesce(v.segments, o.segments),
      next_attempt_at = coalesce(v.next_attempt_at::timestamptz, o.next_attempt_at),
      attempts = o.attempts - v.uncount,
      lease_until = NULL, claim_id = NULL
    FROM unnest(
      ${col((o) => o.claim.id)}::uuid[], ${col((o) => o.claim.claim_id)}::uuid[], ${col((o) => o.status)}::text[],
      ${col((o) => ('reason' in o ? o.reason : null))}::text[],
      ${col((o) => (o.status === 'sent' ? iso(o.at) : null))}::text[],
      ${col((o) => (o.status === 'sent' ? o.providerRef : null))}::text[],
      ${col((o) => (o.status === 'sent' ? o.address : null))}::text[],
      ${col((o) => (o.status === 'sent' ? o.segments : null))}::int[],
      ${col((o) => (o.status === 'pending' ? iso(o.at) : null))}::text[],
      ${col((o) => (o.status === 'pending' && !o.countAttempt ? 1 : 0))}::int[]
    ) AS v(id, claim_id, status, reason, sent_at, provider_ref, address, segments, next_attempt_at, uncount)
    WHERE o.id = v.id AND o.status = 'sending' AND o.claim_id = v.claim_id`);
}

/** Of these (contact, channel) pairs, the ones some other message reached since `since` (the frequency cap). */
export async function recentlySent(db: Tx, dealerId: string, pairs: readonly { id: string; contactId: string; channel: string }[], since: Date): Promise<Set<string>> {
  if (pairs.length === 0) return new Set();
  const found = await rows<{ id: string }>(
    db,
    sql`SELECT x.id FROM unnest(${sql.param(pairs.map((p) => p.id))}::uuid[], ${sql.param(pairs.map((p) => p.contactId))}::uuid[], ${sql.param(pairs.map((p) => p.channel))}::text[]) AS x(id, contact_id, channel)
        WHERE EXISTS (SELECT 1 FROM outbox o WHERE o.dealer_id = ${dealerId}::uuid AND o.contact_id = x.contact_id AND o.channel = x.channel
          AND o.status IN ('sent', 'delivered') AND o.sent_at >= ${since.toISOString()}::timestamptz AND o.id <> x.id)`,
  );
  return new Set(found.map((r) => r.id));
}

/** A delivery to add to the outbox. */
export interface NewDelivery {
  dealerId: string;
  campaignId: string;
  waveId: string;
  contactId: string;
  channel: string;
  templateVersionId: string;
  variant: string | null;
  dueAt: Date;
}

/**
 * Add deliveries (a fallback channel's, say), pending from `dueAt`; one that is
 * already there (the same campaign, wave, contact and channel) stays as it is.
 */
export async function addDeliveries(db: Tx, now: Date, list: readonly NewDelivery[]): Promise<void> {
  for (let i = 0; i < list.length; i += 1000) {
    const values = list.slice(i, i + 1000).map(
      (d) => sql`(${uuidv7(now.getTime())}::uuid, ${d.dealerId}::uuid, ${d.campaignId}::uuid, ${d.waveId}::uuid, ${d.contactId}::uuid, ${d.channel},
        ${d.templateVersionId}::uuid, ${d.variant}, ${trackingToken()}, 'pending', 0, ${d.dueAt.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz)`,
    );
    await db.execute(sql`
      INSERT INTO outbox (id, dealer_id, campaign_id, wave_id, contact_id, channel, template_version_id, variant, token, status, attempts, next_attempt_at, created_at)
      VALUES ${sql.join(values, sql`, `)} ON CONFLICT DO NOTHING`);
  }
}
