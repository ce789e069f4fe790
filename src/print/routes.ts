// /v1/print-runs: print-ready files for the print shop, with progress, the
// manifest, the excluded pieces (with reasons) and the job ticket.
import { Hono, type Context } from 'hono';
import type { AppEnv } from '../http/context';
import { idempotent } from '../http/idempotency';
import { decodeCursor, page, pageQuery } from '../http/pagination';
import { requireRole } from '../http/tenancy';
import { jsonBody, queryParams, uuidParam } from '../http/validate';
import { and, asc, eq, gt, inArray } from 'drizzle-orm';
import { z } from 'zod';
import { printRuns } from '../db/schema-print';
import { conflict, notFound } from '../lib/errors';
import { audit } from '../staff/audit';
import { sha256Hex } from '../lib/ids';
import { advanceJob, cancelPrintRun, createPrintRun, getPrintRun, presentPrintRun, printRunBody, runLabel } from './runs';

export const printRunRoutes = new Hono<AppEnv>();
const write = requireRole('admin', 'marketer');
const RELEASED = ['released', 'downloaded', 'printed', 'mailed'];

/** Printers see a dealer's print jobs only once released to them; everyone else sees every run. */
async function visibleRun(c: Context<AppEnv>) {
  const run = await getPrintRun(c.get('deps'), c.get('auth').dealerId, uuidParam(c.req.param('id'), 'print run'));
  if (c.get('auth').role === 'printer' && !RELEASED.includes(run.jobStatus ?? '')) throw notFound('print run');
  return run;
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
  const after = decodeCursor(q.cursor);
  const found = await c
    .get('deps')
    .db.orm.select()
    .from(printRuns)
    .where(
      and(
        eq(printRuns.dealerId, c.get('auth').dealerId),
        after ? gt(printRuns.id, after) : undefined,
        c.get('auth').role === 'printer' ? inArray(printRuns.jobStatus, RELEASED) : undefined,
      ),
    )
    .orderBy(asc(printRuns.id))
    .limit(q.limit + 1);
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
async function streamStored(c: Context<AppEnv>, key: string, type: string, filename: string, runId: string) {
  const deps = c.get('deps');
  const auth = c.get('auth');
  const body = await deps.storage.get(key);
  await audit(deps.db.orm, deps.clock, { dealerId: auth.dealerId, actor: auth.tokenId, action: 'download', subject: { type: 'print_run', id: runId }, data: { file: filename } });
  return new Response(body, { headers: { 'Content-Type': type, 'Content-Disposition': `attachment; filename="${filename}"` } });
}

printRunRoutes.get('/:id/files/:name', async (c) => {
  const run = await visibleRun(c);
  const f = run.files.find((x) => x.name === c.req.param('name'));
  if (!f) throw notFound('print file');
  // The printer's first download moves the job on.
  if (c.get('auth').role === 'printer' && run.jobStatus === 'released') await advanceJob(c.get('deps'), run.dealerId, run.id, 'downloaded').catch(() => {});
  return streamStored(c, f.key, 'application/pdf', f.name, run.id);
});

for (const [name, type] of [
  ['manifest.csv', 'text/csv; charset=utf-8'],
  ['excluded.csv', 'text/csv; charset=utf-8'],
  ['ticket.json', 'application/json'],
] as const) {
  printRunRoutes.get(`/:id/${name}`, async (c) => {
    const run = await visibleRun(c);
    if (run.status !== 'completed') throw conflict('run_not_completed', `the print run is ${run.status}; ${name} is written when it completes`);
    return streamStored(c, `print-runs/${run.dealerId}/${run.id}/${name}`, type, `${runLabel(run.id)}-${name}`, run.id);
  });
}
