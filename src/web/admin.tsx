// Admin pages: the audit log (who signed in, exported, launched, paused,
// cancelled, downloaded, erased) and the dealer's staff accounts.
import { Hono } from 'hono';
import { sql } from 'drizzle-orm';
import { rows } from '../db';
import { listAudit } from '../staff/audit';
import { isUuid } from '../lib/ids';
import type { WebEnv } from './context';
import { tr, type WebLocale } from './i18n';
import { fmtTime, page, pageRole, Shell } from './kit';

export const adminPages = new Hono<WebEnv>();

const ACTION_NAMES: Record<string, [string, string]> = {
  login: ['登录', 'Signed in'],
  login_failed: ['登录失败', 'Failed sign-in'],
  logout: ['退出', 'Signed out'],
  user_created: ['新建用户', 'User created'],
  user_changed: ['修改用户', 'User changed'],
  export: ['导出', 'Export'],
  download: ['下载', 'Download'],
  launch: ['启动活动', 'Launch'],
  pause: ['暂停', 'Pause'],
  resume: ['恢复', 'Resume'],
  cancel: ['取消', 'Cancel'],
  erasure: ['删除个人信息', 'Erasure'],
};

function actionName(locale: WebLocale, action: string): string {
  const n = ACTION_NAMES[action];
  return n ? tr(locale, n[0], n[1]) : action;
}

const PAGE = 100;

adminPages.get('/audit', pageRole('admin'), async (c) => {
  const deps = c.get('deps');
  const viewer = c.get('viewer');
  const l = c.get('locale');
  const before = c.req.query('before');
  const entries = await listAudit(deps.db.orm, viewer.dealerId, PAGE + 1, before && isUuid(before) ? before : undefined);
  const more = entries.length > PAGE;
  const shown = entries.slice(0, PAGE);
  // Actors are shown by name (user:<id>) or as an API token.
  const userIds = [...new Set(shown.map((e) => e.actor?.startsWith('user:') ? e.actor.slice(5) : null).filter((x): x is string => !!x && isUuid(x)))];
  const names = new Map(
    userIds.length
      ? (await rows<{ id: string; name: string; email: string }>(deps.db.orm, sql`SELECT id, name, email FROM users WHERE dealer_id = ${viewer.dealerId}::uuid AND id = ANY(${sql.param(userIds)}::uuid[])`)).map((u) => [u.id, `${u.name} <${u.email}>`])
      : [],
  );
  const actor = (a: string | null) => (!a ? '—' : a.startsWith('user:') ? names.get(a.slice(5)) ?? a : tr(l, `API 令牌 ${a}`, `API token ${a}`));
  return page(
    c,
    <Shell c={c} title={tr(l, '审计日志', 'Audit log')} active="audit">
      <section class="card">
        <table id="audit">
          <thead>
            <tr>
              <th>{tr(l, '时间', 'Time')}</th>
              <th>{tr(l, '操作', 'Action')}</th>
              <th>{tr(l, '操作人', 'By')}</th>
              <th>{tr(l, '对象', 'Subject')}</th>
              <th>{tr(l, '详情', 'Details')}</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((e) => (
              <tr data-action={e.action}>
                <td>{fmtTime(viewer, l, e.at)}</td>
                <td>{actionName(l, e.action)}</td>
                <td>{actor(e.actor)}</td>
                <td>{e.subject ? `${e.subject.type} ${e.subject.id}` : '—'}</td>
                <td class="muted">{Object.keys(e.data as object).length ? JSON.stringify(e.data) : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {shown.length === 0 && <p class="muted">{tr(l, '暂无记录', 'Nothing recorded yet')}</p>}
        {more && (
          <p class="actions">
            <a class="button secondary" href={`/app/audit?before=${shown[shown.length - 1]!.id}`}>
              {tr(l, '更早的记录', 'Older entries')}
            </a>
          </p>
        )}
      </section>
    </Shell>,
  );
});
