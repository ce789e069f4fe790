// What comes back by post or from the DMS: survey cards typed in by response
// code (a second entry of the same card is shown, not doubled), returned
// pieces (the address is suppressed for print), and sales matched back to the
// campaigns their buyers were in (holdout members as control responses).
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db';
import { contacts, vehicles } from '../../src/db/schema';
import { responseCode, uuidv7 } from '../../src/lib/ids';
import { createTestApp, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';
import { browser, field } from '../landing/fixtures';

const OLD = new Date('2025-06-01T00:00:00Z');
const VIN = 'LSVAU2180N2000001';

describe.each(DB_KINDS)('mailed-back cards, returned pieces and sales on %s', (kind) => {
  let t: TestApp;
  let campaignId: string;
  const ids: Record<string, string> = {};
  let pieces: { id: string; token: string; contact_id: string }[];
  const piece = (who: string) => pieces.find((p) => p.contact_id === ids[who])!;

  beforeAll(async () => {
    t = await createTestApp(kind);
    const people: [string, object][] = [
      ['张一', { phone: '+8613700000001', street: '五四路1号', postcode: '350001', householdKey: 'hh-1' }],
      ['张二', { phone: '+8613700000002', street: '五四路2号', postcode: '350002', householdKey: 'hh-2' }],
      ['张三', { phone: '+8613700000003', street: '五四路3号', postcode: '350003', householdKey: 'hh-3' }],
      ['<b>张四</b>', { phone: '+8613700000004', street: '五四路4号', postcode: '350004', householdKey: 'hh-4' }],
    ];
    // Fixed ids: the holdout draw (seed + contact id) is then the same every run.
    for (const [i, [name, over]] of people.entries()) {
      ids[name] = `01a20000-0000-7000-8000-00000000000${i + 1}`;
      await t.deps.db.orm.insert(contacts).values({
        id: ids[name], dealerId: t.dealerId, kind: 'prior_owner', fullName: name, gender: 'male', country: 'CN', province: '福建省', city: '福州市', district: '鼓楼区',
        createdAt: OLD, updatedAt: OLD, ...over,
      } as typeof contacts.$inferInsert);
    }
    await t.deps.db.orm.insert(vehicles).values({ id: uuidv7(), dealerId: t.dealerId, contactId: ids['张二']!, vehicleKey: VIN, vin: VIN, make: '大众', model: '帕萨特', createdAt: OLD, updatedAt: OLD } as typeof vehicles.$inferInsert);
    const tpl = await t.req('POST', '/v1/templates', { body: { name: '满意度回函', builtin: 'survey-reply-cn' } });
    expect(tpl.status, await tpl.clone().text()).toBe(201);
    const templateId = ((await tpl.json()) as { id: string }).id;
    const seg = await t.req('POST', '/v1/segments', { body: { name: '全部', rule: { field: 'kind', op: 'eq', value: 'prior_owner' } } });
    const segmentId = ((await seg.json()) as { id: string }).id;
    // Seed chosen so that exactly one of the four is in the 25% holdout group.
    const res = await t.req('POST', '/v1/campaigns', { body: { name: '回访', purpose: 'survey', segmentId, holdoutPct: 25, seed: 'reply-13', waves: [{ channel: 'mail', templateId }] } });
    campaignId = ((await res.json()) as { id: string }).id;
    expect((await t.req('POST', `/v1/campaigns/${campaignId}/waves/1/approve-proof`)).status).toBe(200);
    expect((await t.req('POST', `/v1/campaigns/${campaignId}/launch`)).status).toBe(200);
    await t.deps.jobs.idle();
    pieces = await rows(t.deps.db.orm, sql`SELECT p.id, p.token, p.contact_id FROM pieces p JOIN print_runs r ON r.id = p.print_run_id WHERE r.campaign_id = ${campaignId}::uuid AND p.status = 'rendered'`);
    const holdout = await rows<{ contact_id: string }>(t.deps.db.orm, sql`SELECT contact_id FROM campaign_recipients WHERE campaign_id = ${campaignId}::uuid AND holdout`);
    expect(holdout.map((h) => h.contact_id)).toEqual([ids['张三']]);
    expect(pieces).toHaveLength(3);
  });
  afterAll(() => t.close());

  it('enters a mailed-back card by its printed code, per question, and shows a second entry instead of doubling it', async () => {
    const p = piece('张一');
    // Staff type the code as printed, in lower case with spaces.
    const typed = responseCode(p.token).toLowerCase().replace(/-/g, ' ');
    const look = (await (await t.req('GET', `/v1/surveys/entries?code=${encodeURIComponent(typed)}`)).json()) as { survey: { questions: { id: string }[] }; entry: unknown };
    expect(look.survey.questions.map((q) => q.id)).toEqual(['satisfaction', 'recommend', 'interests', 'comments']);
    expect(look.entry).toBeNull();

    const bad = await t.req('POST', '/v1/surveys/entries', { body: { code: typed, answers: { satisfaction: '很好', recommend: 9, nope: 1 } } });
    expect(bad.status).toBe(422);
    const problems = ((await bad.json()) as { error: { details: { path: string }[] } }).error.details.map((d) => d.path);
    expect(problems).toEqual(['answers.satisfaction', 'answers.recommend', 'answers.nope']);

    const answers = { satisfaction: '满意', recommend: 4, interests: [1, '保险续保'], comments: '  <script>alert(1)</script> 希望周末延长营业  ' };
    const first = await t.req('POST', '/v1/surveys/entries', { body: { code: typed, answers } });
    expect(first.status, await first.clone().text()).toBe(201);
    expect(((await first.json()) as { answers: object }).answers).toEqual({
      satisfaction: '满意', recommend: 4, interests: ['新车试驾', '保险续保'], comments: '<script>alert(1)</script> 希望周末延长营业',
    });
    const again = await t.req('POST', '/v1/surveys/entries', { body: { pieceId: p.id, answers: { satisfaction: '一般' } } });
    expect(again.status).toBe(409);
    const shown = (await again.json()) as { error: { code: string; details: { existing: { answers: { satisfaction: string }; source: string } } } };
    expect(shown.error.code).toBe('survey_already_entered');
    expect(shown.error.details.existing).toMatchObject({ source: 'mail', answers: { satisfaction: '满意' } });
    const fix = await t.req('POST', '/v1/surveys/entries', { body: { pieceId: p.id, answers: { satisfaction: '一般', recommend: 3 }, correction: true } });
    expect(fix.status).toBe(200);
    expect(((await fix.json()) as { corrected: boolean }).corrected).toBe(true);

    // Two people entering another card at the same moment: one entry, one refusal.
    const q = piece('张二');
    const both = await Promise.all([0, 1].map(() => t.req('POST', '/v1/surveys/entries', { body: { pieceId: q.id, answers: { recommend: 5 } } })));
    expect(both.map((r) => r.status).sort()).toEqual([201, 409]);

    const survey = await rows<{ piece_id: string; campaign_id: string; channel: string; contact_id: string; answers: Record<string, unknown> }>(
      t.deps.db.orm,
      sql`SELECT piece_id, campaign_id, channel, contact_id, data->'answers' AS answers FROM responses WHERE kind = 'survey' AND dealer_id = ${t.dealerId}::uuid ORDER BY occurred_at, id`,
    );
    expect(survey).toHaveLength(2);
    expect(survey.find((x) => x.piece_id === p.id)).toMatchObject({ piece_id: p.id, campaign_id: campaignId, channel: 'mail', contact_id: ids['张一'], answers: { satisfaction: '一般', recommend: 3 } });
    // A code that names nothing, and another dealer's code, are not found.
    expect((await t.req('POST', '/v1/surveys/entries', { body: { code: 'ABCD-EFGH-JKMN-PQRS', answers: { recommend: 5 } } })).status).toBe(404);
  });

  it('takes the same survey online from the card\'s QR page, and then refuses the mailed card as a second entry', async () => {
    const p = piece('<b>张四</b>');
    const b = browser(t);
    // The card's landing page links to its survey.
    expect(await (await b.get(`/l/${p.token}`)).text()).toContain(`href="/l/${p.token}/survey?lang=zh-CN"`);
    const page = await b.get(`/l/${p.token}/survey`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('您对我们的销售与售后服务是否满意？');
    expect(html).not.toContain('<b>张四</b>');
    const csrf = field(html, 'csrf');
    const forged = await b.post(`/l/${p.token}/survey`, { csrf: 'x', q_satisfaction: '满意' });
    expect(forged.status).toBe(403);
    const bad = await b.post(`/l/${p.token}/survey`, { csrf, q_satisfaction: '很好' });
    expect(bad.status).toBe(422);
    const ok = await b.post(`/l/${p.token}/survey`, { csrf, q_satisfaction: '非常满意', q_interests: ['新车试驾', '二手车置换'], q_recommend: '5', q_comments: '<img src=x onerror=alert(1)>' });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('我们已收到您的回答');
    expect(await (await b.get(`/l/${p.token}/survey`)).text()).toContain('已经提交过了');
    const mailed = await t.req('POST', '/v1/surveys/entries', { body: { code: responseCode(p.token), answers: { satisfaction: '一般' } } });
    expect(mailed.status).toBe(409);
    expect(((await mailed.json()) as { error: { details: { existing: { source: string; answers: object } } } }).error.details.existing).toMatchObject({
      source: 'online',
      answers: { satisfaction: '非常满意', interests: ['新车试驾', '二手车置换'], recommend: 5, comments: '<img src=x onerror=alert(1)>' },
    });
    // A token that names no card with a survey: the friendly not-found page.
    expect((await b.get('/l/ABCDEFGHJKMNPQRS/survey')).status).toBe(404);
  });

  it('marks returned pieces by code or CSV, suppresses the address for print, and reports bad rows', async () => {
    const one = await t.req('POST', '/v1/returns', { body: { code: responseCode(piece('张一').token), reason: '查无此人' } });
    expect(one.status, await one.clone().text()).toBe(200);
    expect(await one.json()).toMatchObject({ ok: true, alreadyMarked: false, suppressed: 'household' });
    const csv = ['code,reason', `${responseCode(piece('张一').token)},again`, `${piece('<b>张四</b>').token},地址不详`, 'NOT-A-CODE,', ',', '0000-0000-0000-0000,'].join('\n');
    const bulk = await t.req('POST', '/v1/returns', { body: csv, headers: { 'content-type': 'text/csv' } });
    expect(bulk.status, await bulk.clone().text()).toBe(200);
    expect(await bulk.json()).toEqual({
      marked: 1,
      alreadyMarked: 1,
      errors: [
        { row: 4, field: 'code', value: 'NOT-A-CODE', reason: 'no printed piece has this response code' },
        { row: 6, field: 'code', value: '0000-0000-0000-0000', reason: 'no printed piece has this response code' },
      ],
    });
    const noColumn = await t.req('POST', '/v1/returns', { body: 'name\n张一\n', headers: { 'content-type': 'text/csv' } });
    expect(noColumn.status).toBe(422);
    const sup = await rows<{ channel: string; target: string; value: string; reason: string }>(
      t.deps.db.orm,
      sql`SELECT channel, target, value, reason FROM suppressions WHERE dealer_id = ${t.dealerId}::uuid ORDER BY value`,
    );
    expect(sup).toEqual([
      { channel: 'mail', target: 'household', value: 'hh-1', reason: 'undeliverable_address' },
      { channel: 'mail', target: 'household', value: 'hh-4', reason: 'undeliverable_address' },
    ]);
    const returned = await rows<{ n: number }>(t.deps.db.orm, sql`SELECT count(*)::int AS n FROM responses WHERE kind = 'returned' AND campaign_id = ${campaignId}::uuid`);
    expect(returned[0]!.n).toBe(2);
    // The next print run leaves them out.
    const [c] = await rows<{ mail_suppressed: boolean }>(t.deps.db.orm, sql`SELECT mail_suppressed FROM contacts WHERE id = ${ids['张一']!}::uuid`);
    expect(c!.mail_suppressed).toBe(true);
  });

  it('matches sales back by VIN or phone, once, with holdout buyers as control responses', async () => {
    const file = [
      '车架号,手机,成交日期',
      `${VIN.toLowerCase()},,2026-03-20`, // 张二 by VIN
      ',13700000003,2026/03/21', // 张三 (holdout) by phone
      ',+86 137 0000 0099,2026-03-22', // nobody
      ',13700000001,someday', // a bad date
      'LSVAU2180N20000I1,,2026-03-22', // a bad VIN
    ].join('\n');
    const send = () => t.req('POST', '/v1/sales', { body: file, headers: { 'content-type': 'text/csv' } });
    const first = await send();
    expect(first.status, await first.clone().text()).toBe(200);
    const r = (await first.json()) as { rows: number; matched: number; recorded: number; control: number; duplicates: number; errors: { row: number; field: string }[] };
    expect(r).toMatchObject({ rows: 5, matched: 2, recorded: 2, control: 1, duplicates: 0 });
    expect(r.errors.map((e) => [e.row, e.field])).toEqual([[4, 'phone'], [5, 'date'], [6, 'vin']]);
    const again = (await (await send()).json()) as { recorded: number; duplicates: number };
    expect(again).toMatchObject({ recorded: 0, duplicates: 2 });
    const sales = await rows<{ contact_id: string; campaign_id: string; channel: string; control: boolean; in_window: boolean }>(
      t.deps.db.orm,
      sql`SELECT contact_id, campaign_id, channel, control, in_window FROM responses WHERE kind = 'sale' ORDER BY control`,
    );
    expect(sales).toEqual([
      { contact_id: ids['张二'], campaign_id: campaignId, channel: 'mail', control: false, in_window: true },
      { contact_id: ids['张三'], campaign_id: campaignId, channel: 'store', control: true, in_window: true },
    ]);
  });
});
