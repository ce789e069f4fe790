// The contact's vehicle date spans: the earliest and latest purchase date and
// insurance expiry over its vehicles, stored on the contact so a segment count
// reads them from the contact row (or an index on it) instead of probing
// vehicles per contact. Definition, for a contact c:
//
//   first_purchase_date    = min(v.purchase_date)    over vehicles v with
//   last_purchase_date     = max(v.purchase_date)      v.contact_id = c.id and
//   first_insurance_expiry = min(v.insurance_expiry)   v.dealer_id = c.dealer_id
//   last_insurance_expiry  = max(v.insurance_expiry)
//
// (null when no such vehicle has the date). Only the list import writes
// vehicles; it keeps these in step in the batch's own transaction.
import { sql } from 'drizzle-orm';
import { rows, type Tx } from '../db';

export interface VehicleDates {
  purchaseDate: string | null;
  insuranceExpiry: string | null;
}

/** The four span columns, in this order, for rows written by COPY. */
export const VEHICLE_SPAN_COLUMNS = ['first_purchase_date', 'last_purchase_date', 'first_insurance_expiry', 'last_insurance_expiry'] as const;

/**
 * The span over vehicles about to be inserted for a new contact, as
 * [first purchase, last purchase, first insurance, last insurance]: the same
 * min/max as refreshVehicleDates(), for contacts whose every vehicle is in hand
 * (so the import writes the contact once, instead of inserting then updating it).
 * ISO dates compare as strings.
 */
export function vehicleSpan(vs: Iterable<VehicleDates>): [string | null, string | null, string | null, string | null] {
  let fp: string | null = null;
  let lp: string | null = null;
  let fi: string | null = null;
  let li: string | null = null;
  for (const v of vs) {
    const p = v.purchaseDate;
    const i = v.insuranceExpiry;
    if (p !== null) {
      if (fp === null || p < fp) fp = p;
      if (lp === null || p > lp) lp = p;
    }
    if (i !== null) {
      if (fi === null || i < fi) fi = i;
      if (li === null || i > li) li = i;
    }
  }
  return [fp, lp, fi, li];
}

/**
 * Recompute the spans of these contacts of the dealer from the vehicles table.
 * Writes only the contacts whose span changed; returns how many did.
 */
export async function refreshVehicleDates(tx: Tx, dealerId: string, contactIds: Iterable<string>): Promise<number> {
  const ids = [...new Set(contactIds)];
  if (ids.length === 0) return 0;
  const changed = await rows<{ id: string }>(
    tx,
    sql`UPDATE contacts c
        SET first_purchase_date = a.fp, last_purchase_date = a.lp, first_insurance_expiry = a.fi, last_insurance_expiry = a.li
        FROM (
          SELECT x.id, min(v.purchase_date) AS fp, max(v.purchase_date) AS lp,
                 min(v.insurance_expiry) AS fi, max(v.insurance_expiry) AS li
          FROM unnest(${sql.param(ids)}::uuid[]) AS x(id)
          LEFT JOIN vehicles v ON v.contact_id = x.id AND v.dealer_id = ${dealerId}::uuid
          GROUP BY x.id
        ) a
        WHERE c.id = a.id AND c.dealer_id = ${dealerId}::uuid
          AND (c.first_purchase_date, c.last_purchase_date, c.first_insurance_expiry, c.last_insurance_expiry)
              IS DISTINCT FROM (a.fp, a.lp, a.fi, a.li)
        RETURNING c.id`,
  );
  return changed.length;
}
