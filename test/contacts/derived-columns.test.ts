// The columns derived onto contacts for segment counts stay equal to their
// sources through everything that changes them, on every database kind:
// - vehicle date spans (first/last purchase date and insurance expiry) through
//   import, re-import, a second car, a car changing hands, a known car on a new
//   contact;
// - per-channel suppressed flags through suppressions made before the people
//   are imported, merges that give a contact a suppressed phone or household,
//   and suppressions added and lifted through the API (by phone, email,
//   household and contact), never across dealers.
// After every step the whole table is also checked against the definition.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { suppress } from '../../src/contacts/suppression';
import { rows } from '../../src/db';
import { createTestApp, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';
import { derivedDrift } from '../helpers/derived';
import { csvText, newDealer, utf8, type Cell, type Client } from '../imports/fixtures';

interface Derived {
  purchase: [string | null, string | null];
  insurance: [string | null, string | null];
  suppressed: { mail: boolean; sms: boolean; email: boolean };
}

const V1 = 'LSVAA4182E2000001';
const V2 = 'LSVAA4182E2000002';
const V3 = 'LSVAA4182E2000003';
const V4 = 'LSVAA4182E2000004';
const HOUSE_A = '福建省福州市鼓楼区五四路1号';
const HOUSE_B = '福建省福州市台江区八一七中路2号';

describe.each(DB_KINDS)('derived contact columns on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
  });
  afterAll(() => t.close());

  async function derivedOf(d: Client, name: string): Promise<Derived> {
    const [r] = await rows<Record<string, string | boolean | null>>(
      t.deps.db.orm,
      sql`SELECT first_purchase_date::text AS fp, last_purchase_date::text AS lp,
                 first_insurance_expiry::text AS fi, last_insurance_expiry::text AS li,
                 mail_suppressed, sms_suppressed, email_suppressed
          FROM contacts WHERE dealer_id = ${d.dealerId}::uuid AND full_name = ${name}`,
    );
    expect(r, `contact ${name}`).toBeDefined();
    return {
      purchase: [r!.fp as string | null, r!.lp as string | null],
      insurance: [r!.fi as string | null, r!.li as string | null],
      suppressed: { mail: r!.mail_suppressed as boolean, sms: r!.sms_suppressed as boolean, email: r!.email_suppressed as boolean },
    };
  }
  const flags = async (d: Client, name: string) => (await derivedOf(d, name)).suppressed;
  const none = { mail: false, sms: false, email: false };
  const every = { mail: true, sms: true, email: true };

  async function importRows(d: Client, header: string[], body: Cell[][]) {
    const imp = await d.importFile(utf8(csvText([header, ...body])));
    expect(imp.status, JSON.stringify(imp.error)).toBe('completed');
    expect(await derivedDrift(t.deps.db.orm)).toEqual([]);
    return imp;
  }
  async function post(d: Client, body: object): Promise<string> {
    const res = await d.req('POST', '/v1/suppressions', { body });
    const json = await res.json();
    expect(res.status, JSON.stringify(json)).toBe(201);
    return json.id as string;
  }
  async function lift(d: Client, id: string) {
    expect((await d.req('DELETE', `/v1/suppressions/${id}`)).status).toBe(204);
    expect(await derivedDrift(t.deps.db.orm)).toEqual([]);
  }

  it('vehicle spans through import, re-import, a second car, a sale and a known car on a new contact', async () => {
    const d = await newDealer(t);
    const header = ['姓名', '手机', '地址', '车架号', '车型', '购车日期', '保险到期'];
    const first: Cell[][] = [
      ['张伟', '13800000001', HOUSE_A, V1, '朗逸', '2018/1/2', '2027/8/7'],
      // The same person (phone) with a second car, in the same file.
      ['张伟', '13800000001', '', V2, '帕萨特', '2020/5/1', '2026/4/1'],
      // No VIN: the car is keyed by its owner, model and date.
      ['李娜', '13800000002', HOUSE_B, '', '卡罗拉', '2022/3/3', ''],
      ['王芳', '13800000003', HOUSE_A, '', '', '', ''],
    ];
    const imp = await importRows(d, header, first);
    expect(imp.counts).toMatchObject({ created: 3, duplicatesMerged: 1 });
    expect(await derivedOf(d, '张伟')).toMatchObject({ purchase: ['2018-01-02', '2020-05-01'], insurance: ['2026-04-01', '2027-08-07'] });
    expect(await derivedOf(d, '李娜')).toMatchObject({ purchase: ['2022-03-03', '2022-03-03'], insurance: [null, null] });
    expect(await derivedOf(d, '王芳')).toMatchObject({ purchase: [null, null], insurance: [null, null] });

    // The same file again changes nothing.
    const again = await importRows(d, header, first);
    expect(again.counts).toMatchObject({ created: 0 });
    expect(await derivedOf(d, '张伟')).toMatchObject({ purchase: ['2018-01-02', '2020-05-01'], insurance: ['2026-04-01', '2027-08-07'] });

    // 张伟 sells both cars, and is not in this file himself.
    await importRows(d, header, [
      // 李娜 bought the 帕萨特; the row renews its insurance and keeps the purchase date on file.
      ['李娜', '13800000002', '', V2, '帕萨特', '', '2026/9/9'],
      // A new person whose only car is the 朗逸, listed without dates: its dates on file are hers now…
      ['孙丽', '13800000005', '', V1, '', '', ''],
      // …and a new person with a new car.
      ['赵敏', '13800000004', '', V4, 'Model 3', '2024/1/1', '2026/12/1'],
    ]);
    expect(await derivedOf(d, '张伟')).toMatchObject({ purchase: [null, null], insurance: [null, null] });
    expect(await derivedOf(d, '李娜')).toMatchObject({ purchase: ['2020-05-01', '2022-03-03'], insurance: ['2026-09-09', '2026-09-09'] });
    expect(await derivedOf(d, '孙丽')).toMatchObject({ purchase: ['2018-01-02', '2018-01-02'], insurance: ['2027-08-07', '2027-08-07'] });
    expect(await derivedOf(d, '赵敏')).toMatchObject({ purchase: ['2024-01-01', '2024-01-01'], insurance: ['2026-12-01', '2026-12-01'] });

    // A car new to the list for a known contact.
    await importRows(d, header, [['张伟', '13800000001', '', V3, '途观', '2015/6/6', '']]);
    expect(await derivedOf(d, '张伟')).toMatchObject({ purchase: ['2015-06-06', '2015-06-06'], insurance: [null, null] });
    expect((await d.contactNamed('张伟')).vehicles.map((v) => v.vin)).toEqual([V3]);
  });

  it('suppressed flags through imports, merges and the suppression API', async () => {
    const d = await newDealer(t);
    const other = await newDealer(t);
    // Suppressions made before the people are on file.
    await post(d, { channel: 'sms', reason: 'unsubscribed', phone: '13800000012' });
    const house = await post(d, { channel: 'all', reason: 'do_not_contact', address: HOUSE_B });
    await post(d, { channel: 'email', reason: 'bounced', phone: '13800000014' });
    // Another dealer's suppression of a phone this dealer also has.
    await post(other, { channel: 'all', reason: 'do_not_contact', phone: '13800000011' });

    const header = ['姓名', '手机', '邮箱', '地址'];
    await importRows(d, header, [
      ['周杰', '13800000011', 'zj@example.com', HOUSE_A],
      ['吴磊', '13800000012', '', ''],
      ['郑爽', '13800000013', '', HOUSE_B],
      ['钱程', '', 'qc@example.com', ''],
    ]);
    expect(await flags(d, '周杰')).toEqual(none);
    expect(await flags(d, '吴磊')).toEqual({ mail: false, sms: true, email: false });
    expect(await flags(d, '郑爽')).toEqual(every);
    expect(await flags(d, '钱程')).toEqual(none);

    // Merges: 钱程 (matched on email) gains the suppressed phone; 周杰 (on phone) moves into the suppressed household.
    await importRows(d, header, [
      ['钱程', '13800000014', 'qc@example.com', ''],
      ['周杰', '13800000011', '', HOUSE_B],
    ]);
    expect(await flags(d, '钱程')).toEqual({ mail: false, sms: false, email: true });
    expect(await flags(d, '周杰')).toEqual(every);

    // Through the API: by contact, by email; then lifting the household.
    const zj = await d.contactNamed('周杰');
    const byContact = await post(d, { channel: 'mail', reason: 'undeliverable_address', contactId: zj.id });
    await post(d, { channel: 'email', reason: 'bounced', email: 'zj@example.com' });
    expect(await derivedDrift(t.deps.db.orm)).toEqual([]);
    await lift(d, house);
    // 周杰 is still named by his contact id (mail) and email (email); 郑爽 by nothing.
    expect(await flags(d, '周杰')).toEqual({ mail: true, sms: false, email: true });
    expect(await flags(d, '郑爽')).toEqual(none);
    await lift(d, byContact);
    expect(await flags(d, '周杰')).toEqual({ mail: false, sms: false, email: true });

    // Segment counts read the flags: SMS reach excludes only 吴磊 (phone); email reach only 周杰 and 钱程.
    const pv = async (rule: object) => {
      const res = await d.req('POST', '/v1/segments/preview', { body: { rule, limit: 100 } });
      const body = (await res.json()) as { count: number; sample: { fullName: string }[] };
      return body.sample.map((s) => s.fullName).sort();
    };
    expect(await pv({ not_suppressed: 'sms' })).toEqual(['周杰', '郑爽', '钱程'].sort());
    expect(await pv({ not_suppressed: 'email' })).toEqual(['吴磊', '郑爽'].sort());
    expect(await pv({ not_suppressed: 'mail' })).toEqual(['周杰', '吴磊', '郑爽', '钱程'].sort());
  });

  // Two connections are needed to interleave them: PostgreSQL only.
  it.runIf(kind === 'postgres')('a suppression made while an import batch runs is not missed by either', async () => {
    const d = await newDealer(t);
    const db = t.deps.db.orm;
    await db.transaction(async (tx) => {
      // Suppress a phone, and keep the transaction open…
      await suppress(tx, t.clock, d.dealerId, { channel: 'sms', target: 'phone', value: '+8613800000021', reason: 'unsubscribed', source: 'test' });
      // …while an import of that phone starts: its batch must wait for this transaction,
      // because until it commits the batch cannot see the suppression.
      await d.upload(utf8(csvText([['姓名', '手机'], ['冯伟', '13800000021'], ['陈晨', '13800000022']])));
      const waiting = async () =>
        Number((await rows<{ n: number | string }>(db, sql`SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`))[0]!.n);
      for (let i = 0; i < 200 && (await waiting()) === 0; i++) await new Promise((r) => setTimeout(r, 25));
      expect(await waiting()).toBe(1);
    });
    await t.deps.jobs.idle();
    expect(await flags(d, '冯伟')).toEqual({ mail: false, sms: true, email: false });
    expect(await flags(d, '陈晨')).toEqual(none);
    expect(await derivedDrift(t.deps.db.orm)).toEqual([]);
  });
});
