// Print runs: an audience and a pinned template version → presorted,
// print-ready PDF files for the print shop, with a manifest and a job ticket.
//
// 1. Plan: one piece per recipient with an unguessable token; recipients with
//    no postal address or suppressed for mail are left out with the reason;
//    the rest are numbered in postcode order (the presort).
// 2. Render: files of `piecesPerFile` consecutive pieces, in worker threads
//    (./pool.ts), several at once; a piece that cannot be printed as designed
//    is left out of its file with the reason, the rest of the run goes on.
//    Each file commits with the pieces it placed, so a restart resumes after
//    the last stored file.
// 3. Finish: manifest CSV (sequence, piece, contact, name, postcode, file,
//    page), excluded CSV, and the job ticket (size, stock, quantity, checksums).
import { and, asc, desc, eq, gt, inArray, lt, sql } from 'drizzle-orm';
import { z } from 'zod';
import { rows } from '../db';
import { copyRows } from '../db/bulk';
import { segments } from '../db/schema';
import { printRuns, type PrintFileRecord } from '../db/schema-print';
import { getDealer } from '../dealers';
import type { Deps } from '../http/context';
import { localDate } from '../lib/clock';
import { CSV_BOM, csvLine } from '../lib/csv';
import { conflict, notFound } from '../lib/errors';
import { trackingToken, uuidv7 } from '../lib/ids';
import { errorField } from '../lib/log';
import type { StoredObject } from '../lib/storage';
import type { Rule } from '../segments/rules';
import { segmentContactIds } from '../segments/service';
import { outputIntentProfile } from '../templates/builtin';
import { pieceContext, recipientsOfRun, runContext } from '../templates/context';
import { artworkOf, checkBody, getVersion, requirePrint } from '../templates/service';
import { imageSize, prepareImage } from './images';
import { inlineRenderer, type Renderer } from './pool';
import type { RenderResult, RenderSetup } from './render';
import { ANSWERED_KINDS, variantBucket } from '../campaigns/waves';
import { addDeliveries } from '../outbox/outbox';
import { signature } from '../channels/links';

/** Why a household's other members get no piece of a campaign's drop. */
export const HOUSEHOLD_DUPLICATE = 'another piece of this drop goes to the same household';

export type PrintRunRow = typeof printRuns.$inferSelect;

const uuid = z.string().uuid();
export const printRunBody = z.object({
  templateId: uuid,
  /** Pinned version; the latest when absent. */
  version: z.number().int().min(1).optional(),
  audience: z
    .object({ segmentId: uuid.optional(), contactIds: z.array(uuid).min(1).max(100_000).optional() })
    .refine((a) => !!a.segmentId !== !!a.contactIds, 'give exactly one of segmentId or contactIds'),
  // Files up to 12,000 pieces were measured to render within a worker's heap; 10,000 leaves room.
  piecesPerFile: z.number().int().min(1).max(10_000).default(5000),
  cropMarks: z.boolean().default(false),
  campaign: z.object({ name: z.string().max(200).nullish(), eventDate: z.string().date().nullish(), offer: z.string().max(500).nullish() }).optional(),
  title: z.string().min(1).max(200).optional(),
});
export type PrintRunInput = z.infer<typeof printRunBody>;

interface RunOptions extends PrintRunInput {
  wave?: CampaignWave;
  templateVersionId: string;
  templateVersion: number;
  templateName: string;
}

/**
 * A campaign's print wave (or one A/B variant of it): the audience is the
 * campaign's recipients outside the holdout group whose variant bucket (drawn
 * per household from the campaign's seed) falls in [bucketFrom, bucketTo),
 * without those who already answered when the condition says so, and one piece
 * per household.
 */
export interface CampaignWave {
  campaignId: string;
  waveId: string;
  variant?: string | null;
  waveSeq?: number;
  seed?: string;
  bucketFrom?: number;
  bucketTo?: number;
  condition?: string;
  /** Channels that reach the recipients this run leaves out (no address, suppressed for mail …). */
  fallback?: string[];
}

/**
 * Check a print run's template and make its row, not yet queued: `enqueue`
 * queues it (after the caller's transaction, if the row was written in one).
 */
