// Print-ready files, checked the way a print shop checks them: boxes, fonts,
// colour, output intent, shared artwork, and rendered pages (every character
// drawn, every QR code decodes to its piece's URL).
import { inflateSync } from 'node:zlib';
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFRawStream, PDFRef, PDFStream } from 'pdf-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { composePiece, prepare } from '../../src/print/compose';
import { MM } from '../../src/print/drawing';
import { imageSize } from '../../src/print/images';
import { proofPdf } from '../../src/print/proof';
import { outputIntentProfile } from '../../src/templates/builtin';
import { templateBodySchema, type PrintBody } from '../../src/templates/layout';
import { decodeQr, fonts, hasPoppler, ink, pageBoxes, renderPages } from '../helpers/pdf';
import { builtin, CN_DEALER, cnPiece } from './fixtures';

const T = new Date('2026-11-24T00:00:00Z');
const poppler = hasPoppler();
const it_ = poppler ? it : it.skip;

async function proof(id: string, pieces = [cnPiece(1), cnPiece(2, { name: '欧阳𠮷', gender: 'female' }), cnPiece(3, { name: '李䶮' })], cropMarks = false) {
  const { body, images } = builtin(id);
  return proofPdf({ body, images, run: CN_DEALER, pieces, outputIntent: outputIntentProfile(), createdAt: T, cropMarks, title: 'test' });
}

function streamBytes(s: PDFStream): Uint8Array {
  const raw = (s as PDFRawStream).contents;
  const filter = s.dict.get(PDFName.of('Filter'));
  return filter && filter.toString() === '/FlateDecode' ? new Uint8Array(inflateSync(raw)) : raw;
}

