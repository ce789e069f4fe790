// Templates: versioned bodies (layout + Handlebars texts + survey + artwork),
// checked before they are saved, proofed for real recipients, and validated
// against a whole audience (every recipient's text must fit its box).
import { and, asc, desc, eq, gt, sql } from 'drizzle-orm';
import type { ZodIssue } from 'zod';
import { rows, type Tx } from '../db';
import { assets, dealerPrintProfiles, templates, templateVersions } from '../db/schema-print';
import { segments } from '../db/schema';
import type { Deps } from '../http/context';
import { AppError, issuesToDetails, notFound, unprocessable } from '../lib/errors';
import { sha256Hex, trackingToken, uuidv7 } from '../lib/ids';
import { readBytes, TooLarge } from '../lib/storage';
import { composePiece, type RunContext } from '../print/compose';
import { ImageError, imageSize, MAX_IMAGE_BYTES, prepareImage } from '../print/images';
import { prepareTemplate, proofPdf, proofThumbnails } from '../print/proof';
import { localDate } from '../lib/clock';
import { getDealer } from '../dealers';
import { segmentContactIds } from '../segments/service';
import type { Rule } from '../segments/rules';
import { builtinTemplate, outputIntentProfile } from './builtin';
import { pieceContext, recipientsByIds, runContext, type CampaignFields, type RecipientRow } from './context';
import { isPrintBody, templateBodySchema, type PrintBody, type TemplateBody } from './layout';
import { analyze } from './hbs';

export type TemplateRow = typeof templates.$inferSelect;
export type VersionRow = typeof templateVersions.$inferSelect;
export type AssetRow = typeof assets.$inferSelect;

// ── artwork ───────────────────────────────────────────────────────────────────
export async function createAsset(deps: Deps, dealerId: string, name: string, body: ReadableStream<Uint8Array> | Uint8Array): Promise<AssetRow> {
  const id = uuidv7(deps.clock.now().getTime());
  const key = `assets/${dealerId}/${id}`;
  let bytes: Uint8Array;
  try {
    await deps.storage.put(key, body, { maxBytes: MAX_IMAGE_BYTES });
    bytes = await readBytes(deps.storage, key);
  } catch (e) {
    await deps.storage.delete(key).catch(() => {});
    if (e instanceof TooLarge)
      throw new AppError(413, 'payload_too_large', `the image is larger than ${MAX_IMAGE_BYTES / 1024 / 1024} MB`, { limitBytes: MAX_IMAGE_BYTES });
    throw e;
  }
  let size: { width: number; height: number; type: 'png' | 'jpeg' };
  try {
    size = imageSize(bytes);
    prepareImage(bytes); // decodes: a damaged file fails here, not in a print run
  } catch (e) {
    await deps.storage.delete(key).catch(() => {});
    if (e instanceof ImageError) throw unprocessable('invalid_image', e.message);
    throw e;
  }
  const [row] = await deps.db.orm
    .insert(assets)
    .values({
      id,
      dealerId,
      name,
      contentType: size.type === 'png' ? 'image/png' : 'image/jpeg',
      bytes: bytes.length,
      sha256: await sha256Hex(bytes),
      width: size.width,
      height: size.height,
      storageKey: key,
      createdAt: deps.clock.now(),
    })
    .returning();
  return row!;
}

export async function getAsset(deps: Deps, dealerId: string, id: string): Promise<AssetRow> {
  const [row] = await deps.db.orm.select().from(assets).where(and(eq(assets.dealerId, dealerId), eq(assets.id, id)));
  if (!row) throw notFound('asset');
  return row;
}

/** The artwork a body names, as bytes by name; every asset must be the dealer's. */
export async function artworkOf(deps: Deps, dealerId: string, body: TemplateBody): Promise<Record<string, Uint8Array>> {
  const out: Record<string, Uint8Array> = {};
  for (const [name, id] of Object.entries(body.assets)) {
    const [row] = await deps.db.orm.select().from(assets).where(and(eq(assets.dealerId, dealerId), eq(assets.id, id)));
    if (!row) throw unprocessable('invalid_template', `artwork "${name}" refers to an asset that does not exist`, [{ path: `body.assets.${name}`, message: 'no such asset' }]);
    out[name] = await readBytes(deps.storage, row.storageKey);
  }
  return out;
}

