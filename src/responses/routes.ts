// /v1/responses: what recipients did, with attribution, for the caller's dealer.
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../http/context';
import { decodeCursor, page, pageQuery } from '../http/pagination';
import { queryParams } from '../http/validate';
import { listResponses, presentResponse } from './list';
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
  const found = await listResponses(deps.db.orm, dealerId, q, q.limit, decodeCursor(q.cursor));
  const p = page(found, q.limit);
  return c.json({ data: p.data.map(presentResponse), nextCursor: p.nextCursor });
});
