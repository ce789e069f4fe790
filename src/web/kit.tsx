// What every staff page is built from: the shell (navigation for the viewer's
// role, language switch, sign-out, the CSRF token for the client script), role
// gates, the refusal and not-found pages, and number and date formatting in the
// dealer's time zone. hono/jsx escapes every value, so names, addresses and
// anything else a user typed show as text.
import type { Child } from 'hono/jsx';
import type { MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Role } from '../http/context';
import type { Viewer, WebContext, WebEnv } from './context';
import { words, type WebLocale } from './i18n';

const CSS = `*{box-sizing:border-box}body{font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;color:#1d2430;background:#f4f6f9;line-height:1.45;font-size:15px}
header.top{background:#13294b;color:#fff;display:flex;flex-wrap:wrap;align-items:center;gap:.4rem 1rem;padding:.5rem 1rem}
header.top a{color:#dfe7f3;text-decoration:none;padding:.25rem .45rem;border-radius:.3rem}header.top a.on,header.top a:hover{background:#ffffff22;color:#fff}
header.top .brand{font-weight:700;color:#fff;margin-right:.5rem}header.top nav{display:flex;flex-wrap:wrap;gap:.2rem;flex:1}
header.top .who{font-size:.85rem;color:#c8d3e4;display:flex;gap:.5rem;align-items:center}header.top button{background:none;border:1px solid #ffffff55;color:#fff;padding:.2rem .6rem;border-radius:.3rem;cursor:pointer;font:inherit}
main{max-width:72rem;margin:0 auto;padding:1rem}h1{font-size:1.35rem;margin:.6rem 0 1rem}h2{font-size:1.1rem;margin:1.2rem 0 .5rem}
section.card{background:#fff;border-radius:.5rem;padding:1rem;margin:0 0 1rem;box-shadow:0 1px 2px #0002}
table{border-collapse:collapse;width:100%;background:#fff}th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid #e3e7ee;vertical-align:top}th{font-weight:600;background:#f0f3f8}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
label{display:block;font-weight:600;margin:.7rem 0 .25rem}input,select,textarea{font:inherit;padding:.45rem;border:1px solid #c3cad5;border-radius:.35rem;background:#fff;max-width:100%}
input[type=text],input[type=email],input[type=password],input[type=search],input[type=number],input[type=datetime-local],select,textarea{width:100%}textarea{min-height:8rem;font-family:ui-monospace,monospace;font-size:.85rem}
button,.button{font:inherit;padding:.45rem .9rem;border:0;border-radius:.35rem;background:#0b5cad;color:#fff;cursor:pointer;text-decoration:none;display:inline-block}
button.secondary,.button.secondary{background:#fff;color:#0b5cad;border:1px solid #0b5cad}button.danger{background:#b3261e}button:disabled{opacity:.5;cursor:default}
.row{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-end}.row>*{flex:1 1 12rem}.actions{display:flex;gap:.5rem;flex-wrap:wrap;margin-top:1rem}
.error{background:#fdecea;color:#8a1c12;padding:.6rem .8rem;border-radius:.35rem;margin:.6rem 0;white-space:pre-line}.ok{background:#e7f5ec;color:#17603a;padding:.6rem .8rem;border-radius:.35rem;margin:.6rem 0}
.muted{color:#5b6573;font-size:.9rem}.badge{display:inline-block;padding:.05rem .45rem;border-radius:.8rem;background:#e8edf5;font-size:.8rem}.stat{font-size:1.6rem;font-weight:700}
.stats{display:grid;grid-template-columns:repeat(auto-fill,minmax(10rem,1fr));gap:.8rem}.stats>div{background:#fff;border-radius:.5rem;padding:.7rem;box-shadow:0 1px 2px #0002}
main.narrow{max-width:24rem}progress{width:100%;height:1.2rem}a{color:#0b5cad}pre{white-space:pre-wrap;word-break:break-word}[hidden]{display:none!important}`;

export { CSS as STAFF_CSS };

interface NavItem {
  key: keyof ReturnType<typeof words>['nav'];
  href: string;
  roles: Role[];
}

const READERS: Role[] = ['admin', 'marketer', 'manager'];
export const NAV: NavItem[] = [
  { key: 'lists', href: '/app/lists', roles: READERS },
  { key: 'contacts', href: '/app/contacts', roles: READERS },
  { key: 'segments', href: '/app/segments', roles: READERS },
  { key: 'templates', href: '/app/templates', roles: READERS },
  { key: 'campaigns', href: '/app/campaigns', roles: READERS },
  { key: 'surveys', href: '/app/surveys', roles: READERS },
  { key: 'reports', href: '/app/reports', roles: READERS },
  { key: 'print', href: '/app/print', roles: ['admin', 'marketer', 'manager', 'printer'] },
  { key: 'users', href: '/app/users', roles: ['admin'] },
  { key: 'audit', href: '/app/audit', roles: ['admin'] },
];

/** The page a role lands on after signing in. */
export function homeOf(role: Role): string {
  return role === 'printer' ? '/app/print' : role === 'manager' ? '/app/reports' : '/app/campaigns';
}

/** The current URL with ?lang= switched to the other language. */
function otherLanguageHref(c: WebContext): string {
  const url = new URL(c.req.url);
  url.searchParams.set('lang', c.get('locale') === 'en' ? 'zh-CN' : 'en');
  return url.pathname + url.search;
}

