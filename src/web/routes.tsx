// The staff web app under /app: server-rendered pages (hono/jsx) in zh-CN and
// en over the same services and session as the JSON API. The sections follow
// the data's path: lists → contacts → segments → templates → campaigns →
// responses (survey entry) → reports; the print shop's portal; admin pages.
import { Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Deps } from '../http/context';
import { onError } from '../http/middleware';
import { AppError } from '../lib/errors';
import { errorField } from '../lib/log';
import { authenticateSession, SESSION_COOKIE } from '../staff/accounts';
import { adminPages } from './admin';
import { campaignPages } from './campaigns';
import { pickWebLocale, requireViewer, type WebEnv } from './context';
import { words } from './i18n';
import { homeOf, notFoundPage, page, refused, Shell, STAFF_CSS } from './kit';
import { listPages } from './lists';
import { printPages } from './print';
import { reportPages } from './reports';
import { segmentPages } from './segments';
import { STAFF_JS } from './static';
import { surveyEntryPages } from './surveys';
import { templatePages } from './templates';

/** Pages may load scripts and styles from this origin only, and are never framed or cached. */
const CSP = "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; script-src 'self'; frame-src 'self'; object-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export function staffWeb(deps: Deps) {
  const web = new Hono<WebEnv>();
  web.use('*', async (c, next) => {
    await next();
    c.header('Content-Security-Policy', CSP);
    c.header('X-Frame-Options', 'DENY');
    c.header('X-Content-Type-Options', 'nosniff');
    if (!c.req.path.startsWith('/app/static/')) c.header('Cache-Control', 'no-store');
  });

  web.get('/static/staff.js', (c) => c.body(STAFF_JS, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' }));
  web.get('/static/staff.css', (c) => c.body(STAFF_CSS, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'no-cache' }));

  web.get('/login', async (c) => {
    const locale = pickWebLocale(c);
    const token = getCookie(c, SESSION_COOKIE);
    const next = safeNext(c.req.query('next'));
    if (token) {
      const auth = await authenticateSession(deps.db.orm, deps.clock, token);
      if (auth) return c.redirect(next ?? homeOf(auth.role), 303);
    }
    const w = words(locale);
    return c.html(`<!doctype html>${await (<LoginPage locale={locale} next={next} title={w.signIn} />).toString()}`);
  });
  web.get('/static/login.js', (c) => c.body(LOGIN_JS, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' }));

  web.use('*', requireViewer);
  web.get('/', (c) => c.redirect(homeOf(c.get('viewer').role), 303));
  web.route('/', listPages);
  web.route('/', segmentPages);
  web.route('/', templatePages);
  web.route('/', campaignPages);
  web.route('/', surveyEntryPages);
  web.route('/', reportPages);
  web.route('/', printPages);
  web.route('/', adminPages);
  web.notFound((c) => notFoundPage(c));
  // A page that fails shows the message in the page; calls from the client
  // script (anything but a page GET) get the API's error shape.
  web.onError((err, c) => {
    const wantsPage = c.req.method === 'GET' && !c.req.header('x-fragment') && !!c.get('viewer');
    if (!wantsPage) return onError(err, c as never);
    if (err instanceof AppError && err.status === 404) return notFoundPage(c);
    if (err instanceof AppError && err.status === 403) return refused(c);
    const status = err instanceof AppError ? err.status : 500;
    if (!(err instanceof AppError)) c.get('log')?.error('page failed', { err: errorField(err) });
    const message = err instanceof AppError ? err.message : `internal error; quote the request id ${c.get('requestId')}`;
    return page(c, <Shell c={c} title={words(c.get('locale')).errorTitle}><p class="error" id="page-failed">{message}</p></Shell>, status as ContentfulStatusCode);
  });
  return web;
}

/** Only a path on this site (no scheme, no //host) may be where sign-in returns to. */
function safeNext(next: string | undefined): string | undefined {
  return next && /^\/app(\/[^\s\\]*)?$/.test(next) && !next.startsWith('//') ? next : undefined;
}

const LOGIN_JS = String.raw`document.addEventListener('DOMContentLoaded', () => {
  const form = document.getElementById('login');
  const box = document.getElementById('login-error');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    box.hidden = true;
    const button = form.querySelector('button');
    button.disabled = true;
    try {
      const res = await fetch('/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, credentials: 'same-origin', body: JSON.stringify({ email: form.email.value, password: form.password.value }) });
      if (res.ok) { location.assign(form.dataset.next); return; }
      const data = await res.json().catch(() => null);
      box.textContent = res.status === 429 ? form.dataset.tooMany : res.status === 401 ? form.dataset.wrong : (data && data.error && data.error.message) || String(res.status);
      box.hidden = false;
    } catch (e) { box.textContent = String(e); box.hidden = false; }
    finally { button.disabled = false; }
  });
});`;

function LoginPage(props: { locale: 'zh-CN' | 'en'; next: string | undefined; title: string }) {
  const w = words(props.locale);
  const en = props.locale === 'en';
  return (
    <html lang={props.locale}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${w.signIn} · ${w.appName}`}</title>
        <link rel="stylesheet" href="/app/static/staff.css" />
        <script src="/app/static/login.js" defer></script>
      </head>
      <body>
        <main class="narrow">
          <h1>{w.appName}</h1>
          <section class="card">
            <form
              id="login"
              data-next={props.next ?? '/app'}
              data-wrong={en ? 'Email or password is wrong.' : '邮箱或密码错误。'}
              data-too-many={en ? 'Too many sign-in attempts. Try again in 15 minutes.' : '登录尝试次数过多，请 15 分钟后再试。'}
            >
              <label for="email">{w.email}</label>
              <input id="email" name="email" type="email" autocomplete="username" required />
              <label for="password">{w.password}</label>
              <input id="password" name="password" type="password" autocomplete="current-password" required />
              <div class="error" id="login-error" hidden role="alert"></div>
              <div class="actions">
                <button type="submit">{w.signIn}</button>
                <a href={`/app/login?lang=${en ? 'zh-CN' : 'en'}${props.next ? `&next=${encodeURIComponent(props.next)}` : ''}`}>{w.otherLanguage}</a>
              </div>
            </form>
          </section>
        </main>
      </body>
    </html>
  );
}
