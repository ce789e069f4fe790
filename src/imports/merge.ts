// Merge a batch of normalized list rows into the dealer's contacts.
//
// A row is the same person as a known contact when it shares the normalized
// phone, else the email, else the name plus household address. Matching runs
// row by row, so duplicates inside one file and across imports resolve alike;
// each batch needs one lookup query and a handful of set-based writes.
import { sql } from 'drizzle-orm';
import { rows, type Database, type Tx } from '../db';
import { copyRows, type CopyValue } from '../db/bulk';
import { uuidv7 } from '../lib/ids';
import { refreshSuppressionFlags } from '../contacts/suppression';
import { CHANNELS, MERGEABLE_FIELDS, type Channel, type ContactInput, type ContactKind } from '../contacts/types';
import { refreshVehicleDates, VEHICLE_SPAN_COLUMNS, vehicleSpan, type VehicleDates } from '../contacts/vehicle-dates';
import type { PhaseTimer } from '../lib/timer';
import type { Bloom } from './bloom';
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
  /** channel → [status, source, at ISO] */
  consent: Record<Channel, [string | null, string | null, string | null]>;
  /** A known contact's phone, email and household as loaded: a change re-checks its suppressions. */
  loadedKeys?: string;
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
const CONSENT_COLS = CHANNELS.flatMap((ch) => [`${ch}_consent`, `${ch}_consent_source`, `${ch}_consent_at`]);
const CONSENT_DEF = CHANNELS.map((ch) => `${ch}_consent text, ${ch}_consent_source text, ${ch}_consent_at timestamptz`).join(', ');
const FIELD_SQL = [...MERGEABLE_FIELDS.map((f) => COLS[f][0]), ...CONSENT_COLS].join(', ');
const RECORD_DEF = [...MERGEABLE_FIELDS.map((f) => `${COLS[f][0]} ${COLS[f][1]}`), CONSENT_DEF].join(', ');
const SET_FIELDS = [...MERGEABLE_FIELDS.map((f) => COLS[f][0]), ...CONSENT_COLS].map((c) => `${c} = r.${c}`).join(', ');

const INSERT_COLS = [
  'id',
  'dealer_id',
  'kind',
  'name_key',
  'household_key',
  'attributes',
  'source_import_id',
  'created_at',
  'updated_at',
  ...FIELD_SQL.split(', '),
  ...VEHICLE_SPAN_COLUMNS,
];

const VEHICLE_COLS = [
  'contact_id',
  'vehicle_key',
  'vin',
  'make',
  'model',
  'purchase_date',
  'last_service_date',
  'mileage_km',
  'insurance_expiry',
] as const;

const noConsent = (): Rec['consent'] => ({ mail: [null, null, null], sms: [null, null, null], email: [null, null, null] });

const nhKey = (n: string | null, h: string | null) => (n && h ? `${n}\u0001${h}` : null);
/** The addresses a suppression can name (besides the id). */
const addressKeys = (r: Rec) => `${r.fields.phone ?? ''}\u0001${r.fields.email ?? ''}\u0001${r.householdKey ?? ''}`;

/**
 * Merge one batch in the caller's transaction, which must already hold the
 * dealer's suppression-flags lock (lockSuppressionFlags; the import job takes
 * it with the batch's first statement): a suppression added meanwhile then
 * waits for this batch, or this batch for it, and the flags of the contacts it
 * writes account for every suppression.
 */
