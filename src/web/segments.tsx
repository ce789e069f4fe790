// Segments: the dealer's saved audiences, and the rule builder. The builder
// (segment-builder.js below) turns rows of conditions into the rule language
// of src/segments/rules.ts; as the rule changes, the page posts it to
// /app/segments/preview, which checks it with the same validator as the API
// and answers with the live count and the first members, or with each problem
// at its place in the rule. Saving goes through /v1/segments.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { CHANNELS } from '../contacts/types';
import { formatPath } from '../lib/errors';
import { isUuid } from '../lib/ids';
import {
  FIELD_NAMES,
  FIELDS,
  HAS_TARGETS,
  MAX_LIST,
  MAX_TEXT,
  opsFor,
  ruleIssues,
  UNITS,
  valueKind,
  type FieldName,
  type Op,
  type Rule,
  type RuleIssue,
  type ValueKind,
} from '../segments/rules';
import { getSegment, listSegments, previewRule, previewSegment, type SampleContact, type SegmentRow } from '../segments/service';
import type { WebContext, WebEnv } from './context';
import { tr, words, type WebLocale } from './i18n';
import { ErrorBox, fmtInt, fmtTime, fragment, notFoundPage, page, pageRole, Shell, staffReaders } from './kit';

export const segmentPages = new Hono<WebEnv>();

const canWrite = (c: WebContext) => ['admin', 'marketer'].includes(c.get('viewer').role);
/** How many members the editor shows under the count. */
export const SAMPLE_SIZE = 10;
const PAGE = 50;

// ── words for the rule language ───────────────────────────────────────────────
type Pair = [string, string];

const FIELD_LABELS: Record<FieldName, Pair> = {
  kind: ['客户类型', 'Contact kind'],
  gender: ['性别', 'Gender'],
  tier: ['会员等级', 'Tier'],
  club: ['车友会', 'Club'],
  language: ['语言', 'Language'],
  country: ['国家', 'Country'],
  province: ['省份', 'Province'],
  city: ['城市', 'City'],
  district: ['区县', 'District'],
  postcode: ['邮编', 'Postcode'],
  company: ['公司', 'Company'],
  title: ['称谓', 'Title'],
  job_title: ['职位', 'Job title'],
  birthday: ['生日', 'Birthday'],
  join_date: ['入会日期', 'Join date'],
  created_at: ['建档日期', 'Added on'],
  fleet_size: ['车队规模', 'Fleet size'],
  'vehicle.make': ['车辆品牌', 'Vehicle make'],
  'vehicle.model': ['车型', 'Vehicle model'],
  'vehicle.vin': ['车架号', 'VIN'],
  'vehicle.purchase_date': ['购车日期', 'Purchase date'],
  'vehicle.last_service_date': ['最近保养日期', 'Last service date'],
  'vehicle.insurance_expiry': ['保险到期日', 'Insurance expiry'],
  'vehicle.mileage_km': ['行驶里程（公里）', 'Mileage (km)'],
};

const OP_LABELS: Record<Op, Pair> = {
  eq: ['等于', 'is'],
  neq: ['不等于', 'is not'],
  in: ['是其中之一', 'is one of'],
  not_in: ['不是其中任何一个', 'is none of'],
  starts_with: ['开头是', 'starts with'],
  contains: ['包含', 'contains'],
  is_empty: ['为空', 'is empty'],
  is_not_empty: ['不为空', 'is not empty'],
  lt: ['小于', 'less than'],
  lte: ['不超过', 'at most'],
  gt: ['大于', 'more than'],
  gte: ['至少', 'at least'],
  between: ['介于', 'between'],
  on: ['是（日期）', 'on'],
  before: ['早于', 'before'],
  after: ['晚于', 'after'],
  more_than_ago: ['在…之前（超过）', 'more than … ago'],
  less_than_ago: ['在…之内（不到）', 'less than … ago'],
  within_last: ['过去…以内', 'within the last'],
  within_next: ['未来…以内', 'within the next'],
  more_than_ahead: ['在…之后（超过）', 'more than … from now'],
  month_is: ['月份是', 'month is'],
  anniversary_within_next: ['周年日在未来…以内', 'anniversary within the next'],
};

const VALUE_LABELS: Record<string, Pair> = {
  prior_owner: ['老车主', 'Prior owner'],
  corporate: ['企业客户', 'Corporate'],
  club_member: ['车友会会员', 'Club member'],
  prospect: ['潜在客户', 'Prospect'],
  male: ['男', 'Male'],
  female: ['女', 'Female'],
};

const UNIT_LABELS: Record<(typeof UNITS)[number], Pair> = { day: ['天', 'days'], week: ['周', 'weeks'], month: ['个月', 'months'], year: ['年', 'years'] };

const CHANNEL_LABELS: Record<(typeof CHANNELS)[number], Pair> = { mail: ['直邮', 'mail'], sms: ['短信', 'SMS'], email: ['邮件', 'email'] };
const HAS_LABELS: Record<(typeof HAS_TARGETS)[number], Pair> = { phone: ['手机号', 'a phone number'], email: ['邮箱', 'an email address'], postal_address: ['邮寄地址', 'a postal address'] };

