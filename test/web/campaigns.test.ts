// The campaign pages: the list and the wizard per role, other dealers' ids,
// escaping, the pre-launch summary against the preview API, the live view's
// counts against the database; and one run in Chromium through the wizard for
// a two-wave campaign (mail, then SMS to those who have not responded a week
// later): proof approval, launch, pause and resume on the live view.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db';
import { createTestApp, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';
import { artifactsDir, hasChromium, launchChromium, listen, STAFF_PASSWORD, staffUser, type StaffClient } from '../helpers/staff';
import { acceptDialogs, seedCampaignData, signInPage, UNIT_COSTS, walkCampaignWizard, type CampaignData } from './campaigns.fixtures';

/** data-k → data-v of every number the page marks. */
function values(html: string): Record<string, string> {
  return Object.fromEntries([...html.matchAll(/data-k="([^"]+)" data-v="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
}

const num = (v: string | undefined) => (v === undefined || v === '' ? null : Number(v));

describe.each(DB_KINDS)('campaign pages on %s', (kind) => {
  let t: TestApp;
  let admin: StaffClient;
  let marketer: StaffClient;
  let manager: StaffClient;
  let printer: StaffClient;
  let data: CampaignData;
  let foreignCampaign: string;
  let otherToken: string;

  const create = async (body: object, status = 201) => {
    const res = await marketer.send('POST', '/v1/campaigns', body);
    const text = await res.text();
    expect(res.status, text).toBe(status);
    return JSON.parse(text) as { id: string };
  };

  beforeAll(async () => {
    t = await createTestApp(kind);
    admin = await staffUser(t, 'admin');
    marketer = await staffUser(t, 'marketer');
    manager = await staffUser(t, 'manager');
    printer = await staffUser(t, 'printer');
    data = await seedCampaignData(t);
    // Another dealer with a campaign of its own.
    const other = await t.addDealer('别家车行');
    otherToken = other.token;
    const theirs = await seedCampaignData(t, { token: other.token, unitCosts: false });
    const res = await t.req('POST', '/v1/campaigns', { token: other.token, body: { name: '别家活动', purpose: 'greeting', segmentId: theirs.segmentId, waves: [{ channel: 'sms', templateId: theirs.smsTemplateId }] } });
    foreignCampaign = ((await res.json()) as { id: string }).id;
  });
  afterAll(() => t.close());

  it('lists campaigns for each role, with escaped names, and offers new campaigns to writers only', async () => {
    const { id } = await create({ name: '<b>春季</b>&"试驾"', purpose: 'test_drive', segmentId: data.segmentId, waves: [{ channel: 'sms', templateId: data.smsTemplateId }] });
    for (const who of [admin, marketer, manager]) {
      const html = await who.html('/app/campaigns');
      expect(html).toContain('&lt;b&gt;春季&lt;/b&gt;&amp;&quot;试驾&quot;');
      expect(html).not.toContain('<b>春季');
      expect(html).toContain(`data-id="${id}"`);
      expect(html).toContain('全部老车主');
      expect(html).not.toContain('别家活动');
      if (who === manager) {
        expect(html).not.toContain('id="new-campaign"');
        expect(html).toContain(`href="/app/campaigns/${id}"`);
      } else {
        expect(html).toContain('href="/app/campaigns/new"');
        expect(html).toContain(`href="/app/campaigns/${id}/edit?step=audience"`);
      }
    }
    // Each wizard step and the live view escape it too.
    for (const step of ['audience', 'waves', 'summary', 'proof', 'launch']) {
      const html = await marketer.html(`/app/campaigns/${id}/edit?step=${step}`);
      expect(html, step).toContain('&lt;b&gt;春季&lt;/b&gt;');
      expect(html, step).not.toContain('<b>春季');
      expect(html, step).toContain(`data-step="${step}" aria-current="step"`);
    }
    const live = await manager.html(`/app/campaigns/${id}`);
    expect(live).toContain('<title>&lt;b&gt;春季&lt;/b&gt;');
    // Printers see no campaign page; managers no wizard.
    for (const path of ['/app/campaigns', `/app/campaigns/${id}`, '/app/campaigns/new', `/app/campaigns/${id}/progress`]) {
      const res = await printer.get(path);
      expect(res.status, path).toBe(403);
      expect(await res.text()).toContain('id="refused"');
    }
    for (const path of ['/app/campaigns/new', `/app/campaigns/${id}/edit?step=waves`]) expect((await manager.get(path)).status, path).toBe(403);
    // English too.
    const en = await manager.html('/app/campaigns?lang=en');
    expect(en).toContain('Campaigns');
    expect(en).toContain('Draft');
  });

  it("answers another dealer's campaign, and ids that are not campaigns, with the not-found page", async () => {
    for (const path of [`/app/campaigns/${foreignCampaign}`, `/app/campaigns/${foreignCampaign}/edit?step=summary`, '/app/campaigns/not-a-uuid', '/app/campaigns/0190c5a0-0000-7000-8000-000000000000']) {
      const res = await admin.get(path);
      expect(res.status, path).toBe(404);
      const html = await res.text();
      expect(html).toContain('id="not-found"');
      expect(html).not.toContain('别家活动');
    }
    const frag = await admin.get(`/app/campaigns/${foreignCampaign}/progress`, { 'x-fragment': '1' });
    expect(frag.status).toBe(404);
    expect(await frag.text()).not.toContain('别家活动');
    // And the API refuses the pages' writes on it.
    expect((await marketer.send('POST', `/v1/campaigns/${foreignCampaign}/pause`)).status).toBe(404);
  });

  it('estimates only SMS costs, at the default price, for a dealer without unit costs', async () => {
    const theirs = await staffUser(t, 'marketer', { adminToken: otherToken });
    const html = await theirs.html(`/app/campaigns/${foreignCampaign}/edit?step=summary`);
    expect(html).toContain('id="no-unit-costs"');
    const p = (await (await theirs.get(`/v1/campaigns/${foreignCampaign}/preview`)).json()) as { unitCosts: unknown; estimatedCost: number | null; waves: { segments: number; estimatedCost: number }[] };
    expect(p.unitCosts).toBeNull();
    expect(p.waves[0]!.estimatedCost).toBeCloseTo(p.waves[0]!.segments * t.deps.config.SMS_SEGMENT_COST, 2);
    const v = values(html);
    expect(num(v['w1-cost'])).toBe(p.waves[0]!.estimatedCost);
    expect(num(v['total-cost'])).toBe(p.estimatedCost);
    // And this dealer's people do not see the first dealer's campaigns.
    const list = await theirs.html('/app/campaigns');
    expect([...list.matchAll(/<tr data-id="([^"]+)"/g)].map((m) => m[1])).toEqual([foreignCampaign]);
  });

  it('starts a draft only when the audience step is saved, and keeps its waves when the audience changes', async () => {
    const count = async () => (await rows<{ n: number }>(t.deps.db.orm, sql`SELECT count(*)::int AS n FROM campaigns WHERE dealer_id = ${t.dealerId}::uuid`))[0]!.n;
    const before = await count();
    const html = await marketer.html('/app/campaigns/new');
    expect(html).toContain('id="audience-form"');
    expect(html).toContain('data-api="/v1/campaigns"');
    expect(html).toContain(`<option value="${data.segmentId}">全部老车主</option>`);
    expect(html).toContain('<script src="/app/static/campaign-wizard.js" defer=""></script>');
    expect(await count()).toBe(before);
    // What step 1 posts: the audience without waves yet.
    const { id } = await create({ name: '草稿', purpose: 'greeting', segmentId: data.segmentId, holdoutPct: 10 });
    expect(await count()).toBe(before + 1);
    const launch = await marketer.send('POST', `/v1/campaigns/${id}/launch`);
    expect(launch.status).toBe(422);
    expect(((await launch.json()) as { error: { code: string } }).error.code).toBe('no_waves');
    const noWaves = await marketer.html(`/app/campaigns/${id}/edit?step=launch`);
    expect(noWaves).toMatch(/<button type="button" id="launch" disabled=""/);
    // Step 2 as its script sends it: a mail wave pinned, an SMS follow-up a week later.
    const put = await marketer.send('PUT', `/v1/campaigns/${id}`, {
      name: '草稿',
      purpose: 'greeting',
      segmentId: data.segmentId,
      holdoutPct: 10,
      waves: [
        { channel: 'mail', templateId: data.printTemplateId, fallback: ['sms'] },
        { channel: 'sms', templateId: data.smsTemplateId, scheduledAt: '2026-03-08T10:00', condition: 'not_responded' },
      ],
    });
    expect(put.status, await put.clone().text()).toBe(200);
    const step1 = await marketer.html(`/app/campaigns/${id}/edit?step=audience`);
    expect(step1).toContain('id="segment-count" data-count="12"');
    const wavesField = /<input type="hidden" name="waves" data-type="json" value="([^"]*)"/.exec(step1)![1]!.replace(/&quot;/g, '"');
    const ws = JSON.parse(wavesField) as { channel: string; templateId: string; version: number; scheduledAt?: string; condition: string; fallback: string[] }[];
    expect(ws).toEqual([
      { channel: 'mail', templateId: data.printTemplateId, version: 2, condition: 'everyone', fallback: ['sms'] },
      { channel: 'sms', templateId: data.smsTemplateId, version: 1, scheduledAt: '2026-03-08T02:00:00.000Z', condition: 'not_responded', fallback: [] },
    ]);
    const step2 = await marketer.html(`/app/campaigns/${id}/edit?step=waves`);
    expect(step2).toContain('name="waves.1.scheduledAt" value="2026-03-08T10:00"');
    expect(step2).toContain('name="waves.1.notResponded" checked=""');
    expect(step2).toMatch(new RegExp(`<option value="${data.smsTemplateId}" selected="" data-channels="sms email">`));
    const step5 = await marketer.html(`/app/campaigns/${id}/edit?step=launch`);
    expect(step5).toContain('id="proofs-missing"');
    expect(step5).toContain('2026/03/08 10:00');
    // A launched campaign is no longer edited.
    expect((await marketer.send('POST', `/v1/campaigns/${id}/waves/1/approve-proof`)).status).toBe(200);
    expect((await marketer.send('POST', `/v1/campaigns/${id}/launch`)).status).toBe(200);
    const edit = await marketer.get(`/app/campaigns/${id}/edit?step=waves`);
    expect(edit.status).toBe(303);
    expect(edit.headers.get('location')).toBe(`/app/campaigns/${id}`);
    await t.deps.jobs.idle();
    expect((await marketer.send('POST', `/v1/campaigns/${id}/cancel`)).status).toBe(200);
  });

  it("shows the preview API's numbers in the pre-launch summary, with costs that add up", async () => {
    const { id } = await create({
      name: '三波',
      purpose: 'test_drive',
      segmentId: data.segmentId,
      holdoutPct: 20,
      seed: 'summary',
      waves: [
        { channel: 'mail', templateId: data.printTemplateId, fallback: ['sms'] },
        { channel: 'sms', templateId: data.smsTemplateId, fallback: ['email'] },
        { channel: 'email', templateId: data.smsTemplateId },
      ],
    });
    const res = await marketer.get(`/v1/campaigns/${id}/preview`);
    const p = (await res.json()) as {
      recipients: number;
      holdout: number;
      estimatedCost: number;
      waves: { seq: number; pieces?: number; householdDuplicates?: number; files?: number; reachable?: number; frequencyCapped?: number; segments?: number; reachableByFallback?: number; fallbackSegments?: number; estimatedCost: number; fallbackEstimatedCost?: number }[];
    };
    expect(await (await marketer.get('/v1/dealer/unit-costs')).json()).toEqual(UNIT_COSTS);
    const v = values(await marketer.html(`/app/campaigns/${id}/edit?step=summary`));
    const contacted = p.recipients - p.holdout;
    expect(p.recipients).toBe(12);
    expect(num(v.recipients)).toBe(p.recipients);
    expect(num(v.holdout)).toBe(p.holdout);
    expect(num(v.contacted)).toBe(contacted);
    const [mail, sms, email] = p.waves;
    expect(num(v['w1-reached'])).toBe(mail!.pieces);
    expect(num(v['w1-households'])).toBe(mail!.householdDuplicates);
    expect(num(v['w1-fallback'])).toBe(mail!.reachableByFallback);
    expect(num(v['w1-files'])).toBe(mail!.files);
    expect(num(v['w2-reached'])).toBe(sms!.reachable);
    expect(num(v['w2-capped'])).toBe(sms!.frequencyCapped);
    expect(num(v['w2-segments'])).toBe(sms!.segments);
    expect(num(v['w2-fallback'])).toBe(sms!.reachableByFallback);
    expect(num(v['w3-reached'])).toBe(email!.reachable);
    // Each wave: reached + left out by reason = those to contact.
    for (const s of [1, 2, 3]) {
      const parts = ['reached', 'households', 'capped', 'missing'].map((k) => num(v[`w${s}-${k}`]) ?? 0);
      expect(parts.reduce((a, b) => a + b, 0), `wave ${s}`).toBe(contacted);
      expect(num(v[`w${s}-contacted`])).toBe(contacted);
    }
    // Contacts without a street cannot get mail (how many of the two in the list are outside the
    // holdout depends on their random ids): the page's count is the API's remainder.
    expect(num(v['w1-missing']) ?? 0).toBe(contacted - mail!.pieces! - mail!.householdDuplicates!);
    expect(num(v['w1-fallback'])).toBeLessThanOrEqual(num(v['w1-missing'])!);
    // Costs: the API's, from the dealer's unit costs, and the total is their sum.
    expect(mail!.estimatedCost).toBeCloseTo(mail!.pieces! * (UNIT_COSTS.printPiece + UNIT_COSTS.postagePiece), 2);
    expect(sms!.estimatedCost).toBeCloseTo(sms!.segments! * UNIT_COSTS.smsSegment, 2);
    expect(email!.estimatedCost).toBeCloseTo(email!.reachable! * UNIT_COSTS.emailMessage, 2);
    // Whoever has no address but a phone gets the fallback SMS (unless drawn into the holdout).
    if (mail!.reachableByFallback! > 0) expect(mail!.fallbackSegments).toBeGreaterThan(0);
    else expect(mail!.fallbackSegments).toBe(0);
    expect(mail!.fallbackEstimatedCost).toBeCloseTo(mail!.fallbackSegments! * UNIT_COSTS.smsSegment, 2);
    expect(sms!.fallbackEstimatedCost).toBeCloseTo(sms!.reachableByFallback! * UNIT_COSTS.emailMessage, 2);
    expect(num(v['w1-cost'])).toBe(mail!.estimatedCost);
    expect(num(v['w1-units'])).toBe(mail!.pieces);
    expect(num(v['w1-fallback-units'])).toBe(mail!.fallbackSegments);
    expect(num(v['w1-fallback-cost'])).toBe(mail!.fallbackEstimatedCost);
    expect(num(v['w2-cost'])).toBe(sms!.estimatedCost);
    expect(num(v['w2-units'])).toBe(sms!.segments);
    expect(num(v['w2-fallback-cost'])).toBe(sms!.fallbackEstimatedCost);
    expect(num(v['w3-cost'])).toBe(email!.estimatedCost);
    const lines = Object.entries(v).filter(([k]) => /^w\d(-fallback)?-cost$/.test(k)).map(([, x]) => Number(x));
    expect(lines).toHaveLength(5);
    expect(num(v['total-cost'])).toBe(p.estimatedCost);
    expect(p.estimatedCost).toBeCloseTo(lines.reduce((a, b) => a + b, 0), 2);
    await marketer.send('POST', `/v1/campaigns/${id}/cancel`);
  });

  it("shows the live view's counts as the database holds them, polled until the campaign is cancelled", async () => {
    const { id } = await create({
      name: '短信',
      purpose: 'test_drive',
      segmentId: data.segmentId,
      holdoutPct: 10,
      waves: [
        { channel: 'sms', templateId: data.smsTemplateId },
        { channel: 'email', templateId: data.smsTemplateId, scheduledAt: '2026-03-05T10:00' },
      ],
    });
    expect((await marketer.send('POST', `/v1/campaigns/${id}/launch`)).status).toBe(200);
    // Some deliveries move on, as the dispatcher and the providers would.
    const outboxIds = await rows<{ id: string }>(t.deps.db.orm, sql`SELECT o.id FROM outbox o JOIN waves w ON w.id = o.wave_id WHERE o.campaign_id = ${id}::uuid AND w.seq = 1 ORDER BY o.id`);
    expect(outboxIds.length).toBeGreaterThan(4);
    const set = (k: number, status: string) => t.deps.db.orm.execute(sql`UPDATE outbox SET status = ${status} WHERE id = ${outboxIds[k]!.id}::uuid`);
    await set(0, 'delivered');
    await set(1, 'delivered');
    await set(2, 'sent');
    await set(3, 'failed');
    await set(4, 'suppressed');
    const dbCounts = async () => {
      const found = await rows<{ seq: number; status: string; n: number }>(
        t.deps.db.orm,
        sql`SELECT w.seq, o.status, count(*)::int AS n FROM outbox o JOIN waves w ON w.id = o.wave_id WHERE o.campaign_id = ${id}::uuid GROUP BY 1, 2`,
      );
      const get = (seq: number, ...statuses: string[]) => found.filter((r) => r.seq === seq && statuses.includes(r.status)).reduce((n, r) => n + r.n, 0);
      return [1, 2].map((seq) => ({
        pending: get(seq, 'pending', 'sending'),
        sent: get(seq, 'sent'),
        delivered: get(seq, 'delivered'),
        failed: get(seq, 'failed'),
        leftOut: get(seq, 'skipped', 'suppressed'),
        total: get(seq, 'pending', 'sending', 'sent', 'delivered', 'failed', 'skipped', 'suppressed'),
      }));
    };
    const frag = async () => {
      const res = await manager.get(`/app/campaigns/${id}/progress`, { 'x-fragment': '1' });
      expect(res.status).toBe(200);
      return res.text();
    };
    const check = async (html: string) => {
      const v = values(html);
      const expected = await dbCounts();
      for (const [k, e] of expected.entries()) {
        for (const [key, n] of Object.entries(e)) expect(num(v[`w${k + 1}-${key}`]), `wave ${k + 1} ${key}`).toBe(n);
      }
      const [aud] = await rows<{ recipients: number; holdout: number }>(t.deps.db.orm, sql`SELECT count(*)::int AS recipients, count(*) FILTER (WHERE holdout)::int AS holdout FROM campaign_recipients WHERE campaign_id = ${id}::uuid`);
      expect(num(v.recipients)).toBe(aud!.recipients);
      expect(num(v.holdout)).toBe(aud!.holdout);
      return expected;
    };
    const running = await frag();
    const counts = await check(running);
    expect(counts[0]).toMatchObject({ delivered: 2, sent: 1, failed: 1, leftOut: 1 });
    expect(counts[0]!.pending).toBeGreaterThan(0);
    expect(running).not.toContain('data-done');
    expect(running).toContain('data-status="running"');

    // The page polls the fragment; controls for writers only.
    const page = await marketer.html(`/app/campaigns/${id}`);
    expect(page).toContain(`data-poll="/app/campaigns/${id}/progress" data-every="2000"`);
    expect(page).toContain(`data-api="/v1/campaigns/${id}/pause"`);
    expect(page).toContain(`data-api="/v1/campaigns/${id}/cancel"`);
    expect(page).not.toContain(`data-api="/v1/campaigns/${id}/resume"`);
    expect(page).toContain(`href="/app/reports/${id}"`);
    expect(page).toMatch(/data-api="[^"]+\/pause" data-method="POST" data-confirm="[^"]+"/);
    const seen = await manager.html(`/app/campaigns/${id}`);
    expect(seen).toContain('id="progress-body"');
    expect(seen).not.toContain(`/v1/campaigns/${id}/pause`);
    expect(seen).not.toContain(`/v1/campaigns/${id}/cancel`);

    // Paused: resume offered instead of pause.
    expect((await marketer.send('POST', `/v1/campaigns/${id}/pause`)).status).toBe(200);
    const paused = await marketer.html(`/app/campaigns/${id}`);
    expect(paused).toContain(`data-api="/v1/campaigns/${id}/resume"`);
    expect(paused).not.toContain(`data-api="/v1/campaigns/${id}/pause"`);

    // Cancelled: what was pending is left out, and the fragment says it is done.
    expect((await marketer.send('POST', `/v1/campaigns/${id}/cancel`)).status).toBe(200);
    const cancelled = await frag();
    const after = await check(cancelled);
    expect(after[0]!.pending).toBe(0);
    expect(after[0]!.leftOut).toBe(1 + counts[0]!.pending);
    expect(cancelled).toContain('data-done');
    const done = await marketer.html(`/app/campaigns/${id}`);
    expect(done).not.toContain('id="controls"');
  });

  it.runIf(hasChromium && kind === 'pglite')('walks the wizard in Chromium for a two-wave campaign, launches it, pauses and resumes it', async () => {
    const server = await listen(t);
    const browser = await launchChromium();
    const dir = artifactsDir('web');
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      acceptDialogs(page);
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));
      await signInPage(page, server.base, marketer.email, STAFF_PASSWORD);
      // From here on, the campaign pages: no script errors, no CSP refusals, no failed requests.
      page.on('console', (m) => {
        if (m.type() === 'error') pageErrors.push(m.text());
      });
      page.on('response', (r) => {
        if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) pageErrors.push(`${r.status()} ${r.url()}`);
      });
      const id = await walkCampaignWizard(
        page,
        server.base,
        {
          name: '春季试驾 <两波>',
          segmentId: data.segmentId,
          holdoutPct: 10,
          waves: [
            { channel: 'mail', templateId: data.printTemplateId, fallback: ['sms'] },
            { channel: 'sms', templateId: data.smsTemplateId, scheduledAt: '2026-03-08T10:00', notResponded: true },
          ],
        },
        { dir, prefix: 'campaign-wizard' },
      );
      // What the wizard saved.
      const view = (await (await t.req('GET', `/v1/campaigns/${id}`)).json()) as { name: string; status: string; holdoutPct: number; waves: { channel: string; condition: string; fallback: string[]; scheduledAt: string; proofApprovedAt: string | null }[] };
      expect(view).toMatchObject({ name: '春季试驾 <两波>', status: 'running', holdoutPct: 10 });
      expect(view.waves.map((w) => [w.channel, w.condition, w.fallback, w.proofApprovedAt !== null])).toEqual([
        ['mail', 'everyone', ['sms'], true],
        ['sms', 'not_responded', [], false],
      ]);
      expect(view.waves[1]!.scheduledAt).toBe('2026-03-08T02:00:00.000Z');
      expect(await page.textContent('h1')).toBe('春季试驾 <两波>');

      // The live view: the print run renders in the background and the polled fragment follows it.
      await page.waitForSelector('[data-run-status="completed"]', { timeout: 90_000 });
      const wave2 = await rows<{ n: number }>(t.deps.db.orm, sql`SELECT count(*)::int AS n FROM outbox o JOIN waves w ON w.id = o.wave_id WHERE o.campaign_id = ${id}::uuid AND w.seq = 2 AND o.status = 'pending'`);
      expect(await page.getAttribute('[data-k="w2-pending"]', 'data-v')).toBe(String(wave2[0]!.n));
      expect(wave2[0]!.n).toBeGreaterThan(0);
      await page.screenshot({ path: `${dir}/campaign-live.png`, fullPage: true });

      // Pause, then resume.
      await Promise.all([page.waitForEvent('load'), page.click('#pause-campaign')]);
      await page.waitForSelector('#status-badge[data-status="paused"]');
      expect(await page.locator('#resume-campaign').count()).toBe(1);
      expect(await page.locator('#pause-campaign').count()).toBe(0);
      await page.screenshot({ path: `${dir}/campaign-live-paused.png`, fullPage: true });
      await Promise.all([page.waitForEvent('load'), page.click('#resume-campaign')]);
      await page.waitForSelector('#status-badge[data-status="running"]');
      expect(await page.locator('#pause-campaign').count()).toBe(1);
      const [row] = await rows<{ status: string }>(t.deps.db.orm, sql`SELECT status FROM campaigns WHERE id = ${id}::uuid`);
      expect(row!.status).toBe('running');
      const audit = (await (await t.req('GET', '/v1/audit')).json()) as { data: { action: string; subject: { id: string } | null }[] };
      expect(audit.data.filter((e) => e.subject?.id === id).map((e) => e.action).sort()).toEqual(['launch', 'pause', 'resume']);
      await page.screenshot({ path: `${dir}/campaign-live-resumed.png`, fullPage: true });
      expect(pageErrors).toEqual([]);

      // The waves editor's A/B test: variants added and removed, shares checked by the API, errors next to the form.
      const draft = ((await (await t.req('POST', '/v1/campaigns', { body: { name: 'A/B', purpose: 'test_drive', segmentId: data.segmentId } })).json()) as { id: string }).id;
      await page.goto(`${server.base}/app/campaigns/${draft}/edit?step=waves`);
      const wave = page.locator('#waves [data-wave]').first();
      await wave.locator('select[data-channel]').selectOption('sms');
      expect(await wave.locator('input[data-fallback][value=sms]').isDisabled()).toBe(true);
      await wave.locator('[data-ab]').check();
      expect(await wave.locator('[data-single] select').isDisabled()).toBe(true);
      await wave.locator('[data-add-variant]').click();
      expect(await wave.locator('[data-variant-label]').allTextContents()).toEqual(['A', 'B', 'C']);
      await wave.locator('[data-variant]').nth(1).locator('[data-remove-variant]').click();
      expect(await wave.locator('[data-variant-label]').allTextContents()).toEqual(['A', 'B']);
      const variants = wave.locator('[data-variant]');
      await variants.nth(0).locator('select').selectOption(data.smsTemplateId);
      await variants.nth(0).locator('input[type=number]').fill('60');
      await variants.nth(1).locator('select').selectOption(data.printTemplateId);
      await variants.nth(1).locator('input[type=number]').fill('30');
      await page.click('#add-wave');
      expect(await page.locator('#waves [data-wave]').count()).toBe(2);
      await page.locator('#waves [data-wave]').nth(1).locator('[data-remove-wave]').click();
      expect(await page.locator('#waves [data-wave]').count()).toBe(1);
      await page.click('#waves-form button[type=submit]');
      const error = page.locator('#waves-form [data-error]');
      await error.waitFor({ state: 'visible' });
      expect(await error.textContent()).toContain('variant percents must add up to 100');
      await page.screenshot({ path: `${dir}/campaign-wizard-ab-error.png`, fullPage: true });
      await variants.nth(1).locator('input[type=number]').fill('40');
      await Promise.all([page.waitForURL(/\/edit\?step=summary$/), page.click('#waves-form button[type=submit]')]);
      const saved = (await (await t.req('GET', `/v1/campaigns/${draft}`)).json()) as { waves: { channel: string; variants: { label: string; percent: number; templateVersionId: string }[] | null }[] };
      expect(saved.waves).toHaveLength(1);
      expect(saved.waves[0]!.channel).toBe('sms');
      expect(saved.waves[0]!.variants!.map((v) => [v.label, v.percent])).toEqual([['A', 60], ['B', 40]]);
      expect(new Set(saved.waves[0]!.variants!.map((v) => v.templateVersionId)).size).toBe(2);
      // The only failed request was the refused save.
      expect(pageErrors.length).toBeGreaterThan(0);
      for (const e of pageErrors) expect(e).toMatch(/\b400\b/);
    } catch (e) {
      await page.screenshot({ path: `${dir}/campaign-failed.png`, fullPage: true }).catch(() => undefined);
      throw e;
    } finally {
      await browser.close();
      await server.close();
    }
  }, 180_000);
});
