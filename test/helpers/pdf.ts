// Looking at PDFs the way a print shop would: poppler's pdfinfo (boxes),
// pdffonts (embedded, subset) and pdftoppm (rendered pages), with an empty
// fontconfig so a font missing from the file cannot be quietly replaced by one
// installed on this machine; and QR codes decoded from the rendered pixels.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';

const poppler = spawnSync('pdftoppm', ['-v']).status === 0;

/** Poppler is required under CI; elsewhere the caller may skip. */
export function hasPoppler(): boolean {
  if (!poppler && process.env.CI === 'true') throw new Error('poppler-utils (pdftoppm, pdfinfo, pdffonts) is required under CI=true');
  return poppler;
}

function withFile<T>(pdf: Uint8Array, f: (path: string, dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'dm-pdf-'));
  try {
    const path = join(dir, 'in.pdf');
    writeFileSync(path, pdf);
    return f(path, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const emptyFontconfig = (() => {
  const dir = mkdtempSync(join(tmpdir(), 'dm-fc-'));
  const file = join(dir, 'fonts.conf');
  writeFileSync(file, '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig><cachedir>' + dir + '</cachedir></fontconfig>\n');
  return file;
})();

export interface PageBoxes {
  media: number[];
  trim: number[];
  bleed: number[];
}

/** pdfinfo -box for every page. */
export function pageBoxes(pdf: Uint8Array): { pages: PageBoxes[]; info: Record<string, string> } {
  return withFile(pdf, (path) => {
    const head = execFileSync('pdfinfo', [path], { encoding: 'utf8' });
    const info: Record<string, string> = {};
    for (const line of head.split('\n')) {
      const m = /^([^:]+):\s*(.*)$/.exec(line);
      if (m) info[m[1]!.trim()] = m[2]!.trim();
    }
    const n = Number(info.Pages);
    const out = execFileSync('pdfinfo', ['-box', '-f', '1', '-l', String(n), path], { encoding: 'utf8' });
    const pages: PageBoxes[] = [];
    const num = (s: string) => s.trim().split(/\s+/).map(Number);
    for (const line of out.split('\n')) {
      const m = /^Page\s+(\d+)\s+(MediaBox|TrimBox|BleedBox):\s+(.*)$/.exec(line);
      if (!m) continue;
      const i = Number(m[1]) - 1;
      pages[i] ??= { media: [], trim: [], bleed: [] };
      const key = m[2] === 'MediaBox' ? 'media' : m[2] === 'TrimBox' ? 'trim' : 'bleed';
      pages[i]![key] = num(m[3]!);
    }
    return { pages, info };
  });
}

export interface FontRow {
  name: string;
  type: string;
  emb: boolean;
  sub: boolean;
}

export function fonts(pdf: Uint8Array): FontRow[] {
  return withFile(pdf, (path) => {
    const out = execFileSync('pdffonts', [path], { encoding: 'utf8' }).split('\n').slice(2).filter((l) => l.trim());
    return out.map((l) => {
      const cols = l.trim().split(/\s{2,}/);
      // name, type, encoding, emb, sub, uni, object ID
      const flags = l.trim().split(/\s+/);
      const n = flags.length;
      return { name: cols[0]!, type: cols[1]!, emb: flags[n - 5] === 'yes', sub: flags[n - 4] === 'yes' };
    });
  });
}

export interface RenderedPage {
  width: number;
  height: number;
  /** RGBA. */
  data: Uint8Array;
}

/** Render pages to pixels (pdftoppm, empty fontconfig). */
export function renderPages(pdf: Uint8Array, dpi = 200, first = 1, last?: number): RenderedPage[] {
  return withFile(pdf, (path, dir) => {
    const args = ['-r', String(dpi), '-png', '-f', String(first)];
    if (last) args.push('-l', String(last));
    execFileSync('pdftoppm', [...args, path, join(dir, 'p')], { env: { ...process.env, FONTCONFIG_FILE: emptyFontconfig } });
    return readdirSync(dir)
      .filter((f) => f.startsWith('p') && f.endsWith('.png'))
      .sort()
      .map((f) => {
        const png = PNG.sync.read(readFileSync(join(dir, f)));
        return { width: png.width, height: png.height, data: new Uint8Array(png.data) };
      });
  });
}

/** Decode the QR codes in a region of a rendered page (null when none is found). */
export function decodeQr(page: RenderedPage, region?: { x: number; y: number; w: number; h: number }): string | null {
  const r = region ?? { x: 0, y: 0, w: page.width, h: page.height };
  const x0 = Math.max(0, Math.floor(r.x));
  const y0 = Math.max(0, Math.floor(r.y));
  const w = Math.min(page.width - x0, Math.ceil(r.w));
  const h = Math.min(page.height - y0, Math.ceil(r.h));
  const crop = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) crop.set(page.data.subarray(((y0 + y) * page.width + x0) * 4, ((y0 + y) * page.width + x0 + w) * 4), y * w * 4);
  return jsQR(crop, w, h)?.data ?? null;
}

/** Share of dark pixels in a region (0..1). */
export function ink(page: RenderedPage, region: { x: number; y: number; w: number; h: number }): number {
  let dark = 0;
  let all = 0;
  for (let y = Math.floor(region.y); y < Math.ceil(region.y + region.h); y++) {
    for (let x = Math.floor(region.x); x < Math.ceil(region.x + region.w); x++) {
      const i = (y * page.width + x) * 4;
      const lum = 0.3 * page.data[i]! + 0.59 * page.data[i + 1]! + 0.11 * page.data[i + 2]!;
      if (lum < 128) dark++;
      all++;
    }
  }
  return all ? dark / all : 0;
}

/** Text of a PDF (pdftotext, layout order). */
export function pdfText(pdf: Uint8Array): string {
  return withFile(pdf, (path) => execFileSync('pdftotext', ['-enc', 'UTF-8', path, '-'], { encoding: 'utf8' }));
}