/** The conditions that are not field comparisons: {consent: 'sms'} and the like. */
const ATOMS = {
  reachable: { label: ['可触达（地址、许可、未屏蔽）', 'Reachable by'] as Pair, values: CHANNELS, labels: CHANNEL_LABELS },
  consent: { label: ['已同意接收', 'Has consent for'] as Pair, values: CHANNELS, labels: CHANNEL_LABELS },
  not_suppressed: { label: ['未被屏蔽', 'Not suppressed for'] as Pair, values: CHANNELS, labels: CHANNEL_LABELS },
  has: { label: ['有联系方式', 'Has'] as Pair, values: HAS_TARGETS, labels: HAS_LABELS },
} as const;
type AtomName = keyof typeof ATOMS;

const monthName = (l: WebLocale, m: number) => (l === 'en' ? new Intl.DateTimeFormat('en', { month: 'short', timeZone: 'UTC' }).format(Date.UTC(2000, m - 1, 1)) : `${m}月`);
const t2 = (l: WebLocale, p: Pair) => tr(l, p[0], p[1]);

/**
 * What the builder script needs to draw its rows, from the rule language
 * itself: every field with its type, operators and the value each operator
 * takes, the other conditions, units and months, in the page's language.
 */
export function builderCatalog(l: WebLocale) {
  const fields = FIELD_NAMES.map((name) => {
    const spec = FIELDS[name] as { type: 'text' | 'enum' | 'number' | 'date'; values?: readonly string[]; vehicle?: true };
    return {
      name,
      label: t2(l, FIELD_LABELS[name]),
      group: spec.vehicle ? 'vehicle' : 'contact',
      values: spec.values?.map((v) => ({ v, label: VALUE_LABELS[v] ? t2(l, VALUE_LABELS[v]) : v })),
      ops: opsFor(name).map((op) => ({ op, label: t2(l, OP_LABELS[op]), kind: valueKind(spec.type, op) })),
    };
  });
  const atoms = (Object.keys(ATOMS) as AtomName[]).map((name) => ({
    name,
    label: t2(l, ATOMS[name].label),
    group: 'reach',
    atom: true,
    values: ATOMS[name].values.map((v) => ({ v, label: t2(l, (ATOMS[name].labels as Record<string, Pair>)[v]!) })),
    ops: [{ op: '', label: '', kind: 'choice' }],
  }));
  return {
    fields: [...fields, ...atoms],
    groups: { contact: tr(l, '客户', 'Contact'), vehicle: tr(l, '车辆（任一辆）', 'Vehicle (any)'), reach: tr(l, '触达与许可', 'Reach and permission') },
    units: UNITS.map((u) => ({ v: u, label: t2(l, UNIT_LABELS[u]) })),
    months: Array.from({ length: 12 }, (_, i) => ({ v: i + 1, label: monthName(l, i + 1) })),
    text: {
      all: tr(l, '满足以下全部条件', 'all of these'),
      any: tr(l, '满足以下任一条件', 'any of these'),
      vehicle: tr(l, '同一辆车满足全部条件', 'one vehicle meets all of these'),
      not: tr(l, '排除', 'not'),
      match: tr(l, '客户需', 'Contacts matching'),
      addCondition: tr(l, '+ 添加条件', '+ Add condition'),
      addGroup: tr(l, '+ 添加条件组', '+ Add group'),
      remove: tr(l, '删除', 'Remove'),
      removeGroup: tr(l, '删除条件组', 'Remove group'),
      listHint: tr(l, '用逗号分隔', 'separated by commas'),
      and: tr(l, '至', 'to'),
      needOne: tr(l, '请至少添加一个条件。', 'Add at least one condition.'),
      badJson: tr(l, '规则 JSON 无效：', 'The rule JSON is not valid: '),
      cannotShow: tr(l, '此规则使用了条件构建器无法显示的结构，请在 JSON 中编辑。', 'This rule uses a structure the builder cannot show; edit it as JSON.'),
    },
  };
}

// ── a rule in words ───────────────────────────────────────────────────────────
function valueWords(l: WebLocale, field: FieldName, op: Op, value: unknown): string {
  const list = (xs: unknown[]) => xs.map((x) => (typeof x === 'string' && VALUE_LABELS[x] ? t2(l, VALUE_LABELS[x]) : String(x))).join(tr(l, '、', ', '));
  if (value === undefined) return '';
  if (op === 'month_is') return list((Array.isArray(value) ? value : [value]).map((m) => monthName(l, Number(m))));
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && 'amount' in value) {
    const v = value as { amount: number; unit: keyof typeof UNIT_LABELS };
    return `${v.amount} ${UNIT_LABELS[v.unit] ? t2(l, UNIT_LABELS[v.unit]) : v.unit}`;
  }
  if (op === 'between' && Array.isArray(value)) return `${value[0]} ${tr(l, '至', 'to')} ${value[1]}`;
  if (Array.isArray(value)) return list(value);
  return typeof value === 'string' && FIELDS[field].type === 'enum' && VALUE_LABELS[value] ? t2(l, VALUE_LABELS[value]) : String(value);
}

