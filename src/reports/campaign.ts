// The campaign report: what a manager judges a campaign by. Every figure is
// counted from the same rows (recipients, outbox deliveries, printed pieces,
// responses inside the campaign's window), so the numbers add up:
//
// - contacted: recipients outside the holdout group who were sent a message
//   (sent or delivered) or printed a piece;
// - delivered: contacted recipients whose message is known to have arrived:
//   an SMS with the carrier's delivery receipt, an email sent and not bounced
//   (a bounce fails the delivery), a printed piece whose job was marked mailed
//   and that did not come back as returned mail;
// - responders: contacted recipients with an answer (scan, click, booking,
//   survey, SMS reply, attended test drive, sale) inside the window;
// - by channel, wave, variant and contact kind: contacted and responders of
//   that slice (a responder counts in the slice the response came through);
// - funnel: contacted → scanned or clicked → booked → attended → sold;
// - lift: the response rate of everyone outside the holdout group minus that
//   of the holdout group (control responses), with a 95% confidence interval
//   (normal approximation for a difference of two proportions);
// - cost: pieces × (print + postage) + SMS segments × segment price + emails ×
//   email price, from the dealer's unit costs; cost per responder.
import { eq, sql } from 'drizzle-orm';
import { rows, type Tx } from '../db';
import { dealerUnitCosts } from '../db/schema-staff';
import { ANSWERED_KINDS } from '../campaigns/waves';
import { getDealer } from '../dealers';
import { mapLimit } from '../lib/concurrency';

const answered = sql.param([...ANSWERED_KINDS]);

interface Slice {
  key: string;
  contacted: number;
  delivered: number;
  responders: number;
  rate: number;
}

const rate = (n: number, d: number) => (d > 0 ? Math.round((n / d) * 10_000) / 10_000 : 0);

/** A 95% confidence interval of p1 − p2 (normal approximation); null when a group is empty. */
export function liftInterval(x1: number, n1: number, x2: number, n2: number): { lift: number; low: number; high: number } | null {
  if (n1 === 0 || n2 === 0) return null;
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const se = Math.sqrt((p1 * (1 - p1)) / n1 + (p2 * (1 - p2)) / n2);
  const r = (v: number) => Math.round(v * 10_000) / 10_000;
  return { lift: r(p1 - p2), low: r(p1 - p2 - 1.96 * se), high: r(p1 - p2 + 1.96 * se) };
}

/**
 * Each contact's touches in the campaign: one row per (contact, channel, wave,
 * variant) that reached them, and whether it is known to have arrived.
 */
function touches(campaignId: string): ReturnType<typeof sql> {
  return sql`
    SELECT o.contact_id, o.channel, o.wave_id, o.variant, (o.status = 'delivered' OR o.channel = 'email') AS delivered FROM outbox o
      WHERE o.campaign_id = ${campaignId}::uuid AND o.status IN ('sent', 'delivered')
    UNION
    SELECT p.contact_id, 'mail', r.wave_id, r.variant,
        (r.job_status = 'mailed' AND NOT EXISTS (SELECT 1 FROM responses x WHERE x.campaign_id = r.campaign_id AND x.contact_id = p.contact_id AND x.kind = 'returned' AND x.piece_id = p.id)) AS delivered
      FROM pieces p JOIN print_runs r ON r.id = p.print_run_id AND r.dealer_id = p.dealer_id
      WHERE r.campaign_id = ${campaignId}::uuid AND p.status = 'rendered'`;
}

