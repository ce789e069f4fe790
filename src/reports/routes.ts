// /v1/reports: campaign figures for managers (JSON, or CSV with ?format=csv;
// a campaign's tables one by one with &table=channel|wave|variant|kind|days|funnel|lift|cost).
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { one } from '../db';
import { dealerUnitCosts } from '../db/schema-staff';
import type { AppEnv } from '../http/context';
import { requireRole } from '../http/tenancy';
import { jsonBody, uuidParam } from '../http/validate';
import { CSV_BOM, csvLine } from '../lib/csv';
import { notFound } from '../lib/errors';
import { audit } from '../staff/audit';
import { getUnitCosts } from '../dealers';
import { campaignReport, campaignsSummary, summaryTotals } from './campaign';
import { sql } from 'drizzle-orm';

export const reportRoutes = new Hono<AppEnv>();
reportRoutes.use('*', requireRole('admin', 'marketer', 'manager'));

/** CSV exports need the manager or admin role, and are in the audit log. */
async function csv(c: Context<AppEnv>, name: string, header: string[], lines: (string | number | null)[][], subject?: { type: string; id: string }) {
  const auth = c.get('auth');
  if (auth.role !== 'manager' && auth.role !== 'admin') {
    return c.json({ error: { code: 'forbidden', message: 'exports need the manager or admin role', details: null } }, 403);
  }
  const deps = c.get('deps');
  await audit(deps.db.orm, deps.clock, { dealerId: auth.dealerId, actor: auth.tokenId, action: 'export', ...(subject ? { subject } : {}), data: { file: name, rows: lines.length } });
  c.header('Content-Type', 'text/csv; charset=utf-8');
  c.header('Content-Disposition', `attachment; filename="${name}"`);
  return c.body(CSV_BOM + csvLine(header) + lines.map((l) => csvLine(l)).join(''));
}

reportRoutes.get('/campaigns', async (c) => {
  const rows = await campaignsSummary(c.get('deps').db.orm, c.get('auth').dealerId);
  if (c.req.query('format') === 'csv') {
    return csv(c, 'campaigns.csv', ['campaign', 'name', 'status', 'launched_at', 'contacted', 'responders', 'response_rate', 'lift', 'lift_low', 'lift_high', 'cost', 'cost_per_responder', 'delivered'],
      rows.map((r) => [r.id, r.name, r.status, r.launchedAt, r.contacted, r.responders, r.responseRate, r.lift?.lift ?? null, r.lift?.low ?? null, r.lift?.high ?? null, r.cost, r.costPerResponder, r.delivered]));
  }
  return c.json({ data: rows, totals: summaryTotals(rows) });
});

reportRoutes.get('/campaigns/:id', async (c) => {
  const deps = c.get('deps');
  const { dealerId } = c.get('auth');
  const id = uuidParam(c.req.param('id'), 'campaign');
  const found = await one(deps.db.orm, sql`SELECT 1 AS one FROM campaigns WHERE id = ${id}::uuid AND dealer_id = ${dealerId}::uuid`);
  if (!found) throw notFound('campaign');
  const r = await campaignReport(deps.db.orm, dealerId, id);
  const table = c.req.query('table');
  if (c.req.query('format') === 'csv') {
    const slices = { channel: r.byChannel, wave: r.byWave, variant: r.byVariant, kind: r.byContactKind }[table ?? 'channel'];
    const subject = { type: 'campaign', id };
    if (slices) return csv(c, `campaign-${id}-by-${table ?? 'channel'}.csv`, [table ?? 'channel', 'contacted', 'responders', 'response_rate', 'delivered'], slices.map((s) => [s.key, s.contacted, s.responders, s.rate, s.delivered]), subject);
    if (table === 'days') return csv(c, `campaign-${id}-per-day.csv`, ['day', 'responses'], r.responsesPerDay.map((d) => [d.day, d.responses]), subject);
    if (table === 'funnel') return csv(c, `campaign-${id}-funnel.csv`, ['stage', 'contacts'], Object.entries(r.funnel).map(([stage, n]) => [stage, n]), subject);
    if (table === 'lift') {
      const d = r.lift.difference;
      return csv(c, `campaign-${id}-lift.csv`, ['group', 'recipients', 'responders', 'response_rate', 'lift', 'lift_low', 'lift_high'], [
        ['treatment', r.lift.treatment.recipients, r.lift.treatment.responders, r.lift.treatment.rate, d?.lift ?? null, d?.low ?? null, d?.high ?? null],
        ['holdout', r.lift.control.recipients, r.lift.control.responders, r.lift.control.rate, null, null, null],
      ], subject);
    }
    if (table === 'cost') {
      const k = r.cost;
      return csv(c, `campaign-${id}-cost.csv`, ['item', 'units', 'amount', 'currency'], [
        ['print', r.units.pieces, k?.print ?? null, k?.currency ?? null],
        ['postage', r.units.pieces, k?.postage ?? null, k?.currency ?? null],
        ['sms', r.units.smsSegments, k?.sms ?? null, k?.currency ?? null],
        ['email', r.units.emails, k?.email ?? null, k?.currency ?? null],
        ['total', null, k?.total ?? null, k?.currency ?? null],
        ['per_responder', r.responders, k?.perResponder ?? null, k?.currency ?? null],
      ], subject);
    }
    throw notFound('report table');
  }
  return c.json(r);
});

export const unitCostRoutes = new Hono<AppEnv>();
const costsBody = z.object({
  currency: z.string().regex(/^[A-Z]{3}$/),
  printPiece: z.number().min(0).max(1000),
  postagePiece: z.number().min(0).max(1000),
  smsSegment: z.number().min(0).max(100),
  emailMessage: z.number().min(0).max(100),
});
unitCostRoutes.get('/', async (c) => {
  const costs = await getUnitCosts(c.get('deps').db.orm, c.get('auth').dealerId);
  if (!costs) throw notFound('unit costs');
  return c.json(costs);
});
unitCostRoutes.put('/', requireRole('admin'), async (c) => {
  const input = await jsonBody(c, costsBody);
  const deps = c.get('deps');
  const dealerId = c.get('auth').dealerId;
  const values = { dealerId, ...input, updatedAt: deps.clock.now() };
  await deps.db.orm.insert(dealerUnitCosts).values(values).onConflictDoUpdate({ target: dealerUnitCosts.dealerId, set: { ...input, updatedAt: values.updatedAt } });
  return c.json(input);
});
