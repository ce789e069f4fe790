// The data model. Every business row carries dealer_id: tenancy is enforced by
// scoping every query to the caller's dealer (see src/http/tenancy.ts).
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

// ── dealers and stores ────────────────────────────────────────────────────────
export const dealers = pgTable('dealers', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  /** ISO 3166-1 alpha-2; the default country for phones and addresses on import. */
  country: text('country').notNull().default('CN'),
  timezone: text('timezone').notNull().default('Asia/Shanghai'),
  createdAt: ts('created_at').notNull(),
});

export const stores = pgTable(
  'stores',
  {
    id: uuid('id').primaryKey(),
    dealerId: uuid('dealer_id').notNull().references(() => dealers.id),
    name: text('name').notNull(),
    country: text('country'),
    province: text('province'),
    city: text('city'),
    district: text('district'),
    street: text('street'),
    postcode: text('postcode'),
    phone: text('phone'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [index('stores_dealer_idx').on(t.dealerId)],
);

/** API tokens: only a SHA-256 of the token is stored. */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: uuid('id').primaryKey(),
    dealerId: uuid('dealer_id').notNull().references(() => dealers.id),
    name: text('name').notNull(),
    role: text('role').notNull(), // admin | marketer | manager | printer
    tokenHash: text('token_hash').notNull(),
    createdAt: ts('created_at').notNull(),
    revokedAt: ts('revoked_at'),
  },
  (t) => [uniqueIndex('api_tokens_hash_uq').on(t.tokenHash)],
);