export async function preparePrintRun(deps: Deps, dealerId: string, input: PrintRunInput, wave?: CampaignWave) {
  const v = await getVersion(deps.db.orm, dealerId, input.templateId, input.version ?? 'latest');
  requirePrint(v.body);
  // With this run's campaign fields: a static box they overflow is refused now, not in every file.
  await checkBody(deps, dealerId, v.body, input.campaign ?? {});
  if (input.audience.segmentId && !wave) {
    const [seg] = await deps.db.orm.select({ id: segments.id }).from(segments).where(and(eq(segments.dealerId, dealerId), eq(segments.id, input.audience.segmentId)));
    if (!seg) throw notFound('segment');
  }
  const now = deps.clock.now();
  const options: RunOptions = { ...input, templateVersionId: v.version.id, templateVersion: v.version.version, templateName: v.template.name, ...(wave ? { wave } : {}) };
  return {
    row: {
      id: uuidv7(now.getTime()),
      dealerId,
      templateVersionId: v.version.id,
      status: 'queued',
      options: options as unknown as Record<string, unknown>,
      createdAt: now,
      ...(wave ? { campaignId: wave.campaignId, waveId: wave.waveId, variant: wave.variant ?? null } : {}),
    } satisfies typeof printRuns.$inferInsert,
    enqueue: (id: string) => deps.jobs.enqueue('print-run', id),
  };
}

export async function createPrintRun(deps: Deps, dealerId: string, input: PrintRunInput, wave?: CampaignWave): Promise<PrintRunRow> {
  const prepared = await preparePrintRun(deps, dealerId, input, wave);
  const [row] = await deps.db.orm.insert(printRuns).values(prepared.row).returning();
  prepared.enqueue(row!.id);
  return row!;
}

export async function getPrintRun(deps: Deps, dealerId: string, id: string): Promise<PrintRunRow> {
  const [row] = await deps.db.orm.select().from(printRuns).where(and(eq(printRuns.dealerId, dealerId), eq(printRuns.id, id)));
  if (!row) throw notFound('print run');
  return row;
}

/** Print jobs the print shop may see: released to it, and on from there. */
export const RELEASED_JOB_STATUSES = ['released', 'downloaded', 'printed', 'mailed'] as const;

/** A run as the caller may see it: printers see a dealer's print jobs only once released to them; everyone else sees every run. */
export async function visiblePrintRun(deps: Deps, who: { dealerId: string; role: string }, id: string): Promise<PrintRunRow> {
  const run = await getPrintRun(deps, who.dealerId, id);
  if (who.role === 'printer' && !(RELEASED_JOB_STATUSES as readonly string[]).includes(run.jobStatus ?? '')) throw notFound('print run');
  return run;
}

/** The dealer's runs the caller may see (see visiblePrintRun): oldest first (after `after`), or newest first (before `before`). */
export async function listPrintRuns(deps: Deps, who: { dealerId: string; role: string }, opts: { after?: string; before?: string; newestFirst?: boolean; limit: number }): Promise<PrintRunRow[]> {
  return deps.db.orm
    .select()
    .from(printRuns)
    .where(
      and(
        eq(printRuns.dealerId, who.dealerId),
        opts.after ? gt(printRuns.id, opts.after) : undefined,
        opts.before ? lt(printRuns.id, opts.before) : undefined,
        who.role === 'printer' ? inArray(printRuns.jobStatus, [...RELEASED_JOB_STATUSES]) : undefined,
      ),
    )
    .orderBy(opts.newestFirst ? desc(printRuns.id) : asc(printRuns.id))
    .limit(opts.limit);
}

export async function cancelPrintRun(deps: Deps, dealerId: string, id: string): Promise<PrintRunRow> {
  const run = await getPrintRun(deps, dealerId, id);
  if (run.status === 'completed' || run.status === 'failed' || run.status === 'cancelled')
    throw conflict('run_finished', `the print run is already ${run.status}`);
  const [row] = await deps.db.orm
    .update(printRuns)
    .set({ status: 'cancelled', finishedAt: deps.clock.now() })
    .where(and(eq(printRuns.id, id), sql`${printRuns.status} IN ('queued', 'rendering')`))
    .returning();
  deps.jobs.cancel(id);
  return row ?? (await getPrintRun(deps, dealerId, id));
}

export function presentPrintRun(r: PrintRunRow) {
  const o = r.options as unknown as RunOptions;
  return {
    id: r.id,
    status: r.status,
    template: { id: o.templateId, version: o.templateVersion, name: o.templateName },
    audience: o.audience,
    piecesPerFile: o.piecesPerFile,
    cropMarks: o.cropMarks,
    progress: {
      total: r.piecesTotal,
      rendered: r.piecesRendered,
      excluded: r.piecesExcluded,
      percent: r.piecesTotal ? Math.floor(((r.piecesRendered + r.piecesExcluded) * 100) / r.piecesTotal) : 0,
    },
    job: {
      status: r.jobStatus,
      releasedAt: r.releasedAt?.toISOString() ?? null,
      downloadedAt: r.downloadedAt?.toISOString() ?? null,
      printedAt: r.printedAt?.toISOString() ?? null,
      mailedOn: r.mailedOn,
    },
    campaignId: r.campaignId,
    waveId: r.waveId,
    files: r.files.map((f) => ({ file: f.file, name: f.name, pieces: f.pieces, pages: f.pages, bytes: f.bytes, sha256: f.sha256, firstSeq: f.firstSeq, lastSeq: f.lastSeq })),
    ticket: r.ticket ?? null,
    error: r.error,
    createdAt: r.createdAt.toISOString(),
    startedAt: r.startedAt?.toISOString() ?? null,
    finishedAt: r.finishedAt?.toISOString() ?? null,
  };
}

