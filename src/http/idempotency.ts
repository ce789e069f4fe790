// Idempotency-Key on creating POSTs: the first response is stored and replayed
// for a retry with the same key and body; the same key with another body is refused.
import { and, eq } from 'drizzle-orm';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { idempotencyKeys } from '../db/schema';
import { badRequest, conflict, unprocessable } from '../lib/errors';
import type { AppEnv } from './context';

const KEY_RE = /^[\x21-\x7e]{1,255}$/;

export async function idempotent(
  c: Context<AppEnv>,
  requestHash: string,
  run: () => Promise<{ status: ContentfulStatusCode; body: unknown }>,
  opts: { onReplay?: () => Promise<void> } = {},
): Promise<Response> {
  const key = c.req.header('idempotency-key');
  if (key === undefined) {
    const r = await run();
    return c.json(r.body as object, r.status);
  }
  if (!KEY_RE.test(key)) throw badRequest('Idempotency-Key must be 1–255 printable ASCII characters');
  const { db, clock } = c.get('deps');
  const { dealerId } = c.get('auth');
  const route = `${c.req.method} ${c.req.routePath}`;

  const inserted = await db.orm
    .insert(idempotencyKeys)
    .values({ dealerId, key, route, requestHash, createdAt: clock.now() })
    .onConflictDoNothing()
    .returning({ key: idempotencyKeys.key });

  if (inserted.length === 0) {
    const [prior] = await db.orm
      .select()
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.dealerId, dealerId), eq(idempotencyKeys.key, key)));
    if (!prior) throw conflict('idempotency_conflict', 'Idempotency-Key is being processed; retry shortly');
    await opts.onReplay?.();
    if (prior.route !== route || prior.requestHash !== requestHash) {
      throw unprocessable('idempotency_key_reused', 'this Idempotency-Key was used for a different request');
    }
    if (prior.status === null) {
      throw conflict('request_in_progress', 'a request with this Idempotency-Key is still in progress');
    }
    c.header('Idempotent-Replayed', 'true');
    return c.json(prior.response as object, prior.status as ContentfulStatusCode);
  }

  try {
    const r = await run();
    await db.orm
      .update(idempotencyKeys)
      .set({ status: r.status, response: r.body })
      .where(and(eq(idempotencyKeys.dealerId, dealerId), eq(idempotencyKeys.key, key)));
    return c.json(r.body as object, r.status);
  } catch (e) {
    // A failed request may be retried with the same key.
    await db.orm.delete(idempotencyKeys).where(and(eq(idempotencyKeys.dealerId, dealerId), eq(idempotencyKeys.key, key)));
    throw e;
  }
}
