// Provider callbacks, outside /v1 (no API token): Twilio's status callbacks and
// inbound messages. Each request must carry a valid X-Twilio-Signature for the
// configured auth token; anything else is 403 and changes nothing.
import { Hono, type Context } from 'hono';
import twilio from 'twilio';
import { sql } from 'drizzle-orm';
import { rows } from '../db';
import { suppress } from '../contacts/suppression';
import type { AppEnv } from '../http/context';
import { forbidden } from '../lib/errors';
import { isUuid } from '../lib/ids';
import { recordResponse } from '../responses/record';
import { isOptOut } from './sms';

export const webhookRoutes = new Hono<AppEnv>();

async function signedForm(c: Context<AppEnv>): Promise<Record<string, string>> {
  const token = c.get('deps').config.TWILIO_AUTH_TOKEN;
  const signature = c.req.header('x-twilio-signature');
  const form = Object.fromEntries(new URLSearchParams(await c.req.text())) as Record<string, string>;
  // The URL Twilio signed: our public base plus the path and query it called.
  const url = new URL(c.req.url);
  const signedUrl = `${c.get('deps').config.PUBLIC_BASE_URL.replace(/\/+$/, '')}${url.pathname}${url.search}`;
  if (!token || !signature || !twilio.validateRequest(token, signature, signedUrl, form)) throw forbidden('invalid or missing X-Twilio-Signature');
  return form;
}

/** Delivery status: delivered or failed (21610: the number opted out, so it is suppressed). */
webhookRoutes.post('/twilio/status', async (c) => {
  const form = await signedForm(c);
  const id = c.req.query('d');
  if (!id || !isUuid(id)) return c.body(null, 204);
  const deps = c.get('deps');
  const status = form.MessageStatus ?? form.SmsStatus ?? '';
  const now = deps.clock.now().toISOString();
  if (status === 'delivered') {
    await deps.db.orm.execute(sql`UPDATE outbox SET status = 'delivered', delivered_at = ${now}::timestamptz WHERE id = ${id}::uuid AND status IN ('sent', 'sending')`);
  } else if (status === 'failed' || status === 'undelivered') {
    const code = form.ErrorCode ?? '';
    const [row] = await rows<{ dealer_id: string; address: string | null }>(
      deps.db.orm,
      sql`UPDATE outbox SET status = 'failed', reason = ${`provider reported ${status}${code ? ` (error ${code})` : ''}`}
          WHERE id = ${id}::uuid AND status IN ('sent', 'sending') RETURNING dealer_id, address`,
    );
    if (row?.address && code === '21610') {
      await suppress(deps.db.orm, deps.clock, row.dealer_id, { channel: 'sms', target: 'phone', value: row.address, reason: 'unsubscribed', source: 'provider' });
    }
  }
  return c.body(null, 204);
});

/**
 * Inbound SMS. STOP, UNSUBSCRIBE, 退订, TD, T or R opt the number out at once,
 * for each dealer that sent to it. Every reply is also a response (an
 * 'sms_reply', or an 'opt_out') attributed to the latest SMS that dealer sent
 * to the number; a callback Twilio repeats (same MessageSid) is recorded once.
 */
webhookRoutes.post('/twilio/inbound', async (c) => {
  const form = await signedForm(c);
  const deps = c.get('deps');
  const from = form.From ?? '';
  const body = form.Body ?? '';
  const sid = form.MessageSid ?? form.SmsSid ?? null;
  if (from) {
    const optOut = isOptOut(body);
    const latest = await rows<{ id: string; dealer_id: string }>(
      deps.db.orm,
      sql`SELECT DISTINCT ON (dealer_id) id, dealer_id FROM outbox WHERE address = ${from} AND channel = 'sms' AND sent_at IS NOT NULL ORDER BY dealer_id, sent_at DESC, id DESC`,
    );
    for (const d of latest) {
      if (optOut) await suppress(deps.db.orm, deps.clock, d.dealer_id, { channel: 'sms', target: 'phone', value: from, reason: 'unsubscribed', source: 'sms_reply' });
      const seen = sid ? await rows(deps.db.orm, sql`SELECT 1 AS one FROM responses WHERE dealer_id = ${d.dealer_id}::uuid AND data->>'messageSid' = ${sid} LIMIT 1`) : [];
      if (seen.length) continue;
      await recordResponse(deps.db.orm, deps.clock, {
        dealerId: d.dealer_id,
        kind: optOut ? 'opt_out' : 'sms_reply',
        source: { deliveryId: d.id },
        data: { text: body.slice(0, 500), ...(sid ? { messageSid: sid } : {}), ...(optOut ? { channels: ['sms'] } : {}) },
      });
    }
  }
  c.header('Content-Type', 'text/xml');
  return c.body('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
});
