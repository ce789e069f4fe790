// PNG thumbnails of a piece's pages, drawn from the same ops as the PDF (trim
// area only), with the same font files. CMYK is shown through a simple
// conversion: a screen preview, not a colour proof.
import { createRequire } from 'node:module';
import type { Image, SKRSContext2D } from '@napi-rs/canvas';
import type { Cmyk, Op } from './drawing';
import type { FontFace } from './fonts';

const require = createRequire(import.meta.url);
const FAMILY: Record<FontFace, string> = { regular: 'PrintSans', bold: 'PrintSansBold' };
// Skia is loaded on the first thumbnail, not at start: a print worker or a
// service that never draws one should not carry it.
let canvasModule: Promise<typeof import('@napi-rs/canvas')> | null = null;

function canvas(): Promise<typeof import('@napi-rs/canvas')> {
  canvasModule ??= import('@napi-rs/canvas').then((m) => {
    m.GlobalFonts.registerFromPath(require.resolve('node-source-han-sans-sc/SourceHanSansSC-Regular.otf'), FAMILY.regular);
    m.GlobalFonts.registerFromPath(require.resolve('node-source-han-sans-sc/SourceHanSansSC-Bold.otf'), FAMILY.bold);
    return m;
  });
  return canvasModule;
}

function rgb(c: Cmyk): string {
  const [cy, m, y, k] = c.map((v) => v / 100) as [number, number, number, number];
  const ch = (v: number) => Math.round(255 * (1 - v) * (1 - k));
  return `rgb(${ch(cy)},${ch(m)},${ch(y)})`;
}

export interface ThumbnailPage {
  width: number;
  height: number;
  ops: Op[];
}

/** Render one page (trim size in points) to a PNG `widthPx` wide. */
export async function renderThumbnail(page: ThumbnailPage, images: Record<string, Uint8Array>, widthPx = 600): Promise<Uint8Array> {
  const { createCanvas, loadImage } = await canvas();
  const scale = widthPx / page.width;
  const surface = createCanvas(Math.round(page.width * scale), Math.round(page.height * scale));
  const g = surface.getContext('2d');
  g.fillStyle = '#fff';
  g.fillRect(0, 0, surface.width, surface.height);
  // PDF coordinates: origin bottom-left, y up.
  g.setTransform(scale, 0, 0, -scale, 0, page.height * scale);
  const decoded = new Map<string, Image>();
  for (const o of page.ops) {
    if (o.op === 'image' && !decoded.has(o.name)) {
      const bytes = images[o.name];
      if (bytes) decoded.set(o.name, await loadImage(Buffer.from(bytes)));
    }
  }
  for (const o of page.ops) draw(g, o, decoded);
  return new Uint8Array(await surface.encode('png'));
}

function draw(g: SKRSContext2D, o: Op, images: Map<string, Image>): void {
  switch (o.op) {
    case 'rect':
      if (o.fill) {
        g.fillStyle = rgb(o.fill);
        g.fillRect(o.x, o.y, o.w, o.h);
      }
      if (o.stroke) {
        g.strokeStyle = rgb(o.stroke);
        g.lineWidth = o.lineWidth;
        g.strokeRect(o.x, o.y, o.w, o.h);
      }
      return;
    case 'line':
      g.strokeStyle = rgb(o.color);
      g.lineWidth = o.width;
      g.beginPath();
      g.moveTo(o.x1, o.y1);
      g.lineTo(o.x2, o.y2);
      g.stroke();
      return;
    case 'text':
      g.save();
      g.scale(1, -1);
      g.fillStyle = rgb(o.color);
      g.font = `${o.size}px ${FAMILY[o.face]}`;
      for (const r of o.runs) g.fillText(r.text, r.x, -r.y);
      g.restore();
      return;
    case 'image': {
      const img = images.get(o.name);
      if (!img) return;
      g.save();
      if (o.clip) {
        g.beginPath();
        g.rect(o.clip.x, o.clip.y, o.clip.w, o.clip.h);
        g.clip();
      }
      // Images are stored top row first: flip back for the y-up transform.
      g.translate(o.x, o.y + o.h);
      g.scale(1, -1);
      g.drawImage(img, 0, 0, o.w, o.h);
      g.restore();
      return;
    }
    case 'qr': {
      const units = o.matrix.size + 8;
      const s = o.size / units;
      g.fillStyle = '#fff';
      g.fillRect(o.x, o.y, o.size, o.size);
      g.fillStyle = '#000';
      for (let y = 0; y < o.matrix.size; y++)
        for (let x = 0; x < o.matrix.size; x++)
          if (o.matrix.data[y * o.matrix.size + x]) g.fillRect(o.x + (4 + x) * s, o.y + o.size - (5 + y) * s, s, s);
      return;
    }
  }
}
