// The landing page and test-drive booking: the page in the recipient's
// language with their name escaped, booking against the slot calendar,
// confirmations by SMS and email (.ics) through real protocol peers,
// reschedule and cancel by the signed link, staff marking attended, the
// opt-out page, and what must be refused: past dates, closed days, full slots,
// bad phones, missing or foreign CSRF, replayed forms, forged links, big bodies.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smtpEmail } from '../../src/channels/email';
import { twilioSms } from '../../src/channels/sms';
import { rows } from '../../src/db';
import { suppressionFor } from '../../src/contacts/suppression';
import { createTestApp, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';
import { startSmtpSink, startTwilioServer, type SmtpSink, type TwilioServer } from '../helpers/providers';
import { browser, field, mailedCampaign, slotOptions, type MailedCampaign } from './fixtures';

// 2026-03-01 is a Sunday; the dealer's clock reads 10:00 in Shanghai.
const CALENDAR = {
  slotMinutes: 60,
  capacity: 2,
  hours: { '1': [['09:00', '12:00'], ['13:00', '17:00']], '2': [['09:00', '17:00']], '3': [['09:00', '17:00']], '4': [['09:00', '17:00']], '5': [['09:00', '17:00']], '6': [['09:00', '17:00']] },
  closedDates: ['2026-03-04'],
  models: ['迈腾', '帕萨特'],
  daysAhead: 14,
};

describe.each(DB_KINDS)('landing page and booking on %s', (kind) => {
  let t: TestApp;
  let mc: MailedCampaign;
  let smtp: SmtpSink;
  let twilio: TwilioServer;

  beforeAll(async () => {
    t = await createTestApp(kind, { PUBLIC_RATE_PER_MIN: 0 });
    smtp = await startSmtpSink();
    twilio = await startTwilioServer();
    t.deps.channels = {
      email: smtpEmail(smtp.url),
      sms: twilioSms({ accountSid: 'AC00000000000000000000000000000000', authToken: 'secret', from: '+15005550006', apiBase: twilio.base }),
    };
    mc = await mailedCampaign(t, [
      { fullName: '王建国', phone: '+8613800000001', email: 'wang@example.cn' },
      { fullName: 'Alice Smith', gender: 'female', phone: '+8613800000002', language: 'en', email: 'alice@example.com' },
      { fullName: '<script>alert(1)</script>张', phone: '+8613800000003', street: '<img src=x onerror=alert(2)>路' },
      { fullName: '赵六', phone: '+8613800000004', email: 'zhao@example.cn' },
    ]);
    await t.deps.db.orm.execute(sql`INSERT INTO stores (id, dealer_id, name, country, province, city, district, street, postcode, phone, created_at)
      VALUES (gen_random_uuid(), ${t.dealerId}::uuid, '总店', 'CN', '福建省', '福州市', '仓山区', '<b>则徐大道</b>88号', '350007', '0591-88888888', now())`);
    const put = await t.req('PUT', '/v1/booking/calendar', { body: CALENDAR });
    expect(put.status, await put.clone().text()).toBe(200);
  });
  afterAll(async () => {
    await t.deps.channels?.email.close();
    await smtp.close();
    await twilio.close();
    await t.close();
  });

  const piece = (i: number) => mc.pieces[i]!;

  it('greets the recipient in their language, pre-fills the form and shows the dealer', async () => {
    const b = browser(t);
    const zh = await b.get(`/l/${piece(0).token}`);
    expect(zh.status).toBe(200);
    const page = await zh.text();
    expect(page).toContain('王先生，您好！');
    expect(page).toContain('lang="zh-CN"');
    expect(field(page, 'name')).toBe('王建国');
    expect(field(page, 'phone')).toBe('+8613800000001');
    expect(page).toContain('迈腾');
    expect(page).toContain('0591-88888888');
    expect(page).toContain(`/l/${piece(0).token}/opt-out`);
    // Closed on the holiday (Wednesday) and on Sundays; Monday has a lunch break.
    const slots = slotOptions(page);
    expect(slots.some((s) => s.startsWith('2026-03-04'))).toBe(false);
    expect(slots.some((s) => s.startsWith('2026-03-08'))).toBe(false);
    expect(slots).toContain('2026-03-02T09:00');
    expect(slots).not.toContain('2026-03-02T12:00');

    const en = await (await b.get(`/l/${piece(1).token}`)).text();
    expect(en).toContain('Hello Ms. Smith,');
    expect(en).toContain('lang="en"');
    expect(en).toContain('Book a test drive');
  });

  it('escapes names and addresses with HTML in them', async () => {
    const page = await (await browser(t).get(`/l/${piece(2).token}`)).text();
    expect(page).not.toContain('<script>alert(1)</script>');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;张');
    expect(page).not.toContain('<b>则徐大道</b>');
    expect(page).toContain('&lt;b&gt;则徐大道&lt;/b&gt;88号');
  });

  it('books a slot: a booking response attributed to the piece, a confirmation page, SMS and email with an .ics', async () => {
    const b = browser(t);
    const page = await (await b.get(`/l/${piece(0).token}`)).text();
    const res = await b.post(`/l/${piece(0).token}/book`, { csrf: field(page, 'csrf'), lang: 'zh-CN', model: '迈腾', slot: '2026-03-02T10:00', name: '王建国', phone: '138 0000 0001' });
    expect(res.status, await res.clone().text()).toBe(303);
    const manage = res.headers.get('location')!;
    expect(manage).toMatch(/^\/b\/[0-9a-f-]{36}\.[A-Za-z0-9_-]{22}\?new=1$/);
    const confirm = await (await b.get(manage)).text();
    expect(confirm).toContain('预约成功');
    expect(confirm).toContain('3月2日 周一 10:00');

    const list = (await (await t.req('GET', `/v1/bookings?campaignId=${mc.campaignId}`)).json()) as { data: { id: string; status: string; phone: string; model: string; attribution: Record<string, unknown> }[] };
    expect(list.data).toHaveLength(1);
    expect(list.data[0]).toMatchObject({ status: 'booked', phone: '+8613800000001', model: '迈腾' });
    expect(list.data[0]!.attribution).toMatchObject({ campaignId: mc.campaignId, waveId: mc.waveId, channel: 'mail', pieceId: piece(0).pieceId, inWindow: true, control: false });
    const [resp] = await rows<{ kind: string; contact_id: string }>(t.deps.db.orm, sql`SELECT kind, contact_id FROM responses WHERE id = ${list.data[0]!.attribution.responseId as string}::uuid`);
    expect(resp).toEqual({ kind: 'booking', contact_id: piece(0).contactId });

    const sms = [...twilio.messages.values()].find((m) => m.to === '+8613800000001')!;
    expect(sms.body).toContain('3月2日 周一 10:00');
    expect(sms.body).toContain(manage.replace('?new=1', ''));
    const mail = [...smtp.messages.values()].find((m) => m.to.includes('wang@example.cn'))!;
    expect(mail.raw).toMatch(/Content-Type: text\/calendar/i);
    const ics = Buffer.from(/filename=test-drive\.ics[\s\S]*?\r?\n\r?\n([A-Za-z0-9+/=\r\n]+)/.exec(mail.raw)![1]!.replace(/\s+/g, ''), 'base64').toString('utf8');
    expect(ics).toContain('BEGIN:VEVENT');
    expect(ics).toContain('DTSTART:20260302T020000Z');
    expect(ics).toMatch(/\r\n/);
  });

  it('refuses past dates, closed days, non-slots, bad phones and unknown models, in the page’s language', async () => {
    const b = browser(t);
    const page = await (await b.get(`/l/${piece(1).token}`)).text();
    const base = { lang: 'en', model: '', name: 'Alice Smith', phone: '+8613800000002' };
    const tryWith = async (over: Record<string, string>) => {
      const fresh = await (await b.get(`/l/${piece(1).token}`)).text();
      const res = await b.post(`/l/${piece(1).token}/book`, { csrf: field(fresh, 'csrf'), ...base, ...over });
      return { status: res.status, text: await res.text() };
    };
    void page;
    expect(await tryWith({ slot: '2026-02-27T10:00' })).toMatchObject({ status: 422, text: expect.stringContaining('That date has passed') });
    expect(await tryWith({ slot: '2026-03-01T09:00' })).toMatchObject({ status: 422, text: expect.stringContaining('That date has passed') });
    expect(await tryWith({ slot: '2026-03-04T10:00' })).toMatchObject({ status: 422, text: expect.stringContaining('We are closed on that day') });
    expect(await tryWith({ slot: '2026-03-08T10:00' })).toMatchObject({ status: 422, text: expect.stringContaining('We are closed on that day') });
    expect(await tryWith({ slot: '2026-03-02T12:00' })).toMatchObject({ status: 422, text: expect.stringContaining('not a bookable slot') });
    expect(await tryWith({ slot: '2026-03-02T10:00', phone: '12345' })).toMatchObject({ status: 422, text: expect.stringContaining('mobile number is not valid') });
    expect(await tryWith({ slot: '2026-03-02T10:00', model: '<script>' })).toMatchObject({ status: 422, text: expect.stringContaining('choose a model') });
    const zh = browser(t);
    const zhPage = await (await zh.get(`/l/${piece(3).token}`)).text();
    const bad = await zh.post(`/l/${piece(3).token}/book`, { csrf: field(zhPage, 'csrf'), lang: 'zh-CN', slot: '2026-03-04T10:00', name: '赵六', phone: '+8613800000004' });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain('所选日期不营业');
    expect(((await (await t.req('GET', '/v1/bookings')).json()) as { data: unknown[] }).data).toHaveLength(1);
  });

  it('refuses a full slot with a clear answer', async () => {
    // Capacity 2 on Tuesday 09:00: two bookings, then "full".
    const answers = [];
    for (const i of [0, 1, 3]) {
      const b = browser(t);
      const page = await (await b.get(`/l/${piece(i).token}`)).text();
      const res = await b.post(`/l/${piece(i).token}/book`, { csrf: field(page, 'csrf'), lang: i === 1 ? 'en' : 'zh-CN', slot: '2026-03-03T09:00', name: 'x', phone: `+861380000000${i + 1}` });
      answers.push({ status: res.status, text: await res.text() });
    }
    expect(answers.map((a) => a.status)).toEqual([303, 303, 409]);
    expect(answers[2]!.text).toContain('该时段已约满');
    const slots = (await (await t.req('GET', '/v1/booking/slots?from=2026-03-03&days=1')).json()) as { data: { time: string; booked: number; capacity: number }[] };
    expect(slots.data.find((s) => s.time === '09:00')).toMatchObject({ booked: 2, capacity: 2 });
  });

  it('refuses forms without a good CSRF token, from another origin, replayed, or too large', async () => {
    const b = browser(t);
    const page = await (await b.get(`/l/${piece(3).token}`)).text();
    const csrf = field(page, 'csrf');
    const form = { csrf, lang: 'zh-CN', slot: '2026-03-05T11:00', name: '赵六', phone: '+8613800000004' };
    // No token, or another browser's (no cookie), or another page's token.
    expect((await b.post(`/l/${piece(3).token}/book`, { ...form, csrf: '' })).status).toBe(422);
    expect((await browser(t).post(`/l/${piece(3).token}/book`, form)).status).toBe(422);
    expect((await b.post(`/l/${piece(0).token}/book`, form)).status).toBe(422);
    // Another site posting the form.
    const foreign = await b.post(`/l/${piece(3).token}/book`, form, { origin: 'https://evil.example.com' });
    expect(foreign.status).toBe(403);
    expect(await foreign.text()).toContain('无法提交');
    // Too large.
    const big = await b.post(`/l/${piece(3).token}/book`, { ...form, name: 'x'.repeat(20_000) });
    expect(big.status).toBe(413);
    // The real thing, then the same form again: one booking.
    const first = await b.post(`/l/${piece(3).token}/book`, form);
    expect(first.status).toBe(303);
    const again = await b.post(`/l/${piece(3).token}/book`, form);
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    const mine = ((await (await t.req('GET', '/v1/bookings')).json()) as { data: { name: string; startsAt: string }[] }).data.filter((x) => x.name === '赵六');
    expect(mine).toHaveLength(1);
    // An expired form (over two hours old).
    const later = await (await b.get(`/l/${piece(3).token}`)).text();
    t.clock.advance(3 * 3_600_000);
    const stale = await b.post(`/l/${piece(3).token}/book`, { ...form, csrf: field(later, 'csrf'), slot: '2026-03-05T14:00' });
    t.clock.advance(-3 * 3_600_000);
    expect(stale.status).toBe(422);
    expect(await stale.text()).toContain('页面已过期');
  });

  it('reschedules and cancels through the signed link; a forged or altered link finds nothing', async () => {
    const b = browser(t);
    const page = await (await b.get(`/l/${piece(1).token}`)).text();
    const res = await b.post(`/l/${piece(1).token}/book`, { csrf: field(page, 'csrf'), lang: 'en', slot: '2026-03-06T15:00', name: 'Alice Smith', phone: '+8613800000002' });
    const manage = res.headers.get('location')!.replace('?new=1', '');
    const view = await (await b.get(manage)).text();
    expect(view).toContain('Fri, Mar 6 15:00');
    const moved = await b.post(`${manage}/reschedule`, { csrf: field(view, 'csrf'), slot: '2026-03-07T10:00' });
    expect(moved.status).toBe(303);
    const after = await (await b.get(manage)).text();
    expect(after).toContain('Sat, Mar 7 10:00');
    const slots = (await (await t.req('GET', '/v1/booking/slots?from=2026-03-06&days=2')).json()) as { data: { date: string; time: string; booked: number }[] };
    expect(slots.data.find((s) => s.date === '2026-03-06' && s.time === '15:00')!.booked).toBe(0);
    expect(slots.data.find((s) => s.date === '2026-03-07' && s.time === '10:00')!.booked).toBe(1);

    const id = manage.split('/')[2]!.split('.')[0]!;
    for (const forged of [`/b/${id}.${'A'.repeat(22)}`, `/b/${id}`, manage.slice(0, -1) + (manage.endsWith('A') ? 'B' : 'A')]) {
      expect((await b.get(forged)).status).toBe(404);
    }
    const cancel = await b.post(`${manage}/cancel`, { csrf: field(after, 'csrf') });
    expect(cancel.status).toBe(303);
    expect(await (await b.get(manage)).text()).toContain('Booking cancelled');
    // A replayed cancel, or a reschedule of a cancelled booking, changes nothing.
    expect((await b.post(`${manage}/cancel`, { csrf: field(after, 'csrf') })).status).toBe(409);
    const slots2 = (await (await t.req('GET', '/v1/booking/slots?from=2026-03-07&days=1')).json()) as { data: { time: string; booked: number }[] };
    expect(slots2.data.find((s) => s.time === '10:00')!.booked).toBe(0);
  });

  it('lets staff manage slots, list bookings and mark attended (a response) or no-show, for their dealer only', async () => {
    const bad = await t.req('PUT', '/v1/booking/calendar', { body: { ...CALENDAR, hours: { '1': [['12:00', '09:00']] }, slotMinutes: 1 } });
    expect(bad.status).toBe(400);
    const paths = ((await bad.json()) as { error: { details: { path: string }[] } }).error.details.map((d) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['slotMinutes', 'hours.1[0]']));
    // Capacity of one slot: up, and not below the seats taken.
    expect((await t.req('PUT', '/v1/booking/slots/2026-03-09T10:00', { body: { capacity: 5 } })).status).toBe(200);
    const low = await t.req('PUT', '/v1/booking/slots/2026-03-03T09:00', { body: { capacity: 1 } });
    expect(low.status).toBe(409);
    expect((await t.req('PUT', '/v1/booking/slots/2026-03-04T10:00', { body: { capacity: 5 } })).status).toBe(422);

    const list = (await (await t.req('GET', '/v1/bookings?status=booked')).json()) as { data: { id: string; attribution: { responseId: string } }[] };
    const target = list.data[0]!;
    const marked = await t.req('POST', `/v1/bookings/${target.id}/attended`);
    expect(marked.status).toBe(200);
    expect(((await marked.json()) as { status: string }).status).toBe('attended');
    expect((await t.req('POST', `/v1/bookings/${target.id}/attended`)).status).toBe(200);
    const attended = await rows<{ campaign_id: string; channel: string; piece_id: string }>(t.deps.db.orm, sql`SELECT campaign_id, channel, piece_id FROM responses WHERE kind = 'attended'`);
    expect(attended).toHaveLength(1);
    expect(attended[0]).toMatchObject({ campaign_id: mc.campaignId, channel: 'mail' });
    const other = list.data[1]!;
    expect(((await (await t.req('POST', `/v1/bookings/${other.id}/no-show`)).json()) as { status: string }).status).toBe('no_show');

    const stranger = await t.addDealer('别家4S店');
    expect((await t.req('GET', `/v1/bookings/${target.id}`, { token: stranger.token })).status).toBe(404);
    expect((await t.req('POST', `/v1/bookings/${target.id}/attended`, { token: stranger.token })).status).toBe(404);
    expect(((await (await t.req('GET', '/v1/bookings', { token: stranger.token })).json()) as { data: unknown[] }).data).toHaveLength(0);
    const manager = await t.addDealer('经理', 'manager');
    expect((await t.req('PUT', '/v1/booking/calendar', { token: manager.token, body: CALENDAR })).status).toBe(403);
  });

  it('opts the recipient out of mail, SMS and email at once, and records an opt-out response', async () => {
    const b = browser(t);
    const form = await b.get(`/l/${piece(3).token}/opt-out`);
    expect(form.status).toBe(200);
    const page = await form.text();
    const done = await b.post(`/l/${piece(3).token}/opt-out`, { csrf: field(page, 'csrf'), lang: 'zh-CN', channel: ['mail', 'sms', 'email'] });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('您已退订');
    const reach = { contactId: piece(3).contactId, phone: '+8613800000004', email: 'zhao@example.cn', householdKey: null };
    const [c] = await rows<{ household_key: string; mail_suppressed: boolean; sms_suppressed: boolean; email_suppressed: boolean }>(
      t.deps.db.orm,
      sql`SELECT household_key, mail_suppressed, sms_suppressed, email_suppressed FROM contacts WHERE id = ${piece(3).contactId}::uuid`,
    );
    expect(c).toMatchObject({ mail_suppressed: true, sms_suppressed: true, email_suppressed: true });
    for (const ch of ['mail', 'sms', 'email'] as const) {
      expect(await suppressionFor(t.deps.db.orm, t.dealerId, ch, { ...reach, householdKey: c!.household_key })).toBeDefined();
    }
    const [r] = await rows<{ kind: string; campaign_id: string; data: { channels: string[] } }>(t.deps.db.orm, sql`SELECT kind, campaign_id, data FROM responses WHERE kind = 'opt_out'`);
    expect(r).toMatchObject({ kind: 'opt_out', campaign_id: mc.campaignId });
    expect(r!.data.channels.sort()).toEqual(['email', 'mail', 'sms']);
    // Without the form token nothing happens.
    expect((await browser(t).post(`/l/${piece(0).token}/opt-out`, { channel: 'sms' })).status).toBe(403);
  });
});
