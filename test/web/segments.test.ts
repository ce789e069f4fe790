// The segments pages: the list, the rule builder page, and its live count,
// which must agree with the API's preview for the same rule; bad rules name
// their path; roles and tenancy as for the API. In Chromium: a segment built
// from two conditions, counted live, saved, then a template's proof preview.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contacts, vehicles } from '../../src/db/schema';
import { uuidv7 } from '../../src/lib/ids';
import type { Rule } from '../../src/segments/rules';
import { createTestApp, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';
import { refreshDerived } from '../helpers/derived';
import { artifactsDir, hasChromium, launchChromium, listen, STAFF_PASSWORD, staffUser, type StaffClient, signInThroughPage } from '../helpers/staff';

type NewContact = typeof contacts.$inferInsert;
const OLD = new Date('2025-06-01T00:00:00Z');
const EVIL_NAME = '<img src=x onerror=alert(1)>王';

/** Prior owners around Fuzhou (postcodes 350…) and elsewhere, a club member, a prospect; two with cars. */
async function seedContacts(t: TestApp, dealerId: string): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  const add = async (name: string, over: Partial<NewContact>) => {
    const id = uuidv7();
    ids[name] = id;
    await t.deps.db.orm.insert(contacts).values({ id, dealerId, kind: 'prior_owner', fullName: name, createdAt: OLD, updatedAt: OLD, ...over });
  };
  await add('陈静', { city: '福州', province: '福建', street: '五一路1号', postcode: '350001', birthday: '1980-03-15', phone: '+8613800000001', smsConsent: 'granted', tier: 'gold' });
  await add(EVIL_NAME, { city: '福州', province: '福建', street: '东街4号', postcode: '350002', birthday: '1985-07-01', mailConsent: 'granted' });
  await add('刘洋', { city: '厦门', province: '福建', street: '湖滨路2号', postcode: '361000', birthday: '1975-03-30' });
  await add('车友会 王', { kind: 'club_member', city: '福州', postcode: '350100', club: 'BMW车友会', tier: 'diamond' });
  await add('潜客 李', { kind: 'prospect', city: '福州', postcode: '350003' });
  const car = async (owner: string, v: Partial<typeof vehicles.$inferInsert>) => {
    const id = uuidv7();
    await t.deps.db.orm.insert(vehicles).values({ id, dealerId, contactId: ids[owner]!, vehicleKey: id, createdAt: OLD, updatedAt: OLD, ...v });
  };
  await car('陈静', { make: 'BMW', model: 'X5', purchaseDate: '2022-05-01', insuranceExpiry: '2026-03-20' });
  await car(EVIL_NAME, { make: 'BMW', model: '3系', purchaseDate: '2024-01-10', insuranceExpiry: '2026-09-01' });
  await refreshDerived(t.deps.db.orm, dealerId);
  return ids;
}

/** Prior owners whose postcode starts with 350: the two-condition rule of these tests. */
const TWO_CONDITIONS: Rule = {
  and: [
    { field: 'kind', op: 'eq', value: 'prior_owner' },
    { field: 'postcode', op: 'starts_with', value: '350' },
  ],
};

const countOf = (html: string) => {
  const m = /id="live-count" data-count="(\d+)"/.exec(html);
  return m ? Number(m[1]) : null;
};