export async function mergeBatch(
  tx: Tx,
  p: { db: Database; dealerId: string; importId: string; consentSource: string; now: Date; seen?: Bloom; timer?: PhaseTimer },
  batch: BatchRow[],
): Promise<MergeCounts> {
  const counts: MergeCounts = { created: 0, updated: 0, unchanged: 0, duplicates: 0 };
  // postgres.js cannot type a bare Date parameter inside raw SQL.
  const nowTs = sql`${p.now.toISOString()}::timestamptz`;
  if (batch.length === 0) return counts;

  const phones = new Set<string>();
  const emails = new Set<string>();
  p.timer?.reset();
  const seen = p.seen;
  const maybeKnown = seen
    ? batch.filter(({ contact: c }) => {
        const nh = nhKey(c.nameKey, c.householdKey);
        return (c.phone && seen.has(`p:${c.phone}`)) || (c.email && seen.has(`e:${c.email}`)) || (nh && seen.has(`n:${nh}`));
      })
    : batch;
  for (const { contact: c } of maybeKnown) {
    if (c.phone) phones.add(c.phone);
    if (c.email) emails.add(c.email);
  }
  const nhPairs = maybeKnown.filter((b) => b.contact.nameKey && b.contact.householdKey);
  // Three index lookups, one per identity key; only for rows that may be known.
  // FOR UPDATE: a consent change made meanwhile (an opt-out) must not be
  // overwritten by this batch's copy of the row; it waits for the batch instead.
  const cols = sql.raw(`c.id, c.kind, c.source_import_id, c.name_key, c.household_key, c.attributes, ${FIELD_SQL.split(', ').map((f) => `c.${f}`).join(', ')}`);
  const existing: Record<string, unknown>[] = [];
  if (maybeKnown.length) {
    const found = new Set<string>();
    const add = (rs: Record<string, unknown>[]) => {
      for (const r of rs) if (!found.has(r.id as string)) found.add(r.id as string), existing.push(r);
    };
    if (phones.size) {
      add(await rows(tx, sql`SELECT ${cols} FROM contacts c WHERE c.dealer_id = ${p.dealerId}
        AND c.phone_e164 = ANY(${sql.param([...phones])}::text[]) FOR UPDATE OF c`));
    }
    if (emails.size) {
      add(await rows(tx, sql`SELECT ${cols} FROM contacts c WHERE c.dealer_id = ${p.dealerId}
        AND c.email = ANY(${sql.param([...emails])}::text[]) FOR UPDATE OF c`));
    }
    if (nhPairs.length) {
      add(await rows(tx, sql`SELECT ${cols} FROM contacts c
        JOIN unnest(${sql.param(nhPairs.map((b) => b.contact.nameKey))}::text[], ${sql.param(nhPairs.map((b) => b.contact.householdKey))}::text[])
          AS k(n, h) ON c.household_key = k.h AND c.name_key = k.n
        WHERE c.dealer_id = ${p.dealerId} FOR UPDATE OF c`));
    }
  }

  p.timer?.lap('lookup');
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
    const rec: Rec = {
      id: e.id as string,
      isNew: false,
      fromThisImport: e.source_import_id === p.importId,
      kind: e.kind as ContactKind,
      fields,
      nameKey: (e.name_key as string | null) ?? null,
      householdKey: (e.household_key as string | null) ?? null,
      attributes: (e.attributes as Record<string, string> | null) ?? null,
      consent: {
        mail: [e.mail_consent as string | null, e.mail_consent_source as string | null, isoOrNull(e.mail_consent_at)],
        sms: [e.sms_consent as string | null, e.sms_consent_source as string | null, isoOrNull(e.sms_consent_at)],
        email: [e.email_consent as string | null, e.email_consent_source as string | null, isoOrNull(e.email_consent_at)],
      },
    };
    rec.loadedKeys = addressKeys(rec);
    index(rec);
  }

  const created: Rec[] = [];
  const dirty = new Set<Rec>();
  const merges: { contactId: string; row: number; matchedOn: MatchedOn; changed: string[] }[] = [];
  const vehicles = new Map<string, Record<string, unknown>>();

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
        consent: noConsent(),
      };
      applyConsent(rec, c, p.consentSource, p.now);
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
      changed.push(...applyConsent(rec, c, p.consentSource, p.now));
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
      next.known = prev?.known ?? (!seen || seen.has(`v:${key}`));
      vehicles.set(key, next);
    }
  }

  p.timer?.lap('resolve');
  // A new contact's vehicle dates are all in this batch: its span is written
  // with the row. (A vehicle already stored may keep older dates than the row
  // brings; its owners are recomputed from the table below.)
  const createdIds = new Set(created.map((r) => r.id));
  const newOwnDates = new Map<string, VehicleDates[]>();
  for (const v of vehicles.values()) {
    const owner = v.contact_id as string;
    if (!createdIds.has(owner)) continue;
    const list = newOwnDates.get(owner) ?? [];
    list.push({ purchaseDate: v.purchase_date as string | null, insuranceExpiry: v.insurance_expiry as string | null });
    newOwnDates.set(owner, list);
  }
  // ── writes ──
  // In id order: the ids of one batch share a millisecond, so they are not
  // minted in order, and written as minted they would land all over the end of
  // the id-keyed indexes (pkey, contacts_dealer_id_idx), leaving their pages
  // about three quarters full; in order they append.
  created.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (created.length) {
    const nowIso = p.now.toISOString();
    await copyRows(
      p.db,
      tx,
      'contacts',
      INSERT_COLS,
      created.map((r) => insertRow(r, p.dealerId, p.importId, nowIso, vehicleSpan(newOwnDates.get(r.id) ?? []))),
    );
  }
  p.timer?.lap('copyContacts');
  if (dirty.size) {
    await tx.execute(sql`
      UPDATE contacts c SET kind = r.kind, name_key = r.name_key, household_key = r.household_key,
        attributes = r.attributes, updated_at = ${nowTs},
        ${sql.raw(SET_FIELDS)}
      FROM jsonb_to_recordset(${JSON.stringify([...dirty].map(toDbRow))}::jsonb)
        AS r(id uuid, kind text, name_key text, household_key text, attributes jsonb, ${sql.raw(RECORD_DEF)})
      WHERE c.id = r.id AND c.dealer_id = ${p.dealerId}`);
  }
  p.timer?.lap('updateContacts');
  // New contacts, and known ones whose phone, email or household changed, may
  // be named by a suppression (or no longer be).
  await refreshSuppressionFlags(tx, p.dealerId, {
    inserted: created.map((r) => ({
      id: r.id,
      phone: r.fields.phone as string | null,
      email: r.fields.email as string | null,
      householdKey: r.householdKey,
    })),
  });
  await refreshSuppressionFlags(tx, p.dealerId, { contactIds: [...dirty].filter((r) => r.loadedKeys !== addressKeys(r)).map((r) => r.id) });
  p.timer?.lap('flags');
  const newVehicles = [...vehicles.values()].filter((v) => !v.known);
  const knownVehicles = [...vehicles.values()].filter((v) => v.known);
  /** Contacts whose vehicle date span must be recomputed from the table. */
  const spanStale = new Set<string>();
  for (const v of newVehicles) if (!createdIds.has(v.contact_id as string)) spanStale.add(v.contact_id as string);
  if (newVehicles.length) {
    const nowIso = p.now.toISOString();
    await copyRows(
      p.db,
      tx,
      'vehicles',
      ['id', 'dealer_id', ...VEHICLE_COLS, 'created_at', 'updated_at'],
      newVehicles.map((v) => [v.id, p.dealerId, ...VEHICLE_COLS.map((c) => v[c]), nowIso, nowIso] as CopyValue[]),
    );
  }
  if (knownVehicles.length) {
    // Both the owners before (a car can change hands between lists) and after.
    const owners = await rows<{ contact_id: string }>(
      tx,
      sql`
      WITH before AS (
        SELECT contact_id FROM vehicles
        WHERE dealer_id = ${p.dealerId} AND vehicle_key = ANY(${sql.param(knownVehicles.map((v) => v.vehicle_key as string))}::text[])
      ), upsert AS (
      INSERT INTO vehicles (id, dealer_id, contact_id, vehicle_key, vin, make, model, purchase_date, last_service_date, mileage_km, insurance_expiry, created_at, updated_at)
      SELECT r.id, ${p.dealerId}, r.contact_id, r.vehicle_key, r.vin, r.make, r.model, r.purchase_date, r.last_service_date, r.mileage_km, r.insurance_expiry, ${nowTs}, ${nowTs}
      FROM jsonb_to_recordset(${JSON.stringify(knownVehicles)}::jsonb)
        AS r(id uuid, contact_id uuid, vehicle_key text, vin text, make text, model text, purchase_date date, last_service_date date, mileage_km int, insurance_expiry date)
      ON CONFLICT (dealer_id, vehicle_key) DO UPDATE SET
        contact_id = EXCLUDED.contact_id,
        make = COALESCE(EXCLUDED.make, vehicles.make),
        model = COALESCE(EXCLUDED.model, vehicles.model),
        purchase_date = COALESCE(EXCLUDED.purchase_date, vehicles.purchase_date),
        last_service_date = COALESCE(EXCLUDED.last_service_date, vehicles.last_service_date),
        mileage_km = COALESCE(EXCLUDED.mileage_km, vehicles.mileage_km),
        insurance_expiry = COALESCE(EXCLUDED.insurance_expiry, vehicles.insurance_expiry),
        updated_at = EXCLUDED.updated_at
      RETURNING contact_id
      )
      SELECT contact_id FROM before UNION SELECT contact_id FROM upsert`,
    );
    for (const o of owners) spanStale.add(o.contact_id);
  }
  await refreshVehicleDates(tx, p.dealerId, spanStale);
  p.timer?.lap('vehicles');
  if (merges.length) {
    const nowIso = p.now.toISOString();
    await copyRows(
      p.db,
      tx,
      'contact_merges',
      ['id', 'dealer_id', 'contact_id', 'import_id', 'row_number', 'matched_on', 'changed', 'created_at'],
      merges.map((m) => [uuidv7(p.now.getTime()), p.dealerId, m.contactId, p.importId, m.row, m.matchedOn, m.changed, nowIso]),
    );
  }
  p.timer?.lap('merges');
  if (seen) {
    for (const { contact: c } of batch) {
      const nh = nhKey(c.nameKey, c.householdKey);
      if (c.phone) seen.add(`p:${c.phone}`);
      if (c.email) seen.add(`e:${c.email}`);
      if (nh) seen.add(`n:${nh}`);
    }
    // And the keys the contacts now have (a merge can combine a row's name with
    // a contact's address): the filter must never hide a key that is in the table.
    for (const rec of [...created, ...dirty]) {
      const nh = nhKey(rec.nameKey, rec.householdKey);
      if (rec.fields.phone) seen.add(`p:${rec.fields.phone}`);
      if (rec.fields.email) seen.add(`e:${rec.fields.email}`);
      if (nh) seen.add(`n:${nh}`);
    }
    for (const k of vehicles.keys()) seen.add(`v:${k}`);
  }
  p.timer?.lap('bloom');
  return counts;
}

