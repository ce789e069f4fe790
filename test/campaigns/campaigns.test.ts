// The pre-launch summary (recipients per channel after consent, suppression
// and caps; SMS segments and cost; print pieces) and editing rules: a draft can
// change, a launched campaign cannot.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contacts } from '../../src/db/schema';
import { uuidv7 } from '../../src/lib/ids';
import { createTestApp, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';

const OLD = new Date('2025-06-01T00:00:00Z');

describe.each(DB_KINDS)('campaign preview and edits on %s', (kind) => {
  let t: TestApp;
  let templateId: string;
  let segmentId: string;
  let smsBody: Record<string, unknown>;

  beforeAll(async () => {
    t = await createTestApp(kind, { SMS_SEGMENT_COST: 0.05 });
    const add = (name: string, over: object) =>
      t.deps.db.orm.insert(contacts).values({ id: uuidv7(), dealerId: t.dealerId, kind: 'prior_owner', fullName: name, gender: 'male', country: 'CN', createdAt: OLD, updatedAt: OLD, ...over } as typeof contacts.$inferInsert);
    await add('甲', { phone: '+8613800000001', email: 'a@example.cn', street: '五四路1号', postcode: '350001' });
    await add('乙', { phone: '+8613800000002', email: 'b@example.cn', street: '五四路2号', postcode: '350002' });
    await add('丙', { phone: '+8613800000003', smsConsent: 'revoked', street: null, postcode: null });
    await add('丁', { phone: '+8613800000004', email: 'd@example.cn', street: '五四路4号', postcode: '350004' });
    const sup = await t.req('POST', '/v1/suppressions', { body: { channel: 'sms', reason: 'unsubscribed', phone: '+8613800000004' } });
    expect(sup.status, await sup.clone().text()).toBe(201);
    const body = {
      purpose: 'test_drive',
      locale: 'zh-CN',
      // About 90 UTF-16 units once signed: two UCS-2 segments per message.
      sms: { text: '{{salutation}}，本周六周日展厅举办新车试驾日，到店即可参加抽奖并领取精美礼品一份，欢迎携家人朋友一同前来体验：{{trackingUrl}}' },
      email: { subject: '试驾邀请', html: '<p>{{salutation}}</p>', text: '{{salutation}}' },
    };
    smsBody = body;
    const tpl = await t.req('POST', '/v1/templates', { body: { name: '试驾', body } });
    expect(tpl.status, await tpl.clone().text()).toBe(201);
    templateId = ((await tpl.json()) as { id: string }).id;
    const print = await t.req('POST', '/v1/templates', { body: { name: '卡', builtin: 'test-drive-invitation-zh' } });
    const printId = ((await print.json()) as { id: string }).id;
    const seg = await t.req('POST', '/v1/segments', { body: { name: '全部', rule: { field: 'kind', op: 'eq', value: 'prior_owner' } } });
    segmentId = ((await seg.json()) as { id: string }).id;
    (globalThis as { printTemplate?: string }).printTemplate = printId;
  });
  afterAll(() => t.close());

  it('previews recipients per channel after consent and suppression, SMS segments and cost, and print pieces', async () => {
    const printTemplate = (globalThis as { printTemplate?: string }).printTemplate!;
    const res = await t.req('POST', '/v1/campaigns', {
      body: { name: '试驾', purpose: 'test_drive', segmentId, waves: [{ channel: 'sms', templateId }, { channel: 'email', templateId }, { channel: 'mail', templateId: printTemplate }] },
    });
    const id = ((await res.json()) as { id: string }).id;
    const p = (await (await t.req('GET', `/v1/campaigns/${id}/preview`)).json()) as {
      recipients: number;
      holdout: number;
      waves: { channel: string; reachable?: number; segments?: number; segmentsPerMessage?: number; estimatedCost?: number; pieces?: number; proofApproved?: boolean }[];
    };
    expect(p.recipients).toBe(4);
    expect(p.holdout).toBe(0);
    const [sms, email, mail] = p.waves;
    // 丙 revoked SMS consent, 丁's phone is suppressed.
    expect(sms).toMatchObject({ channel: 'sms', reachable: 2, segmentsPerMessage: 2, segments: 4, estimatedCost: 0.2 });
    expect(email).toMatchObject({ channel: 'email', reachable: 3 });
    expect(mail).toMatchObject({ channel: 'mail', pieces: 3, proofApproved: false });
  });

  it('costs an A/B wave from the text of each variant, weighted by its share', async () => {
    const short = await t.req('POST', '/v1/templates', { body: { name: '短信短', body: { ...smsBody, sms: { text: '试驾日见：{{trackingUrl}}' } } } });
    expect(short.status, await short.clone().text()).toBe(201);
    const shortId = ((await short.json()) as { id: string }).id;
    const res = await t.req('POST', '/v1/campaigns', {
      body: { name: 'AB', purpose: 'test_drive', segmentId, waves: [{ channel: 'sms', variants: [{ templateId, percent: 50 }, { templateId: shortId, percent: 50 }] }] },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const p = (await (await t.req('GET', `/v1/campaigns/${((await res.json()) as { id: string }).id}/preview`)).json()) as { waves: { segmentsPerMessage: number; segments: number }[] };
    // Variant A takes two segments a message, B one: 1.5 on average, 3 for the two people reached.
    expect(p.waves[0]).toMatchObject({ segmentsPerMessage: 1.5, segments: 3 });
  });

  it('edits a draft, and refuses to edit a launched campaign', async () => {
    const create = await t.req('POST', '/v1/campaigns', { body: { name: '草稿', purpose: 'test_drive', segmentId, waves: [{ channel: 'sms', templateId }] } });
    const id = ((await create.json()) as { id: string }).id;
    const edit = await t.req('PUT', `/v1/campaigns/${id}`, { body: { name: '草稿二', purpose: 'test_drive', segmentId, holdoutPct: 10, waves: [{ channel: 'email', templateId }] } });
    expect(edit.status, await edit.clone().text()).toBe(200);
    const view = (await (await t.req('GET', `/v1/campaigns/${id}`)).json()) as { name: string; holdoutPct: number; waves: { channel: string }[] };
    expect(view).toMatchObject({ name: '草稿二', holdoutPct: 10 });
    expect(view.waves.map((w) => w.channel)).toEqual(['email']);
    expect((await t.req('POST', `/v1/campaigns/${id}/launch`)).status).toBe(200);
    const late = await t.req('PUT', `/v1/campaigns/${id}`, { body: { name: '改', purpose: 'test_drive', segmentId, waves: [{ channel: 'sms', templateId }] } });
    expect(late.status).toBe(409);
    expect(((await late.json()) as { error: { code: string } }).error.code).toBe('campaign_not_draft');
    await t.deps.db.orm.execute(sql`UPDATE campaigns SET status = 'completed' WHERE id = ${id}::uuid`);
  });
});
