// List imports: upload → count (the whole file is checked before anything is
// written) → merge in batches, each committed with the resume point, so a
// restart continues where it stopped and a bad file leaves no trace.
import { and, asc, desc, eq, lt, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Deps } from '../http/context';
import { suppressionFlagsLock } from '../contacts/suppression';
import { CONTACT_KINDS, type ContactKind } from '../contacts/types';
import { importErrors, imports, dealers } from '../db/schema';
import { AppError, notFound, payloadTooLarge } from '../lib/errors';
import { copyRows } from '../db/bulk';
import { uuidv7 } from '../lib/ids';
import { errorField } from '../lib/log';
import { PhaseTimer } from '../lib/timer';
import { TooLarge } from '../lib/storage';
import { ENCODING_ALIASES, type TextEncodingName } from './encoding';
import { FileError, type CsvOptions } from './csv';
import { IMPORT_FIELDS } from './headers';
import { Bloom } from './bloom';
import { countKnownKeys, loadSeenKeys, mergeBatch } from './merge';
import { inThreadParser, type ParsedBatch, type ParseInput } from './parse';

export const importOptions = z.object({
  filename: z.string().max(255).optional(),
  kind: z.enum(CONTACT_KINDS).optional(),
  country: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'an ISO 3166 two-letter country code')
    .transform((s) => s.toUpperCase())
    .optional(),
  encoding: z.enum(Object.keys(ENCODING_ALIASES) as [string, ...string[]]).optional(),
  delimiter: z.enum(['comma', 'tab', 'semicolon']).optional(),
  mapping: z.record(z.string(), z.enum(IMPORT_FIELDS).nullable()).optional(),
});
export type ImportOptions = z.infer<typeof importOptions>;

export type ImportRow = typeof imports.$inferSelect;

const DELIMS = { comma: ',', tab: '\t', semicolon: ';' } as const;

/**
 * Bytes read so far by imports in their counting pass (rows are not known
 * yet). Merging progress is the committed counts on the import row.
 */
const bytesCounted = new Map<string, number>();

export interface Upload {
  id: string;
  fileKey: string;
  bytes: number;
  sha256: string;
}

/** Stream the uploaded file to storage, enforcing the size limit. */
export async function storeUpload(deps: Deps, dealerId: string, body: ReadableStream<Uint8Array>): Promise<Upload> {
  const id = uuidv7(deps.clock.now().getTime());
  const fileKey = `imports/${dealerId}/${id}.csv`;
  let stored;
  try {
    stored = await deps.storage.put(fileKey, body, { maxBytes: deps.config.IMPORT_MAX_BYTES });
  } catch (e) {
    if (e instanceof TooLarge) {
      await deps.storage.delete(fileKey).catch(() => {});
      throw payloadTooLarge(`the file is larger than the ${formatBytes(e.limit)} limit`, { limitBytes: e.limit });
    }
    throw e;
  }
  if (stored.bytes === 0) {
    await deps.storage.delete(fileKey);
    throw new FileError('empty_file', 'the file is empty');
  }
  return { id, fileKey, bytes: stored.bytes, sha256: stored.sha256 };
}

/** Record the import and queue it. */
export async function createImport(deps: Deps, dealerId: string, upload: Upload, options: ImportOptions): Promise<ImportRow> {
  const [row] = await deps.db.orm
    .insert(imports)
    .values({
      id: upload.id,
      dealerId,
      status: 'queued',
      filename: options.filename ?? null,
      fileKey: upload.fileKey,
      fileSha256: upload.sha256,
      bytesTotal: upload.bytes,
      options,
      createdAt: deps.clock.now(),
    })
    .returning();
  deps.jobs.enqueue('import', upload.id);
  return row!;
}

export async function getImport(deps: Deps, dealerId: string, id: string): Promise<ImportRow> {
  const [row] = await deps.db.orm.select().from(imports).where(and(eq(imports.id, id), eq(imports.dealerId, dealerId)));
  if (!row) throw notFound('import');
  return row;
}

export async function listImports(deps: Deps, dealerId: string, limit: number, after?: string) {
  return deps.db.orm
    .select()
    .from(imports)
    .where(and(eq(imports.dealerId, dealerId), after ? lt(imports.id, after) : undefined))
    .orderBy(desc(imports.id))
    .limit(limit + 1);
}