// ── the job ───────────────────────────────────────────────────────────────────
const PLAN_BATCH = 5000;

/** Create the pieces: tokens for everyone in the audience, exclusions, presort sequence. */
async function plan(deps: Deps, run: PrintRunRow): Promise<void> {
  const db = deps.db;
  const o = run.options as unknown as RunOptions;
  const dealerId = run.dealerId;
  const now = deps.clock.now();
  await db.orm.transaction(async (tx) => {
    let members;
    if (o.wave) {
      const w = o.wave;
      const inVariant =
        w.seed !== undefined && w.bucketFrom !== undefined && w.bucketTo !== undefined
          ? sql`AND ${variantBucket(w.seed, w.waveSeq ?? 0, sql`coalesce(c.household_key, c.id::text)`)} >= ${w.bucketFrom} AND ${variantBucket(w.seed, w.waveSeq ?? 0, sql`coalesce(c.household_key, c.id::text)`)} < ${w.bucketTo}`
          : sql``;
      const notAnswered =
        w.condition === 'not_responded'
          ? sql`AND NOT EXISTS (SELECT 1 FROM responses x WHERE x.dealer_id = r.dealer_id AND x.campaign_id = r.campaign_id AND x.contact_id = r.contact_id AND x.kind = ANY(${sql.param([...ANSWERED_KINDS])}::text[]))`
          : sql``;
      members = sql`SELECT r.contact_id AS id FROM campaign_recipients r JOIN contacts c ON c.id = r.contact_id AND c.dealer_id = r.dealer_id
        WHERE r.campaign_id = ${w.campaignId}::uuid AND r.dealer_id = ${dealerId}::uuid AND NOT r.holdout ${inVariant} ${notAnswered}`;
    } else if (o.audience.segmentId) {
      const [seg] = await tx.select().from(segments).where(and(eq(segments.dealerId, dealerId), eq(segments.id, o.audience.segmentId)));
      if (!seg) throw new Error('segment gone');
      const dealer = await getDealer(tx, dealerId);
      members = segmentContactIds(tx, dealerId, seg.rule as Rule, localDate(now, dealer!.timezone));
    } else {
      members = sql`SELECT c.id FROM contacts c WHERE c.dealer_id = ${dealerId}::uuid AND c.id = ANY(${sql.param(o.audience.contactIds!)}::uuid[])`;
    }
    // Keyset batches: a million-member segment never sits in memory at once.
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const batch = await rows<{ id: string }>(tx, sql`SELECT m.id FROM (${members}) m WHERE m.id > ${after}::uuid ORDER BY m.id LIMIT ${PLAN_BATCH}`);
      if (batch.length === 0) break;
      await copyRows(
        db,
        tx,
        'pieces',
        ['id', 'dealer_id', 'print_run_id', 'contact_id', 'token', 'status', 'created_at'],
        batch.map((m) => [uuidv7(now.getTime()), dealerId, run.id, m.id, trackingToken(), 'pending', now]),
      );
      after = batch[batch.length - 1]!.id;
    }
    // Left out before rendering: no postal address, or suppressed for mail.
    await tx.execute(sql`
      UPDATE pieces p SET status = 'excluded',
        reason = CASE WHEN coalesce(c.street, '') = '' THEN 'no postal address (street missing)' ELSE 'no postal address (postcode missing)' END
      FROM contacts c
      WHERE p.print_run_id = ${run.id}::uuid AND c.id = p.contact_id AND c.dealer_id = p.dealer_id
        AND (coalesce(c.street, '') = '' OR coalesce(c.postcode, '') = '')`);
    await tx.execute(sql`
      UPDATE pieces p SET status = 'excluded', reason = 'suppressed for mail (' || s.reason || ')'
      FROM contacts c, suppressions s
      WHERE p.print_run_id = ${run.id}::uuid AND p.status = 'pending' AND c.id = p.contact_id AND c.dealer_id = p.dealer_id
        AND s.dealer_id = p.dealer_id AND s.channel IN ('mail', 'all')
        AND ((s.target = 'contact' AND s.value = c.id::text) OR (s.target = 'phone' AND s.value = c.phone_e164)
          OR (s.target = 'email' AND s.value = c.email) OR (s.target = 'household' AND s.value = c.household_key))`);
    if (o.wave) {
      // One piece per household (the same normalized address) in a campaign's drop.
      await tx.execute(sql`
        UPDATE pieces p SET status = 'excluded', reason = ${HOUSEHOLD_DUPLICATE} FROM (
          SELECT p2.id, row_number() OVER (PARTITION BY c.household_key ORDER BY c.id) AS n
          FROM pieces p2 JOIN contacts c ON c.id = p2.contact_id AND c.dealer_id = p2.dealer_id
          WHERE p2.print_run_id = ${run.id}::uuid AND p2.status = 'pending' AND c.household_key IS NOT NULL) d
        WHERE p.id = d.id AND d.n > 1`);
    }
    // Presort: postcode order, then by address so a building's pieces sit together.
    await tx.execute(sql`
      UPDATE pieces p SET seq = s.rn, postcode = s.postcode FROM (
        SELECT p2.id, c.postcode, row_number() OVER (ORDER BY c.postcode, c.province, c.city, c.district, c.street, c.id) AS rn
        FROM pieces p2 JOIN contacts c ON c.id = p2.contact_id AND c.dealer_id = p2.dealer_id
        WHERE p2.print_run_id = ${run.id}::uuid AND p2.status = 'pending') s
      WHERE p.id = s.id`);
    const [counts] = await rows<{ total: number; excluded: number }>(
      tx,
      sql`SELECT count(*)::int AS total, count(*) FILTER (WHERE status = 'excluded')::int AS excluded FROM pieces WHERE print_run_id = ${run.id}::uuid`,
    );
    await tx
      .update(printRuns)
      .set({ status: 'rendering', piecesTotal: counts!.total, piecesExcluded: counts!.excluded, startedAt: now })
      .where(and(eq(printRuns.id, run.id), eq(printRuns.status, 'queued')));
  });
}