// ── contacts ──────────────────────────────────────────────────────────────────
export const contacts = pgTable(
  'contacts',
  {
    id: uuid('id').primaryKey(),
    // No foreign keys on the bulk tables (contacts, vehicles): a per-row RI
    // check would cost more than the row itself on a million-row import.
    dealerId: uuid('dealer_id').notNull(),
    storeId: uuid('store_id'),
    /** prior_owner | corporate | club_member | prospect */
    kind: text('kind').notNull(),
    fullName: text('full_name'),
    /** male | female */
    gender: text('gender'),
    /** Salutation title as given (先生, 女士, Mr., Dr. …). */
    title: text('title'),
    birthday: date('birthday', { mode: 'string' }),
    language: text('language'),
    phone: text('phone_e164'),
    email: text('email'),
    // Structured postal address.
    country: text('country'),
    province: text('province'),
    city: text('city'),
    district: text('district'),
    street: text('street'),
    postcode: text('postcode'),
    // Corporate accounts.
    company: text('company'),
    jobTitle: text('job_title'),
    fleetSize: integer('fleet_size'),
    // Club members.
    club: text('club'),
    tier: text('tier'),
    joinDate: date('join_date', { mode: 'string' }),
    // Consent per channel: granted | revoked | null (never asked), with where
    // and when it was given. Columns, not a side table, so segments and send-time
    // checks read one row.
    mailConsent: text('mail_consent'),
    mailConsentSource: text('mail_consent_source'),
    mailConsentAt: ts('mail_consent_at'),
    smsConsent: text('sms_consent'),
    smsConsentSource: text('sms_consent_source'),
    smsConsentAt: ts('sms_consent_at'),
    emailConsent: text('email_consent'),
    emailConsentSource: text('email_consent_source'),
    emailConsentAt: ts('email_consent_at'),
    // Derived columns, for segment counts only: a count then reads one row (or
    // one index entry) per contact instead of probing vehicles and suppressions.
    // Kept in step, in the same transaction as every change to their sources, by
    // src/contacts/vehicle-dates.ts (import merge) and src/contacts/suppression.ts
    // (suppressions added or lifted, contacts imported or re-keyed). Send-time
    // checks never read them: they ask the suppressions table itself.
    /** Earliest and latest purchase date over the contact's vehicles (null: none known). */
    firstPurchaseDate: date('first_purchase_date', { mode: 'string' }),
    lastPurchaseDate: date('last_purchase_date', { mode: 'string' }),
    /** Earliest and latest insurance expiry over the contact's vehicles. */
    firstInsuranceExpiry: date('first_insurance_expiry', { mode: 'string' }),
    lastInsuranceExpiry: date('last_insurance_expiry', { mode: 'string' }),
    /** Some suppression of the dealer on this channel (or 'all') names the contact's id, phone, email or household. */
    mailSuppressed: boolean('mail_suppressed').notNull().default(false),
    smsSuppressed: boolean('sms_suppressed').notNull().default(false),
    emailSuppressed: boolean('email_suppressed').notNull().default(false),
    /** Extra columns from the source list, kept as text. */
    attributes: jsonb('attributes').$type<Record<string, string>>(),
    // Identity keys used for dedupe (normalized; never shown).
    nameKey: text('name_key'),
    /** Hash of the normalized postal address: one household. */
    householdKey: text('household_key'),
    sourceImportId: uuid('source_import_id'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    /** Erased on request: personal data removed everywhere, the row kept so counts stay right. */
    erasedAt: ts('erased_at'),
  },
  // Few indexes, on purpose: each one costs every imported row. The key
  // lookups that dedupe needs are partial (most rows lack an email).
  (t) => [
    // Trailing columns let segment counts answer from an index alone. A rule
    // that must look at every contact ("birthday in March not suppressed, or
    // insurance due") passes over this one in id order: the birthday month (the
    // exact expression the rule compiler writes, so the scan reads it instead of
    // computing it), the SMS flag and the insurance span. An import appends to
    // it (ids in order).
    index('contacts_dealer_id_idx').on(
      t.dealerId,
      t.id,
      sql`((extract(month from ${t.birthday}))::int)`,
      t.birthday,
      t.smsSuppressed,
      t.firstInsuranceExpiry,
      t.lastInsuranceExpiry,
    ),
    // The contacts reachable by SMS (the predicate is what {reachable: 'sms'}
    // compiles to), by kind and first purchase: "prior owners who bought more
    // than N years ago, reachable by SMS" is one range of it. Its keys repeat
    // (one dealer, a few kinds, a few thousand dates), so B-tree deduplication
    // keeps it at a few MB for a million contacts, and cheap to write.
    index('contacts_sms_audience_idx')
      .on(t.dealerId, t.kind, t.firstPurchaseDate)
      .where(sql`${t.phone} <> '' AND ${t.smsConsent} = 'granted' AND NOT ${t.smsSuppressed}`),
    index('contacts_phone_idx').on(t.dealerId, t.phone, t.id).where(sql`${t.phone} IS NOT NULL`),
    index('contacts_email_idx').on(t.dealerId, t.email).where(sql`${t.email} IS NOT NULL`),
    index('contacts_household_idx').on(t.dealerId, t.householdKey).where(sql`${t.householdKey} IS NOT NULL`),
    // Postcode-prefix rules (a district's mail run) with tier and consent: index-only.
    index('contacts_postcode_idx').on(t.dealerId, t.postcode.op('text_pattern_ops'), t.tier, t.smsConsent),
  ],
);

export const vehicles = pgTable(
  'vehicles',
  {
    id: uuid('id').primaryKey(),
    dealerId: uuid('dealer_id').notNull(),
    contactId: uuid('contact_id').notNull(),
    /** VIN when known, otherwise contact + model + purchase date: one row per car. */
    vehicleKey: text('vehicle_key').notNull(),
    vin: text('vin'),
    make: text('make'),
    model: text('model'),
    purchaseDate: date('purchase_date', { mode: 'string' }),
    lastServiceDate: date('last_service_date', { mode: 'string' }),
    mileageKm: integer('mileage_km'),
    insuranceExpiry: date('insurance_expiry', { mode: 'string' }),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('vehicles_key_uq').on(t.dealerId, t.vehicleKey),
    // Serves "any vehicle bought before / insured until" from the index alone.
    index('vehicles_contact_idx').on(t.contactId, t.dealerId, t.purchaseDate, t.insuranceExpiry),
  ],
);

/**
 * Suppressions: a send on `channel` (or any channel when channel = 'all') to a
 * matching address is refused. Keyed by value (phone, email, household, contact
 * id) so a suppression survives re-import and merges.
 */
export const suppressions = pgTable(
  'suppressions',
  {
    id: uuid('id').primaryKey(),
    dealerId: uuid('dealer_id').notNull().references(() => dealers.id),
    /** mail | sms | email | all */
    channel: text('channel').notNull(),
    /** contact | phone | email | household */
    target: text('target').notNull(),
    value: text('value').notNull(),
    /** unsubscribed | bounced | undeliverable_address | do_not_contact | complaint */
    reason: text('reason').notNull(),
    source: text('source').notNull(),
    note: text('note'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [uniqueIndex('suppressions_uq').on(t.dealerId, t.target, t.value, t.channel)],
);

// ── list imports ──────────────────────────────────────────────────────────────
export const imports = pgTable(
  'imports',
  {
    id: uuid('id').primaryKey(),
    dealerId: uuid('dealer_id').notNull().references(() => dealers.id),
    /** queued | parsing | merging | completed | failed | cancelled */
    status: text('status').notNull(),
    filename: text('filename'),
    fileKey: text('file_key').notNull(),
    fileSha256: text('file_sha256').notNull(),
    bytesTotal: bigint('bytes_total', { mode: 'number' }).notNull(),
    options: jsonb('options').$type<Record<string, unknown>>().notNull(),
    encoding: text('encoding'),
    delimiter: text('delimiter'),
    /** Resolved header → field mapping. */
    mapping: jsonb('mapping').$type<Record<string, string | null>>(),
    rowsTotal: integer('rows_total').notNull().default(0),
    rowsAccepted: integer('rows_accepted').notNull().default(0),
    rowsRejected: integer('rows_rejected').notNull().default(0),
    /** Staged rows merged so far: the merge resumes after this row number. */
    mergedThrough: integer('merged_through').notNull().default(0),
    contactsCreated: integer('contacts_created').notNull().default(0),
    contactsUpdated: integer('contacts_updated').notNull().default(0),
    contactsUnchanged: integer('contacts_unchanged').notNull().default(0),
    duplicatesMerged: integer('duplicates_merged').notNull().default(0),
    error: jsonb('error').$type<{ code: string; message: string; details?: unknown }>(),
    createdAt: ts('created_at').notNull(),
    startedAt: ts('started_at'),
    finishedAt: ts('finished_at'),
  },
  (t) => [index('imports_dealer_idx').on(t.dealerId, t.id)],
);

export const importErrors = pgTable(
  'import_errors',
  {
    importId: uuid('import_id').notNull(),
    rowNumber: integer('row_number').notNull(),
    seq: integer('seq').notNull(),
    column: text('column'),
    reason: text('reason').notNull(),
    value: text('value'),
  },
  (t) => [primaryKey({ columns: [t.importId, t.rowNumber, t.seq] })],
);

/** A row of a list that was recognised as a person already known. */
export const contactMerges = pgTable(
  'contact_merges',
  {
    id: uuid('id').primaryKey(),
    dealerId: uuid('dealer_id').notNull(),
    contactId: uuid('contact_id').notNull(),
    importId: uuid('import_id').notNull(),
    rowNumber: integer('row_number').notNull(),
    /** phone | email | name_address */
    matchedOn: text('matched_on').notNull(),
    /** Fields the row changed on the contact. */
    changed: jsonb('changed').$type<string[]>().notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [index('contact_merges_contact_idx').on(t.contactId), index('contact_merges_import_idx').on(t.importId)],
);

// ── segments ──────────────────────────────────────────────────────────────────
export const segments = pgTable(
  'segments',
  {
    id: uuid('id').primaryKey(),
    dealerId: uuid('dealer_id').notNull().references(() => dealers.id),
    name: text('name').notNull(),
    description: text('description'),
    rule: jsonb('rule').notNull(),
    archived: boolean('archived').notNull().default(false),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [index('segments_dealer_idx').on(t.dealerId, t.id)],
);

// ── API plumbing ──────────────────────────────────────────────────────────────
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    dealerId: uuid('dealer_id').notNull(),
    key: text('key').notNull(),
    route: text('route').notNull(),
    requestHash: text('request_hash').notNull(),
    status: integer('status'),
    response: jsonb('response'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.dealerId, t.key] })],
);
