// The layout file of a printed piece: trim size, bleed, safe area, pages
// (panels) and the boxes drawn on them. Geometry is in millimetres from the
// top-left corner of the trim; font sizes are in points; colours are CMYK
// percentages. Text comes from Handlebars templates (see ./hbs.ts).
import { z } from 'zod';
import { MIN_QR_MM } from '../print/qr';

const mm = z.number().min(-50).max(2000);
const pos = z.number().min(0).max(2000);
const cmyk = z
  .tuple([z.number().min(0).max(100), z.number().min(0).max(100), z.number().min(0).max(100), z.number().min(0).max(100)])
  .describe('CMYK percentages [c, m, y, k]');

const box = { x: mm, y: mm, w: pos, h: pos };

const text = z.object({
  type: z.literal('text'),
  id: z.string().min(1).max(60),
  ...box,
  /** Handlebars source, or "@name" (the whole value) to use texts[name] of the template version. */
  text: z.string().max(20_000),
  font: z.enum(['regular', 'bold']).default('regular'),
  size: z.number().min(4).max(200),
  /** Shrink-to-fit floor; equal to size when absent (no shrinking). */
  minSize: z.number().min(4).max(200).optional(),
  lineHeight: z.number().min(0.8).max(3).default(1.35),
  align: z.enum(['left', 'center', 'right']).default('left'),
  valign: z.enum(['top', 'middle', 'bottom']).default('top'),
  maxLines: z.number().int().min(1).max(200).optional(),
  color: cmyk.default([0, 0, 0, 100]),
  /** A recipient for whom this renders empty is left out of the run, with the reason. */
  required: z.boolean().default(false),
});

const image = z.object({
  type: z.literal('image'),
  ...box,
  /** Name in the version's `assets` map. */
  asset: z.string().min(1).max(60),
  fit: z.enum(['contain', 'cover', 'fill']).default('contain'),
});

const rect = z.object({
  type: z.literal('rect'),
  ...box,
  fill: cmyk.optional(),
  stroke: cmyk.optional(),
  lineWidth: z.number().min(0.1).max(20).default(0.5),
});

const line = z.object({
  type: z.literal('line'),
  x1: mm,
  y1: mm,
  x2: mm,
  y2: mm,
  width: z.number().min(0.1).max(20).default(0.5),
  color: cmyk.default([0, 0, 0, 100]),
});

const qr = z.object({
  type: z.literal('qr'),
  x: mm,
  y: mm,
  /** Printed size including the 4-module quiet zone. */
  size: z.number().min(MIN_QR_MM, `a QR code prints at ${MIN_QR_MM} mm or more`).max(200),
  /** What the code encodes; the piece's tracking URL unless told otherwise. */
  value: z.string().max(500).default('{{trackingUrl}}'),
});

/** China Post: six postcode boxes, filled with the postcode the card is addressed to. */
const postcodeBoxes = z.object({
  type: z.literal('postcode_boxes'),
  x: mm,
  y: mm,
  value: z.string().max(200),
  count: z.number().int().min(1).max(10).default(6),
  boxWidth: z.number().min(3).max(20).default(8),
  boxHeight: z.number().min(3).max(20).default(10),
  gap: z.number().min(0).max(10).default(2),
  color: cmyk.default([0, 100, 100, 0]),
  size: z.number().min(6).max(40).default(16),
});

/** Horizontal bars of US Business Reply Mail (DMM 505.1.3). */
const bars = z.object({
  type: z.literal('bars'),
  ...box,
  count: z.number().int().min(1).max(20).default(6),
  thickness: z.number().min(0.5).max(10).default(2.4),
  color: cmyk.default([0, 0, 0, 100]),
});

/** USPS Facing Identification Mark, placed from the top edge, rightmost bar 2 in from the right edge. */
const fim = z.object({
  type: z.literal('fim'),
  pattern: z.enum(['A', 'B', 'C', 'D']),
});

/** The survey questions of the version, drawn with tick boxes. */
const survey = z.object({
  type: z.literal('survey'),
  ...box,
  size: z.number().min(5).max(30).default(8),
  minSize: z.number().min(5).max(30).optional(),
  color: cmyk.default([0, 0, 0, 100]),
});

export const elementSchema = z.discriminatedUnion('type', [text, image, rect, line, qr, postcodeBoxes, bars, fim, survey]);
export type Element = z.infer<typeof elementSchema>;
export type TextElement = z.infer<typeof text>;
export type QrElement = z.infer<typeof qr>;

