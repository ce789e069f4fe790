// ── responses: what recipients did, tied back to the campaign ─────────────────
import { sql } from 'drizzle-orm';
import { boolean, index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { dealers } from './schema';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * One row per response: a QR scan, an email open or click, a booking, a survey,
 * an SMS reply, an attended test drive, a sale, a returned piece, an opt-out.
 * Attributed to the campaign, wave, channel, variant and contact of the piece
 * or delivery it came through (all null for a response through the dealer's
 * general pages that matched no one).
 */
export const responses = pgTable(
  'responses',
  {
    id: uuid('id').primaryKey(),
    dealerId: uuid('dealer_id').notNull().references(() => dealers.id),
    /** scan | open | click | booking | survey | sms_reply | attended | sale | returned | opt_out */
    kind: text('kind').notNull(),
    campaignId: uuid('campaign_id'),
    waveId: uuid('wave_id'),
    /** mail | sms | email | web (the general booking page) */
    channel: text('channel'),
    variant: text('variant'),
    contactId: uuid('contact_id'),
    pieceId: uuid('piece_id'),
    deliveryId: uuid('delivery_id'),
    /** A holdout member's response (matched by phone through the general pages): reported as control. */
    control: boolean('control').notNull().default(false),
    /** Inside the campaign's response window (from the mail or send date); outside ones are kept, not counted. */
    inWindow: boolean('in_window').notNull().default(true),
    occurredAt: ts('occurred_at').notNull(),
    /** Kind-specific detail (booking id, survey entry id, user agent, sale VIN …); never a raw IP. */
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [
    index('responses_campaign_contact_idx').on(t.campaignId, t.contactId, t.kind),
    index('responses_dealer_time_idx').on(t.dealerId, t.occurredAt),
  ],
);
