// End to end in a real browser: a campaign's print file is rendered, the QR
// code on a card is decoded from the pixels (pdftoppm), Debian's Chromium
// (driven by playwright-core) opens that URL against the service listening on
// 127.0.0.1, books a test drive on the phone-sized page, and the booking and
// its attribution (scan and booking responses for that piece) are read back
// through the API. Screenshots go to test/artifacts/ (git-ignored).
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { sql } from 'drizzle-orm';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db';
import { createTestApp, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';
import { decodeQr, hasPoppler, renderPages } from '../helpers/pdf';
import { mailedCampaign, type MailedCampaign } from './fixtures';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = (() => {
  const found = existsSync(CHROMIUM);
  if (!found && process.env.CI === 'true') throw new Error(`Debian chromium (${CHROMIUM}) is required under CI=true (apt-get install chromium)`);
  return found;
})();
const ready = hasChromium && hasPoppler();
if (!ready) console.warn('skipping the browser test: needs Debian packages chromium and poppler-utils');

const ARTIFACTS = join(process.cwd(), 'test', 'artifacts');

describe.skipIf(!ready).each(DB_KINDS)('QR → landing page → booking in Chromium on %s', (kind) => {
  let t: TestApp;
  let server: ServerType;
  let base: string;
  let mc: MailedCampaign;
  let context: BrowserContext;
  let profile: string;

  beforeAll(async () => {
    t = await createTestApp(kind, { PUBLIC_RATE_PER_MIN: 0 });
    server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((r) => server.once('listening', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // The links printed on the cards point at this server.
    t.deps.config.PUBLIC_BASE_URL = base;
    mc = await mailedCampaign(t, [{ fullName: '陈晓明', phone: '+8613912345678', email: 'chen@example.cn' }]);
    const put = await t.req('PUT', '/v1/booking/calendar', {
      body: { slotMinutes: 60, capacity: 3, hours: { '1': [['09:00', '17:00']], '2': [['09:00', '17:00']], '3': [['09:00', '17:00']] }, models: ['迈腾', 'ID.4'], daysAhead: 14 },
    });
    expect(put.status).toBe(200);
    profile = mkdtempSync(join(tmpdir(), 'dm-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 390, height: 844 },
      isMobile: true,
      locale: 'zh-CN',
    });
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await new Promise((r) => server?.close(r));
    await t?.close();
  });

  it('books a test drive from the QR code on the printed card, attributed to the piece', async () => {
    // The print file as the print shop gets it; the QR decoded from the rendered page.
    const run = (await (await t.req('GET', `/v1/print-runs/${mc.runId}`)).json()) as { files: { name: string }[] };
    const file = await t.req('GET', `/v1/print-runs/${mc.runId}/files/${run.files[0]!.name}`);
    expect(file.status).toBe(200);
    const pdf = new Uint8Array(await file.arrayBuffer());
    let url: string | null = null;
    for (const page of renderPages(pdf, 200)) url ??= decodeQr(page);
    expect(url).toMatch(new RegExp(`^${base}/r/[0-9A-Z]{16}$`));
    const token = url!.split('/').pop()!;
    expect(token).toBe(mc.pieces[0]!.token);

    const page = await context.newPage();
    const res = await page.goto(url!);
    expect(res!.status()).toBe(200);
    expect(page.url()).toBe(`${base}/l/${token}`);
    await expect(page.locator('h1').textContent()).resolves.toBe('陈先生，您好！');
    await page.screenshot({ path: join(ARTIFACTS, `landing-${kind}.png`), fullPage: true });

    await page.selectOption('#model', 'ID.4');
    const slot = await page.locator('#slot option:not([disabled])').first().getAttribute('value');
    await page.selectOption('#slot', slot!);
    await page.fill('#name', '陈晓明');
    await page.fill('#phone', '139 1234 5678');
    await Promise.all([page.waitForURL(/\/b\//), page.click('button[type=submit]')]);
    await expect(page.locator('#confirmation').textContent()).resolves.toContain('您已预约');
    await page.screenshot({ path: join(ARTIFACTS, `booked-${kind}.png`), fullPage: true });
    await page.close();

    const list = (await (await t.req('GET', `/v1/bookings?campaignId=${mc.campaignId}`)).json()) as {
      data: { status: string; model: string; phone: string; contactId: string; attribution: { campaignId: string; waveId: string; channel: string; pieceId: string; inWindow: boolean } }[];
    };
    expect(list.data).toHaveLength(1);
    expect(list.data[0]).toMatchObject({ status: 'booked', model: 'ID.4', phone: '+8613912345678', contactId: mc.pieces[0]!.contactId });
    expect(list.data[0]!.attribution).toMatchObject({ campaignId: mc.campaignId, waveId: mc.waveId, channel: 'mail', pieceId: mc.pieces[0]!.pieceId, inWindow: true });
    const responses = (await (await t.req('GET', `/v1/responses?campaignId=${mc.campaignId}&contactId=${mc.pieces[0]!.contactId}`)).json()) as { data: { kind: string; data: { userAgent?: string } }[] };
    expect(responses.data.map((r) => r.kind).sort()).toEqual(['booking', 'scan']);
    expect(responses.data.find((r) => r.kind === 'scan')!.data.userAgent).toMatch(/Chrome/);
    const [slotRow] = await rows<{ booked: number }>(t.deps.db.orm, sql`SELECT booked FROM booking_slots`);
    expect(slotRow!.booked).toBe(1);
  });
});