export const layoutSchema = z
  .object({
    /** Trim size in mm. */
    width: z.number().min(50).max(1000),
    height: z.number().min(50).max(1000),
    bleed: z.number().min(0).max(10).default(3),
    /** Distance from the trim that text and codes keep clear of. */
    safe: z.number().min(0).max(30).default(4),
    /** Paper and finish, for the job ticket. */
    stock: z.string().max(200).default('300 g/m² coated card'),
    pages: z
      .array(z.object({ name: z.string().min(1).max(40), elements: z.array(elementSchema).max(300) }))
      .min(1)
      .max(8),
  })
  .superRefine((l, ctx) => {
    l.pages.forEach((p, pi) => {
      const ids = new Set<string>();
      p.elements.forEach((e, ei) => {
        const path = ['pages', pi, 'elements', ei];
        if (e.type === 'text') {
          if (ids.has(e.id)) ctx.addIssue({ code: 'custom', path: [...path, 'id'], message: `duplicate text id "${e.id}"` });
          ids.add(e.id);
          if (e.minSize !== undefined && e.minSize > e.size)
            ctx.addIssue({ code: 'custom', path: [...path, 'minSize'], message: 'minSize is larger than size' });
        }
        const inSafe = (x: number, y: number, w: number, h: number, what: string): void => {
          if (x < l.safe - 1e-6 || y < l.safe - 1e-6 || x + w > l.width - l.safe + 1e-6 || y + h > l.height - l.safe + 1e-6)
            ctx.addIssue({ code: 'custom', path, message: `${what} reaches outside the safe area (${l.safe} mm inside the trim)` });
        };
        if (e.type === 'text' || e.type === 'survey') inSafe(e.x, e.y, e.w, e.h, e.type === 'text' ? `text "${e.id}"` : 'survey');
        if (e.type === 'qr') inSafe(e.x, e.y, e.size, e.size, 'QR code');
      });
    });
  });
export type Layout = z.infer<typeof layoutSchema>;

const question = z.object({
  id: z.string().regex(/^[a-z0-9_]{1,40}$/, 'lower-case letters, digits and _'),
  type: z.enum(['single', 'multiple', 'rating', 'text']),
  label: z.string().min(1).max(300),
  options: z.array(z.string().min(1).max(100)).max(12).optional(),
});
export const surveySchema = z
  .object({ title: z.string().max(200).optional(), questions: z.array(question).min(1).max(20) })
  .superRefine((s, ctx) => {
    const ids = new Set<string>();
    s.questions.forEach((q, i) => {
      if (ids.has(q.id)) ctx.addIssue({ code: 'custom', path: ['questions', i, 'id'], message: `duplicate question id "${q.id}"` });
      ids.add(q.id);
      if ((q.type === 'single' || q.type === 'multiple') && (!q.options || q.options.length < 2))
        ctx.addIssue({ code: 'custom', path: ['questions', i, 'options'], message: 'a choice question needs at least two options' });
    });
  });
export type Survey = z.infer<typeof surveySchema>;
export type Question = Survey['questions'][number];

/** An SMS: Handlebars text; the sender signature and opt-out line are added when sent. */
export const smsSchema = z.object({ text: z.string().min(1).max(2000) });
/** An email: subject, HTML (escaped) and plain-text parts, all Handlebars. */
export const emailSchema = z.object({ subject: z.string().min(1).max(300), html: z.string().min(1).max(200_000), text: z.string().min(1).max(100_000) });

/** What a template version holds: a printed piece (layout), an SMS, an email, or several of them. */
export const templateBodySchema = z
  .object({
  purpose: z.enum(['greeting', 'test_drive', 'survey', 'service_reminder']),
  locale: z.enum(['zh-CN', 'en']),
  layout: layoutSchema.optional(),
  sms: smsSchema.optional(),
  email: emailSchema.optional(),
  /** Named Handlebars texts, referenced from text boxes as "@name". */
  texts: z.record(z.string().regex(/^[a-z0-9_-]{1,40}$/i), z.string().max(20_000)).default({}),
  survey: surveySchema.optional(),
  /** Artwork by name → asset id (PNG or JPEG uploaded to /v1/assets). */
  assets: z.record(z.string().min(1).max(60), z.string().uuid()).default({}),
})
  .refine((b) => b.layout || b.sms || b.email, { message: 'a template needs a print layout, an sms or an email', path: ['layout'] });
export type TemplateBody = z.infer<typeof templateBodySchema>;
/** A body with a print layout: what print runs, proofs and thumbnails take. */
export type PrintBody = TemplateBody & { layout: Layout };

export function isPrintBody(b: TemplateBody): b is PrintBody {
  return b.layout !== undefined;
}
