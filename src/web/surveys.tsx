// Survey entry and returned mail: what the post brings back.
//
// /app/surveys — staff type the response code printed on a mailed-back card
// (or scan the card's QR code with the phone's camera: the page decodes the
// frames with jsQR in the browser), see the card's questions as printed, tick
// the answers and save them through POST /v1/surveys/entries. A card entered
// before (from the post or online by the recipient) is shown with its first
// entry — who, when, which answers — and can only be replaced as an explicit
// correction, never entered twice.
//
// /app/returns — pieces the post returned, marked one at a time by response
// code or piece id, or as a CSV, through POST /v1/returns; each bad CSV row is
// listed with its row number.
//
// Admins and marketers write; managers see the same pages read-only; the print
// shop has no business here.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { sql } from 'drizzle-orm';
import { Hono } from 'hono';
import { rows, type Tx } from '../db';
import type { Role } from '../http/context';
import { AppError } from '../lib/errors';
import { parseResponseCode, responseCode } from '../lib/ids';
import { surveyEntryOf, type Answer, type SurveyEntry } from '../surveys/service';
import { actorUsers } from '../staff/accounts';
import type { Question, Survey } from '../templates/layout';
import type { Viewer, WebContext, WebEnv } from './context';
import { tr, type WebLocale } from './i18n';
import { ErrorBox, fmtTime, fragment, page, Shell, staffReaders } from './kit';

export const surveyEntryPages = new Hono<WebEnv>();

const WRITERS: Role[] = ['admin', 'marketer'];
const canWrite = (v: Viewer) => WRITERS.includes(v.role);

/** How far back the "recent" tables look (bounded, so they stay cheap on busy dealers). */
const RECENT_DAYS = 30;
const RECENT_ROWS = 20;

// ── static files: the QR decoder, the pages' script and a few styles ─────────

/** jsQR's browser build (it defines window.jsQR), read the first time a page asks for it, not at start-up. */
let jsqrJs: string | undefined;

