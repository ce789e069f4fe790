// Lists and contacts: the dealer's list uploads (with a progress bar while the
// file goes up and while it is imported, and the per-row error report), and
// the contacts they became: search, and one contact's full record with
// consents, suppressions and the history of messages and responses.
import { Hono } from 'hono';
import { and, eq, inArray } from 'drizzle-orm';
import type { Role } from '../http/context';
import { campaigns, waves } from '../db/schema-campaigns';
import { decodeCursor, encodeCursor } from '../http/pagination';
import { isUuid } from '../lib/ids';
import { CONTACT_KINDS, type ContactKind } from '../contacts/types';
import { contactDetail, contactMessages, searchContacts, type ContactDetail, type ContactMessage, type ContactRow } from '../contacts/service';
import { ENCODING_ALIASES } from '../imports/encoding';
import { IMPORT_FIELDS } from '../imports/headers';
import { getImport, importErrorRows, listImports, presentImport, type ImportRow } from '../imports/service';
import { listResponses, type ResponseRow } from '../responses/list';
import type { Child } from 'hono/jsx';
import type { WebContext, WebEnv } from './context';
import { tr, words, type WebLocale } from './i18n';
import { ErrorBox, fmtDate, fmtInt, fmtTime, fragment, notFoundPage, page, Shell, staffReaders, fmtBytes } from './kit';

export const listPages = new Hono<WebEnv>();

const LIST_WRITERS: Role[] = ['admin', 'marketer'];
const PAGE_SIZE = 50;
/** Rejected rows shown on the import page; the CSV has them all. */
const ERRORS_SHOWN = 100;
const FINISHED = ['completed', 'failed', 'cancelled'];

type Pair = [string, string];
const say = (l: WebLocale, names: Record<string, Pair>, key: string | null | undefined): string => {
  if (key == null) return '—';
  const n = names[key];
  return n ? tr(l, n[0], n[1]) : key;
};

const IMPORT_STATUS: Record<string, Pair> = {
  queued: ['排队中', 'Queued'],
  counting: ['检查文件', 'Checking the file'],
  merging: ['导入中', 'Importing'],
  completed: ['已完成', 'Finished'],
  failed: ['失败', 'Failed'],
  cancelled: ['已取消', 'Cancelled'],
};
const KINDS: Record<string, Pair> = {
  prior_owner: ['老车主', 'Prior owner'],
  corporate: ['企业客户', 'Corporate'],
  club_member: ['车友会会员', 'Club member'],
  prospect: ['潜在客户', 'Prospect'],
};
const CHANNELS: Record<string, Pair> = {
  mail: ['邮寄', 'Mail'],
  sms: ['短信', 'SMS'],
  email: ['电子邮件', 'Email'],
  web: ['网页', 'Web'],
  all: ['全部渠道', 'All channels'],
};
const DELIVERY_STATUS: Record<string, Pair> = {
  pending: ['待发送', 'Pending'],
  sending: ['发送中', 'Sending'],
  sent: ['已发送', 'Sent'],
  delivered: ['已送达', 'Delivered'],
  failed: ['失败', 'Failed'],
  suppressed: ['已屏蔽', 'Suppressed'],
  skipped: ['未发送', 'Skipped'],
};
const PIECE_STATUS: Record<string, Pair> = {
  pending: ['待印制', 'Not yet printed'],
  rendered: ['已印制', 'Printed'],
  excluded: ['未印制', 'Left out'],
};
const RESPONSE_KINDS: Record<string, Pair> = {
  scan: ['扫码', 'QR scan'],
  open: ['打开邮件', 'Email opened'],
  click: ['点击链接', 'Link clicked'],
  booking: ['预约试驾', 'Test-drive booking'],
  survey: ['问卷', 'Survey'],
  sms_reply: ['短信回复', 'SMS reply'],
  attended: ['到店试驾', 'Attended'],
  sale: ['成交', 'Sale'],
  returned: ['退回邮件', 'Returned piece'],
  opt_out: ['退订', 'Opt-out'],
};
const SUPPRESSION_REASONS: Record<string, Pair> = {
  unsubscribed: ['本人退订', 'Unsubscribed'],
  bounced: ['退信', 'Bounced'],
  undeliverable_address: ['地址无法投递', 'Undeliverable address'],
  do_not_contact: ['请勿联系', 'Do not contact'],
  complaint: ['投诉', 'Complaint'],
};
const SUPPRESSION_TARGETS: Record<string, Pair> = {
  contact: ['本人', 'This contact'],
  phone: ['手机号', 'Phone number'],
  email: ['邮箱', 'Email address'],
  household: ['住户地址', 'Household address'],
};
const CONSENT: Record<string, Pair> = { granted: ['已同意', 'Granted'], revoked: ['已撤回', 'Revoked'] };
const MATCHED_ON: Record<string, Pair> = { phone: ['手机号', 'phone'], email: ['邮箱', 'email'], name_address: ['姓名和地址', 'name and address'] };
const DELIMITERS: Record<string, Pair> = { comma: ['逗号', 'comma'], tab: ['制表符', 'tab'], semicolon: ['分号', 'semicolon'] };

/** Enough of a phone number to tell people apart in a list; the detail page shows it whole. */
export function maskPhone(phone: string | null): string {
  if (!phone) return '—';
  if (phone.length <= 6) return phone.replace(/\d(?=\d{2})/g, '*');
  const keep = Math.max(1, phone.length - 8);
  return `${phone.slice(0, keep)}****${phone.slice(keep + 4)}`;
}

