// Campaign → outbox → channel, with real parts: the twilio package talking to
// a Twilio-shaped HTTP server and nodemailer talking to an SMTP server, both in
// this process. Send-time checks (consent, suppression, frequency cap, quiet
// hours), failures and retries, pause and cancel, signed callbacks, opt-outs,
// and a dispatcher dying with rows claimed: every recipient gets one message.
import { sql } from 'drizzle-orm';
import twilio from 'twilio';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rows } from '../../src/db';
import { contacts, suppressions } from '../../src/db/schema';
import { smtpEmail, type EmailProvider } from '../../src/channels/email';
import { twilioSms } from '../../src/channels/sms';
import { systemClock } from '../../src/lib/clock';
import { uuidv7 } from '../../src/lib/ids';
import { Dispatcher } from '../../src/outbox/dispatcher';
import { claimDue } from '../../src/outbox/outbox';
import { createTestApp, T0, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';
import { BODY } from './fixtures';
import { startSmtpSink, startTwilioServer, type SmtpSink, type TwilioServer } from '../helpers/providers';

const AUTH = 'test-auth-token-0123456789abcdef';
const SID = 'AC00000000000000000000000000000001';
const BASE = 'https://dm.example.cn';
const OLD = new Date('2025-06-01T00:00:00Z');
const BOUNCE = 'bounce-token-0123456789';


describe.each(DB_KINDS)('campaign dispatch on %s', (kind) => {
  let t: TestApp;
  let smtp: SmtpSink;
  let tw: TwilioServer;
  let templateId: string;
  let segmentId: string;
  const ids: Record<string, string> = {};

  const dispatcher = (opts = {}) =>
    new Dispatcher(t.deps, { sms: twilioSms({ accountSid: SID, authToken: AUTH, from: '+15005550006', apiBase: tw.base }), email: smtpEmail(smtp.url) }, { batch: 50, ...opts });

  async function add(name: string, over: Partial<typeof contacts.$inferInsert>) {
    const id = uuidv7();
    ids[name] = id;
    await t.deps.db.orm.insert(contacts).values({ id, dealerId: t.dealerId, kind: 'prior_owner', fullName: name, gender: 'male', createdAt: OLD, updatedAt: OLD, ...over } as typeof contacts.$inferInsert);
  }

  async function campaign(waves: object[], extra: object = {}) {
    const res = await t.req('POST', '/v1/campaigns', { body: { name: '试驾邀请', purpose: 'test_drive', segmentId, waves, ...extra } });
    expect(res.status, await res.clone().text()).toBe(201);
    const c = (await res.json()) as { id: string };
    const l = await t.req('POST', `/v1/campaigns/${c.id}/launch`);
    expect(l.status, await l.clone().text()).toBe(200);
    return c.id;
  }

  async function deliveries(campaignId: string) {
    return rows<{ id: string; contact_id: string; channel: string; status: string; reason: string | null; attempts: number; token: string }>(
      t.deps.db.orm,
      sql`SELECT id, contact_id, channel, status, reason, attempts, token FROM outbox WHERE campaign_id = ${campaignId}::uuid ORDER BY contact_id, channel`,
    );
  }

  beforeAll(async () => {
    smtp = await startSmtpSink();
    tw = await startTwilioServer();
    t = await createTestApp(kind, { PUBLIC_BASE_URL: BASE, TWILIO_AUTH_TOKEN: AUTH, FREQUENCY_CAP_DAYS: 0, BOUNCE_TOKEN: BOUNCE });
    await add('王小明', { phone: '+8613800000001', email: 'wang@example.cn' });
    await add('李娜', { phone: '+8613800000002', email: 'li@example.cn', gender: 'female' });
    await add('张伟', { phone: '+8613800000003', email: null });
    await add('赵敏', { phone: null, email: 'zhao@example.cn', gender: 'female' });
    const tpl = await t.req('POST', '/v1/templates', { body: { name: '试驾短信与邮件', body: BODY } });
    expect(tpl.status, await tpl.clone().text()).toBe(201);
    templateId = ((await tpl.json()) as { id: string }).id;
    const seg = await t.req('POST', '/v1/segments', { body: { name: '全部车主', rule: { field: 'kind', op: 'eq', value: 'prior_owner' } } });
    segmentId = ((await seg.json()) as { id: string }).id;
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
    await tw.close();
  });
  beforeEach(() => {
    t.clock.set(T0); // 10:00 in Shanghai
    smtp.messages.clear();
    tw.messages.clear();
    smtp.receipts = 0;
    tw.receipts = 0;
  });
  afterEach(async () => {
    await t.deps.db.orm.execute(sql`UPDATE campaigns SET status = 'completed' WHERE status IN ('running', 'paused')`);
  });

  it('sends SMS through the twilio package and email over SMTP, once each, with the required headers and text', async () => {
    const id = await campaign([{ channel: 'sms', templateId }, { channel: 'email', templateId }]);
    await dispatcher().drain();
    const d = await deliveries(id);
    const by = (name: string, ch: string) => d.find((x) => x.contact_id === ids[name] && x.channel === ch)!;
    expect(by('王小明', 'sms').status).toBe('sent');
    expect(by('王小明', 'email').status).toBe('sent');
    expect(by('张伟', 'email')).toMatchObject({ status: 'failed', reason: 'no email address' });
    expect(by('赵敏', 'sms')).toMatchObject({ status: 'failed', reason: 'no mobile number' });
    expect(tw.messages.size).toBe(3);
    expect(smtp.messages.size).toBe(3);
    const sms = [...tw.messages.values()].find((m) => m.to === '+8613800000001')!;
    expect(sms.body.startsWith('【测试汽车4S店】王先生，诚邀您')).toBe(true);
    expect(sms.body.endsWith('拒收请回复R')).toBe(true);
    expect(sms.body).toContain(`${BASE}/r/${by('王小明', 'sms').token}`);
    expect(sms.statusCallback).toBe(`${BASE}/webhooks/twilio/status?d=${by('王小明', 'sms').id}`);
    const mail = [...smtp.messages.values()].find((m) => m.to.includes('li@example.cn'))!;
    expect(mail.messageId).toBe(`<${by('李娜', 'email').id}@dm.example.cn>`);
    expect(mail.raw).toMatch(/^List-Unsubscribe: <https:\/\/dm\.example\.cn\/u\/[0-9a-f-]{36}\.[A-Za-z0-9_-]+>\r?$/m);
    expect(mail.raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r?$/m);
    expect(mail.raw).toMatch(/Content-Type: text\/plain/);
    expect(mail.raw).toMatch(/Content-Type: text\/html/);
  });

  it('escapes contact data in the HTML part', async () => {
    await t.deps.db.orm.execute(sql`UPDATE contacts SET full_name = '<b>王</b>' WHERE id = ${ids['王小明']}::uuid`);
    try {
      const id = await campaign([{ channel: 'email', templateId }]);
      await dispatcher().drain();
      const [d] = (await deliveries(id)).filter((x) => x.contact_id === ids['王小明']);
      const raw = smtp.messages.get(`<${d!.id}@dm.example.cn>`)!.raw;
      expect(raw).not.toContain('<p><b>');
      expect(raw).toMatch(/&lt;b&gt;/);
    } finally {
      await t.deps.db.orm.execute(sql`UPDATE contacts SET full_name = '王小明' WHERE id = ${ids['王小明']}::uuid`);
    }
  });

  it('keeps a reproducible holdout group out of the outbox', async () => {
    const a = await campaign([{ channel: 'sms', templateId }], { holdoutPct: 50, seed: 'spring-2027' });
    const b = await campaign([{ channel: 'sms', templateId }], { holdoutPct: 50, seed: 'spring-2027' });
    const held = async (id: string) =>
      (await rows<{ contact_id: string }>(t.deps.db.orm, sql`SELECT contact_id FROM campaign_recipients WHERE campaign_id = ${id}::uuid AND holdout ORDER BY contact_id`)).map((r) => r.contact_id);
    expect(await held(a)).toEqual(await held(b));
    const da = await deliveries(a);
    expect(da.length).toBe(4 - (await held(a)).length);
    for (const h of await held(a)) expect(da.some((x) => x.contact_id === h)).toBe(false);
  });

  it('checks consent and suppression at send time, not only at launch', async () => {
    const id = await campaign([{ channel: 'sms', templateId }]);
    await t.deps.db.orm.insert(suppressions).values({ id: uuidv7(), dealerId: t.dealerId, channel: 'sms', target: 'phone', value: '+8613800000002', reason: 'unsubscribed', source: 'test', createdAt: T0 });
    await t.deps.db.orm.execute(sql`UPDATE contacts SET sms_consent = 'revoked' WHERE id = ${ids['张伟']}::uuid`);
    try {
      await dispatcher().drain();
      const d = await deliveries(id);
      expect(d.find((x) => x.contact_id === ids['李娜'])).toMatchObject({ status: 'suppressed', reason: 'suppressed: unsubscribed' });
      expect(d.find((x) => x.contact_id === ids['张伟'])).toMatchObject({ status: 'suppressed', reason: 'sms consent revoked' });
      expect(d.find((x) => x.contact_id === ids['王小明'])!.status).toBe('sent');
      expect([...tw.messages.values()].map((m) => m.to)).toEqual(['+8613800000001']);
    } finally {
      await t.deps.db.orm.execute(sql`DELETE FROM suppressions WHERE source = 'test'`);
      await t.deps.db.orm.execute(sql`UPDATE contacts SET sms_consent = NULL WHERE id = ${ids['张伟']}::uuid`);
    }
  });

  it('holds SMS during quiet hours until morning, and sends them then', async () => {
    t.clock.set(new Date('2026-03-01T14:30:00Z')); // 22:30 in Shanghai
    const id = await campaign([{ channel: 'sms', templateId }]);
    await dispatcher().drain();
    expect(tw.messages.size).toBe(0);
    const held = await rows<{ status: string; next_attempt_at: Date | string; attempts: number }>(
      t.deps.db.orm,
      sql`SELECT status, next_attempt_at, attempts FROM outbox WHERE campaign_id = ${id}::uuid AND contact_id = ${ids['王小明']}::uuid`,
    );
    expect(held[0]!.status).toBe('pending');
    expect(new Date(held[0]!.next_attempt_at).toISOString()).toBe('2026-03-02T00:00:00.000Z'); // 08:00 in Shanghai
    expect(held[0]!.attempts).toBe(0);
    t.clock.set(new Date('2026-03-02T00:00:30Z'));
    await dispatcher().drain();
    expect(tw.messages.size).toBe(3);
  });

  it('does not dispatch a paused campaign, resumes, and a cancelled one skips what is left', async () => {
    const id = await campaign([{ channel: 'sms', templateId }]);
    expect((await t.req('POST', `/v1/campaigns/${id}/pause`)).status).toBe(200);
    await dispatcher().drain();
    expect(tw.messages.size).toBe(0);
    expect((await t.req('POST', `/v1/campaigns/${id}/resume`)).status).toBe(200);
    await dispatcher().drain();
    expect(tw.messages.size).toBe(3);
    const other = await campaign([{ channel: 'email', templateId }]);
    expect((await t.req('POST', `/v1/campaigns/${other}/cancel`)).status).toBe(200);
    await dispatcher().drain();
    expect(new Set((await deliveries(other)).map((d) => d.status))).toEqual(new Set(['skipped']));
    expect((await t.req('POST', `/v1/campaigns/${other}/resume`)).status).toBe(409);
  });

  it('retries a provider outage with backoff, slows down on 429, and fails after the last attempt', async () => {
    const id = await campaign([{ channel: 'sms', templateId }]);
    tw.failNext(1, 503);
    const d1 = dispatcher({ concurrency: 1, maxAttempts: 3 });
    await d1.drain();
    let d = await deliveries(id);
    expect(d.filter((x) => x.status === 'pending')).toHaveLength(1);
    expect(d.find((x) => x.status === 'pending')!.reason).toMatch(/provider unavailable \(503\)/);
    t.clock.advance(60_000);
    tw.failNext(1, 429);
    await d1.drain();
    d = await deliveries(id);
    expect(d.find((x) => x.status === 'pending')!.reason).toMatch(/slow down/);
    t.clock.advance(30_000);
    tw.failNext(5, 500);
    await d1.drain();
    d = await deliveries(id);
    const last = d.find((x) => x.status === 'failed' && x.channel === 'sms' && x.reason?.includes('gave up'));
    expect(last?.attempts).toBe(3);
    expect(tw.messages.size).toBe(2);
  });

  it('suppresses a number the provider reports as opted out (21610)', async () => {
    const id = await campaign([{ channel: 'sms', templateId }]);
    tw.failNext(1, 400, 21610);
    await dispatcher({ concurrency: 1 }).drain();
    const d = await deliveries(id);
    const opted = d.find((x) => x.status === 'suppressed')!;
    expect(opted.reason).toMatch(/21610/);
    const s = await rows<{ value: string }>(t.deps.db.orm, sql`SELECT value FROM suppressions WHERE dealer_id = ${t.dealerId}::uuid AND source = 'provider'`);
    expect(s).toHaveLength(1);
    await t.deps.db.orm.execute(sql`DELETE FROM suppressions WHERE source = 'provider'`);
  });

  it('accepts signed status callbacks and refuses forged ones', async () => {
    const id = await campaign([{ channel: 'sms', templateId }]);
    await dispatcher().drain();
    const [d] = (await deliveries(id)).filter((x) => x.status === 'sent');
    const url = `${BASE}/webhooks/twilio/status?d=${d!.id}`;
    const form = { MessageSid: 'SM1', MessageStatus: 'delivered' };
    const post = (sig: string | null) =>
      t.app.request(`/webhooks/twilio/status?d=${d!.id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(sig ? { 'x-twilio-signature': sig } : {}) },
        body: new URLSearchParams(form).toString(),
      });
    expect((await post(null)).status).toBe(403);
    expect((await post(twilio.getExpectedTwilioSignature('wrong-token', url, form))).status).toBe(403);
    expect((await deliveries(id)).find((x) => x.id === d!.id)!.status).toBe('sent');
    expect((await post(twilio.getExpectedTwilioSignature(AUTH, url, form))).status).toBe(204);
    expect((await deliveries(id)).find((x) => x.id === d!.id)!.status).toBe('delivered');
  });

  it('opts a number out at once when it replies 退订 or STOP', async () => {
    const id = await campaign([{ channel: 'sms', templateId }]);
    await dispatcher().drain();
    expect((await deliveries(id)).filter((x) => x.status === 'sent').length).toBe(3);
    for (const [from, body] of [['+8613800000001', '退订'], ['+8613800000002', ' stop ']]) {
      const form = { From: from!, Body: body!, To: '+15005550006' };
      const res = await t.app.request('/webhooks/twilio/inbound', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(AUTH, `${BASE}/webhooks/twilio/inbound`, form) },
        body: new URLSearchParams(form).toString(),
      });
      expect(res.status).toBe(200);
    }
    const s = await rows<{ value: string }>(t.deps.db.orm, sql`SELECT value FROM suppressions WHERE source = 'sms_reply' ORDER BY value`);
    expect(s.map((r) => r.value)).toEqual(['+8613800000001', '+8613800000002']);
    // Any other reply is a response to the campaign; Twilio repeating the callback records it once.
    for (let i = 0; i < 2; i++) {
      const form = { From: '+8613800000003', Body: '好的，周六上午过来', To: '+15005550006', MessageSid: 'SM0000000000000000000000000000reply' };
      const res = await t.app.request('/webhooks/twilio/inbound', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(AUTH, `${BASE}/webhooks/twilio/inbound`, form) },
        body: new URLSearchParams(form).toString(),
      });
      expect(res.status).toBe(200);
    }
    // Attributed to the latest SMS sent to the number (this file's campaigns all send at the same instant: one of them).
    const replies = await rows<{ kind: string; attributed: boolean; channel: string; text: string }>(
      t.deps.db.orm,
      sql`SELECT kind, campaign_id IS NOT NULL AND delivery_id IS NOT NULL AS attributed, channel, data->>'text' AS text FROM responses
          WHERE kind IN ('opt_out', 'sms_reply') ORDER BY kind, data->>'text'`,
    );
    expect(replies).toEqual([
      { kind: 'opt_out', attributed: true, channel: 'sms', text: ' stop ' },
      { kind: 'opt_out', attributed: true, channel: 'sms', text: '退订' },
      { kind: 'sms_reply', attributed: true, channel: 'sms', text: '好的，周六上午过来' },
    ]);
    await t.deps.db.orm.execute(sql`DELETE FROM suppressions WHERE source = 'sms_reply'`);
  });

  it('re-sends the rows of a dispatcher that died holding them, and each recipient still gets one message', async () => {
    const id = await campaign([{ channel: 'sms', templateId }, { channel: 'email', templateId }]);
    // A dispatcher claims everything, sends half, and dies before recording any of it.
    const claimed = await claimDue(t.deps.db.orm, t.clock.now(), 100, 60_000, uuidv7());
    expect(claimed.length).toBe(8);
    const half = dispatcher();
    const deliver = (half as unknown as { deliver: (row: unknown, r: unknown, extra: unknown) => Promise<void> }).deliver.bind(half);
    for (const row of claimed.slice(0, 4)) await deliver(row, await recipient(row.contact_id), { sms_consent: null, email_consent: null, household_key: null });
    // …and died before its own records reached the database: the rows are still claimed.
    await t.deps.db.orm.execute(sql`UPDATE outbox SET status = 'sending', sent_at = NULL, reason = NULL,
      lease_until = ${new Date(T0.getTime() + 60_000).toISOString()}::timestamptz WHERE campaign_id = ${id}::uuid`);
    const before = { sms: tw.receipts, mail: smtp.receipts };
    expect(before.sms + before.mail).toBeGreaterThan(0);
    // Nothing is due while the lease runs…
    await dispatcher().drain();
    expect(tw.receipts + smtp.receipts).toBe(before.sms + before.mail);
    // …then another dispatcher takes the rows over and sends with the same delivery ids.
    t.clock.advance(61_000);
    await dispatcher().drain();
    const d = await deliveries(id);
    expect(d.filter((x) => x.status === 'sending')).toHaveLength(0);
    expect(d.filter((x) => x.status === 'sent')).toHaveLength(6);
    expect(tw.messages.size).toBe(3);
    expect(smtp.messages.size).toBe(3);
    expect(tw.receipts + smtp.receipts).toBeGreaterThan(6); // the retries did reach the providers
  });

  it('renews the lease of a batch still at work: a slow send is neither taken over by another lane nor held back', async () => {
    const id = await campaign([{ channel: 'email', templateId }]);
    // Each email takes longer than the lease; two lanes, one row per claim, on the wall clock.
    const email = smtpEmail(smtp.url);
    const slow: EmailProvider = { name: 'slow smtp', send: async (m) => (await new Promise((r) => setTimeout(r, 700)), email.send(m)), close: () => email.close() };
    const d = new Dispatcher({ ...t.deps, clock: systemClock }, { sms: twilioSms({ accountSid: SID, authToken: AUTH, from: '+15005550006', apiBase: tw.base }), email: slow }, { batch: 1, lanes: 2, leaseMs: 300 });
    d.start(20);
    const until = Date.now() + 15_000;
    let left = await deliveries(id);
    while (left.some((x) => x.status === 'pending' || x.status === 'sending') && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
      left = await deliveries(id);
    }
    await d.stop();
    await email.close();
    // 王小明, 李娜 and 赵敏 have an email address: each sent once, none left waiting; 张伟 has none.
    const by = (name: string) => left.find((x) => x.contact_id === ids[name])!;
    expect(['王小明', '李娜', '赵敏', '张伟'].map((n) => by(n).status)).toEqual(['sent', 'sent', 'sent', 'failed']);
    expect(smtp.receipts).toBe(3);
    expect(smtp.messages.size).toBe(3);
  });

  async function recipient(contactId: string) {
    const { recipientsByIds } = await import('../../src/templates/context');
    return (await recipientsByIds(t.deps.db.orm, t.dealerId, [contactId]))[0];
  }

  it('unsubscribes with the signed one-click link (POST), shows a page on GET, and refuses a forged link', async () => {
    const id = await campaign([{ channel: 'email', templateId }]);
    await dispatcher().drain();
    const [d] = (await deliveries(id)).filter((x) => x.contact_id === ids['李娜']);
    const raw = smtp.messages.get(`<${d!.id}@dm.example.cn>`)!.raw;
    const link = /^List-Unsubscribe: <([^>]+)>/m.exec(raw)![1]!;
    const path = new URL(link).pathname;
    const page = await t.app.request(path);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form method="post">');
    const forged = path.replace(/\.[^.]+$/, '.AAAAAAAAAAAAAAAAAAAAAA');
    expect((await t.app.request(forged, { method: 'POST', body: 'List-Unsubscribe=One-Click' })).status).toBe(404);
    let s = await rows<{ value: string }>(t.deps.db.orm, sql`SELECT value FROM suppressions WHERE source = 'one_click'`);
    expect(s).toHaveLength(0);
    const ok = await t.app.request(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(ok.status).toBe(200);
    s = await rows<{ value: string }>(t.deps.db.orm, sql`SELECT value FROM suppressions WHERE source = 'one_click'`);
    expect(s.map((r) => r.value)).toEqual(['li@example.cn']);
    await t.deps.db.orm.execute(sql`DELETE FROM suppressions WHERE source = 'one_click'`);
  });

  it('handles RFC 3464 bounces: 5.x.x fails the delivery and suppresses the address, 4.x.x tries again later', async () => {
    const id = await campaign([{ channel: 'email', templateId }]);
    await dispatcher().drain();
    const d = (await deliveries(id)).filter((x) => x.status === 'sent');
    const dsn = (deliveryId: string, rcpt: string, status: string) =>
      [
        'From: MAILER-DAEMON@mx.example.cn',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        'Delivery failed.',
        '--b',
        'Content-Type: message/delivery-status',
        '',
        'Reporting-MTA: dns; mx.example.cn',
        '',
        `Final-Recipient: rfc822; ${rcpt}`,
        'Action: failed',
        `Status: ${status}`,
        '',
        '--b',
        'Content-Type: text/rfc822-headers',
        '',
        `Message-ID: <${deliveryId}@dm.example.cn>`,
        '--b--',
      ].join('\r\n');
    const post = (body: string, token = BOUNCE) => t.app.request('/webhooks/email/bounce', { method: 'POST', headers: { authorization: `Bearer ${token}` }, body });
    const wang = d.find((x) => x.contact_id === ids['王小明'])!;
    const li = d.find((x) => x.contact_id === ids['李娜'])!;
    expect((await post(dsn(wang.id, 'wang@example.cn', '5.1.1'), 'wrong-token-0123456789')).status).toBe(403);
    expect((await post('hello')).status).toBe(400);
    expect(await (await post(dsn(wang.id, 'wang@example.cn', '5.1.1'))).json()).toMatchObject({ matched: true, action: 'suppressed' });
    expect(await (await post(dsn(li.id, 'li@example.cn', '4.2.2'))).json()).toMatchObject({ matched: true, action: 'retry' });
    const after = await deliveries(id);
    expect(after.find((x) => x.id === wang.id)).toMatchObject({ status: 'failed', reason: 'bounced (5.1.1)' });
    expect(after.find((x) => x.id === li.id)).toMatchObject({ status: 'pending', reason: 'deferred (4.2.2)' });
    const s = await rows<{ value: string; reason: string }>(t.deps.db.orm, sql`SELECT value, reason FROM suppressions WHERE source = 'bounce'`);
    expect(s).toEqual([{ value: 'wang@example.cn', reason: 'bounced' }]);
    // Later, the deferred one is sent again with the same delivery id.
    t.clock.advance(2 * 60 * 60_000);
    await dispatcher().drain();
    expect((await deliveries(id)).find((x) => x.id === li.id)!.status).toBe('sent');
    await t.deps.db.orm.execute(sql`DELETE FROM suppressions WHERE source = 'bounce'`);
  });

  it('applies the frequency cap across campaigns: one message per contact per channel in 7 days', async () => {
    t.deps.config.FREQUENCY_CAP_DAYS = 7;
    // Two months on (at 10:00 local): earlier tests' messages are outside the window.
    t.clock.set(new Date(T0.getTime() + 60 * 86_400_000));
    try {
      const first = await campaign([{ channel: 'sms', templateId }]);
      await dispatcher().drain();
      expect((await deliveries(first)).filter((x) => x.status === 'sent')).toHaveLength(3);
      t.clock.advance(6 * 86_400_000);
      const second = await campaign([{ channel: 'sms', templateId }]);
      await dispatcher().drain();
      const d2 = await deliveries(second);
      expect(d2.filter((x) => x.status === 'skipped').map((x) => x.reason)).toEqual(Array(3).fill('frequency cap: another sms within 7 days'));
      t.clock.advance(2 * 86_400_000);
      const third = await campaign([{ channel: 'sms', templateId }]);
      await dispatcher().drain();
      expect((await deliveries(third)).filter((x) => x.status === 'sent')).toHaveLength(3);
    } finally {
      t.deps.config.FREQUENCY_CAP_DAYS = 0;
    }
  });
});