export function Shell(props: { c: WebContext; title: string; active?: NavItem['key']; children: Child; scripts?: string[] }) {
  const { c } = props;
  const viewer = c.get('viewer');
  const locale = c.get('locale');
  const w = words(locale);
  return (
    <html lang={locale}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <meta name="csrf-token" content={viewer.csrf} />
        <meta name="locale" content={locale} />
        <title>{`${props.title} · ${w.appName}`}</title>
        <link rel="stylesheet" href="/app/static/staff.css" />
        <script src="/app/static/staff.js" defer></script>
        {(props.scripts ?? []).map((s) => (
          <script src={`/app/static/${s}.js`} defer></script>
        ))}
      </head>
      <body>
        <header class="top">
          <a class="brand" href={homeOf(viewer.role)}>
            {w.appName}
          </a>
          <nav>
            {NAV.filter((n) => n.roles.includes(viewer.role)).map((n) => (
              <a href={n.href} class={props.active === n.key ? 'on' : undefined}>
                {w.nav[n.key]}
              </a>
            ))}
          </nav>
          <span class="who">
            <span id="viewer">
              {viewer.name} · {w.roles[viewer.role]} · {viewer.dealerName}
            </span>
            <a href={otherLanguageHref(c)} id="lang-switch">
              {w.otherLanguage}
            </a>
            <button type="button" id="sign-out" data-api="/v1/auth/logout" data-method="POST" data-then="/app/login">
              {w.signOut}
            </button>
          </span>
        </header>
        <main>
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  );
}

export async function page(c: WebContext, el: Awaited<ReturnType<typeof Shell>> | ReturnType<typeof Shell>, status: ContentfulStatusCode = 200) {
  return c.html(`<!doctype html>${await (await el).toString()}`, status);
}

/** An HTML fragment (polled progress, live counts): no shell. */
export async function fragment(c: WebContext, el: Child, status: ContentfulStatusCode = 200) {
  return c.html(String(await (el as { toString(): string | Promise<string> }).toString()), status);
}

/** Pages for the listed roles only; anyone else gets a refusal page (403). */
export function pageRole(...roles: Role[]): MiddlewareHandler<WebEnv> {
  return async (c, next) => {
    if (!roles.includes(c.get('viewer').role)) return refused(c);
    await next();
  };
}

/** The dealer's own staff (everyone but the print shop): lists, segments, templates, campaigns, surveys, reports. */
export const staffReaders = pageRole(...READERS);

export function refused(c: WebContext) {
  const w = words(c.get('locale'));
  return page(
    c,
    <Shell c={c} title={w.refusedTitle}>
      <p class="error" id="refused">{w.refused(w.roles[c.get('viewer').role])}</p>
    </Shell>,
    403,
  );
}

export function notFoundPage(c: WebContext) {
  const w = words(c.get('locale'));
  return page(
    c,
    <Shell c={c} title={w.notFoundTitle}>
      <p class="error" id="not-found">{w.notFound}</p>
    </Shell>,
    404,
  );
}

/** A box the client script fills with an API error (message and each bad field). */
export function ErrorBox() {
  return <div class="error" data-error hidden role="alert"></div>;
}

export function fmtInt(locale: WebLocale, n: number | null | undefined): string {
  return n == null ? '—' : new Intl.NumberFormat(locale).format(n);
}

/** A file size: "512 B", "4.2 KB", "12.5 MB". */
export function fmtBytes(locale: WebLocale, n: number): string {
  const one = (v: number) => new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(v);
  if (n >= 1024 * 1024) return `${one(n / 1024 / 1024)} MB`;
  if (n >= 1024) return `${one(n / 1024)} KB`;
  return `${fmtInt(locale, n)} B`;
}

export function fmtPct(locale: WebLocale, ratio: number | null | undefined, digits = 1): string {
  return ratio == null || !Number.isFinite(ratio) ? '—' : new Intl.NumberFormat(locale, { style: 'percent', minimumFractionDigits: digits, maximumFractionDigits: digits }).format(ratio);
}

export function fmtMoney(locale: WebLocale, amount: number | null | undefined, currency = 'CNY'): string {
  return amount == null || !Number.isFinite(amount) ? '—' : new Intl.NumberFormat(locale, { style: 'currency', currency }).format(amount);
}

const dtCache = new Map<string, Intl.DateTimeFormat>();
function dtf(locale: WebLocale, timeZone: string, withTime: boolean) {
  const key = `${locale}|${timeZone}|${withTime}`;
  let f = dtCache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', ...(withTime ? { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' } : {}) });
    dtCache.set(key, f);
  }
  return f;
}

/** A moment in the dealer's time zone ("2026/03/01 10:00"). */
export function fmtTime(viewer: Viewer, locale: WebLocale, at: Date | string | null | undefined): string {
  if (!at) return '—';
  return dtf(locale, viewer.timezone, true).format(typeof at === 'string' ? new Date(at) : at);
}

/** A calendar date in the dealer's time zone. */
export function fmtDate(viewer: Viewer, locale: WebLocale, at: Date | string | null | undefined): string {
  if (!at) return '—';
  if (typeof at === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(at)) return at;
  return dtf(locale, viewer.timezone, false).format(typeof at === 'string' ? new Date(at) : at);
}
