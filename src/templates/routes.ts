// /v1/templates, /v1/assets, /v1/dealer/print-profile: what pieces look like.
// Admin and marketer write; manager reads; printers see print jobs only.
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../http/context';
import { idempotent } from '../http/idempotency';
import { decodeCursor, page, pageQuery } from '../http/pagination';
import { requireRole } from '../http/tenancy';
import { jsonBody, queryParams, uuidParam } from '../http/validate';
import { badRequest } from '../lib/errors';
import { readBytes } from '../lib/storage';
import { sha256Hex } from '../lib/ids';
import { builtinTemplates } from './builtin';
import {
  createAsset,
  createTemplate,
  getAsset,
  getPrintProfile,
  getTemplate,
  getVersion,
  listTemplates,
  listVersions,
  proof,
  putPrintProfile,
  thumbnail,
  updateTemplate,
  validateForAudience,
  checkBody,
  type AssetRow,
  type TemplateRow,
  type VersionRow,
} from './service';

const write = requireRole('admin', 'marketer');
const uuid = z.string().uuid();

const audienceSchema = z
  .object({ contactIds: z.array(uuid).min(1).max(1000).optional(), segmentId: uuid.optional() })
  .refine((a) => !!a.contactIds !== !!a.segmentId, 'give exactly one of contactIds or segmentId');
const campaignFields = z.object({ name: z.string().max(200).nullish(), eventDate: z.string().date().nullish(), offer: z.string().max(500).nullish() });

function presentTemplate(t: TemplateRow) {
  return {
    id: t.id,
    name: t.name,
    purpose: t.purpose,
    locale: t.locale,
    builtin: t.builtin,
    latestVersion: t.latestVersion,
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
  };
}

function presentVersion(v: VersionRow) {
  return { id: v.id, version: v.version, note: v.note, body: v.body, createdAt: v.createdAt.toISOString() };
}

function presentAsset(a: AssetRow) {
  return { id: a.id, name: a.name, contentType: a.contentType, bytes: a.bytes, sha256: a.sha256, width: a.width, height: a.height, createdAt: a.createdAt.toISOString() };
}

function versionParam(s: string | undefined): number | 'latest' {
  if (s === 'latest') return 'latest';
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw badRequest('version must be a positive integer or "latest"', { path: 'version' });
  return n;
}

// ── templates ─────────────────────────────────────────────────────────────────
export const templateRoutes = new Hono<AppEnv>();

/** The built-in templates a dealer can start from. */
templateRoutes.get('/builtin', (c) =>
  c.json({
    data: builtinTemplates().map((t) => ({
      id: t.id,
      name: t.name,
      description: t.description,
      purpose: t.body.purpose,
      locale: t.body.locale,
      trim: { widthMm: t.body.layout.width, heightMm: t.body.layout.height, bleedMm: t.body.layout.bleed },
      pages: t.body.layout.pages.map((p) => p.name),
      survey: t.body.survey ?? null,
    })),
  }),
);

const createBody = z
  .object({ name: z.string().min(1).max(200), builtin: z.string().max(100).optional(), body: z.unknown().optional(), note: z.string().max(500).nullish() })
  .refine((b) => (b.builtin === undefined) !== (b.body === undefined), 'give exactly one of builtin or body');

templateRoutes.post('/', write, async (c) => {
  const input = await jsonBody(c, createBody);
  const deps = c.get('deps');
  const { dealerId } = c.get('auth');
  return idempotent(c, await sha256Hex(JSON.stringify(input)), async () => {
    const r = await createTemplate(deps, dealerId, input);
    return { status: 201, body: { ...presentTemplate(r.template), version: presentVersion(r.version) } };
  });
});

templateRoutes.get('/', async (c) => {
  const q = queryParams(c, pageQuery);
  const found = await listTemplates(c.get('deps').db.orm, c.get('auth').dealerId, q.limit, decodeCursor(q.cursor));
  const p = page(found, q.limit);
  return c.json({ data: p.data.map(presentTemplate), nextCursor: p.nextCursor });
});

