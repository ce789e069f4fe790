// The drawing of one page: a short list of operations in points, origin at the
// bottom-left corner of the trim. The composer (./compose.ts) produces it; the
// PDF writer (./pdf.ts) and the thumbnail renderer (./thumbnail.ts) consume it.
import type { FontFace } from './fonts';
import type { QrMatrix } from './qr';

export type Cmyk = readonly [number, number, number, number];

export const MM = 72 / 25.4;
export const mm = (v: number): number => v * MM;

export interface TextRun {
  x: number;
  /** Baseline. */
  y: number;
  text: string;
}

export type Op =
  | { op: 'rect'; x: number; y: number; w: number; h: number; fill?: Cmyk; stroke?: Cmyk; lineWidth: number }
  | { op: 'line'; x1: number; y1: number; x2: number; y2: number; width: number; color: Cmyk }
  | { op: 'text'; face: FontFace; size: number; color: Cmyk; runs: TextRun[] }
  | { op: 'image'; name: string; x: number; y: number; w: number; h: number; clip?: { x: number; y: number; w: number; h: number } }
  /** A QR symbol; x, y, size include the quiet zone, which is painted white. */
  | { op: 'qr'; x: number; y: number; size: number; matrix: QrMatrix };

/** Shortest decimal form for PDF operands. */
export function n(v: number): string {
  const r = Math.round(v * 1000) / 1000;
  return Object.is(r, -0) ? '0' : String(r);
}

function colour(c: Cmyk, stroke: boolean): string {
  return `${n(c[0] / 100)} ${n(c[1] / 100)} ${n(c[2] / 100)} ${n(c[3] / 100)} ${stroke ? 'K' : 'k'}`;
}

export interface ContentResources {
  /** Resource name of a face, e.g. F0. */
  font(face: FontFace): string;
  /** Hex glyph codes of a string in a face. */
  encode(face: FontFace, text: string): string;
  /** Resource name of an image by asset name. */
  image(name: string): string;
}

/** PDF content-stream operators for a list of ops. */
export function toContent(ops: readonly Op[], res: ContentResources): string {
  const out: string[] = [];
  for (const o of ops) {
    switch (o.op) {
      case 'rect': {
        const path = `${n(o.x)} ${n(o.y)} ${n(o.w)} ${n(o.h)} re`;
        if (o.fill && o.stroke) out.push(`${colour(o.fill, false)} ${colour(o.stroke, true)} ${n(o.lineWidth)} w ${path} B`);
        else if (o.fill) out.push(`${colour(o.fill, false)} ${path} f`);
        else if (o.stroke) out.push(`${colour(o.stroke, true)} ${n(o.lineWidth)} w ${path} S`);
        break;
      }
      case 'line':
        out.push(`${colour(o.color, true)} ${n(o.width)} w ${n(o.x1)} ${n(o.y1)} m ${n(o.x2)} ${n(o.y2)} l S`);
        break;
      case 'text': {
        const f = res.font(o.face);
        out.push(`BT /${f} ${n(o.size)} Tf ${colour(o.color, false)}`);
        for (const r of o.runs) out.push(`1 0 0 1 ${n(r.x)} ${n(r.y)} Tm <${res.encode(o.face, r.text)}> Tj`);
        out.push('ET');
        break;
      }
      case 'image': {
        const clip = o.clip ? `${n(o.clip.x)} ${n(o.clip.y)} ${n(o.clip.w)} ${n(o.clip.h)} re W n ` : '';
        out.push(`q ${clip}${n(o.w)} 0 0 ${n(o.h)} ${n(o.x)} ${n(o.y)} cm /${res.image(o.name)} Do Q`);
        break;
      }
      case 'qr': {
        const units = o.matrix.size + 8;
        const s = o.size / units;
        // White quiet zone, then the modules in a flipped module grid.
        out.push(`q 0 0 0 0 k ${n(o.x)} ${n(o.y)} ${n(o.size)} ${n(o.size)} re f`);
        out.push(`${n(s)} 0 0 ${n(-s)} ${n(o.x + 4 * s)} ${n(o.y + o.size - 4 * s)} cm 0 0 0 1 k`);
        out.push(qrPath(o.matrix));
        out.push('f Q');
        break;
      }
    }
  }
  return out.join('\n');
}

function qrPath(m: QrMatrix): string {
  const parts: string[] = [];
  for (let y = 0; y < m.size; y++) {
    let x = 0;
    const row = y * m.size;
    while (x < m.size) {
      if (!m.data[row + x]) {
        x++;
        continue;
      }
      const start = x;
      while (x < m.size && m.data[row + x]) x++;
      parts.push(`${start} ${y} ${x - start} 1 re`);
    }
  }
  return parts.join(' ');
}