// ── bodies ────────────────────────────────────────────────────────────────────
/** Parse and check a body: schema, Handlebars, variables, helpers, static text fit. 422 naming each problem. */
export async function checkBody(deps: Deps, dealerId: string, raw: unknown, campaign: CampaignFields = {}): Promise<{ body: TemplateBody; artwork: Record<string, Uint8Array>; run: RunContext }> {
  const parsed = templateBodySchema.safeParse(raw);
  if (!parsed.success) {
    throw unprocessable('invalid_template', 'the template is not valid', issuesToDetails(parsed.error.issues as ZodIssue[], 'body'));
  }
  const body = parsed.data;
  const artwork = await artworkOf(deps, dealerId, body);
  const run = await runContext(deps.db.orm, dealerId, campaign);
  const problems: { path: string; message: string }[] = [];
  if (isPrintBody(body)) {
    const t = prepareTemplate({ body, images: artwork, run });
    problems.push(...t.problems.map((p) => ({ path: `body.${p.path}`, message: p.message })));
  }
  const texts: [string, string | undefined][] = [
    ['body.sms.text', body.sms?.text],
    ['body.email.subject', body.email?.subject],
    ['body.email.html', body.email?.html],
    ['body.email.text', body.email?.text],
  ];
  for (const [path, src] of texts) {
    if (src === undefined) continue;
    for (const i of analyze(src).issues) problems.push({ path, message: i.line ? `${i.message} (line ${i.line})` : i.message });
  }
  if (problems.length) {
    throw unprocessable('invalid_template', `the template has ${problems.length} problem${problems.length === 1 ? '' : 's'}`, problems);
  }
  return { body, artwork, run };
}

/** The print layout of a body, or 422 when the template is for SMS or email only. */
export function requirePrint(body: TemplateBody): PrintBody {
  if (!isPrintBody(body)) throw unprocessable('no_print_layout', 'this template has no print layout (it is for SMS or email)');
  return body;
}

// ── templates and versions ────────────────────────────────────────────────────
export interface NewTemplate {
  name: string;
  builtin?: string;
  body?: unknown;
  note?: string | null;
}

/** Copy a built-in template's artwork into the dealer's assets; the body then names them by id. */
async function materializeBuiltin(deps: Deps, dealerId: string, id: string): Promise<TemplateBody> {
  const b = builtinTemplate(id);
  if (!b) throw unprocessable('unknown_builtin', `there is no built-in template "${id}"`, [{ path: 'builtin', message: 'unknown' }]);
  const { readFileSync } = await import('node:fs');
  const assetIds: Record<string, string> = {};
  for (const [name, file] of Object.entries(b.assetFiles)) {
    assetIds[name] = (await createAsset(deps, dealerId, `${id}/${name}`, new Uint8Array(readFileSync(file)))).id;
  }
  return { ...b.body, assets: assetIds };
}

export async function createTemplate(deps: Deps, dealerId: string, input: NewTemplate) {
  const raw = input.builtin ? await materializeBuiltin(deps, dealerId, input.builtin) : input.body;
  const { body } = await checkBody(deps, dealerId, raw);
  const now = deps.clock.now();
  const id = uuidv7(now.getTime());
  return deps.db.orm.transaction(async (tx) => {
    const [t] = await tx
      .insert(templates)
      .values({ id, dealerId, name: input.name, purpose: body.purpose, locale: body.locale, builtin: input.builtin ?? null, latestVersion: 1, createdAt: now, updatedAt: now })
      .returning();
    const [v] = await tx
      .insert(templateVersions)
      .values({ id: uuidv7(now.getTime()), dealerId, templateId: id, version: 1, body: body as unknown as Record<string, unknown>, note: input.note ?? null, createdAt: now })
      .returning();
    return { template: t!, version: v! };
  });
}

export async function getTemplate(db: Tx, dealerId: string, id: string): Promise<TemplateRow> {
  const [t] = await db.select().from(templates).where(and(eq(templates.dealerId, dealerId), eq(templates.id, id)));
  if (!t) throw notFound('template');
  return t;
}

export async function listTemplates(db: Tx, dealerId: string, limit: number, after?: string) {
  return db
    .select()
    .from(templates)
    .where(and(eq(templates.dealerId, dealerId), after ? gt(templates.id, after) : undefined))
    .orderBy(asc(templates.id))
    .limit(limit + 1);
}

/** The dealer's templates (oldest first, up to `limit`) with the channels their latest version has content for, in one query. */
export async function templateChannels(db: Tx, dealerId: string, limit: number): Promise<{ id: string; name: string; latest: number; channels: ('mail' | 'sms' | 'email')[] }[]> {
  const found = await rows<{ id: string; name: string; latest: number; mail: boolean; sms: boolean; email: boolean }>(
    db,
    sql`SELECT t.id, t.name, t.latest_version AS latest,
          coalesce(jsonb_typeof(v.body->'layout') NOT IN ('null', 'boolean'), false) AS mail,
          coalesce(jsonb_typeof(v.body->'sms') NOT IN ('null', 'boolean'), false) AS sms,
          coalesce(jsonb_typeof(v.body->'email') NOT IN ('null', 'boolean'), false) AS email
        FROM templates t JOIN template_versions v ON v.dealer_id = t.dealer_id AND v.template_id = t.id AND v.version = t.latest_version
        WHERE t.dealer_id = ${dealerId}::uuid ORDER BY t.id LIMIT ${limit}`,
  );
  return found.map((r) => ({ id: r.id, name: r.name, latest: r.latest, channels: (['mail', 'sms', 'email'] as const).filter((ch) => r[ch]) }));
}

