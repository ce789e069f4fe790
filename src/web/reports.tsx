// The managers' dashboard: every launched campaign's headline figures and
// their totals, and one campaign's report — sent, delivered, responses and
// response rate by channel, wave, contact kind and template variant; the
// funnel; responses per day since the drop; lift over the holdout group with
// its 95% interval; cost per response. The figures are the API's own
// (src/reports/campaign.ts, the same functions as GET /v1/reports/…), each
// rendered with data-metric (its path in the API's JSON) and data-value (the
// exact number). Charts are SVG drawn here; each table links to the API's
// CSV export (managers and admins; the export is in the audit log).
import { Hono } from 'hono';
import type { Child } from 'hono/jsx';
import { sql } from 'drizzle-orm';
import { rows } from '../db';
import { getCampaign } from '../campaigns/service';
import { getUnitCosts } from '../dealers';
import { localDate } from '../lib/clock';
import { isUuid } from '../lib/ids';
import { campaignReport, campaignsSummary, summaryTotals } from '../reports/campaign';
import type { WebContext, WebEnv } from './context';
import { tr, words, type WebLocale } from './i18n';
import { ErrorBox, fmtDate, fmtInt, fmtMoney, fmtPct, notFoundPage, page, Shell, staffReaders } from './kit';

export const reportPages = new Hono<WebEnv>();

type Report = Awaited<ReturnType<typeof campaignReport>>;
type Slice = Report['byChannel'][number];

const CHANNELS: Record<string, [string, string]> = { mail: ['直邮', 'Mail'], sms: ['短信', 'SMS'], email: ['邮件', 'Email'], web: ['网页', 'Web'] };
const KINDS: Record<string, [string, string]> = { prior_owner: ['老车主', 'Prior owners'], corporate: ['企业客户', 'Corporate'], club_member: ['俱乐部会员', 'Club members'], prospect: ['潜在客户', 'Prospects'] };
const STATUSES: Record<string, [string, string]> = {
  draft: ['草稿', 'Draft'], scheduled: ['已排期', 'Scheduled'], running: ['进行中', 'Running'], paused: ['已暂停', 'Paused'], completed: ['已完成', 'Completed'], cancelled: ['已取消', 'Cancelled'],
};
const named = (l: WebLocale, map: Record<string, [string, string]>, key: string) => (map[key] ? tr(l, map[key][0], map[key][1]) : key || tr(l, '（未知）', '(unknown)'));

/** A lift (a difference of two rates) in percentage points, signed. */
function fmtPoints(l: WebLocale, v: number | null | undefined): string {
  if (v == null) return '—';
  const n = new Intl.NumberFormat(l, { minimumFractionDigits: 1, maximumFractionDigits: 1, signDisplay: 'exceptZero' }).format(v * 100);
  return tr(l, `${n} 个百分点`, `${n} pp`);
}

/** A figure of the API's answer: its path there and its exact value, for anyone checking the page against the API. */
function M(props: { m: string; v: number | null | undefined; children: Child; tag?: 'td' | 'span' | 'div' }) {
  const attrs = { 'data-metric': props.m, ...(props.v == null ? {} : { 'data-value': String(props.v) }) };
  if (props.tag === 'span') return <span {...attrs}>{props.children}</span>;
  if (props.tag === 'div') return <div class="stat" {...attrs}>{props.children}</div>;
  return <td class="num" {...attrs}>{props.children}</td>;
}

function Stat(props: { label: string; m: string; v: number | null | undefined; text: string }) {
  return (
    <div>
      <div class="muted">{props.label}</div>
      <M tag="div" m={props.m} v={props.v}>
        {props.text}
      </M>
    </div>
  );
}

/** CSV download of one table (the API refuses roles without exports; the link is shown to those with them). */
function CsvLink(props: { c: WebContext; href: string; table: string }) {
  const role = props.c.get('viewer').role;
  if (role !== 'manager' && role !== 'admin') return null;
  return (
    <a class="button secondary" href={props.href} data-csv={props.table} download>
      {words(props.c.get('locale')).exportCsv}
    </a>
  );
}

