// The managers' dashboard: every figure on the pages is the API's (each
// rendered with its path in the API's JSON and its exact value), the charts
// are SVG, each table's CSV link works for managers and is refused to
// marketers (as the API says), another dealer's campaign is not found, and
// printers are refused.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smtpEmail } from '../../src/channels/email';
import { twilioSms } from '../../src/channels/sms';
import { rows } from '../../src/db';
import { contacts } from '../../src/db/schema';
import { uuidv7 } from '../../src/lib/ids';
import { Dispatcher } from '../../src/outbox/dispatcher';
import { recordResponse } from '../../src/responses/record';
import { createTestApp, T0, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';
import { startTwilioServer, type TwilioServer } from '../helpers/providers';
import { staffUser, type StaffClient } from '../helpers/staff';
import { mailedCampaign, type MailedCampaign } from '../landing/fixtures';
import { BODY } from '../outbox/fixtures';
import { expectSameAsApi, metrics } from './metrics';

const OLD = new Date('2025-06-01T00:00:00Z');
const id = (i: number) => `01a20000-0000-7000-8000-0000000001${String(i).padStart(2, '0')}`;

const unescape = (s: string) => s.replace(/&amp;/g, '&');
const csvLinks = (html: string) => [...html.matchAll(/<a[^>]*href="([^"]+)"[^>]*data-csv="([^"]+)"/g)].map((m) => ({ href: unescape(m[1]!), table: m[2]! }));

describe.each(DB_KINDS)('manager dashboard on %s', (kind) => {
  let t: TestApp;
  let tw: TwilioServer;
  let smsCampaign: string;
  let mail: MailedCampaign;
  let manager: StaffClient;
  let marketer: StaffClient;

  async function respond(i: number, k: string, over: { control?: boolean; at?: Date } = {}) {
    const [o] = await rows<{ wave_id: string; variant: string | null; id: string }>(t.deps.db.orm, sql`SELECT id, wave_id, variant FROM outbox WHERE campaign_id = ${smsCampaign}::uuid AND contact_id = ${id(i)}::uuid`);
    const at = (over.at ?? T0).toISOString();
    await t.deps.db.orm.execute(sql`INSERT INTO responses (id, dealer_id, kind, campaign_id, wave_id, channel, variant, contact_id, delivery_id, control, in_window, occurred_at, created_at)
      VALUES (${uuidv7()}::uuid, ${t.dealerId}::uuid, ${k}, ${smsCampaign}::uuid, ${o?.wave_id ?? null}::uuid, ${over.control ? 'web' : 'sms'}, ${o?.variant ?? null}, ${id(i)}::uuid, ${o?.id ?? null}::uuid,
        ${over.control ?? false}, true, ${at}::timestamptz, ${at}::timestamptz)`);
  }

  beforeAll(async () => {
    t = await createTestApp(kind);
    tw = await startTwilioServer();
    // An SMS campaign with an A/B test and a 20% holdout group (contacts 7 and 9 with seed rep-0).
    for (let i = 0; i < 10; i++) {
      await t.deps.db.orm.insert(contacts).values({
        id: id(i), dealerId: t.dealerId, kind: i < 6 ? 'corporate' : 'club_member', fullName: `客户${i}`, gender: 'male', phone: `+86139100000${String(i).padStart(2, '0')}`, createdAt: OLD, updatedAt: OLD,
      } as typeof contacts.$inferInsert);
    }
    const a = await t.req('POST', '/v1/templates', { body: { name: 'A', body: { ...BODY, sms: { text: 'A：{{trackingUrl}}' } } } });
    const b = await t.req('POST', '/v1/templates', { body: { name: 'B', body: { ...BODY, sms: { text: 'B：{{trackingUrl}}' } } } });
    const seg = await t.req('POST', '/v1/segments', { body: { name: 'sms', rule: { field: 'kind', op: 'in', value: ['corporate', 'club_member'] } } });
    const res = await t.req('POST', '/v1/campaigns', {
      body: {
        name: '短信<b>报表</b>', purpose: 'test_drive', segmentId: ((await seg.json()) as { id: string }).id, holdoutPct: 20, seed: 'rep-0',
        waves: [{ channel: 'sms', variants: [{ templateId: ((await a.json()) as { id: string }).id, percent: 50 }, { templateId: ((await b.json()) as { id: string }).id, percent: 50 }] }],
      },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    smsCampaign = ((await res.json()) as { id: string }).id;
    expect((await t.req('POST', `/v1/campaigns/${smsCampaign}/launch`)).status).toBe(200);
    await new Dispatcher(t.deps, { sms: twilioSms({ accountSid: 'AC00000000000000000000000000000001', authToken: 'x'.repeat(32), from: '+15005550006', apiBase: tw.base }), email: smtpEmail('smtp://127.0.0.1:1') }).drain();
    const holdout = await rows<{ contact_id: string }>(t.deps.db.orm, sql`SELECT contact_id FROM campaign_recipients WHERE campaign_id = ${smsCampaign}::uuid AND holdout ORDER BY contact_id`);
    expect(holdout.map((h) => h.contact_id)).toEqual([id(7), id(9)]);
    // Two messages got the carrier's delivery receipt.
    await t.deps.db.orm.execute(sql`UPDATE outbox SET status = 'delivered' WHERE campaign_id = ${smsCampaign}::uuid AND contact_id IN (${id(0)}::uuid, ${id(6)}::uuid)`);
    await respond(0, 'scan');
    await respond(1, 'booking');
    await respond(1, 'attended', { at: new Date(T0.getTime() + 86_400_000) });
    await respond(6, 'sale', { at: new Date(T0.getTime() + 3 * 86_400_000) });
    await respond(7, 'booking', { control: true });

    // A mail campaign mailed on 1 March: two scans and a booking through the pieces, one piece came back.
    mail = await mailedCampaign(t, [{ fullName: '陈晓明' }, { fullName: '林<i>芳</i>' }, { fullName: '王强' }, { fullName: '赵敏' }], '2026-03-01');
    await recordResponse(t.deps.db.orm, t.clock, { dealerId: t.dealerId, kind: 'scan', source: { pieceId: mail.pieces[0]!.pieceId } });
    await recordResponse(t.deps.db.orm, t.clock, { dealerId: t.dealerId, kind: 'scan', source: { pieceId: mail.pieces[1]!.pieceId }, occurredAt: new Date(T0.getTime() + 2 * 86_400_000) });
    await recordResponse(t.deps.db.orm, t.clock, { dealerId: t.dealerId, kind: 'booking', source: { pieceId: mail.pieces[1]!.pieceId }, occurredAt: new Date(T0.getTime() + 2 * 86_400_000) });
    expect((await t.req('POST', '/v1/returns', { body: { pieceId: mail.pieces[3]!.pieceId } })).status).toBe(200);
    expect((await t.req('PUT', '/v1/dealer/unit-costs', { body: { currency: 'CNY', printPiece: 0.8, postagePiece: 1.2, smsSegment: 0.05, emailMessage: 0.01 } })).status).toBe(200);
    t.clock.advance(5 * 86_400_000);
    manager = await staffUser(t, 'manager');
    marketer = await staffUser(t, 'marketer');
  });
  afterAll(async () => {
    await tw.close();
    await t.close();
  });

  it('shows a campaign with exactly the API’s figures, by channel, wave, kind and variant, funnel, days, lift and cost', async () => {
    const api = await (await manager.get(`/v1/reports/campaigns/${smsCampaign}`)).json();
    const html = await manager.html(`/app/reports/${smsCampaign}`);
    const found = expectSameAsApi(html, api);
    const r = api as { byChannel: { key: string }[]; byWave: { key: string }[]; byVariant: { key: string }[]; byContactKind: { key: string }[]; responsesPerDay: { day: string }[]; delivered: number; dropDate: string };
    // Every row of every table is there.
    for (const [field, slices] of Object.entries({ byChannel: r.byChannel, byWave: r.byWave, byVariant: r.byVariant, byContactKind: r.byContactKind })) {
      expect(slices.length).toBeGreaterThan(0);
      for (const s of slices) for (const f of ['contacted', 'delivered', 'responders', 'rate']) expect(found.has(`${field}.${s.key}.${f}`), `${field}.${s.key}.${f}`).toBe(true);
    }
    for (const k of ['contacted', 'scannedOrClicked', 'booked', 'attended', 'sold']) expect(found.has(`funnel.${k}`)).toBe(true);
    for (const d of r.responsesPerDay) expect(found.has(`responsesPerDay.${d.day}.responses`)).toBe(true);
    for (const k of ['lift.difference.lift', 'lift.difference.low', 'lift.difference.high', 'lift.treatment.rate', 'lift.control.rate', 'cost.total', 'cost.perResponder', 'cost.sms', 'delivered', 'responseRate']) {
      expect(found.has(k), k).toBe(true);
    }
    // The figures themselves (the same as the API's, checked above): 8 sent, 2 delivered, 3 responders.
    expect(found.get('audience.contacted')).toBe('8');
    expect(found.get('delivered')).toBe('2');
    expect(found.get('responders')).toBe('3');
    expect(found.get('byContactKind.corporate.responders')).toBe('2');
    expect(found.get('lift.difference.low')).toBe('-0.8949');
    // Responses per day from the drop to today (6 March), the days without any as 0.
    expect(r.dropDate).toBe('2026-03-01');
    const days = [...html.matchAll(/<tr data-day="([\d-]+)">/g)].map((m) => m[1]);
    expect(days).toEqual(['2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04', '2026-03-05', '2026-03-06']);
    // Waves and kinds by name, not by id; the campaign's name escaped.
    expect(html).toContain('第 1 波 · 短信');
    expect(html).toContain('企业客户');
    expect(html).toContain('短信&lt;b&gt;报表&lt;/b&gt;');
    expect(html).not.toContain('<b>报表');
    expect(html).toContain('置信区间包含 0');
  });

  it('draws the funnel, responses per day and channels as SVG, without style attributes', async () => {
    const html = await manager.html(`/app/reports/${smsCampaign}`);
    for (const chart of ['funnel', 'days', 'channel', 'lift']) expect(html).toMatch(new RegExp(`<svg[^>]*data-chart="${chart}"`));
    expect(html).not.toMatch(/\sstyle=/);
    // The funnel's bars: five, the first (contacted) the longest.
    const funnel = html.slice(html.indexOf('data-chart="funnel"'), html.indexOf('</svg>', html.indexOf('data-chart="funnel"')));
    const widths = [...funnel.matchAll(/<rect[^>]*width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths).toHaveLength(5);
    expect(Math.max(...widths)).toBe(widths[0]);
    // The days: a column for each day with responses, titled with its count.
    expect(html).toContain('<title>2026-03-02: 1</title>');
  });

  it('shows a mail campaign: mailed pieces delivered unless returned, the responses through the pieces', async () => {
    const api = (await (await manager.get(`/v1/reports/campaigns/${mail.campaignId}`)).json()) as { delivered: number; byChannel: { key: string; contacted: number; delivered: number }[] };
    const html = await manager.html(`/app/reports/${mail.campaignId}`);
    const found = expectSameAsApi(html, api);
    expect(api.byChannel).toEqual([expect.objectContaining({ key: 'mail', contacted: 4, delivered: 3 })]);
    expect(found.get('byChannel.mail.delivered')).toBe('3');
    expect(found.get('funnel.scannedOrClicked')).toBe('2');
    expect(found.get('funnel.booked')).toBe('1');
    expect(html).toContain('直邮');
    // No holdout group: no lift to measure.
    expect(found.has('lift.difference.lift')).toBe(true);
    expect(found.get('lift.difference.lift')).toBeUndefined();
    expect(html).toContain('没有对照组');
  });

  it('lists every campaign with the API’s figures and totals that add up', async () => {
    const api = (await (await manager.get('/v1/reports/campaigns')).json()) as { data: { id: string; contacted: number; delivered: number; responders: number; cost: number }[]; totals: { contacted: number; delivered: number; responders: number; cost: number } };
    expect(api.data.map((d) => d.id).sort()).toEqual([smsCampaign, mail.campaignId].sort());
    expect(api.totals).toMatchObject({
      campaigns: 2,
      contacted: api.data.reduce((n, d) => n + d.contacted, 0),
      delivered: api.data.reduce((n, d) => n + d.delivered, 0),
      responders: api.data.reduce((n, d) => n + d.responders, 0),
      cost: Math.round(api.data.reduce((n, d) => n + d.cost, 0) * 100) / 100,
    });
    const html = await manager.html('/app/reports');
    const found = expectSameAsApi(html, api);
    for (const d of api.data) for (const f of ['contacted', 'delivered', 'responders', 'responseRate', 'cost', 'costPerResponder']) expect(found.has(`data.${d.id}.${f}`)).toBe(true);
    expect(found.get('totals.contacted')).toBe('12');
    expect(found.get('totals.responders')).toBe('5');
    expect(html).toMatch(/<svg[^>]*data-chart="campaigns"/);
    expect(html).toContain(`href="/app/reports/${smsCampaign}"`);
    expect(html).toContain('短信&lt;b&gt;报表&lt;/b&gt;');
    // In English too.
    const en = await (await manager.get('/app/reports?lang=en')).text();
    expect(en).toContain('Response rate');
    expect(metrics(en)).toEqual(found);
  });

  it('links each table to its CSV export: managers download it (audited), marketers get no links and the API refuses them', async () => {
    const html = await manager.html(`/app/reports/${smsCampaign}`);
    const links = csvLinks(html);
    expect(links.map((l) => l.table).sort()).toEqual(['channel', 'cost', 'days', 'funnel', 'kind', 'lift', 'variant', 'wave']);
    const before = (await (await t.req('GET', '/v1/audit?limit=500')).json()) as { data: { action: string }[] };
    for (const l of links) {
      const res = await manager.get(l.href);
      const text = await res.text();
      expect(res.status, `${l.table}: ${text}`).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
      expect(text.split('\r\n').length).toBeGreaterThan(2);
    }
    const byKind = await (await manager.get(links.find((l) => l.table === 'kind')!.href)).text();
    expect(byKind.replace(/^\uFEFF/, '').split('\r\n')[0]).toBe('kind,contacted,responders,response_rate,delivered');
    const funnel = await (await manager.get(links.find((l) => l.table === 'funnel')!.href)).text();
    expect(funnel).toContain('contacted,8\r\n');
    const after = (await (await t.req('GET', '/v1/audit?limit=500')).json()) as { data: { action: string }[] };
    const exports = (x: typeof after) => x.data.filter((e) => e.action === 'export').length;
    expect(exports(after) - exports(before)).toBe(links.length + 2);
    const summary = csvLinks(await manager.html('/app/reports'));
    expect(summary.map((l) => l.href)).toEqual(['/v1/reports/campaigns?format=csv']);
    expect((await manager.get(summary[0]!.href)).status).toBe(200);

    // A marketer reads the dashboard but may not export.
    const mine = await marketer.html(`/app/reports/${smsCampaign}`);
    expect(csvLinks(mine)).toHaveLength(0);
    expect(metrics(mine)).toEqual(metrics(html));
    for (const l of links) expect((await marketer.get(l.href)).status).toBe(403);
  });

  it('does not show another dealer’s campaign, and refuses printers', async () => {
    const other = await t.addDealer('别家车行');
    const stranger = await staffUser(t, 'manager', { adminToken: other.token });
    const res = await stranger.get(`/app/reports/${smsCampaign}`);
    expect(res.status).toBe(404);
    const body = await res.text();
    expect(body).toContain('id="not-found"');
    expect(body).not.toContain('短信&lt;b&gt;');
    expect(metrics(await stranger.html('/app/reports')).get('totals.campaigns')).toBe('0');
    expect((await manager.get('/app/reports/not-a-uuid')).status).toBe(404);
    const printer = await staffUser(t, 'printer');
    expect((await printer.get('/app/reports')).status).toBe(403);
    expect((await printer.get(`/app/reports/${smsCampaign}`)).status).toBe(403);
  });
});
