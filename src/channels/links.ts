// Signed links in messages: the one-click unsubscribe URL, the email open pixel
// and click redirects carry the delivery id and an HMAC of it (and, for a click,
// of the target URL), so none can be forged for another recipient or pointed
// somewhere else. Forms on public pages sign their CSRF tokens the same way.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { isUuid } from '../lib/ids';

function sign(secret: string, purpose: string, id: string): string {
  return createHmac('sha256', secret).update(`${purpose}:${id}`).digest('base64url').slice(0, 22);
}

/** The signature (128 bits, base64url) of a value for a purpose; `verifySignature` checks it in constant time. */
export function signature(secret: string, purpose: string, value: string): string {
  return sign(secret, purpose, value);
}

export function verifySignature(secret: string, purpose: string, value: string, given: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(sign(secret, purpose, value));
  return a.length === b.length && timingSafeEqual(a, b);
}

const base = (url: string) => url.replace(/\/+$/, '');

/** The open-tracking pixel of an email delivery. */
export function openPixelUrl(baseUrl: string, secret: string, deliveryId: string): string {
  return `${base(baseUrl)}/o/${deliveryId}.${sign(secret, 'open', deliveryId)}.gif`;
}

/** The delivery id of a valid pixel path segment (`<id>.<signature>.gif`), or null. */
export function verifyOpenPixel(secret: string, segment: string): string | null {
  const m = /^([0-9a-f-]{36})\.([A-Za-z0-9_-]{22})\.gif$/.exec(segment);
  if (!m || !isUuid(m[1]!)) return null;
  return verifySignature(secret, 'open', m[1]!, m[2]!) ? m[1]! : null;
}

/** Only web links are tracked: anything else is refused rather than redirected to. */
export function isWebUrl(u: string): boolean {
  try {
    const p = new URL(u);
    return (p.protocol === 'https:' || p.protocol === 'http:') && !p.username && !p.password;
  } catch {
    return false;
  }
}

/** A click-tracking redirect: the signature covers the delivery and the target, so it cannot be re-pointed. */
export function clickUrl(baseUrl: string, secret: string, deliveryId: string, target: string): string {
  if (!isWebUrl(target)) throw new Error('only http(s) links can be tracked');
  return `${base(baseUrl)}/c/${deliveryId}.${sign(secret, 'click', `${deliveryId}\n${target}`)}?u=${encodeURIComponent(target)}`;
}

/** The delivery id of a valid click link (`<id>.<signature>` and its target), or null. */
export function verifyClick(secret: string, segment: string, target: string | undefined): string | null {
  const m = /^([0-9a-f-]{36})\.([A-Za-z0-9_-]{22})$/.exec(segment);
  if (!m || !isUuid(m[1]!) || !target || !isWebUrl(target)) return null;
  return verifySignature(secret, 'click', `${m[1]}\n${target}`, m[2]!) ? m[1]! : null;
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

const unescapeAttr = (s: string) => s.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&#x27;/g, "'").replace(/&#x3D;/g, '=').replace(/&#x60;/g, '`');
const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;');

/**
 * An email's HTML with its web links sent through signed click redirects and
 * an open pixel at the end. Links to the service itself (the recipient's own
 * tracked landing link, the unsubscribe link) are left as they are: they are
 * recorded where they land.
 */
export function trackEmailHtml(html: string, baseUrl: string, secret: string, deliveryId: string): string {
  const own = new URL(baseUrl).origin;
  const linked = html.replace(/(<a\b[^>]*?\bhref=")([^"]*)(")/gi, (whole, pre: string, href: string, post: string) => {
    const target = unescapeAttr(href);
    if (!isWebUrl(target) || new URL(target).origin === own) return whole;
    return `${pre}${escapeAttr(clickUrl(baseUrl, secret, deliveryId, target))}${post}`;
  });
  const pixel = `<img src="${escapeAttr(openPixelUrl(baseUrl, secret, deliveryId))}" width="1" height="1" alt="" style="display:block;border:0">`;
  return /<\/body>/i.test(linked) ? linked.replace(/<\/body>/i, `${pixel}</body>`) : linked + pixel;
}