export async function campaignReport(db: Tx, dealerId: string, campaignId: string) {
  const [aud] = await rows<{ recipients: number; holdout: number }>(
    db,
    sql`SELECT count(*)::int AS recipients, count(*) FILTER (WHERE holdout)::int AS holdout FROM campaign_recipients WHERE campaign_id = ${campaignId}::uuid AND dealer_id = ${dealerId}::uuid`,
  );
  const answers = sql`SELECT DISTINCT x.contact_id, x.channel, x.wave_id, x.variant, x.kind FROM responses x
    WHERE x.dealer_id = ${dealerId}::uuid AND x.campaign_id = ${campaignId}::uuid AND x.in_window AND NOT x.control AND x.kind = ANY(${answered}::text[])`;
  const slices = async (col: 'channel' | 'wave_id' | 'variant' | 'kind') => {
    const touchBy = col === 'kind' ? sql`c.kind` : sql`t.${sql.identifier(col)}`;
    const ansBy = col === 'kind' ? sql`c.kind` : sql`a.${sql.identifier(col)}`;
    const found = await rows<{ key: string | null; contacted: number; delivered: number; responders: number }>(
      db,
      sql`WITH t AS (${touches(campaignId)}),
        touched AS (SELECT ${touchBy} AS key, t.contact_id, bool_or(t.delivered) AS delivered FROM t JOIN contacts c ON c.id = t.contact_id AND c.dealer_id = ${dealerId}::uuid
          GROUP BY ${touchBy}, t.contact_id),
        answered AS (SELECT DISTINCT ${ansBy} AS key, a.contact_id FROM (${answers}) a JOIN contacts c ON c.id = a.contact_id AND c.dealer_id = ${dealerId}::uuid
          WHERE EXISTS (SELECT 1 FROM t WHERE t.contact_id = a.contact_id))
        SELECT k AS key, sum(c)::int AS contacted, sum(d)::int AS delivered, sum(r)::int AS responders FROM (
          SELECT coalesce(key::text, '') AS k, 1 AS c, CASE WHEN delivered THEN 1 ELSE 0 END AS d, 0 AS r FROM touched
          UNION ALL SELECT coalesce(key::text, ''), 0, 0, 1 FROM answered) x
        GROUP BY k ORDER BY k`,
    );
    return found.map((f): Slice => ({ key: f.key ?? '', contacted: f.contacted, delivered: f.delivered, responders: f.responders, rate: rate(f.responders, f.contacted) }));
  };
  const [totals] = await rows<{ contacted: number; delivered: number; responders: number; scanned: number; booked: number; attended: number; sold: number; treated_responders: number; control_responders: number }>(
    db,
    sql`WITH t AS (${touches(campaignId)}), contacted AS (SELECT contact_id, bool_or(delivered) AS delivered FROM t GROUP BY contact_id),
      a AS (SELECT x.contact_id, x.kind FROM responses x WHERE x.dealer_id = ${dealerId}::uuid AND x.campaign_id = ${campaignId}::uuid AND x.in_window AND NOT x.control
              AND x.contact_id IN (SELECT contact_id FROM contacted))
      SELECT (SELECT count(*) FROM contacted)::int AS contacted,
        (SELECT count(*) FROM contacted WHERE delivered)::int AS delivered,
        (SELECT count(DISTINCT contact_id) FROM a WHERE kind = ANY(${answered}::text[]))::int AS responders,
        (SELECT count(DISTINCT contact_id) FROM a WHERE kind IN ('scan', 'click'))::int AS scanned,
        (SELECT count(DISTINCT contact_id) FROM a WHERE kind = 'booking')::int AS booked,
        (SELECT count(DISTINCT contact_id) FROM a WHERE kind = 'attended')::int AS attended,
        (SELECT count(DISTINCT contact_id) FROM a WHERE kind = 'sale')::int AS sold,
        (SELECT count(DISTINCT x.contact_id) FROM responses x JOIN campaign_recipients r ON r.campaign_id = x.campaign_id AND r.contact_id = x.contact_id AND NOT r.holdout
          WHERE x.dealer_id = ${dealerId}::uuid AND x.campaign_id = ${campaignId}::uuid AND x.in_window AND NOT x.control AND x.kind = ANY(${answered}::text[]))::int AS treated_responders,
        (SELECT count(DISTINCT x.contact_id) FROM responses x JOIN campaign_recipients r ON r.campaign_id = x.campaign_id AND r.contact_id = x.contact_id AND r.holdout
          WHERE x.dealer_id = ${dealerId}::uuid AND x.campaign_id = ${campaignId}::uuid AND x.in_window AND x.control AND x.kind = ANY(${answered}::text[]))::int AS control_responders`,
  );
  const dealer = await getDealer(db, dealerId);
  // The drop: the first day pieces went into the mail or messages went out (else the launch), in the dealer's time zone.
  const [drop] = await rows<{ day: string | null }>(
    db,
    sql`SELECT to_char(coalesce(least(
          (SELECT min(mailed_on) FROM print_runs WHERE campaign_id = ${campaignId}::uuid AND dealer_id = ${dealerId}::uuid),
          (SELECT min((sent_at AT TIME ZONE ${dealer!.timezone})::date) FROM outbox WHERE campaign_id = ${campaignId}::uuid AND status IN ('sent', 'delivered'))),
        (SELECT (launched_at AT TIME ZONE ${dealer!.timezone})::date FROM campaigns WHERE id = ${campaignId}::uuid AND dealer_id = ${dealerId}::uuid)), 'YYYY-MM-DD') AS day`,
  );
  const perDay = await rows<{ day: string; responses: number }>(
    db,
    sql`SELECT to_char((occurred_at AT TIME ZONE ${dealer!.timezone})::date, 'YYYY-MM-DD') AS day, count(*)::int AS responses FROM responses
        WHERE dealer_id = ${dealerId}::uuid AND campaign_id = ${campaignId}::uuid AND in_window AND NOT control AND kind = ANY(${answered}::text[])
        GROUP BY 1 ORDER BY 1`,
  );
  const [units] = await rows<{ pieces: number; sms_segments: number; emails: number }>(
    db,
    sql`SELECT (SELECT count(*) FROM pieces p JOIN print_runs r ON r.id = p.print_run_id WHERE r.campaign_id = ${campaignId}::uuid AND r.dealer_id = ${dealerId}::uuid AND p.status = 'rendered')::int AS pieces,
      (SELECT coalesce(sum(segments), 0) FROM outbox WHERE campaign_id = ${campaignId}::uuid AND channel = 'sms' AND status IN ('sent', 'delivered'))::int AS sms_segments,
      (SELECT count(*) FROM outbox WHERE campaign_id = ${campaignId}::uuid AND channel = 'email' AND status IN ('sent', 'delivered'))::int AS emails`,
  );
  const [costs] = await db.select().from(dealerUnitCosts).where(eq(dealerUnitCosts.dealerId, dealerId));
  const t = totals!;
  const treated = (aud?.recipients ?? 0) - (aud?.holdout ?? 0);
  const money = (v: number) => Math.round(v * 100) / 100;
  const cost = costs
    ? (() => {
        const print = units!.pieces * Number(costs.printPiece);
        const postage = units!.pieces * Number(costs.postagePiece);
        const sms = units!.sms_segments * Number(costs.smsSegment);
        const email = units!.emails * Number(costs.emailMessage);
        const total = print + postage + sms + email;
        return { currency: costs.currency, print: money(print), postage: money(postage), sms: money(sms), email: money(email), total: money(total), perResponder: t.responders ? money(total / t.responders) : null };
      })()
    : null;
  return {
    audience: { recipients: aud?.recipients ?? 0, holdout: aud?.holdout ?? 0, contacted: t.contacted },
    delivered: t.delivered,
    responders: t.responders,
    responseRate: rate(t.responders, t.contacted),
    byChannel: await slices('channel'),
    byWave: await slices('wave_id'),
    byVariant: (await slices('variant')).filter((s) => s.key !== ''),
    byContactKind: await slices('kind'),
    funnel: { contacted: t.contacted, scannedOrClicked: t.scanned, booked: t.booked, attended: t.attended, sold: t.sold },
    dropDate: drop?.day ?? null,
    responsesPerDay: perDay,
    // Lift compares like with like: every recipient outside the holdout (reached or not) against the holdout.
    lift: {
      treatment: { recipients: treated, responders: t.treated_responders, rate: rate(t.treated_responders, treated) },
      control: { recipients: aud?.holdout ?? 0, responders: t.control_responders, rate: rate(t.control_responders, aud?.holdout ?? 0) },
      difference: liftInterval(t.treated_responders, treated, t.control_responders, aud?.holdout ?? 0),
    },
    units: { pieces: units!.pieces, smsSegments: units!.sms_segments, emails: units!.emails },
    cost,
  };
}