/** The random tail of the run id: two runs started in the same minute still get different names. */
export function runLabel(id: string): string {
  return id.replace(/-/g, '').slice(-12);
}

function fileName(run: PrintRunRow, n: number): string {
  return `${runLabel(run.id)}-${String(n).padStart(3, '0')}.pdf`;
}

function fileKey(run: PrintRunRow, n: number): string {
  return `print-runs/${run.dealerId}/${run.id}/${fileName(run, n)}`;
}

async function commitFile(deps: Deps, run: PrintRunRow, res: RenderResult, stored: StoredObject | null, pieceIds: string[], firstSeq: number, lastSeq: number): Promise<void> {
  const db = deps.db.orm;
  const name = fileName(run, res.fileNo);
  const record: PrintFileRecord | null = stored
    ? { file: res.fileNo, name, key: fileKey(run, res.fileNo), pieces: res.placed.length, pages: res.pages, bytes: stored.bytes, sha256: stored.sha256, firstSeq, lastSeq }
    : null;
  await db.transaction(async (tx) => {
    if (res.placed.length) {
      const ids = res.placed.map((p) => pieceIds[p.index]!);
      const pages = res.placed.map((p) => p.page);
      await tx.execute(sql`
        UPDATE pieces p SET status = 'rendered', file_no = ${res.fileNo}, page = v.page
        FROM unnest(${sql.param(ids)}::uuid[], ${sql.param(pages)}::int[]) AS v(id, page)
        WHERE p.id = v.id AND p.print_run_id = ${run.id}::uuid`);
    }
    if (res.excluded.length) {
      const ids = res.excluded.map((p) => pieceIds[p.index]!);
      const reasons = res.excluded.map((p) => p.problems.join('; '));
      await tx.execute(sql`
        UPDATE pieces p SET status = 'excluded', reason = v.reason
        FROM unnest(${sql.param(ids)}::uuid[], ${sql.param(reasons)}::text[]) AS v(id, reason)
        WHERE p.id = v.id AND p.print_run_id = ${run.id}::uuid`);
    }
    await tx
      .update(printRuns)
      .set({
        piecesRendered: sql`${printRuns.piecesRendered} + ${res.placed.length}`,
        piecesExcluded: sql`${printRuns.piecesExcluded} + ${res.excluded.length}`,
        ...(record ? { files: sql`${printRuns.files} || ${JSON.stringify([record])}::jsonb` } : {}),
      })
      .where(eq(printRuns.id, run.id));
  });
}