describe.each(DB_KINDS)('segments pages on %s', (kind) => {
  let t: TestApp;
  let admin: StaffClient;
  let marketer: StaffClient;
  let manager: StaffClient;
  let printer: StaffClient;
  let ids: Record<string, string>;
  let segmentId: string;
  let foreignSegmentId: string;

  beforeAll(async () => {
    t = await createTestApp(kind);
    admin = await staffUser(t, 'admin');
    marketer = await staffUser(t, 'marketer');
    manager = await staffUser(t, 'manager');
    printer = await staffUser(t, 'printer');
    ids = await seedContacts(t, t.dealerId);
    const created = await marketer.send('POST', '/v1/segments', { name: '<b>福州</b> 老车主', description: '邮编 350 开头', rule: TWO_CONDITIONS });
    expect(created.status, await created.clone().text()).toBe(201);
    segmentId = ((await created.json()) as { id: string }).id;
    const other = await t.addDealer('另一家4S店');
    await seedContacts(t, other.dealerId);
    const foreign = await t.req('POST', '/v1/segments', { token: other.token, body: { name: '别家的客群', rule: TWO_CONDITIONS } });
    expect(foreign.status).toBe(201);
    foreignSegmentId = ((await foreign.json()) as { id: string }).id;
  });
  afterAll(() => t.close());

  it('lists the dealer’s segments with escaped names, the rule in words and a count to load', async () => {
    const html = await marketer.html('/app/segments');
    expect(html).toContain('&lt;b&gt;福州&lt;/b&gt; 老车主');
    expect(html).not.toContain('<b>福州</b>');
    expect(html).not.toContain('别家的客群');
    expect(html).toContain(`href="/app/segments/${segmentId}"`);
    expect(html).toContain('客户类型 等于 老车主 且 邮编 开头是 350');
    expect(html).toContain(`data-poll="/app/segments/${segmentId}/count"`);
    expect(html).toContain('id="new-segment"');
    const count = await marketer.get(`/app/segments/${segmentId}/count`, { 'x-fragment': '1' });
    const fragment = await count.text();
    expect(fragment).toContain('data-done');
    expect(fragment).toContain('data-count="2"');
    // Another dealer's segment is not counted here.
    expect(await (await marketer.get(`/app/segments/${foreignSegmentId}/count`)).text()).not.toContain('data-count');
    const en = await marketer.get('/app/segments?lang=en');
    expect(await en.text()).toContain('Contact kind is Prior owner and Postcode starts with 350');
  });

  it('renders the builder page for a new and a saved segment, with the save call for writers', async () => {
    const fresh = await marketer.html('/app/segments/new');
    expect(fresh).toContain('data-live="/app/segments/preview"');
    expect(fresh).toContain('data-api="/v1/segments" data-method="POST"');
    expect(fresh).toContain('data-transform="segmentRule"');
    expect(fresh).toContain('src="/app/static/segment-builder.js"');
    expect(fresh).toContain('id="save-segment"');
    // The builder's catalog comes from the rule language: every field and its operators.
    const catalog = /data-catalog="([^"]*)"/.exec(fresh)![1]!.replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#39;/g, "'");
    const cat = JSON.parse(catalog) as { fields: { name: string; ops: { op: string; kind: string }[] }[] };
    const purchase = cat.fields.find((f) => f.name === 'vehicle.purchase_date')!;
    expect(purchase.ops.find((o) => o.op === 'more_than_ago')!.kind).toBe('relative');
    expect(cat.fields.find((f) => f.name === 'birthday')!.ops.map((o) => o.op)).toContain('month_is');
    expect(cat.fields.map((f) => f.name)).toEqual(expect.arrayContaining(['kind', 'tier', 'vehicle.model', 'postcode', 'vehicle.insurance_expiry', 'consent', 'not_suppressed', 'reachable']));

    const saved = await marketer.html(`/app/segments/${segmentId}`);
    expect(saved).toContain(`data-api="/v1/segments/${segmentId}" data-method="PUT"`);
    expect(saved).toContain('value="&lt;b&gt;福州&lt;/b&gt; 老车主"');
    expect(saved).toContain('<title>&lt;b&gt;福州&lt;/b&gt; 老车主');
    expect(saved).not.toContain('<b>福州</b>');
    expect(saved).toContain('id="archive-segment"');
    expect(saved).toContain('&quot;starts_with&quot;');
  });

  it('counts and samples a rule live, exactly as the API preview does', async () => {
    const rules: Rule[] = [
      TWO_CONDITIONS,
      { or: [{ field: 'kind', op: 'eq', value: 'club_member' }, { field: 'city', op: 'eq', value: '厦门' }] },
      { and: [{ field: 'vehicle.purchase_date', op: 'more_than_ago', value: { amount: 3, unit: 'year' } }] },
      { and: [{ field: 'birthday', op: 'month_is', value: [3] }, { not: { field: 'city', op: 'eq', value: '厦门' } }] },
      { and: [{ field: 'vehicle.insurance_expiry', op: 'within_next', value: { amount: 30, unit: 'day' } }] },
      { and: [{ consent: 'sms' }, { not_suppressed: 'sms' }] },
      { and: [{ field: 'kind', op: 'in', value: ['prior_owner', 'prospect'] }, { or: [{ field: 'vehicle.model', op: 'eq', value: 'X5' }, { field: 'postcode', op: 'starts_with', value: '3500' }] }] },
      { and: [{ any_vehicle: { and: [{ field: 'vehicle.make', op: 'eq', value: 'BMW' }, { field: 'vehicle.purchase_date', op: 'after', value: '2023-01-01' }] } }] },
    ];
    const expected = [2, 2, 1, 1, 1, 1, 3, 1];
    for (const [i, rule] of rules.entries()) {
      const res = await marketer.send('POST', '/app/segments/preview', { name: 'x', rule }, { headers: { 'x-fragment': '1' } });
      expect(res.status).toBe(200);
      const html = await res.text();
      const api = await t.req('POST', '/v1/segments/preview', { body: { rule, limit: 10 } });
      const want = (await api.json()) as { count: number; sample: { id: string }[] };
      expect(countOf(html), `rule ${i}: ${html.slice(0, 300)}`).toBe(want.count);
      expect(want.count, `rule ${i}`).toBe(expected[i]);
      const shown = [...html.matchAll(/data-contact="([^"]+)"/g)].map((m) => m[1]);
      expect(shown).toEqual(want.sample.map((s) => s.id));
    }
    // The sample shows names as text.
    const html = await (await marketer.send('POST', '/app/segments/preview', { rule: TWO_CONDITIONS })).text();
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;王');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain(`data-contact="${ids['陈静']}"`);
  });

  it('names the bad path of a rule instead of counting', async () => {
    const bad = { and: [{ field: 'kind', op: 'eq', value: 'prior_owner' }, { field: 'postcode', op: 'bigger_than', value: '350' }] };
    const html = await (await marketer.send('POST', '/app/segments/preview', { rule: bad })).text();
    expect(countOf(html)).toBeNull();
    expect(html).toContain('id="rule-problems"');
    expect(html).toContain('rule.and[1].op');
    expect(html).toContain('data-path="and.1.op"');
    expect(html).toContain('第 2 项 › 条件');
    expect(html).toContain('op &quot;bigger_than&quot; is not allowed');
    // The API says the same path.
    const api = (await (await t.req('POST', '/v1/segments/preview', { body: { rule: bad } })).json()) as { error: { details: { path: string }[] } };
    expect(api.error.details.map((d) => d.path)).toEqual(['rule.and[1].op']);

    // Values: said in Chinese on Chinese pages (what the condition takes), in the API's English otherwise.
    const missing = await (await marketer.send('POST', '/app/segments/preview', { rule: { and: [{ field: 'postcode', op: 'starts_with' }] } })).text();
    expect(missing).toContain('第 1 项 › 值');
    expect(missing).toContain('缺少值，请填写一段文字（1 至 500 字）');
    const backwards = await (await marketer.send('POST', '/app/segments/preview', { rule: { field: 'birthday', op: 'between', value: ['1990-05-01', '1980-01-01'] } })).text();
    expect(backwards).toContain('值不对（第一个日期晚于第二个），应为两个日期，早的在前');
    const notADate = await (await marketer.send('POST', '/app/segments/preview', { rule: { field: 'join_date', op: 'after', value: '2026-02-30' } })).text();
    expect(notADate).toContain('值不对（不是有效的日期），应为一个日期（年-月-日）');
    const missingEn = await (await marketer.send('POST', '/app/segments/preview?lang=en', { rule: { and: [{ field: 'postcode', op: 'starts_with' }] } })).text();
    expect(missingEn).toContain('&quot;starts_with&quot; needs a value: a non-empty string of at most 500 characters');
    const value = await (await marketer.send('POST', '/app/segments/preview?lang=en', { rule: { and: [{ not: { field: 'vehicle.purchase_date', op: 'more_than_ago', value: { amount: -1, unit: 'year' } } }] } })).text();
    expect(value).toContain('rule.and[0].not.value.amount');
    expect(value).toContain('item 1 › not › value');
    const none = await (await marketer.send('POST', '/app/segments/preview', {})).text();
    expect(none).toContain('a rule is required');
    // A fragment call without the CSRF token is refused.
    expect((await marketer.send('POST', '/app/segments/preview', { rule: TWO_CONDITIONS }, { csrf: false })).status).toBe(403);
  });

  it('shows managers the segment read-only, with the live count, and the API refuses their save', async () => {
    const html = await manager.html(`/app/segments/${segmentId}`);
    expect(html).toContain('id="read-only"');
    expect(html).toContain('data-readonly=""');
    expect(html).not.toContain('id="save-segment"');
    expect(html).not.toContain('id="archive-segment"');
    expect(html).not.toContain('data-api="/v1/segments');
    expect(html).toContain('data-live="/app/segments/preview"');
    expect(await manager.html('/app/segments')).not.toContain('id="new-segment"');
    expect((await manager.get('/app/segments/new')).status).toBe(403);
    expect(countOf(await (await manager.send('POST', '/app/segments/preview', { rule: TWO_CONDITIONS })).text())).toBe(2);
    const put = await manager.send('PUT', `/v1/segments/${segmentId}`, { name: '改名', rule: TWO_CONDITIONS });
    expect(put.status).toBe(403);
    const post = await manager.send('POST', '/v1/segments', { name: '新的', rule: TWO_CONDITIONS });
    expect(post.status).toBe(403);
  });

  it('saves through the API from the page’s session, and archives', async () => {
    const res = await admin.send('PUT', `/v1/segments/${segmentId}`, { name: '<b>福州</b> 老车主', description: null, rule: { and: [...(TWO_CONDITIONS as { and: Rule[] }).and, { field: 'tier', op: 'eq', value: 'gold' }] } });
    expect(res.status, await res.clone().text()).toBe(200);
    const after = await admin.html(`/app/segments/${segmentId}`);
    expect(/id="rule-summary">([^<]*)</.exec(after)?.[1]).toBe("规则：客户类型 等于 老车主 且 邮编 开头是 350 且 会员等级 等于 gold");
    const copy = await marketer.send('POST', '/v1/segments', { name: '待归档', rule: TWO_CONDITIONS });
    const copyId = ((await copy.json()) as { id: string }).id;
    expect((await marketer.send('DELETE', `/v1/segments/${copyId}`)).status).toBe(200);
    expect(await marketer.html('/app/segments')).not.toContain('待归档');
    expect(await marketer.html('/app/segments?archived=true')).toContain('待归档');
    const archived = await marketer.html(`/app/segments/${copyId}`);
    expect(archived).toContain('id="read-only"');
    expect(archived).not.toContain('id="save-segment"');
  });

  it('refuses printers and shows not-found for another dealer’s segment', async () => {
    for (const path of ['/app/segments', `/app/segments/${segmentId}`, '/app/segments/new']) {
      const res = await printer.get(path);
      expect(res.status, path).toBe(403);
      expect(await res.text()).toContain('id="refused"');
    }
    expect((await printer.send('POST', '/app/segments/preview', { rule: TWO_CONDITIONS })).status).toBe(403);
    for (const path of [`/app/segments/${foreignSegmentId}`, '/app/segments/not-a-uuid']) {
      const res = await marketer.get(path);
      expect(res.status, path).toBe(404);
      const html = await res.text();
      expect(html).toContain('id="not-found"');
      expect(html).not.toContain('别家的客群');
    }
  });
});

