// The staff web app's request context: who is signed in (the same session
// cookie and CSRF token as the JSON API), their dealer, and the page language.
// Pages are read with GET; everything that changes data goes through the
// small client script (static.ts), which sends the session's CSRF token as
// X-CSRF-Token: to the /v1 API, or to an /app fragment endpoint.
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { AppEnv, Role } from '../http/context';
import { authenticateSession, checkCsrf, csrfToken, SESSION_COOKIE } from '../staff/accounts';
import type { WebLocale } from './i18n';

export interface Viewer {
  userId: string;
  name: string;
  email: string;
  role: Role;
  dealerId: string;
  dealerName: string;
  timezone: string;
  csrf: string;
}

export type WebEnv = {
  Variables: AppEnv['Variables'] & { viewer: Viewer; locale: WebLocale };
};

export type WebContext = Context<WebEnv>;

const LANG_COOKIE = 'dm_lang';

/** ?lang= (remembered in a cookie), else the cookie, else the browser's first language; Chinese by default. */
export function pickWebLocale(c: Context): WebLocale {
  const q = c.req.query('lang');
  if (q === 'en' || q === 'zh-CN') {
    setCookie(c, LANG_COOKIE, q, { path: '/app', sameSite: 'Lax', httpOnly: true, maxAge: 365 * 86_400 });
    return q;
  }
  const saved = getCookie(c, LANG_COOKIE);
  if (saved === 'en' || saved === 'zh-CN') return saved;
  return /^\s*en\b/i.test(c.req.header('accept-language') ?? '') ? 'en' : 'zh-CN';
}

/** Not signed in (or the session ended): to the sign-in page, coming back here afterwards. */
function toLogin(c: Context) {
  const url = new URL(c.req.url);
  const next = url.pathname + url.search;
  // Scripts (unsafe calls, polled and live fragments) get a 401 they can show, not the sign-in page.
  if (c.req.method !== 'GET' || c.req.header('x-fragment')) return c.json({ error: { code: 'unauthorized', message: 'the session has ended; sign in again', details: null } }, 401);
  return c.redirect(`/app/login?next=${encodeURIComponent(next)}`, 303);
}

/**
 * Every /app page after the sign-in page: a live session (same rules as the
 * API: expired, revoked or disabled → sign in again), and for anything but
 * GET the session's CSRF token in X-CSRF-Token.
 */
export const requireViewer: MiddlewareHandler<WebEnv> = async (c, next) => {
  c.set('locale', pickWebLocale(c));
  const deps = c.get('deps');
  const token = getCookie(c, SESSION_COOKIE);
  const auth = token ? await authenticateSession(deps.db.orm, deps.clock, token) : undefined;
  if (!token || !auth) return toLogin(c);
  if (!['GET', 'HEAD'].includes(c.req.method) && !checkCsrf(deps.config.LINK_SECRET, token, c.req.header('x-csrf-token'))) {
    return c.json({ error: { code: 'forbidden', message: 'missing or wrong X-CSRF-Token; reload the page', details: null } }, 403);
  }
  c.set('auth', auth);
  c.set('viewer', {
    userId: auth.userId,
    name: auth.name,
    email: auth.email,
    role: auth.role,
    dealerId: auth.dealerId,
    dealerName: auth.dealerName,
    timezone: auth.timezone,
    csrf: csrfToken(deps.config.LINK_SECRET, token),
  });
  await next();
};
