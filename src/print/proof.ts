// Proofs: the print file for a handful of recipients, and PNG thumbnails of
// one piece, built by exactly the code that builds print runs.
import type { PieceContext } from '../templates/hbs';
import type { PrintBody } from '../templates/layout';
import { composePiece, prepare, type ImageInfo, type PreparedTemplate, type RunContext } from './compose';
import { mm } from './drawing';
import { prepareImage, imageSize, type PreparedImage } from './images';
import { fileBytes, type OutputIntent } from './pdf';
import { renderThumbnail } from './thumbnail';

export interface ProofInput {
  body: PrintBody;
  /** Artwork bytes by asset name. */
  images: Record<string, Uint8Array>;
  run: RunContext;
  pieces: PieceContext[];
  outputIntent: OutputIntent;
  createdAt: Date;
  cropMarks?: boolean;
  title?: string;
}

export interface PieceProblems {
  index: number;
  code: string;
  problems: string[];
}

export function imageInfos(images: Record<string, Uint8Array>): Record<string, ImageInfo> {
  const out: Record<string, ImageInfo> = {};
  for (const [name, bytes] of Object.entries(images)) {
    const s = imageSize(bytes);
    out[name] = { width: s.width, height: s.height };
  }
  return out;
}

export function prepareTemplate(input: Pick<ProofInput, 'body' | 'images' | 'run'>): PreparedTemplate {
  return prepare(input.body, input.run, imageInfos(input.images));
}

/** A proof PDF: every piece, flagged or not (a flagged piece shows what went wrong). */
export async function proofPdf(input: ProofInput): Promise<{ pdf: Uint8Array; problems: PieceProblems[]; template: PreparedTemplate }> {
  const template = prepareTemplate(input);
  if (template.problems.length) return { pdf: new Uint8Array(), problems: [], template };
  const prepared: Record<string, PreparedImage> = {};
  for (const name of template.images) prepared[name] = prepareImage(input.images[name]!);
  const problems: PieceProblems[] = [];
  const pdf = await fileBytes(
    {
      template,
      images: prepared,
      outputIntent: input.outputIntent,
      cropMarks: input.cropMarks ?? false,
      title: input.title ?? 'Proof',
      createdAt: input.createdAt,
      seed: `proof:${input.createdAt.toISOString()}`,
    },
    (file) =>
      input.pieces.forEach((ctx, index) => {
        const c = composePiece(template, ctx);
        if (c.problems.length) problems.push({ index, code: ctx.piece.code, problems: c.problems });
        file.addPiece(c.pages);
      }),
  );
  return { pdf, problems, template };
}

/** PNG thumbnails of each page of one piece. */
export async function proofThumbnails(
  input: Omit<ProofInput, 'pieces' | 'outputIntent' | 'createdAt'> & { piece: PieceContext; widthPx?: number },
): Promise<{ pages: Uint8Array[]; problems: string[]; template: PreparedTemplate }> {
  const template = prepareTemplate(input);
  if (template.problems.length) return { pages: [], problems: [], template };
  const c = composePiece(template, input.piece);
  const width = mm(template.layout.width);
  const height = mm(template.layout.height);
  const pages: Uint8Array[] = [];
  for (let i = 0; i < template.pages.length; i++) {
    pages.push(await renderThumbnail({ width, height, ops: [...template.pages[i]!.shared, ...c.pages[i]!] }, input.images, input.widthPx));
  }
  return { pages, problems: c.problems, template };
}