/** A path id that is not a UUID can name nothing. */
function pathId(c: WebContext): string | undefined {
  const id = c.req.param('id');
  return id && isUuid(id) ? id : undefined;
}

/** "Next page" (keeping the other query parameters) and back to the first page. */
// The import's row errors are written in English (the API and errors.csv);
// the page shows them in Chinese. An unknown reason shows as written.
const REASONS_ZH: Record<string, string> = {
  'no name or company': '没有姓名或公司名称',
  'no phone, email or postal address': '没有手机、邮箱或邮寄地址',
  'not a recognised gender (男/女, M/F)': '性别无法识别（男/女，M/F）',
  'expected yes/no (是/否)': '应为是/否',
  'unknown customer type (保有客户/大客户/会员/潜客)': '客户类型无法识别（保有客户/大客户/会员/潜客）',
  'phone number is empty': '手机号码为空',
  'phone number contains invalid characters': '手机号码含有无效字符',
  'phone number has too few digits': '手机号码位数太少',
  'phone number has too many digits': '手机号码位数太多',
  'email is empty': '邮箱为空',
  'email is too long': '邮箱太长',
  'email must not contain spaces': '邮箱不能含有空格',
  'email must contain exactly one @': '邮箱必须有且只有一个 @',
  'email is missing the part before @': '邮箱 @ 前面缺少内容',
  'email domain must contain a dot': '邮箱域名必须含有“.”',
  'email domain is malformed': '邮箱域名格式错误',
  'postcode is empty': '邮编为空',
  'postcode must be 6 digits for CN': '中国邮编必须是 6 位数字',
  'postcode must be 5 digits or ZIP+4 for US': '美国邮编必须是 5 位数字或 ZIP+4',
  'year must be between 1800 and 2200': '年份必须在 1800 到 2200 之间',
  'not a valid date': '日期无效',
  'date is empty': '日期为空',
  'date needs a month and a day': '日期需要有月和日',
  'unrecognized date format': '日期格式无法识别',
  'number is empty': '数字为空',
  'not a number': '不是数字',
  'number must not be negative': '数字不能为负',
  'number must be a whole number': '必须是整数',
  'number is too large': '数字太大',
  'VIN is empty': '车架号为空',
  'VIN must not contain the letters I, O or Q': '车架号不能含有字母 I、O 或 Q',
  'VIN must be 17 characters': '车架号必须是 17 位',
  'VIN contains invalid characters': '车架号含有无效字符',
};
const REASON_PATTERNS_ZH: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^row has (\d+) fields but the header has (\d+)$/, (m) => `此行有 ${m[1]} 列，表头有 ${m[2]} 列`],
  [/^not a valid phone number for (\S+)$/, (m) => `不是有效的手机号码（${m[1]}）`],
  [/^unsupported country (\S+)$/, (m) => `不支持的国家/地区 ${m[1]}`],
  [/^postcode is not valid for (\S+)$/, (m) => `邮编无效（${m[1]}）`],
];

export function reasonZh(reason: string): string {
  const known = REASONS_ZH[reason];
  if (known) return known;
  for (const [re, say] of REASON_PATTERNS_ZH) {
    const m = re.exec(reason);
    if (m) return say(m);
  }
  return reason;
}

function Pager(props: { c: WebContext; base: string; params: Record<string, string | undefined>; next: string | null; id: string }) {
  const w = words(props.c.get('locale'));
  const q = (cursor?: string) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(props.params)) if (v) p.set(k, v);
    if (cursor) p.set('cursor', cursor);
    const s = p.toString();
    return s ? `${props.base}?${s}` : props.base;
  };
  const paged = !!props.c.req.query('cursor');
  if (!paged && !props.next) return null;
  return (
    <p class="actions" id={props.id}>
      {paged && (
        <a class="button secondary" href={q()}>
          {tr(props.c.get('locale'), '第一页', 'First page')}
        </a>
      )}
      {props.next && (
        <a class="button secondary" href={q(props.next)} data-next>
          {w.next}
        </a>
      )}
    </p>
  );
}

// ── lists: the imports ────────────────────────────────────────────────────────

listPages.get('/lists', staffReaders, async (c) => {
  const deps = c.get('deps');
  const viewer = c.get('viewer');
  const l = c.get('locale');
  const found = await listImports(deps, viewer.dealerId, PAGE_SIZE, decodeCursor(c.req.query('cursor')));
  const shown = found.slice(0, PAGE_SIZE);
  const next = found.length > PAGE_SIZE ? encodeCursor(shown[shown.length - 1]!.id) : null;
  const canUpload = LIST_WRITERS.includes(viewer.role);
  return page(
    c,
    <Shell c={c} title={tr(l, '名单', 'Lists')} active="lists">
      {canUpload && <UploadForm c={c} />}
      <section class="card">
        <h2>{tr(l, '导入记录', 'Imports')}</h2>
        {shown.length === 0 ? (
          <p class="muted" id="no-imports">{tr(l, '还没有导入过名单。', 'No list has been imported yet.')}</p>
        ) : (
          <ImportTable c={c} rows={shown} />
        )}
        <Pager c={c} base="/app/lists" params={{}} next={next} id="imports-pager" />
      </section>
    </Shell>,
  );
});

