// The dealer's general booking page (no token): bookings are matched by phone
// to contacts; a holdout member of a campaign still in its response window is
// recorded as a control response of that campaign, a recipient's booking is
// attributed to the campaign through the web, and a stranger's is not
// attributed at all.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db';
import { createTestApp, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';
import { browser, field, mailedCampaign, slotOptions, type MailedCampaign } from './fixtures';

const CALENDAR = {
  slotMinutes: 60,
  capacity: 5,
  hours: { '1': [['09:00', '17:00']], '2': [['09:00', '17:00']], '3': [['09:00', '17:00']], '4': [['09:00', '17:00']], '5': [['09:00', '17:00']], '6': [['09:00', '17:00']] },
  closedDates: [],
  models: ['迈腾'],
  daysAhead: 14,
};

describe.each(DB_KINDS)('general booking page on %s', (kind) => {
  let t: TestApp;
  let mc: MailedCampaign;

  beforeAll(async () => {
    t = await createTestApp(kind, { PUBLIC_RATE_PER_MIN: 0 });
    mc = await mailedCampaign(t, [
      { fullName: '对照组', phone: '+8613600000001' },
      { fullName: '收件人', phone: '+8613600000002' },
    ]);
    // The first is a holdout member: never contacted, so no piece of theirs counts.
    await t.deps.db.orm.execute(sql`UPDATE campaign_recipients SET holdout = true WHERE campaign_id = ${mc.campaignId}::uuid AND contact_id = ${mc.pieces[0]!.contactId}::uuid`);
    expect((await t.req('PUT', '/v1/booking/calendar', { body: CALENDAR })).status).toBe(200);
  });
  afterAll(() => t.close());

  async function book(name: string, phone: string, slotIndex: number) {
    const b = browser(t);
    const page = await b.get(`/d/${t.dealerId}/book`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).not.toContain('退订');
    const slot = slotOptions(html)[slotIndex]!;
    const res = await b.post(`/d/${t.dealerId}/book`, { csrf: field(html, 'csrf'), lang: 'zh-CN', model: '', slot, name, phone });
    expect(res.status, await res.clone().text()).toBe(303);
    const [r] = await rows<{ campaign_id: string | null; contact_id: string | null; channel: string; control: boolean; kind: string }>(
      t.deps.db.orm,
      sql`SELECT r.campaign_id, r.contact_id, r.channel, r.control, r.kind FROM bookings b JOIN responses r ON r.id = b.response_id WHERE b.phone = ${phone.replace(/\s/g, '').replace(/^1/, '+861')}`,
    );
    return r!;
  }

  it('records a holdout member who books through the general page as a control response of the campaign', async () => {
    expect(await book('对照组', '136 0000 0001', 0)).toEqual({ kind: 'booking', campaign_id: mc.campaignId, contact_id: mc.pieces[0]!.contactId, channel: 'web', control: true });
  });

  it('attributes a recipient to the campaign through the web, and leaves a stranger unattributed', async () => {
    expect(await book('收件人', '136 0000 0002', 1)).toEqual({ kind: 'booking', campaign_id: mc.campaignId, contact_id: mc.pieces[1]!.contactId, channel: 'web', control: false });
    expect(await book('路人', '136 0000 0009', 2)).toEqual({ kind: 'booking', campaign_id: null, contact_id: null, channel: 'web', control: false });
  });

  it('refuses a forged form and an unknown dealer', async () => {
    const b = browser(t);
    const page = await (await b.get(`/d/${t.dealerId}/book`)).text();
    const forged = await b.post(`/d/${t.dealerId}/book`, { csrf: 'forged', slot: slotOptions(page)[0]!, name: 'x', phone: '13600000003' });
    expect(forged.status).toBe(422);
    expect((await b.get('/d/00000000-0000-7000-8000-000000000000/book')).status).toBe(404);
    expect((await b.get('/d/not-a-dealer/book')).status).toBe(404);
  });
});