describe('print file structure', () => {
  let pdf: Uint8Array;
  let doc: PDFDocument;
  beforeAll(async () => {
    const r = await proof('spring-festival-card');
    expect(r.problems).toEqual([]);
    pdf = r.pdf;
    doc = await PDFDocument.load(pdf, { updateMetadata: false });
  });

  it('is PDF 1.6 with a PDF/X-4 output intent carrying a CMYK ICC profile', () => {
    expect(new TextDecoder().decode(pdf.subarray(0, 8))).toBe('%PDF-1.6');
    const intents = doc.catalog.lookup(PDFName.of('OutputIntents'), PDFArray);
    const intent = intents.lookup(0, PDFDict);
    expect(intent.get(PDFName.of('S'))!.toString()).toBe('/GTS_PDFX');
    expect(intent.get(PDFName.of('OutputConditionIdentifier'))!.toString()).toBe('(FOGRA39)');
    const icc = intent.lookup(PDFName.of('DestOutputProfile'), PDFStream);
    expect(icc.dict.get(PDFName.of('N'))!.toString()).toBe('4');
    const profile = streamBytes(icc);
    expect(new TextDecoder().decode(profile.subarray(16, 20))).toBe('CMYK'); // ICC header: data colour space
    expect(new TextDecoder().decode(profile.subarray(12, 16))).toBe('prtr'); // output device class
    const xmp = new TextDecoder().decode(streamBytes(doc.catalog.lookup(PDFName.of('Metadata'), PDFStream)));
    expect(xmp).toContain('<pdfxid:GTS_PDFXVersion>PDF/X-4</pdfxid:GTS_PDFXVersion>');
  });

  it_('has a TrimBox and a 3 mm BleedBox on every page (pdfinfo)', () => {
    const { pages, info } = pageBoxes(pdf);
    expect(info['PDF subtype']).toBe('PDF/X-4');
    expect(pages).toHaveLength(6);
    for (const p of pages) {
      expect(p.trim[2]! - p.trim[0]!).toBeCloseTo(148 * MM, 1);
      expect(p.trim[3]! - p.trim[1]!).toBeCloseTo(100 * MM, 1);
      expect(p.trim[0]! - p.bleed[0]!).toBeCloseTo(3 * MM, 1);
      expect(p.bleed[2]! - p.trim[2]!).toBeCloseTo(3 * MM, 1);
      expect(p.bleed[3]! - p.trim[3]!).toBeCloseTo(3 * MM, 1);
      expect(p.media[0]!).toBeLessThanOrEqual(p.bleed[0]!);
      expect(p.media[2]!).toBeGreaterThanOrEqual(p.bleed[2]!);
    }
  });

  it_('embeds and subsets every font (pdffonts)', () => {
    const rows = fonts(pdf);
    expect(rows.length).toBeGreaterThan(0);
    for (const f of rows) {
      expect(f.emb, f.name).toBe(true);
      expect(f.sub, f.name).toBe(true);
      expect(f.name).toMatch(/^[A-Z]{6}\+SourceHanSansSC-/);
    }
  });

  it('uses only CMYK: no RGB or grey operators in any content stream, CMYK images', () => {
    const contents: string[] = [];
    let images = 0;
    for (const [, obj] of doc.context.enumerateIndirectObjects()) {
      if (!(obj instanceof PDFStream)) continue;
      const sub = obj.dict.get(PDFName.of('Subtype'))?.toString();
      if (sub === '/Image') {
        images++;
        const cs = obj.dict.get(PDFName.of('ColorSpace'))!.toString();
        const isMask = obj.dict.get(PDFName.of('Width')) && cs === '/DeviceGray' && !obj.dict.get(PDFName.of('SMask'));
        // A soft mask (transparency) is grey by definition; artwork itself must be CMYK.
        if (!isMask) expect(cs).toBe('/DeviceCMYK');
      } else if (sub === '/Form') {
        contents.push(new TextDecoder('latin1').decode(streamBytes(obj)));
      }
    }
    // Page content streams are stored pre-serialized; decode them from the raw file too.
    for (const page of doc.getPages()) {
      const c = page.node.get(PDFName.of('Contents'));
      const s = doc.context.lookup(c as PDFRef);
      if (s instanceof PDFStream) contents.push(new TextDecoder('latin1').decode(streamBytes(s)));
    }
    expect(contents.length).toBeGreaterThan(6);
    const ops = contents.join('\n');
    expect(ops).toMatch(/\bk\b/);
    expect(ops).not.toMatch(/\b(rg|RG|g|G|sc|scn|SC|SCN|cs|CS)\b/);
    expect(images).toBeGreaterThan(0);
  });

  it('draws shared artwork once per file, by reference from every page', () => {
    let images = 0;
    let forms = 0;
    for (const [, obj] of doc.context.enumerateIndirectObjects()) {
      if (!(obj instanceof PDFStream)) continue;
      const sub = obj.dict.get(PDFName.of('Subtype'))?.toString();
      // Artwork is CMYK; the logo's transparency is a grey soft mask, not artwork.
      if (sub === '/Image' && obj.dict.get(PDFName.of('ColorSpace'))!.toString() === '/DeviceCMYK') images++;
      if (sub === '/Form') forms++;
    }
    // banner + logo, each embedded once, for 3 pieces; one form per panel.
    expect(images).toBe(2);
    expect(forms).toBe(2);
    for (const [i, page] of doc.getPages().entries()) {
      const s = doc.context.lookup(page.node.get(PDFName.of('Contents')) as PDFRef) as PDFStream;
      expect(new TextDecoder('latin1').decode(streamBytes(s))).toContain(`/Fm${i % 2} Do`);
    }
  });

  it_('decodes every QR code on the rendered pages back to its piece URL', () => {
    const pages = renderPages(pdf, 150);
    expect(pages).toHaveLength(6);
    const px = 150 / 25.4;
    const bleed = 3;
    for (let piece = 0; piece < 3; piece++) {
      const page = pages[piece * 2]!;
      // The QR box of the greeting panel: x 110, y 37, 28 mm square (plus the bleed margin).
      const found = decodeQr(page, { x: (110 + bleed - 2) * px, y: (37 + bleed - 2) * px, w: 32 * px, h: 32 * px });
      expect(found).toBe(cnPiece(piece + 1).piece.url);
    }
  });
});

