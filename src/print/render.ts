// Rendering one print file: compose each piece, leave out (with the reasons)
// any piece that cannot be printed as designed, write the rest into one PDF.
// Runs in a worker thread (./pool.ts) or in the calling thread.
import type { PieceContext } from '../templates/hbs';
import type { PrintBody } from '../templates/layout';
import { composePiece, prepare, type ImageInfo, type PreparedTemplate, type RunContext } from './compose';
import type { PreparedImage } from './images';
import { PrintFile, type OutputIntent, type Sink } from './pdf';

export interface RenderSetup {
  /** Identifies the setup so a worker prepares the template once per run. */
  key: string;
  body: PrintBody;
  run: RunContext;
  images: Record<string, PreparedImage>;
  imageInfo: Record<string, ImageInfo>;
  outputIntent: OutputIntent;
  cropMarks: boolean;
  /** ISO time stamped into every file of the run. */
  createdAt: string;
  title: string;
}

/** What differs from piece to piece; the dealer and campaign come from the setup. */
export type PieceData = Pick<PieceContext, 'contact' | 'piece'>;

export interface RenderTask {
  fileNo: number;
  pieces: PieceData[];
}

export interface RenderResult {
  fileNo: number;
  /** File size in bytes (the bytes themselves went to the sink); 0 when no piece was placed. */
  bytes: number;
  pages: number;
  /** Page (1-based) of the first panel of each placed piece, by index in the task. */
  placed: { index: number; page: number }[];
  excluded: { index: number; problems: string[] }[];
}

const prepared = new Map<string, PreparedTemplate>();

export function preparedFor(setup: RenderSetup): PreparedTemplate {
  let t = prepared.get(setup.key);
  if (!t) {
    t = prepare(setup.body, setup.run, setup.imageInfo);
    if (t.problems.length) throw new Error(`the template cannot be printed: ${t.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
    prepared.clear();
    prepared.set(setup.key, t);
  }
  return t;
}

/**
 * Render one file, handing its bytes to `sink` as they are produced. A file in
 * which no piece could be placed produces no bytes.
 */
export async function renderFile(setup: RenderSetup, task: RenderTask, sink: Sink): Promise<RenderResult> {
  const template = preparedFor(setup);
  const placed: RenderResult['placed'] = [];
  const excluded: RenderResult['excluded'] = [];
  let file: PrintFile | null = null;
  for (let index = 0; index < task.pieces.length; index++) {
    const c = composePiece(template, { ...setup.run, ...task.pieces[index]! });
    if (c.problems.length) {
      excluded.push({ index, problems: c.problems });
      continue;
    }
    file ??= await PrintFile.create(
      {
        template,
        images: setup.images,
        outputIntent: setup.outputIntent,
        cropMarks: setup.cropMarks,
        title: `${setup.title} — file ${task.fileNo}`,
        createdAt: new Date(setup.createdAt),
        seed: `${setup.key}:${task.fileNo}`,
      },
      sink,
    );
    placed.push({ index, page: file.pages + 1 });
    file.addPiece(c.pages);
  }
  if (!file) return { fileNo: task.fileNo, bytes: 0, pages: 0, placed, excluded };
  const bytes = await file.finish();
  return { fileNo: task.fileNo, bytes, pages: file.pages, placed, excluded };
}
