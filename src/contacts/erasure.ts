// Erasure on request: a contact's name, address, phone, email, birthday,
// company and VINs are removed everywhere they are kept (the contact, their
// cars, the outbox's recorded addresses, their responses' details, their
// bookings, their pieces' postcodes, and the manifests of print jobs not yet
// printed), while the rows stay so that every count (recipients, deliveries,
// responses) in reports stays right. Suppressions keyed by their phone or
// email stay too: an opt-out must outlive the person's other data, or a later
// import could message them again.
import { sql } from 'drizzle-orm';
import { one, type Tx } from '../db';
import type { Deps } from '../http/context';
import { notFound } from '../lib/errors';
import { rewriteListingsFor } from '../print/runs';
import { lockSuppressionFlags, refreshSuppressionFlags } from './suppression';

export interface ErasureReport {
  contactId: string;
  erasedAt: string;
  alreadyErased: boolean;
  vehicles: number;
  deliveries: number;
  responses: number;
  bookings: number;
  pieces: number;
  manifestsRewritten: number;
}

async function count(tx: Tx, q: ReturnType<typeof sql>): Promise<number> {
  const r = await one<{ n: number }>(tx, sql`WITH u AS (${q} RETURNING 1) SELECT count(*)::int AS n FROM u`);
  return r?.n ?? 0;
}

export async function eraseContact(deps: Deps, dealerId: string, contactId: string): Promise<ErasureReport> {
  const now = deps.clock.now();
  const at = now.toISOString();
  const report = await deps.db.orm.transaction(async (tx) => {
    await lockSuppressionFlags(tx, dealerId);
    const c = await one<{ erased_at: string | null }>(tx, sql`SELECT erased_at FROM contacts WHERE id = ${contactId}::uuid AND dealer_id = ${dealerId}::uuid FOR UPDATE`);
    if (!c) throw notFound('contact');
    if (c.erased_at) return null;
    await tx.execute(sql`
      UPDATE contacts SET full_name = NULL, gender = NULL, title = NULL, birthday = NULL, phone_e164 = NULL, email = NULL,
        province = NULL, city = NULL, district = NULL, street = NULL, postcode = NULL, company = NULL, job_title = NULL,
        attributes = NULL, name_key = NULL, household_key = NULL, erased_at = ${at}::timestamptz, updated_at = ${at}::timestamptz
      WHERE id = ${contactId}::uuid AND dealer_id = ${dealerId}::uuid`);
    await refreshSuppressionFlags(tx, dealerId, { contactIds: [contactId] });
    const scope = sql`contact_id = ${contactId}::uuid AND dealer_id = ${dealerId}::uuid`;
    return {
      vehicles: await count(tx, sql`UPDATE vehicles SET vin = NULL, vehicle_key = 'erased:' || id::text, updated_at = ${at}::timestamptz WHERE ${scope}`),
      deliveries: await count(tx, sql`UPDATE outbox SET address = NULL WHERE ${scope} AND address IS NOT NULL`),
      responses: await count(tx, sql`UPDATE responses SET data = '{"erased": true}'::jsonb WHERE ${scope}`),
      bookings: await count(tx, sql`UPDATE bookings SET name = '', phone = '', updated_at = ${at}::timestamptz WHERE ${scope}`),
      pieces: await count(tx, sql`UPDATE pieces SET postcode = NULL WHERE ${scope} AND postcode IS NOT NULL`),
    };
  });
  // The files after the rows, on every call: a failure here is repaired by erasing again.
  const manifestsRewritten = await rewriteListingsFor(deps, dealerId, contactId);
  if (!report) {
    const c = await one<{ erased_at: Date | string }>(deps.db.orm, sql`SELECT erased_at FROM contacts WHERE id = ${contactId}::uuid AND dealer_id = ${dealerId}::uuid`);
    return { contactId, erasedAt: new Date(c!.erased_at).toISOString(), alreadyErased: true, vehicles: 0, deliveries: 0, responses: 0, bookings: 0, pieces: 0, manifestsRewritten };
  }
  return { contactId, erasedAt: at, alreadyErased: false, ...report, manifestsRewritten };
}
