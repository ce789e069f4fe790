// Signed links in messages: the one-click unsubscribe URL carries the delivery
// id and an HMAC of it, so it cannot be forged for another recipient.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { isUuid } from '../lib/ids';

function sign(secret: string, purpose: string, id: string): string {
  return createHmac('sha256', secret).update(`${purpose}:${id}`).digest('base64url').slice(0, 22);
}

/** The signed one-click unsubscribe link of a delivery. */
export function unsubscribeUrl(baseUrl: string, secret: string, deliveryId: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/u/${deliveryId}.${sign(secret, 'unsubscribe', deliveryId)}`;
}

/** The delivery id of a valid unsubscribe token (`<id>.<signature>`), or null. */
export function verifyUnsubscribe(secret: string, token: string): string | null {
  const dot = token.indexOf('.');
  if (dot < 0) return null;
  const id = token.slice(0, dot);
  if (!isUuid(id)) return null;
  const given = Buffer.from(token.slice(dot + 1));
  const want = Buffer.from(sign(secret, 'unsubscribe', id));
  return given.length === want.length && timingSafeEqual(given, want) ? id : null;
}
