// Reading contacts: search, the full record (cars, consents, suppressions,
// merges) and what was sent to them. The JSON API and the staff pages both
// read through these, so a contact looks the same in either.
import { and, asc, desc, eq, like, lt, or, sql } from 'drizzle-orm';
import { rows, type Tx } from '../db';
import { contactMerges, contacts, dealers, suppressions, vehicles } from '../db/schema';
import { notFound } from '../lib/errors';
import { formatAddress, normalizeEmail, normalizePhone } from './normalize';
import { suppressionsOf } from './suppression';
import type { Channel, ContactKind } from './types';

export type ContactRow = typeof contacts.$inferSelect;

export interface ContactSearch {
  /** A phone or email matches exactly (normalized); anything else is a name or company prefix. */
  q?: string;
  kind?: ContactKind;
  /** Postcode (exact) or text anywhere in the province, city, district or street. */
  address?: string;
}

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (m) => `\\${m}`);

/** One page of the dealer's contacts, newest first: `limit + 1` rows (see http/pagination `page`). */
export async function searchContacts(db: Tx, dealerId: string, s: ContactSearch, limit: number, after?: string): Promise<ContactRow[]> {
  const conds = [eq(contacts.dealerId, dealerId)];
  if (s.kind) conds.push(eq(contacts.kind, s.kind));
  if (s.q) {
    const [dealer] = await db.select({ country: dealers.country }).from(dealers).where(eq(dealers.id, dealerId));
    const phone = /\d{5,}/.test(s.q.replace(/[\s-]/g, '')) ? normalizePhone(s.q, dealer?.country ?? 'CN') : undefined;
    const email = s.q.includes('@') ? normalizeEmail(s.q) : undefined;
    if (phone?.ok) conds.push(eq(contacts.phone, phone.value));
    else if (email?.ok) conds.push(eq(contacts.email, email.value));
    else {
      const esc = likeEscape(s.q);
      conds.push(or(like(contacts.fullName, `${esc}%`), like(contacts.company, `${esc}%`))!);
    }
  }
  if (s.address) {
    const compact = s.address.replace(/\s+/g, '');
    conds.push(
      or(
        eq(contacts.postcode, compact.toUpperCase()),
        sql`concat_ws(' ', ${contacts.province}, ${contacts.city}, ${contacts.district}, ${contacts.street}) ILIKE ${`%${likeEscape(s.address)}%`}`,
        sql`concat(${contacts.province}, ${contacts.city}, ${contacts.district}, ${contacts.street}) ILIKE ${`%${likeEscape(compact)}%`}`,
      )!,
    );
  }
  if (after) conds.push(lt(contacts.id, after));
  return db
    .select()
    .from(contacts)
    .where(and(...conds))
    .orderBy(desc(contacts.id))
    .limit(limit + 1);
}

export function presentContact(r: ContactRow) {
  const addr = {
    country: r.country ?? 'CN',
    province: r.province,
    city: r.city,
    district: r.district,
    street: r.street,
    postcode: r.postcode,
  };
  return {
    id: r.id,
    kind: r.kind,
    fullName: r.fullName,
    gender: r.gender,
    title: r.title,
    birthday: r.birthday,
    language: r.language,
    phone: r.phone,
    email: r.email,
    address: r.street ? { ...addr, lines: formatAddress(addr) } : null,
    company: r.company,
    jobTitle: r.jobTitle,
    fleetSize: r.fleetSize,
    club: r.club,
    tier: r.tier,
    joinDate: r.joinDate,
    attributes: r.attributes ?? {},
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    erasedAt: r.erasedAt?.toISOString() ?? null,
  };
}

function consentsOf(r: ContactRow) {
  const out: Partial<Record<Channel, { status: string; source: string | null; at: string | null }>> = {};
  const add = (ch: Channel, status: string | null, source: string | null, at: Date | null) => {
    if (status) out[ch] = { status, source, at: at?.toISOString() ?? null };
  };
  add('mail', r.mailConsent, r.mailConsentSource, r.mailConsentAt);
  add('sms', r.smsConsent, r.smsConsentSource, r.smsConsentAt);
  add('email', r.emailConsent, r.emailConsentSource, r.emailConsentAt);
  return out;
}

export function presentSuppression(s: typeof suppressions.$inferSelect) {
  // Household keys are internal; show which kind of address is suppressed.
  return {
    id: s.id,
    channel: s.channel,
    target: s.target,
    value: s.target === 'household' ? null : s.value,
    reason: s.reason,
    source: s.source,
    note: s.note,
    createdAt: s.createdAt.toISOString(),
  };
}

