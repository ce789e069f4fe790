// ── campaigns, waves and the outbox ───────────────────────────────────────────
import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { dealers } from './schema';

export interface WaveVariant {
  /** A, B, C … */
  label: string;
  templateVersionId: string;
  percent: number;
}

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const campaigns = pgTable(
  'campaigns',
  {
    id: uuid('id').primaryKey(),
    dealerId: uuid('dealer_id').notNull().references(() => dealers.id),
    name: text('name').notNull(),
    /** greeting | test_drive | survey | service_reminder */
    purpose: text('purpose').notNull(),
    /** draft | scheduled | running | paused | completed | cancelled */
    status: text('status').notNull(),
    segmentId: uuid('segment_id'),
    /** Percent of the audience kept as a never-contacted control group. */
    holdoutPct: integer('holdout_pct').notNull().default(0),
    /** Seed of the holdout draw: the same seed, the same control group. */
    seed: text('seed').notNull(),
    responseWindowDays: integer('response_window_days').notNull().default(45),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    launchedAt: ts('launched_at'),
    finishedAt: ts('finished_at'),
  },
  (t) => [index('campaigns_dealer_idx').on(t.dealerId, t.id)],
);

/** The audience frozen at launch: one row per member, holdout members marked. */
export const campaignRecipients = pgTable(
  'campaign_recipients',
  {
    campaignId: uuid('campaign_id').notNull(),
    dealerId: uuid('dealer_id').notNull(),
    contactId: uuid('contact_id').notNull(),
    holdout: boolean('holdout').notNull(),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.contactId] })],
);

export const waves = pgTable(
  'waves',
  {
    id: uuid('id').primaryKey(),
    dealerId: uuid('dealer_id').notNull(),
    campaignId: uuid('campaign_id').notNull().references(() => campaigns.id),
    seq: integer('seq').notNull(),
    /** mail | sms | email */
    channel: text('channel').notNull(),
    templateVersionId: uuid('template_version_id').notNull(),
    /**
     * A/B test: the template versions and their shares of the wave (percent,
     * summing to 100); null for a single template. Each recipient's variant is
     * drawn from the campaign's seed, so the same seed gives the same split.
     */
    variants: jsonb('variants').$type<WaveVariant[]>(),
    /** When the wave starts, UTC (entered in the dealer's time zone). */
    scheduledAt: ts('scheduled_at').notNull(),
    /** everyone | not_responded */
    condition: text('condition').notNull().default('everyone'),
    /** Channels to try, in order, when the wave's own cannot reach a recipient. */
    fallback: jsonb('fallback').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    /** pending | queued (outbox rows written) | printing (print wave: its print runs exist) */
    status: text('status').notNull(),
    /** Print waves: who approved the proof of the pinned version, and when; launch needs it. */
    proofApprovedAt: ts('proof_approved_at'),
    proofApprovedBy: text('proof_approved_by'),
    /** Print waves: the print run made at launch. */
    printRunId: uuid('print_run_id'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [uniqueIndex('waves_campaign_seq_uq').on(t.campaignId, t.seq)],
);

/**
 * One row per (campaign, wave, contact, channel): the delivery. Its id is the
 * delivery id every provider call carries, so a retry is recognised, not sent
 * twice. pending → sending → sent → delivered, or failed / suppressed / skipped.
 */
export const outbox = pgTable(
  'outbox',
  {
    id: uuid('id').primaryKey(),
    dealerId: uuid('dealer_id').notNull(),
    campaignId: uuid('campaign_id').notNull(),
    waveId: uuid('wave_id').notNull(),
    contactId: uuid('contact_id').notNull(),
    channel: text('channel').notNull(),
    templateVersionId: uuid('template_version_id').notNull(),
    /** The A/B variant label of the wave this delivery belongs to; null without a test. */
    variant: text('variant'),
    status: text('status').notNull(),
    reason: text('reason'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: ts('next_attempt_at').notNull(),
    /** A claimed row whose lease ran out was claimed by a worker that died: it is claimed again. */
    leaseUntil: ts('lease_until'),
    /** The claim that holds the row: only its holder records the outcome. */
    claimId: uuid('claim_id'),
    /** Tracking token (80 random bits) for the message's links: never the delivery or contact id. */
    token: text('token').notNull(),
    /** Phone or email the message went to (kept for the record; erased with the contact). */
    address: text('address'),
    providerRef: text('provider_ref'),
    segments: integer('segments'),
    createdAt: ts('created_at').notNull(),
    sentAt: ts('sent_at'),
    deliveredAt: ts('delivered_at'),
  },
  (t) => [
    uniqueIndex('outbox_delivery_uq').on(t.campaignId, t.waveId, t.contactId, t.channel),
    uniqueIndex('outbox_token_uq').on(t.token),
    // Claims walk this in (next_attempt_at, id) order and stop after a batch.
    index('outbox_due_idx').on(t.nextAttemptAt, t.id).where(sql`${t.status} IN ('pending', 'sending')`),
    index('outbox_contact_idx').on(t.dealerId, t.contactId, t.channel, t.sentAt),
    // "Anything left to send in this campaign?" (the campaign clock, every few seconds) without reading the sent rows.
    index('outbox_open_campaign_idx').on(t.campaignId).where(sql`${t.status} IN ('pending', 'sending')`),
  ],
);