async function setupFor(deps: Deps, run: PrintRunRow): Promise<RenderSetup> {
  const o = run.options as unknown as RunOptions;
  const v = await getVersion(deps.db.orm, run.dealerId, o.templateId, o.templateVersion);
  const artwork = await artworkOf(deps, run.dealerId, v.body);
  const images: RenderSetup['images'] = {};
  const imageInfo: RenderSetup['imageInfo'] = {};
  for (const [name, bytes] of Object.entries(artwork)) {
    images[name] = prepareImage(bytes);
    imageInfo[name] = imageSize(bytes);
  }
  return {
    key: run.id,
    body: requirePrint(v.body),
    run: await runContext(deps.db.orm, run.dealerId, o.campaign ?? {}),
    images,
    imageInfo,
    outputIntent: outputIntentProfile(),
    cropMarks: o.cropMarks,
    createdAt: (run.startedAt ?? run.createdAt).toISOString(),
    title: o.title ?? `${o.templateName} v${o.templateVersion}`,
  };
}

export async function runPrintRun(deps: Deps, id: string, signal: AbortSignal, renderer: Renderer = deps.printRenderer ?? inlineRenderer()): Promise<void> {
  const load = async () => (await deps.db.orm.select().from(printRuns).where(eq(printRuns.id, id)))[0];
  let run = await load();
  if (!run || (run.status !== 'queued' && run.status !== 'rendering')) return;
  try {
    if (run.status === 'queued') {
      const t0 = performance.now();
      await plan(deps, run);
      deps.logger.debug('print run planned', { runId: id, ms: Math.round(performance.now() - t0) });
      run = (await load())!;
      if (run.status !== 'rendering') return;
    }
    const o = run.options as unknown as RunOptions;
    const setup = await setupFor(deps, run);
    const [{ last } = { last: 0 }] = await rows<{ last: number }>(
      deps.db.orm,
      sql`SELECT coalesce(max(seq), 0)::int AS last FROM pieces WHERE print_run_id = ${id}::uuid AND seq IS NOT NULL`,
    );
    const per = o.piecesPerFile;
    const files = Math.ceil(last / per);
    // Resume at the first file that still has pending pieces (files already
    // stored, and files whose every piece was left out, are done).
    const [{ first } = { first: null }] = await rows<{ first: number | null }>(
      deps.db.orm,
      sql`SELECT min(seq)::int AS first FROM pieces WHERE print_run_id = ${id}::uuid AND status = 'pending' AND seq IS NOT NULL`,
    );
    let next = first === null ? files + 1 : Math.ceil(first / per);
    const inFlight: Promise<void>[] = [];
    const results = new Map<number, { res: RenderResult; stored: StoredObject | null; ids: string[] }>();
    let committed = next - 1;
    const commitReady = async (): Promise<void> => {
      while (results.has(committed + 1)) {
        const n = committed + 1;
        const { res, stored, ids } = results.get(n)!;
        results.delete(n);
        const t0 = performance.now();
        await commitFile(deps, run!, res, stored, ids, (n - 1) * per + 1, Math.min(n * per, last));
        deps.logger.debug('print file stored', { runId: id, file: n, ms: Math.round(performance.now() - t0) });
        committed = n;
      }
    };
    const renderOne = async (n: number): Promise<void> => {
      const t0 = performance.now();
      const recipients = await recipientsOfRun(deps.db.orm, run!.dealerId, id, (n - 1) * per + 1, per);
      const inFile = recipients.filter((r) => r.seq <= n * per);
      const t1 = performance.now();
      // The file streams into storage as the renderer produces it.
      let out!: ReadableStreamDefaultController<Uint8Array>;
      const key = fileKey(run!, n);
      const storing = deps.storage.put(key, new ReadableStream<Uint8Array>({ start: (c) => void (out = c) }));
      let res: RenderResult;
      try {
        // Only what differs per piece crosses to the worker; it has the run's dealer and campaign.
        const pieces = inFile.map((r) => {
          const { contact, piece } = pieceContext(setup.run, r, r.token, deps.config.PUBLIC_BASE_URL);
          return { contact, piece };
        });
        res = await renderer.render(setup, { fileNo: n, pieces }, (chunk) => out.enqueue(chunk));
        out.close();
      } catch (e) {
        out.error(e);
        await storing.catch(() => {});
        if (!run!.files.some((f) => f.key === key)) await deps.storage.delete(key).catch(() => {});
        throw e;
      }
      let stored: StoredObject | null = await storing;
      if (res.bytes === 0) {
        if (!run!.files.some((f) => f.key === key)) await deps.storage.delete(key);
        stored = null;
      }
      deps.logger.debug('print file rendered', { runId: id, file: n, readMs: Math.round(t1 - t0), renderMs: Math.round(performance.now() - t1) });
      results.set(n, { res, stored, ids: inFile.map((r) => r.piece_id) });
    };
    let failure: unknown = null;
    while (next <= files && failure === null) {
      if (signal.aborted || (await load())?.status !== 'rendering') break;
      const n = next++;
      // Every in-flight file has its failure handled: the first one fails the run.
      const p = renderOne(n)
        .then(commitReady)
        .catch((e: unknown) => {
          failure ??= e;
        });
      inFlight.push(p);
      if (inFlight.length >= renderer.size) await inFlight.shift();
    }
    await Promise.all(inFlight);
    if (failure !== null) throw failure;
    await commitReady();
    run = (await load())!;
    if (run.status !== 'rendering' || signal.aborted) return;
    await finish(deps, run, setup);
  } catch (e) {
    deps.logger.error('print run failed', { runId: id, err: errorField(e) });
    // Template problems (e.g. the dealer's print profile changed since the run was
    // created) are the user's to fix: say what they are. Anything else is ours.
    const message = (e as Error).message ?? '';
    const error = message.startsWith('the template cannot be printed') ? message.slice(0, 2000) : 'the print run failed; see the service log';
    await deps.db.orm
      .update(printRuns)
      .set({ status: 'failed', error, finishedAt: deps.clock.now() })
      .where(and(eq(printRuns.id, id), sql`${printRuns.status} IN ('queued', 'rendering')`));
  }
}

