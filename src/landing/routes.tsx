// The public side: what a recipient's phone opens. Tracking links (/r, /o, /c),
// the landing page with test-drive booking (/l/:token), the booking's
// reschedule/cancel page (/b/:id.sig) and the opt-out page. Every request is
// rate-limited per client, bodies are small, pages are never cached or framed,
// and any failure is a friendly page in both languages, never a stack trace.
import { sql } from 'drizzle-orm';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { csrf } from 'hono/csrf';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { one } from '../db';
import { suppress, type SuppressionInput } from '../contacts/suppression';
import { clientKey } from '../http/client';
import type { AppEnv, Deps } from '../http/context';
import { AppError } from '../lib/errors';
import { isUuid } from '../lib/ids';
import { errorField } from '../lib/log';
import { KeyedRateLimiter } from '../lib/ratelimit';
import { recordResponse } from '../responses/record';
import { trackingRoutes } from '../responses/tracking';
import { findPiece, surveyOfPiece } from '../surveys/service';
import { pieceContext, runContext } from '../templates/context';
import { salutation } from '../templates/hbs';
import {
  bookGeneral,
  bookTestDrive,
  cancelBooking,
  getBooking,
  manageToken,
  rescheduleBooking,
  resolveRecipient,
  verifyManageToken,
  type BookingRow,
  type Recipient,
} from './booking';
import { getCalendar, openSlots } from './calendar';
import { dealerAddressLine, sendConfirmation, whenLabel } from './confirm';
import { checkFormToken, formToken } from './csrf';
import { messages, pickLocale, type BookingProblem, type Locale } from './i18n';
import { Booked, Landing, Notice, OptOut, render, type DealerInfo } from './pages';

const PUBLIC_PATHS = ['/r/*', '/o/*', '/c/*', '/l/*', '/b/*', '/d/*'];

/** Public form posts are a few fields: anything larger is refused. */
export const PUBLIC_BODY_MAX = 8 * 1024;

/** What a public page's response carries beyond Cache-Control and Referrer-Policy (which every public response has). */
function pageHeaders(c: Context<AppEnv>) {
  c.header('X-Frame-Options', 'DENY');
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
}

/**
 * The tracking links (GET /r/:token, /c/:link) answer with a body-less
 * redirect, where page headers mean nothing: the public middleware leaves
 * them off there, and a page those links do show (an unknown token, the
 * rate limit) gets them from html().
 */
function trackingRedirect(c: Context<AppEnv>): boolean {
  const method = c.req.method;
  return (method === 'GET' || method === 'HEAD') && /^\/[rc]\//.test(c.req.path);
}

async function html(c: Context<AppEnv>, el: Parameters<typeof render>[0], status: ContentfulStatusCode = 200) {
  if (trackingRedirect(c)) pageHeaders(c);
  return c.html(await render(el), status);
}

const notFoundPage = (c: Context<AppEnv>) => html(c, <Notice kind="notFound" />, 404);

function origins(deps: Deps, c: Context<AppEnv>): string[] {
  return [new URL(deps.config.PUBLIC_BASE_URL).origin, new URL(c.req.url).origin];
}

async function dealerInfo(deps: Deps, dealerId: string, calendarHours: string | null): Promise<DealerInfo> {
  const run = await runContext(deps.db.orm, dealerId);
  return { name: run.dealer.name, address: dealerAddressLine(run), hours: run.dealer.hours ?? calendarHours, phone: run.dealer.phone };
}

/** "09:00–12:00, 13:00–17:00" of today's weekday in the calendar, as a fallback when the profile gives no hours. */
function hoursText(hours: Record<string, [string, string][]>): string | null {
  const spans = new Set(Object.values(hours).map((d) => d.map(([a, b]) => `${a}–${b}`).join(', ')));
  return spans.size === 1 ? [...spans][0]! || null : null;
}

function greeting(r: Recipient, locale: Locale): string {
  if (!r.contact) return locale === 'en' ? 'Valued Customer' : '尊敬的客户';
  const ctx = pieceContext({ dealer: {} as never, campaign: {} as never }, r.contact, r.token, '');
  return salutation(ctx.contact, locale);
}

function problemStatus(p: BookingProblem): ContentfulStatusCode {
  return p === 'full' || p === 'locked' ? 409 : 422;
}