/** Every campaign of the dealer with its headline figures. */
export async function campaignsSummary(db: Tx, dealerId: string) {
  const list = await rows<{ id: string; name: string; status: string; launched_at: string | null }>(
    db,
    sql`SELECT id, name, status, launched_at FROM campaigns WHERE dealer_id = ${dealerId}::uuid AND launched_at IS NOT NULL ORDER BY launched_at DESC LIMIT 200`,
  );
  // Four reports at a time: their queries overlap on the pool rather than wait one after another, and the pool keeps room for other requests.
  return mapLimit(list, 4, async (c) => {
    const r = await campaignReport(db, dealerId, c.id);
    return { id: c.id, name: c.name, status: c.status, launchedAt: c.launched_at ? new Date(c.launched_at).toISOString() : null, contacted: r.audience.contacted, delivered: r.delivered, responders: r.responders, responseRate: r.responseRate, lift: r.lift.difference, cost: r.cost?.total ?? null, costPerResponder: r.cost?.perResponder ?? null };
  });
}

/** The campaigns' figures added up: contacted, delivered, responders, the overall response rate, cost and cost per responder. */
export function summaryTotals(list: Awaited<ReturnType<typeof campaignsSummary>>) {
  const money = (v: number) => Math.round(v * 100) / 100;
  const contacted = list.reduce((n, r) => n + r.contacted, 0);
  const delivered = list.reduce((n, r) => n + r.delivered, 0);
  const responders = list.reduce((n, r) => n + r.responders, 0);
  const costed = list.filter((r) => r.cost !== null);
  const cost = costed.length ? money(costed.reduce((n, r) => n + r.cost!, 0)) : null;
  const costedResponders = costed.reduce((n, r) => n + r.responders, 0);
  return { campaigns: list.length, contacted, delivered, responders, responseRate: rate(responders, contacted), cost, costPerResponder: cost !== null && costedResponders ? money(cost / costedResponders) : null };
}