// ── manifest, exclusions, job ticket ──────────────────────────────────────────
/** A stream that pulls its text page by page until `next` returns an empty string. */
function pagedStream(next: () => Promise<string>): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(ctl) {
      const text = await next();
      if (text === '') ctl.close();
      else ctl.enqueue(enc.encode(text));
    },
  });
}

/**
 * Write the run's manifest and excluded CSVs (names read from contacts as they
 * are now: an erased contact's name is blank). The manifest's checksum and size.
 */
async function writeListings(deps: Deps, run: PrintRunRow): Promise<{ sha256: string; bytes: number; key: string }> {
  const db = deps.db.orm;
  const base = `print-runs/${run.dealerId}/${run.id}`;
  const PAGE = LISTING_PAGE;
  // Manifest in presort order, keyset-paged by sequence.
  let lastSeq = 0;
  let header = true;
  const manifest = pagedStream(async () => {
    const out: string[] = [];
    if (header) {
      header = false;
      out.push(CSV_BOM + csvLine(['sequence', 'piece_id', 'contact_id', 'name', 'postcode', 'file', 'page']));
    }
    const batch = await rows<{ seq: number; id: string; contact_id: string; name: string | null; postcode: string | null; file_no: number; page: number }>(
      db,
      sql`SELECT p.seq, p.id, p.contact_id, c.full_name AS name, p.postcode, p.file_no, p.page
          FROM pieces p JOIN contacts c ON c.id = p.contact_id AND c.dealer_id = p.dealer_id
          WHERE p.print_run_id = ${run.id}::uuid AND p.status = 'rendered' AND p.seq > ${lastSeq}
          ORDER BY p.seq LIMIT ${PAGE}`,
    );
    for (const r of batch) out.push(csvLine([r.seq, r.id, r.contact_id, r.name, r.postcode, fileName(run, r.file_no), r.page]));
    if (batch.length) lastSeq = batch[batch.length - 1]!.seq;
    return out.join('');
  });
  const manifestKey = `${base}/manifest.csv`;
  const manifestStored = await deps.storage.put(manifestKey, manifest);
  let lastId = '00000000-0000-0000-0000-000000000000';
  let xHeader = true;
  const excluded = pagedStream(async () => {
    const out: string[] = [];
    if (xHeader) {
      xHeader = false;
      out.push(CSV_BOM + csvLine(['piece_id', 'contact_id', 'name', 'postcode', 'reason']));
    }
    const batch = await rows<{ id: string; contact_id: string; name: string | null; postcode: string | null; reason: string | null }>(
      db,
      sql`SELECT p.id, p.contact_id, c.full_name AS name, c.postcode, p.reason
          FROM pieces p JOIN contacts c ON c.id = p.contact_id AND c.dealer_id = p.dealer_id
          WHERE p.print_run_id = ${run.id}::uuid AND p.status = 'excluded' AND p.id > ${lastId}::uuid
          ORDER BY p.id LIMIT ${PAGE}`,
    );
    for (const r of batch) out.push(csvLine([r.id, r.contact_id, r.name, r.postcode, r.reason]));
    if (batch.length) lastId = batch[batch.length - 1]!.id;
    return out.join('');
  });
  await deps.storage.put(`${base}/excluded.csv`, excluded);
  return { sha256: manifestStored.sha256, bytes: manifestStored.bytes, key: manifestKey };
}

