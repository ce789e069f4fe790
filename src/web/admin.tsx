// Admin pages: the audit log (who signed in, exported, launched, paused,
// cancelled, downloaded, erased) and the dealer's staff accounts.
import { Hono } from 'hono';
import { listAudit } from '../staff/audit';
import { actorUsers, listUsers, presentUser } from '../staff/accounts';
import type { Role } from '../http/context';
import { isUuid } from '../lib/ids';
import type { WebEnv } from './context';
import { tr, words, type WebLocale } from './i18n';
import { ErrorBox, fmtTime, page, pageRole, Shell } from './kit';
import { listApiTokens } from '../dealers';

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
  token_created: ['新建 API 令牌', 'API token issued'],
  token_revoked: ['吊销 API 令牌', 'API token revoked'],
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
  const names = await actorUsers(deps.db.orm, viewer.dealerId, shown.map((e) => e.actor));
  const actor = (a: string | null) => {
    if (!a) return '—';
    const u = names.get(a);
    return u ? `${u.name} <${u.email}>` : a.startsWith('user:') ? a : tr(l, `API 令牌 ${a}`, `API token ${a}`);
  };
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

// ── the dealer's staff accounts ───────────────────────────────────────────────
const ROLE_ORDER: Role[] = ['admin', 'marketer', 'manager', 'printer'];

