// Tenancy and roles, end to end: another dealer's users — every role, by
// session and by API token — cannot read or change this dealer's contacts,
// segments, templates, campaigns, print files or reports by guessing ids,
// through the API or the pages; and each role of this dealer is refused what
// it may not do. Nothing of this dealer's data appears in what they get back.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db';
import type { Role } from '../../src/http/context';
import { createTestApp, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';
import { staffUser, type StaffClient } from '../helpers/staff';
import { mailedCampaign, type MailedCampaign } from '../landing/fixtures';

const NAME = '独有名字甲';

describe.each(DB_KINDS)('tenancy and roles on %s', (kind) => {
  let t: TestApp;
  let mc: MailedCampaign;
  let ids: { contact: string; segment: string; template: string; campaign: string; run: string; file: string; importId: string };
  const mine: Partial<Record<Role, StaffClient>> = {};
  const theirs: Partial<Record<Role, StaffClient>> = {};
  let theirToken: string;

  beforeAll(async () => {
    t = await createTestApp(kind);
    mc = await mailedCampaign(t, [{ fullName: NAME, phone: '+8613912340001', email: 'jia@example.cn' }]);
    const camp = (await (await t.req('GET', `/v1/campaigns/${mc.campaignId}`)).json()) as { segmentId: string; waves: { templateId?: string }[] };
    const run = (await (await t.req('GET', `/v1/print-runs/${mc.runId}`)).json()) as { files: { name: string }[]; templateId?: string };
    const [tpl] = await rows<{ id: string }>(t.deps.db.orm, sql`SELECT id FROM templates WHERE dealer_id = ${t.dealerId}::uuid LIMIT 1`);
    const up = await t.req('POST', '/v1/imports', { body: '姓名,手机\n独有名字乙,13912340002\n', headers: { 'content-type': 'text/csv' } });
    expect(up.status, await up.clone().text()).toBe(202);
    await t.deps.jobs.idle();
    ids = {
      contact: mc.pieces[0]!.contactId,
      segment: camp.segmentId,
      template: tpl!.id,
      campaign: mc.campaignId,
      run: mc.runId,
      file: run.files[0]!.name,
      importId: ((await up.json()) as { id: string }).id,
    };
    for (const role of ['admin', 'marketer', 'manager', 'printer'] as Role[]) mine[role] = await staffUser(t, role);
    const other = await t.addDealer('另一家店');
    theirToken = other.token;
    for (const role of ['admin', 'marketer', 'manager', 'printer'] as Role[]) theirs[role] = await staffUser(t, role, { adminToken: other.token });
  });
  afterAll(() => t.close());

  /** Every way to reach this dealer's things by id: [method, path, body?]. */
  const probes = (): [string, string, unknown?][] => [
    ['GET', `/v1/contacts/${ids.contact}`],
    ['DELETE', `/v1/contacts/${ids.contact}`],
    ['PUT', `/v1/contacts/${ids.contact}/consents/sms`, { status: 'revoked', source: 'probe' }],
    ['GET', `/v1/segments/${ids.segment}`],
    ['GET', `/v1/segments/${ids.segment}/preview`],
    ['PUT', `/v1/segments/${ids.segment}`, { name: 'taken', rule: { field: 'kind', op: 'eq', value: 'prior_owner' } }],
    ['DELETE', `/v1/segments/${ids.segment}`],
    ['GET', `/v1/templates/${ids.template}`],
    ['GET', `/v1/templates/${ids.template}/versions/1/proof.pdf?contactId=${ids.contact}`],
    ['GET', `/v1/templates/${ids.template}/versions/1/proof.pdf?segmentId=${ids.segment}`],
    ['GET', `/v1/campaigns/${ids.campaign}`],
    ['GET', `/v1/campaigns/${ids.campaign}/preview`],
    ['POST', `/v1/campaigns/${ids.campaign}/cancel`],
    ['POST', `/v1/campaigns/${ids.campaign}/pause`],
    ['GET', `/v1/print-runs/${ids.run}`],
    ['GET', `/v1/print-runs/${ids.run}/files/${ids.file}`],
    ['GET', `/v1/print-runs/${ids.run}/manifest.csv`],
    ['GET', `/v1/print-runs/${ids.run}/links`],
    ['POST', `/v1/print-runs/${ids.run}/mailed`, { mailedOn: '2026-03-02' }],
    ['GET', `/v1/reports/campaigns/${ids.campaign}`],
    ['GET', `/v1/reports/campaigns/${ids.campaign}?format=csv`],
    ['GET', `/v1/imports/${ids.importId}`],
    ['GET', `/v1/imports/${ids.importId}/errors.csv`],
    ['GET', `/v1/responses?campaignId=${ids.campaign}`],
    ['GET', `/v1/bookings?campaignId=${ids.campaign}`],
  ];
  const pages = () => [
    `/app/contacts/${ids.contact}`,
    `/app/segments/${ids.segment}`,
    `/app/templates/${ids.template}`,
    `/app/campaigns/${ids.campaign}`,
    `/app/reports/${ids.campaign}`,
    `/app/lists/${ids.importId}`,
  ];

  it("refuses another dealer's users and tokens everything of this dealer, by API and by page", async () => {
    const callers: [string, (m: string, p: string, b?: unknown) => Promise<Response>][] = [
      ['their API token', (m, p, b) => t.req(m, p, { token: theirToken, ...(b === undefined ? {} : { body: b as object }) })],
      ...(Object.entries(theirs) as [Role, StaffClient][]).map(([role, s]) => [`their ${role}`, (m: string, p: string, b?: unknown) => (m === 'GET' ? s.get(p) : s.send(m, p, b))] as [string, (m: string, p: string, b?: unknown) => Promise<Response>]),
    ];
    for (const [who, call] of callers) {
      for (const [method, path, body] of probes()) {
        const res = await call(method, path, body);
        const text = await res.text();
        // A list filtered by another dealer's id is simply empty.
        if (res.status === 200 && path.includes('?campaignId=')) expect(JSON.parse(text).data, `${who}: ${path}`).toEqual([]);
        else expect([403, 404], `${who}: ${method} ${path} → ${res.status} ${text.slice(0, 200)}`).toContain(res.status);
        expect(text, `${who}: ${method} ${path}`).not.toContain(NAME);
      }
    }
    for (const [role, s] of Object.entries(theirs) as [Role, StaffClient][]) {
      for (const path of pages()) {
        const res = await s.get(path);
        const text = await res.text();
        expect([403, 404], `their ${role}: ${path} → ${res.status}`).toContain(res.status);
        expect(text).not.toContain(NAME);
      }
      // Their lists show none of this dealer's people.
      if (role !== 'printer') expect(await s.html('/app/contacts')).not.toContain(NAME);
    }
    // Nothing changed here.
    const still = await t.req('GET', `/v1/campaigns/${ids.campaign}`);
    expect(((await still.json()) as { status: string }).status).not.toBe('cancelled');
    expect((await t.req('GET', `/v1/contacts/${ids.contact}`)).status).toBe(200);
    expect((await t.req('GET', `/v1/segments/${ids.segment}`)).status).toBe(200);
    const [run] = await rows<{ job_status: string; mailed_on: string | null }>(t.deps.db.orm, sql`SELECT job_status, mailed_on::text FROM print_runs WHERE id = ${ids.run}::uuid`);
    expect(run!.mailed_on).toBe('2026-03-01');
  });

  it("shows this dealer's own pages to the roles that may see them", async () => {
    for (const role of ['admin', 'marketer', 'manager'] as Role[]) {
      for (const path of pages()) {
        const res = await mine[role]!.get(path);
        expect(res.status, `${role}: ${path}`).toBe(200);
      }
    }
    expect(await mine.manager!.html(`/app/contacts/${ids.contact}`)).toContain(NAME);
  });

  it('refuses each role of this dealer what it may not do', async () => {
    const { marketer, manager, printer } = mine as Record<Role, StaffClient>;
    const refusals: [StaffClient, string, string, unknown?][] = [
      // Printers: only print jobs.
      [printer, 'GET', `/v1/contacts/${ids.contact}`],
      [printer, 'GET', `/v1/campaigns/${ids.campaign}`],
      [printer, 'GET', `/v1/reports/campaigns/${ids.campaign}`],
      [printer, 'GET', `/v1/segments`],
      [printer, 'GET', `/v1/templates/${ids.template}`],
      [printer, 'GET', '/v1/users'],
      // Managers read; they do not change.
      [manager, 'POST', '/v1/segments', { name: 'x', rule: { field: 'kind', op: 'eq', value: 'prior_owner' } }],
      [manager, 'POST', `/v1/campaigns/${ids.campaign}/pause`],
      [manager, 'POST', `/v1/campaigns/${ids.campaign}/cancel`],
      [manager, 'DELETE', `/v1/contacts/${ids.contact}`],
      [manager, 'POST', '/v1/users', { email: 'x@dealer.test', name: 'x', role: 'admin', password: 'long enough password' }],
      [manager, 'POST', `/v1/print-runs/${ids.run}/mailed`, { mailedOn: '2026-03-02' }],
      [manager, 'POST', '/v1/sales', 'vin,date\nLSVAA4180E2000001,2026-03-05\n'],
      [manager, 'POST', '/v1/returns', { code: 'AAAA-BBBB-CCCC-DDDD' }],
      [manager, 'POST', '/v1/surveys/entries', { code: 'AAAA-BBBB-CCCC-DDDD', answers: {} }],
      // Marketers: no users, no audit log, no exports, no erasure.
      [marketer, 'GET', '/v1/users'],
      [marketer, 'GET', '/v1/audit'],
      [marketer, 'GET', `/v1/reports/campaigns/${ids.campaign}?format=csv`],
      [marketer, 'DELETE', `/v1/contacts/${ids.contact}`],
    ];
    for (const [who, method, path, body] of refusals) {
      const res = method === 'GET' ? await who.get(path) : await who.send(method, path, body);
      expect(res.status, `${who.email}: ${method} ${path}`).toBe(403);
    }
    const pageRefusals: [StaffClient, string][] = [
      [printer, '/app/contacts'],
      [printer, `/app/contacts/${ids.contact}`],
      [printer, `/app/campaigns/${ids.campaign}`],
      [printer, `/app/reports/${ids.campaign}`],
      [printer, '/app/segments'],
      [printer, '/app/lists'],
      [manager, '/app/users'],
      [marketer, '/app/users'],
      [marketer, '/app/audit'],
    ];
    for (const [who, path] of pageRefusals) {
      const res = await who.get(path);
      expect(res.status, `${who.email}: ${path}`).toBe(403);
      expect(await res.text()).toContain('id="refused"');
    }
  });
});
