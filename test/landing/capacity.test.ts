// Capacity under concurrency: 50 people sending the booking form for the same
// slot at the same moment, 3 seats: exactly 3 bookings (and 3 booking
// responses), 47 clear "slot full" pages, and the slot's count never above
// its capacity.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db';
import { createTestApp, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';
import { browser, field, mailedCampaign, type MailedCampaign } from './fixtures';

describe.each(DB_KINDS)('booking capacity under concurrency on %s', (kind) => {
  let t: TestApp;
  let mc: MailedCampaign;

  beforeAll(async () => {
    t = await createTestApp(kind, { PUBLIC_RATE_PER_MIN: 0 });
    mc = await mailedCampaign(t, Array.from({ length: 10 }, (_, i) => ({ fullName: `客户${i}`, phone: `+86139000000${String(i).padStart(2, '0')}` })));
    const put = await t.req('PUT', '/v1/booking/calendar', { body: { slotMinutes: 60, capacity: 3, hours: { '2': [['09:00', '17:00']] }, models: [], daysAhead: 14 } });
    expect(put.status).toBe(200);
  });
  afterAll(() => t.close());

  it('50 simultaneous bookings for 3 seats: 3 booked, 47 told the slot is full', async () => {
    // Each form fetched first (its own CSRF nonce), then all 50 sent at once.
    const forms = [];
    for (let i = 0; i < 50; i++) {
      const p = mc.pieces[i % mc.pieces.length]!;
      const b = browser(t);
      const page = await (await b.get(`/l/${p.token}`)).text();
      forms.push({ b, token: p.token, csrf: field(page, 'csrf'), phone: `+86139000000${String(i % 10).padStart(2, '0')}` });
    }
    const answers = await Promise.all(
      forms.map(async (f) => {
        const res = await f.b.post(`/l/${f.token}/book`, { csrf: f.csrf, lang: 'zh-CN', slot: '2026-03-03T10:00', name: '客户', phone: f.phone });
        return { status: res.status, text: await res.text() };
      }),
    );
    expect(answers.filter((a) => a.status === 303)).toHaveLength(3);
    const full = answers.filter((a) => a.status === 409);
    expect(full).toHaveLength(47);
    for (const a of full) expect(a.text).toContain('该时段已约满，请另选一个时段。');
    const [slot] = await rows<{ booked: number; capacity: number }>(t.deps.db.orm, sql`SELECT booked, capacity FROM booking_slots`);
    expect(slot).toEqual({ booked: 3, capacity: 3 });
    const [n] = await rows<{ bookings: number; responses: number }>(
      t.deps.db.orm,
      sql`SELECT (SELECT count(*)::int FROM bookings) AS bookings, (SELECT count(*)::int FROM responses WHERE kind = 'booking') AS responses`,
    );
    expect(n).toEqual({ bookings: 3, responses: 3 });
  });
});