describe.skipIf(!hasChromium)('segment builder and template proof in Chromium', () => {
  let t: TestApp;
  let server: { base: string; close(): Promise<void> };
  let browser: Awaited<ReturnType<typeof launchChromium>>;

  beforeAll(async () => {
    t = await createTestApp(DB_KINDS[0]!);
    server = await listen(t);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await t?.close();
  });

  it('a marketer builds a two-condition segment, sees the live count, saves it, and sees a template proof', async () => {
    const marketer = await staffUser(t, 'marketer', { name: '市场部 小周' });
    await seedContacts(t, t.dealerId);
    const tpl = await t.req('POST', '/v1/templates', { body: { name: '试驾邀请 春季', builtin: 'test-drive-invitation-zh' } });
    expect(tpl.status).toBe(201);
    const templateId = ((await tpl.json()) as { id: string }).id;
    const dir = artifactsDir('web');

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`${page.url()}: ${m.text()}`);
    });
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
    });
    await signInThroughPage(page, server.base, marketer.email, '/app/segments/new');
    // Only this section's pages are judged here (the sign-in page is the frame's).
    problems.length = 0;

    // The first row starts as "contact kind is prior owner": 3 of the 5 contacts.
    await page.waitForSelector('#live-count[data-count="3"]');
    await page.fill('#seg-name', '福州 老车主');
    // Second condition: postcode starts with 350.
    await page.click('.rb-root > .actions .rb-add');
    const second = page.locator('.rb-root > .rb-items > .rb-cond').nth(1);
    await second.locator('select.rb-field').selectOption('postcode');
    await second.locator('select.rb-op').selectOption('starts_with');
    // A condition without its value: the row is marked and the problem named.
    await page.waitForSelector('#rule-problems');
    expect(await page.textContent('#rule-problems')).toContain('rule.and[1].value');
    expect(await second.getAttribute('class')).toContain('rb-bad');
    await second.locator('.rb-value input').fill('350');
    await page.waitForSelector('#live-count[data-count="2"]');
    expect(await page.locator('#sample tbody tr').count()).toBe(2);
    expect(await second.getAttribute('class')).not.toContain('rb-bad');
    // The JSON view follows the builder.
    expect(JSON.parse(await page.inputValue('#rule-json'))).toEqual(TWO_CONDITIONS);
    await page.screenshot({ path: join(dir, 'segment-builder.png'), fullPage: true });

    await page.click('#save-segment');
    await page.waitForURL(/\/app\/segments\/[0-9a-f-]{36}$/);
    const saved = ((await (await t.req('GET', '/v1/segments')).json()) as { data: { id: string; name: string; rule: Rule }[] }).data;
    expect(saved).toHaveLength(1);
    expect(saved[0]!.name).toBe('福州 老车主');
    expect(saved[0]!.rule).toEqual(TWO_CONDITIONS);
    expect(page.url()).toBe(`${server.base}/app/segments/${saved[0]!.id}`);
    // Reopened: the builder shows the saved rule and counts it again.
    await page.waitForSelector('#live-count[data-count="2"]');
    expect(await page.locator('.rb-root > .rb-items > .rb-cond').count()).toBe(2);
    expect(await page.inputValue('.rb-root > .rb-items > .rb-cond >> nth=1 >> .rb-value input')).toBe('350');

    // Advanced: a rule typed as JSON (a negated group, one vehicle) is counted, then shown in the builder.
    const nested: Rule = {
      and: [
        { field: 'kind', op: 'eq', value: 'prior_owner' },
        { not: { or: [{ field: 'city', op: 'eq', value: '厦门' }, { field: 'birthday', op: 'month_is', value: [7] }] } },
        { any_vehicle: { and: [{ field: 'vehicle.make', op: 'eq', value: 'BMW' }] } },
      ],
    };
    await page.selectOption('#rule-mode', 'json');
    await page.fill('#rule-json', JSON.stringify(nested));
    await page.waitForSelector('#live-count[data-count="1"]');
    await page.selectOption('#rule-mode', 'builder');
    expect(await page.locator('.rb-root > .rb-items > .rb-group').count()).toBe(2);
    expect(await page.locator('.rb-group >> nth=0 >> .rb-not-box >> nth=0').isChecked()).toBe(true);
    expect(await page.locator('.rb-group >> nth=1 >> select.rb-join').inputValue()).toBe('vehicle');
    expect(JSON.parse(await page.inputValue('#rule-json'))).toEqual(nested);
    await page.waitForSelector('#live-count[data-count="1"]');
    await page.screenshot({ path: join(dir, 'segment-builder-groups.png'), fullPage: true });

    await page.goto(`${server.base}/app/segments`);
    await page.waitForSelector(`[data-segment="${saved[0]!.id}"] [data-count="2"]`);
    await page.screenshot({ path: join(dir, 'segments.png'), fullPage: true });

    // A template's proof: the page thumbnails for a member of the segment, drawn by the print code.
    await page.goto(`${server.base}/app/templates/${templateId}?segment=${saved[0]!.id}`);
    await page.waitForFunction(() => {
      const imgs = [...document.querySelectorAll<HTMLImageElement>('#thumbs img')];
      return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);
    });
    const widths = await page.$$eval('#thumbs img', (imgs) => imgs.map((i) => (i as HTMLImageElement).naturalWidth));
    expect(widths.every((w) => w === 480)).toBe(true);
    expect(await page.getAttribute('#proof-pdf', 'href')).toContain(`segmentId=${saved[0]!.id}`);
    await page.screenshot({ path: join(dir, 'template.png'), fullPage: true });

    // The editor: a changed text checked and drawn as a draft, then saved as version 2.
    await page.fill('#text-invitation', `${await page.inputValue('#text-invitation')}\n春季试驾礼`);
    await page.click('#check-draft');
    await page.waitForSelector('#draft-ok');
    await page.waitForFunction(() => {
      const imgs = [...document.querySelectorAll<HTMLImageElement>('#draft-result img')];
      return imgs.length === 2 && imgs.every((i) => i.complete && i.naturalWidth === 480);
    });
    expect(((await (await t.req('GET', `/v1/templates/${templateId}`)).json()) as { latestVersion: number }).latestVersion).toBe(1);
    await page.fill('#tpl-note', '春季文案');
    await page.click('#save-version');
    await page.waitForSelector('tr[data-version="2"]');
    const v2 = (await (await t.req('GET', `/v1/templates/${templateId}/versions/2`)).json()) as { note: string; body: { texts: Record<string, string> } };
    expect(v2.note).toBe('春季文案');
    expect(v2.body.texts.invitation).toMatch(/\n春季试驾礼$/);
    await page.screenshot({ path: join(dir, 'template-saved.png'), fullPage: true });
    expect(problems).toEqual([]);
  });
});
