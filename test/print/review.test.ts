// Review of the print path (commit 235d662): each test below shows one defect.
// They fail on that commit and pass once the defect is fixed.
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db';
import { contacts } from '../../src/db/schema';
import { uuidv7 } from '../../src/lib/ids';
import { inlineRenderer, workerRenderer, type Renderer } from '../../src/print/pool';
import { imageSize, prepareImage } from '../../src/print/images';
import type { RenderSetup } from '../../src/print/render';
import { runPrintRun } from '../../src/print/runs';
import { outputIntentProfile } from '../../src/templates/builtin';
import { createTestApp, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';
import { builtin, cnPiece, CN_DEALER } from './fixtures';

type NewContact = typeof contacts.$inferInsert;
const OLD = new Date('2025-06-01T00:00:00Z');
/** CJK Unified Ideographs Extension G: Source Han Sans SC has no glyph for it, so the piece is left out. */
const NO_GLYPH = '\u{30000}';

type RunView = {
  id: string;
  status: string;
  progress: { total: number; rendered: number; excluded: number };
  files: { name: string; pieces: number; sha256: string }[];
};

// ── small helpers ────────────────────────────────────────────────────────────
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, data.length);
  out.set(Buffer.from(type, 'latin1'), 4);
  out.set(data, 8);
  v.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}
/** A valid 1-bit greyscale PNG of width × height white pixels: tiny on the wire, huge once decoded. */
function blankPng(width: number, height: number): Uint8Array {
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([1, 0, 0, 0, 0], 8); // bit depth 1, greyscale, deflate, adaptive filter, no interlace
  const rowBytes = 1 + Math.ceil(width / 8);
  const raw = new Uint8Array(rowBytes * height).fill(0xff);
  for (let y = 0; y < height; y++) raw[y * rowBytes] = 0; // filter type None
  const sig = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, pngChunk('IHDR', ihdr), pngChunk('IDAT', new Uint8Array(deflateSync(raw, { level: 9 }))), pngChunk('IEND', new Uint8Array())]);
}

function fixtureSetup(key: string): RenderSetup {
  const b = builtin('spring-festival-card');
  const images: RenderSetup['images'] = {};
  const imageInfo: RenderSetup['imageInfo'] = {};
  for (const [k, bytes] of Object.entries(b.images)) {
    images[k] = prepareImage(bytes);
    imageInfo[k] = imageSize(bytes);
  }
  return { key, body: b.body, run: CN_DEALER, images, imageInfo, outputIntent: outputIntentProfile(), cropMarks: false, createdAt: '2026-01-01T00:00:00.000Z', title: 'review' };
}

function within<T>(p: Promise<T>, ms: number): Promise<T | 'timed out'> {
  return Promise.race([p, new Promise<'timed out'>((r) => setTimeout(() => r('timed out'), ms).unref())]);
}

// ── the print worker pool (no database) ──────────────────────────────────────
describe('print worker pool', () => {
  it('renders a 12,000-piece file in a worker (above the 10,000-piece cap of the API)', async () => {
    const renderer = workerRenderer(1);
    try {
      const pieces = Array.from({ length: 12_000 }, (_, i) => cnPiece(i));
      let bytes = 0;
      const r = await renderer
        .render(fixtureSetup('big-file'), { fileNo: 1, pieces }, (c) => void (bytes += c.length))
        .then((res) => ({ pages: res.pages, error: null as string | null }), (e: Error) => ({ pages: 0, error: e.message }));
      expect(r.error).toBeNull();
      expect(r.pages).toBe(24_000);
      expect(bytes).toBeGreaterThan(0);
    } finally {
      await renderer.close();
    }
  }, 180_000);

  it('keeps rendering after a print worker dies (the next file must not wait forever)', async () => {
    const renderer = workerRenderer(1);
    try {
      const setup = fixtureSetup('poison');
      // A piece big enough to exhaust the worker's 64 MB heap: the worker dies.
      const first = await renderer
        .render(setup, { fileNo: 1, pieces: [cnPiece(0, { name: '王'.repeat(5_000_000) })] }, () => {})
        .then(() => 'rendered', (e: Error) => `failed: ${e.message}`);
      expect(first).toMatch(/^(rendered|failed)/);
      // The next file of the run goes to the same pool.
      const second = await within(
        renderer.render(setup, { fileNo: 2, pieces: [cnPiece(1)] }, () => {}).then((r) => `pages ${r.pages}`, (e: Error) => `failed: ${e.message}`),
        20_000,
      );
      expect(second).toBe('pages 2');
    } finally {
      await renderer.close();
    }
  }, 120_000);
});

