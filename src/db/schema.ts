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
    dealerId: uuid('dealer_id').notNull().references(() => dealers.id),
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
    /** Extra columns from the source list, kept as text. */
    attributes: jsonb('attributes').$type<Record<string, string>>(),
    // Identity keys used for dedupe (normalized; never shown).
    nameKey: text('name_key'),
    /** Normalized postal address: one household. */
    householdKey: text('household_key'),
    sourceImportId: uuid('source_import_id'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    index('contacts_dealer_id_idx').on(t.dealerId, t.id),
    index('contacts_phone_idx').on(t.dealerId, t.phone),
    index('contacts_email_idx').on(t.dealerId, t.email),
    index('contacts_name_household_idx').on(t.dealerId, t.nameKey, t.householdKey),
    index('contacts_household_idx').on(t.dealerId, t.householdKey),
    index('contacts_kind_idx').on(t.dealerId, t.kind),
    index('contacts_tier_idx').on(t.dealerId, t.tier),
    index('contacts_postcode_idx').on(t.dealerId, t.postcode.op('text_pattern_ops')),
    index('contacts_province_city_idx').on(t.dealerId, t.province, t.city),
    index('contacts_birthday_month_idx').on(t.dealerId, sql`(extract(month from ${t.birthday}))`),
  ],
);

export const vehicles = pgTable(
  'vehicles',
  {
    id: uuid('id').primaryKey(),
    dealerId: uuid('dealer_id').notNull().references(() => dealers.id),
    contactId: uuid('contact_id').notNull().references(() => contacts.id, { onDelete: 'cascade' }),
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
    index('vehicles_contact_idx').on(t.contactId),
    index('vehicles_model_idx').on(t.dealerId, t.model),
    index('vehicles_purchase_idx').on(t.dealerId, t.purchaseDate),
    index('vehicles_insurance_idx').on(t.dealerId, t.insuranceExpiry),
    index('vehicles_service_idx').on(t.dealerId, t.lastServiceDate),
  ],
);

/** Current consent per contact and channel (mail | sms | email). */
export const consents = pgTable(
  'consents',
  {
    dealerId: uuid('dealer_id').notNull().references(() => dealers.id),
    contactId: uuid('contact_id').notNull().references(() => contacts.id, { onDelete: 'cascade' }),
    channel: text('channel').notNull(),
    /** granted | revoked */
    status: text('status').notNull(),
    source: text('source').notNull(),
    at: ts('at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.contactId, t.channel] }),
    index('consents_dealer_channel_idx').on(t.dealerId, t.channel, t.status),
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

/** Normalized rows of an import awaiting merge; deleted once merged. */
export const importRows = pgTable(
  'import_rows',
  {
    importId: uuid('import_id').notNull(),
    rowNumber: integer('row_number').notNull(),
    data: jsonb('data').notNull(),
  },
  (t) => [primaryKey({ columns: [t.importId, t.rowNumber] })],
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
    contactId: uuid('contact_id').notNull().references(() => contacts.id, { onDelete: 'cascade' }),
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
