// Composing pieces: a template version plus one recipient's data → the drawing
// of each page. Work that is the same for every piece (static text, survey,
// artwork, indicia) is composed once per template and shared; only the
// per-piece boxes are laid out per recipient. Problems are collected, never
// thrown, so one bad recipient is flagged and the rest of a run goes on.
import { analyze, compileText, type Locale, type PieceContext, type Render } from '../templates/hbs';
import type { Element, Layout, PrintBody, QrElement, Question, TextElement } from '../templates/layout';
import { mm, type Cmyk, type Op } from './drawing';
import { fontFor, type FontFace } from './fonts';
import { fitText } from './linebreak';
import { qrMatrix } from './qr';

/** Top of the ideographic em box above the baseline, in ems (Source Han Sans). */
const ASCENT = 0.88;
const BLACK: Cmyk = [0, 0, 0, 100];

export interface ImageInfo {
  width: number;
  height: number;
}

export interface TemplateProblem {
  path: string;
  message: string;
}

type Variable =
  | { kind: 'text'; el: TextElement; render: Render; path: string }
  | { kind: 'qr'; el: QrElement; render: Render; path: string }
  | { kind: 'postcode'; el: Extract<Element, { type: 'postcode_boxes' }>; render: Render; path: string };

export interface PreparedTemplate {
  layout: Layout;
  locale: Locale;
  /** Per page: drawn once per file (shared artwork) and drawn per piece. */
  pages: { name: string; shared: Op[]; variable: Variable[] }[];
  faces: Set<FontFace>;
  images: Set<string>;
  problems: TemplateProblem[];
}

export type RunContext = Pick<PieceContext, 'dealer' | 'campaign'>;

const EMPTY_ADDRESS = { country: null, province: null, city: null, district: null, street: null, postcode: null };
const EMPTY_CONTACT: PieceContext['contact'] = {
  name: null, surname: null, gender: null, title: null, kind: 'prospect', company: null, jobTitle: null, phone: null,
  email: null, language: null, birthday: null, club: null, tier: null, joinDate: null, address: EMPTY_ADDRESS,
  vehicle: { make: null, model: null, vin: null, purchaseDate: null, insuranceExpiry: null, lastServiceDate: null },
};

