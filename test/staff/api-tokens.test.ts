// API tokens for integrations: admins issue them with a role (the token is
// shown once, only its hash kept), see them listed, and revoke them, through
// the API and the Users page; each use honours the token's role; revoked
// tokens stop working at once; other dealers' tokens are out of reach.
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db';
import { createTestApp, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';
import { artifactsDir, hasChromium, launchChromium, listen, STAFF_PASSWORD, staffUser, type StaffClient, signInThroughPage } from '../helpers/staff';

describe.each(DB_KINDS)('API tokens on %s', (kind) => {
  let t: TestApp;
  let admin: StaffClient;
  let marketer: StaffClient;

  beforeAll(async () => {
    t = await createTestApp(kind);
    admin = await staffUser(t, 'admin');
    marketer = await staffUser(t, 'marketer');
  });
  afterAll(() => t.close());

  it('issues a token with a role, lists it without the secret, and revokes it at once', async () => {
    const res = await admin.send('POST', '/v1/api-tokens', { name: 'CRM <同步>', role: 'marketer' });
    expect(res.status, await res.clone().text()).toBe(201);
    const issued = (await res.json()) as { id: string; token: string; role: string };
    expect(issued.token).toMatch(/^dm_[A-Za-z0-9_-]{43}$/);
    // Its role holds: a marketer's token reads segments, not users.
    const use = (path: string, method = 'GET') => t.app.request(path, { method, headers: { authorization: `Bearer ${issued.token}` } });
    expect((await use('/v1/segments')).status).toBe(200);
    expect((await use('/v1/users')).status).toBe(403);
    expect((await use('/v1/api-tokens')).status).toBe(403);
    const list = await (await admin.get('/v1/api-tokens')).text();
    expect(list).toContain(issued.id);
    expect(list).not.toContain(issued.token);
    const [stored] = await rows<{ token_hash: string }>(t.deps.db.orm, sql`SELECT token_hash FROM api_tokens WHERE id = ${issued.id}::uuid`);
    expect(stored!.token_hash).not.toContain(issued.token.slice(3, 20));
    // The page lists it (escaped) with a revoke button.
    const page = await admin.html('/app/users');
    expect(page).toContain('CRM &lt;同步&gt;');
    expect(page).toContain(`data-api="/v1/api-tokens/${issued.id}"`);
    expect((await admin.send('DELETE', `/v1/api-tokens/${issued.id}`)).status).toBe(204);
    expect((await use('/v1/segments')).status).toBe(401);
    // Revoking again is harmless; the audit log has both steps.
    expect((await admin.send('DELETE', `/v1/api-tokens/${issued.id}`)).status).toBe(204);
    const audit = (await (await admin.get('/v1/audit?limit=500')).json()) as { data: { action: string; subject: { id: string } | null }[] };
    const mine = audit.data.filter((e) => e.subject?.id === issued.id).map((e) => e.action);
    expect(mine).toContain('token_created');
    expect(mine).toContain('token_revoked');
  });

  it('refuses non-admins, bad input and other dealers', async () => {
    expect((await marketer.send('POST', '/v1/api-tokens', { name: 'x', role: 'admin' })).status).toBe(403);
    expect((await marketer.get('/v1/api-tokens')).status).toBe(403);
    expect((await admin.send('POST', '/v1/api-tokens', { name: '', role: 'owner' })).status).toBe(400);
    expect((await admin.send('POST', '/v1/api-tokens', { name: 'x', role: 'admin' }, { csrf: false })).status).toBe(403);
    const other = await t.addDealer('另一家店');
    const theirs = (await (await t.req('POST', '/v1/api-tokens', { token: other.token, body: { name: 'theirs', role: 'manager' } })).json()) as { id: string; token: string };
    expect((await admin.send('DELETE', `/v1/api-tokens/${theirs.id}`)).status).toBe(404);
    expect(await (await admin.get('/v1/api-tokens')).text()).not.toContain(theirs.id);
    expect((await t.app.request('/v1/segments', { headers: { authorization: `Bearer ${theirs.token}` } })).status).toBe(200);
  });

  it.runIf(hasChromium && kind === DB_KINDS[0])('issues a token on the Users page, shows it once, and revokes it', async () => {
    const server = await listen(t);
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1200, height: 900 } });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('dialog', (d) => void d.accept());
      await signInThroughPage(page, server.base, admin.email, '/app/users');
      await page.fill('#nt-name', '经销商管理系统');
      await page.selectOption('#nt-role', 'manager');
      await page.click('#new-token button[type=submit]');
      await page.locator('#issued-token-box').waitFor({ state: 'visible' });
      const token = (await page.locator('#issued-token').textContent())!;
      expect(token).toMatch(/^dm_/);
      await page.screenshot({ path: join(artifactsDir('web'), 'api-token.png'), fullPage: true });
      expect((await t.app.request('/v1/reports/campaigns', { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      await page.reload();
      const row = page.locator('tr[data-token]', { hasText: '经销商管理系统' });
      await row.locator('button[data-revoke]').click();
      await page.waitForLoadState('load');
      await expect.poll(async () => (await t.app.request('/v1/reports/campaigns', { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
      expect(problems).toEqual([]);
    } finally {
      await browser?.close();
      await server.close();
    }
  });
});
