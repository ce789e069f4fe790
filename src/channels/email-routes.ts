// Email endpoints outside /v1: the one-click unsubscribe link of every email
// (RFC 8058: POST unsubscribes at once; GET shows a confirmation page, since
// mail scanners follow links), and the bounce endpoint for the MTA.
import { timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import { html } from 'hono/html';
import { sql } from 'drizzle-orm';
import { rows } from '../db';
import { suppress } from '../contacts/suppression';
import type { AppEnv, Deps } from '../http/context';
import { AppError, badRequest, forbidden } from '../lib/errors';
import { backoffMs } from '../outbox/dispatcher';
import { parseDsn } from './dsn';
import { verifyUnsubscribe } from './links';

export const emailRoutes = new Hono<AppEnv>();

async function unsubscribe(deps: Deps, deliveryId: string): Promise<boolean> {
  const [row] = await rows<{ dealer_id: string; address: string | null }>(
    deps.db.orm,
    sql`SELECT dealer_id, address FROM outbox WHERE id = ${deliveryId}::uuid AND channel = 'email'`,
  );
  if (!row?.address) return false;
  await suppress(deps.db.orm, deps.clock, row.dealer_id, { channel: 'email', target: 'email', value: row.address, reason: 'unsubscribed', source: 'one_click' });
  return true;
}

const page = (title: string, body: ReturnType<typeof html>) => html`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title></head>
<body style="font-family: sans-serif; max-width: 32rem; margin: 3rem auto; padding: 0 1rem">${body}</body></html>`;

emailRoutes.get('/u/:token', (c) => {
  const id = verifyUnsubscribe(c.get('deps').config.LINK_SECRET, c.req.param('token'));
  if (!id) return c.html(page('链接无效 Invalid link', html`<p>此退订链接无效。This unsubscribe link is not valid.</p>`), 404);
  return c.html(
    page(
      '退订 Unsubscribe',
      html`<p>不再接收此经销商的邮件？ Stop receiving emails from this dealer?</p>
        <form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">退订 Unsubscribe</button></form>`,
    ),
  );
});

emailRoutes.post('/u/:token', async (c) => {
  const deps = c.get('deps');
  const id = verifyUnsubscribe(deps.config.LINK_SECRET, c.req.param('token'));
  if (!id) return c.html(page('链接无效 Invalid link', html`<p>此退订链接无效。This unsubscribe link is not valid.</p>`), 404);
  await unsubscribe(deps, id);
  return c.html(page('已退订 Unsubscribed', html`<p>您已退订，不会再收到此经销商的邮件。You are unsubscribed.</p>`));
});

/**
 * A bounce (RFC 3464) from our MTA, as the raw message body, with
 * `Authorization: Bearer <BOUNCE_TOKEN>`. 5.x.x: the delivery failed and the
 * address is suppressed; 4.x.x: the delivery is tried again later.
 */
emailRoutes.post('/webhooks/email/bounce', async (c) => {
  const deps = c.get('deps');
  const expected = deps.config.BOUNCE_TOKEN;
  if (!expected) throw new AppError(503, 'not_configured', 'bounce processing is not configured (set BOUNCE_TOKEN)');
  const given = Buffer.from((c.req.header('authorization') ?? '').replace(/^Bearer\s+/i, ''));
  const want = Buffer.from(expected);
  if (given.length !== want.length || !timingSafeEqual(given, want)) throw forbidden('invalid bounce token');
  const raw = await c.req.text();
  if (raw.length > 2 * 1024 * 1024) throw new AppError(413, 'payload_too_large', 'a bounce larger than 2 MB');
  const b = parseDsn(raw);
  if (!b) throw badRequest('not a delivery status notification (no Status field)');
  if (!b.deliveryId) return c.json({ matched: false, status: b.status });
  const [row] = await rows<{ dealer_id: string; address: string | null; attempts: number }>(
    deps.db.orm,
    sql`SELECT dealer_id, address, attempts FROM outbox WHERE id = ${b.deliveryId}::uuid AND channel = 'email'`,
  );
  if (!row) return c.json({ matched: false, status: b.status });
  const now = deps.clock.now();
  if (b.permanent) {
    await deps.db.orm.execute(sql`UPDATE outbox SET status = 'failed', reason = ${`bounced (${b.status})`} WHERE id = ${b.deliveryId}::uuid AND status IN ('sent', 'delivered')`);
    const address = b.recipient ?? row.address;
    if (address) await suppress(deps.db.orm, deps.clock, row.dealer_id, { channel: 'email', target: 'email', value: address, reason: 'bounced', source: 'bounce' });
    return c.json({ matched: true, status: b.status, action: 'suppressed' });
  }
  const at = new Date(now.getTime() + backoffMs(row.attempts)).toISOString();
  await deps.db.orm.execute(sql`UPDATE outbox SET status = 'pending', next_attempt_at = ${at}::timestamptz, reason = ${`deferred (${b.status})`}
    WHERE id = ${b.deliveryId}::uuid AND status = 'sent'`);
  return c.json({ matched: true, status: b.status, action: 'retry' });
});
