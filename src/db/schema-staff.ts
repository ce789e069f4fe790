// ── staff accounts, sessions and the audit log ────────────────────────────────
import { sql } from 'drizzle-orm';
import { index, jsonb, numeric, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { dealers } from './schema';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** A person who signs in: one dealer, one role (admin | marketer | manager | printer). */
export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey(),
    dealerId: uuid('dealer_id').notNull().references(() => dealers.id),
    /** Lower-cased; the sign-in name, unique across dealers. */
    email: text('email').notNull(),
    name: text('name').notNull(),
    role: text('role').notNull(),
    /** scrypt$N$r$p$salt$hash (base64url); never the password. */
    passwordHash: text('password_hash').notNull(),
    createdAt: ts('created_at').notNull(),
    lastLoginAt: ts('last_login_at'),
    disabledAt: ts('disabled_at'),
  },
  (t) => [uniqueIndex('users_email_uq').on(t.email), index('users_dealer_idx').on(t.dealerId)],
);

/** A signed-in browser. The cookie holds a random id; only its SHA-256 is stored. */
export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey(),
    tokenHash: text('token_hash').notNull(),
    userId: uuid('user_id').notNull(),
    dealerId: uuid('dealer_id').notNull(),
    createdAt: ts('created_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
    revokedAt: ts('revoked_at'),
  },
  (t) => [uniqueIndex('sessions_token_uq').on(t.tokenHash), index('sessions_user_idx').on(t.userId)],
);

/**
 * Who did what: sign-ins (and failed ones), exports, launches, pauses,
 * cancellations, downloads, erasures. Ids and counts only, no personal data.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    id: uuid('id').primaryKey(),
    dealerId: uuid('dealer_id').notNull(),
    /** user:<id> or token:<id>; null for a failed sign-in of an unknown account. */
    actor: text('actor'),
    action: text('action').notNull(),
    subjectType: text('subject_type'),
    subjectId: text('subject_id'),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    at: ts('at').notNull(),
  },
  (t) => [index('audit_dealer_at_idx').on(t.dealerId, t.at)],
);

/** What a dealer pays per unit, for cost per response in reports (in `currency`). */
export const dealerUnitCosts = pgTable('dealer_unit_costs', {
  dealerId: uuid('dealer_id')
    .primaryKey()
    .references(() => dealers.id),
  currency: text('currency').notNull(),
  printPiece: numeric('print_piece', { mode: 'number' }).notNull(),
  postagePiece: numeric('postage_piece', { mode: 'number' }).notNull(),
  smsSegment: numeric('sms_segment', { mode: 'number' }).notNull(),
  emailMessage: numeric('email_message', { mode: 'number' }).notNull(),
  updatedAt: ts('updated_at').notNull(),
});
