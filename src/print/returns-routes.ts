// /v1/returns: pieces the post brought back, one by one or as a CSV.
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../http/context';
import { requireRole } from '../http/tenancy';
import { jsonBody, rawBody } from '../http/validate';
import { unprocessable } from '../lib/errors';
import { markReturned, markReturnedCsv } from './returns';

export const returnRoutes = new Hono<AppEnv>();
const body = z
  .object({ code: z.string().min(1).max(60).optional(), pieceId: z.string().uuid().optional(), reason: z.string().max(200).optional() })
  .refine((r) => !!r.code !== !!r.pieceId, 'give exactly one of code or pieceId');

/** JSON `{code | pieceId, reason?}` for one piece, or a CSV (text/csv) with a `code` or `piece_id` column. */
returnRoutes.post('/', requireRole('admin', 'marketer'), async (c) => {
  const deps = c.get('deps');
  const { dealerId, tokenId } = c.get('auth');
  if ((c.req.header('content-type') ?? '').startsWith('text/csv')) {
    return c.json(await markReturnedCsv(deps, dealerId, await rawBody(c, 10 * 1024 * 1024, 'the returns file'), tokenId));
  }
  const input = await jsonBody(c, body);
  const r = await markReturned(deps, dealerId, input.code ? { code: input.code } : { pieceId: input.pieceId! }, tokenId, input.reason ?? null);
  if (!r.ok) throw unprocessable('unknown_piece', r.reason, [{ path: r.field === 'code' ? 'code' : 'pieceId', message: r.reason }]);
  return c.json(r);
});
