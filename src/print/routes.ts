// /v1/print-runs: print-ready files for the print shop, with progress, the
// manifest, the excluded pieces (with reasons) and the job ticket.
import { Hono, type Context } from 'hono';
import type { AppEnv } from '../http/context';
import { idempotent } from '../http/idempotency';
import { decodeCursor, page, pageQuery } from '../http/pagination';
import { requireRole } from '../http/tenancy';
import { jsonBody, queryParams, uuidParam } from '../http/validate';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { printRuns } from '../db/schema-print';
import { conflict, notFound } from '../lib/errors';
import { audit } from '../staff/audit';
import { isUuid, sha256Hex } from '../lib/ids';
import { verifySignature } from '../channels/links';
import { advanceJob, cancelPrintRun, createPrintRun, downloadLinkPayload, downloadLinks, LISTING_NAMES, listPrintRuns, presentPrintRun, printRunBody, RELEASED_JOB_STATUSES, runLabel, visiblePrintRun, type PrintRunRow } from './runs';

export const printRunRoutes = new Hono<AppEnv>();
const write = requireRole('admin', 'marketer');
const RELEASED: readonly string[] = RELEASED_JOB_STATUSES;

/** Printers see a dealer's print jobs only once released to them; everyone else sees every run. */
async function visibleRun(c: Context<AppEnv>) {
  return visiblePrintRun(c.get('deps'), c.get('auth'), uuidParam(c.req.param('id'), 'print run'));
}

printRunRoutes.post('/', write, async (c) => {
  const input = await jsonBody(c, printRunBody);
  const deps = c.get('deps');
  const { dealerId } = c.get('auth');
  return idempotent(c, await sha256Hex(JSON.stringify(input)), async () => ({
    status: 202,
    body: presentPrintRun(await createPrintRun(deps, dealerId, input)),
  }));
});

printRunRoutes.get('/', async (c) => {
  const q = queryParams(c, pageQuery);
  const found = await listPrintRuns(c.get('deps'), c.get('auth'), { after: decodeCursor(q.cursor), limit: q.limit + 1 });
  const p = page(found, q.limit);
  return c.json({ data: p.data.map(presentPrintRun), nextCursor: p.nextCursor });
});

printRunRoutes.get('/:id', async (c) => c.json(presentPrintRun(await visibleRun(c))));

/** Release a completed run to the print shop. */
printRunRoutes.post('/:id/release', write, async (c) =>
  c.json(presentPrintRun(await advanceJob(c.get('deps'), c.get('auth').dealerId, (await visibleRun(c)).id, 'release'))),
);
const shop = requireRole('admin', 'marketer', 'printer');
printRunRoutes.post('/:id/printed', shop, async (c) =>
  c.json(presentPrintRun(await advanceJob(c.get('deps'), c.get('auth').dealerId, (await visibleRun(c)).id, 'printed'))),
);
printRunRoutes.post('/:id/mailed', shop, async (c) => {
  const body = await jsonBody(c, z.object({ mailedOn: z.string().date().optional() }));
  return c.json(presentPrintRun(await advanceJob(c.get('deps'), c.get('auth').dealerId, (await visibleRun(c)).id, 'mailed', body.mailedOn)));
});

printRunRoutes.post('/:id/cancel', write, async (c) =>
  c.json(presentPrintRun(await cancelPrintRun(c.get('deps'), c.get('auth').dealerId, uuidParam(c.req.param('id'), 'print run')))),
);

/** A stored file as a download; every download is in the audit log. */
async function streamStored(c: Context<AppEnv>, who: { dealerId: string; actor: string }, key: string, type: string, filename: string, runId: string) {
  const deps = c.get('deps');
  const body = await deps.storage.get(key);
  await audit(deps.db.orm, deps.clock, { dealerId: who.dealerId, actor: who.actor, action: 'download', subject: { type: 'print_run', id: runId }, data: { file: filename } });
  return new Response(body, { headers: { 'Content-Type': type, 'Content-Disposition': `attachment; filename="${filename}"`, 'Cache-Control': 'no-store' } });
}

