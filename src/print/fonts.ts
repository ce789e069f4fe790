// Fonts for print: Source Han Sans SC (OFL-1.1, npm node-source-han-sans-sc),
// which covers Latin, every GB 18030 common character and the rare characters
// that turn up in names (𠮷, 䶮, 㛃 …).
//
// pdf-lib's bundled fontkit fork drops the outlines of CJK glyphs when it
// subsets them, so pdf-lib is given upstream fontkit 2 through a small adapter.
// Text is encoded glyph by glyph with a per-document cache, so each distinct
// character is laid out once per file rather than once per piece.
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as fontkit from 'fontkit';
import type { PDFDocument, PDFFont } from 'pdf-lib';

const require = createRequire(import.meta.url);

export const FONT_FACES = ['regular', 'bold'] as const;
export type FontFace = (typeof FONT_FACES)[number];

const FILES: Record<FontFace, string> = {
  regular: 'node-source-han-sans-sc/SourceHanSansSC-Regular.otf',
  bold: 'node-source-han-sans-sc/SourceHanSansSC-Bold.otf',
};

interface FkSubset {
  encode(): Uint8Array;
  encodeStream?: () => EventEmitter;
}
type FkFont = Omit<fontkit.Font, 'createSubset'> & {
  createSubset(): FkSubset;
  postscriptName: string;
};

interface IndexEntry {
  offset: number;
  length: number;
}
interface CffTable {
  topDict?: { CharStrings?: IndexEntry[]; Private?: { Subrs?: IndexEntry[] } | null; FDArray?: { Private?: { Subrs?: IndexEntry[] } | null }[] };
  globalSubrIndex?: IndexEntry[];
}

/**
 * fontkit keeps each CFF INDEX (65,535 charstrings per CJK face, plus the
 * subroutines) as an array of {offset, length} objects: about 13 MB of heap per
 * thread for the two faces, held for the life of the thread. Swap each for an
 * array-like view over two typed arrays; fontkit only reads `.length` and
 * `[i].offset` / `[i].length`.
 */
function compactIndex(entries: IndexEntry[]): IndexEntry[] {
  const n = entries.length;
  const offsets = new Float64Array(n);
  const lengths = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    offsets[i] = entries[i]!.offset;
    lengths[i] = entries[i]!.length;
  }
  return new Proxy([] as IndexEntry[], {
    get(target, prop, receiver) {
      if (prop === 'length') return n;
      if (typeof prop === 'string') {
        const i = Number(prop);
        if (Number.isInteger(i) && i >= 0 && i < n) return { offset: offsets[i]!, length: lengths[i]! };
      }
      return Reflect.get(target, prop, receiver);
    },
  });
}

function compactCffIndexes(font: object): void {
  const cff = (font as Record<string, unknown>)['CFF '] as CffTable | undefined;
  const top = cff?.topDict;
  if (!cff || !top) return;
  if (top.CharStrings) top.CharStrings = compactIndex(top.CharStrings);
  if (cff.globalSubrIndex) cff.globalSubrIndex = compactIndex(cff.globalSubrIndex);
  if (top.Private?.Subrs) top.Private.Subrs = compactIndex(top.Private.Subrs);
  for (const fd of top.FDArray ?? []) if (fd.Private?.Subrs) fd.Private.Subrs = compactIndex(fd.Private.Subrs);
}

/** A parsed font with per-code-point metrics, shared by every document in this thread. */
export class FontMetrics {
  readonly bytes: Uint8Array;
  readonly font: FkFont;
  readonly unitsPerEm: number;
  private readonly advances = new Map<number, number>();
  private readonly present = new Map<number, boolean>();

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    const f = fontkit.create(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) as unknown as FkFont & {
      fonts?: unknown;
    };
    if (f.fonts) throw new Error('font collections are not supported: extract one face');
    compactCffIndexes(f);
    this.font = f;
    this.unitsPerEm = f.unitsPerEm;
  }

  /** Can this font draw the code point? Whitespace and controls count as drawable. */
  has(cp: number): boolean {
    let v = this.present.get(cp);
    if (v === undefined) {
      v = cp < 0x21 || cp === 0x3000 || this.font.hasGlyphForCodePoint(cp);
      this.present.set(cp, v);
    }
    return v;
  }

  /** Advance width of one code point in ems. */
  advance(cp: number): number {
    let w = this.advances.get(cp);
    if (w === undefined) {
      if (cp === 0x0a || cp === 0x0d) w = 0;
      else w = this.font.glyphForCodePoint(cp).advanceWidth / this.unitsPerEm;
      this.advances.set(cp, w);
    }
    return w;
  }

  /** Width of a string in ems. */
  width(s: string): number {
    let w = 0;
    for (let i = 0; i < s.length; i++) {
      const cp = s.codePointAt(i)!;
      if (cp > 0xffff) i++;
      w += this.advance(cp);
    }
    return w;
  }

  /** Characters of `s` this font cannot draw, each once, in order of appearance. */
  missing(s: string): string[] {
    const out: string[] = [];
    for (const ch of s) {
      if (!this.has(ch.codePointAt(0)!) && !out.includes(ch)) out.push(ch);
    }
    return out;
  }
}

