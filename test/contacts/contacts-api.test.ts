// Contacts, consent and suppressions through the API, on every database kind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueApiToken } from '../../src/dealers';
import { createTestApp, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';
import { Client, csvText, newDealer, utf8, type ContactDetail, type ContactView } from '../imports/fixtures';

describe.each(DB_KINDS)('contacts API on %s', (kind) => {
  let t: TestApp;
  let c: Client;
  let people: Record<string, ContactDetail>;

  beforeAll(async () => {
    t = await createTestApp(kind);
    c = await newDealer(t);
    const imp = await c.importFile(
      utf8(
        csvText([
          ['姓名', '手机', '邮箱', '地址', '公司', '车型'],
          ['张伟', '13800138000', 'zw@example.com', '福建省福州市鼓楼区五四路1号', '', '朗逸'],
          ['张三丰', '13800138001', '', '', '', ''],
          ['李娜', '', 'LiNa@Example.com', '', '福州运输公司', ''],
          ['王芳', '0591-87654321', '', '福建省福州市台江区八一七中路2号', '', ''],
        ]),
      ),
    );
    expect(imp.counts).toMatchObject({ rows: 4, accepted: 4, created: 4 });
    people = {};
    for (const name of ['张伟', '张三丰', '李娜', '王芳']) people[name] = await c.contactNamed(name);
  });
  afterAll(() => t.close());

  const names = (r: { data: ContactView[] }) => r.data.map((x) => x.fullName).sort();
  const search = (q: string) => c.json<{ data: ContactView[] }>('GET', `/v1/contacts?q=${encodeURIComponent(q)}`);

  describe('search', () => {
    it('a phone in any format matches the normalized number', async () => {
      expect(names(await search('138 0013 8000'))).toEqual(['张伟']);
      expect(names(await search('+86 138-0013-8001'))).toEqual(['张三丰']);
      expect(names(await search('0591-87654321'))).toEqual(['王芳']);
      expect(names(await search('13900000000'))).toEqual([]);
    });

    it('an email matches case-insensitively', async () => {
      expect(names(await search('lina@EXAMPLE.com'))).toEqual(['李娜']);
    });

    it('anything else is a name or company prefix; LIKE wildcards are literal', async () => {
      expect(names(await search('张'))).toEqual(['张三丰', '张伟'].sort());
      expect(names(await search('张三'))).toEqual(['张三丰']);
      expect(names(await search('福州运输'))).toEqual(['李娜']);
      expect(names(await search('%'))).toEqual([]);
      expect(names(await search('_'))).toEqual([]);
    });

    it('filters by kind', async () => {
      expect(names(await c.json('GET', '/v1/contacts?kind=prior_owner'))).toEqual(['张伟']);
      expect(names(await c.json('GET', '/v1/contacts?kind=corporate'))).toEqual(['李娜']);
      expect(names(await c.json('GET', '/v1/contacts?kind=prospect'))).toEqual(['张三丰', '王芳'].sort());
      const bad = await c.req('GET', '/v1/contacts?kind=vip');
      expect(bad.status).toBe(400);
      expect((await bad.json()).error.code).toBe('validation_error');
    });
  });

  describe('one contact', () => {
    it('shows fields, vehicles, consents, suppressions and merges', async () => {
      const zw = people['张伟']!;
      expect(zw).toMatchObject({
        kind: 'prior_owner',
        fullName: '张伟',
        phone: '+8613800138000',
        email: 'zw@example.com',
        address: {
          country: 'CN',
          province: '福建省',
          city: '福州市',
          district: '鼓楼区',
          street: '五四路1号',
          postcode: null,
          lines: ['福建省福州市鼓楼区五四路1号'],
        },
        attributes: {},
        consents: {},
        suppressions: [],
        merges: [],
      });
      expect(zw.vehicles).toEqual([expect.objectContaining({ vin: null, model: '朗逸' })]);
    });

    it('an id that is not a UUID, or unknown, is 404', async () => {
      for (const id of ['nope', '00000000-0000-7000-8000-000000000000']) {
        const res = await c.req('GET', `/v1/contacts/${id}`);
        expect(res.status).toBe(404);
        expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'contact not found', details: null } });
      }
    });
  });

  describe('consent', () => {
    it('records consent per channel', async () => {
      const id = people['李娜']!.id;
      const res = await c.req('PUT', `/v1/contacts/${id}/consents/email`, { body: { status: 'granted', source: 'store form' } });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ channel: 'email', status: 'granted', source: 'store form', at: t.clock.now().toISOString() });
      expect((await c.contact(id)).consents).toEqual({ email: { status: 'granted', source: 'store form', at: t.clock.now().toISOString() } });
    });

    it('refuses an unknown channel or a bad body', async () => {
      const id = people['李娜']!.id;
      const fax = await c.req('PUT', `/v1/contacts/${id}/consents/fax`, { body: { status: 'granted', source: 'x' } });
      expect(fax.status).toBe(400);
      expect((await fax.json()).error.code).toBe('validation_error');
      const bad = await c.req('PUT', `/v1/contacts/${id}/consents/sms`, { body: { status: 'maybe', source: '' } });
      expect(bad.status).toBe(400);
      const err = (await bad.json()).error;
      expect(err.code).toBe('validation_error');
      expect(err.details.map((d: { path: string }) => d.path).sort()).toEqual(['source', 'status']);
    });

    it('a manager may read but not record consent', async () => {
      const mgr = await issueApiToken(t.deps.db.orm, t.clock, c.dealerId, 'manager', 'manager');
      const id = people['王芳']!.id;
      const get = await t.req('GET', `/v1/contacts/${id}`, { token: mgr.token });
      expect(get.status).toBe(200);
      const put = await t.req('PUT', `/v1/contacts/${id}/consents/sms`, { token: mgr.token, body: { status: 'granted', source: 'x' } });
      expect(put.status).toBe(403);
      expect((await put.json()).error.code).toBe('forbidden');
    });
  });

  describe('suppressions', () => {
    it('by phone, email, address and contact; shown on the contact; one per address and channel', async () => {
      const d = await newDealer(t);
      await d.importFile(
        utf8(
          csvText([
            ['姓名', '手机', '邮箱', '地址'],
            ['张伟', '13800138000', 'zw@example.com', '福建省福州市鼓楼区五四路1号'],
            ['王芳', '13800138002', '', '福建省福州市台江区八一七中路2号'],
          ]),
        ),
      );
      const zw = await d.contactNamed('张伟');
      const wf = await d.contactNamed('王芳');

      const sms = await d.req('POST', '/v1/suppressions', { body: { channel: 'sms', reason: 'unsubscribed', phone: '138-0013-8000' } });
      expect(sms.status).toBe(201);
      const smsRow = await sms.json();
      expect(smsRow).toMatchObject({ channel: 'sms', target: 'phone', value: '+8613800138000', reason: 'unsubscribed' });
      expect(smsRow.source).toMatch(/^api:/);

      const dup = await d.req('POST', '/v1/suppressions', { body: { channel: 'sms', reason: 'unsubscribed', phone: '+86 13800138000' } });
      expect(dup.status).toBe(200);
      expect((await dup.json()).id).toBe(smsRow.id);

      const house = await d.req('POST', '/v1/suppressions', {
        body: { channel: 'all', reason: 'do_not_contact', address: '福建省 福州市 鼓楼区 五四路 1 号' },
      });
      expect(house.status).toBe(201);
      const houseRow = await house.json();
      // Household keys are internal.
      expect(houseRow).toMatchObject({ channel: 'all', target: 'household', value: null });

      const email = await d.req('POST', '/v1/suppressions', { body: { channel: 'email', reason: 'bounced', email: 'ZW@Example.com' } });
      expect(await email.json()).toMatchObject({ target: 'email', value: 'zw@example.com' });
      const byId = await d.req('POST', '/v1/suppressions', { body: { channel: 'mail', reason: 'undeliverable_address', contactId: wf.id } });
      expect(byId.status).toBe(201);
      expect(await byId.json()).toMatchObject({ target: 'contact', value: wf.id });

      const onZw = (await d.contact(zw.id)).suppressions.map((s) => [s.channel, s.target, s.reason]).sort();
      expect(onZw).toEqual([
        ['all', 'household', 'do_not_contact'],
        ['email', 'email', 'bounced'],
        ['sms', 'phone', 'unsubscribed'],
      ]);
      expect((await d.contact(wf.id)).suppressions.map((s) => [s.channel, s.target])).toEqual([['mail', 'contact']]);

      // Listing, filtering, paging.
      const all = await d.json<{ data: { id: string }[]; nextCursor: string | null }>('GET', '/v1/suppressions');
      expect(all.data).toHaveLength(4);
      expect(all.nextCursor).toBeNull();
      const onlySms = await d.json<{ data: { id: string }[] }>('GET', '/v1/suppressions?channel=sms');
      expect(onlySms.data.map((s) => s.id)).toEqual([smsRow.id]);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const p: { data: { id: string }[]; nextCursor: string | null } = await d.json(
          'GET',
          `/v1/suppressions?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        );
        seen.push(...p.data.map((s) => s.id));
        cursor = p.nextCursor;
      } while (cursor);
      expect(seen.sort()).toEqual(all.data.map((s) => s.id).sort());

      // A person's own opt-out cannot be lifted; a staff block can, by an admin.
      const lift = await d.req('DELETE', `/v1/suppressions/${smsRow.id}`);
      expect(lift.status).toBe(409);
      expect((await lift.json()).error.code).toBe('opt_out_permanent');
      const marketer = await issueApiToken(t.deps.db.orm, t.clock, d.dealerId, 'marketer', 'marketer');
      const asMarketer = await t.req('DELETE', `/v1/suppressions/${houseRow.id}`, { token: marketer.token });
      expect(asMarketer.status).toBe(403);
      const other = await newDealer(t);
      const asOther = await other.req('DELETE', `/v1/suppressions/${houseRow.id}`);
      expect(asOther.status).toBe(404);
      const ok = await d.req('DELETE', `/v1/suppressions/${houseRow.id}`);
      expect(ok.status).toBe(204);
      expect((await d.contact(zw.id)).suppressions.map((s) => s.target).sort()).toEqual(['email', 'phone']);

      // Another dealer can neither see these nor suppress this dealer's contact.
      expect((await other.json('GET', '/v1/suppressions')).data).toEqual([]);
      const foreign = await other.req('POST', '/v1/suppressions', { body: { channel: 'mail', reason: 'do_not_contact', contactId: zw.id } });
      expect(foreign.status).toBe(404);
    });

    it('refuses a request naming no target, two targets, or a bad phone', async () => {
      for (const body of [
        { channel: 'sms', reason: 'unsubscribed' },
        { channel: 'sms', reason: 'unsubscribed', phone: '13800138000', email: 'a@b.cn' },
        { channel: 'fax', reason: 'unsubscribed', phone: '13800138000' },
      ]) {
        const res = await c.req('POST', '/v1/suppressions', { body });
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect((await res.json()).error.code).toBe('validation_error');
      }
      const res = await c.req('POST', '/v1/suppressions', { body: { channel: 'sms', reason: 'unsubscribed', phone: '12345' } });
      expect(res.status).toBe(400);
      expect((await res.json()).error).toMatchObject({ code: 'validation_error', details: [{ path: 'phone', message: 'phone number has too few digits' }] });
    });

    it('honours Idempotency-Key', async () => {
      const d = await newDealer(t);
      const headers = { 'Idempotency-Key': 'supp-1' };
      const body = { channel: 'email', reason: 'complaint', email: 'x@example.com' };
      const first = await d.req('POST', '/v1/suppressions', { body, headers });
      expect(first.status).toBe(201);
      const a = await first.json();
      const again = await d.req('POST', '/v1/suppressions', { body, headers });
      expect(again.status).toBe(201);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(await again.json()).toEqual(a);
      const other = await d.req('POST', '/v1/suppressions', { body: { ...body, email: 'y@example.com' }, headers });
      expect(other.status).toBe(422);
      expect((await other.json()).error.code).toBe('idempotency_key_reused');
      const bad = await d.req('POST', '/v1/suppressions', { body, headers: { 'Idempotency-Key': 'no spaces allowed' } });
      expect(bad.status).toBe(400);
      expect((await d.json('GET', '/v1/suppressions')).data).toHaveLength(1);
    });
  });
});