surveyEntryPages.get('/static/jsqr.js', (c) => c.body((jsqrJs ??= readFileSync(createRequire(import.meta.url).resolve('jsqr/dist/jsQR.js'), 'utf8')), 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'private, max-age=86400' }));
surveyEntryPages.get('/static/survey-entry.js', (c) => c.body(SURVEY_ENTRY_JS, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' }));
surveyEntryPages.get('/static/returns.js', (c) => c.body(RETURNS_JS, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' }));
surveyEntryPages.get('/static/survey-entry.css', (c) => c.body(CSS, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'no-cache' }));

const CSS = `fieldset.q{border:0;padding:0;margin:1rem 0}fieldset.q legend{font-weight:600;padding:0;margin-bottom:.3rem}
.choices{display:flex;flex-wrap:wrap;gap:.3rem .6rem}.choices label{display:inline-flex;align-items:center;gap:.4rem;font-weight:400;margin:0;padding:.45rem .7rem;border:1px solid #c3cad5;border-radius:.35rem;background:#fff;min-height:2.6rem;cursor:pointer}
.choices input{width:1.2rem;height:1.2rem;margin:0}.choices label:has(input:checked){border-color:#0b5cad;background:#e8f0fb}
fieldset.q textarea{font-family:inherit;font-size:1rem;min-height:4.5rem}fieldset[disabled] .choices label{cursor:default;opacity:.8}
input.code{font-family:ui-monospace,monospace;font-size:1.25rem;letter-spacing:.06em;text-transform:uppercase}
video.camera{display:block;width:100%;max-width:30rem;margin:.6rem 0;background:#000;border-radius:.4rem}
.entry dt{font-weight:600;margin-top:.4rem}.entry dd{margin:0 0 .2rem}.warn{background:#fff4e0;color:#6b4200;padding:.6rem .8rem;border-radius:.35rem;margin:.6rem 0;border:1px solid #f0c36d}
div.scroll{overflow-x:auto}ul.log{list-style:none;padding:0;margin:.6rem 0}ul.log li{padding:.3rem 0;border-bottom:1px solid #e3e7ee}`;

const styles = <link rel="stylesheet" href="/app/static/survey-entry.css" />;

// ── reads for the pages ───────────────────────────────────────────────────────

function actorName(l: WebLocale, names: Map<string, { name: string }>, actor: string | null | undefined, source?: string | null): string {
  if (!actor) return source === 'online' ? tr(l, '收件人本人（在线）', 'the recipient, online') : '—';
  return names.get(actor)?.name ?? (actor.startsWith('user:') ? tr(l, '已删除的用户', 'a removed user') : tr(l, `API 令牌 ${actor}`, `API token ${actor}`));
}

/** The campaign a piece was mailed in and whom to. */
async function pieceLabel(db: Tx, dealerId: string, pieceId: string): Promise<{ campaign: string | null; recipient: string | null }> {
  const [r] = await rows<{ campaign: string | null; recipient: string | null }>(
    db,
    sql`SELECT cm.name AS campaign, ct.full_name AS recipient
        FROM pieces p JOIN print_runs r ON r.id = p.print_run_id AND r.dealer_id = p.dealer_id
        LEFT JOIN campaigns cm ON cm.id = r.campaign_id AND cm.dealer_id = p.dealer_id
        LEFT JOIN contacts ct ON ct.id = p.contact_id AND ct.dealer_id = p.dealer_id
        WHERE p.id = ${pieceId}::uuid AND p.dealer_id = ${dealerId}::uuid`,
  );
  return r ?? { campaign: null, recipient: null };
}

interface RecentRow {
  occurred_at: Date | string;
  token: string;
  campaign: string | null;
  recipient: string | null;
  source: string | null;
  actor: string | null;
  reason: string | null;
  corrected: boolean;
}

/** The newest survey entries or returned pieces of the last RECENT_DAYS days. */
async function recent(c: WebContext, kind: 'survey' | 'returned'): Promise<{ list: RecentRow[]; names: Map<string, { name: string; email: string }> }> {
  const deps = c.get('deps');
  const { dealerId } = c.get('viewer');
  const since = new Date(deps.clock.now().getTime() - RECENT_DAYS * 86_400_000).toISOString();
  const list = await rows<RecentRow>(
    deps.db.orm,
    sql`SELECT r.occurred_at, p.token, cm.name AS campaign, ct.full_name AS recipient,
               r.data->>'source' AS source, COALESCE(r.data->>'enteredBy', r.data->>'markedBy') AS actor,
               r.data->>'reason' AS reason, (r.data->>'correctedAt') IS NOT NULL AS corrected
        FROM responses r
        JOIN pieces p ON p.id = r.piece_id AND p.dealer_id = r.dealer_id
        LEFT JOIN campaigns cm ON cm.id = r.campaign_id AND cm.dealer_id = r.dealer_id
        LEFT JOIN contacts ct ON ct.id = r.contact_id AND ct.dealer_id = r.dealer_id
        WHERE r.dealer_id = ${dealerId}::uuid AND r.kind = ${kind} AND r.occurred_at >= ${since}::timestamptz
        ORDER BY r.occurred_at DESC, r.id DESC LIMIT ${RECENT_ROWS}`,
  );
  return { list, names: await actorUsers(deps.db.orm, dealerId, list.map((r) => r.actor)) };
}

// ── the card: its questions as printed, and the entry made so far ─────────────

function sourceName(l: WebLocale, source: string | null | undefined): string {
  return source === 'online' ? tr(l, '在线填写（扫码）', 'online (QR code)') : tr(l, '邮寄回函', 'mailed-back card');
}

function answerText(l: WebLocale, q: Question, a: Answer | undefined): string {
  if (a === undefined || a === '' || (Array.isArray(a) && a.length === 0)) return '—';
  if (Array.isArray(a)) return a.join(tr(l, '、', ', '));
  if (q.type === 'rating') return `${a} / 5`;
  return String(a);
}

function QuestionField(props: { q: Question; value: Answer | undefined; l: WebLocale }) {
  const { q, value } = props;
  const name = `answers.${q.id}`;
  const id = `q-${q.id}`;
  if (q.type === 'text') {
    return (
      <fieldset class="q" data-question={q.id}>
        <legend>{q.label}</legend>
        <textarea id={id} name={name} rows={3} maxlength={1000}>
          {typeof value === 'string' ? value : ''}
        </textarea>
      </fieldset>
    );
  }
  const options = q.type === 'rating' ? ['1', '2', '3', '4', '5'] : (q.options ?? []);
  const picked = (o: string) => (Array.isArray(value) ? value.includes(o) : value !== undefined && String(value) === o);
  return (
    <fieldset class="q" data-question={q.id}>
      <legend>{q.label}</legend>
      <div class="choices">
        {options.map((o, i) => (
          <label>
            <input
              type={q.type === 'multiple' ? 'checkbox' : 'radio'}
              name={name}
              id={`${id}-${i + 1}`}
              value={o}
              checked={picked(o)}
              data-type={q.type === 'multiple' ? 'array' : q.type === 'rating' ? 'number' : undefined}
            />
            {o}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

/** What a lookup of a code that names no card of this dealer shows: the same whatever the reason. */
function Unknown(props: { l: WebLocale; malformed?: boolean }) {
  const { l } = props;
  return props.malformed ? (
    <p class="error" id="card-unknown" data-unknown="format">
      {tr(l, '回执码由 16 个字母和数字组成（XXXX-XXXX-XXXX-XXXX），请核对后重新输入。', 'A response code has 16 letters and digits (XXXX-XXXX-XXXX-XXXX). Check it and type it again.')}
    </p>
  ) : (
    <p class="error" id="card-unknown" data-unknown="">
      {tr(l, '没有找到此回执码对应的卡片。请核对卡片上印的回执码。', 'No card has this response code. Check the code printed on the card.')}
    </p>
  );
}

function FirstEntry(props: { l: WebLocale; viewer: Viewer; survey: Survey; entry: SurveyEntry; by: string; writer: boolean }) {
  const { l, entry } = props;
  return (
    <div class="warn" id="already-entered" data-response={entry.responseId}>
      <strong>{tr(l, '这张卡片已经录入过，不会重复计入。', 'This card was entered before; it is not counted twice.')}</strong>
      <dl class="entry">
        <dt>{tr(l, '首次录入', 'First entry')}</dt>
        <dd id="first-entry-meta">
          {sourceName(l, entry.source)} · {fmtTime(props.viewer, l, entry.enteredAt)} · <span id="first-entry-by">{props.by}</span>
          {entry.corrected ? <span class="badge"> {tr(l, '已更正', 'corrected')}</span> : null}
        </dd>
        {props.survey.questions.map((q) => (
          <>
            <dt>{q.label}</dt>
            <dd data-answer={q.id}>{answerText(l, q, entry.answers[q.id])}</dd>
          </>
        ))}
      </dl>
      {props.writer ? (
        <button type="button" class="secondary" id="replace-open">
          {tr(l, '更正：替换这些回答…', 'Correction: replace these answers…')}
        </button>
      ) : null}
    </div>
  );
}

async function cardView(props: { c: WebContext; code: string }) {
  const { c } = props;
  const l = c.get('locale');
  const viewer = c.get('viewer');
  const token = parseResponseCode(props.code);
  if (!token) return { status: 422 as const, el: <Unknown l={l} malformed /> };
  const deps = c.get('deps');
  let found;
  try {
    found = await surveyEntryOf(deps, viewer.dealerId, { code: token });
  } catch (e) {
    if (e instanceof AppError && e.status === 404) return { status: 404 as const, el: <Unknown l={l} /> };
    throw e;
  }
  // Only printed pieces can come back; anything else is as unknown as a wrong code.
  if (found.piece.status !== 'rendered') return { status: 404 as const, el: <Unknown l={l} /> };
  const code = responseCode(found.piece.token);
  const label = await pieceLabel(deps.db.orm, viewer.dealerId, found.piece.id);
  const head = (
    <p class="muted" id="card-head">
      {tr(l, '回执码', 'Response code')} <strong id="card-code">{code}</strong>
      {label.campaign ? ` · ${tr(l, '活动', 'Campaign')}: ${label.campaign}` : ''}
      {label.recipient ? ` · ${tr(l, '收件人', 'Recipient')}: ${label.recipient}` : ''}
    </p>
  );
  const { survey, entry } = found;
  if (!survey) {
    return {
      status: 200 as const,
      el: (
        <div id="card-view" data-code={code}>
          {head}
          <p class="error" id="no-survey">{tr(l, '这张卡片印刷时没有问卷，无需录入回答。', 'This card was printed without a survey; there are no answers to enter.')}</p>
        </div>
      ),
    };
  }
  const writer = canWrite(viewer);
  const names = entry ? await actorUsers(deps.db.orm, viewer.dealerId, [entry.enteredBy]) : new Map<string, { name: string; email: string }>();
  return {
    status: 200 as const,
    el: (
      <div id="card-view" data-code={code} data-entered={entry ? 'yes' : 'no'}>
        {head}
        {survey.title ? <h2>{survey.title}</h2> : null}
        {entry ? <FirstEntry l={l} viewer={viewer} survey={survey} entry={entry} by={actorName(l, names, entry.enteredBy, entry.source)} writer={writer} /> : null}
        {writer ? (
          <form id="card-form" hidden={!!entry} data-correction={entry ? 'yes' : 'no'}>
            <input type="hidden" name="code" value={code} />
            <input type="hidden" name="correction" data-type="json" value={entry ? 'true' : 'false'} />
            {entry ? <p class="warn">{tr(l, '更正会替换首次录入的全部回答（原回答会保留在记录中）。', 'A correction replaces all answers of the first entry (the earlier answers are kept on record).')}</p> : null}
            {survey.questions.map((q) => (
              <QuestionField q={q} value={entry?.answers[q.id]} l={l} />
            ))}
            <ErrorBox />
            <div class="actions">
              <button type="submit" id="save-answers">
                {entry ? tr(l, '保存更正', 'Save the correction') : tr(l, '保存回答', 'Save the answers')}
              </button>
            </div>
          </form>
        ) : entry ? null : (
          <>
            <p class="muted" id="read-only">{tr(l, '尚未录入。您的角色只能查看，录入需要管理员或市场专员。', 'Not entered yet. Your role can only look; entering needs an admin or a marketer.')}</p>
            <fieldset disabled>
              {survey.questions.map((q) => (
                <QuestionField q={q} value={undefined} l={l} />
              ))}
            </fieldset>
          </>
        )}
      </div>
    ),
  };
}

// ── /app/surveys ──────────────────────────────────────────────────────────────

surveyEntryPages.get('/surveys/card', staffReaders, async (c) => {
  const code = (c.req.query('code') ?? '').slice(0, 80);
  const r = await cardView({ c, code });
  return fragment(c, r.el, r.status);
});

surveyEntryPages.get('/surveys', staffReaders, async (c) => {
  const l = c.get('locale');
  const viewer = c.get('viewer');
  const code = (c.req.query('code') ?? '').trim().slice(0, 80);
  const card = code ? await cardView({ c, code }) : null;
  const { list, names } = await recent(c, 'survey');
  const writer = canWrite(viewer);
  return page(
    c,
    <Shell c={c} title={tr(l, '问卷录入', 'Survey entry')} active="surveys" scripts={['survey-entry']}>
      {styles}
      <p class="muted">
        {writer
          ? tr(l, '输入寄回卡片上印的回执码，或用手机摄像头扫描卡片上的二维码，然后勾选卡片上的回答并保存。', 'Type the response code printed on the mailed-back card, or scan the card\'s QR code with the phone camera; then tick the answers on the card and save.')
          : tr(l, '输入回执码查看卡片的问题和已录入的回答。', 'Type a response code to see the card\'s questions and the answers entered.')}{' '}
        <a href="/app/returns" id="returns-link">{tr(l, '退回邮件 →', 'Returned mail →')}</a>
      </p>
      <section class="card">
        <form id="lookup" method="get" action="/app/surveys">
          <label for="code">{tr(l, '回执码', 'Response code')}</label>
          <input id="code" name="code" type="text" class="code" value={code} placeholder="XXXX-XXXX-XXXX-XXXX" autocomplete="off" autocapitalize="characters" spellcheck={false} maxlength={80} required />
          <div class="actions">
            <button type="submit" id="lookup-button">{tr(l, '查找卡片', 'Find the card')}</button>
            <button type="button" class="secondary" id="scan" data-stop={tr(l, '关闭摄像头', 'Stop the camera')}>
              {tr(l, '用摄像头扫码', 'Scan with camera')}
            </button>
          </div>
          <p class="muted" id="scan-note" hidden role="status"></p>
          <video id="camera" class="camera" hidden muted playsinline autoplay></video>
        </form>
        <p class="ok" id="saved" hidden role="status"></p>
        <div id="card" aria-live="polite">
          {card?.el}
        </div>
      </section>
      <section class="card">
        <h2>{tr(l, `最近录入（${RECENT_DAYS} 天内，最新 ${RECENT_ROWS} 条）`, `Entered recently (last ${RECENT_DAYS} days, newest ${RECENT_ROWS})`)}</h2>
        {list.length ? (
          <div class="scroll">
            <table id="recent-entries">
              <thead>
                <tr>
                  <th>{tr(l, '时间', 'When')}</th>
                  <th>{tr(l, '回执码', 'Response code')}</th>
                  <th>{tr(l, '来源', 'Source')}</th>
                  <th>{tr(l, '录入人', 'Entered by')}</th>
                  <th>{tr(l, '活动', 'Campaign')}</th>
                  <th>{tr(l, '收件人', 'Recipient')}</th>
                </tr>
              </thead>
              <tbody>
                {list.map((r) => (
                  <tr>
                    <td>{fmtTime(viewer, l, r.occurred_at)}</td>
                    <td>
                      <a href={`/app/surveys?code=${responseCode(r.token)}`}>{responseCode(r.token)}</a>
                      {r.corrected ? <span class="badge"> {tr(l, '已更正', 'corrected')}</span> : null}
                    </td>
                    <td>{sourceName(l, r.source)}</td>
                    <td>{actorName(l, names, r.actor, r.source)}</td>
                    <td>{r.campaign ?? '—'}</td>
                    <td>{r.recipient ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p class="muted">{tr(l, '暂无', 'None yet')}</p>
        )}
      </section>
    </Shell>,
  );
});

// ── /app/returns ──────────────────────────────────────────────────────────────

/** Reasons the post gives on a returned piece, offered as suggestions (free text is fine). */
const REASONS: [string, string][] = [
  ['查无此人', 'Addressee unknown'],
  ['地址不详', 'Insufficient address'],
  ['迁移新址不明', 'Moved, no forwarding address'],
  ['拒收', 'Refused'],
  ['无人领取', 'Unclaimed'],
];

surveyEntryPages.get('/returns', staffReaders, async (c) => {
  const l = c.get('locale');
  const viewer = c.get('viewer');
  const writer = canWrite(viewer);
  const { list, names } = await recent(c, 'returned');
  return page(
    c,
    <Shell c={c} title={tr(l, '退回邮件', 'Returned mail')} active="surveys" scripts={writer ? ['returns'] : []}>
      {styles}
      <p class="muted">
        {tr(l, '被邮局退回的卡片：按回执码或邮件编号标记，地址即被标为无法投递，以后的印刷不再寄往该地址（同一户）。', 'Pieces the post brought back: mark them by response code or piece id; the address becomes undeliverable and no later print run mails it again (the whole household).')}{' '}
        <a href="/app/surveys">{tr(l, '← 问卷录入', '← Survey entry')}</a>
      </p>
      {writer ? (
        <>
          <section class="card" id="return-one">
            <h2>{tr(l, '逐张标记', 'One by one')}</h2>
            <form id="return-form" data-api="/v1/returns" data-method="POST" data-then="none" data-transform="returnRef">
              <div class="row">
                <div>
                  <label for="ref">{tr(l, '回执码或邮件编号', 'Response code or piece id')}</label>
                  <input id="ref" name="ref" type="text" class="code" placeholder="XXXX-XXXX-XXXX-XXXX" autocomplete="off" autocapitalize="characters" spellcheck={false} maxlength={60} required />
                </div>
                <div>
                  <label for="reason">{tr(l, '退回原因（可选）', 'Reason (optional)')}</label>
                  <input id="reason" name="reason" type="text" list="return-reasons" maxlength={200} autocomplete="off" />
                  <datalist id="return-reasons">
                    {REASONS.map(([zh, en]) => (
                      <option value={tr(l, zh, en)} />
                    ))}
                  </datalist>
                </div>
              </div>
              <ErrorBox />
              <div class="actions">
                <button type="submit" id="return-submit">{tr(l, '标记为退回', 'Mark returned')}</button>
              </div>
            </form>
            <ul class="log" id="return-log" aria-live="polite"></ul>
          </section>
          <section class="card" id="return-csv">
            <h2>{tr(l, '上传 CSV 文件', 'Upload a CSV file')}</h2>
            <p class="muted">
              {tr(l, '第一行为表头，需有 “code”（回执码）或 “piece_id”（邮件编号）列，可选 “reason”（原因）列。UTF-8 或 GB18030 编码，逗号或制表符分隔，最大 10 MB。', 'A header row with a "code" (response code) or "piece_id" column, and optionally "reason". UTF-8 or GB18030, comma or tab separated, up to 10 MB.')}
            </p>
            <form id="returns-upload" data-max={String(10 * 1024 * 1024)}>
              <input type="file" name="file" id="returns-file" accept=".csv,.txt,.tsv,text/csv,text/plain" required />
              <progress data-progress hidden value="0"></progress>
              <span class="muted" data-progress-label></span>
              <ErrorBox />
              <div class="actions">
                <button type="submit" id="returns-upload-button">{tr(l, '上传并标记', 'Upload and mark')}</button>
              </div>
            </form>
            <div id="returns-report" aria-live="polite"></div>
          </section>
        </>
      ) : (
        <p class="muted" id="read-only">{tr(l, '您的角色只能查看。标记退回邮件需要管理员或市场专员。', 'Your role can only look. Marking returned mail needs an admin or a marketer.')}</p>
      )}
      <section class="card">
        <h2>{tr(l, `最近退回（${RECENT_DAYS} 天内，最新 ${RECENT_ROWS} 条）`, `Returned recently (last ${RECENT_DAYS} days, newest ${RECENT_ROWS})`)}</h2>
        {list.length ? (
          <div class="scroll">
            <table id="recent-returns">
              <thead>
                <tr>
                  <th>{tr(l, '时间', 'When')}</th>
                  <th>{tr(l, '回执码', 'Response code')}</th>
                  <th>{tr(l, '原因', 'Reason')}</th>
                  <th>{tr(l, '标记人', 'Marked by')}</th>
                  <th>{tr(l, '活动', 'Campaign')}</th>
                  <th>{tr(l, '收件人', 'Recipient')}</th>
                </tr>
              </thead>
              <tbody>
                {list.map((r) => (
                  <tr>
                    <td>{fmtTime(viewer, l, r.occurred_at)}</td>
                    <td>{responseCode(r.token)}</td>
                    <td>{r.reason ?? '—'}</td>
                    <td>{actorName(l, names, r.actor)}</td>
                    <td>{r.campaign ?? '—'}</td>
                    <td>{r.recipient ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p class="muted">{tr(l, '暂无', 'None yet')}</p>
        )}
      </section>
    </Shell>,
  );
});

// ── page scripts ──────────────────────────────────────────────────────────────

/**
 * The survey entry page: look a card up by its code (typed, or decoded from
 * the camera with jsQR: a /r/<token> URL or a printed code), show its
 * questions, save the ticked answers through the API. A 409 (entered
 * meanwhile) reloads the card, which then shows the first entry.
 */
const SURVEY_ENTRY_JS = String.raw`(() => {
  'use strict';
  const staff = window.staff;
  const say = staff.say;
  const $ = (s) => document.querySelector(s);

  /** A printed code, a scanned /r/<token> URL or a bare token → the code as printed; null when it is none. */
  function codeFrom(text) {
    const raw = String(text || '').trim();
    const m = /\/r\/([0-9A-Za-z]{16})(?:[\/?#]|$)/.exec(raw);
    const s = (m ? m[1] : raw).toUpperCase().replace(/[\s\-\u2013\u2014_.]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
    return /^[0-9A-HJKMNP-TV-Z]{16}$/.test(s) ? s.replace(/(.{4})(?=.)/g, '$1-') : null;
  }

  const errorText = staff.errorText;

  const field = $('#code');
  const card = $('#card');
  const saved = $('#saved');
  const note = $('#scan-note');
  const scanButton = $('#scan');
  const video = $('#camera');
  if (!field || !card) return;
  const scanLabel = scanButton.textContent;

  function tell(text) { note.textContent = text; note.hidden = !text; }

  async function loadCard(code, notice) {
    saved.hidden = true;
    card.textContent = say('加载中…', 'Loading…');
    history.replaceState(null, '', '/app/surveys?code=' + encodeURIComponent(code));
    try {
      const res = await fetch('/app/surveys/card?code=' + encodeURIComponent(code), { headers: { accept: 'text/html', 'x-fragment': '1' }, credentials: 'same-origin' });
      if (res.redirected && /\/app\/login/.test(res.url)) { card.textContent = say('登录已过期，请重新登录。', 'Your session has ended; sign in again.'); return; }
      if (!res.ok && /json/.test(res.headers.get('content-type') || '')) {
        const data = await res.json().catch(() => null);
        card.textContent = errorText({ status: res.status, data });
        return;
      }
      card.innerHTML = await res.text();
      if (notice) {
        const p = document.createElement('p');
        p.className = 'error';
        p.id = 'save-conflict';
        p.textContent = notice;
        card.prepend(p);
      }
      const first = card.querySelector('#card-form input:not([type=hidden]), #card-form textarea');
      if (first && !card.querySelector('#card-form[hidden]')) first.focus({ preventScroll: true });
      card.scrollIntoView({ block: 'nearest' });
    } catch (e) {
      card.textContent = say('网络错误，请重试。', 'Network error; try again.');
    }
  }

  $('#lookup').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const code = codeFrom(field.value);
    if (!code) { tell(say('回执码由 16 个字母和数字组成（XXXX-XXXX-XXXX-XXXX）。', 'A response code has 16 letters and digits (XXXX-XXXX-XXXX-XXXX).')); return; }
    tell('');
    field.value = code;
    loadCard(code);
  });

  // ── camera ──
  let stream = null;
  let timer = null;
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d', { willReadFrequently: true });

  function stopScan() {
    clearTimeout(timer);
    timer = null;
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
    video.srcObject = null;
    video.hidden = true;
    scanButton.textContent = scanLabel;
  }

  function scanFrame() {
    timer = null;
    if (!stream) return;
    const w = video.videoWidth, h = video.videoHeight;
    if (video.readyState >= 2 && w && h) {
      // Large frames are scaled down: a card held to the camera fills most of it.
      const k = Math.min(1, 960 / Math.max(w, h));
      canvas.width = Math.round(w * k);
      canvas.height = Math.round(h * k);
      ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
      const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
      const hit = window.jsQR(img.data, img.width, img.height, { inversionAttempts: 'dontInvert' });
      if (hit && hit.data) {
        const code = codeFrom(hit.data);
        if (code) {
          stopScan();
          field.value = code;
          tell(say('已识别：', 'Read: ') + code);
          loadCard(code);
          return;
        }
        tell(say('这个二维码不是我们卡片上的二维码。', 'This QR code is not one of our cards.'));
      }
    }
    timer = setTimeout(scanFrame, 150);
  }

  /** jsQR (about 250 kB) is fetched the first time the camera is used, not with every page. */
  let reader = null;
  function loadReader() {
    if (typeof window.jsQR === 'function') return Promise.resolve();
    if (!reader) {
      reader = new Promise((resolve, reject) => {
        const s = document.createElement('script');
        s.src = '/app/static/jsqr.js';
        s.onload = () => (typeof window.jsQR === 'function' ? resolve() : reject(new Error('jsQR')));
        s.onerror = () => { reader = null; s.remove(); reject(new Error('jsQR')); };
        document.head.append(s);
      });
    }
    return reader;
  }

  async function startScan() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      tell(say('此浏览器无法使用摄像头（需要 HTTPS）。请手动输入回执码。', 'The camera is not available in this browser (it needs HTTPS). Type the code instead.'));
      return;
    }
    tell(say('正在打开摄像头…', 'Opening the camera…'));
    try { await loadReader(); } catch (e) { tell(say('扫码组件未能加载，请检查网络后重试。', 'The QR reader did not load; check the network and try again.')); return; }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
    } catch (e) {
      stream = null;
      tell(e && e.name === 'NotAllowedError'
        ? say('没有摄像头权限。请在浏览器设置中允许使用摄像头，或手动输入回执码。', 'Camera permission was refused. Allow the camera in the browser settings, or type the code.')
        : say('无法打开摄像头：', 'Cannot open the camera: ') + ((e && e.message) || e));
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    scanButton.textContent = scanButton.dataset.stop;
    tell(say('将卡片上的二维码对准摄像头。', 'Hold the card\'s QR code in front of the camera.'));
    try { await video.play(); } catch (e) { /* autoplay: muted video plays anyway */ }
    scanFrame();
  }

  scanButton.addEventListener('click', () => (stream ? stopScan() : startScan()));
  window.addEventListener('pagehide', stopScan);

  // ── the card's form ──
  card.addEventListener('click', (ev) => {
    const open = ev.target.closest('#replace-open');
    if (!open) return;
    const form = card.querySelector('#card-form');
    if (form) { form.hidden = false; open.hidden = true; const first = form.querySelector('input:not([type=hidden]), textarea'); if (first) first.focus(); }
  });

  card.addEventListener('submit', async (ev) => {
    const form = ev.target;
    if (form.id !== 'card-form') return;
    ev.preventDefault();
    const box = form.querySelector('[data-error]');
    box.hidden = true;
    let body;
    try { body = staff.formJson(form); } catch (e) { box.textContent = e.message; box.hidden = false; return; }
    body.answers = body.answers || {};
    const buttons = form.querySelectorAll('button');
    buttons.forEach((b) => (b.disabled = true));
    try {
      const r = await staff.call('POST', '/v1/surveys/entries', body);
      if (r.ok) {
        card.innerHTML = '';
        saved.textContent = (r.status === 201 ? say('已保存卡片 ', 'Saved card ') : say('已更正卡片 ', 'Corrected card ')) + r.data.responseCode + say('：', ': ') + Object.keys(r.data.answers).length + say(' 个回答。', ' answers.');
        saved.hidden = false;
        field.value = '';
        tell('');
        history.replaceState(null, '', '/app/surveys');
        field.focus();
        return;
      }
      if (r.status === 409) { await loadCard(body.code, errorText(r)); return; }
      box.textContent = errorText(r);
      box.hidden = false;
    } catch (e) {
      box.textContent = say('网络错误，请重试。', 'Network error; try again.');
      box.hidden = false;
    } finally {
      buttons.forEach((b) => (b.disabled = false));
    }
  });
})();
`;

/**
 * The returned-mail page: one piece at a time through the shared form script
 * (the typed value becomes {code} or {pieceId}), and a CSV uploaded with a
 * progress bar whose report (marked, already marked, bad rows) is listed.
 */
const RETURNS_JS = String.raw`(() => {
  'use strict';
  const staff = window.staff;
  const say = staff.say;
  const $ = (s) => document.querySelector(s);
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

  window.staffTransforms = window.staffTransforms || {};
  window.staffTransforms.returnRef = (body) => {
    const ref = String(body.ref || '').trim();
    if (!ref) throw new Error(say('请输入回执码或邮件编号', 'Type a response code or a piece id'));
    const out = UUID.test(ref) ? { pieceId: ref.toLowerCase() } : { code: ref };
    if (body.reason) out.reason = body.reason;
    return out;
  };

  const reasonText = staff.local;

  const form = $('#return-form');
  const log = $('#return-log');
  form.addEventListener('api:done', (ev) => {
    const d = ev.detail || {};
    const li = document.createElement('li');
    li.dataset.piece = d.pieceId || '';
    const typed = form.ref.value.trim();
    const bare = typed.toUpperCase().replace(/[\s\-\u2013\u2014_.]/g, '');
    const what = UUID.test(typed) ? typed.toLowerCase() : bare.length === 16 ? bare.replace(/(.{4})(?=.)/g, '$1-') : typed;
    li.textContent = '✓ ' + what + ' — ' + (d.alreadyMarked ? say('之前已标记，无变化', 'already marked before; nothing changed') : say('已标记为退回', 'marked returned')) + say('；', '; ') +
      (d.suppressed === 'household' ? say('该户地址不再寄送', 'the household\'s address is no longer mailed') : say('该客户地址不再寄送', 'the contact\'s address is no longer mailed'));
    log.prepend(li);
    form.ref.value = '';
    form.ref.focus();
  });

  // ── CSV ──
  const up = $('#returns-upload');
  const report = $('#returns-report');
  const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; };
  const nf = new Intl.NumberFormat(document.documentElement.lang || 'zh-CN');

  function showReport(r) {
    report.textContent = '';
    const total = r.marked + r.alreadyMarked + r.errors.length;
    const summary = el('p', say('共 ', '') + nf.format(total) + say(' 行：', ' rows: ') + say('新标记 ', 'newly marked ') + nf.format(r.marked) + say('，之前已标记 ', ', already marked ') + nf.format(r.alreadyMarked) + say('，出错 ', ', with errors ') + nf.format(r.errors.length) + say('。', '.'), r.errors.length ? 'error' : 'ok');
    summary.id = 'returns-summary';
    report.append(summary);
    if (!r.errors.length) return;
    const table = el('table');
    table.id = 'returns-errors';
    const head = el('tr');
    [say('行', 'Row'), say('列', 'Column'), say('内容', 'Value'), say('问题', 'Problem')].forEach((h) => head.append(el('th', h)));
    const thead = el('thead');
    thead.append(head);
    table.append(thead);
    const body = el('tbody');
    for (const e of r.errors) {
      const tr = el('tr');
      tr.append(el('td', String(e.row), 'num'), el('td', e.field), el('td', e.value), el('td', reasonText(e.reason)));
      body.append(tr);
    }
    table.append(body);
    report.append(table);
  }

  up.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const box = up.querySelector('[data-error]');
    box.hidden = true;
    const file = up.file.files && up.file.files[0];
    if (!file) { box.textContent = say('请选择文件', 'Choose a file'); box.hidden = false; return; }
    if (file.size > Number(up.dataset.max)) { box.textContent = say('文件超过 10 MB 上限', 'The file is larger than the limit of 10 MB'); box.hidden = false; return; }
    const bar = up.querySelector('[data-progress]');
    const label = up.querySelector('[data-progress-label]');
    const button = up.querySelector('button');
    report.textContent = '';
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/v1/returns');
    xhr.setRequestHeader('x-csrf-token', staff.csrf());
    // Spreadsheet programs label CSV files in many ways; the API reads the bytes as CSV.
    xhr.setRequestHeader('content-type', 'text/csv');
    xhr.upload.onprogress = (e) => {
      if (!e.lengthComputable) return;
      bar.hidden = false; bar.max = e.total; bar.value = e.loaded;
      label.textContent = say('上传中 ', 'Uploading ') + Math.round((100 * e.loaded) / e.total) + '%';
    };
    xhr.upload.onload = () => { label.textContent = say('正在标记…', 'Marking…'); };
    button.disabled = true;
    xhr.onloadend = () => {
      button.disabled = false;
      bar.hidden = true;
      label.textContent = '';
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
      if (xhr.status >= 200 && xhr.status < 300 && data) { showReport(data); up.reset(); return; }
      let msg = xhr.status === 0 ? say('网络错误，上传中断', 'Network error: the upload stopped') : (data && data.error && data.error.message) || say('上传失败', 'Upload failed') + ' (' + xhr.status + ')';
      if (data && data.error && Array.isArray(data.error.details)) for (const d of data.error.details) if (d && d.message) msg += '\n• ' + d.message;
      box.textContent = msg;
      box.hidden = false;
    };
    xhr.send(file);
  });
})();
`;