/** Every identity key the dealer already has, for the import's Bloom filter. */
export async function loadSeenKeys(tx: Tx, dealerId: string, seen: Bloom): Promise<void> {
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const page = await rows<{ id: string; phone_e164: string | null; email: string | null; name_key: string | null; household_key: string | null }>(
      tx,
      sql`SELECT id, phone_e164, email, name_key, household_key FROM contacts
          WHERE dealer_id = ${dealerId} AND id > ${after} ORDER BY id LIMIT 20000`,
    );
    for (const r of page) {
      if (r.phone_e164) seen.add(`p:${r.phone_e164}`);
      if (r.email) seen.add(`e:${r.email}`);
      const nh = nhKey(r.name_key, r.household_key);
      if (nh) seen.add(`n:${nh}`);
    }
    if (page.length < 20000) break;
    after = page[page.length - 1]!.id;
  }
  after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const page = await rows<{ id: string; vehicle_key: string }>(
      tx,
      sql`SELECT id, vehicle_key FROM vehicles WHERE dealer_id = ${dealerId} AND id > ${after} ORDER BY id LIMIT 20000`,
    );
    for (const r of page) seen.add(`v:${r.vehicle_key}`);
    if (page.length < 20000) break;
    after = page[page.length - 1]!.id;
  }
}

