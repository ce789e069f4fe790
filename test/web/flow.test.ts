// The staff web app end to end in Chromium, one browser context per person,
// everything they do done through the pages: a marketer uploads a list,
// builds a segment with the live count, sees a template's proof, walks the
// wizard for a two-wave campaign (mail, then SMS to those who have not
// responded a week later), approves the proof, launches and watches the live
// view, and releases the print job; the printer downloads the job's PDF
// through its signed link and marks it printed, then mailed; recipients
// respond (scans of the printed QR links, a test drive booked on the landing
// page); the manager reads the response rates, and every figure on the report
// pages equals the API's; another dealer's admin is refused every page of
// this dealer. Screenshots of each page go to test/artifacts/web/flow/.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { rows } from '../../src/db';
import { createTestApp, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';
import { artifactsDir, hasChromium, launchChromium, listen, STAFF_PASSWORD, staffUser } from '../helpers/staff';
import { UNIT_COSTS, walkCampaignWizard } from './campaigns.fixtures';
import { expectSameAsApi } from './metrics';

/** The list the marketer uploads: eight prior owners, each with a phone and a postal address of their own. */
const PEOPLE = [
  ['陈晓明', '13800138000', '福建省福州市鼓楼区五四路1号', '350001'],
  ['林芳', '13800138001', '福建省福州市鼓楼区五四路2号', '350002'],
  ['王强', '13800138002', '福建省福州市鼓楼区五四路3号', '350003'],
  ['赵敏', '13800138003', '福建省福州市鼓楼区五四路4号', '350004'],
  ['黄磊', '13800138004', '福建省福州市鼓楼区五四路5号', '350005'],
  ['周婷', '13800138005', '福建省福州市鼓楼区五四路6号', '350006'],
  ['吴刚', '13800138006', '福建省福州市鼓楼区五四路7号', '350007'],
  ['郑丽', '13800138007', '福建省福州市鼓楼区五四路8号', '350008'],
] as const;
const CSV = ['姓名,手机,地址,邮编', ...PEOPLE.map((p) => p.join(',')), ''].join('\r\n');
const CAMPAIGN = '春季试驾 · 两波';
const DEALER = '测试汽车4S店';
const CALENDAR = {
  slotMinutes: 60,
  capacity: 3,
  hours: Object.fromEntries(['1', '2', '3', '4', '5', '6', '7'].map((d) => [d, [['09:00', '17:00']]])),
  models: ['迈腾', 'ID.4'],
  daysAhead: 14,
};
const DAY = 86_400_000;

interface Person {
  context: BrowserContext;
  page: Page;
  /** Script errors, console errors and failed requests seen on this person's pages. */
  problems: string[];
}

describe.each(DB_KINDS)('the staff web app end to end on %s', (kind) => {
  it.runIf(hasChromium && kind === DB_KINDS[0])(
    'a marketer imports, segments, proofs and launches; the printer mails; the manager sees the API’s response rates; another dealer is refused',
    async () => {
      const t: TestApp = await createTestApp(kind);
      const server = await listen(t);
      const dir = artifactsDir('web', 'flow');
      for (const f of readdirSync(dir).filter((x) => x.endsWith('.png'))) rmSync(join(dir, f));
      const files = await mkdtemp(join(tmpdir(), 'dm-flow-'));
      let browser: Browser | undefined;
      let n = 0;
      const next = () => String(++n).padStart(2, '0');
      const shot = (page: Page, name: string) => page.screenshot({ path: join(dir, `${next()}-${name}.png`), fullPage: true });
      const people: Person[] = [];

      /** A person's own browser context, signed in through the /app/login form, landing on `path`. */
      const signIn = async (email: string, path: string, opts: { loginShot?: string; expectErrors?: boolean } = {}): Promise<Person> => {
        const context = await browser!.newContext({ acceptDownloads: true, locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
        const page = await context.newPage();
        const person: Person = { context, page, problems: [] };
        people.push(person);
        page.on('dialog', (d) => void d.accept());
        page.on('pageerror', (e) => person.problems.push(`${page.url()}: ${e.message}`));
        page.on('console', (m) => {
          if (m.type() !== 'error') return;
          // The browser's own favicon request (there is none), and, for the refused pages, the 403/404 of the document itself.
          const failedLoad = m.text().startsWith('Failed to load resource');
          if (failedLoad && (m.location().url.endsWith('/favicon.ico') || opts.expectErrors)) return;
          person.problems.push(`${page.url()}: ${m.text()} (${m.location().url})`);
        });
        page.on('response', (r) => {
          if (r.status() >= 400 && !r.url().endsWith('/favicon.ico') && !(opts.expectErrors && r.request().isNavigationRequest())) person.problems.push(`${r.status()} ${r.url()}`);
        });
        await page.goto(`${server.base}/app/login?next=${encodeURIComponent(path)}`);
        await page.fill('#email', email);
        await page.fill('#password', STAFF_PASSWORD);
        if (opts.loginShot) await shot(page, opts.loginShot);
        await Promise.all([page.waitForURL(`${server.base}${path}`), page.click('#login button[type=submit]')]);
        return person;
      };

      try {
        // ── 1. The admin's set-up by API token: the people, unit costs, the booking calendar, templates.
        const marketerUser = await staffUser(t, 'marketer', { name: '市场部 小周' });
        const managerUser = await staffUser(t, 'manager', { name: '销售经理 老李' });
        const printerUser = await staffUser(t, 'printer', { name: '闽江印刷厂' });
        for (const [path, body] of [['/v1/dealer/unit-costs', UNIT_COSTS], ['/v1/booking/calendar', CALENDAR]] as const) {
          const res = await t.req('PUT', path, { body });
          expect(res.status, await res.clone().text()).toBe(200);
        }
        const card = await t.req('POST', '/v1/templates', { body: { name: '试驾邀请卡', builtin: 'test-drive-invitation-zh' } });
        expect(card.status, await card.clone().text()).toBe(201);
        const cardId = ((await card.json()) as { id: string }).id;
        const smsTpl = await t.req('POST', '/v1/templates', {
          body: { name: '试驾跟进短信', body: { purpose: 'test_drive', locale: 'zh-CN', sms: { text: '{{salutation}}，本周末展厅试驾日，欢迎到店：{{trackingUrl}}' } } },
        });
        expect(smsTpl.status, await smsTpl.clone().text()).toBe(201);
        const smsId = ((await smsTpl.json()) as { id: string }).id;
        browser = await launchChromium();

        // ── 2. The marketer.
        const csvPath = join(files, '春季老车主.csv');
        await writeFile(csvPath, CSV);
        const marketer = await signIn(marketerUser.email, '/app/lists', { loginShot: 'login' });
        const m = marketer.page;
        // The list: uploaded through the page, imported in the background while the page polls.
        await m.setInputFiles('#upload-file', csvPath);
        await m.selectOption('#upload-kind', 'prior_owner');
        await shot(m, 'lists-upload');
        await Promise.all([m.waitForURL(/\/app\/lists\/[0-9a-f-]{36}$/), m.click('#upload-form button[type=submit]')]);
        const importId = /\/app\/lists\/([0-9a-f-]{36})$/.exec(m.url())![1]!;
        await m.waitForSelector('#import-status[data-done]', { timeout: 30_000 });
        expect(await m.textContent('#import-state')).toBe('已完成');
        expect(await m.textContent('[data-count="created"] .stat')).toBe(String(PEOPLE.length));
        expect(await m.textContent('[data-count="rejected"] .stat')).toBe('0');
        expect(await m.textContent('h1')).toBe('春季老车主.csv');
        await shot(m, 'list-imported');
        const imported = (await (await t.req('GET', `/v1/imports/${importId}`)).json()) as { status: string; counts: { accepted: number; created: number } };
        expect(imported).toMatchObject({ status: 'completed', counts: { accepted: PEOPLE.length, created: PEOPLE.length } });

        // The segment: prior owners (the builder's first row) whose postcode starts with 3500; the live count is the list.
        await m.goto(`${server.base}/app/segments/new`);
        await m.waitForSelector(`#live-count[data-count="${PEOPLE.length}"]`);
        await m.fill('#seg-name', '福州 春季老车主');
        await m.click('.rb-root > .actions .rb-add');
        const second = m.locator('.rb-root > .rb-items > .rb-cond').nth(1);
        await second.locator('select.rb-field').selectOption('postcode');
        await second.locator('select.rb-op').selectOption('starts_with');
        await m.waitForSelector('#rule-problems');
        await second.locator('.rb-value input').fill('3500');
        await m.waitForSelector(`#live-count[data-count="${PEOPLE.length}"]`);
        expect(await m.locator('#sample tbody tr').count()).toBe(PEOPLE.length);
        expect((await m.textContent('#sample'))!).toContain('陈晓明');
        await shot(m, 'segment-builder');
        await Promise.all([m.waitForURL(/\/app\/segments\/[0-9a-f-]{36}$/), m.click('#save-segment')]);
        const segmentId = /\/app\/segments\/([0-9a-f-]{36})$/.exec(m.url())![1]!;
        const seg = (await (await t.req('GET', `/v1/segments/${segmentId}`)).json()) as { name: string; rule: unknown };
        expect(seg).toMatchObject({
          name: '福州 春季老车主',
          rule: { and: [{ field: 'kind', op: 'eq', value: 'prior_owner' }, { field: 'postcode', op: 'starts_with', value: '3500' }] },
        });
        await m.waitForSelector(`#live-count[data-count="${PEOPLE.length}"]`);
        await shot(m, 'segment-saved');

        // The template's proof: a thumbnail of each page, drawn for a member of the segment.
        await m.goto(`${server.base}/app/templates`);
        await shot(m, 'templates');
        await Promise.all([m.waitForURL(`${server.base}/app/templates/${cardId}`), m.click(`a[href="/app/templates/${cardId}"]`)]);
        // A sample of the segment's members drawn, chosen on the page.
        await m.selectOption('#sample-segment', segmentId);
        await Promise.all([m.waitForURL(new RegExp(`/app/templates/${cardId}\\?v=1&segment=${segmentId}$`)), m.click('#sample-form button[type=submit]')]);
        await m.waitForFunction(() => {
          const imgs = [...document.querySelectorAll<HTMLImageElement>('#thumbs img')];
          return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);
        }, undefined, { timeout: 60_000 });
        expect(await m.locator('#thumbs img').count()).toBeGreaterThan(0);
        const proofHref = (await m.getAttribute('#proof-pdf', 'href'))!;
        expect(proofHref).toContain(`segmentId=${segmentId}`);
        const proof = await m.request.get(new URL(proofHref, server.base).href);
        expect(proof.status()).toBe(200);
        expect(proof.headers()['content-type']).toBe('application/pdf');
        expect(Buffer.from(await proof.body()).subarray(0, 5).toString()).toBe('%PDF-');
        await shot(m, 'template-proof');

        // The campaign: the wizard to launch (each step's screenshot), the proof approved on the way.
        const campaignId = await walkCampaignWizard(
          m,
          server.base,
          {
            name: CAMPAIGN,
            segmentId,
            holdoutPct: 10,
            waves: [
              { channel: 'mail', templateId: cardId },
              { channel: 'sms', templateId: smsId, scheduledAt: '2026-03-08T10:00', notResponded: true },
            ],
          },
          { dir, prefix: `${next()}-campaign-wizard` },
        );
        const launched = (await (await t.req('GET', `/v1/campaigns/${campaignId}`)).json()) as {
          status: string;
          waves: { channel: string; condition: string; proofApprovedAt: string | null; printRunId: string | null; scheduledAt: string }[];
        };
        expect(launched.status).toBe('running');
        expect(launched.waves.map((w) => [w.channel, w.condition, w.proofApprovedAt !== null])).toEqual([
          ['mail', 'everyone', true],
          ['sms', 'not_responded', false],
        ]);
        expect(launched.waves[1]!.scheduledAt).toBe('2026-03-08T02:00:00.000Z');
        // The live view follows the print run rendering in the background.
        expect(await m.textContent('h1')).toBe(CAMPAIGN);
        await m.waitForSelector('[data-run-status="completed"]', { timeout: 120_000 });
        await t.deps.jobs.idle();
        const runId = launched.waves[0]!.printRunId!;
        expect(runId).toMatch(/^[0-9a-f-]{36}$/);
        const pieces = await rows<{ token: string; contact_id: string; full_name: string }>(
          t.deps.db.orm,
          sql`SELECT p.token, p.contact_id, c.full_name FROM pieces p JOIN contacts c ON c.id = p.contact_id
              WHERE p.print_run_id = ${runId}::uuid AND p.status = 'rendered' ORDER BY p.seq`,
        );
        const [aud] = await rows<{ recipients: number; holdout: number }>(
          t.deps.db.orm,
          sql`SELECT count(*)::int AS recipients, count(*) FILTER (WHERE holdout)::int AS holdout FROM campaign_recipients WHERE campaign_id = ${campaignId}::uuid`,
        );
        expect(aud!.recipients).toBe(PEOPLE.length);
        // Everyone outside the holdout group has an address: one piece each.
        expect(pieces).toHaveLength(aud!.recipients - aud!.holdout);
        expect(pieces.length).toBeGreaterThanOrEqual(3);
        await m.waitForSelector(`[data-k="run-${runId}-rendered"][data-v="${pieces.length}"]`);
        expect(await m.getAttribute('[data-k="recipients"]', 'data-v')).toBe(String(PEOPLE.length));
        await shot(m, 'campaign-live');

        // The job goes to the print shop: the marketer releases it on the print page.
        await m.goto(`${server.base}/app/print`);
        const toRelease = m.locator(`#run-${runId}`);
        expect(await toRelease.getAttribute('data-job-status')).toBe('pending_approval');
        await shot(m, 'print-release');
        await Promise.all([m.waitForEvent('load'), toRelease.locator('button[data-action="release"]').click()]);
        await expect(toRelease.getAttribute('data-job-status')).resolves.toBe('released');

        // ── 4. The printer: download the PDF through its signed link, mark the job printed, then mailed.
        const printer = await signIn(printerUser.email, '/app/print');
        const p = printer.page;
        const job = p.locator(`#run-${runId}`);
        expect(await job.getAttribute('data-job-status')).toBe('released');
        // The print shop sees the job, not the campaign.
        expect(await p.textContent('main')).not.toContain(CAMPAIGN);
        await shot(p, 'printer-jobs');
        const pdfLink = job.locator('a[data-download$=".pdf"]').first();
        expect(await pdfLink.getAttribute('href')).toMatch(/^\/dl\/[0-9a-f-]+\/[^?]+\?a=user%3A[0-9a-f-]+&r=printer&e=\d+&s=/);
        const [download] = await Promise.all([p.waitForEvent('download'), pdfLink.click()]);
        expect(download.suggestedFilename()).toMatch(/\.pdf$/);
        const pdf = readFileSync(await download.path());
        expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
        expect(pdf.length).toBeGreaterThan(1000);
        await p.reload();
        await expect(job.getAttribute('data-job-status')).resolves.toBe('downloaded');
        await Promise.all([p.waitForEvent('load'), job.locator('button[data-action="printed"]').click()]);
        await expect(job.getAttribute('data-job-status')).resolves.toBe('printed');
        await shot(p, 'printer-printed');
        // Into the mail on the day of the drop (the form's default is the dealer's today).
        expect(await job.locator('input[name="mailedOn"]').inputValue()).toBe('2026-03-01');
        await job.locator('input[name="mailedOn"]').fill('2026-03-01');
        await Promise.all([p.waitForEvent('load'), job.locator('form[data-action="mailed"] button[type=submit]').click()]);
        await expect(job.getAttribute('data-job-status')).resolves.toBe('mailed');
        expect(await p.locator(`#mailed-${runId}`).textContent()).toBe('2026-03-01');
        await shot(p, 'printer-mailed');
        const run = (await (await t.req('GET', `/v1/print-runs/${runId}`)).json()) as { job: { status: string; mailedOn: string } };
        expect(run.job).toMatchObject({ status: 'mailed', mailedOn: '2026-03-01' });
        const audit = (await (await t.req('GET', '/v1/audit')).json()) as { data: { action: string; actor: string; data: { file?: string } }[] };
        expect(audit.data.filter((e) => e.action === 'download').map((e) => e.data.file)).toEqual([download.suggestedFilename()]);

        // ── 3. The recipients, the next day: two scan the card's QR code, a third scans it on a phone and books a test drive.
        t.clock.advance(DAY);
        const [first, secondPiece, third] = pieces;
        for (const piece of [first!, secondPiece!]) {
          const scan = await t.app.request(`/r/${piece.token}`, { headers: { 'user-agent': 'Mozilla/5.0 (iPhone) flow' } });
          expect(scan.status).toBe(302);
          expect(scan.headers.get('location')).toBe(`/l/${piece.token}`);
        }
        const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, locale: 'zh-CN' });
        const r = await phone.newPage();
        const recipient: Person = { context: phone, page: r, problems: [] };
        people.push(recipient);
        r.on('pageerror', (e) => recipient.problems.push(`${r.url()}: ${e.message}`));
        r.on('console', (msg) => {
          if (msg.type() === 'error' && !msg.location().url.endsWith('/favicon.ico')) recipient.problems.push(`${r.url()}: ${msg.text()}`);
        });
        const landing = await r.goto(`${server.base}/r/${third!.token}`);
        expect(landing!.status()).toBe(200);
        expect(r.url()).toBe(`${server.base}/l/${third!.token}`);
        await r.selectOption('#model', 'ID.4');
        const slot = await r.locator('#slot option:not([disabled])').first().getAttribute('value');
        expect(slot).toMatch(/^2026-03-0\dT\d\d:\d\d$/);
        await r.selectOption('#slot', slot!);
        await r.fill('#name', third!.full_name);
        const thirdPhone = PEOPLE.find((x) => x[0] === third!.full_name)![1];
        await r.fill('#phone', thirdPhone);
        await shot(r, 'landing');
        await Promise.all([r.waitForURL(/\/b\//), r.click('button[type=submit]')]);
        await expect(r.locator('#confirmation').textContent()).resolves.toContain('您已预约');
        await shot(r, 'landing-booked');
        const responses = (await (await t.req('GET', `/v1/responses?campaignId=${campaignId}`)).json()) as { data: { kind: string; contactId: string; inWindow: boolean }[] };
        expect(responses.data.map((x) => x.kind).sort()).toEqual(['booking', 'scan', 'scan', 'scan']);
        expect(responses.data.every((x) => x.inWindow)).toBe(true);
        expect(new Set(responses.data.map((x) => x.contactId))).toEqual(new Set([first!.contact_id, secondPiece!.contact_id, third!.contact_id]));

        // ── 5. The manager: the campaigns' results, then this campaign's; every figure the API's.
        const manager = await signIn(managerUser.email, '/app/reports');
        const g = manager.page;
        const contacted = pieces.length;
        const responders = 3;
        const expectedRate = Math.round((responders / contacted) * 10_000) / 10_000;
        const pct = (v: number) => new Intl.NumberFormat('zh-CN', { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(v);
        // The API read with the manager's own session (the browser context's cookie).
        const listApi = await g.request.get(`${server.base}/v1/reports/campaigns`);
        expect(listApi.status()).toBe(200);
        const list = (await listApi.json()) as { data: { id: string; contacted: number; responders: number; responseRate: number }[] };
        expect(list.data.map((d) => d.id)).toEqual([campaignId]);
        expect(list.data[0]).toMatchObject({ contacted, responders, responseRate: expectedRate });
        expect(await g.locator(`tr[data-campaign="${campaignId}"]`).count()).toBe(1);
        const listed = expectSameAsApi(await g.content(), list);
        expect(listed.get(`data.${campaignId}.responseRate`)).toBe(String(expectedRate));
        expect(listed.get('totals.responseRate')).toBe(String(expectedRate));
        expect(await g.locator(`tr[data-campaign="${campaignId}"] [data-metric="data.${campaignId}.responseRate"]`).textContent()).toBe(pct(expectedRate));
        await shot(g, 'reports');

        await Promise.all([g.waitForURL(`${server.base}/app/reports/${campaignId}`), g.click(`tr[data-campaign="${campaignId}"] a[href="/app/reports/${campaignId}"]`)]);
        const reportApi = await g.request.get(`${server.base}/v1/reports/campaigns/${campaignId}`);
        expect(reportApi.status()).toBe(200);
        const report = (await reportApi.json()) as {
          audience: { recipients: number; holdout: number; contacted: number };
          delivered: number;
          responders: number;
          responseRate: number;
          funnel: { contacted: number; scannedOrClicked: number; booked: number };
          byChannel: { key: string; contacted: number; responders: number; rate: number }[];
        };
        expect(report).toMatchObject({
          audience: { recipients: PEOPLE.length, holdout: aud!.holdout, contacted },
          delivered: contacted,
          responders,
          responseRate: expectedRate,
          funnel: { contacted, scannedOrClicked: 3, booked: 1 },
        });
        expect(report.byChannel).toEqual([expect.objectContaining({ key: 'mail', contacted, responders, rate: expectedRate })]);
        const shown = expectSameAsApi(await g.content(), report);
        expect(shown.get('responseRate')).toBe(String(expectedRate));
        expect(shown.get('byChannel.mail.rate')).toBe(String(expectedRate));
        expect(shown.get('funnel.scannedOrClicked')).toBe('3');
        expect(shown.get('funnel.booked')).toBe('1');
        expect(expectedRate).toBeGreaterThan(0);
        expect(await g.locator('#headline [data-metric="responseRate"]').textContent()).toBe(pct(expectedRate));
        expect(await g.locator('#drop-date').textContent()).toBe('2026-03-01');
        expect(await g.locator('svg[data-chart="funnel"] rect').count()).toBe(5);
        expect(await g.textContent('h1')).toContain(CAMPAIGN);
        await shot(g, 'report');

        // ── 6. Another dealer's admin: none of these pages, none of this dealer's names.
        const other = await t.addDealer('别家车行');
        const strangerUser = await staffUser(t, 'admin', { adminToken: other.token, name: '别家 管理员' });
        const stranger = await signIn(strangerUser.email, '/app/campaigns', { expectErrors: true });
        const s = stranger.page;
        expect(await s.locator(`[data-id="${campaignId}"]`).count()).toBe(0);
        expect(await s.textContent('body')).not.toContain(CAMPAIGN);
        await shot(s, 'other-dealer-campaigns');
        const contactId = pieces[0]!.contact_id;
        const foreign: [string, string][] = [
          [`/app/campaigns/${campaignId}`, 'other-dealer-campaign'],
          [`/app/reports/${campaignId}`, 'other-dealer-report'],
          [`/app/contacts/${contactId}`, 'other-dealer-contact'],
          [`/app/print/${runId}`, 'other-dealer-print'],
        ];
        for (const [path, name] of foreign) {
          const res = await s.goto(`${server.base}${path}`);
          expect([403, 404], `${path} → ${res!.status()}`).toContain(res!.status());
          expect(await s.locator('#not-found, #refused').count(), path).toBe(1);
          const text = (await s.textContent('body'))!;
          for (const secret of [CAMPAIGN, DEALER, ...PEOPLE.map((x) => x[0]), ...PEOPLE.map((x) => x[1])]) expect(text, `${path} shows ${secret}`).not.toContain(secret);
          await shot(s, name);
        }
        // Their own dealer's pages show nothing of this dealer either.
        await s.goto(`${server.base}/app/contacts`);
        const theirContacts = (await s.textContent('body'))!;
        for (const x of PEOPLE) expect(theirContacts).not.toContain(x[0]);
        await shot(s, 'other-dealer-contacts');
        // And nothing of this dealer changed.
        expect(((await (await t.req('GET', `/v1/campaigns/${campaignId}`)).json()) as { status: string }).status).toBe('running');

        for (const person of people) expect(person.problems).toEqual([]);
      } catch (e) {
        for (const [i, person] of people.entries()) await person.page.screenshot({ path: join(dir, `failed-${i}.png`), fullPage: true }).catch(() => undefined);
        throw e;
      } finally {
        await browser?.close();
        await server.close();
        await t.close();
        await rm(files, { recursive: true, force: true });
      }
    },
    300_000,
  );
});

