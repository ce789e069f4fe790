// /v1/responses: what recipients did, with attribution, for the caller's dealer.
import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { responses } from '../db/schema-responses';
import type { AppEnv } from '../http/context';
import { decodeCursor, page, pageQuery } from '../http/pagination';
import { queryParams } from '../http/validate';
import { RESPONSE_KINDS } from './record';

export const responseRoutes = new Hono<AppEnv>();

/** Newest first; filter by campaign, wave, contact, kind, channel. */
responseRoutes.get('/', async (c) => {
  const deps = c.get('deps');
  const { dealerId } = c.get('auth');
  const q = queryParams(
    c,
    pageQuery.extend({
      campaignId: z.string().uuid().optional(),
      waveId: z.string().uuid().optional(),
      contactId: z.string().uuid().optional(),
      kind: z.enum(RESPONSE_KINDS).optional(),
      channel: z.enum(['mail', 'sms', 'email', 'web']).optional(),
    }),
  );
  const cursor = decodeCursor(q.cursor);
  const where: (SQL | undefined)[] = [
    eq(responses.dealerId, dealerId),
    q.campaignId ? eq(responses.campaignId, q.campaignId) : undefined,
    q.waveId ? eq(responses.waveId, q.waveId) : undefined,
    q.contactId ? eq(responses.contactId, q.contactId) : undefined,
    q.kind ? eq(responses.kind, q.kind) : undefined,
    q.channel ? eq(responses.channel, q.channel) : undefined,
    cursor ? lt(responses.id, cursor) : undefined,
  ];
  const found = await deps.db.orm.select().from(responses).where(and(...where)).orderBy(desc(responses.id)).limit(q.limit + 1);
  const p = page(found, q.limit);
  return c.json({
    data: p.data.map((r) => ({
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
    })),
    nextCursor: p.nextCursor,
  });
});