/** Prepare a template version for composing: check every text, compose the shared parts. */
export function prepare(body: PrintBody, run: RunContext, images: Record<string, ImageInfo>): PreparedTemplate {
  const { layout, locale } = body;
  const problems: TemplateProblem[] = [];
  const faces = new Set<FontFace>();
  const used = new Set<string>();
  const sharedCtx: PieceContext = { ...run, contact: EMPTY_CONTACT, piece: { code: '', url: '' } };
  const H = mm(layout.height);

  const source = (text: string, path: string): string | null => {
    if (!/^@[a-z0-9_-]+$/i.test(text)) return text;
    const t = body.texts[text.slice(1)];
    if (t === undefined) problems.push({ path, message: `no text named "${text.slice(1)}" in texts` });
    return t ?? null;
  };
  const compile = (src: string, path: string): { render: Render; perPiece: boolean } | null => {
    const a = analyze(src);
    for (const i of a.issues) problems.push({ path, message: i.line ? `${i.message} (line ${i.line})` : i.message });
    if (a.issues.length) return null;
    return { render: compileText(src), perPiece: a.perPiece };
  };

  const staticText = (render: Render, path: string): string | null => {
    try {
      return render(sharedCtx, locale);
    } catch (e) {
      problems.push({ path, message: (e as Error).message });
      return null;
    }
  };
  const pages = layout.pages.map((page, pi) => {
    const shared: Op[] = [];
    const variable: Variable[] = [];
    page.elements.forEach((el, ei) => {
      const path = `layout.pages[${pi}].elements[${ei}]`;
      switch (el.type) {
        case 'text': {
          faces.add(el.font);
          const src = source(el.text, `${path}.text`);
          if (src === null) return;
          const c = compile(src, `${path}.text`);
          if (!c) return;
          if (c.perPiece) variable.push({ kind: 'text', el, render: c.render, path });
          else {
            const value = staticText(c.render, `${path}.text`);
            if (value === null) return;
            const r = textOps(el, value, H);
            if (r.problem) problems.push({ path, message: r.problem });
            shared.push(...r.ops);
          }
          return;
        }
        case 'qr': {
          const c = compile(el.value, `${path}.value`);
          if (!c) return;
          if (c.perPiece) variable.push({ kind: 'qr', el, render: c.render, path });
          else {
            const value = staticText(c.render, `${path}.value`);
            if (value) {
              const q = tryQr(el, value, H);
              if (typeof q === 'string') problems.push({ path: `${path}.value`, message: q });
              else shared.push(q);
            }
          }
          return;
        }
        case 'postcode_boxes': {
          faces.add('regular');
          const c = compile(el.value, `${path}.value`);
          if (!c) return;
          if (c.perPiece) variable.push({ kind: 'postcode', el, render: c.render, path });
          shared.push(...postcodeBoxOps(el, c.perPiece ? '' : (staticText(c.render, `${path}.value`) ?? ''), H));
          return;
        }
        case 'image': {
          const info = body.assets[el.asset] !== undefined ? images[el.asset] : undefined;
          if (!info) {
            problems.push({ path: `${path}.asset`, message: `no image named "${el.asset}" in assets` });
            return;
          }
          used.add(el.asset);
          shared.push(imageOp(el, info, H));
          return;
        }
        case 'rect':
          shared.push({ op: 'rect', x: mm(el.x), y: H - mm(el.y + el.h), w: mm(el.w), h: mm(el.h), fill: el.fill, stroke: el.stroke, lineWidth: el.lineWidth });
          return;
        case 'line':
          shared.push({ op: 'line', x1: mm(el.x1), y1: H - mm(el.y1), x2: mm(el.x2), y2: H - mm(el.y2), width: el.width, color: el.color });
          return;
        case 'bars': {
          const t = mm(el.thickness);
          const pitch = el.count > 1 ? (mm(el.h) - t) / (el.count - 1) : 0;
          for (let i = 0; i < el.count; i++)
            shared.push({ op: 'rect', x: mm(el.x), y: H - mm(el.y) - t - i * pitch, w: mm(el.w), h: t, fill: el.color, lineWidth: 0 });
          return;
        }
        case 'fim':
          shared.push(...fimOps(el.pattern, mm(layout.width), H, mm(layout.bleed)));
          return;
        case 'survey': {
          faces.add('regular');
          if (!body.survey) {
            problems.push({ path, message: 'the layout has a survey box but the version has no survey questions' });
            return;
          }
          const r = surveyOps(el, body.survey.questions, H, locale);
          if (r.problem) problems.push({ path, message: r.problem });
          shared.push(...r.ops);
          return;
        }
      }
    });
    return { name: page.name, shared, variable };
  });
  return { layout, locale, pages, faces, images: used, problems };
}

export interface ComposedPiece {
  /** Per page, the per-piece ops (drawn over the shared artwork). */
  pages: Op[][];
  /** Why this piece cannot be printed as designed (empty when it can). */
  problems: string[];
}

export function composePiece(t: PreparedTemplate, ctx: PieceContext): ComposedPiece {
  const problems: string[] = [];
  const H = mm(t.layout.height);
  const pages = t.pages.map((p) => {
    const ops: Op[] = [];
    for (const v of p.variable) {
      let value: string;
      try {
        value = v.render(ctx, t.locale);
      } catch (e) {
        problems.push(`${v.kind === 'text' ? `text "${v.el.id}"` : v.kind}: ${(e as Error).message}`);
        continue;
      }
      if (v.kind === 'text') {
        const r = textOps(v.el, value, H);
        if (r.problem) problems.push(r.problem);
        ops.push(...r.ops);
      } else if (v.kind === 'qr') {
        const q = value ? tryQr(v.el, value, H) : 'the QR code has nothing to encode';
        if (typeof q === 'string') problems.push(q);
        else ops.push(q);
      } else {
        const digits = value.replace(/\s/g, '');
        if (digits.length > v.el.count) problems.push(`postcode "${digits}" has more than ${v.el.count} digits`);
        ops.push(...postcodeBoxOps(v.el, digits, H, true));
      }
    }
    return ops;
  });
  return { pages, problems };
}

