// The print shop's portal: a printer sees only the jobs released to them,
// downloads through the time-limited signed links on the page (each download
// in the audit log), and marks the job printed and mailed through the API
// calls the page's buttons make; managers read without buttons and are refused
// by the API; marketers release jobs; another dealer's run is not found. In
// Chromium: a printer downloads a file and marks the job mailed, a manager
// opens the campaign's dashboard.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contacts } from '../../src/db/schema';
import { uuidv7 } from '../../src/lib/ids';
import { createTestApp, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';
import { artifactsDir, hasChromium, launchChromium, listen, STAFF_PASSWORD, staffUser, type StaffClient, signInThroughPage } from '../helpers/staff';

const OLD = new Date('2025-06-01T00:00:00Z');

/** A mail campaign launched with an approved proof: its print run rendered, the job awaiting release. */
async function printJob(t: TestApp, name: string): Promise<{ campaignId: string; runId: string }> {
  const tpl = await t.req('POST', '/v1/templates', { body: { name: `${name} 卡片`, builtin: 'test-drive-invitation-zh' } });
  expect(tpl.status, await tpl.clone().text()).toBe(201);
  const seg = await t.req('POST', '/v1/segments', { body: { name, rule: { field: 'kind', op: 'eq', value: 'prior_owner' } } });
  const res = await t.req('POST', '/v1/campaigns', {
    body: { name, purpose: 'test_drive', segmentId: ((await seg.json()) as { id: string }).id, holdoutPct: 0, waves: [{ channel: 'mail', templateId: ((await tpl.json()) as { id: string }).id }] },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  const campaignId = ((await res.json()) as { id: string }).id;
  expect((await t.req('POST', `/v1/campaigns/${campaignId}/waves/1/approve-proof`)).status).toBe(200);
  expect((await t.req('POST', `/v1/campaigns/${campaignId}/launch`)).status).toBe(200);
  await t.deps.jobs.idle();
  const view = (await (await t.req('GET', `/v1/campaigns/${campaignId}`)).json()) as { waves: { printRunId: string }[] };
  const runId = view.waves[0]!.printRunId;
  const run = (await (await t.req('GET', `/v1/print-runs/${runId}`)).json()) as { status: string; job: { status: string } };
  expect(run).toMatchObject({ status: 'completed', job: { status: 'pending_approval' } });
  return { campaignId, runId };
}

const unescape = (s: string) => s.replace(/&amp;/g, '&');
/** The runs shown on a page, with their job status. */
const shownRuns = (html: string) => Object.fromEntries([...html.matchAll(/data-run="([^"]+)" data-job-status="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
/** The page's part about one run. */
function card(html: string, runId: string): string {
  const start = html.indexOf(`id="run-${runId}"`);
  expect(start, `run ${runId} on the page`).toBeGreaterThan(-1);
  return html.slice(start, html.indexOf('</section>', start));
}
const downloads = (part: string) => [...part.matchAll(/href="([^"]+)" download="[^"]*" data-download="([^"]+)"/g)].map((m) => ({ href: unescape(m[1]!), name: m[2]! }));
const actions = (part: string) => [...part.matchAll(/data-api="([^"]+)"[^>]*data-action="([^"]+)"/g)].map((m) => ({ api: m[1]!, action: m[2]! }));

describe.each(DB_KINDS)('printer portal on %s', (kind) => {
  let t: TestApp;
  let released: { campaignId: string; runId: string };
  let held: { campaignId: string; runId: string };
  let printer: StaffClient;
  let manager: StaffClient;
  let marketer: StaffClient;

  beforeAll(async () => {
    t = await createTestApp(kind);
    for (let i = 0; i < 5; i++) {
      await t.deps.db.orm.insert(contacts).values({
        id: uuidv7(), dealerId: t.dealerId, kind: 'prior_owner', fullName: `车主${i}`, gender: 'male', country: 'CN', province: '福建省', city: '福州市',
        district: '鼓楼区', street: `五四路${i + 1}号`, postcode: String(350001 + i), createdAt: OLD, updatedAt: OLD,
      } as typeof contacts.$inferInsert);
    }
    released = await printJob(t, '春季试驾');
    held = await printJob(t, '秋季保养');
    expect((await t.req('POST', `/v1/print-runs/${released.runId}/release`)).status).toBe(200);
    printer = await staffUser(t, 'printer', { name: '印刷厂<script>x</script>' });
    manager = await staffUser(t, 'manager');
    marketer = await staffUser(t, 'marketer');
  });
  afterAll(() => t.close());

  it('shows a printer only the released jobs, with signed links to every file, the manifest and the ticket', async () => {
    const html = await printer.html('/app/print');
    expect(shownRuns(html)).toEqual({ [released.runId]: 'released' });
    expect(html).not.toContain(held.runId);
    expect(html).toContain('印刷厂&lt;script&gt;x&lt;/script&gt;');
    const part = card(html, released.runId);
    const links = downloads(part);
    expect(links.map((l) => l.name)).toEqual(expect.arrayContaining(['manifest.csv', 'ticket.json', 'excluded.csv']));
    expect(links.filter((l) => l.name.endsWith('.pdf')).length).toBeGreaterThan(0);
    for (const l of links) expect(l.href).toMatch(/^\/dl\/[0-9a-f-]+\/[^?]+\?a=user%3A[0-9a-f-]+&r=printer&e=\d+&s=/);
    expect(part).toContain('data-links-expire=');
    // The printer cannot release, and sees no campaign names.
    expect(actions(part).map((a) => a.action)).toEqual(['printed']);
    expect(html).not.toContain('春季试驾</a>');
    // A run not released is not found for the printer, nor is any run of it.
    const hidden = await printer.get(`/app/print/${held.runId}`);
    expect(hidden.status).toBe(404);
    expect(await hidden.text()).toContain('id="not-found"');
    // Printers see print jobs only.
    expect((await printer.get('/app/reports')).status).toBe(403);
    expect((await printer.get('/app/users')).status).toBe(403);
  });

  it('lets the printer download (recorded in the audit log) and mark the job printed, then mailed on a date', async () => {
    const part = card(await printer.html('/app/print'), released.runId);
    const pdf = downloads(part).find((l) => l.name.endsWith('.pdf'))!;
    // The link is the credential: no cookie needed.
    const file = await t.app.request(pdf.href);
    expect(file.status).toBe(200);
    expect(Buffer.from(await file.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');
    const manifest = await t.app.request(downloads(part).find((l) => l.name === 'manifest.csv')!.href);
    expect(manifest.status).toBe(200);
    expect(await manifest.text()).toContain('车主0');
    // A forged link is refused.
    expect((await t.app.request(pdf.href.replace(/s=[^&]+/, 's=AAAAAAAAAAAAAAAAAAAAAA'))).status).toBe(403);
    const log = (await (await t.req('GET', '/v1/audit')).json()) as { data: { action: string; actor: string; data: { file: string } }[] };
    const mine = log.data.filter((e) => e.action === 'download');
    expect(mine.map((e) => e.data.file).sort()).toEqual([pdf.name, `${released.runId.replace(/-/g, '').slice(-12)}-manifest.csv`].sort());
    expect(new Set(mine.map((e) => e.actor)).size).toBe(1);
    expect(mine[0]!.actor).toMatch(/^user:/);

    // The first download moved the job on; the page's button calls the API.
    let html = await printer.html('/app/print');
    expect(shownRuns(html)[released.runId]).toBe('downloaded');
    expect(html).toMatch(/data-at="downloaded">\d{4}/);
    const printed = actions(card(html, released.runId)).find((a) => a.action === 'printed')!;
    expect(printed.api).toBe(`/v1/print-runs/${released.runId}/printed`);
    expect((await printer.send('POST', printed.api, undefined, { csrf: false })).status).toBe(403);
    expect((await printer.send('POST', printed.api)).status).toBe(200);
    html = await printer.html('/app/print');
    expect(shownRuns(html)[released.runId]).toBe('printed');
    const mailed = actions(card(html, released.runId)).find((a) => a.action === 'mailed')!;
    expect(mailed.api).toBe(`/v1/print-runs/${released.runId}/mailed`);
    expect(card(html, released.runId)).toMatch(/type="date" name="mailedOn" value="2026-03-01"/);
    const bad = await printer.send('POST', mailed.api, { mailedOn: '2026-02-30' });
    expect(bad.status).toBe(400);
    expect((await printer.send('POST', mailed.api, { mailedOn: '2026-03-02' })).status).toBe(200);
    html = await printer.html(`/app/print/${released.runId}`);
    expect(shownRuns(html)[released.runId]).toBe('mailed');
    expect(html).toContain(`id="mailed-${released.runId}">2026-03-02<`);
    expect(actions(card(html, released.runId))).toEqual([]);
  });

  it('shows managers every run read-only (the API refuses them), and lets marketers release', async () => {
    const html = await manager.html('/app/print');
    expect(Object.keys(shownRuns(html)).sort()).toEqual([released.runId, held.runId].sort());
    expect(actions(html)).toEqual([]);
    expect(html).toContain('春季试驾</a>');
    for (const step of ['release', 'printed', 'mailed']) expect((await manager.send('POST', `/v1/print-runs/${held.runId}/${step}`, step === 'mailed' ? {} : undefined)).status).toBe(403);

    const theirs = await marketer.html('/app/print');
    const release = actions(card(theirs, held.runId));
    expect(release).toEqual([{ api: `/v1/print-runs/${held.runId}/release`, action: 'release' }]);
    expect(actions(card(theirs, released.runId))).toEqual([]);
    expect((await marketer.send('POST', release[0]!.api)).status).toBe(200);
    // Now the printer has it.
    expect(shownRuns(await printer.html('/app/print'))[held.runId]).toBe('released');
    expect((await printer.get(`/app/print/${held.runId}`)).status).toBe(200);
  });

  it('does not show another dealer’s print run', async () => {
    const other = await t.addDealer('别家车行');
    for (const role of ['printer', 'manager'] as const) {
      const stranger = await staffUser(t, role, { adminToken: other.token });
      const res = await stranger.get(`/app/print/${released.runId}`);
      expect(res.status).toBe(404);
      expect(await res.text()).toContain('id="not-found"');
      expect(shownRuns(await stranger.html('/app/print'))).toEqual({});
    }
    expect((await manager.get('/app/print/nope')).status).toBe(404);
  });

  it.runIf(hasChromium && kind === DB_KINDS[0])('in Chromium: a printer downloads a job and marks it mailed; a manager opens the campaign dashboard', async () => {
    const job = await printJob(t, '冬季关怀');
    expect((await t.req('POST', `/v1/print-runs/${job.runId}/release`)).status).toBe(200);
    const server = await listen(t);
    let browser: Browser | undefined;
    const shots = artifactsDir('web');
    try {
      browser = await launchChromium();
      const signIn = async (email: string, path: string): Promise<Page> => {
        const context = await browser!.newContext({ acceptDownloads: true, locale: 'zh-CN', viewport: { width: 1200, height: 900 } });
        const page = await context.newPage();
        page.on('dialog', (d) => void d.accept());
        await signInThroughPage(page, server.base, email, path);
        return page;
      };

      const page = await signIn(printer.email, '/app/print');
      const job$ = page.locator(`#run-${job.runId}`);
      await expect(job$.getAttribute('data-job-status')).resolves.toBe('released');
      await page.screenshot({ path: join(shots, 'print.png'), fullPage: true });
      const [download] = await Promise.all([page.waitForEvent('download'), job$.locator('a[data-download$=".pdf"]').first().click()]);
      const saved = await download.path();
      expect(readFileSync(saved).subarray(0, 5).toString()).toBe('%PDF-');
      await page.reload();
      await expect(job$.getAttribute('data-job-status')).resolves.toBe('downloaded');
      await Promise.all([page.waitForEvent('load'), job$.locator('button[data-action="printed"]').click()]);
      await expect(job$.getAttribute('data-job-status')).resolves.toBe('printed');
      await job$.locator('input[name="mailedOn"]').fill('2026-02-28');
      await Promise.all([page.waitForEvent('load'), job$.locator('form[data-action="mailed"] button[type=submit]').click()]);
      await expect(job$.getAttribute('data-job-status')).resolves.toBe('mailed');
      expect(await page.locator(`#mailed-${job.runId}`).textContent()).toBe('2026-02-28');
      await page.screenshot({ path: join(shots, 'print-mailed.png'), fullPage: true });
      const run = (await (await t.req('GET', `/v1/print-runs/${job.runId}`)).json()) as { job: { status: string; mailedOn: string } };
      expect(run.job).toMatchObject({ status: 'mailed', mailedOn: '2026-02-28' });

      const dash = await signIn(manager.email, `/app/reports/${job.campaignId}`);
      const api = (await (await manager.get(`/v1/reports/campaigns/${job.campaignId}`)).json()) as { audience: { contacted: number } };
      expect(await dash.locator('#headline [data-metric="audience.contacted"]').getAttribute('data-value')).toBe(String(api.audience.contacted));
      expect(await dash.locator('svg[data-chart="funnel"] rect').count()).toBe(5);
      await dash.screenshot({ path: join(shots, 'report.png'), fullPage: true });
      await dash.goto(`${server.base}/app/reports`);
      expect(await dash.locator(`tr[data-campaign="${job.campaignId}"]`).count()).toBe(1);
      await dash.screenshot({ path: join(shots, 'reports.png'), fullPage: true });
      // (The English pages too: the machine may lack CJK fonts for the screenshots.)
      await dash.goto(`${server.base}/app/reports/${job.campaignId}?lang=en`);
      expect(await dash.locator('h1').textContent()).toContain('Results');
      await dash.screenshot({ path: join(shots, 'report-en.png'), fullPage: true });

      // An admin's users page.
      const admin = await staffUser(t, 'admin', { name: '王<b>管理</b>' });
      const users = await signIn(admin.email, '/app/users');
      expect(await users.locator('#users tbody tr').count()).toBeGreaterThanOrEqual(4);
      expect(await users.locator('#users').textContent()).toContain('王<b>管理</b>');
      await users.screenshot({ path: join(shots, 'users.png'), fullPage: true });
    } finally {
      await browser?.close();
      await server.close();
    }
  });
});
