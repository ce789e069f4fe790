// ── templates, artwork, print runs and pieces ─────────────────────────────────
import { sql } from 'drizzle-orm';
import { date, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { dealers } from './schema';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** Uploaded artwork (PNG or JPEG, ≤ 10 MB); bytes live in blob storage. */
export const assets = pgTable(
  'assets',
  {
    id: uuid('id').primaryKey(),
    dealerId: uuid('dealer_id').notNull().references(() => dealers.id),
    name: text('name').notNull(),
    /** image/png | image/jpeg */
    contentType: text('content_type').notNull(),
    bytes: integer('bytes').notNull(),
    sha256: text('sha256').notNull(),
    width: integer('width').notNull(),
    height: integer('height').notNull(),
    storageKey: text('storage_key').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [index('assets_dealer_idx').on(t.dealerId, t.id)],
);

export const templates = pgTable(
  'templates',
  {
    id: uuid('id').primaryKey(),
    dealerId: uuid('dealer_id').notNull().references(() => dealers.id),
    name: text('name').notNull(),
    /** greeting | test_drive | survey | service_reminder */
    purpose: text('purpose').notNull(),
    locale: text('locale').notNull(),
    /** The built-in template it was started from, if any. */
    builtin: text('builtin'),
    latestVersion: integer('latest_version').notNull(),
    archivedAt: ts('archived_at'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [index('templates_dealer_idx').on(t.dealerId, t.id)],
);

/** Immutable: an update makes a new version; campaigns and print runs pin one. */
export const templateVersions = pgTable(
  'template_versions',
  {
    id: uuid('id').primaryKey(),
    dealerId: uuid('dealer_id').notNull().references(() => dealers.id),
    templateId: uuid('template_id').notNull().references(() => templates.id),
    version: integer('version').notNull(),
    body: jsonb('body').$type<Record<string, unknown>>().notNull(),
    note: text('note'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [uniqueIndex('template_versions_uq').on(t.templateId, t.version)],
);

export interface PrintFileRecord {
  file: number;
  name: string;
  key: string;
  pieces: number;
  pages: number;
  bytes: number;
  sha256: string;
  firstSeq: number;
  lastSeq: number;
}

export const printRuns = pgTable(
  'print_runs',
  {
    id: uuid('id').primaryKey(),
    dealerId: uuid('dealer_id').notNull().references(() => dealers.id),
    templateVersionId: uuid('template_version_id').notNull().references(() => templateVersions.id),
    /** queued | rendering | completed | failed | cancelled */
    status: text('status').notNull(),
    options: jsonb('options').$type<Record<string, unknown>>().notNull(),
    piecesTotal: integer('pieces_total').notNull().default(0),
    piecesRendered: integer('pieces_rendered').notNull().default(0),
    piecesExcluded: integer('pieces_excluded').notNull().default(0),
    files: jsonb('files').$type<PrintFileRecord[]>().notNull().default(sql`'[]'::jsonb`),
    ticket: jsonb('ticket').$type<Record<string, unknown>>(),
    manifestKey: text('manifest_key'),
    /** A campaign's print wave: the run is also a print job for the print shop. */
    campaignId: uuid('campaign_id'),
    waveId: uuid('wave_id'),
    /** The wave's A/B variant this run prints (one run per variant); null without a test. */
    variant: text('variant'),
    /**
     * The print job: pending_approval (rendered, awaiting release) → released →
     * downloaded → printed → mailed. Null for a run outside a campaign until released.
     */
    jobStatus: text('job_status'),
    releasedAt: ts('released_at'),
    downloadedAt: ts('downloaded_at'),
    printedAt: ts('printed_at'),
    /** The day the pieces went into the mail: the campaign's response window starts here. */
    mailedOn: date('mailed_on', { mode: 'string' }),
    error: text('error'),
    createdAt: ts('created_at').notNull(),
    startedAt: ts('started_at'),
    finishedAt: ts('finished_at'),
  },
  (t) => [index('print_runs_dealer_idx').on(t.dealerId, t.id)],
);

/**
 * One printed piece for one recipient. The token (≥ 80 random bits) is what the
 * QR code's URL and the printed response code carry: never a contact id.
 */
export const pieces = pgTable(
  'pieces',
  {
    id: uuid('id').primaryKey(),
    dealerId: uuid('dealer_id').notNull(),
    printRunId: uuid('print_run_id').notNull(),
    contactId: uuid('contact_id').notNull(),
    token: text('token').notNull(),
    /** Presort position (postcode order), 1-based. */
    seq: integer('seq'),
    postcode: text('postcode'),
    /** pending | rendered | excluded */
    status: text('status').notNull(),
    reason: text('reason'),
    fileNo: integer('file_no'),
    page: integer('page'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('pieces_token_uq').on(t.token),
    uniqueIndex('pieces_run_contact_uq').on(t.printRunId, t.contactId),
    index('pieces_run_seq_idx').on(t.printRunId, t.seq),
  ],
);

/** What printed pieces say about the dealer beyond its name and stores. */
export const dealerPrintProfiles = pgTable('dealer_print_profiles', {
  dealerId: uuid('dealer_id').primaryKey().references(() => dealers.id),
  phone: text('phone'),
  website: text('website'),
  hours: text('hours'),
  /** Where reply cards go: department, addressee and postal address. */
  replyDepartment: text('reply_department'),
  replyName: text('reply_name'),
  replyAddress: jsonb('reply_address').$type<Record<string, string | null>>(),
  /** Business-reply permit number printed in the indicia. */
  replyPermit: text('reply_permit'),
  updatedAt: ts('updated_at').notNull(),
});