/** A rule as one line of words ("(Contact kind is Prior owner and Purchase date more than … ago 3 years)"). */
export function describeRule(l: WebLocale, rule: Rule, top = true): string {
  const r = rule as Record<string, unknown>;
  const join = (xs: Rule[], word: string) => {
    const s = xs.map((x) => describeRule(l, x, false)).join(word);
    return top || xs.length < 2 ? s : `(${s})`;
  };
  if (Array.isArray(r.and)) return join(r.and as Rule[], tr(l, ' 且 ', ' and '));
  if (Array.isArray(r.or)) return join(r.or as Rule[], tr(l, ' 或 ', ' or '));
  if (r.not !== undefined) return `${tr(l, '排除', 'not')} (${describeRule(l, r.not as Rule, true)})`;
  if (r.any_vehicle !== undefined) return `${tr(l, '同一辆车：', 'one vehicle: ')}(${describeRule(l, r.any_vehicle as Rule, true)})`;
  if (typeof r.field === 'string' && r.field in FIELD_LABELS) {
    const f = r.field as FieldName;
    const op = r.op as Op;
    const v = valueWords(l, f, op, r.value);
    return [t2(l, FIELD_LABELS[f]), OP_LABELS[op] ? t2(l, OP_LABELS[op]) : String(op), v].filter(Boolean).join(' ');
  }
  for (const name of Object.keys(ATOMS) as AtomName[]) {
    if (typeof r[name] === 'string') {
      const labels = ATOMS[name].labels as Record<string, Pair>;
      const v = r[name] as string;
      return `${t2(l, ATOMS[name].label)} ${labels[v] ? t2(l, labels[v]!) : v}`;
    }
  }
  return JSON.stringify(rule);
}

const clip = (s: string, n = 160) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

// ── where a problem is, in words ──────────────────────────────────────────────
/** "Condition 2 › value" for ['and', 1, 'value']: the builder's rows, counted from 1. */
export function placeOf(l: WebLocale, path: PropertyKey[]): string {
  const parts: string[] = [];
  let depth = 0;
  for (let i = 0; i < path.length; i++) {
    const p = path[i];
    if (typeof p === 'number') {
      parts.push(depth === 0 ? tr(l, `第 ${p + 1} 项`, `item ${p + 1}`) : tr(l, `其中第 ${p + 1} 项`, `its item ${p + 1}`));
      depth++;
    } else if (p === 'field') parts.push(tr(l, '字段', 'field'));
    else if (p === 'op') parts.push(tr(l, '条件', 'operator'));
    else if (p === 'value') parts.push(tr(l, '值', 'value'));
    else if (p === 'not') parts.push(tr(l, '排除', 'not'));
    else if (p === 'any_vehicle') parts.push(tr(l, '同一辆车', 'same vehicle'));
  }
  return parts.length ? parts.join(' › ') : tr(l, '整个规则', 'the whole rule');
}

/** What a condition's value must be, in Chinese (the English is the API's message). */
const VALUE_TAKES_ZH: Record<Exclude<ValueKind, 'none'>, string> = {
  text: `一段文字（1 至 ${MAX_TEXT} 字）`,
  textList: `1 至 ${MAX_LIST} 项文字`,
  number: '一个数字',
  numberRange: '两个数字，小的在前',
  date: '一个日期（年-月-日）',
  dateRange: '两个日期，早的在前',
  relative: '一个不小于 0 的整数和单位（天、周、月、年）',
  months: '1 至 12 月中的一个或几个月',
  anniversary: '0 至 366 天（或同样长的周、月）',
};
/** zod's reasons for a wrong part of a value (src/segments/rules.ts), in Chinese. */
const VALUE_REASONS_ZH: Record<string, string> = {
  'not a calendar date': '不是有效的日期',
  'the first number is larger than the second': '第一个数比第二个大',
  'the first date is after the second': '第一个日期晚于第二个',
  'the amount is more than 100 years': '超过 100 年',
  'the window is longer than a year': '超过一年',
};

function problemText(l: WebLocale, i: RuleIssue): string {
  if (l === 'en' || !i.value) return i.message;
  const takes = VALUE_TAKES_ZH[i.value.kind];
  if (i.value.missing) return `缺少值，请填写${takes}`;
  const reason = i.value.reason ? VALUE_REASONS_ZH[i.value.reason] : undefined;
  return `值不对${reason ? `（${reason}）` : ''}，应为${takes}`;
}

function RuleProblems(props: { l: WebLocale; issues: RuleIssue[] }) {
  const { l } = props;
  return (
    <div id="rule-problems" class="error" role="alert">
      <strong>{tr(l, '规则有误，无法计数：', 'The rule is not valid, so nothing is counted:')}</strong>
      <ul>
        {props.issues.map((i) => (
          <li data-path={i.path.map(String).join('.')}>
            {placeOf(l, i.path)} <code>{formatPath(i.path, 'rule')}</code>: {problemText(l, i)}
          </li>
        ))}
      </ul>
    </div>
  );
}

function kindLabel(l: WebLocale, k: string) {
  return VALUE_LABELS[k] ? t2(l, VALUE_LABELS[k]) : k;
}

