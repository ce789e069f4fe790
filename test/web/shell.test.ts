// The staff web app's frame: signing in, sessions and CSRF as for the API,
// navigation by role, refusal pages, both languages, security headers, and
// the audit log page.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';
import { hasChromium, launchChromium, listen, signIn, signInThroughPage, staffUser, type StaffClient } from '../helpers/staff';

describe.each(DB_KINDS)('staff web app frame on %s', (kind) => {
  let t: TestApp;
  let admin: StaffClient;
  let marketer: StaffClient;
  let printer: StaffClient;

  beforeAll(async () => {
    t = await createTestApp(kind);
    admin = await staffUser(t, 'admin', { name: '王<b>管理</b>' });
    marketer = await staffUser(t, 'marketer');
    printer = await staffUser(t, 'printer');
  });
  afterAll(() => t.close());

  it('sends people without a session to the sign-in page, and back afterwards', async () => {
    const res = await t.app.request('/app/campaigns?x=1');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/app/login?next=%2Fapp%2Fcampaigns%3Fx%3D1');
    const login = await t.app.request('/app/login?next=%2Fapp%2Fcampaigns');
    const html = await login.text();
    expect(html).toContain('data-next="/app/campaigns"');
    expect(html).toContain('登录');
    // Only paths of this app are followed after sign-in.
    for (const next of ['https://evil.example/', '//evil.example/app', '/v1/contacts', '/app\\..\\x']) {
      const page = await (await t.app.request(`/app/login?next=${encodeURIComponent(next)}`)).text();
      expect(page).toContain('data-next="/app"');
    }
    // Signed in: the sign-in page forwards to the role's home.
    const again = await t.app.request('/app/login', { headers: { cookie: printer.cookie } });
    expect(again.headers.get('location')).toBe('/app/print');
  });

  it('shows each role its own navigation, escaped names, and the CSRF token for the script', async () => {
    const html = await admin.html('/app/audit');
    expect(html).toContain('王&lt;b&gt;管理&lt;/b&gt;');
    expect(html).not.toContain('<b>管理');
    expect(html).toContain(`<meta name="csrf-token" content="${admin.csrf}"`);
    expect(html).toContain('href="/app/users"');
    expect((await marketer.get('/app/')).headers.get('location')).toBe('/app');
    const home = await marketer.get('/app');
    expect(home.headers.get('location')).toBe('/app/campaigns');
    const audit = await marketer.get('/app/audit');
    expect(audit.status).toBe(403);
    const refusal = await audit.text();
    expect(refusal).toContain('id="refused"');
    expect(refusal).not.toContain('href="/app/users"');
    expect(refusal).toContain('href="/app/campaigns"');
    const printerHome = await printer.get('/app/audit');
    expect(printerHome.status).toBe(403);
    const nav = await printerHome.text();
    expect(nav).toContain('href="/app/print"');
    expect(nav).not.toContain('href="/app/contacts"');
  });

  it('switches language by link and remembers it', async () => {
    const en = await admin.get('/app/audit?lang=en');
    expect(en.headers.get('set-cookie')).toMatch(/dm_lang=en/);
    expect(await en.text()).toContain('<html lang="en">');
    const again = await admin.get('/app/audit', { cookie: `${admin.cookie}; dm_lang=en` });
    expect(await again.text()).toContain('Audit log');
    const zh = await admin.get('/app/audit');
    expect(await zh.text()).toContain('审计日志');
  });

  it('sends security headers and never caches pages', async () => {
    const res = await admin.get('/app/audit');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const js = await admin.get('/app/static/staff.js');
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(await js.text()).toContain('x-csrf-token');
  });

  it('refuses unsafe page calls without the CSRF token, and ended sessions', async () => {
    const noCsrf = await marketer.send('POST', '/app/anything', {}, { csrf: false });
    expect(noCsrf.status).toBe(403);
    expect(await noCsrf.text()).toContain('X-CSRF-Token');
    const other = await signIn(t, marketer.email);
    expect((await other.send('POST', '/v1/auth/logout')).status).toBe(204);
    const ended = await other.get('/app/campaigns');
    expect(ended.status).toBe(303);
    expect(ended.headers.get('location')).toMatch(/^\/app\/login/);
  });

  it('lists sign-ins and other audited actions for admins, newest first', async () => {
    const html = await admin.html('/app/audit');
    expect(html).toContain('data-action="login"');
    expect(html).toContain('data-action="logout"');
    expect(html).toContain('王&lt;b&gt;管理&lt;/b&gt;');
  });

  it.runIf(hasChromium && kind === DB_KINDS[0])('in Chromium: a link from another site opens the page signed in; that site’s form posts are refused', async () => {
    const server = await listen(t);
    // Another site (localhost is not the same site as 127.0.0.1): a link into /app, and a form that tries to sign the user out.
    const other = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(`<!doctype html><a id="go" href="${server.base}/app/audit">audit</a>
        <form id="evil" method="post" action="${server.base}/v1/auth/logout"><button>go</button></form>`);
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const elsewhere = `http://localhost:${(other.address() as AddressInfo).port}/`;
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const page = await (await browser.newContext({ locale: 'zh-CN' })).newPage();
      await signInThroughPage(page, server.base, admin.email, '/app/campaigns');
      await page.goto(elsewhere);
      await Promise.all([page.waitForURL((u) => u.origin === server.base), page.click('#go')]);
      expect(page.url()).toBe(`${server.base}/app/audit`);
      expect(await page.locator('h1').textContent()).toContain('审计日志');
      // A post from the other site carries no session (and would lack the CSRF token anyway): refused, still signed in.
      await page.goto(elsewhere);
      const [refused] = await Promise.all([page.waitForResponse(`${server.base}/v1/auth/logout`), page.click('#evil button')]);
      expect(refused.status()).toBe(401);
      await page.goto(`${server.base}/app/audit`);
      expect(page.url()).toBe(`${server.base}/app/audit`);
    } finally {
      await browser?.close();
      await new Promise<void>((r) => other.close(() => r()));
      await server.close();
    }
  });
});