/** The full record: the contact, their cars, consents, the suppressions that reach them, and the list rows merged into them. */
export async function contactDetail(db: Tx, dealerId: string, id: string) {
  const [row] = await db.select().from(contacts).where(and(eq(contacts.id, id), eq(contacts.dealerId, dealerId)));
  if (!row) throw notFound('contact');
  const [vs, merges] = await Promise.all([
    db.select().from(vehicles).where(and(eq(vehicles.contactId, id), eq(vehicles.dealerId, dealerId))).orderBy(asc(vehicles.id)),
    db
      .select()
      .from(contactMerges)
      .where(and(eq(contactMerges.contactId, id), eq(contactMerges.dealerId, dealerId)))
      .orderBy(desc(contactMerges.id))
      .limit(100),
  ]);
  const sups = await suppressionsOf(db, dealerId, { contactId: id, phone: row.phone, email: row.email, householdKey: row.householdKey });
  return {
    ...presentContact(row),
    vehicles: vs.map((v) => ({
      id: v.id,
      vin: v.vin,
      make: v.make,
      model: v.model,
      purchaseDate: v.purchaseDate,
      lastServiceDate: v.lastServiceDate,
      mileageKm: v.mileageKm,
      insuranceExpiry: v.insuranceExpiry,
    })),
    consents: consentsOf(row),
    suppressions: sups.map(presentSuppression),
    merges: merges.map((m) => ({ importId: m.importId, row: m.rowNumber, matchedOn: m.matchedOn, changed: m.changed, at: m.createdAt.toISOString() })),
  };
}

export type ContactDetail = Awaited<ReturnType<typeof contactDetail>>;

export interface ContactMessage {
  /** The outbox delivery, or the printed piece for mail. */
  id: string;
  source: 'delivery' | 'piece';
  campaignId: string | null;
  campaignName: string | null;
  waveSeq: number | null;
  channel: string;
  variant: string | null;
  /** Deliveries: pending … delivered, failed, suppressed, skipped; pieces: pending, rendered, excluded. */
  status: string;
  reason: string | null;
  /** Deliveries: when sent; null while not yet (and for pieces). */
  sentAt: string | null;
  /** Pieces: the day their print job went into the mail (YYYY-MM-DD). */
  mailedOn: string | null;
  createdAt: string;
}

/**
 * What was sent to the contact, newest first: SMS and email deliveries from the
 * outbox and printed mail pieces (with their print run's campaign and wave).
 */
export async function contactMessages(db: Tx, dealerId: string, contactId: string, limit = 100): Promise<ContactMessage[]> {
  const found = await rows<{
    id: string;
    source: 'delivery' | 'piece';
    campaign_id: string | null;
    campaign_name: string | null;
    wave_seq: number | null;
    channel: string;
    variant: string | null;
    status: string;
    reason: string | null;
    sent_at: Date | string | null;
    mailed_on: string | null;
    created_at: Date | string;
  }>(
    db,
    sql`SELECT * FROM (
          SELECT o.id, 'delivery' AS source, o.campaign_id, c.name AS campaign_name, w.seq AS wave_seq, o.channel, o.variant,
                 o.status, o.reason, o.sent_at, NULL::text AS mailed_on, o.created_at
            FROM outbox o
            LEFT JOIN campaigns c ON c.id = o.campaign_id AND c.dealer_id = o.dealer_id
            LEFT JOIN waves w ON w.id = o.wave_id AND w.dealer_id = o.dealer_id
           WHERE o.dealer_id = ${dealerId}::uuid AND o.contact_id = ${contactId}::uuid
          UNION ALL
          SELECT p.id, 'piece' AS source, r.campaign_id, c.name, w.seq, 'mail', r.variant,
                 p.status, p.reason, NULL::timestamptz, r.mailed_on::text, p.created_at
            FROM pieces p
            JOIN print_runs r ON r.id = p.print_run_id AND r.dealer_id = p.dealer_id
            LEFT JOIN campaigns c ON c.id = r.campaign_id AND c.dealer_id = r.dealer_id
            LEFT JOIN waves w ON w.id = r.wave_id AND w.dealer_id = r.dealer_id
           WHERE p.dealer_id = ${dealerId}::uuid AND p.contact_id = ${contactId}::uuid
        ) m
        ORDER BY coalesce(m.sent_at, m.mailed_on::timestamptz, m.created_at) DESC, m.id DESC
        LIMIT ${limit}`,
  );
  const iso = (v: Date | string | null) => (v == null ? null : new Date(v).toISOString());
  return found.map((m) => ({
    id: m.id,
    source: m.source,
    campaignId: m.campaign_id,
    campaignName: m.campaign_name,
    waveSeq: m.wave_seq == null ? null : Number(m.wave_seq),
    channel: m.channel,
    variant: m.variant,
    status: m.status,
    reason: m.reason,
    sentAt: iso(m.sent_at),
    mailedOn: m.mailed_on,
    createdAt: iso(m.created_at)!,
  }));
}
