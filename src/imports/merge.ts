// Merge a batch of normalized list rows into the dealer's contacts.
//
// A row is the same person as a known contact when it shares the normalized
// phone, else the email, else the name plus household address. Matching runs
// row by row, so duplicates inside one file and across imports resolve alike;
// each batch needs one lookup query and a handful of set-based writes.
import { sql } from 'drizzle-orm';
import { rows, type Tx } from '../db';
import { uuidv7 } from '../lib/ids';
import { MERGEABLE_FIELDS, type ContactInput, type ContactKind } from '../contacts/types';
import { strongerKind } from './rows';

export interface BatchRow {
  row: number;
  contact: ContactInput;
}

export interface MergeCounts {
  created: number;
  updated: number;
  unchanged: number;
  duplicates: number;
}

type MatchedOn = 'phone' | 'email' | 'name_address';

interface Rec {
  id: string;
  isNew: boolean;
  fromThisImport: boolean;
  kind: ContactKind;
  fields: Record<(typeof MERGEABLE_FIELDS)[number], string | number | null>;
  nameKey: string | null;
  householdKey: string | null;
  attributes: Record<string, string> | null;
}

const COLS: Record<(typeof MERGEABLE_FIELDS)[number], [string, string]> = {
  fullName: ['full_name', 'text'],
  gender: ['gender', 'text'],
  title: ['title', 'text'],
  birthday: ['birthday', 'date'],
  language: ['language', 'text'],
  phone: ['phone_e164', 'text'],
  email: ['email', 'text'],
  country: ['country', 'text'],
  province: ['province', 'text'],
  city: ['city', 'text'],
  district: ['district', 'text'],
  street: ['street', 'text'],
  postcode: ['postcode', 'text'],
  company: ['company', 'text'],
  jobTitle: ['job_title', 'text'],
  fleetSize: ['fleet_size', 'int'],
  club: ['club', 'text'],
  tier: ['tier', 'text'],
  joinDate: ['join_date', 'date'],
};
const FIELD_SQL = MERGEABLE_FIELDS.map((f) => COLS[f][0]).join(', ');
const RECORD_DEF = MERGEABLE_FIELDS.map((f) => `${COLS[f][0]} ${COLS[f][1]}`).join(', ');

const nhKey = (n: string | null, h: string | null) => (n && h ? `${n}\u0001${h}` : null);

