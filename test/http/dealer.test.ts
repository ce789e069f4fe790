import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDealer, issueApiToken } from '../../src/dealers';
import { createTestApp, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';

describe.each(DB_KINDS)('GET /v1/dealer on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
  });
  afterAll(() => t.close());

  it("shows the caller's own dealer and its stores, never another's", async () => {
    const group = await createDealer(t.deps.db.orm, t.clock, {
      name: '闽东汽车集团',
      country: 'CN',
      timezone: 'Asia/Shanghai',
      stores: [{ name: '鼓楼店' }, { name: '仓山店' }],
    });
    const { token } = await issueApiToken(t.deps.db.orm, t.clock, group.id, 'manager', 'test');
    const res = await t.req('GET', '/v1/dealer', { token });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ id: group.id, name: '闽东汽车集团', country: 'CN', timezone: 'Asia/Shanghai', role: 'manager' });
    expect(body.stores.map((s: { name: string }) => s.name).sort()).toEqual(['仓山店', '鼓楼店']);

    const mine = await (await t.req('GET', '/v1/dealer')).json();
    expect(mine.id).toBe(t.dealerId);
    expect(mine.stores).toEqual([]);
  });
});

describe.each(DB_KINDS)('the printer role on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
  });
  afterAll(() => t.close());

  it('is refused every list, contact, suppression and segment route, and may read its dealer', async () => {
    const { token } = await issueApiToken(t.deps.db.orm, t.clock, t.dealerId, 'printer', 'print shop');
    for (const [method, path] of [
      ['GET', '/v1/imports'],
      ['GET', '/v1/contacts'],
      ['GET', '/v1/contacts/0190c5a0-0000-7000-8000-000000000000'],
      ['GET', '/v1/suppressions'],
      ['GET', '/v1/segments'],
      ['POST', '/v1/segments/preview'],
    ] as const) {
      const res = await t.req(method, path, { token, body: method === 'POST' ? { rule: { has: 'phone' } } : undefined });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect((await res.json()).error.code).toBe('forbidden');
    }
    expect((await t.req('GET', '/v1/dealer', { token })).status).toBe(200);
  });
});