function UploadForm(props: { c: WebContext }) {
  const { c } = props;
  const l = c.get('locale');
  const max = c.get('deps').config.IMPORT_MAX_BYTES;
  return (
    <section class="card" id="upload">
      <h2>{tr(l, '上传名单', 'Upload a list')}</h2>
      <form id="upload-form" data-upload="/v1/imports" data-then="/app/lists/{id}" data-max={String(max)}>
        <label for="upload-file">{tr(l, 'CSV 文件', 'CSV file')}</label>
        <input type="file" id="upload-file" name="file" accept=".csv,.txt,.tsv,text/csv,text/plain,text/tab-separated-values" required />
        <p class="muted">
          {tr(
            l,
            `最大 ${fmtBytes(l, max)}。可用 UTF-8、GBK 或 UTF-16（Excel“Unicode 文本”）编码；第一行是列名（中文或英文均可，如 姓名、手机、地址、邮编）。`,
            `Up to ${fmtBytes(l, max)}. UTF-8, GBK or UTF-16 (Excel "Unicode text"); the first row names the columns (Chinese or English, e.g. 姓名, 手机, 地址, 邮编 or name, mobile, address, postcode).`,
          )}
        </p>
        <div class="row">
          <div>
            <label for="upload-kind">{tr(l, '客户类型', 'Contact kind')}</label>
            <select id="upload-kind" name="kind">
              <option value="">{tr(l, '按文件（“客户类型”列，或由车辆、公司、会员信息判断）', 'From the file (a "kind" column, or from car, company or club data)')}</option>
              {CONTACT_KINDS.map((k) => (
                <option value={k}>{say(l, KINDS, k)}</option>
              ))}
            </select>
          </div>
          <div>
            <label for="upload-country">{tr(l, '国家（两位代码）', 'Country (two-letter code)')}</label>
            <input type="text" id="upload-country" name="country" maxlength={2} pattern="[A-Za-z]{2}" placeholder={tr(l, '经销商所在国家，如 CN', "the dealer's, e.g. CN")} />
          </div>
          <div>
            <label for="upload-encoding">{tr(l, '文字编码', 'Text encoding')}</label>
            <select id="upload-encoding" name="encoding">
              <option value="">{tr(l, '自动识别', 'Detect')}</option>
              {Object.keys(ENCODING_ALIASES).map((e) => (
                <option value={e}>{e.toUpperCase()}</option>
              ))}
            </select>
          </div>
          <div>
            <label for="upload-delimiter">{tr(l, '分隔符', 'Delimiter')}</label>
            <select id="upload-delimiter" name="delimiter">
              <option value="">{tr(l, '自动识别', 'Detect')}</option>
              {Object.keys(DELIMITERS).map((d) => (
                <option value={d}>{say(l, DELIMITERS, d)}</option>
              ))}
            </select>
          </div>
        </div>
        <label for="upload-mapping">{tr(l, '列对应（可选，JSON：列名 → 字段，null 表示忽略该列）', 'Column mapping (optional, JSON: column header → field, null to ignore the column)')}</label>
        <textarea id="upload-mapping" name="mapping" placeholder='{"客户名称": "full_name", "备注2": null}'></textarea>
        <details class="muted">
          <summary>{tr(l, '可用字段', 'Fields')}</summary>
          <p id="import-fields">{IMPORT_FIELDS.join(', ')}</p>
        </details>
        <progress data-progress hidden value={0} max={100}></progress>
        <span class="muted" data-progress-label></span>
        <ErrorBox />
        <div class="actions">
          <button type="submit">{tr(l, '上传并导入', 'Upload and import')}</button>
        </div>
      </form>
    </section>
  );
}