const LISTING_PAGE = 5000;

async function finish(deps: Deps, run: PrintRunRow, setup: RenderSetup): Promise<void> {
  const db = deps.db.orm;
  const base = `print-runs/${run.dealerId}/${run.id}`;
  const PAGE = LISTING_PAGE;
  const manifestStored = await writeListings(deps, run);
  const manifestKey = manifestStored.key;
  const o = run.options as unknown as RunOptions;
  const fallback = o.wave?.fallback?.[0];
  if (o.wave && fallback) {
    // The wave's next channel for everyone this drop leaves out (but household members, whom the household's piece reaches).
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const batch = await rows<{ id: string; contact_id: string }>(
        db,
        sql`SELECT id, contact_id FROM pieces WHERE print_run_id = ${run.id}::uuid AND status = 'excluded' AND reason <> ${HOUSEHOLD_DUPLICATE}
            AND id > ${after}::uuid ORDER BY id LIMIT ${PAGE}`,
      );
      if (batch.length === 0) break;
      const now = deps.clock.now();
      await addDeliveries(
        db,
        now,
        batch.map((p) => ({ dealerId: run.dealerId, campaignId: o.wave!.campaignId, waveId: o.wave!.waveId, contactId: p.contact_id, channel: fallback, templateVersionId: run.templateVersionId, variant: o.wave!.variant ?? null, dueAt: now })),
      );
      after = batch[batch.length - 1]!.id;
    }
  }
  const fresh = (await db.select().from(printRuns).where(eq(printRuns.id, run.id)))[0]!;
  const layout = setup.body.layout;
  const ticket = {
    printRun: run.id,
    title: setup.title,
    template: { id: (run.options as unknown as RunOptions).templateId, version: (run.options as unknown as RunOptions).templateVersion },
    trim: { widthMm: layout.width, heightMm: layout.height },
    bleedMm: layout.bleed,
    cropMarks: (run.options as unknown as RunOptions).cropMarks,
    panels: layout.pages.map((p) => p.name),
    pagesPerPiece: layout.pages.length,
    stock: layout.stock,
    colour: 'CMYK process',
    outputIntent: setup.outputIntent.identifier,
    pdfStandard: 'PDF/X-4',
    presort: 'postcode ascending',
    quantity: fresh.piecesRendered,
    excluded: fresh.piecesExcluded,
    files: fresh.files.map((f) => ({ name: f.name, pieces: f.pieces, pages: f.pages, bytes: f.bytes, sha256: f.sha256, firstSequence: f.firstSeq, lastSequence: f.lastSeq })),
    manifest: { name: 'manifest.csv', sha256: manifestStored.sha256, bytes: manifestStored.bytes },
    createdAt: setup.createdAt,
  };
  const ticketBytes = new TextEncoder().encode(JSON.stringify(ticket, null, 2));
  await deps.storage.put(`${base}/ticket.json`, ticketBytes);
  await db
    .update(printRuns)
    // A campaign's print wave becomes a print job awaiting release to the printer.
    .set({ status: 'completed', ticket, manifestKey, finishedAt: deps.clock.now(), ...(run.campaignId ? { jobStatus: 'pending_approval' } : {}) })
    .where(and(eq(printRuns.id, run.id), eq(printRuns.status, 'rendering')));
}

/** After a restart: queue every run that had not finished (each resumes after its last stored file). */
export async function resumePrintRuns(deps: Deps): Promise<number> {
  const found = await deps.db.orm
    .select({ id: printRuns.id })
    .from(printRuns)
    .where(sql`${printRuns.status} IN ('queued', 'rendering')`)
    .orderBy(printRuns.id);
  for (const r of found) deps.jobs.enqueue('print-run', r.id);
  return found.length;
}

// ── the print job: release to the printer, download, printed, mailed ──────────
const JOB_STEPS = { release: ['pending_approval', null], downloaded: ['released'], printed: ['released', 'downloaded'], mailed: ['printed'] } as const;

/**
 * Move a completed run's print job on: release (marketer or admin) → downloaded
 * (the printer's first download) → printed → mailed, with the mail date, which
 * starts the campaign's response window.
 */
