// The columns derived onto contacts (vehicle date spans, per-channel suppressed
// flags), checked against their definition, written here independently of the
// service code that maintains them.
import { sql } from 'drizzle-orm';
import { rows, type Tx } from '../../src/db';
import { lockSuppressionFlags, refreshSuppressionFlags } from '../../src/contacts/suppression';
import { refreshVehicleDates } from '../../src/contacts/vehicle-dates';

export interface Drift {
  id: string;
  name: string | null;
  stored: string;
  expected: string;
}

/**
 * Every contact (of the dealer, or of all dealers) whose derived columns differ
 * from the definition: min/max of its own dealer's vehicles' dates, and "some
 * suppression of the dealer on the channel or 'all' has the contact's id,
 * phone, email or household as its value". Empty when everything is in step.
 */
export async function derivedDrift(db: Tx, dealerId?: string): Promise<Drift[]> {
  const names = (ch: string) => sql`EXISTS (
    SELECT 1 FROM suppressions s
    WHERE s.dealer_id = c.dealer_id AND s.channel IN (${ch}::text, 'all')
      AND ((s.target = 'contact' AND s.value = c.id::text) OR (s.target = 'phone' AND s.value = c.phone_e164)
        OR (s.target = 'email' AND s.value = c.email) OR (s.target = 'household' AND s.value = c.household_key)))`;
  return rows<Drift>(
    db,
    sql`SELECT c.id, c.full_name AS name,
          concat_ws(' ', c.first_purchase_date, c.last_purchase_date, c.first_insurance_expiry, c.last_insurance_expiry,
                    c.mail_suppressed, c.sms_suppressed, c.email_suppressed) AS stored,
          concat_ws(' ', x.fp, x.lp, x.fi, x.li, x.mail, x.sms, x.email) AS expected
        FROM contacts c
        CROSS JOIN LATERAL (
          SELECT (SELECT min(v.purchase_date) FROM vehicles v WHERE v.contact_id = c.id AND v.dealer_id = c.dealer_id) AS fp,
                 (SELECT max(v.purchase_date) FROM vehicles v WHERE v.contact_id = c.id AND v.dealer_id = c.dealer_id) AS lp,
                 (SELECT min(v.insurance_expiry) FROM vehicles v WHERE v.contact_id = c.id AND v.dealer_id = c.dealer_id) AS fi,
                 (SELECT max(v.insurance_expiry) FROM vehicles v WHERE v.contact_id = c.id AND v.dealer_id = c.dealer_id) AS li,
                 ${names('mail')} AS mail, ${names('sms')} AS sms, ${names('email')} AS email
        ) x
        WHERE ${dealerId ? sql`c.dealer_id = ${dealerId}::uuid` : sql`TRUE`}
          AND (c.first_purchase_date, c.last_purchase_date, c.first_insurance_expiry, c.last_insurance_expiry,
               c.mail_suppressed, c.sms_suppressed, c.email_suppressed)
              IS DISTINCT FROM (x.fp, x.lp, x.fi, x.li, x.mail, x.sms, x.email)
        ORDER BY c.id`,
  );
}

/**
 * For fixtures written straight to the tables (bypassing the import and the
 * suppression API): bring the dealer's derived columns in step, the way the
 * service does after a bulk write.
 */
export async function refreshDerived(db: Tx, dealerId: string): Promise<void> {
  await db.transaction(async (tx) => {
    const ids = await rows<{ id: string }>(tx, sql`SELECT id FROM contacts WHERE dealer_id = ${dealerId}::uuid`);
    await refreshVehicleDates(tx, dealerId, ids.map((r) => r.id));
    await lockSuppressionFlags(tx, dealerId);
    await refreshSuppressionFlags(tx, dealerId, 'dealer');
  });
}