export async function mergeBatch(
  tx: Tx,
  p: { dealerId: string; importId: string; consentSource: string; now: Date },
  batch: BatchRow[],
): Promise<MergeCounts> {
  const counts: MergeCounts = { created: 0, updated: 0, unchanged: 0, duplicates: 0 };
  if (batch.length === 0) return counts;

  const phones = new Set<string>();
  const emails = new Set<string>();
  const names = new Set<string>();
  const households = new Set<string>();
  for (const { contact: c } of batch) {
    if (c.phone) phones.add(c.phone);
    if (c.email) emails.add(c.email);
    if (c.nameKey && c.householdKey) {
      names.add(c.nameKey);
      households.add(c.householdKey);
    }
  }

  const existing = await rows<Record<string, unknown>>(
    tx,
    sql`SELECT id, kind, source_import_id, name_key, household_key, attributes, ${sql.raw(FIELD_SQL)}
        FROM contacts
        WHERE dealer_id = ${p.dealerId} AND (
          phone_e164 = ANY(${sql.param([...phones])}::text[])
          OR email = ANY(${sql.param([...emails])}::text[])
          OR (name_key = ANY(${sql.param([...names])}::text[]) AND household_key = ANY(${sql.param([...households])}::text[])))`,
  );

  const byPhone = new Map<string, Rec>();
  const byEmail = new Map<string, Rec>();
  const byNh = new Map<string, Rec>();
  const index = (r: Rec) => {
    const ph = r.fields.phone as string | null;
    const em = r.fields.email as string | null;
    const nh = nhKey(r.nameKey, r.householdKey);
    if (ph && !byPhone.has(ph)) byPhone.set(ph, r);
    if (em && !byEmail.has(em)) byEmail.set(em, r);
    if (nh && !byNh.has(nh)) byNh.set(nh, r);
  };
  for (const e of existing) {
    const fields = {} as Rec['fields'];
    for (const f of MERGEABLE_FIELDS) fields[f] = normalizeDb(e[COLS[f][0]]);
    index({
      id: e.id as string,
      isNew: false,
      fromThisImport: e.source_import_id === p.importId,
      kind: e.kind as ContactKind,
      fields,
      nameKey: (e.name_key as string | null) ?? null,
      householdKey: (e.household_key as string | null) ?? null,
      attributes: (e.attributes as Record<string, string> | null) ?? null,
    });
  }

  const created: Rec[] = [];
  const dirty = new Set<Rec>();
  const merges: { contactId: string; row: number; matchedOn: MatchedOn; changed: string[] }[] = [];
  const vehicles = new Map<string, Record<string, unknown>>();
  const consents = new Map<string, { contact_id: string; channel: string; status: string }>();

  for (const { row, contact: c } of batch) {
    let rec: Rec | undefined;
    let matchedOn: MatchedOn | undefined;
    const nh = nhKey(c.nameKey, c.householdKey);
    if (c.phone && (rec = byPhone.get(c.phone))) matchedOn = 'phone';
    else if (c.email && (rec = byEmail.get(c.email))) matchedOn = 'email';
    else if (nh && (rec = byNh.get(nh))) matchedOn = 'name_address';

    if (!rec) {
      const fields = {} as Rec['fields'];
      for (const f of MERGEABLE_FIELDS) fields[f] = c[f];
      rec = {
        id: uuidv7(p.now.getTime()),
        isNew: true,
        fromThisImport: true,
        kind: c.kind,
        fields,
        nameKey: c.nameKey,
        householdKey: c.householdKey,
        attributes: c.attributes,
      };
      created.push(rec);
      index(rec);
      counts.created++;
    } else {
      const changed: string[] = [];
      for (const f of MERGEABLE_FIELDS) {
        const v = c[f];
        if (v === null || v === rec.fields[f]) continue;
        // Never copy a phone or email that identifies someone else onto this contact.
        if (f === 'phone' && byPhone.get(v as string) && byPhone.get(v as string) !== rec) continue;
        if (f === 'email' && byEmail.get(v as string) && byEmail.get(v as string) !== rec) continue;
        rec.fields[f] = v;
        changed.push(f);
      }
      const k = strongerKind(rec.kind, c.kind);
      if (k !== rec.kind) {
        rec.kind = k;
        changed.push('kind');
      }
      if (c.attributes) {
        for (const [a, v] of Object.entries(c.attributes)) {
          if (rec.attributes?.[a] !== v) {
            (rec.attributes ??= {})[a] = v;
            if (!changed.includes('attributes')) changed.push('attributes');
          }
        }
      }
      if (changed.some((f) => ['street', 'postcode', 'province', 'city', 'district', 'country'].includes(f)) && c.householdKey) {
        rec.householdKey = c.householdKey;
      }
      if (changed.includes('fullName') && c.nameKey) rec.nameKey = c.nameKey;
      if (changed.length && !rec.isNew) dirty.add(rec);
      index(rec);

      if (rec.fromThisImport) {
        counts.duplicates++;
        merges.push({ contactId: rec.id, row, matchedOn: matchedOn!, changed });
      } else if (changed.length) {
        counts.updated++;
        merges.push({ contactId: rec.id, row, matchedOn: matchedOn!, changed });
      } else counts.unchanged++;
    }

    if (c.vehicle) {
      const v = c.vehicle;
      const key = v.vin ? `vin:${v.vin}` : `c:${rec.id}:${v.make ?? ''}:${v.model ?? ''}:${v.purchaseDate ?? ''}`;
      const prev = vehicles.get(key);
      const next: Record<string, unknown> = {
        id: (prev?.id as string) ?? uuidv7(p.now.getTime()),
        vehicle_key: key,
        contact_id: rec.id,
        vin: v.vin,
        make: v.make,
        model: v.model,
        purchase_date: v.purchaseDate,
        last_service_date: v.lastServiceDate,
        mileage_km: v.mileageKm,
        insurance_expiry: v.insuranceExpiry,
      };
      if (prev) for (const [k2, val] of Object.entries(next)) if (val === null) next[k2] = prev[k2];
      vehicles.set(key, next);
    }
    if (c.consent) {
      for (const [ch, granted] of Object.entries(c.consent)) {
        consents.set(`${rec.id}:${ch}`, { contact_id: rec.id, channel: ch, status: granted ? 'granted' : 'revoked' });
      }
    }
  }

  // ── writes ──
  if (created.length) {
    await tx.execute(sql`
      INSERT INTO contacts (id, dealer_id, kind, name_key, household_key, attributes, source_import_id, created_at, updated_at, ${sql.raw(FIELD_SQL)})
      SELECT r.id, ${p.dealerId}, r.kind, r.name_key, r.household_key, r.attributes, ${p.importId}, ${p.now}, ${p.now}, ${sql.raw(
        MERGEABLE_FIELDS.map((f) => `r.${COLS[f][0]}`).join(', '),
      )}
      FROM jsonb_to_recordset(${JSON.stringify(created.map(toDbRow))}::jsonb)
        AS r(id uuid, kind text, name_key text, household_key text, attributes jsonb, ${sql.raw(RECORD_DEF)})`);
  }
  if (dirty.size) {
    await tx.execute(sql`
      UPDATE contacts c SET kind = r.kind, name_key = r.name_key, household_key = r.household_key,
        attributes = r.attributes, updated_at = ${p.now},
        ${sql.raw(MERGEABLE_FIELDS.map((f) => `${COLS[f][0]} = r.${COLS[f][0]}`).join(', '))}
      FROM jsonb_to_recordset(${JSON.stringify([...dirty].map(toDbRow))}::jsonb)
        AS r(id uuid, kind text, name_key text, household_key text, attributes jsonb, ${sql.raw(RECORD_DEF)})
      WHERE c.id = r.id AND c.dealer_id = ${p.dealerId}`);
  }
  if (vehicles.size) {
    await tx.execute(sql`
      INSERT INTO vehicles (id, dealer_id, contact_id, vehicle_key, vin, make, model, purchase_date, last_service_date, mileage_km, insurance_expiry, created_at, updated_at)
      SELECT r.id, ${p.dealerId}, r.contact_id, r.vehicle_key, r.vin, r.make, r.model, r.purchase_date, r.last_service_date, r.mileage_km, r.insurance_expiry, ${p.now}, ${p.now}
      FROM jsonb_to_recordset(${JSON.stringify([...vehicles.values()])}::jsonb)
        AS r(id uuid, contact_id uuid, vehicle_key text, vin text, make text, model text, purchase_date date, last_service_date date, mileage_km int, insurance_expiry date)
      ON CONFLICT (dealer_id, vehicle_key) DO UPDATE SET
        contact_id = EXCLUDED.contact_id,
        make = COALESCE(EXCLUDED.make, vehicles.make),
        model = COALESCE(EXCLUDED.model, vehicles.model),
        purchase_date = COALESCE(EXCLUDED.purchase_date, vehicles.purchase_date),
        last_service_date = COALESCE(EXCLUDED.last_service_date, vehicles.last_service_date),
        mileage_km = COALESCE(EXCLUDED.mileage_km, vehicles.mileage_km),
        insurance_expiry = COALESCE(EXCLUDED.insurance_expiry, vehicles.insurance_expiry),
        updated_at = EXCLUDED.updated_at`);
  }
  if (consents.size) {
    // A list never overrides an opt-out the person made themselves.
    await tx.execute(sql`
      INSERT INTO consents (dealer_id, contact_id, channel, status, source, at)
      SELECT ${p.dealerId}, r.contact_id, r.channel, r.status, ${p.consentSource}, ${p.now}
      FROM jsonb_to_recordset(${JSON.stringify([...consents.values()])}::jsonb) AS r(contact_id uuid, channel text, status text)
      ON CONFLICT (contact_id, channel) DO UPDATE SET status = EXCLUDED.status, source = EXCLUDED.source, at = EXCLUDED.at
      WHERE consents.status = 'granted' OR consents.source LIKE 'import:%'`);
  }
  if (merges.length) {
    await tx.execute(sql`
      INSERT INTO contact_merges (id, dealer_id, contact_id, import_id, row_number, matched_on, changed, created_at)
      SELECT r.id, ${p.dealerId}, r.contact_id, ${p.importId}, r.row_number, r.matched_on, r.changed, ${p.now}
      FROM jsonb_to_recordset(${JSON.stringify(
        merges.map((m) => ({ id: uuidv7(p.now.getTime()), contact_id: m.contactId, row_number: m.row, matched_on: m.matchedOn, changed: m.changed })),
      )}::jsonb) AS r(id uuid, contact_id uuid, row_number int, matched_on text, changed jsonb)`);
  }
  return counts;
}

function toDbRow(r: Rec): Record<string, unknown> {
  const o: Record<string, unknown> = {
    id: r.id,
    kind: r.kind,
    name_key: r.nameKey,
    household_key: r.householdKey,
    attributes: r.attributes,
  };
  for (const f of MERGEABLE_FIELDS) o[COLS[f][0]] = r.fields[f];
  return o;
}

function normalizeDb(v: unknown): string | number | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  return v as string | number;
}