/** Check a body without saving it. */
templateRoutes.post('/validate', async (c) => {
  const input = await jsonBody(c, z.object({ body: z.unknown(), audience: audienceSchema.optional(), campaign: campaignFields.optional() }));
  const deps = c.get('deps');
  const { dealerId } = c.get('auth');
  const { body } = await checkBody(deps, dealerId, input.body);
  if (!input.audience) return c.json({ valid: true, problems: [], recipients: null });
  return c.json(await validateForAudience(deps, dealerId, body, input.audience, input.campaign));
});

templateRoutes.get('/:id', async (c) => {
  const db = c.get('deps').db.orm;
  const { dealerId } = c.get('auth');
  const t = await getTemplate(db, dealerId, uuidParam(c.req.param('id'), 'template'));
  const versions = await listVersions(db, dealerId, t.id);
  return c.json({ ...presentTemplate(t), versions: versions.map((v) => ({ ...v, createdAt: v.createdAt.toISOString() })) });
});

templateRoutes.put('/:id', write, async (c) => {
  const input = await jsonBody(c, z.object({ name: z.string().min(1).max(200).optional(), body: z.unknown(), note: z.string().max(500).nullish() }));
  const r = await updateTemplate(c.get('deps'), c.get('auth').dealerId, uuidParam(c.req.param('id'), 'template'), input);
  return c.json({ ...presentTemplate(r.template), version: presentVersion(r.version) });
});

templateRoutes.get('/:id/versions/:version', async (c) => {
  const v = await getVersion(c.get('deps').db.orm, c.get('auth').dealerId, uuidParam(c.req.param('id'), 'template'), versionParam(c.req.param('version')));
  return c.json(presentVersion(v.version));
});

/** Every recipient of an audience checked against a version. */
templateRoutes.post('/:id/versions/:version/validate', async (c) => {
  const input = await jsonBody(c, z.object({ audience: audienceSchema, campaign: campaignFields.optional() }));
  const deps = c.get('deps');
  const { dealerId } = c.get('auth');
  const v = await getVersion(deps.db.orm, dealerId, uuidParam(c.req.param('id'), 'template'), versionParam(c.req.param('version')));
  return c.json(await validateForAudience(deps, dealerId, v.body, input.audience, input.campaign));
});

const proofQuery = z.object({
  contactId: z.union([uuid, z.array(uuid)]).optional(),
  segmentId: uuid.optional(),
  sample: z.coerce.number().int().min(1).max(50).default(5),
  cropMarks: z.enum(['true', 'false']).optional(),
});

/** A proof PDF for one or more contacts, or a sample of N members of a segment. */
templateRoutes.get('/:id/versions/:version/proof.pdf', async (c) => {
  const q = queryParams(c, proofQuery.extend({ contactId: z.string().optional() }));
  const contactIds = c.req.queries('contactId');
  for (const id of contactIds ?? []) if (!uuid.safeParse(id).success) throw badRequest('contactId must be a UUID', { path: 'query.contactId' });
  if (!contactIds && !q.segmentId) throw badRequest('name the proof recipients: contactId or segmentId', { path: 'query' });
  const deps = c.get('deps');
  const { dealerId } = c.get('auth');
  const v = await getVersion(deps.db.orm, dealerId, uuidParam(c.req.param('id'), 'template'), versionParam(c.req.param('version')));
  const audience = contactIds ? { contactIds: contactIds.slice(0, 50) } : { segmentId: q.segmentId!, limit: q.sample };
  const r = await proof(deps, dealerId, v.body, audience, { cropMarks: q.cropMarks === 'true', title: `Proof: ${v.template.name} v${v.version.version}` });
  c.header('Content-Type', 'application/pdf');
  c.header('Content-Disposition', `inline; filename="proof-${v.template.id.slice(0, 8)}-v${v.version.version}.pdf"`);
  // Pieces that would be left out of a print run, and why.
  c.header('X-Proof-Flagged', String(r.problems.length));
  if (r.problems.length) c.header('X-Proof-Problems', encodeURIComponent(JSON.stringify(r.problems.slice(0, 10))));
  return c.body(r.pdf as Uint8Array<ArrayBuffer>);
});