// ── print runs and artwork through the app ───────────────────────────────────
describe.each(DB_KINDS)('print review on %s', (kind) => {
  let t: TestApp;
  let templateId: string;
  const ids: Record<string, string> = {};

  async function add(name: string, over: Partial<NewContact>): Promise<string> {
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
    return id;
  }

  async function createRun(body: Record<string, unknown>): Promise<string> {
    const res = await t.req('POST', '/v1/print-runs', { body: { templateId, ...body } });
    expect(res.status, await res.clone().text()).toBe(202);
    return ((await res.json()) as { id: string }).id;
  }

  async function view(id: string): Promise<RunView> {
    const res = await t.req('GET', `/v1/print-runs/${id}`);
    expect(res.status).toBe(200);
    return (await res.json()) as RunView;
  }

  /** Download a print file and hash it; a file that cannot be read says so. */
  async function fileHash(runId: string, name: string): Promise<string> {
    try {
      const res = await t.req('GET', `/v1/print-runs/${runId}/files/${name}`);
      if (res.status !== 200) return `status ${res.status}`;
      return createHash('sha256').update(new Uint8Array(await res.arrayBuffer())).digest('hex');
    } catch (e) {
      return `unreadable: ${(e as Error).message}`;
    }
  }

  beforeAll(async () => {
    // Jobs paused: the tests drive runPrintRun themselves (crashes, renderers).
    t = await createTestApp(kind, { PUBLIC_BASE_URL: 'https://dm.example.cn' }, { pausedJobs: true });
    await add('甲', { street: '五四路1号', postcode: '350001' });
    await add(`王${NO_GLYPH}`, { street: '工业路2号', postcode: '350002' });
    await add('丙', { street: '八一七路3号', postcode: '350003' });
    await add('丁', { street: '湖东路4号', postcode: '350004' });
    const res = await t.req('POST', '/v1/templates', { body: { name: '新春贺卡', builtin: 'spring-festival-card' } });
    expect(res.status).toBe(201);
    templateId = ((await res.json()) as { id: string }).id;
  });
  afterAll(() => t.close());

  it('resumes a crashed run without deleting a file it had already stored (an earlier file had no printable piece)', async () => {
    // One piece per file, presorted by postcode: file 1 甲, file 2 王𰀀 (left
    // out: no glyph, so no PDF and no files[] entry), file 3 丙, file 4 丁.
    const id = await createRun({ audience: { contactIds: [ids['甲'], ids[`王${NO_GLYPH}`], ids['丙'], ids['丁']] }, piecesPerFile: 1 });
    // The service "crashes" once file 3 is stored and committed: the run stays 'rendering'.
    const crash = new AbortController();
    const inline = inlineRenderer();
    const crashing: Renderer = {
      size: 1,
      render: async (setup, task, sink) => {
        const r = await inline.render(setup, task, sink);
        if (task.fileNo === 3) crash.abort();
        return r;
      },
      close: async () => {},
    };
    await runPrintRun(t.deps, id, crash.signal, crashing);
    const before = await view(id);
    expect(before.status).toBe('rendering');
    expect(before.files.map((f) => f.pieces)).toEqual([1, 1]);
    const stored = await fileHash(id, before.files[1]!.name);
    expect(stored).toBe(before.files[1]!.sha256);

    // Restart: the run resumes after its last stored file.
    await runPrintRun(t.deps, id, new AbortController().signal, inlineRenderer());
    const after = await view(id);
    expect(after.status).toBe('completed');
    expect(after.progress).toMatchObject({ total: 4, rendered: 3, excluded: 1 });
    // Every file the run lists (and the job ticket names) is still there, as checksummed.
    for (const f of after.files) expect(await fileHash(id, f.name), f.name).toBe(f.sha256);
  });

  it('marks a run failed without an unhandled promise rejection when more than one in-flight file fails', async () => {
    const id = await createRun({ audience: { contactIds: [ids['甲'], ids['丙'], ids['丁']] }, piecesPerFile: 1 });
    // Two files in flight (two workers, as on a two-core host), and storage or
    // rendering failing for both, e.g. a full disk.
    const failing: Renderer = {
      size: 2,
      render: async () => {
        await new Promise((r) => setTimeout(r, 20));
        throw new Error('ENOSPC: no space left on device');
      },
      close: async () => {},
    };
    const unhandled: unknown[] = [];
    const record = (reason: unknown): void => void unhandled.push(reason);
    // Node's default for an unhandled rejection is to end the process; record them instead.
    const prior = process.listeners('unhandledRejection');
    process.removeAllListeners('unhandledRejection');
    process.on('unhandledRejection', record);
    try {
      await runPrintRun(t.deps, id, new AbortController().signal, failing);
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      process.removeListener('unhandledRejection', record);
      for (const l of prior) process.on('unhandledRejection', l as NodeJS.UnhandledRejectionListener);
    }
    expect((await view(id)).status).toBe('failed');
    expect(unhandled.map((e) => (e as Error).message)).toEqual([]);
  });

  it('gives the files of two runs different names (the print shop receives both)', async () => {
    // File names start with the first 8 hex digits of the run's UUIDv7: the top
    // 32 bits of its millisecond time stamp, which change every 65.5 seconds.
    t.clock.set(new Date(Math.floor(t.clock.now().getTime() / 65_536) * 65_536 + 65_536 + 1_000));
    const a = await createRun({ audience: { contactIds: [ids['甲']] } });
    await runPrintRun(t.deps, a, new AbortController().signal);
    t.clock.advance(30_000); // the second run is queued 30 seconds later
    const b = await createRun({ audience: { contactIds: [ids['丙']] } });
    await runPrintRun(t.deps, b, new AbortController().signal);
    const [ra, rb] = [await view(a), await view(b)];
    expect(ra.status).toBe('completed');
    expect(rb.status).toBe('completed');
    expect(ra.files[0]!.name).not.toBe(rb.files[0]!.name);
    const da = (await t.req('GET', `/v1/print-runs/${a}/manifest.csv`)).headers.get('content-disposition');
    const db = (await t.req('GET', `/v1/print-runs/${b}/manifest.csv`)).headers.get('content-disposition');
    expect(da).not.toBe(db);
  });

  it('flags a piece whose QR text is too long to encode instead of failing the proof, the validation and the run', async () => {
    const v1 = (await (await t.req('GET', `/v1/templates/${templateId}/versions/1`)).json()) as {
      body: { layout: { pages: { elements: Record<string, unknown>[] }[] } } & Record<string, unknown>;
    };
    const body = structuredClone(v1.body);
    const qr = body.layout.pages[0]!.elements.find((e) => e.type === 'qr')!;
    qr.value = '{{trackingUrl}}?to={{contact.name}}';
    const put = await t.req('PUT', `/v1/templates/${templateId}`, { body: { body } });
    expect(put.status, await put.clone().text()).toBe(200);
    const version = ((await put.json()) as { version: { version: number } }).version.version;
    // About 2,700 bytes of UTF-8: more than a QR code holds at error correction M (2,331).
    const long = await add('欧阳' + '明'.repeat(900), { street: '杨桥路6号', postcode: '350006' });

    const proof = await t.req('GET', `/v1/templates/${templateId}/versions/${version}/proof.pdf?contactId=${long}&contactId=${ids['甲']}`);
    expect(proof.status, await proof.clone().text()).toBe(200);
    expect(proof.headers.get('x-proof-flagged')).toBe('1');

    const check = await t.req('POST', `/v1/templates/${templateId}/versions/${version}/validate`, { body: { audience: { contactIds: [long, ids['甲']] } } });
    expect(check.status, await check.clone().text()).toBe(200);
    expect(((await check.json()) as { recipients: { flagged: number } }).recipients.flagged).toBe(1);

    const id = await createRun({ version, audience: { contactIds: [long, ids['甲']] } });
    await runPrintRun(t.deps, id, new AbortController().signal);
    const run = await view(id);
    expect(run.status).toBe('completed');
    expect(run.progress).toMatchObject({ total: 2, rendered: 1, excluded: 1 });
    const [piece] = await rows<{ reason: string | null }>(t.deps.db.orm, sql`SELECT reason FROM pieces WHERE print_run_id = ${id}::uuid AND contact_id = ${long}::uuid`);
    expect(piece?.reason).toMatch(/QR/i);
  });

  it('refuses a print run whose campaign fields overflow a static text box, instead of accepting it and failing every file', async () => {
    const v1 = (await (await t.req('GET', `/v1/templates/${templateId}/versions/1`)).json()) as {
      body: { layout: { pages: { elements: Record<string, unknown>[] }[] } } & Record<string, unknown>;
    };
    const body = structuredClone(v1.body);
    // The headline shows the campaign name (the same on every piece): one line, no shrinking.
    const title = body.layout.pages[0]!.elements.find((e) => e.id === 'title')!;
    title.text = '{{campaign.name}}';
    const put = await t.req('PUT', `/v1/templates/${templateId}`, { body: { body } });
    expect(put.status, await put.clone().text()).toBe(200);
    const version = ((await put.json()) as { version: { version: number } }).version.version;

    const campaign = { name: '2027 新春感恩回馈 · 老客户专享保养礼包与置换补贴 · 全系车型限时试驾邀请' };
    const res = await t.req('POST', '/v1/print-runs', { body: { templateId, version, campaign, audience: { contactIds: [ids['甲'], ids['丙']] } } });
    if (res.status === 202) {
      // Accepted: then it must not end as a failed run with an error nobody can act on.
      const id = ((await res.json()) as { id: string }).id;
      await runPrintRun(t.deps, id, new AbortController().signal);
      const run = (await (await t.req('GET', `/v1/print-runs/${id}`)).json()) as { status: string; error: string | null };
      expect(run, 'accepted with 202, then').toMatchObject({ status: 'completed' });
    }
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_template');
  });

  it('answers 422 invalid_image, not 500, for a truncated PNG', async () => {
    const truncated = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    const res = await t.req('POST', '/v1/assets?name=broken.png', { body: truncated, headers: { 'content-type': 'image/png' } });
    expect(res.status, await res.clone().text()).toBe(422);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_image');
  });

  it('refuses a PNG that decodes to more pixels than the 60 MP allowed for a JPEG (a 0.1 MB upload must not cost 0.5 GB)', async () => {
    const bomb = blankPng(8000, 8000); // 64 MP
    expect(bomb.length).toBeLessThan(200_000);
    const res = await t.req('POST', '/v1/assets?name=bomb.png', { body: bomb, headers: { 'content-type': 'image/png' } });
    expect(res.status, await res.clone().text()).toBe(422);
  }, 120_000);
});