export function publicRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  const limiter = new KeyedRateLimiter(deps.config.PUBLIC_RATE_PER_MIN, deps.config.PUBLIC_RATE_PER_MIN, () => deps.clock.now().getTime());

  app.onError(async (err, c) => {
    if (err instanceof AppError && err.status === 413) return html(c, <Notice kind="tooLarge" />, 413);
    if (err instanceof HTTPException && err.status === 403) return html(c, <Notice kind="forbidden" />, 403);
    c.get('log')?.error('public page failed', { err: errorField(err) });
    return html(c, <Notice kind="notFound" />, 500);
  });
  const small = bodyLimit({
    maxSize: PUBLIC_BODY_MAX,
    onError: () => {
      throw new AppError(413, 'payload_too_large', `a form larger than ${PUBLIC_BODY_MAX} bytes`);
    },
  });
  const sameOrigin = csrf({ origin: (origin, c) => origins(deps, c as Context<AppEnv>).includes(origin) });
  // One middleware, not three: a QR scan is the hottest request there is, and
  // reads (GET, HEAD) carry no body and no form, so they skip both checks.
  const pages = async (c: Context<AppEnv>, next: () => Promise<void>) => {
    c.header('Cache-Control', 'no-store');
    // The token is in the URL: it must not leak to other sites.
    c.header('Referrer-Policy', 'no-referrer');
    if (!trackingRedirect(c)) pageHeaders(c);
    if (!limiter.allow(clientKey(c))) {
      c.header('Retry-After', '60');
      return html(c, <Notice kind="tooMany" />, 429);
    }
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD') return next();
    return small(c, async () => {
      await sameOrigin(c, next);
    });
  };
  // Paths, not '*': middleware of a sub-app mounted at '/' would otherwise run for the whole API.
  for (const path of PUBLIC_PATHS) app.use(path, pages);

  trackingRoutes(app, notFoundPage);

  // ── landing page and booking ──────────────────────────────────────────────
  /** A printed piece with a survey on it links to the survey online (src/surveys/pages.tsx). */
  async function hasSurvey(r: Recipient): Promise<boolean> {
    if (r.channel !== 'mail') return false;
    const piece = await findPiece(deps.db.orm, r.dealerId, { code: r.token });
    return !!piece && !!(await surveyOfPiece(deps.db.orm, r.dealerId, piece));
  }

  async function landing(c: Context<AppEnv>, r: Recipient, locale: Locale, over: { error?: BookingProblem; values?: Partial<{ name: string; phone: string; model: string; slot: string }> } = {}) {
    const now = deps.clock.now();
    const cal = await getCalendar(deps.db.orm, r.dealerId);
    const slots = await openSlots(deps.db.orm, r.dealerId, cal, r.timeZone, now);
    const m = messages(locale);
    const other: Locale = locale === 'en' ? 'zh-CN' : 'en';
    return html(
      c,
      <Landing
        locale={locale}
        greeting={greeting(r, locale)}
        dealer={await dealerInfo(deps, r.dealerId, hoursText(cal.hours))}
        slots={slots}
        models={cal.models}
        csrf={formToken(c, r.token)}
        action={`/l/${r.token}/book`}
        surveyUrl={(await hasSurvey(r)) ? `/l/${r.token}/survey?lang=${locale}` : undefined}
        optOutUrl={`/l/${r.token}/opt-out?lang=${locale}`}
        otherLanguageUrl={`/l/${r.token}?lang=${other}`}
        values={{ name: r.contact?.full_name ?? '', phone: r.contact?.phone_e164 ?? '', model: r.contact?.model && cal.models.includes(r.contact.model) ? r.contact.model : '', ...over.values }}
        error={over.error ? m.errors[over.error] : undefined}
      />,
      over.error ? problemStatus(over.error) : 200,
    );
  }

  app.get('/l/:token', async (c) => {
    const r = await resolveRecipient(deps, c.req.param('token'));
    if (!r) return notFoundPage(c);
    return landing(c, r, pickLocale(c.req.query('lang'), r.contact?.language));
  });

  app.post('/l/:token/book', async (c) => {
    const token = c.req.param('token');
    const r = await resolveRecipient(deps, token);
    if (!r) return notFoundPage(c);
    const form = await c.req.parseBody();
    const str = (k: string) => (typeof form[k] === 'string' ? (form[k] as string) : '');
    const locale = pickLocale(str('lang') || undefined, r.contact?.language);
    const values = { name: str('name'), phone: str('phone'), model: str('model'), slot: str('slot') };
    const nonce = checkFormToken(c, token, form.csrf);
    if (!nonce) return landing(c, r, locale, { error: 'form', values });
    const [date = '', time = ''] = values.slot.split('T');
    const out = await bookTestDrive(deps, token, { nonce, date, time, model: values.model, name: values.name, phone: values.phone, locale, userAgent: c.req.header('user-agent') });
    if (!out.ok) return out.problem === 'not_found' ? notFoundPage(c) : landing(c, r, locale, { error: out.problem, values });
    if (!out.replayed) await sendConfirmation(deps, out.booking, r);
    return c.redirect(`/b/${manageToken(deps.config.LINK_SECRET, out.booking.id)}?new=1`, 303);
  });

  // ── opt-out ───────────────────────────────────────────────────────────────
  app.get('/l/:token/opt-out', async (c) => {
    const r = await resolveRecipient(deps, c.req.param('token'));
    if (!r) return notFoundPage(c);
    const locale = pickLocale(c.req.query('lang'), r.contact?.language);
    return html(c, <OptOut locale={locale} dealerName={r.dealerName} csrf={formToken(c, `opt-out:${r.token}`)} action={`/l/${r.token}/opt-out`} />);
  });

  app.post('/l/:token/opt-out', async (c) => {
    const token = c.req.param('token');
    const r = await resolveRecipient(deps, token);
    if (!r) return notFoundPage(c);
    const form = await c.req.parseBody({ all: true });
    const locale = pickLocale(typeof form.lang === 'string' ? form.lang : undefined, r.contact?.language);
    if (!checkFormToken(c, `opt-out:${token}`, form.csrf)) {
      return html(c, <OptOut locale={locale} dealerName={r.dealerName} csrf={formToken(c, `opt-out:${token}`)} action={`/l/${token}/opt-out`} />, 403);
    }
    const picked = ([] as unknown[]).concat(form.channel ?? []).filter((x): x is 'mail' | 'sms' | 'email' => x === 'mail' || x === 'sms' || x === 'email');
    const channels = picked.length ? [...new Set(picked)] : (['mail', 'sms', 'email'] as const);
    const contact = await one<{ phone_e164: string | null; email: string | null; household_key: string | null }>(
      deps.db.orm,
      sql`SELECT phone_e164, email, household_key FROM contacts WHERE id = ${r.contactId}::uuid AND dealer_id = ${r.dealerId}::uuid`,
    );
    for (const channel of channels) {
      // Keyed by the address where there is one, so the opt-out survives re-imports and merges.
      const s: Pick<SuppressionInput, 'target' | 'value'> =
        channel === 'sms' && contact?.phone_e164
          ? { target: 'phone', value: contact.phone_e164 }
          : channel === 'email' && contact?.email
            ? { target: 'email', value: contact.email }
            : channel === 'mail' && contact?.household_key
              ? { target: 'household', value: contact.household_key }
              : { target: 'contact', value: r.contactId };
      await suppress(deps.db.orm, deps.clock, r.dealerId, { channel, ...s, reason: 'unsubscribed', source: 'landing_page' });
    }
    await recordResponse(deps.db.orm, deps.clock, { dealerId: r.dealerId, kind: 'opt_out', source: { token, tokenDays: deps.config.TRACKING_TOKEN_DAYS }, data: { channels } });
    return html(c, <OptOut locale={locale} dealerName={r.dealerName} csrf="" action="" done />);
  });

  // ── the dealer's general booking page (no token) ──────────────────────────
  // Bookings here are matched by phone: a holdout member's is a control response (src/landing/booking.ts bookGeneral).
  async function generalPage(c: Context<AppEnv>, dealer: { id: string; name: string; country: string; timezone: string }, locale: Locale, over: { error?: BookingProblem; values?: Partial<{ name: string; phone: string; model: string; slot: string }> } = {}) {
    const cal = await getCalendar(deps.db.orm, dealer.id);
    const slots = await openSlots(deps.db.orm, dealer.id, cal, dealer.timezone, deps.clock.now());
    const other: Locale = locale === 'en' ? 'zh-CN' : 'en';
    return html(
      c,
      <Landing
        locale={locale}
        greeting={locale === 'en' ? 'Welcome' : '您好'}
        dealer={await dealerInfo(deps, dealer.id, hoursText(cal.hours))}
        slots={slots}
        models={cal.models}
        csrf={formToken(c, `general:${dealer.id}`)}
        action={`/d/${dealer.id}/book`}
        optOutUrl=""
        otherLanguageUrl={`/d/${dealer.id}/book?lang=${other}`}
        values={{ name: '', phone: '', model: '', ...over.values }}
        error={over.error ? messages(locale).errors[over.error] : undefined}
      />,
      over.error ? problemStatus(over.error) : 200,
    );
  }
  const dealerOf = async (id: string | undefined) =>
    id && isUuid(id) ? one<{ id: string; name: string; country: string; timezone: string }>(deps.db.orm, sql`SELECT id, name, country, timezone FROM dealers WHERE id = ${id}::uuid`) : undefined;

  app.get('/d/:dealer/book', async (c) => {
    const dealer = await dealerOf(c.req.param('dealer'));
    if (!dealer) return notFoundPage(c);
    return generalPage(c, dealer, pickLocale(c.req.query('lang'), null));
  });

  app.post('/d/:dealer/book', async (c) => {
    const dealer = await dealerOf(c.req.param('dealer'));
    if (!dealer) return notFoundPage(c);
    const form = await c.req.parseBody();
    const str = (k: string) => (typeof form[k] === 'string' ? (form[k] as string) : '');
    const locale = pickLocale(str('lang') || undefined, null);
    const values = { name: str('name'), phone: str('phone'), model: str('model'), slot: str('slot') };
    const nonce = checkFormToken(c, `general:${dealer.id}`, form.csrf);
    if (!nonce) return generalPage(c, dealer, locale, { error: 'form', values });
    const [date = '', time = ''] = values.slot.split('T');
    const out = await bookGeneral(deps, dealer, { nonce, date, time, model: values.model, name: values.name, phone: values.phone, locale, userAgent: c.req.header('user-agent') });
    if (!out.ok) return out.problem === 'not_found' ? notFoundPage(c) : generalPage(c, dealer, locale, { error: out.problem, values });
    if (!out.replayed) await sendConfirmation(deps, out.booking, { dealerName: dealer.name, timeZone: dealer.timezone, contact: null });
    return c.redirect(`/b/${manageToken(deps.config.LINK_SECRET, out.booking.id)}?new=1`, 303);
  });

  // ── a booking: see, reschedule, cancel ────────────────────────────────────
  async function bookingOf(c: Context<AppEnv>): Promise<{ booking: BookingRow; manage: string } | null> {
    const manage = c.req.param('manage') ?? '';
    const id = verifyManageToken(deps.config.LINK_SECRET, manage);
    const booking = id ? await getBooking(deps.db.orm, id) : undefined;
    return booking ? { booking, manage } : null;
  }

  async function bookedPage(c: Context<AppEnv>, b: BookingRow, manage: string, over: { error?: BookingProblem; isNew?: boolean } = {}) {
    const dealer = await one<{ timezone: string }>(deps.db.orm, sql`SELECT timezone FROM dealers WHERE id = ${b.dealerId}::uuid`);
    const tz = dealer!.timezone;
    const locale: Locale = b.locale === 'en' ? 'en' : 'zh-CN';
    const cal = await getCalendar(deps.db.orm, b.dealerId);
    const slots = b.status === 'booked' ? await openSlots(deps.db.orm, b.dealerId, cal, tz, deps.clock.now()) : [];
    return html(
      c,
      <Booked
        locale={locale}
        when={whenLabel(b.startsAt, tz, locale)}
        status={b.status}
        model={b.model}
        name={b.name}
        dealer={await dealerInfo(deps, b.dealerId, hoursText(cal.hours))}
        isNew={over.isNew ?? false}
        csrf={formToken(c, `booking:${b.id}`)}
        managePath={`/b/${manage}`}
        slots={slots}
        error={over.error ? messages(locale).errors[over.error] : undefined}
      />,
      over.error ? problemStatus(over.error) : 200,
    );
  }

  app.get('/b/:manage', async (c) => {
    const found = await bookingOf(c);
    if (!found) return notFoundPage(c);
    return bookedPage(c, found.booking, found.manage, { isNew: c.req.query('new') === '1' });
  });

  app.post('/b/:manage/cancel', async (c) => {
    const found = await bookingOf(c);
    if (!found) return notFoundPage(c);
    const form = await c.req.parseBody();
    if (!checkFormToken(c, `booking:${found.booking.id}`, form.csrf)) return bookedPage(c, found.booking, found.manage, { error: 'form' });
    if (!(await cancelBooking(deps, found.booking))) return bookedPage(c, found.booking, found.manage, { error: 'locked' });
    return c.redirect(`/b/${found.manage}`, 303);
  });

  app.post('/b/:manage/reschedule', async (c) => {
    const found = await bookingOf(c);
    if (!found) return notFoundPage(c);
    const form = await c.req.parseBody();
    if (!checkFormToken(c, `booking:${found.booking.id}`, form.csrf)) return bookedPage(c, found.booking, found.manage, { error: 'form' });
    const [date = '', time = ''] = (typeof form.slot === 'string' ? form.slot : '').split('T');
    const out = await rescheduleBooking(deps, found.booking, date, time);
    if (!out.ok) return bookedPage(c, found.booking, found.manage, { error: out.problem });
    if (out.booking.startsAt.getTime() !== found.booking.startsAt.getTime()) {
      const dealer = await one<{ name: string; timezone: string }>(deps.db.orm, sql`SELECT name, timezone FROM dealers WHERE id = ${out.booking.dealerId}::uuid`);
      const contact = out.booking.contactId ? await one<{ email: string | null }>(deps.db.orm, sql`SELECT email FROM contacts WHERE id = ${out.booking.contactId}::uuid AND dealer_id = ${out.booking.dealerId}::uuid`) : undefined;
      await sendConfirmation(deps, out.booking, { dealerName: dealer!.name, timeZone: dealer!.timezone, contact: contact ? ({ email: contact.email } as Recipient['contact']) : null });
    }
    return c.redirect(`/b/${found.manage}`, 303);
  });

  return app;
}
