// List import end to end through the API: upload → background job → contacts,
// on every database kind. Each test takes its own dealer, so its contact list
// starts empty and the counts it sees are its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runImport } from '../../src/imports/service';
import { createTestApp, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';
import {
  bytes,
  type Bytes,
  csvText,
  expectCountsAddUp,
  gbk,
  importPath,
  lazyStream,
  newDealer,
  utf16leBom,
  utf8,
  utf8Bom,
  type Client,
} from './fixtures';

const BOM = [0xef, 0xbb, 0xbf];

describe.each(DB_KINDS)('list import on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
  });
  afterAll(() => t.close());

  // ── 1. encodings and delimiters ─────────────────────────────────────────────
  describe('encodings and delimiters', () => {
    const header = ['姓名', '手机', '地址', '邮编'];
    const rows = [
      ['李娜', '13900139000', '北京市朝阳区建国路88号', '100022'],
      ['欧阳娜娜', '13900139001', '广东省广州市天河区天河路385号', '510620'],
    ];

    async function expectTwoChinesePeople(c: Client) {
      const li = await c.contactNamed('李娜');
      expect(li).toMatchObject({
        phone: '+8613900139000',
        address: {
          country: 'CN',
          province: '北京市',
          city: '北京市',
          district: '朝阳区',
          street: '建国路88号',
          postcode: '100022',
          lines: ['100022', '北京市朝阳区建国路88号'],
        },
      });
      const oy = await c.contactNamed('欧阳娜娜');
      expect(oy).toMatchObject({
        phone: '+8613900139001',
        address: { province: '广东省', city: '广州市', district: '天河区', street: '天河路385号', postcode: '510620' },
      });
      expect((await c.contacts()).map((x) => x.fullName).sort()).toEqual(['李娜', '欧阳娜娜'].sort());
    }

    it('UTF-8, comma-separated', async () => {
      const c = await newDealer(t);
      const imp = await c.importFile(utf8(csvText([header, ...rows])), { filename: '客户名单.csv' });
      expect(imp).toMatchObject({ status: 'completed', filename: '客户名单.csv', encoding: 'utf-8', delimiter: 'comma', error: null });
      expect(imp.mapping).toEqual({ 姓名: 'full_name', 手机: 'phone', 地址: 'address', 邮编: 'postcode' });
      expect(imp.counts).toEqual({ rows: 2, accepted: 2, rejected: 0, created: 2, updated: 0, unchanged: 0, duplicatesMerged: 0 });
      expect(imp.progress).toEqual({ phase: 'completed', percent: 100, rowsProcessed: 2, rowsTotal: 2 });
      await expectTwoChinesePeople(c);
    });

    it('UTF-8 with a BOM (the BOM does not stick to the first header)', async () => {
      const c = await newDealer(t);
      const imp = await c.importFile(utf8Bom(csvText([header, ...rows])));
      expect(imp).toMatchObject({ status: 'completed', encoding: 'utf-8', delimiter: 'comma' });
      expect(imp.mapping).toEqual({ 姓名: 'full_name', 手机: 'phone', 地址: 'address', 邮编: 'postcode' });
      expect(imp.counts).toMatchObject({ rows: 2, accepted: 2, created: 2 });
      await expectTwoChinesePeople(c);
    });

    it('GBK (Chinese Excel "CSV"), detected without being named', async () => {
      const c = await newDealer(t);
      const imp = await c.importFile(gbk(csvText([header, ...rows])));
      expect(imp).toMatchObject({ status: 'completed', encoding: 'gb18030', delimiter: 'comma', error: null });
      expect(imp.counts).toMatchObject({ rows: 2, accepted: 2, rejected: 0, created: 2 });
      await expectTwoChinesePeople(c);
    });

    it('UTF-16LE with a BOM, tab-separated (Excel "Unicode text")', async () => {
      const c = await newDealer(t);
      const imp = await c.importFile(utf16leBom(csvText([header, ...rows], { delimiter: '\t' })));
      expect(imp).toMatchObject({ status: 'completed', encoding: 'utf-16le', delimiter: 'tab', error: null });
      expect(imp.counts).toMatchObject({ rows: 2, accepted: 2, rejected: 0, created: 2 });
      await expectTwoChinesePeople(c);
    });

    it('tab-delimited UTF-8 with a quoted field holding a line break and quotes', async () => {
      const c = await newDealer(t);
      const text =
        '姓名\t手机\t备注\t地址\r\n' +
        '陈静\t13700137000\t"她说""周末来店""\n想看 SUV"\t"福建省福州市鼓楼区\n五四路1号"\r\n' +
        '林峰\t13600136000\t老客户, 介绍人\t\r\n';
      const imp = await c.importFile(utf8(text));
      expect(imp).toMatchObject({ status: 'completed', encoding: 'utf-8', delimiter: 'tab' });
      expect(imp.counts).toEqual({ rows: 2, accepted: 2, rejected: 0, created: 2, updated: 0, unchanged: 0, duplicatesMerged: 0 });
      const chen = await c.contactNamed('陈静');
      // Line breaks inside a cell become spaces; the embedded quotes are kept.
      expect(chen.attributes).toEqual({ note: '她说"周末来店" 想看 SUV' });
      expect(chen.address).toMatchObject({ province: '福建省', city: '福州市', district: '鼓楼区', street: '五四路1号' });
      const lin = await c.contactNamed('林峰');
      expect(lin).toMatchObject({ phone: '+8613600136000', address: null, attributes: { note: '老客户, 介绍人' } });
    });

    it('honours an explicit encoding and delimiter', async () => {
      const c = await newDealer(t);
      const text = csvText([['姓名', '手机'], ['黄蓉', '13800138000']], { delimiter: ';' });
      const imp = await c.importFile(gbk(text), { encoding: 'gbk', delimiter: 'semicolon' });
      expect(imp).toMatchObject({ status: 'completed', encoding: 'gb18030', delimiter: 'semicolon' });
      expect((await c.contactNamed('黄蓉')).phone).toBe('+8613800138000');
    });
  });

  // ── 2. headers and mapping ──────────────────────────────────────────────────
  describe('column mapping', () => {
    it('knows Chinese header variants; unknown columns land in attributes', async () => {
      const c = await newDealer(t);
      const header = ['客户名称', '联系电话', '通讯地址', '邮政编码', '车型', '购车日期', '车架号', '公司', '会员等级', '爱好'];
      const row = ['周杰', '0591-87654321', '福建省福州市台江区八一七中路88号', '350004', '帕萨特', '2022-10-01', 'lsvau2180n2123456', '福州运输公司', '金卡', '钓鱼'];
      const imp = await c.importFile(utf8(csvText([header, row])));
      expect(imp.status).toBe('completed');
      expect(imp.mapping).toEqual({
        客户名称: 'full_name',
        联系电话: 'phone',
        通讯地址: 'address',
        邮政编码: 'postcode',
        车型: 'model',
        购车日期: 'purchase_date',
        车架号: 'vin',
        公司: 'company',
        会员等级: 'tier',
        爱好: null,
      });
      const p = await c.contactNamed('周杰');
      expect(p).toMatchObject({
        kind: 'prior_owner',
        phone: '+8659187654321',
        company: '福州运输公司',
        tier: 'gold',
        attributes: { 爱好: '钓鱼' },
        address: { province: '福建省', city: '福州市', district: '台江区', street: '八一七中路88号', postcode: '350004' },
      });
      expect(p.vehicles).toEqual([
        expect.objectContaining({ vin: 'LSVAU2180N2123456', model: '帕萨特', purchaseDate: '2022-10-01', make: null }),
      ]);
    });

    it('knows decorated headers (姓名*, 手机号码(必填)) and sends a second phone column to phone2', async () => {
      const c = await newDealer(t);
      const header = ['姓名*', '手机号码(必填)', '电话', '地址', '单位', '会员卡'];
      const rows = [
        ['吴磊', '', '0591-87654322', '福建省福州市仓山区上三路8号', '福州大学', 'VIP'],
        ['郭靖', '13800138009', '0591-87654323', '', '', ''],
      ];
      const imp = await c.importFile(utf8(csvText([header, ...rows])));
      expect(imp.mapping).toEqual({
        '姓名*': 'full_name',
        '手机号码(必填)': 'phone',
        电话: 'phone2',
        地址: 'address',
        单位: 'company',
        会员卡: 'tier',
      });
      expect(imp.counts).toMatchObject({ rows: 2, accepted: 2, created: 2 });
      // The mobile wins; the landline is the fallback when there is no mobile.
      expect(await c.contactNamed('吴磊')).toMatchObject({ phone: '+8659187654322', company: '福州大学', tier: 'vip' });
      expect((await c.contactNamed('郭靖')).phone).toBe('+8613800138009');
    });

    it('knows English header variants (US list)', async () => {
      const c = await newDealer(t);
      const header = ['Customer Name', 'Mobile Phone', 'Mailing Address', 'ZIP Code', 'E-mail', 'Company Name', 'Membership Level', 'Sales Rep'];
      const row = ['Mr. John Smith', '(415) 555-2671', '1600 Main St, Springfield, IL', '62704-1234', 'John.Smith@Example.com', 'Acme Fleet', 'Gold', 'Bob'];
      const imp = await c.importFile(utf8(csvText([header, row])), { country: 'US' });
      expect(imp.status).toBe('completed');
      expect(imp.mapping).toEqual({
        'Customer Name': 'full_name',
        'Mobile Phone': 'phone',
        'Mailing Address': 'address',
        'ZIP Code': 'postcode',
        'E-mail': 'email',
        'Company Name': 'company',
        'Membership Level': 'tier',
        'Sales Rep': null,
      });
      const p = await c.contactNamed('John Smith');
      expect(p).toMatchObject({
        title: 'Mr.',
        gender: 'male',
        phone: '+14155552671',
        email: 'john.smith@example.com',
        company: 'Acme Fleet',
        tier: 'gold',
        attributes: { 'Sales Rep': 'Bob' },
        address: {
          country: 'US',
          province: 'IL',
          city: 'Springfield',
          street: '1600 Main St',
          postcode: '62704-1234',
          lines: ['1600 Main St', 'Springfield, IL 62704-1234'],
        },
      });
    });

    it('an explicit mapping maps an odd header and ignores a column with null', async () => {
      const c = await newDealer(t);
      const header = ['姓名', '客户手机(主)', '电话', '微信号'];
      const row = ['郑爽', '13500135000', '0591-87654329', 'zs_wechat'];
      const imp = await c.importFile(utf8(csvText([header, row])), { mapping: { '客户手机(主)': 'phone', 电话: null } });
      expect(imp.status).toBe('completed');
      expect(imp.mapping).toEqual({ 姓名: 'full_name', '客户手机(主)': 'phone', 微信号: null });
      const p = await c.contactNamed('郑爽');
      expect(p.phone).toBe('+8613500135000');
      // The ignored column is stored nowhere.
      expect(p.attributes).toEqual({ 微信号: 'zs_wechat' });
    });

    it('without the mapping the odd header is only an attribute', async () => {
      const c = await newDealer(t);
      const imp = await c.importFile(utf8(csvText([['姓名', '客户手机(主)', '地址'], ['郑爽', '13500135000', '福建省福州市鼓楼区五四路9号']])));
      expect(imp.mapping).toEqual({ 姓名: 'full_name', 地址: 'address', '客户手机(主)': null });
      const p = await c.contactNamed('郑爽');
      expect(p.phone).toBeNull();
      expect(p.attributes).toEqual({ '客户手机(主)': '13500135000' });
    });
  });

  // ── 3. normalization ────────────────────────────────────────────────────────
  describe('normalization', () => {
    it('full-width digits, phone formats, trimmed names, 先生/女士 → title and gender', async () => {
      const c = await newDealer(t);
      const text = csvText([
        ['姓名', '手机', '地址', '邮编', '邮箱'],
        ['\u3000王小明 先生 ', '１３８００１３８０００', '福建省福州市鼓楼区五四路１２３号', '３５０００１', 'WXM@Example.COM'],
        ['李娜女士', '+86 138 0013 8001', '福建省福州市鼓楼区五四路125号', '350001', ''],
        ['  陈静  ', '0591-87654321', '', '', ''],
        ['赵敏', '138-0013-8002', '', '', 'zhaomin@example.com'],
      ]);
      const imp = await c.importFile(utf8(text));
      expect(imp.counts).toEqual({ rows: 4, accepted: 4, rejected: 0, created: 4, updated: 0, unchanged: 0, duplicatesMerged: 0 });

      expect(await c.contactNamed('王小明')).toMatchObject({
        fullName: '王小明',
        title: '先生',
        gender: 'male',
        phone: '+8613800138000',
        email: 'wxm@example.com',
        address: { province: '福建省', city: '福州市', district: '鼓楼区', street: '五四路123号', postcode: '350001' },
      });
      expect(await c.contactNamed('李娜')).toMatchObject({ title: '女士', gender: 'female', phone: '+8613800138001' });
      expect(await c.contactNamed('陈静')).toMatchObject({ title: null, gender: null, phone: '+8659187654321', address: null });
      expect(await c.contactNamed('赵敏')).toMatchObject({ phone: '+8613800138002', email: 'zhaomin@example.com' });
    });

    it('US rows with country=US: NANP phones, ZIP+4, a ZIP that lost its leading zero, Mr./Ms.', async () => {
      const c = await newDealer(t);
      const text = csvText([
        ['Name', 'Phone', 'Street', 'City', 'State', 'ZIP'],
        ['Mr. John Smith', '(415) 555-2671', '1600 Main Street', 'Springfield', 'IL', '627041234'],
        ['Ms. Jane Doe ', '212.555.0199', '12 Elm St', 'Boston', 'MA', '2134'],
        ['Ann Lee', '+1 650 555 0100', '9 Oak Ave', 'Palo Alto', 'CA', '94301'],
      ]);
      const imp = await c.importFile(utf8(text), { country: 'US' });
      expect(imp.counts).toMatchObject({ rows: 3, accepted: 3, rejected: 0, created: 3 });
      expect(await c.contactNamed('John Smith')).toMatchObject({
        title: 'Mr.',
        gender: 'male',
        phone: '+14155552671',
        address: {
          country: 'US',
          province: 'IL',
          city: 'Springfield',
          street: '1600 Main Street',
          postcode: '62704-1234',
          lines: ['1600 Main Street', 'Springfield, IL 62704-1234'],
        },
      });
      expect(await c.contactNamed('Jane Doe')).toMatchObject({
        title: 'Ms.',
        gender: 'female',
        phone: '+12125550199',
        address: { province: 'MA', city: 'Boston', postcode: '02134' },
      });
      expect(await c.contactNamed('Ann Lee')).toMatchObject({ title: null, gender: null, phone: '+16505550100' });
    });
  });

  // ── 4. bad rows ─────────────────────────────────────────────────────────────
  describe('bad rows', () => {
    it('are rejected with row number (as Excel shows it), column as headed and reason; good rows are kept', async () => {
      const c = await newDealer(t);
      const text = csvText([
        ['姓名', '手机号码(必填)', '邮编', '购车日期', '地址'], // row 1
        ['张三', '13800138000', '350001', '2023-01-15', '福建省福州市鼓楼区五四路1号'], // 2 ok
        ['李四', '12345', '350001', '', '福建省福州市鼓楼区五四路2号'], // 3 bad phone
        ['王五', '13800138002', '35000', '', '福建省福州市鼓楼区五四路3号'], // 4 bad postcode (5 digits)
        ['孙七', '13800138005', '350001', '', '福建省福州市鼓楼区\n五四路5号'], // 5 ok, two lines in the file
      ]) +
        // Row 6 is blank: skipped, but still a row when the file is opened in Excel.
        '\r\n' +
        csvText([
          ['赵六', '13800138003', '350001', '2023-02-30', '福建省福州市鼓楼区五四路4号'], // 7 impossible date
          ['', '13800138004', '350001', '', '福建省福州市鼓楼区五四路6号'], // 8 no name
          ['周八', '13800138006', '350001', '2024-01-01', '福建省福州市鼓楼区五四路7号'], // 9 ok
          ['吴九', '999', '1234567', '', '福建省福州市鼓楼区五四路8号'], // 10 two errors
        ]);
      const imp = await c.importFile(utf8(text));
      expect(imp.status).toBe('completed');
      expect(imp.counts).toEqual({ rows: 8, accepted: 3, rejected: 5, created: 3, updated: 0, unchanged: 0, duplicatesMerged: 0 });
      expectCountsAddUp(imp.counts);
      expect((await c.contacts()).map((x) => x.fullName).sort()).toEqual(['周八', '孙七', '张三'].sort());
      expect((await c.contactNamed('孙七')).address).toMatchObject({ street: '五四路5号' });

      const report = await c.errorsCsv(imp.id);
      expect([...report.bytes.slice(0, 3)]).toEqual(BOM);
      expect(report.text).toBe(
        '\uFEFFrow,column,reason,value\r\n' +
          '3,手机号码(必填),phone number has too few digits,12345\r\n' +
          '4,邮编,postcode must be 6 digits for CN,35000\r\n' +
          '7,购车日期,not a valid date,2023-02-30\r\n' +
          '8,姓名,no name or company,\r\n' +
          '10,手机号码(必填),phone number has too few digits,999\r\n' +
          '10,邮编,postcode must be 6 digits for CN,1234567\r\n',
      );
      expect(report.records[0]).toEqual(['row', 'column', 'reason', 'value']);
      expect(report.records).toHaveLength(7);
    });

    it('a completed import without bad rows has an errors.csv with just the header', async () => {
      const c = await newDealer(t);
      const imp = await c.importFile(utf8(csvText([['姓名', '手机'], ['张三', '13800138000']])));
      const report = await c.errorsCsv(imp.id);
      expect(report.text).toBe('\uFEFFrow,column,reason,value\r\n');
    });
  });

  // ── 5. dedupe and re-import ─────────────────────────────────────────────────
  describe('dedupe', () => {
    const file = csvText([
      ['姓名', '手机', '邮箱', '地址'],
      ['张伟', '13800138000', '', '福建省福州市鼓楼区五四路123号'], // 2 new
      ['张伟先生', '138 0013 8000', 'zw@example.com', ''], // 3 same phone
      ['李娜', '', 'lina@example.com', ''], // 4 new
      ['李娜', '13900139000', 'LiNa@Example.com', ''], // 5 same email
      ['陈静', '', '', '福建省福州市鼓楼区 五四路 88 号'], // 6 new
      ['陈静', '', '', '福建省 福州市 鼓楼区五四路88号'], // 7 same name + address, other spacing
    ]);

    it('within one file by phone, by email, by name plus address; merges are recorded', async () => {
      const c = await newDealer(t);
      const imp = await c.importFile(utf8(file));
      expect(imp.counts).toEqual({ rows: 6, accepted: 6, rejected: 0, created: 3, updated: 0, unchanged: 0, duplicatesMerged: 3 });
      expect(await c.contactCount()).toBe(3);

      const zw = await c.contactNamed('张伟');
      expect(zw).toMatchObject({ phone: '+8613800138000', email: 'zw@example.com', title: '先生', gender: 'male' });
      expect(zw.address).toMatchObject({ street: '五四路123号' });
      expect(zw.merges).toEqual([
        { importId: imp.id, row: 3, matchedOn: 'phone', changed: ['gender', 'title', 'email'], at: expect.any(String) },
      ]);

      const ln = await c.contactNamed('李娜');
      expect(ln).toMatchObject({ phone: '+8613900139000', email: 'lina@example.com' });
      expect(ln.merges).toEqual([{ importId: imp.id, row: 5, matchedOn: 'email', changed: ['phone'], at: expect.any(String) }]);

      const cj = await c.contactNamed('陈静');
      expect(cj.address).toMatchObject({ province: '福建省', city: '福州市', district: '鼓楼区', street: '五四路88号' });
      expect(cj.merges).toEqual([{ importId: imp.id, row: 7, matchedOn: 'name_address', changed: [], at: expect.any(String) }]);

      // Re-importing the same file creates nobody and changes nothing.
      const again = await c.importFile(utf8(file));
      expect(again.id).not.toBe(imp.id);
      expect(again.counts).toEqual({ rows: 6, accepted: 6, rejected: 0, created: 0, updated: 0, unchanged: 6, duplicatesMerged: 0 });
      expect(await c.contactCount()).toBe(3);
      expect((await c.contactNamed('张伟')).merges).toHaveLength(1);
    });

    it('across imports: a known person is updated, not created again', async () => {
      const c = await newDealer(t);
      const first = await c.importFile(utf8(file));
      expect(first.counts.created).toBe(3);
      const second = await c.importFile(
        utf8(
          csvText([
            ['姓名', '电话', '电子邮件', '通讯地址', '会员等级'],
            ['张伟', '+86 138-0013-8000', '', '', '银卡'], // phone → 张伟, tier new
            ['Li Na', '', 'LINA@example.com', '', ''], // email → 李娜, name changes
            ['陈静', '', '', '福建省福州市鼓楼区五四路88号', ''], // name + address → 陈静, nothing new
            ['王芳', '13700137000', '', '', ''], // new
          ]),
        ),
      );
      expect(second.counts).toEqual({ rows: 4, accepted: 4, rejected: 0, created: 1, updated: 2, unchanged: 1, duplicatesMerged: 0 });
      expectCountsAddUp(second.counts);
      expect(await c.contactCount()).toBe(4);

      const zw = await c.contactNamed('张伟');
      // A tier makes a prospect a club member.
      expect(zw).toMatchObject({ tier: 'silver', kind: 'club_member' });
      // Newest first.
      expect(zw.merges.map((m) => [m.importId, m.row, m.matchedOn, m.changed])).toEqual([
        [second.id, 2, 'phone', ['tier', 'kind']],
        [first.id, 3, 'phone', ['gender', 'title', 'email']],
      ]);
      const ln = await c.contactNamed('Li Na');
      expect(ln.email).toBe('lina@example.com');
      expect(ln.merges[0]).toMatchObject({ importId: second.id, row: 3, matchedOn: 'email', changed: ['fullName'] });
      const cj = await c.contactNamed('陈静');
      expect(cj.merges.map((m) => m.importId)).toEqual([first.id]);
    });
  });

  // ── 6. vehicles and consent ─────────────────────────────────────────────────
  describe('vehicles and consent', () => {
    it('VIN/车型/购车日期 make a vehicle once; re-import does not duplicate it', async () => {
      const c = await newDealer(t);
      const file = utf8(
        csvText([
          ['姓名', '手机', 'VIN', '车型', '购车日期', '品牌'],
          ['张伟', '13800138000', 'LSVAU2180N2123456', '朗逸', '2023/5/1', '大众'],
          ['李娜', '13900139000', '', '卡罗拉', '2021年3月8日', ''], // no VIN: keyed on the contact, model and date
          ['陈静', '13700137000', '', '', '', ''], // no vehicle
        ]),
      );
      const imp = await c.importFile(file);
      expect(imp.counts).toMatchObject({ rows: 3, accepted: 3, created: 3 });
      const zw = await c.contactNamed('张伟');
      expect(zw.kind).toBe('prior_owner');
      expect(zw.vehicles).toEqual([
        {
          id: expect.any(String),
          vin: 'LSVAU2180N2123456',
          make: '大众',
          model: '朗逸',
          purchaseDate: '2023-05-01',
          lastServiceDate: null,
          mileageKm: null,
          insuranceExpiry: null,
        },
      ]);
      const ln = await c.contactNamed('李娜');
      expect(ln.vehicles).toEqual([expect.objectContaining({ vin: null, model: '卡罗拉', purchaseDate: '2021-03-08' })]);
      const cj = await c.contactNamed('陈静');
      expect(cj).toMatchObject({ kind: 'prospect', vehicles: [] });
      expect(await c.vehicleCount()).toBe(2);

      const again = await c.importFile(file);
      expect(again.counts).toMatchObject({ created: 0, unchanged: 3 });
      expect(await c.vehicleCount()).toBe(2);
      expect((await c.contactNamed('张伟')).vehicles.map((v) => v.id)).toEqual(zw.vehicles.map((v) => v.id));
    });

    it('短信许可 是/否 set consent; a person’s own revocation is never overridden by a list', async () => {
      const c = await newDealer(t);
      const file = utf8(
        csvText([
          ['姓名', '手机', '短信许可'],
          ['张伟', '13800138000', '是'],
          ['李娜', '13900139000', '否'],
        ]),
      );
      const imp = await c.importFile(file);
      const zw = await c.contactNamed('张伟');
      expect(zw.consents).toEqual({ sms: { status: 'granted', source: `import:${imp.id}`, at: expect.any(String) } });
      const ln = await c.contactNamed('李娜');
      expect(ln.consents).toEqual({ sms: { status: 'revoked', source: `import:${imp.id}`, at: expect.any(String) } });

      // 张伟 replies to an SMS to opt out.
      const put = await c.req('PUT', `/v1/contacts/${zw.id}/consents/sms`, { body: { status: 'revoked', source: 'sms reply' } });
      expect(put.status).toBe(200);
      expect(await put.json()).toMatchObject({ channel: 'sms', status: 'revoked', source: 'sms reply' });

      // A later list still says 是 for both.
      const later = await c.importFile(
        utf8(
          csvText([
            ['姓名', '手机', '短信许可'],
            ['张伟', '13800138000', '是'],
            ['李娜', '13900139000', '是'],
          ]),
        ),
      );
      expect(later.status).toBe('completed');
      expect((await c.contact(zw.id)).consents.sms).toMatchObject({ status: 'revoked', source: 'sms reply' });
      // A status that only came from a list may be changed by a newer list.
      expect((await c.contact(ln.id)).consents.sms).toMatchObject({ status: 'granted', source: `import:${later.id}` });
    });
  });

  // ── 7. bad input (size limit and malformed files: see the last describe) ──
  describe('bad input', () => {
    async function expectFailed(c: Client, body: Bytes, code: string, params = {}) {
      const imp = await c.importFile(body, params);
      expect(imp.status).toBe('failed');
      expect(imp.error?.code).toBe(code);
      expect(typeof imp.error?.message).toBe('string');
      expect(imp.counts).toEqual({ rows: 0, accepted: 0, rejected: 0, created: 0, updated: 0, unchanged: 0, duplicatesMerged: 0 });
      expect(await c.contactCount()).toBe(0);
      expect(await c.importErrorCount(imp.id)).toBe(0);
      return imp;
    }

    it('bytes that are neither UTF-8 nor GB18030 → unknown_encoding', async () => {
      const c = await newDealer(t);
      const body = bytes(utf8('姓名,手机\r\n'), [0x80, 0xff, 0x80, 0xff, 0x2c, 0x31, 0x33, 0x0d, 0x0a]);
      const imp = await expectFailed(c, body, 'unknown_encoding');
      expect(imp.error?.message).toMatch(/neither UTF-8 nor GBK/);
    });

    it('a binary file (NUL bytes, e.g. an .xlsx) → unknown_encoding', async () => {
      const c = await newDealer(t);
      const body = bytes([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00, 0x08, 0x00, 0x00, 0x00], utf8('[Content_Types].xml'));
      const imp = await expectFailed(c, body, 'unknown_encoding');
      expect(imp.error?.message).toMatch(/NUL bytes/);
    });

    it('an empty body → 422 empty_file and no import', async () => {
      const c = await newDealer(t);
      const res = await c.req('POST', importPath(), { body: new Uint8Array(0) });
      expect(res.status).toBe(422);
      expect(await res.json()).toEqual({ error: { code: 'empty_file', message: 'the file is empty', details: null } });
      expect(await c.importCount()).toBe(0);
    });

    it('a header-only file → failed header_only', async () => {
      const c = await newDealer(t);
      await expectFailed(c, utf8('姓名,手机,地址\r\n'), 'header_only');
      await expectFailed(c, utf8Bom('姓名,手机,地址\r\n\r\n\r\n'), 'header_only');
    });

    it('a file of blank lines only → failed empty_file', async () => {
      const c = await newDealer(t);
      await expectFailed(c, utf8('\r\n\r\n  \r\n'), 'empty_file');
    });

    it('a mapping naming a column that is not in the file → failed mapping_unknown_column', async () => {
      const c = await newDealer(t);
      const imp = await expectFailed(c, utf8(csvText([['姓名', '手机'], ['张三', '13800138000']])), 'mapping_unknown_column', {
        mapping: { 客户手机: 'phone' },
      });
      expect(imp.error?.details).toMatchObject({ column: '客户手机', header: ['姓名', '手机'] });
    });

    it('a file with no name column → failed no_name_column', async () => {
      const c = await newDealer(t);
      await expectFailed(c, utf8(csvText([['手机', '地址'], ['13800138000', '福建省福州市鼓楼区五四路1号']])), 'no_name_column');
    });

    it('options are validated before anything is stored', async () => {
      const c = await newDealer(t);
      const body = utf8(csvText([['姓名', '手机'], ['张三', '13800138000']]));
      const bad = await c.req('POST', '/v1/imports?country=China', { body });
      expect(bad.status).toBe(400);
      expect((await bad.json()).error).toMatchObject({ code: 'validation_error', details: [{ path: 'country' }] });
      const badMap = await c.req('POST', '/v1/imports?mapping=%7Bnot-json', { body });
      expect(badMap.status).toBe(400);
      expect((await badMap.json()).error.code).toBe('bad_request');
      const badField = await c.req('POST', importPath({ mapping: { 姓名: 'nickname' } }), { body });
      expect(badField.status).toBe(400);
      expect((await badField.json()).error.code).toBe('validation_error');
      expect(await c.importCount()).toBe(0);
    });

    it('a GBK byte after the first MiB of a file that looked like UTF-8 → failed invalid_encoding, not stuck', async () => {
      const c = await newDealer(t);
      const lines = ['name,phone,note\r\n'];
      for (let i = 0; i < 5_000; i++) lines.push(`Customer ${i},${13000000000 + i},${'x'.repeat(200)}\r\n`);
      const head = utf8(lines.join(''));
      expect(head.byteLength).toBeGreaterThan(1 << 20);
      const body = bytes(head, gbk('王芳,13900139000\r\n'));
      await expectFailed(c, body, 'invalid_encoding');
    });

    it('a UTF-8 file over 1 MiB cut inside its last character → failed invalid_encoding', async () => {
      const c = await newDealer(t);
      const lines = ['姓名,手机,备注\r\n'];
      for (let i = 0; i < 5_000; i++) lines.push(`客户${i},${13000000000 + i},${'x'.repeat(200)}\r\n`);
      const whole = utf8(lines.join('') + '王芳');
      expect(whole.byteLength).toBeGreaterThan(1 << 20);
      const imp = await expectFailed(c, whole.slice(0, whole.byteLength - 1), 'invalid_encoding');
      expect(imp.error?.message).toBe('the file is not valid utf-8 (it ends inside a character)');
    });
  });

  // ── 8. CSV injection ────────────────────────────────────────────────────────
  it('values starting with = + - @ are stored verbatim and neutralized in errors.csv', async () => {
    const c = await newDealer(t);
    const text = csvText([
      ['姓名', '手机', '备注', '微信', '邮编'],
      ['=HYPERLINK("http://x")', '13800138000', '+1 call back', '@SUM(1)', ''], // 2 ok
      ['-张三', '@SUM(1)', '', '', ''], // 3 bad phone
      ['=1+2', '13800138001', '', '', ''], // 4 ok
      ['李四', '13800138002', '', '', '-350001'], // 5 bad postcode
    ]);
    const imp = await c.importFile(utf8(text));
    expect(imp.counts).toMatchObject({ rows: 4, accepted: 2, rejected: 2 });
    const link = await c.contactNamed('=HYPERLINK("http://x")');
    expect(link.attributes).toEqual({ note: '+1 call back', 微信: '@SUM(1)' });
    expect((await c.contactNamed('=1+2')).phone).toBe('+8613800138001');

    const report = await c.errorsCsv(imp.id);
    expect(report.text).toBe(
      '\uFEFFrow,column,reason,value\r\n' +
        "3,手机,phone number contains invalid characters,'@SUM(1)\r\n" +
        "5,邮编,postcode must be 6 digits for CN,'-350001\r\n",
    );
  });

  // ── 9. Idempotency-Key ──────────────────────────────────────────────────────
  it('Idempotency-Key: a retry replays the same import; another file under the key is refused', async () => {
    const c = await newDealer(t);
    const file = utf8(csvText([['姓名', '手机'], ['张三', '13800138000'], ['李四', '13800138001']]));
    const headers = { 'Idempotency-Key': 'upload-2026-03-01-a' };
    const first = await c.req('POST', importPath({ filename: 'a.csv' }), { body: file, headers });
    expect(first.status).toBe(202);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const a = await first.json();

    const retry = await c.req('POST', importPath({ filename: 'a.csv' }), { body: file, headers });
    expect(retry.status).toBe(202);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect((await retry.json()).id).toBe(a.id);

    const other = await c.req('POST', importPath({ filename: 'a.csv' }), {
      body: utf8(csvText([['姓名', '手机'], ['王五', '13800138002']])),
      headers,
    });
    expect(other.status).toBe(422);
    expect((await other.json()).error.code).toBe('idempotency_key_reused');

    const otherOptions = await c.req('POST', importPath({ filename: 'a.csv', country: 'US' }), { body: file, headers });
    expect(otherOptions.status).toBe(422);
    expect((await otherOptions.json()).error.code).toBe('idempotency_key_reused');

    await t.deps.jobs.idle();
    const list = await c.json<{ data: { id: string; status: string }[] }>('GET', '/v1/imports');
    expect(list.data.map((x) => [x.id, x.status])).toEqual([[a.id, 'completed']]);
    expect(await c.importCount()).toBe(1);
    expect(await c.contactCount()).toBe(2);

    // The key belongs to this dealer only.
    const d = await newDealer(t);
    const theirs = await d.req('POST', importPath({ filename: 'a.csv' }), { body: file, headers });
    expect(theirs.status).toBe(202);
    expect(theirs.headers.get('idempotent-replayed')).toBeNull();
    expect((await theirs.json()).id).not.toBe(a.id);
    await t.deps.jobs.idle();
  });

  // ── 11. cancel a finished import ────────────────────────────────────────────
  it('cancelling a completed import → 409', async () => {
    const c = await newDealer(t);
    const imp = await c.importFile(utf8(csvText([['姓名', '手机'], ['张三', '13800138000']])));
    expect(imp.status).toBe('completed');
    const res = await c.req('POST', `/v1/imports/${imp.id}/cancel`);
    expect(res.status).toBe(409);
    expect((await res.json()).error).toMatchObject({ code: 'import_finished' });
    expect((await c.getImport(imp.id)).status).toBe('completed');
  });

  // ── 12. tenancy ─────────────────────────────────────────────────────────────
  it("another dealer sees none of this dealer's imports or contacts", async () => {
    const a = await newDealer(t);
    const imp = await a.importFile(utf8(csvText([['姓名', '手机'], ['张三', '13800138000'], ['李四', '12']])));
    expect(imp.counts).toMatchObject({ accepted: 1, rejected: 1 });
    const [person] = await a.contacts();

    const b = await newDealer(t);
    for (const path of [`/v1/imports/${imp.id}`, `/v1/imports/${imp.id}/errors.csv`, `/v1/contacts/${person!.id}`]) {
      const res = await b.req('GET', path);
      expect(res.status, path).toBe(404);
      expect((await res.json()).error.code, path).toBe('not_found');
    }
    const cancel = await b.req('POST', `/v1/imports/${imp.id}/cancel`);
    expect(cancel.status).toBe(404);
    const consent = await b.req('PUT', `/v1/contacts/${person!.id}/consents/sms`, { body: { status: 'revoked', source: 'x' } });
    expect(consent.status).toBe(404);
    expect(await b.contacts()).toEqual([]);
    expect((await b.json('GET', '/v1/imports')).data).toEqual([]);
    expect((await b.json('GET', '/v1/contacts?q=13800138000')).data).toEqual([]);
    // …and B importing the same person makes B's own contact.
    const mine = await b.importFile(utf8(csvText([['姓名', '手机'], ['张三', '13800138000']])));
    expect(mine.counts).toMatchObject({ created: 1, unchanged: 0 });
    expect((await b.contacts()).map((x) => x.id)).not.toContain(person!.id);
    expect((await a.contact(person!.id)).merges).toEqual([]);
  });

  // ── 14. streaming ───────────────────────────────────────────────────────────
  it('a 30,000-row CSV streamed as the request body imports completely', async () => {
    const c = await newDealer(t);
    const N = 30_000;
    let sent = 0;
    function* lines() {
      yield '姓名,手机,地址\r\n';
      for (let i = 0; i < N; i++) {
        sent++;
        if (i % 1000 === 999) yield `坏号客户${i},12345,福建省福州市鼓楼区五四路${i}号\r\n`;
        else if (i % 3000 === 2) yield `客户${i - 1},${13000000000 + i - 1},福建省福州市鼓楼区五四路${i - 1}号\r\n`;
        else yield `客户${i},${13000000000 + i},福建省福州市鼓楼区五四路${i}号\r\n`;
      }
    }
    const body = lazyStream(lines);
    expect(sent).toBe(0); // nothing generated before the upload reads it
    const imp = await c.importFile(body);
    expect(sent).toBe(N);
    expect(imp).toMatchObject({ status: 'completed', encoding: 'utf-8', delimiter: 'comma', error: null });
    expect(imp.counts).toEqual({ rows: N, accepted: N - 30, rejected: 30, created: N - 40, updated: 0, unchanged: 0, duplicatesMerged: 10 });
    expectCountsAddUp(imp.counts);
    expect(imp.progress).toEqual({ phase: 'completed', percent: 100, rowsProcessed: N, rowsTotal: N });
    expect(await c.contactCount()).toBe(N - 40);
    const report = await c.errorsCsv(imp.id);
    expect(report.records).toHaveLength(31);
    expect(report.records[1]).toEqual(['1001', '手机', 'phone number has too few digits', '12345']);
    expect(report.records[30]).toEqual([String(N + 1), '手机', 'phone number has too few digits', '12345']);
    const p = await c.json('GET', `/v1/contacts?q=${encodeURIComponent('客户29998')}`);
    expect(p.data.map((x: { phone: string }) => x.phone)).toEqual(['+8613000029998']);
  });
});

