// The users page (admins only): the dealer's staff with role, last sign-in
// and whether disabled, names shown escaped; creating a user, changing a role
// and disabling go through the API calls the page's forms make (session and
// CSRF token), and are in the audit log; another dealer's staff are not shown.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';
import { signIn, STAFF_PASSWORD, staffUser, type StaffClient } from '../helpers/staff';

const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&amp;/g, '&');
/** Each user row: id → role and disabled. */
const shownUsers = (html: string) => Object.fromEntries([...html.matchAll(/data-user="([^"]+)" data-role="([^"]+)" data-disabled="(true|false)"/g)].map((m) => [m[1]!, { role: m[2]!, disabled: m[3] === 'true' }]));
function row(html: string, id: string): string {
  const start = html.indexOf(`data-user="${id}"`);
  expect(start, `user ${id} on the page`).toBeGreaterThan(-1);
  return html.slice(start, html.indexOf('</tr>', start));
}

describe.each(DB_KINDS)('users page on %s', (kind) => {
  let t: TestApp;
  let admin: StaffClient;
  let marketer: StaffClient;

  beforeAll(async () => {
    t = await createTestApp(kind);
    admin = await staffUser(t, 'admin', { name: '管理员 Ann' });
    marketer = await staffUser(t, 'marketer', { name: '<img src=x onerror=alert(1)>小李' });
  });
  afterAll(() => t.close());

  it('lists the dealer’s users, names escaped, with role, last sign-in and status; admins only', async () => {
    const html = await admin.html('/app/users');
    const users = (await (await t.req('GET', '/v1/users')).json()) as { data: { id: string; email: string; role: string; lastLoginAt: string | null }[] };
    expect(shownUsers(html)).toEqual(Object.fromEntries(users.data.map((u) => [u.id, { role: u.role, disabled: false }])));
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;小李');
    expect(html).not.toContain('<img src=x');
    const m = users.data.find((u) => u.email === marketer.email)!;
    // Signed in on 1 March 10:00 in Shanghai (the test clock).
    expect(m.lastLoginAt).toBe('2026-03-01T02:00:00.000Z');
    expect(row(html, m.id)).toContain('2026/03/01 10:00');
    // The admin's own row has no controls (no locking oneself out).
    const me = users.data.find((u) => u.email === admin.email)!;
    expect(row(html, me.id)).not.toContain('data-api');
    expect(row(html, m.id)).toContain(`data-api="/v1/users/${m.id}"`);
    for (const role of ['marketer', 'manager', 'printer'] as const) {
      const who = role === 'marketer' ? marketer : await staffUser(t, role);
      const res = await who.get('/app/users');
      expect(res.status).toBe(403);
      expect(await res.text()).not.toContain('data-user=');
      expect((await who.send('POST', '/v1/users', { email: `x-${role}@dealer.test`, name: 'x', role: 'admin', password: STAFF_PASSWORD })).status).toBe(403);
    }
    const en = await admin.get('/app/users?lang=en');
    expect(await en.text()).toContain('Last sign-in');
  });

  it('creates a user through the page’s form, changes the role and disables them', async () => {
    const html = await admin.html('/app/users');
    const form = /<form data-api="([^"]+)" data-method="([^"]+)" id="new-user">/.exec(html)!;
    expect([form[1], form[2]]).toEqual(['/v1/users', 'POST']);
    for (const field of ['name', 'email', 'role', 'password']) expect(html).toMatch(new RegExp(`name="${field}"`));
    // Bad input: the API's message for the page to show.
    const bad = await admin.send(form[2]!, form[1]!, { name: '', email: 'not an email', role: 'marketer', password: 'short' });
    expect(bad.status).toBe(400);
    const paths = ((await bad.json()) as { error: { details: { path: string }[] } }).error.details.map((d) => d.path).sort();
    expect(paths).toEqual(['email', 'name', 'password']);
    // Without the CSRF token nothing happens.
    expect((await admin.send(form[2]!, form[1]!, { name: '赵印', email: 'zhao@print.test', role: 'printer', password: STAFF_PASSWORD }, { csrf: false })).status).toBe(403);
    const created = await admin.send(form[2]!, form[1]!, { name: '赵<b>印</b>', email: 'Zhao@Print.test', role: 'printer', password: STAFF_PASSWORD });
    expect(created.status, await created.clone().text()).toBe(201);
    const id = ((await created.json()) as { id: string }).id;
    let page = await admin.html('/app/users');
    expect(shownUsers(page)[id]).toEqual({ role: 'printer', disabled: false });
    expect(row(page, id)).toContain('赵&lt;b&gt;印&lt;/b&gt;');
    expect(row(page, id)).toContain('zhao@print.test');
    expect(row(page, id)).toMatch(/<td>—<\/td>/);
    const again = await admin.send(form[2]!, form[1]!, { name: '赵', email: 'zhao@print.test', role: 'printer', password: STAFF_PASSWORD });
    expect(again.status).toBe(409);

    // The new user signs in; then the admin changes the role (their session ends).
    const zhao = await signIn(t, 'zhao@print.test');
    expect((await zhao.get('/app/print')).status).toBe(200);
    const change = new RegExp(`<form data-api="(/v1/users/${id})" data-method="(PATCH)"[^>]*data-change-role`).exec(row(page, id))!;
    expect(change).not.toBeNull();
    expect((await admin.send(change[2]!, change[1]!, { role: 'manager' })).status).toBe(200);
    page = await admin.html('/app/users');
    expect(shownUsers(page)[id]).toEqual({ role: 'manager', disabled: false });
    expect((await zhao.get('/app/print')).status).toBe(303);

    // Disable: the button's body is what the page sends.
    const disable = /data-api="([^"]+)" data-method="(PATCH)" data-body="([^"]+)" data-disable/.exec(row(page, id))!;
    expect(JSON.parse(unescape(disable[3]!))).toEqual({ disabled: true });
    expect((await admin.send(disable[2]!, disable[1]!, JSON.parse(unescape(disable[3]!)))).status).toBe(200);
    page = await admin.html('/app/users');
    expect(shownUsers(page)[id]).toEqual({ role: 'manager', disabled: true });
    expect(row(page, id)).toContain('data-enable');
    const refused = await t.app.request('/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'zhao@print.test', password: STAFF_PASSWORD }) });
    expect(refused.status).toBe(401);

    const log = (await (await t.req('GET', '/v1/audit')).json()) as { data: { action: string; subject: { id: string } | null }[] };
    expect(log.data.filter((e) => e.subject?.id === id).map((e) => e.action).sort()).toEqual(['user_changed', 'user_changed', 'user_created']);
    // The audit page names the user changes.
    expect(await admin.html('/app/audit')).toContain('data-action="user_changed"');
  });

  it('shows only the dealer’s own staff, and another dealer’s admin cannot change them', async () => {
    const other = await t.addDealer('别家车行');
    const theirs = await staffUser(t, 'admin', { adminToken: other.token, name: '别家管理员' });
    const html = await theirs.html('/app/users');
    expect(html).not.toContain(marketer.email);
    expect(Object.keys(shownUsers(html))).toHaveLength(1);
    const mine = ((await (await t.req('GET', '/v1/users')).json()) as { data: { id: string; email: string }[] }).data.find((u) => u.email === marketer.email)!;
    expect((await theirs.send('PATCH', `/v1/users/${mine.id}`, { disabled: true })).status).toBe(404);
    expect(shownUsers(await admin.html('/app/users'))[mine.id]).toEqual({ role: 'marketer', disabled: false });
    expect(await admin.html('/app/users')).not.toContain('别家管理员');
  });
});
