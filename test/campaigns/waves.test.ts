// Waves beyond "send this to everyone now": A/B variants drawn from the seed,
// schedules in the dealer's time zone (scheduled → running → completed),
// follow-ups to those who have not answered, channel fallback, one printed
// piece per household, and pause taking effect on rows already claimed.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advanceCampaigns } from '../../src/campaigns/scheduler';
import { smtpEmail } from '../../src/channels/email';
import { twilioSms } from '../../src/channels/sms';
import { rows } from '../../src/db';
import { contacts } from '../../src/db/schema';
import { uuidv7 } from '../../src/lib/ids';
import { Dispatcher } from '../../src/outbox/dispatcher';
import { createTestApp, T0, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';
import { startSmtpSink, startTwilioServer, type SmtpSink, type TwilioServer } from '../helpers/providers';
import { BODY } from '../outbox/fixtures';

const AUTH = 'test-auth-token-0123456789abcdef';
const SID = 'AC00000000000000000000000000000001';
const OLD = new Date('2025-06-01T00:00:00Z');
const DAY = 86_400_000;

describe.each(DB_KINDS)('campaign waves on %s', (kind) => {
  let t: TestApp;
  let smtp: SmtpSink;
  let tw: TwilioServer;
  let tplA: string;
  let tplB: string;

  const dispatcher = (app: TestApp = t) =>
    new Dispatcher(app.deps, { sms: twilioSms({ accountSid: SID, authToken: AUTH, from: '+15005550006', apiBase: tw.base }), email: smtpEmail(smtp.url) }, { batch: 50 });

  /** Contacts of a club (so each test has its own segment), returning their ids by name. */
  async function club(app: TestApp, name: string, people: [string, Partial<typeof contacts.$inferInsert>][]) {
    const ids: Record<string, string> = {};
    for (const [who, over] of people) {
      ids[who] = uuidv7();
      await app.deps.db.orm.insert(contacts).values({
        id: ids[who], dealerId: app.dealerId, kind: 'club_member', club: name, fullName: who, gender: 'male', country: 'CN', createdAt: OLD, updatedAt: OLD, ...over,
      } as typeof contacts.$inferInsert);
    }
    const seg = await app.req('POST', '/v1/segments', { body: { name, rule: { field: 'club', op: 'eq', value: name } } });
    expect(seg.status, await seg.clone().text()).toBe(201);
    return { ids, segmentId: ((await seg.json()) as { id: string }).id };
  }

  async function launch(app: TestApp, segmentId: string, waves: object[], extra: object = {}) {
    const res = await app.req('POST', '/v1/campaigns', { body: { name: '活动', purpose: 'test_drive', segmentId, waves, ...extra } });
    expect(res.status, await res.clone().text()).toBe(201);
    const id = ((await res.json()) as { id: string }).id;
    for (const [i, w] of (waves as { channel: string }[]).entries()) {
      if (w.channel === 'mail') expect((await app.req('POST', `/v1/campaigns/${id}/waves/${i + 1}/approve-proof`)).status).toBe(200);
    }
    const l = await app.req('POST', `/v1/campaigns/${id}/launch`);
    expect(l.status, await l.clone().text()).toBe(200);
    return { id, status: ((await l.json()) as { status: string }).status };
  }

  const deliveries = (campaignId: string) =>
    rows<{ contact_id: string; channel: string; variant: string | null; status: string; reason: string | null; template_version_id: string; wave_id: string }>(
      t.deps.db.orm,
      sql`SELECT contact_id, channel, variant, status, reason, template_version_id, wave_id FROM outbox WHERE campaign_id = ${campaignId}::uuid ORDER BY contact_id, channel`,
    );
  const status = async (id: string) => ((await (await t.req('GET', `/v1/campaigns/${id}`)).json()) as { status: string }).status;

  beforeAll(async () => {
    t = await createTestApp(kind, { PUBLIC_BASE_URL: 'https://dm.example.cn' });
    smtp = await startSmtpSink();
    tw = await startTwilioServer();
    const mk = async (name: string, text: string) => {
      const res = await t.req('POST', '/v1/templates', { body: { name, body: { ...BODY, sms: { text } } } });
      expect(res.status, await res.clone().text()).toBe(201);
      return ((await res.json()) as { id: string }).id;
    };
    tplA = await mk('A 版', '{{salutation}}，A 版邀请：{{trackingUrl}}');
    tplB = await mk('B 版', '{{salutation}}，B 版邀请：{{trackingUrl}}');
  });
  afterAll(async () => {
    await smtp.close();
    await tw.close();
    await t.close();
  });

  it('splits a wave between A/B variants by percent, reproducibly from the seed, each with its own template', async () => {
    const people: [string, Partial<typeof contacts.$inferInsert>][] = Array.from({ length: 60 }, (_, i) => [`会员${i}`, { phone: `+861390000${String(i).padStart(4, '0')}` }]);
    const { segmentId } = await club(t, 'ab', people);
    const wave = { channel: 'sms', variants: [{ templateId: tplA, percent: 30 }, { templateId: tplB, percent: 70 }] };
    const bad = await t.req('POST', '/v1/campaigns', { body: { name: 'x', purpose: 'test_drive', segmentId, waves: [{ channel: 'sms', variants: [{ templateId: tplA, percent: 30 }, { templateId: tplB, percent: 60 }] }] } });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('add up to 100');
    const first = await launch(t, segmentId, [wave], { seed: 'spring-ab' });
    const second = await launch(t, segmentId, [wave], { seed: 'spring-ab' });
    const a = await deliveries(first.id);
    const b = await deliveries(second.id);
    expect(a).toHaveLength(60);
    const split = (list: typeof a) => list.map((d) => `${d.contact_id}:${d.variant}`).sort();
    // The same seed and audience: the same people in the same variants.
    expect(split(b)).toEqual(split(a));
    const nA = a.filter((d) => d.variant === 'A').length;
    expect(nA).toBeGreaterThan(6);
    expect(nA).toBeLessThan(32);
    expect(new Set(a.filter((d) => d.variant === 'A').map((d) => d.template_version_id)).size).toBe(1);
    expect(a.find((d) => d.variant === 'A')!.template_version_id).not.toBe(a.find((d) => d.variant === 'B')!.template_version_id);
    await t.req('POST', `/v1/campaigns/${second.id}/cancel`);
    await dispatcher().drain();
    const sent = [...tw.messages.values()].filter((m) => m.body.includes(' 版邀请'));
    expect(sent).toHaveLength(60);
    expect(sent.filter((m) => m.body.includes('A 版')).length).toBe(nA);
    const view = (await (await t.req('GET', `/v1/campaigns/${first.id}`)).json()) as { waves: { variants: { label: string; percent: number; deliveries: Record<string, number> }[] }[] };
    expect(view.waves[0]!.variants.map((v) => [v.label, v.percent, v.deliveries.sent])).toEqual([['A', 30, nA], ['B', 70, 60 - nA]]);
  });

  it('schedules in the dealer time zone: scheduled until the first wave is due, then running, then completed', async () => {
    const { segmentId, ids } = await club(t, 'sched', [['赵一', { phone: '+8613900010001' }], ['钱二', { phone: '+8613900010002' }]]);
    // T0 is 10:00 on 1 March in Shanghai; 09:00 on 2 March there is 01:00 UTC.
    const c = await launch(t, segmentId, [{ channel: 'sms', templateId: tplA, scheduledAt: '2026-03-02T09:00' }]);
    expect(c.status).toBe('scheduled');
    const rowsBefore = await deliveries(c.id);
    expect(rowsBefore).toHaveLength(2);
    const [due] = await rows<{ at: string }>(t.deps.db.orm, sql`SELECT to_char(scheduled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI') AS at FROM waves WHERE campaign_id = ${c.id}::uuid`);
    expect(due!.at).toBe('2026-03-02T01:00');
    await dispatcher().drain();
    await advanceCampaigns(t.deps);
    expect(await status(c.id)).toBe('scheduled');
    expect((await deliveries(c.id)).every((d) => d.status === 'pending')).toBe(true);
    // Paused while scheduled and resumed early: still scheduled.
    expect((await t.req('POST', `/v1/campaigns/${c.id}/pause`)).status).toBe(200);
    expect(((await (await t.req('POST', `/v1/campaigns/${c.id}/resume`)).json()) as { status: string }).status).toBe('scheduled');

    t.clock.set(new Date('2026-03-02T01:00:00Z'));
    try {
      await advanceCampaigns(t.deps);
      expect(await status(c.id)).toBe('running');
      await dispatcher().drain();
      expect((await deliveries(c.id)).map((d) => d.status)).toEqual(['sent', 'sent']);
      expect([...tw.messages.values()].filter((m) => m.to === '+8613900010001' || m.to === '+8613900010002')).toHaveLength(2);
      await advanceCampaigns(t.deps);
      const done = (await (await t.req('GET', `/v1/campaigns/${c.id}`)).json()) as { status: string; finishedAt: string };
      expect(done.status).toBe('completed');
      expect(done.finishedAt).toBe('2026-03-02T01:00:00.000Z');
      expect(ids['赵一']).toBeDefined();
    } finally {
      t.clock.set(T0);
    }
  });

  it('sends a follow-up wave only to those who have not answered the campaign', async () => {
    const { segmentId, ids } = await club(t, 'follow', [
      ['孙三', { phone: '+8613900020001', email: 'sun@example.cn' }],
      ['李四', { phone: '+8613900020002', email: 'li@example.cn' }],
      ['周五', { phone: '+8613900020003', email: 'zhou@example.cn' }],
    ]);
    const later = new Date(T0.getTime() + 3 * DAY).toISOString();
    const c = await launch(t, segmentId, [
      { channel: 'sms', templateId: tplA },
      { channel: 'email', templateId: tplA, scheduledAt: later, condition: 'not_responded' },
    ]);
    expect(c.status).toBe('running');
    await dispatcher().drain();
    // 孙三 scanned the SMS link; 李四 only opened an email (not an answer).
    const [camp] = await rows<{ wave_id: string }>(t.deps.db.orm, sql`SELECT id AS wave_id FROM waves WHERE campaign_id = ${c.id}::uuid AND seq = 1`);
    for (const [who, k] of [['孙三', 'scan'], ['李四', 'open']] as const) {
      await t.deps.db.orm.execute(sql`INSERT INTO responses (id, dealer_id, kind, campaign_id, wave_id, channel, contact_id, occurred_at, created_at)
        VALUES (${uuidv7()}::uuid, ${t.dealerId}::uuid, ${k}, ${c.id}::uuid, ${camp!.wave_id}::uuid, 'sms', ${ids[who]!}::uuid, ${T0.toISOString()}::timestamptz, ${T0.toISOString()}::timestamptz)`);
    }
    t.clock.set(new Date(later));
    try {
      await dispatcher().drain();
    } finally {
      t.clock.set(T0);
    }
    const email = (await deliveries(c.id)).filter((d) => d.channel === 'email');
    const by = (who: string) => email.find((d) => d.contact_id === ids[who]);
    expect(by('孙三')).toMatchObject({ status: 'skipped', reason: 'already responded to the campaign' });
    expect(by('李四')!.status).toBe('sent');
    expect(by('周五')!.status).toBe('sent');
  });

  it('falls back to the next channel for recipients the wave cannot reach, and stops at the end of the list', async () => {
    const { segmentId, ids } = await club(t, 'fallback', [
      ['吴六', { phone: '+8613900030001', email: 'wu@example.cn' }],
      ['郑七', { phone: null, email: 'zheng@example.cn' }],
      ['王八', { phone: '+8613900030003', email: 'wang@example.cn', smsConsent: 'revoked' }],
      ['冯九', { phone: null, email: null }],
    ]);
    const noFallback = await t.req('POST', '/v1/campaigns', { body: { name: 'x', purpose: 'test_drive', segmentId, waves: [{ channel: 'sms', templateId: tplA, fallback: ['sms'] }] } });
    expect(noFallback.status).toBe(400);
    expect(await noFallback.text()).toContain('fallback channels must differ');
    const c = await launch(t, segmentId, [{ channel: 'sms', templateId: tplA, fallback: ['email'] }]);
    await dispatcher().drain();
    const d = await deliveries(c.id);
    const by = (who: string, ch: string) => d.find((x) => x.contact_id === ids[who] && x.channel === ch);
    expect(by('吴六', 'sms')!.status).toBe('sent');
    expect(by('吴六', 'email')).toBeUndefined();
    expect(by('郑七', 'sms')).toMatchObject({ status: 'failed', reason: 'no mobile number' });
    expect(by('郑七', 'email')!.status).toBe('sent');
    expect(by('王八', 'sms')).toMatchObject({ status: 'suppressed', reason: 'sms consent revoked' });
    expect(by('王八', 'email')!.status).toBe('sent');
    expect(by('冯九', 'email')).toMatchObject({ status: 'failed', reason: 'no email address' });
    expect(d).toHaveLength(7);
    const mailed = [...smtp.messages.values()].flatMap((m) => m.to);
    expect(mailed).toEqual(expect.arrayContaining(['zheng@example.cn', 'wang@example.cn']));
    expect(mailed).not.toContain('wu@example.cn');
  });

  it('prints one piece per household, and sends the fallback SMS to recipients without a postal address', async () => {
    const print = await t.req('POST', '/v1/templates', { body: { name: '试驾卡', builtin: 'test-drive-invitation-zh' } });
    const printId = ((await print.json()) as { id: string }).id;
    const v1 = (await (await t.req('GET', `/v1/templates/${printId}/versions/latest`)).json()) as { body: object };
    const v2 = await t.req('PUT', `/v1/templates/${printId}`, { body: { body: { ...v1.body, sms: { text: '{{salutation}}，诚邀试驾：{{trackingUrl}}' } } } });
    expect(v2.status, await v2.clone().text()).toBe(200);
    const home = { province: '福建省', city: '福州市', district: '鼓楼区', street: '五四路88号', postcode: '350001', householdKey: 'hh-54-88' };
    const { segmentId, ids } = await club(t, 'household', [
      ['陈父', { ...home, phone: '+8613900040001' }],
      ['陈子', { ...home, phone: '+8613900040002' }],
      ['林十', { province: '福建省', city: '福州市', district: '台江区', street: '八一七路1号', postcode: '350004', phone: '+8613900040003' }],
      ['黄无址', { phone: '+8613900040004' }],
    ]);
    const draft = await t.req('POST', '/v1/campaigns', { body: { name: '预览', purpose: 'test_drive', segmentId, waves: [{ channel: 'mail', templateId: printId, fallback: ['sms'] }] } });
    const preview = (await (await t.req('GET', `/v1/campaigns/${((await draft.json()) as { id: string }).id}/preview`)).json()) as { waves: object[] };
    // Three printable, two households; the one without an address is reached by SMS.
    expect(preview.waves[0]).toMatchObject({ pieces: 2, householdDuplicates: 1, fallback: ['sms'], reachableByFallback: 1 });
    const c = await launch(t, segmentId, [{ channel: 'mail', templateId: printId, fallback: ['sms'] }]);
    await t.deps.jobs.idle();
    const pieces = await rows<{ contact_id: string; status: string; reason: string | null }>(
      t.deps.db.orm,
      sql`SELECT p.contact_id, p.status, p.reason FROM pieces p JOIN print_runs r ON r.id = p.print_run_id WHERE r.campaign_id = ${c.id}::uuid`,
    );
    const piece = (who: string) => pieces.find((p) => p.contact_id === ids[who])!;
    const [father, son] = [ids['陈父']!, ids['陈子']!].sort();
    expect(pieces.find((p) => p.contact_id === father)!.status).toBe('rendered');
    expect(pieces.find((p) => p.contact_id === son)).toMatchObject({ status: 'excluded', reason: 'another piece of this drop goes to the same household' });
    expect(piece('林十').status).toBe('rendered');
    expect(piece('黄无址')).toMatchObject({ status: 'excluded' });
    // The fallback: an SMS for the one without an address, none for the household member.
    const d = await deliveries(c.id);
    expect(d.map((x) => [x.contact_id, x.channel])).toEqual([[ids['黄无址'], 'sms']]);
    await dispatcher().drain();
    expect((await deliveries(c.id))[0]!.status).toBe('sent');
    // Completed only once the print job is mailed.
    await advanceCampaigns(t.deps);
    expect(await status(c.id)).toBe('running');
    const view = (await (await t.req('GET', `/v1/campaigns/${c.id}`)).json()) as { waves: { printRuns: { id: string }[] }[] };
    const runId = view.waves[0]!.printRuns[0]!.id;
    for (const step of ['release', 'printed']) expect((await t.req('POST', `/v1/print-runs/${runId}/${step}`)).status).toBe(200);
    expect((await t.req('POST', `/v1/print-runs/${runId}/mailed`, { body: { mailedOn: '2026-03-02' } })).status).toBe(200);
    await advanceCampaigns(t.deps);
    expect(await status(c.id)).toBe('completed');
  });

  it('a print wave scheduled for later is printed when its time comes, from who has not answered by then', async () => {
    const print = await t.req('POST', '/v1/templates', { body: { name: '贺卡', builtin: 'spring-festival-card' } });
    const printId = ((await print.json()) as { id: string }).id;
    const at = (n: number) => ({ province: '福建省', city: '福州市', district: '鼓楼区', street: `东街${n}号`, postcode: '350001', householdKey: `dj-${n}` });
    const { segmentId, ids } = await club(t, 'later-print', [['甲一', { ...at(1), phone: '+8613900050001' }], ['乙二', { ...at(2), phone: '+8613900050002' }]]);
    const later = new Date(T0.getTime() + 7 * DAY);
    const c = await launch(t, segmentId, [
      { channel: 'sms', templateId: tplA },
      { channel: 'mail', templateId: printId, scheduledAt: later.toISOString(), condition: 'not_responded' },
    ]);
    await dispatcher().drain();
    expect(await rows(t.deps.db.orm, sql`SELECT 1 FROM print_runs WHERE campaign_id = ${c.id}::uuid`)).toHaveLength(0);
    await t.deps.db.orm.execute(sql`INSERT INTO responses (id, dealer_id, kind, campaign_id, contact_id, occurred_at, created_at)
      VALUES (${uuidv7()}::uuid, ${t.dealerId}::uuid, 'booking', ${c.id}::uuid, ${ids['甲一']!}::uuid, ${T0.toISOString()}::timestamptz, ${T0.toISOString()}::timestamptz)`);
    t.clock.set(later);
    try {
      await advanceCampaigns(t.deps);
      await advanceCampaigns(t.deps);
      await t.deps.jobs.idle();
    } finally {
      t.clock.set(T0);
    }
    const pieces = await rows<{ contact_id: string }>(t.deps.db.orm, sql`SELECT p.contact_id FROM pieces p JOIN print_runs r ON r.id = p.print_run_id WHERE r.campaign_id = ${c.id}::uuid`);
    expect(pieces.map((p) => p.contact_id)).toEqual([ids['乙二']]);
    const view = (await (await t.req('GET', `/v1/campaigns/${c.id}`)).json()) as { waves: { status: string; printRuns: unknown[] }[] };
    expect(view.waves[1]).toMatchObject({ status: 'printing' });
    expect(view.waves[1]!.printRuns).toHaveLength(1);
  });
});

describe.each(DB_KINDS)('pause on %s', (kind) => {
  it('stops sending rows already claimed within about a second, and resumes without sending anyone twice', async () => {
    const app = await createTestApp(kind, { SMS_RATE_PER_SEC: 10 });
    const tw = await startTwilioServer();
    try {
      const ids: string[] = [];
      for (let i = 0; i < 40; i++) {
        const id = uuidv7();
        ids.push(id);
        await app.deps.db.orm.insert(contacts).values({ id, dealerId: app.dealerId, kind: 'prior_owner', fullName: `客户${i}`, gender: 'male', phone: `+861380001${String(i).padStart(4, '0')}`, createdAt: OLD, updatedAt: OLD } as typeof contacts.$inferInsert);
      }
      const tpl = await app.req('POST', '/v1/templates', { body: { name: 't', body: BODY } });
      const seg = await app.req('POST', '/v1/segments', { body: { name: 'all', rule: { field: 'kind', op: 'eq', value: 'prior_owner' } } });
      const res = await app.req('POST', '/v1/campaigns', {
        body: { name: 'p', purpose: 'test_drive', segmentId: ((await seg.json()) as { id: string }).id, waves: [{ channel: 'sms', templateId: ((await tpl.json()) as { id: string }).id }] },
      });
      const id = ((await res.json()) as { id: string }).id;
      expect((await app.req('POST', `/v1/campaigns/${id}/launch`)).status).toBe(200);
      const d = new Dispatcher(app.deps, { sms: twilioSms({ accountSid: SID, authToken: AUTH, from: '+15005550006', apiBase: tw.base }), email: smtpEmail('smtp://127.0.0.1:1') }, { batch: 100, concurrency: 4 });
      // 40 messages at 10 a second take about 3 s (after a burst of 10); pause after half a second.
      const tick = d.tick();
      await new Promise((r) => setTimeout(r, 500));
      expect((await app.req('POST', `/v1/campaigns/${id}/pause`)).status).toBe(200);
      const pausedAt = tw.messages.size;
      await tick;
      const afterPause = tw.messages.size - pausedAt;
      // At most about one second of sending (the status is re-read at most every second) after the pause.
      expect(afterPause).toBeLessThanOrEqual(12);
      expect(tw.messages.size).toBeLessThan(40);
      const held = await rows<{ status: string; reason: string | null; attempts: number }>(app.deps.db.orm, sql`SELECT status, reason, attempts FROM outbox WHERE campaign_id = ${id}::uuid AND status <> 'sent'`);
      expect(held.length).toBe(40 - tw.messages.size);
      expect(held.every((h) => h.status === 'pending' && h.reason === 'campaign paused' && h.attempts === 0)).toBe(true);
      expect(await d.tick()).toBe(0);
      expect((await app.req('POST', `/v1/campaigns/${id}/resume`)).status).toBe(200);
      await d.drain();
      expect(tw.messages.size).toBe(40);
      expect(tw.receipts).toBe(40);
    } finally {
      await tw.close();
      await app.close();
    }
  }, 30_000);
});