const LISTING_TYPES: Record<(typeof LISTING_NAMES)[number], string> = {
  'manifest.csv': 'text/csv; charset=utf-8',
  'excluded.csv': 'text/csv; charset=utf-8',
  'ticket.json': 'application/json',
};
const LISTINGS = LISTING_NAMES.map((n) => [n, LISTING_TYPES[n]] as const);

/** The stored file of a run by its download name (a PDF, or manifest/excluded/ticket once the run completed); null when none. */
function fileOf(run: PrintRunRow, name: string): { key: string; type: string; filename: string } | null {
  const f = run.files.find((x) => x.name === name);
  if (f) return { key: f.key, type: 'application/pdf', filename: f.name };
  const listing = LISTINGS.find(([n]) => n === name);
  if (!listing) return null;
  if (run.status !== 'completed') throw conflict('run_not_completed', `the print run is ${run.status}; ${name} is written when it completes`);
  return { key: `print-runs/${run.dealerId}/${run.id}/${name}`, type: listing[1], filename: `${runLabel(run.id)}-${name}` };
}

/** The printer's first download moves the job on. */
async function downloaded(c: Context<AppEnv>, run: PrintRunRow, role: string) {
  if (role === 'printer' && run.jobStatus === 'released') await advanceJob(c.get('deps'), run.dealerId, run.id, 'downloaded').catch(() => {});
}

printRunRoutes.get('/:id/files/:name', async (c) => {
  const run = await visibleRun(c);
  const f = run.files.find((x) => x.name === c.req.param('name'));
  if (!f) throw notFound('print file');
  await downloaded(c, run, c.get('auth').role);
  return streamStored(c, { dealerId: run.dealerId, actor: c.get('auth').tokenId }, f.key, 'application/pdf', f.name, run.id);
});

for (const [name] of LISTINGS) {
  printRunRoutes.get(`/:id/${name}`, async (c) => {
    const run = await visibleRun(c);
    const f = fileOf(run, name)!;
    return streamStored(c, { dealerId: run.dealerId, actor: c.get('auth').tokenId }, f.key, f.type, f.filename, run.id);
  });
}

// ── time-limited signed download links (the printer portal) ─────────────────
/** Links to every file of the run that work without credentials for a while (see downloadLinks). */
printRunRoutes.get('/:id/links', async (c) => {
  const run = await visibleRun(c);
  const { tokenId, role } = c.get('auth');
  return c.json(downloadLinks(c.get('deps'), run, tokenId, role));
});

/** GET /dl/:run/:name?a&r&e&s — mounted outside /v1: the signature is the credential. */
export const downloadRoutes = new Hono<AppEnv>();
downloadRoutes.get('/:run/:name', async (c) => {
  const deps = c.get('deps');
  const runId = c.req.param('run');
  const name = c.req.param('name');
  const [actor, role, exp, sig] = [c.req.query('a') ?? '', c.req.query('r') ?? '', Number(c.req.query('e')), c.req.query('s') ?? ''];
  const gone = () => c.json({ error: { code: 'link_invalid', message: 'this download link is not valid or has expired; ask for a new one', details: null } }, 403);
  if (!isUuid(runId) || !Number.isInteger(exp) || exp * 1000 < deps.clock.now().getTime()) return gone();
  const [run] = await deps.db.orm.select().from(printRuns).where(eq(printRuns.id, runId));
  if (!run || !verifySignature(deps.config.LINK_SECRET, 'download', downloadLinkPayload(run.dealerId, run.id, name, actor, role, exp), sig)) return gone();
  // A printer's link stops working if the job is taken back from the print shop.
  if (role === 'printer' && !RELEASED.includes(run.jobStatus ?? '')) return gone();
  const f = fileOf(run, name);
  if (!f) return gone();
  await downloaded(c, run, role);
  return streamStored(c, { dealerId: run.dealerId, actor }, f.key, f.type, f.filename, run.id);
});