function PreviewResult(props: { l: WebLocale; count: number; sample: SampleContact[] }) {
  const { l, count, sample } = props;
  return (
    <div id="rule-result">
      <p>
        <span class="stat" id="live-count" data-count={String(count)}>
          {fmtInt(l, count)}
        </span>{' '}
        {tr(l, '位客户符合条件', count === 1 ? 'contact matches' : 'contacts match')}
      </p>
      {sample.length > 0 && (
        <>
          <p class="muted">{tr(l, `前 ${sample.length} 位（按编号）：`, `The first ${sample.length} (by id):`)}</p>
          <table id="sample">
            <thead>
              <tr>
                <th>{tr(l, '姓名 / 公司', 'Name / company')}</th>
                <th>{tr(l, '类型', 'Kind')}</th>
                <th>{tr(l, '城市', 'City')}</th>
                <th>{tr(l, '邮编', 'Postcode')}</th>
                <th>{tr(l, '等级', 'Tier')}</th>
              </tr>
            </thead>
            <tbody>
              {sample.map((s) => (
                <tr data-contact={s.id}>
                  <td>{s.fullName ?? s.company ?? '—'}</td>
                  <td>{kindLabel(l, s.kind)}</td>
                  <td>{s.city ?? '—'}</td>
                  <td>{s.postcode ?? '—'}</td>
                  <td>{s.tier ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}

// ── pages ─────────────────────────────────────────────────────────────────────
segmentPages.get('/static/segment-builder.js', (c) => c.body(BUILDER_JS, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' }));
segmentPages.get('/static/segments.css', (c) => c.body(SEGMENT_CSS, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'no-cache' }));

segmentPages.get('/segments', staffReaders, async (c) => {
  const deps = c.get('deps');
  const viewer = c.get('viewer');
  const l = c.get('locale');
  const after = c.req.query('after');
  const archived = c.req.query('archived') === 'true';
  const found = await listSegments(deps, viewer.dealerId, { limit: PAGE, after: after && isUuid(after) ? after : undefined, includeArchived: archived });
  const shown = found.slice(0, PAGE);
  const more = found.length > PAGE;
  return page(
    c,
    <Shell c={c} title={tr(l, '客群', 'Segments')} active="segments">
      <section class="card">
        <div class="actions">
          {canWrite(c) && (
            <a class="button" href="/app/segments/new" id="new-segment">
              {tr(l, '新建客群', 'New segment')}
            </a>
          )}
          <a class="button secondary" href={archived ? '/app/segments' : '/app/segments?archived=true'}>
            {archived ? tr(l, '隐藏已归档', 'Hide archived') : tr(l, '显示已归档', 'Show archived')}
          </a>
        </div>
        <table id="segments">
          <thead>
            <tr>
              <th>{tr(l, '名称', 'Name')}</th>
              <th>{tr(l, '规则', 'Rule')}</th>
              <th class="num">{tr(l, '当前人数', 'Members now')}</th>
              <th>{tr(l, '创建时间', 'Created')}</th>
              <th>{tr(l, '修改时间', 'Changed')}</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((s) => (
              <tr data-segment={s.id}>
                <td>
                  <a href={`/app/segments/${s.id}`}>{s.name}</a> {s.archived && <span class="badge">{tr(l, '已归档', 'archived')}</span>}
                </td>
                <td class="muted">{clip(describeRule(l, s.rule as Rule))}</td>
                <td class="num" data-poll={`/app/segments/${s.id}/count`} data-every="200">
                  <span class="muted">…</span>
                </td>
                <td>{fmtTime(viewer, l, s.createdAt)}</td>
                <td>{fmtTime(viewer, l, s.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {shown.length === 0 && <p class="muted" id="no-segments">{tr(l, '还没有客群。', 'No segments yet.')}</p>}
        {more && (
          <p class="actions">
            <a class="button secondary" href={`/app/segments?after=${shown[shown.length - 1]!.id}${archived ? '&archived=true' : ''}`}>
              {words(l).next}
            </a>
          </p>
        )}
      </section>
    </Shell>,
  );
});

/** One segment's member count now, for the list (polled once). */
segmentPages.get('/segments/:id/count', staffReaders, async (c) => {
  const l = c.get('locale');
  const id = c.req.param('id');
  if (!isUuid(id)) return fragment(c, <span data-done>—</span>);
  try {
    const r = await previewSegment(c.get('deps'), c.get('viewer').dealerId, id, 0);
    return fragment(c, <span data-done data-count={String(r.count)}>{fmtInt(l, r.count)}</span>);
  } catch {
    return fragment(c, <span data-done>—</span>);
  }
});

segmentPages.get('/segments/new', pageRole('admin', 'marketer'), (c) => editorPage(c, null));

segmentPages.get('/segments/:id', staffReaders, async (c) => {
  const id = c.req.param('id');
  if (!isUuid(id)) return notFoundPage(c);
  const seg = await getSegment(c.get('deps'), c.get('viewer').dealerId, id);
  return editorPage(c, seg);
});

/** The live count: the rule checked as the API checks it, then counted and sampled as the API does. */
segmentPages.post('/segments/preview', staffReaders, bodyLimit({ maxSize: 256 * 1024 }), async (c) => {
  const l = c.get('locale');
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    return fragment(c, <p class="error">{tr(l, '请求内容不是 JSON。', 'The request is not JSON.')}</p>);
  }
  const rule = typeof body === 'object' && body !== null ? (body as { rule?: unknown }).rule : undefined;
  const issues = ruleIssues(rule);
  if (issues.length) return fragment(c, <RuleProblems l={l} issues={issues} />);
  const r = await previewRule(c.get('deps'), c.get('viewer').dealerId, rule, SAMPLE_SIZE);
  return fragment(c, <PreviewResult l={l} count={r.count} sample={r.sample} />);
});

/** New segment (seg null) or an existing one: the same form; managers see it read-only. */
function editorPage(c: WebContext, seg: SegmentRow | null) {
  const l = c.get('locale');
  const viewer = c.get('viewer');
  const write = canWrite(c) && !seg?.archived;
  const initial = seg ? (seg.rule as Rule) : null;
  const title = seg ? seg.name : tr(l, '新建客群', 'New segment');
  const apiAttrs = write
    ? seg
      ? { 'data-api': `/v1/segments/${seg.id}`, 'data-method': 'PUT', 'data-then': '/app/segments/{id}' }
      : { 'data-api': '/v1/segments', 'data-method': 'POST', 'data-then': '/app/segments/{id}' }
    : {};
  return page(
    c,
    <Shell c={c} title={title} active="segments" scripts={['segment-builder']}>
      <p>
        <a href="/app/segments">← {tr(l, '全部客群', 'All segments')}</a>
      </p>
      {seg && (
        <p class="muted" id="segment-meta">
          {tr(l, '创建于 ', 'Created ')}
          {fmtTime(viewer, l, seg.createdAt)} · {tr(l, '修改于 ', 'changed ')}
          {fmtTime(viewer, l, seg.updatedAt)}
          {seg.archived && (
            <>
              {' '}
              <span class="badge">{tr(l, '已归档', 'archived')}</span>
            </>
          )}
        </p>
      )}
      {initial && (
        <p id="rule-summary">
          {tr(l, '规则：', 'Rule: ')}
          {describeRule(l, initial)}
        </p>
      )}
      {!write && (
        <p class="muted" id="read-only">
          {seg?.archived ? tr(l, '已归档的客群不能修改。', 'An archived segment cannot be changed.') : tr(l, '您的角色只能查看客群。', 'Your role can view segments but not change them.')}
        </p>
      )}
      <form id="segment-form" data-live="/app/segments/preview" data-target="#rule-preview" data-transform="segmentRule" {...apiAttrs}>
        <section class="card">
          <label for="seg-name">{tr(l, '名称', 'Name')}</label>
          <input id="seg-name" name="name" type="text" maxlength={200} required value={seg?.name ?? ''} disabled={!write} />
          <label for="seg-description">{tr(l, '说明（可选）', 'Description (optional)')}</label>
          <input id="seg-description" name="description" type="text" maxlength={2000} value={seg?.description ?? ''} data-keep-empty disabled={!write} />
        </section>
        <section class="card">
          <h2>{tr(l, '规则', 'Rule')}</h2>
          <div class="row">
            <div>
              <label for="rule-mode">{tr(l, '编辑方式', 'Edit with')}</label>
              <select id="rule-mode">
                <option value="builder">{tr(l, '条件构建器', 'the builder')}</option>
                <option value="json">{tr(l, 'JSON（高级）', 'JSON (advanced)')}</option>
              </select>
            </div>
          </div>
          <p class="error" id="rule-note" hidden></p>
          <div id="rule-builder" data-catalog={JSON.stringify(builderCatalog(l))} data-rule={initial ? JSON.stringify(initial) : ''} data-readonly={write ? undefined : ''}>
            <noscript>{tr(l, '条件构建器需要启用 JavaScript。', 'The builder needs JavaScript.')}</noscript>
          </div>
          <details id="rule-json-box">
            <summary>{tr(l, '规则 JSON', 'Rule as JSON')}</summary>
            <textarea id="rule-json" rows={12} readonly spellcheck={false} aria-label={tr(l, '规则 JSON', 'Rule as JSON')}>
              {initial ? JSON.stringify(initial, null, 2) : ''}
            </textarea>
          </details>
        </section>
        <section class="card">
          <h2>{tr(l, '实时人数', 'Live count')}</h2>
          <div id="rule-preview" aria-live="polite">
            <p class="muted">{words(l).loading}</p>
          </div>
        </section>
        {write && (
          <>
            <ErrorBox />
            <div class="actions">
              <button type="submit" id="save-segment">
                {seg ? words(l).save : tr(l, '保存客群', 'Save segment')}
              </button>
            </div>
          </>
        )}
      </form>
      {write && seg && (
        <section class="card">
          <ErrorBox />
          <button
            type="button"
            class="danger"
            id="archive-segment"
            data-api={`/v1/segments/${seg.id}`}
            data-method="DELETE"
            data-then="/app/segments"
            data-confirm={tr(l, '归档此客群？已使用它的营销活动不受影响。', 'Archive this segment? Campaigns that used it keep their audience.')}
          >
            {tr(l, '归档', 'Archive')}
          </button>
        </section>
      )}
    </Shell>,
  );
}

// ── the builder's style and script ────────────────────────────────────────────
const SEGMENT_CSS = `.rb-cond{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center;padding:.4rem .3rem;border-bottom:1px solid #e3e7ee}
.rb-cond select,.rb-cond input[type=text],.rb-cond input[type=number],.rb-cond input[type=date]{width:auto;min-width:6rem}
.rb-cond input[type=number]{width:6rem}.rb-value{display:inline-flex;flex-wrap:wrap;gap:.3rem;align-items:center}
.rb-value label,.rb-not{display:inline-flex;gap:.2rem;align-items:center;font-weight:400;margin:0}
.rb-group{border-left:3px solid #0b5cad;margin:.5rem 0;padding:.3rem .6rem;background:#f7f9fc}.rb-head{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
.rb-head select{width:auto}.rb-bad{background:#fdecea;outline:2px solid #b3261e}button.small{padding:.2rem .55rem;font-size:.85rem}`;

const BUILDER_JS = String.raw`(() => {
  'use strict';
  const css = document.createElement('link');
  css.rel = 'stylesheet';
  css.href = '/app/static/segments.css';
  document.head.appendChild(css);

  function start() {
    const root = document.getElementById('rule-builder');
    if (!root) return;
    const cat = JSON.parse(root.dataset.catalog);
    const T = cat.text;
    const form = root.closest('form');
    const json = document.getElementById('rule-json');
    const mode = document.getElementById('rule-mode');
    const note = document.getElementById('rule-note');
    const readonly = 'readonly' in root.dataset;
    const fields = new Map(cat.fields.map((f) => [f.name, f]));
    let paths = new Map();

    function el(tag, attrs, kids) {
      const e = document.createElement(tag);
      for (const k in attrs || {}) {
        if (attrs[k] === undefined || attrs[k] === null || attrs[k] === false) continue;
        if (k === 'text') e.textContent = attrs[k];
        else if (k === 'class') e.className = attrs[k];
        else e.setAttribute(k, attrs[k] === true ? '' : attrs[k]);
      }
      for (const kid of kids || []) if (kid) e.appendChild(kid);
      return e;
    }
    function select(options, value, label) {
      const s = el('select', { 'aria-label': label });
      for (const o of options) {
        const opt = el('option', { value: o.v, text: o.label });
        if (String(o.v) === String(value)) opt.selected = true;
        s.appendChild(opt);
      }
      return s;
    }
    function refresh() { form.dispatchEvent(new CustomEvent('live:refresh')); sync(); }

    // ── value inputs, one kind each ──
    function valueWidget(kind, f, value) {
      const box = el('span', { class: 'rb-value' });
      const num = (v, label) => el('input', { type: 'number', value: v === undefined ? '' : v, 'aria-label': label || '', step: 'any' });
      const date = (v) => el('input', { type: 'date', value: v || '' });
      let read = () => undefined;
      if (kind === 'none') {
        read = () => undefined;
      } else if (kind === 'choice' || (kind === 'text' && f.values)) {
        const s = select(f.values, value === undefined ? f.values[0].v : value, f.label);
        box.appendChild(s);
        read = () => s.value;
      } else if (kind === 'textList' && f.values) {
        const chosen = new Set(Array.isArray(value) ? value : []);
        const boxes = f.values.map((o) => {
          const cb = el('input', { type: 'checkbox', value: o.v });
          cb.checked = chosen.has(o.v);
          box.appendChild(el('label', {}, [cb, el('span', { text: o.label })]));
          return cb;
        });
        read = () => { const v = boxes.filter((b) => b.checked).map((b) => b.value); return v.length ? v : undefined; };
      } else if (kind === 'text') {
        const i = el('input', { type: 'text', value: value === undefined ? '' : value, 'aria-label': f.label });
        box.appendChild(i);
        read = () => (i.value === '' ? undefined : i.value);
      } else if (kind === 'textList') {
        const i = el('input', { type: 'text', value: Array.isArray(value) ? value.join(', ') : '', placeholder: T.listHint, 'aria-label': f.label });
        box.appendChild(i);
        read = () => { const v = i.value.split(/[,，、\n]/).map((s) => s.trim()).filter(Boolean); return v.length ? v : undefined; };
      } else if (kind === 'number') {
        const i = num(value, f.label);
        box.appendChild(i);
        read = () => (i.value === '' ? undefined : Number(i.value));
      } else if (kind === 'numberRange') {
        const a = num(Array.isArray(value) ? value[0] : undefined); const b = num(Array.isArray(value) ? value[1] : undefined);
        box.append(a, el('span', { text: T.and }), b);
        read = () => (a.value === '' || b.value === '' ? undefined : [Number(a.value), Number(b.value)]);
      } else if (kind === 'date') {
        const i = date(value);
        box.appendChild(i);
        read = () => i.value || undefined;
      } else if (kind === 'dateRange') {
        const a = date(Array.isArray(value) ? value[0] : ''); const b = date(Array.isArray(value) ? value[1] : '');
        box.append(a, el('span', { text: T.and }), b);
        read = () => (a.value && b.value ? [a.value, b.value] : undefined);
      } else if (kind === 'relative' || kind === 'anniversary') {
        const v = value && typeof value === 'object' ? value : {};
        const n = num(v.amount === undefined ? (kind === 'relative' ? 3 : 30) : v.amount);
        n.min = '0'; n.step = '1';
        const units = kind === 'relative' ? cat.units : cat.units.filter((u) => u.v !== 'year');
        const u = select(units, v.unit || (kind === 'relative' ? 'year' : 'day'));
        box.append(n, u);
        read = () => (n.value === '' ? undefined : { amount: Number(n.value), unit: u.value });
      } else if (kind === 'months') {
        const chosen = new Set(Array.isArray(value) ? value : value === undefined ? [] : [value]);
        const boxes = cat.months.map((m) => {
          const cb = el('input', { type: 'checkbox', value: String(m.v) });
          cb.checked = chosen.has(m.v);
          box.appendChild(el('label', {}, [cb, el('span', { text: m.label })]));
          return cb;
        });
        read = () => { const v = boxes.filter((b) => b.checked).map((b) => Number(b.value)); return v.length ? v : undefined; };
      }
      return { node: box, read };
    }

    // ── one condition ──
    function condRow(c) {
      c = c || {};
      const row = el('div', { class: 'rb-cond' });
      const notBox = el('input', { type: 'checkbox', class: 'rb-not-box' });
      notBox.checked = !!c.not;
      const fieldSel = el('select', { class: 'rb-field', 'aria-label': 'field' });
      for (const g of ['contact', 'vehicle', 'reach']) {
        const og = el('optgroup', { label: cat.groups[g] });
        for (const f of cat.fields.filter((x) => x.group === g)) og.appendChild(el('option', { value: f.name, text: f.label }));
        fieldSel.appendChild(og);
      }
      fieldSel.value = c.field || cat.fields[0].name;
      const opSel = el('select', { class: 'rb-op', 'aria-label': 'operator' });
      const valueSlot = el('span', {});
      const del = el('button', { type: 'button', class: 'secondary small rb-remove', text: T.remove });
      row.append(el('label', { class: 'rb-not' }, [notBox, el('span', { text: T.not })]), fieldSel, opSel, valueSlot, del);
      let widget = null;
      const field = () => fields.get(fieldSel.value);
      function drawOps(op) {
        const f = field();
        opSel.innerHTML = '';
        for (const o of f.ops) opSel.appendChild(el('option', { value: o.op, text: o.label }));
        if (op !== undefined && f.ops.some((o) => o.op === op)) opSel.value = op;
        opSel.hidden = !!f.atom;
      }
      function drawValue(value) {
        const f = field();
        const o = f.ops.find((x) => x.op === opSel.value) || f.ops[0];
        widget = valueWidget(o.kind, f, value);
        valueSlot.replaceChildren(widget.node);
      }
      drawOps(c.op);
      drawValue(c.value);
      fieldSel.addEventListener('change', () => { drawOps(); drawValue(); sync(); });
      opSel.addEventListener('change', () => { drawValue(); sync(); });
      del.addEventListener('click', () => { row.remove(); refresh(); });
      row.rule = (path) => {
        const f = field();
        let r;
        if (f.atom) r = { [f.name]: widget.read() };
        else {
          r = { field: f.name, op: opSel.value };
          const v = widget.read();
          if (v !== undefined) r.value = v;
        }
        paths.set(path.join('.'), row);
        if (notBox.checked) { paths.set(path.concat('not').join('.'), row); return { not: r }; }
        return r;
      };
      return row;
    }

    // ── a group of conditions (the whole rule, or one nested level) ──
    function group(g, nested) {
      g = g || { join: 'and', items: [] };
      const box = el('div', { class: nested ? 'rb-group' : 'rb-root' });
      const joins = [{ v: 'and', label: T.all }, { v: 'or', label: T.any }];
      if (nested) joins.push({ v: 'vehicle', label: T.vehicle });
      const joinSel = select(joins, g.join, T.match);
      joinSel.classList.add('rb-join');
      const head = el('div', { class: 'rb-head' });
      let notBox = null;
      if (nested) {
        notBox = el('input', { type: 'checkbox', class: 'rb-not-box' });
        notBox.checked = !!g.not;
        head.appendChild(el('label', { class: 'rb-not' }, [notBox, el('span', { text: T.not })]));
      } else head.appendChild(el('span', { text: T.match }));
      head.appendChild(joinSel);
      const items = el('div', { class: 'rb-items' });
      const addCond = el('button', { type: 'button', class: 'secondary small rb-add', text: T.addCondition });
      const tools = el('div', { class: 'actions' }, [addCond]);
      box.append(head, items, tools);
      for (const it of g.items) items.appendChild(it.items ? group(it, true) : condRow(it));
      addCond.addEventListener('click', () => { items.appendChild(condRow(nested && joinSel.value === 'vehicle' ? { field: 'vehicle.model' } : null)); refresh(); });
      if (!nested) {
        const addGroup = el('button', { type: 'button', class: 'secondary small rb-add-group', text: T.addGroup });
        tools.appendChild(addGroup);
        addGroup.addEventListener('click', () => { items.appendChild(group({ join: 'or', items: [{}] }, true)); refresh(); });
      } else {
        const del = el('button', { type: 'button', class: 'secondary small rb-remove-group', text: T.removeGroup });
        head.appendChild(del);
        del.addEventListener('click', () => { box.remove(); refresh(); });
      }
      box.rule = (path) => {
        const kids = Array.from(items.children).filter((k) => k.rule);
        if (!kids.length) { if (!nested) throw new Error(T.needOne); }
        let r;
        if (joinSel.value === 'vehicle') {
          const inner = path.concat(notBox && notBox.checked ? ['not'] : [], ['any_vehicle', 'and']);
          r = { any_vehicle: { and: kids.map((k, i) => k.rule(inner.concat(i))) } };
        } else {
          const inner = path.concat(notBox && notBox.checked ? ['not'] : [], [joinSel.value]);
          r = { [joinSel.value]: kids.map((k, i) => k.rule(inner.concat(i))) };
        }
        paths.set(path.join('.'), box);
        return notBox && notBox.checked ? { not: r } : r;
      };
      return box;
    }

    // ── a rule into rows (what the builder can show), or an Error ──
    function isCond(r) { return r && typeof r === 'object' && (typeof r.field === 'string' || cat.fields.some((f) => f.atom && typeof r[f.name] === 'string')); }
    function loadCond(r, not) {
      if (typeof r.field === 'string') {
        const f = fields.get(r.field);
        if (!f || !f.ops.some((o) => o.op === r.op)) throw new Error('field');
        return { not, field: r.field, op: r.op, value: r.value };
      }
      const f = cat.fields.find((x) => x.atom && typeof r[x.name] === 'string');
      return { not, field: f.name, value: r[f.name] };
    }
    function loadItem(r, depth) {
      let not = false;
      if (r && typeof r === 'object' && r.not && Object.keys(r).length === 1) { not = true; r = r.not; }
      if (isCond(r)) return loadCond(r, not);
      if (depth > 0) throw new Error('depth');
      if (Array.isArray(r.and) || Array.isArray(r.or)) {
        const join = r.and ? 'and' : 'or';
        return { not, join, items: r[join].map((x) => { const c = loadItem(x, 1); if (c.items) throw new Error('depth'); return c; }) };
      }
      if (r.any_vehicle) {
        const inner = r.any_vehicle;
        const list = Array.isArray(inner.and) ? inner.and : [inner];
        return { not, join: 'vehicle', items: list.map((x) => { const c = loadItem(x, 1); if (c.items) throw new Error('depth'); return c; }) };
      }
      throw new Error('shape');
    }
    function load(rule) {
      if (rule && typeof rule === 'object' && !rule.not && (Array.isArray(rule.and) || Array.isArray(rule.or))) {
        const join = rule.and ? 'and' : 'or';
        return { join, items: rule[join].map((x) => loadItem(x, 0)) };
      }
      return { join: 'and', items: [loadItem(rule, 0)] };
    }

    let top = null;
    function draw(g) {
      top = group(g, false);
      root.replaceChildren(top);
      if (readonly) root.querySelectorAll('input, select, button').forEach((e) => (e.disabled = true));
    }
    function builderRule() { paths = new Map(); return top.rule([]); }
    function currentRule() {
      if (mode.value === 'json') {
        try { return JSON.parse(json.value); } catch (e) { throw new Error(T.badJson + e.message); }
      }
      return builderRule();
    }
    function sync() {
      if (mode.value !== 'builder') return;
      try { json.value = JSON.stringify(builderRule(), null, 2); } catch (e) { json.value = ''; }
    }
    function setMode(m) {
      mode.value = m;
      root.hidden = m === 'json';
      json.readOnly = m !== 'json' || readonly;
      if (m === 'json') document.getElementById('rule-json-box').open = true;
    }

    const initial = root.dataset.rule ? JSON.parse(root.dataset.rule) : null;
    try {
      draw(initial ? load(initial) : { join: 'and', items: [{}] });
      setMode('builder');
    } catch (e) {
      draw({ join: 'and', items: [] });
      setMode('json');
      note.textContent = T.cannotShow; note.hidden = false;
    }
    sync();

    mode.addEventListener('change', () => {
      note.hidden = true;
      if (mode.value === 'builder') {
        let g;
        try { g = load(JSON.parse(json.value)); } catch (e) { setMode('json'); note.textContent = T.cannotShow; note.hidden = false; return; }
        draw(g);
        setMode('builder');
        sync();
      } else setMode('json');
      form.dispatchEvent(new CustomEvent('live:refresh'));
    });
    root.addEventListener('input', sync);
    root.addEventListener('change', sync);

    // The live answer names bad places by rule path: mark the rows they are in.
    const preview = document.querySelector(form.dataset.target);
    preview.addEventListener('live:update', () => {
      root.querySelectorAll('.rb-bad').forEach((e) => e.classList.remove('rb-bad'));
      preview.querySelectorAll('[data-path]').forEach((li) => {
        const parts = li.dataset.path ? li.dataset.path.split('.') : [];
        for (let n = parts.length; n > 0; n--) {
          const hit = paths.get(parts.slice(0, n).join('.'));
          if (hit) { hit.classList.add('rb-bad'); break; }
        }
      });
    });

    window.staffTransforms = window.staffTransforms || {};
    window.staffTransforms.segmentRule = (body) => {
      const out = { rule: currentRule() };
      if (body.name !== undefined) out.name = body.name;
      if (body.description !== undefined) out.description = body.description.trim() ? body.description : null;
      return out;
    };
    window.segmentBuilder = { currentRule, load, draw };
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
`;
