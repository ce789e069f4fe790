// Campaigns: a segment frozen into recipients at launch (with a reproducible
// holdout group that is never contacted), and waves: SMS and email waves write
// one outbox row per recipient (due at the wave's time, its A/B variant drawn
// from the seed); print waves become print runs (one per variant) when their
// time comes (./scheduler.ts). Lifecycle: draft → scheduled (launched, first
// wave still ahead) → running ⇄ paused → completed (nothing left to send or
// mail) or cancelled; paused and cancelled campaigns are not dispatched.
import { and, asc, eq, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { rows } from '../db';
import { copyRows } from '../db/bulk';
import { segments } from '../db/schema';
import { campaigns, waves, type WaveVariant } from '../db/schema-campaigns';
import { getDealer, getUnitCosts } from '../dealers';
import type { Deps } from '../http/context';
import { localDate, zonedTime } from '../lib/clock';
import { conflict, notFound, unprocessable } from '../lib/errors';
import { randomToken, trackingToken, uuidv7 } from '../lib/ids';
import type { Rule } from '../segments/rules';
import { segmentContactIds } from '../segments/service';
import { getVersion, getVersionById } from '../templates/service';
import { pieceContext, recipientsByIds, runContext } from '../templates/context';
import { compileText } from '../templates/hbs';
import { smsSegments, smsText } from '../channels/sms';
import { startDuePrintWaves } from './scheduler';
import { variantBucket, variantOf } from './waves';

export type CampaignRow = typeof campaigns.$inferSelect;

const uuid = z.string().uuid();
const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/;
export const waveInput = z
  .object({
    /** mail: a print wave (a print run of the campaign's recipients, then a print job). */
    channel: z.enum(['mail', 'sms', 'email']),
    /** One template … */
    templateId: uuid.optional(),
    version: z.number().int().min(1).optional(),
    /** … or an A/B test: two to four template versions with their shares (percent, adding up to 100). */
    variants: z
      .array(z.object({ templateId: uuid, version: z.number().int().min(1).optional(), percent: z.number().int().min(1).max(99) }))
      .min(2)
      .max(4)
      .optional(),
    /** ISO time with an offset, or a wall-clock time (YYYY-MM-DDTHH:mm) in the dealer's time zone; now when absent. */
    scheduledAt: z.union([z.string().datetime({ offset: true }), z.string().regex(LOCAL_TIME)]).optional(),
    /** everyone, or only recipients who have not answered the campaign yet (a follow-up). */
    condition: z.enum(['everyone', 'not_responded']).default('everyone'),
    /** Channels to try in order for a recipient this wave's channel cannot reach (no address, no consent, suppressed, refused). */
    fallback: z.array(z.enum(['sms', 'email'])).max(2).default([]),
  })
  .superRefine((w, ctx) => {
    if (!!w.templateId === !!w.variants) ctx.addIssue({ code: 'custom', path: ['templateId'], message: 'give either templateId or variants' });
    if (w.variants && w.variants.reduce((n, v) => n + v.percent, 0) !== 100) ctx.addIssue({ code: 'custom', path: ['variants'], message: 'variant percents must add up to 100' });
    if (new Set(w.fallback).size !== w.fallback.length || (w.fallback as string[]).includes(w.channel))
      ctx.addIssue({ code: 'custom', path: ['fallback'], message: "fallback channels must differ from each other and from the wave's channel" });
  });
export const campaignBody = z.object({
  name: z.string().min(1).max(200),
  purpose: z.enum(['greeting', 'test_drive', 'survey', 'service_reminder']),
  segmentId: uuid,
  holdoutPct: z.number().int().min(0).max(50).default(0),
  seed: z.string().min(1).max(100).optional(),
  /** A draft may be saved before its waves are chosen; launch needs at least one. */
  waves: z.array(waveInput).max(10).default([]),
});
/** What callers pass (defaults not yet applied); the functions below parse it. */
export type CampaignInput = z.input<typeof campaignBody>;
type Campaign = z.output<typeof campaignBody>;

const LABELS = ['A', 'B', 'C', 'D'];
const CHANNEL_NAMES: Record<string, string> = { mail: 'print layout', sms: 'SMS text', email: 'email' };

/** Pin each wave's template versions now, and check each has content for the wave's channel and its fallbacks. */
async function pinWaves(deps: Deps, dealerId: string, input: Campaign) {
  const db = deps.db.orm;
  const [seg] = await db.select({ id: segments.id }).from(segments).where(and(eq(segments.dealerId, dealerId), eq(segments.id, input.segmentId)));
  if (!seg) throw notFound('segment');
  const dealer = await getDealer(db, dealerId);
  const now = deps.clock.now();
  const pinned: { channel: string; variants: WaveVariant[]; scheduledAt: Date; condition: string; fallback: string[] }[] = [];
  for (const [i, w] of input.waves.entries()) {
    const choices = w.variants ?? [{ templateId: w.templateId!, version: w.version, percent: 100 }];
    const variants: WaveVariant[] = [];
    for (const [j, choice] of choices.entries()) {
      const v = await getVersion(db, dealerId, choice.templateId, choice.version ?? 'latest');
      for (const ch of [w.channel, ...w.fallback]) {
        const part = ch === 'mail' ? v.body.layout : v.body[ch as 'sms' | 'email'];
        if (!part) {
          const path = w.variants ? `waves[${i}].variants[${j}].templateId` : `waves[${i}].templateId`;
          throw unprocessable('template_lacks_channel', `wave ${i + 1}: template "${v.template.name}" v${v.version.version} has no ${CHANNEL_NAMES[ch]}${ch === w.channel ? '' : ` (needed by the ${ch} fallback)`}`, [
            { path, message: `no ${CHANNEL_NAMES[ch]}` },
          ]);
        }
      }
      variants.push({ label: LABELS[j]!, templateVersionId: v.version.id, percent: choice.percent });
    }
    let scheduledAt = now;
    if (w.scheduledAt) {
      scheduledAt = LOCAL_TIME.test(w.scheduledAt) ? zonedTime(w.scheduledAt, dealer!.timezone) : new Date(w.scheduledAt);
    }
    pinned.push({ channel: w.channel, variants, scheduledAt, condition: w.condition, fallback: w.fallback });
  }
  return (campaignId: string) =>
    pinned.map((w, i) => ({
      id: uuidv7(now.getTime()),
      dealerId,
      campaignId,
      seq: i + 1,
      channel: w.channel,
      templateVersionId: w.variants[0]!.templateVersionId,
      variants: w.variants.length > 1 ? w.variants : null,
      scheduledAt: w.scheduledAt,
      condition: w.condition,
      fallback: w.fallback,
      status: 'pending',
      createdAt: now,
    }));
}

export async function createCampaign(deps: Deps, dealerId: string, raw: CampaignInput) {
  const input = campaignBody.parse(raw);
  const waveRows = await pinWaves(deps, dealerId, input);
  const now = deps.clock.now();
  const id = uuidv7(now.getTime());
  return deps.db.orm.transaction(async (tx) => {
    const [c] = await tx
      .insert(campaigns)
      .values({ id, dealerId, name: input.name, purpose: input.purpose, status: 'draft', segmentId: input.segmentId, holdoutPct: input.holdoutPct, seed: input.seed ?? randomToken(12), createdAt: now, updatedAt: now })
      .returning();
    const ws = waveRows(id);
    if (ws.length) await tx.insert(waves).values(ws);
    return c!;
  });
}

export async function getCampaign(deps: Deps, dealerId: string, id: string): Promise<CampaignRow> {
  const [c] = await deps.db.orm.select().from(campaigns).where(and(eq(campaigns.dealerId, dealerId), eq(campaigns.id, id)));
  if (!c) throw notFound('campaign');
  return c;
}

const BATCH = 5000;

/**
 * Launch: freeze the segment into recipients, draw the holdout group from the
 * seed (the same seed and audience give the same group), and write the outbox
 * rows of every SMS and email wave, due at the wave's time, each with its A/B
 * variant. Print waves due now become print runs at once; later ones when
 * their time comes. A campaign whose first wave is still ahead is 'scheduled'.
 */
export async function launchCampaign(deps: Deps, dealerId: string, id: string): Promise<CampaignRow> {
  const db = deps.db;
  const now = deps.clock.now();
  const launched = await db.orm.transaction(async (tx) => {
    const [c] = await tx.select().from(campaigns).where(and(eq(campaigns.dealerId, dealerId), eq(campaigns.id, id))).for('update');
    if (!c) throw notFound('campaign');
    if (c.status !== 'draft') throw conflict('campaign_not_draft', `the campaign is ${c.status}; only a draft can be launched`);
    const [seg] = await tx.select().from(segments).where(and(eq(segments.dealerId, dealerId), eq(segments.id, c.segmentId!)));
    if (!seg) throw notFound('segment');
    const ws = await tx.select().from(waves).where(eq(waves.campaignId, id)).orderBy(asc(waves.seq));
    if (!ws.length) throw unprocessable('no_waves', 'add at least one wave before launch', [{ path: 'waves', message: 'no waves' }]);
    const unapproved = ws.filter((w) => w.channel === 'mail' && !w.proofApprovedAt);
    if (unapproved.length) {
      throw conflict('proof_not_approved', `approve the proof of print wave ${unapproved.map((w) => w.seq).join(', ')} before launch`, unapproved.map((w) => ({ path: `waves[${w.seq - 1}]`, message: 'proof not approved' })));
    }
    const dealer = await getDealer(tx, dealerId);
    const members = segmentContactIds(tx, dealerId, seg.rule as Rule, localDate(now, dealer!.timezone));
    await tx.execute(sql`
      INSERT INTO campaign_recipients (campaign_id, dealer_id, contact_id, holdout)
      SELECT ${id}::uuid, ${dealerId}::uuid, m.id,
        (('x' || substr(md5(${c.seed} || m.id::text), 1, 8))::bit(32)::bigint % 100) < ${c.holdoutPct}
      FROM (${members}) m`);
    for (const w of ws) {
      // Print waves: their print runs hold the pieces (./scheduler.ts).
      if (w.channel === 'mail') continue;
      const variants = w.variants ?? [{ label: '', templateVersionId: w.templateVersionId, percent: 100 }];
      let after = '00000000-0000-0000-0000-000000000000';
      for (;;) {
        const batch = await rows<{ contact_id: string; bucket: number }>(
          tx,
          sql`SELECT contact_id, ${variantBucket(c.seed, w.seq, sql`contact_id::text`)}::int AS bucket FROM campaign_recipients
              WHERE campaign_id = ${id}::uuid AND NOT holdout AND contact_id > ${after}::uuid ORDER BY contact_id LIMIT ${BATCH}`,
        );
        if (batch.length === 0) break;
        await copyRows(
          db,
          tx,
          'outbox',
          ['id', 'dealer_id', 'campaign_id', 'wave_id', 'contact_id', 'channel', 'template_version_id', 'variant', 'token', 'status', 'attempts', 'next_attempt_at', 'created_at'],
          batch.map((r) => {
            const v = variantOf(variants, r.bucket);
            return [uuidv7(now.getTime()), dealerId, id, w.id, r.contact_id, w.channel, v.templateVersionId, w.variants ? v.label : null, trackingToken(), 'pending', 0, w.scheduledAt, now];
          }),
        );
        after = batch[batch.length - 1]!.contact_id;
      }
      await tx.update(waves).set({ status: 'queued' }).where(eq(waves.id, w.id));
    }
    const first = Math.min(...ws.map((w) => w.scheduledAt.getTime()));
    const status = first > now.getTime() ? 'scheduled' : 'running';
    const [updated] = await tx.update(campaigns).set({ status, launchedAt: now, updatedAt: now }).where(eq(campaigns.id, id)).returning();
    return updated!;
  });
  // Print waves due now start at once (the scheduler would within seconds).
  if (launched.status === 'running') await startDuePrintWaves(deps, launched.id);
  return launched;
}

/** Approve the proof of a print wave's pinned template version (draft campaigns only). */
export async function approveProof(deps: Deps, dealerId: string, id: string, seq: number, approvedBy: string) {
  const c = await getCampaign(deps, dealerId, id);
  if (c.status !== 'draft') throw conflict('campaign_not_draft', `the campaign is ${c.status}; proofs are approved before launch`);
  const [w] = await deps.db.orm
    .update(waves)
    .set({ proofApprovedAt: deps.clock.now(), proofApprovedBy: approvedBy })
    .where(and(eq(waves.campaignId, id), eq(waves.seq, seq), eq(waves.channel, 'mail')))
    .returning();
  if (!w) throw notFound('print wave');
  return w;
}

const TRANSITIONS: Record<string, { from: string[]; to: string }> = {
  pause: { from: ['scheduled', 'running'], to: 'paused' },
  // Back to running; the scheduler returns it to 'scheduled' if no wave is due yet.
  resume: { from: ['paused'], to: 'running' },
  cancel: { from: ['draft', 'scheduled', 'running', 'paused'], to: 'cancelled' },
};

/** Pause, resume or cancel; dispatchers stop claiming a paused or cancelled campaign's rows at once. */
export async function changeStatus(deps: Deps, dealerId: string, id: string, action: keyof typeof TRANSITIONS): Promise<CampaignRow> {
  const t = TRANSITIONS[action]!;
  const now = deps.clock.now();
  return deps.db.orm.transaction(async (tx) => {
    const [c] = await tx.select().from(campaigns).where(and(eq(campaigns.dealerId, dealerId), eq(campaigns.id, id))).for('update');
    if (!c) throw notFound('campaign');
    if (!t.from.includes(c.status)) throw conflict('invalid_transition', `cannot ${action} a ${c.status} campaign`);
    if (action === 'cancel') {
      await tx.execute(sql`UPDATE outbox SET status = 'skipped', reason = 'campaign cancelled' WHERE campaign_id = ${id}::uuid AND status = 'pending'`);
      // A print run still rendering stops after its current file.
      await tx.execute(sql`UPDATE print_runs SET status = 'cancelled', finished_at = ${now.toISOString()}::timestamptz WHERE campaign_id = ${id}::uuid AND dealer_id = ${dealerId}::uuid AND status IN ('queued', 'rendering')`);
    }
    let to = t.to;
    if (action === 'resume') {
      // Back to 'scheduled' when no wave is due yet.
      const [due] = await rows(tx, sql`SELECT 1 AS one FROM waves WHERE campaign_id = ${id}::uuid AND scheduled_at <= ${now.toISOString()}::timestamptz LIMIT 1`);
      if (!due) to = 'scheduled';
    }
    const [u] = await tx
      .update(campaigns)
      .set({ status: to, updatedAt: now, ...(action === 'cancel' ? { finishedAt: now } : {}) })
      .where(eq(campaigns.id, id))
      .returning();
    return u!;
  });
}

/** Per wave: delivery counts by status (and by A/B variant), its print runs; recipients and holdout. */
export async function campaignProgress(deps: Deps, id: string) {
  const db = deps.db.orm;
  const byStatus = await rows<{ wave_id: string; variant: string | null; status: string; n: number }>(
    db,
    sql`SELECT wave_id, variant, status, count(*)::int AS n FROM outbox WHERE campaign_id = ${id}::uuid GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
  );
  const [aud] = await rows<{ recipients: number; holdout: number }>(
    db,
    sql`SELECT count(*)::int AS recipients, count(*) FILTER (WHERE holdout)::int AS holdout FROM campaign_recipients WHERE campaign_id = ${id}::uuid`,
  );
  const runs = await rows<{ id: string; wave_id: string; variant: string | null; status: string; job_status: string | null; pieces_rendered: number; pieces_excluded: number }>(
    db,
    sql`SELECT id, wave_id, variant, status, job_status, pieces_rendered, pieces_excluded FROM print_runs WHERE campaign_id = ${id}::uuid ORDER BY variant NULLS FIRST, id`,
  );
  const ws = await db.select().from(waves).where(eq(waves.campaignId, id)).orderBy(asc(waves.seq));
  const sum = (list: typeof byStatus) => {
    const out: Record<string, number> = {};
    for (const s of list) out[s.status] = (out[s.status] ?? 0) + s.n;
    return out;
  };
  return {
    audience: aud ?? { recipients: 0, holdout: 0 },
    waves: ws.map((w) => {
      const mine = byStatus.filter((s) => s.wave_id === w.id);
      return {
        id: w.id,
        seq: w.seq,
        channel: w.channel,
        status: w.status,
        templateVersionId: w.templateVersionId,
        variants: w.variants?.map((v) => ({ ...v, deliveries: sum(mine.filter((s) => s.variant === v.label)) })) ?? null,
        condition: w.condition,
        fallback: w.fallback,
        scheduledAt: w.scheduledAt.toISOString(),
        proofApprovedAt: w.proofApprovedAt?.toISOString() ?? null,
        printRunId: w.printRunId,
        printRuns: runs
          .filter((r) => r.wave_id === w.id)
          .map((r) => ({ id: r.id, variant: r.variant, status: r.status, jobStatus: r.job_status, piecesRendered: r.pieces_rendered, piecesExcluded: r.pieces_excluded })),
        deliveries: sum(mine),
      };
    }),
  };
}

export function presentCampaign(c: CampaignRow) {
  return {
    id: c.id,
    name: c.name,
    purpose: c.purpose,
    status: c.status,
    segmentId: c.segmentId,
    holdoutPct: c.holdoutPct,
    seed: c.seed,
    responseWindowDays: c.responseWindowDays,
    createdAt: c.createdAt.toISOString(),
    launchedAt: c.launchedAt?.toISOString() ?? null,
    finishedAt: c.finishedAt?.toISOString() ?? null,
  };
}


/** Edit a draft (name, holdout, waves); a launched campaign is refused with 409, never changed under the dispatcher. */
export async function updateCampaign(deps: Deps, dealerId: string, id: string, raw: CampaignInput): Promise<CampaignRow> {
  const input = campaignBody.parse(raw);
  const c = await getCampaign(deps, dealerId, id);
  if (c.status !== 'draft') throw conflict('campaign_not_draft', `the campaign is ${c.status}; only a draft can be edited (pause or cancel it instead)`);
  const waveRows = await pinWaves(deps, dealerId, input);
  return deps.db.orm.transaction(async (tx) => {
    const [u] = await tx
      .update(campaigns)
      .set({ name: input.name, purpose: input.purpose, segmentId: input.segmentId, holdoutPct: input.holdoutPct, ...(input.seed ? { seed: input.seed } : {}), updatedAt: deps.clock.now() })
      .where(and(eq(campaigns.id, id), eq(campaigns.status, 'draft')))
      .returning();
    if (!u) throw conflict('campaign_not_draft', 'the campaign was launched meanwhile');
    await tx.delete(waves).where(eq(waves.campaignId, id));
    const ws = waveRows(id);
    if (ws.length) await tx.insert(waves).values(ws);
    return u;
  });
}

/**
 * What launching would do now: recipients and holdout, and per wave the
 * reachable recipients after consent, suppression and the frequency cap; for
 * SMS the segments and estimated cost (from the rendered messages of a sample);
 * for print the pieces and files.
 */
export async function previewCampaign(deps: Deps, dealerId: string, id: string) {
  const db = deps.db.orm;
  const c = await getCampaign(deps, dealerId, id);
  const [seg] = await db.select().from(segments).where(and(eq(segments.dealerId, dealerId), eq(segments.id, c.segmentId!)));
  if (!seg) throw notFound('segment');
  const now = deps.clock.now();
  const dealer = await getDealer(db, dealerId);
  const members = segmentContactIds(db, dealerId, seg.rule as Rule, localDate(now, dealer!.timezone));
  const since = new Date(now.getTime() - deps.config.FREQUENCY_CAP_DAYS * 86_400_000).toISOString();
  // Who each channel reaches (before send-time checks of the frequency cap).
  const can: Record<string, SQL> = {
    sms: sql`(phone_e164 IS NOT NULL AND coalesce(sms_consent, '') <> 'revoked' AND NOT sms_suppressed)`,
    email: sql`(email IS NOT NULL AND coalesce(email_consent, '') <> 'revoked' AND NOT email_suppressed)`,
    mail: sql`(coalesce(street, '') <> '' AND coalesce(postcode, '') <> '' AND NOT mail_suppressed)`,
  };
  // Capped: reachable on the channel, but sent to on it within the cap's days.
  const capped = (ch: string) =>
    sql`count(*) FILTER (WHERE NOT holdout AND ${can[ch]!} AND ${deps.config.FREQUENCY_CAP_DAYS > 0} AND EXISTS (SELECT 1 FROM outbox o WHERE o.dealer_id = m.dealer_id AND o.contact_id = m.id AND o.channel = ${ch} AND o.status IN ('sent', 'delivered') AND o.sent_at >= ${since}::timestamptz))::int`;
  const [a] = await rows<{
    recipients: number; holdout: number; sms: number; email: number; mail: number; mail_households: number; sms_capped: number; email_capped: number;
    mail_to_sms: number; mail_to_email: number; sms_to_email: number; email_to_sms: number;
  }>(
    db,
    sql`WITH m AS (
          SELECT c.*, (('x' || substr(md5(${c.seed} || c.id::text), 1, 8))::bit(32)::bigint % 100) < ${c.holdoutPct} AS holdout
          FROM contacts c WHERE c.id IN (${members}))
        SELECT count(*)::int AS recipients, count(*) FILTER (WHERE holdout)::int AS holdout,
          count(*) FILTER (WHERE NOT holdout AND ${can.sms})::int AS sms,
          count(*) FILTER (WHERE NOT holdout AND ${can.email})::int AS email,
          count(*) FILTER (WHERE NOT holdout AND ${can.mail})::int AS mail,
          count(DISTINCT coalesce(household_key, id::text)) FILTER (WHERE NOT holdout AND ${can.mail})::int AS mail_households,
          ${capped('sms')} AS sms_capped, ${capped('email')} AS email_capped,
          count(*) FILTER (WHERE NOT holdout AND NOT ${can.mail} AND ${can.sms})::int AS mail_to_sms,
          count(*) FILTER (WHERE NOT holdout AND NOT ${can.mail} AND ${can.email})::int AS mail_to_email,
          count(*) FILTER (WHERE NOT holdout AND NOT ${can.sms} AND ${can.email})::int AS sms_to_email,
          count(*) FILTER (WHERE NOT holdout AND NOT ${can.email} AND ${can.sms})::int AS email_to_sms
        FROM m`,
  );
  /** Recipients the wave's channel misses whom its first fallback channel reaches. */
  const viaFallback = (channel: string, fallback: string[]) => {
    const key = `${channel}_to_${fallback[0]}` as keyof typeof a;
    return fallback[0] ? { fallback, reachableByFallback: a![key] } : {};
  };
  const ws = await db.select().from(waves).where(eq(waves.campaignId, id)).orderBy(asc(waves.seq));
  const run = await runContext(db, dealerId);
  // Costs from the dealer's unit costs; SMS falls back to the configured segment price when none are set.
  const costs = await getUnitCosts(db, dealerId);
  const smsRate = costs ? costs.smsSegment : deps.config.SMS_SEGMENT_COST;
  const money = (v: number) => Math.round(v * 100) / 100;
  let sample: Awaited<ReturnType<typeof recipientsByIds>> | null = null;
  /** Segments per message of an SMS text: it depends on each message's length, so render a spread-out sample. */
  const segmentsPerMessage = async (sms: { text: string }, locale: Parameters<typeof smsText>[1]['locale']) => {
    if (!sample) {
      const ids = await rows<{ id: string }>(db, sql`SELECT m.id FROM (${members}) m ORDER BY md5(m.id::text) LIMIT 500`);
      sample = await recipientsByIds(db, dealerId, ids.map((r) => r.id));
    }
    const render = compileText(sms.text);
    let segs = 0;
    for (const r of sample) {
      const text = smsText(render(pieceContext(run, r, 'PREVIEW000000000', deps.config.PUBLIC_BASE_URL), locale), {
        dealerName: run.dealer.name, locale, optOutZh: deps.config.SMS_OPT_OUT_ZH, optOutEn: deps.config.SMS_OPT_OUT_EN,
      });
      segs += smsSegments(text).segments;
    }
    return sample.length ? segs / sample.length : 0;
  };
  /** Segments per SMS of a wave: each A/B variant's text weighted by its share. */
  const waveSegmentsPerMessage = async (w: (typeof ws)[number]) => {
    const variants = w.variants ?? [{ label: '', templateVersionId: w.templateVersionId, percent: 100 }];
    let per = 0;
    for (const v of variants) {
      const { body: vb } = await getVersionById(db, dealerId, v.templateVersionId);
      if (vb.sms) per += ((await segmentsPerMessage(vb.sms, vb.locale)) * v.percent) / 100;
    }
    return per;
  };
  const out: Record<string, unknown>[] = [];
  for (const w of ws) {
    const { body } = await getVersionById(db, dealerId, w.templateVersionId);
    let entry: Record<string, unknown>;
    if (w.channel === 'mail') {
      // One piece per household.
      const pieces = a!.mail_households;
      entry = {
        seq: w.seq, channel: w.channel, pieces, householdDuplicates: a!.mail - pieces, files: Math.ceil(pieces / 5000), piecesPerFile: 5000,
        proofApproved: !!w.proofApprovedAt, ...viaFallback('mail', w.fallback),
        estimatedCost: costs ? money(pieces * (costs.printPiece + costs.postagePiece)) : null,
      };
    } else {
      const reachable = w.channel === 'sms' ? a!.sms - a!.sms_capped : a!.email - a!.email_capped;
      entry = { seq: w.seq, channel: w.channel, reachable, frequencyCapped: w.channel === 'sms' ? a!.sms_capped : a!.email_capped, ...viaFallback(w.channel, w.fallback) };
      if (w.channel === 'sms' && body.sms) {
        const perMessage = await waveSegmentsPerMessage(w);
        const segments = Math.round(perMessage * reachable);
        Object.assign(entry, { segmentsPerMessage: Math.round(perMessage * 100) / 100, segments, estimatedCost: money(segments * smsRate) });
      } else if (w.channel === 'email') {
        entry.estimatedCost = costs ? money(reachable * costs.emailMessage) : null;
      }
    }
    // What the first fallback channel would add.
    const byFallback = entry.reachableByFallback as number | undefined;
    if (byFallback !== undefined && w.fallback[0] === 'sms' && body.sms) {
      const segments = Math.round((await waveSegmentsPerMessage(w)) * byFallback);
      Object.assign(entry, { fallbackSegments: segments, fallbackEstimatedCost: money(segments * smsRate) });
    } else if (byFallback !== undefined && w.fallback[0] === 'email') {
      entry.fallbackEstimatedCost = costs ? money(byFallback * costs.emailMessage) : null;
    }
    out.push(entry);
  }
  // The total, when every part is known (print, postage and email need the dealer's unit costs).
  const parts = out.flatMap((e) => [e.estimatedCost, e.fallbackEstimatedCost]).filter((v) => v !== undefined) as (number | null)[];
  const estimatedCost = parts.some((v) => v === null) ? null : money(parts.reduce<number>((n, v) => n + v!, 0));
  return { status: c.status, recipients: a!.recipients, holdout: a!.holdout, waves: out, currency: costs?.currency ?? 'CNY', unitCosts: costs, smsSegmentCost: smsRate, estimatedCost };
}

export interface CampaignListRow {
  id: string;
  name: string;
  purpose: string;
  status: string;
  segmentId: string | null;
  segmentName: string | null;
  /** The waves' channels in order. */
  channels: string[];
  createdAt: Date;
  launchedAt: Date | null;
  finishedAt: Date | null;
}

/** The dealer's campaigns, newest first: `limit` + 1 rows (a page, and whether there is more) before the id `before`. */
export async function listCampaigns(deps: Deps, dealerId: string, limit: number, before?: string): Promise<CampaignListRow[]> {
  const found = await rows<{
    id: string; name: string; purpose: string; status: string; segment_id: string | null; segment_name: string | null; channels: string | null;
    created_at: string | Date; launched_at: string | Date | null; finished_at: string | Date | null;
  }>(
    deps.db.orm,
    sql`SELECT c.id, c.name, c.purpose, c.status, c.segment_id, s.name AS segment_name, c.created_at, c.launched_at, c.finished_at,
          (SELECT string_agg(w.channel, ',' ORDER BY w.seq) FROM waves w WHERE w.campaign_id = c.id AND w.dealer_id = c.dealer_id) AS channels
        FROM campaigns c LEFT JOIN segments s ON s.id = c.segment_id AND s.dealer_id = c.dealer_id
        WHERE c.dealer_id = ${dealerId}::uuid ${before ? sql`AND c.id < ${before}::uuid` : sql``}
        ORDER BY c.id DESC LIMIT ${limit + 1}`,
  );
  const date = (v: string | Date | null) => (v == null ? null : new Date(v));
  return found.map((r) => ({
    id: r.id, name: r.name, purpose: r.purpose, status: r.status, segmentId: r.segment_id, segmentName: r.segment_name,
    channels: r.channels ? r.channels.split(',') : [], createdAt: date(r.created_at)!, launchedAt: date(r.launched_at), finishedAt: date(r.finished_at),
  }));
}

export interface WaveTemplate {
  /** A, B … for an A/B test; '' for a single template. */
  label: string;
  percent: number;
  templateVersionId: string;
  templateId: string;
  templateName: string;
  version: number;
}

/** A campaign's waves as planned, each with its pinned template versions (and A/B shares). */
export async function describeWaves(deps: Deps, dealerId: string, campaignId: string) {
  const db = deps.db.orm;
  const ws = await db.select().from(waves).where(and(eq(waves.dealerId, dealerId), eq(waves.campaignId, campaignId))).orderBy(asc(waves.seq));
  const versionIds = [...new Set(ws.flatMap((w) => (w.variants ?? []).map((v) => v.templateVersionId).concat(w.templateVersionId)))];
  const found = versionIds.length
    ? await rows<{ id: string; template_id: string; name: string; version: number }>(
        db,
        sql`SELECT v.id, v.template_id, t.name, v.version FROM template_versions v JOIN templates t ON t.id = v.template_id AND t.dealer_id = v.dealer_id
            WHERE v.dealer_id = ${dealerId}::uuid AND v.id = ANY(${sql.param(versionIds)}::uuid[])`,
      )
    : [];
  const byId = new Map(found.map((v) => [v.id, v]));
  const pinned = (label: string, percent: number, versionId: string): WaveTemplate => {
    const v = byId.get(versionId);
    return { label, percent, templateVersionId: versionId, templateId: v?.template_id ?? '', templateName: v?.name ?? '', version: v?.version ?? 0 };
  };
  return ws.map((w) => ({
    id: w.id,
    seq: w.seq,
    channel: w.channel as 'mail' | 'sms' | 'email',
    status: w.status,
    scheduledAt: w.scheduledAt,
    condition: w.condition,
    fallback: w.fallback,
    proofApprovedAt: w.proofApprovedAt,
    templates: w.variants ? w.variants.map((v) => pinned(v.label, v.percent, v.templateVersionId)) : [pinned('', 100, w.templateVersionId)],
  }));
}
