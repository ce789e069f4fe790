// CSRF protection for the recipient's forms, stateless: a random per-browser
// cookie, and in each form a one-time nonce and its issue time signed together
// with the cookie and what the form acts on (the landing token or the booking).
// A form is good only with its own browser's cookie, for its own page, for two
// hours. The Origin check (hono/csrf) runs before this.
import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { signature, verifySignature } from '../channels/links';
import type { AppEnv } from '../http/context';
import { randomToken } from '../lib/ids';

const COOKIE = 'dm_form';
const MAX_AGE_MS = 2 * 60 * 60 * 1000;

function browserKey(c: Context<AppEnv>): string {
  let key = getCookie(c, COOKIE);
  if (!key || !/^[A-Za-z0-9_-]{22}$/.test(key)) {
    key = randomToken(16);
    const secure = c.get('deps').config.PUBLIC_BASE_URL.startsWith('https:');
    setCookie(c, COOKIE, key, { httpOnly: true, sameSite: 'Lax', path: '/', secure });
  }
  return key;
}

/** A fresh form token for a form acting on `scope`. */
export function formToken(c: Context<AppEnv>, scope: string): string {
  const deps = c.get('deps');
  const key = browserKey(c);
  const nonce = randomToken(16);
  const at = deps.clock.now().getTime().toString(36);
  return `${nonce}.${at}.${signature(deps.config.LINK_SECRET, 'form', `${scope}\n${key}\n${nonce}\n${at}`)}`;
}

/** The form's nonce when its token is good for this browser and scope, else null. */
export function checkFormToken(c: Context<AppEnv>, scope: string, token: unknown): string | null {
  if (typeof token !== 'string') return null;
  const key = getCookie(c, COOKIE);
  const m = /^([A-Za-z0-9_-]{22})\.([0-9a-z]{1,12})\.([A-Za-z0-9_-]{22})$/.exec(token);
  if (!key || !m) return null;
  const deps = c.get('deps');
  if (!verifySignature(deps.config.LINK_SECRET, 'form', `${scope}\n${key}\n${m[1]}\n${m[2]}`, m[3]!)) return null;
  const age = deps.clock.now().getTime() - parseInt(m[2]!, 36);
  return age >= -60_000 && age <= MAX_AGE_MS ? m[1]! : null;
}
