// /v1/print-runs: print-ready files for the print shop, with progress, the
// manifest, the excluded pieces (with reasons) and the job ticket.
import { Hono, type Context } from 'hono';
import type { AppEnv } from '../http/context';
import { idempotent } from '../http/idempotency';
import { decodeCursor, page, pageQuery } from '../http/pagination';
import { requireRole } from '../http/tenancy';
import { jsonBody, queryParams, uuidParam } from '../http/validate';
import { and, asc, eq, gt } from 'drizzle-orm';
import { printRuns } from '../db/schema-print';
import { conflict, notFound } from '../lib/errors';
import { sha256Hex } from '../lib/ids';
import { cancelPrintRun, createPrintRun, getPrintRun, presentPrintRun, printRunBody, runLabel } from './runs';

export const printRunRoutes = new Hono<AppEnv>();
const write = requireRole('admin', 'marketer');

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
    .where(and(eq(printRuns.dealerId, c.get('auth').dealerId), after ? gt(printRuns.id, after) : undefined))
    .orderBy(asc(printRuns.id))
    .limit(q.limit + 1);
  const p = page(found, q.limit);
  return c.json({ data: p.data.map(presentPrintRun), nextCursor: p.nextCursor });
});

printRunRoutes.get('/:id', async (c) => c.json(presentPrintRun(await getPrintRun(c.get('deps'), c.get('auth').dealerId, uuidParam(c.req.param('id'), 'print run')))));

printRunRoutes.post('/:id/cancel', write, async (c) =>
  c.json(presentPrintRun(await cancelPrintRun(c.get('deps'), c.get('auth').dealerId, uuidParam(c.req.param('id'), 'print run')))),
);

async function streamStored(c: Context<AppEnv>, key: string, type: string, filename: string) {
  const body = await c.get('deps').storage.get(key);
  return new Response(body, { headers: { 'Content-Type': type, 'Content-Disposition': `attachment; filename="${filename}"` } });
}

printRunRoutes.get('/:id/files/:name', async (c) => {
  const run = await getPrintRun(c.get('deps'), c.get('auth').dealerId, uuidParam(c.req.param('id'), 'print run'));
  const f = run.files.find((x) => x.name === c.req.param('name'));
  if (!f) throw notFound('print file');
  return streamStored(c, f.key, 'application/pdf', f.name);
});

for (const [name, type] of [
  ['manifest.csv', 'text/csv; charset=utf-8'],
  ['excluded.csv', 'text/csv; charset=utf-8'],
  ['ticket.json', 'application/json'],
] as const) {
  printRunRoutes.get(`/:id/${name}`, async (c) => {
    const run = await getPrintRun(c.get('deps'), c.get('auth').dealerId, uuidParam(c.req.param('id'), 'print run'));
    if (run.status !== 'completed') throw conflict('run_not_completed', `the print run is ${run.status}; ${name} is written when it completes`);
    return streamStored(c, `print-runs/${run.dealerId}/${run.id}/${name}`, type, `${runLabel(run.id)}-${name}`);
  });
}
