// Templates, artwork and the print profile through the real app, on every
// database kind: built-ins copied with their artwork, immutable versions,
// 422 invalid_template naming each problem, audience validation (missing
// glyphs, empty required text, text that cannot fit), proof PDFs and PNG
// thumbnails, asset uploads and limits, tenancy and roles.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PDFDocument } from 'pdf-lib';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contacts } from '../../src/db/schema';
import { issueApiToken } from '../../src/dealers';
import { uuidv7 } from '../../src/lib/ids';
import { builtinTemplate, TEMPLATES_DIR } from '../../src/templates/builtin';
import { createTestApp, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';

type NewContact = typeof contacts.$inferInsert;
type Body = {
  purpose: string;
  locale: string;
  layout: { width: number; height: number; safe: number; pages: { name: string; elements: Record<string, unknown>[] }[] };
  texts: Record<string, string>;
  assets: Record<string, string>;
  survey?: unknown;
};
type Version = { id: string; version: number; note: string | null; body: Body; createdAt: string };
type Created = { id: string; name: string; purpose: string; locale: string; builtin: string | null; latestVersion: number; version: Version };
type ErrorBody = { error: { code: string; message: string; details: { path: string; message: string }[] | null } };
type Validation = {
  valid: boolean;
  problems: { path: string; message: string }[];
  recipients: { checked: number; flagged: number; examples: { contactId: string; problems: string[] }[] };
};

const OLD = new Date('2025-06-01T00:00:00Z');
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** CJK Unified Ideographs Extension G: Source Han Sans SC has no glyph for it. */
const NO_GLYPH = '\u{30000}';

const hasPdftotext = (() => {
  try {
    execFileSync('pdftotext', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function pngBytes(width: number, height: number): Uint8Array {
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) png.data.set([200, 30, 30, 255], i * 4);
  return new Uint8Array(PNG.sync.write(png));
}

function isPng(b: Uint8Array): boolean {
  return PNG_SIGNATURE.every((v, i) => b[i] === v);
}

async function bytesOf(res: Response): Promise<Uint8Array> {
  return new Uint8Array(await res.arrayBuffer());
}

/** pages.0.elements.2 and pages[0].elements[2] name the same element. */
const bracketed = (p: string): string => p.replace(/\.(\d+)(?=\.|$)/g, '[$1]');

describe.each(DB_KINDS)('templates API on %s', (kind) => {
  let t: TestApp;
  let other: { dealerId: string; token: string };
  let printerToken: string;
  let managerToken: string;
  /** The spring card created from the built-in, version 1. */
  let spring: Created;
  /** fixture name → contact id */
  const ids: Record<string, string> = {};

  async function addContact(dealerId: string, name: string, over: Partial<NewContact>): Promise<string> {
    const id = uuidv7();
    await t.deps.db.orm.insert(contacts).values({ id, dealerId, kind: 'prior_owner', createdAt: OLD, updatedAt: OLD, ...over });
    ids[name] = id;
    return id;
  }

  async function json<T>(res: Response, status: number): Promise<T> {
    const text = await res.text();
    expect(res.status, text.slice(0, 500)).toBe(status);
    return JSON.parse(text) as T;
  }

  async function createFrom(builtin: string, name = builtin, token?: string): Promise<Created> {
    return json<Created>(await t.req('POST', '/v1/templates', { body: { name, builtin }, token }), 201);
  }

  /** The spring card's version-1 body, to edit. */
  const springBody = (): Body => structuredClone(spring.version.body);

  async function expectInvalid(body: unknown): Promise<{ path: string; message: string }[]> {
    const res = await t.req('POST', '/v1/templates', { body: { name: 'broken', body } });
    const err = await json<ErrorBody>(res, 422);
    expect(err.error.code).toBe('invalid_template');
    expect(Array.isArray(err.error.details)).toBe(true);
    return err.error.details!;
  }

  beforeAll(async () => {
    t = await createTestApp(kind);
    other = await t.addDealer('另一家4S店');
    printerToken = (await issueApiToken(t.deps.db.orm, t.clock, t.dealerId, 'printer', 'print shop')).token;
    managerToken = (await issueApiToken(t.deps.db.orm, t.clock, t.dealerId, 'manager', 'manager')).token;
    const A = t.dealerId;
    const sz = { country: 'CN', province: '广东省', city: '深圳市', district: '南山区', postcode: '518057' };
    await addContact(A, 'wang', { fullName: '王小明', gender: 'male', ...sz, street: '科技园路1号A栋1201' });
    await addContact(A, 'li', {
      fullName: '李华', gender: 'female', country: 'CN', province: '北京市', city: '北京市', district: '朝阳区',
      street: '建国路88号', postcode: '100022',
    });
    // Long enough to need a smaller size, short enough to fit at 8 pt.
    await addContact(A, 'medium', {
      fullName: '欧阳娜娜', gender: 'female', ...sz, street: '粤海街道高新区社区科技南十二路' + '深圳湾科技生态园'.repeat(5) + '十栋B座三十二层3201室',
    });
    await addContact(A, 'long', {
      fullName: '上官' + '婉'.repeat(40), gender: 'female', ...sz, street: '幸福大道' + '幸福花园小区'.repeat(50) + '1号',
    });
    await addContact(A, 'glyph', { fullName: `李${NO_GLYPH}`, ...sz, street: '科技园路2号' });
    await addContact(A, 'noaddr', { fullName: '赵六', gender: 'male' });
    await addContact(other.dealerId, 'otherWang', { fullName: '王小明', gender: 'male', ...sz, street: '科技园路1号A栋1201' });
    spring = await createFrom('spring-festival-card', '新春贺卡 2026');
  });

  afterAll(async () => {
    await t?.close();
  });

  // ── built-ins and versions ────────────────────────────────────────────────
  it('lists the five built-in templates', async () => {
    const { data } = await json<{ data: { id: string; name: string; purpose: string; locale: string; pages: string[]; trim: unknown; survey: unknown }[] }>(
      await t.req('GET', '/v1/templates/builtin'),
      200,
    );
    expect(data.map((d) => [d.id, d.purpose, d.locale, d.pages])).toEqual([
      ['spring-festival-card', 'greeting', 'zh-CN', ['greeting', 'address']],
      ['survey-reply-cn', 'survey', 'zh-CN', ['address', 'questions']],
      ['survey-reply-us', 'survey', 'en', ['address', 'questions']],
      ['test-drive-invitation-en', 'test_drive', 'en', ['invitation', 'address']],
      ['test-drive-invitation-zh', 'test_drive', 'zh-CN', ['invitation', 'address']],
    ]);
    const card = data.find((d) => d.id === 'spring-festival-card')!;
    expect(card.trim).toEqual({ widthMm: 148, heightMm: 100, bleedMm: 3 });
    expect(card.survey).toBeNull();
    expect(card.name).toBe('新春贺卡（明信片）');
    expect(data.find((d) => d.id === 'survey-reply-us')!.trim).toEqual({ widthMm: 152.4, heightMm: 107.95, bleedMm: 3.175 });
    expect(data.find((d) => d.id === 'survey-reply-cn')!.survey).toMatchObject({ title: '客户满意度调查' });
  });

  it('creates a template from a built-in, copying its artwork into the dealer assets', async () => {
    expect(spring).toMatchObject({ name: '新春贺卡 2026', purpose: 'greeting', locale: 'zh-CN', builtin: 'spring-festival-card', latestVersion: 1 });
    expect(spring.version.version).toBe(1);
    expect(Object.keys(spring.version.body.assets).sort()).toEqual(['banner', 'logo']);
    expect(spring.version.body.texts.greeting).toContain('{{salutation}}');
    for (const [name, file] of [['banner', 'spring-banner.png'], ['logo', 'logo.png']] as const) {
      const id = spring.version.body.assets[name]!;
      const original = new Uint8Array(readFileSync(join(TEMPLATES_DIR, 'art', file)));
      const png = PNG.sync.read(Buffer.from(original));
      const asset = await json<{ id: string; contentType: string; bytes: number; width: number; height: number }>(await t.req('GET', `/v1/assets/${id}`), 200);
      expect(asset).toMatchObject({ id, contentType: 'image/png', bytes: original.length, width: png.width, height: png.height });
      const content = await t.req('GET', `/v1/assets/${id}/content`);
      expect(content.status).toBe(200);
      expect(content.headers.get('content-type')).toBe('image/png');
      const bytes = await bytesOf(content);
      expect(isPng(bytes)).toBe(true);
      expect(Buffer.from(bytes).equals(Buffer.from(original))).toBe(true);
    }
    const got = await json<{ id: string; latestVersion: number; versions: { version: number }[] }>(await t.req('GET', `/v1/templates/${spring.id}`), 200);
    expect(got.latestVersion).toBe(1);
    expect(got.versions.map((v) => v.version)).toEqual([1]);
  });

  it('creates every built-in for a fresh dealer, and refuses an unknown one', async () => {
    const fresh = await t.addDealer('新店');
    for (const id of ['survey-reply-cn', 'survey-reply-us', 'test-drive-invitation-en', 'test-drive-invitation-zh']) {
      const c = await createFrom(id, id, fresh.token);
      expect(c.builtin).toBe(id);
      expect(c.version.version).toBe(1);
    }
    const list = await json<{ data: { builtin: string }[] }>(await t.req('GET', '/v1/templates', { token: fresh.token }), 200);
    expect(list.data.map((d) => d.builtin).sort()).toEqual(['survey-reply-cn', 'survey-reply-us', 'test-drive-invitation-en', 'test-drive-invitation-zh']);
    const err = await json<ErrorBody>(await t.req('POST', '/v1/templates', { body: { name: 'x', builtin: 'no-such-card' } }), 422);
    expect(err.error.code).toBe('unknown_builtin');
  });

  it('saves a changed body as a new version and never changes old ones', async () => {
    const created = await createFrom('spring-festival-card', 'versioned');
    const v1 = created.version.body;
    const changed = structuredClone(v1);
    changed.texts.greeting = '{{salutation}}，新年好！{{dealer.name}}恭祝您马年大吉。';
    const put = await json<{ latestVersion: number; name: string; version: Version }>(
      await t.req('PUT', `/v1/templates/${created.id}`, { body: { body: changed, note: '换了祝福语' } }),
      200,
    );
    expect(put.latestVersion).toBe(2);
    expect(put.version.version).toBe(2);
    expect(put.version.note).toBe('换了祝福语');
    expect(put.name).toBe('versioned');

    const one = await json<Version>(await t.req('GET', `/v1/templates/${created.id}/versions/1`), 200);
    expect(one.version).toBe(1);
    expect(one.body.texts.greeting).toBe(v1.texts.greeting);
    expect(one.body).toEqual(v1);
    const two = await json<Version>(await t.req('GET', `/v1/templates/${created.id}/versions/2`), 200);
    expect(two.body.texts.greeting).toBe(changed.texts.greeting);
    const latest = await json<Version>(await t.req('GET', `/v1/templates/${created.id}/versions/latest`), 200);
    expect(latest.version).toBe(2);
    const got = await json<{ versions: { version: number; note: string | null }[] }>(await t.req('GET', `/v1/templates/${created.id}`), 200);
    expect(got.versions.map((v) => [v.version, v.note])).toEqual([[2, '换了祝福语'], [1, null]]);
    expect((await t.req('GET', `/v1/templates/${created.id}/versions/3`)).status).toBe(404);

    // An invalid body saves nothing.
    const bad = structuredClone(v1);
    bad.texts.greeting = '{{contact.nmae}}';
    const err = await json<ErrorBody>(await t.req('PUT', `/v1/templates/${created.id}`, { body: { body: bad } }), 422);
    expect(err.error.code).toBe('invalid_template');
    const after = await json<{ latestVersion: number }>(await t.req('GET', `/v1/templates/${created.id}`), 200);
    expect(after.latestVersion).toBe(2);
  });

  // ── invalid bodies ─────────────────────────────────────────────────────────
  describe('invalid bodies', () => {
    it('names an unknown variable', async () => {
      const b = springBody();
      b.texts.greeting = '尊敬的{{salutation}}：\n{{contact.nmae}}您好';
      const details = await expectInvalid(b);
      expect(details.map((d) => ({ ...d, path: bracketed(d.path) }))).toEqual([
        { path: 'body.layout.pages[0].elements[2].text', message: 'unknown variable "contact.nmae" (line 2)' },
      ]);
    });

    it('names an unknown helper', async () => {
      const b = springBody();
      b.layout.pages[1]!.elements[4]!.text = '{{shout contact.name}}';
      const details = await expectInvalid(b);
      expect(details.map((d) => ({ ...d, path: bracketed(d.path) }))).toEqual([
        { path: 'body.layout.pages[1].elements[4].text', message: 'unknown helper "shout" (line 1)' },
      ]);
    });

    it('names a Handlebars syntax error with its line', async () => {
      const b = springBody();
      b.texts.sender = '寄件人：{{dealer.name}}\n{{address dealer.address}';
      const details = await expectInvalid(b);
      expect(details).toHaveLength(1);
      expect(bracketed(details[0]!.path)).toBe('body.layout.pages[1].elements[5].text');
      expect(details[0]!.message).toMatch(/^syntax error: .*\(line 2\)$/);
    });

    it('names a text box that refers to a missing named text', async () => {
      const b = springBody();
      b.layout.pages[0]!.elements[2]!.text = '@missing';
      const details = await expectInvalid(b);
      expect(details.map((d) => ({ ...d, path: bracketed(d.path) }))).toEqual([
        { path: 'body.layout.pages[0].elements[2].text', message: 'no text named "missing" in texts' },
      ]);
    });

    it('refuses a QR code smaller than 20 mm', async () => {
      const b = springBody();
      b.layout.pages[0]!.elements[5]!.size = 15;
      expect(await expectInvalid(b)).toEqual([{ path: 'body.layout.pages[0].elements[5].size', message: 'a QR code prints at 20 mm or more' }]);
    });

    it('refuses a text box outside the safe area', async () => {
      const b = springBody();
      b.layout.pages[0]!.elements[1]!.x = 2; // title: safe area is 4 mm
      expect(await expectInvalid(b)).toEqual([
        { path: 'body.layout.pages[0].elements[1]', message: 'text "title" reaches outside the safe area (4 mm inside the trim)' },
      ]);
      const c = springBody();
      c.layout.pages[1]!.elements[4]!.w = 130; // recipient box: 20 + 130 > 148 - 4
      expect(await expectInvalid(c)).toEqual([
        { path: 'body.layout.pages[1].elements[4]', message: 'text "recipient" reaches outside the safe area (4 mm inside the trim)' },
      ]);
    });

    it('refuses artwork that does not exist or belongs to another dealer', async () => {
      const b = springBody();
      b.assets.banner = uuidv7();
      const details = await expectInvalid(b);
      expect(details).toHaveLength(1);
      expect(details[0]!.path).toMatch(/assets\.banner$/);
      expect(details[0]!.message).toBe('no such asset');

      const theirs = await json<{ id: string }>(
        await t.req('POST', '/v1/assets?name=theirs', { body: pngBytes(20, 20), token: other.token }),
        201,
      );
      const c = springBody();
      c.assets.logo = theirs.id;
      const d2 = await expectInvalid(c);
      expect(d2).toHaveLength(1);
      expect(d2[0]!.path).toMatch(/assets\.logo$/);
      expect(d2[0]!.message).toBe('no such asset');
      // And the other dealer cannot use this dealer's artwork either.
      const res = await t.req('POST', '/v1/templates', { body: { name: 'stolen', body: springBody() }, token: other.token });
      expect((await json<ErrorBody>(res, 422)).error.code).toBe('invalid_template');
    });

    it('refuses an image element naming artwork the body does not list', async () => {
      const b = springBody();
      b.layout.pages[0]!.elements[3]!.asset = 'mascot';
      const details = await expectInvalid(b);
      expect(details.map((d) => ({ ...d, path: bracketed(d.path) }))).toEqual([
        { path: 'body.layout.pages[0].elements[3].asset', message: 'no image named "mascot" in assets' },
      ]);
    });

    it('refuses {{date}} without the date to format instead of failing the request', async () => {
      // Passes the static check (date is a known helper) but cannot render.
      const b = springBody();
      b.layout.pages[0]!.elements[1]!.text = '恭贺新禧 {{date}}';
      const details = await expectInvalid(b);
      expect(details).toHaveLength(1);
      expect(bracketed(details[0]!.path)).toMatch(/^body\.layout\.pages\[0\]\.elements\[1\]/);
    });

    it('refuses a survey box in a version without survey questions', async () => {
      const { survey: _survey, ...body } = structuredClone(builtinTemplate('survey-reply-cn')!.body);
      const details = await expectInvalid(body);
      expect(details.map((d) => ({ ...d, path: bracketed(d.path) }))).toEqual([
        { path: 'body.layout.pages[1].elements[2]', message: 'the layout has a survey box but the version has no survey questions' },
      ]);
      // With its questions the same body is valid.
      const ok = await t.req('POST', '/v1/templates', { body: { name: 'survey', body: builtinTemplate('survey-reply-cn')!.body } });
      expect(ok.status).toBe(201);
    });

    it('lists every problem of a body at once', async () => {
      const b = springBody();
      b.texts.greeting = '{{contact.nmae}}';
      b.layout.pages[1]!.elements[4]!.text = '{{shout contact.name}}';
      const details = await expectInvalid(b);
      expect(details.map((d) => d.message).sort()).toEqual(['unknown helper "shout" (line 1)', 'unknown variable "contact.nmae" (line 1)']);
    });

    it('checks a body without saving it', async () => {
      const ok = await json<{ valid: boolean }>(await t.req('POST', '/v1/templates/validate', { body: { body: springBody() } }), 200);
      expect(ok.valid).toBe(true);
      const b = springBody();
      b.texts.greeting = '{{contact.nmae}}';
      const err = await json<ErrorBody>(await t.req('POST', '/v1/templates/validate', { body: { body: b } }), 422);
      expect(err.error.code).toBe('invalid_template');
    });

    it('uses [n] for array indexes in every detail path, as the README documents', async () => {
      const b = springBody();
      b.texts.greeting = '{{contact.nmae}}';
      const details = await expectInvalid(b);
      expect(details.map((d) => d.path)).toEqual(['body.layout.pages[0].elements[2].text']);
    });

    it('roots every detail path at body, artwork included', async () => {
      const b = springBody();
      b.assets.banner = uuidv7();
      const details = await expectInvalid(b);
      expect(details.map((d) => d.path)).toEqual(['body.assets.banner']);
    });
  });

  // ── audiences ───────────────────────────────────────────────────────────────
  it('validates a version against an audience and names each flagged contact and problem', async () => {
    const audience = { contactIds: [ids.wang!, ids.glyph!, ids.noaddr!, ids.long!, ids.medium!] };
    const v = await json<Validation>(await t.req('POST', `/v1/templates/${spring.id}/versions/1/validate`, { body: { audience } }), 200);
    expect(v.valid).toBe(false);
    expect(v.problems).toEqual([]);
    expect(v.recipients.checked).toBe(5);
    expect(v.recipients.flagged).toBe(3);
    const by = new Map(v.recipients.examples.map((e) => [e.contactId, e.problems]));
    expect([...by.keys()].sort()).toEqual([ids.glyph, ids.noaddr, ids.long].sort());
    // The name is printed in the greeting (no gender: full name) and on the address side.
    expect(by.get(ids.glyph!)!.sort()).toEqual([
      `text "greeting": no font can draw "${NO_GLYPH}" (U+30000)`,
      `text "recipient": no font can draw "${NO_GLYPH}" (U+30000)`,
    ]);
    expect(by.get(ids.noaddr!)).toEqual(['text "recipient" is required but empty']);
    expect(by.get(ids.long!)).toEqual(['text "recipient" does not fit its 108×28 mm box even at 8 pt']);
  });

  it('finds nothing wrong with an audience of good contacts', async () => {
    const audience = { contactIds: [ids.wang!, ids.li!, ids.medium!] };
    const v = await json<Validation>(await t.req('POST', `/v1/templates/${spring.id}/versions/1/validate`, { body: { audience } }), 200);
    expect(v).toEqual({ valid: true, problems: [], recipients: { checked: 3, flagged: 0, examples: [] } });
    // The same through "latest" and through an unsaved body.
    const latest = await json<Validation>(await t.req('POST', `/v1/templates/${spring.id}/versions/latest/validate`, { body: { audience } }), 200);
    expect(latest.valid).toBe(true);
    const unsaved = await json<Validation>(await t.req('POST', '/v1/templates/validate', { body: { body: springBody(), audience: { contactIds: [ids.noaddr!] } } }), 200);
    expect(unsaved.valid).toBe(false);
    expect(unsaved.recipients.examples).toEqual([{ contactId: ids.noaddr, problems: ['text "recipient" is required but empty'] }]);
  });

  it('refuses contact ids that are unknown or belong to another dealer', async () => {
    for (const id of [uuidv7(), ids.otherWang!]) {
      const res = await t.req('POST', `/v1/templates/${spring.id}/versions/1/validate`, { body: { audience: { contactIds: [ids.wang!, id] } } });
      const err = await json<ErrorBody>(res, 422);
      expect(err.error.code).toBe('unknown_contacts');
      expect(err.error.details).toEqual([{ path: 'contactIds', message: `no contact ${id}` }]);
    }
    const both = await t.req('POST', `/v1/templates/${spring.id}/versions/1/validate`, { body: { audience: { contactIds: [ids.wang!], segmentId: uuidv7() } } });
    expect(both.status).toBe(400);
  });

  // ── proofs and thumbnails ──────────────────────────────────────────────────
  it('proofs named contacts as one PDF and counts the flagged ones', async () => {
    const res = await t.req('GET', `/v1/templates/${spring.id}/versions/1/proof.pdf?contactId=${ids.wang}&contactId=${ids.glyph}&contactId=${ids.noaddr}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('x-proof-flagged')).toBe('2');
    const problems = JSON.parse(decodeURIComponent(res.headers.get('x-proof-problems')!)) as { contactId: string; problems: string[] }[];
    expect(problems.map((p) => p.contactId)).toEqual([ids.glyph, ids.noaddr]);
    expect(problems[1]!.problems).toEqual(['text "recipient" is required but empty']);
    const bytes = await bytesOf(res);
    expect(Buffer.from(bytes.subarray(0, 8)).toString('latin1')).toBe('%PDF-1.6');
    const pdf = await PDFDocument.load(bytes);
    expect(pdf.getPageCount()).toBe(6); // three pieces, two pages each

    const good = await t.req('GET', `/v1/templates/${spring.id}/versions/1/proof.pdf?contactId=${ids.wang}&contactId=${ids.li}`);
    expect(good.status).toBe(200);
    expect(good.headers.get('x-proof-flagged')).toBe('0');
    expect(good.headers.get('x-proof-problems')).toBeNull();
    expect((await PDFDocument.load(await bytesOf(good))).getPageCount()).toBe(4);
  });

  it('proofs a sample of a segment', async () => {
    const seg = await json<{ id: string }>(
      await t.req('POST', '/v1/segments', { body: { name: '深圳客户', rule: { field: 'district', op: 'eq', value: '南山区' } } }),
      201,
    );
    // Members: wang, medium, long, glyph (the other dealer's contact is not one).
    const v = await json<Validation>(await t.req('POST', `/v1/templates/${spring.id}/versions/1/validate`, { body: { audience: { segmentId: seg.id } } }), 200);
    expect(v.recipients.checked).toBe(4);
    expect(v.recipients.flagged).toBe(2);
    expect(v.recipients.examples.map((e) => e.contactId).sort()).toEqual([ids.long, ids.glyph].sort());

    const res = await t.req('GET', `/v1/templates/${spring.id}/versions/1/proof.pdf?segmentId=${seg.id}&sample=2`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    const bytes = await bytesOf(res);
    expect(Buffer.from(bytes.subarray(0, 8)).toString('latin1')).toBe('%PDF-1.6');
    expect((await PDFDocument.load(bytes)).getPageCount()).toBe(4); // 2 pieces × 2 pages
    // The default sample is larger than the segment: every member.
    const all = await t.req('GET', `/v1/templates/${spring.id}/versions/1/proof.pdf?segmentId=${seg.id}`);
    expect(all.status).toBe(200);
    expect(all.headers.get('x-proof-flagged')).toBe('2');
    expect((await PDFDocument.load(await bytesOf(all))).getPageCount()).toBe(8);
  });

  it('refuses a proof without recipients', async () => {
    const res = await t.req('GET', `/v1/templates/${spring.id}/versions/1/proof.pdf`);
    expect(res.status).toBe(400);
    const bad = await t.req('GET', `/v1/templates/${spring.id}/versions/1/proof.pdf?contactId=not-a-uuid`);
    expect(bad.status).toBe(400);
  });

  it('renders a page of one piece as a PNG thumbnail', async () => {
    const res = await t.req('GET', `/v1/templates/${spring.id}/versions/1/thumbnail.png?contactId=${ids.wang}&page=2`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('x-proof-flagged')).toBe('0');
    const bytes = await bytesOf(res);
    expect(isPng(bytes)).toBe(true);
    const png = PNG.sync.read(Buffer.from(bytes));
    expect(png.width).toBe(600);
    expect(png.height).toBe(Math.round((600 * 100) / 148));
    // Not a blank page: the address side has dark text on white.
    let dark = 0;
    for (let i = 0; i < png.data.length; i += 4) if (png.data[i]! < 100 && png.data[i + 1]! < 100 && png.data[i + 2]! < 100) dark++;
    expect(dark).toBeGreaterThan(100);

    const front = await t.req('GET', `/v1/templates/${spring.id}/versions/1/thumbnail.png?contactId=${ids.wang}&page=1&width=300`);
    expect(front.status).toBe(200);
    const small = PNG.sync.read(Buffer.from(await bytesOf(front)));
    expect(small.width).toBe(300);

    const flagged = await t.req('GET', `/v1/templates/${spring.id}/versions/1/thumbnail.png?contactId=${ids.noaddr}&page=2`);
    expect(flagged.status).toBe(200);
    expect(flagged.headers.get('x-proof-flagged')).toBe('1');

    const page3 = await t.req('GET', `/v1/templates/${spring.id}/versions/1/thumbnail.png?contactId=${ids.wang}&page=3`);
    expect((await json<ErrorBody>(page3, 422)).error.code).toBe('invalid_page');
  });

  // ── artwork ─────────────────────────────────────────────────────────────────
  it('stores an uploaded PNG with its size', async () => {
    const png = pngBytes(40, 30);
    const a = await json<{ id: string; name: string; contentType: string; bytes: number; width: number; height: number; sha256: string }>(
      await t.req('POST', '/v1/assets?name=mascot', { body: png, headers: { 'content-type': 'image/png' } }),
      201,
    );
    expect(a).toMatchObject({ name: 'mascot', contentType: 'image/png', bytes: png.length, width: 40, height: 30 });
    expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);
    const content = await bytesOf(await t.req('GET', `/v1/assets/${a.id}/content`));
    expect(Buffer.from(content).equals(Buffer.from(png))).toBe(true);
  });

  it('refuses a body that is not an image', async () => {
    const res = await t.req('POST', '/v1/assets', { body: new TextEncoder().encode('name,phone\n王小明,13800000000\n') });
    expect((await json<ErrorBody>(res, 422)).error.code).toBe('invalid_image');
    // A PNG signature over garbage is damaged, not an image.
    const fake = new Uint8Array(64);
    fake.set(PNG_SIGNATURE);
    const res2 = await t.req('POST', '/v1/assets', { body: fake });
    expect((await json<ErrorBody>(res2, 422)).error.code).toBe('invalid_image');
  });

  it('refuses an image larger than 10 MB', async () => {
    const big = new Uint8Array(10 * 1024 * 1024 + 1);
    big.set(PNG_SIGNATURE);
    const res = await t.req('POST', '/v1/assets', { body: big });
    const err = await json<ErrorBody>(res, 413);
    expect(err.error.code).toBe('payload_too_large');
    // Exactly 10 MB is within the limit (and then refused as a damaged image).
    const res2 = await t.req('POST', '/v1/assets', { body: big.subarray(0, 10 * 1024 * 1024) });
    expect((await json<ErrorBody>(res2, 422)).error.code).toBe('invalid_image');
  });

  // ── tenancy and roles ────────────────────────────────────────────────────────
  it('hides one dealer’s templates, versions, proofs and artwork from another', async () => {
    const base = `/v1/templates/${spring.id}`;
    const asset = spring.version.body.assets.banner!;
    for (const path of [
      base,
      `${base}/versions/1`,
      `${base}/versions/latest`,
      `${base}/proof.pdf?contactId=${ids.otherWang}`,
      `${base}/thumbnail.png?contactId=${ids.otherWang}`,
      `/v1/assets/${asset}`,
      `/v1/assets/${asset}/content`,
    ]) {
      const res = await t.req('GET', path, { token: other.token });
      expect(res.status, path).toBe(404);
    }
    const validate = await t.req('POST', `${base}/versions/1/validate`, { body: { audience: { contactIds: [ids.otherWang!] } }, token: other.token });
    expect(validate.status).toBe(404);
    // A body of their own (no artwork) cannot be saved over this dealer's template.
    const theirs = await createFrom('survey-reply-cn', 'theirs', other.token);
    const put = await t.req('PUT', base, { body: { body: theirs.version.body }, token: other.token });
    expect(put.status).toBe(404);
    const list = await json<{ data: { id: string }[] }>(await t.req('GET', '/v1/templates', { token: other.token }), 200);
    expect(list.data.map((d) => d.id)).toEqual([theirs.id]);
    // This dealer cannot proof the other dealer's contact with its own template.
    const cross = await t.req('GET', `${base}/versions/1/proof.pdf?contactId=${ids.otherWang}`);
    expect((await json<ErrorBody>(cross, 422)).error.code).toBe('unknown_contacts');
  });

  it('keeps printers out of templates and artwork', async () => {
    for (const [method, path] of [
      ['GET', '/v1/templates'],
      ['GET', '/v1/templates/builtin'],
      ['GET', `/v1/templates/${spring.id}`],
      ['GET', `/v1/templates/${spring.id}/versions/1`],
      ['GET', `/v1/templates/${spring.id}/versions/1/proof.pdf?contactId=${ids.wang}`],
      ['GET', `/v1/assets/${spring.version.body.assets.banner}`],
      ['GET', '/v1/dealer/print-profile'],
    ] as const) {
      const res = await t.req(method, path, { token: printerToken });
      expect(res.status, path).toBe(403);
      expect(((await res.json()) as ErrorBody).error.code).toBe('forbidden');
    }
    const post = await t.req('POST', '/v1/templates', { body: { name: 'x', builtin: 'spring-festival-card' }, token: printerToken });
    expect(post.status).toBe(403);
  });

  it('lets a manager read but not write', async () => {
    const got = await json<{ id: string }>(await t.req('GET', `/v1/templates/${spring.id}`, { token: managerToken }), 200);
    expect(got.id).toBe(spring.id);
    expect((await t.req('GET', `/v1/templates/${spring.id}/versions/1`, { token: managerToken })).status).toBe(200);
    const put = await t.req('PUT', `/v1/templates/${spring.id}`, { body: { body: springBody() }, token: managerToken });
    expect(put.status).toBe(403);
    expect(((await put.json()) as ErrorBody).error.code).toBe('forbidden');
    expect((await t.req('POST', '/v1/templates', { body: { name: 'x', builtin: 'spring-festival-card' }, token: managerToken })).status).toBe(403);
    expect((await t.req('POST', '/v1/assets', { body: pngBytes(10, 10), token: managerToken })).status).toBe(403);
    expect((await t.req('PUT', '/v1/dealer/print-profile', { body: { replyPermit: 'x' }, token: managerToken })).status).toBe(403);
    const after = await json<{ latestVersion: number }>(await t.req('GET', `/v1/templates/${spring.id}`), 200);
    expect(after.latestVersion).toBe(1);
  });

  // ── print profile ───────────────────────────────────────────────────────────
  it('prints the reply permit and addressee from the print profile', async () => {
    const profile = {
      phone: '0755-88886666',
      replyDepartment: '市场部',
      replyName: null,
      replyAddress: { country: 'CN', province: '广东省', city: '深圳市', district: '福田区', street: '深南大道1000号', postcode: '518000' },
      replyPermit: 'SZ-BRM-2026-0042',
    };
    const saved = await json<Record<string, unknown>>(await t.req('PUT', '/v1/dealer/print-profile', { body: profile }), 200);
    expect(saved).toMatchObject({ replyPermit: 'SZ-BRM-2026-0042', replyDepartment: '市场部', replyAddress: profile.replyAddress });
    const read = await json<Record<string, unknown>>(await t.req('GET', '/v1/dealer/print-profile'), 200);
    expect(read).toMatchObject({ replyPermit: 'SZ-BRM-2026-0042', phone: '0755-88886666' });

    const survey = await createFrom('survey-reply-cn', '回执调查卡');
    const res = await t.req('GET', `/v1/templates/${survey.id}/versions/1/proof.pdf?contactId=${ids.wang}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-proof-flagged')).toBe('0');
    const bytes = await bytesOf(res);
    expect((await PDFDocument.load(bytes)).getPageCount()).toBe(2);
    if (hasPdftotext) {
      const text = execFileSync('pdftotext', ['-enc', 'UTF-8', '-', '-'], { input: Buffer.from(bytes) }).toString('utf8');
      expect(text).toContain('SZ-BRM-2026-0042');
      expect(text).toContain('商业回函');
      expect(text).toContain('深南大道1000号');
    }
  });
});
