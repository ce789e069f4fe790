// The recipient's pages, server-rendered with hono/jsx (which escapes every
// value: a name like <script> shows as text). Mobile first: one column, large
// touch targets, no script.
import type { Child } from 'hono/jsx';
import { isoWeekday, type Slot } from './calendar';
import { dayLabel, messages, type Locale, type Messages } from './i18n';

const CSS = `*{box-sizing:border-box}body{font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;color:#1d2430;background:#f4f6f9;line-height:1.5}
main{max-width:34rem;margin:0 auto;padding:1rem}h1{font-size:1.4rem;margin:.5rem 0}h2{font-size:1.15rem;margin:1.2rem 0 .5rem}
section{background:#fff;border-radius:.6rem;padding:1rem;margin:.8rem 0;box-shadow:0 1px 2px #0001}
label{display:block;font-weight:600;margin:.8rem 0 .3rem}input,select,button{font:inherit;width:100%;padding:.7rem;border:1px solid #c3cad5;border-radius:.4rem;background:#fff}
button{background:#0b5cad;color:#fff;border:0;font-weight:600;margin-top:1rem;min-height:3rem}button.secondary{background:#fff;color:#0b5cad;border:1px solid #0b5cad}
.error{background:#fdecea;color:#8a1c12;padding:.7rem;border-radius:.4rem}.ok{background:#e7f5ec;color:#17603a;padding:.7rem;border-radius:.4rem}
dl{margin:0}dt{font-weight:600;margin-top:.4rem}dd{margin:0}.small{font-size:.9rem;color:#5b6573}a{color:#0b5cad}`;

export function Page(props: { locale: Locale | 'both'; title: string; children: Child }) {
  return (
    <html lang={props.locale === 'en' ? 'en' : 'zh-CN'}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>{props.title}</title>
        <style>{CSS}</style>
      </head>
      <body>
        <main>{props.children}</main>
      </body>
    </html>
  );
}

export async function render(el: ReturnType<typeof Page>): Promise<string> {
  return `<!doctype html>${await el.toString()}`;
}

/** A page in both languages, for requests whose recipient is unknown (bad links, limits). */
export function Notice(props: { kind: 'notFound' | 'tooMany' | 'tooLarge' | 'forbidden' }) {
  const zh = messages('zh-CN');
  const en = messages('en');
  const title = (m: Messages) => m[`${props.kind}Title` as const];
  return (
    <Page locale="both" title={`${title(zh)} · ${title(en)}`}>
      <section>
        <h1>{title(zh)}</h1>
        <p>{zh[props.kind]}</p>
        <h1 lang="en">{title(en)}</h1>
        <p lang="en">{en[props.kind]}</p>
      </section>
    </Page>
  );
}

export interface DealerInfo {
  name: string;
  address: string;
  hours: string | null;
  phone: string | null;
}

function Dealer(props: { m: Messages; dealer: DealerInfo }) {
  const { m, dealer } = props;
  return (
    <section>
      <h2>{dealer.name}</h2>
      <dl>
        {dealer.address && (
          <>
            <dt>{m.address}</dt>
            <dd>{dealer.address}</dd>
          </>
        )}
        {dealer.hours && (
          <>
            <dt>{m.hours}</dt>
            <dd>{dealer.hours}</dd>
          </>
        )}
        {dealer.phone && (
          <>
            <dt>{m.phone}</dt>
            <dd>
              <a href={`tel:${dealer.phone}`}>{dealer.phone}</a>
            </dd>
          </>
        )}
      </dl>
    </section>
  );
}

/** Open slots grouped by day; a full slot is shown but cannot be chosen. */
function SlotSelect(props: { m: Messages; locale: Locale; slots: Slot[]; chosen?: string }) {
  const days = new Map<string, Slot[]>();
  for (const s of props.slots) days.set(s.date, [...(days.get(s.date) ?? []), s]);
  return (
    <select id="slot" name="slot" required>
      {[...days].map(([date, list]) => (
        <optgroup label={dayLabel(date, isoWeekday(date), props.locale)}>
          {list.map((s) => {
            const value = `${s.date}T${s.time}`;
            const left = s.capacity - s.booked;
            return (
              <option value={value} disabled={left <= 0} selected={value === props.chosen}>
                {`${dayLabel(date, isoWeekday(date), props.locale)} ${s.time} · ${left > 0 ? props.m.seatsLeft(left) : props.m.full}`}
              </option>
            );
          })}
        </optgroup>
      ))}
    </select>
  );
}

export interface LandingProps {
  locale: Locale;
  greeting: string;
  dealer: DealerInfo;
  slots: Slot[];
  models: string[];
  csrf: string;
  action: string;
  /** The recipient's opt-out page; empty on the dealer's general page (no one to opt out yet). */
  optOutUrl: string;
  otherLanguageUrl: string;
  /** The card's survey online, when the piece was printed with one. */
  surveyUrl?: string;
  values: { name: string; phone: string; model: string; slot?: string };
  error?: string;
}