const loaded = new Map<FontFace, FontMetrics>();
const shared = new Map<FontFace, Uint8Array>();

/**
 * Font file bytes in shared memory, read once per process: worker threads get
 * views of the same bytes instead of 17 MB copies each.
 */
export function sharedFontBytes(): Record<FontFace, Uint8Array> {
  for (const face of FONT_FACES) {
    if (shared.has(face)) continue;
    const file = readFileSync(require.resolve(FILES[face]));
    const view = new Uint8Array(new SharedArrayBuffer(file.length));
    view.set(file);
    shared.set(face, view);
  }
  return Object.fromEntries(shared) as Record<FontFace, Uint8Array>;
}

/** Use font bytes handed over by the thread that read them. */
export function adoptFontBytes(fonts: Partial<Record<FontFace, Uint8Array>>): void {
  for (const [face, bytes] of Object.entries(fonts) as [FontFace, Uint8Array][]) shared.set(face, bytes);
}

/** The font for a face, parsed once per thread. */
export function fontFor(face: FontFace): FontMetrics {
  let m = loaded.get(face);
  if (!m) {
    m = new FontMetrics(shared.get(face) ?? readFileSync(require.resolve(FILES[face])));
    loaded.set(face, m);
  }
  return m;
}

/**
 * The object pdf-lib's registerFontkit() wants, backed by upstream fontkit and
 * by the already parsed FontMetrics (parsing a 17 MB CJK font once per file would
 * cost more than the file). fontkit 2 dropped Subset#encodeStream, which
 * pdf-lib calls when it saves; the adapter supplies it.
 */
function adapterFor(metrics: FontMetrics) {
  const font = metrics.font as FkFont & { streamingSubsets?: true };
  if (!font.streamingSubsets) {
    const createSubset = font.createSubset.bind(font);
    font.createSubset = () => {
      const subset = createSubset();
      subset.encodeStream = () => {
        const em = new EventEmitter();
        setImmediate(() => {
          try {
            em.emit('data', subset.encode());
            em.emit('end');
          } catch (e) {
            em.emit('error', e);
          }
        });
        return em;
      };
      return subset;
    };
    font.streamingSubsets = true;
  }
  return { create: (_bytes: Uint8Array) => font };
}

interface SubsetEmbedder {
  subset: { includeGlyph(g: unknown): number };
  glyphs: unknown[];
  glyphIdMap: Map<number, number>;
  glyphCache: { invalidate(): void };
}

/**
 * A font embedded (subset) in one PDF. Text is encoded glyph by glyph from the
 * cmap, once per distinct character per file: CJK text needs no shaping, and
 * fontkit's layout engine (pdf-lib's encodeText) would parse the font's large
 * GSUB/GPOS tables in every thread.
 */
export class EmbeddedFont {
  private readonly codes = new Map<number, string>();
  private readonly embedder: SubsetEmbedder;
  constructor(
    readonly metrics: FontMetrics,
    readonly pdfFont: PDFFont,
  ) {
    this.embedder = (pdfFont as unknown as { embedder: SubsetEmbedder }).embedder;
  }

  /** Hex glyph string for a PDF `Tj` operand (without the angle brackets). */
  hex(s: string): string {
    let out = '';
    for (let i = 0; i < s.length; i++) {
      const cp = s.codePointAt(i)!;
      if (cp > 0xffff) i++;
      let h = this.codes.get(cp);
      if (h === undefined) {
        const glyph = this.metrics.font.glyphForCodePoint(cp);
        const e = this.embedder;
        const sid = e.subset.includeGlyph(glyph);
        e.glyphs[sid - 1] = glyph;
        e.glyphIdMap.set(glyph.id, sid);
        e.glyphCache.invalidate();
        h = sid.toString(16).padStart(4, '0');
        this.codes.set(cp, h);
      }
      out += h;
    }
    return out;
  }
}

/**
 * Embed a face into a document, subset, with a subset tag derived from `tag`
 * (so the same run produces the same bytes).
 */
export async function embedFace(doc: PDFDocument, face: FontFace, tag: string): Promise<EmbeddedFont> {
  const metrics = fontFor(face);
  doc.registerFontkit(adapterFor(metrics) as never);
  const prefix = subsetPrefix(tag + face);
  const pdfFont = await doc.embedFont(metrics.bytes, { subset: true, customName: `${prefix}+${metrics.font.postscriptName}` });
  return new EmbeddedFont(metrics, pdfFont);
}

function subsetPrefix(seed: string): string {
  let h = 2166136261;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619) >>> 0;
  let s = '';
  for (let i = 0; i < 6; i++) {
    s += String.fromCharCode(65 + (h % 26));
    h = Math.floor(h / 26) + i * 7919;
  }
  return s;
}
