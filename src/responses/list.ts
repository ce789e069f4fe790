// Reading responses back: newest first, filtered by campaign, wave, contact,
// kind or channel. The JSON API and the staff pages (a contact's history) both
// read through this.
import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import type { Tx } from '../db';
import { responses } from '../db/schema-responses';
import type { ResponseKind } from './record';

export interface ResponseFilter {
  campaignId?: string;
  waveId?: string;
  contactId?: string;
  kind?: ResponseKind;
  channel?: 'mail' | 'sms' | 'email' | 'web';
}

export type ResponseRow = typeof responses.$inferSelect;

/** One page of the dealer's responses, newest first: `limit + 1` rows (see http/pagination `page`). */
export async function listResponses(db: Tx, dealerId: string, f: ResponseFilter, limit: number, after?: string): Promise<ResponseRow[]> {
  const where: (SQL | undefined)[] = [
    eq(responses.dealerId, dealerId),
    f.campaignId ? eq(responses.campaignId, f.campaignId) : undefined,
    f.waveId ? eq(responses.waveId, f.waveId) : undefined,
    f.contactId ? eq(responses.contactId, f.contactId) : undefined,
    f.kind ? eq(responses.kind, f.kind) : undefined,
    f.channel ? eq(responses.channel, f.channel) : undefined,
    after ? lt(responses.id, after) : undefined,
  ];
  return db.select().from(responses).where(and(...where)).orderBy(desc(responses.id)).limit(limit + 1);
}

export function presentResponse(r: ResponseRow) {
  return {
    id: r.id,
    kind: r.kind,
    campaignId: r.campaignId,
    waveId: r.waveId,
    channel: r.channel,
    variant: r.variant,
    contactId: r.contactId,
    pieceId: r.pieceId,
    deliveryId: r.deliveryId,
    control: r.control,
    inWindow: r.inWindow,
    occurredAt: r.occurredAt.toISOString(),
    data: r.data,
  };
}
