import { eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { imports } from '../db/schema';
import { stream } from 'hono/streaming';
import type { AppEnv } from '../http/context';
import { idempotent } from '../http/idempotency';
import { decodeCursor, page, pageQuery } from '../http/pagination';
import { requireRole } from '../http/tenancy';
import { parseWith, queryParams, uuidParam } from '../http/validate';
import { CSV_BOM, csvLine } from '../lib/csv';
import { audit } from '../staff/audit';
import { badRequest } from '../lib/errors';
import { cancelImport, createImport, storeUpload, getImport, importErrorRows, importOptions, listImports, presentImport } from './service';

export const importRoutes = new Hono<AppEnv>();

const id = (s: string) => uuidParam(s, 'import');

/** The file's name as a browser upload sends it (X-File-Name, URI-encoded); ?filename= wins. */
function headerFileName(h: string | undefined): string | undefined {
  if (!h) return undefined;
  try {
    return decodeURIComponent(h).slice(0, 255) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Upload a list: the request body is the CSV file itself (any Content-Type but
 * multipart). Options ride in the query string; `mapping` is JSON. The file's
 * name is ?filename= or the X-File-Name header.
 */
importRoutes.post('/', requireRole('admin', 'marketer'), async (c) => {
  const q = c.req.query();
  let mapping: unknown;
  if (q.mapping) {
    try {
      mapping = JSON.parse(q.mapping);
    } catch {
      throw badRequest('mapping must be JSON: {"column header": "field"}', { path: 'query.mapping' });
    }
  }
  const opts = parseWith(importOptions, { ...q, filename: q.filename ?? headerFileName(c.req.header('x-file-name')), mapping }, 'query');
  if ((c.req.header('content-type') ?? '').startsWith('multipart/')) {
    throw badRequest('send the CSV file as the raw request body, not multipart form data');
  }
  const body = c.req.raw.body;
  if (!body) throw badRequest('the request has no body: send the CSV file as the body');
  const deps = c.get('deps');
  const { dealerId } = c.get('auth');
  const upload = await storeUpload(deps, dealerId, body);
  // The file's hash identifies the request for Idempotency-Key replays.
  try {
    return await idempotent(
      c,
      `${upload.sha256}:${JSON.stringify(opts)}`,
      async () => ({ status: 202, body: presentImport(await createImport(deps, dealerId, upload, opts)) }),
      { onReplay: () => deps.storage.delete(upload.fileKey) },
    );
  } catch (e) {
    // No import row points at the file: do not keep personal data nobody can reach.
    const [row] = await deps.db.orm.select({ id: imports.id }).from(imports).where(eq(imports.id, upload.id));
    if (!row) await deps.storage.delete(upload.fileKey).catch(() => {});
    throw e;
  }
});

importRoutes.get('/', async (c) => {
  const q = queryParams(c, pageQuery);
  const rows = await listImports(c.get('deps'), c.get('auth').dealerId, q.limit, decodeCursor(q.cursor));
  const p = page(rows, q.limit);
  return c.json({ data: p.data.map(presentImport), nextCursor: p.nextCursor });
});

importRoutes.get('/:id', async (c) => {
  const row = await getImport(c.get('deps'), c.get('auth').dealerId, id(c.req.param('id')));
  return c.json(presentImport(row));
});

importRoutes.post('/:id/cancel', requireRole('admin', 'marketer'), async (c) => {
  const row = await cancelImport(c.get('deps'), c.get('auth').dealerId, id(c.req.param('id')));
  return c.json(presentImport(row));
});

/** The per-row error report: row, column, reason, value. */
importRoutes.get('/:id/errors.csv', async (c) => {
  const deps = c.get('deps');
  const auth = c.get('auth');
  const row = await getImport(deps, auth.dealerId, id(c.req.param('id')));
  await audit(deps.db.orm, deps.clock, { dealerId: auth.dealerId, actor: auth.tokenId, action: 'export', subject: { type: 'import', id: row.id }, data: { file: 'errors.csv' } });
  c.header('Content-Type', 'text/csv; charset=utf-8');
  c.header('Content-Disposition', `attachment; filename="import-${row.id}-errors.csv"`);
  return stream(c, async (s) => {
    await s.write(CSV_BOM + csvLine(['row', 'column', 'reason', 'value']));
    let buf = '';
    for await (const e of importErrorRows(deps, row.id)) {
      buf += csvLine([e.rowNumber, e.column, e.reason, e.value]);
      if (buf.length > 64 * 1024) {
        await s.write(buf);
        buf = '';
      }
    }
    if (buf) await s.write(buf);
  });
});
