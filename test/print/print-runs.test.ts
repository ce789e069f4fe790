// Print runs end to end on every database kind: an audience and a pinned
// template version → presorted PDF files split by size, pieces left out with
// their reasons (no address, suppressed, unprintable), a manifest that matches
// the files page by page, a job ticket whose checksums match the files, and
// QR codes that decode to each piece's tracking URL.
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { parse } from 'csv-parse/sync';
import { PDFDocument } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db';
import { contacts, suppressions } from '../../src/db/schema';
import { uuidv7 } from '../../src/lib/ids';
import { workerRenderer } from '../../src/print/pool';
import { createTestApp, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';
import { decodeQr, hasPoppler, renderPages } from '../helpers/pdf';

type NewContact = typeof contacts.$inferInsert;
const OLD = new Date('2025-06-01T00:00:00Z');
const poppler = hasPoppler();

async function bytesOf(res: Response): Promise<Uint8Array> {
  expect(res.status, await res.clone().text().catch(() => '')).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

describe.each(DB_KINDS)('print runs on %s', (kind) => {
  let t: TestApp;
  let templateId: string;
  const ids: Record<string, string> = {};

  async function add(name: string, over: Partial<NewContact>) {
    const id = uuidv7();
    ids[name] = id;
    await t.deps.db.orm.insert(contacts).values({
      id,
      dealerId: t.dealerId,
      kind: 'prior_owner',
      fullName: name,
      gender: 'male',
      country: 'CN',
      province: '福建省',
      city: '福州市',
      district: '鼓楼区',
      createdAt: OLD,
      updatedAt: OLD,
      ...over,
    } as NewContact);
  }

  async function waitRun(id: string) {
    await t.deps.jobs.idle();
    const res = await t.req('GET', `/v1/print-runs/${id}`);
    expect(res.status).toBe(200);
    return (await res.json()) as {
      status: string;
      progress: { total: number; rendered: number; excluded: number; percent: number };
      files: { name: string; pieces: number; pages: number; bytes: number; sha256: string; firstSeq: number; lastSeq: number }[];
      ticket: Record<string, unknown> | null;
    };
  }

  beforeAll(async () => {
    t = await createTestApp(kind, { PUBLIC_BASE_URL: 'https://dm.example.cn' });
    // Postcodes out of order, so the presort has something to do.
    const streets = ['五四路1号', '工业路2号', '八一七路3号', '湖东路4号', '六一路5号', '杨桥路6号', '华林路7号'];
    const postcodes = ['350009', '350001', '350005', '350003', '350002', '350008', '350004'];
    for (let i = 0; i < 7; i++) await add(`客户${i}`, { street: streets[i], postcode: postcodes[i], phone: `+861380000000${i}` });
    await add('无地址', { street: null, postcode: null });
    await add('已退订', { street: '东街口8号', postcode: '350006', phone: '+8613900000009' });
    await add('王𰀀', { street: '西湖路9号', postcode: '350007' });
    await t.deps.db.orm.insert(suppressions).values({
      id: uuidv7(),
      dealerId: t.dealerId,
      channel: 'mail',
      target: 'contact',
      value: ids['已退订']!,
      reason: 'unsubscribed',
      source: 'test',
      createdAt: OLD,
    });
    const res = await t.req('POST', '/v1/templates', { body: { name: '新春贺卡', builtin: 'spring-festival-card' } });
    expect(res.status).toBe(201);
    templateId = ((await res.json()) as { id: string }).id;
  });
  afterAll(() => t.close());

  it('renders presorted files of the requested size, leaves out what cannot be printed, and writes manifest and ticket', async () => {
    const res = await t.req('POST', '/v1/print-runs', {
      body: { templateId, audience: { contactIds: Object.values(ids) }, piecesPerFile: 3, cropMarks: true },
    });
    expect(res.status).toBe(202);
    const created = (await res.json()) as { id: string; status: string; template: { version: number } };
    expect(created.status).toBe('queued');
    expect(created.template.version).toBe(1);
    const run = await waitRun(created.id);
    expect(run.status).toBe('completed');
    expect(run.progress).toMatchObject({ total: 10, rendered: 7, excluded: 3, percent: 100 });
    // 8 pieces were sequenced (2 left out before), 3 per file → 3 files; the
    // unprintable one (postcode 350007, sequence 6) leaves a gap in file 2.
    expect(run.files.map((f) => f.pieces)).toEqual([3, 2, 2]);
    expect(run.files.map((f) => [f.firstSeq, f.lastSeq])).toEqual([[1, 3], [4, 6], [7, 8]]);

    // Excluded, with reasons.
    const excluded = parse(Buffer.from(await bytesOf(await t.req('GET', `/v1/print-runs/${created.id}/excluded.csv`))).toString('utf8').replace(/^\uFEFF/, ''), { columns: true }) as Record<string, string>[];
    const reasons = Object.fromEntries(excluded.map((r) => [r.name, r.reason]));
    expect(reasons['无地址']).toMatch(/no postal address/);
    expect(reasons['已退订']).toMatch(/suppressed for mail \(unsubscribed\)/);
    expect(reasons['王𰀀']).toMatch(/U\+30000/);

    // Manifest: presort order, and every row points at the page its piece is on.
    const manifest = parse(Buffer.from(await bytesOf(await t.req('GET', `/v1/print-runs/${created.id}/manifest.csv`))).toString('utf8').replace(/^\uFEFF/, ''), { columns: true }) as Record<string, string>[];
    expect(manifest).toHaveLength(7);
    const pcs = manifest.map((r) => r.postcode!);
    expect([...pcs].sort()).toEqual(pcs);
    expect(manifest.map((r) => r.name)).not.toContain('无地址');

    const files = new Map<string, Uint8Array>();
    for (const f of run.files) {
      const pdf = await bytesOf(await t.req('GET', `/v1/print-runs/${created.id}/files/${f.name}`));
      files.set(f.name, pdf);
      expect(createHash('sha256').update(pdf).digest('hex')).toBe(f.sha256);
      expect((await PDFDocument.load(pdf)).getPageCount()).toBe(f.pieces * 2);
    }
    const ticket = JSON.parse(Buffer.from(await bytesOf(await t.req('GET', `/v1/print-runs/${created.id}/ticket.json`))).toString('utf8')) as {
      quantity: number;
      trim: { widthMm: number; heightMm: number };
      bleedMm: number;
      stock: string;
      files: { name: string; sha256: string; pieces: number }[];
      outputIntent: string;
    };
    expect(ticket).toMatchObject({ quantity: 7, trim: { widthMm: 148, heightMm: 100 }, bleedMm: 3, outputIntent: 'FOGRA39' });
    expect(ticket.stock).toMatch(/coated/);
    expect(ticket.files.map((f) => f.sha256)).toEqual(run.files.map((f) => f.sha256));

    // Tokens: unguessable, one per piece; the QR code on each piece's page carries its own.
    const pieces = await rows<{ contact_id: string; token: string; file_no: number | null; page: number | null }>(
      t.deps.db.orm,
      sql`SELECT contact_id, token, file_no, page FROM pieces WHERE print_run_id = ${created.id}::uuid AND status = 'rendered'`,
    );
    expect(pieces).toHaveLength(7);
    for (const p of pieces) expect(p.token).toMatch(/^[0-9A-HJKMNP-TV-Z]{16}$/);
    expect(new Set(pieces.map((p) => p.token)).size).toBe(7);
    for (const r of manifest) {
      const p = pieces.find((x) => x.contact_id === r.contact_id)!;
      expect(Number(r.page)).toBe(p.page);
    }
    if (poppler) {
      const first = manifest[0]!;
      const piece = pieces.find((p) => p.contact_id === first.contact_id)!;
      const [page] = renderPages(files.get(first.file!)!, 150, Number(first.page), Number(first.page));
      expect(decodeQr(page!)).toBe(`https://dm.example.cn/r/${piece.token}`);
    }
  });

  it('refuses an unknown template or segment, and a version that does not exist', async () => {
    const a = await t.req('POST', '/v1/print-runs', { body: { templateId: uuidv7(), audience: { contactIds: [ids['客户0']] } } });
    expect(a.status).toBe(404);
    const b = await t.req('POST', '/v1/print-runs', { body: { templateId, version: 9, audience: { contactIds: [ids['客户0']] } } });
    expect(b.status).toBe(404);
    const c = await t.req('POST', '/v1/print-runs', { body: { templateId, audience: { segmentId: uuidv7() } } });
    expect(c.status).toBe(404);
    const d = await t.req('POST', '/v1/print-runs', { body: { templateId, audience: {} } });
    expect(d.status).toBe(400);
  });

  it('renders in worker threads with the same result', async () => {
    const renderer = workerRenderer(2);
    t.deps.printRenderer = renderer;
    try {
      const res = await t.req('POST', '/v1/print-runs', { body: { templateId, audience: { contactIds: Object.values(ids) }, piecesPerFile: 2 } });
      const run = await waitRun(((await res.json()) as { id: string }).id);
      expect(run.status).toBe('completed');
      expect(run.progress).toMatchObject({ rendered: 7, excluded: 3 });
      expect(run.files.map((f) => f.pieces)).toEqual([2, 2, 1, 2]);
    } finally {
      t.deps.printRenderer = undefined;
      await renderer.close();
    }
  });

  it('keeps one dealer out of another dealer\'s runs and files', async () => {
    const res = await t.req('POST', '/v1/print-runs', { body: { templateId, audience: { contactIds: [ids['客户1']] } } });
    const run = await waitRun(((await res.json()) as { id: string }).id);
    const other = await t.addDealer('另一家4S店');
    const id = ((await (await t.req('GET', '/v1/print-runs')).json()) as { data: { id: string }[] }).data[0]!.id;
    expect((await t.req('GET', `/v1/print-runs/${id}`, { token: other.token })).status).toBe(404);
    expect((await t.req('GET', `/v1/print-runs/${id}/files/${run.files[0]!.name}`, { token: other.token })).status).toBe(404);
    // Another dealer cannot print this dealer's contacts either: they are simply not in its audience.
    const tpl = await t.req('POST', '/v1/templates', { body: { name: 'x', builtin: 'spring-festival-card' }, token: other.token });
    const foreign = await t.req('POST', '/v1/print-runs', {
      body: { templateId: ((await tpl.json()) as { id: string }).id, audience: { contactIds: [ids['客户1']] } },
      token: other.token,
    });
    const r = await waitRunAs(((await foreign.json()) as { id: string }).id, other.token);
    expect(r.progress.total).toBe(0);
    expect(r.files).toEqual([]);
  });

  async function waitRunAs(id: string, token: string) {
    await t.deps.jobs.idle();
    return (await (await t.req('GET', `/v1/print-runs/${id}`, { token })).json()) as { progress: { total: number }; files: unknown[] };
  }
});