export async function advanceJob(deps: Deps, dealerId: string, id: string, step: keyof typeof JOB_STEPS, mailedOn?: string): Promise<PrintRunRow> {
  const run = await getPrintRun(deps, dealerId, id);
  if (run.status !== 'completed') throw conflict('run_not_completed', `the print run is ${run.status}; its files are not ready`);
  const from = JOB_STEPS[step] as readonly (string | null)[];
  if (!from.includes(run.jobStatus)) throw conflict('invalid_transition', `the print job is ${run.jobStatus ?? 'not released'}; it cannot be marked ${step}`);
  const now = deps.clock.now();
  const set =
    step === 'release'
      ? { jobStatus: 'released', releasedAt: now }
      : step === 'downloaded'
        ? { jobStatus: 'downloaded', downloadedAt: now }
        : step === 'printed'
          ? { jobStatus: 'printed', printedAt: now }
          : { jobStatus: 'mailed', mailedOn: mailedOn ?? localDate(now, (await getDealer(deps.db.orm, dealerId))?.timezone ?? 'Asia/Shanghai') };
  const [row] = await deps.db.orm
    .update(printRuns)
    .set(set)
    .where(and(eq(printRuns.id, id), run.jobStatus === null ? sql`${printRuns.jobStatus} IS NULL` : eq(printRuns.jobStatus, run.jobStatus)))
    .returning();
  if (!row) throw conflict('concurrent_change', 'the print job changed meanwhile; reload it');
  return row;
}

/**
 * After a contact is erased: rewrite the manifest and excluded list of every
 * completed run holding one of their pieces whose job is not yet printed (a
 * printed job's files are with the printer), and the job ticket's manifest
 * checksum. The number of runs rewritten.
 */
export async function rewriteListingsFor(deps: Deps, dealerId: string, contactId: string): Promise<number> {
  const runs = await deps.db.orm
    .select()
    .from(printRuns)
    .where(
      and(
        eq(printRuns.dealerId, dealerId),
        eq(printRuns.status, 'completed'),
        sql`${printRuns.jobStatus} IS DISTINCT FROM 'printed' AND ${printRuns.jobStatus} IS DISTINCT FROM 'mailed'`,
        sql`EXISTS (SELECT 1 FROM pieces p WHERE p.print_run_id = ${printRuns.id} AND p.contact_id = ${contactId}::uuid)`,
      ),
    );
  for (const run of runs) {
    const m = await writeListings(deps, run);
    if (run.ticket) {
      const ticket = { ...run.ticket, manifest: { name: 'manifest.csv', sha256: m.sha256, bytes: m.bytes } };
      await deps.storage.put(`print-runs/${run.dealerId}/${run.id}/ticket.json`, new TextEncoder().encode(JSON.stringify(ticket, null, 2)));
      await deps.db.orm.update(printRuns).set({ ticket }).where(eq(printRuns.id, run.id));
    }
  }
  return runs.length;
}

// ── time-limited signed download links (the printer portal) ─────────────────
/** A completed run's listings, downloadable beside its PDF files. */
export const LISTING_NAMES = ['manifest.csv', 'excluded.csv', 'ticket.json'] as const;
const LINK_MINUTES = 15;

/** What a download link's signature covers: the dealer, the run, the file, who asked (and their role), the expiry. */
export const downloadLinkPayload = (dealerId: string, runId: string, name: string, actor: string, role: string, exp: number) => `${dealerId}\n${runId}\n${name}\n${actor}\n${role}\n${exp}`;

/**
 * Links to every file of a run that work without credentials for 15 minutes
 * (for a print shop's download manager): each names the run, the file and
 * who asked, signed with LINK_SECRET; each use is in the audit log (GET /dl/…).
 */
export function downloadLinks(deps: Deps, run: PrintRunRow, actor: string, role: string): { expiresAt: string; links: { name: string; url: string }[] } {
  const exp = Math.floor(deps.clock.now().getTime() / 1000) + LINK_MINUTES * 60;
  const base = deps.config.PUBLIC_BASE_URL.replace(/\/+$/, '');
  const names = [...run.files.map((f) => f.name), ...(run.status === 'completed' ? LISTING_NAMES : [])];
  const links = names.map((name) => {
    const q = new URLSearchParams({ a: actor, r: role, e: String(exp), s: signature(deps.config.LINK_SECRET, 'download', downloadLinkPayload(run.dealerId, run.id, name, actor, role, exp)) });
    return { name, url: `${base}/dl/${run.id}/${encodeURIComponent(name)}?${q}` };
  });
  return { expiresAt: new Date(exp * 1000).toISOString(), links };
}
