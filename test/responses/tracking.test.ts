// The QR / short link, the email pixel and click redirects, and recordResponse:
// each response attributed to campaign, wave, channel, variant, contact and
// piece or delivery, in or out of the response window; bad tokens and
// signatures record nothing and all look alike.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickUrl, openPixelUrl } from '../../src/channels/links';
import { rows } from '../../src/db';
import { trackingToken, uuidv7 } from '../../src/lib/ids';
import { recordResponse } from '../../src/responses/record';
import { createTestApp, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';
import { mailedCampaign, type MailedCampaign } from '../landing/fixtures';

interface ResponseRow {
  kind: string;
  campaign_id: string | null;
  wave_id: string | null;
  channel: string | null;
  variant: string | null;
  contact_id: string | null;
  piece_id: string | null;
  delivery_id: string | null;
  in_window: boolean;
  control: boolean;
  data: Record<string, unknown>;
}

/** A public page (not a body-less tracking redirect): never cached, framed, sniffed, or leaking its URL. */
function expectPageHeaders(res: Response) {
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  expect(res.headers.get('x-frame-options')).toBe('DENY');
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
}

describe.each(DB_KINDS)('tracking links on %s', (kind) => {
  let t: TestApp;
  let mc: MailedCampaign;
  let deliveryId: string;
  const all = () => rows<ResponseRow>(t.deps.db.orm, sql`SELECT * FROM responses ORDER BY id`);

  beforeAll(async () => {
    t = await createTestApp(kind, { PUBLIC_RATE_PER_MIN: 0 });
    mc = await mailedCampaign(t, [{ fullName: '王建国', phone: '+8613800000001', email: 'wang@example.cn' }, { fullName: '李丽', gender: 'female' }], '2026-03-01');
    // A sent email delivery of the same campaign.
    deliveryId = uuidv7();
    await t.deps.db.orm.execute(sql`INSERT INTO outbox (id, dealer_id, campaign_id, wave_id, contact_id, channel, template_version_id, variant, status, next_attempt_at, token, address, created_at, sent_at)
      SELECT ${deliveryId}::uuid, dealer_id, ${mc.campaignId}::uuid, ${mc.waveId}::uuid, ${mc.pieces[0]!.contactId}::uuid, 'email', template_version_id, 'B', 'sent', now(), ${trackingToken()}, 'wang@example.cn', now(), ${'2026-03-01T03:00:00Z'}::timestamptz
      FROM print_runs WHERE id = ${mc.runId}::uuid`);
  });
  afterAll(() => t.close());

  it('records a scan attributed to the piece and redirects to the landing page', async () => {
    const piece = mc.pieces[0]!;
    const res = await t.app.request(`/r/${piece.token}`, { headers: { 'user-agent': 'Mozilla/5.0 (iPhone)', 'x-forwarded-for': '203.0.113.9' } });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`/l/${piece.token}`);
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cache-control')).toBe('no-store');
    // The landing page it leads to carries the page headers.
    const landing = await t.app.request(`/l/${piece.token}`);
    expect(landing.status).toBe(200);
    expectPageHeaders(landing);
    const [r] = (await all()).filter((x) => x.kind === 'scan');
    expect(r).toMatchObject({ campaign_id: mc.campaignId, wave_id: mc.waveId, channel: 'mail', variant: null, contact_id: piece.contactId, piece_id: piece.pieceId, delivery_id: null, in_window: true, control: false });
    expect(r!.data).toEqual({ userAgent: 'Mozilla/5.0 (iPhone)' });
    // The client's address is never stored.
    expect(JSON.stringify(await all())).not.toContain('203.0.113.9');
    // The printed response code, typed with dashes and in lower case, works too.
    const typed = piece.token.toLowerCase().replace(/(.{4})(?=.)/g, '$1-');
    expect((await t.app.request(`/r/${typed}`)).status).toBe(302);
  });

  it('answers unknown, malformed, altered and expired tokens alike, and records nothing', async () => {
    const before = (await all()).length;
    const good = mc.pieces[1]!.token;
    const altered = good.slice(0, 15) + (good[15] === '0' ? '1' : '0');
    const answers = [];
    for (const tok of [trackingToken(), altered, 'not-a-token', 'X'.repeat(300), '%3Cscript%3E']) {
      const res = await t.app.request(`/r/${tok}`);
      expectPageHeaders(res);
      answers.push({ status: res.status, body: await res.text() });
    }
    // Expired: past TRACKING_TOKEN_DAYS after the mail date.
    t.clock.advance(400 * 86_400_000);
    const expired = await t.app.request(`/r/${good}`);
    answers.push({ status: expired.status, body: await expired.text() });
    t.clock.advance(-400 * 86_400_000);
    for (const a of answers) {
      expect(a.status).toBe(404);
      expect(a.body).toBe(answers[0]!.body);
      expect(a.body).toContain('链接无效');
      expect(a.body).not.toMatch(/at .*\.ts|Error|stack/);
    }
    expect((await all()).length).toBe(before);
  });

  it('answers scans arriving together each with its own result (one statement for the batch)', async () => {
    const scans = async (i: number) => (await all()).filter((r) => r.kind === 'scan' && r.piece_id === mc.pieces[i]!.pieceId).length;
    const before = [await scans(0), await scans(1), (await all()).length];
    const tokens = [mc.pieces[0]!.token, trackingToken(), mc.pieces[1]!.token, 'bad', mc.pieces[0]!.token];
    const answers = await Promise.all(tokens.map((tok) => t.app.request(`/r/${tok}`)));
    expect(answers.map((a) => a.status)).toEqual([302, 404, 302, 404, 302]);
    expect(answers[2]!.headers.get('location')).toBe(`/l/${mc.pieces[1]!.token}`);
    expect([await scans(0), await scans(1), (await all()).length]).toEqual([before[0]! + 2, before[1]! + 1, before[2]! + 3]);
  });

  it('marks responses after the response window as outside it', async () => {
    t.clock.set(new Date('2026-04-20T02:00:00Z')); // 50 days after the mail date; the window is 45
    const res = await t.app.request(`/r/${mc.pieces[1]!.token}`);
    expect(res.status).toBe(302);
    const last = (await all()).at(-1)!;
    expect(last).toMatchObject({ kind: 'scan', contact_id: mc.pieces[1]!.contactId, in_window: false });
    t.clock.set(new Date('2026-03-01T02:00:00Z'));
  });

  it('records email opens and clicks through signed links only, and never redirects elsewhere', async () => {
    const base = t.deps.config.PUBLIC_BASE_URL;
    const secret = t.deps.config.LINK_SECRET;
    const pixel = new URL(openPixelUrl(base, secret, deliveryId));
    const open = await t.app.request(pixel.pathname);
    expect(open.status).toBe(200);
    expect(open.headers.get('content-type')).toBe('image/gif');
    const target = 'https://dealer.example.cn/offers?id=1';
    const click = new URL(clickUrl(base, secret, deliveryId, target));
    const res = await t.app.request(click.pathname + click.search);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(target);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(open.headers.get('cache-control')).toBe('no-store');
    expect(open.headers.get('x-content-type-options')).toBe('nosniff');
    const mine = (await all()).filter((r) => r.delivery_id === deliveryId);
    expect(mine.map((r) => r.kind).sort()).toEqual(['click', 'open']);
    for (const r of mine) expect(r).toMatchObject({ campaign_id: mc.campaignId, channel: 'email', variant: 'B', contact_id: mc.pieces[0]!.contactId, in_window: true });

    // Re-pointed, forged or altered: refused, nothing recorded, no redirect.
    const evil = `${click.pathname}?u=${encodeURIComponent('https://evil.example.com/')}`;
    const forged = `/c/${uuidv7()}.${'A'.repeat(22)}?u=${encodeURIComponent(target)}`;
    const altered = pixel.pathname.replace(/\.([A-Za-z0-9_-])/, (_m, ch: string) => `.${ch === 'A' ? 'B' : 'A'}`);
    for (const path of [evil, forged, `/c/${deliveryId}?u=${encodeURIComponent(target)}`]) {
      const r = await t.app.request(path);
      expect(r.status).toBe(404);
      expect(r.headers.get('location')).toBeNull();
      expectPageHeaders(r);
    }
    expect((await t.app.request(altered)).status).toBe(404);
    expect(() => clickUrl(base, secret, deliveryId, 'javascript:alert(1)')).toThrow();
    expect((await all()).filter((r) => r.delivery_id === deliveryId)).toHaveLength(2);
  });

  it('records responses from pieces, deliveries, earlier responses and direct attribution, scoped to the dealer', async () => {
    const piece = mc.pieces[1]!;
    const fromPiece = await recordResponse(t.deps.db.orm, t.clock, { dealerId: t.dealerId, kind: 'returned', source: { pieceId: piece.pieceId } });
    expect(fromPiece).toMatchObject({ kind: 'returned', campaignId: mc.campaignId, channel: 'mail', contactId: piece.contactId, inWindow: true });
    const after = await recordResponse(t.deps.db.orm, t.clock, { dealerId: t.dealerId, kind: 'attended', source: { after: fromPiece!.id } });
    expect(after).toMatchObject({ campaignId: mc.campaignId, waveId: mc.waveId, pieceId: piece.pieceId, contactId: piece.contactId });
    const control = await recordResponse(t.deps.db.orm, t.clock, { dealerId: t.dealerId, kind: 'booking', source: { direct: { channel: 'web', campaignId: mc.campaignId, contactId: piece.contactId, control: true } } });
    expect(control).toMatchObject({ channel: 'web', control: true, inWindow: true });
    const general = await recordResponse(t.deps.db.orm, t.clock, { dealerId: t.dealerId, kind: 'booking', source: { direct: { channel: 'web' } } });
    expect(general).toMatchObject({ campaignId: null, contactId: null, inWindow: true });
    // Another dealer cannot record against this dealer's piece.
    const other = await t.addDealer('别家');
    expect(await recordResponse(t.deps.db.orm, t.clock, { dealerId: other.dealerId, kind: 'returned', source: { pieceId: piece.pieceId } })).toBeNull();
    expect(await recordResponse(t.deps.db.orm, t.clock, { dealerId: other.dealerId, kind: 'attended', source: { after: fromPiece!.id } })).toBeNull();
  });

  it('lists responses through the API for the caller’s dealer only', async () => {
    const list = (await (await t.req('GET', `/v1/responses?campaignId=${mc.campaignId}&kind=scan`)).json()) as { data: { kind: string; campaignId: string; contactId: string }[] };
    expect(list.data.length).toBeGreaterThan(0);
    expect(list.data.every((r) => r.kind === 'scan' && r.campaignId === mc.campaignId)).toBe(true);
    const other = await t.addDealer('另一家');
    const theirs = (await (await t.req('GET', `/v1/responses?campaignId=${mc.campaignId}`, { token: other.token })).json()) as { data: unknown[] };
    expect(theirs.data).toHaveLength(0);
    const bad = await t.req('GET', '/v1/responses?kind=nonsense');
    expect(bad.status).toBe(400);
  });

  it('limits requests per client', async () => {
    const limited = await createTestApp(kind, { PUBLIC_RATE_PER_MIN: 5 });
    try {
      const statuses = [];
      for (let i = 0; i < 7; i++) {
        const res = await limited.app.request(`/r/${trackingToken()}`);
        expectPageHeaders(res);
        statuses.push(res.status);
      }
      expect(statuses).toEqual([404, 404, 404, 404, 404, 429, 429]);
      // A minute later the client may go on.
      limited.clock.advance(60_000);
      expect((await limited.app.request(`/r/${trackingToken()}`)).status).toBe(404);
      // The API is not behind the public limit.
      expect((await limited.req('GET', '/v1/dealer')).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
