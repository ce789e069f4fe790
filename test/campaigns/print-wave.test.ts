// A campaign's print wave: launch needs an approved proof; launch makes a print
// run of the recipients outside the holdout group; the run becomes a print job
// that the printer sees only once released, downloads, marks printed and mailed
// (the mail date starts the response window).
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db';
import { contacts } from '../../src/db/schema';
import { issueApiToken } from '../../src/dealers';
import { uuidv7 } from '../../src/lib/ids';
import { createTestApp, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';

const OLD = new Date('2025-06-01T00:00:00Z');

describe.each(DB_KINDS)('print waves on %s', (kind) => {
  let t: TestApp;
  let printer: string;
  let templateId: string;
  let segmentId: string;

  beforeAll(async () => {
    t = await createTestApp(kind);
    printer = (await issueApiToken(t.deps.db.orm, t.clock, t.dealerId, 'printer', 'print shop')).token;
    for (let i = 0; i < 12; i++) {
      await t.deps.db.orm.insert(contacts).values({
        id: uuidv7(), dealerId: t.dealerId, kind: 'prior_owner', fullName: `客户${i}`, gender: 'male', country: 'CN', province: '福建省', city: '福州市',
        district: '鼓楼区', street: `五四路${i}号`, postcode: String(350001 + i), createdAt: OLD, updatedAt: OLD,
      } as typeof contacts.$inferInsert);
    }
    const tpl = await t.req('POST', '/v1/templates', { body: { name: '新春贺卡', builtin: 'spring-festival-card' } });
    templateId = ((await tpl.json()) as { id: string }).id;
    const seg = await t.req('POST', '/v1/segments', { body: { name: '全部', rule: { field: 'kind', op: 'eq', value: 'prior_owner' } } });
    segmentId = ((await seg.json()) as { id: string }).id;
  });
  afterAll(() => t.close());

  it('needs an approved proof, prints the recipients outside the holdout, and walks the print job to mailed', async () => {
    const res = await t.req('POST', '/v1/campaigns', { body: { name: '新春', purpose: 'greeting', segmentId, holdoutPct: 25, seed: 's', waves: [{ channel: 'mail', templateId }] } });
    expect(res.status, await res.clone().text()).toBe(201);
    const id = ((await res.json()) as { id: string }).id;
    const early = await t.req('POST', `/v1/campaigns/${id}/launch`);
    expect(early.status).toBe(409);
    expect(((await early.json()) as { error: { code: string } }).error.code).toBe('proof_not_approved');
    expect((await t.req('POST', `/v1/campaigns/${id}/waves/1/approve-proof`)).status).toBe(200);
    expect((await t.req('POST', `/v1/campaigns/${id}/launch`)).status).toBe(200);
    await t.deps.jobs.idle();

    const view = (await (await t.req('GET', `/v1/campaigns/${id}`)).json()) as { audience: { recipients: number; holdout: number }; waves: { printRunId: string | null; proofApprovedAt: string | null }[] };
    expect(view.audience.recipients).toBe(12);
    const runId = view.waves[0]!.printRunId!;
    const run = (await (await t.req('GET', `/v1/print-runs/${runId}`)).json()) as { status: string; progress: { rendered: number }; job: { status: string }; files: { name: string }[] };
    expect(run.status).toBe('completed');
    expect(run.progress.rendered).toBe(12 - view.audience.holdout);
    expect(run.job.status).toBe('pending_approval');
    // Holdout members have no piece.
    const printedHoldout = await rows<{ n: number }>(
      t.deps.db.orm,
      sql`SELECT count(*)::int AS n FROM pieces p JOIN campaign_recipients r ON r.contact_id = p.contact_id AND r.campaign_id = ${id}::uuid WHERE p.print_run_id = ${runId}::uuid AND r.holdout`,
    );
    expect(printedHoldout[0]!.n).toBe(0);

    // The printer does not see the job until it is released.
    expect((await t.req('GET', `/v1/print-runs/${runId}`, { token: printer })).status).toBe(404);
    expect(((await (await t.req('GET', '/v1/print-runs', { token: printer })).json()) as { data: unknown[] }).data).toHaveLength(0);
    expect((await t.req('POST', `/v1/print-runs/${runId}/release`, { token: printer })).status).toBe(403);
    expect((await t.req('POST', `/v1/print-runs/${runId}/release`)).status).toBe(200);
    expect(((await (await t.req('GET', '/v1/print-runs', { token: printer })).json()) as { data: unknown[] }).data).toHaveLength(1);
    // The portal's time-limited signed links: they work without credentials, for 15 minutes, unaltered.
    const links = (await (await t.req('GET', `/v1/print-runs/${runId}/links`, { token: printer })).json()) as { expiresAt: string; links: { name: string; url: string }[] };
    expect(links.links.map((l) => l.name)).toEqual([...run.files.map((f) => f.name), 'manifest.csv', 'excluded.csv', 'ticket.json']);
    const path = (u: string) => u.replace(/^https?:\/\/[^/]+/, '');
    const pdfLink = path(links.links[0]!.url);
    const file = await t.app.request(pdfLink);
    expect(file.status).toBe(200);
    expect(Buffer.from(await file.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');
    expect((await t.app.request(pdfLink.replace(/s=[^&]+/, 's=AAAAAAAAAAAAAAAAAAAAAA'))).status).toBe(403);
    expect((await t.app.request(pdfLink.replace(/\/dl\/([^/]+)\/[^?]+/, `/dl/$1/manifest.csv`))).status).toBe(403);
    const manifest = await t.app.request(path(links.links.find((l) => l.name === 'manifest.csv')!.url));
    expect(manifest.status).toBe(200);
    t.clock.advance(16 * 60_000);
    expect((await t.app.request(pdfLink)).status).toBe(403);
    t.clock.advance(-16 * 60_000);
    const downloads = (await (await t.req('GET', '/v1/audit')).json()) as { data: { action: string; data: { file: string } }[] };
    expect(downloads.data.filter((e) => e.action === 'download').map((e) => e.data.file).sort()).toEqual([run.files[0]!.name, `${runId.replace(/-/g, '').slice(-12)}-manifest.csv`].sort());
    const job = async () => ((await (await t.req('GET', `/v1/print-runs/${runId}`, { token: printer })).json()) as { job: { status: string; mailedOn: string | null } }).job;
    expect((await job()).status).toBe('downloaded');
    expect((await t.req('POST', `/v1/print-runs/${runId}/mailed`, { token: printer, body: {} })).status).toBe(409);
    expect((await t.req('POST', `/v1/print-runs/${runId}/printed`, { token: printer })).status).toBe(200);
    expect((await t.req('POST', `/v1/print-runs/${runId}/mailed`, { token: printer, body: { mailedOn: '2026-03-03' } })).status).toBe(200);
    expect(await job()).toMatchObject({ status: 'mailed', mailedOn: '2026-03-03' });
    // The printer still cannot reach lists, segments or campaigns.
    for (const path of ['/v1/contacts', '/v1/segments', `/v1/campaigns/${id}`]) expect((await t.req('GET', path, { token: printer })).status).toBe(403);
  });

  it('refuses a print wave whose template has no print layout', async () => {
    const tpl = await t.req('POST', '/v1/templates', { body: { name: 'sms only', body: { purpose: 'greeting', locale: 'zh-CN', sms: { text: '新春快乐' } } } });
    const smsOnly = ((await tpl.json()) as { id: string }).id;
    const res = await t.req('POST', '/v1/campaigns', { body: { name: 'x', purpose: 'greeting', segmentId, waves: [{ channel: 'mail', templateId: smsOnly }] } });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('template_lacks_channel');
  });
});
