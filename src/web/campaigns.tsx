// Campaign pages: the list, the wizard (audience → waves and templates →
// pre-launch summary → proof approval → launch) working on one draft through
// the /v1 campaign API, and the live view of a launched campaign (each wave's
// progress, polled every two seconds, with pause, resume and cancel).
import { Hono } from 'hono';
import type { Child } from 'hono/jsx';
import type { Role } from '../http/context';
import { AppError } from '../lib/errors';
import { isUuid } from '../lib/ids';
import { campaignProgress, describeWaves, getCampaign, listCampaigns, previewCampaign, type CampaignRow } from '../campaigns/service';
import { getSegment, listSegments, previewSegment } from '../segments/service';
import { templateChannels } from '../templates/service';
import type { Viewer, WebContext, WebEnv } from './context';
import { tr, type WebLocale } from './i18n';
import { ErrorBox, fmtInt, fmtMoney, fmtTime, fragment, notFoundPage, page, pageRole, Shell, staffReaders } from './kit';

export const campaignPages = new Hono<WebEnv>();

const writers = pageRole('admin', 'marketer');
const canWrite = (role: Role) => role === 'admin' || role === 'marketer';

type Pair = [string, string];
const STATUS: Record<string, Pair> = {
  draft: ['草稿', 'Draft'],
  scheduled: ['已排期', 'Scheduled'],
  running: ['进行中', 'Running'],
  paused: ['已暂停', 'Paused'],
  completed: ['已完成', 'Completed'],
  cancelled: ['已取消', 'Cancelled'],
};
const PURPOSE: Record<string, Pair> = {
  greeting: ['节日问候', 'Greeting'],
  test_drive: ['试驾邀请', 'Test-drive invitation'],
  survey: ['满意度问卷', 'Survey'],
  service_reminder: ['保养提醒', 'Service reminder'],
};
const CHANNEL: Record<string, Pair> = { mail: ['直邮', 'Mail'], sms: ['短信', 'SMS'], email: ['邮件', 'Email'] };
const WAVE_STATUS: Record<string, Pair> = {
  pending: ['待开始', 'Not started'],
  queued: ['已排入发送队列', 'Queued'],
  printing: ['印刷中', 'Printing'],
  failed: ['失败', 'Failed'],
};
const RUN_STATUS: Record<string, Pair> = {
  queued: ['排队中', 'Queued'],
  rendering: ['生成中', 'Rendering'],
  completed: ['已生成', 'Rendered'],
  failed: ['失败', 'Failed'],
  cancelled: ['已取消', 'Cancelled'],
};
const JOB_STATUS: Record<string, Pair> = {
  pending_approval: ['待放行给印刷厂', 'Awaiting release'],
  released: ['已放行', 'Released'],
  downloaded: ['印刷厂已下载', 'Downloaded'],
  printed: ['已印刷', 'Printed'],
  mailed: ['已寄出', 'Mailed'],
};
const label = (l: WebLocale, map: Record<string, Pair>, key: string | null | undefined) => {
  if (!key) return '—';
  const p = map[key];
  return p ? tr(l, p[0], p[1]) : key;
};
const channels = (l: WebLocale, list: string[]) => (list.length ? list.map((c) => label(l, CHANNEL, c)).join(' → ') : '—');

/** A moment as a datetime-local value (YYYY-MM-DDTHH:mm) in the dealer's time zone. */
function localInput(at: Date, timeZone: string): string {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
      .formatToParts(at)
      .map((x) => [x.type, x.value]),
  );
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

/** A campaign of the viewer's dealer, or undefined (an unknown or foreign id). */
async function findCampaign(c: WebContext, id: string): Promise<CampaignRow | undefined> {
  if (!isUuid(id)) return undefined;
  try {
    return await getCampaign(c.get('deps'), c.get('viewer').dealerId, id);
  } catch (e) {
    if (e instanceof AppError && e.status === 404) return undefined;
    throw e;
  }
}

// ── the page script (waves editor, segment count, form → API body) ───────────
const WIZARD_JS = String.raw`(() => {
  'use strict';
  const locale = (document.querySelector('meta[name=locale]') || {}).content || 'zh-CN';
  const say = (zh, en) => (locale === 'en' ? en : zh);

  // Step 1: the chosen segment's member count, from the segments API.
  const seg = document.querySelector('#audience-form select[name=segmentId]');
  const count = document.getElementById('segment-count');
  if (seg && count) {
    seg.addEventListener('change', async () => {
      count.dataset.count = '';
      if (!seg.value) { count.textContent = ''; return; }
      count.textContent = say('计数中…', 'Counting…');
      try {
        const res = await fetch('/v1/segments/' + encodeURIComponent(seg.value) + '/preview?limit=0', { credentials: 'same-origin', headers: { accept: 'application/json' } });
        const data = await res.json();
        if (!res.ok) { count.textContent = (data && data.error && data.error.message) || String(res.status); return; }
        count.dataset.count = String(data.count);
        count.textContent = say('当前客群人数：', 'Members now: ') + new Intl.NumberFormat(locale).format(data.count);
      } catch (e) { count.textContent = String(e); }
    });
  }

  // Step 2: add and remove waves and A/B variants; fields that do not apply are disabled (and so not sent).
  const list = document.getElementById('waves');
  const waveTpl = document.getElementById('wave-template');
  const variantTpl = document.getElementById('variant-template');
  if (list && waveTpl && variantTpl) {
    const waves = () => Array.from(list.querySelectorAll('[data-wave]'));
    let nextWave = Math.max(-1, ...waves().map((w) => Number(w.dataset.wave))) + 1;
    const sync = (wave) => {
      const ab = wave.querySelector('[data-ab]').checked;
      wave.querySelectorAll('[data-single] select').forEach((el) => { el.disabled = ab; });
      const box = wave.querySelector('[data-variants]');
      box.hidden = !ab;
      box.querySelectorAll('input, select').forEach((el) => { el.disabled = !ab; });
      const rows = box.querySelectorAll('[data-variant]');
      rows.forEach((r, k) => {
        r.querySelector('[data-variant-label]').textContent = 'ABCD'[k];
        r.querySelector('[data-remove-variant]').hidden = rows.length <= 2;
      });
      box.querySelector('[data-add-variant]').hidden = rows.length >= 4;
      const channel = wave.querySelector('[data-channel]').value;
      wave.querySelectorAll('[data-fallback]').forEach((el) => {
        el.disabled = el.value === channel;
        if (el.disabled) el.checked = false;
      });
    };
    const renumber = () => {
      const all = waves();
      all.forEach((w, k) => {
        w.querySelector('[data-wave-no]').textContent = String(k + 1);
        w.querySelector('[data-remove-wave]').hidden = all.length <= 1;
      });
      document.getElementById('add-wave').hidden = all.length >= 10;
    };
    waves().forEach(sync);
    renumber();
    document.getElementById('add-wave').addEventListener('click', () => {
      list.insertAdjacentHTML('beforeend', waveTpl.innerHTML.split('__N__').join(String(nextWave++)));
      const all = waves();
      sync(all[all.length - 1]);
      renumber();
      all[all.length - 1].querySelector('[data-channel]').focus();
    });
    list.addEventListener('click', (ev) => {
      const wave = ev.target.closest('[data-wave]');
      if (!wave) return;
      if (ev.target.closest('[data-remove-wave]')) { wave.remove(); renumber(); return; }
      if (ev.target.closest('[data-remove-variant]')) { ev.target.closest('[data-variant]').remove(); sync(wave); return; }
      if (ev.target.closest('[data-add-variant]')) {
        const box = wave.querySelector('[data-variant-rows]');
        const next = Math.max(-1, ...Array.from(box.querySelectorAll('[data-variant]')).map((r) => Number(r.dataset.variant))) + 1;
        box.insertAdjacentHTML('beforeend', variantTpl.innerHTML.split('__N__').join(wave.dataset.wave).split('__V__').join(String(next)));
        sync(wave);
      }
    });
    list.addEventListener('change', (ev) => {
      const wave = ev.target.closest('[data-wave]');
      if (wave && (ev.target.matches('[data-ab]') || ev.target.matches('[data-channel]'))) sync(wave);
    });
  }

  // The form's fields → the campaign API's body (waves in page order; "id@version" keeps a pinned version).
  const pick = (s) => {
    const [templateId, version] = String(s || '').split('@');
    return version ? { templateId, version: Number(version) } : { templateId };
  };
  window.staffTransforms = window.staffTransforms || {};
  window.staffTransforms.campaignWaves = (body) => {
    const list = Object.values(body.waves || {}).filter(Boolean).map((w) => {
      const out = { channel: w.channel, condition: w.notResponded ? 'not_responded' : 'everyone', fallback: (w.fallback || []).filter((c) => c !== w.channel) };
      if (w.scheduledAt) out.scheduledAt = w.scheduledAt;
      if (w.ab) out.variants = Object.values(w.variants || {}).filter(Boolean).map((v) => Object.assign(pick(v.template), { percent: v.percent }));
      else if (w.template) Object.assign(out, pick(w.template));
      return out;
    });
    return { name: body.name, purpose: body.purpose, segmentId: body.segmentId, holdoutPct: body.holdoutPct, waves: list };
  };
})();
`;