function ImportTable(props: { c: WebContext; rows: ImportRow[] }) {
  const { c } = props;
  const l = c.get('locale');
  const viewer = c.get('viewer');
  return (
    <table id="imports">
      <thead>
        <tr>
          <th>{tr(l, '文件', 'File')}</th>
          <th>{tr(l, '状态', 'Status')}</th>
          <th class="num">{tr(l, '进度', 'Progress')}</th>
          <th class="num">{tr(l, '行数', 'Rows')}</th>
          <th class="num">{tr(l, '新建', 'New')}</th>
          <th class="num">{tr(l, '更新已有', 'Updated')}</th>
          <th class="num">{tr(l, '无变化', 'Unchanged')}</th>
          <th class="num">{tr(l, '文件内重复', 'Duplicates merged')}</th>
          <th class="num">{tr(l, '拒绝', 'Rejected')}</th>
          <th>{tr(l, '开始', 'Started')}</th>
          <th>{tr(l, '结束', 'Finished')}</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map((row) => {
          const v = presentImport(row);
          return (
            <tr data-import={v.id} data-status={v.status}>
              <td>
                <a href={`/app/lists/${v.id}`}>{v.filename || tr(l, '（未命名文件）', '(unnamed file)')}</a>
                <div class="muted">{fmtTime(viewer, l, v.createdAt)}</div>
              </td>
              <td>
                <span class="badge">{say(l, IMPORT_STATUS, v.status)}</span>
              </td>
              <td class="num">{v.progress.percent}%</td>
              <td class="num">{fmtInt(l, v.counts.rows)}</td>
              <td class="num">{fmtInt(l, v.counts.created)}</td>
              <td class="num">{fmtInt(l, v.counts.updated)}</td>
              <td class="num">{fmtInt(l, v.counts.unchanged)}</td>
              <td class="num">{fmtInt(l, v.counts.duplicatesMerged)}</td>
              <td class="num">{fmtInt(l, v.counts.rejected)}</td>
              <td>{fmtTime(viewer, l, v.startedAt)}</td>
              <td>{fmtTime(viewer, l, v.finishedAt)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

listPages.get('/lists/:id', staffReaders, async (c) => {
  const id = pathId(c);
  if (!id) return notFoundPage(c);
  const deps = c.get('deps');
  const viewer = c.get('viewer');
  const l = c.get('locale');
  // Another dealer's import is not found (the error handler answers with the not-found page).
  const row = await getImport(deps, viewer.dealerId, id);
  const v = presentImport(row);
  const done = FINISHED.includes(row.status);
  return page(
    c,
    <Shell c={c} title={v.filename || tr(l, '名单导入', 'List import')} active="lists">
      <p>
        <a href="/app/lists">← {tr(l, '全部名单', 'All lists')}</a>
      </p>
      <section class="card">
        <p class="muted" id="import-file">
          {tr(l, '上传于', 'Uploaded')} {fmtTime(viewer, l, v.createdAt)} · {fmtBytes(l, v.bytes)}
          {row.options && typeof row.options.kind === 'string' ? ` · ${say(l, KINDS, row.options.kind)}` : ''}
        </p>
        <ErrorBox />
        <div id="import-progress" {...(done ? {} : { 'data-poll': `/app/lists/${id}/progress`, 'data-every': '1000' })}>
          <ImportStatus c={c} row={row} />
        </div>
      </section>
    </Shell>,
  );
});

/** The polled part of the import page: progress while it runs; the counts, the mapping and the error report. Holds [data-done] once finished. */
listPages.get('/lists/:id/progress', staffReaders, async (c) => {
  const id = pathId(c);
  if (!id) return notFoundPage(c);
  const row = await getImport(c.get('deps'), c.get('viewer').dealerId, id);
  return fragment(c, <ImportStatus c={c} row={row} />);
});

async function ImportStatus(props: { c: WebContext; row: ImportRow }) {
  const { c, row } = props;
  const deps = c.get('deps');
  const viewer = c.get('viewer');
  const l = c.get('locale');
  const v = presentImport(row);
  const done = FINISHED.includes(row.status);
  const errors: { rowNumber: number; column: string | null; reason: string; value: string | null }[] = [];
  if (done && v.counts.rejected > 0) {
    for await (const e of importErrorRows(deps, row.id, ERRORS_SHOWN + 1)) {
      errors.push(e);
      if (errors.length > ERRORS_SHOWN) break;
    }
  }
  const more = errors.length > ERRORS_SHOWN;
  const stats: [string, number, string][] = [
    [tr(l, '文件行数', 'Rows in the file'), v.counts.rows, 'rows'],
    [tr(l, '已导入', 'Imported'), v.counts.accepted, 'accepted'],
    [tr(l, '新建客户', 'New contacts'), v.counts.created, 'created'],
    [tr(l, '更新已有客户', 'Updated contacts'), v.counts.updated, 'updated'],
    [tr(l, '已有且无变化', 'Known, unchanged'), v.counts.unchanged, 'unchanged'],
    [tr(l, '文件内重复合并', 'Duplicates in the file merged'), v.counts.duplicatesMerged, 'duplicatesMerged'],
    [tr(l, '拒绝的行', 'Rejected rows'), v.counts.rejected, 'rejected'],
  ];
  return (
    <div id="import-status" data-status={row.status} data-done={done ? '' : undefined}>
      <p>
        <span class="badge" id="import-state">
          {say(l, IMPORT_STATUS, row.status)}
        </span>{' '}
        <span id="import-percent">{v.progress.percent}%</span>
      </p>
      <progress id="import-bar" max={100} value={v.progress.percent}></progress>
      <p class="muted" id="import-rows">
        {row.status === 'counting' || row.status === 'queued'
          ? tr(l, '正在读取并检查整个文件，检查通过后才开始写入。', 'Reading and checking the whole file; nothing is written until it passes.')
          : tr(l, `已处理 ${fmtInt(l, v.progress.rowsProcessed)} / ${fmtInt(l, v.progress.rowsTotal)} 行`, `${fmtInt(l, v.progress.rowsProcessed)} of ${fmtInt(l, v.progress.rowsTotal)} rows processed`)}
        {' · '}
        {tr(l, '开始', 'started')} {fmtTime(viewer, l, v.startedAt)}
        {v.finishedAt ? ` · ${tr(l, '结束', 'finished')} ${fmtTime(viewer, l, v.finishedAt)}` : ''}
      </p>
      <div class="stats" id="import-counts">
        {stats.map(([label, n, key]) => (
          <div data-count={key}>
            <div class="muted">{label}</div>
            <div class="stat">{fmtInt(l, n)}</div>
          </div>
        ))}
      </div>
      {!done && LIST_WRITERS.includes(viewer.role) && (
        <div class="actions">
          <button
            type="button"
            class="danger"
            id="cancel-import"
            data-api={`/v1/imports/${row.id}/cancel`}
            data-method="POST"
            data-confirm={tr(l, '停止这次导入？已写入的行会保留。', 'Stop this import? Rows already imported stay.')}
          >
            {tr(l, '取消导入', 'Cancel the import')}
          </button>
        </div>
      )}
      {row.status === 'cancelled' && <p class="muted">{tr(l, '导入已取消；取消前已写入的行保留。', 'The import was cancelled; rows imported before that stay.')}</p>}
      {v.error && (
        <div class="error" id="import-error">
          {v.error.message}
          {v.error.details != null ? `\n${JSON.stringify(v.error.details)}` : ''}
        </div>
      )}
      {(v.encoding || v.delimiter) && (
        <p class="muted" id="import-format">
          {tr(l, '编码', 'Encoding')} {v.encoding?.toUpperCase() ?? '—'} · {tr(l, '分隔符', 'delimiter')} {say(l, DELIMITERS, v.delimiter)}
        </p>
      )}
      {v.mapping && Object.keys(v.mapping).length > 0 && (
        <details>
          <summary>{tr(l, '列对应', 'Column mapping')}</summary>
          <table id="import-mapping">
            <thead>
              <tr>
                <th>{tr(l, '文件中的列', 'Column in the file')}</th>
                <th>{tr(l, '字段', 'Field')}</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(v.mapping).map(([header, field]) => (
                <tr>
                  <td>{header}</td>
                  <td>{field ?? tr(l, '（忽略）', '(ignored)')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
      {done && v.counts.rejected > 0 && (
        <div id="import-errors-report">
          <h2>{tr(l, '被拒绝的行', 'Rejected rows')}</h2>
          <p class="muted">
            {more
              ? tr(l, `显示前 ${ERRORS_SHOWN} 条问题；完整报告请下载 CSV。`, `The first ${ERRORS_SHOWN} problems; download the CSV for all of them.`)
              : tr(l, '每条问题一行；行号是文件中的行（第 1 行是列名）。', 'One line per problem; row numbers are lines of the file (line 1 holds the headers).')}{' '}
            <a href={`/v1/imports/${row.id}/errors.csv`} id="errors-csv" download>
              {tr(l, '下载错误报告 CSV', 'Download the error report (CSV)')}
            </a>
          </p>
          <table id="import-errors">
            <thead>
              <tr>
                <th class="num">{tr(l, '行', 'Row')}</th>
                <th>{tr(l, '列', 'Column')}</th>
                <th>{tr(l, '原因', 'Reason')}</th>
                <th>{tr(l, '值', 'Value')}</th>
              </tr>
            </thead>
            <tbody>
              {errors.slice(0, ERRORS_SHOWN).map((e) => (
                <tr data-row={String(e.rowNumber)}>
                  <td class="num">{e.rowNumber}</td>
                  <td>{e.column ?? '—'}</td>
                  <td data-reason={e.reason}>{l === 'en' ? e.reason : reasonZh(e.reason)}</td>
                  <td>{e.value ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {done && row.status === 'completed' && v.counts.accepted > 0 && (
        <p class="actions">
          <a class="button secondary" href={`/app/contacts`} id="to-contacts">
            {tr(l, '查看客户', 'See the contacts')}
          </a>
        </p>
      )}
    </div>
  );
}

// ── contacts ──────────────────────────────────────────────────────────────────

listPages.get('/contacts', staffReaders, async (c) => {
  const deps = c.get('deps');
  const viewer = c.get('viewer');
  const l = c.get('locale');
  const clean = (s: string | undefined) => s?.trim().slice(0, 200) || undefined;
  const q = clean(c.req.query('q'));
  const address = clean(c.req.query('address'));
  const kindRaw = c.req.query('kind');
  const kind = (CONTACT_KINDS as readonly string[]).includes(kindRaw ?? '') ? (kindRaw as ContactKind) : undefined;
  const found = await searchContacts(deps.db.orm, viewer.dealerId, { q, kind, address }, PAGE_SIZE, decodeCursor(c.req.query('cursor')));
  const shown = found.slice(0, PAGE_SIZE);
  const next = found.length > PAGE_SIZE ? encodeCursor(shown[shown.length - 1]!.id) : null;
  const w = words(l);
  return page(
    c,
    <Shell c={c} title={tr(l, '客户', 'Contacts')} active="contacts">
      <section class="card">
        <form method="get" action="/app/contacts" id="contact-search" class="row">
          <div>
            <label for="search-q">{tr(l, '姓名、公司、手机或邮箱', 'Name, company, phone or email')}</label>
            <input type="search" id="search-q" name="q" value={q ?? ''} maxlength={200} placeholder={tr(l, '姓名开头、完整手机号或邮箱', 'Start of a name, or a whole phone number or email')} />
          </div>
          <div>
            <label for="search-address">{tr(l, '地址或邮编', 'Address or postcode')}</label>
            <input type="search" id="search-address" name="address" value={address ?? ''} maxlength={200} placeholder={tr(l, '如 朝阳区 或 100022', 'e.g. a street or 100022')} />
          </div>
          <div>
            <label for="search-kind">{tr(l, '客户类型', 'Kind')}</label>
            <select id="search-kind" name="kind">
              <option value="">{tr(l, '全部', 'All kinds')}</option>
              {CONTACT_KINDS.map((k) => (
                <option value={k} selected={k === kind}>
                  {say(l, KINDS, k)}
                </option>
              ))}
            </select>
          </div>
          <div>
            <button type="submit">{w.search}</button>
          </div>
        </form>
      </section>
      <section class="card">
        {shown.length === 0 ? (
          <p class="muted" id="no-contacts">
            {q || address || kind ? tr(l, '没有符合条件的客户。', 'No contact matches.') : tr(l, '还没有客户；请先上传名单。', 'No contacts yet; upload a list first.')}
          </p>
        ) : (
          <ContactTable c={c} rows={shown} />
        )}
        <Pager c={c} base="/app/contacts" params={{ q, address, kind }} next={next} id="contacts-pager" />
      </section>
    </Shell>,
  );
});

function ContactTable(props: { c: WebContext; rows: ContactRow[] }) {
  const { c } = props;
  const l = c.get('locale');
  const viewer = c.get('viewer');
  return (
    <table id="contacts">
      <thead>
        <tr>
          <th>{tr(l, '姓名', 'Name')}</th>
          <th>{tr(l, '类型', 'Kind')}</th>
          <th>{tr(l, '手机', 'Phone')}</th>
          <th>{tr(l, '城市', 'City')}</th>
          <th>{tr(l, '创建时间', 'Created')}</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map((r) => (
          <tr data-contact={r.id}>
            <td>
              <a href={`/app/contacts/${r.id}`}>{displayName(l, r)}</a>
              {r.fullName && r.company ? <div class="muted">{r.company}</div> : null}
            </td>
            <td>{say(l, KINDS, r.kind)}</td>
            <td>{maskPhone(r.phone)}</td>
            <td>{[r.city, r.district].filter(Boolean).join(' ') || '—'}</td>
            <td>{fmtDate(viewer, l, r.createdAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function displayName(l: WebLocale, r: { fullName: string | null; company: string | null; erasedAt: Date | string | null }): string {
  if (r.erasedAt) return tr(l, '（已删除个人信息）', '(personal data erased)');
  return r.fullName || r.company || tr(l, '（无姓名）', '(no name)');
}

listPages.get('/contacts/:id', staffReaders, async (c) => {
  const id = pathId(c);
  if (!id) return notFoundPage(c);
  const deps = c.get('deps');
  const viewer = c.get('viewer');
  const l = c.get('locale');
  const contact = await contactDetail(deps.db.orm, viewer.dealerId, id);
  const [messages, responses] = await Promise.all([
    contactMessages(deps.db.orm, viewer.dealerId, id, 100),
    listResponses(deps.db.orm, viewer.dealerId, { contactId: id }, 100).then((r) => r.slice(0, 100)),
  ]);
  const names = await campaignNames(c, responses);
  return page(
    c,
    <Shell c={c} title={displayName(l, contact)} active="contacts">
      <p>
        <a href="/app/contacts">← {tr(l, '全部客户', 'All contacts')}</a>
      </p>
      <ContactFacts c={c} contact={contact} />
      <ConsentsAndSuppressions c={c} contact={contact} />
      <Messages c={c} messages={messages} />
      <Responses c={c} responses={responses} names={names} />
      <Merges c={c} contact={contact} />
      {viewer.role === 'admin' && !contact.erasedAt && (
        <section class="card" id="erase">
          <h2>{tr(l, '删除个人信息', 'Erase personal data')}</h2>
          <p class="muted">
            {tr(
              l,
              '应本人要求删除其姓名、地址、手机、邮箱和车架号（客户记录、发送记录、回应、预约和未印制的印刷清单中），统计数字保持不变；退订记录保留。此操作不可撤销。',
              "On the person's request: removes their name, address, phone, email and VINs everywhere (contact, sends, responses, bookings, manifests not yet printed); report counts stay right; opt-outs stay. This cannot be undone.",
            )}
          </p>
          <ErrorBox />
          <button
            type="button"
            class="danger"
            id="erase-contact"
            data-api={`/v1/contacts/${id}`}
            data-method="DELETE"
            data-confirm={tr(l, '确定永久删除此人的个人信息？', "Erase this person's personal data for good?")}
          >
            {tr(l, '删除个人信息', 'Erase personal data')}
          </button>
        </section>
      )}
    </Shell>,
  );
});

/** Campaign names and wave numbers for the responses shown (deliveries and pieces carry theirs). */
async function campaignNames(c: WebContext, responses: ResponseRow[]) {
  const db = c.get('deps').db.orm;
  const dealerId = c.get('viewer').dealerId;
  const campaignIds = [...new Set(responses.map((r) => r.campaignId).filter((x): x is string => !!x))];
  const waveIds = [...new Set(responses.map((r) => r.waveId).filter((x): x is string => !!x))];
  const [cs, ws] = await Promise.all([
    campaignIds.length ? db.select({ id: campaigns.id, name: campaigns.name }).from(campaigns).where(and(eq(campaigns.dealerId, dealerId), inArray(campaigns.id, campaignIds))) : [],
    waveIds.length ? db.select({ id: waves.id, seq: waves.seq }).from(waves).where(and(eq(waves.dealerId, dealerId), inArray(waves.id, waveIds))) : [],
  ]);
  return { campaigns: new Map(cs.map((x) => [x.id, x.name])), waves: new Map(ws.map((x) => [x.id, x.seq])) };
}

function Fact(props: { label: string; id?: string; children: Child }) {
  return (
    <tr id={props.id}>
      <th>{props.label}</th>
      <td>{props.children}</td>
    </tr>
  );
}

function ContactFacts(props: { c: WebContext; contact: ContactDetail }) {
  const { c, contact: k } = props;
  const l = c.get('locale');
  const viewer = c.get('viewer');
  const gender = k.gender === 'male' ? tr(l, '男', 'Male') : k.gender === 'female' ? tr(l, '女', 'Female') : null;
  const attrs = Object.entries(k.attributes ?? {});
  return (
    <>
      <section class="card" id="contact-facts">
        {k.erasedAt && (
          <p class="ok" id="erased">
            {tr(l, `此人的个人信息已于 ${fmtTime(viewer, l, k.erasedAt)} 删除。`, `This person's personal data was erased on ${fmtTime(viewer, l, k.erasedAt)}.`)}
          </p>
        )}
        <table>
          <tbody>
            <Fact label={tr(l, '类型', 'Kind')}>{say(l, KINDS, k.kind)}</Fact>
            <Fact label={tr(l, '姓名', 'Name')} id="fact-name">
              {[k.title, k.fullName].filter(Boolean).join(' ') || '—'}
            </Fact>
            {gender && <Fact label={tr(l, '性别', 'Gender')}>{gender}</Fact>}
            {k.birthday && <Fact label={tr(l, '生日', 'Birthday')}>{k.birthday}</Fact>}
            {k.language && <Fact label={tr(l, '语言', 'Language')}>{k.language}</Fact>}
            <Fact label={tr(l, '手机', 'Phone')} id="fact-phone">
              {k.phone ?? '—'}
            </Fact>
            <Fact label={tr(l, '邮箱', 'Email')}>{k.email ?? '—'}</Fact>
            <tr id="fact-address">
              <th>{tr(l, '地址', 'Address')}</th>
              <td>
                {k.address
                  ? k.address.lines.map((line) => <div>{line}</div>)
                  : '—'}
                {k.address && k.address.country !== 'CN' && <div class="muted">{k.address.country}</div>}
              </td>
            </tr>
            {(k.kind === 'corporate' || k.company) && (
              <>
                <Fact label={tr(l, '公司', 'Company')} id="fact-company">
                  {k.company ?? '—'}
                </Fact>
                <Fact label={tr(l, '职务', 'Job title')}>{k.jobTitle ?? '—'}</Fact>
                <Fact label={tr(l, '车队规模', 'Fleet size')}>{fmtInt(l, k.fleetSize)}</Fact>
              </>
            )}
            {(k.kind === 'club_member' || k.club || k.tier) && (
              <>
                <Fact label={tr(l, '俱乐部', 'Club')} id="fact-club">
                  {k.club ?? '—'}
                </Fact>
                <Fact label={tr(l, '会员等级', 'Tier')}>{k.tier ?? '—'}</Fact>
                <Fact label={tr(l, '入会日期', 'Joined')}>{k.joinDate ?? '—'}</Fact>
              </>
            )}
            <Fact label={tr(l, '创建', 'Created')}>{fmtTime(viewer, l, k.createdAt)}</Fact>
            <Fact label={tr(l, '更新', 'Updated')}>{fmtTime(viewer, l, k.updatedAt)}</Fact>
          </tbody>
        </table>
      </section>
      {(k.kind === 'prior_owner' || k.vehicles.length > 0) && (
        <section class="card">
          <h2>{tr(l, '车辆', 'Vehicles')}</h2>
          {k.vehicles.length === 0 ? (
            <p class="muted">{tr(l, '没有车辆信息。', 'No vehicles known.')}</p>
          ) : (
            <table id="vehicles">
              <thead>
                <tr>
                  <th>VIN</th>
                  <th>{tr(l, '品牌', 'Make')}</th>
                  <th>{tr(l, '车型', 'Model')}</th>
                  <th>{tr(l, '购车日期', 'Purchased')}</th>
                  <th>{tr(l, '最近保养', 'Last service')}</th>
                  <th class="num">{tr(l, '里程（公里）', 'Mileage (km)')}</th>
                  <th>{tr(l, '保险到期', 'Insurance expires')}</th>
                </tr>
              </thead>
              <tbody>
                {k.vehicles.map((v) => (
                  <tr>
                    <td>{v.vin ?? '—'}</td>
                    <td>{v.make ?? '—'}</td>
                    <td>{v.model ?? '—'}</td>
                    <td>{v.purchaseDate ?? '—'}</td>
                    <td>{v.lastServiceDate ?? '—'}</td>
                    <td class="num">{fmtInt(l, v.mileageKm)}</td>
                    <td>{v.insuranceExpiry ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
      {attrs.length > 0 && (
        <section class="card">
          <h2>{tr(l, '名单中的其他列', 'Other columns from the list')}</h2>
          <table id="attributes">
            <tbody>
              {attrs.map(([key, value]) => (
                <tr>
                  <th>{key}</th>
                  <td>{value}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </>
  );
}

function ConsentsAndSuppressions(props: { c: WebContext; contact: ContactDetail }) {
  const { c, contact: k } = props;
  const l = c.get('locale');
  const viewer = c.get('viewer');
  return (
    <section class="card">
      <h2>{tr(l, '同意', 'Consents')}</h2>
      <table id="consents">
        <thead>
          <tr>
            <th>{tr(l, '渠道', 'Channel')}</th>
            <th>{tr(l, '状态', 'Status')}</th>
            <th>{tr(l, '来源', 'Source')}</th>
            <th>{tr(l, '时间', 'Time')}</th>
          </tr>
        </thead>
        <tbody>
          {(['mail', 'sms', 'email'] as const).map((ch) => {
            const x = k.consents[ch];
            return (
              <tr data-channel={ch} data-consent={x?.status ?? 'none'}>
                <td>{say(l, CHANNELS, ch)}</td>
                <td>{x ? say(l, CONSENT, x.status) : tr(l, '未记录', 'Not recorded')}</td>
                <td>{x?.source ?? '—'}</td>
                <td>{fmtTime(viewer, l, x?.at)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <h2>{tr(l, '屏蔽', 'Suppressions')}</h2>
      {k.suppressions.length === 0 ? (
        <p class="muted" id="no-suppressions">{tr(l, '没有屏蔽记录涉及此人。', 'No suppression reaches this person.')}</p>
      ) : (
        <table id="suppressions">
          <thead>
            <tr>
              <th>{tr(l, '渠道', 'Channel')}</th>
              <th>{tr(l, '针对', 'On')}</th>
              <th>{tr(l, '原因', 'Reason')}</th>
              <th>{tr(l, '备注', 'Note')}</th>
              <th>{tr(l, '起始', 'Since')}</th>
            </tr>
          </thead>
          <tbody>
            {k.suppressions.map((s) => (
              <tr data-suppression={s.id} data-reason={s.reason}>
                <td>{say(l, CHANNELS, s.channel)}</td>
                <td>
                  {say(l, SUPPRESSION_TARGETS, s.target)}
                  {s.value && s.target !== 'contact' ? <div class="muted">{s.value}</div> : null}
                </td>
                <td>{say(l, SUPPRESSION_REASONS, s.reason)}</td>
                <td>{s.note ?? ''}</td>
                <td>{fmtTime(viewer, l, s.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function CampaignLink(props: { id: string | null; name: string | null | undefined; l: WebLocale }) {
  if (!props.id) return <span class="muted">{tr(props.l, '（非营销活动）', '(outside a campaign)')}</span>;
  return <a href={`/app/campaigns/${props.id}`}>{props.name ?? props.id}</a>;
}

function Messages(props: { c: WebContext; messages: ContactMessage[] }) {
  const { c, messages } = props;
  const l = c.get('locale');
  const viewer = c.get('viewer');
  return (
    <section class="card">
      <h2>{tr(l, '发送记录', 'Messages')}</h2>
      {messages.length === 0 ? (
        <p class="muted" id="no-messages">{tr(l, '还没有给此人发送过信息。', 'Nothing has been sent to this person yet.')}</p>
      ) : (
        <table id="messages">
          <thead>
            <tr>
              <th>{tr(l, '营销活动', 'Campaign')}</th>
              <th class="num">{tr(l, '波次', 'Wave')}</th>
              <th>{tr(l, '渠道', 'Channel')}</th>
              <th>{tr(l, '状态', 'Status')}</th>
              <th>{tr(l, '发送时间', 'Sent')}</th>
            </tr>
          </thead>
          <tbody>
            {messages.map((m) => (
              <tr data-message={m.id} data-status={m.status}>
                <td>
                  <CampaignLink id={m.campaignId} name={m.campaignName} l={l} />
                  {m.variant ? <span class="badge">{m.variant}</span> : null}
                </td>
                <td class="num">{m.waveSeq ?? '—'}</td>
                <td>{say(l, CHANNELS, m.channel)}</td>
                <td>
                  {say(l, m.source === 'piece' ? PIECE_STATUS : DELIVERY_STATUS, m.status)}
                  {m.reason ? <div class="muted">{m.reason}</div> : null}
                </td>
                <td>
                  {m.source === 'piece'
                    ? m.mailedOn
                      ? `${tr(l, '寄出', 'mailed')} ${m.mailedOn}`
                      : '—'
                    : fmtTime(viewer, l, m.sentAt)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Responses(props: { c: WebContext; responses: ResponseRow[]; names: Awaited<ReturnType<typeof campaignNames>> }) {
  const { c, responses, names } = props;
  const l = c.get('locale');
  const viewer = c.get('viewer');
  return (
    <section class="card">
      <h2>{tr(l, '回应', 'Responses')}</h2>
      {responses.length === 0 ? (
        <p class="muted" id="no-responses">{tr(l, '此人还没有回应。', 'No responses from this person yet.')}</p>
      ) : (
        <table id="responses">
          <thead>
            <tr>
              <th>{tr(l, '类型', 'Kind')}</th>
              <th>{tr(l, '营销活动', 'Campaign')}</th>
              <th class="num">{tr(l, '波次', 'Wave')}</th>
              <th>{tr(l, '渠道', 'Channel')}</th>
              <th>{tr(l, '时间', 'Time')}</th>
            </tr>
          </thead>
          <tbody>
            {responses.map((r) => (
              <tr data-response={r.id} data-kind={r.kind}>
                <td>
                  {say(l, RESPONSE_KINDS, r.kind)}
                  {r.control ? <span class="badge">{tr(l, '对照组', 'control')}</span> : null}
                  {!r.inWindow ? <span class="badge">{tr(l, '超出统计期', 'outside the window')}</span> : null}
                </td>
                <td>
                  <CampaignLink id={r.campaignId} name={r.campaignId ? names.campaigns.get(r.campaignId) : null} l={l} />
                </td>
                <td class="num">{(r.waveId && names.waves.get(r.waveId)) ?? '—'}</td>
                <td>{say(l, CHANNELS, r.channel)}</td>
                <td>{fmtTime(viewer, l, r.occurredAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Merges(props: { c: WebContext; contact: ContactDetail }) {
  const { c, contact: k } = props;
  const l = c.get('locale');
  const viewer = c.get('viewer');
  if (k.merges.length === 0) return null;
  return (
    <section class="card">
      <h2>{tr(l, '名单合并记录', 'Merged from lists')}</h2>
      <table id="merges">
        <thead>
          <tr>
            <th>{tr(l, '名单', 'List')}</th>
            <th class="num">{tr(l, '行', 'Row')}</th>
            <th>{tr(l, '匹配依据', 'Matched on')}</th>
            <th>{tr(l, '更新的字段', 'Fields changed')}</th>
            <th>{tr(l, '时间', 'Time')}</th>
          </tr>
        </thead>
        <tbody>
          {k.merges.map((m) => (
            <tr>
              <td>
                <a href={`/app/lists/${m.importId}`}>{tr(l, '查看导入', 'Import')}</a>
              </td>
              <td class="num">{m.row}</td>
              <td>{say(l, MATCHED_ON, m.matchedOn)}</td>
              <td>{m.changed.length ? m.changed.join(', ') : tr(l, '无', 'none')}</td>
              <td>{fmtTime(viewer, l, m.at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