// ── a small size limit, small batches and a paused job runner: oversized and
// malformed files, crash/resume, cancel (one app per DB kind keeps the suite quick) ──
describe.each(DB_KINDS)('list import limits and job control on %s', (kind) => {
  const LIMIT = 200_000;
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind, { IMPORT_BATCH_ROWS: 2, IMPORT_MAX_BYTES: LIMIT }, { pausedJobs: true });
  });
  afterAll(() => t.close());

  const run = (id: string) => runImport(t.deps, id, new AbortController().signal);

  const sized = (n: number) => {
    const head = '姓名,手机,备注\r\n张三,13800138000,';
    const pad = n - utf8(head + '\r\n').byteLength;
    return utf8(head + 'x'.repeat(pad) + '\r\n');
  };

  it('a file over IMPORT_MAX_BYTES → 413 payload_too_large and no import', async () => {
    const c = await newDealer(t);
    const res = await c.req('POST', importPath(), { body: sized(LIMIT + 1) });
    expect(res.status).toBe(413);
    expect(res.headers.get('x-request-id')).toMatch(/^[A-Za-z0-9_-]{8,}$/);
    expect(await res.json()).toEqual({
      error: { code: 'payload_too_large', message: `the file is larger than the ${LIMIT} bytes limit`, details: { limitBytes: LIMIT } },
    });
    expect(await c.importCount()).toBe(0);
    expect(await c.contactCount()).toBe(0);
  });

  it('a streamed body over the limit → 413 too', async () => {
    const c = await newDealer(t);
    const body = lazyStream(function* () {
      yield '姓名,手机\r\n';
      for (let i = 0; i < 12_000; i++) yield `客户${i},${13000000000 + i}\r\n`;
    }, 4096);
    const res = await c.req('POST', importPath(), { body });
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe('payload_too_large');
    expect(await c.importCount()).toBe(0);
  });

  it('a file of exactly IMPORT_MAX_BYTES is accepted', async () => {
    const c = await newDealer(t);
    const body = sized(LIMIT);
    expect(body.byteLength).toBe(LIMIT);
    const q = await c.upload(body);
    expect(q.bytes).toBe(LIMIT);
    await run(q.id);
    const imp = await c.getImport(q.id);
    expect(imp.status).toBe('completed');
    expect(imp.counts).toMatchObject({ rows: 1, created: 1 });
  });

  it('a malformed CSV (an unclosed quote mid-file) fails before any batch is written', async () => {
    const c = await newDealer(t);
    const lines = ['姓名,手机,地址'];
    for (let i = 2; i <= 3001; i++) {
      // Line 1500 opens a quote that never closes.
      lines.push(`${i === 1500 ? '"' : ''}客户${i},${13000000000 + i},五四路${i}号`);
    }
    const body = utf8(lines.join('\r\n') + '\r\n');
    expect(body.byteLength).toBeLessThan(LIMIT);
    const q = await c.upload(body);
    await run(q.id);
    const imp = await c.getImport(q.id);
    expect(imp.status).toBe('failed');
    expect(imp.error).toMatchObject({ code: 'malformed_csv', details: { line: 1500, code: 'CSV_QUOTE_NOT_CLOSED' } });
    expect(imp.error?.message).toBe('malformed CSV at line 1500: a quoted field is never closed');
    expect(imp.counts).toEqual({ rows: 0, accepted: 0, rejected: 0, created: 0, updated: 0, unchanged: 0, duplicatesMerged: 0 });
    expect(await c.contactCount()).toBe(0);
    expect(await c.importErrorCount(q.id)).toBe(0);
    expect((await c.errorsCsv(q.id)).text).toBe('\uFEFFrow,column,reason,value\r\n');
  });

  it('a crash mid-merge resumes after the last committed batch; every row lands once', async () => {
    const c = await newDealer(t);
    const rows = [['姓名', '手机', '地址']];
    for (let i = 0; i < 9; i++) rows.push([`客户${i}`, i === 5 ? '12345' : String(13800138000 + i), `福建省福州市鼓楼区五四路${i}号`]);
    const q = await c.upload(utf8(csvText(rows)));
    expect(q.status).toBe('queued');

    const orm = t.deps.db.orm;
    const original = orm.transaction;
    const ctl = new AbortController();
    let commits = 0;
    orm.transaction = (async (...args: Parameters<typeof original>) => {
      const r = await original.apply(orm, args);
      if (++commits === 2) ctl.abort(); // the process dies right after the 2nd batch commits
      return r;
    }) as typeof original;
    try {
      await runImport(t.deps, q.id, ctl.signal);
    } finally {
      orm.transaction = original;
    }
    expect(commits).toBe(2);

    const mid = await c.getImport(q.id);
    expect(mid.status).toBe('merging');
    // Two batches of two rows: data rows 1–4, i.e. file rows 2–5 (the header is row 1).
    expect((await c.importRow(q.id)).mergedThrough).toBe(5);
    expect(mid.counts).toEqual({ rows: 9, accepted: 4, rejected: 0, created: 4, updated: 0, unchanged: 0, duplicatesMerged: 0 });
    expect(mid.progress).toMatchObject({ phase: 'merging', rowsProcessed: 4, rowsTotal: 9, percent: 50 });
    expect(await c.contactCount()).toBe(4);

    await run(q.id);
    const done = await c.getImport(q.id);
    expect(done.status).toBe('completed');
    expect(done.counts).toEqual({ rows: 9, accepted: 8, rejected: 1, created: 8, updated: 0, unchanged: 0, duplicatesMerged: 0 });
    expectCountsAddUp(done.counts);
    expect(await c.contactCount()).toBe(8);
    const names = (await c.contacts()).map((x) => x.fullName).sort();
    expect(names).toEqual(['客户0', '客户1', '客户2', '客户3', '客户4', '客户6', '客户7', '客户8']);
    expect((await c.errorsCsv(q.id)).records).toEqual([
      ['row', 'column', 'reason', 'value'],
      ['7', '手机', 'phone number has too few digits', '12345'],
    ]);
    // Running it once more is a no-op.
    await run(q.id);
    expect((await c.getImport(q.id)).counts).toEqual(done.counts);
    expect(await c.contactCount()).toBe(8);
  });

  it('cancelling a queued import: it is never run', async () => {
    const c = await newDealer(t);
    const q = await c.upload(utf8(csvText([['姓名', '手机'], ['张三', '13800138000'], ['李四', '13800138001']])));
    expect(q).toMatchObject({ status: 'queued', encoding: null, delimiter: null, mapping: null, error: null });
    expect(q.progress).toEqual({ phase: 'queued', percent: 0, rowsProcessed: 0, rowsTotal: 0 });
    const res = await c.req('POST', `/v1/imports/${q.id}/cancel`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: q.id, status: 'cancelled' });

    t.deps.jobs.resume();
    await t.deps.jobs.idle();
    const after = await c.getImport(q.id);
    expect(after.status).toBe('cancelled');
    expect(after.counts).toMatchObject({ rows: 0, accepted: 0, created: 0 });
    expect(await c.contactCount()).toBe(0);
    // Even a stray run of the job leaves it alone.
    await run(q.id);
    expect(await c.contactCount()).toBe(0);

    const again = await c.req('POST', `/v1/imports/${q.id}/cancel`);
    expect(again.status).toBe(409);
    expect((await again.json()).error.code).toBe('import_finished');
  });
});