adminPages.get('/users', pageRole('admin'), async (c) => {
  const deps = c.get('deps');
  const viewer = c.get('viewer');
  const l = c.get('locale');
  const w = words(l);
  const people = (await listUsers(deps.db.orm, viewer.dealerId)).map(presentUser);
  const tokens = await listApiTokens(deps.db.orm, viewer.dealerId);
  const roleOptions = (selected?: string) =>
    ROLE_ORDER.map((r) => (
      <option value={r} selected={r === selected}>
        {w.roles[r]}
      </option>
    ));
  return page(
    c,
    <Shell c={c} title={tr(l, '用户', 'Users')} active="users">
      <section class="card">
        <table id="users">
          <thead>
            <tr>
              <th>{tr(l, '姓名', 'Name')}</th>
              <th>{w.email}</th>
              <th>{tr(l, '角色', 'Role')}</th>
              <th>{tr(l, '最近登录', 'Last sign-in')}</th>
              <th>{tr(l, '状态', 'Status')}</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {people.map((u) => {
              const self = u.id === viewer.userId;
              return (
                <tr data-user={u.id} data-role={u.role} data-disabled={String(u.disabled)}>
                  <td>
                    {u.name}
                    {self ? <span class="muted">{tr(l, '（您）', ' (you)')}</span> : null}
                  </td>
                  <td>{u.email}</td>
                  <td>
                    {self ? (
                      w.roles[u.role as Role] ?? u.role
                    ) : (
                      <form data-api={`/v1/users/${u.id}`} data-method="PATCH" class="row" data-change-role>
                        <div>
                          <select name="role" aria-label={tr(l, '角色', 'Role')}>
                            {roleOptions(u.role)}
                          </select>
                        </div>
                        <div>
                          <button type="submit" class="secondary">
                            {tr(l, '修改角色', 'Change role')}
                          </button>
                        </div>
                        <ErrorBox />
                      </form>
                    )}
                  </td>
                  <td>{fmtTime(viewer, l, u.lastLoginAt)}</td>
                  <td>{u.disabled ? <span class="badge">{tr(l, '已停用', 'Disabled')}</span> : tr(l, '正常', 'Active')}</td>
                  <td>
                    {!self && (
                      <section>
                        <ErrorBox />
                        {u.disabled ? (
                          <button type="button" class="secondary" data-api={`/v1/users/${u.id}`} data-method="PATCH" data-body='{"disabled":false}' data-enable>
                            {tr(l, '启用', 'Enable')}
                          </button>
                        ) : (
                          <button
                            type="button"
                            class="danger"
                            data-api={`/v1/users/${u.id}`}
                            data-method="PATCH"
                            data-body='{"disabled":true}'
                            data-disable
                            data-confirm={tr(l, `停用 ${u.name}？其登录会话将立即结束。`, `Disable ${u.name}? Their sessions end at once.`)}
                          >
                            {tr(l, '停用', 'Disable')}
                          </button>
                        )}
                      </section>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        <p class="muted">{tr(l, '修改角色或停用账号后，该用户的登录会话立即结束。', 'Changing a role or disabling an account ends that person’s sessions at once.')}</p>
      </section>
      <section class="card">
        <h2>{tr(l, '新建用户', 'New user')}</h2>
        <form data-api="/v1/users" data-method="POST" id="new-user">
          <div class="row">
            <div>
              <label for="nu-name">{tr(l, '姓名', 'Name')}</label>
              <input id="nu-name" name="name" type="text" maxlength={100} required />
            </div>
            <div>
              <label for="nu-email">{w.email}</label>
              <input id="nu-email" name="email" type="email" maxlength={200} autocomplete="off" required />
            </div>
            <div>
              <label for="nu-role">{tr(l, '角色', 'Role')}</label>
              <select id="nu-role" name="role">
                {roleOptions('marketer')}
              </select>
            </div>
            <div>
              <label for="nu-password">{tr(l, '初始密码（至少 10 个字符）', 'First password (at least 10 characters)')}</label>
              <input id="nu-password" name="password" type="password" minlength={10} maxlength={200} autocomplete="new-password" required />
            </div>
          </div>
          <ErrorBox />
          <div class="actions">
            <button type="submit">{w.create}</button>
          </div>
        </form>
      </section>
      <section class="card" id="api-tokens">
        <h2>{tr(l, 'API 令牌（系统对接）', 'API tokens (integrations)')}</h2>
        <table>
          <thead>
            <tr>
              <th>{tr(l, '名称', 'Name')}</th>
              <th>{tr(l, '角色', 'Role')}</th>
              <th>{tr(l, '创建时间', 'Created')}</th>
              <th>{tr(l, '状态', 'Status')}</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((k) => (
              <tr data-token={k.id}>
                <td>{k.name}</td>
                <td>{w.roles[k.role] ?? k.role}</td>
                <td>{fmtTime(viewer, l, k.createdAt)}</td>
                <td>{k.revokedAt ? <span class="badge">{tr(l, `已吊销 ${fmtTime(viewer, l, k.revokedAt)}`, `Revoked ${fmtTime(viewer, l, k.revokedAt)}`)}</span> : tr(l, '有效', 'Active')}</td>
                <td>
                  {!k.revokedAt && (
                    <section>
                      <ErrorBox />
                      <button type="button" class="danger" data-api={`/v1/api-tokens/${k.id}`} data-method="DELETE" data-revoke
                        data-confirm={tr(l, `吊销令牌“${k.name}”？使用它的系统将立即无法访问。`, `Revoke the token "${k.name}"? Systems using it lose access at once.`)}>
                        {tr(l, '吊销', 'Revoke')}
                      </button>
                    </section>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {tokens.length === 0 && <p class="muted">{tr(l, '暂无令牌', 'No tokens yet')}</p>}
        <form data-api="/v1/api-tokens" data-method="POST" id="new-token" data-then="none" data-result="#issued-token" data-result-field="token">
          <div class="row">
            <div>
              <label for="nt-name">{tr(l, '名称（用于哪个系统）', 'Name (which system uses it)')}</label>
              <input id="nt-name" name="name" type="text" maxlength={100} required />
            </div>
            <div>
              <label for="nt-role">{tr(l, '角色', 'Role')}</label>
              <select id="nt-role" name="role">
                {roleOptions('marketer')}
              </select>
            </div>
          </div>
          <ErrorBox />
          <div class="actions">
            <button type="submit">{tr(l, '生成令牌', 'Issue token')}</button>
          </div>
        </form>
        <div class="ok" hidden id="issued-token-box">
          <p>{tr(l, '新令牌如下，只显示这一次，请立即复制保存：', 'The new token, shown this once only — copy it now:')}</p>
          <pre id="issued-token"></pre>
        </div>
      </section>
      <section class="card">
        <p class="muted">
          {tr(
            l,
            '管理员：用户与设置；市场专员：名单、客群、模板、活动；经理：只读查看全部、报表与导出；印刷厂：仅放行给其的印刷任务。',
            'Admin: users and settings. Marketer: lists, segments, templates, campaigns. Manager: reads everything, reports and exports. Printer: only the print jobs released to them.',
          )}
        </p>
      </section>
    </Shell>,
  );
});