export async function listVersions(db: Tx, dealerId: string, templateId: string) {
  return db
    .select({ id: templateVersions.id, version: templateVersions.version, note: templateVersions.note, createdAt: templateVersions.createdAt })
    .from(templateVersions)
    .where(and(eq(templateVersions.dealerId, dealerId), eq(templateVersions.templateId, templateId)))
    .orderBy(desc(templateVersions.version));
}

/** A version by number, or the latest. */
export async function getVersion(db: Tx, dealerId: string, templateId: string, version: number | 'latest'): Promise<{ template: TemplateRow; version: VersionRow; body: TemplateBody }> {
  const template = await getTemplate(db, dealerId, templateId);
  const n = version === 'latest' ? template.latestVersion : version;
  const [v] = await db
    .select()
    .from(templateVersions)
    .where(and(eq(templateVersions.dealerId, dealerId), eq(templateVersions.templateId, templateId), eq(templateVersions.version, n)));
  if (!v) throw notFound('template version');
  return { template, version: v, body: templateBodySchema.parse(v.body) };
}

export async function getVersionById(db: Tx, dealerId: string, versionId: string) {
  const [v] = await db.select().from(templateVersions).where(and(eq(templateVersions.dealerId, dealerId), eq(templateVersions.id, versionId)));
  if (!v) throw notFound('template version');
  return { version: v, body: templateBodySchema.parse(v.body) };
}

/** Save a new version (versions are never changed: campaigns pin them). */
export async function updateTemplate(deps: Deps, dealerId: string, id: string, input: { name?: string; body: unknown; note?: string | null }) {
  await getTemplate(deps.db.orm, dealerId, id);
  const { body } = await checkBody(deps, dealerId, input.body);
  const now = deps.clock.now();
  return deps.db.orm.transaction(async (tx) => {
    const [t] = await tx
      .update(templates)
      .set({ latestVersion: sql`${templates.latestVersion} + 1`, updatedAt: now, purpose: body.purpose, locale: body.locale, ...(input.name ? { name: input.name } : {}) })
      .where(and(eq(templates.dealerId, dealerId), eq(templates.id, id)))
      .returning();
    if (!t) throw notFound('template');
    const [v] = await tx
      .insert(templateVersions)
      .values({ id: uuidv7(now.getTime()), dealerId, templateId: id, version: t.latestVersion, body: body as unknown as Record<string, unknown>, note: input.note ?? null, createdAt: now })
      .returning();
    return { template: t, version: v! };
  });
}

// ── audiences for proofs and validation ───────────────────────────────────────
export interface Audience {
  contactIds?: string[];
  segmentId?: string;
  /** At most this many recipients (a sample of the segment, the same every time). */
  limit?: number;
}

export async function audienceRecipients(deps: Deps, dealerId: string, a: Audience): Promise<RecipientRow[]> {
  const db = deps.db.orm;
  if (a.contactIds?.length) {
    const found = await recipientsByIds(db, dealerId, a.contactIds.slice(0, a.limit ?? a.contactIds.length));
    const byId = new Map(found.map((r) => [r.id, r]));
    const missing = a.contactIds.filter((id) => !byId.has(id));
    if (missing.length) throw unprocessable('unknown_contacts', `${missing.length} contact id(s) not found`, missing.slice(0, 20).map((id) => ({ path: 'contactIds', message: `no contact ${id}` })));
    return a.contactIds.map((id) => byId.get(id)!).filter(Boolean);
  }
  if (a.segmentId) {
    const [seg] = await db.select().from(segments).where(and(eq(segments.dealerId, dealerId), eq(segments.id, a.segmentId)));
    if (!seg) throw notFound('segment');
    const dealer = await getDealer(db, dealerId);
    const today = localDate(deps.clock.now(), dealer!.timezone);
    const members = sql`(${segmentContactIds(db, dealerId, seg.rule as Rule, today)})`;
    // md5 order: a spread-out sample that is the same on every request.
    const ids = await rows<{ id: string }>(
      db,
      sql`SELECT m.id FROM ${members} m ORDER BY md5(m.id::text) ${a.limit ? sql`LIMIT ${a.limit}` : sql``}`,
    );
    return recipientsByIds(db, dealerId, ids.map((r) => r.id));
  }
  throw unprocessable('no_audience', 'name the recipients: contactIds or segmentId', [{ path: 'audience', message: 'required' }]);
}