/** Lay out one text box; a problem when a character has no glyph or the text cannot fit. */
function textOps(el: TextElement, raw: string, H: number): { ops: Op[]; problem?: string } {
  const value = raw.replace(/\t/g, ' ').replace(/[ \u3000]+$/gm, '').replace(/^\n+|\n+$/g, '');
  if (value.trim() === '') return el.required ? { ops: [], problem: `text "${el.id}" is required but empty` } : { ops: [] };
  const metrics = fontFor(el.font);
  const missing = metrics.missing(value);
  if (missing.length)
    return {
      ops: [],
      problem: `text "${el.id}": no font can draw ${missing.map((c) => `"${c}" (U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`).join(', ')}`,
    };
  const w = mm(el.w);
  const h = mm(el.h);
  const fit = fitText(
    value,
    { width: w, height: h, size: el.size, minSize: el.minSize ?? el.size, lineHeight: el.lineHeight, ...(el.maxLines ? { maxLines: el.maxLines } : {}) },
    (cp) => metrics.advance(cp),
    (s) => metrics.width(s),
  );
  const size = fit.size;
  const pitch = size * el.lineHeight;
  const blockH = (fit.lines.length - 1) * pitch + size;
  const top = H - mm(el.y);
  const offset = el.valign === 'middle' ? (h - blockH) / 2 : el.valign === 'bottom' ? h - blockH : 0;
  const runs = fit.lines.map((line, i) => {
    const lw = metrics.width(line) * size;
    const dx = el.align === 'center' ? (w - lw) / 2 : el.align === 'right' ? w - lw : 0;
    return { x: mm(el.x) + dx, y: top - offset - size * ASCENT - i * pitch, text: line };
  });
  const ops: Op[] = [{ op: 'text', face: el.font, size, color: el.color, runs }];
  if (!fit.fits)
    return { ops, problem: `text "${el.id}" does not fit its ${el.w}×${el.h} mm box even at ${el.minSize ?? el.size} pt` };
  return { ops };
}

/** The QR op, or why the value cannot be encoded (too long for any QR version at level M). */
function tryQr(el: QrElement, value: string, H: number): Op | string {
  try {
    return { op: 'qr', x: mm(el.x), y: H - mm(el.y + el.size), size: mm(el.size), matrix: qrMatrix(value) };
  } catch {
    return `the QR code's text (${value.length} characters) is too long to encode`;
  }
}

function imageOp(el: Extract<Element, { type: 'image' }>, info: ImageInfo, H: number): Op {
  const bx = mm(el.x);
  const by = H - mm(el.y + el.h);
  const bw = mm(el.w);
  const bh = mm(el.h);
  if (el.fit === 'fill') return { op: 'image', name: el.asset, x: bx, y: by, w: bw, h: bh };
  const scale = el.fit === 'contain' ? Math.min(bw / info.width, bh / info.height) : Math.max(bw / info.width, bh / info.height);
  const w = info.width * scale;
  const h = info.height * scale;
  const op: Op = { op: 'image', name: el.asset, x: bx + (bw - w) / 2, y: by + (bh - h) / 2, w, h };
  if (el.fit === 'cover') op.clip = { x: bx, y: by, w: bw, h: bh };
  return op;
}

function postcodeBoxOps(el: Extract<Element, { type: 'postcode_boxes' }>, value: string, H: number, digitsOnly = false): Op[] {
  const ops: Op[] = [];
  const metrics = fontFor('regular');
  const runs = [];
  for (let i = 0; i < el.count; i++) {
    const x = mm(el.x + i * (el.boxWidth + el.gap));
    const y = H - mm(el.y + el.boxHeight);
    if (!digitsOnly) ops.push({ op: 'rect', x, y, w: mm(el.boxWidth), h: mm(el.boxHeight), stroke: el.color, lineWidth: 0.8 });
    const ch = value[i];
    if (ch) {
      const cw = metrics.width(ch) * el.size;
      runs.push({ x: x + (mm(el.boxWidth) - cw) / 2, y: y + (mm(el.boxHeight) - el.size * 0.72) / 2, text: ch });
    }
  }
  if (runs.length) ops.push({ op: 'text', face: 'regular', size: el.size, color: BLACK, runs });
  return ops;
}

const FIM: Record<'A' | 'B' | 'C' | 'D', string> = { A: '110010011', B: '101101101', C: '110101011', D: '111010111' };

/**
 * Facing Identification Mark (USPS DMM 708.9): nine 1/16-inch positions, bars
 * 1/32 inch wide and 5/8 inch tall from the top edge, rightmost bar 2 inches
 * from the right edge. Bars run on into the bleed so trimming leaves no gap.
 */
function fimOps(pattern: 'A' | 'B' | 'C' | 'D', W: number, H: number, bleed: number): Op[] {
  const inch = 72;
  const ops: Op[] = [];
  const bits = FIM[pattern];
  const barW = inch / 32;
  const pitch = inch / 16;
  const rightmostCentre = W - 2 * inch;
  for (let i = 0; i < 9; i++) {
    if (bits[i] !== '1') continue;
    const cx = rightmostCentre - (8 - i) * pitch;
    ops.push({ op: 'rect', x: cx - barW / 2, y: H - (5 / 8) * inch, w: barW, h: (5 / 8) * inch + bleed, fill: BLACK, lineWidth: 0 });
  }
  return ops;
}

const RATING = ['1', '2', '3', '4', '5'];

/** The survey questions, with tick boxes, shrunk to fit the box if need be. */
function surveyOps(el: Extract<Element, { type: 'survey' }>, questions: Question[], H: number, locale: Locale): { ops: Op[]; problem?: string } {
  const metrics = fontFor('regular');
  const all = questions.map((q) => q.label + (q.options ?? []).join('')).join('');
  const missing = metrics.missing(all);
  if (missing.length) return { ops: [], problem: `survey: no font can draw ${missing.map((c) => `"${c}"`).join(', ')}` };
  const minSize = el.minSize ?? el.size;
  for (let size = el.size; ; size = Math.max(minSize, size - 0.5)) {
    const r = layoutSurvey(el, questions, H, size, locale);
    if (r.fits || size <= minSize) {
      return r.fits ? { ops: r.ops } : { ops: r.ops, problem: `the survey does not fit its ${el.w}×${el.h} mm box even at ${minSize} pt` };
    }
  }
}

function layoutSurvey(el: Extract<Element, { type: 'survey' }>, questions: Question[], H: number, size: number, locale: Locale): { ops: Op[]; fits: boolean } {
  const metrics = fontFor('regular');
  const left = mm(el.x);
  const width = mm(el.w);
  const bottom = H - mm(el.y + el.h);
  const pitch = size * 1.4;
  const box = size * 0.8;
  let y = H - mm(el.y);
  const runs: { x: number; y: number; text: string }[] = [];
  const ops: Op[] = [];
  let fits = true;
  const newLine = (): number => {
    y -= pitch;
    return y + pitch - size * ASCENT;
  };
  questions.forEach((q, qi) => {
    const label = `${qi + 1}. ${q.label}`;
    const fit = fitText(label, { width, height: 1e6, size, minSize: size, lineHeight: 1.4 }, (cp) => metrics.advance(cp), (s) => metrics.width(s));
    for (const l of fit.lines) runs.push({ x: left, y: newLine(), text: l });
    if (q.type === 'text') {
      for (let i = 0; i < 2; i++) {
        y -= pitch;
        ops.push({ op: 'line', x1: left + size, y1: y + size * 0.2, x2: left + width, y2: y + size * 0.2, width: 0.4, color: el.color });
      }
      return;
    }
    const options = q.type === 'rating' ? RATING : (q.options ?? []);
    let x = left + size;
    let base = newLine();
    for (const opt of options) {
      const w = box + size * 0.3 + metrics.width(opt) * size + size;
      if (x + w > left + width && x > left + size) {
        x = left + size;
        base = newLine();
      }
      ops.push({ op: 'rect', x, y: base - size * 0.1, w: box, h: box, stroke: el.color, lineWidth: 0.6 });
      runs.push({ x: x + box + size * 0.3, y: base, text: opt });
      x += w;
    }
    if (q.type === 'multiple') {
      const hint = locale === 'zh-CN' ? '（可多选）' : '(tick all that apply)';
      const hw = metrics.width(hint) * size;
      if (x + hw <= left + width) runs.push({ x, y: base, text: hint });
    }
  });
  if (y < bottom - 0.01) fits = false;
  ops.push({ op: 'text', face: 'regular', size, color: el.color, runs });
  return { ops, fits };
}
