// Small batches: duplicates and row errors that fall in different batches of
// one file, and a malformed file that would have written batches if it were
// not checked first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';
import { csvText, expectCountsAddUp, gbk, newDealer, utf8 } from './fixtures';

describe.each(DB_KINDS)('import in 3-row batches, on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind, { IMPORT_BATCH_ROWS: 3 });
  });
  afterAll(() => t.close());

  it('imports a GBK list in several batches, with row errors and in-file duplicates', async () => {
    const c = await newDealer(t);
    const rows = [['姓名', '手机', '地址', '邮编']];
    for (let i = 0; i < 10; i++) rows.push([`客户${i}`, `1380013${String(8000 + i)}`, `福建省福州市鼓楼区五四路${i + 1}号`, '350001']);
    rows.push(['坏号码', '12345', '', '']); // row 12: bad phone
    rows.push(['客户0', '13800138000', '', '']); // row 13: same phone as row 2
    const imp = await c.importFile(gbk(csvText(rows)), { filename: 'gbk.csv' });
    expect(imp.status).toBe('completed');
    expect(imp.encoding).toBe('gb18030');
    expect(imp.counts).toMatchObject({ rows: 12, accepted: 11, rejected: 1, created: 10, duplicatesMerged: 1 });
    expectCountsAddUp(imp.counts);
    expect(await c.contactCount()).toBe(10);
    const report = await c.errorsCsv(imp.id);
    expect(report.records).toEqual([
      ['row', 'column', 'reason', 'value'],
      ['12', '手机', 'phone number has too few digits', '12345'],
    ]);
    expect((await c.contactNamed('客户3')).phone).toBe('+8613800138003');
  });

  it('a malformed file fails with its line, and writes nothing', async () => {
    const c = await newDealer(t);
    const good = csvText([['姓名', '手机'], ...Array.from({ length: 20 }, (_, i) => [`人${i}`, `1390013${9000 + i}`])]);
    const imp = await c.importFile(utf8(`${good}"未闭合,13900139999\r\n下一行,13900130000\r\n`));
    expect(imp.status).toBe('failed');
    expect(imp.error?.code).toBe('malformed_csv');
    expect(imp.error?.message).toMatch(/line 22/);
    expect(await c.contactCount()).toBe(0);
    expect(await c.importErrorCount(imp.id)).toBe(0);
  });
});