export async function countKnownKeys(tx: Tx, dealerId: string): Promise<number> {
  const [r] = await rows<{ n: number }>(
    tx,
    sql`SELECT (SELECT count(*) FROM contacts WHERE dealer_id = ${dealerId})::int * 3 + (SELECT count(*) FROM vehicles WHERE dealer_id = ${dealerId})::int AS n`,
  );
  return Number(r?.n ?? 0);
}

/** A new contact as a COPY row, in INSERT_COLS order. */
function insertRow(r: Rec, dealerId: string, importId: string, nowIso: string, span: CopyValue[]): CopyValue[] {
  const out: CopyValue[] = [r.id, dealerId, r.kind, r.nameKey, r.householdKey, r.attributes, importId, nowIso, nowIso];
  for (const f of MERGEABLE_FIELDS) out.push(r.fields[f]);
  for (const ch of CHANNELS) out.push(...r.consent[ch]);
  out.push(...span);
  return out;
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
  for (const ch of CHANNELS) {
    const [st, src, at] = r.consent[ch];
    o[`${ch}_consent`] = st;
    o[`${ch}_consent_source`] = src;
    o[`${ch}_consent_at`] = at;
  }
  return o;
}

/** Apply the row's consent columns; returns the channels changed. */
function applyConsent(rec: Rec, c: ContactInput, source: string, now: Date): string[] {
  const changed: string[] = [];
  if (!c.consent) return changed;
  for (const ch of CHANNELS) {
    const granted = c.consent[ch];
    if (granted === undefined) continue;
    const status = granted ? 'granted' : 'revoked';
    const [cur, src] = rec.consent[ch];
    if (cur === status) continue;
    // A list never overrides an opt-out the person made themselves.
    if (cur === 'revoked' && src && !src.startsWith('import:')) continue;
    rec.consent[ch] = [status, source, now.toISOString()];
    changed.push(`${ch}Consent`);
  }
  return changed;
}

function isoOrNull(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return v instanceof Date ? v.toISOString() : new Date(v as string).toISOString();
}

function normalizeDb(v: unknown): string | number | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  return v as string | number;
}