/** The API view of an import: counts that add up, and progress while it runs. */
export function presentImport(row: ImportRow) {
  const rowsProcessed = row.rowsAccepted + row.rowsRejected;
  const counted = bytesCounted.get(row.id);
  let percent = 0;
  if (row.status === 'completed') percent = 100;
  else if (counted !== undefined) percent = Math.floor((10 * counted) / Math.max(1, row.bytesTotal));
  else if (row.rowsTotal > 0) percent = 10 + Math.floor((90 * rowsProcessed) / row.rowsTotal);
  return {
    id: row.id,
    status: row.status,
    filename: row.filename,
    bytes: row.bytesTotal,
    encoding: row.encoding,
    delimiter: row.delimiter === '\t' ? 'tab' : row.delimiter === ';' ? 'semicolon' : row.delimiter === ',' ? 'comma' : null,
    mapping: row.mapping,
    progress: { phase: row.status, percent: Math.min(100, percent), rowsProcessed, rowsTotal: row.rowsTotal },
    counts: {
      rows: row.rowsTotal,
      accepted: row.rowsAccepted,
      rejected: row.rowsRejected,
      created: row.contactsCreated,
      updated: row.contactsUpdated,
      unchanged: row.contactsUnchanged,
      duplicatesMerged: row.duplicatesMerged,
    },
    error: row.error,
    createdAt: row.createdAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}

export async function cancelImport(deps: Deps, dealerId: string, id: string): Promise<ImportRow> {
  const row = await getImport(deps, dealerId, id);
  if (['completed', 'failed', 'cancelled'].includes(row.status)) {
    throw new AppError(409, 'import_finished', `the import is already ${row.status}`);
  }
  deps.jobs.cancel(id);
  const [r] = await deps.db.orm
    .update(imports)
    .set({ status: 'cancelled', finishedAt: deps.clock.now() })
    .where(and(eq(imports.id, id), eq(imports.dealerId, dealerId), sql`${imports.status} IN ('queued', 'counting', 'merging')`))
    .returning();
  if (!r) {
    const now = await getImport(deps, dealerId, id);
    throw new AppError(409, 'import_finished', `the import is already ${now.status}`);
  }
  // The uploaded list holds personal data: it goes as soon as it is not needed.
  await deps.storage.delete(r.fileKey).catch(() => {});
  return r!;
}

/** Rejected rows in row order, for the CSV report; keyset-paged so it streams (stop early for the first few). */
export async function* importErrorRows(deps: Deps, importId: string, batchSize = 2000) {
  let after = 0;
  let afterSeq = -1;
  for (;;) {
    const batch = await deps.db.orm
      .select()
      .from(importErrors)
      .where(
        and(
          eq(importErrors.importId, importId),
          sql`(${importErrors.rowNumber}, ${importErrors.seq}) > (${after}, ${afterSeq})`,
        ),
      )
      .orderBy(asc(importErrors.rowNumber), asc(importErrors.seq))
      .limit(batchSize);
    if (batch.length === 0) return;
    yield* batch;
    const last = batch[batch.length - 1]!;
    after = last.rowNumber;
    afterSeq = last.seq;
  }
}

async function fileSource(deps: Deps, key: string): Promise<AsyncIterable<Uint8Array>> {
  const stream = await deps.storage.get(key);
  return stream as unknown as AsyncIterable<Uint8Array>;
}

/** The import job. Safe to run again after a crash: it resumes after merged_through. */
export async function runImport(deps: Deps, id: string, signal: AbortSignal): Promise<void> {
  const { db, clock, logger } = deps;
  const [job] = await db.orm.select().from(imports).where(eq(imports.id, id));
  if (!job || ['completed', 'failed', 'cancelled'].includes(job.status)) return;
  const [dealer] = await db.orm.select().from(dealers).where(eq(dealers.id, job.dealerId));
  const opts = job.options as ImportOptions;
  const csvOpts: CsvOptions = {
    encoding: opts.encoding ? (ENCODING_ALIASES[opts.encoding] as TextEncodingName) : undefined,
    delimiter: opts.delimiter ? DELIMS[opts.delimiter] : undefined,
  };
  const country = opts.country ?? dealer?.country ?? 'CN';
  const log = logger.child({ importId: id, dealer: job.dealerId });

  const fail = async (e: unknown) => {
    if (!(e instanceof AppError)) log.error('import crashed', { err: errorField(e) });
    const [cur] = await db.orm.select({ merged: imports.mergedThrough }).from(imports).where(eq(imports.id, id));
    const merged = cur?.merged ?? 0;
    const err =
      e instanceof AppError
        ? { code: e.code, message: e.message, details: e.details ?? null }
        : merged > 0
          ? {
              code: 'import_interrupted',
              message: `the import stopped after row ${merged}; the rows before it are imported, and importing the same file again adds only the rest`,
              details: { mergedThroughRow: merged },
            }
          : { code: 'import_failed', message: 'the import failed before writing anything; try again', details: null };
    // A file rejected as a whole leaves nothing behind; a half-merged one keeps its row report.
    if (merged === 0) await db.orm.delete(importErrors).where(eq(importErrors.importId, id));
    await db.orm
      .update(imports)
      .set({ status: 'failed', error: err, finishedAt: clock.now() })
      .where(and(eq(imports.id, id), sql`${imports.status} IN ('queued', 'counting', 'merging')`));
    log.warn('import failed', { code: err.code });
  };

  try {
    const parser = deps.importParser ?? inThreadParser((key) => fileSource(deps, key));
    const input: ParseInput = { csv: csvOpts, mapping: opts.mapping ?? {}, country, defaultKind: opts.kind as ContactKind | undefined };

    // Pass 1: read the whole file, so a malformed file fails before any write.
    if (job.mergedThrough === 0) {
      await db.orm.update(imports).set({ status: 'counting', startedAt: clock.now() }).where(eq(imports.id, id));
      job.status = 'counting';
      const t1 = performance.now();
      bytesCounted.set(id, 0);
      const counted = await parser.count(job.fileKey, input, (bytes) => bytesCounted.set(id, bytes));
      bytesCounted.delete(id);
      if (signal.aborted) return;
      log.debug('import counted', { rows: counted.rows, ms: Math.round(performance.now() - t1) });
      await db.orm
        .update(imports)
        .set({ status: 'merging', rowsTotal: counted.rows, encoding: counted.encoding, delimiter: counted.delimiter, mapping: counted.mapping })
        .where(and(eq(imports.id, id), eq(imports.status, 'counting')));
      job.status = 'merging';
      job.rowsTotal = counted.rows;
    }

    // Pass 2: normalize and merge, one transaction per batch.
    const t2 = performance.now();
    const consentSource = `import:${id}`;
    // Keys the dealer already has: rows that match none skip the lookup query.
    const seen = new Bloom((await countKnownKeys(db.orm, job.dealerId)) + job.rowsTotal * 4);
    await loadSeenKeys(db.orm, job.dealerId, seen);
    let pending: Promise<void> = Promise.resolve();
    let waitMs = 0;
    const timer = new PhaseTimer();

    const flush = async ({ rows: b, errors: e, lastRow: through }: ParsedBatch) => {
      const accepted = b.length;
      const rejected = e.length;
      const now = clock.now();
      await db.orm.transaction(async (tx) => {
        // The batch's first statement also takes the dealer's suppression-flags
        // lock, before any contact row lock; mergeBatch relies on it.
        const [cur] = await tx
          .select({ status: imports.status })
          .from(imports)
          .where(and(eq(imports.id, id), sql`EXISTS (SELECT FROM ${suppressionFlagsLock(job.dealerId)})`))
          .for('update');
        if (cur?.status !== 'merging') throw new Cancelled();
        const c = await mergeBatch(tx, { db, dealerId: job.dealerId, importId: id, consentSource, now, seen, timer }, b);
        if (e.length) {
          // COPY: a batch can carry more reasons than one INSERT's parameter limit.
          await copyRows(
            db,
            tx,
            'import_errors',
            ['import_id', 'row_number', 'seq', 'column', 'reason', 'value'],
            e.flatMap(({ row, errs }) => errs.map((x, seq) => [id, row, seq, x.column, x.reason, x.value?.slice(0, 500) ?? null])),
          );
        }
        await tx
          .update(imports)
          .set({
            mergedThrough: through,
            rowsAccepted: sql`${imports.rowsAccepted} + ${accepted}`,
            rowsRejected: sql`${imports.rowsRejected} + ${rejected}`,
            contactsCreated: sql`${imports.contactsCreated} + ${c.created}`,
            contactsUpdated: sql`${imports.contactsUpdated} + ${c.updated}`,
            contactsUnchanged: sql`${imports.contactsUnchanged} + ${c.unchanged}`,
            duplicatesMerged: sql`${imports.duplicatesMerged} + ${c.duplicates}`,
          })
          .where(eq(imports.id, id));
      });
    };

    for await (const batch of parser.batches(job.fileKey, input, job.mergedThrough, deps.config.IMPORT_BATCH_ROWS)) {
      // The database writes one batch while the next is parsed.
      const w = performance.now();
      await pending;
      waitMs += performance.now() - w;
      if (signal.aborted) return;
      pending = flush(batch);
      pending.catch(() => {}); // handled when awaited
    }
    await pending;
    if (signal.aborted) return;
    await db.orm
      .update(imports)
      .set({ status: 'completed', finishedAt: clock.now() })
      .where(and(eq(imports.id, id), eq(imports.status, 'merging')));
    await deps.storage.delete(job.fileKey).catch(() => {});
    await analyzeIfLarge(deps, job.rowsTotal);
    log.info('import completed', { rows: job.rowsTotal, mergeMs: Math.round(performance.now() - t2), waitMs: Math.round(waitMs), ...timer.rounded() });
  } catch (e) {
    if (e instanceof Cancelled) {
      await deps.storage.delete(job.fileKey).catch(() => {});
      return;
    }
    await fail(e);
    await deps.storage.delete(job.fileKey).catch(() => {});
  } finally {
    bytesCounted.delete(id);
  }
}

class Cancelled extends Error {}

/** Big imports change the statistics the segment planner relies on. */
async function analyzeIfLarge(deps: Deps, rowsTotal: number) {
  if (rowsTotal >= 50_000) {
    await deps.db.orm.execute(sql`ANALYZE contacts`);
    await deps.db.orm.execute(sql`ANALYZE vehicles`);
  }
}

/** Imports found unfinished at boot continue. */
export async function resumeImports(deps: Deps): Promise<number> {
  const rows = await deps.db.orm
    .select({ id: imports.id })
    .from(imports)
    .where(sql`${imports.status} IN ('queued', 'counting', 'merging')`)
    .orderBy(asc(imports.id));
  for (const r of rows) deps.jobs.enqueue('import', r.id);
  return rows.length;
}


function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${Math.round(n / 1024 / 1024)} MB` : `${n} bytes`;
}

