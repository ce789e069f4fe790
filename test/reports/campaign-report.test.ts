// The campaign report: contacted, responders and rates by channel, wave,
// variant and contact kind that add up to the totals; the funnel; responses
// per day; lift over the holdout group with its 95% interval; cost per
// responder from the dealer's unit costs; CSV exports for managers and admins
// only (and in the audit log); another dealer's campaign is not found.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smtpEmail } from '../../src/channels/email';
import { twilioSms } from '../../src/channels/sms';
import { rows } from '../../src/db';
import { contacts } from '../../src/db/schema';
import { issueApiToken } from '../../src/dealers';
import { uuidv7 } from '../../src/lib/ids';
import { Dispatcher } from '../../src/outbox/dispatcher';
import { liftInterval } from '../../src/reports/campaign';
import { createTestApp, T0, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';
import { startTwilioServer, type TwilioServer } from '../helpers/providers';
import { BODY } from '../outbox/fixtures';

const OLD = new Date('2025-06-01T00:00:00Z');
const id = (i: number) => `01a20000-0000-7000-8000-0000000001${String(i).padStart(2, '0')}`;

interface Slice {
  key: string;
  contacted: number;
  delivered: number;
  responders: number;
  rate: number;
}
interface Report {
  audience: { recipients: number; holdout: number; contacted: number };
  responders: number;
  responseRate: number;
  byChannel: Slice[];
  byWave: Slice[];
  byVariant: Slice[];
  byContactKind: Slice[];
  funnel: Record<string, number>;
  responsesPerDay: { day: string; responses: number }[];
  dropDate: string | null;
  lift: { treatment: { recipients: number; responders: number }; control: { recipients: number; responders: number }; difference: { lift: number; low: number; high: number } };
  units: { smsSegments: number };
  cost: { total: number; sms: number; perResponder: number; currency: string };
}

describe.each(DB_KINDS)('campaign report on %s', (kind) => {
  let t: TestApp;
  let tw: TwilioServer;
  let campaignId: string;
  let report: Report;

  async function respond(i: number, k: string, over: { control?: boolean; inWindow?: boolean; at?: Date } = {}) {
    const [o] = await rows<{ wave_id: string; variant: string | null; id: string }>(t.deps.db.orm, sql`SELECT id, wave_id, variant FROM outbox WHERE campaign_id = ${campaignId}::uuid AND contact_id = ${id(i)}::uuid`);
    const at = (over.at ?? T0).toISOString();
    await t.deps.db.orm.execute(sql`INSERT INTO responses (id, dealer_id, kind, campaign_id, wave_id, channel, variant, contact_id, delivery_id, control, in_window, occurred_at, created_at)
      VALUES (${uuidv7()}::uuid, ${t.dealerId}::uuid, ${k}, ${campaignId}::uuid, ${o?.wave_id ?? null}::uuid, ${over.control ? 'web' : 'sms'}, ${o?.variant ?? null}, ${id(i)}::uuid, ${o?.id ?? null}::uuid,
        ${over.control ?? false}, ${over.inWindow ?? true}, ${at}::timestamptz, ${at}::timestamptz)`);
  }

  beforeAll(async () => {
    t = await createTestApp(kind);
    tw = await startTwilioServer();
    for (let i = 0; i < 10; i++) {
      await t.deps.db.orm.insert(contacts).values({
        id: id(i), dealerId: t.dealerId, kind: i < 6 ? 'prior_owner' : 'club_member', fullName: `客户${i}`, gender: 'male', phone: `+86139100000${String(i).padStart(2, '0')}`, createdAt: OLD, updatedAt: OLD,
      } as typeof contacts.$inferInsert);
    }
    const a = await t.req('POST', '/v1/templates', { body: { name: 'A', body: { ...BODY, sms: { text: 'A：{{trackingUrl}}' } } } });
    const b = await t.req('POST', '/v1/templates', { body: { name: 'B', body: { ...BODY, sms: { text: 'B：{{trackingUrl}}' } } } });
    const seg = await t.req('POST', '/v1/segments', { body: { name: 'all', rule: { field: 'kind', op: 'in', value: ['prior_owner', 'club_member'] } } });
    expect(seg.status, await seg.clone().text()).toBe(201);
    // Seed rep-0 puts contacts 7 and 9 in the 20% holdout group.
    const res = await t.req('POST', '/v1/campaigns', {
      body: {
        name: '报表', purpose: 'test_drive', segmentId: ((await seg.json()) as { id: string }).id, holdoutPct: 20, seed: 'rep-0',
        waves: [{ channel: 'sms', variants: [{ templateId: ((await a.json()) as { id: string }).id, percent: 50 }, { templateId: ((await b.json()) as { id: string }).id, percent: 50 }] }],
      },
    });
    campaignId = ((await res.json()) as { id: string }).id;
    expect((await t.req('POST', `/v1/campaigns/${campaignId}/launch`)).status).toBe(200);
    await new Dispatcher(t.deps, { sms: twilioSms({ accountSid: 'AC00000000000000000000000000000001', authToken: 'x'.repeat(32), from: '+15005550006', apiBase: tw.base }), email: smtpEmail('smtp://127.0.0.1:1') }).drain();
    const holdout = await rows<{ contact_id: string }>(t.deps.db.orm, sql`SELECT contact_id FROM campaign_recipients WHERE campaign_id = ${campaignId}::uuid AND holdout ORDER BY contact_id`);
    expect(holdout.map((h) => h.contact_id)).toEqual([id(7), id(9)]);
    // Answers: 0 scanned, 1 booked and attended, 6 (a club member) bought; 2 only opened an email; 3 answered after the window;
    // holdout member 7 booked through the general page.
    await respond(0, 'scan');
    await respond(1, 'booking');
    await respond(1, 'attended', { at: new Date(T0.getTime() + 86_400_000) });
    await respond(6, 'sale', { at: new Date(T0.getTime() + 2 * 86_400_000) });
    await respond(2, 'open');
    await respond(3, 'scan', { inWindow: false });
    await respond(7, 'booking', { control: true });
    expect((await t.req('PUT', '/v1/dealer/unit-costs', { body: { currency: 'CNY', printPiece: 0.8, postagePiece: 1.2, smsSegment: 0.05, emailMessage: 0.01 } })).status).toBe(200);
    const r = await t.req('GET', `/v1/reports/campaigns/${campaignId}`);
    expect(r.status, await r.clone().text()).toBe(200);
    report = (await r.json()) as Report;
  });
  afterAll(async () => {
    await tw.close();
    await t.close();
  });

  it('counts contacted and responders, and every breakdown adds up to them', () => {
    expect(report.audience).toEqual({ recipients: 10, holdout: 2, contacted: 8 });
    expect(report.responders).toBe(3);
    expect(report.responseRate).toBe(0.375);
    const sum = (s: Slice[]) => [s.reduce((n, x) => n + x.contacted, 0), s.reduce((n, x) => n + x.responders, 0)];
    for (const slices of [report.byChannel, report.byWave, report.byVariant, report.byContactKind]) expect(sum(slices)).toEqual([8, 3]);
    // No delivery receipts came back from the SMS provider: nothing is known delivered.
    expect(report.byChannel).toEqual([{ key: 'sms', contacted: 8, delivered: 0, responders: 3, rate: 0.375 }]);
    expect(report.byContactKind).toEqual([
      { key: 'club_member', contacted: 2, delivered: 0, responders: 1, rate: 0.5 },
      { key: 'prior_owner', contacted: 6, delivered: 0, responders: 2, rate: 0.3333 },
    ]);
    expect(report.byVariant.map((v) => v.key)).toEqual(['A', 'B']);
  });

  it('shows the funnel and responses per day since the drop', () => {
    // The SMS went out on launch day (10:00 in Shanghai).
    expect(report.dropDate).toBe('2026-03-01');
    expect(report.funnel).toEqual({ contacted: 8, scannedOrClicked: 1, booked: 1, attended: 1, sold: 1 });
    expect(report.responsesPerDay).toEqual([
      { day: '2026-03-01', responses: 2 },
      { day: '2026-03-02', responses: 1 },
      { day: '2026-03-03', responses: 1 },
    ]);
  });

  it('measures lift over the holdout group with a 95% interval', () => {
    expect(report.lift.treatment).toMatchObject({ recipients: 8, responders: 3 });
    expect(report.lift.control).toMatchObject({ recipients: 2, responders: 1 });
    // 3/8 − 1/2 = −0.125; se = sqrt(.375·.625/8 + .5·.5/2) = 0.39281; ±1.96·se = ±0.76991.
    expect(report.lift.difference).toEqual({ lift: -0.125, low: -0.8949, high: 0.6449 });
    expect(liftInterval(3, 8, 1, 2)).toEqual(report.lift.difference);
    expect(liftInterval(1, 0, 1, 2)).toBeNull();
  });

  it('costs the campaign from the unit costs', () => {
    expect(report.units.smsSegments).toBeGreaterThanOrEqual(8);
    expect(report.cost).toMatchObject({ currency: 'CNY', sms: Math.round(report.units.smsSegments * 0.05 * 100) / 100 });
    expect(report.cost.perResponder).toBe(Math.round((report.cost.total / 3) * 100) / 100);
  });

  it('exports CSV for managers and admins only, in the audit log; another dealer finds nothing', async () => {
    const marketer = await issueApiToken(t.deps.db.orm, t.clock, t.dealerId, 'marketer', 'm');
    const manager = await issueApiToken(t.deps.db.orm, t.clock, t.dealerId, 'manager', 'b');
    expect((await t.req('GET', `/v1/reports/campaigns/${campaignId}`, { token: marketer.token })).status).toBe(200);
    expect((await t.req('GET', `/v1/reports/campaigns/${campaignId}?format=csv&table=kind`, { token: marketer.token })).status).toBe(403);
    const csv = await t.req('GET', `/v1/reports/campaigns/${campaignId}?format=csv&table=kind`, { token: manager.token });
    expect(csv.status).toBe(200);
    expect((await csv.text()).replace(/^\uFEFF/, '')).toBe('kind,contacted,responders,response_rate,delivered\r\nclub_member,2,1,0.5,0\r\nprior_owner,6,2,0.3333,0\r\n');
    const all = await t.req('GET', '/v1/reports/campaigns?format=csv', { token: manager.token });
    expect((await all.text()).split('\r\n')[1]).toContain(`${campaignId},报表,running`);
    const log = (await (await t.req('GET', '/v1/audit')).json()) as { data: { action: string }[] };
    expect(log.data.filter((e) => e.action === 'export')).toHaveLength(2);
    const other = await t.addDealer('别家');
    expect((await t.req('GET', `/v1/reports/campaigns/${campaignId}`, { token: other.token })).status).toBe(404);
    const printer = await issueApiToken(t.deps.db.orm, t.clock, t.dealerId, 'printer', 'p');
    expect((await t.req('GET', `/v1/reports/campaigns/${campaignId}`, { token: printer.token })).status).toBe(403);
  });
  // Last: it changes the data. A recipient outside the holdout who was never reached (the message failed)
  // but bought anyway counts for the lift (everyone outside the holdout against the holdout), not as a
  // responder among the contacted.
  it('counts every recipient outside the holdout for the lift, reached or not', async () => {
    await t.deps.db.orm.execute(sql`UPDATE outbox SET status = 'failed', sent_at = NULL WHERE campaign_id = ${campaignId}::uuid AND contact_id = ${id(5)}::uuid`);
    await respond(5, 'sale', { at: new Date(T0.getTime() + 86_400_000) });
    const after = (await (await t.req('GET', `/v1/reports/campaigns/${campaignId}`)).json()) as Report;
    expect(after.audience.contacted).toBe(report.audience.contacted - 1);
    expect(after.responders).toBe(report.responders);
    expect(after.lift.treatment).toMatchObject({ recipients: 8, responders: 4 });
    expect(after.lift.difference).toEqual(liftInterval(4, 8, 1, 2));
  });
});
