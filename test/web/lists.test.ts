// The lists and contacts pages: imports with their progress and per-row error
// report, contact search and one contact's record (consents, suppressions,
// messages, responses); roles, other dealers' ids, escaping; and one run in
// Chromium: upload a CSV through the page, watch it import, read the error row.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaigns, outbox, waves } from '../../src/db/schema-campaigns';
import { responses } from '../../src/db/schema-responses';
import { uuidv7 } from '../../src/lib/ids';
import { T0, createTestApp, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';
import { artifactsDir, hasChromium, launchChromium, listen, STAFF_PASSWORD, staffUser, type StaffClient, signInThroughPage } from '../helpers/staff';

const CSV = [
  '姓名,手机,地址,邮编,备注',
  '王<script>alert(1)</script>,13900139000,北京市朝阳区建国路88号,100022,<i>老客户</i>',
  '李娜,13900139001,广东省广州市天河区天河路385号,510620,',
  '坏行,<b>12345</b>,,,',
  '',
].join('\r\n');

interface ImportView {
  id: string;
  status: string;
  filename: string | null;
  counts: { rows: number; accepted: number; rejected: number; created: number };
}

async function upload(t: TestApp, csv: string, opts: { filename?: string; token?: string; headers?: Record<string, string> } = {}): Promise<ImportView> {
  const q = opts.filename ? `?filename=${encodeURIComponent(opts.filename)}` : '';
  const res = await t.req('POST', `/v1/imports${q}`, { body: csv, token: opts.token, headers: { 'content-type': 'text/csv', ...opts.headers } });
  expect(res.status, await res.clone().text()).toBe(202);
  return (await res.json()) as ImportView;
}

async function contactId(t: TestApp, q: string, token?: string): Promise<string> {
  const res = await t.req('GET', `/v1/contacts?q=${encodeURIComponent(q)}`, { token });
  const body = (await res.json()) as { data: { id: string }[] };
  expect(body.data, q).toHaveLength(1);
  return body.data[0]!.id;
}

describe.each(DB_KINDS)('lists and contacts pages on %s', (kind) => {
  let t: TestApp;
  let admin: StaffClient;
  let marketer: StaffClient;
  let manager: StaffClient;
  let printer: StaffClient;
  let imp: ImportView;
  let wang: string;
  let li: string;
  let foreignImport: string;
  let foreignContact: string;
  let campaignId: string;

  beforeAll(async () => {
    t = await createTestApp(kind);
    admin = await staffUser(t, 'admin');
    marketer = await staffUser(t, 'marketer');
    manager = await staffUser(t, 'manager');
    printer = await staffUser(t, 'printer');
    imp = await upload(t, CSV, { filename: '<b>老客户</b>.csv' });
    const other = await t.addDealer('别家4S店');
    const theirs = await upload(t, '姓名,手机\r\n别家客户,13700137000\r\n', { token: other.token });
    await t.deps.jobs.idle();
    // 李娜 again in a later list, now with an email: merged into her record.
    await upload(t, '姓名,手机,邮箱\r\n李娜,13900139001,lina@example.cn\r\n', { filename: '补充.csv' });
    await t.deps.jobs.idle();
    foreignImport = theirs.id;
    foreignContact = await contactId(t, '别家客户', other.token);
    wang = await contactId(t, '13900139000');
    li = await contactId(t, '李娜');

    // A campaign that reached 李娜 by SMS, and her click.
    campaignId = uuidv7();
    const waveId = uuidv7();
    const deliveryId = uuidv7();
    const db = t.deps.db.orm;
    await db.insert(campaigns).values({ id: campaignId, dealerId: t.dealerId, name: '<b>春节</b>关怀', purpose: 'greeting', status: 'running', seed: 's', createdAt: T0, updatedAt: T0 });
    await db.insert(waves).values({ id: waveId, dealerId: t.dealerId, campaignId, seq: 2, channel: 'sms', templateVersionId: uuidv7(), scheduledAt: T0, status: 'queued', createdAt: T0 });
    await db.insert(outbox).values({
      id: deliveryId, dealerId: t.dealerId, campaignId, waveId, contactId: li, channel: 'sms', templateVersionId: uuidv7(), status: 'delivered',
      nextAttemptAt: T0, token: 'TESTTOKEN0000001', address: '+8613900139001', createdAt: T0, sentAt: new Date('2026-03-01T03:04:00Z'),
    });
    await db.insert(responses).values({ id: uuidv7(), dealerId: t.dealerId, kind: 'click', campaignId, waveId, channel: 'sms', contactId: li, deliveryId, occurredAt: new Date('2026-03-01T05:00:00Z'), createdAt: T0 });
    const sup = await t.req('POST', '/v1/suppressions', { body: { contactId: li, channel: 'email', reason: 'do_not_contact', note: '<u>电话里要求</u>' } });
    expect(sup.status, await sup.clone().text()).toBe(201);
    const consent = await t.req('PUT', `/v1/contacts/${li}/consents/sms`, { body: { status: 'granted', source: '<em>店内签字</em>' } });
    expect(consent.status).toBe(200);
  });
  afterAll(() => t.close());

  it('the import finished with one rejected row (the setup this file relies on)', async () => {
    const res = await t.req('GET', `/v1/imports/${imp.id}`);
    expect(await res.json()).toMatchObject({ status: 'completed', counts: { rows: 3, accepted: 2, rejected: 1, created: 2 } });
  });

  it('lists the imports for marketers with the upload form, for managers without it, and refuses printers', async () => {
    const html = await marketer.html('/app/lists');
    expect(html).toContain('id="upload-form"');
    expect(html).toContain('data-upload="/v1/imports"');
    expect(html).toContain('data-then="/app/lists/{id}"');
    expect(html).toContain(`data-max="${t.deps.config.IMPORT_MAX_BYTES}"`);
    expect(html).toMatch(/<progress[^>]*data-progress/);
    for (const option of ['name="kind"', 'value="club_member"', 'name="encoding"', 'value="gbk"', 'name="delimiter"', 'value="semicolon"', 'name="mapping"', 'name="country"']) {
      expect(html, option).toContain(option);
    }
    // The file name is the dealer's text: escaped. Counts as imported.
    expect(html).toContain('&lt;b&gt;老客户&lt;/b&gt;.csv');
    expect(html).not.toContain('<b>老客户');
    const row = html.slice(html.indexOf(`data-import="${imp.id}"`));
    expect(row).toContain('data-status="completed"');
    expect(row).toContain('已完成');
    expect(row).toContain('100%');

    const forManager = await manager.html('/app/lists');
    expect(forManager).not.toContain('id="upload-form"');
    expect(forManager).toContain(`href="/app/lists/${imp.id}"`);
    // Another dealer's import is not listed.
    expect(forManager).not.toContain(foreignImport);

    const refused = await printer.get('/app/lists');
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('id="refused"');
    expect((await printer.get(`/app/lists/${imp.id}`)).status).toBe(403);
    expect((await printer.get('/app/contacts')).status).toBe(403);
    expect((await printer.get(`/app/contacts/${li}`)).status).toBe(403);
  });

  it('shows a finished import: counts, done marker, and the rejected rows escaped', async () => {
    const html = await manager.html(`/app/lists/${imp.id}`);
    expect(html).toContain('data-done');
    // Finished: nothing left to poll.
    expect(html).not.toContain('data-poll=');
    expect(html).toMatch(/data-count="rows"[\s\S]*?<div class="stat">3<\/div>/);
    expect(html).toMatch(/data-count="created"[\s\S]*?<div class="stat">2<\/div>/);
    expect(html).toMatch(/data-count="rejected"[\s\S]*?<div class="stat">1<\/div>/);
    expect(html).toContain(`href="/v1/imports/${imp.id}/errors.csv"`);
    const report = html.slice(html.indexOf('id="import-errors"'));
    expect(report).toContain('data-row="4"');
    expect(report).toContain('手机');
    expect(report).toContain('&lt;b&gt;12345&lt;/b&gt;');
    expect(html).not.toContain('<b>12345');
    // The reason in the page's language (the API's English one kept in data-reason).
    const reason = /data-reason="([^"]+)">([^<]+)</.exec(report)!;
    expect(reason[1]).toMatch(/phone/);
    expect(reason[2]).toMatch(/手机号码/);
    expect(await manager.html(`/app/lists/${imp.id}?lang=en`)).toContain(`>${reason[1]}<`);
    // No cancel button on a finished import, for anyone.
    expect(await marketer.html(`/app/lists/${imp.id}`)).not.toContain('id="cancel-import"');
    // The column mapping it used.
    expect(html).toMatch(/<td>姓名<\/td>\s*<td>full_name<\/td>/);

    // The polled fragment: no page shell, the done marker.
    const frag = await manager.get(`/app/lists/${imp.id}/progress`, { 'x-fragment': '1' });
    expect(frag.status).toBe(200);
    const text = await frag.text();
    expect(text).toMatch(/^<div id="import-status" data-status="completed" data-done/);
    expect(text).not.toContain('<html');

    // The CSV report the link points at works with the session cookie.
    const csv = await manager.get(`/v1/imports/${imp.id}/errors.csv`);
    expect(csv.status).toBe(200);
    expect(await csv.text()).toContain('<b>12345</b>');
  });

  it("answers another dealer's or a malformed import id with the not-found page", async () => {
    for (const path of [`/app/lists/${foreignImport}`, '/app/lists/not-an-id', `/app/lists/${foreignImport}/progress`]) {
      const res = await marketer.get(path);
      expect(res.status, path).toBe(404);
      expect(await res.text(), path).toContain('id="not-found"');
    }
    // The poller (x-fragment) gets the API's error shape, never the data.
    const frag = await marketer.get(`/app/lists/${foreignImport}/progress`, { 'x-fragment': '1' });
    expect(frag.status).toBe(404);
    expect(await frag.text()).not.toContain('别家');
  });

  it('keeps the file name a browser upload sends in X-File-Name', async () => {
    const named = await upload(t, '姓名,手机\r\n张伟,13600136000\r\n', { headers: { 'x-file-name': encodeURIComponent('三月 名单.csv') } });
    expect(named.filename).toBe('三月 名单.csv');
    await t.deps.jobs.idle();
    expect(await marketer.html('/app/lists')).toContain('三月 名单.csv');
  });

  it('searches contacts by name, phone, address text, postcode and kind, with escaped names and masked phones', async () => {
    const all = await manager.html('/app/contacts');
    expect(all).toContain(`href="/app/contacts/${wang}"`);
    expect(all).toContain(`href="/app/contacts/${li}"`);
    expect(all).toContain('王&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(all).not.toContain('<script>alert');
    expect(all).toContain('+86139****9001');
    expect(all).not.toContain('+8613900139001');
    expect(all).not.toContain(foreignContact);

    const ids = (html: string) => [...html.matchAll(/data-contact="([^"]+)"/g)].map((m) => m[1]);
    expect(ids(await manager.html(`/app/contacts?q=${encodeURIComponent('李')}`))).toEqual([li]);
    expect(ids(await manager.html('/app/contacts?q=139-0013-9000'))).toEqual([wang]);
    expect(ids(await manager.html(`/app/contacts?address=${encodeURIComponent('朝阳区')}`))).toEqual([wang]);
    expect(ids(await manager.html(`/app/contacts?address=${encodeURIComponent('广州市天河区')}`))).toEqual([li]);
    expect(ids(await manager.html('/app/contacts?address=510620'))).toEqual([li]);
    expect(ids(await manager.html('/app/contacts?kind=corporate'))).toEqual([]);
    const none = await manager.html('/app/contacts?kind=corporate');
    expect(none).toContain('id="no-contacts"');
    expect(none).toMatch(/<option value="corporate" selected/);
    // Another dealer's people are not found by their phone either.
    expect(ids(await manager.html('/app/contacts?q=13700137000'))).toEqual([]);
    // The API reads the same search.
    const api = (await (await t.req('GET', `/v1/contacts?address=${encodeURIComponent('朝阳区')}`)).json()) as { data: { id: string }[] };
    expect(api.data.map((c) => c.id)).toEqual([wang]);
  });

  it('pages through contacts with a cursor that keeps the search', async () => {
    for (let i = 0; i < 51; i++) await upload(t, `姓名,手机\r\n批量${i},1350013${String(i).padStart(4, '0')}\r\n`);
    await t.deps.jobs.idle();
    const first = await manager.html(`/app/contacts?q=${encodeURIComponent('批量')}`);
    expect([...first.matchAll(/data-contact="/g)]).toHaveLength(50);
    const next = /<a class="button secondary" href="([^"]+)" data-next/.exec(first)![1]!.replace(/&amp;/g, '&');
    expect(next).toContain(`q=${encodeURIComponent('批量')}`);
    const second = await manager.html(next);
    expect([...second.matchAll(/data-contact="/g)]).toHaveLength(1);
    expect(second).not.toContain('data-next');
    // The imports list pages too.
    const lists = await manager.html('/app/lists');
    expect([...lists.matchAll(/data-import="/g)]).toHaveLength(50);
    expect(lists).toContain('data-next');
  });

  it("shows a contact's record: address, consents, suppressions, messages and responses, all escaped", async () => {
    const html = await manager.html(`/app/contacts/${li}`);
    expect(html).toContain('<title>李娜');
    expect(html).toContain('+8613900139001');
    // Formatted the Chinese way: postcode line, then province-city-district-street.
    expect(html).toMatch(/id="fact-address"[\s\S]*?<div>510620<\/div><div>广东省广州市天河区天河路385号<\/div>/);
    expect(html).toMatch(/data-channel="sms" data-consent="granted"[\s\S]*?&lt;em&gt;店内签字&lt;\/em&gt;/);
    expect(html).toContain('data-channel="mail" data-consent="none"');
    expect(html).toMatch(/data-reason="do_not_contact"[\s\S]*?电子邮件[\s\S]*?&lt;u&gt;电话里要求&lt;\/u&gt;/);
    const messages = html.slice(html.indexOf('id="messages"'), html.indexOf('id="responses"'));
    expect(messages).toContain('data-status="delivered"');
    expect(messages).toContain('&lt;b&gt;春节&lt;/b&gt;关怀');
    expect(messages).toContain(`href="/app/campaigns/${campaignId}"`);
    expect(messages).toContain('已送达');
    expect(messages).toContain('2026/03/01 11:04'); // sent 03:04 UTC, shown in Shanghai time
    const resp = html.slice(html.indexOf('id="responses"'));
    expect(resp).toContain('data-kind="click"');
    expect(resp).toContain('&lt;b&gt;春节&lt;/b&gt;关怀');
    expect(resp).toMatch(/<td class="num">2<\/td>/);
    expect(resp).toContain('2026/03/01 13:00');
    expect(html).not.toContain('<b>春节');
    expect(html).not.toContain('<u>电话');
    // The later list that matched her by phone and added her email.
    expect(html).toMatch(/id="merges"[\s\S]*?href="\/app\/lists\/[0-9a-f-]{36}"[\s\S]*?<td>手机号<\/td><td>email<\/td>/);
    expect(html).toContain('lina@example.cn');

    const wangPage = await manager.html(`/app/contacts/${wang}`);
    expect(wangPage).toContain('王&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(wangPage).not.toContain('<script>alert');
    // The extra column of the list, escaped.
    expect(wangPage).toMatch(/id="attributes"[\s\S]*?&lt;i&gt;老客户&lt;\/i&gt;/);
    expect(wangPage).toContain('id="no-messages"');
    expect(wangPage).toContain('id="no-responses"');

    // English too.
    const en = await manager.html(`/app/contacts/${li}?lang=en`);
    expect(en).toContain('Consents');
    expect(en).toContain('Delivered');
  });

  it("answers another dealer's or a malformed contact id with the not-found page", async () => {
    for (const path of [`/app/contacts/${foreignContact}`, '/app/contacts/1234', `/app/contacts/${uuidv7()}`]) {
      const res = await manager.get(path);
      expect(res.status, path).toBe(404);
      const text = await res.text();
      expect(text, path).toContain('id="not-found"');
      expect(text).not.toContain('别家客户');
    }
  });

  it('offers erasure to admins only; erasing through the API with the session empties the record', async () => {
    expect(await manager.html(`/app/contacts/${wang}`)).not.toContain('id="erase-contact"');
    expect(await marketer.html(`/app/contacts/${wang}`)).not.toContain('id="erase-contact"');
    const page = await admin.html(`/app/contacts/${wang}`);
    expect(page).toContain(`data-api="/v1/contacts/${wang}"`);
    expect(page).toContain('data-method="DELETE"');
    expect(page).toMatch(/id="erase-contact"[^>]*data-confirm=|data-confirm="[^"]+"[^>]*id="erase-contact"/);
    // The API refuses a marketer anyway.
    expect((await marketer.send('DELETE', `/v1/contacts/${wang}`)).status).toBe(403);
    const res = await admin.send('DELETE', `/v1/contacts/${wang}`);
    expect(res.status, await res.clone().text()).toBe(200);
    const after = await admin.html(`/app/contacts/${wang}`);
    expect(after).toContain('id="erased"');
    expect(after).not.toContain('alert(1)');
    expect(after).not.toContain('13900139000');
    expect(after).not.toContain('id="erase-contact"');
    // Contacts made at the same (fixed) time sort in no set order: look through the pages for the erased one.
    let path: string | null = '/app/contacts';
    let seen = false;
    for (let pages = 0; path && !seen && pages < 10; pages++) {
      const html = await admin.html(path);
      seen = html.includes('（已删除个人信息）');
      path = /<a class="button secondary" href="([^"]+)" data-next/.exec(html)?.[1]?.replace(/&amp;/g, '&') ?? null;
    }
    expect(seen).toBe(true);
  });

  describe('while an import runs', () => {
    let p: TestApp;
    let pm: StaffClient;
    let pmanager: StaffClient;

    beforeAll(async () => {
      p = await createTestApp(kind, {}, { pausedJobs: true });
      pm = await staffUser(p, 'marketer');
      pmanager = await staffUser(p, 'manager');
    });
    afterAll(() => p.close());

    it('polls the progress fragment until done, offers cancel to marketers, and shows the cancellation', async () => {
      const queued = await upload(p, CSV);
      const html = await pm.html(`/app/lists/${queued.id}`);
      expect(html).toContain(`data-poll="/app/lists/${queued.id}/progress"`);
      expect(html).toContain('排队中');
      expect(html).toContain(`data-api="/v1/imports/${queued.id}/cancel"`);
      const frag = await (await pm.get(`/app/lists/${queued.id}/progress`, { 'x-fragment': '1' })).text();
      expect(frag).not.toContain('data-done');
      expect(frag).toContain('id="cancel-import"');
      // Managers watch; they cannot cancel.
      expect(await pmanager.html(`/app/lists/${queued.id}`)).not.toContain('id="cancel-import"');
      expect((await pmanager.send('POST', `/v1/imports/${queued.id}/cancel`)).status).toBe(403);
      // The button's call, as the page script makes it.
      const cancel = await pm.send('POST', `/v1/imports/${queued.id}/cancel`);
      expect(cancel.status, await cancel.clone().text()).toBe(200);
      const done = await (await pm.get(`/app/lists/${queued.id}/progress`, { 'x-fragment': '1' })).text();
      expect(done).toContain('data-done');
      expect(done).toContain('data-status="cancelled"');
      expect(done).toContain('已取消');
      expect(done).not.toContain('id="cancel-import"');
    });
  });
});

describe.skipIf(!hasChromium)('lists pages in Chromium', () => {
  let t: TestApp;
  let server: { base: string; close(): Promise<void> };
  let browser: Awaited<ReturnType<typeof launchChromium>>;

  beforeAll(async () => {
    // A small upload limit, to see the page refuse a larger file before sending it.
    t = await createTestApp(DB_KINDS[0]!, { IMPORT_MAX_BYTES: 4096 });
    server = await listen(t);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await t?.close();
  });

  it('a marketer uploads a list, watches it import, reads the rejected row and opens a contact', async () => {
    const marketer = await staffUser(t, 'marketer', { name: '市场部 小周' });
    const dir = artifactsDir('web');
    const files = await mkdtemp(join(tmpdir(), 'dm-lists-'));
    const csvPath = join(files, 'lists-upload.csv');
    await writeFile(csvPath, ['姓名,手机,地址,邮编', '陈静,13800138000,上海市浦东新区世纪大道100号,200120', '刘洋,13800138001,四川省成都市武侯区人民南路四段1号,610041', '无名氏,12,,', ''].join('\r\n'));
    const tooBig = join(files, 'lists-too-big.csv');
    await writeFile(tooBig, `姓名,手机\r\n${'某人,13800138000\r\n'.repeat(400)}`);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    await signInThroughPage(page, server.base, marketer.email, '/app/lists');
    // From here on, the pages of this section: no script errors, no CSP violations, no failed requests.
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`${page.url()}: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`${page.url()}: ${m.text()}`);
    });
    page.on('response', (r) => {
      if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) problems.push(`${r.status()} ${r.url()}`);
    });
    expect(await page.textContent('h1')).toBe('名单');

    // Too large: refused in the page, nothing sent.
    await page.setInputFiles('#upload-file', tooBig);
    await page.click('#upload-form button[type=submit]');
    await page.waitForSelector('#upload-form [data-error]:not([hidden])');
    expect(await page.textContent('#upload-form [data-error]')).toContain('文件超过大小上限');
    expect(((await (await t.req('GET', '/v1/imports')).json()) as { data: unknown[] }).data).toHaveLength(0);

    await page.setInputFiles('#upload-file', csvPath);
    await page.selectOption('#upload-kind', 'prior_owner');
    await page.screenshot({ path: join(dir, 'lists.png'), fullPage: true });
    await page.click('#upload-form button[type=submit]');
    await page.waitForURL(/\/app\/lists\/[0-9a-f-]{36}$/);
    expect(await page.locator('#import-bar').count()).toBe(1);
    await page.waitForSelector('#import-status[data-done]', { timeout: 20_000 });
    expect(await page.textContent('#import-state')).toBe('已完成');
    expect(await page.textContent('[data-count="created"] .stat')).toBe('2');
    expect(await page.textContent('[data-count="rejected"] .stat')).toBe('1');
    const bad = page.locator('#import-errors tr[data-row="4"]');
    await bad.waitFor();
    expect(await bad.textContent()).toContain('12');
    expect(await page.textContent('h1')).toBe('lists-upload.csv');
    await page.screenshot({ path: join(dir, 'list-import.png'), fullPage: true });

    await page.click('#to-contacts');
    await page.waitForURL(`${server.base}/app/contacts`);
    await page.fill('#search-q', '陈');
    await page.click('#contact-search button[type=submit]');
    await page.waitForURL(/q=/);
    expect(await page.locator('#contacts tbody tr').count()).toBe(1);
    await page.screenshot({ path: join(dir, 'contacts.png'), fullPage: true });
    await page.click('#contacts tbody a');
    await page.waitForURL(/\/app\/contacts\/[0-9a-f-]{36}$/);
    expect(await page.textContent('h1')).toBe('陈静');
    expect(await page.textContent('#fact-address')).toContain('上海市浦东新区世纪大道100号');
    expect(await page.textContent('#fact-phone')).toContain('+8613800138000');
    await page.screenshot({ path: join(dir, 'contact.png'), fullPage: true });
    expect(problems).toEqual([]);
    await rm(files, { recursive: true, force: true });
  }, 60_000);
});
