// ── responses: what recipients did, tied back to the campaign ─────────────────
import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
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

// ── test-drive booking: the dealer's slot calendar and the bookings ───────────

/** Opening hours per ISO weekday ('1' Monday … '7' Sunday): [["09:00","12:00"],["13:30","18:00"]]; a missing day is closed. */
export type OpeningHours = Record<string, [string, string][]>;

/** How a dealer takes test-drive bookings: slot length, seats per slot, opening hours, holidays, models. */
export const bookingCalendars = pgTable('booking_calendars', {
  dealerId: uuid('dealer_id').primaryKey().references(() => dealers.id),
  slotMinutes: integer('slot_minutes').notNull().default(60),
  /** Seats per slot unless a slot says otherwise. */
  capacity: integer('capacity').notNull().default(3),
  hours: jsonb('hours').$type<OpeningHours>().notNull(),
  /** Holidays and other closed days (YYYY-MM-DD, the dealer's calendar). */
  closedDates: jsonb('closed_dates').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
  /** Models offered for a test drive. */
  models: jsonb('models').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
  /** How many days ahead a recipient may book. */
  daysAhead: integer('days_ahead').notNull().default(14),
  updatedAt: ts('updated_at').notNull(),
});

/**
 * A slot that has seats taken or a capacity of its own. Created on its first
 * booking (or when staff set its capacity). `booked` changes only by a
 * conditional UPDATE (booked < capacity), so concurrent bookings cannot
 * overbook; the CHECK is the last line of defence.
 */
export const bookingSlots = pgTable(
  'booking_slots',
  {
    id: uuid('id').primaryKey(),
    dealerId: uuid('dealer_id').notNull().references(() => dealers.id),
    startsAt: ts('starts_at').notNull(),
    endsAt: ts('ends_at').notNull(),
    capacity: integer('capacity').notNull(),
    booked: integer('booked').notNull().default(0),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('booking_slots_dealer_start_uq').on(t.dealerId, t.startsAt),
    check('booking_slots_capacity_ck', sql`${t.booked} >= 0 AND ${t.booked} <= ${t.capacity}`),
  ],
);

/**
 * A test-drive booking. Its response (kind 'booking') carries the attribution.
 * The reschedule/cancel link is the booking id with an HMAC of it (LINK_SECRET),
 * like the unsubscribe link: 128 bits no one can guess, nothing extra stored.
 */
export const bookings = pgTable(
  'bookings',
  {
    id: uuid('id').primaryKey(),
    dealerId: uuid('dealer_id').notNull().references(() => dealers.id),
    slotId: uuid('slot_id').notNull(),
    startsAt: ts('starts_at').notNull(),
    /** booked | cancelled | attended | no_show */
    status: text('status').notNull(),
    model: text('model'),
    name: text('name').notNull(),
    phone: text('phone').notNull(),
    locale: text('locale').notNull(),
    contactId: uuid('contact_id'),
    campaignId: uuid('campaign_id'),
    /** The booking's response (attribution: campaign, wave, channel, variant, piece or delivery). */
    responseId: uuid('response_id'),
    /** The booking form's one-time nonce: a replayed form finds this booking instead of making another. */
    formNonce: text('form_nonce').notNull(),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    index('bookings_dealer_start_idx').on(t.dealerId, t.startsAt),
    uniqueIndex('bookings_form_nonce_uq').on(t.formNonce),
  ],
);