describe('every character is drawn', () => {
  // Rare characters that occur in names, and a spread of common ones, each in its own box.
  const CHARS = Array.from('㛃䶮𠮷喆堃昇淼犇赟王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤，。！？（）《》「」：；、AaZz09@#');
  const cols = 10;
  const cell = 10; // mm

  it_('renders ink in the box of each character, with the embedded font only', async () => {
    const rowsN = Math.ceil(CHARS.length / cols);
    const elements = CHARS.map((ch, i) => ({
      type: 'text' as const,
      id: `c${i}`,
      x: 5 + (i % cols) * cell,
      y: 5 + Math.floor(i / cols) * cell,
      w: cell - 1,
      h: cell - 1,
      text: ch,
      size: 18,
    }));
    // A box holding a space: no ink, so the measure can tell drawn from blank.
    elements.push({ type: 'text', id: 'blank', x: 5, y: 5 + rowsN * cell, w: cell - 1, h: cell - 1, text: ' {{piece.code}}', size: 18 });
    const body = <PrintBody>templateBodySchema.parse({
      purpose: 'greeting',
      locale: 'zh-CN',
      layout: { width: 10 + cols * cell, height: 10 + (rowsN + 1) * cell, bleed: 0, safe: 0, pages: [{ name: 'grid', elements }] },
    });
    const r = await proofPdf({ body, images: {}, run: CN_DEALER, pieces: [{ ...cnPiece(1), piece: { code: '', url: 'x' } }], outputIntent: outputIntentProfile(), createdAt: T });
    expect(r.template.problems).toEqual([]);
    const [page] = renderPages(r.pdf, 100);
    const px = 100 / 25.4;
    const blank: string[] = [];
    CHARS.forEach((ch, i) => {
      const region = { x: (5 + (i % cols) * cell) * px, y: (5 + Math.floor(i / cols) * cell) * px, w: (cell - 1) * px, h: (cell - 1) * px };
      if (ink(page!, region) < 0.01) blank.push(ch);
    });
    expect(blank).toEqual([]);
    expect(ink(page!, { x: 5 * px, y: (5 + rowsN * cell) * px, w: (cell - 1) * px, h: (cell - 1) * px })).toBe(0);
  });
});

describe('pieces that cannot be printed as designed are flagged, not blank', () => {
  const { body, images } = builtin('spring-festival-card');
  const infos = Object.fromEntries(Object.entries(images).map(([k, b]) => [k, imageSize(b)]));
  const t = prepare(body, CN_DEALER, infos);

  it('names a character no font can draw', () => {
    const c = composePiece(t, cnPiece(1, { name: '王𰀀' }));
    expect(c.problems.join(' ')).toContain('"𰀀" (U+30000)');
  });

  it('flags a required box that renders empty (no address)', () => {
    const c = composePiece(t, cnPiece(1, { address: { country: 'CN', province: null, city: null, district: null, street: null, postcode: null } }));
    expect(c.problems.join(' ')).toMatch(/text "recipient" is required but empty/);
  });

  it('shrinks a long address to fit, and flags one that cannot fit at the minimum size', () => {
    const long = cnPiece(1, { address: { ...cnPiece(1).contact.address, street: '工业路'.repeat(12) + '金山大厦A座1201室' } });
    expect(composePiece(t, long).problems).toEqual([]);
    const tooLong = cnPiece(1, { address: { ...cnPiece(1).contact.address, street: '工业路'.repeat(80) } });
    expect(composePiece(t, tooLong).problems.join(' ')).toMatch(/text "recipient" does not fit its 108×28 mm box even at 8 pt/);
  });
});

describe('file size and determinism', () => {
  it('grows with the variable data only, and the same input gives the same bytes', async () => {
    const pieces = (n: number) => Array.from({ length: n }, (_, i) => cnPiece(i + 1));
    const a = await proof('test-drive-invitation-zh', pieces(10));
    const b = await proof('test-drive-invitation-zh', pieces(30));
    const again = await proof('test-drive-invitation-zh', pieces(10));
    const perPiece = (b.pdf.length - a.pdf.length) / 20;
    // The car photo alone is tens of kilobytes; each extra piece costs a few.
    expect(a.pdf.length).toBeGreaterThan(50_000);
    expect(perPiece).toBeLessThan(4_000);
    expect(Buffer.from(again.pdf).equals(Buffer.from(a.pdf))).toBe(true);
  });

  it_('adds crop marks outside the bleed when asked', async () => {
    const plain = pageBoxes((await proof('spring-festival-card', [cnPiece(1)], false)).pdf).pages[0]!;
    const marked = pageBoxes((await proof('spring-festival-card', [cnPiece(1)], true)).pdf).pages[0]!;
    expect(plain.media).toEqual(plain.bleed);
    expect(marked.media[2]! - marked.bleed[2]!).toBeCloseTo(8 * MM, 1);
  });
});