export function Landing(p: LandingProps) {
  const m = messages(p.locale);
  return (
    <Page locale={p.locale} title={`${m.bookTitle} · ${p.dealer.name}`}>
      <p class="small" style="text-align:right">
        <a href={p.otherLanguageUrl}>{m.otherLanguage}</a>
      </p>
      <h1>{m.hello(p.greeting)}</h1>
      <p>{m.intro}</p>
      {p.surveyUrl && (
        <p>
          <a href={p.surveyUrl}>{m.surveyLink}</a>
        </p>
      )}
      <section>
        <h2>{m.bookTitle}</h2>
        {p.error && (
          <p class="error" role="alert">
            {p.error}
          </p>
        )}
        {p.slots.length === 0 ? (
          <p>{m.noSlots}</p>
        ) : (
          <form method="post" action={p.action}>
            <input type="hidden" name="csrf" value={p.csrf} />
            <input type="hidden" name="lang" value={p.locale} />
            {p.models.length > 0 && (
              <>
                <label for="model">{m.model}</label>
                <select id="model" name="model">
                  <option value="">{m.anyModel}</option>
                  {p.models.map((x) => (
                    <option value={x} selected={x === p.values.model}>
                      {x}
                    </option>
                  ))}
                </select>
              </>
            )}
            <label for="slot">{m.slot}</label>
            <SlotSelect m={m} locale={p.locale} slots={p.slots} chosen={p.values.slot} />
            <label for="name">{m.name}</label>
            <input id="name" name="name" value={p.values.name} maxlength={50} required autocomplete="name" />
            <label for="phone">{m.mobile}</label>
            <input id="phone" name="phone" type="tel" value={p.values.phone} maxlength={40} required autocomplete="tel" />
            <button type="submit">{m.submit}</button>
          </form>
        )}
      </section>
      <Dealer m={m} dealer={p.dealer} />
      {p.optOutUrl && (
        <p class="small">
          <a href={p.optOutUrl}>{m.optOutLink}</a>
        </p>
      )}
    </Page>
  );
}

export interface BookedProps {
  locale: Locale;
  when: string;
  status: string;
  model: string | null;
  name: string;
  dealer: DealerInfo;
  isNew: boolean;
  csrf: string;
  managePath: string;
  slots: Slot[];
  error?: string;
}

export function Booked(p: BookedProps) {
  const m = messages(p.locale);
  const live = p.status === 'booked';
  const title = p.status === 'cancelled' ? m.cancelledTitle : m.confirmedTitle;
  return (
    <Page locale={p.locale} title={`${title} · ${p.dealer.name}`}>
      <h1>{title}</h1>
      {p.error && (
        <p class="error" role="alert">
          {p.error}
        </p>
      )}
      <section>
        {p.status === 'cancelled' ? (
          <p>{m.cancelled}</p>
        ) : p.status === 'attended' ? (
          <p>{m.attended}</p>
        ) : (
          <p class="ok" id="confirmation">
            {m.confirmed(p.when)}
          </p>
        )}
        <dl>
          <dt>{m.name}</dt>
          <dd>{p.name}</dd>
          {p.model && (
            <>
              <dt>{m.model}</dt>
              <dd>{p.model}</dd>
            </>
          )}
        </dl>
        {live && p.isNew && <p class="small">{m.confirmationSent}</p>}
        {live && <p class="small">{m.manageHint}</p>}
      </section>
      {live && (
        <section>
          <h2>{m.reschedule}</h2>
          <form method="post" action={`${p.managePath}/reschedule`}>
            <input type="hidden" name="csrf" value={p.csrf} />
            <SlotSelect m={m} locale={p.locale} slots={p.slots} />
            <button type="submit">{m.reschedule}</button>
          </form>
          <form method="post" action={`${p.managePath}/cancel`}>
            <input type="hidden" name="csrf" value={p.csrf} />
            <button type="submit" class="secondary">
              {m.cancel}
            </button>
          </form>
        </section>
      )}
      <Dealer m={m} dealer={p.dealer} />
    </Page>
  );
}

export function OptOut(p: { locale: Locale; dealerName: string; csrf: string; action: string; done?: boolean }) {
  const m = messages(p.locale);
  return (
    <Page locale={p.locale} title={`${p.done ? m.optedOutTitle : m.optOutTitle} · ${p.dealerName}`}>
      <h1>{p.done ? m.optedOutTitle : m.optOutTitle}</h1>
      <section>
        {p.done ? (
          <p class="ok" role="status">
            {m.optedOut}
          </p>
        ) : (
          <form method="post" action={p.action}>
            <input type="hidden" name="csrf" value={p.csrf} />
            <input type="hidden" name="lang" value={p.locale} />
            <p>{m.optOutIntro}</p>
            {(['mail', 'sms', 'email'] as const).map((ch) => (
              <label style="font-weight:400">
                <input type="checkbox" name="channel" value={ch} checked style="width:auto;margin-right:.5rem" />
                {m.channels[ch]}
              </label>
            ))}
            <button type="submit">{m.optOutSubmit}</button>
          </form>
        )}
      </section>
    </Page>
  );
}