/** A PNG thumbnail of one page of one contact's piece. */
templateRoutes.get('/:id/versions/:version/thumbnail.png', async (c) => {
  const q = queryParams(c, z.object({ contactId: uuid, page: z.coerce.number().int().min(1).default(1), width: z.coerce.number().int().min(100).max(2000).default(600) }));
  const deps = c.get('deps');
  const { dealerId } = c.get('auth');
  const v = await getVersion(deps.db.orm, dealerId, uuidParam(c.req.param('id'), 'template'), versionParam(c.req.param('version')));
  const r = await thumbnail(deps, dealerId, v.body, q.contactId, q.page, q.width);
  c.header('Content-Type', 'image/png');
  c.header('X-Proof-Flagged', String(r.problems.length ? 1 : 0));
  return c.body(r.png as Uint8Array<ArrayBuffer>);
});

// ── artwork ───────────────────────────────────────────────────────────────────
export const assetRoutes = new Hono<AppEnv>();

/** Upload a PNG or JPEG (≤ 10 MB) as the raw request body; ?name= labels it. */
assetRoutes.post('/', write, async (c) => {
  const body = c.req.raw.body;
  if (!body) throw badRequest('send the image as the request body');
  const name = (c.req.query('name') ?? 'artwork').slice(0, 200);
  const row = await createAsset(c.get('deps'), c.get('auth').dealerId, name, body);
  return c.json(presentAsset(row), 201);
});

assetRoutes.get('/:id', async (c) => c.json(presentAsset(await getAsset(c.get('deps'), c.get('auth').dealerId, uuidParam(c.req.param('id'), 'asset')))));

assetRoutes.get('/:id/content', async (c) => {
  const deps = c.get('deps');
  const a = await getAsset(deps, c.get('auth').dealerId, uuidParam(c.req.param('id'), 'asset'));
  c.header('Content-Type', a.contentType);
  return c.body((await readBytes(deps.storage, a.storageKey)) as Uint8Array<ArrayBuffer>);
});

// ── the dealer as printed ─────────────────────────────────────────────────────
export const printProfileRoutes = new Hono<AppEnv>();
const addressSchema = z.object({
  country: z.string().length(2),
  province: z.string().max(100).nullish(),
  city: z.string().max(100).nullish(),
  district: z.string().max(100).nullish(),
  street: z.string().max(300).nullish(),
  postcode: z.string().max(20).nullish(),
});
const profileBody = z.object({
  phone: z.string().max(50).nullish(),
  website: z.string().max(200).nullish(),
  hours: z.string().max(300).nullish(),
  replyDepartment: z.string().max(100).nullish(),
  replyName: z.string().max(100).nullish(),
  replyAddress: addressSchema.nullish(),
  replyPermit: z.string().max(100).nullish(),
});

function presentProfile(p: Awaited<ReturnType<typeof getPrintProfile>>) {
  if (!p) return null;
  const { dealerId: _d, updatedAt, ...rest } = p;
  return { ...rest, updatedAt: updatedAt.toISOString() };
}

printProfileRoutes.get('/', async (c) => c.json(presentProfile(await getPrintProfile(c.get('deps').db.orm, c.get('auth').dealerId))));
printProfileRoutes.put('/', requireRole('admin', 'marketer'), async (c) => {
  const b = await jsonBody(c, profileBody);
  const row = await putPrintProfile(c.get('deps'), c.get('auth').dealerId, {
    phone: b.phone ?? null,
    website: b.website ?? null,
    hours: b.hours ?? null,
    replyDepartment: b.replyDepartment ?? null,
    replyName: b.replyName ?? null,
    replyAddress: b.replyAddress ? { country: b.replyAddress.country, province: b.replyAddress.province ?? null, city: b.replyAddress.city ?? null, district: b.replyAddress.district ?? null, street: b.replyAddress.street ?? null, postcode: b.replyAddress.postcode ?? null } : null,
    replyPermit: b.replyPermit ?? null,
  });
  return c.json(presentProfile(row));
});
