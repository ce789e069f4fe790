// Templates: the dealer's pieces and their versions. A template page shows the
// chosen version's proof (PNG pages drawn by the print code for a sample
// recipient, and the proof PDF), and for admins and marketers an editor of the
// version's Handlebars texts, SMS, email and layout JSON: "Check" runs the
// same checks as /v1/templates/validate on the draft and draws it for the
// sample recipient; saving makes a new version through /v1/templates/:id.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { searchContacts } from '../contacts/service';
import { AppError } from '../lib/errors';
import { isUuid } from '../lib/ids';
import { listSegments } from '../segments/service';
import { builtinTemplates } from '../templates/builtin';
import { isPrintBody, type TemplateBody } from '../templates/layout';
import { audienceRecipients, checkBody, getTemplate, getVersion, listTemplates, listVersions, thumbnails } from '../templates/service';
import type { WebContext, WebEnv } from './context';
import { tr, words, type WebLocale } from './i18n';
import { ErrorBox, fmtTime, fragment, notFoundPage, page, pageRole, Shell, staffReaders } from './kit';

export const templatePages = new Hono<WebEnv>();

const canWrite = (c: WebContext) => ['admin', 'marketer'].includes(c.get('viewer').role);
const PAGE = 50;
/** Width of the page thumbnails, in pixels. */
export const THUMB_WIDTH = 480;
/** Recipients in a proof PDF of a segment's sample. */
const PROOF_SAMPLE = 5;

const PURPOSES: Record<string, [string, string]> = {
  greeting: ['节日问候', 'Greeting'],
  test_drive: ['试驾邀请', 'Test drive'],
  survey: ['问卷', 'Survey'],
  service_reminder: ['保养提醒', 'Service reminder'],
};
const purposeLabel = (l: WebLocale, p: string) => (PURPOSES[p] ? tr(l, PURPOSES[p][0], PURPOSES[p][1]) : p);
const localeLabel = (l: WebLocale, x: string) => (x === 'en' ? tr(l, '英文', 'English') : x === 'zh-CN' ? tr(l, '中文', 'Chinese') : x);

