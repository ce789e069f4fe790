// From database rows to what a template sees: the dealer (name, store address,
// reply-card addressee and permit) once per run, and each recipient's contact
// with their most recent vehicle.
import { asc, eq, sql } from 'drizzle-orm';
import { rows, type Tx } from '../db';
import { dealers, stores } from '../db/schema';
import { dealerPrintProfiles } from '../db/schema-print';
import { notFound } from '../lib/errors';
import { responseCode } from '../lib/ids';
import type { RunContext } from '../print/compose';
import { surnameOf, type AddressData, type PieceContext } from './hbs';

const NO_ADDRESS: AddressData = { country: null, province: null, city: null, district: null, street: null, postcode: null };

function address(a: Partial<Record<keyof AddressData, string | null>> | null | undefined, country: string | null): AddressData {
  if (!a) return { ...NO_ADDRESS, country };
  return {
    country: a.country ?? country,
    province: a.province ?? null,
    city: a.city ?? null,
    district: a.district ?? null,
    street: a.street ?? null,
    postcode: a.postcode ?? null,
  };
}

export interface CampaignFields {
  name?: string | null;
  eventDate?: string | null;
  offer?: string | null;
}

/** The dealer as printed: first store's address, the print profile's reply details. */
export async function runContext(db: Tx, dealerId: string, campaign: CampaignFields = {}): Promise<RunContext> {
  const [dealer] = await db.select().from(dealers).where(eq(dealers.id, dealerId));
  if (!dealer) throw notFound('dealer');
  const [store] = await db.select().from(stores).where(eq(stores.dealerId, dealerId)).orderBy(asc(stores.createdAt)).limit(1);
  const [profile] = await db.select().from(dealerPrintProfiles).where(eq(dealerPrintProfiles.dealerId, dealerId));
  const storeAddress = address(store ?? null, store?.country ?? dealer.country);
  return {
    dealer: {
      name: dealer.name,
      phone: profile?.phone ?? store?.phone ?? null,
      website: profile?.website ?? null,
      hours: profile?.hours ?? null,
      address: storeAddress,
      reply: {
        department: profile?.replyDepartment ?? null,
        name: profile?.replyName ?? null,
        address: profile?.replyAddress ? address(profile.replyAddress, dealer.country) : storeAddress,
        permit: profile?.replyPermit ?? null,
      },
    },
    campaign: { name: campaign.name ?? null, eventDate: campaign.eventDate ?? null, offer: campaign.offer ?? null },
  };
}

export interface RecipientRow {
  id: string;
  kind: string;
  full_name: string | null;
  gender: string | null;
  title: string | null;
  company: string | null;
  job_title: string | null;
  phone_e164: string | null;
  email: string | null;
  language: string | null;
  birthday: string | null;
  club: string | null;
  tier: string | null;
  join_date: string | null;
  country: string | null;
  province: string | null;
  city: string | null;
  district: string | null;
  street: string | null;
  postcode: string | null;
  make: string | null;
  model: string | null;
  vin: string | null;
  purchase_date: string | null;
  insurance_expiry: string | null;
  last_service_date: string | null;
}

const RECIPIENT_COLUMNS = sql`c.id, c.kind, c.full_name, c.gender, c.title, c.company, c.job_title, c.phone_e164, c.email,
  c.language, c.birthday::text AS birthday, c.club, c.tier, c.join_date::text AS join_date, c.country, c.province, c.city,
  c.district, c.street, c.postcode, v.make, v.model, v.vin, v.purchase_date::text AS purchase_date,
  v.insurance_expiry::text AS insurance_expiry, v.last_service_date::text AS last_service_date`;

const LATEST_VEHICLE = sql`LEFT JOIN LATERAL (
    SELECT make, model, vin, purchase_date, insurance_expiry, last_service_date FROM vehicles
    WHERE vehicles.dealer_id = c.dealer_id AND vehicles.contact_id = c.id
    ORDER BY purchase_date DESC NULLS LAST, id DESC LIMIT 1) v ON true`;

/** Recipients by id (the dealer's only), in no particular order. */
export async function recipientsByIds(db: Tx, dealerId: string, ids: string[]): Promise<RecipientRow[]> {
  if (ids.length === 0) return [];
  return rows<RecipientRow>(
    db,
    sql`SELECT ${RECIPIENT_COLUMNS} FROM contacts c ${LATEST_VEHICLE}
        WHERE c.dealer_id = ${dealerId}::uuid AND c.id = ANY(${sql.param(ids)}::uuid[])`,
  );
}

/** The recipients of a print run's pieces from `fromSeq`, in presort order. */
export async function recipientsOfRun(db: Tx, dealerId: string, runId: string, fromSeq: number, limit: number) {
  return rows<RecipientRow & { piece_id: string; token: string; seq: number }>(
    db,
    sql`SELECT p.id AS piece_id, p.token, p.seq, ${RECIPIENT_COLUMNS}
        FROM pieces p JOIN contacts c ON c.id = p.contact_id AND c.dealer_id = p.dealer_id ${LATEST_VEHICLE}
        WHERE p.dealer_id = ${dealerId}::uuid AND p.print_run_id = ${runId}::uuid AND p.status = 'pending' AND p.seq >= ${fromSeq}
        ORDER BY p.seq LIMIT ${limit}`,
  );
}

export function trackingUrl(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/r/${token}`;
}

/** What one recipient's piece sees. */
export function pieceContext(run: RunContext, r: RecipientRow, token: string, baseUrl: string): PieceContext {
  return {
    ...run,
    contact: {
      name: r.full_name,
      surname: surnameOf(r.full_name),
      gender: r.gender,
      title: r.title,
      kind: r.kind,
      company: r.company,
      jobTitle: r.job_title,
      phone: r.phone_e164,
      email: r.email,
      language: r.language,
      birthday: r.birthday,
      club: r.club,
      tier: r.tier,
      joinDate: r.join_date,
      address: address(r, r.country),
      vehicle: {
        make: r.make,
        model: r.model,
        vin: r.vin,
        purchaseDate: r.purchase_date,
        insuranceExpiry: r.insurance_expiry,
        lastServiceDate: r.last_service_date,
      },
    },
    piece: { code: responseCode(token), url: trackingUrl(baseUrl, token) },
  };
}
