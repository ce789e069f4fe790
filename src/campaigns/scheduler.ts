// The campaign clock: every few seconds, launched campaigns move on.
// - scheduled → running when their first wave is due;
// - a print wave whose time has come becomes print runs (one per A/B variant),
//   its pieces drawn from the campaign's recipients at that moment (so a
//   "not responded yet" follow-up leaves out those who answered);
// - running → completed when nothing is left to send or mail: every wave
//   started, no delivery pending, every print run finished and its job mailed.
// Outbox rows of SMS and email waves are written at launch and simply fall due.
import { and, eq, sql } from 'drizzle-orm';
import { rows } from '../db';
import { printRuns } from '../db/schema-print';
import { waves, type WaveVariant } from '../db/schema-campaigns';
import type { Deps } from '../http/context';
import { errorField } from '../lib/log';
import { preparePrintRun } from '../print/runs';
import { getVersionById } from '../templates/service';
import { variantRanges } from './waves';

interface DueWave {
  id: string;
  dealer_id: string;
  campaign_id: string;
  seq: number;
  template_version_id: string;
  variants: WaveVariant[] | null;
  condition: string;
  fallback: string[];
  seed: string;
  segment_id: string;
  name: string;
}

/** Start the print waves that are due (of one campaign, or of all); the number started. */
export async function startDuePrintWaves(deps: Deps, campaignId?: string): Promise<number> {
  const db = deps.db.orm;
  const now = deps.clock.now();
  const due = await rows<DueWave>(
    db,
    sql`SELECT w.id, w.dealer_id, w.campaign_id, w.seq, w.template_version_id, w.variants, w.condition, w.fallback, c.seed, c.segment_id, c.name
        FROM waves w JOIN campaigns c ON c.id = w.campaign_id AND c.dealer_id = w.dealer_id
        WHERE c.status = 'running' AND w.channel = 'mail' AND w.status = 'pending' AND w.scheduled_at <= ${now.toISOString()}::timestamptz
          ${campaignId ? sql`AND c.id = ${campaignId}::uuid` : sql``}
        ORDER BY w.scheduled_at, w.id`,
  );
  let started = 0;
  for (const w of due) {
    try {
      const variants = w.variants ?? [{ label: '', templateVersionId: w.template_version_id, percent: 100 }];
      const prepared: Awaited<ReturnType<typeof preparePrintRun>>[] = [];
      for (const v of variantRanges(variants)) {
        const { version } = await getVersionById(db, w.dealer_id, v.templateVersionId);
        prepared.push(
          await preparePrintRun(
            deps,
            w.dealer_id,
            {
              templateId: version.templateId,
              version: version.version,
              audience: { segmentId: w.segment_id },
              piecesPerFile: 5000,
              cropMarks: true,
              title: `${w.name} — wave ${w.seq}${w.variants ? ` (${v.label})` : ''}`,
            },
            {
              campaignId: w.campaign_id,
              waveId: w.id,
              condition: w.condition,
              fallback: w.fallback,
              ...(w.variants ? { variant: v.label, waveSeq: w.seq, seed: w.seed, bucketFrom: v.from, bucketTo: v.to } : {}),
            },
          ),
        );
      }
      // The wave row is the lock: of two processes ticking at once, one starts it.
      const made = await db.transaction(async (tx) => {
        const [locked] = await rows(tx, sql`SELECT id FROM waves WHERE id = ${w.id}::uuid AND status = 'pending' FOR UPDATE SKIP LOCKED`);
        if (!locked) return false;
        await tx.insert(printRuns).values(prepared.map((p) => p.row));
        await tx.update(waves).set({ status: 'printing', printRunId: prepared[0]!.row.id }).where(eq(waves.id, w.id));
        return true;
      });
      // Queued after commit; a restart in between resumes queued runs (resumePrintRuns).
      if (made) {
        for (const p of prepared) p.enqueue(p.row.id);
        started++;
      }
    } catch (e) {
      // The template can no longer be printed (the dealer's print profile changed …): the wave fails, visibly.
      deps.logger.error('print wave could not start', { waveId: w.id, err: errorField(e) });
      await db.update(waves).set({ status: 'failed' }).where(and(eq(waves.id, w.id), eq(waves.status, 'pending')));
    }
  }
  return started;
}

/** One turn of the campaign clock. */
export async function advanceCampaigns(deps: Deps): Promise<void> {
  const db = deps.db.orm;
  const now = deps.clock.now().toISOString();
  await db.execute(sql`
    UPDATE campaigns c SET status = 'running', updated_at = ${now}::timestamptz
    WHERE c.status = 'scheduled' AND EXISTS (SELECT 1 FROM waves w WHERE w.campaign_id = c.id AND w.scheduled_at <= ${now}::timestamptz)`);
  await startDuePrintWaves(deps);
  await db.execute(sql`
    UPDATE campaigns c SET status = 'completed', finished_at = ${now}::timestamptz, updated_at = ${now}::timestamptz
    WHERE c.status = 'running'
      AND NOT EXISTS (SELECT 1 FROM waves w WHERE w.campaign_id = c.id AND w.status = 'pending')
      AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.campaign_id = c.id AND o.status IN ('pending', 'sending'))
      AND NOT EXISTS (SELECT 1 FROM print_runs p WHERE p.campaign_id = c.id AND p.dealer_id = c.dealer_id
        AND (p.status IN ('queued', 'rendering') OR (p.status = 'completed' AND p.job_status IS DISTINCT FROM 'mailed')))`);
}

/** Runs `advanceCampaigns` every `everyMs` until stopped. */
export class CampaignClock {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  constructor(private readonly deps: Deps) {}

  start(everyMs = 5000): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = advanceCampaigns(this.deps)
        .catch((e: unknown) => this.deps.logger.error('campaign clock tick failed', { err: errorField(e) }))
        .finally(() => (this.running = null));
    }, everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
