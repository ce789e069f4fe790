// API conventions shared by every route: request ids, the error shape,
// authentication and roles, body limits, cursor pagination.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor } from '../../src/http/pagination';
import { createTestApp, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';
import { csvText, importPath, newDealer, utf8, type Client } from '../imports/fixtures';

const GENERATED_ID = /^[A-Za-z0-9_-]{16}$/;

describe.each(DB_KINDS)('API conventions on %s', (kind) => {
  let t: TestApp;
  let c: Client;
  let importId: string;
  let contactIds: string[];

  beforeAll(async () => {
    t = await createTestApp(kind);
    c = await newDealer(t);
    const rows = [['姓名', '手机']];
    for (let i = 0; i < 7; i++) rows.push([`客户${i}`, String(13800138000 + i)]);
    rows.push(['坏号', '12']);
    const imp = await c.importFile(utf8(csvText(rows)));
    expect(imp.counts).toMatchObject({ rows: 8, created: 7, rejected: 1 });
    importId = imp.id;
    contactIds = (await c.contacts()).map((x) => x.id);
    expect(contactIds).toHaveLength(7);
  });
  afterAll(() => t.close());

  describe('request id', () => {
    it('is on every response: success, 401, 404, 400, 413, a CSV stream, and outside /v1', async () => {
      const responses = [
        await t.app.request('/health'),
        await t.app.request('/nowhere'),
        await t.app.request('/v1/contacts'),
        await t.req('GET', '/v1/contacts', { token: 'dm_not-a-real-token' }),
        await c.req('GET', '/v1/contacts'),
        await c.req('GET', '/v1/nope'),
        await c.req('GET', `/v1/contacts/${crypto.randomUUID()}`),
        await c.req('POST', '/v1/suppressions', { body: '{', headers: { 'content-type': 'application/json' } }),
        await c.req('POST', '/v1/suppressions', { body: { note: 'x'.repeat(1024 * 1024 + 1) } }),
        await c.req('GET', `/v1/imports/${importId}/errors.csv`),
      ];
      expect(responses.map((r) => r.status)).toEqual([200, 404, 401, 401, 200, 404, 404, 400, 413, 200]);
      const ids = responses.map((r) => r.headers.get('x-request-id'));
      for (const id of ids) expect(id).toMatch(GENERATED_ID);
      expect(new Set(ids).size).toBe(ids.length);
      await Promise.all(responses.map((r) => r.body?.cancel()));
    });

    it('echoes a well-formed incoming X-Request-Id, and replaces a malformed one', async () => {
      const echoed = await c.req('GET', '/v1/contacts?limit=1', { headers: { 'X-Request-Id': 'lb-2026.03.01_abc-123' } });
      expect(echoed.headers.get('x-request-id')).toBe('lb-2026.03.01_abc-123');
      const onError = await t.app.request('/v1/contacts', { headers: { 'X-Request-Id': 'trace-0000000042' } });
      expect(onError.status).toBe(401);
      expect(onError.headers.get('x-request-id')).toBe('trace-0000000042');
      for (const bad of ['short', 'has space in it', 'x'.repeat(129), '<script>alert(1)</script>']) {
        const res = await c.req('GET', '/v1/contacts?limit=1', { headers: { 'X-Request-Id': bad } });
        expect(res.headers.get('x-request-id')).toMatch(GENERATED_ID);
      }
    });

    it('quotes the request id in a 500', async () => {
      // Make one handler fail unexpectedly.
      const select = t.deps.db.orm.select;
      t.deps.db.orm.select = (() => {
        throw new Error('boom: connection reset');
      }) as unknown as typeof select;
      let res: Response;
      try {
        res = await c.req('GET', '/v1/imports');
      } finally {
        t.deps.db.orm.select = select;
      }
      expect(res.status).toBe(500);
      const id = res.headers.get('x-request-id');
      const body = await res.json();
      // The internal message does not leak.
      expect(body).toEqual({
        error: { code: 'internal', message: 'internal error; quote the request id when reporting it', details: { requestId: id } },
      });
    });
  });

  describe('authentication and roles', () => {
    it('no token, a malformed header or an unknown token → 401 with the error shape', async () => {
      const none = await t.app.request('/v1/contacts');
      expect(none.status).toBe(401);
      expect(await none.json()).toEqual({
        error: { code: 'unauthorized', message: 'sign in, or send an API token as "Authorization: Bearer <token>"', details: null },
      });
      const basic = await t.app.request('/v1/contacts', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
      expect(basic.status).toBe(401);
      expect((await basic.json()).error.code).toBe('unauthorized');
      const unknown = await t.req('GET', '/v1/imports', { token: 'dm_unknown' });
      expect(unknown.status).toBe(401);
      expect(await unknown.json()).toEqual({ error: { code: 'unauthorized', message: 'API token is invalid or revoked', details: null } });
      // Nothing is created without a token.
      const upload = await t.app.request(importPath(), { method: 'POST', body: utf8('姓名,手机\r\n张三,13800138000\r\n') });
      expect(upload.status).toBe(401);
    });

    it('a manager may read imports but not upload or cancel (403)', async () => {
      const m = await newDealer(t, 'manager');
      const list = await m.req('GET', '/v1/imports');
      expect(list.status).toBe(200);
      expect(await list.json()).toEqual({ data: [], nextCursor: null });
      const post = await m.req('POST', importPath(), { body: utf8(csvText([['姓名', '手机'], ['张三', '13800138000']])) });
      expect(post.status).toBe(403);
      expect(await post.json()).toEqual({ error: { code: 'forbidden', message: 'the manager role may not do this', details: null } });
      expect(await m.importCount()).toBe(0);
      expect((await m.req('GET', '/v1/contacts')).status).toBe(200);
      expect((await m.req('POST', '/v1/suppressions', { body: { channel: 'sms', reason: 'unsubscribed', phone: '13800138000' } })).status).toBe(403);
    });

    it("a manager of the same dealer sees that dealer's imports and error report", async () => {
      const { issueApiToken } = await import('../../src/dealers');
      const mgr = await issueApiToken(t.deps.db.orm, t.clock, c.dealerId, 'manager', 'manager');
      const get = await t.req('GET', `/v1/imports/${importId}`, { token: mgr.token });
      expect(get.status).toBe(200);
      expect((await get.json()).id).toBe(importId);
      const csv = await t.req('GET', `/v1/imports/${importId}/errors.csv`, { token: mgr.token });
      expect(csv.status).toBe(200);
      expect(await csv.text()).toBe('row,column,reason,value\r\n9,手机,phone number has too few digits,12\r\n');
      const cancel = await t.req('POST', `/v1/imports/${importId}/cancel`, { token: mgr.token });
      expect(cancel.status).toBe(403);
    });
  });

  describe('bodies and routes', () => {
    it('invalid JSON → 400 invalid_json', async () => {
      const res = await c.req('POST', '/v1/suppressions', { body: '{"channel": "sms",', headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: { code: 'invalid_json', message: 'request body must be JSON', details: null } });
    });

    it('a JSON body over 1 MB → 413, with or without Content-Length', async () => {
      const big = JSON.stringify({ channel: 'sms', reason: 'unsubscribed', phone: '13800138000', note: 'x'.repeat(1024 * 1024) });
      const withLength = await c.req('POST', '/v1/suppressions', {
        body: big,
        headers: { 'content-type': 'application/json', 'content-length': String(utf8(big).byteLength) },
      });
      expect(withLength.status).toBe(413);
      expect(await withLength.json()).toEqual({ error: { code: 'payload_too_large', message: 'request body is larger than 1 MB', details: null } });
      const streamed = await c.req('POST', '/v1/suppressions', { body: big, headers: { 'content-type': 'application/json' } });
      expect(streamed.status).toBe(413);
      expect((await streamed.json()).error.code).toBe('payload_too_large');
      expect((await c.json('GET', '/v1/suppressions')).data).toEqual([]);
    });

    it('the 1 MB JSON limit does not apply to list uploads', async () => {
      const d = await newDealer(t);
      const rows = [['姓名', '手机', '备注']];
      for (let i = 0; i < 3; i++) rows.push([`客户${i}`, String(13000000000 + i), 'x'.repeat(400_000)]);
      const body = utf8(csvText(rows));
      expect(body.byteLength).toBeGreaterThan(1024 * 1024);
      const imp = await d.importFile(body);
      expect(imp).toMatchObject({ status: 'completed', bytes: body.byteLength });
      expect(imp.counts).toMatchObject({ rows: 3, created: 3 });
    });

    it('an unknown route → 404 JSON', async () => {
      const res = await c.req('GET', '/v1/campaignz');
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'no route for GET /v1/campaignz', details: null } });
      const root = await t.app.request('/robots.txt');
      expect(root.status).toBe(404);
      expect((await root.json()).error.code).toBe('not_found');
    });
  });

  describe('cursor pagination', () => {
    it('limit=2 walks every contact exactly once, newest first', async () => {
      const seen: string[] = [];
      const sizes: number[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < 10; pages++) {
        const res = await c.req('GET', `/v1/contacts?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.status).toBe(200);
        const p = (await res.json()) as { data: { id: string }[]; nextCursor: string | null };
        seen.push(...p.data.map((x) => x.id));
        sizes.push(p.data.length);
        cursor = p.nextCursor;
        if (!cursor) break;
      }
      expect(cursor).toBeNull();
      expect(sizes).toEqual([2, 2, 2, 1]);
      expect(new Set(seen).size).toBe(7);
      expect(seen).toEqual([...contactIds].sort().reverse());
    });

    it('an exact multiple of the limit ends with nextCursor null, not an empty page', async () => {
      const d = await newDealer(t);
      await d.importFile(utf8(csvText([['姓名', '手机'], ['甲', '13800138000'], ['乙', '13800138001']])));
      const p = await d.json<{ data: unknown[]; nextCursor: string | null }>('GET', '/v1/contacts?limit=2');
      expect(p.data).toHaveLength(2);
      expect(p.nextCursor).toBeNull();
    });

    it('imports page the same way', async () => {
      const d = await newDealer(t);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await d.importFile(utf8(csvText([['姓名', '手机'], [`客户${i}`, String(13800138000 + i)]])))).id);
      const first = await d.json<{ data: { id: string }[]; nextCursor: string }>('GET', '/v1/imports?limit=2');
      expect(first.data.map((x) => x.id)).toEqual([ids[2], ids[1]]);
      const second = await d.json<{ data: { id: string }[]; nextCursor: string | null }>('GET', `/v1/imports?limit=2&cursor=${first.nextCursor}`);
      expect(second).toEqual({ data: [expect.objectContaining({ id: ids[0] })], nextCursor: null });
    });

    it('a garbage cursor or a bad limit → 400', async () => {
      for (const cursor of ['garbage!!', 'abcd', encodeURIComponent(encodeCursor('not-a-uuid'))]) {
        const res = await c.req('GET', `/v1/contacts?cursor=${cursor}`);
        expect(res.status, cursor).toBe(400);
        expect(await res.json()).toEqual({ error: { code: 'bad_request', message: 'cursor is not valid', details: { path: 'query.cursor' } } });
      }
      for (const limit of ['0', '501', 'ten', '1.5']) {
        const res = await c.req('GET', `/v1/contacts?limit=${limit}`);
        expect(res.status, limit).toBe(400);
        expect((await res.json()).error.code).toBe('validation_error');
      }
      const imports = await c.req('GET', '/v1/imports?cursor=zzz');
      expect(imports.status).toBe(400);
    });

    it("a cursor from another dealer's list reveals nothing", async () => {
      const other = await newDealer(t);
      const res = await other.req('GET', `/v1/contacts?limit=2&cursor=${encodeCursor(contactIds[0]!)}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ data: [], nextCursor: null });
    });
  });
});
