// Erasure on request: the contact's personal data leaves the contact, their
// cars, the outbox, their responses, their bookings and the manifest of a print
// job not yet printed; campaign counts stay the same; only admins may erase;
// erasing again changes nothing; the audit log records it.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smtpEmail } from '../../src/channels/email';
import { twilioSms } from '../../src/channels/sms';
import { rows } from '../../src/db';
import { contacts, vehicles } from '../../src/db/schema';
import { issueApiToken } from '../../src/dealers';
import { sha256Hex, uuidv7 } from '../../src/lib/ids';
import { readBytes } from '../../src/lib/storage';
import { Dispatcher } from '../../src/outbox/dispatcher';
import { createTestApp, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';
import { startTwilioServer, type TwilioServer } from '../helpers/providers';

const OLD = new Date('2025-06-01T00:00:00Z');

describe.each(DB_KINDS)('erasure on %s', (kind) => {
  let t: TestApp;
  let tw: TwilioServer;
  const erased = '01a20000-0000-7000-8000-0000000000e1';
  const kept = '01a20000-0000-7000-8000-0000000000e2';
  let campaignId: string;
  let runId: string;

  beforeAll(async () => {
    t = await createTestApp(kind);
    tw = await startTwilioServer();
    for (const [id, name, phone, street] of [[erased, '要被删除的人', '+8613500000001', '秘密路1号'], [kept, '留下的人', '+8613500000002', '公开路2号']] as const) {
      await t.deps.db.orm.insert(contacts).values({
        id, dealerId: t.dealerId, kind: 'prior_owner', fullName: name, gender: 'male', phone, email: `${id.slice(-2)}@example.cn`, birthday: '1980-05-05',
        country: 'CN', province: '福建省', city: '福州市', district: '鼓楼区', street, postcode: '350001', householdKey: `hh-${id}`, createdAt: OLD, updatedAt: OLD,
      } as typeof contacts.$inferInsert);
    }
    await t.deps.db.orm.insert(vehicles).values({ id: uuidv7(), dealerId: t.dealerId, contactId: erased, vehicleKey: 'LSVAU2180N2000002', vin: 'LSVAU2180N2000002', make: '大众', model: '迈腾', createdAt: OLD, updatedAt: OLD } as typeof vehicles.$inferInsert);
    const print = await t.req('POST', '/v1/templates', { body: { name: '卡', builtin: 'test-drive-invitation-zh' } });
    const printId = ((await print.json()) as { id: string }).id;
    const v1 = (await (await t.req('GET', `/v1/templates/${printId}/versions/latest`)).json()) as { body: object };
    await t.req('PUT', `/v1/templates/${printId}`, { body: { body: { ...v1.body, sms: { text: '{{salutation}}，诚邀试驾：{{trackingUrl}}' } } } });
    const seg = await t.req('POST', '/v1/segments', { body: { name: '全部', rule: { field: 'kind', op: 'eq', value: 'prior_owner' } } });
    const res = await t.req('POST', '/v1/campaigns', {
      body: { name: '试驾', purpose: 'test_drive', segmentId: ((await seg.json()) as { id: string }).id, waves: [{ channel: 'mail', templateId: printId }, { channel: 'sms', templateId: printId }] },
    });
    campaignId = ((await res.json()) as { id: string }).id;
    await t.req('POST', `/v1/campaigns/${campaignId}/waves/1/approve-proof`);
    expect((await t.req('POST', `/v1/campaigns/${campaignId}/launch`)).status).toBe(200);
    await t.deps.jobs.idle();
    await new Dispatcher(t.deps, { sms: twilioSms({ accountSid: 'AC00000000000000000000000000000001', authToken: 'x'.repeat(32), from: '+15005550006', apiBase: tw.base }), email: smtpEmail('smtp://127.0.0.1:1') }).drain();
    await t.deps.db.orm.execute(sql`INSERT INTO responses (id, dealer_id, kind, campaign_id, channel, contact_id, occurred_at, data, created_at)
      VALUES (${uuidv7()}::uuid, ${t.dealerId}::uuid, 'sms_reply', ${campaignId}::uuid, 'sms', ${erased}::uuid, now(), '{"text": "我叫要被删除的人，电话13500000001"}'::jsonb, now())`);
    const view = (await (await t.req('GET', `/v1/campaigns/${campaignId}`)).json()) as { waves: { printRuns: { id: string }[] }[] };
    runId = view.waves[0]!.printRuns[0]!.id;
  });
  afterAll(async () => {
    await tw.close();
    await t.close();
  });

  const manifest = async () => new TextDecoder().decode(await readBytes(t.deps.storage, `print-runs/${t.dealerId}/${runId}/manifest.csv`));
  const progress = async () => JSON.stringify(((await (await t.req('GET', `/v1/campaigns/${campaignId}`)).json()) as { audience: unknown; waves: { deliveries: unknown }[] }).waves.map((w) => w.deliveries));

  it('is for admins only', async () => {
    const marketer = await issueApiToken(t.deps.db.orm, t.clock, t.dealerId, 'marketer', 'm');
    expect((await t.req('DELETE', `/v1/contacts/${erased}`, { token: marketer.token })).status).toBe(403);
    const other = await t.addDealer('别家');
    expect((await t.req('DELETE', `/v1/contacts/${erased}`, { token: other.token })).status).toBe(404);
  });

  it('removes the name, address, phone and email everywhere, and keeps every count', async () => {
    expect(await manifest()).toContain('要被删除的人');
    const before = await progress();
    const res = await t.req('DELETE', `/v1/contacts/${erased}`);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ alreadyErased: false, vehicles: 1, deliveries: 1, responses: 1, pieces: 1, manifestsRewritten: 1 });

    const c = (await (await t.req('GET', `/v1/contacts/${erased}`)).json()) as Record<string, unknown>;
    expect(c).toMatchObject({ fullName: null, phone: null, email: null, birthday: null, address: null });
    expect(c.erasedAt).toBeTruthy();
    // Nothing of them left in any table.
    for (const needle of ['要被删除的人', '13500000001', '秘密路', 'e1@example.cn', 'LSVAU2180N2000002']) {
      const hits = await rows(t.deps.db.orm, sql`
        SELECT 1 FROM contacts WHERE concat_ws('|', full_name, phone_e164, email, street, attributes::text) LIKE ${`%${needle}%`}
        UNION ALL SELECT 1 FROM vehicles WHERE concat_ws('|', vin, vehicle_key) LIKE ${`%${needle}%`}
        UNION ALL SELECT 1 FROM outbox WHERE coalesce(address, '') LIKE ${`%${needle}%`}
        UNION ALL SELECT 1 FROM responses WHERE data::text LIKE ${`%${needle}%`}`);
      expect(hits, needle).toHaveLength(0);
    }
    // The manifest of the job not yet printed is rewritten; the ticket carries its new checksum.
    const m = await manifest();
    expect(m).not.toContain('要被删除的人');
    expect(m).toContain('留下的人');
    const ticket = JSON.parse(new TextDecoder().decode(await readBytes(t.deps.storage, `print-runs/${t.dealerId}/${runId}/ticket.json`))) as { manifest: { sha256: string } };
    expect(ticket.manifest.sha256).toBe(await sha256Hex(await readBytes(t.deps.storage, `print-runs/${t.dealerId}/${runId}/manifest.csv`)));
    // The counts reports read are what they were.
    expect(await progress()).toBe(before);
    const [n] = await rows<{ recipients: number; responses: number }>(t.deps.db.orm, sql`
      SELECT (SELECT count(*)::int FROM campaign_recipients WHERE campaign_id = ${campaignId}::uuid) AS recipients,
             (SELECT count(*)::int FROM responses WHERE campaign_id = ${campaignId}::uuid) AS responses`);
    expect(n).toEqual({ recipients: 2, responses: 1 });
  });

  it('erasing again changes nothing, and the audit log has one erasure', async () => {
    expect(await (await t.req('DELETE', `/v1/contacts/${erased}`)).json()).toMatchObject({ alreadyErased: true });
    const log = (await (await t.req('GET', '/v1/audit')).json()) as { data: { action: string; subject: { id: string } | null }[] };
    expect(log.data.filter((e) => e.action === 'erasure').map((e) => e.subject!.id)).toEqual([erased]);
  });
});