// ── validation, proofs, thumbnails ────────────────────────────────────────────
export interface RecipientProblem {
  contactId: string;
  problems: string[];
}

/**
 * Check every recipient of an audience against a version: missing required
 * text, characters no font can draw, text that does not fit even at its
 * minimum size. Returns the flagged recipients (the first 100) and counts.
 */
export async function validateForAudience(deps: Deps, dealerId: string, anyBody: TemplateBody, audience: Audience, campaign: CampaignFields = {}) {
  const body = requirePrint(anyBody);
  const artwork = await artworkOf(deps, dealerId, body);
  const run = await runContext(deps.db.orm, dealerId, campaign);
  const t = prepareTemplate({ body, images: artwork, run });
  const problems = t.problems.map((p) => ({ path: `body.${p.path}`, message: p.message }));
  if (problems.length) return { valid: false, problems, recipients: { checked: 0, flagged: 0, examples: [] as RecipientProblem[] } };
  const recipients = await audienceRecipients(deps, dealerId, audience);
  const examples: RecipientProblem[] = [];
  let flagged = 0;
  for (const r of recipients) {
    const c = composePiece(t, pieceContext(run, r, 'VALIDATE00000000', deps.config.PUBLIC_BASE_URL));
    if (c.problems.length) {
      flagged++;
      if (examples.length < 100) examples.push({ contactId: r.id, problems: c.problems });
    }
  }
  return { valid: flagged === 0, problems, recipients: { checked: recipients.length, flagged, examples } };
}

export async function proof(deps: Deps, dealerId: string, anyBody: TemplateBody, audience: Audience, opts: { cropMarks?: boolean; title: string; campaign?: CampaignFields }) {
  const body = requirePrint(anyBody);
  const artwork = await artworkOf(deps, dealerId, body);
  const run = await runContext(deps.db.orm, dealerId, opts.campaign);
  const recipients = await audienceRecipients(deps, dealerId, audience);
  if (recipients.length === 0) throw unprocessable('empty_audience', 'the audience has no recipients to proof');
  const result = await proofPdf({
    body,
    images: artwork,
    run,
    pieces: recipients.map((r) => pieceContext(run, r, trackingToken(), deps.config.PUBLIC_BASE_URL)),
    outputIntent: outputIntentProfile(),
    createdAt: deps.clock.now(),
    cropMarks: opts.cropMarks ?? false,
    title: opts.title,
  });
  return { pdf: result.pdf, problems: result.problems.map((p) => ({ contactId: recipients[p.index]!.id, problems: p.problems })) };
}

export async function thumbnail(deps: Deps, dealerId: string, anyBody: TemplateBody, contactId: string, page: number, widthPx: number) {
  const out = await thumbnails(deps, dealerId, anyBody, contactId, widthPx, (body) => {
    if (page < 1 || page > body.layout.pages.length) throw unprocessable('invalid_page', `the template has ${body.layout.pages.length} page(s)`);
  });
  return { png: out.pages[page - 1]!, problems: out.problems };
}

/** PNGs of every page of one contact's piece, and what is wrong with that piece (text that does not fit…). */
export async function thumbnails(deps: Deps, dealerId: string, anyBody: TemplateBody, contactId: string, widthPx: number, check?: (body: PrintBody) => void) {
  const body = requirePrint(anyBody);
  const artwork = await artworkOf(deps, dealerId, body);
  const run = await runContext(deps.db.orm, dealerId);
  const [r] = await audienceRecipients(deps, dealerId, { contactIds: [contactId] });
  check?.(body);
  const out = await proofThumbnails({ body, images: artwork, run, piece: pieceContext(run, r!, trackingToken(), deps.config.PUBLIC_BASE_URL), widthPx });
  return { pages: out.pages, problems: out.problems };
}

// ── dealer print profile ──────────────────────────────────────────────────────
export async function getPrintProfile(db: Tx, dealerId: string) {
  const [p] = await db.select().from(dealerPrintProfiles).where(eq(dealerPrintProfiles.dealerId, dealerId));
  return p ?? null;
}

export async function putPrintProfile(deps: Deps, dealerId: string, p: Omit<typeof dealerPrintProfiles.$inferInsert, 'dealerId' | 'updatedAt'>) {
  const values = { ...p, dealerId, updatedAt: deps.clock.now() };
  const [row] = await deps.db.orm.insert(dealerPrintProfiles).values(values).onConflictDoUpdate({ target: dealerPrintProfiles.dealerId, set: values }).returning();
  return row!;
}