campaignPages.get('/static/campaign-wizard.js', (c) => c.body(WIZARD_JS, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' }));

// ── the list ──────────────────────────────────────────────────────────────────
const PAGE = 50;

campaignPages.get('/campaigns', staffReaders, async (c) => {
  const viewer = c.get('viewer');
  const l = c.get('locale');
  const before = c.req.query('before');
  const found = await listCampaigns(c.get('deps'), viewer.dealerId, PAGE, before && isUuid(before) ? before : undefined);
  const shown = found.slice(0, PAGE);
  return page(
    c,
    <Shell c={c} title={tr(l, '营销活动', 'Campaigns')} active="campaigns">
      {canWrite(viewer.role) && (
        <p class="actions">
          <a class="button" id="new-campaign" href="/app/campaigns/new">
            {tr(l, '新建营销活动', 'New campaign')}
          </a>
        </p>
      )}
      <section class="card">
        <table id="campaigns">
          <thead>
            <tr>
              <th>{tr(l, '名称', 'Name')}</th>
              <th>{tr(l, '状态', 'Status')}</th>
              <th>{tr(l, '客群', 'Segment')}</th>
              <th>{tr(l, '波次', 'Waves')}</th>
              <th>{tr(l, '创建时间', 'Created')}</th>
              <th>{tr(l, '启动时间', 'Launched')}</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <tr data-id={r.id} data-status={r.status}>
                <td>
                  <a href={r.status === 'draft' && canWrite(viewer.role) ? `/app/campaigns/${r.id}/edit?step=audience` : `/app/campaigns/${r.id}`}>{r.name}</a>
                </td>
                <td>
                  <span class="badge">{label(l, STATUS, r.status)}</span>
                </td>
                <td>{r.segmentName ?? '—'}</td>
                <td>{channels(l, r.channels)}</td>
                <td>{fmtTime(viewer, l, r.createdAt)}</td>
                <td>{fmtTime(viewer, l, r.launchedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {shown.length === 0 && <p class="muted">{tr(l, '还没有营销活动。', 'No campaigns yet.')}</p>}
        {found.length > PAGE && (
          <p class="actions">
            <a class="button secondary" href={`/app/campaigns?before=${shown[shown.length - 1]!.id}`}>
              {tr(l, '更早的活动', 'Older campaigns')}
            </a>
          </p>
        )}
      </section>
    </Shell>,
  );
});

// ── the wizard ────────────────────────────────────────────────────────────────
const STEPS = ['audience', 'waves', 'summary', 'proof', 'launch'] as const;
type Step = (typeof STEPS)[number];
const STEP_NAMES: Record<Step, Pair> = {
  audience: ['受众', 'Audience'],
  waves: ['波次与模板', 'Waves and templates'],
  summary: ['启动前汇总', 'Pre-launch summary'],
  proof: ['校样确认', 'Proof approval'],
  launch: ['排期与启动', 'Schedule and launch'],
};

function Steps(props: { l: WebLocale; id?: string; current: Step }) {
  const { l } = props;
  return (
    <nav class="actions" id="steps" aria-label={tr(l, '步骤', 'Steps')}>
      {STEPS.map((s, k) => {
        const text = `${k + 1}. ${tr(l, STEP_NAMES[s][0], STEP_NAMES[s][1])}`;
        const cls = s === props.current ? 'button' : 'button secondary';
        return props.id ? (
          <a class={cls} href={`/app/campaigns/${props.id}/edit?step=${s}`} data-step={s} aria-current={s === props.current ? 'step' : undefined}>
            {text}
          </a>
        ) : (
          <span class={s === props.current ? cls : 'badge'} data-step={s} aria-current={s === props.current ? 'step' : undefined}>
            {text}
          </span>
        );
      })}
    </nav>
  );
}

interface TemplateChoice {
  id: string;
  name: string;
  latest: number;
  channels: string[];
}

/** The dealer's templates with the channels their latest version has content for. */
async function templateChoices(c: WebContext): Promise<TemplateChoice[]> {
  return (await templateChannels(c.get('deps').db.orm, c.get('viewer').dealerId, 500)).sort((a, b) => a.name.localeCompare(b.name));
}

function TemplateSelect(props: { l: WebLocale; name: string; choices: TemplateChoice[]; pinned?: { templateId: string; templateName: string; version: number } }) {
  const { l, choices, pinned } = props;
  const current = pinned && choices.find((t) => t.id === pinned.templateId);
  const keepOld = pinned && (!current || current.latest !== pinned.version);
  return (
    <select name={props.name}>
      <option value="">{tr(l, '— 选择模板 —', '— choose a template —')}</option>
      {keepOld && (
        <option value={`${pinned.templateId}@${pinned.version}`} selected>
          {`${pinned.templateName} · v${pinned.version} ${tr(l, '（已固定的版本）', '(pinned version)')}`}
        </option>
      )}
      {choices.map((t) => (
        <option value={t.id} selected={!keepOld && pinned?.templateId === t.id} data-channels={t.channels.join(' ')}>
          {`${t.name} · v${t.latest} · ${t.channels.map((ch) => label(l, CHANNEL, ch)).join('/') || tr(l, '无内容', 'no content')}`}
        </option>
      ))}
    </select>
  );
}

type PlannedWave = Awaited<ReturnType<typeof describeWaves>>[number];

function VariantFields(props: { l: WebLocale; n: string; v: string; choices: TemplateChoice[]; variant?: PlannedWave['templates'][number]; percent: number; disabled: boolean }) {
  const { l, n, v } = props;
  return (
    <div class="row" data-variant={v}>
      <div>
        <label>
          {tr(l, '版本 ', 'Variant ')}
          <span data-variant-label>{props.variant?.label || ''}</span>
          {tr(l, ' 的模板', ' template')}
        </label>
        <TemplateSelect l={l} name={`waves.${n}.variants.${v}.template`} choices={props.choices} pinned={props.variant} />
      </div>
      <div>
        <label>{tr(l, '占比（%）', 'Share (%)')}</label>
        <input type="number" name={`waves.${n}.variants.${v}.percent`} data-type="number" min="1" max="99" value={String(props.percent)} disabled={props.disabled} />
      </div>
      <div>
        <button type="button" class="secondary" data-remove-variant>
          {tr(l, '删除此版本', 'Remove variant')}
        </button>
      </div>
    </div>
  );
}

function WaveFields(props: { l: WebLocale; viewer: Viewer; now: Date; n: string; no: number; choices: TemplateChoice[]; wave?: PlannedWave }) {
  const { l, n, wave } = props;
  const ab = !!wave && wave.templates.length > 1;
  const channel = wave?.channel ?? 'mail';
  // A wave due at or before now starts at launch: shown empty.
  const when = wave && wave.scheduledAt.getTime() > props.now.getTime() ? localInput(wave.scheduledAt, props.viewer.timezone) : '';
  const variants = ab ? wave!.templates : [undefined, undefined];
  return (
    <section class="card" data-wave={n}>
      <h2>
        {tr(l, '第 ', 'Wave ')}
        <span data-wave-no>{String(props.no)}</span>
        {tr(l, ' 波', '')}
      </h2>
      <div class="row">
        <div>
          <label>{tr(l, '渠道', 'Channel')}</label>
          <select name={`waves.${n}.channel`} data-channel>
            {(['mail', 'sms', 'email'] as const).map((ch) => (
              <option value={ch} selected={ch === channel}>
                {label(l, CHANNEL, ch)}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label>{tr(l, `发送时间（${props.viewer.timezone}）`, `Send at (${props.viewer.timezone})`)}</label>
          <input type="datetime-local" name={`waves.${n}.scheduledAt`} value={when} />
        </div>
      </div>
      <p class="muted">{tr(l, '发送时间留空：启动时立即开始。', 'No time: the wave starts at launch.')}</p>
      <div data-single>
        <label>{tr(l, '模板', 'Template')}</label>
        <TemplateSelect l={l} name={`waves.${n}.template`} choices={props.choices} pinned={ab ? undefined : wave?.templates[0]} />
      </div>
      <label>
        <input type="checkbox" name={`waves.${n}.notResponded`} checked={wave?.condition === 'not_responded'} /> {tr(l, '仅发给尚未回应本活动的人（跟进波次）', 'Only those who have not responded to the campaign yet (a follow-up)')}
      </label>
      <label>{tr(l, '备用渠道（本渠道无法触达时依次尝试）', "Fallback channels (tried in order when the wave's channel cannot reach someone)")}</label>
      {(['sms', 'email'] as const).map((ch) => (
        <label>
          <input type="checkbox" name={`waves.${n}.fallback`} data-type="array" data-fallback value={ch} checked={!!wave?.fallback.includes(ch)} /> {label(l, CHANNEL, ch)}
        </label>
      ))}
      <label>
        <input type="checkbox" name={`waves.${n}.ab`} data-ab checked={ab} /> {tr(l, 'A/B 测试：按比例使用 2–4 个模板版本', 'A/B test: split the wave over 2–4 templates')}
      </label>
      <div data-variants hidden={!ab}>
        <div data-variant-rows>
          {variants.map((v, k) => (
            <VariantFields l={l} n={n} v={String(k)} choices={props.choices} variant={v} percent={v ? v.percent : 50} disabled={!ab} />
          ))}
        </div>
        <button type="button" class="secondary" data-add-variant>
          {tr(l, '添加版本', 'Add variant')}
        </button>
      </div>
      <div class="actions">
        <button type="button" class="secondary" data-remove-wave>
          {tr(l, '删除此波次', 'Remove this wave')}
        </button>
      </div>
    </section>
  );
}

/** The campaign's fields as hidden inputs: each step saves the whole campaign (PUT). */
function CampaignHidden(props: { campaign: CampaignRow }) {
  const k = props.campaign;
  return (
    <>
      <input type="hidden" name="name" value={k.name} />
      <input type="hidden" name="purpose" value={k.purpose} />
      <input type="hidden" name="segmentId" value={k.segmentId ?? ''} />
      <input type="hidden" name="holdoutPct" data-type="number" value={String(k.holdoutPct)} />
    </>
  );
}

/** Planned waves in the API's shape (templates pinned to their versions). */
function wavesBody(ws: PlannedWave[], now: Date) {
  return ws.map((w) => ({
    channel: w.channel,
    ...(w.templates.length > 1
      ? { variants: w.templates.map((t) => ({ templateId: t.templateId, version: t.version, percent: t.percent })) }
      : { templateId: w.templates[0]!.templateId, version: w.templates[0]!.version }),
    ...(w.scheduledAt.getTime() > now.getTime() ? { scheduledAt: w.scheduledAt.toISOString() } : {}),
    condition: w.condition,
    fallback: w.fallback,
  }));
}

async function audienceStep(c: WebContext, campaign: CampaignRow | undefined) {
  const deps = c.get('deps');
  const viewer = c.get('viewer');
  const l = c.get('locale');
  const segs = (await listSegments(deps, viewer.dealerId, { limit: 500 })).slice(0, 500).sort((a, b) => a.name.localeCompare(b.name));
  if (campaign?.segmentId && !segs.some((s) => s.id === campaign.segmentId)) {
    const cur = await getSegment(deps, viewer.dealerId, campaign.segmentId).catch(() => undefined);
    if (cur) segs.unshift(cur);
  }
  const count = campaign?.segmentId ? (await previewSegment(deps, viewer.dealerId, campaign.segmentId, 0).catch(() => undefined))?.count : undefined;
  const ws = campaign ? await describeWaves(deps, viewer.dealerId, campaign.id) : [];
  return page(
    c,
    <Shell c={c} title={campaign ? campaign.name : tr(l, '新建营销活动', 'New campaign')} active="campaigns" scripts={['campaign-wizard']}>
      <Steps l={l} id={campaign?.id} current="audience" />
      <section class="card">
        <form
          id="audience-form"
          data-api={campaign ? `/v1/campaigns/${campaign.id}` : '/v1/campaigns'}
          data-method={campaign ? 'PUT' : 'POST'}
          data-then="/app/campaigns/{id}/edit?step=waves"
        >
          <label for="c-name">{tr(l, '活动名称', 'Campaign name')}</label>
          <input id="c-name" type="text" name="name" required maxlength={200} value={campaign?.name ?? ''} />
          <label for="c-purpose">{tr(l, '目的', 'Purpose')}</label>
          <select id="c-purpose" name="purpose">
            {Object.keys(PURPOSE).map((p) => (
              <option value={p} selected={campaign?.purpose === p}>
                {label(l, PURPOSE, p)}
              </option>
            ))}
          </select>
          <label for="c-segment">{tr(l, '客群', 'Segment')}</label>
          <select id="c-segment" name="segmentId" required>
            <option value="">{tr(l, '— 选择客群 —', '— choose a segment —')}</option>
            {segs.map((s) => (
              <option value={s.id} selected={campaign?.segmentId === s.id}>
                {s.name}
              </option>
            ))}
          </select>
          <p class="muted" id="segment-count" data-count={count === undefined ? '' : String(count)}>
            {count === undefined ? '' : `${tr(l, '当前客群人数：', 'Members now: ')}${fmtInt(l, count)}`}
          </p>
          {segs.length === 0 && (
            <p class="error">
              {tr(l, '还没有客群，请先', 'There are no segments yet: ')}
              <a href="/app/segments">{tr(l, '创建客群', 'build a segment')}</a>
              {tr(l, '。', ' first.')}
            </p>
          )}
          <label for="c-holdout">{tr(l, '对照组比例（%，不联系，用于衡量效果提升）', 'Holdout (%: never contacted, to measure lift)')}</label>
          <input id="c-holdout" type="number" name="holdoutPct" data-type="number" min="0" max="50" value={String(campaign?.holdoutPct ?? 10)} />
          {campaign && <input type="hidden" name="waves" data-type="json" value={JSON.stringify(wavesBody(ws, c.get('deps').clock.now()))} />}
          <ErrorBox />
          <div class="actions">
            <button type="submit">{tr(l, '保存，下一步', 'Save and continue')}</button>
            <a class="button secondary" href="/app/campaigns">
              {tr(l, '返回列表', 'Back to the list')}
            </a>
          </div>
        </form>
      </section>
    </Shell>,
  );
}

async function wavesStep(c: WebContext, campaign: CampaignRow) {
  const deps = c.get('deps');
  const viewer = c.get('viewer');
  const l = c.get('locale');
  const now = deps.clock.now();
  const [ws, choices] = [await describeWaves(deps, viewer.dealerId, campaign.id), await templateChoices(c)];
  const shown: (PlannedWave | undefined)[] = ws.length ? ws : [undefined];
  return page(
    c,
    <Shell c={c} title={campaign.name} active="campaigns" scripts={['campaign-wizard']}>
      <Steps l={l} id={campaign.id} current="waves" />
      {choices.length === 0 && (
        <p class="error">
          {tr(l, '还没有模板，请先', 'There are no templates yet: ')}
          <a href="/app/templates">{tr(l, '创建模板', 'create a template')}</a>
          {tr(l, '。', ' first.')}
        </p>
      )}
      <form id="waves-form" data-api={`/v1/campaigns/${campaign.id}`} data-method="PUT" data-transform="campaignWaves" data-then="/app/campaigns/{id}/edit?step=summary">
        <CampaignHidden campaign={campaign} />
        <div id="waves">
          {shown.map((w, k) => (
            <WaveFields l={l} viewer={viewer} now={now} n={String(k)} no={k + 1} choices={choices} wave={w} />
          ))}
        </div>
        <template id="wave-template">
          <WaveFields l={l} viewer={viewer} now={now} n="__N__" no={0} choices={choices} />
        </template>
        <template id="variant-template">
          <VariantFields l={l} n="__N__" v="__V__" choices={choices} percent={25} disabled={false} />
        </template>
        <p class="muted">{tr(l, '修改波次后，印刷波次的校样需要重新确认。', 'Changing the waves clears the approval of print proofs.')}</p>
        <ErrorBox />
        <div class="actions">
          <button type="button" class="secondary" id="add-wave">
            {tr(l, '添加波次', 'Add a wave')}
          </button>
          <button type="submit">{tr(l, '保存，下一步', 'Save and continue')}</button>
        </div>
      </form>
    </Shell>,
  );
}

type Preview = Awaited<ReturnType<typeof previewCampaign>>;
interface PreviewWave {
  seq: number;
  channel: string;
  pieces?: number;
  householdDuplicates?: number;
  files?: number;
  reachable?: number;
  frequencyCapped?: number;
  segments?: number;
  segmentsPerMessage?: number;
  fallback?: string[];
  reachableByFallback?: number;
  fallbackSegments?: number;
  estimatedCost?: number | null;
  fallbackEstimatedCost?: number | null;
  proofApproved?: boolean;
}

/** A number cell: the raw value for scripts and tests, the formatted one for people. */
function Num(props: { k: string; v: number | null | undefined; l: WebLocale; money?: string }) {
  const text = props.money ? fmtMoney(props.l, props.v, props.money) : fmtInt(props.l, props.v);
  return (
    <td class="num" data-k={props.k} data-v={props.v == null ? '' : String(props.v)}>
      {text}
    </td>
  );
}

async function summaryStep(c: WebContext, campaign: CampaignRow) {
  const deps = c.get('deps');
  const viewer = c.get('viewer');
  const l = c.get('locale');
  const p: Preview = await previewCampaign(deps, viewer.dealerId, campaign.id);
  const ws = await describeWaves(deps, viewer.dealerId, campaign.id);
  const contacted = p.recipients - p.holdout;
  const pw = p.waves as unknown as PreviewWave[];
  const cur = p.currency;
  const u = p.unitCosts;
  const now = deps.clock.now();
  const when = (w: PlannedWave | undefined) => (!w || w.scheduledAt.getTime() <= now.getTime() ? tr(l, '启动时', 'At launch') : fmtTime(viewer, l, w.scheduledAt));
  // Cost lines: each wave's own channel, then what its first fallback adds.
  const colon = tr(l, '：', ': ');
  const lines: { k: string; what: string; units: number; unitText: string; amount: number | null | undefined }[] = [];
  for (const w of pw) {
    const name = `${tr(l, `第 ${w.seq} 波`, `Wave ${w.seq}`)} · ${label(l, CHANNEL, w.channel)}`;
    if (w.channel === 'mail') {
      lines.push({ k: `w${w.seq}`, what: `${name}${colon}${tr(l, '印刷 + 邮资', 'print + postage')}`, units: w.pieces ?? 0, unitText: u ? `${fmtMoney(l, u.printPiece, cur)} + ${fmtMoney(l, u.postagePiece, cur)} / ${tr(l, '件', 'piece')}` : '—', amount: w.estimatedCost });
    } else if (w.channel === 'sms') {
      lines.push({ k: `w${w.seq}`, what: `${name}${colon}${tr(l, '短信计费段', 'SMS segments')}`, units: w.segments ?? 0, unitText: `${fmtMoney(l, p.smsSegmentCost, cur)} / ${tr(l, '段', 'segment')}`, amount: w.estimatedCost });
    } else {
      lines.push({ k: `w${w.seq}`, what: `${name}${colon}${tr(l, '邮件', 'emails')}`, units: w.reachable ?? 0, unitText: u ? `${fmtMoney(l, u.emailMessage, cur)} / ${tr(l, '封', 'email')}` : '—', amount: w.estimatedCost });
    }
    if (w.fallbackEstimatedCost !== undefined && w.fallback?.[0]) {
      const sms = w.fallback[0] === 'sms';
      lines.push({
        k: `w${w.seq}-fallback`,
        what: `${name}${colon}${tr(l, '备用渠道', 'fallback ')}${label(l, CHANNEL, w.fallback[0])}${sms ? tr(l, '（计费段）', ' (segments)') : ''}`,
        units: sms ? w.fallbackSegments ?? 0 : w.reachableByFallback ?? 0,
        unitText: sms ? `${fmtMoney(l, p.smsSegmentCost, cur)} / ${tr(l, '段', 'segment')}` : u ? `${fmtMoney(l, u.emailMessage, cur)} / ${tr(l, '封', 'email')}` : '—',
        amount: w.fallbackEstimatedCost,
      });
    }
  }
  return page(
    c,
    <Shell c={c} title={campaign.name} active="campaigns">
      <Steps l={l} id={campaign.id} current="summary" />
      <section class="card">
        <h2>{tr(l, '受众', 'Audience')}</h2>
        <div class="stats" id="summary-audience">
          <div>
            <div class="muted">{tr(l, '客群人数（当前）', 'Segment members now')}</div>
            <div class="stat" data-k="recipients" data-v={String(p.recipients)}>{fmtInt(l, p.recipients)}</div>
          </div>
          <div>
            <div class="muted">{tr(l, `对照组（${campaign.holdoutPct}%，不联系）`, `Holdout (${campaign.holdoutPct}%, not contacted)`)}</div>
            <div class="stat" data-k="holdout" data-v={String(p.holdout)}>{fmtInt(l, p.holdout)}</div>
          </div>
          <div>
            <div class="muted">{tr(l, '待联系', 'To contact')}</div>
            <div class="stat" data-k="contacted" data-v={String(contacted)}>{fmtInt(l, contacted)}</div>
          </div>
        </div>
      </section>
      <section class="card">
        <h2>{tr(l, '各波次触达人数', 'Recipients per wave')}</h2>
        {pw.length === 0 ? (
          <p class="error">{tr(l, '还没有波次。', 'There are no waves yet.')}</p>
        ) : (
          <table id="summary-waves">
            <thead>
              <tr>
                <th>{tr(l, '波次', 'Wave')}</th>
                <th>{tr(l, '时间', 'When')}</th>
                <th class="num">{tr(l, '待联系', 'To contact')}</th>
                <th class="num">{tr(l, '可触达', 'Reached')}</th>
                <th class="num">{tr(l, '同一住户（合并为一件）', 'Same household (one piece)')}</th>
                <th class="num">{tr(l, '频次上限', 'Frequency cap')}</th>
                <th class="num">{tr(l, '无地址/号码、未同意或已退订', 'No address or number, no consent, or opted out')}</th>
                <th class="num">{tr(l, '其中由备用渠道触达', 'Of those, reached by fallback')}</th>
                <th class="num">{tr(l, '短信计费段', 'SMS segments')}</th>
                <th class="num">{tr(l, '印刷文件', 'Print files')}</th>
              </tr>
            </thead>
            <tbody>
              {pw.map((w) => {
                const plan = ws.find((x) => x.seq === w.seq);
                const reached = w.channel === 'mail' ? w.pieces ?? 0 : w.reachable ?? 0;
                const dup = w.channel === 'mail' ? w.householdDuplicates ?? 0 : 0;
                const capped = w.channel === 'mail' ? 0 : w.frequencyCapped ?? 0;
                const missing = contacted - reached - dup - capped;
                return (
                  <tr data-seq={String(w.seq)} data-channel={w.channel}>
                    <td>
                      {`${tr(l, `第 ${w.seq} 波`, `Wave ${w.seq}`)} · ${label(l, CHANNEL, w.channel)}`}
                      {plan && plan.templates.length > 1 && <div class="muted">{plan.templates.map((t) => `${t.label} ${t.percent}% ${t.templateName} v${t.version}`).join(' / ')}</div>}
                      {plan && plan.templates.length === 1 && <div class="muted">{`${plan.templates[0]!.templateName} v${plan.templates[0]!.version}`}</div>}
                      {plan?.condition === 'not_responded' && <div class="muted">{tr(l, '仅未回应者：届时已回应的人不再发送，实际人数可能更少。', 'Not responded only: those who have answered by then are skipped, so it may reach fewer.')}</div>}
                    </td>
                    <td>{when(plan)}</td>
                    <Num l={l} k={`w${w.seq}-contacted`} v={contacted} />
                    <Num l={l} k={`w${w.seq}-reached`} v={reached} />
                    {w.channel === 'mail' ? <Num l={l} k={`w${w.seq}-households`} v={dup} /> : <td class="num">—</td>}
                    {w.channel === 'mail' ? <td class="num">—</td> : <Num l={l} k={`w${w.seq}-capped`} v={capped} />}
                    <Num l={l} k={`w${w.seq}-missing`} v={missing} />
                    {w.reachableByFallback !== undefined ? (
                      <td class="num" data-k={`w${w.seq}-fallback`} data-v={String(w.reachableByFallback)}>
                        {`${fmtInt(l, w.reachableByFallback)} (${label(l, CHANNEL, w.fallback![0])})`}
                      </td>
                    ) : (
                      <td class="num">—</td>
                    )}
                    {w.channel === 'sms' ? <Num l={l} k={`w${w.seq}-segments`} v={w.segments} /> : <td class="num">—</td>}
                    {w.channel === 'mail' ? <Num l={l} k={`w${w.seq}-files`} v={w.files} /> : <td class="num">—</td>}
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        <p class="muted">
          {tr(
            l,
            '每行：可触达 + 同一住户 + 频次上限 + 无法触达 = 待联系。人数按当前客群计算，启动时冻结。',
            'Each row: reached + same household + frequency cap + unreachable = to contact. Counted on the segment as it is now; launch freezes it.',
          )}
        </p>
      </section>
      <section class="card">
        <h2>{tr(l, '费用估算', 'Cost estimate')}</h2>
        {!u && (
          <p class="muted" id="no-unit-costs">
            {tr(l, '经销商尚未设置单位成本：印刷、邮资和邮件费用无法估算，短信按系统默认单价估算。请管理员设置单位成本。', 'The dealer has no unit costs yet: print, postage and email cannot be estimated, SMS uses the default price. An admin can set unit costs.')}
          </p>
        )}
        <table id="summary-cost">
          <thead>
            <tr>
              <th>{tr(l, '项目', 'Item')}</th>
              <th class="num">{tr(l, '数量', 'Units')}</th>
              <th class="num">{tr(l, '单价', 'Unit price')}</th>
              <th class="num">{tr(l, '金额', 'Amount')}</th>
            </tr>
          </thead>
          <tbody>
            {lines.map((x) => (
              <tr>
                <td>{x.what}</td>
                <Num l={l} k={`${x.k}-units`} v={x.units} />
                <td class="num">{x.unitText}</td>
                <Num l={l} k={`${x.k}-cost`} v={x.amount} money={cur} />
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th>{tr(l, '合计', 'Total')}</th>
              <th></th>
              <th></th>
              <th class="num" data-k="total-cost" data-v={p.estimatedCost == null ? '' : String(p.estimatedCost)}>
                {fmtMoney(l, p.estimatedCost, cur)}
              </th>
            </tr>
          </tfoot>
        </table>
      </section>
      <p class="actions">
        <a class="button secondary" href={`/app/campaigns/${campaign.id}/edit?step=waves`}>
          {tr(l, '上一步', 'Back')}
        </a>
        <a class="button" href={`/app/campaigns/${campaign.id}/edit?step=proof`} id="next-step">
          {tr(l, '下一步：校样确认', 'Next: proof approval')}
        </a>
      </p>
    </Shell>,
  );
}

async function proofStep(c: WebContext, campaign: CampaignRow) {
  const deps = c.get('deps');
  const viewer = c.get('viewer');
  const l = c.get('locale');
  const prints = (await describeWaves(deps, viewer.dealerId, campaign.id)).filter((w) => w.channel === 'mail');
  return page(
    c,
    <Shell c={c} title={campaign.name} active="campaigns">
      <Steps l={l} id={campaign.id} current="proof" />
      {prints.length === 0 && (
        <section class="card">
          <p class="muted" id="no-print-waves">{tr(l, '本活动没有直邮波次，无需确认校样。', 'This campaign has no print waves: there is no proof to approve.')}</p>
        </section>
      )}
      {prints.map((w) => (
        <section class="card" data-proof-wave={String(w.seq)}>
          <h2>{`${tr(l, `第 ${w.seq} 波`, `Wave ${w.seq}`)} · ${label(l, CHANNEL, w.channel)}`}</h2>
          <ul>
            {w.templates.map((t) => (
              <li>
                {`${t.label ? `${t.label} (${t.percent}%) ` : ''}${t.templateName} v${t.version} · `}
                <a
                  href={`/v1/templates/${t.templateId}/versions/${t.version}/proof.pdf?segmentId=${campaign.segmentId}&sample=5`}
                  target="_blank"
                  rel="noopener"
                  data-proof-pdf
                >
                  {tr(l, '校样 PDF（客群中 5 位客户的样张）', 'Proof PDF (5 members of the segment)')}
                </a>
              </li>
            ))}
          </ul>
          {w.proofApprovedAt ? (
            <p class="ok" data-approved>
              {tr(l, '校样已确认：', 'Proof approved: ')}
              {fmtTime(viewer, l, w.proofApprovedAt)}
            </p>
          ) : (
            <>
              <p class="muted">{tr(l, '请检查校样的排版、称呼、地址和二维码，确认后才能启动。', 'Check the layout, salutations, addresses and QR codes in the proof; launch needs the approval.')}</p>
              <ErrorBox />
              <div class="actions">
                <button
                  type="button"
                  data-approve={String(w.seq)}
                  data-api={`/v1/campaigns/${campaign.id}/waves/${w.seq}/approve-proof`}
                  data-method="POST"
                  data-confirm={tr(l, `确认第 ${w.seq} 波的校样无误？`, `Approve the proof of wave ${w.seq}?`)}
                >
                  {tr(l, '确认校样', 'Approve the proof')}
                </button>
              </div>
            </>
          )}
        </section>
      ))}
      <p class="actions">
        <a class="button secondary" href={`/app/campaigns/${campaign.id}/edit?step=summary`}>
          {tr(l, '上一步', 'Back')}
        </a>
        <a class="button" href={`/app/campaigns/${campaign.id}/edit?step=launch`} id="next-step">
          {tr(l, '下一步：排期与启动', 'Next: schedule and launch')}
        </a>
      </p>
    </Shell>,
  );
}

async function launchStep(c: WebContext, campaign: CampaignRow) {
  const deps = c.get('deps');
  const viewer = c.get('viewer');
  const l = c.get('locale');
  const now = deps.clock.now();
  const ws = await describeWaves(deps, viewer.dealerId, campaign.id);
  const unapproved = ws.filter((w) => w.channel === 'mail' && !w.proofApprovedAt);
  const dueNow = ws.filter((w) => w.scheduledAt.getTime() <= now.getTime());
  const first = ws.length ? ws.reduce((a, b) => (a.scheduledAt <= b.scheduledAt ? a : b)) : undefined;
  const blocked = ws.length === 0 || unapproved.length > 0;
  return page(
    c,
    <Shell c={c} title={campaign.name} active="campaigns">
      <Steps l={l} id={campaign.id} current="launch" />
      <section class="card">
        <h2>{tr(l, '排期', 'Schedule')}</h2>
        <table id="schedule">
          <thead>
            <tr>
              <th>{tr(l, '波次', 'Wave')}</th>
              <th>{tr(l, '开始时间', 'Starts')}</th>
              <th>{tr(l, '条件', 'Condition')}</th>
              <th>{tr(l, '备用渠道', 'Fallback')}</th>
            </tr>
          </thead>
          <tbody>
            {ws.map((w) => (
              <tr data-seq={String(w.seq)}>
                <td>{`${tr(l, `第 ${w.seq} 波`, `Wave ${w.seq}`)} · ${label(l, CHANNEL, w.channel)} · ${w.templates.map((t) => `${t.label ? `${t.label} ` : ''}${t.templateName} v${t.version}`).join(' / ')}`}</td>
                <td>{w.scheduledAt.getTime() <= now.getTime() ? tr(l, '启动时立即开始', 'At launch') : fmtTime(viewer, l, w.scheduledAt)}</td>
                <td>{w.condition === 'not_responded' ? tr(l, '仅未回应者', 'Not responded only') : tr(l, '全部', 'Everyone')}</td>
                <td>{channels(l, w.fallback)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p class="muted">
          {tr(l, '时间为经销商时区 ', 'Times in the dealer’s time zone ')}
          {viewer.timezone}
          {tr(l, '。要改时间，请回到', '. To change them, go back to ')}
          <a href={`/app/campaigns/${campaign.id}/edit?step=waves`}>{tr(l, '波次与模板', 'waves and templates')}</a>
          {tr(l, '。', '.')}
        </p>
      </section>
      <section class="card">
        <h2>{tr(l, '启动', 'Launch')}</h2>
        {ws.length === 0 && <p class="error">{tr(l, '请先添加至少一个波次。', 'Add at least one wave first.')}</p>}
        {unapproved.length > 0 && (
          <p class="error" id="proofs-missing">
            {tr(l, `第 ${unapproved.map((w) => w.seq).join('、')} 波的校样尚未确认：`, `The proof of wave ${unapproved.map((w) => w.seq).join(', ')} is not approved yet: `)}
            <a href={`/app/campaigns/${campaign.id}/edit?step=proof`}>{tr(l, '去确认校样', 'approve the proof')}</a>
          </p>
        )}
        {!blocked && (
          <p id="launch-plan">
            {dueNow.length
              ? tr(l, `启动时冻结受众并抽取对照组；${dueNow.map((w) => `第 ${w.seq} 波`).join('、')}立即开始，其余波次按时间开始。`, `Launch freezes the audience and draws the holdout group; ${dueNow.map((w) => `wave ${w.seq}`).join(', ')} start${dueNow.length === 1 ? 's' : ''} at once, the others at their times.`)
              : tr(l, `启动时冻结受众并抽取对照组；活动进入已排期状态，第 ${first!.seq} 波于 ${fmtTime(viewer, l, first!.scheduledAt)} 开始。`, `Launch freezes the audience and draws the holdout group; the campaign is scheduled and wave ${first!.seq} starts at ${fmtTime(viewer, l, first!.scheduledAt)}.`)}
          </p>
        )}
        <ErrorBox />
        <div class="actions">
          <button
            type="button"
            id="launch"
            disabled={blocked}
            data-api={`/v1/campaigns/${campaign.id}/launch`}
            data-method="POST"
            data-confirm={tr(l, `启动营销活动“${campaign.name}”？启动后不能再修改。`, `Launch the campaign "${campaign.name}"? It cannot be changed afterwards.`)}
            data-then={`/app/campaigns/${campaign.id}`}
          >
            {dueNow.length || blocked ? tr(l, '立即启动', 'Launch now') : tr(l, '按排期启动', 'Launch on schedule')}
          </button>
          <a class="button secondary" href={`/app/campaigns/${campaign.id}/edit?step=proof`}>
            {tr(l, '上一步', 'Back')}
          </a>
        </div>
      </section>
    </Shell>,
  );
}

campaignPages.get('/campaigns/new', writers, (c) => audienceStep(c, undefined));

campaignPages.get('/campaigns/:id/edit', writers, async (c) => {
  const campaign = await findCampaign(c, c.req.param('id'));
  if (!campaign) return notFoundPage(c);
  // A launched campaign is no longer edited: its live view instead.
  if (campaign.status !== 'draft') return c.redirect(`/app/campaigns/${campaign.id}`, 303);
  const step = (STEPS as readonly string[]).includes(c.req.query('step') ?? '') ? (c.req.query('step') as Step) : 'audience';
  switch (step) {
    case 'audience':
      return audienceStep(c, campaign);
    case 'waves':
      return wavesStep(c, campaign);
    case 'summary':
      return summaryStep(c, campaign);
    case 'proof':
      return proofStep(c, campaign);
    case 'launch':
      return launchStep(c, campaign);
  }
});

// ── the live view ─────────────────────────────────────────────────────────────
type Progress = Awaited<ReturnType<typeof campaignProgress>>;
const DONE = ['completed', 'cancelled'];

/** Deliveries by status, grouped as shown: each delivery in exactly one group. */
function buckets(d: Record<string, number>) {
  const b = { pending: 0, sent: 0, delivered: 0, failed: 0, leftOut: 0, total: 0 };
  for (const [status, n] of Object.entries(d)) {
    b.total += n;
    if (status === 'pending' || status === 'sending') b.pending += n;
    else if (status === 'sent') b.sent += n;
    else if (status === 'delivered') b.delivered += n;
    else if (status === 'failed') b.failed += n;
    else b.leftOut += n;
  }
  return b;
}

function DeliveryCells(props: { l: WebLocale; k: string; d: Record<string, number> }) {
  const b = buckets(props.d);
  return (
    <>
      {(['pending', 'sent', 'delivered', 'failed', 'leftOut', 'total'] as const).map((key) => (
        <Num l={props.l} k={`${props.k}-${key}`} v={b[key]} />
      ))}
    </>
  );
}

function ProgressView(props: { l: WebLocale; viewer: Viewer; now: Date; campaign: CampaignRow; progress: Progress }) {
  const { l, viewer, campaign, progress } = props;
  const done = DONE.includes(campaign.status);
  const a = progress.audience;
  return (
    <div id="progress-body" data-status={campaign.status} data-state={campaign.status}>
      <div class="stats">
        <div>
          <div class="muted">{tr(l, '状态', 'Status')}</div>
          <div class="stat" id="campaign-status">{label(l, STATUS, campaign.status)}</div>
        </div>
        <div>
          <div class="muted">{tr(l, '受众（已冻结）', 'Audience (frozen)')}</div>
          <div class="stat" data-k="recipients" data-v={String(a.recipients)}>{fmtInt(l, a.recipients)}</div>
        </div>
        <div>
          <div class="muted">{tr(l, '对照组', 'Holdout')}</div>
          <div class="stat" data-k="holdout" data-v={String(a.holdout)}>{fmtInt(l, a.holdout)}</div>
        </div>
        <div>
          <div class="muted">{tr(l, '联系对象', 'Contacted')}</div>
          <div class="stat" data-k="contacted" data-v={String(a.recipients - a.holdout)}>{fmtInt(l, a.recipients - a.holdout)}</div>
        </div>
      </div>
      <h2>{tr(l, '波次', 'Waves')}</h2>
      <table id="wave-progress">
        <thead>
          <tr>
            <th>{tr(l, '波次', 'Wave')}</th>
            <th>{tr(l, '开始时间', 'Starts')}</th>
            <th>{tr(l, '波次状态', 'Wave status')}</th>
            <th class="num">{tr(l, '待发送', 'Pending')}</th>
            <th class="num">{tr(l, '已发送', 'Sent')}</th>
            <th class="num">{tr(l, '已送达', 'Delivered')}</th>
            <th class="num">{tr(l, '失败', 'Failed')}</th>
            <th class="num">{tr(l, '未发送（退订/跳过）', 'Left out')}</th>
            <th class="num">{tr(l, '合计', 'Total')}</th>
          </tr>
        </thead>
        <tbody>
          {progress.waves.map((w) => (
            <>
              <tr data-seq={String(w.seq)} data-wave-status={w.status}>
                <td>{`${tr(l, `第 ${w.seq} 波`, `Wave ${w.seq}`)} · ${label(l, CHANNEL, w.channel)}${w.condition === 'not_responded' ? tr(l, '（仅未回应者）', ' (not responded only)') : ''}`}</td>
                <td>{fmtTime(viewer, l, w.scheduledAt)}</td>
                <td>{label(l, WAVE_STATUS, w.status)}</td>
                <DeliveryCells l={l} k={`w${w.seq}`} d={w.deliveries} />
              </tr>
              {(w.variants ?? []).map((v) => (
                <tr data-seq={String(w.seq)} data-variant={v.label}>
                  <td class="muted">{`　${tr(l, '版本', 'Variant')} ${v.label} (${v.percent}%)`}</td>
                  <td></td>
                  <td></td>
                  <DeliveryCells l={l} k={`w${w.seq}${v.label}`} d={v.deliveries} />
                </tr>
              ))}
              {w.printRuns.map((r) => (
                <tr data-seq={String(w.seq)} data-print-run={r.id}>
                  <td class="muted">{`　${tr(l, '印刷任务', 'Print run')}${r.variant ? ` ${r.variant}` : ''}`}</td>
                  <td></td>
                  <td data-run-status={r.status}>
                    {label(l, RUN_STATUS, r.status)}
                    {r.jobStatus && ` · ${label(l, JOB_STATUS, r.jobStatus)}`}
                  </td>
                  <td class="muted" colspan={6}>
                    {tr(l, '已生成 ', 'Pieces ')}
                    <span data-k={`run-${r.id}-rendered`} data-v={String(r.piecesRendered)}>{fmtInt(l, r.piecesRendered)}</span>
                    {tr(l, ' 件，排除 ', ', left out ')}
                    <span data-k={`run-${r.id}-excluded`} data-v={String(r.piecesExcluded)}>{fmtInt(l, r.piecesExcluded)}</span>
                    {tr(l, ' 件', '')}
                  </td>
                </tr>
              ))}
            </>
          ))}
        </tbody>
      </table>
      <p class="muted">
        {tr(
          l,
          '待发送 + 已发送 + 已送达 + 失败 + 未发送 = 合计。直邮波次的件数见其印刷任务；其发送数为备用渠道的消息。',
          'Pending + sent + delivered + failed + left out = total. A print wave counts its pieces in its print runs; its deliveries are its fallback messages.',
        )}
      </p>
      {done && (
        <p class="muted" data-done>
          {campaign.status === 'completed' ? tr(l, '活动已完成。', 'The campaign is completed.') : tr(l, '活动已取消。', 'The campaign is cancelled.')}
          {campaign.finishedAt && ` ${fmtTime(viewer, l, campaign.finishedAt)}`}
        </p>
      )}
    </div>
  );
}

campaignPages.get('/campaigns/:id/progress', staffReaders, async (c) => {
  const campaign = await findCampaign(c, c.req.param('id'));
  if (!campaign) return c.json({ error: { code: 'not_found', message: 'campaign not found', details: null } }, 404);
  const deps = c.get('deps');
  return fragment(c, <ProgressView l={c.get('locale')} viewer={c.get('viewer')} now={deps.clock.now()} campaign={campaign} progress={await campaignProgress(deps, campaign.id)} />);
});

campaignPages.get('/campaigns/:id', staffReaders, async (c) => {
  const campaign = await findCampaign(c, c.req.param('id'));
  if (!campaign) return notFoundPage(c);
  const deps = c.get('deps');
  const viewer = c.get('viewer');
  const l = c.get('locale');
  const writer = canWrite(viewer.role);
  const segment = campaign.segmentId ? await getSegment(deps, viewer.dealerId, campaign.segmentId).catch(() => undefined) : undefined;
  const s = campaign.status;
  const control = (action: 'pause' | 'resume' | 'cancel', text: string, confirmText: string, cls?: string): Child => (
    <button type="button" id={`${action}-campaign`} class={cls} data-api={`/v1/campaigns/${campaign.id}/${action}`} data-method="POST" data-confirm={confirmText}>
      {text}
    </button>
  );
  return page(
    c,
    <Shell c={c} title={campaign.name} active="campaigns">
      <section class="card">
        <p>
          <span class="badge" id="status-badge" data-status={s}>
            {label(l, STATUS, s)}
          </span>{' '}
          {label(l, PURPOSE, campaign.purpose)} · {tr(l, '客群：', 'Segment: ')}
          {segment?.name ?? '—'} · {tr(l, '对照组 ', 'Holdout ')}
          {campaign.holdoutPct}%
        </p>
        <p class="muted">
          {tr(l, '创建于 ', 'Created ')}
          {fmtTime(viewer, l, campaign.createdAt)}
          {campaign.launchedAt && ` · ${tr(l, '启动于 ', 'launched ')}${fmtTime(viewer, l, campaign.launchedAt)}`}
          {campaign.finishedAt && ` · ${tr(l, '结束于 ', 'finished ')}${fmtTime(viewer, l, campaign.finishedAt)}`}
        </p>
        <div class="actions">
          {s === 'draft' && writer && (
            <a class="button" href={`/app/campaigns/${campaign.id}/edit?step=audience`} id="edit-campaign">
              {tr(l, '继续编辑', 'Continue editing')}
            </a>
          )}
          {s !== 'draft' && (
            <a class="button secondary" href={`/app/reports/${campaign.id}`} id="campaign-report">
              {tr(l, '效果报表', 'Campaign report')}
            </a>
          )}
          <a class="button secondary" href="/app/campaigns">
            {tr(l, '返回列表', 'Back to the list')}
          </a>
        </div>
      </section>
      {writer && !DONE.includes(s) && (
        <section class="card" id="controls">
          <ErrorBox />
          <div class="actions">
            {(s === 'scheduled' || s === 'running') && control('pause', tr(l, '暂停', 'Pause'), tr(l, '暂停活动？已领取的消息在约一秒内停止发送。', 'Pause the campaign? Messages already claimed stop within about a second.'), 'secondary')}
            {s === 'paused' && control('resume', tr(l, '恢复', 'Resume'), tr(l, '恢复活动？', 'Resume the campaign?'))}
            {control('cancel', tr(l, '取消活动', 'Cancel the campaign'), tr(l, '取消活动？未发送的消息和未完成的印刷将不再进行，且不能恢复。', 'Cancel the campaign? Messages not yet sent and print runs not finished stop for good.'), 'danger')}
          </div>
        </section>
      )}
      {s === 'draft' ? (
        <section class="card">
          <p class="muted">{tr(l, '草稿尚未启动，没有发送进度。', 'The draft is not launched yet: there is no progress to show.')}</p>
        </section>
      ) : (
        <section class="card">
          <div id="progress" data-poll={`/app/campaigns/${campaign.id}/progress`} data-every="2000" data-state={campaign.status} aria-live="polite">
            <ProgressView l={l} viewer={viewer} now={deps.clock.now()} campaign={campaign} progress={await campaignProgress(deps, campaign.id)} />
          </div>
        </section>
      )}
    </Shell>,
  );
});