// ── SVG charts (presentation attributes only: the page's CSP has no inline styles) ──
const INK = '#1d2430';
const MUTED = '#5b6573';
const BAR = '#0b5cad';
const BAR2 = '#8fb4dc';
const GRID = '#e3e7ee';

/** Horizontal bars, one per row, each labelled with its text. */
function HBars(props: { id: string; title: string; rows: { label: string; value: number; text: string; light?: boolean }[] }) {
  const W = 900;
  const rowH = 30;
  const left = 150;
  const right = 150;
  const H = props.rows.length * rowH + 10;
  const max = Math.max(1e-9, ...props.rows.map((r) => r.value));
  return (
    <svg data-chart={props.id} role="img" aria-label={props.title} viewBox={`0 0 ${W} ${H}`} width="100%" height={H} preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">
      <title>{props.title}</title>
      <line x1={left} y1={0} x2={left} y2={H} stroke={GRID} stroke-width="1" />
      {props.rows.map((r, i) => {
        const w = Math.max(r.value > 0 ? 2 : 0, ((W - left - right) * r.value) / max);
        const y = 5 + i * rowH;
        return (
          <g>
            <text x={left - 8} y={y + 15} text-anchor="end" font-size="13" fill={INK}>
              {r.label}
            </text>
            <rect x={left} y={y + 2} width={w.toFixed(1)} height={rowH - 10} rx="2" fill={r.light ? BAR2 : BAR} />
            <text x={(left + w + 6).toFixed(1)} y={y + 15} font-size="13" fill={MUTED}>
              {r.text}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

/** Columns over days (responses per day), with the highest count and a few dates on the axis. */
function DayColumns(props: { id: string; title: string; days: { day: string; n: number }[]; locale: WebLocale }) {
  const W = 1000;
  const H = 220;
  const left = 36;
  const bottom = 24;
  const top = 10;
  const n = props.days.length;
  const max = Math.max(1, ...props.days.map((d) => d.n));
  const slot = (W - left - 4) / Math.max(1, n);
  const every = Math.max(1, Math.ceil(n / 12));
  const y = (v: number) => top + (H - top - bottom) * (1 - v / max);
  return (
    <svg data-chart={props.id} role="img" aria-label={props.title} viewBox={`0 0 ${W} ${H}`} width="100%" height={H} preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">
      <title>{props.title}</title>
      <line x1={left} y1={y(max)} x2={W} y2={y(max)} stroke={GRID} stroke-width="1" />
      <line x1={left} y1={H - bottom} x2={W} y2={H - bottom} stroke={MUTED} stroke-width="1" />
      <text x={left - 6} y={y(max) + 4} text-anchor="end" font-size="11" fill={MUTED}>
        {fmtInt(props.locale, max)}
      </text>
      <text x={left - 6} y={H - bottom + 4} text-anchor="end" font-size="11" fill={MUTED}>
        0
      </text>
      {props.days.map((d, i) => {
        const x = left + i * slot;
        return (
          <g>
            {d.n > 0 && (
              <rect x={(x + slot * 0.15).toFixed(1)} y={y(d.n).toFixed(1)} width={Math.max(1, slot * 0.7).toFixed(1)} height={(H - bottom - y(d.n)).toFixed(1)} fill={BAR}>
                <title>{`${d.day}: ${d.n}`}</title>
              </rect>
            )}
            {i % every === 0 && (
              <text x={(x + slot / 2).toFixed(1)} y={H - 8} text-anchor="middle" font-size="11" fill={MUTED}>
                {d.day.slice(5)}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}

/** The lift and its 95% interval on a scale around zero. */
function LiftChart(props: { title: string; d: { lift: number; low: number; high: number }; locale: WebLocale }) {
  const W = 900;
  const H = 60;
  const span = Math.max(0.05, Math.abs(props.d.low), Math.abs(props.d.high)) * 1.1;
  const x = (v: number) => 20 + ((W - 40) * (v + span)) / (2 * span);
  return (
    <svg data-chart="lift" role="img" aria-label={props.title} viewBox={`0 0 ${W} ${H}`} width="100%" height={H} xmlns="http://www.w3.org/2000/svg">
      <title>{props.title}</title>
      <line x1={x(0)} y1={4} x2={x(0)} y2={H - 18} stroke={MUTED} stroke-width="1" stroke-dasharray="3 3" />
      <line x1={x(props.d.low).toFixed(1)} y1={22} x2={x(props.d.high).toFixed(1)} y2={22} stroke={BAR} stroke-width="3" />
      <line x1={x(props.d.low).toFixed(1)} y1={14} x2={x(props.d.low).toFixed(1)} y2={30} stroke={BAR} stroke-width="2" />
      <line x1={x(props.d.high).toFixed(1)} y1={14} x2={x(props.d.high).toFixed(1)} y2={30} stroke={BAR} stroke-width="2" />
      <circle cx={x(props.d.lift).toFixed(1)} cy={22} r="5" fill={INK} />
      <text x={x(0)} y={H - 4} text-anchor="middle" font-size="11" fill={MUTED}>
        0
      </text>
      <text x={x(props.d.low).toFixed(1)} y={H - 4} text-anchor="middle" font-size="11" fill={MUTED}>
        {fmtPoints(props.locale, props.d.low)}
      </text>
      <text x={x(props.d.high).toFixed(1)} y={H - 4} text-anchor="middle" font-size="11" fill={MUTED}>
        {fmtPoints(props.locale, props.d.high)}
      </text>
    </svg>
  );
}

// ── across campaigns ─────────────────────────────────────────────────────────

reportPages.get('/reports', staffReaders, async (c) => {
  const deps = c.get('deps');
  const viewer = c.get('viewer');
  const l = c.get('locale');
  const list = await campaignsSummary(deps.db.orm, viewer.dealerId);
  const totals = summaryTotals(list);
  const unit = await getUnitCosts(deps.db.orm, viewer.dealerId);
  const currency = unit?.currency ?? 'CNY';
  return page(
    c,
    <Shell c={c} title={tr(l, '效果报表', 'Campaign results')} active="reports">
      <section class="card">
        <div class="stats" id="totals">
          <Stat label={tr(l, '活动数', 'Campaigns')} m="totals.campaigns" v={totals.campaigns} text={fmtInt(l, totals.campaigns)} />
          <Stat label={tr(l, '已发送', 'Sent')} m="totals.contacted" v={totals.contacted} text={fmtInt(l, totals.contacted)} />
          <Stat label={tr(l, '已送达', 'Delivered')} m="totals.delivered" v={totals.delivered} text={fmtInt(l, totals.delivered)} />
          <Stat label={tr(l, '响应人数', 'Responses')} m="totals.responders" v={totals.responders} text={fmtInt(l, totals.responders)} />
          <Stat label={tr(l, '响应率', 'Response rate')} m="totals.responseRate" v={totals.responseRate} text={fmtPct(l, totals.responseRate)} />
          <Stat label={tr(l, '每个响应成本', 'Cost per response')} m="totals.costPerResponder" v={totals.costPerResponder} text={fmtMoney(l, totals.costPerResponder, currency)} />
        </div>
      </section>
      <section class="card">
        <h2>{tr(l, '各活动', 'By campaign')}</h2>
        {list.length === 0 ? (
          <p class="muted" id="no-campaigns">{tr(l, '还没有已启动的活动。', 'No campaign has been launched yet.')}</p>
        ) : (
          <>
            <HBars
              id="campaigns"
              title={tr(l, '各活动响应率', 'Response rate by campaign')}
              rows={list.slice(0, 20).map((r) => ({ label: r.name.length > 16 ? `${r.name.slice(0, 15)}…` : r.name, value: r.responseRate, text: `${fmtPct(l, r.responseRate)} (${fmtInt(l, r.responders)}/${fmtInt(l, r.contacted)})` }))}
            />
            <table id="campaigns-table">
              <thead>
                <tr>
                  <th>{tr(l, '活动', 'Campaign')}</th>
                  <th>{tr(l, '状态', 'Status')}</th>
                  <th>{tr(l, '启动日期', 'Launched')}</th>
                  <th class="num">{tr(l, '已发送', 'Sent')}</th>
                  <th class="num">{tr(l, '已送达', 'Delivered')}</th>
                  <th class="num">{tr(l, '响应', 'Responses')}</th>
                  <th class="num">{tr(l, '响应率', 'Rate')}</th>
                  <th class="num">{tr(l, '提升（对照组）', 'Lift over holdout')}</th>
                  <th class="num">{tr(l, '成本', 'Cost')}</th>
                  <th class="num">{tr(l, '每个响应成本', 'Per response')}</th>
                </tr>
              </thead>
              <tbody>
                {list.map((r) => (
                  <tr data-campaign={r.id}>
                    <td>
                      <a href={`/app/reports/${r.id}`}>{r.name}</a>
                    </td>
                    <td>{named(l, STATUSES, r.status)}</td>
                    <td>{fmtDate(viewer, l, r.launchedAt)}</td>
                    <M m={`data.${r.id}.contacted`} v={r.contacted}>{fmtInt(l, r.contacted)}</M>
                    <M m={`data.${r.id}.delivered`} v={r.delivered}>{fmtInt(l, r.delivered)}</M>
                    <M m={`data.${r.id}.responders`} v={r.responders}>{fmtInt(l, r.responders)}</M>
                    <M m={`data.${r.id}.responseRate`} v={r.responseRate}>{fmtPct(l, r.responseRate)}</M>
                    <M m={`data.${r.id}.lift.lift`} v={r.lift?.lift}>
                      {r.lift ? `${fmtPoints(l, r.lift.lift)} [${fmtPoints(l, r.lift.low)}, ${fmtPoints(l, r.lift.high)}]` : '—'}
                    </M>
                    <M m={`data.${r.id}.cost`} v={r.cost}>{fmtMoney(l, r.cost, currency)}</M>
                    <M m={`data.${r.id}.costPerResponder`} v={r.costPerResponder}>{fmtMoney(l, r.costPerResponder, currency)}</M>
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr>
                  <th colspan={3}>{tr(l, '合计', 'Total')}</th>
                  <M m="totals.contacted" v={totals.contacted}>{fmtInt(l, totals.contacted)}</M>
                  <M m="totals.delivered" v={totals.delivered}>{fmtInt(l, totals.delivered)}</M>
                  <M m="totals.responders" v={totals.responders}>{fmtInt(l, totals.responders)}</M>
                  <M m="totals.responseRate" v={totals.responseRate}>{fmtPct(l, totals.responseRate)}</M>
                  <td></td>
                  <M m="totals.cost" v={totals.cost}>{fmtMoney(l, totals.cost, currency)}</M>
                  <M m="totals.costPerResponder" v={totals.costPerResponder}>{fmtMoney(l, totals.costPerResponder, currency)}</M>
                </tr>
              </tfoot>
            </table>
            <p class="actions">
              <CsvLink c={c} href="/v1/reports/campaigns?format=csv" table="campaigns" />
            </p>
          </>
        )}
        <p class="muted">
          {tr(
            l,
            '已发送：对照组以外、已发出短信或邮件或已印制信件的收件人；已送达：有送达回执的短信、未退信的邮件、已寄出且未退回的信件；响应：扫码、点击、预约、问卷、短信回复、到店试驾或成交（在响应期内）。',
            'Sent: recipients outside the holdout group who were sent an SMS or email or printed a piece. Delivered: SMS with a delivery receipt, emails that did not bounce, mailed pieces that did not come back. Responses: scans, clicks, bookings, surveys, SMS replies, attended test drives and sales inside the response window.',
          )}
        </p>
      </section>
      <section class="card" id="unit-costs">
        <h2>{tr(l, '单位成本', 'Unit costs')}</h2>
        {unit ? (
          <p>
            {tr(l, '印刷', 'Print')} {fmtMoney(l, unit.printPiece, currency)} · {tr(l, '邮资', 'Postage')} {fmtMoney(l, unit.postagePiece, currency)} · {tr(l, '短信（每条计费）', 'SMS segment')}{' '}
            {fmtMoney(l, unit.smsSegment, currency)} · {tr(l, '邮件', 'Email')} {fmtMoney(l, unit.emailMessage, currency)}
          </p>
        ) : (
          <p class="muted">{tr(l, '尚未设置单位成本，因此无法计算成本。', 'No unit costs are set, so costs cannot be worked out.')}</p>
        )}
        {viewer.role === 'admin' && (
          <form data-api="/v1/dealer/unit-costs" data-method="PUT" id="unit-costs-form">
            <div class="row">
              <div>
                <label for="uc-currency">{tr(l, '币种', 'Currency')}</label>
                <input id="uc-currency" name="currency" type="text" value={currency} maxlength={3} required />
              </div>
              {(
                [
                  ['printPiece', tr(l, '每件印刷', 'Print per piece'), unit?.printPiece],
                  ['postagePiece', tr(l, '每件邮资', 'Postage per piece'), unit?.postagePiece],
                  ['smsSegment', tr(l, '每条短信', 'Per SMS segment'), unit?.smsSegment],
                  ['emailMessage', tr(l, '每封邮件', 'Per email'), unit?.emailMessage],
                ] as const
              ).map(([name, label, value]) => (
                <div>
                  <label for={`uc-${name}`}>{label}</label>
                  <input id={`uc-${name}`} name={name} type="number" min="0" step="0.0001" data-type="number" value={value == null ? '' : String(value)} required />
                </div>
              ))}
            </div>
            <ErrorBox />
            <div class="actions">
              <button type="submit">{words(l).save}</button>
            </div>
          </form>
        )}
      </section>
    </Shell>,
  );
});

// ── one campaign ──────────────────────────────────────────────────────────────

/** Every day from the drop (or the first response, if earlier) to the last response or today, within the response window: the days without responses as 0. */
function dailySeries(r: Report, today: string, windowDays: number): { day: string; n: number }[] {
  const known = new Map(r.responsesPerDay.map((d) => [d.day, d.responses]));
  const first = [r.dropDate, r.responsesPerDay[0]?.day].filter((d): d is string => !!d).sort()[0];
  if (!first) return [];
  const addDays = (d: string, n: number) => new Date(Date.parse(`${d}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
  const windowEnd = addDays(first, Math.max(1, windowDays) - 1);
  const last = [r.responsesPerDay[r.responsesPerDay.length - 1]?.day, today < windowEnd ? today : windowEnd].filter((d): d is string => !!d).sort().pop()!;
  const out: { day: string; n: number }[] = [];
  for (let d = first; d <= last && out.length < 400; d = addDays(d, 1)) out.push({ day: d, n: known.get(d) ?? 0 });
  return out;
}

function SliceTable(props: { c: WebContext; id: string; title: string; field: 'byChannel' | 'byWave' | 'byVariant' | 'byContactKind'; csv: string; slices: Slice[]; label: (key: string) => string; chart?: boolean }) {
  const l = props.c.get('locale');
  return (
    <section class="card" id={`table-${props.id}`}>
      <h2>{props.title}</h2>
      {props.slices.length === 0 ? (
        <p class="muted">{words(l).none}</p>
      ) : (
        <>
          {props.chart && (
            <HBars
              id={props.id}
              title={props.title}
              rows={props.slices.flatMap((s) => [
                { label: `${props.label(s.key)} · ${tr(l, '已发送', 'sent')}`, value: s.contacted, text: fmtInt(l, s.contacted), light: true },
                { label: `${props.label(s.key)} · ${tr(l, '响应', 'responses')}`, value: s.responders, text: `${fmtInt(l, s.responders)} (${fmtPct(l, s.rate)})` },
              ])}
            />
          )}
          <table>
            <thead>
              <tr>
                <th>{props.title}</th>
                <th class="num">{tr(l, '已发送', 'Sent')}</th>
                <th class="num">{tr(l, '已送达', 'Delivered')}</th>
                <th class="num">{tr(l, '响应', 'Responses')}</th>
                <th class="num">{tr(l, '响应率', 'Response rate')}</th>
              </tr>
            </thead>
            <tbody>
              {props.slices.map((s) => (
                <tr data-key={s.key}>
                  <td>{props.label(s.key)}</td>
                  <M m={`${props.field}.${s.key}.contacted`} v={s.contacted}>{fmtInt(l, s.contacted)}</M>
                  <M m={`${props.field}.${s.key}.delivered`} v={s.delivered}>{fmtInt(l, s.delivered)}</M>
                  <M m={`${props.field}.${s.key}.responders`} v={s.responders}>{fmtInt(l, s.responders)}</M>
                  <M m={`${props.field}.${s.key}.rate`} v={s.rate}>{fmtPct(l, s.rate)}</M>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <p class="actions">
        <CsvLink c={props.c} href={props.csv} table={props.id} />
      </p>
    </section>
  );
}

reportPages.get('/reports/:campaignId', staffReaders, async (c) => {
  const deps = c.get('deps');
  const viewer = c.get('viewer');
  const l = c.get('locale');
  const id = c.req.param('campaignId');
  if (!isUuid(id)) return notFoundPage(c);
  const campaign = await getCampaign(deps, viewer.dealerId, id);
  const r = await campaignReport(deps.db.orm, viewer.dealerId, id);
  const waves = await rows<{ id: string; seq: number; channel: string }>(deps.db.orm, sql`SELECT id, seq, channel FROM waves WHERE campaign_id = ${id}::uuid AND dealer_id = ${viewer.dealerId}::uuid ORDER BY seq`);
  const waveName = new Map(waves.map((w) => [w.id, tr(l, `第 ${w.seq} 波 · ${named(l, CHANNELS, w.channel)}`, `Wave ${w.seq} · ${named(l, CHANNELS, w.channel)}`)]));
  const days = dailySeries(r, localDate(deps.clock.now(), viewer.timezone), campaign.responseWindowDays);
  const csv = (table: string) => `/v1/reports/campaigns/${id}?format=csv&table=${table}`;
  const currency = r.cost?.currency ?? 'CNY';
  const money = (v: number | null | undefined) => fmtMoney(l, v, currency);
  const f = r.funnel;
  const stages: [keyof typeof f, string][] = [
    ['contacted', tr(l, '已寄出/已发送', 'Mailed / sent')],
    ['scannedOrClicked', tr(l, '扫码/点击', 'Scanned / clicked')],
    ['booked', tr(l, '预约', 'Booked')],
    ['attended', tr(l, '到店', 'Attended')],
    ['sold', tr(l, '成交', 'Sold')],
  ];
  const d = r.lift.difference;
  const verdict = !d
    ? tr(l, '没有对照组（或对照组为空），无法计算提升。', 'There is no holdout group (or it is empty), so there is no lift to measure.')
    : d.low > 0
      ? tr(l, '在 95% 置信水平下，活动显著提高了响应率。', 'At 95% confidence the campaign raised the response rate.')
      : d.high < 0
        ? tr(l, '在 95% 置信水平下，活动组的响应率低于对照组。', 'At 95% confidence the campaign group responded less than the holdout group.')
        : tr(l, '置信区间包含 0：与对照组的差异尚不显著。', 'The interval includes 0: the difference from the holdout group is not yet significant.');
  return page(
    c,
    <Shell c={c} title={`${campaign.name} · ${tr(l, '效果', 'Results')}`} active="reports">
      <p class="muted">
        <a href="/app/reports">← {tr(l, '全部活动', 'All campaigns')}</a> · {named(l, STATUSES, campaign.status)} · {tr(l, '投放日', 'Drop date')} <span id="drop-date">{r.dropDate ?? '—'}</span> ·{' '}
        {tr(l, `响应期 ${campaign.responseWindowDays} 天`, `${campaign.responseWindowDays}-day response window`)}
      </p>
      <section class="card">
        <div class="stats" id="headline">
          <Stat label={tr(l, '收件人', 'Recipients')} m="audience.recipients" v={r.audience.recipients} text={fmtInt(l, r.audience.recipients)} />
          <Stat label={tr(l, '对照组', 'Holdout')} m="audience.holdout" v={r.audience.holdout} text={fmtInt(l, r.audience.holdout)} />
          <Stat label={tr(l, '已发送', 'Sent')} m="audience.contacted" v={r.audience.contacted} text={fmtInt(l, r.audience.contacted)} />
          <Stat label={tr(l, '已送达', 'Delivered')} m="delivered" v={r.delivered} text={fmtInt(l, r.delivered)} />
          <Stat label={tr(l, '响应人数', 'Responses')} m="responders" v={r.responders} text={fmtInt(l, r.responders)} />
          <Stat label={tr(l, '响应率', 'Response rate')} m="responseRate" v={r.responseRate} text={fmtPct(l, r.responseRate)} />
          <Stat label={tr(l, '每个响应成本', 'Cost per response')} m="cost.perResponder" v={r.cost?.perResponder} text={money(r.cost?.perResponder)} />
        </div>
      </section>

      <section class="card" id="table-funnel">
        <h2>{tr(l, '转化漏斗', 'Funnel')}</h2>
        <HBars
          id="funnel"
          title={tr(l, '转化漏斗', 'Funnel')}
          rows={stages.map(([k, label]) => ({ label, value: f[k], text: `${fmtInt(l, f[k])}${k === 'contacted' ? '' : ` (${fmtPct(l, f.contacted ? f[k] / f.contacted : null)})`}` }))}
        />
        <table>
          <thead>
            <tr>
              <th>{tr(l, '阶段', 'Stage')}</th>
              <th class="num">{tr(l, '人数', 'Contacts')}</th>
              <th class="num">{tr(l, '占已发送', 'Of sent')}</th>
            </tr>
          </thead>
          <tbody>
            {stages.map(([k, label]) => (
              <tr data-key={k}>
                <td>{label}</td>
                <M m={`funnel.${k}`} v={f[k]}>{fmtInt(l, f[k])}</M>
                <td class="num">{fmtPct(l, f.contacted ? f[k] / f.contacted : null)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p class="actions">
          <CsvLink c={c} href={csv('funnel')} table="funnel" />
        </p>
      </section>

      <section class="card" id="table-days">
        <h2>{tr(l, '每日响应（自投放日起）', 'Responses per day since the drop')}</h2>
        {days.length === 0 ? (
          <p class="muted">{words(l).none}</p>
        ) : (
          <>
            <DayColumns id="days" title={tr(l, '每日响应', 'Responses per day')} days={days} locale={l} />
            <details>
              <summary>{tr(l, '按日明细', 'Day by day')}</summary>
              <table>
                <thead>
                  <tr>
                    <th>{tr(l, '日期', 'Day')}</th>
                    <th class="num">{tr(l, '响应', 'Responses')}</th>
                  </tr>
                </thead>
                <tbody>
                  {days.map((x) =>
                    r.responsesPerDay.some((k) => k.day === x.day) ? (
                      <tr data-day={x.day}>
                        <td>{x.day}</td>
                        <M m={`responsesPerDay.${x.day}.responses`} v={x.n}>{fmtInt(l, x.n)}</M>
                      </tr>
                    ) : (
                      <tr data-day={x.day}>
                        <td>{x.day}</td>
                        <td class="num muted">0</td>
                      </tr>
                    ),
                  )}
                </tbody>
              </table>
            </details>
          </>
        )}
        <p class="actions">
          <CsvLink c={c} href={csv('days')} table="days" />
        </p>
      </section>

      <SliceTable c={c} id="channel" field="byChannel" title={tr(l, '按渠道', 'By channel')} csv={csv('channel')} slices={r.byChannel} label={(k) => named(l, CHANNELS, k)} chart />
      <SliceTable c={c} id="wave" field="byWave" title={tr(l, '按波次', 'By wave')} csv={csv('wave')} slices={r.byWave} label={(k) => waveName.get(k) ?? (k || tr(l, '（未知）', '(unknown)'))} />
      <SliceTable c={c} id="kind" field="byContactKind" title={tr(l, '按客户类型', 'By contact kind')} csv={csv('kind')} slices={r.byContactKind} label={(k) => named(l, KINDS, k)} />
      <SliceTable c={c} id="variant" field="byVariant" title={tr(l, '按模板版本（A/B）', 'By template variant (A/B)')} csv={csv('variant')} slices={r.byVariant} label={(k) => tr(l, `版本 ${k}`, `Variant ${k}`)} />

      <section class="card" id="table-lift">
        <h2>{tr(l, '相对对照组的提升', 'Lift over the holdout group')}</h2>
        <table>
          <thead>
            <tr>
              <th>{tr(l, '组', 'Group')}</th>
              <th class="num">{tr(l, '人数', 'Recipients')}</th>
              <th class="num">{tr(l, '响应', 'Responses')}</th>
              <th class="num">{tr(l, '响应率', 'Response rate')}</th>
            </tr>
          </thead>
          <tbody>
            {(
              [
                ['treatment', tr(l, '活动组', 'Campaign group'), r.lift.treatment],
                ['control', tr(l, '对照组（未联系）', 'Holdout (not contacted)'), r.lift.control],
              ] as const
            ).map(([k, label, g]) => (
              <tr data-key={k}>
                <td>{label}</td>
                <M m={`lift.${k}.recipients`} v={g.recipients}>{fmtInt(l, g.recipients)}</M>
                <M m={`lift.${k}.responders`} v={g.responders}>{fmtInt(l, g.responders)}</M>
                <M m={`lift.${k}.rate`} v={g.rate}>{fmtPct(l, g.rate)}</M>
              </tr>
            ))}
          </tbody>
        </table>
        <p>
          {tr(l, '提升', 'Lift')}:{' '}
          <strong>
            <M tag="span" m="lift.difference.lift" v={d?.lift}>{fmtPoints(l, d?.lift)}</M>
          </strong>{' '}
          · {tr(l, '95% 置信区间', '95% confidence interval')} [<M tag="span" m="lift.difference.low" v={d?.low}>{fmtPoints(l, d?.low)}</M>,{' '}
          <M tag="span" m="lift.difference.high" v={d?.high}>{fmtPoints(l, d?.high)}</M>]
        </p>
        {d && <LiftChart title={tr(l, '提升及其 95% 置信区间', 'Lift and its 95% interval')} d={d} locale={l} />}
        <p class="muted" id="lift-verdict">{verdict}</p>
        <p class="actions">
          <CsvLink c={c} href={csv('lift')} table="lift" />
        </p>
      </section>

      <section class="card" id="table-cost">
        <h2>{tr(l, '成本', 'Cost')}</h2>
        {!r.cost ? (
          <p class="muted" id="no-unit-costs">
            {tr(l, '尚未设置单位成本（管理员可在“效果报表”页设置）。', 'No unit costs are set (an admin sets them on the Reports page).')}
          </p>
        ) : (
          <table>
            <thead>
              <tr>
                <th>{tr(l, '项目', 'Item')}</th>
                <th class="num">{tr(l, '数量', 'Units')}</th>
                <th class="num">{tr(l, '金额', 'Amount')}</th>
              </tr>
            </thead>
            <tbody>
              <tr data-key="print">
                <td>{tr(l, '印刷', 'Print')}</td>
                <M m="units.pieces" v={r.units.pieces}>{fmtInt(l, r.units.pieces)}</M>
                <M m="cost.print" v={r.cost.print}>{money(r.cost.print)}</M>
              </tr>
              <tr data-key="postage">
                <td>{tr(l, '邮资', 'Postage')}</td>
                <td class="num">{fmtInt(l, r.units.pieces)}</td>
                <M m="cost.postage" v={r.cost.postage}>{money(r.cost.postage)}</M>
              </tr>
              <tr data-key="sms">
                <td>{tr(l, '短信（计费条数）', 'SMS (segments)')}</td>
                <M m="units.smsSegments" v={r.units.smsSegments}>{fmtInt(l, r.units.smsSegments)}</M>
                <M m="cost.sms" v={r.cost.sms}>{money(r.cost.sms)}</M>
              </tr>
              <tr data-key="email">
                <td>{tr(l, '邮件', 'Email')}</td>
                <M m="units.emails" v={r.units.emails}>{fmtInt(l, r.units.emails)}</M>
                <M m="cost.email" v={r.cost.email}>{money(r.cost.email)}</M>
              </tr>
            </tbody>
            <tfoot>
              <tr>
                <th colspan={2}>{tr(l, '合计', 'Total')}</th>
                <M m="cost.total" v={r.cost.total}>{money(r.cost.total)}</M>
              </tr>
              <tr>
                <th colspan={2}>{tr(l, '每个响应成本', 'Cost per response')}</th>
                <M m="cost.perResponder" v={r.cost.perResponder}>{money(r.cost.perResponder)}</M>
              </tr>
            </tfoot>
          </table>
        )}
        <p class="actions">
          <CsvLink c={c} href={csv('cost')} table="cost" />
        </p>
      </section>
    </Shell>,
  );
});
