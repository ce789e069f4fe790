// The templates pages: the list, a new template from a built-in one, and a
// template's page: proof thumbnails and PDF for a sample recipient, the editor
// whose "Check" runs the API's checks on the draft and draws it, saving as a
// new version through the API; roles and tenancy as for the API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contacts } from '../../src/db/schema';
import { uuidv7 } from '../../src/lib/ids';
import { createTestApp, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';
import { staffUser, type StaffClient } from '../helpers/staff';

type NewContact = typeof contacts.$inferInsert;
const OLD = new Date('2025-06-01T00:00:00Z');
const EVIL = '<i>试驾</i> 邀请';

interface Version {
  version: number;
  body: { purpose: string; texts: Record<string, string>; layout: { pages: { name: string }[] } } & Record<string, unknown>;
}

const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const pngWidth = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset).getUint32(16);
const isPng = (b: Uint8Array) => b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;

describe.each(DB_KINDS)('templates pages on %s', (kind) => {
  let t: TestApp;
  let marketer: StaffClient;
  let manager: StaffClient;
  let printer: StaffClient;
  let templateId: string;
  let foreignTemplateId: string;
  let otherMarketer: StaffClient;
  let segmentId: string;
  const ids: Record<string, string> = {};

  async function addContact(dealerId: string, name: string, over: Partial<NewContact>) {
    const id = uuidv7();
    ids[name] = id;
    await t.deps.db.orm.insert(contacts).values({ id, dealerId, kind: 'prior_owner', fullName: name, createdAt: OLD, updatedAt: OLD, ...over });
  }

  const version = async (n: number | 'latest' = 'latest') => (await (await t.req('GET', `/v1/templates/${templateId}/versions/${n}`)).json()) as Version;

  beforeAll(async () => {
    t = await createTestApp(kind);
    marketer = await staffUser(t, 'marketer');
    manager = await staffUser(t, 'manager');
    printer = await staffUser(t, 'printer');
    await addContact(t.dealerId, '陈静', { city: '福州', province: '福建', district: '鼓楼区', street: '五一路1号', postcode: '350001', gender: 'female' });
    await addContact(t.dealerId, '刘洋', { city: '厦门', province: '福建', district: '思明区', street: '湖滨路2号', postcode: '361000', gender: 'male' });
    const seg = await marketer.send('POST', '/v1/segments', { name: '厦门', rule: { and: [{ field: 'city', op: 'eq', value: '厦门' }] } });
    segmentId = ((await seg.json()) as { id: string }).id;
    const created = await marketer.send('POST', '/v1/templates', { name: EVIL, builtin: 'test-drive-invitation-zh' });
    expect(created.status, await created.clone().text()).toBe(201);
    templateId = ((await created.json()) as { id: string }).id;
    const other = await t.addDealer('另一家4S店');
    const theirs = await t.req('POST', '/v1/templates', { token: other.token, body: { name: '别家的模板', builtin: 'spring-festival-card' } });
    expect(theirs.status).toBe(201);
    foreignTemplateId = ((await theirs.json()) as { id: string }).id;
    otherMarketer = await staffUser(t, 'marketer', { adminToken: other.token });
  });
  afterAll(() => t.close());

  it('lists the dealer’s templates with escaped names, their source and versions', async () => {
    const html = await marketer.html('/app/templates');
    expect(html).toContain('&lt;i&gt;试驾&lt;/i&gt; 邀请');
    expect(html).not.toContain('<i>试驾');
    expect(html).not.toContain('别家的模板');
    expect(html).toContain(`href="/app/templates/${templateId}"`);
    expect(html).toContain('<span class="badge">test-drive-invitation-zh</span>');
    expect(html).toContain('试驾邀请');
    expect(html).toContain('id="new-template"');
    expect(await manager.html('/app/templates')).not.toContain('id="new-template"');
    expect(await (await marketer.get('/app/templates?lang=en')).text()).toContain('Test drive');
  });

  it('offers every built-in template to start from, for writers only', async () => {
    const html = await marketer.html('/app/templates/new');
    expect(html).toContain('data-api="/v1/templates" data-method="POST" data-then="/app/templates/{id}"');
    for (const id of ['test-drive-invitation-zh', 'test-drive-invitation-en', 'spring-festival-card']) expect(html).toContain(`name="builtin" value="${id}"`);
    expect(html).toContain('148 × 100 mm');
    expect((await manager.get('/app/templates/new')).status).toBe(403);
    // What the form sends.
    const res = await marketer.send('POST', '/v1/templates', { name: '春节贺卡', builtin: 'spring-festival-card' });
    expect(res.status).toBe(201);
    expect(await marketer.html('/app/templates')).toContain('春节贺卡');
  });

  it('shows the proof: a PNG per page for the newest contact and the proof PDF', async () => {
    const v = await version();
    const html = await marketer.html(`/app/templates/${templateId}`);
    expect(html).toContain('<h1>&lt;i&gt;试驾&lt;/i&gt; 邀请</h1>');
    expect(html).toContain('value="&lt;i&gt;试驾&lt;/i&gt; 邀请"');
    const srcs = [...html.matchAll(/<img class="thumb" src="([^"]+)"/g)].map((m) => unescape(m[1]!));
    expect(srcs).toHaveLength(v.body.layout.pages.length);
    srcs.forEach((src, i) => {
      expect(src).toBe(`/v1/templates/${templateId}/versions/1/thumbnail.png?contactId=${ids['刘洋']}&page=${i + 1}&width=480`);
    });
    // The images load with the page's session, as the browser asks for them.
    for (const src of srcs) {
      const img = await marketer.get(src);
      expect(img.status).toBe(200);
      expect(img.headers.get('content-type')).toBe('image/png');
      const bytes = new Uint8Array(await img.arrayBuffer());
      expect(isPng(bytes)).toBe(true);
      expect(pngWidth(bytes)).toBe(480);
    }
    const pdfHref = unescape(/id="proof-pdf" href="([^"]+)"/.exec(html)![1]!);
    expect(pdfHref).toBe(`/v1/templates/${templateId}/versions/1/proof.pdf?contactId=${ids['刘洋']}`);
    const pdf = await marketer.get(pdfHref);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(new TextDecoder().decode(new Uint8Array(await pdf.arrayBuffer()).slice(0, 5))).toBe('%PDF-');

    // A segment's sample: the first member drawn, the PDF of a sample of its members.
    const bySegment = await marketer.html(`/app/templates/${templateId}?segment=${segmentId}`);
    expect(unescape(/id="proof-pdf" href="([^"]+)"/.exec(bySegment)![1]!)).toBe(`/v1/templates/${templateId}/versions/1/proof.pdf?segmentId=${segmentId}&sample=5`);
    expect(bySegment).toContain(`contactId=${ids['刘洋']}&amp;page=1`);
    expect(bySegment).toContain(`<option value="${segmentId}" selected="">`);
    expect(bySegment).toContain('id="check-audience"');

    // A dealer with no contacts yet is told why there is no proof.
    const theirs = await otherMarketer.html(`/app/templates/${foreignTemplateId}`);
    expect(theirs).toContain('id="no-sample"');
    expect(theirs).not.toContain('class="thumb"');
  });

  it('edits the version’s texts and layout JSON, in fields the API accepts', async () => {
    const v = await version();
    const html = await marketer.html(`/app/templates/${templateId}`);
    expect(html).toContain(`data-api="/v1/templates/${templateId}" data-method="PUT"`);
    expect(html).toContain('data-transform="templateBody"');
    expect(html).toContain('src="/app/static/template-editor.js"');
    for (const [key, src] of Object.entries(v.body.texts)) {
      const m = new RegExp(`<textarea id="text-${key}" data-text-key="${key}"[^>]*>([\\s\\S]*?)</textarea>`).exec(html);
      expect(m, key).not.toBeNull();
      expect(unescape(m![1]!)).toBe(`\n${src}`);
    }
    const rest = JSON.parse(unescape(/<textarea id="body-rest"[^>]*>([\s\S]*?)<\/textarea>/.exec(html)![1]!)) as Record<string, unknown>;
    const { texts: _texts, ...expected } = v.body;
    expect(rest).toEqual(expected);
    expect(html).toContain('id="save-version"');
    expect(html).toContain('保存为第 2 版');
  });

  it('checks a draft as the API does and draws it, or names each problem', async () => {
    const v = await version();
    const ok = await marketer.send('POST', `/app/templates/${templateId}/draft`, { body: v.body, contactId: ids['陈静'] });
    expect(ok.status).toBe(200);
    const html = await ok.text();
    expect(html).toContain('id="draft-ok"');
    expect([...html.matchAll(/src="data:image\/png;base64,/g)]).toHaveLength(v.body.layout.pages.length);

    const broken = structuredClone(v.body);
    broken.texts.invitation = `${broken.texts.invitation}\n{{contact.nmae}}`;
    const bad = await (await marketer.send('POST', `/app/templates/${templateId}/draft`, { body: broken, contactId: ids['陈静'] })).text();
    expect(bad).toContain('id="draft-problems"');
    expect(bad).not.toContain('draft-ok');
    const api = (await (await t.req('POST', '/v1/templates/validate', { body: { body: broken } })).json()) as { error: { details: { path: string; message: string }[] } };
    expect(api.error.details.length).toBeGreaterThan(0);
    for (const d of api.error.details) {
      expect(bad).toContain(`<code>${d.path}</code>`);
      expect(bad).toContain(d.message.replace(/"/g, '&quot;'));
    }
    expect(api.error.details[0]!.message).toContain('unknown variable "contact.nmae"');

    const wrongPurpose = await (await marketer.send('POST', `/app/templates/${templateId}/draft`, { body: { ...v.body, purpose: 'xmas' } })).text();
    expect(wrongPurpose).toContain('<code>body.purpose</code>');

    // Nothing was saved by checking.
    expect((await version()).version).toBe(1);
    expect((await marketer.send('POST', `/app/templates/${templateId}/draft`, { body: v.body }, { csrf: false })).status).toBe(403);
  });

  it('saves a new version through the API and shows the versions', async () => {
    const v = await version();
    const body = structuredClone(v.body);
    body.texts.invitation = `${body.texts.invitation}\n新年特惠`;
    const res = await marketer.send('PUT', `/v1/templates/${templateId}`, { name: EVIL, body, note: '<b>新优惠</b>' });
    expect(res.status, await res.clone().text()).toBe(200);
    const html = await marketer.html(`/app/templates/${templateId}`);
    expect(html).toContain('显示第 2 版（共 2 版）');
    expect(html).toContain('/versions/2/thumbnail.png');
    expect(html).toContain('&lt;b&gt;新优惠&lt;/b&gt;');
    expect(html).toContain(`href="/app/templates/${templateId}?v=1"`);
    expect(html).toContain('新年特惠');
    const first = await marketer.html(`/app/templates/${templateId}?v=1`);
    expect(first).toContain('/versions/1/thumbnail.png');
    expect(first).toContain('您正在编辑第 1 版');
    expect(first).not.toContain('新年特惠');
  });

  it('shows managers the template read-only, and the API refuses their save', async () => {
    const html = await manager.html(`/app/templates/${templateId}`);
    expect(html).toContain('<fieldset disabled="" class="plain">');
    expect(html).not.toContain('id="save-version"');
    expect(html).not.toContain('id="check-draft"');
    expect(html).not.toContain(`data-api="/v1/templates/${templateId}"`);
    expect(html).toContain('class="thumb"');
    expect((await manager.send('POST', `/app/templates/${templateId}/draft`, { body: {} })).status).toBe(403);
    const v = await version();
    expect((await manager.send('PUT', `/v1/templates/${templateId}`, { body: v.body })).status).toBe(403);
    expect((await manager.send('POST', '/v1/templates', { name: 'x', builtin: 'spring-festival-card' })).status).toBe(403);
  });

  it('refuses printers and shows not-found for another dealer’s template or a missing version', async () => {
    for (const path of ['/app/templates', `/app/templates/${templateId}`, '/app/templates/new']) {
      const res = await printer.get(path);
      expect(res.status, path).toBe(403);
      expect(await res.text()).toContain('id="refused"');
    }
    expect((await printer.send('POST', `/app/templates/${templateId}/draft`, { body: {} })).status).toBe(403);
    for (const path of [`/app/templates/${foreignTemplateId}`, '/app/templates/not-a-uuid', `/app/templates/${templateId}?v=99`, `/app/templates/${templateId}?v=abc`]) {
      const res = await marketer.get(path);
      expect(res.status, path).toBe(404);
      const html = await res.text();
      expect(html).toContain('id="not-found"');
      expect(html).not.toContain('别家的模板');
    }
    expect((await marketer.send('POST', `/app/templates/${foreignTemplateId}/draft`, { body: {} })).status).toBe(404);
  });
});
