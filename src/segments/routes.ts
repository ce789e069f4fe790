// /v1/segments: saved audience rules, their live counts and previews.
// Every role but printer reads; admin and marketer write.
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../http/context';
import { idempotent } from '../http/idempotency';
import { decodeCursor, page, pageQuery } from '../http/pagination';
import { requireRole } from '../http/tenancy';
import { jsonBody, queryParams } from '../http/validate';
import { sha256Hex } from '../lib/ids';
import { parseRule } from './rules';
import {
  archiveSegment,
  canonicalJson,
  createSegment,
  createSegmentBody,
  getSegment,
  listSegments,
  presentSegment,
  previewBody,
  previewQuery,
  previewRule,
  previewSegment,
  updateSegment,
  updateSegmentBody,
} from './service';

export const segmentRoutes = new Hono<AppEnv>();

const write = requireRole('admin', 'marketer');
segmentRoutes.use('*', requireRole('admin', 'marketer', 'manager'));

const listQuery = pageQuery.extend({ archived: z.enum(['true', 'false']).optional() });

segmentRoutes.post('/', write, async (c) => {
  const body = await jsonBody(c, createSegmentBody);
  const rule = parseRule(body.rule);
  const deps = c.get('deps');
  const { dealerId } = c.get('auth');
  const input = { name: body.name, description: body.description ?? null, rule };
  return idempotent(c, await sha256Hex(canonicalJson(input)), async () => ({
    status: 201,
    body: presentSegment(await createSegment(deps, dealerId, input)),
  }));
});

segmentRoutes.get('/', async (c) => {
  const q = queryParams(c, listQuery);
  const found = await listSegments(c.get('deps'), c.get('auth').dealerId, {
    limit: q.limit,
    after: decodeCursor(q.cursor),
    includeArchived: q.archived === 'true',
  });
  const p = page(found, q.limit);
  return c.json({ data: p.data.map(presentSegment), nextCursor: p.nextCursor });
});

/** Check a rule without saving it: 200 { valid: true } or 400 invalid_rule. */
segmentRoutes.post('/validate', async (c) => {
  const body = await jsonBody(c, z.object({ rule: z.unknown().optional() }));
  parseRule(body.rule);
  return c.json({ valid: true });
});

/** Count and sample an unsaved rule: what the segment editor shows while typing. */
segmentRoutes.post('/preview', async (c) => {
  const body = await jsonBody(c, previewBody);
  return c.json(await previewRule(c.get('deps'), c.get('auth').dealerId, body.rule, body.limit));
});

segmentRoutes.get('/:id', async (c) => {
  return c.json(presentSegment(await getSegment(c.get('deps'), c.get('auth').dealerId, c.req.param('id'))));
});

segmentRoutes.get('/:id/preview', async (c) => {
  const q = queryParams(c, previewQuery);
  return c.json(await previewSegment(c.get('deps'), c.get('auth').dealerId, c.req.param('id'), q.limit));
});

segmentRoutes.put('/:id', write, async (c) => {
  const body = await jsonBody(c, updateSegmentBody);
  const row = await updateSegment(c.get('deps'), c.get('auth').dealerId, c.req.param('id'), body);
  return c.json(presentSegment(row));
});

/** Archives: a segment a campaign used stays readable. */
segmentRoutes.delete('/:id', write, async (c) => {
  return c.json(presentSegment(await archiveSegment(c.get('deps'), c.get('auth').dealerId, c.req.param('id'))));
});
