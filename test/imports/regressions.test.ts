// Faults found in review, each pinned by a test that failed before its fix.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';
import { csvText, expectCountsAddUp, newDealer, utf8 } from './fixtures';

describe.each(DB_KINDS)('import regressions on %s', (kind) => {
  let t: TestApp;
  let one: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
    one = await createTestApp(kind, { IMPORT_BATCH_ROWS: 1 });
  });
  afterAll(async () => {
    await t.close();
    await one.close();
  });

  it('a batch with more rejected cells than one INSERT can carry still completes', async () => {
    const c = await newDealer(t);
    const rows = [['姓名', '手机', '生日', '购车日期', '保险到期']];
    for (let i = 0; i < 5000; i++) rows.push([`客户${i}`, `1370013${String(i).padStart(4, '0')}`, 'bad', 'bad', 'bad']);
    const imp = await c.importFile(utf8(csvText(rows)));
    expect(imp.status).toBe('completed');
    expect(imp.counts).toMatchObject({ rows: 5000, accepted: 0, rejected: 5000 });
    expect(await c.importErrorCount(imp.id)).toBe(15000);
  });

  it('an out-of-range number or year rejects its row, not the import', async () => {
    const c = await newDealer(t);
    const imp = await c.importFile(
      utf8(
        csvText([
          ['姓名', '手机', '车型', '里程', '生日'],
          ['张伟', '13800138000', 'X3', '3000000000', ''],
          ['李娜', '13900139000', '', '', '0000-01-01'],
          ['王芳', '13700137000', 'X5', '12000', '1985-02-03'],
        ]),
      ),
    );
    expect(imp.status).toBe('completed');
    expect(imp.counts).toMatchObject({ rows: 3, accepted: 1, rejected: 2 });
    expectCountsAddUp(imp.counts);
    const report = await c.errorsCsv(imp.id);
    expect(report.records.slice(1)).toEqual([
      ['2', '里程', 'number is too large', '3000000000'],
      ['3', '生日', 'year must be between 1800 and 2200', '0000-01-01'],
    ]);
  });

  it('a row matching a contact whose address a previous row just changed is merged, whatever the batch size', async () => {
    const c = await newDealer(one);
    await c.importFile(utf8(csvText([['姓名', '手机', '地址'], ['张三', '13800138000', '福建省福州市鼓楼区五四路1号']])));
    const imp = await c.importFile(
      utf8(
        csvText([
          ['姓名', '公司', '手机', '地址'],
          ['', 'ABC公司', '13800138000', '福建省福州市鼓楼区五四路2号'],
          ['张三', '', '', '福建省福州市鼓楼区五四路2号'],
        ]),
      ),
    );
    expect(imp.status).toBe('completed');
    expect(await c.contactCount()).toBe(1);
    expect(imp.counts).toMatchObject({ rows: 2, created: 0 });
  });

  it('a NUL character in a search is a 400, not a 500', async () => {
    const c = await newDealer(t);
    const res = await c.req('GET', `/v1/contacts?q=${encodeURIComponent('张三丰\u0000')}`);
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('invalid_value');
  });
});