templatePages.get('/static/template-editor.js', (c) => c.body(EDITOR_JS, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' }));
templatePages.get('/static/templates.css', (c) => c.body(TEMPLATE_CSS, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'no-cache' }));

// ── the list ──────────────────────────────────────────────────────────────────
templatePages.get('/templates', staffReaders, async (c) => {
  const deps = c.get('deps');
  const viewer = c.get('viewer');
  const l = c.get('locale');
  const after = c.req.query('after');
  const found = await listTemplates(deps.db.orm, viewer.dealerId, PAGE, after && isUuid(after) ? after : undefined);
  const shown = found.slice(0, PAGE);
  return page(
    c,
    <Shell c={c} title={tr(l, '模板', 'Templates')} active="templates">
      <section class="card">
        {canWrite(c) && (
          <div class="actions">
            <a class="button" href="/app/templates/new" id="new-template">
              {tr(l, '新建模板', 'New template')}
            </a>
          </div>
        )}
        <table id="templates">
          <thead>
            <tr>
              <th>{tr(l, '名称', 'Name')}</th>
              <th>{tr(l, '用途', 'Purpose')}</th>
              <th>{tr(l, '语言', 'Language')}</th>
              <th>{tr(l, '来源', 'Based on')}</th>
              <th class="num">{tr(l, '版本', 'Versions')}</th>
              <th>{tr(l, '修改时间', 'Changed')}</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((t) => (
              <tr data-template={t.id}>
                <td>
                  <a href={`/app/templates/${t.id}`}>{t.name}</a>
                </td>
                <td>{purposeLabel(l, t.purpose)}</td>
                <td>{localeLabel(l, t.locale)}</td>
                <td>{t.builtin ? <span class="badge">{t.builtin}</span> : <span class="muted">{tr(l, '自定义', 'custom')}</span>}</td>
                <td class="num">{t.latestVersion}</td>
                <td>{fmtTime(viewer, l, t.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {shown.length === 0 && <p class="muted" id="no-templates">{tr(l, '还没有模板。从内置模板新建一个。', 'No templates yet. Start one from a built-in template.')}</p>}
        {found.length > PAGE && (
          <p class="actions">
            <a class="button secondary" href={`/app/templates?after=${shown[shown.length - 1]!.id}`}>
              {words(l).next}
            </a>
          </p>
        )}
      </section>
    </Shell>,
  );
});

// ── a new template from a built-in one ────────────────────────────────────────
templatePages.get('/templates/new', pageRole('admin', 'marketer'), (c) => {
  const l = c.get('locale');
  const builtins = builtinTemplates();
  return page(
    c,
    <Shell c={c} title={tr(l, '新建模板', 'New template')} active="templates">
      <p>
        <a href="/app/templates">← {tr(l, '全部模板', 'All templates')}</a>
      </p>
      <form id="new-template-form" data-api="/v1/templates" data-method="POST" data-then="/app/templates/{id}">
        <section class="card">
          <label for="tpl-name">{tr(l, '名称', 'Name')}</label>
          <input id="tpl-name" name="name" type="text" maxlength={200} required />
          <label>{tr(l, '从内置模板开始', 'Start from a built-in template')}</label>
          <table id="builtins">
            <tbody>
              {builtins.map((b, i) => (
                <tr>
                  <td>
                    <input type="radio" name="builtin" value={b.id} id={`builtin-${b.id}`} checked={i === 0} />
                  </td>
                  <td>
                    <label for={`builtin-${b.id}`}>{b.name}</label>
                    <span class="muted">{b.description}</span>
                  </td>
                  <td>{purposeLabel(l, b.body.purpose)}</td>
                  <td>{localeLabel(l, b.body.locale)}</td>
                  <td class="muted">
                    {b.body.layout.width} × {b.body.layout.height} mm · {b.body.layout.pages.map((p) => p.name).join(' / ')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <ErrorBox />
          <div class="actions">
            <button type="submit" id="create-template">
              {tr(l, '创建模板', 'Create template')}
            </button>
          </div>
        </section>
      </form>
    </Shell>,
  );
});

// ── one template ──────────────────────────────────────────────────────────────
interface Sample {
  /** The contact drawn in the thumbnails. */
  contactId: string | null;
  /** The proof PDF's query string (recipients). */
  proofQuery: string | null;
  segmentId: string | null;
}

/** The proof recipient: the first of a segment's sample (the order the proof PDF uses), else the newest contact. */
async function pickSample(c: WebContext, segmentId: string | undefined): Promise<Sample> {
  const deps = c.get('deps');
  const dealerId = c.get('viewer').dealerId;
  if (segmentId && isUuid(segmentId)) {
    try {
      const [first] = await audienceRecipients(deps, dealerId, { segmentId, limit: 1 });
      return { contactId: first?.id ?? null, proofQuery: first ? `segmentId=${segmentId}&sample=${PROOF_SAMPLE}` : null, segmentId };
    } catch (e) {
      if (!(e instanceof AppError && e.status === 404)) throw e;
    }
  }
  const [newest] = await searchContacts(deps.db.orm, dealerId, {}, 1);
  return { contactId: newest?.id ?? null, proofQuery: newest ? `contactId=${newest.id}` : null, segmentId: null };
}

function versionParam(s: string | undefined): number | 'latest' | null {
  if (s === undefined || s === '' || s === 'latest') return 'latest';
  const n = Number(s);
  return Number.isInteger(n) && n >= 1 && n < 1_000_000 ? n : null;
}

templatePages.get('/templates/:id', staffReaders, async (c) => {
  const deps = c.get('deps');
  const viewer = c.get('viewer');
  const l = c.get('locale');
  const id = c.req.param('id');
  const which = versionParam(c.req.query('v'));
  if (!isUuid(id) || which === null) return notFoundPage(c);
  const { template: t, version: v, body } = await getVersion(deps.db.orm, viewer.dealerId, id, which);
  const versions = await listVersions(deps.db.orm, viewer.dealerId, t.id);
  const segments = (await listSegments(deps, viewer.dealerId, { limit: 100 })).slice(0, 100);
  const sample = await pickSample(c, c.req.query('segment'));
  const write = canWrite(c);
  const base = `/v1/templates/${t.id}/versions/${v.version}`;
  const printed = isPrintBody(body);
  return page(
    c,
    <Shell c={c} title={t.name} active="templates" scripts={['template-editor']}>
      <p>
        <a href="/app/templates">← {tr(l, '全部模板', 'All templates')}</a>
      </p>
      <p class="muted" id="template-meta">
        {purposeLabel(l, t.purpose)} · {localeLabel(l, t.locale)} · {t.builtin ? tr(l, `基于内置模板 ${t.builtin}`, `based on built-in ${t.builtin}`) : tr(l, '自定义', 'custom')} ·{' '}
        {tr(l, `显示第 ${v.version} 版（共 ${t.latestVersion} 版）`, `showing version ${v.version} of ${t.latestVersion}`)}
      </p>

      <section class="card" id="proof">
        <h2>{tr(l, '校样预览', 'Proof preview')}</h2>
        {!printed ? (
          <p class="muted" id="no-layout">{tr(l, '此模板没有印刷版面（仅短信或邮件）。', 'This template has no print layout (SMS or email only).')}</p>
        ) : (
          <>
            <form method="get" action={`/app/templates/${t.id}`} class="row" id="sample-form">
              <input type="hidden" name="v" value={String(v.version)} />
              <div>
                <label for="sample-segment">{tr(l, '样本收件人', 'Sample recipients')}</label>
                <select id="sample-segment" name="segment">
                  <option value="">{tr(l, '最新建档的客户', 'The newest contact')}</option>
                  {segments.map((s) => (
                    <option value={s.id} selected={s.id === sample.segmentId}>
                      {tr(l, `客群：${s.name}`, `Segment: ${s.name}`)}
                    </option>
                  ))}
                </select>
              </div>
              <div>
                <button type="submit" class="secondary">
                  {tr(l, '显示', 'Show')}
                </button>
              </div>
            </form>
            {sample.contactId ? (
              <>
                <div class="thumbs" id="thumbs">
                  {body.layout!.pages.map((p, i) => (
                    <figure>
                      <img
                        class="thumb"
                        src={`${base}/thumbnail.png?contactId=${sample.contactId}&page=${i + 1}&width=${THUMB_WIDTH}`}
                        alt={tr(l, `第 ${i + 1} 页：${p.name}`, `Page ${i + 1}: ${p.name}`)}
                        width={THUMB_WIDTH}
                      />
                      <figcaption class="muted">
                        {i + 1}. {p.name}
                      </figcaption>
                    </figure>
                  ))}
                </div>
                <p class="actions">
                  <a class="button" id="proof-pdf" href={`${base}/proof.pdf?${sample.proofQuery}`} target="_blank" rel="noopener">
                    {tr(l, '校样 PDF', 'Proof PDF')}
                  </a>
                  <a class="button secondary" href={`${base}/proof.pdf?${sample.proofQuery}&cropMarks=true`} target="_blank" rel="noopener">
                    {tr(l, '带裁切标记的 PDF', 'PDF with crop marks')}
                  </a>
                </p>
                {sample.segmentId && (
                  <div id="audience-check" data-api-url={`${base}/validate`} data-segment={sample.segmentId}>
                    <button type="button" class="secondary" id="check-audience">
                      {tr(l, '检查此客群的每位收件人', 'Check every recipient in this segment')}
                    </button>
                    <div id="audience-result" aria-live="polite"></div>
                  </div>
                )}
              </>
            ) : (
              <p class="muted" id="no-sample">
                {sample.segmentId
                  ? tr(l, '此客群目前没有成员，无法生成校样。', 'This segment has no members now, so there is nothing to proof.')
                  : tr(l, '还没有客户：导入名单后即可预览校样。', 'There are no contacts yet: import a list to see a proof.')}
              </p>
            )}
          </>
        )}
      </section>

      <section class="card" id="editor">
        <h2>{write ? tr(l, '编辑（保存为新版本）', 'Edit (saved as a new version)') : tr(l, '内容', 'Content')}</h2>
        <Editor c={c} id={t.id} name={t.name} body={body} version={v.version} latest={t.latestVersion} write={write} sampleContact={sample.contactId} />
      </section>

      <section class="card">
        <h2>{tr(l, '版本', 'Versions')}</h2>
        <table id="versions">
          <thead>
            <tr>
              <th class="num">{tr(l, '版本', 'Version')}</th>
              <th>{tr(l, '说明', 'Note')}</th>
              <th>{tr(l, '保存时间', 'Saved')}</th>
            </tr>
          </thead>
          <tbody>
            {versions.map((x) => (
              <tr data-version={String(x.version)}>
                <td class="num">{x.version === v.version ? <strong>{x.version}</strong> : <a href={`/app/templates/${t.id}?v=${x.version}`}>{x.version}</a>}</td>
                <td>{x.note ?? ''}</td>
                <td>{fmtTime(viewer, l, x.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </Shell>,
  );
});

/** The version's texts, SMS, email and the rest of the body as JSON; read-only without write access. */
function Editor(props: { c: WebContext; id: string; name: string; body: TemplateBody; version: number; latest: number; write: boolean; sampleContact: string | null }) {
  const { c, body, write } = props;
  const l = c.get('locale');
  const { texts, sms, email, ...rest } = body;
  // A textarea drops one newline right after its start tag: lead with one so text keeps its own.
  const area = (s: string | undefined) => `\n${s ?? ''}`;
  const attrs = write ? { 'data-api': `/v1/templates/${props.id}`, 'data-method': 'PUT', 'data-then': '/app/templates/{id}', 'data-transform': 'templateBody' } : {};
  return (
    <form id="template-form" {...attrs} data-draft={`/app/templates/${props.id}/draft`} data-contact={props.sampleContact ?? ''}>
      <fieldset disabled={!write} class="plain">
        {write && (
          <div class="row">
            <div>
              <label for="tpl-name">{tr(l, '名称', 'Name')}</label>
              <input id="tpl-name" name="name" type="text" maxlength={200} value={props.name} required />
            </div>
            <div>
              <label for="tpl-note">{tr(l, '版本说明（可选）', 'Version note (optional)')}</label>
              <input id="tpl-note" name="note" type="text" maxlength={500} placeholder={tr(l, '例如：修改了优惠信息', 'e.g. new offer wording')} />
            </div>
          </div>
        )}
        <h3>{tr(l, '文字（Handlebars）', 'Texts (Handlebars)')}</h3>
        <p class="muted">
          {tr(l, '版面中的文字框用 "@名称" 引用这些文字；可用变量如 {{contact.name}}、{{dealer.name}}。', 'Text boxes in the layout use these texts as "@name"; variables such as {{contact.name}} and {{dealer.name}} work.')}
        </p>
        <div id="texts">
          {Object.entries(texts).map(([key, src]) => (
            <div class="tpl-text">
              <label for={`text-${key}`}>@{key}</label>
              <textarea id={`text-${key}`} data-text-key={key} rows={Math.min(12, Math.max(3, src.split('\n').length + 1))} spellcheck={false}>
                {area(src)}
              </textarea>
            </div>
          ))}
        </div>
        {write && (
          <div class="row" id="add-text-row">
            <div>
              <label for="new-text-key">{tr(l, '新文字的名称', 'Name of a new text')}</label>
              <input id="new-text-key" type="text" pattern="[A-Za-z0-9_-]{1,40}" placeholder="offer_2" data-bad={tr(l, '名称只能包含字母、数字、_ 和 -（最多 40 个）', 'Use letters, digits, _ and - (at most 40)')} />
            </div>
            <div>
              <button type="button" class="secondary" id="add-text">
                {tr(l, '+ 添加文字', '+ Add text')}
              </button>
            </div>
          </div>
        )}
        <details open={!!sms}>
          <summary>{tr(l, '短信', 'SMS')}</summary>
          <label for="sms-text">{tr(l, '短信内容（留空表示无短信）', 'SMS text (empty: no SMS)')}</label>
          <textarea id="sms-text" name="sms.text" rows={3}>
            {area(sms?.text)}
          </textarea>
        </details>
        <details open={!!email}>
          <summary>{tr(l, '邮件', 'Email')}</summary>
          <label for="email-subject">{tr(l, '主题（三项都留空表示无邮件）', 'Subject (all three empty: no email)')}</label>
          <input id="email-subject" name="email.subject" type="text" value={email?.subject ?? ''} />
          <label for="email-html">HTML</label>
          <textarea id="email-html" name="email.html" rows={6}>
            {area(email?.html)}
          </textarea>
          <label for="email-text">{tr(l, '纯文本', 'Plain text')}</label>
          <textarea id="email-text" name="email.text" rows={4}>
            {area(email?.text)}
          </textarea>
        </details>
        <details>
          <summary>{tr(l, '版面、问卷和图片（JSON，高级）', 'Layout, survey and artwork (JSON, advanced)')}</summary>
          <textarea id="body-rest" rows={20} spellcheck={false}>
            {area(JSON.stringify(rest, null, 2))}
          </textarea>
        </details>
      </fieldset>
      {write && (
        <>
          <ErrorBox />
          <div class="actions">
            <button type="button" class="secondary" id="check-draft">
              {tr(l, '检查并预览草稿', 'Check and preview the draft')}
            </button>
            <button type="submit" id="save-version">
              {tr(l, `保存为第 ${props.latest + 1} 版`, `Save as version ${props.latest + 1}`)}
            </button>
          </div>
          {props.version !== props.latest && (
            <p class="muted">{tr(l, `您正在编辑第 ${props.version} 版；保存后它的内容成为最新版本。`, `You are editing version ${props.version}; saving makes its content the latest version.`)}</p>
          )}
          <div id="draft-result" aria-live="polite"></div>
        </>
      )}
    </form>
  );
}

/**
 * The editor's "Check": the draft body through the checks of
 * /v1/templates/validate (checkBody), then drawn for the sample recipient.
 */
templatePages.post('/templates/:id/draft', pageRole('admin', 'marketer'), bodyLimit({ maxSize: 1024 * 1024 }), async (c) => {
  const deps = c.get('deps');
  const dealerId = c.get('viewer').dealerId;
  const l = c.get('locale');
  const id = c.req.param('id');
  if (!isUuid(id)) return notFoundPage(c);
  await getTemplate(deps.db.orm, dealerId, id);
  let input: { body?: unknown; contactId?: unknown };
  try {
    input = (await c.req.json()) as typeof input;
  } catch {
    return fragment(c, <p class="error">{tr(l, '请求内容不是 JSON。', 'The request is not JSON.')}</p>);
  }
  let body: TemplateBody;
  try {
    body = (await checkBody(deps, dealerId, input?.body)).body;
  } catch (e) {
    if (!(e instanceof AppError) || e.status >= 500) throw e;
    const details = Array.isArray(e.details) ? (e.details as { path?: string; message?: string }[]) : [];
    return fragment(
      c,
      <div class="error" id="draft-problems" role="alert">
        <strong>{tr(l, '草稿有问题，不能保存：', 'The draft has problems and cannot be saved:')}</strong> {e.message}
        <ul>
          {details.slice(0, 50).map((d) => (
            <li data-path={d.path ?? ''}>
              <code>{d.path ?? ''}</code>: {d.message ?? ''}
            </li>
          ))}
        </ul>
      </div>,
    );
  }
  const contactId = typeof input.contactId === 'string' && isUuid(input.contactId) ? input.contactId : null;
  if (!isPrintBody(body) || !contactId) {
    return fragment(
      c,
      <div class="ok" id="draft-ok">
        {tr(l, '草稿检查通过。', 'The draft passed the checks.')} {!isPrintBody(body) ? tr(l, '（没有印刷版面可预览）', '(no print layout to preview)') : tr(l, '（没有样本客户可预览）', '(no sample contact to preview)')}
      </div>,
    );
  }
  const drawn = await thumbnails(deps, dealerId, body, contactId, THUMB_WIDTH);
  return fragment(
    c,
    <div id="draft-preview">
      <div class="ok" id="draft-ok">
        {tr(l, '草稿检查通过。以下是样本收件人的草稿预览（尚未保存）：', 'The draft passed the checks. Here it is for the sample recipient (not saved yet):')}
      </div>
      {drawn.problems.length > 0 && (
        <div class="error" id="draft-piece-problems">
          {tr(l, '此收件人的这一份会被排除出印刷：', 'This recipient’s piece would be left out of a print run:')}
          <ul>
            {drawn.problems.map((p) => (
              <li>{p}</li>
            ))}
          </ul>
        </div>
      )}
      <div class="thumbs">
        {drawn.pages.map((png, i) => (
          <figure>
            <img class="thumb" src={`data:image/png;base64,${Buffer.from(png).toString('base64')}`} alt={`${i + 1}. ${body.layout!.pages[i]!.name}`} width={THUMB_WIDTH} />
            <figcaption class="muted">
              {i + 1}. {body.layout!.pages[i]!.name}
            </figcaption>
          </figure>
        ))}
      </div>
    </div>,
  );
});

// ── style and script ──────────────────────────────────────────────────────────
const TEMPLATE_CSS = `.thumbs{display:flex;flex-wrap:wrap;gap:1rem;margin:1rem 0}.thumbs figure{margin:0}
.thumbs img.thumb{display:block;max-width:100%;height:auto;border:1px solid #c3cad5;background:#fff;box-shadow:0 1px 3px #0002}
fieldset.plain{border:0;padding:0;margin:0;min-width:0}details{margin:.8rem 0}summary{cursor:pointer;font-weight:600}
#texts textarea,#body-rest{font-family:ui-monospace,monospace}`;

const EDITOR_JS = String.raw`(() => {
  'use strict';
  const css = document.createElement('link');
  css.rel = 'stylesheet';
  css.href = '/app/static/templates.css';
  document.head.appendChild(css);
  const locale = (document.querySelector('meta[name=locale]') || {}).content || 'zh-CN';
  const say = (zh, en) => (locale === 'en' ? en : zh);

  /** The draft body: the JSON part, with the texts, SMS and email from their own fields. */
  function templateBody(body, form) {
    let rest;
    const raw = form.querySelector('#body-rest').value;
    try { rest = JSON.parse(raw); } catch (e) { throw new Error(say('版面 JSON 无效：', 'The layout JSON is not valid: ') + e.message); }
    if (!rest || typeof rest !== 'object' || Array.isArray(rest)) throw new Error(say('版面 JSON 必须是一个对象', 'The layout JSON must be an object'));
    const texts = {};
    form.querySelectorAll('textarea[data-text-key]').forEach((t) => { texts[t.dataset.textKey] = t.value; });
    const b = Object.assign({}, rest, { texts });
    delete b.sms; delete b.email;
    if (body.sms && body.sms.text && body.sms.text.trim()) b.sms = { text: body.sms.text };
    if (body.email && (body.email.subject || body.email.html || body.email.text)) b.email = body.email;
    const out = { body: b };
    if (body.name !== undefined) out.name = body.name;
    if (body.note !== undefined) out.note = body.note;
    return out;
  }
  window.staffTransforms = window.staffTransforms || {};
  window.staffTransforms.templateBody = templateBody;

  function start() {
    const form = document.getElementById('template-form');
    const add = document.getElementById('add-text');
    if (form && add) {
      add.addEventListener('click', () => {
        const input = document.getElementById('new-text-key');
        const key = input.value.trim();
        if (!/^[A-Za-z0-9_-]{1,40}$/.test(key) || form.querySelector('textarea[data-text-key="' + key + '"]')) { window.staff.showError(form, input.dataset.bad); return; }
        window.staff.clearError(form);
        const box = document.createElement('div');
        box.className = 'tpl-text';
        const label = document.createElement('label');
        label.textContent = '@' + key;
        label.htmlFor = 'text-' + key;
        const area = document.createElement('textarea');
        area.id = 'text-' + key;
        area.dataset.textKey = key;
        area.rows = 3;
        box.append(label, area);
        document.getElementById('texts').appendChild(box);
        input.value = '';
        area.focus();
      });
    }
    const check = document.getElementById('check-draft');
    if (form && check) {
      check.addEventListener('click', async () => {
        const out = document.getElementById('draft-result');
        window.staff.clearError(form);
        let draft;
        try { draft = templateBody(window.staff.formJson(form), form); } catch (e) { window.staff.showError(form, e.message); return; }
        check.disabled = true;
        out.textContent = say('检查中…', 'Checking…');
        try {
          const res = await fetch(form.dataset.draft, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json', 'x-csrf-token': window.staff.csrf(), 'x-fragment': '1' }, body: JSON.stringify({ body: draft.body, contactId: form.dataset.contact || undefined }) });
          const text = await res.text();
          if (res.ok) out.innerHTML = text;
          else { out.textContent = ''; let m = text; try { m = JSON.parse(text).error.message; } catch (e) { /* not JSON */ } window.staff.showError(form, m); }
        } catch (e) {
          out.textContent = '';
          window.staff.showError(form, e.message || String(e));
        } finally { check.disabled = false; }
      });
    }
    const audience = document.getElementById('audience-check');
    if (audience) {
      const button = document.getElementById('check-audience');
      const out = document.getElementById('audience-result');
      button.addEventListener('click', async () => {
        button.disabled = true;
        out.className = 'muted';
        out.textContent = say('检查中…', 'Checking…');
        try {
          const r = await window.staff.call('POST', audience.dataset.apiUrl, { audience: { segmentId: audience.dataset.segment } });
          out.replaceChildren();
          if (!r.ok) { out.className = 'error'; out.textContent = (r.data && r.data.error && r.data.error.message) || String(r.status); return; }
          const rec = r.data.recipients || { checked: 0, flagged: 0, examples: [] };
          out.className = rec.flagged ? 'error' : 'ok';
          const p = document.createElement('p');
          p.id = 'audience-summary';
          p.textContent = say('已检查 ' + rec.checked + ' 位收件人，' + rec.flagged + ' 位有问题（不会印刷）。', 'Checked ' + rec.checked + ' recipients; ' + rec.flagged + ' have problems (they would not be printed).');
          out.appendChild(p);
          const ul = document.createElement('ul');
          for (const ex of rec.examples.slice(0, 20)) {
            const li = document.createElement('li');
            li.textContent = ex.contactId + ': ' + ex.problems.join('; ');
            ul.appendChild(li);
          }
          if (rec.examples.length) out.appendChild(ul);
        } catch (e) {
          out.className = 'error';
          out.textContent = e.message || String(e);
        } finally { button.disabled = false; }
      });
    }
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
`;
